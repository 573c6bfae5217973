//! Cases about delivery state: scheduling with a compare-and-set cursor, claiming in order per aggregate,
//! leases, completing, dead letters, replay and statistics.

use crate::fixtures::*;
use crate::harness::TestDb;
use chrono::{DateTime, Duration, SubsecRound, Utc};
use crossdock_model::RecordedEvent;
use crossdock_store::{
    ClaimedDelivery, DeadLetterFilter, DeliveryOutcome, DeliveryResult, DeliverySelector, DeliveryStatus, NewDelivery,
    ScheduleBatch, Store, SubscriptionStart,
};
use serde_json::json;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};

const LEASE: std::time::Duration = std::time::Duration::from_secs(30);

fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}

fn batch(subscription: &str, expected: i64, events: &[RecordedEvent], at: DateTime<Utc>) -> ScheduleBatch {
    ScheduleBatch {
        subscription: subscription.into(),
        system: format!("{subscription}-system"),
        expected_cursor: expected,
        new_cursor: events.last().map_or(expected, |e| e.seq),
        deliveries: events.iter().map(NewDelivery::pending).collect(),
        now: at,
    }
}

/// o-1 gets three events (placed, held, released), o-2 one, in that order.
async fn seed(store: &dyn Store) -> Vec<RecordedEvent> {
    for (key, command) in
        [("p1", place("o-1", "web")), ("h1", hold("o-1")), ("p2", place("o-2", "web")), ("r1", release_hold("o-1"))]
    {
        store.submit(request(key, command)).await.unwrap();
    }
    all_events(store).await
}

fn delivered(id: i64, at: DateTime<Utc>) -> DeliveryResult {
    DeliveryResult { id, outcome: DeliveryOutcome::Delivered { at, latency_ms: 5 } }
}

fn seqs(claimed: &[ClaimedDelivery]) -> Vec<i64> {
    claimed.iter().map(|c| c.event.seq).collect()
}

pub async fn schedule_moves_the_cursor_with_compare_and_set(db: &TestDb) {
    let store = db.open_store().await;
    let events = seed(store.as_ref()).await;
    assert_eq!(store.head_seq().await.unwrap(), events[3].seq);
    assert_eq!(store.subscription_cursor("erp").await.unwrap(), None);
    assert_eq!(store.register_subscription("erp", "erp-system", SubscriptionStart::Beginning).await.unwrap(), 0);
    let t = now();
    assert!(store.schedule(&batch("erp", 0, &events[..2], t)).await.unwrap());
    // A second scheduler that read the old cursor loses, and writes nothing.
    assert!(!store.schedule(&batch("erp", 0, &events, t)).await.unwrap());
    assert_eq!(store.subscription_cursor("erp").await.unwrap(), Some(events[1].seq));
    assert!(store.schedule(&batch("erp", events[1].seq, &events[2..], t)).await.unwrap());
    assert_eq!(store.subscription_cursor("erp").await.unwrap(), Some(events[3].seq));
    // An unregistered subscription is created by its first schedule from 0.
    assert!(store.schedule(&batch("wms", 0, &events[..1], t)).await.unwrap());
    // Registering again keeps the cursor; a new subscription may start at the head.
    let erp_cursor = store.register_subscription("erp", "erp-system", SubscriptionStart::Head).await.unwrap();
    assert_eq!(erp_cursor, events[3].seq);
    assert_eq!(store.register_subscription("crm", "crm", SubscriptionStart::Head).await.unwrap(), events[3].seq);
    let stats = store.delivery_stats().await.unwrap();
    let names: Vec<(&str, i64, u64)> = stats.iter().map(|s| (s.subscription.as_str(), s.cursor, s.pending)).collect();
    assert_eq!(names, [("crm", events[3].seq, 0), ("erp", events[3].seq, 4), ("wms", events[0].seq, 1)]);
}

pub async fn schedule_many_applies_each_subscription_in_one_transaction(db: &TestDb) {
    let store = db.open_store().await;
    let events = seed(store.as_ref()).await;
    let t = now();
    assert!(store.schedule(&batch("erp", 0, &events[..1], t)).await.unwrap());
    // erp's batch read a stale cursor and is refused alone; wms and crm are applied.
    let applied = store
        .schedule_many(&[batch("wms", 0, &events, t), batch("erp", 0, &events, t), batch("crm", 0, &events[..2], t)])
        .await
        .unwrap();
    assert_eq!(applied, [true, false, true]);
    let mut cursors = Vec::new();
    for subscription in ["wms", "erp", "crm"] {
        cursors.push(store.subscription_cursor(subscription).await.unwrap());
    }
    assert_eq!(cursors, [Some(events[3].seq), Some(events[0].seq), Some(events[1].seq)]);
    let pending: BTreeMap<String, u64> =
        store.delivery_stats().await.unwrap().into_iter().map(|s| (s.subscription, s.pending)).collect();
    assert_eq!(pending, BTreeMap::from([("crm".into(), 2), ("erp".into(), 1), ("wms".into(), 4)]));
    // A batch moving a cursor back fails the call and writes nothing.
    let back = ScheduleBatch { new_cursor: 0, ..batch("wms", events[3].seq, &[], t) };
    assert!(store.schedule_many(&[batch("crm", events[1].seq, &events[2..], t), back]).await.is_err());
    assert_eq!(store.subscription_cursor("crm").await.unwrap(), Some(events[1].seq));
}

pub async fn claim_orders_per_aggregate_and_respects_leases(db: &TestDb) {
    let store = db.open_store().await;
    let events = seed(store.as_ref()).await;
    let t = now();
    assert!(store.schedule(&batch("erp", 0, &events, t)).await.unwrap());
    let first = store.claim("a", LEASE, t, 10).await.unwrap();
    // o-1's first event and o-2's: never two of one order at once.
    assert_eq!(seqs(&first), [events[0].seq, events[2].seq]);
    assert_eq!(first[0].idempotency_key, format!("erp:{}", events[0].seq));
    assert_eq!((first[0].system.as_str(), first[0].attempts), ("erp-system", 0));
    assert_eq!(*first[0].event, events[0]);
    assert!(store.claim("b", LEASE, t, 10).await.unwrap().is_empty(), "leased to a live owner");
    // Only the owner may complete.
    assert_eq!(store.complete("b", &[delivered(first[0].id, t)]).await.unwrap(), 0);
    assert_eq!(store.complete("a", &[delivered(first[0].id, t)]).await.unwrap(), 1);
    let next = store.claim("b", LEASE, t, 10).await.unwrap();
    assert_eq!(seqs(&next), [events[1].seq]);
    // An expired lease is taken over; the old owner's late result is dropped.
    let later = t + Duration::seconds(31);
    let taken = store.claim("c", LEASE, later, 10).await.unwrap();
    assert_eq!(seqs(&taken), [events[1].seq, events[2].seq]);
    assert_eq!(store.complete("b", &[delivered(next[0].id, later)]).await.unwrap(), 0);
    assert_eq!(store.complete("a", &[delivered(first[1].id, later)]).await.unwrap(), 0);
    let results: Vec<DeliveryResult> = taken.iter().map(|c| delivered(c.id, later)).collect();
    assert_eq!(store.complete("c", &results).await.unwrap(), 2);
    let last = store.claim("c", LEASE, later, 10).await.unwrap();
    assert_eq!(seqs(&last), [events[3].seq]);
    let record = store.delivery(taken[1].id).await.unwrap().unwrap();
    assert_eq!((record.status, record.attempts, record.latency_ms), (DeliveryStatus::Delivered, 1, Some(5)));
    assert_eq!(record.delivered_at, Some(later));
}

pub async fn retries_wait_and_dead_letters_do_not_block(db: &TestDb) {
    let store = db.open_store().await;
    let events = seed(store.as_ref()).await;
    let t = now();
    assert!(store.schedule(&batch("erp", 0, &events, t)).await.unwrap());
    let claimed = store.claim("a", LEASE, t, 10).await.unwrap();
    let retry_at = t + Duration::seconds(10);
    let retry = DeliveryOutcome::Retry {
        at: retry_at,
        error: "http 503".into(),
        request: Some(json!({"url": "http://erp"})),
        response: Some(json!({"status": 503})),
    };
    let dead = DeliveryOutcome::Dead {
        error: "http 400: bad sku".into(),
        request: Some(json!({"body": {"n": 1}})),
        response: Some(json!({"status": 400, "body": "bad sku"})),
    };
    let results =
        [DeliveryResult { id: claimed[0].id, outcome: dead }, DeliveryResult { id: claimed[1].id, outcome: retry }];
    assert_eq!(store.complete("a", &results).await.unwrap(), 2);
    // o-1 moves on past its dead letter; o-2 waits for its retry time.
    assert_eq!(seqs(&store.claim("a", LEASE, t, 10).await.unwrap()), [events[1].seq]);
    let at_retry = store.claim("b", LEASE, retry_at, 10).await.unwrap();
    assert_eq!(seqs(&at_retry), [events[2].seq]);
    assert_eq!(at_retry[0].attempts, 1);
    let shown = store.delivery(claimed[1].id).await.unwrap().unwrap();
    assert_eq!(shown.last_error.as_deref(), Some("http 503"));
    assert_eq!(shown.last_response, Some(json!({"status": 503})));

    let letters = store.dead_letters(&DeadLetterFilter::default()).await.unwrap();
    assert_eq!(letters.iter().map(|d| d.id).collect::<Vec<_>>(), [claimed[0].id]);
    assert_eq!(letters[0].last_request, None, "listing leaves the bodies out");
    let full = store.delivery(claimed[0].id).await.unwrap().unwrap();
    assert_eq!((full.status, full.attempts), (DeliveryStatus::Dead, 1));
    assert_eq!(full.last_request, Some(json!({"body": {"n": 1}})));
    assert_eq!(full.last_response, Some(json!({"status": 400, "body": "bad sku"})));
    assert_eq!(full.idempotency_key, format!("erp:{}", events[0].seq));

    let stats = &store.delivery_stats().await.unwrap()[0];
    assert_eq!((stats.pending, stats.dead, stats.delivered), (3, 1, 0));
    assert_eq!(stats.last_error.as_deref().map(|e| e.starts_with("http")), Some(true));
    assert_eq!(stats.oldest_pending_recorded_at, Some(events[1].recorded_at));
}

pub async fn dead_letters_filter_page_replay_and_discard(db: &TestDb) {
    let store = db.open_store().await;
    for i in 0..6 {
        store.submit(request(&format!("p{i}"), place(&format!("d-{i}"), "web"))).await.unwrap();
    }
    let events = all_events(store.as_ref()).await;
    let t = now();
    for (subscription, dead_error) in [("erp", "http 400: bad sku"), ("wms", "http 422: unknown location")] {
        let mut scheduled = batch(subscription, 0, &events, t);
        for delivery in &mut scheduled.deliveries {
            delivery.dead_error = Some(dead_error.into());
        }
        assert!(store.schedule(&scheduled).await.unwrap());
    }
    assert!(store.claim("a", LEASE, t, 100).await.unwrap().is_empty(), "dead on arrival is never claimed");
    let list = |filter: DeadLetterFilter| {
        let store = store.clone();
        async move { store.dead_letters(&filter).await.unwrap().into_iter().map(|d| d.id).collect::<Vec<_>>() }
    };
    let all = list(DeadLetterFilter::default()).await;
    assert_eq!(all.len(), 12);
    let erp = list(DeadLetterFilter { system: Some("erp-system".into()), ..Default::default() }).await;
    assert_eq!(erp.len(), 6);
    assert_eq!(list(DeadLetterFilter { subscription: Some("wms".into()), ..Default::default() }).await.len(), 6);
    assert_eq!(
        list(DeadLetterFilter { error_contains: Some("unknown loc".into()), ..Default::default() }).await.len(),
        6
    );
    assert_eq!(list(DeadLetterFilter { error_contains: Some("UNKNOWN".into()), ..Default::default() }).await.len(), 0);
    assert_eq!(
        list(DeadLetterFilter { event_type: Some("order.placed".into()), ..Default::default() }).await.len(),
        12
    );
    assert!(list(DeadLetterFilter { event_type: Some("order.held".into()), ..Default::default() }).await.is_empty());
    let page = list(DeadLetterFilter { limit: 5, ..Default::default() }).await;
    let rest = list(DeadLetterFilter { after_id: page.last().copied(), ..Default::default() }).await;
    assert_eq!([page, rest].concat(), all);

    // Replay two by id: pending again, fresh budget, same idempotency key.
    let later = t + Duration::seconds(5);
    assert_eq!(
        store.replay_dead_letters(&DeliverySelector::Ids(vec![erp[0], erp[1], 999_999]), later).await.unwrap(),
        2
    );
    let claimed = store.claim("a", LEASE, later, 100).await.unwrap();
    assert_eq!(claimed.iter().map(|c| c.id).collect::<Vec<_>>(), [erp[0], erp[1]]);
    assert!(claimed.iter().all(|c| c.attempts == 0 && c.queued_at == later));
    assert_eq!(claimed[0].idempotency_key, format!("erp:{}", events[0].seq));
    // Replay and discard by filter take every match, whatever the page fields say.
    let wms = DeadLetterFilter { subscription: Some("wms".into()), limit: 1, ..Default::default() };
    assert_eq!(store.discard_dead_letters(&DeliverySelector::Filter(wms.clone())).await.unwrap(), 6);
    assert_eq!(store.replay_dead_letters(&DeliverySelector::Filter(wms), later).await.unwrap(), 0);
    let erp_filter = DeadLetterFilter { system: Some("erp-system".into()), ..Default::default() };
    assert_eq!(store.replay_dead_letters(&DeliverySelector::Filter(erp_filter), later).await.unwrap(), 4);
    assert!(list(DeadLetterFilter::default()).await.is_empty());
    let discarded = store.delivery(all[11]).await.unwrap().unwrap();
    assert_eq!(discarded.status, DeliveryStatus::Discarded);
}

pub async fn replay_a_subscription_from_a_sequence_number(db: &TestDb) {
    let store = db.open_store().await;
    let events = seed(store.as_ref()).await;
    let t = now();
    // Only o-1's events were scheduled (a filter left o-2 out); all are delivered.
    let o1: Vec<RecordedEvent> = events.iter().filter(|e| e.aggregate_id == "o-1").cloned().collect();
    let mut scheduled = batch("erp", 0, &o1, t);
    scheduled.new_cursor = events[3].seq;
    assert!(store.schedule(&scheduled).await.unwrap());
    for _ in 0..3 {
        let claimed = store.claim("a", LEASE, t, 10).await.unwrap();
        let results: Vec<DeliveryResult> = claimed.iter().map(|c| delivered(c.id, t)).collect();
        store.complete("a", &results).await.unwrap();
    }
    assert!(store.claim("a", LEASE, t, 10).await.unwrap().is_empty());
    assert!(store.replay_subscription("nope", 1, t).await.unwrap().is_none());
    let replay = store.replay_subscription("erp", events[1].seq, t).await.unwrap().unwrap();
    assert_eq!((replay.requeued, replay.cursor), (2, events[0].seq));
    // Scheduling the history again adds what was never scheduled and duplicates nothing.
    assert!(store.schedule(&batch("erp", events[0].seq, &events[1..], t)).await.unwrap());
    let mut keys = Vec::new();
    for _ in 0..4 {
        let claimed = store.claim("a", LEASE, t, 10).await.unwrap();
        keys.extend(claimed.iter().map(|c| c.idempotency_key.clone()));
        let results: Vec<DeliveryResult> = claimed.iter().map(|c| delivered(c.id, t)).collect();
        store.complete("a", &results).await.unwrap();
    }
    keys.sort();
    let mut expected: Vec<String> = events[1..].iter().map(|e| format!("erp:{}", e.seq)).collect();
    expected.sort();
    assert_eq!(keys, expected);
    let stats = &store.delivery_stats().await.unwrap()[0];
    assert_eq!((stats.delivered, stats.pending, stats.cursor, stats.head_seq), (4, 0, events[3].seq, events[3].seq));
    assert_eq!(stats.last_success_at, Some(t));
    // A replay never moves the cursor forward.
    let early = store.replay_subscription("erp", events[3].seq + 100, t).await.unwrap().unwrap();
    assert_eq!((early.requeued, early.cursor), (0, events[3].seq));
}

pub async fn concurrent_claimers_share_work_without_overlap(db: &TestDb) {
    let a = db.open_store().await;
    let b = db.open_store().await;
    let mut requests = Vec::new();
    for order in 0..20 {
        requests.push(request(&format!("p{order}"), place(&format!("c-{order}"), "web")));
        for step in 0..2 {
            requests.push(request(&format!("h{order}-{step}"), hold(&format!("c-{order}"))));
            requests.push(request(&format!("r{order}-{step}"), release_hold(&format!("c-{order}"))));
        }
    }
    assert!(a.submit_batch(requests).await.iter().all(Result::is_ok));
    let events = all_events(a.as_ref()).await;
    assert_eq!(events.len(), 100);
    assert!(a.schedule(&batch("erp", 0, &events, now())).await.unwrap());
    let done = Arc::new(Mutex::new(BTreeMap::new()));
    let mut tasks = tokio::task::JoinSet::new();
    for (i, store) in [a.clone(), b.clone(), a.clone(), b.clone()].into_iter().enumerate() {
        tasks.spawn(claim_until_done(store, format!("owner-{i}"), done.clone()));
    }
    let mut ids = BTreeSet::new();
    for claimed in tasks.join_all().await.into_iter().flatten() {
        assert!(ids.insert(claimed.id), "delivery {} claimed twice", claimed.id);
    }
    assert_eq!(ids.len(), 100);
    assert_eq!(done.lock().unwrap().values().copied().collect::<BTreeSet<u64>>(), BTreeSet::from([5]));
    let stats = &b.delivery_stats().await.unwrap()[0];
    assert_eq!((stats.delivered, stats.pending), (100, 0));
}

/// Claims and completes (as delivered) until nothing is left. `done` holds the last version completed per
/// aggregate, across claimers: each claimed event must be the next one of its aggregate.
async fn claim_until_done(
    store: Arc<dyn Store>,
    owner: String,
    done: Arc<Mutex<BTreeMap<String, u64>>>,
) -> Vec<ClaimedDelivery> {
    let mut mine = Vec::new();
    let mut idle = 0;
    for _ in 0..2_000 {
        let claimed = store.claim(&owner, LEASE, now(), 3).await.unwrap();
        if claimed.is_empty() {
            idle += 1;
            if idle > 50 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(2)).await;
            continue;
        }
        idle = 0;
        {
            let mut done = done.lock().unwrap();
            for c in &claimed {
                let last = done.entry(c.event.aggregate_id.clone()).or_insert(0);
                assert_eq!(c.event.version, *last + 1, "claimed out of order: {c:?}");
                *last = c.event.version;
            }
        }
        let results: Vec<DeliveryResult> = claimed.iter().map(|c| delivered(c.id, now())).collect();
        assert_eq!(store.complete(&owner, &results).await.unwrap(), claimed.len() as u64);
        mine.extend(claimed);
    }
    mine
}

/// A deferred or discarded delivery was not attempted: both backends record no attempt for it (no attempt
/// count, no first or last attempt time), and a deferral keeps what an earlier attempt recorded.
pub async fn deferred_and_discarded_deliveries_record_no_attempt(db: &TestDb) {
    let store = db.open_store().await;
    let events = seed(store.as_ref()).await;
    let t = now();
    assert!(store.schedule(&batch("erp", 0, &events, t)).await.unwrap());
    // The heads of o-1 and o-2.
    let claimed = store.claim("a", LEASE, t, 10).await.unwrap();
    assert_eq!(claimed.len(), 2);
    let later = t + Duration::seconds(60);
    let results = [
        DeliveryResult { id: claimed[0].id, outcome: DeliveryOutcome::Deferred { until: later } },
        DeliveryResult { id: claimed[1].id, outcome: DeliveryOutcome::Discarded { reason: "filtered out".into() } },
    ];
    assert_eq!(store.complete("a", &results).await.unwrap(), 2);
    let deferred = store.delivery(claimed[0].id).await.unwrap().unwrap();
    assert_eq!((deferred.status, deferred.attempts, deferred.next_attempt_at), (DeliveryStatus::Pending, 0, later));
    assert_eq!((deferred.first_attempt_at, deferred.last_attempt_at, deferred.last_error), (None, None, None));
    let discarded = store.delivery(claimed[1].id).await.unwrap().unwrap();
    assert_eq!((discarded.status, discarded.attempts), (DeliveryStatus::Discarded, 0));
    assert_eq!((discarded.first_attempt_at, discarded.last_attempt_at), (None, None));
    assert_eq!(discarded.last_error.as_deref(), Some("filtered out"));

    // Attempted and failed, then deferred: the failed attempt's record stays as it was.
    let again = store.claim("a", LEASE, later, 10).await.unwrap();
    assert_eq!(again.iter().map(|c| c.id).collect::<Vec<_>>(), [claimed[0].id]);
    let retry = DeliveryOutcome::Retry {
        at: later,
        error: "http 503".into(),
        request: Some(json!({"url": "http://erp"})),
        response: Some(json!({"status": 503})),
    };
    assert_eq!(store.complete("a", &[DeliveryResult { id: claimed[0].id, outcome: retry }]).await.unwrap(), 1);
    let failed = store.delivery(claimed[0].id).await.unwrap().unwrap();
    assert!(failed.last_attempt_at.is_some());
    store.claim("a", LEASE, later, 10).await.unwrap();
    let deferral = DeliveryResult { id: claimed[0].id, outcome: DeliveryOutcome::Deferred { until: later } };
    assert_eq!(store.complete("a", &[deferral]).await.unwrap(), 1);
    let deferred = store.delivery(claimed[0].id).await.unwrap().unwrap();
    assert_eq!(
        (deferred.attempts, deferred.first_attempt_at, deferred.last_attempt_at, deferred.last_error),
        (1, failed.first_attempt_at, failed.last_attempt_at, failed.last_error)
    );
    assert_eq!(deferred.last_response, Some(json!({"status": 503})));
}
