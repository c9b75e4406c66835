//! Projects as rows and on the wire, and the wizard's body with its lenient numbers.

use chrono::{DateTime, Utc};
use common::domain::{Label, Minutes, PersonName, Text};
use postgres_from_row::FromRow;
use rust_decimal::Decimal;
use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Number;
use uuid::Uuid;
use validator::{Validate, ValidateUrl, ValidationError};

use crate::services::model::Service;
use crate::services::{decimal, valid_price};

#[derive(Debug, Serialize, FromRow)]
#[serde(rename_all = "camelCase")]
pub struct Project {
    pub id: Uuid,
    pub user_id: Uuid,
    pub agent_name: String,
    pub language: String,
    pub greeting: Option<String>,
    pub voice_id: String,
    pub business_name: String,
    pub industry: String,
    pub phone: String,
    pub website: Option<String>,
    pub time_zone: String,
    pub schedule: Schedule,
    pub services: Services,
    #[serde(serialize_with = "common::time::serialize")]
    pub created_at: DateTime<Utc>,
    #[serde(serialize_with = "common::time::serialize")]
    pub updated_at: DateTime<Utc>,
}

/// The project's active services, aggregated in the project's own statement.
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Services(pub Vec<Service>);
common::json_column!(Services);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Weekday {
    Monday,
    Tuesday,
    Wednesday,
    Thursday,
    Friday,
    Saturday,
    Sunday,
}

/// One day of the week: its hours (`HH:MM`, 24 h) when `enabled`. The names are those
/// PostgreSQL's `to_char(.., 'FMDay')` spells, which `open_windows()` matches them against.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Day {
    pub day: Weekday,
    pub enabled: bool,
    #[serde(default)]
    pub start: Option<String>,
    #[serde(default)]
    pub end: Option<String>,
}

/// The weekly hours, in the project's time zone; a missing day is closed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Schedule(pub Vec<Day>);
common::json_column!(Schedule);

/// Minutes since midnight of an `HH:MM` clock time: exactly two digits, a colon, two digits
/// (PostgreSQL reads the stored text as a `time`, and `+9:00` is not one).
fn clock(time: &str) -> Option<u32> {
    let digit = |i: usize| {
        let b = *time.as_bytes().get(i)?;
        b.is_ascii_digit().then(|| u32::from(b - b'0'))
    };
    if time.len() != 5 || time.as_bytes()[2] != b':' {
        return None;
    }
    let (h, m) = (digit(0)? * 10 + digit(1)?, digit(3)? * 10 + digit(4)?);
    (h < 24 && m < 60).then_some(h * 60 + m)
}

fn schedule_error(message: String) -> ValidationError {
    ValidationError::new("schedule").with_message(message.into())
}

impl Schedule {
    pub fn rule(&self) -> Result<(), ValidationError> {
        let mut seen = Vec::new();
        for day in &self.0 {
            if seen.contains(&day.day) {
                return Err(schedule_error(format!("{:?} is listed twice", day.day)));
            }
            seen.push(day.day);
            // A closed day's times mean nothing; forms send them anyway, even empty.
            if !day.enabled {
                continue;
            }
            match [&day.start, &day.end].map(|t| t.as_deref().and_then(clock)) {
                [Some(start), Some(end)] if start < end => {}
                _ => {
                    return Err(schedule_error(format!(
                        "{:?}: an open day needs start before end, as HH:MM (24 h)",
                        day.day
                    )));
                }
            }
        }
        Ok(())
    }
}

/// A number, or the same number as text (the wizard's form fields send text).
#[derive(Deserialize)]
#[serde(untagged)]
enum Lenient {
    Number(Number),
    Text(String),
}

fn lenient_number<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Number>, D::Error> {
    match Option::<Lenient>::deserialize(d)? {
        None => Ok(None),
        Some(Lenient::Number(n)) => Ok(Some(n)),
        Some(Lenient::Text(t)) if t.trim().is_empty() => Ok(None),
        Some(Lenient::Text(t)) => serde_json::from_str::<Number>(t.trim())
            .map(Some)
            .map_err(|_| D::Error::custom("expected a number")),
    }
}

fn minutes<'de, D: Deserializer<'de>>(d: D) -> Result<Minutes, D::Error> {
    let whole = lenient_number(d)?
        .and_then(|n| n.as_i64())
        .and_then(|n| i32::try_from(n).ok())
        .ok_or_else(|| D::Error::custom("expected a whole number of minutes"))?;
    serde_json::from_value(whole.into()).map_err(D::Error::custom)
}

/// A service as the wizard and the project form send it: `duration` and `price` may be text,
/// and `price` may be `""` (none).
#[derive(Debug, Deserialize, Validate)]
pub struct ServiceEntry {
    pub id: Option<Uuid>,
    #[validate(custom(function = Text::rule))]
    pub name: PersonName,
    #[validate(length(max = 2000, message = "Description must be at most 2000 characters"))]
    pub description: Option<String>,
    #[serde(deserialize_with = "minutes")]
    #[validate(custom(function = Minutes::rule))]
    pub duration: Minutes,
    #[serde(default, deserialize_with = "lenient_number")]
    #[validate(custom(function = valid_price))]
    pub price: Option<Number>,
}

/// A service entry as the project's statement reads it (`jsonb_to_recordset`).
#[derive(Debug, Serialize)]
pub struct ServiceRow<'a> {
    id: Option<Uuid>,
    name: &'a str,
    description: Option<&'a str>,
    duration: i32,
    price: Option<Decimal>,
}

impl ServiceEntry {
    pub fn row(&self) -> ServiceRow<'_> {
        ServiceRow {
            id: self.id,
            name: self.name.as_str(),
            description: self.description.as_deref(),
            duration: self.duration.get(),
            price: self.price.as_ref().and_then(decimal).map(|d| d.round_dp(2)),
        }
    }
}

fn website_rule(website: &str) -> Result<(), ValidationError> {
    let site = website.trim();
    let web = site.starts_with("https://") || site.starts_with("http://");
    if site.is_empty() || (web && site.validate_url() && site.len() <= 2000) {
        return Ok(());
    }
    Err(ValidationError::new("url").with_message("Website must be an http(s) URL or empty".into()))
}

/// Every project field, each optional: `POST` requires the wizard's ([`NewProject`]), `PUT`
/// changes those given.
#[derive(Debug, Deserialize, Validate)]
#[serde(rename_all = "camelCase")]
pub struct ProjectFields {
    #[validate(custom(function = Text::rule))]
    pub agent_name: Option<Label>,
    #[validate(custom(function = Text::rule))]
    pub language: Option<Label>,
    #[validate(length(max = 2000, message = "Greeting must be at most 2000 characters"))]
    pub greeting: Option<String>,
    #[validate(custom(function = Text::rule))]
    pub voice_id: Option<Label>,
    #[validate(custom(function = Text::rule))]
    pub business_name: Option<Label>,
    #[validate(custom(function = Text::rule))]
    pub industry: Option<Label>,
    #[validate(custom(function = Text::rule))]
    pub phone: Option<Label>,
    #[validate(custom(function = website_rule))]
    pub website: Option<String>,
    #[validate(custom(function = Text::rule))]
    pub time_zone: Option<Label>,
    #[validate(custom(function = Schedule::rule))]
    pub schedule: Option<Schedule>,
    #[validate(nested)]
    pub services: Option<Vec<ServiceEntry>>,
}

/// `POST /api/projects`: the wizard's body.
#[derive(Debug, Deserialize)]
#[serde(transparent)]
pub struct NewProject {
    pub fields: ProjectFields,
}

/// The fields' own rules, reported under their own names.
impl Validate for NewProject {
    fn validate(&self) -> Result<(), validator::ValidationErrors> {
        self.fields.validate()
    }
}

impl common::body::JsonBody for NewProject {
    const REQUIRED: &'static [&'static str] = &[
        "agentName",
        "language",
        "voiceId",
        "businessName",
        "industry",
        "phone",
        "schedule",
        "services",
    ];
}

impl common::body::JsonBody for ProjectFields {}

#[cfg(test)]
mod tests {
    use super::*;

    fn schedule(days: serde_json::Value) -> Schedule {
        serde_json::from_value(days).unwrap()
    }

    #[test]
    fn schedules_need_ordered_clock_times_on_open_days() {
        let ok = schedule(serde_json::json!([
            {"day": "Monday", "enabled": true, "start": "09:00", "end": "17:00"},
            {"day": "Sunday", "enabled": false, "start": "", "end": ""},
            {"day": "Saturday", "enabled": false}
        ]));
        assert!(ok.rule().is_ok(), "a closed day's times are not read");
        for (start, end, valid) in [
            ("09:00", "17:00", true),
            ("00:00", "23:59", true),
            ("17:00", "09:00", false),
            ("09:00", "09:00", false),
            ("9:00", "17:00", false),
            ("24:00", "24:30", false),
            ("09:60", "10:00", false),
            ("+9:00", "17:00", false),
            ("09:+5", "17:00", false),
            ("09:00", "17:0 ", false),
        ] {
            let days = schedule(serde_json::json!([
                {"day": "Friday", "enabled": true, "start": start, "end": end}
            ]));
            assert_eq!(days.rule().is_ok(), valid, "{start}-{end}");
        }
        let twice = schedule(serde_json::json!([
            {"day": "Friday", "enabled": false},
            {"day": "Friday", "enabled": false}
        ]));
        assert!(twice.rule().is_err());
    }

    #[test]
    fn durations_and_prices_may_be_text() {
        let entry: ServiceEntry = serde_json::from_value(serde_json::json!(
            {"name": "Cut", "duration": "45", "price": ""}
        ))
        .unwrap();
        assert_eq!(entry.duration.get(), 45);
        assert!(entry.price.is_none());
        let entry: ServiceEntry = serde_json::from_value(serde_json::json!(
            {"name": "Cut", "duration": 30, "price": "25.50"}
        ))
        .unwrap();
        assert_eq!(entry.row().price, Some(Decimal::new(2550, 2)));
        for bad in [serde_json::json!("half an hour"), serde_json::json!(30.5)] {
            let parsed = serde_json::from_value::<ServiceEntry>(
                serde_json::json!({"name": "Cut", "duration": bad}),
            );
            assert!(parsed.is_err(), "{bad}");
        }
    }
}
