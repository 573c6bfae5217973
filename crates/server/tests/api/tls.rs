//! Transport security with a CA made in the test (rcgen): `serve_tls` terminates TLS with the configured
//! certificate, configuration errors name the key and file, and outbound webhooks verify certificates
//! against a system's extra CA file.

use crate::helpers::{make_key, temp_store};
use axum::Router;
use axum::routing::post;
use chrono::Utc;
use crossdock_connect::config::ConnectConfig;
use crossdock_connect::transport::{
    HttpTransport, HttpTransportConfig, OutboundMessage, SendOutcome, Transport, install_default_crypto_provider,
};
use crossdock_server::{AppState, tls};
use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair};
use serde_json::json;
use std::path::PathBuf;
use tempfile::TempDir;
use tokio::sync::oneshot;

/// A CA and a leaf certificate for `localhost` and 127.0.0.1 signed by it, as PEM files in a folder.
struct Pki {
    dir: TempDir,
    ca_pem: String,
    cert: PathBuf,
    key: PathBuf,
    /// A key of another pair, which does not match `cert`.
    other_key: PathBuf,
}

fn pki() -> Pki {
    let dir = tempfile::tempdir().unwrap();
    let ca_key = KeyPair::generate().unwrap();
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca_cert = ca_params.self_signed(&ca_key).unwrap();
    let issuer = Issuer::new(ca_params, ca_key);
    let leaf_key = KeyPair::generate().unwrap();
    let leaf = CertificateParams::new(vec!["localhost".to_string(), "127.0.0.1".to_string()])
        .unwrap()
        .signed_by(&leaf_key, &issuer)
        .unwrap();
    let write = |name: &str, text: String| {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        path
    };
    let cert = write("cert.pem", leaf.pem());
    let key = write("key.pem", leaf_key.serialize_pem());
    let other_key = write("other.pem", KeyPair::generate().unwrap().serialize_pem());
    Pki { ca_pem: ca_cert.pem(), cert, key, other_key, dir }
}

/// A client that trusts only `ca_pem`.
fn client_trusting(ca_pem: &str) -> reqwest::Client {
    install_default_crypto_provider();
    let ca = reqwest::Certificate::from_pem(ca_pem.as_bytes()).unwrap();
    reqwest::Client::builder().tls_certs_only([ca]).no_proxy().build().unwrap()
}

/// The chain of an error as one text, to look for the cause.
fn chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(s) = source {
        text.push_str(&format!(": {s}"));
        source = s.source();
    }
    text
}

#[tokio::test]
async fn serve_tls_answers_https_with_the_configured_certificate_only() {
    let pki = pki();
    let (store, _dir) = temp_store().await;
    let admin = make_key(store.as_ref(), &["admin"]).await;
    let config = tls::server_config(&pki.cert, &pki.key).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let (stop, stopped) = oneshot::channel::<()>();
    let server = tokio::spawn(crossdock_server::serve_tls(listener, config, AppState::new(store), async move {
        let _ = stopped.await;
    }));

    let client = client_trusting(&pki.ca_pem);
    for host in ["localhost", "127.0.0.1"] {
        let health = client.get(format!("https://{host}:{port}/healthz")).send().await.unwrap();
        assert_eq!(health.status(), 200, "{host}");
    }
    let events = client.get(format!("https://localhost:{port}/v1/events")).bearer_auth(&admin).send().await.unwrap();
    assert_eq!(events.status(), 200);

    // Over HTTPS too, the audit trail records the client's address.
    let mut order = crate::helpers::order_body("ext-tls-1");
    order["id"] = json!("o-tls-1");
    let placed = client.post(format!("https://127.0.0.1:{port}/v1/orders")).bearer_auth(&admin).json(&order);
    assert_eq!(placed.send().await.unwrap().status(), 201);
    let audit = client.get(format!("https://127.0.0.1:{port}/v1/audit?aggregate=order:o-tls-1")).bearer_auth(&admin);
    let audit: serde_json::Value = audit.send().await.unwrap().json().await.unwrap();
    let source = audit["items"][0]["source"].as_str().unwrap_or_default();
    assert!(source.starts_with("127.0.0.1:"), "{audit}");

    // A client that does not trust the CA refuses the certificate; plain HTTP gets no answer.
    install_default_crypto_provider();
    let stranger = reqwest::Client::builder().no_proxy().build().unwrap();
    let refused = stranger.get(format!("https://localhost:{port}/healthz")).send().await.unwrap_err();
    assert!(chain(&refused).to_lowercase().contains("certificate"), "{}", chain(&refused));
    let plain = reqwest::Client::new().get(format!("http://127.0.0.1:{port}/healthz")).send().await;
    assert!(plain.is_err() || plain.unwrap().status() != 200, "no plain HTTP on the TLS port");
    // A failed handshake does not stop the listener.
    assert_eq!(client.get(format!("https://localhost:{port}/healthz")).send().await.unwrap().status(), 200);

    let _ = stop.send(());
    server.await.unwrap().unwrap();
}

#[test]
fn tls_configuration_errors_name_the_key_and_the_file_never_the_key_text() {
    let pki = pki();
    let missing = pki.dir.path().join("nope.pem");
    let err = tls::server_config(&missing, &pki.key).unwrap_err().to_string();
    assert!(err.contains("server.tls_cert") && err.contains("nope.pem"), "{err}");
    let err = tls::server_config(&pki.cert, &missing).unwrap_err().to_string();
    assert!(err.contains("server.tls_key") && err.contains("nope.pem"), "{err}");
    // A certificate file given as the key, and the key given as the certificate.
    let err = tls::server_config(&pki.cert, &pki.cert).unwrap_err().to_string();
    assert!(err.contains("server.tls_key") && err.contains("cert.pem"), "{err}");
    let err = tls::server_config(&pki.key, &pki.key).unwrap_err().to_string();
    assert!(err.contains("server.tls_cert") && err.contains("key.pem"), "{err}");
    // A key of another pair.
    let err = tls::server_config(&pki.cert, &pki.other_key).unwrap_err().to_string();
    assert!(err.contains("server.tls_key") && err.contains("other.pem"), "{err}");
    let key_text = std::fs::read_to_string(&pki.other_key).unwrap();
    let key_body: String = key_text.lines().filter(|l| !l.starts_with("-----")).collect();
    assert!(!err.contains(&key_body[..20]), "no key material in the error");
}

/// An HTTPS webhook receiver using `cert`/`key`; answers 200 to `POST /hook`.
async fn https_receiver(pki: &Pki) -> (u16, oneshot::Sender<()>) {
    let config = tls::server_config(&pki.cert, &pki.key).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let listener = tls::TlsListener::new(listener, config).unwrap();
    let (stop, stopped) = oneshot::channel::<()>();
    let app = Router::new().route("/hook", post(|| async { "ok" }));
    tokio::spawn(async move {
        let _ = axum::serve(listener, app)
            .with_graceful_shutdown(async move {
                let _ = stopped.await;
            })
            .await;
    });
    (port, stop)
}

fn message() -> OutboundMessage {
    OutboundMessage {
        idempotency_key: "sub:1".into(),
        event_type: "order.placed".into(),
        seq: 1,
        aggregate_id: "o-1".into(),
        body: b"{}".to_vec(),
        timestamp: Utc::now(),
    }
}

#[tokio::test]
async fn outbound_https_verifies_certificates_with_the_systems_extra_ca() {
    let pki = pki();
    let (port, _stop) = https_receiver(&pki).await;
    let url = format!("https://localhost:{port}/hook");

    let mut trusting = HttpTransportConfig::new(&url);
    trusting.extra_ca_pem = Some(pki.ca_pem.clone().into_bytes());
    let transport = HttpTransport::new(trusting).unwrap();
    assert!(matches!(transport.send_batch(&[message()]).await[..], [SendOutcome::Delivered]));

    // Without the extra CA the self-signed chain is refused (a retryable connection failure naming why).
    let plain = HttpTransport::new(HttpTransportConfig::new(&url)).unwrap();
    match &plain.send_batch(&[message()]).await[..] {
        [SendOutcome::Retry { error, .. }] => assert!(error.to_lowercase().contains("certificate"), "{error}"),
        other => panic!("expected a refused certificate, got {other:?}"),
    }

    // The CA file is read and checked when the configuration loads; errors name the file and key.
    let ca_path = pki.dir.path().join("ca.pem");
    std::fs::write(&ca_path, &pki.ca_pem).unwrap();
    let system = |ca_file: &str| {
        json!({"systems": [{"name": "erp", "role": "erp",
                            "transport": {"type": "http", "url": url, "ca_file": ca_file}}]})
    };
    let load = |value: serde_json::Value| {
        let config: ConnectConfig = serde_json::from_value(value).unwrap();
        config.load_with_env("crossdock.toml", pki.dir.path(), &|_| None)
    };
    let loaded = load(system("ca.pem")).unwrap();
    assert_eq!(loaded.systems[0].extra_ca_pem.as_deref(), Some(pki.ca_pem.as_bytes()));
    let errors = load(system("missing-ca.pem")).unwrap_err();
    assert!(
        errors.iter().any(|e| e.contains("systems[0].transport.ca_file") && e.contains("missing-ca.pem")),
        "{errors:?}"
    );
    let errors = load(system("key.pem")).unwrap_err();
    assert!(errors.iter().any(|e| e.contains("systems[0].transport.ca_file")), "{errors:?}");
}
