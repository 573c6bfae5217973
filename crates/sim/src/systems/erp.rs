//! The ERP: books each order the hub reports (`order.placed`) under a sales-order number, invoices each
//! shipment and credits each return under their own document numbers, follows cancellations and
//! deliveries, and exports a reconciliation (JSON of orders with totals) on `GET /reconciliation` or to a
//! file. It is also the master of locations: it puts the sites on the hub.

use super::{Context, SimSystem};
use crate::catalog::Site;
use crate::faults::FaultConfig;
use crate::hub::HubError;
use crate::webhook::{EventHandler, Handled};
use crate::world::Seen;
use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use crossdock_model::{AggregateKind, Event, RecordedEvent};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// Most orders the ERP books; events of further orders are refused as busy.
const MAX_ORDERS: usize = 5_000_000;

/// The ERP's settings.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ErpConfig {
    pub faults: FaultConfig,
}

/// A document the ERP issued.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Document {
    pub number: String,
    /// The shipment or return it is for.
    pub reference: String,
    pub amount_minor: i64,
}

/// An order as booked in the ERP.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErpOrder {
    pub order_id: String,
    pub document_number: String,
    pub channel: String,
    pub currency: String,
    pub placed_at: Option<DateTime<Utc>>,
    /// Latest event type seen for the order.
    pub status: String,
    pub ordered_minor: i64,
    pub shipping_minor: i64,
    pub cancelled_minor: i64,
    pub invoiced_minor: i64,
    pub credited_minor: i64,
    pub invoices: Vec<Document>,
    pub credit_notes: Vec<Document>,
    pub deliveries: u32,
    #[serde(skip)]
    unit_prices: HashMap<String, i64>,
}

/// Totals over all booked orders.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReconciliationTotals {
    pub orders: u64,
    pub ordered_minor: i64,
    pub shipping_minor: i64,
    pub cancelled_minor: i64,
    pub invoiced_minor: i64,
    pub credited_minor: i64,
}

/// The reconciliation export.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reconciliation {
    /// Simulated time of the export.
    pub generated_at: Option<DateTime<Utc>>,
    pub totals: ReconciliationTotals,
    pub orders: Vec<ErpOrder>,
}

#[derive(Debug, Default)]
struct Books {
    orders: BTreeMap<String, ErpOrder>,
    next_order: u64,
    next_invoice: u64,
    next_credit: u64,
}

impl Books {
    fn order(&mut self, order_id: &str) -> &mut ErpOrder {
        let next = &mut self.next_order;
        self.orders.entry(order_id.to_string()).or_insert_with(|| {
            *next += 1;
            ErpOrder {
                order_id: order_id.to_string(),
                document_number: format!("SO-{:07}", *next),
                ..Default::default()
            }
        })
    }
}

/// The ERP.
pub struct Erp {
    context: Context,
    sites: Arc<Vec<Site>>,
    books: Mutex<Books>,
    seen: Seen<i64>,
}

impl Erp {
    pub fn new(context: Context, sites: Arc<Vec<Site>>) -> Self {
        Self { context, sites, books: Mutex::default(), seen: Seen::new(5_000_000) }
    }

    /// Puts every site on the hub as a location (`PUT /v1/locations/{id}`).
    pub async fn put_locations(&self) -> Result<usize, HubError> {
        for site in self.sites.iter() {
            let key = format!("erp:location:{}:1", site.id);
            self.context.hub.put_location(&site.id, &site.location_body(), &key).await?;
        }
        Ok(self.sites.len())
    }

    /// The sales-order number of an order, once booked.
    pub fn document_number(&self, order_id: &str) -> Option<String> {
        self.books.lock().ok()?.orders.get(order_id).map(|o| o.document_number.clone())
    }

    /// Orders booked.
    pub fn order_count(&self) -> usize {
        self.books.lock().map(|b| b.orders.len()).unwrap_or(0)
    }

    /// The reconciliation: every booked order and the totals.
    pub fn reconciliation(&self) -> Reconciliation {
        let Ok(books) = self.books.lock() else { return Reconciliation::default() };
        let orders: Vec<ErpOrder> = books.orders.values().cloned().collect();
        let mut totals = ReconciliationTotals { orders: orders.len() as u64, ..Default::default() };
        for o in &orders {
            totals.ordered_minor = totals.ordered_minor.saturating_add(o.ordered_minor);
            totals.shipping_minor = totals.shipping_minor.saturating_add(o.shipping_minor);
            totals.cancelled_minor = totals.cancelled_minor.saturating_add(o.cancelled_minor);
            totals.invoiced_minor = totals.invoiced_minor.saturating_add(o.invoiced_minor);
            totals.credited_minor = totals.credited_minor.saturating_add(o.credited_minor);
        }
        Reconciliation { generated_at: Some(self.context.clock.now()), totals, orders }
    }

    /// Writes the reconciliation as pretty JSON to `path`.
    pub fn export_reconciliation(&self, path: &std::path::Path) -> std::io::Result<()> {
        let json = serde_json::to_vec_pretty(&self.reconciliation()).map_err(std::io::Error::other)?;
        std::fs::write(path, json)
    }

    fn book(&self, event: &RecordedEvent) -> Handled {
        let Ok(mut books) = self.books.lock() else { return Handled::Busy };
        if books.orders.len() >= MAX_ORDERS {
            return Handled::Busy;
        }
        let value = |prices: &HashMap<String, i64>, units: &mut dyn Iterator<Item = (&str, u32)>| -> i64 {
            units.fold(0i64, |total, (line, q)| {
                total.saturating_add(prices.get(line).copied().unwrap_or(0).saturating_mul(i64::from(q)))
            })
        };
        match &event.payload {
            Event::OrderPlaced { order } => {
                let booked = books.order(order.id.as_str());
                booked.channel = order.channel.to_string();
                booked.currency = order.currency.to_string();
                booked.placed_at = Some(order.placed_at);
                booked.ordered_minor = order.subtotal().amount_minor;
                booked.shipping_minor = order.shipping.map_or(0, |m| m.amount_minor);
                booked.unit_prices =
                    order.lines.iter().map(|l| (l.id.to_string(), l.unit_price.amount_minor)).collect();
            }
            Event::OrderLinesCancelled { order_id, lines, .. } => {
                let booked = books.order(order_id.as_str());
                let amount =
                    value(&booked.unit_prices, &mut lines.iter().map(|l| (l.line_id.as_str(), l.quantity.get())));
                booked.cancelled_minor = booked.cancelled_minor.saturating_add(amount);
            }
            Event::ShipmentConfirmed { order_id, shipment } => {
                books.next_invoice += 1;
                let number = format!("INV-{:07}", books.next_invoice);
                let booked = books.order(order_id.as_str());
                let mut units = shipment.lines.iter().map(|l| (l.line_id.as_str(), l.quantity.get()));
                let amount_minor = value(&booked.unit_prices, &mut units);
                booked.invoiced_minor = booked.invoiced_minor.saturating_add(amount_minor);
                booked.invoices.push(Document { number, reference: shipment.id.to_string(), amount_minor });
            }
            Event::DeliveryConfirmed { order_id, .. } => {
                let booked = books.order(order_id.as_str());
                booked.deliveries = booked.deliveries.saturating_add(1);
            }
            Event::ReturnRecorded { order_id, record } => {
                books.next_credit += 1;
                let number = format!("CN-{:07}", books.next_credit);
                let booked = books.order(order_id.as_str());
                let mut units = record.lines.iter().map(|l| (l.line_id.as_str(), l.quantity.get()));
                let amount_minor = value(&booked.unit_prices, &mut units);
                booked.credited_minor = booked.credited_minor.saturating_add(amount_minor);
                booked.credit_notes.push(Document { number, reference: record.id.to_string(), amount_minor });
            }
            _ => return Handled::Ignored,
        }
        let (kind, order_id) = event.payload.aggregate();
        if kind == AggregateKind::Order {
            books.order(&order_id).status = event.event_type.clone();
        }
        Handled::Accepted
    }
}

impl EventHandler for Erp {
    fn handle_event(&self, event: &RecordedEvent) -> Handled {
        if !event.event_type.starts_with("order.") {
            return Handled::Ignored;
        }
        if !self.seen.first_time(event.seq) {
            return Handled::Accepted;
        }
        self.book(event)
    }
}

async fn reconciliation(State(erp): State<Arc<Erp>>) -> Json<Reconciliation> {
    Json(erp.reconciliation())
}

impl SimSystem for Erp {
    fn context(&self) -> &Context {
        &self.context
    }

    fn role(&self) -> &'static str {
        "erp"
    }

    fn subscribes_to(&self) -> &'static [&'static str] {
        &[
            "order.placed",
            "order.lines_cancelled",
            "order.shipment_confirmed",
            "order.delivery_confirmed",
            "order.return_recorded",
        ]
    }

    fn routes(self: Arc<Self>) -> Router {
        Router::new().route("/reconciliation", get(reconciliation)).with_state(self)
    }

    fn spawn_tasks(self: Arc<Self>, _stop: watch::Receiver<bool>) -> Vec<JoinHandle<()>> {
        Vec::new()
    }
}
