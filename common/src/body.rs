//! Request bodies: size bound, content type, JSON shape, and field rules, in that order, each
//! failing with its own 4xx before any handler logic runs.

use http::{HeaderMap, header};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer};
use serde_json::Value;
use validator::Validate;

use crate::error::{ApiError, FieldError};
use crate::validation;

/// Whether a `Content-Type` value is JSON (`application/json`, `application/*+json`).
pub fn is_json_media_type(raw: &str) -> bool {
    let essence = raw
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

/// Parses the body as a JSON object of type `T` and applies its `validator` rules.
///
/// Failures: 413 over `limit` bytes, 415 unless the content type is JSON, 400 for malformed
/// JSON, a non-object body, nesting deeper than [`validation::MAX_DEPTH`], NUL characters
/// (PostgreSQL refuses them in text and jsonb), wrong field types, and rule violations, with
/// one `details` entry per offending field. Every step is linear in the body's size.
pub fn json<T: JsonBody>(headers: &HeaderMap, raw: &[u8], limit: usize) -> Result<T, ApiError> {
    if raw.len() > limit {
        return Err(ApiError::PayloadTooLarge { limit });
    }
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok());
    match content_type {
        Some(ct) if is_json_media_type(ct) => {}
        // An empty body without a type is simply a missing body, reported below.
        None if raw.iter().all(u8::is_ascii_whitespace) => {}
        _ => return Err(ApiError::UnsupportedMediaType),
    }
    if raw.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::BadRequest("Request body is required".into()));
    }
    let value: Value = serde_json::from_slice(raw).map_err(|err| {
        // serde_json stops at 128 levels of nesting; that is our depth error, not bad syntax.
        if err.is_syntax() && err.to_string().starts_with("recursion limit exceeded") {
            ApiError::Validation(vec![validation::too_deep()])
        } else {
            ApiError::BadRequest("Request body is not valid JSON".into())
        }
    })?;
    if !value.is_object() {
        return Err(ApiError::BadRequest(
            "Request body must be a JSON object".into(),
        ));
    }
    validation::check_shape(&value)
        .map_err(|shape| ApiError::Validation(shape.into_field_errors()))?;
    let parsed = deserialize_reporting_every_field::<T>(integral_numbers_as_integers(value))?;
    parsed.validate().map_err(validation::to_api_error)?;
    Ok(parsed)
}

/// JSON has one kind of number: `30.0` is the integer 30 to JavaScript, to JSON Schema and to
/// the system we replace, so integer fields (`duration`) accept it. Only top-level fields are
/// touched: nested values (transcripts, metadata) are stored as sent.
fn integral_numbers_as_integers(mut value: Value) -> Value {
    if let Some(fields) = value.as_object_mut() {
        for field in fields.values_mut() {
            if let Some(n) = field.as_f64().filter(|_| field.is_f64())
                && n.fract() == 0.0
                && n.abs() < 9.0e15
            {
                // Exact: every integer this small is a whole f64.
                *field = Value::from(n as i64);
            }
        }
    }
    value
}

/// A request body type: its `validator` rules plus the keys it cannot do without.
pub trait JsonBody: DeserializeOwned + Validate {
    /// Keys that must be present and not null; all are reported at once when missing.
    const REQUIRED: &'static [&'static str] = &[];
}

/// Deserializes `value` as `T`, reporting every missing required key and every mistyped
/// field, not only the first one serde stops at.
fn deserialize_reporting_every_field<T: JsonBody>(mut value: Value) -> Result<T, ApiError> {
    let mut errors: Vec<FieldError> = T::REQUIRED
        .iter()
        .filter(|key| value.get(**key).is_none_or(Value::is_null))
        .map(|key| FieldError::new(*key, "Required"))
        .collect();
    // Each pass drops the field serde stopped at, so the next pass finds the next one. A pass
    // reads the value in place (no copy of the body per pass), and there are at most as many
    // passes as `T` has fields.
    loop {
        match serde_path_to_error::deserialize::<_, T>(&value) {
            Ok(parsed) if errors.is_empty() => return Ok(parsed),
            Ok(_) => break,
            Err(err) => {
                let error = validation::serde_field_error(
                    &err.path().to_string(),
                    &err.inner().to_string(),
                );
                let top = error
                    .field
                    .split(['.', '['])
                    .next()
                    .unwrap_or_default()
                    .to_string();
                let known = errors
                    .iter()
                    .any(|e| e.field == error.field || e.field == top);
                if !known {
                    errors.push(error);
                }
                match value.as_object_mut().and_then(|o| o.remove(&top)) {
                    Some(_) => continue,
                    None => break,
                }
            }
        }
    }
    Err(ApiError::Validation(errors))
}

/// A field that may be absent (leave unchanged), `null` (clear it) or a value (set it).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Patch<T> {
    #[default]
    Absent,
    Null,
    Value(T),
}

impl<T> Patch<T> {
    pub fn as_value(&self) -> Option<&T> {
        match self {
            Patch::Value(v) => Some(v),
            _ => None,
        }
    }

    pub fn is_absent(&self) -> bool {
        matches!(self, Patch::Absent)
    }
}

// `validator` attaches the offending value to its errors, so a checked field must serialize.
impl<T: serde::Serialize> serde::Serialize for Patch<T> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.as_value().serialize(s)
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Patch<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        // Only called when the key is present (absent keys take the `Default`).
        Ok(match Option::<T>::deserialize(d)? {
            Some(v) => Patch::Value(v),
            None => Patch::Null,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Deserialize, Validate)]
    struct Sample {
        #[validate(length(min = 2, message = "Name must be at least 2 characters"))]
        name: String,
        #[serde(default)]
        count: Option<i32>,
        #[serde(default)]
        note: Patch<String>,
    }

    impl JsonBody for Sample {
        const REQUIRED: &'static [&'static str] = &["name"];
    }

    fn parse_within(
        content_type: Option<&str>,
        body: &str,
        limit: usize,
    ) -> Result<Sample, ApiError> {
        let mut headers = HeaderMap::new();
        if let Some(ct) = content_type {
            headers.insert(header::CONTENT_TYPE, ct.parse().unwrap());
        }
        json::<Sample>(&headers, body.as_bytes(), limit)
    }

    fn parse(content_type: Option<&str>, body: &str) -> Result<Sample, ApiError> {
        parse_within(content_type, body, 1024)
    }

    const JSON: Option<&str> = Some("application/json; charset=utf-8");

    #[test]
    fn accepts_a_valid_object() {
        let s = parse(JSON, r#"{"name":"Ann","count":3,"unknown":true}"#).unwrap();
        assert_eq!(s.name, "Ann");
        assert_eq!(s.count, Some(3));
        assert_eq!(s.note, Patch::Absent);
    }

    #[test]
    fn distinguishes_null_from_absent() {
        let s = parse(JSON, r#"{"name":"Ann","note":null}"#).unwrap();
        assert_eq!(s.note, Patch::Null);
        let s = parse(JSON, r#"{"name":"Ann","note":"hi"}"#).unwrap();
        assert_eq!(s.note, Patch::Value("hi".into()));
    }

    #[test]
    fn bad_bodies_get_the_right_status() {
        let cases: &[(Option<&str>, &str, u16, &str)] = &[
            (JSON, "{not json", 400, "malformed JSON"),
            (JSON, "[1,2]", 400, "array body"),
            (JSON, "\"text\"", 400, "scalar body"),
            (JSON, "", 400, "empty body"),
            (
                Some("text/plain"),
                r#"{"name":"Ann"}"#,
                415,
                "wrong content type",
            ),
            (None, r#"{"name":"Ann"}"#, 415, "missing content type"),
            (JSON, r#"{"name":"A"}"#, 400, "rule violation"),
            (JSON, r#"{"name":5}"#, 400, "wrong type"),
            (JSON, r#"{"count":1}"#, 400, "missing field"),
            (JSON, r#"{"name":"A\u0000nn"}"#, 400, "NUL character"),
        ];
        for (ct, body, status, case) in cases {
            let err = parse(*ct, body).expect_err(case);
            assert_eq!(err.status().as_u16(), *status, "case: {case}");
        }
    }

    #[test]
    fn deep_nesting_is_a_validation_error_at_any_depth() {
        // 100 levels pass serde_json and meet our bound; 200 meet serde_json's own limit.
        for levels in [100, 200] {
            let body = format!(
                r#"{{"name":"Ann","x":{}{}}}"#,
                "[".repeat(levels),
                "]".repeat(levels)
            );
            let big = parse_within(JSON, &body, 4096);
            match big.unwrap_err() {
                ApiError::Validation(fields) => {
                    assert_eq!(fields, vec![validation::too_deep()], "{levels} levels")
                }
                other => panic!("{levels} levels: unexpected {other:?}"),
            }
        }
    }

    #[test]
    fn whole_numbers_written_as_decimals_are_integers() {
        let s = parse(JSON, r#"{"name":"Ann","count":30.0}"#).unwrap();
        assert_eq!(s.count, Some(30));
        let s = parse(JSON, r#"{"name":"Ann","count":-2e1}"#).unwrap();
        assert_eq!(s.count, Some(-20));
        for fractional in [
            r#"{"name":"Ann","count":30.5}"#,
            r#"{"name":"Ann","count":1e300}"#,
        ] {
            match parse(JSON, fractional).unwrap_err() {
                ApiError::Validation(fields) => assert_eq!(fields[0].field, "count"),
                other => panic!("unexpected {other:?}"),
            }
        }
    }

    #[test]
    fn oversized_bodies_are_413() {
        let body = format!(r#"{{"name":"{}"}}"#, "x".repeat(2000));
        let err = parse(JSON, &body).unwrap_err();
        assert_eq!(err.status(), 413);
    }

    #[test]
    fn type_errors_name_the_field() {
        match parse(JSON, r#"{"name":"Ann","count":"three"}"#).unwrap_err() {
            ApiError::Validation(fields) => assert_eq!(fields[0].field, "count"),
            other => panic!("unexpected {other:?}"),
        }
        match parse(JSON, r#"{"count":1}"#).unwrap_err() {
            ApiError::Validation(fields) => {
                assert_eq!(fields[0].field, "name");
                assert_eq!(fields[0].message, "Required");
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn every_offending_field_is_reported() {
        match parse(JSON, r#"{"count":"three","note":7}"#).unwrap_err() {
            ApiError::Validation(fields) => {
                let mut names: Vec<&str> = fields.iter().map(|f| f.field.as_str()).collect();
                names.sort();
                assert_eq!(names, ["count", "name", "note"]);
            }
            other => panic!("unexpected {other:?}"),
        }
    }
}
