//! Cases about sending on schedule: deliveries recorded with what the sender already did (delivered in one
//! write, or held leased to it for `complete`), the aggregates that must queue, the sender lease, and
//! events read by sequence number.

use crate::fixtures::*;
use crate::harness::TestDb;
use chrono::{DateTime, Duration, SubsecRound, Utc};
use crossdock_model::RecordedEvent;
use crossdock_store::{
    DeliveryOutcome, DeliveryResult, DeliveryStatus, NewDelivery, ScheduleBatch, Sent, Store, SubscriptionStart,
};
use std::collections::HashSet;

const LEASE: std::time::Duration = std::time::Duration::from_secs(30);

fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}

fn delivery(event: &RecordedEvent, sent: Option<Sent>) -> NewDelivery {
    NewDelivery { sent, ..NewDelivery::pending(event) }
}

/// o-1 gets three events (placed, held, released), o-2 one: seqs 0, 1 and 3 are o-1's, 2 is o-2's.
async fn seed(store: &dyn Store) -> Vec<RecordedEvent> {
    for (key, command) in
        [("p1", place("o-1", "web")), ("h1", hold("o-1")), ("p2", place("o-2", "web")), ("r1", release_hold("o-1"))]
    {
        store.submit(request(key, command)).await.unwrap();
    }
    all_events(store).await
}

/// A sender's round that outlasted a lease still records its held rows leased to it: the lease runs from
/// when the row is written, not from when the round began (else any claimer would send it again at once).
pub async fn a_held_delivery_is_leased_from_when_it_is_written(db: &TestDb) {
    let store = db.open_store().await;
    let events = seed(store.as_ref()).await;
    let round_began = now() - Duration::minutes(10);
    let held = Sent::Held { owner: "a".into(), lease: LEASE };
    let batch = ScheduleBatch {
        subscription: "erp".into(),
        system: "erp-system".into(),
        expected_cursor: 0,
        new_cursor: events[0].seq,
        deliveries: vec![delivery(&events[0], Some(held))],
        now: round_began,
    };
    assert!(store.schedule(&batch).await.unwrap());
    let written = now();
    assert!(store.claim("b", LEASE, written, 10).await.unwrap().is_empty(), "the held row is a's");
    let later = store.claim("b", LEASE, written + Duration::seconds(31), 10).await.unwrap();
    assert_eq!(later.iter().map(|c| c.event.seq).collect::<Vec<_>>(), [events[0].seq]);
}

pub async fn sent_deliveries_are_recorded_delivered_or_held_for_their_sender(db: &TestDb) {
    let store = db.open_store().await;
    let events = seed(store.as_ref()).await;
    store.register_subscription("erp", "erp-system", SubscriptionStart::Beginning).await.unwrap();
    let t = now();
    let acked = t + Duration::milliseconds(7);
    let held = Sent::Held { owner: "a".into(), lease: LEASE };
    let batch = ScheduleBatch {
        subscription: "erp".into(),
        system: "erp-system".into(),
        expected_cursor: 0,
        new_cursor: events[3].seq,
        deliveries: vec![
            delivery(&events[0], Some(Sent::Delivered { at: acked, latency_ms: 7 })),
            delivery(&events[1], Some(held)),
            delivery(&events[2], None),
            delivery(&events[3], None),
        ],
        now: t,
    };
    let aggregates = ["o-1", "o-2", "o-3"].map(String::from);
    assert!(store.pending_aggregates("erp", &aggregates).await.unwrap().is_empty());
    assert!(store.schedule(&batch).await.unwrap());

    let stats = store.delivery_stats().await.unwrap();
    let erp = stats.iter().find(|s| s.subscription == "erp").unwrap();
    assert_eq!((erp.cursor, erp.delivered, erp.pending, erp.dead), (events[3].seq, 1, 3, 0));
    assert_eq!(erp.last_success_at, Some(acked));
    let rows = store.aggregate_deliveries("o-1", 10).await.unwrap();
    let first = rows.iter().find(|r| r.seq == events[0].seq).unwrap();
    assert_eq!((first.status, first.attempts, first.latency_ms), (DeliveryStatus::Delivered, 1, Some(7)));
    assert_eq!(first.delivered_at, Some(acked));
    assert_eq!(first.first_attempt_at, Some(t));
    assert_eq!(first.idempotency_key, format!("erp:{}", events[0].seq));

    let pending = store.pending_aggregates("erp", &aggregates).await.unwrap();
    assert_eq!(pending, HashSet::from(["o-1".to_string(), "o-2".to_string()]));
    assert!(store.pending_aggregates("wms", &aggregates).await.unwrap().is_empty());

    // The held row is a's: another owner gets only o-2 (o-1's released event waits behind the held one).
    let claimed = store.claim("b", LEASE, t, 10).await.unwrap();
    assert_eq!(claimed.iter().map(|c| c.event.seq).collect::<Vec<_>>(), [events[2].seq]);
    // a records its failed attempt on the held row, found by sequence number.
    let ids = store.delivery_ids("erp", &[events[1].seq, 999_999]).await.unwrap();
    assert_eq!(ids.len(), 1);
    let retry = DeliveryOutcome::Retry { at: t, error: "http 503".into(), request: None, response: None };
    let result = DeliveryResult { id: ids[&events[1].seq], outcome: retry };
    assert_eq!(store.complete("b", std::slice::from_ref(&result)).await.unwrap(), 0, "b never held it");
    assert_eq!(store.complete("a", &[result]).await.unwrap(), 1);
    let claimed = store.claim("b", LEASE, t + Duration::seconds(1), 10).await.unwrap();
    assert_eq!(claimed.iter().map(|c| (c.event.seq, c.attempts)).collect::<Vec<_>>(), [(events[1].seq, 1)]);

    // A batch recorded again (history re-read) changes nothing: (subscription, seq) is unique.
    let again = ScheduleBatch { expected_cursor: events[3].seq, ..batch };
    assert!(store.schedule(&again).await.unwrap());
    let stats = store.delivery_stats().await.unwrap();
    let erp = stats.iter().find(|s| s.subscription == "erp").unwrap();
    assert_eq!((erp.delivered, erp.pending), (1, 3));
}

pub async fn the_sender_lease_goes_to_one_owner_at_a_time(db: &TestDb) {
    let store = db.open_store().await;
    store.register_subscription("erp", "erp-system", SubscriptionStart::Head).await.unwrap();
    let t = now();
    let later = |s: i64| t + Duration::seconds(s);
    assert!(store.acquire_sender("erp", "a", t, later(30)).await.unwrap());
    assert!(!store.acquire_sender("erp", "b", later(1), later(31)).await.unwrap(), "a holds it");
    assert!(store.acquire_sender("erp", "a", later(20), later(50)).await.unwrap(), "a renews");
    assert!(!store.acquire_sender("erp", "b", later(40), later(70)).await.unwrap(), "renewed past 40 s");
    assert!(store.acquire_sender("erp", "b", later(50), later(80)).await.unwrap(), "a's lease ran out");
    assert!(!store.acquire_sender("erp", "a", later(51), later(81)).await.unwrap());
    // Handing it back (until = now) lets another owner take it at once.
    assert!(store.acquire_sender("erp", "b", later(52), later(52)).await.unwrap());
    assert!(store.acquire_sender("erp", "a", later(52), later(82)).await.unwrap());
    assert!(!store.acquire_sender("nobody", "a", t, later(30)).await.unwrap(), "no such subscription");
}

/// The shared events a sender reads, as owned values to compare.
fn opened(events: Vec<std::sync::Arc<RecordedEvent>>) -> Vec<RecordedEvent> {
    events.iter().map(|e| (**e).clone()).collect()
}

pub async fn events_at_reads_those_events_in_order(db: &TestDb) {
    let store = db.open_store().await;
    let events = seed(store.as_ref()).await;
    let read = opened(store.events_at(&[events[3].seq, events[0].seq, 999_999]).await.unwrap());
    assert_eq!(read, vec![events[0].clone(), events[3].clone()]);
    assert!(store.events_at(&[]).await.unwrap().is_empty());
}

pub async fn recent_events_follow_the_cursor_until_an_event_this_process_did_not_commit(db: &TestDb) {
    let store = db.open_store().await;
    // A reader (as the senders are) makes the store keep what it commits from then on.
    assert!(store.recent_events_after(0, 100).is_empty(), "nothing committed yet");
    let events = seed(store.as_ref()).await;
    let (first, last) = (events[0].seq, events[events.len() - 1].seq);
    assert_eq!(
        opened(store.recent_events_after(first - 1, 100)),
        events,
        "what this process just committed, as the log has it"
    );
    assert_eq!(opened(store.recent_events_after(first, 2)), events[1..3].to_vec());
    assert!(store.recent_events_after(last, 100).is_empty(), "nothing after the last event");

    // Another process (another store on the same database) commits the next event, then this one commits.
    let other = db.open_store().await;
    other.submit(request("p3", place("o-3", "web"))).await.unwrap();
    store.submit(request("p4", place("o-4", "web"))).await.unwrap();
    let log = store.events_after(last, 100).await.unwrap();
    assert_eq!(log.len(), 2);
    assert!(store.recent_events_after(last, 100).is_empty(), "the next event is the other process's: read the log");
    assert_eq!(opened(store.recent_events_after(log[0].seq, 100)), log[1..].to_vec());
    assert!(db.open_store().await.recent_events_after(first - 1, 100).is_empty(), "a store opened afresh keeps none");
}
