//! SOURCING STAND-IN. The hub now sources orders itself when they are placed (and fills backorders when
//! stock arrives); this task does the rest of what a channel's order-routing rule would: for each new order
//! it allocates what the hub left unallocated, if stock allows (reading `GET /v1/inventory`, nearest
//! warehouse first, the pickup store first for pickup orders) with `POST /v1/orders/{id}/allocations`, and
//! releases the allocated units with `POST /v1/orders/{id}/release`. Units without stock stay backordered and
//! are tried again later; after the last try they are cancelled.

use super::Context;
use crate::agenda::{Agenda, MAX_JOB_RETRIES, spawn_runner};
use crate::catalog::{Site, SiteKind};
use crate::geo::{distance_km, zip3_of};
use crate::hub::{HubError, OrderAction};
use crossdock_model::{InventoryPosition, LineQuantities, Order};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// How the stand-in behaves.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SourcingConfig {
    /// Simulated hours between tries of a backordered order.
    pub retry_every_hours: f64,
    /// Tries per order before its unallocated units are cancelled (1 to 100).
    pub max_tries: u32,
    /// Orders sourced at once.
    pub concurrency: usize,
}

impl Default for SourcingConfig {
    fn default() -> Self {
        Self { retry_every_hours: 12.0, max_tries: 6, concurrency: 16 }
    }
}

impl SourcingConfig {
    pub fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        if !self.retry_every_hours.is_finite() || self.retry_every_hours <= 0.0 {
            problems.push("sourcing.retry_every_hours must be above 0".into());
        }
        if !(1..=100).contains(&self.max_tries) {
            problems.push("sourcing.max_tries must be 1 to 100".into());
        }
        if !(1..=1024).contains(&self.concurrency) {
            problems.push("sourcing.concurrency must be 1 to 1024".into());
        }
        problems
    }
}

/// An order to source, and which try this is.
#[derive(Debug, Clone)]
struct SourcingJob {
    order_id: String,
    pickup_store: Option<String>,
    attempt: u32,
    /// Times this try was repeated because the hub did not answer.
    retries: u32,
}

/// What one try did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SourcingOutcome {
    pub allocated: u32,
    pub released: bool,
    pub backordered: u32,
    pub cancelled: u32,
}

/// The sourcing stand-in (see the module documentation).
pub struct SourcingStandIn {
    context: Context,
    sites: Arc<Vec<Site>>,
    config: SourcingConfig,
    agenda: Arc<Agenda<SourcingJob>>,
}

impl SourcingStandIn {
    pub fn new(context: Context, sites: Arc<Vec<Site>>, config: SourcingConfig) -> Self {
        Self { context, sites, config, agenda: Arc::new(Agenda::new(1_000_000)) }
    }

    pub fn context(&self) -> &Context {
        &self.context
    }

    /// Queues a newly placed order; false when the queue is full.
    pub fn submit(&self, order_id: &str, pickup_store: Option<String>) -> bool {
        let job = SourcingJob { order_id: order_id.to_string(), pickup_store, attempt: 1, retries: 0 };
        self.agenda.schedule(self.context.clock.now(), job).is_ok()
    }

    /// Orders waiting or being sourced.
    pub fn pending(&self) -> usize {
        self.agenda.pending()
    }

    /// Runs queued orders as they fall due until `stop`.
    pub fn spawn(self: Arc<Self>, stop: watch::Receiver<bool>) -> JoinHandle<()> {
        let this = self.clone();
        spawn_runner(self.agenda.clone(), self.context.faults.clone(), stop, self.config.concurrency, move |job| {
            let this = this.clone();
            async move { this.run(job).await }
        })
    }

    async fn run(&self, job: SourcingJob) {
        match self.source(&job.order_id, job.pickup_store.as_deref(), job.attempt).await {
            Ok(outcome) if outcome.backordered > 0 => {
                let due = self.context.clock.in_hours(self.config.retry_every_hours);
                let next = SourcingJob { attempt: job.attempt + 1, retries: 0, ..job };
                if self.agenda.schedule(due, next).is_err() {
                    self.context.stats.note_error("sourcing queue full; a backorder is dropped".into());
                }
            }
            Ok(_) => {}
            Err(e) => {
                self.context.warn("sourcing an order", &e);
                // The hub did not answer: the same try again in a simulated hour, a bounded number of times.
                if matches!(e, HubError::Unavailable { .. }) && job.retries < MAX_JOB_RETRIES {
                    let due = self.context.clock.in_hours(1.0);
                    let again = SourcingJob { retries: job.retries + 1, ..job };
                    if self.agenda.schedule(due, again).is_err() {
                        self.context.stats.note_error("sourcing queue full; an order is dropped".into());
                    }
                }
            }
        }
    }

    /// One try at an order: allocate what stock allows, release it, and on the last try cancel the rest.
    pub async fn source(
        &self,
        order_id: &str,
        pickup_store: Option<&str>,
        attempt: u32,
    ) -> Result<SourcingOutcome, HubError> {
        let hub = &self.context.hub;
        let Some(order) = hub.order(order_id).await? else { return Ok(SourcingOutcome::default()) };
        let mut outcome = SourcingOutcome::default();
        let allocations = self.plan(&order, pickup_store).await?;
        if !allocations.is_empty() {
            outcome.allocated = allocations.iter().map(|a| a.2).sum();
            let body = json!({"allocations": allocations.iter().map(|(line, location, quantity)| {
                json!({"line_id": line, "location": location, "quantity": quantity})
            }).collect::<Vec<_>>()});
            let key = format!("sourcing:{order_id}:allocate:{attempt}");
            if let Err(e) = hub.order_command(order_id, OrderAction::Allocate, &key, &body).await {
                // Stock went to another order in between: this counts as a try without stock.
                if e.code() != Some("insufficient_stock") {
                    return Err(e);
                }
                outcome.allocated = 0;
            }
        }
        let order = if outcome.allocated > 0 { hub.order(order_id).await?.unwrap_or(order) } else { order };
        let unreleased: u32 =
            order.lines.iter().flat_map(|l| &l.allocations).map(|a| a.allocated.saturating_sub(a.released)).sum();
        if unreleased > 0 && order.hold.is_none() {
            let key = format!("sourcing:{order_id}:release:{attempt}");
            hub.order_command(order_id, OrderAction::Release, &key, &json!({})).await?;
            outcome.released = true;
        }
        let missing: Vec<(String, u32)> = order
            .lines
            .iter()
            .filter(|l| unallocated(&l.quantities) > 0)
            .map(|l| (l.id.to_string(), unallocated(&l.quantities)))
            .collect();
        let missing_units = missing.iter().map(|m| m.1).sum();
        if missing_units > 0 && attempt >= self.config.max_tries {
            let lines: Vec<_> = missing.iter().map(|(id, q)| json!({"line_id": id, "quantity": q})).collect();
            let body = json!({"lines": lines, "reason": "backorder not filled in time"});
            let key = format!("sourcing:{order_id}:cancel-backorder");
            hub.order_command(order_id, OrderAction::Cancel, &key, &body).await?;
            outcome.cancelled = missing_units;
        } else {
            outcome.backordered = missing_units;
        }
        Ok(outcome)
    }

    /// Allocations (line, location, units) for the order's unallocated units from available stock.
    async fn plan(&self, order: &Order, pickup_store: Option<&str>) -> Result<Vec<(String, String, u32)>, HubError> {
        let destination = zip3_of(&order.ship_to.postal_code).map(|z| (z.lat, z.lon));
        let mut candidates: Vec<&Site> = self
            .sites
            .iter()
            .filter(|s| s.kind == SiteKind::Warehouse || Some(s.id.as_str()) == pickup_store)
            .collect();
        candidates.sort_by(|a, b| {
            let rank = |s: &Site| {
                let first = if Some(s.id.as_str()) == pickup_store { 0.0 } else { 1.0 };
                (first, destination.map_or(0.0, |d| distance_km(s.coordinates(), d)))
            };
            rank(a).partial_cmp(&rank(b)).unwrap_or(std::cmp::Ordering::Equal)
        });
        let mut stock: HashMap<String, BTreeMap<String, i64>> = HashMap::new();
        let mut plan = Vec::new();
        for line in order.lines.iter().filter(|l| unallocated(&l.quantities) > 0) {
            let sku = line.sku.to_string();
            if !stock.contains_key(&sku) {
                let positions = self.context.hub.inventory_of(&sku).await?;
                stock.insert(sku.clone(), positions.iter().map(|p| (p.location.to_string(), available(p))).collect());
            }
            let Some(free) = stock.get_mut(&sku) else { continue };
            let mut wanted = unallocated(&line.quantities);
            for site in &candidates {
                if wanted == 0 {
                    break;
                }
                let Some(units) = free.get_mut(&site.id) else { continue };
                let take = wanted.min(u32::try_from((*units).max(0)).unwrap_or(u32::MAX));
                if take > 0 {
                    *units -= i64::from(take);
                    wanted -= take;
                    plan.push((line.id.to_string(), site.id.clone(), take));
                }
            }
        }
        Ok(plan)
    }
}

/// Units of a line neither allocated nor cancelled (zero when the numbers do not add up).
fn unallocated(q: &LineQuantities) -> u32 {
    q.ordered.saturating_sub(q.cancelled).saturating_sub(q.allocated)
}

fn available(position: &InventoryPosition) -> i64 {
    position.on_hand.saturating_sub(position.reserved.max(0)).saturating_sub(position.safety_stock.max(0)).max(0)
}
