//! `crossdock prune` and `crossdock backup` on a real binary: counts from a dry run, then the same rows
//! deleted, flags over `[retention]`; a backup of a store `serve` holds open reads back with its PII, and
//! existing files, missing stores and PostgreSQL are refused with the path or the tool to use.

use chrono::{Duration, SubsecRound, Utc};
use crossdock_model::{Command, OrderId};
use crossdock_store::{CommandRequest, NewDelivery, ScheduleBatch, Sent};
use std::path::Path;

mod support;

use support::{run, text};

fn place(id: &str) -> CommandRequest {
    let command = Command::PlaceOrder(crossdock_store::testing::sample_order(id, &[("SKU-1", 1)]));
    CommandRequest {
        idempotency_key: format!("k-{id}"),
        command,
        actor: "cli-test".into(),
        expected_version: None,
        origin: Default::default(),
    }
}

/// Six orders; the ERP's deliveries of the first four were delivered forty days ago (one of them is a dead
/// letter instead), of the last two now; the first four orders' idempotency records date from 2020.
async fn store_with_history(db: &crossdock_store::testing::TestDb) {
    let store = db.open_store().await;
    for i in 0..6 {
        store.submit(place(&format!("o-{i}"))).await.unwrap();
    }
    let events = store.events_after(0, 100).await.unwrap();
    assert_eq!(events.len(), 6);
    let now = Utc::now().trunc_subsecs(6);
    let mut cursor = 0;
    for (range, at) in [(0..4, now - Duration::days(40)), (4..6, now)] {
        let deliveries = events[range]
            .iter()
            .map(|e| {
                let mut d = NewDelivery::pending(e);
                if e.aggregate_id == "o-2" {
                    d.dead_error = Some("http 400".into());
                } else {
                    // Delivered when scheduled: a row is pruned by when it was settled.
                    d.sent = Some(Sent::Delivered { at, latency_ms: 1 });
                }
                d
            })
            .collect::<Vec<_>>();
        let new_cursor = deliveries.last().map_or(cursor, |d| d.seq);
        let batch = ScheduleBatch {
            subscription: "erp".into(),
            system: "erp".into(),
            expected_cursor: cursor,
            new_cursor,
            deliveries,
            now: at,
        };
        assert!(store.schedule(&batch).await.unwrap());
        cursor = new_cursor;
    }
    db.execute_raw(
        "UPDATE idempotency SET created_at = '2020-01-01T00:00:00.000000Z' \
         WHERE key IN ('k-o-0', 'k-o-1', 'k-o-2', 'k-o-3')",
    )
    .await
    .unwrap();
}

fn write_config(dir: &Path, body: &str) -> std::path::PathBuf {
    let config = dir.join("crossdock.toml");
    std::fs::write(&config, body).unwrap();
    config
}

#[tokio::test]
async fn prune_counts_in_a_dry_run_then_deletes_those_rows() {
    let db = crossdock_store::testing::sqlite().unwrap();
    store_with_history(&db).await;
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(
        dir.path(),
        &format!("[store]\nurl = \"{}\"\n[retention]\ndeliveries_days = 30\nidempotency_days = 365\n", db.url),
    );

    let dry = run(&config, &["prune", "--dry-run"]);
    assert!(dry.status.success(), "{}", text(&dry));
    assert!(text(&dry).contains("deliveries: 3 would be pruned"), "{}", text(&dry));
    assert!(text(&dry).contains("idempotency: 4 would be pruned"), "{}", text(&dry));
    // A flag wins over the configuration.
    let longer = run(&config, &["prune", "--dry-run", "--idempotency-older-than-days", "36500"]);
    assert!(text(&longer).contains("idempotency: 0 would be pruned"), "{}", text(&longer));

    let pruned = run(&config, &["prune"]);
    assert!(pruned.status.success(), "{}", text(&pruned));
    assert!(text(&pruned).contains("deliveries: 3 pruned"), "{}", text(&pruned));
    assert!(text(&pruned).contains("idempotency: 4 pruned"), "{}", text(&pruned));
    let again = run(&config, &["prune", "--dry-run"]);
    assert!(text(&again).contains("deliveries: 0 would be pruned"), "{}", text(&again));
    assert!(text(&again).contains("idempotency: 0 would be pruned"), "{}", text(&again));

    let store = db.open_store().await;
    let stats = store.delivery_stats().await.unwrap();
    assert_eq!((stats[0].delivered, stats[0].dead), (2, 1), "the dead letter and the new rows stay");
}

#[test]
fn prune_refuses_a_missing_store_and_having_nothing_to_prune() {
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), &format!("[store]\nurl = \"sqlite://{}/none.db\"\n", dir.path().display()));
    let nothing = run(&config, &["prune", "--dry-run"]);
    assert!(!nothing.status.success());
    assert!(
        text(&nothing).contains("nothing to prune") && text(&nothing).contains("[retention]"),
        "{}",
        text(&nothing)
    );
    let missing = run(&config, &["prune", "--deliveries-older-than-days", "30"]);
    assert!(!missing.status.success());
    assert!(text(&missing).contains("store.url") && text(&missing).contains("none.db"), "{}", text(&missing));
    assert!(!dir.path().join("none.db").exists(), "no store was created");
    let zero = run(&config, &["prune", "--deliveries-older-than-days", "0"]);
    assert!(!zero.status.success() && text(&zero).contains("--deliveries-older-than-days"), "{}", text(&zero));
}

#[tokio::test]
async fn backup_copies_a_store_serve_holds_open_and_refuses_to_overwrite() {
    let db = crossdock_store::testing::sqlite().unwrap();
    let store = db.open_store().await;
    store.submit(place("o-kept")).await.unwrap();
    drop(store);
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(
        dir.path(),
        &format!("[store]\nurl = \"{}\"\n[pii]\nplaintext_dev_mode = true\n[dispatch]\nenabled = false\n", db.url),
    );
    let (mut serving, _url) = support::start(&config);
    let target = dir.path().join("nightly");
    let copied = run(&config, &["backup", target.to_str().unwrap()]);
    let _ = serving.kill();
    let _ = serving.wait();
    assert!(copied.status.success(), "{}", text(&copied));
    assert!(text(&copied).contains("store.db") && text(&copied).contains("store.pii-keys.db"), "{}", text(&copied));

    let restored = crossdock_store::open_with(&format!("sqlite://{}", target.join("store.db").display()), db.options())
        .await
        .unwrap();
    let order = restored.order(&OrderId::new("o-kept").unwrap()).await.unwrap().unwrap();
    assert_eq!(order.ship_to.name, "Ada Lovelace", "PII opens with the copied key file");

    let again = run(&config, &["backup", target.to_str().unwrap()]);
    assert!(!again.status.success());
    let shown = target.join("store.db").display().to_string();
    assert!(text(&again).contains(&shown) && text(&again).contains("already exists"), "{}", text(&again));

    let pg = write_config(dir.path(), "[store]\nurl = \"postgres://hub@127.0.0.1:1/hub\"\n");
    let refused = run(&pg, &["backup", dir.path().join("pg").to_str().unwrap()]);
    assert!(!refused.status.success() && text(&refused).contains("pg_dump"), "{}", text(&refused));
    let none = write_config(dir.path(), &format!("[store]\nurl = \"sqlite://{}/none.db\"\n", dir.path().display()));
    let missing = run(&none, &["backup", dir.path().join("m").to_str().unwrap()]);
    assert!(!missing.status.success() && text(&missing).contains("store.url"), "{}", text(&missing));
}

#[tokio::test]
async fn serve_prunes_in_the_background_and_stops_with_the_rest() {
    use std::io::{BufRead, BufReader, Read};
    let db = crossdock_store::testing::sqlite().unwrap();
    store_with_history(&db).await;
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(
        dir.path(),
        &format!(
            "[store]\nurl = \"{}\"\n[pii]\nplaintext_dev_mode = true\n[dispatch]\nenabled = false\n\
             [retention]\ndeliveries_days = 30\nidempotency_days = 365\ninterval_minutes = 1\n",
            db.url
        ),
    );
    let mut child = support::crossdock(&config)
        .env("CROSSDOCK_LOG", "info,sqlx=warn")
        .args(["serve", "--listen", "127.0.0.1:0"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    assert!(line.contains("listening"), "{line}");

    // The first prune runs at start.
    let store = db.open_store().await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while store.delivery_stats().await.unwrap()[0].delivered != 2 {
        assert!(std::time::Instant::now() < deadline, "serve pruned nothing");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(store.delivery_stats().await.unwrap()[0].dead, 1);

    // SIGTERM: every task stops, the retention loop with the others, and serve exits cleanly.
    let pid = child.id().to_string();
    assert!(std::process::Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            panic!("serve did not stop within 20 s of SIGTERM");
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    let mut logs = String::new();
    child.stderr.take().unwrap().read_to_string(&mut logs).unwrap();
    assert!(status.success(), "{status}: {logs}");
    // Without the terminal colours around field names and values.
    let mut parts = logs.split('\u{1b}');
    let first = parts.next().unwrap_or_default();
    let logs: String =
        std::iter::once(first).chain(parts.map(|part| part.split_once('m').map_or(part, |(_, rest)| rest))).collect();
    assert!(logs.contains("retention: pruned") && logs.contains("rows=3") && logs.contains("rows=4"), "{logs}");
}
