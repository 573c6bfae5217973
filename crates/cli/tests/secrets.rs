//! Secrets never reach logs, errors or `config check` output: a full run of the real binary (HTTPS `serve`
//! with the dispatcher, signed and refused inbound webhooks, good, wrong and rotated keys, outbound HMAC and
//! bearer deliveries) with debug logging, whose every output is then searched for every configured secret.

use axum::extract::State;
use axum::http::StatusCode;
use crossdock_connect::signature::{SigningKey, sign, unix_now};
use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair};
use serde_json::json;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const HMAC_SECRET: &str = "whsec_b3V0Ym91bmQtaG1hYy1zZWNyZXQtMDEyMzQ1Njc4OQ==";
const INBOUND_SECRET: &str = "whsec_aW5ib3VuZC1zaG9wLXNlY3JldC0wMTIzNDU2Nzg5YWI=";
const BEARER_TOKEN: &str = "bearer-token-9f8e7d6c5b4a39281706";
/// The PII master key, kept in a file beside the config (64 hex characters).
const PII_MASTER_KEY: &str = "6d61737465722d6b65792d6f662d7468652d7365637265742d7465737421aa55";

fn crossdock(config: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_crossdock"));
    cmd.arg("--config").arg(config).args(args).env("CROSSDOCK_LOG", "debug").env("WMS_TOKEN", BEARER_TOKEN);
    cmd
}

fn output(cmd: &mut Command) -> String {
    let out = cmd.output().expect("run crossdock");
    format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

/// Requests the receiver got: (path, whether it carried the bearer token, whether it was signed).
#[derive(Default)]
struct Received(Mutex<Vec<(String, bool, bool)>>);

async fn receive(
    State(received): State<Arc<Received>>,
    uri: axum::http::Uri,
    headers: axum::http::HeaderMap,
) -> StatusCode {
    let bearer = headers.get("authorization").and_then(|v| v.to_str().ok()) == Some(&format!("Bearer {BEARER_TOKEN}"));
    let signed = headers.contains_key("webhook-signature");
    received.0.lock().unwrap().push((uri.path().to_string(), bearer, signed));
    StatusCode::OK
}

/// Writes a CA, a certificate for 127.0.0.1 and its key; returns the CA PEM and the key PEM.
fn write_pki(dir: &Path) -> (String, String) {
    let ca_key = KeyPair::generate().unwrap();
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca = ca_params.self_signed(&ca_key).unwrap();
    let issuer = Issuer::new(ca_params, ca_key);
    let key = KeyPair::generate().unwrap();
    let cert = CertificateParams::new(vec!["127.0.0.1".to_string()]).unwrap().signed_by(&key, &issuer).unwrap();
    std::fs::write(dir.join("cert.pem"), cert.pem()).unwrap();
    std::fs::write(dir.join("key.pem"), key.serialize_pem()).unwrap();
    (ca.pem(), key.serialize_pem())
}

#[tokio::test]
async fn a_full_run_logs_no_secret() {
    let dir = tempfile::tempdir().unwrap();
    let (ca_pem, key_pem) = write_pki(dir.path());
    let received = Arc::new(Received::default());
    let app = axum::Router::new().route("/{hook}", axum::routing::post(receive)).with_state(received.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let hooks = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    let config = dir.path().join("crossdock.toml");
    std::fs::write(dir.path().join("pii.key"), PII_MASTER_KEY).unwrap();
    std::fs::write(
        &config,
        format!(
            "[store]\nurl = \"sqlite://{store}/hub.db\"\n[pii]\nmaster_key_file = \"pii.key\"\n\
             [dispatch]\npoll_interval_ms = 20\n\
             [server]\ntls_cert = \"cert.pem\"\ntls_key = \"key.pem\"\n\
             [[systems]]\nname = \"erp\"\nrole = \"erp\"\ntimeout_ms = 2000\n\
             transport = {{ type = \"http\", url = \"{hooks}/erp\" }}\nauth = {{ type = \"hmac\", secret = \"{HMAC_SECRET}\" }}\n\
             [[systems]]\nname = \"wms\"\nrole = \"wms\"\ntimeout_ms = 2000\n\
             transport = {{ type = \"http\", url = \"{hooks}/wms\" }}\nauth = {{ type = \"bearer\", token = \"${{WMS_TOKEN}}\" }}\n\
             [[systems]]\nname = \"shop\"\nrole = \"channel\"\n\
             transport = {{ type = \"http\", url = \"{hooks}/shop\" }}\n\
             inbound = {{ secret = \"{INBOUND_SECRET}\" }}\n\
             [[subscriptions]]\nname = \"to-erp\"\nsystem = \"erp\"\nevents = [\"*\"]\n\
             [[subscriptions]]\nname = \"to-wms\"\nsystem = \"wms\"\nevents = [\"*\"]\n",
            store = dir.path().display()
        ),
    )
    .unwrap();

    let mut logs = String::new();
    // `serve` creates the store (the other commands refuse a missing one); it runs until it listens.
    let mut first = crossdock(&config, &["serve", "--listen", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(first.stdout.take().unwrap()).read_line(&mut line).unwrap();
    first.kill().unwrap();
    first.wait().unwrap();
    assert!(line.contains("listening"), "{line}");
    let created = crossdock(&config, &["keys", "create", "--name", "ops", "--scopes", "admin"]).output().unwrap();
    assert!(created.status.success(), "{}", String::from_utf8_lossy(&created.stderr));
    let admin = String::from_utf8(created.stdout).unwrap().trim().to_string();
    logs.push_str(&String::from_utf8_lossy(&created.stderr)); // stdout is the key, printed once by design
    let checked = output(&mut crossdock(&config, &["config", "check"]));
    assert!(checked.contains("tls: certificate and key usable"), "{checked}");
    logs.push_str(&checked);
    logs.push_str(&output(&mut crossdock(&config, &["keys", "list"])));

    let mut child = crossdock(&config, &["serve", "--listen", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    stdout.read_line(&mut first).unwrap();
    let base = first.trim().rsplit(' ').next().unwrap().to_string();
    assert!(base.starts_with("https://127.0.0.1:"), "{first}");
    let mut stderr = child.stderr.take().unwrap();
    let log_reader = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stderr.read_to_string(&mut text);
        let _ = stdout.read_to_string(&mut text);
        text
    });

    crossdock_connect::transport::install_default_crypto_provider();
    let ca = reqwest::Certificate::from_pem(ca_pem.as_bytes()).unwrap();
    let client = reqwest::Client::builder().tls_certs_only([ca]).no_proxy().build().unwrap();
    let url = |path: &str| format!("{base}{path}");
    // Served over TLS, the console's cookies are Secure (and HttpOnly, SameSite=Strict).
    let login = client.get(url("/console/login")).send().await.unwrap();
    let cookie = login.headers().get("set-cookie").and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
    assert!(
        cookie.contains("; Secure") && cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );
    // A wrong secret for the admin key's id, and an unknown key: refused, and never logged.
    let wrong = format!("{}{}", &admin[..admin.len() - 8], "deadbeef");
    for key in [wrong.as_str(), "cdk_0123456789ab_feedfacefeedfacefeedfacefeedfacefeedfacefeedfacefeedfacefeedface"] {
        let reply = client.get(url("/v1/events")).bearer_auth(key).send().await.unwrap();
        assert_eq!(reply.status(), 401);
    }
    let rotated: serde_json::Value = client
        .post(url("/v1/keys"))
        .bearer_auth(&admin)
        .json(&json!({"name": "channel", "scopes": ["orders:write"]}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let channel_key = rotated["secret"].as_str().unwrap().to_string();
    let id = rotated["key"]["id"].as_str().unwrap();
    let rotated: serde_json::Value = client
        .post(url(&format!("/v1/keys/{id}/rotate")))
        .bearer_auth(&admin)
        .json(&json!({}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let rotated_key = rotated["secret"].as_str().unwrap().to_string();

    let order = json!({
        "channel": "web", "external_id": "s-1", "id": "s-1", "sourcing": {"mode": "manual"},
        "customer": {"email": "ada@example.com", "name": "Ada"},
        "ship_to": {"name": "Ada", "line1": "1 Main St", "city": "Springfield", "region": "IL",
                    "postal_code": "62701", "country": "US"},
        "currency": "USD",
        "lines": [{"id": "1", "sku": "SKU-1", "quantity": 1, "unit_price": {"amount_minor": 100, "currency": "USD"}}]
    });
    let placed = client.post(url("/v1/orders")).bearer_auth(&rotated_key).json(&order).send().await.unwrap();
    assert_eq!(placed.status(), 201);
    // Inbound: one good signed message, one signed with another secret.
    let mut inbound = order.clone();
    inbound["id"] = json!("s-2");
    inbound["external_id"] = json!("s-2");
    inbound["type"] = json!("place_order");
    inbound["placed_at"] = json!("2026-01-02T03:04:05Z");
    let body = inbound.to_string();
    for (id, secret, status) in [("m-1", INBOUND_SECRET, 200), ("m-2", HMAC_SECRET, 401)] {
        let now = unix_now();
        let signature = sign(&SigningKey::parse(secret).unwrap(), id, now, body.as_bytes());
        let reply = client
            .post(url("/v1/inbound/shop"))
            .header("content-type", "application/json")
            .header("webhook-id", id)
            .header("webhook-timestamp", now.to_string())
            .header("webhook-signature", signature)
            .body(body.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(reply.status().as_u16(), status, "{}", reply.text().await.unwrap());
    }
    // Both outbound systems receive the events, signed and with the bearer token.
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let got = received.0.lock().unwrap().clone();
        let erp = got.iter().any(|(path, _, signed)| path == "/erp" && *signed);
        let wms = got.iter().any(|(path, bearer, _)| path == "/wms" && *bearer);
        if erp && wms {
            break;
        }
        assert!(Instant::now() < deadline, "deliveries did not arrive: {got:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    #[cfg(unix)]
    {
        let _ = Command::new("kill").arg("-TERM").arg(child.id().to_string()).status();
    }
    let waited = Instant::now();
    while child.try_wait().unwrap().is_none() && waited.elapsed() < Duration::from_secs(10) {
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    let _ = child.wait();
    logs.push_str(&log_reader.join().unwrap());
    assert!(logs.contains("DEBUG"), "debug logging was on: {logs}");

    let secret_part = |key: &str| key.rsplit('_').next().unwrap().to_string();
    let key_body: String = key_pem.lines().filter(|l| !l.starts_with("-----")).collect();
    let secrets = [
        ("admin key", secret_part(&admin)),
        ("wrong secret", secret_part(&wrong)),
        ("created key", secret_part(&channel_key)),
        ("rotated key", secret_part(&rotated_key)),
        ("hmac secret", HMAC_SECRET.trim_start_matches("whsec_").to_string()),
        ("pii master key", PII_MASTER_KEY.to_string()),
        ("inbound secret", INBOUND_SECRET.trim_start_matches("whsec_").to_string()),
        ("bearer token", BEARER_TOKEN.to_string()),
        ("TLS private key", key_body[..40].to_string()),
    ];
    for (what, secret) in &secrets {
        assert!(secret.len() >= 20, "{what} is long enough to search for");
        assert!(!logs.contains(secret.as_str()), "the {what} appears in the output:\n{logs}");
    }
}

#[test]
fn an_unusable_tls_key_is_named_with_file_and_key_at_start() {
    let dir = tempfile::tempdir().unwrap();
    write_pki(dir.path());
    let config = dir.path().join("crossdock.toml");
    std::fs::write(
        &config,
        format!(
            "[store]\nurl = \"sqlite://{}/hub.db\"\n[pii]\nplaintext_dev_mode = true\n[server]\ntls_cert = \"cert.pem\"\ntls_key = \"cert.pem\"\n",
            dir.path().display()
        ),
    )
    .unwrap();
    for args in [&["config", "check"][..], &["serve", "--listen", "127.0.0.1:0"][..]] {
        let out = crossdock(&config, args).output().unwrap();
        let text = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{args:?}");
        assert!(text.contains("crossdock.toml: server.tls_key:") && text.contains("cert.pem"), "{args:?}: {text}");
    }
}
