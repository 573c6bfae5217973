//! Two dispatchers (two store handles, two lease owners) on one PostgreSQL database share the work: every
//! (event, subscription) is delivered, and in a run without failures none is delivered twice.

use super::harness::{Running, eventually, http_system, postgres, seed_orders};
use super::receiver::{Behaviour, Receiver};
use crate::dispatch::{DispatchOptions, DispatchSubscription};
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 6)]
async fn two_dispatchers_share_one_database_without_duplicates() {
    let Some(db) = postgres().await else { return };
    let (a, b) = (db.open_store().await, db.open_store().await);
    seed_orders(a.as_ref(), "x", 40, 1).await;
    let receivers = [Receiver::start(Behaviour::default(), 1).await, Receiver::start(Behaviour::default(), 2).await];
    let setup = || {
        let systems = vec![
            http_system("erp", &receivers[0].url, Duration::from_secs(5)),
            http_system("wms", &receivers[1].url, Duration::from_secs(5)),
        ];
        let subscriptions = vec![
            DispatchSubscription::new("erp", "erp", &["*"]),
            DispatchSubscription::new("wms", "wms", &["order.*"]),
        ];
        (systems, subscriptions)
    };
    let (systems, subscriptions) = setup();
    let first = Running::start(a.clone(), systems, subscriptions, "process-a");
    let (systems, subscriptions) = setup();
    let second = Running::start(b.clone(), systems, subscriptions, "process-b");
    // More events while both run, committed through either handle.
    seed_orders(b.as_ref(), "y", 20, 1).await;
    seed_orders(a.as_ref(), "z", 20, 1).await;
    first.dispatcher.waker().notify_one();
    second.dispatcher.waker().notify_one();
    let expected = 80 * 3;
    eventually(Duration::from_secs(60), "every event reaches both systems", || async {
        receivers.iter().all(|r| r.keys().len() == expected)
    })
    .await;
    first.stop().await;
    second.stop().await;
    for receiver in &receivers {
        let log = receiver.log.lock().unwrap();
        assert_eq!(log.accepted.len(), expected, "a delivery was sent twice");
        assert_eq!(log.requests.len(), expected);
    }
    let stats = a.delivery_stats().await.unwrap();
    assert!(stats.iter().all(|s| s.delivered == expected as u64 && s.pending == 0), "{stats:?}");
}

/// Sending on schedule: one process holds a subscription's sender lease; when it stops it hands the lease
/// back and the other process sends from where it stopped, without loss or duplicates.
#[tokio::test(flavor = "multi_thread", worker_threads = 6)]
async fn a_stopped_sender_hands_its_subscriptions_over() {
    let db = super::harness::sqlite();
    let (a, b) = (db.open_store().await, db.open_store().await);
    let receiver = Receiver::start(Behaviour::default(), 3).await;
    let setup = || {
        let systems = vec![http_system("erp", &receiver.url, Duration::from_secs(5))];
        (systems, vec![DispatchSubscription::new("erp", "erp", &["*"])])
    };
    // A short lease, so that the waiting process looks again every second.
    let options = |owner: &str| DispatchOptions { lease: Duration::from_secs(4), ..super::harness::options(owner) };
    let (systems, subscriptions) = setup();
    let first = Running::start_with(a.clone(), systems, subscriptions, options("process-a"));
    seed_orders(a.as_ref(), "p", 10, 0).await;
    first.dispatcher.waker().notify_one();
    eventually(Duration::from_secs(30), "the first process sends the first orders", || async {
        receiver.keys().len() == 10
    })
    .await;
    let (systems, subscriptions) = setup();
    let second = Running::start_with(b.clone(), systems, subscriptions, options("process-b"));
    first.stop().await;
    seed_orders(b.as_ref(), "q", 10, 0).await;
    second.dispatcher.waker().notify_one();
    eventually(Duration::from_secs(30), "the second process takes over and sends the rest", || async {
        receiver.keys().len() == 20
    })
    .await;
    second.stop().await;
    let accepted = receiver.log.lock().unwrap().accepted.len();
    assert_eq!(accepted, 20, "a delivery was sent twice");
    let stats = b.delivery_stats().await.unwrap();
    assert!(stats.iter().all(|s| s.delivered == 20 && s.pending == 0 && s.cursor == s.head_seq), "{stats:?}");
}
