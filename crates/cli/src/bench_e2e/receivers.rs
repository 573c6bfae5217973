//! The receivers standing in for the WMS, ERP, CRM, TMS and finance systems: keep-alive HTTP servers on
//! loopback that answer 204 and note, per order, which of them has received it and when. A request is one
//! message or a crossdock batch (a JSON array); each element counts as one arrival.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use hdrhistogram::Histogram;
use serde::Deserialize;
use std::borrow::Cow;
use std::collections::HashMap;
use std::hash::{BuildHasher, RandomState};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Instant;

/// The systems of the 5-way fan-out, in receiver order.
pub const SYSTEMS: [&str; 5] = ["wms", "erp", "crm", "tms", "finance"];

struct OrderTrack {
    sent: Instant,
    /// Bit i set once receiver i has the order.
    seen: u8,
}

/// Shards of the order table: a receiver locks only the shard of the order at hand, so the five receivers
/// and the load generator rarely wait on each other.
const SHARDS: usize = 64;

struct Figures {
    /// Order sent to the peer → received by one system, in microseconds, first arrivals only.
    delivery: Histogram<u64>,
    /// Order sent → received by every system, in microseconds.
    end_to_end: Histogram<u64>,
    last_done: Option<Instant>,
}

/// Which orders have reached which receivers. Load generators call [`Tracker::sent`] before sending.
pub struct Tracker {
    shards: Vec<Mutex<HashMap<String, OrderTrack>>>,
    hasher: RandomState,
    first_sent: OnceLock<Instant>,
    figures: Mutex<Figures>,
    pub done: AtomicU64,
    pub duplicates: AtomicU64,
    pub unknown: AtomicU64,
}

fn histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 600_000_000, 3).expect("histogram bounds are valid")
}

impl Tracker {
    pub fn new() -> Arc<Self> {
        Arc::new(Self {
            shards: (0..SHARDS).map(|_| Mutex::new(HashMap::new())).collect(),
            hasher: RandomState::new(),
            first_sent: OnceLock::new(),
            figures: Mutex::new(Figures { delivery: histogram(), end_to_end: histogram(), last_done: None }),
            done: AtomicU64::new(0),
            duplicates: AtomicU64::new(0),
            unknown: AtomicU64::new(0),
        })
    }

    fn shard(&self, order: &str) -> &Mutex<HashMap<String, OrderTrack>> {
        &self.shards[self.hasher.hash_one(order) as usize % SHARDS]
    }

    pub fn sent(&self, order: &str, at: Instant) {
        self.shard(order)
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(order.to_string(), OrderTrack { sent: at, seen: 0 });
        self.first_sent.get_or_init(|| at);
    }

    /// Notes that `receiver` has the orders of one request (one for a single message, each element of a
    /// batch); the figures are updated once per request.
    fn arrived<'o>(&self, receiver: usize, orders: impl IntoIterator<Item = &'o str>) {
        let now = Instant::now();
        let bit = 1u8 << receiver;
        // (micros since sent, whether the order is now with every system), first arrivals only.
        let mut firsts: Vec<(u64, bool)> = Vec::new();
        for order in orders {
            let mut shard = self.shard(order).lock().unwrap_or_else(|e| e.into_inner());
            let Some(track) = shard.get_mut(order) else {
                self.unknown.fetch_add(1, Ordering::Relaxed);
                continue;
            };
            if track.seen & bit != 0 {
                self.duplicates.fetch_add(1, Ordering::Relaxed);
                continue;
            }
            track.seen |= bit;
            let micros = now.saturating_duration_since(track.sent).as_micros().max(1) as u64;
            firsts.push((micros, track.seen.count_ones() as usize == SYSTEMS.len()));
        }
        if firsts.is_empty() {
            return;
        }
        let mut figures = self.figures.lock().unwrap_or_else(|e| e.into_inner());
        let mut completed = 0;
        for (micros, complete) in firsts {
            figures.delivery.saturating_record(micros);
            if complete {
                figures.end_to_end.saturating_record(micros);
                completed += 1;
            }
        }
        if completed > 0 {
            figures.last_done = Some(now);
            self.done.fetch_add(completed, Ordering::Relaxed);
        }
    }

    /// Orders delivered to every system, over the time from the first order sent to the last completed.
    pub fn orders_per_sec(&self) -> f64 {
        let figures = self.figures.lock().unwrap_or_else(|e| e.into_inner());
        match (self.first_sent.get(), figures.last_done) {
            (Some(first), Some(last)) => {
                self.done.load(Ordering::Relaxed) as f64 / last.duration_since(*first).as_secs_f64().max(1e-9)
            }
            _ => 0.0,
        }
    }

    /// (p50, p99) in milliseconds of one delivery, and of an order reaching every system.
    pub fn latencies_ms(&self) -> ((f64, f64), (f64, f64)) {
        let figures = self.figures.lock().unwrap_or_else(|e| e.into_inner());
        let ms = |h: &Histogram<u64>, q: f64| h.value_at_quantile(q) as f64 / 1000.0;
        (
            (ms(&figures.delivery, 0.5), ms(&figures.delivery, 0.99)),
            (ms(&figures.end_to_end, 0.5), ms(&figures.end_to_end, 0.99)),
        )
    }
}

/// The order a single request is about: crossdock's envelope names it `aggregate_id`; the Node-RED flow
/// forwards the order itself, whose `id` it is. Only these keys are read; the rest is skipped unparsed.
#[derive(Deserialize)]
struct OrderKey<'a> {
    #[serde(borrow)]
    aggregate_id: Option<Cow<'a, str>>,
    #[serde(borrow)]
    id: Option<Cow<'a, str>>,
}

/// One element of a crossdock batch (`transport.batch_max > 1`): the order is its `aggregate_id`.
#[derive(Deserialize)]
struct Element<'a> {
    #[serde(borrow)]
    aggregate_id: Cow<'a, str>,
}

/// The orders of one request body: a JSON array of batch elements, or one message.
fn orders_of(body: &[u8]) -> Option<Vec<Cow<'_, str>>> {
    if body.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'[') {
        let elements: Vec<Element> = serde_json::from_slice(body).ok()?;
        return Some(elements.into_iter().map(|e| e.aggregate_id).collect());
    }
    match serde_json::from_slice::<OrderKey>(body).ok()? {
        OrderKey { aggregate_id: Some(order), .. } | OrderKey { aggregate_id: None, id: Some(order) } => {
            Some(vec![order])
        }
        _ => None,
    }
}

async fn receive(State((tracker, index)): State<(Arc<Tracker>, usize)>, body: Bytes) -> StatusCode {
    match orders_of(&body) {
        Some(orders) => {
            tracker.arrived(index, orders.iter().map(|o| o.as_ref()));
            StatusCode::NO_CONTENT
        }
        None => StatusCode::BAD_REQUEST,
    }
}

/// Starts one receiver per system on loopback; returns their URLs in [`SYSTEMS`] order.
pub async fn start(tracker: &Arc<Tracker>) -> anyhow::Result<Vec<String>> {
    let mut urls = Vec::new();
    for (index, system) in SYSTEMS.iter().enumerate() {
        let app = axum::Router::new().route("/hook", axum::routing::post(receive)).with_state((tracker.clone(), index));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        urls.push(format!("http://{}/hook", listener.local_addr()?));
        let system = *system;
        tokio::spawn(async move {
            if let Err(e) = axum::serve(listener, app).await {
                tracing::warn!(system, error = %e, "bench receiver stopped");
            }
        });
    }
    Ok(urls)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_is_one_message_or_a_batch_of_elements() {
        let single = br#"{"type":"order.placed","aggregate_id":"o-1","data":{"id":"x"}}"#;
        assert_eq!(orders_of(single), Some(vec![Cow::Borrowed("o-1")]));
        assert_eq!(orders_of(br#"{"id":"o-2","lines":[]}"#), Some(vec![Cow::Borrowed("o-2")]));
        let batch = br#" [{"idempotency_key":"wms-orders:1","aggregate_id":"o-\"3\"","body":{"aggregate_id":"no"}},
                        {"idempotency_key":"wms-orders:2","seq":2,"aggregate_id":"o-4","body":[1]}]"#;
        let orders: Vec<String> = orders_of(batch).unwrap().into_iter().map(Cow::into_owned).collect();
        assert_eq!(orders, ["o-\"3\"", "o-4"]);
        assert_eq!(orders_of(b"[]"), Some(vec![]));
        assert_eq!(orders_of(br#"[{"idempotency_key":"k"}]"#), None, "an element without its order");
        assert_eq!(orders_of(b"{}"), None);
        assert_eq!(orders_of(b"nonsense"), None);
    }

    #[test]
    fn each_element_counts_once_per_receiver_and_duplicates_are_counted() {
        let tracker = Tracker::new();
        let at = Instant::now();
        for order in ["a", "b"] {
            tracker.sent(order, at);
        }
        tracker.arrived(0, ["a", "b", "a", "zzz"]);
        assert_eq!(tracker.duplicates.load(Ordering::Relaxed), 1);
        assert_eq!(tracker.unknown.load(Ordering::Relaxed), 1);
        for receiver in 1..SYSTEMS.len() {
            tracker.arrived(receiver, ["a"]);
        }
        assert_eq!(tracker.done.load(Ordering::Relaxed), 1, "a is with all five, b with one");
        for receiver in 1..SYSTEMS.len() {
            tracker.arrived(receiver, ["b", "b"]);
        }
        assert_eq!(tracker.done.load(Ordering::Relaxed), 2);
        assert_eq!(tracker.duplicates.load(Ordering::Relaxed), 1 + 4);
        assert!(tracker.orders_per_sec() > 0.0);
    }
}
