//! Turns `validator` and `serde` failures into the contract's `details`, plus the field rules
//! the `validator` derive cannot express alone.

use std::borrow::Cow;

use serde_json::Value;
use validator::{ValidationError, ValidationErrors, ValidationErrorsKind};

use crate::error::{ApiError, FieldError};

/// The most levels of objects and arrays a body may nest (the body itself is level 1).
/// serde_json refuses more than 128 while parsing; this bound is ours, far above any real
/// transcript, and keeps every walk over a body short.
pub const MAX_DEPTH: usize = 64;

/// The most NUL findings one answer lists: the body is refused after the first anyway.
pub const MAX_NUL_FINDINGS: usize = 20;

/// Keys longer than this many characters are cut in reported paths, so an answer stays small
/// however long the keys are.
const MAX_KEY_SHOWN: usize = 64;

/// Why a parsed body is refused before its fields are read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Shape {
    /// Nested deeper than [`MAX_DEPTH`].
    TooDeep,
    /// Paths of strings (keys or values) containing NUL, at most [`MAX_NUL_FINDINGS`].
    Nul(Vec<String>),
}

impl Shape {
    pub fn into_field_errors(self) -> Vec<FieldError> {
        match self {
            Shape::TooDeep => vec![too_deep()],
            Shape::Nul(paths) => paths
                .into_iter()
                .map(|p| FieldError::new(p, "Must not contain NUL characters"))
                .collect(),
        }
    }
}

/// The answer for a body nested deeper than [`MAX_DEPTH`] (also used when serde_json's own
/// recursion limit stops the parse).
pub fn too_deep() -> FieldError {
    FieldError::new(
        "body",
        format!("Must not nest objects and arrays more than {MAX_DEPTH} levels deep"),
    )
}

/// Checks nesting depth and NUL characters (PostgreSQL refuses them in text and jsonb) in one
/// pass. The work is linear in the body's size: the path of the string being looked at is
/// kept as a stack of borrowed segments, and only turned into text for a finding, at most
/// [`MAX_NUL_FINDINGS`] times and with keys cut to [`MAX_KEY_SHOWN`] characters.
pub fn check_shape(value: &Value) -> Result<(), Shape> {
    let mut found = Vec::new();
    walk(value, 1, &mut Vec::new(), &mut found)?;
    if found.is_empty() {
        Ok(())
    } else {
        Err(Shape::Nul(found))
    }
}

/// Checks `value`, at nesting `level` (the body is 1) and reached by `path`. A container deeper
/// than [`MAX_DEPTH`] is refused before it is entered, so the recursion is at most that deep.
fn walk<'a>(
    value: &'a Value,
    level: usize,
    path: &mut Vec<Segment<'a>>,
    found: &mut Vec<String>,
) -> Result<(), Shape> {
    let children: Box<dyn Iterator<Item = (Segment, &Value)>> = match value {
        Value::String(s) if s.contains('\0') => {
            found.push(render(path));
            return Ok(());
        }
        Value::Array(items) => Box::new((0..).map(Segment::Index).zip(items)),
        Value::Object(map) => Box::new(map.iter().map(|(k, v)| (Segment::Key(k), v))),
        _ => return Ok(()),
    };
    if level > MAX_DEPTH {
        return Err(Shape::TooDeep);
    }
    for (segment, child) in children {
        if found.len() >= MAX_NUL_FINDINGS {
            break;
        }
        path.push(segment);
        if matches!(segment, Segment::Key(k) if k.contains('\0')) {
            // A key with NUL is reported itself; what it holds is not looked into.
            found.push(render(path));
        } else {
            walk(child, level + 1, path, found)?;
        }
        path.pop();
    }
    Ok(())
}

#[derive(Clone, Copy)]
enum Segment<'a> {
    Key(&'a str),
    Index(usize),
}

/// `a.b[2].c`, or `body` for the body itself; NUL in keys shown as `\u0000`.
fn render(path: &[Segment<'_>]) -> String {
    let mut out = String::new();
    for segment in path {
        match segment {
            Segment::Key(key) => {
                if !out.is_empty() {
                    out.push('.');
                }
                for (i, c) in key.chars().enumerate() {
                    if i == MAX_KEY_SHOWN {
                        out.push('…');
                        break;
                    }
                    match c {
                        '\0' => out.push_str("\\u0000"),
                        c => out.push(c),
                    }
                }
            }
            Segment::Index(i) => out.push_str(&format!("[{i}]")),
        }
    }
    if out.is_empty() { "body".into() } else { out }
}

/// `path.key`; an empty path (or serde's `.`, the body itself) gives `key`.
fn join(path: &str, key: &str) -> String {
    if path.is_empty() || path == "." {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

/// A field error from a `serde` failure at `path` (`"."` is the body itself).
pub fn serde_field_error(path: &str, message: &str) -> FieldError {
    // serde reports a missing field at the enclosing object, naming the field in the message.
    if let Some(rest) = message.strip_prefix("missing field `") {
        let name = rest.split('`').next().unwrap_or(rest);
        return FieldError::new(join(path, name), "Required");
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
        let field = if field == "__all__" {
            "body".to_string()
        } else {
            camel_case(field)
        };
        let path = join(prefix, &field);
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

/// The JSON's name of a Rust field (`customer_name` → `customerName`): the derive reports the
/// Rust identifier, and every body is camelCase on the wire.
fn camel_case(field: &str) -> String {
    let mut words = field.split('_');
    let first = words.next().unwrap_or_default().to_string();
    words.fold(first, |mut out, word| {
        let mut chars = word.chars();
        if let Some(c) = chars.next() {
            out.extend(c.to_uppercase());
            out.push_str(chars.as_str());
        }
        out
    })
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

pub fn error(code: &'static str, message: &'static str) -> ValidationError {
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn nul_paths(v: &Value) -> Vec<String> {
        match check_shape(v) {
            Ok(()) => Vec::new(),
            Err(Shape::Nul(mut found)) => {
                found.sort();
                found
            }
            Err(other) => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn finds_nul_characters_anywhere() {
        let v = json!({"a": "ok", "b": {"c": ["x", "y\u{0}"]}, "d\u{0}": 1, "e": [[], {"f": ["\u{0}"]}]});
        assert_eq!(nul_paths(&v), ["b.c[1]", "d\\u0000", "e[1].f[0]"]);
        assert_eq!(
            nul_paths(&json!({"a": [1, {"b": "ok"}], "c": {}})),
            Vec::<String>::new()
        );
    }

    #[test]
    fn nul_findings_are_capped_and_long_keys_cut() {
        let key = "k".repeat(10_000);
        let v = json!({ key.clone(): vec!["\u{0}"; 1000] });
        let found = nul_paths(&v);
        assert_eq!(found.len(), MAX_NUL_FINDINGS);
        let shown = format!("{}…", "k".repeat(MAX_KEY_SHOWN));
        assert!(
            found.iter().all(|p| p.starts_with(&shown) && p.len() < 100),
            "{found:?}"
        );
    }

    #[test]
    fn rust_field_names_are_reported_as_the_json_spells_them() {
        assert_eq!(camel_case("customer_phone"), "customerPhone");
        assert_eq!(camel_case("time_zone"), "timeZone");
        assert_eq!(camel_case("name"), "name");
    }

    #[test]
    fn nesting_is_bounded() {
        let nest = |levels: usize| {
            let mut v = json!("leaf");
            for i in 0..levels {
                v = if i % 2 == 0 {
                    json!([v])
                } else {
                    json!({ "k": v })
                };
            }
            v
        };
        assert_eq!(check_shape(&nest(MAX_DEPTH)), Ok(()));
        assert_eq!(check_shape(&nest(MAX_DEPTH + 1)), Err(Shape::TooDeep));
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
}
