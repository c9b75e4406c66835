//! Agent keys: what a project's voice agent calls with (`Authorization: Bearer vak_...`). A key
//! is 256 random bits in hex behind a fixed prefix, so the authorizer tells it from a JWT (which
//! starts `eyJ`) without a database call. Only its SHA-256 is stored and looked up.

use sha2::{Digest, Sha256};

pub const PREFIX: &str = "vak_";

/// The only routes an agent key reaches (method, route as the routers declare it); every
/// other route answers 401 to it (`common::lambda::app`).
pub const ROUTES: [(&str, &str); 3] = [
    ("GET", "/api/projects/{id}/availability"),
    ("POST", "/api/projects/{id}/bookings"),
    ("POST", "/api/conversations"),
];

/// The hash of a key a request presented, well-formed but not yet checked against the database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AgentKey([u8; 32]);

impl AgentKey {
    /// A new key: the text to show once, and what to store.
    pub fn generate() -> Result<(String, Self), getrandom::Error> {
        let mut bits = [0u8; 32];
        getrandom::fill(&mut bits)?;
        let key = format!("{PREFIX}{}", to_hex(&bits));
        let hash = Self::hash(&key);
        Ok((key, hash))
    }

    /// `None` when `token` is not meant as an agent key (no prefix). Any prefixed token is a
    /// claim to be one: a truncated or made-up key hashes to a value no key has, and the
    /// database refuses it like a revoked one.
    pub fn of_token(token: &str) -> Option<Self> {
        token.starts_with(PREFIX).then(|| Self::hash(token))
    }

    fn hash(key: &str) -> Self {
        Self(Sha256::digest(key.as_bytes()).into())
    }

    pub fn digest(&self) -> &[u8] {
        &self.0
    }

    /// As the authorizer hands it on.
    pub fn to_hex(self) -> String {
        to_hex(&self.0)
    }

    pub fn from_hex(hex: &str) -> Option<Self> {
        if hex.len() != 2 * 32 {
            return None;
        }
        let mut out = [0u8; 32];
        for (i, byte) in out.iter_mut().enumerate() {
            *byte = u8::from_str_radix(hex.get(2 * i..2 * i + 2)?, 16).ok()?;
        }
        Some(Self(out))
    }
}

fn to_hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes
        .iter()
        .fold(String::with_capacity(2 * bytes.len()), |mut hex, b| {
            let _ = write!(hex, "{b:02x}");
            hex
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_keys_verify_and_differ() {
        let (key, hash) = AgentKey::generate().unwrap();
        let (other, _) = AgentKey::generate().unwrap();
        assert_ne!(key, other);
        assert_eq!(key.len(), PREFIX.len() + 64);
        assert_eq!(AgentKey::of_token(&key), Some(hash));
        assert_eq!(AgentKey::from_hex(&hash.to_hex()), Some(hash));
    }

    #[test]
    fn only_prefixed_tokens_claim_to_be_keys() {
        let (key, hash) = AgentKey::generate().unwrap();
        assert_eq!(AgentKey::of_token("eyJhbGciOiJIUzI1NiJ9.e30.sig"), None);
        let truncated = AgentKey::of_token(&key[..key.len() - 1]);
        assert!(truncated.is_some_and(|t| t != hash));
        assert_eq!(AgentKey::from_hex("zz"), None);
    }
}
