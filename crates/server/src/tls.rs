//! TLS termination for `serve`: a rustls server configuration (ring) read from PEM certificate and key
//! files, and a listener that hands the API only connections whose handshake completed.

use axum::serve::Listener;
pub use rustls::ServerConfig;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::server::TlsStream;

/// Time a client has to complete its TLS handshake.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// Completed handshakes waiting for the server to take them.
const READY_QUEUE: usize = 128;

/// Why the TLS configuration could not be built; each names the configuration key and the file.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("{key}: cannot read {path}: {reason}")]
    Read { key: &'static str, path: String, reason: String },
    #[error("{key}: {path} is not a PEM file of the expected kind: {reason}")]
    Pem { key: &'static str, path: String, reason: String },
    #[error("server.tls_cert: {path} holds no certificate")]
    NoCertificate { path: String },
    #[error("server.tls_key: {key_path} cannot be used with server.tls_cert {cert_path}: {reason}")]
    Unusable { cert_path: String, key_path: String, reason: String },
}

/// Makes ring the process's default rustls crypto provider (two providers may be compiled in, and rustls
/// then refuses to pick one). Call once at start; later calls do nothing.
pub fn install_crypto_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// The rustls server configuration from a PEM certificate chain (leaf first) and a PEM private key.
pub fn server_config(cert_path: &Path, key_path: &Path) -> Result<Arc<ServerConfig>, TlsError> {
    let shown = |p: &Path| p.display().to_string();
    let read = |key: &'static str, path: &Path| {
        std::fs::read(path).map_err(|e| TlsError::Read { key, path: shown(path), reason: e.to_string() })
    };
    let cert_pem = read("server.tls_cert", cert_path)?;
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(&cert_pem)
        .collect::<Result<_, _>>()
        .map_err(|e| TlsError::Pem { key: "server.tls_cert", path: shown(cert_path), reason: e.to_string() })?;
    if certs.is_empty() {
        return Err(TlsError::NoCertificate { path: shown(cert_path) });
    }
    let key_pem = read("server.tls_key", key_path)?;
    // The key's bytes are never part of an error: only what kind of problem there was.
    let key = PrivateKeyDer::from_pem_slice(&key_pem).map_err(|e| TlsError::Pem {
        key: "server.tls_key",
        path: shown(key_path),
        reason: pem_reason(&e),
    })?;
    let unusable =
        |reason: String| TlsError::Unusable { cert_path: shown(cert_path), key_path: shown(key_path), reason };
    let mut config = ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .map_err(|e| unusable(e.to_string()))?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| unusable(e.to_string()))?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

fn pem_reason(error: &rustls::pki_types::pem::Error) -> String {
    use rustls::pki_types::pem::Error;
    match error {
        Error::NoItemsFound => "no private key found (PKCS#8, PKCS#1 or SEC1 PEM expected)".into(),
        Error::Io(e) => e.to_string(),
        _ => "the PEM text is malformed".into(),
    }
}

/// A TCP listener that completes each TLS handshake in its own task (a slow client holds up no one) and
/// yields only established TLS connections; failed handshakes are logged at debug level and dropped.
pub struct TlsListener {
    local: SocketAddr,
    ready: mpsc::Receiver<(TlsStream<TcpStream>, SocketAddr)>,
    accepting: tokio::task::JoinHandle<()>,
}

impl TlsListener {
    pub fn new(listener: TcpListener, config: Arc<ServerConfig>) -> std::io::Result<Self> {
        let local = listener.local_addr()?;
        let acceptor = TlsAcceptor::from(config);
        let (tx, ready) = mpsc::channel(READY_QUEUE);
        let accepting = tokio::spawn(async move {
            loop {
                let (tcp, peer) = match listener.accept().await {
                    Ok(accepted) => accepted,
                    Err(error) => {
                        tracing::warn!(%error, "accepting a connection failed");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                if tx.is_closed() {
                    return;
                }
                let (acceptor, tx) = (acceptor.clone(), tx.clone());
                tokio::spawn(async move {
                    match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(tcp)).await {
                        Ok(Ok(stream)) => {
                            let _ = tx.send((stream, peer)).await;
                        }
                        Ok(Err(error)) => tracing::debug!(%peer, %error, "TLS handshake failed"),
                        Err(_) => tracing::debug!(%peer, "TLS handshake timed out"),
                    }
                });
            }
        });
        Ok(Self { local, ready, accepting })
    }
}

impl Drop for TlsListener {
    fn drop(&mut self) {
        self.accepting.abort();
    }
}

impl Listener for TlsListener {
    type Io = TlsStream<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        match self.ready.recv().await {
            Some(accepted) => accepted,
            // The accepting task only ends when this listener is dropped.
            None => std::future::pending().await,
        }
    }

    fn local_addr(&self) -> std::io::Result<SocketAddr> {
        Ok(self.local)
    }
}
