//! Timestamps on the wire: RFC 3339 in UTC with milliseconds (`2026-02-15T10:00:00.000Z`).

use chrono::{DateTime, SecondsFormat, Utc};
use http::Uri;
use serde::{Deserialize, Deserializer, Serializer};

use crate::error::FieldError;

/// Formats a timestamp the way the contract prints every timestamp.
pub fn format(at: &DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// Parses an RFC 3339 timestamp with any offset and returns it in UTC.
pub fn parse(raw: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(raw.trim())
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// `#[serde(serialize_with = "common::time::serialize")]` for `DateTime<Utc>` fields.
pub fn serialize<S: Serializer>(at: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&format(at))
}

/// The same for optional timestamps (`null` when absent).
pub fn serialize_opt<S: Serializer>(at: &Option<DateTime<Utc>>, s: S) -> Result<S::Ok, S::Error> {
    match at {
        Some(at) => serialize(at, s),
        None => s.serialize_none(),
    }
}

const EXPECTED: &str = "Expected an RFC 3339 timestamp such as 2026-02-15T10:00:00Z";

/// `#[serde(deserialize_with = "common::time::deserialize")]`: an RFC 3339 string, any offset.
pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<DateTime<Utc>, D::Error> {
    let raw = String::deserialize(d)?;
    parse(&raw).ok_or_else(|| serde::de::Error::custom(EXPECTED))
}

/// The same for an optional field (`null` or absent is `None`; use with `#[serde(default)]`).
pub fn deserialize_opt<'de, D: Deserializer<'de>>(d: D) -> Result<Option<DateTime<Utc>>, D::Error> {
    match Option::<String>::deserialize(d)? {
        None => Ok(None),
        Some(raw) => parse(&raw)
            .map(Some)
            .ok_or_else(|| serde::de::Error::custom(EXPECTED)),
    }
}

/// The optional RFC 3339 query parameter `name`; a malformed one is added to `errors`.
pub fn query_param(uri: &Uri, name: &str, errors: &mut Vec<FieldError>) -> Option<DateTime<Utc>> {
    let at = parse(&crate::request::query(uri, name)?);
    if at.is_none() {
        errors.push(FieldError::new(name, EXPECTED));
    }
    at
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_utc_with_milliseconds() {
        let at = parse("2026-02-15T10:00:00Z").unwrap();
        assert_eq!(format(&at), "2026-02-15T10:00:00.000Z");
    }

    #[test]
    fn other_offsets_are_converted_to_utc() {
        let at = parse("2026-02-15T12:30:00.250+02:30").unwrap();
        assert_eq!(format(&at), "2026-02-15T10:00:00.250Z");
    }

    #[test]
    fn impossible_and_partial_dates_are_rejected() {
        for raw in [
            "2026-02-30T10:00:00Z",
            "2026-13-01T10:00:00Z",
            "2026-02-15",
            "2026-02-15T25:00:00Z",
            "tomorrow",
            "",
        ] {
            assert!(parse(raw).is_none(), "{raw:?} should not parse");
        }
    }
}
