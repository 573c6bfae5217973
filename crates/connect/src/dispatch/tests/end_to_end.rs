//! The issue's delivery test: receivers that fail ~30% of requests with 500, time some out, and refuse one
//! event type with 400. Every event reaches every subscription at least once, in order per order; the
//! dead-letter queue holds exactly the refused ones; after a replay with the receiver fixed, they arrive.

use super::harness::{TestDb, eventually, http_system, postgres, seed_orders, sqlite};
use super::receiver::{Behaviour, Receiver};
use crate::dispatch::{DispatchOptions, DispatchSubscription};
use crossdock_model::RecordedEvent;
use crossdock_store::{DeadLetterFilter, DeliverySelector, Store};
use std::collections::{BTreeSet, HashSet};
use std::time::Duration;

const REJECTED: &str = "order.held";

fn flaky() -> Behaviour {
    Behaviour {
        fail_rate: 0.3,
        slow_rate: 0.03,
        slow_for: Duration::from_millis(700),
        reject_type: Some(REJECTED.into()),
        ..Behaviour::default()
    }
}

/// The idempotency keys a subscription should receive: every event its patterns select.
fn expected_keys(events: &[RecordedEvent], subscription: &str, patterns: &[&str]) -> BTreeSet<String> {
    events
        .iter()
        .filter(|e| patterns.iter().any(|p| crate::dispatch::pattern_matches(p, &e.event_type)))
        .map(|e| format!("{subscription}:{}", e.seq))
        .collect()
}

async fn all_events(store: &dyn Store) -> Vec<RecordedEvent> {
    let mut out: Vec<RecordedEvent> = Vec::new();
    loop {
        let page = store.events_after(out.last().map_or(0, |e| e.seq), 1000).await.unwrap();
        if page.is_empty() {
            return out;
        }
        out.extend(page);
    }
}

async fn every_event_reaches_every_subscription(db: TestDb, send_on_schedule: bool) {
    let store = db.open_store().await;
    // History from before the dispatcher starts, and more while it runs.
    seed_orders(store.as_ref(), "early", 20, 2).await;
    let receivers =
        [Receiver::start(flaky(), 1).await, Receiver::start(flaky(), 2).await, Receiver::start(flaky(), 3).await];
    let timeout = Duration::from_millis(300);
    let systems = vec![
        http_system("erp", &receivers[0].url, timeout),
        http_system("wms", &receivers[1].url, timeout),
        http_system("crm", &receivers[2].url, timeout),
    ];
    let plans: [(&str, &str, &[&str]); 3] = [
        ("erp-orders", "erp", &["order.*"]),
        ("wms-releases", "wms", &["order.placed", "order.hold_released"]),
        ("crm-all", "crm", &["*"]),
    ];
    let subscriptions =
        plans.iter().map(|(name, system, patterns)| DispatchSubscription::new(*name, *system, patterns)).collect();
    let options = DispatchOptions { send_on_schedule, ..super::harness::options("solo") };
    let running = super::harness::Running::start_with(store.clone(), systems, subscriptions, options);
    seed_orders(store.as_ref(), "late", 10, 2).await;
    running.dispatcher.waker().notify_one();
    let events = all_events(store.as_ref()).await;
    assert_eq!(events.len(), 30 * 5);

    let rejected: BTreeSet<String> = plans
        .iter()
        .filter(|(_, system, _)| *system != "wms")
        .flat_map(|(name, _, patterns)| {
            let refused: Vec<RecordedEvent> = events.iter().filter(|e| e.event_type == REJECTED).cloned().collect();
            expected_keys(&refused, name, patterns)
        })
        .collect();
    assert_eq!(rejected.len(), 2 * 60);
    let wanted: Vec<BTreeSet<String>> = plans
        .iter()
        .map(|(name, _, patterns)| expected_keys(&events, name, patterns).difference(&rejected).cloned().collect())
        .collect();
    assert_eq!(wanted.iter().map(BTreeSet::len).collect::<Vec<_>>(), [90, 90, 90]);
    eventually(Duration::from_secs(60), "every accepted event is delivered and every refused one is dead", || async {
        let delivered = receivers.iter().zip(&wanted).all(|(r, w)| w.iter().all(|k| r.keys().contains(k)));
        let dead = store.dead_letters(&DeadLetterFilter { limit: 1000, ..Default::default() }).await.unwrap();
        delivered && dead.len() == rejected.len()
    })
    .await;
    let dead = store.dead_letters(&DeadLetterFilter { limit: 1000, ..Default::default() }).await.unwrap();
    let dead_keys: BTreeSet<String> = dead.iter().map(|d| d.idempotency_key.clone()).collect();
    assert_eq!(dead_keys, rejected, "the dead-letter queue holds exactly the refused deliveries");
    let shown = store.delivery(dead[0].id).await.unwrap().unwrap();
    let response = shown.last_response.unwrap();
    assert_eq!(response["status"], 400);
    assert_eq!(response["body"], format!("unsupported event type {REJECTED}"));
    assert_eq!(shown.last_request.unwrap()["idempotency_key"], shown.idempotency_key);

    // In order per order at each system: first arrivals (after dedupe) have increasing versions.
    for (receiver, (name, _, _)) in receivers.iter().zip(&plans) {
        for (order, versions) in receiver.first_arrivals_by_aggregate() {
            assert!(versions.windows(2).all(|w| w[0] < w[1]), "{name}: {order} arrived out of order: {versions:?}");
        }
        let log = receiver.log.lock().unwrap();
        assert_eq!(log.bad_signatures, 0);
        let failed = log.requests.len() - log.accepted.len();
        assert!(failed > 10, "{name}: the receiver failed only {failed} requests");
        // Whatever arrived more than once is a retry of the same delivery: same key, same content.
        let keys: HashSet<&String> = log.accepted.iter().map(|r| &r.key).collect();
        assert!(keys.iter().all(|k| k.starts_with(name)));
    }

    let slow: usize = receivers.iter().map(|r| r.log.lock().unwrap().slow).sum();
    assert!(slow > 0, "no request timed out");

    // Fix the receivers and replay the dead letters: they are delivered, and the queue empties.
    for receiver in &receivers {
        receiver.set(|b| *b = Behaviour::default());
    }
    let replayed = store
        .replay_dead_letters(&DeliverySelector::Filter(DeadLetterFilter::default()), chrono::Utc::now())
        .await
        .unwrap();
    assert_eq!(replayed as usize, rejected.len());
    running.dispatcher.waker().notify_one();
    eventually(Duration::from_secs(30), "replayed dead letters are delivered", || async {
        let all: HashSet<String> = receivers.iter().flat_map(|r| r.keys()).collect();
        rejected.iter().all(|k| all.contains(k))
    })
    .await;
    // The receiver answers before the hub records the outcome: wait for the records too.
    eventually(Duration::from_secs(10), "every outcome is recorded", || async {
        store.delivery_stats().await.unwrap().iter().all(|s| s.pending == 0)
    })
    .await;
    assert!(store.dead_letters(&DeadLetterFilter::default()).await.unwrap().is_empty());
    let stats = store.delivery_stats().await.unwrap();
    assert!(stats.iter().all(|s| s.pending == 0 && s.dead == 0 && s.cursor == s.head_seq), "{stats:?}");
    assert_eq!(stats.iter().map(|s| s.delivered).sum::<u64>(), 3 * 90 + rejected.len() as u64);
    running.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_event_reaches_every_subscription_on_sqlite() {
    every_event_reaches_every_subscription(sqlite(), true).await;
}

/// The same with every event recorded pending first and sent from there by the claim path.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_event_reaches_every_subscription_when_scheduled_pending_first() {
    every_event_reaches_every_subscription(sqlite(), false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_event_reaches_every_subscription_on_postgres() {
    let Some(db) = postgres().await else { return };
    every_event_reaches_every_subscription(db, true).await;
}

/// A restart resumes from the durable state: nothing is lost and nothing delivered is sent again.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_restarted_dispatcher_resumes_where_it_stopped() {
    let db = sqlite();
    let store = db.open_store().await;
    seed_orders(store.as_ref(), "r", 10, 1).await;
    let receiver = Receiver::start(Behaviour::default(), 9).await;
    let start = |store| {
        let systems = vec![http_system("erp", &receiver.url, Duration::from_millis(500))];
        super::harness::Running::start(store, systems, vec![DispatchSubscription::new("erp", "erp", &["*"])], "first")
    };
    let first = start(store.clone());
    eventually(Duration::from_secs(20), "the first 30 are delivered", || async { receiver.keys().len() == 30 }).await;
    first.stop().await;
    seed_orders(store.as_ref(), "s", 10, 1).await;
    drop(store);
    let reopened = db.open_store().await;
    let second = start(reopened.clone());
    eventually(Duration::from_secs(20), "the next 30 are delivered", || async { receiver.keys().len() == 60 }).await;
    second.stop().await;
    let log = receiver.log.lock().unwrap();
    assert_eq!(log.accepted.len(), 60, "no delivered message was sent twice");
}
