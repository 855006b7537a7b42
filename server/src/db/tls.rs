//! TLS as a client, for PostgreSQL and for OAuth2 token endpoints alike: rustls with the ring
//! provider (it builds from crates.io alone, no C toolchain), trusting the system's
//! certificates and any given besides.

use std::sync::Arc;

use rustls::pki_types::CertificateDer;
use rustls::{ClientConfig, RootCertStore};

/// A client configuration that verifies servers against the system's trust store and `extra`.
pub fn client_config(extra: Vec<CertificateDer<'static>>) -> Result<ClientConfig, String> {
    let mut roots = RootCertStore::empty();
    for cert in rustls_native_certs::load_native_certs().certs {
        // A broken system certificate is not ours to refuse the start over.
        let _ = roots.add(cert);
    }
    for cert in extra {
        roots.add(cert).map_err(|e| format!("certificate: {e}"))?;
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    Ok(ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS: {e}"))?
        .with_root_certificates(roots)
        .with_no_client_auth())
}
