//! The delivery task: claims due deliveries (bounded by the in-flight limit), sends them per system in
//! batches through the circuit breaker and the system's semaphore, and hands results to a completer that
//! records them in batches (one transaction each).

use super::breaker::Admission;
use super::dispatcher::{Inner, SystemRuntime};
use super::policy::settle;
use crate::transport::OutboundMessage;
use chrono::Utc;
use crossdock_store::{ClaimedDelivery, DeliveryOutcome, DeliveryResult};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};
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
    for (system, mut deliveries) in by_system {
        // A batch takes one system permit per message: never more than the system has, or it waits for ever.
        let size = inner.systems.get(&system).map_or(1, |s| s.spec.batch_size.min(s.spec.max_in_flight).max(1));
        while !deliveries.is_empty() {
            let rest = deliveries.split_off(deliveries.len().min(size));
            let batch = std::mem::replace(&mut deliveries, rest);
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
    let record = |delivery: &ClaimedDelivery, outcome: DeliveryOutcome, permit: OwnedSemaphorePermit| {
        let counter = match &outcome {
            DeliveryOutcome::Delivered { .. } => Some(&runtime.counters.delivered),
            DeliveryOutcome::Retry { .. } => Some(&runtime.counters.retried),
            DeliveryOutcome::Dead { .. } => Some(&runtime.counters.dead),
            DeliveryOutcome::Deferred { .. } => Some(&runtime.counters.deferred),
            DeliveryOutcome::Discarded { .. } => None,
        };
        if let Some(counter) = counter {
            counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
        if let DeliveryOutcome::Delivered { latency_ms, .. } = &outcome {
            runtime.counters.latency.record(*latency_ms);
        }
        let result = DeliveryResult { id: delivery.id, outcome };
        let _ = results.send(Completion { result, _permit: permit });
    };
    let Ok(_system_permits) = runtime.permits.acquire_many(batch.len() as u32).await else { return };
    let now = Utc::now();
    let half_lease = chrono::Duration::from_std(inner.options.lease / 2).unwrap_or_default();
    let mut fresh = Vec::with_capacity(batch.len());
    for (delivery, permit) in batch {
        // Too little of the lease left to be sure no other process takes it over mid-send: hand it back.
        if delivery.lease_expires_at - now < half_lease {
            record(&delivery, DeliveryOutcome::Deferred { until: now }, permit);
        } else {
            fresh.push((delivery, permit));
        }
    }
    // Mappings may take a while (jq runs on its own threads with a deadline): keep them off the runtime.
    let shaper = inner.clone();
    let shaped = tokio::task::spawn_blocking(move || {
        fresh
            .into_iter()
            .map(|(delivery, permit)| (shaped_body(&shaper, &delivery), delivery, permit))
            .collect::<Vec<_>>()
    })
    .await;
    let Ok(shaped) = shaped else {
        tracing::error!(system = %system, "shaping a batch failed; its leases will expire and it will be sent again");
        return;
    };
    let mut ready = Vec::with_capacity(shaped.len());
    for (body, delivery, permit) in shaped {
        match body {
            Ok(Some(body)) => ready.push((delivery, permit, body)),
            Ok(None) => {
                let reason = "the subscription's mapping drops this event".to_string();
                record(&delivery, DeliveryOutcome::Discarded { reason }, permit);
            }
            Err(error) => record(&delivery, DeliveryOutcome::Dead { error, request: None, response: None }, permit),
        }
    }
    if ready.is_empty() {
        return;
    }
    // Ask the breaker only for messages that will really be sent, so that a probe is always answered.
    let mut admitted = admission(runtime, ready.len());
    let mut to_send = Vec::with_capacity(ready.len());
    for (delivery, permit, body) in ready {
        match admitted.next_blocked() {
            None => to_send.push((delivery, permit, body)),
            Some(wait) => {
                let until = now + chrono::Duration::from_std(wait).unwrap_or_default();
                record(&delivery, DeliveryOutcome::Deferred { until }, permit);
            }
        }
    }
    if to_send.is_empty() {
        return;
    }
    let transport = &runtime.spec.transport;
    let messages: Vec<OutboundMessage> = to_send
        .iter()
        .map(|(delivery, _, body)| OutboundMessage {
            idempotency_key: delivery.idempotency_key.clone(),
            event_type: delivery.event.event_type.clone(),
            seq: delivery.event.seq,
            aggregate_id: delivery.event.aggregate_id.clone(),
            body: serde_json::to_vec(body).unwrap_or_default(),
            timestamp: Utc::now(),
        })
        .collect();
    let outcomes = transport.send_batch(&messages).await;
    let finished = Utc::now();
    let mut outcomes = outcomes.into_iter();
    for (delivery, permit, body) in to_send {
        let outcome = outcomes.next().unwrap_or_else(|| crate::transport::SendOutcome::Retry {
            after: None,
            error: "the transport returned no outcome".into(),
            response: None,
        });
        if let Ok(mut breaker) = runtime.breaker.lock() {
            breaker.record(outcome.is_failure(), Instant::now());
        }
        let request = json!({
            "transport": transport.kind(),
            "target": transport.target(),
            "idempotency_key": delivery.idempotency_key,
            "event_type": delivery.event.event_type,
            "body": body,
        });
        let policy = &runtime.spec.retry;
        let outcome = settle(
            outcome,
            policy,
            delivery.attempts,
            delivery.queued_at,
            finished,
            delivery.event.recorded_at,
            request,
        );
        if let DeliveryOutcome::Retry { error, .. } | DeliveryOutcome::Dead { error, .. } = &outcome {
            tracing::debug!(system = %system, key = %delivery.idempotency_key, %error, "delivery failed");
        }
        record(&delivery, outcome, permit);
    }
}

/// The breaker's verdict for a batch, handed out message by message.
struct Admitted {
    send: usize,
    blocked_for: Duration,
}

impl Admitted {
    /// `None` while the message may be sent; the wait once the admitted ones are used up.
    fn next_blocked(&mut self) -> Option<Duration> {
        if self.send > 0 {
            self.send -= 1;
            None
        } else {
            Some(self.blocked_for)
        }
    }
}

fn admission(runtime: &SystemRuntime, size: usize) -> Admitted {
    let cool_down = runtime.spec.breaker.cool_down;
    let verdict = runtime.breaker.lock().map(|mut b| b.admit(Instant::now())).unwrap_or(Admission::All);
    match verdict {
        Admission::All => Admitted { send: size, blocked_for: Duration::ZERO },
        Admission::Probe => Admitted { send: 1, blocked_for: cool_down.min(Duration::from_secs(1)) },
        Admission::Blocked(wait) => Admitted { send: 0, blocked_for: wait },
    }
}

fn shaped_body(inner: &Inner, delivery: &ClaimedDelivery) -> Result<Option<Value>, String> {
    let subscription = inner.subscription(&delivery.subscription).ok_or("unknown subscription")?;
    subscription.shape.body(&delivery.event).map_err(|error| format!("mapping failed: {error}"))
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
