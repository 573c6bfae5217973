//! `backup::backup` (SQLite only): a copy taken while a store writes opens as a store, every order in it
//! reads its PII, an erasure made before it stays made; existing files are never overwritten; a PostgreSQL
//! store is sent to pg_dump.

use crate::cases_pii::{ADA, ZEB, assert_erased, place_people};
use crate::fixtures::*;
use crossdock_model::CustomerId;
use crossdock_store::backup::{BackupError, backup};
use crossdock_store::{MAX_PAGE, OrderFilter, Store};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// Places orders (each sealed under a data key of its own) until told to stop; returns how many.
fn keep_placing(store: Arc<dyn Store>, stop: Arc<AtomicBool>) -> tokio::task::JoinHandle<usize> {
    tokio::spawn(async move {
        let mut placed = 0;
        while !stop.load(Ordering::Relaxed) && placed < 2_000 {
            store.submit(request(&format!("live-{placed}"), place(&format!("o-live-{placed}"), "web"))).await.unwrap();
            placed += 1;
        }
        placed
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_backup_taken_while_writing_opens_as_a_store_with_its_pii() {
    let db = crossdock_store::testing::sqlite().unwrap();
    let store = db.open_store().await;
    place_people(store.as_ref()).await;
    let ada = CustomerId::new(ADA.customer).unwrap();
    store.erase_customer_pii(&ada, "suite", &Default::default()).await.unwrap();

    let stop = Arc::new(AtomicBool::new(false));
    let writing = keep_placing(store.clone(), stop.clone());
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    let folder = tempfile::tempdir().unwrap();
    let target = folder.path().join("nightly");
    let written = backup(&db.url, &target).await.unwrap();
    stop.store(true, Ordering::Relaxed);
    let placed = writing.await.unwrap();
    assert_eq!(written, [target.join("store.db"), target.join("store.pii-keys.db")], "the store's file first");

    // Restoring is opening the copy, with the same master key.
    let copy = crossdock_store::open_with(&format!("sqlite://{}", written[0].display()), db.options()).await.unwrap();
    ZEB.assert_readable(&copy.order(&order_id("o-zeb-1")).await.unwrap().unwrap());
    assert_erased(&copy.order(&order_id("o-ada-1")).await.unwrap().unwrap(), ADA.customer);
    let orders = copy.list_orders(&OrderFilter { limit: MAX_PAGE, ..Default::default() }).await.unwrap();
    let live: Vec<_> = orders.iter().filter(|r| r.order.id.as_str().starts_with("o-live-")).collect();
    assert!(!live.is_empty() && live.len() <= placed, "{} of {placed} orders placed meanwhile", live.len());
    for row in &live {
        let name = &row.order.ship_to.name;
        assert_eq!(name, "Ada Lovelace", "order {} lost its key in the copy", row.order.id);
    }
    let chain = crossdock_store::audit::verify(copy.as_ref()).await.unwrap();
    assert!(chain.is_ok(), "the copy's audit chain is intact: {chain:?}");

    let again = backup(&db.url, &target).await.unwrap_err();
    assert!(matches!(&again, BackupError::Exists { path } if path == &written[0]), "{again}");
    assert!(again.to_string().contains("store.db") && again.to_string().contains("already exists"), "{again}");
    // A key file alone in the folder is refused before the store's file is written beside it.
    let half = folder.path().join("half");
    std::fs::create_dir(&half).unwrap();
    std::fs::write(half.join("store.pii-keys.db"), "keys").unwrap();
    let refused = backup(&db.url, &half).await.unwrap_err();
    assert!(refused.to_string().contains("store.pii-keys.db"), "{refused}");
    assert!(!half.join("store.db").exists());

    let postgres = backup("postgres://u@localhost/hub", &folder.path().join("pg")).await.unwrap_err();
    assert!(postgres.to_string().contains("pg_dump"), "{postgres}");
    assert!(!folder.path().join("pg").exists());
    let missing = backup(&format!("sqlite://{}/none.db", folder.path().display()), &folder.path().join("m")).await;
    assert!(missing.unwrap_err().to_string().contains("none.db"));
}

/// The copies hold every order and the PII keys: the folder a backup creates is 0700, its files 0600,
/// whatever the umask lets other files be.
#[cfg(unix)]
#[tokio::test]
async fn a_backup_is_readable_by_its_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let db = crossdock_store::testing::sqlite().unwrap();
    let store = db.open_store().await;
    place_people(store.as_ref()).await;
    let folder = tempfile::tempdir().unwrap();
    let target = folder.path().join("nightly").join("monday");
    let written = backup(&db.url, &target).await.unwrap();
    assert_eq!(written.len(), 2, "the store and its key file");
    let mode = |path: &std::path::Path| std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
    assert_eq!((mode(&target), mode(&folder.path().join("nightly"))), (0o700, 0o700), "folders created");
    for file in &written {
        assert_eq!(mode(file), 0o600, "{}", file.display());
    }
}
