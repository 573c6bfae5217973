//! `crossdock audit verify` on a real binary: an intact chain verifies (exit 0), a chain changed behind the
//! store's back names the first bad entry (non-zero exit).

use crossdock_model::{Command, LocationId, Sku};
use crossdock_store::{CommandRequest, Origin};
use std::path::Path;
use std::process::Output;

mod support;

use support::text;

fn verify(config: &Path) -> Output {
    support::run(config, &["audit", "verify"])
}

#[tokio::test]
async fn audit_verify_reports_the_first_changed_entry() {
    let db = crossdock_store::testing::sqlite().unwrap();
    let store = db.open_store().await;
    for n in 1..=3 {
        let command = Command::AdjustInventory {
            sku: Sku::new("SKU-1").unwrap(),
            location: LocationId::new("wh-1").unwrap(),
            delta: n,
            reason: "receipt".into(),
        };
        let request = CommandRequest {
            idempotency_key: format!("k-{n}"),
            command,
            actor: "key_cli".into(),
            expected_version: None,
            origin: Origin { source: None, request_id: Some(format!("req-{n}")) },
        };
        store.submit(request).await.unwrap();
    }
    drop(store);
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("crossdock.toml");
    std::fs::write(&config, format!("[store]\nurl = \"{}\"\n", db.url)).unwrap();

    let intact = verify(&config);
    assert!(intact.status.success(), "{}", text(&intact));
    assert!(text(&intact).contains("3 entries verified"), "{}", text(&intact));

    db.execute_raw("UPDATE audit_log SET request_id = 'forged' WHERE seq = 2").await.unwrap();
    let broken = verify(&config);
    assert!(!broken.status.success(), "{}", text(&broken));
    assert!(text(&broken).contains("broken at entry 2: changed"), "{}", text(&broken));
}
