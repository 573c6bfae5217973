//! `serve` runs each system's file inbox: a line dropped there becomes a command whose audit entry names
//! `system:<name>` and the line it came from; a customer erasure through the API is audited too, and
//! `crossdock audit verify` still passes after both.

mod support;

use serde_json::Value;
use std::time::{Duration, Instant};
use support::{create_key, crossdock, start};

#[tokio::test]
async fn serve_submits_inbox_lines_as_the_system_and_erasure_keeps_the_chain_verifiable() {
    crossdock_connect::transport::install_default_crypto_provider();
    let dir = tempfile::tempdir().unwrap();
    let (inbox, outbox) = (dir.path().join("inbox"), dir.path().join("outbox"));
    std::fs::create_dir_all(&inbox).unwrap();
    std::fs::create_dir_all(&outbox).unwrap();
    std::fs::write(dir.path().join("pii.key"), crossdock_store::MasterKey::generate_hex()).unwrap();
    let config = dir.path().join("crossdock.toml");
    let store_url = format!("sqlite://{}", dir.path().join("hub.db").display());
    std::fs::write(
        &config,
        format!(
            "[store]\nurl = \"{store_url}\"\n[pii]\nmaster_key_file = \"pii.key\"\n\
             [[systems]]\nname = \"wms\"\nrole = \"wms\"\n[systems.transport]\ntype = \"file\"\nfolder = \"{}\"\n\
             [systems.transport.inbox]\nfolder = \"{}\"\npoll_interval_ms = 50\n",
            outbox.display(),
            inbox.display()
        ),
    )
    .unwrap();
    let key = create_key(&config, "dpo");
    let (mut child, url) = start(&config);

    let line = r#"{"type": "adjust_inventory", "sku": "SKU-1", "location": "CHI", "delta": 4, "reason": "receipt"}"#;
    std::fs::write(inbox.join(".counts.jsonl.tmp"), format!("{line}\n")).unwrap();
    std::fs::rename(inbox.join(".counts.jsonl.tmp"), inbox.join("counts.jsonl")).unwrap();

    let client = reqwest::Client::new();
    let audit = |query: &'static str| {
        let (client, url, key) = (client.clone(), url.clone(), key.clone());
        async move {
            let reply = client.get(format!("{url}/v1/audit?{query}")).bearer_auth(key).send().await.unwrap();
            assert_eq!(reply.status(), 200);
            reply.json::<Value>().await.unwrap()["items"].as_array().cloned().unwrap_or_default()
        }
    };
    let started = Instant::now();
    let entries = loop {
        let entries = audit("actor=system:wms").await;
        if !entries.is_empty() || started.elapsed() > Duration::from_secs(20) {
            break entries;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(entries.len(), 1, "the inbox line was not submitted: {entries:?}");
    let entry = &entries[0];
    assert_eq!(
        (entry["command"].as_str(), entry["source"].as_str()),
        (Some("adjust_inventory"), Some("counts.jsonl:1"))
    );
    // A line without its own key is keyed on the file's name, 16 hex digits of its SHA-256, and the line.
    let line_key = entry["idempotency_key"].as_str().unwrap_or_default();
    let digest = line_key.strip_prefix("inbound:wms:counts.jsonl:").and_then(|rest| rest.strip_suffix(":1"));
    assert!(digest.is_some_and(|d| d.len() == 16 && d.bytes().all(|b| b.is_ascii_hexdigit())), "{line_key}");
    assert!(inbox.join("processed").join("counts.jsonl").exists(), "the file moved once its line was durable");

    let erased = client.delete(format!("{url}/v1/customers/c-1/pii")).bearer_auth(&key).send().await.unwrap();
    assert_eq!(erased.status(), 200);
    let erasures = audit("aggregate=customer:c-1").await;
    assert_eq!(erasures.len(), 1, "{erasures:?}");
    assert_eq!(
        (erasures[0]["command"].as_str(), erasures[0]["outcome"].as_str()),
        (Some("erase_customer_pii"), Some("no_key"))
    );
    assert!(erasures[0]["source"].as_str().is_some_and(|s| s.starts_with("127.0.0.1:")), "{}", erasures[0]);

    child.kill().unwrap();
    child.wait().unwrap();
    let verified = crossdock(&config).args(["audit", "verify"]).output().unwrap();
    let text = String::from_utf8_lossy(&verified.stdout).into_owned() + &String::from_utf8_lossy(&verified.stderr);
    assert!(verified.status.success() && text.contains("2 entries verified"), "{text}");
}
