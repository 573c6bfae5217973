//! Sending on schedule: one task per subscription holds the subscription's sender lease, reads the log after
//! its cursor, sends what it selects at once (in order per aggregate) and then records every delivery with
//! its outcome and the cursor move in one transaction. An acknowledged delivery costs one row write instead
//! of three (insert, lease, complete). What did not go through (a retry, an open circuit, an event queued
//! behind a pending delivery of its aggregate) is left pending for the claim path (`worker`), which also
//! takes everything over if this process stops.

use super::dispatcher::Inner;
use super::scheduler::select_decided;
use super::send::{Refilter, send};
use super::setup::DispatchSubscription;
use chrono::{DateTime, Utc};
use crossdock_model::RecordedEvent;
use crossdock_store::{
    ClaimedDelivery, DeliveryOutcome, DeliveryResult, NewDelivery, ScheduleBatch, Sent, StoreError, idempotency_key,
};
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use tokio::sync::{Notify, mpsc, oneshot, watch};

/// A subscription's round to record, and where to say whether its cursor moved.
pub(crate) type Record = (ScheduleBatch, oneshot::Sender<Result<bool, StoreError>>);

pub(crate) async fn run(
    inner: Arc<Inner>,
    index: usize,
    mut cursor: i64,
    wake: Arc<Notify>,
    recorder: mpsc::Sender<Record>,
    mut stopped: watch::Receiver<bool>,
) {
    let subscription = &inner.subscriptions[index];
    let mut lease = Lease::default();
    let mut failures = 0u32;
    while !*stopped.borrow() {
        let outcome = match lease.hold(&inner, &subscription.name).await {
            Ok(true) => round(&inner, subscription, &mut cursor, &recorder).await,
            // Another process sends this subscription: look again well before its lease could run out.
            Ok(false) => Ok(Idle::For(inner.options.lease / 4)),
            Err(error) => Err(error),
        };
        let wait = match outcome {
            Ok(Idle::More) => {
                failures = 0;
                continue;
            }
            Ok(Idle::For(wait)) => {
                failures = 0;
                wait
            }
            Err(error) => {
                failures = failures.saturating_add(1);
                tracing::warn!(subscription = %subscription.name, %error, "sending on schedule failed; retrying");
                inner.options.poll_interval.saturating_mul(failures.min(40))
            }
        };
        tokio::select! {
            _ = wake.notified() => {}
            _ = tokio::time::sleep(wait) => {}
            _ = stopped.changed() => {}
        }
    }
    if lease.until.is_some() {
        // Hand the lease back so that another process takes over at once rather than when it runs out.
        let now = Utc::now();
        let _ = inner.store.acquire_sender(&subscription.name, &inner.options.owner, now, now).await;
    }
}

enum Idle {
    /// The page was full: go again at once.
    More,
    For(std::time::Duration),
}

/// This process's hold on a subscription's sender lease.
#[derive(Default)]
struct Lease {
    /// Held until then.
    until: Option<DateTime<Utc>>,
    /// Held by another process: not asked again before then (wake-ups come with every commit).
    next_try: Option<DateTime<Utc>>,
}

impl Lease {
    /// Whether this process holds the lease, renewing it once half of it has gone.
    async fn hold(&mut self, inner: &Inner, subscription: &str) -> Result<bool, StoreError> {
        let now = Utc::now();
        let lease = inner.options.lease_span();
        if self.until.is_some_and(|until| until - now > lease / 2) {
            return Ok(true);
        }
        if self.until.is_none() && self.next_try.is_some_and(|at| at > now) {
            return Ok(false);
        }
        let held = inner.store.acquire_sender(subscription, &inner.options.owner, now, now + lease).await?;
        self.until = held.then_some(now + lease);
        self.next_try = (!held).then_some(now + lease / 4);
        Ok(held)
    }
}

/// What became of one selected event.
enum Fate {
    /// Not decided yet (waiting for its turn within its aggregate).
    Open,
    /// Recorded pending, for the claim path.
    Queued,
    Delivered {
        at: DateTime<Utc>,
        latency_ms: i64,
    },
    /// Attempted without success (or held back): recorded leased to this process, then completed.
    Held(DeliveryOutcome),
}

/// Reads one page after the cursor, sends what the subscription selects and records it all.
async fn round(
    inner: &Arc<Inner>,
    subscription: &DispatchSubscription,
    cursor: &mut i64,
    recorder: &mpsc::Sender<Record>,
) -> Result<Idle, StoreError> {
    let page_size = inner.options.schedule_page;
    let Some(Page { last, len: page_len, deliveries, mut events, undecided }) =
        read_page(inner, subscription, *cursor).await?
    else {
        return Ok(Idle::For(inner.options.poll_interval));
    };
    let now = Utc::now();
    let lease_until = now + inner.options.lease_span();
    let aggregates: Vec<String> = {
        let unique: HashSet<&str> =
            deliveries.iter().filter(|d| d.dead_error.is_none()).map(|d| d.aggregate_id.as_str()).collect();
        unique.into_iter().map(str::to_string).collect()
    };
    let mut blocked = inner.store.pending_aggregates(&subscription.name, &aggregates).await?;
    // An event whose filter could not decide (it timed out) is left to the claim path, which decides it
    // before sending; its aggregate's other events of the page queue with it, in order.
    blocked.extend(undecided);
    let mut fates: Vec<Fate> =
        deliveries.iter().map(|d| if d.dead_error.is_some() { Fate::Queued } else { Fate::Open }).collect();
    // Waves: each sends at most one event per aggregate, the earliest still open, so that a system sees an
    // aggregate's events in order; a retry or an open circuit stops the rest of that aggregate's events here.
    loop {
        let mut in_wave = HashSet::new();
        let mut wave = Vec::new();
        for (i, delivery) in deliveries.iter().enumerate() {
            if !matches!(fates[i], Fate::Open) {
                continue;
            }
            if blocked.contains(&delivery.aggregate_id) {
                fates[i] = Fate::Queued;
            } else if in_wave.insert(delivery.aggregate_id.as_str()) {
                wave.push(i);
            }
        }
        if wave.is_empty() {
            break;
        }
        let claimed: Vec<ClaimedDelivery> = wave
            .iter()
            .filter_map(|&i| {
                let delivery = &deliveries[i];
                let event = events.remove(&delivery.seq)?;
                Some(ClaimedDelivery {
                    // No row yet, so no row id: the sequence number stands in (outcomes come back by seq).
                    id: delivery.seq,
                    subscription: subscription.name.clone(),
                    system: subscription.system.clone(),
                    idempotency_key: idempotency_key(&subscription.name, delivery.seq),
                    attempts: 0,
                    queued_at: now,
                    lease_expires_at: lease_until,
                    event,
                })
            })
            .collect();
        let mut outcomes: HashMap<i64, DeliveryOutcome> =
            send_wave(inner, &subscription.system, claimed).await.into_iter().map(|(d, o)| (d.event.seq, o)).collect();
        for &i in &wave {
            let delivery = &deliveries[i];
            fates[i] = match outcomes.remove(&delivery.seq) {
                Some(DeliveryOutcome::Delivered { at, latency_ms }) => Fate::Delivered { at, latency_ms },
                Some(outcome) => {
                    // A dead or discarded one does not hold its aggregate back (see the store's claim rule).
                    if matches!(outcome, DeliveryOutcome::Retry { .. } | DeliveryOutcome::Deferred { .. }) {
                        blocked.insert(delivery.aggregate_id.clone());
                    }
                    Fate::Held(outcome)
                }
                // Not sent (its event is gone, or shaping failed): pending, and its aggregate waits behind it.
                None => {
                    blocked.insert(delivery.aggregate_id.clone());
                    Fate::Queued
                }
            };
        }
    }
    let mut held = Vec::new();
    let recorded: Vec<NewDelivery> = deliveries
        .into_iter()
        .zip(fates)
        .map(|(mut delivery, fate)| {
            delivery.sent = match fate {
                Fate::Open | Fate::Queued => None,
                Fate::Delivered { at, latency_ms } => Some(Sent::Delivered { at, latency_ms }),
                Fate::Held(outcome) => {
                    held.push((delivery.seq, outcome));
                    // The lease runs from when the row is written (see `Sent::Held`).
                    Some(Sent::Held { owner: inner.options.owner.clone(), lease: inner.options.lease })
                }
            };
            delivery
        })
        .collect();
    let queued_any = recorded.iter().any(|d| d.dead_error.is_none() && !matches!(d.sent, Some(Sent::Delivered { .. })));
    let batch = ScheduleBatch {
        subscription: subscription.name.clone(),
        system: subscription.system.clone(),
        expected_cursor: *cursor,
        new_cursor: last,
        deliveries: recorded,
        now,
    };
    let (answer, moved) = oneshot::channel();
    let gone = || StoreError::Database("the dispatcher's recorder stopped".into());
    recorder.send((batch, answer)).await.map_err(|_| gone())?;
    if !moved.await.map_err(|_| gone())?? {
        // A replay or another process moved the cursor: what was sent is sent again from there (same keys).
        *cursor = inner.store.subscription_cursor(&subscription.name).await?.unwrap_or(0);
        return Ok(Idle::More);
    }
    *cursor = last;
    if !held.is_empty() {
        complete_held(inner, &subscription.name, held).await?;
    }
    if queued_any {
        inner.work.notify_one();
    }
    Ok(if page_len >= page_size as usize { Idle::More } else { Idle::For(inner.options.poll_interval) })
}

/// One page of the log after `cursor`: the last sequence number examined, how many events it held, the
/// deliveries the subscription selects and their events by sequence number. `None` when the log has nothing
/// new. Events this process has just committed come from the store's memory; otherwise only the events'
/// heads are read unless the subscription filters on payloads.
/// One page of the log as a subscription sees it.
struct Page {
    /// The last sequence number read, and how many events were.
    last: i64,
    len: usize,
    deliveries: Vec<NewDelivery>,
    events: HashMap<i64, Arc<RecordedEvent>>,
    /// Aggregates with an event whose filter could not decide.
    undecided: HashSet<String>,
}

async fn read_page(
    inner: &Inner,
    subscription: &DispatchSubscription,
    cursor: i64,
) -> Result<Option<Page>, StoreError> {
    let page_size = inner.options.schedule_page;
    let recent = inner.store.recent_events_after(cursor, page_size);
    if !recent.is_empty() || subscription.shape.filters() {
        let events = if recent.is_empty() {
            inner.store.events_after(cursor, page_size).await?.into_iter().map(Arc::new).collect()
        } else {
            recent
        };
        let Some(last) = events.last().map(|e| e.seq) else { return Ok(None) };
        let len = events.len();
        let (deliveries, events, undecided) = select_events(subscription, events).await?;
        return Ok(Some(Page { last, len, deliveries, events, undecided }));
    }
    let heads = inner.store.event_heads_after(cursor, page_size).await?;
    let Some(last) = heads.last().map(|h| h.seq) else { return Ok(None) };
    let deliveries: Vec<NewDelivery> =
        heads.iter().filter_map(|h| super::scheduler::select_head(subscription, h)).collect();
    let seqs: Vec<i64> = deliveries.iter().map(|d| d.seq).collect();
    let events = inner.store.events_at(&seqs).await?.into_iter().map(|e| (e.seq, e)).collect();
    Ok(Some(Page { last, len: heads.len(), deliveries, events, undecided: HashSet::new() }))
}

/// The deliveries the subscription selects of `events`, the events by sequence number, and the aggregates
/// of the events whose filter could not decide. A jq filter runs on a blocking thread.
async fn select_events(
    subscription: &DispatchSubscription,
    events: Vec<Arc<RecordedEvent>>,
) -> Result<(Vec<NewDelivery>, HashMap<i64, Arc<RecordedEvent>>, HashSet<String>), StoreError> {
    let pick = |selector: &DispatchSubscription, events: Vec<Arc<RecordedEvent>>| {
        let mut undecided = HashSet::new();
        let mut deliveries = Vec::new();
        for (delivery, decided) in events.iter().filter_map(|e| select_decided(selector, e)) {
            if !decided {
                undecided.insert(delivery.aggregate_id.clone());
            }
            deliveries.push(delivery);
        }
        (deliveries, events.into_iter().map(|e| (e.seq, e)).collect(), undecided)
    };
    if !subscription.shape.filters() {
        return Ok(pick(subscription, events));
    }
    let selector = subscription.clone();
    tokio::task::spawn_blocking(move || pick(&selector, events))
        .await
        .map_err(|e| StoreError::Database(format!("selecting events failed: {e}")))
}

/// Sends one wave to the system in batches of its batch size, each holding that many of its in-flight
/// permits, all at once.
async fn send_wave(
    inner: &Arc<Inner>,
    system: &str,
    claimed: Vec<ClaimedDelivery>,
) -> Vec<(ClaimedDelivery, DeliveryOutcome)> {
    let Some(runtime) = inner.systems.get(system) else { return Vec::new() };
    let sends = runtime.spec.send_batches(claimed).into_iter().map(|batch| async move {
        let Ok(_permits) = runtime.permits.acquire_many(batch.len() as u32).await else { return Vec::new() };
        send(inner.clone(), system, batch, Refilter::No).await
    });
    futures::future::join_all(sends).await.into_iter().flatten().collect()
}

/// Records the outcomes of the attempts that did not succeed, on the rows just written leased to us.
async fn complete_held(inner: &Inner, subscription: &str, held: Vec<(i64, DeliveryOutcome)>) -> Result<(), StoreError> {
    let seqs: Vec<i64> = held.iter().map(|(seq, _)| *seq).collect();
    let ids = inner.store.delivery_ids(subscription, &seqs).await?;
    let results: Vec<DeliveryResult> =
        held.into_iter().filter_map(|(seq, outcome)| ids.get(&seq).map(|&id| DeliveryResult { id, outcome })).collect();
    inner.store.complete(&inner.options.owner, &results).await?;
    Ok(())
}

/// How long the recorder waits, after a round comes in, for the other subscriptions' rounds to join it in
/// one transaction. Their senders all wake at the same commit and finish within a few milliseconds of each
/// other; recorded as they came, they cost the shared write lock about 1.2 commits per batch of orders under
/// `bench e2e` (2.4 rounds each), which delayed the next batch.
const LINGER: std::time::Duration = std::time::Duration::from_millis(5);

/// Records the senders' rounds: a round that comes in waits up to [`LINGER`] (or until every subscription
/// has a round waiting) and whatever rounds are waiting then go in one transaction (`schedule_many`), so
/// that five subscriptions finishing together cost one commit, not five. Ends when every sender has stopped.
pub(crate) async fn record(inner: Arc<Inner>, mut queue: mpsc::Receiver<Record>) {
    let mut waiting = Vec::new();
    while gather(&mut queue, &mut waiting, inner.subscriptions.len(), LINGER).await > 0 {
        let (batches, answers): (Vec<ScheduleBatch>, Vec<_>) = waiting.drain(..).unzip();
        match inner.store.schedule_many(&batches).await {
            Ok(moved) => {
                for (answer, moved) in answers.into_iter().zip(moved) {
                    let _ = answer.send(Ok(moved));
                }
            }
            Err(error) => {
                let message = error.to_string();
                for answer in answers {
                    let _ = answer.send(Err(StoreError::Database(message.clone())));
                }
            }
        }
    }
}

/// Waits for at least one item, then for more until `enough` are in `waiting` or `linger` has passed since
/// the first; returns how many are waiting (0 once the queue is closed and empty).
async fn gather<T>(
    queue: &mut mpsc::Receiver<T>,
    waiting: &mut Vec<T>,
    enough: usize,
    linger: std::time::Duration,
) -> usize {
    if queue.recv_many(waiting, 64).await == 0 {
        return 0;
    }
    let deadline = tokio::time::sleep(linger);
    tokio::pin!(deadline);
    while waiting.len() < enough {
        tokio::select! {
            () = &mut deadline => break,
            received = queue.recv_many(waiting, 64) => if received == 0 { break },
        }
    }
    waiting.len()
}

#[cfg(test)]
mod tests {
    use super::gather;
    use std::time::{Duration, Instant};
    use tokio::sync::mpsc;

    #[tokio::test]
    async fn rounds_arriving_within_the_linger_are_gathered_and_enough_ends_the_wait() {
        let (send, mut queue) = mpsc::channel(16);
        let mut waiting = Vec::new();
        send.send(1).await.unwrap();
        let later = send.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(20)).await;
            later.send(2).await.unwrap();
        });
        // Two rounds are enough: the second, 20 ms later, ends the wait long before the linger.
        let started = Instant::now();
        assert_eq!(gather(&mut queue, &mut waiting, 2, Duration::from_secs(10)).await, 2);
        assert!(started.elapsed() < Duration::from_secs(5));
        assert_eq!(std::mem::take(&mut waiting), [1, 2]);

        // Alone, a round waits the linger out.
        send.send(3).await.unwrap();
        let started = Instant::now();
        assert_eq!(gather(&mut queue, &mut waiting, 5, Duration::from_millis(50)).await, 1);
        assert!(started.elapsed() >= Duration::from_millis(50));
        assert_eq!(std::mem::take(&mut waiting), [3]);

        // A closed, empty queue ends the recorder.
        drop(send);
        assert_eq!(gather(&mut queue, &mut waiting, 5, Duration::from_millis(50)).await, 0);
    }
}
