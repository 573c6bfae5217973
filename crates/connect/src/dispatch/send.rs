//! Sending deliveries to one system: shaping each body, asking the circuit breaker, one `send_batch` on the
//! transport and the retry policy, ending in one outcome per delivery (counted in the system's counters).
//! The claim path (`worker`) and sending on schedule (`sender`) both send through here.

use super::breaker::Admission;
use super::dispatcher::{Inner, SystemRuntime};
use super::policy::settle;
use super::shape::ShapeError;
use crate::transport::{OutboundMessage, SendOutcome};
use chrono::Utc;
use crossdock_store::{ClaimedDelivery, DeliveryOutcome};
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

/// Sends `deliveries` (all to `system`) as one transport batch; returns each with its outcome, in the
/// order given. The caller holds the system's in-flight permits.
pub(crate) async fn send(
    inner: Arc<Inner>,
    system: &str,
    deliveries: Vec<ClaimedDelivery>,
    refilter: Refilter,
) -> Vec<(ClaimedDelivery, DeliveryOutcome)> {
    let Some(runtime) = inner.systems.get(system) else {
        let until = Utc::now() + chrono::Duration::seconds(60);
        return deliveries.into_iter().map(|d| (d, DeliveryOutcome::Deferred { until })).collect();
    };
    let now = Utc::now();
    let count = deliveries.len();
    // Mappings may take a while (jq runs on its own threads with a deadline): keep them off the runtime.
    let shaper = inner.clone();
    let shaped = tokio::task::spawn_blocking(move || {
        deliveries.into_iter().map(|delivery| (shaped_body(&shaper, &delivery, refilter), delivery)).collect::<Vec<_>>()
    })
    .await;
    let Ok(shaped) = shaped else {
        tracing::error!(system = %system, "shaping a batch failed");
        return Vec::with_capacity(count);
    };
    let mut done: Vec<Option<(ClaimedDelivery, DeliveryOutcome)>> = Vec::with_capacity(count);
    let mut ready = Vec::with_capacity(count);
    for (body, delivery) in shaped {
        match body {
            Ok(Shaped::Body(body)) => {
                ready.push((done.len(), delivery, body));
                done.push(None);
            }
            Ok(Shaped::Dropped(reason)) => {
                done.push(Some((delivery, DeliveryOutcome::Discarded { reason: reason.to_string() })));
            }
            // A mapping that timed out (its limit counts the wait for a worker) may well run next time.
            Err(ShapeError { message, retryable: true }) => {
                let request = json!({
                    "transport": runtime.spec.transport.kind(),
                    "target": runtime.spec.transport.target(),
                    "idempotency_key": delivery.idempotency_key,
                    "event_type": delivery.event.event_type,
                });
                let failed =
                    SendOutcome::Retry { after: None, error: format!("mapping failed: {message}"), response: None };
                let (attempts, queued_at, recorded_at) =
                    (delivery.attempts, delivery.queued_at, delivery.event.recorded_at);
                let outcome = settle(failed, &runtime.spec.retry, attempts, queued_at, now, recorded_at, request);
                done.push(Some((delivery, outcome)));
            }
            Err(ShapeError { message, retryable: false }) => {
                let error = format!("mapping failed: {message}");
                done.push(Some((delivery, DeliveryOutcome::Dead { error, request: None, response: None })));
            }
        }
    }
    // Ask the breaker only for messages that will really be sent, so that a probe is always answered.
    let mut admitted = admission(runtime, ready.len());
    let mut to_send = Vec::with_capacity(ready.len());
    for (slot, delivery, body) in ready {
        match admitted.next_blocked() {
            None => to_send.push((slot, delivery, body)),
            Some(wait) => {
                let until = now + chrono::Duration::from_std(wait).unwrap_or_default();
                done[slot] = Some((delivery, DeliveryOutcome::Deferred { until }));
            }
        }
    }
    if !to_send.is_empty() {
        for (slot, delivery, outcome) in transmit(runtime, system, to_send).await {
            done[slot] = Some((delivery, outcome));
        }
    }
    let sent: Vec<(ClaimedDelivery, DeliveryOutcome)> = done.into_iter().flatten().collect();
    for (_, outcome) in &sent {
        count_outcome(runtime, outcome);
    }
    sent
}

/// One `send_batch` on the system's transport; each message's outcome settled by the retry policy.
async fn transmit(
    runtime: &SystemRuntime,
    system: &str,
    to_send: Vec<(usize, ClaimedDelivery, Vec<u8>)>,
) -> Vec<(usize, ClaimedDelivery, DeliveryOutcome)> {
    let transport = &runtime.spec.transport;
    let mut to_send_back = Vec::with_capacity(to_send.len());
    let mut messages = Vec::with_capacity(to_send.len());
    for (slot, delivery, body) in to_send {
        messages.push(OutboundMessage {
            idempotency_key: delivery.idempotency_key.clone(),
            event_type: delivery.event.event_type.clone(),
            seq: delivery.event.seq,
            aggregate_id: delivery.event.aggregate_id.clone(),
            body,
            timestamp: Utc::now(),
        });
        to_send_back.push((slot, delivery));
    }
    let outcomes = transport.send_batch(&messages).await;
    let finished = Utc::now();
    let mut outcomes = outcomes.into_iter();
    let mut settled = Vec::with_capacity(messages.len());
    for ((slot, delivery), message) in to_send_back.into_iter().zip(&messages) {
        let outcome = outcomes.next().unwrap_or_else(|| SendOutcome::Retry {
            after: None,
            error: "the transport returned no outcome".into(),
            response: None,
        });
        if let Ok(mut breaker) = runtime.breaker.lock() {
            breaker.record(outcome.is_failure(), Instant::now());
        }
        // Kept only with a failed attempt (for the dead-letter queue): not built for the acknowledged bulk.
        let request = if !matches!(outcome, SendOutcome::Delivered) {
            json!({
                "transport": transport.kind(),
                "target": transport.target(),
                "idempotency_key": delivery.idempotency_key,
                "event_type": delivery.event.event_type,
                "body": serde_json::from_slice::<Value>(&message.body).unwrap_or(Value::Null),
            })
        } else {
            Value::Null
        };
        let outcome = settle(
            outcome,
            &runtime.spec.retry,
            delivery.attempts,
            delivery.queued_at,
            finished,
            delivery.event.recorded_at,
            request,
        );
        if let DeliveryOutcome::Retry { error, .. } | DeliveryOutcome::Dead { error, .. } = &outcome {
            tracing::debug!(system = %system, key = %delivery.idempotency_key, %error, "delivery failed");
        }
        settled.push((slot, delivery, outcome));
    }
    settled
}

/// Adds an outcome to the system's counters (and a delivered one's latency to its histogram).
pub(crate) fn count_outcome(runtime: &SystemRuntime, outcome: &DeliveryOutcome) {
    let counters = &runtime.counters;
    let counter = match outcome {
        DeliveryOutcome::Delivered { latency_ms, .. } => {
            counters.latency.record(*latency_ms);
            &counters.delivered
        }
        DeliveryOutcome::Retry { .. } => &counters.retried,
        DeliveryOutcome::Dead { .. } => &counters.dead,
        DeliveryOutcome::Deferred { .. } => &counters.deferred,
        DeliveryOutcome::Discarded { .. } => return,
    };
    counter.fetch_add(1, Ordering::Relaxed);
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

/// What a delivery's event becomes for its subscription.
enum Shaped {
    Body(Vec<u8>),
    /// Not sent, for this reason.
    Dropped(&'static str),
}

/// Whether [`send`] runs a filtering subscription's filter again before shaping.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refilter {
    /// Deliveries claimed from the store: scheduling let through events whose filter failed for now, and a
    /// replayed dead letter meets the current filter.
    Yes,
    /// Deliveries sent on schedule, whose filter has just decided (undecided ones are left to the claim path).
    No,
}

/// The body of a delivery, after its filter (see [`Refilter`]).
fn shaped_body(inner: &Inner, delivery: &ClaimedDelivery, refilter: Refilter) -> Result<Shaped, ShapeError> {
    let subscription =
        inner.subscription(&delivery.subscription).ok_or_else(|| ShapeError::permanent("unknown subscription"))?;
    let shape = &subscription.shape;
    if refilter == Refilter::Yes && shape.filters() && !shape.selects(&delivery.event)? {
        return Ok(Shaped::Dropped("the subscription's filter drops this event"));
    }
    Ok(match shape.body_bytes(&delivery.event)? {
        Some(body) => Shaped::Body(body),
        None => Shaped::Dropped("the subscription's mapping drops this event"),
    })
}
