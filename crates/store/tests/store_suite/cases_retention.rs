//! Cases about retention (`Store::prune`): settled deliveries and idempotency records older than a cutoff
//! go, in chunks; pending and dead deliveries, and everything newer, stay; a replay from before the cutoff
//! still re-sends; the KPIs still compute over what is left.

use crate::fixtures::*;
use crate::harness::TestDb;
use chrono::{DateTime, Duration, SubsecRound, TimeDelta, Utc};
use crossdock_engine::DecideError;
use crossdock_engine::kpi::{Period, integration_kpis};
use crossdock_model::RecordedEvent;
use crossdock_store::retention::{PruneTarget, Pruned};
use crossdock_store::{DeliverySelector, DeliveryStatus, NewDelivery, Sent, Store, SubmitError};
use std::collections::HashMap;

const LEASE: std::time::Duration = std::time::Duration::from_secs(30);

fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}

/// The cutoff of a ten-day retention; rows "old" in these cases were created thirty days ago.
fn cutoff() -> DateTime<Utc> {
    now() - Duration::days(10)
}

fn thirty_days_ago() -> DateTime<Utc> {
    now() - Duration::days(30)
}

/// How a case wants a delivery recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fate {
    /// Delivered when it was created.
    Delivered,
    /// Created at the given time but delivered just now (a dead letter replayed today).
    DeliveredNow,
    Dead,
    Pending,
    Discarded,
}

async fn place_orders(store: &dyn Store, n: usize) -> Vec<RecordedEvent> {
    let requests = (0..n).map(|i| request(&format!("p-{i}"), place(&format!("o-{i}"), "web"))).collect();
    assert!(store.submit_batch(requests).await.iter().all(Result::is_ok));
    all_events(store).await
}

/// Records `events` for `subscription` as created at `at` with the given fates (discarded ones as dead letters
/// then discarded), moving its cursor from `expected`; returns each event's delivery id by sequence number.
async fn record(
    store: &dyn Store,
    subscription: &str,
    expected: i64,
    events: &[(&RecordedEvent, Fate)],
    at: DateTime<Utc>,
) -> HashMap<i64, i64> {
    let deliveries = events
        .iter()
        .map(|(event, fate)| {
            let mut d = NewDelivery::pending(event);
            match fate {
                Fate::Delivered => {
                    d.sent = Some(Sent::Delivered { at: at + Duration::milliseconds(80), latency_ms: 80 })
                }
                Fate::DeliveredNow => d.sent = Some(Sent::Delivered { at: now(), latency_ms: 80 }),
                Fate::Dead | Fate::Discarded => d.dead_error = Some("http 400".into()),
                Fate::Pending => {}
            }
            d
        })
        .collect();
    let batch = crossdock_store::ScheduleBatch {
        subscription: subscription.into(),
        system: subscription.into(),
        expected_cursor: expected,
        new_cursor: events.last().map_or(expected, |(e, _)| e.seq),
        deliveries,
        now: at,
    };
    assert!(store.schedule(&batch).await.unwrap());
    let seqs: Vec<i64> = events.iter().map(|(e, _)| e.seq).collect();
    let ids = store.delivery_ids(subscription, &seqs).await.unwrap();
    let discard: Vec<i64> = events.iter().filter(|(_, f)| *f == Fate::Discarded).map(|(e, _)| ids[&e.seq]).collect();
    if !discard.is_empty() {
        assert_eq!(
            store.discard_dead_letters(&DeliverySelector::Ids(discard.clone())).await.unwrap(),
            discard.len() as u64
        );
    }
    ids
}

/// The status of each delivery id that still exists.
async fn statuses(store: &dyn Store, ids: &[i64]) -> Vec<Option<DeliveryStatus>> {
    let mut out = Vec::new();
    for id in ids {
        out.push(store.delivery(*id).await.unwrap().map(|d| d.status));
    }
    out
}

const FATES: [Fate; 4] = [Fate::Delivered, Fate::Dead, Fate::Pending, Fate::Discarded];

pub async fn old_settled_deliveries_go_and_pending_dead_and_new_ones_stay(db: &TestDb) {
    let store = db.open_store().await;
    let events = place_orders(store.as_ref(), 16).await;
    assert_eq!(events.len(), 16, "one event per order");
    let fated: Vec<(&RecordedEvent, Fate)> = events.iter().zip(FATES.iter().cycle().copied()).collect();
    let old = record(store.as_ref(), "erp", 0, &fated[..8], thirty_days_ago()).await;
    let new = record(store.as_ref(), "erp", events[7].seq, &fated[8..], now()).await;
    let before = store.delivery_stats().await.unwrap();
    assert_eq!((before[0].delivered, before[0].dead, before[0].pending, before[0].discarded), (4, 4, 4, 4));

    assert_eq!(store.prunable(PruneTarget::Deliveries, cutoff()).await.unwrap(), 4, "old delivered and discarded");
    let pruned = store.prune(PruneTarget::Deliveries, cutoff(), 100).await.unwrap();
    assert_eq!(pruned, Pruned { rows: 4, chunks: 1 });

    let old_ids: Vec<i64> = fated[..8].iter().map(|(e, _)| old[&e.seq]).collect();
    use DeliveryStatus::{Dead, Delivered, Discarded, Pending};
    let kept_old = [None, Some(Dead), Some(Pending), None, None, Some(Dead), Some(Pending), None];
    assert_eq!(statuses(store.as_ref(), &old_ids).await, kept_old);
    let new_ids: Vec<i64> = fated[8..].iter().map(|(e, _)| new[&e.seq]).collect();
    let all_new = [Delivered, Dead, Pending, Discarded, Delivered, Dead, Pending, Discarded].map(Some);
    assert_eq!(statuses(store.as_ref(), &new_ids).await, all_new, "rows newer than the cutoff stay");
    let after = store.delivery_stats().await.unwrap();
    assert_eq!((after[0].delivered, after[0].dead, after[0].pending, after[0].discarded), (2, 4, 4, 2));
    assert_eq!(after[0].cursor, events[15].seq, "the cursor does not move");

    assert_eq!(store.prune(PruneTarget::Deliveries, cutoff(), 100).await.unwrap(), Pruned::default());
    // The pending rows are still claimed and the dead letters still listed.
    let claimed = store.claim("a", LEASE, now(), 100).await.unwrap();
    assert_eq!(claimed.len(), 4);
    let dead = store.dead_letters(&Default::default()).await.unwrap();
    assert_eq!(dead.len(), 4);
}

pub async fn deliveries_are_pruned_in_chunks_across_more_rows_than_one(db: &TestDb) {
    let store = db.open_store().await;
    let events = place_orders(store.as_ref(), 30).await;
    // 25 old rows, every fifth of them dead (skipped inside the chunks' ranges), then 5 new delivered rows.
    let fated: Vec<(&RecordedEvent, Fate)> = events
        .iter()
        .enumerate()
        .map(|(i, e)| (e, if i < 25 && i % 5 == 4 { Fate::Dead } else { Fate::Delivered }))
        .collect();
    record(store.as_ref(), "erp", 0, &fated[..25], thirty_days_ago()).await;
    record(store.as_ref(), "erp", events[24].seq, &fated[25..], now()).await;

    assert_eq!(store.prunable(PruneTarget::Deliveries, cutoff()).await.unwrap(), 20);
    let pruned = store.prune(PruneTarget::Deliveries, cutoff(), 7).await.unwrap();
    assert_eq!(pruned, Pruned { rows: 20, chunks: 3 }, "7 + 7 + 6 rows");
    let stats = store.delivery_stats().await.unwrap();
    assert_eq!((stats[0].delivered, stats[0].dead), (5, 5));
    assert_eq!(store.prunable(PruneTarget::Deliveries, cutoff()).await.unwrap(), 0);
}

pub async fn old_idempotency_records_go_and_a_retry_after_them_is_a_new_request(db: &TestDb) {
    let store = db.open_store().await;
    for i in 0..12 {
        store.submit(request(&format!("old-{i}"), place(&format!("o-old-{i}"), "web"))).await.unwrap();
    }
    store.submit(request("old-adjust", adjust("SKU-9", "wh-1", 5))).await.unwrap();
    for i in 0..3 {
        store.submit(request(&format!("new-{i}"), place(&format!("o-new-{i}"), "web"))).await.unwrap();
    }
    // Text for SQLite, read as a timestamptz by PostgreSQL.
    db.execute_raw("UPDATE idempotency SET created_at = '2020-01-01T00:00:00.000000Z' WHERE key LIKE 'old-%'")
        .await
        .unwrap();

    assert_eq!(store.prunable(PruneTarget::Idempotency, cutoff()).await.unwrap(), 13);
    let pruned = store.prune(PruneTarget::Idempotency, cutoff(), 5).await.unwrap();
    assert_eq!(pruned, Pruned { rows: 13, chunks: 3 }, "5 + 5 + 3 records");
    assert_eq!(store.prunable(PruneTarget::Idempotency, cutoff()).await.unwrap(), 0);

    // A key kept still answers with the original receipt.
    let kept = store.submit(request("new-0", place("o-new-0", "web"))).await.unwrap();
    assert!(kept.replayed);
    // A pruned key is a new request: the order exists already (no second order), but an adjustment applies
    // again, which is why the cutoff must outlast every client's retries.
    let order = store.submit(request("old-0", place("o-old-0", "web"))).await;
    assert!(matches!(order, Err(SubmitError::Rejected(DecideError::OrderExists(_)))), "{order:?}");
    let again = store.submit(request("old-adjust", adjust("SKU-9", "wh-1", 5))).await.unwrap();
    assert!(!again.replayed);
    let on_hand = store.inventory(Some(&sku("SKU-9")), None).await.unwrap()[0].on_hand;
    assert_eq!(on_hand, 10);
}

pub async fn a_replay_from_before_the_cutoff_re_creates_the_pruned_deliveries(db: &TestDb) {
    let store = db.open_store().await;
    let events = place_orders(store.as_ref(), 4).await;
    let fated: Vec<(&RecordedEvent, Fate)> =
        events.iter().enumerate().map(|(i, e)| (e, if i == 1 { Fate::Dead } else { Fate::Delivered })).collect();
    let old = record(store.as_ref(), "erp", 0, &fated, thirty_days_ago()).await;
    assert_eq!(store.prune(PruneTarget::Deliveries, cutoff(), 100).await.unwrap().rows, 3);

    let replay = store.replay_subscription("erp", events[0].seq, now()).await.unwrap().unwrap();
    assert_eq!((replay.requeued, replay.cursor), (1, events[0].seq - 1), "the dead letter is requeued");
    // The dispatcher schedules from the cursor again; the row still there is not duplicated.
    let again = schedule_all("erp", "erp", replay.cursor, &events, now());
    assert!(store.schedule(&again).await.unwrap());
    let seqs: Vec<i64> = events.iter().map(|e| e.seq).collect();
    let ids = store.delivery_ids("erp", &seqs).await.unwrap();
    assert_eq!(ids.len(), 4);
    assert_eq!(ids[&events[1].seq], old[&events[1].seq], "the requeued row keeps its id");
    let mut claimed = store.claim("a", LEASE, now(), 10).await.unwrap();
    claimed.sort_by_key(|c| c.event.seq);
    let keys: Vec<&str> = claimed.iter().map(|c| c.idempotency_key.as_str()).collect();
    let expected: Vec<String> = seqs.iter().map(|s| crossdock_store::idempotency_key("erp", *s)).collect();
    assert_eq!(keys, expected, "re-sent with the keys of the first sending");
}

/// KPIs of periods before the cutoff cover only the rows kept there (dead letters, pending rows): the
/// numbers change, but they still compute, the same in SQL as in the engine, with no division by nothing.
pub async fn integration_kpis_still_compute_over_what_is_left(db: &TestDb) {
    let store = db.open_store().await;
    let placed = place_orders(store.as_ref(), 12).await;
    // The first eight orders were placed a month ago (a delivery row is never older than its event).
    let month_ago = thirty_days_ago();
    let committed = (month_ago - Duration::minutes(1)).format("%Y-%m-%dT%H:%M:%S%.6fZ");
    db.execute_raw(&format!("UPDATE events SET recorded_at = '{committed}' WHERE seq <= {}", placed[7].seq))
        .await
        .unwrap();
    let events = all_events(store.as_ref()).await;
    let fated: Vec<(&RecordedEvent, Fate)> = events.iter().zip(FATES.iter().cycle().copied()).collect();
    // The CRM's rows are all old and delivered: every one of them goes.
    let crm: Vec<(&RecordedEvent, Fate)> = events[..8].iter().map(|e| (e, Fate::Delivered)).collect();
    record(store.as_ref(), "crm", 0, &crm, month_ago).await;
    record(store.as_ref(), "erp", 0, &fated[..8], month_ago).await;
    record(store.as_ref(), "erp", events[7].seq, &fated[8..], now()).await;
    assert_eq!(store.prune(PruneTarget::Deliveries, cutoff(), 3).await.unwrap().rows, 8 + 4);

    let systems: Vec<String> = ["crm", "erp"].map(String::from).to_vec();
    let samples = store.delivery_samples(None).await.unwrap();
    assert_eq!(samples.len(), 8, "4 old (dead, pending) and 4 new");
    let (old_middle, cut) = (events[3].recorded_at, cutoff());
    let periods = [
        Period::ALL,
        Period { from: Some(old_middle), to: None },
        Period { from: Some(cut), to: None },
        Period { from: None, to: Some(cut) },
    ];
    let (budget, at) = (TimeDelta::seconds(60), now() + Duration::minutes(5));
    for period in periods {
        let in_period: Vec<_> = samples.iter().filter(|s| period.contains(s.committed_at)).cloned().collect();
        let kpis = store.integration_kpis(&period, &systems, budget, at).await.unwrap();
        assert_eq!(kpis, integration_kpis(&in_period, &systems, budget, at), "period {period:?}");
        let crm = &kpis[0];
        assert_eq!((crm.deliveries, crm.uptime, crm.sync_latency_ms, crm.dead_letters), (0, 1.0, None, 0));
        assert!(kpis.iter().all(|s| s.uptime.is_finite() && (0.0..=1.0).contains(&s.uptime)), "{kpis:?}");
    }
    let before_cut = store.integration_kpis(&periods[3], &systems, budget, at).await.unwrap();
    let erp = &before_cut[1];
    assert_eq!((erp.deliveries, erp.dead_letters, erp.sync_latency_ms), (4, 2, None), "only what failed is left");
}

/// Deliveries go by when they were settled, not created: a row created before the cutoff and delivered
/// since (a dead letter replayed today) stays, with its result, for the console and the KPIs.
pub async fn a_delivery_created_before_the_cutoff_and_delivered_since_stays(db: &TestDb) {
    let store = db.open_store().await;
    let events = place_orders(store.as_ref(), 3).await;
    let fated = [(&events[0], Fate::Delivered), (&events[1], Fate::DeliveredNow), (&events[2], Fate::Discarded)];
    let ids = record(store.as_ref(), "erp", 0, &fated, thirty_days_ago()).await;
    let ids: Vec<i64> = events.iter().map(|e| ids[&e.seq]).collect();

    assert_eq!(store.prunable(PruneTarget::Deliveries, cutoff()).await.unwrap(), 2, "the old delivered and discarded");
    assert_eq!(store.prune(PruneTarget::Deliveries, cutoff(), 100).await.unwrap(), Pruned { rows: 2, chunks: 1 });
    let kept = store.delivery(ids[1]).await.unwrap().expect("delivered today: kept");
    assert_eq!(kept.status, DeliveryStatus::Delivered);
    assert_eq!(statuses(store.as_ref(), &[ids[0], ids[2]]).await, [None, None]);
}

/// Runs of dead letters longer than a chunk, and pending rows, between the settled rows: every chunk still
/// deletes `limit` settled rows (the last one fewer), and nothing else goes.
pub async fn chunks_step_over_runs_of_dead_letters_longer_than_a_chunk(db: &TestDb) {
    let store = db.open_store().await;
    let events = place_orders(store.as_ref(), 40).await;
    // 9 dead, 2 delivered, 9 dead, 3 delivered, pending and discarded alternating, then dead again.
    let fate = |i: usize| match i {
        0..=8 | 11..=19 | 32..=39 => Fate::Dead,
        9..=10 | 20..=22 => Fate::Delivered,
        i if i % 2 == 0 => Fate::Pending,
        _ => Fate::Discarded,
    };
    let fated: Vec<(&RecordedEvent, Fate)> = events.iter().enumerate().map(|(i, e)| (e, fate(i))).collect();
    let ids = record(store.as_ref(), "erp", 0, &fated, thirty_days_ago()).await;
    let settled = fated.iter().filter(|(_, f)| matches!(f, Fate::Delivered | Fate::Discarded)).count();
    assert_eq!(settled, 5 + 5, "2 + 3 delivered, 5 discarded");

    assert_eq!(store.prune(PruneTarget::Deliveries, cutoff(), 4).await.unwrap(), Pruned { rows: 10, chunks: 3 });
    for (event, fate) in &fated {
        let status = store.delivery(ids[&event.seq]).await.unwrap().map(|d| d.status);
        let expected = match fate {
            Fate::Dead => Some(DeliveryStatus::Dead),
            Fate::Pending => Some(DeliveryStatus::Pending),
            _ => None,
        };
        assert_eq!(status, expected, "seq {} ({fate:?})", event.seq);
    }
}

/// A marker of an acknowledgement never written (its input removed by hand, or the outbox unwritable for
/// weeks) goes with the deliveries' cutoff; a recent one stays.
pub async fn markers_of_unwritten_acknowledgements_go_with_the_deliveries_cutoff(db: &TestDb) {
    use crossdock_store::{AckState, EdiDirection, InterchangeStatus, NewInterchange, input_hash};
    let store = db.open_store().await;
    let interchange = |direction, control: &str, at| NewInterchange {
        partner: "acme".into(),
        direction,
        isa_control: control.into(),
        groups: Vec::new(),
        status: InterchangeStatus::Accepted,
        ack_state: AckState::NotExpected,
        ack_due_at: None,
        ack_control: None,
        file: None,
        raw: format!("ISA*{control}~").into_bytes(),
        pii_subjects: Vec::new(),
        errors: serde_json::json!([]),
        references: Vec::new(),
        created_at: at,
    };
    let mut hashes = Vec::new();
    for (control, at) in [("000000001", thirty_days_ago()), ("000000002", now())] {
        let inbound = interchange(EdiDirection::Inbound, control, at);
        let hash = input_hash(&inbound.raw);
        store.insert_received(&inbound, &interchange(EdiDirection::Outbound, "000000900", at), &hash).await.unwrap();
        hashes.push(hash);
    }
    store.prune(PruneTarget::Deliveries, cutoff(), 100).await.unwrap();
    assert!(store.unwritten_ack("acme", &hashes[0]).await.unwrap().is_none(), "the old marker goes");
    assert!(store.unwritten_ack("acme", &hashes[1]).await.unwrap().is_some(), "the recent one stays");
    // Idempotency pruning leaves markers alone.
    store.prune(PruneTarget::Idempotency, now(), 100).await.unwrap();
    assert!(store.unwritten_ack("acme", &hashes[1]).await.unwrap().is_some());
}
