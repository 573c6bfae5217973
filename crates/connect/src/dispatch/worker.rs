//! The delivery task: claims due deliveries (bounded by the in-flight limit), sends them per system in
//! batches through the circuit breaker and the system's semaphore, and hands results to a completer that
//! records them in batches (one transaction each).

use super::dispatcher::Inner;
use super::send;
use chrono::Utc;
use crossdock_store::{ClaimedDelivery, DeliveryOutcome, DeliveryResult};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc, watch};
use tokio::task::JoinSet;

/// A result on its way to the store, holding its share of the in-flight limit until recorded.
struct Completion {
    result: DeliveryResult,
    _permit: OwnedSemaphorePermit,
}

/// How long deliveries wait when this process cannot work them (unknown subscription or system).
const NOT_HERE: Duration = Duration::from_secs(60);

pub(crate) async fn run(inner: Arc<Inner>, mut stopped: watch::Receiver<bool>) {
    let in_flight = Arc::new(Semaphore::new(inner.options.max_in_flight));
    let (results, queue) = mpsc::unbounded_channel();
    let completer = tokio::spawn(complete(inner.clone(), queue));
    let mut sends = JoinSet::new();
    let mut failures = 0u32;
    while !*stopped.borrow() {
        while sends.try_join_next().is_some() {}
        let room = in_flight.available_permits().min(inner.options.claim_batch as usize);
        let wait = if room == 0 {
            inner.options.poll_interval
        } else {
            match inner.store.claim(&inner.options.owner, inner.options.lease, Utc::now(), room as u32).await {
                Ok(claimed) if claimed.is_empty() => inner.options.poll_interval,
                Ok(claimed) => {
                    failures = 0;
                    dispatch(&inner, claimed, &in_flight, &results, &mut sends);
                    continue;
                }
                Err(error) => {
                    failures = failures.saturating_add(1);
                    tracing::warn!(%error, "claiming deliveries failed; retrying");
                    inner.options.poll_interval.saturating_mul(failures.min(40))
                }
            }
        };
        tokio::select! {
            _ = inner.work.notified() => {}
            _ = tokio::time::sleep(wait) => {}
            _ = stopped.changed() => {}
        }
    }
    // Finish what was claimed: every send ends (transport timeouts) and is recorded.
    while sends.join_next().await.is_some() {}
    drop(results);
    if let Err(error) = completer.await {
        tracing::error!(%error, "the completer failed");
    }
}

/// Starts sending the claimed deliveries, grouped by system in batches of the system's batch size.
fn dispatch(
    inner: &Arc<Inner>,
    claimed: Vec<ClaimedDelivery>,
    in_flight: &Arc<Semaphore>,
    results: &mpsc::UnboundedSender<Completion>,
    sends: &mut JoinSet<()>,
) {
    let mut by_system: HashMap<String, Vec<(ClaimedDelivery, OwnedSemaphorePermit)>> = HashMap::new();
    for delivery in claimed {
        // The claim was sized to the free permits and only this task takes them, so this cannot fail.
        let Ok(permit) = in_flight.clone().try_acquire_owned() else { break };
        let known =
            inner.subscription(&delivery.subscription).is_some() && inner.systems.contains_key(&delivery.system);
        if !known {
            tracing::warn!(subscription = %delivery.subscription, system = %delivery.system, "delivery for a subscription this process does not know; deferred");
            let until = Utc::now() + chrono::Duration::from_std(NOT_HERE).unwrap_or_default();
            let result = DeliveryResult { id: delivery.id, outcome: DeliveryOutcome::Deferred { until } };
            let _ = results.send(Completion { result, _permit: permit });
            continue;
        }
        by_system.entry(delivery.system.clone()).or_default().push((delivery, permit));
    }
    for (system, deliveries) in by_system {
        // Only deliveries of known systems were grouped (see above).
        let Some(runtime) = inner.systems.get(&system) else { continue };
        for batch in runtime.spec.send_batches(deliveries) {
            sends.spawn(send_batch(inner.clone(), system.clone(), batch, results.clone()));
        }
    }
}

/// Sends one batch to one system and queues its results.
async fn send_batch(
    inner: Arc<Inner>,
    system: String,
    batch: Vec<(ClaimedDelivery, OwnedSemaphorePermit)>,
    results: mpsc::UnboundedSender<Completion>,
) {
    let Some(runtime) = inner.systems.get(&system) else { return };
    let record = |id: i64, outcome: DeliveryOutcome, permit: OwnedSemaphorePermit| {
        let result = DeliveryResult { id, outcome };
        let _ = results.send(Completion { result, _permit: permit });
    };
    let Ok(_system_permits) = runtime.permits.acquire_many(batch.len() as u32).await else { return };
    let now = Utc::now();
    let half_lease = inner.options.lease_span() / 2;
    let mut fresh = Vec::with_capacity(batch.len());
    let mut permits = HashMap::with_capacity(batch.len());
    for (delivery, permit) in batch {
        // Too little of the lease left to be sure no other process takes it over mid-send: hand it back.
        if delivery.lease_expires_at - now < half_lease {
            let outcome = DeliveryOutcome::Deferred { until: now };
            send::count_outcome(runtime, &outcome);
            record(delivery.id, outcome, permit);
        } else {
            permits.insert(delivery.id, permit);
            fresh.push(delivery);
        }
    }
    if fresh.is_empty() {
        return;
    }
    // Deliveries missing from the answer (shaping failed) keep their lease until it runs out: sent again.
    for (delivery, outcome) in send::send(inner.clone(), &system, fresh, send::Refilter::Yes).await {
        if let Some(permit) = permits.remove(&delivery.id) {
            record(delivery.id, outcome, permit);
        }
    }
}

/// Records results in batches: whatever is queued when the previous transaction ends goes in the next.
async fn complete(inner: Arc<Inner>, mut queue: mpsc::UnboundedReceiver<Completion>) {
    let limit = inner.options.complete_batch;
    let mut batch = Vec::with_capacity(limit);
    while queue.recv_many(&mut batch, limit).await > 0 {
        let results: Vec<DeliveryResult> = batch.iter().map(|c| c.result.clone()).collect();
        for attempt in 0..6u32 {
            match inner.store.complete(&inner.options.owner, &results).await {
                Ok(_) => break,
                Err(error) if attempt < 5 => {
                    tracing::warn!(%error, results = results.len(), "recording results failed; retrying");
                    tokio::time::sleep(Duration::from_millis(50) * 2u32.pow(attempt)).await;
                }
                // The leases run out and the deliveries are sent again: at-least-once holds.
                Err(error) => tracing::error!(%error, results = results.len(), "results could not be recorded"),
            }
        }
        batch.clear();
        inner.work.notify_one();
    }
}
