//! Configuration, read once from the environment at start-up and validated there, so a
//! misconfigured function fails its init with a clear message instead of failing requests.

use std::str::FromStr;
use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};

/// A configuration problem, worded for the operator who has to fix the environment.
#[derive(Debug, thiserror::Error)]
#[error("configuration error: {0}")]
pub struct ConfigError(pub String);

impl From<&str> for ConfigError {
    fn from(message: &str) -> Self {
        ConfigError(message.into())
    }
}

/// Where configuration values come from: the process environment in production, a map in tests.
pub trait Source {
    fn get(&self, key: &str) -> Option<String>;
}

/// The process environment. Empty values count as unset.
pub struct Environment;

impl Source for Environment {
    fn get(&self, key: &str) -> Option<String> {
        std::env::var(key).ok().filter(|v| !v.trim().is_empty())
    }
}

impl<F: Fn(&str) -> Option<String>> Source for F {
    fn get(&self, key: &str) -> Option<String> {
        self(key)
    }
}

fn parse<T: FromStr>(src: &dyn Source, key: &str, default: T) -> Result<T, ConfigError> {
    match src.get(key) {
        None => Ok(default),
        Some(raw) => raw
            .trim()
            .parse()
            .map_err(|_| ConfigError(format!("{key}={raw:?} is not a valid value"))),
    }
}

fn parse_bool(src: &dyn Source, key: &str, default: bool) -> Result<bool, ConfigError> {
    match src.get(key).map(|v| v.trim().to_ascii_lowercase()) {
        None => Ok(default),
        Some(v) if ["1", "true", "yes", "on"].contains(&v.as_str()) => Ok(true),
        Some(v) if ["0", "false", "no", "off"].contains(&v.as_str()) => Ok(false),
        Some(v) => Err(ConfigError(format!("{key}={v:?} must be true or false"))),
    }
}

fn millis(src: &dyn Source, key: &str, default_ms: u64) -> Result<Duration, ConfigError> {
    parse(src, key, default_ms).map(Duration::from_millis)
}

/// A comma-separated list, each entry trimmed, then normalised; empty entries are dropped.
fn list(src: &dyn Source, key: &str, normalise: fn(&str) -> String) -> Vec<String> {
    let raw = src.get(key).unwrap_or_default();
    raw.split(',')
        .map(|v| normalise(v.trim()))
        .filter(|v| !v.is_empty())
        .collect()
}

/// Everything a function may need. The authorizer only reads [`AuthConfig`].
#[derive(Debug, Clone)]
pub struct Config {
    pub auth: AuthConfig,
    pub http: HttpConfig,
    pub db: DbConfig,
}

impl Config {
    pub fn from_source(src: &dyn Source) -> Result<Self, ConfigError> {
        Ok(Self {
            auth: AuthConfig::from_source(src)?,
            http: HttpConfig::from_source(src)?,
            db: DbConfig::from_source(src)?,
        })
    }
}

/// The minimum HS256 key length (RFC 7518 §3.2: a key of at least the hash output size).
pub const MIN_JWT_SECRET_BYTES: usize = 32;

#[derive(Debug, Clone)]
pub struct AuthConfig {
    pub jwt_secret: SecretString,
    /// Token and cookie lifetime.
    pub token_ttl: Duration,
    pub cookie: CookieConfig,
    pub bcrypt_cost: u32,
    pub rate_limits: RateLimits,
}

impl AuthConfig {
    pub fn from_source(src: &dyn Source) -> Result<Self, ConfigError> {
        let secret = src.get("JWT_SECRET").ok_or_else(|| {
            ConfigError(format!(
                "JWT_SECRET is required (at least {MIN_JWT_SECRET_BYTES} bytes; e.g. `openssl rand -base64 48`)"
            ))
        })?;
        if secret.len() < MIN_JWT_SECRET_BYTES {
            return Err(ConfigError(format!(
                "JWT_SECRET is {} bytes; at least {MIN_JWT_SECRET_BYTES} are required",
                secret.len()
            )));
        }
        let ttl_secs: u64 = parse(src, "JWT_TTL_SECONDS", 7 * 24 * 3600)?;
        if !(60..=365 * 24 * 3600).contains(&ttl_secs) {
            return Err("JWT_TTL_SECONDS must be between 60 and 31536000".into());
        }
        let bcrypt_cost: u32 = parse(src, "BCRYPT_COST", 12)?;
        if !(4..=31).contains(&bcrypt_cost) {
            return Err("BCRYPT_COST must be between 4 and 31".into());
        }
        Ok(Self {
            jwt_secret: SecretString::from(secret),
            token_ttl: Duration::from_secs(ttl_secs),
            cookie: CookieConfig::from_source(src)?,
            bcrypt_cost,
            rate_limits: RateLimits::from_source(src)?,
        })
    }

    pub fn jwt_secret_bytes(&self) -> &[u8] {
        self.jwt_secret.expose_secret().as_bytes()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SameSite {
    Strict,
    Lax,
    None,
}

impl SameSite {
    pub fn as_str(self) -> &'static str {
        match self {
            SameSite::Strict => "Strict",
            SameSite::Lax => "Lax",
            SameSite::None => "None",
        }
    }
}

#[derive(Debug, Clone)]
pub struct CookieConfig {
    pub secure: bool,
    pub same_site: SameSite,
    pub domain: Option<String>,
}

impl CookieConfig {
    fn from_source(src: &dyn Source) -> Result<Self, ConfigError> {
        let same_site = match src.get("COOKIE_SAMESITE").map(|v| v.to_ascii_lowercase()) {
            None => SameSite::Lax,
            Some(v) if v == "lax" => SameSite::Lax,
            Some(v) if v == "strict" => SameSite::Strict,
            Some(v) if v == "none" => SameSite::None,
            Some(v) => {
                return Err(ConfigError(format!(
                    "COOKIE_SAMESITE={v:?} must be Lax, Strict or None"
                )));
            }
        };
        let secure = parse_bool(src, "COOKIE_SECURE", true)?;
        // Browsers drop SameSite=None cookies that are not Secure.
        if same_site == SameSite::None && !secure {
            return Err("COOKIE_SAMESITE=None requires COOKIE_SECURE=true".into());
        }
        Ok(Self {
            secure,
            same_site,
            domain: src.get("COOKIE_DOMAIN"),
        })
    }
}

/// Brute-force limits for login and register (fixed windows counted in PostgreSQL).
#[derive(Debug, Clone)]
pub struct RateLimits {
    pub window: Duration,
    /// Failed logins per account (email) from one source address per window; further attempts
    /// from that address get 429 until it ends. Other addresses are not affected, so an
    /// attacker cannot lock the owner out.
    pub login_failures_per_account_address: i32,
    /// Failed logins per account from all addresses together per window: the bound on guesses
    /// spread over many addresses (ASVS 4 2.2.1: at most 100 an hour).
    pub login_failures_per_account: i32,
    /// Registrations attempted per email per window.
    pub registrations_per_email: i32,
    /// Login and register attempts per source address per window.
    pub attempts_per_address: i32,
    /// `POST /api/conversations` per source address per window (agent keys excepted).
    pub conversations_per_address: i32,
}

impl RateLimits {
    fn from_source(src: &dyn Source) -> Result<Self, ConfigError> {
        let window_secs: u64 = parse(src, "AUTH_RATE_WINDOW_SECONDS", 900)?;
        if !(1..=86_400).contains(&window_secs) {
            return Err("AUTH_RATE_WINDOW_SECONDS must be between 1 and 86400".into());
        }
        let positive = |key: &str, default: i32| -> Result<i32, ConfigError> {
            let v = parse(src, key, default)?;
            if v < 1 {
                return Err(ConfigError(format!("{key} must be at least 1")));
            }
            Ok(v)
        };
        Ok(Self {
            window: Duration::from_secs(window_secs),
            login_failures_per_account_address: positive("LOGIN_FAILURES_PER_ACCOUNT_ADDRESS", 10)?,
            login_failures_per_account: positive("LOGIN_FAILURES_PER_ACCOUNT", 100)?,
            registrations_per_email: positive("REGISTRATIONS_PER_EMAIL", 10)?,
            attempts_per_address: positive("AUTH_ATTEMPTS_PER_ADDRESS", 300)?,
            conversations_per_address: positive("CONVERSATIONS_PER_ADDRESS", 300)?,
        })
    }
}

#[derive(Debug, Clone)]
pub struct HttpConfig {
    /// Front-end origins allowed to make credentialed cross-origin calls. Writes carrying any
    /// other `Origin` are refused (CSRF defence in depth beside SameSite).
    pub allowed_origins: Vec<String>,
    /// Upper bound for a request body; conversation logs get [`HttpConfig::max_transcript_bytes`].
    pub max_body_bytes: usize,
    pub max_transcript_bytes: usize,
    /// Host names the local server answers besides localhost, 127.0.0.1 and [::1] (lower case,
    /// no port; any port matches). Other `Host`s are refused, against DNS rebinding.
    pub allowed_hosts: Vec<String>,
}

impl HttpConfig {
    /// Whether `origin` is a configured front end. An entry ending in `:*` (such as
    /// `http://localhost:*`) matches that scheme and host on any port.
    pub fn allows_origin(&self, origin: &str) -> bool {
        self.allowed_origins
            .iter()
            .any(|allowed| match allowed.strip_suffix(":*") {
                None => allowed == origin,
                Some(base) => origin
                    .strip_prefix(base)
                    .and_then(|rest| rest.strip_prefix(':'))
                    .is_some_and(|port| {
                        !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit())
                    }),
            })
    }

    fn from_source(src: &dyn Source) -> Result<Self, ConfigError> {
        let allowed_origins = list(src, "ALLOWED_ORIGINS", |o| o.trim_end_matches('/').into());
        let allowed_hosts = list(src, "ALLOWED_HOSTS", str::to_ascii_lowercase);
        for h in &allowed_hosts {
            let with_port = match h.starts_with('[') {
                true => !h.ends_with(']'),
                false => h.contains(':'),
            };
            if with_port {
                return Err(ConfigError(format!(
                    "ALLOWED_HOSTS takes host names without a port (any port matches): {h:?}"
                )));
            }
        }
        Ok(Self {
            allowed_origins,
            allowed_hosts,
            max_body_bytes: parse(src, "MAX_BODY_BYTES", 64 * 1024)?,
            max_transcript_bytes: parse(src, "MAX_TRANSCRIPT_BYTES", 1024 * 1024)?,
        })
    }
}

/// How the functions authenticate to PostgreSQL.
#[derive(Debug, Clone)]
pub enum DbAuth {
    /// A password in the connection settings (or none, for trust/peer setups).
    Password,
    /// A fresh RDS IAM auth token for every new connection (tokens live 15 minutes).
    Iam { region: String },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TlsMode {
    Disable,
    /// Use TLS when the server offers it.
    Prefer,
    /// TLS required, certificate verified against the trusted roots.
    VerifyFull,
}

#[derive(Debug, Clone)]
pub struct DbConfig {
    pub pg: tokio_postgres::Config,
    pub auth: DbAuth,
    pub tls: TlsMode,
    /// Extra PEM roots (e.g. the RDS CA bundle) on top of the built-in web roots.
    pub ca_file: Option<String>,
    pub pool_size: usize,
    pub connect_timeout: Duration,
    /// How long a request waits for a pooled connection before answering 503.
    pub pool_wait_timeout: Duration,
    /// Set as `statement_timeout` on each new connection; 0 leaves the server's (or the role's)
    /// setting and saves that round trip.
    pub statement_timeout: Duration,
}

impl DbConfig {
    pub fn from_source(src: &dyn Source) -> Result<Self, ConfigError> {
        let iam = match src.get("DB_AUTH").map(|v| v.to_ascii_lowercase()) {
            None => false,
            Some(v) if v == "password" => false,
            Some(v) if v == "iam" => true,
            Some(v) => {
                return Err(ConfigError(format!(
                    "DB_AUTH={v:?} must be `password` or `iam`"
                )));
            }
        };
        let mut pg = match src.get("DATABASE_URL") {
            Some(url) => tokio_postgres::Config::from_str(&url)
                .map_err(|_| "DATABASE_URL is not a valid PostgreSQL URL")?,
            None => {
                let host = src
                    .get("DB_HOST")
                    .ok_or("set DATABASE_URL, or DB_HOST, DB_NAME and DB_USER")?;
                let required = |key: &str| {
                    src.get(key)
                        .ok_or_else(|| ConfigError(format!("{key} is required")))
                };
                let mut pg = tokio_postgres::Config::new();
                pg.host(&host)
                    .port(parse(src, "DB_PORT", 5432u16)?)
                    .dbname(&required("DB_NAME")?)
                    .user(&required("DB_USER")?);
                if let Some(password) = src.get("DB_PASSWORD") {
                    pg.password(password);
                }
                pg
            }
        };
        let auth = if iam {
            let region = src
                .get("DB_REGION")
                .or_else(|| src.get("AWS_REGION"))
                .ok_or("DB_AUTH=iam needs AWS_REGION or DB_REGION")?;
            if pg.get_user().is_none() || pg.get_hosts().is_empty() {
                return Err("DB_AUTH=iam needs a database host and user".into());
            }
            DbAuth::Iam { region }
        } else {
            DbAuth::Password
        };
        let tls = match src.get("DB_SSLMODE").map(|v| v.to_ascii_lowercase()) {
            None if iam => TlsMode::VerifyFull,
            None => TlsMode::Prefer,
            Some(v) if v == "disable" => TlsMode::Disable,
            Some(v) if v == "prefer" => TlsMode::Prefer,
            Some(v) if v == "verify-full" || v == "require" => TlsMode::VerifyFull,
            Some(v) => {
                return Err(ConfigError(format!(
                    "DB_SSLMODE={v:?} must be disable, prefer or verify-full"
                )));
            }
        };
        // IAM tokens travel as the password: never send them in clear text.
        if iam && tls != TlsMode::VerifyFull {
            return Err("DB_AUTH=iam requires DB_SSLMODE=verify-full".into());
        }
        let pool_size: usize = parse(src, "DB_POOL_SIZE", 2)?;
        if pool_size == 0 {
            return Err("DB_POOL_SIZE must be at least 1".into());
        }
        pg.application_name("booking-api");
        Ok(Self {
            pg,
            auth,
            tls,
            ca_file: src.get("DB_SSL_ROOT_CERT"),
            pool_size,
            connect_timeout: millis(src, "DB_CONNECT_TIMEOUT_MS", 3000)?,
            pool_wait_timeout: millis(src, "DB_POOL_WAIT_TIMEOUT_MS", 2000)?,
            statement_timeout: millis(src, "DB_STATEMENT_TIMEOUT_MS", 5000)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn source(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k: &str| map.get(k).cloned()
    }

    const SECRET: &str = "0123456789abcdef0123456789abcdef";

    #[test]
    fn missing_jwt_secret_is_refused_with_a_clear_message() {
        let err = AuthConfig::from_source(&source(&[])).unwrap_err();
        assert!(err.to_string().contains("JWT_SECRET is required"), "{err}");
    }

    #[test]
    fn short_jwt_secret_is_refused() {
        let err = AuthConfig::from_source(&source(&[("JWT_SECRET", "too-short")])).unwrap_err();
        assert!(err.to_string().contains("at least 32"), "{err}");
    }

    #[test]
    fn defaults_follow_the_contract() {
        let auth = AuthConfig::from_source(&source(&[("JWT_SECRET", SECRET)])).unwrap();
        assert_eq!(auth.token_ttl, Duration::from_secs(604_800));
        assert_eq!(auth.bcrypt_cost, 12);
        assert!(auth.cookie.secure);
        assert_eq!(auth.cookie.same_site, SameSite::Lax);
        assert_eq!(auth.rate_limits.conversations_per_address, 300);
    }

    #[test]
    fn same_site_none_requires_secure() {
        let err = AuthConfig::from_source(&source(&[
            ("JWT_SECRET", SECRET),
            ("COOKIE_SAMESITE", "None"),
            ("COOKIE_SECURE", "false"),
        ]))
        .unwrap_err();
        assert!(err.to_string().contains("COOKIE_SECURE"), "{err}");
    }

    #[test]
    fn database_can_be_given_as_parts() {
        let db = DbConfig::from_source(&source(&[
            ("DB_HOST", "db.example"),
            ("DB_NAME", "booking"),
            ("DB_USER", "app"),
        ]))
        .unwrap();
        assert_eq!(db.pg.get_dbname(), Some("booking"));
        assert_eq!(db.pg.get_ports(), &[5432]);
        assert!(matches!(db.auth, DbAuth::Password));
    }

    #[test]
    fn pools_are_never_empty() {
        let url = ("DATABASE_URL", "postgres://app@db.example/booking");
        let db = DbConfig::from_source(&source(&[url])).unwrap();
        assert_eq!(db.pool_size, 2);
        let err = DbConfig::from_source(&source(&[url, ("DB_POOL_SIZE", "0")])).unwrap_err();
        assert!(err.to_string().contains("DB_POOL_SIZE"), "{err}");
    }

    #[test]
    fn iam_auth_needs_a_region_and_verified_tls() {
        let base = [
            ("DB_HOST", "db.example"),
            ("DB_NAME", "booking"),
            ("DB_USER", "app"),
            ("DB_AUTH", "iam"),
        ];
        let err = DbConfig::from_source(&source(&base)).unwrap_err();
        assert!(err.to_string().contains("AWS_REGION"), "{err}");

        let mut with_region = base.to_vec();
        with_region.push(("AWS_REGION", "eu-west-1"));
        let db = DbConfig::from_source(&source(&with_region)).unwrap();
        assert_eq!(db.tls, TlsMode::VerifyFull);

        with_region.push(("DB_SSLMODE", "disable"));
        assert!(DbConfig::from_source(&source(&with_region)).is_err());
    }

    #[test]
    fn allowed_hosts_are_host_names_without_ports() {
        let http =
            HttpConfig::from_source(&source(&[("ALLOWED_HOSTS", " API.example.com , [::2],,")]))
                .unwrap();
        assert_eq!(http.allowed_hosts, ["api.example.com", "[::2]"]);
        assert!(
            HttpConfig::from_source(&source(&[]))
                .unwrap()
                .allowed_hosts
                .is_empty()
        );
        for bad in ["api.example.com:8080", "[::2]:80"] {
            let err = HttpConfig::from_source(&source(&[("ALLOWED_HOSTS", bad)])).unwrap_err();
            assert!(err.to_string().contains("without a port"), "{bad}: {err}");
        }
    }

    #[test]
    fn no_database_settings_is_an_error() {
        let err = DbConfig::from_source(&source(&[])).unwrap_err();
        assert!(err.to_string().contains("DATABASE_URL"), "{err}");
    }
}
