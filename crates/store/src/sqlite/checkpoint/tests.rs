//! The WAL stays bounded while batches commit back to back and readers keep reading.

use crate::sqlite::SqliteStore;
use crate::{CommandRequest, Store, StoreOptions};
use crossdock_model::Command;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

const WRITERS: usize = 8;
const ORDERS_PER_WRITER: usize = 250;

fn place(id: &str) -> CommandRequest {
    let lines: Vec<(String, u32)> = (1..=5).map(|n| (format!("SKU-{n}"), 1)).collect();
    let lines: Vec<(&str, u32)> = lines.iter().map(|(sku, q)| (sku.as_str(), *q)).collect();
    let command = Command::PlaceOrder(crate::testing::sample_order(id, &lines));
    CommandRequest {
        idempotency_key: format!("wal-{id}"),
        command,
        actor: "wal-test".into(),
        expected_version: None,
        origin: Default::default(),
    }
}

fn file_len(path: &Path) -> u64 {
    std::fs::metadata(path).map(|m| m.len()).unwrap_or(0)
}

/// Places `WRITERS × ORDERS_PER_WRITER` orders from concurrent writers while a reader pages the log, and
/// returns the largest WAL file seen and the database file's size at the end.
async fn load(wal_limit_bytes: u64) -> (u64, u64) {
    let dir = tempfile::tempdir().unwrap();
    let db_path = dir.path().join("store.db");
    let url = format!("sqlite://{}", db_path.display());
    let store = Arc::new(SqliteStore::open_tuned(&url, StoreOptions::default(), wal_limit_bytes).await.unwrap());
    let done = Arc::new(AtomicBool::new(false));
    let wal_path = dir.path().join("store.db-wal");
    let peak = Arc::new(AtomicU64::new(0));
    let watcher = {
        let (done, peak) = (done.clone(), peak.clone());
        tokio::spawn(async move {
            while !done.load(Ordering::Relaxed) {
                peak.fetch_max(file_len(&wal_path), Ordering::Relaxed);
                tokio::time::sleep(Duration::from_millis(2)).await;
            }
        })
    };
    let reader = {
        let (done, store) = (done.clone(), store.clone());
        tokio::spawn(async move {
            while !done.load(Ordering::Relaxed) {
                store.events_after(0, 100).await.unwrap();
            }
        })
    };
    let writers: Vec<_> = (0..WRITERS)
        .map(|w| {
            let store = store.clone();
            tokio::spawn(async move {
                for n in 0..ORDERS_PER_WRITER {
                    store.submit(place(&format!("o-{w}-{n}"))).await.unwrap();
                }
            })
        })
        .collect();
    for writer in writers {
        writer.await.unwrap();
    }
    done.store(true, Ordering::Relaxed);
    watcher.await.unwrap();
    reader.await.unwrap();
    (peak.load(Ordering::Relaxed), file_len(&db_path))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_wal_starts_over_under_continuous_load() {
    const LIMIT: u64 = 256 << 10;
    let (peak, database) = load(LIMIT).await;
    println!("limit 256 KiB: WAL peak {peak} bytes, database {database} bytes");
    // Every page of the database went through the WAL; here it must have started over many times.
    assert!(database > 8 << 20, "the load wrote too little to tell: database {database} bytes");
    assert!(peak < database / 4, "WAL peak {peak} bytes for a {database}-byte database: it did not start over");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_limit_the_wal_holds_the_whole_load() {
    // The control: with no limit the same load leaves a WAL as large as the database, which is what the
    // test above would see if the writer did not checkpoint.
    let (peak, database) = load(u64::MAX).await;
    println!("no limit: WAL peak {peak} bytes, database {database} bytes");
    assert!(peak >= database / 2, "WAL peak {peak} bytes for a {database}-byte database");
}
