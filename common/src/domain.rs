//! What people type into the API's forms, each value owning its trimming and its rule, so a
//! rule is written once. They deserialize as the text sent; `#[validate(custom(function =
//! Text::rule))]` (and the like) checks them with the body's other rules, and `as_str` is the
//! trimmed value a handler stores.

use serde::{Deserialize, Serialize};
use validator::{ValidateEmail, ValidationError};

use crate::validation::error;

/// A value typed as text.
pub trait Text {
    /// The text as sent.
    fn raw(&self) -> &str;

    /// Whether the value keeps its rule; the error names the rule broken.
    fn rule(&self) -> Result<(), ValidationError>;

    /// The value as stored: without surrounding whitespace.
    fn as_str(&self) -> &str {
        self.raw().trim()
    }
}

/// `validator` hands an `Option`'s value to the rule by reference.
impl<T: Text> Text for &T {
    fn raw(&self) -> &str {
        (**self).raw()
    }

    fn rule(&self) -> Result<(), ValidationError> {
        (**self).rule()
    }
}

/// The rule of an optional field: an absent one keeps it (for `#[validate(custom)]` on a
/// [`crate::body::Patch`], whose `null` clears the field).
pub fn patch_rule<T: Text>(patch: &crate::body::Patch<T>) -> Result<(), ValidationError> {
    patch.as_value().map_or(Ok(()), T::rule)
}

/// A text type: its doc, its name, and its rule over the trimmed text.
macro_rules! trimmed_text {
    ($(#[$doc:meta])* $name:ident, |$text:ident| $rule:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl Text for $name {
            fn raw(&self) -> &str {
                &self.0
            }

            fn rule(&self) -> Result<(), ValidationError> {
                let $text = self.as_str();
                $rule
            }
        }
    };
}

trimmed_text!(
    /// An email address: a valid one of at most 254 characters.
    Email,
    |email| {
        if !email.validate_email() {
            return Err(error("email", "Invalid email address"));
        }
        if email.len() > 254 {
            return Err(error("length", "Email must be at most 254 characters"));
        }
        Ok(())
    }
);
trimmed_text!(
    /// A display name: 2 to 100 characters.
    PersonName,
    |name| match name.chars().count() {
        ..2 => Err(error(
            "name_too_short",
            "Name must be at least 2 characters",
        )),
        101.. => Err(error(
            "name_too_long",
            "Name must be at most 100 characters",
        )),
        _ => Ok(()),
    }
);
trimmed_text!(
    /// A phone number as people type it: digits with optional `+`, spaces, dots, dashes and
    /// parentheses; at most 32 characters with at least 3 digits.
    Phone,
    |p| {
        let allowed = p
            .chars()
            .all(|c| c.is_ascii_digit() || " +-().".contains(c));
        let digits = p.chars().filter(char::is_ascii_digit).count();
        if !allowed || digits < 3 || p.len() > 32 {
            return Err(error("phone", "Invalid phone number"));
        }
        Ok(())
    }
);
trimmed_text!(
    /// A short required label (an agent's name, a business's industry): 1 to 200 characters.
    Label,
    |label| match label.chars().count() {
        0 => Err(error("required", "Must not be empty")),
        201.. => Err(error("length", "Must be at most 200 characters")),
        _ => Ok(()),
    }
);

/// A length of time in whole minutes: 1 to 1440 (a day), for bookings and services alike.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Minutes(i32);

impl Minutes {
    pub fn get(self) -> i32 {
        self.0
    }

    pub fn rule(&self) -> Result<(), ValidationError> {
        if (1..=1440).contains(&self.0) {
            return Ok(());
        }
        Err(error(
            "range",
            "Duration must be between 1 and 1440 minutes",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text<T: for<'de> Deserialize<'de>>(raw: &str) -> T {
        serde_json::from_value(serde_json::Value::from(raw)).unwrap()
    }

    #[test]
    fn each_value_trims_itself_and_keeps_its_rule() {
        assert!(text::<PersonName>(" A ").rule().is_err());
        assert!(text::<PersonName>("Al").rule().is_ok());
        assert!(text::<PersonName>("名前").rule().is_ok());
        assert_eq!(text::<PersonName>("  Ann ").as_str(), "Ann");
        assert!(text::<Phone>("+1 (555) 123-4567").rule().is_ok());
        assert!(text::<Phone>("call me").rule().is_err());
        assert!(text::<Phone>("12").rule().is_err());
        assert!(text::<Email>(" ann@example.com ").rule().is_ok());
        assert_eq!(
            text::<Email>(" ann@example.com ").as_str(),
            "ann@example.com"
        );
        assert!(text::<Email>("ann").rule().is_err());
        let long = format!("{}@example.com", "a".repeat(250));
        assert!(text::<Email>(&long).rule().is_err());
    }

    #[test]
    fn durations_are_a_minute_to_a_day() {
        for (minutes, ok) in [
            (0, false),
            (1, true),
            (1440, true),
            (1441, false),
            (-5, false),
        ] {
            assert_eq!(Minutes(minutes).rule().is_ok(), ok, "{minutes}");
        }
    }
}
