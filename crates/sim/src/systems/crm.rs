//! The CRM: a timeline per customer built from the hub's order events — placed, shipped, delivered,
//! cancelled, returned — keyed by the customer id (or e-mail) of the placed order. Served on
//! `GET /customers/{id}/timeline`.

use super::{Context, SimSystem};
use crate::faults::FaultConfig;
use crate::webhook::{EventHandler, Handled};
use crate::world::Seen;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use crossdock_model::{Event, RecordedEvent};
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// Entries kept per customer (the oldest go first).
const MAX_ENTRIES_PER_CUSTOMER: usize = 500;
/// Customers kept; events for further customers are refused as busy.
const MAX_CUSTOMERS: usize = 2_000_000;

/// The CRM's settings.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CrmConfig {
    pub faults: FaultConfig,
}

/// One moment in a customer's history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimelineEntry {
    /// When it happened (the event's own time where it has one, else when the hub recorded it).
    pub at: DateTime<Utc>,
    pub event_type: String,
    pub order_id: String,
    pub summary: String,
}

#[derive(Debug, Default)]
struct Timelines {
    by_customer: HashMap<String, VecDeque<TimelineEntry>>,
    customer_of_order: HashMap<String, String>,
}

/// The CRM.
pub struct Crm {
    context: Context,
    timelines: Mutex<Timelines>,
    seen: Seen<i64>,
}

impl Crm {
    pub fn new(context: Context) -> Self {
        Self { context, timelines: Mutex::default(), seen: Seen::new(5_000_000) }
    }

    /// A customer's timeline, oldest first.
    pub fn timeline(&self, customer: &str) -> Vec<TimelineEntry> {
        self.timelines
            .lock()
            .ok()
            .and_then(|t| t.by_customer.get(customer).map(|e| e.iter().cloned().collect()))
            .unwrap_or_default()
    }

    /// Customers with a timeline.
    pub fn customer_count(&self) -> usize {
        self.timelines.lock().map(|t| t.by_customer.len()).unwrap_or(0)
    }

    /// The customer an order belongs to, once its placement was seen.
    pub fn customer_of(&self, order_id: &str) -> Option<String> {
        self.timelines.lock().ok()?.customer_of_order.get(order_id).cloned()
    }
}

/// (order id, customer key when the event names one, time, summary) of an order event.
fn describe(event: &RecordedEvent) -> Option<(String, Option<String>, DateTime<Utc>, String)> {
    let at = event.recorded_at;
    Some(match &event.payload {
        Event::OrderPlaced { order } => {
            let customer = order.customer.as_ref().and_then(|c| {
                c.id.as_ref().map(|id| id.to_string()).or_else(|| c.email.as_ref().map(|e| e.as_str().to_string()))
            });
            let units: u32 = order.lines.iter().map(|l| l.quantities.ordered).sum();
            let summary = format!("placed on {}: {units} units, {}", order.channel, order.subtotal());
            (
                order.id.to_string(),
                Some(customer.unwrap_or_else(|| format!("guest:{}", order.id))),
                order.placed_at,
                summary,
            )
        }
        Event::ShipmentConfirmed { order_id, shipment } => {
            let tracking = shipment.tracking_number.as_deref().unwrap_or("no tracking");
            (order_id.to_string(), None, shipment.shipped_at, format!("shipped with {} ({tracking})", shipment.carrier))
        }
        Event::DeliveryConfirmed { order_id, delivered_at, shipment_id } => {
            (order_id.to_string(), None, *delivered_at, format!("shipment {shipment_id} delivered"))
        }
        Event::OrderLinesCancelled { order_id, reason, .. } => {
            (order_id.to_string(), None, at, format!("cancelled: {reason}"))
        }
        Event::ReturnRecorded { order_id, record } => {
            let units: u32 = record.lines.iter().map(|l| l.quantity.get()).sum();
            (order_id.to_string(), None, record.received_at, format!("returned {units} units at {}", record.location))
        }
        Event::OrderHeld { order_id, reason } => (order_id.to_string(), None, at, format!("held: {reason}")),
        _ => return None,
    })
}

impl EventHandler for Crm {
    fn handle_event(&self, event: &RecordedEvent) -> Handled {
        let Some((order_id, customer, at, summary)) = describe(event) else { return Handled::Ignored };
        if !self.seen.first_time(event.seq) {
            return Handled::Accepted;
        }
        let Ok(mut timelines) = self.timelines.lock() else { return Handled::Busy };
        let customer = match customer {
            Some(customer) => {
                timelines.customer_of_order.insert(order_id.clone(), customer.clone());
                customer
            }
            None => {
                timelines.customer_of_order.get(&order_id).cloned().unwrap_or_else(|| format!("unknown:{order_id}"))
            }
        };
        if !timelines.by_customer.contains_key(&customer) && timelines.by_customer.len() >= MAX_CUSTOMERS {
            return Handled::Busy;
        }
        let entries = timelines.by_customer.entry(customer).or_default();
        if entries.len() >= MAX_ENTRIES_PER_CUSTOMER {
            entries.pop_front();
        }
        entries.push_back(TimelineEntry { at, event_type: event.event_type.clone(), order_id, summary });
        Handled::Accepted
    }
}

async fn timeline(State(crm): State<Arc<Crm>>, Path(customer): Path<String>) -> Response {
    let entries = crm.timeline(&customer);
    if entries.is_empty() {
        return (StatusCode::NOT_FOUND, Json(serde_json::json!({"error": "no such customer"}))).into_response();
    }
    Json(serde_json::json!({"customer": customer, "entries": entries})).into_response()
}

impl SimSystem for Crm {
    fn context(&self) -> &Context {
        &self.context
    }

    fn role(&self) -> &'static str {
        "crm"
    }

    fn subscribes_to(&self) -> &'static [&'static str] {
        &["order.*"]
    }

    fn routes(self: Arc<Self>) -> Router {
        Router::new().route("/customers/{id}/timeline", get(timeline)).with_state(self)
    }

    fn spawn_tasks(self: Arc<Self>, _stop: watch::Receiver<bool>) -> Vec<JoinHandle<()>> {
        Vec::new()
    }
}
