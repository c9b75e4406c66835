//! RDS IAM authentication: a signed token serves as the password of each new connection.
//! Tokens are valid for 15 minutes, so one is reused for 10 and then replaced; connections
//! already open stay valid (the token is only checked at login).

use std::time::{Duration, Instant};

use aws_credential_types::Credentials;
use aws_credential_types::provider::error::CredentialsError;
use aws_credential_types::provider::{ProvideCredentials, SharedCredentialsProvider, future};
use aws_sdk_rds::auth_token::{AuthTokenGenerator, Config as TokenConfig};
use aws_smithy_async::time::SystemTimeSource;
use aws_types::SdkConfig;
use aws_types::region::Region;
use secrecy::SecretString;
use tokio::sync::Mutex;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

const REUSE_FOR: Duration = Duration::from_secs(10 * 60);

pub struct IamTokens {
    generator: AuthTokenGenerator,
    // The signer reads only the clock from here; credentials and region are its own settings.
    clock: SdkConfig,
    current: Mutex<Option<(SecretString, Instant)>>,
}

/// The function's own credentials, which Lambda passes as environment variables. Read at each
/// signing, as aws-config's provider of the same name does; aws-config itself is not linked,
/// because its default chain brings an STS client into every function for nothing.
#[derive(Debug)]
struct EnvironmentCredentials;

impl EnvironmentCredentials {
    fn read() -> Result<Credentials, CredentialsError> {
        let var = |key: &str| {
            std::env::var(key)
                .ok()
                .filter(|v| !v.is_empty())
                .ok_or_else(|| CredentialsError::not_loaded(format!("{key} is not set")))
        };
        Ok(Credentials::new(
            var("AWS_ACCESS_KEY_ID")?,
            var("AWS_SECRET_ACCESS_KEY")?,
            var("AWS_SESSION_TOKEN").ok(),
            None,
            "environment",
        ))
    }
}

impl ProvideCredentials for EnvironmentCredentials {
    fn provide_credentials<'a>(&'a self) -> future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        future::ProvideCredentials::ready(Self::read())
    }
}

impl IamTokens {
    /// Signs with the function's own credentials (Lambda passes them as environment variables).
    pub fn new(host: &str, port: u16, user: &str, region: &str) -> Result<Self, BoxError> {
        Self::with_credentials(
            host,
            port,
            user,
            region,
            SharedCredentialsProvider::new(EnvironmentCredentials),
        )
    }

    pub fn with_credentials(
        host: &str,
        port: u16,
        user: &str,
        region: &str,
        credentials: SharedCredentialsProvider,
    ) -> Result<Self, BoxError> {
        let config = TokenConfig::builder()
            .hostname(host)
            .port(u64::from(port))
            .username(user)
            .region(Region::new(region.to_string()))
            .credentials(credentials)
            .build()?;
        Ok(Self {
            generator: AuthTokenGenerator::new(config),
            clock: SdkConfig::builder()
                .time_source(SystemTimeSource::new())
                .build(),
            current: Mutex::new(None),
        })
    }

    /// A token that stays valid for at least five more minutes.
    pub async fn token(&self) -> Result<SecretString, BoxError> {
        let mut current = self.current.lock().await;
        if let Some((token, made)) = current.as_ref()
            && made.elapsed() < REUSE_FOR
        {
            return Ok(token.clone());
        }
        let token = SecretString::from(self.generator.auth_token(&self.clock).await?.to_string());
        *current = Some((token.clone(), Instant::now()));
        Ok(token)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_credential_types::Credentials;
    use secrecy::ExposeSecret;

    #[tokio::test]
    async fn tokens_are_signed_rds_connect_urls_and_reused() {
        let creds = Credentials::new(
            "AKIDEXAMPLE",
            "secret",
            Some("session".into()),
            None,
            "test",
        );
        let tokens = IamTokens::with_credentials(
            "db.example.eu-west-1.rds.amazonaws.com",
            5432,
            "app",
            "eu-west-1",
            SharedCredentialsProvider::new(creds),
        )
        .unwrap();
        let first = tokens.token().await.unwrap();
        let text = first.expose_secret();
        assert!(
            text.starts_with(
                "db.example.eu-west-1.rds.amazonaws.com:5432/?Action=connect&DBUser=app"
            ),
            "{text}"
        );
        assert!(text.contains("X-Amz-Signature="), "{text}");
        assert!(text.contains("X-Amz-Expires=900"), "{text}");
        assert!(
            text.contains("%2Feu-west-1%2Frds-db%2Faws4_request"),
            "{text}"
        );
        let second = tokens.token().await.unwrap();
        assert_eq!(second.expose_secret(), text, "a fresh token is reused");
    }
}
