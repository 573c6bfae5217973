//! Two dispatchers (two store handles, two lease owners) on one PostgreSQL database share the work: every
//! (event, subscription) is delivered, and in a run without failures none is delivered twice.

use super::harness::{Running, eventually, http_system, postgres, seed_orders};
use super::receiver::{Behaviour, Receiver};
use crate::dispatch::DispatchSubscription;
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
