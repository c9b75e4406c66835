//! Session tokens: HS256 only, `exp` and `iat` required, `nbf` honoured, a session id for
//! revocation. Verification never panics and never says why a token failed beyond "invalid".

use std::time::Duration;

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::Role;
use crate::config::AuthConfig;

/// Tokens longer than this are refused unread: ours are about 300 bytes.
pub const MAX_TOKEN_BYTES: usize = 4096;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Claims {
    pub user_id: Uuid,
    pub email: String,
    pub role: Role,
    /// The server-side session this token belongs to; logout revokes it.
    pub sid: Uuid,
    pub iat: u64,
    pub exp: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    #[error("token is invalid or expired")]
    Invalid,
    #[error("token could not be signed")]
    Signing(#[source] jsonwebtoken::errors::Error),
}

/// Signing and verification keys, built once at start-up.
#[derive(Clone)]
pub struct JwtKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    ttl: Duration,
}

impl std::fmt::Debug for JwtKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JwtKeys")
            .field("ttl", &self.ttl)
            .finish_non_exhaustive()
    }
}

impl JwtKeys {
    pub fn new(config: &AuthConfig) -> Self {
        super::hmac_provider::install();
        let secret = config.jwt_secret_bytes();
        // Pinned to HS256: a token whose header names any other algorithm (none, HS512,
        // RS256...) fails before its signature is even looked at.
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_required_spec_claims(&["exp"]);
        validation.validate_exp = true;
        validation.validate_nbf = true;
        // Tokens come from our own NTP-synced hosts: a few seconds of skew, not the default 60.
        validation.leeway = 5;
        Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
            ttl: config.token_ttl,
        }
    }

    pub fn ttl(&self) -> Duration {
        self.ttl
    }

    /// Claims for a new session of `user_id`, valid from now for the configured lifetime.
    pub fn claims_for(&self, user_id: Uuid, email: &str, role: Role, sid: Uuid) -> Claims {
        let iat = jsonwebtoken::get_current_timestamp();
        Claims {
            user_id,
            email: email.to_string(),
            role,
            sid,
            iat,
            exp: iat + self.ttl.as_secs(),
        }
    }

    pub fn sign(&self, claims: &Claims) -> Result<String, TokenError> {
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), claims, &self.encoding)
            .map_err(TokenError::Signing)
    }

    pub fn verify(&self, token: &str) -> Result<Claims, TokenError> {
        if token.is_empty() || token.len() > MAX_TOKEN_BYTES {
            return Err(TokenError::Invalid);
        }
        jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)
            .map(|data| data.claims)
            .map_err(|_| TokenError::Invalid)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::AuthConfig;
    use base64::Engine;
    use serde_json::json;

    const SECRET: &str = "0123456789abcdef0123456789abcdef-test";

    fn keys() -> JwtKeys {
        let cfg =
            AuthConfig::from_source(&|k: &str| (k == "JWT_SECRET").then(|| SECRET.to_string()))
                .unwrap();
        JwtKeys::new(&cfg)
    }

    fn b64(bytes: &[u8]) -> String {
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    }

    /// Builds a token by hand: HS256/HS512 are really signed with `secret`, any other
    /// algorithm gets a junk signature.
    fn forge(header: serde_json::Value, claims: serde_json::Value, secret: &[u8]) -> String {
        super::super::hmac_provider::install();
        let alg = match header["alg"].as_str() {
            Some("HS256") => Some(Algorithm::HS256),
            Some("HS512") => Some(Algorithm::HS512),
            _ => None,
        };
        match alg {
            Some(alg) => jsonwebtoken::encode(
                &Header::new(alg),
                &claims,
                &EncodingKey::from_secret(secret),
            )
            .unwrap(),
            None => format!(
                "{}.{}.{}",
                b64(header.to_string().as_bytes()),
                b64(claims.to_string().as_bytes()),
                b64(b"junk")
            ),
        }
    }

    fn valid_claims() -> serde_json::Value {
        let now = jsonwebtoken::get_current_timestamp();
        json!({"userId": Uuid::new_v4(), "email": "a@b.c", "role": "USER",
               "sid": Uuid::new_v4(), "iat": now, "exp": now + 3600})
    }

    #[test]
    fn signed_tokens_verify() {
        let keys = keys();
        let claims = keys.claims_for(Uuid::new_v4(), "a@b.c", Role::Admin, Uuid::new_v4());
        let token = keys.sign(&claims).unwrap();
        assert_eq!(keys.verify(&token).unwrap(), claims);
    }

    #[test]
    fn hand_built_valid_token_verifies() {
        // Guards the hostile cases below: they fail for their own reason, not the builder's.
        let token = forge(
            json!({"alg": "HS256", "typ": "JWT"}),
            valid_claims(),
            SECRET.as_bytes(),
        );
        assert!(keys().verify(&token).is_ok());
    }

    #[test]
    fn hostile_tokens_are_refused() {
        let keys = keys();
        let now = jsonwebtoken::get_current_timestamp();
        let mut expired = valid_claims();
        expired["exp"] = json!(now - 3600);
        let mut not_yet = valid_claims();
        not_yet["nbf"] = json!(now + 3600);
        let mut no_exp = valid_claims();
        no_exp.as_object_mut().unwrap().remove("exp");
        let mut bad_role = valid_claims();
        bad_role["role"] = json!("ROOT");
        let hs256 = json!({"alg": "HS256", "typ": "JWT"});
        let signed = |claims| forge(hs256.clone(), claims, SECRET.as_bytes());
        let good = signed(valid_claims());
        let (head, rest) = good.split_once('.').unwrap();
        let sig = rest.split_once('.').unwrap().1;
        let mut admin = valid_claims();
        admin["role"] = json!("ADMIN");
        let tampered = format!("{head}.{}.{sig}", b64(admin.to_string().as_bytes()));
        let cases = [
            (
                "alg none",
                forge(json!({"alg": "none"}), valid_claims(), b""),
            ),
            (
                "HS512",
                forge(json!({"alg": "HS512"}), valid_claims(), SECRET.as_bytes()),
            ),
            (
                "RS256 header",
                forge(json!({"alg": "RS256"}), valid_claims(), b""),
            ),
            (
                "wrong secret",
                forge(
                    hs256.clone(),
                    valid_claims(),
                    b"another-secret-of-32-bytes-or-more!!",
                ),
            ),
            ("expired", signed(expired)),
            ("nbf in future", signed(not_yet)),
            ("missing exp", signed(no_exp)),
            ("unknown role", signed(bad_role)),
            ("tampered payload", tampered),
            ("malformed base64", "@@@.###.$$$".to_string()),
            ("two parts", "abc.def".to_string()),
            ("empty", String::new()),
            ("20 KB", "a".repeat(20 * 1024)),
        ];
        for (case, token) in cases {
            assert!(keys.verify(&token).is_err(), "{case} must be refused");
        }
    }
}
