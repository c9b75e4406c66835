//! Password hashing with bcrypt, off the async threads, with the same work done whether or not
//! the account exists.

use secrecy::{ExposeSecret, SecretString};

use crate::error::ApiError;

/// A valid cost-12 hash of a random password nobody knows. Verifying against it costs exactly
/// what verifying a real cost-12 hash costs, so an unknown email takes as long as a known one.
const DUMMY_HASH_COST_12: &str = "$2b$12$C7xOpIsgxbW8Zqf6kRZoFezdhuq4VzIdSyejZuYLgT3r5hjH1N00O";

#[derive(Debug, Clone)]
pub struct Passwords {
    cost: u32,
    dummy_hash: String,
}

impl Passwords {
    /// For a cost other than 12 (tests use 4) the dummy hash is made here, once.
    pub fn new(cost: u32) -> Result<Self, bcrypt::BcryptError> {
        let dummy_hash = if cost == 12 {
            DUMMY_HASH_COST_12.to_string()
        } else {
            bcrypt::hash(uuid::Uuid::new_v4().as_bytes(), cost)?
        };
        Ok(Self { cost, dummy_hash })
    }

    /// Hashes a password the validation layer already bounded to 71 bytes.
    pub async fn hash(&self, password: SecretString) -> Result<String, ApiError> {
        let cost = self.cost;
        tokio::task::spawn_blocking(move || {
            bcrypt::non_truncating_hash(password.expose_secret(), cost)
        })
        .await
        .map_err(ApiError::internal)?
        .map_err(ApiError::internal)
    }

    /// Checks `password` against `stored`, or against the dummy hash when there is no account,
    /// in which case the answer is always `false`. Unreadable hashes count as a mismatch.
    pub async fn verify(&self, password: SecretString, stored: Option<String>) -> bool {
        let known = stored.is_some();
        let hash = stored.unwrap_or_else(|| self.dummy_hash.clone());
        let outcome = tokio::task::spawn_blocking(move || {
            // Hashes made by the previous system with bcryptjs ($2a$/$2b$) verify here too.
            bcrypt::non_truncating_verify(password.expose_secret(), &hash)
        })
        .await;
        match outcome {
            Ok(Ok(matched)) => known && matched,
            Ok(Err(err)) => {
                // Too long a password, or a corrupt stored hash: never a match, never a panic.
                tracing::debug!(error = %err, "password check failed");
                false
            }
            Err(err) => {
                tracing::error!(error = %err, "password check task failed");
                false
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secret(s: &str) -> SecretString {
        SecretString::from(s.to_string())
    }

    #[test]
    fn dummy_hash_is_a_real_cost_12_hash() {
        let parts: bcrypt::HashParts = DUMMY_HASH_COST_12.parse().unwrap();
        assert_eq!(parts.get_cost(), 12);
    }

    #[tokio::test]
    async fn hash_then_verify() {
        let pw = Passwords::new(4).unwrap();
        let hash = pw.hash(secret("correct horse")).await.unwrap();
        assert!(pw.verify(secret("correct horse"), Some(hash.clone())).await);
        assert!(!pw.verify(secret("wrong horse"), Some(hash)).await);
    }

    #[tokio::test]
    async fn unknown_account_never_matches() {
        let pw = Passwords::new(4).unwrap();
        assert!(!pw.verify(secret("anything"), None).await);
    }

    #[tokio::test]
    async fn hashes_from_the_previous_system_verify() {
        // bcryptjs writes $2a$ and $2b$ prefixes; both must keep working after the migration.
        let pw = Passwords::new(4).unwrap();
        let b = bcrypt::hash_with_result("password123", 4).unwrap();
        for version in [bcrypt::Version::TwoA, bcrypt::Version::TwoB] {
            let stored = b.format_for_version(version);
            assert!(pw.verify(secret("password123"), Some(stored)).await);
        }
    }

    #[tokio::test]
    async fn corrupt_hashes_and_long_passwords_are_mismatches() {
        let pw = Passwords::new(4).unwrap();
        assert!(!pw.verify(secret("x"), Some("$2b$04$é".into())).await);
        assert!(!pw.verify(secret("x"), Some("not a hash".into())).await);
        let hash = pw.hash(secret("short")).await.unwrap();
        assert!(!pw.verify(secret(&"a".repeat(100)), Some(hash)).await);
    }
}
