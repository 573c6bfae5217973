//! The receivers standing in for the WMS, ERP, CRM, TMS and finance systems: keep-alive HTTP servers on
//! loopback that answer 204 and note, per order, which of them has received it and when.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use hdrhistogram::Histogram;
use serde::Deserialize;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// The systems of the 5-way fan-out, in receiver order.
pub const SYSTEMS: [&str; 5] = ["wms", "erp", "crm", "tms", "finance"];

struct OrderTrack {
    sent: Instant,
    /// Bit i set once receiver i has the order.
    seen: u8,
}

struct Figures {
    /// Order sent to the peer → received by one system, in microseconds, first arrivals only.
    delivery: Histogram<u64>,
    /// Order sent → received by every system, in microseconds.
    end_to_end: Histogram<u64>,
    first_sent: Option<Instant>,
    last_done: Option<Instant>,
}

/// Which orders have reached which receivers. Load generators call [`Tracker::sent`] before sending.
pub struct Tracker {
    orders: Mutex<HashMap<String, OrderTrack>>,
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
            orders: Mutex::new(HashMap::new()),
            figures: Mutex::new(Figures {
                delivery: histogram(),
                end_to_end: histogram(),
                first_sent: None,
                last_done: None,
            }),
            done: AtomicU64::new(0),
            duplicates: AtomicU64::new(0),
            unknown: AtomicU64::new(0),
        })
    }

    pub fn sent(&self, order: &str, at: Instant) {
        self.orders
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(order.to_string(), OrderTrack { sent: at, seen: 0 });
        let mut figures = self.figures.lock().unwrap_or_else(|e| e.into_inner());
        figures.first_sent.get_or_insert(at);
    }

    fn arrived(&self, receiver: usize, order: &str) {
        let now = Instant::now();
        let (sent, complete) = {
            let mut orders = self.orders.lock().unwrap_or_else(|e| e.into_inner());
            let Some(track) = orders.get_mut(order) else {
                self.unknown.fetch_add(1, Ordering::Relaxed);
                return;
            };
            let bit = 1u8 << receiver;
            if track.seen & bit != 0 {
                self.duplicates.fetch_add(1, Ordering::Relaxed);
                return;
            }
            track.seen |= bit;
            (track.sent, track.seen.count_ones() as usize == SYSTEMS.len())
        };
        let micros = now.saturating_duration_since(sent).as_micros().max(1) as u64;
        let mut figures = self.figures.lock().unwrap_or_else(|e| e.into_inner());
        figures.delivery.saturating_record(micros);
        if complete {
            figures.end_to_end.saturating_record(micros);
            figures.last_done = Some(now);
            self.done.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Orders delivered to every system, over the time from the first order sent to the last completed.
    pub fn orders_per_sec(&self) -> f64 {
        let figures = self.figures.lock().unwrap_or_else(|e| e.into_inner());
        match (figures.first_sent, figures.last_done) {
            (Some(first), Some(last)) => {
                self.done.load(Ordering::Relaxed) as f64 / last.duration_since(first).as_secs_f64().max(1e-9)
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

/// The order a request is about: crossdock's envelope names it `aggregate_id`; the Node-RED flow forwards
/// the order itself, whose `id` it is.
#[derive(Deserialize)]
struct OrderKey {
    aggregate_id: Option<String>,
    id: Option<String>,
}

async fn receive(State((tracker, index)): State<(Arc<Tracker>, usize)>, body: Bytes) -> StatusCode {
    match serde_json::from_slice::<OrderKey>(&body) {
        Ok(OrderKey { aggregate_id: Some(order), .. } | OrderKey { aggregate_id: None, id: Some(order) }) => {
            tracker.arrived(index, &order);
            StatusCode::NO_CONTENT
        }
        _ => StatusCode::BAD_REQUEST,
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
