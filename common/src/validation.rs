//! Turns `validator` and `serde` failures into the contract's `details`, plus the field rules
//! the `validator` derive cannot express alone.

use std::borrow::Cow;

use serde_json::Value;
use validator::{ValidationError, ValidationErrors, ValidationErrorsKind};

use crate::error::{ApiError, FieldError};

/// JSON paths of every string (key or value) that contains a NUL character.
pub fn fields_with_nul(value: &Value) -> Vec<String> {
    let mut found = Vec::new();
    walk_nul(value, String::new(), &mut found);
    found
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

fn walk_nul(value: &Value, path: String, found: &mut Vec<String>) {
    match value {
        Value::String(s) if s.contains('\0') => {
            found.push(if path.is_empty() { "body".into() } else { path })
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                walk_nul(item, format!("{path}[{i}]"), found);
            }
        }
        Value::Object(map) => {
            for (key, item) in map {
                if key.contains('\0') {
                    found.push(join(&path, &key.replace('\0', "\\u0000")));
                } else {
                    walk_nul(item, join(&path, key), found);
                }
            }
        }
        _ => {}
    }
}

/// A field error from a `serde` failure at `path` (`"."` is the body itself).
pub fn serde_field_error(path: &str, message: &str) -> FieldError {
    // serde reports a missing field at the enclosing object, naming the field in the message.
    if let Some(rest) = message.strip_prefix("missing field `") {
        let name = rest.split('`').next().unwrap_or(rest);
        let field = if path == "." {
            name.to_string()
        } else {
            join(path, name)
        };
        return FieldError::new(field, "Required");
    }
    let field = if path == "." { "body" } else { path };
    let text = if let Some((_, expected)) = message.split_once(", expected ") {
        // Drop serde's echo of the offending value: say only what was expected, in words.
        let expected = match expected {
            "i16" | "i32" | "i64" | "u16" | "u32" | "u64" => "an integer",
            "f32" | "f64" => "a number",
            "a map" => "a JSON object",
            "a sequence" => "an array",
            other => other,
        };
        format!("Expected {expected}")
    } else if message.starts_with("invalid character") || message.contains("UUID parsing failed") {
        "Invalid UUID".to_string()
    } else {
        let mut chars = message.chars();
        match chars.next() {
            Some(first) => first.to_uppercase().chain(chars).collect(),
            None => "Invalid value".to_string(),
        }
    };
    FieldError::new(field, text)
}

/// Flattens `validator`'s errors into one entry per field, sorted for a stable answer.
pub fn to_api_error(errors: ValidationErrors) -> ApiError {
    let mut fields = Vec::new();
    collect(&errors, "", &mut fields);
    fields.sort_by(|a, b| a.field.cmp(&b.field));
    ApiError::Validation(fields)
}

fn collect(errors: &ValidationErrors, prefix: &str, out: &mut Vec<FieldError>) {
    for (field, kind) in errors.errors() {
        // Struct-level (schema) rules are reported by validator under `__all__`.
        let field = if field == "__all__" { "body" } else { field };
        let path = join(prefix, field);
        match kind {
            ValidationErrorsKind::Field(list) => {
                if let Some(first) = list.first() {
                    out.push(FieldError::new(path, message_of(first)));
                }
            }
            ValidationErrorsKind::Struct(inner) => collect(inner, &path, out),
            ValidationErrorsKind::List(items) => {
                for (i, inner) in items {
                    collect(inner, &format!("{path}[{i}]"), out);
                }
            }
        }
    }
}

fn message_of(err: &ValidationError) -> String {
    match &err.message {
        Some(m) => m.to_string(),
        None => match err.code.as_ref() {
            "required" => "Required".into(),
            "email" => "Invalid email address".into(),
            code => format!("Invalid value ({code})"),
        },
    }
}

fn error(code: &'static str, message: &'static str) -> ValidationError {
    ValidationError::new(code).with_message(Cow::Borrowed(message))
}

/// bcrypt reads at most 72 bytes and the non-truncating API refuses the 72nd: longer passwords
/// are refused instead of being silently cut (bytes, not characters).
pub const MAX_PASSWORD_BYTES: usize = 71;

pub fn password_bytes(password: &str) -> Result<(), ValidationError> {
    if password.len() > MAX_PASSWORD_BYTES {
        return Err(error(
            "password_too_long",
            "Password must be at most 71 bytes",
        ));
    }
    Ok(())
}

/// A display name: at least 2 characters once trimmed, at most 100.
pub fn person_name(name: &str) -> Result<(), ValidationError> {
    let n = name.trim().chars().count();
    if n < 2 {
        return Err(error(
            "name_too_short",
            "Name must be at least 2 characters",
        ));
    }
    if n > 100 {
        return Err(error(
            "name_too_long",
            "Name must be at most 100 characters",
        ));
    }
    Ok(())
}

/// A phone number as people type it: digits with optional `+`, spaces, dots, dashes and
/// parentheses; 3 to 32 characters with at least 3 digits.
pub fn phone(phone: &str) -> Result<(), ValidationError> {
    let p = phone.trim();
    let allowed = p
        .chars()
        .all(|c| c.is_ascii_digit() || " +-().".contains(c));
    let digits = p.chars().filter(char::is_ascii_digit).count();
    if !allowed || digits < 3 || p.len() > 32 {
        return Err(error("phone", "Invalid phone number"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn finds_nul_characters_anywhere() {
        let v = json!({"a": "ok", "b": {"c": ["x", "y\u{0}"]}, "d\u{0}": 1});
        let mut found = fields_with_nul(&v);
        found.sort();
        assert_eq!(found, vec!["b.c[1]".to_string(), "d\\u0000".to_string()]);
    }

    #[test]
    fn serde_messages_become_field_errors() {
        let e = serde_field_error(".", "missing field `email`");
        assert_eq!(
            (e.field.as_str(), e.message.as_str()),
            ("email", "Required")
        );
        let e = serde_field_error("duration", "invalid type: string \"x\", expected i32");
        assert_eq!(
            (e.field.as_str(), e.message.as_str()),
            ("duration", "Expected an integer")
        );
    }

    #[test]
    fn password_limit_counts_bytes_not_characters() {
        assert!(password_bytes(&"a".repeat(71)).is_ok());
        assert!(password_bytes(&"a".repeat(72)).is_err());
        // 24 three-byte characters are 72 bytes.
        assert!(password_bytes(&"€".repeat(24)).is_err());
    }

    #[test]
    fn names_and_phones() {
        assert!(person_name(" A ").is_err());
        assert!(person_name("Al").is_ok());
        assert!(person_name("名前").is_ok());
        assert!(phone("+1 (555) 123-4567").is_ok());
        assert!(phone("call me").is_err());
        assert!(phone("12").is_err());
    }
}
