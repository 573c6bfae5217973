//! Cases about the backlog a claim sees: a re-pointed subscription takes its rows along, a replayed row
//! starts over, an unreadable event does not fail the claim, one subscription's backlog does not starve
//! another's, and concurrent completes do not deadlock.

use crate::fixtures::*;
use crate::harness::TestDb;
use chrono::{DateTime, Duration, SubsecRound, Utc};
use crossdock_store::{
    DeadLetterFilter, DeliveryOutcome, DeliveryResult, DeliveryStatus, NewDelivery, Store, SubscriptionStart,
};

const LEASE: std::time::Duration = std::time::Duration::from_secs(30);

fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}

fn delivered(id: i64, at: DateTime<Utc>, latency_ms: i64) -> DeliveryResult {
    DeliveryResult { id, outcome: DeliveryOutcome::Delivered { at, latency_ms } }
}

fn retry(id: i64, at: DateTime<Utc>) -> DeliveryResult {
    let outcome = DeliveryOutcome::Retry { at, error: "http 503".into(), request: None, response: None };
    DeliveryResult { id, outcome }
}

/// Places one order per id, in one batch, and returns the log.
async fn place_orders(store: &dyn Store, ids: &[String]) -> Vec<crossdock_model::RecordedEvent> {
    let requests = ids.iter().map(|id| request(&format!("p-{id}"), place(id, "web"))).collect();
    assert!(store.submit_batch(requests).await.iter().all(Result::is_ok));
    all_events(store).await
}

pub async fn re_pointing_a_subscription_moves_its_pending_and_dead_rows(db: &TestDb) {
    let store = db.open_store().await;
    let events = place_orders(store.as_ref(), &["o-1".into(), "o-2".into(), "o-3".into()]).await;
    let t = now();
    store.register_subscription("erp", "erp-old", SubscriptionStart::Beginning).await.unwrap();
    let mut batch = schedule_all("erp", "erp-old", 0, &events, t);
    batch.deliveries[2].dead_error = Some("mapping failed".into());
    assert!(store.schedule(&batch).await.unwrap());
    // One delivered row stays on the system that acknowledged it.
    let first = store.claim("a", LEASE, t, 1).await.unwrap();
    assert_eq!(store.complete("a", &[delivered(first[0].id, t, 5)]).await.unwrap(), 1);

    store.register_subscription("erp", "erp-new", SubscriptionStart::Beginning).await.unwrap();
    let claimed = store.claim("a", LEASE, t, 10).await.unwrap();
    assert_eq!(claimed.iter().map(|c| c.system.as_str()).collect::<Vec<_>>(), ["erp-new"]);
    let dead = store.dead_letters(&DeadLetterFilter::default()).await.unwrap();
    assert_eq!(dead.iter().map(|d| d.system.as_str()).collect::<Vec<_>>(), ["erp-new"]);
    assert_eq!(store.delivery(first[0].id).await.unwrap().unwrap().system, "erp-old");
}

pub async fn a_replayed_delivered_row_starts_over(db: &TestDb) {
    let store = db.open_store().await;
    let events = place_orders(store.as_ref(), &["o-1".into()]).await;
    let t = now();
    assert!(store.schedule(&schedule_all("erp", "erp", 0, &events, t)).await.unwrap());
    let claimed = store.claim("a", LEASE, t, 10).await.unwrap();
    assert_eq!(store.complete("a", &[delivered(claimed[0].id, t, 5)]).await.unwrap(), 1);

    let later = t + Duration::seconds(60);
    store.replay_subscription("erp", events[0].seq, later).await.unwrap().unwrap();
    let requeued = store.delivery(claimed[0].id).await.unwrap().unwrap();
    assert_eq!((requeued.status, requeued.attempts), (DeliveryStatus::Pending, 0));
    assert_eq!((requeued.delivered_at, requeued.latency_ms), (None, None));
    assert_eq!((requeued.first_attempt_at, requeued.last_attempt_at, requeued.last_error), (None, None, None));

    let again = store.claim("a", LEASE, later, 10).await.unwrap();
    assert_eq!(store.complete("a", &[delivered(again[0].id, later, 42)]).await.unwrap(), 1);
    let redelivered = store.delivery(claimed[0].id).await.unwrap().unwrap();
    assert_eq!((redelivered.delivered_at, redelivered.latency_ms), (Some(later), Some(42)));
}

pub async fn an_unreadable_event_is_dead_lettered_and_the_others_are_claimed(db: &TestDb) {
    let store = db.open_store().await;
    let events = place_orders(store.as_ref(), &["o-1".into(), "o-2".into(), "o-3".into()]).await;
    let t = now();
    assert!(store.schedule(&schedule_all("erp", "erp", 0, &events, t)).await.unwrap());
    // As an event type a newer version wrote during a rolling upgrade would read.
    let bad = events[1].seq;
    db.execute_raw(&format!("UPDATE events SET payload = '{{\"type\": \"order.teleported\"}}' WHERE seq = {bad}"))
        .await
        .unwrap();

    let claimed = store.claim("a", LEASE, t, 10).await.unwrap();
    assert_eq!(claimed.iter().map(|c| c.event.seq).collect::<Vec<_>>(), [events[0].seq, events[2].seq]);
    let dead = store.dead_letters(&DeadLetterFilter::default()).await.unwrap();
    assert_eq!((dead.len(), dead[0].seq, dead[0].attempts), (1, bad, 0));
    let error = dead[0].last_error.clone().unwrap_or_default();
    assert!(error.starts_with(&format!("event {bad} could not be read for delivery: ")), "{error}");
    // Nothing is left leased to nobody: the next claim finds nothing due.
    assert!(store.claim("b", LEASE, t, 10).await.unwrap().is_empty());
}

pub async fn one_subscriptions_backlog_does_not_starve_another(db: &TestDb) {
    let store = db.open_store().await;
    let ids: Vec<String> = (0..1000).map(|i| format!("o-{i}")).collect();
    let events = place_orders(store.as_ref(), &ids).await;
    let t = now();
    assert!(store.schedule(&schedule_all("a-slow", "slow", 0, &events, t)).await.unwrap());
    let last = &events[events.len() - 1..];
    let mut b = schedule_all("b-fast", "fast", 0, last, t);
    b.deliveries = vec![NewDelivery::pending(&last[0])];
    assert!(store.schedule(&b).await.unwrap());

    let claimed = store.claim("w", LEASE, t, 100).await.unwrap();
    assert_eq!(claimed.len(), 100);
    let fast: Vec<i64> = claimed.iter().filter(|c| c.subscription == "b-fast").map(|c| c.event.seq).collect();
    assert_eq!(fast, [last[0].seq]);
    // The slow subscription's share is its oldest rows, in order.
    let slow: Vec<i64> = claimed.iter().filter(|c| c.subscription == "a-slow").map(|c| c.event.seq).collect();
    assert_eq!(slow, events[..99].iter().map(|e| e.seq).collect::<Vec<_>>());
}

/// PostgreSQL only: two `complete` calls recording crossed outcomes at once (x: a success on `a`, a failure
/// on `b`; y: the reverse), a few times over; neither may fail with a deadlock.
pub async fn crossed_completes_do_not_deadlock(db: &TestDb) {
    let x_store = db.open_store().await;
    let y_store = db.open_store().await;
    const ROUNDS: usize = 20;
    let ids: Vec<String> = (0..ROUNDS * 2).map(|i| format!("o-{i}")).collect();
    let events = place_orders(x_store.as_ref(), &ids).await;
    let t = now();
    let retry_at = t + Duration::hours(1);
    let mut cursor = 0;
    for round in 0..ROUNDS {
        // Two orders a round, on both subscriptions: x leases the first of each, y the second.
        let pair = &events[round * 2..round * 2 + 2];
        for subscription in ["a", "b"] {
            assert!(x_store.schedule(&schedule_all(subscription, subscription, cursor, pair, t)).await.unwrap());
        }
        cursor = pair[1].seq;
        let outcomes = |claimed: Vec<crossdock_store::ClaimedDelivery>, succeeds_on: &str| -> Vec<DeliveryResult> {
            assert_eq!(claimed.len(), 2, "round {round}");
            let result = |c: &crossdock_store::ClaimedDelivery| {
                if c.subscription == succeeds_on { delivered(c.id, t, 5) } else { retry(c.id, retry_at) }
            };
            claimed.iter().map(result).collect()
        };
        let x = outcomes(x_store.claim("x", LEASE, t, 2).await.unwrap(), "a");
        let y = outcomes(y_store.claim("y", LEASE, t, 2).await.unwrap(), "b");
        let (xs, ys) = tokio::join!(x_store.complete("x", &x), y_store.complete("y", &y));
        assert_eq!(xs.unwrap_or_else(|e| panic!("round {round}: {e}")), 2);
        assert_eq!(ys.unwrap_or_else(|e| panic!("round {round}: {e}")), 2);
    }
}
