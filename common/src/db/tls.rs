//! TLS to PostgreSQL with rustls: the web PKI roots (enough for RDS Proxy, whose certificates
//! come from Amazon Trust Services) plus an optional PEM bundle such as the RDS CA.

use std::sync::Arc;

use rustls::RootCertStore;
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;
use tokio_postgres_rustls::MakeRustlsConnect;

use crate::config::ConfigError;

pub fn connector(extra_roots_pem: Option<&str>) -> Result<MakeRustlsConnect, ConfigError> {
    let mut roots = RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    if let Some(path) = extra_roots_pem {
        let certs = CertificateDer::pem_file_iter(path)
            .map_err(|e| ConfigError(format!("DB_SSL_ROOT_CERT {path}: {e}")))?;
        for cert in certs {
            let cert = cert.map_err(|e| ConfigError(format!("DB_SSL_ROOT_CERT {path}: {e}")))?;
            roots
                .add(cert)
                .map_err(|e| ConfigError(format!("DB_SSL_ROOT_CERT {path}: {e}")))?;
        }
    }
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|e| ConfigError(format!("TLS setup failed: {e}")))?
    .with_root_certificates(roots)
    .with_no_client_auth();
    Ok(MakeRustlsConnect::new(config))
}
