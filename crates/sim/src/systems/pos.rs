//! The stores' point of sale (POS): walk-in sales reported as inventory adjustments at the store; pickup
//! orders released to a store picked from its shelves, confirmed as a `store-pickup` shipment and, when
//! the customer collects, as delivered; and in-store returns of online orders (buy online, return in
//! store) with `POST /v1/orders/{id}/returns` at the customer's nearest store — always for parcels that
//! held a wrong item, otherwise at the configured return rate.

use super::{Context, SimSystem};
use crate::agenda::{Agenda, MAX_JOB_RETRIES, spawn_runner};
use crate::catalog::{Catalog, Site, SiteKind, nearest};
use crate::clock::{hours, later};
use crate::faults::FaultConfig;
use crate::geo::zip3_of;
use crate::hub::{HubError, OrderAction};
use crate::webhook::{EventHandler, Handled};
use crate::world::{GroundTruth, Seen, Shelves};
use crossdock_model::{Event, RecordedEvent};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// How the stores trade.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PosConfig {
    /// Walk-in sales per simulated hour over all stores (0: none).
    pub sales_per_hour: f64,
    /// Share of delivered online orders brought back to a store.
    pub return_rate: f64,
    /// Simulated hours from delivery to the return.
    pub return_after_hours: f64,
    /// Simulated hours from release to a store pickup being ready.
    pub pick_hours: f64,
    /// Simulated hours from ready to collected.
    pub collect_after_hours: f64,
    pub concurrency: usize,
    pub faults: FaultConfig,
}

impl Default for PosConfig {
    fn default() -> Self {
        Self {
            sales_per_hour: 4.0,
            return_rate: 0.04,
            return_after_hours: 72.0,
            pick_hours: 2.0,
            collect_after_hours: 20.0,
            concurrency: 16,
            faults: FaultConfig::default(),
        }
    }
}

impl PosConfig {
    pub fn problems(&self) -> Vec<String> {
        let mut problems = self.faults.problems("pos.faults");
        let spans = [self.sales_per_hour, self.return_after_hours, self.pick_hours, self.collect_after_hours];
        if !spans.iter().all(|h| h.is_finite() && *h >= 0.0) {
            problems.push("pos: rates and hours must be finite and at least 0".into());
        }
        if !self.return_rate.is_finite() || !(0.0..=1.0).contains(&self.return_rate) {
            problems.push("pos.return_rate must be from 0 to 1".into());
        }
        if !(1..=1024).contains(&self.concurrency) {
            problems.push("pos.concurrency must be 1 to 1024".into());
        }
        problems
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum PosJob {
    Sale { number: u64 },
    StorePick { order_id: String, location: String, lines: Vec<(String, u32)> },
    Collect { order_id: String, shipment_id: String },
    Return { order_id: String },
}

/// The stores' POS.
pub struct Pos {
    context: Context,
    config: PosConfig,
    catalog: Arc<Catalog>,
    sites: Arc<Vec<Site>>,
    stores: Vec<String>,
    shelves: Arc<Shelves>,
    truth: Arc<GroundTruth>,
    agenda: Arc<Agenda<(PosJob, u32)>>,
    seen: Seen<String>,
    dice: Mutex<StdRng>,
    /// Pickups, collections and returns running now.
    serving: AtomicUsize,
}

impl Pos {
    pub fn new(
        context: Context,
        config: PosConfig,
        catalog: Arc<Catalog>,
        sites: Arc<Vec<Site>>,
        truth: Arc<GroundTruth>,
    ) -> Self {
        let stores = sites.iter().filter(|s| s.kind == SiteKind::Store).map(|s| s.id.clone()).collect();
        let dice = Mutex::new(StdRng::seed_from_u64(context.seed ^ 0x9055));
        Self {
            context,
            config,
            catalog,
            sites,
            stores,
            shelves: Arc::new(Shelves::default()),
            truth,
            agenda: Arc::new(Agenda::new(1_000_000)),
            seen: Seen::new(1_000_000),
            dice,
            serving: AtomicUsize::new(0),
        }
    }

    pub fn stores(&self) -> &[String] {
        &self.stores
    }

    pub fn shelves(&self) -> &Arc<Shelves> {
        &self.shelves
    }

    /// Pickups, collections and returns waiting or running (walk-in sales not counted).
    pub fn pending(&self) -> usize {
        let waiting = self.agenda.count_waiting(|(job, _)| !matches!(job, PosJob::Sale { .. }));
        waiting + self.serving.load(Ordering::Relaxed)
    }

    /// Reports every store's opening stock to the hub and puts it on the shelves.
    pub async fn report_opening_stock(&self, units: u32) -> Result<u32, HubError> {
        super::stock::report_opening_stock(&self.context, &self.shelves, &self.catalog, &self.stores, units).await
    }

    fn roll(&self, share: f64) -> bool {
        share > 0.0 && self.dice.lock().map(|mut d| d.random::<f64>() < share).unwrap_or(false)
    }

    fn schedule(&self, due: chrono::DateTime<chrono::Utc>, job: PosJob) -> bool {
        self.schedule_try(due, job, 0)
    }

    fn schedule_try(&self, due: chrono::DateTime<chrono::Utc>, job: PosJob, retries: u32) -> bool {
        let ok = self.agenda.schedule(due, (job, retries)).is_ok();
        if !ok {
            self.context.stats.note_error("pos agenda full; work is dropped".into());
        }
        ok
    }

    async fn run(&self, (job, retries): (PosJob, u32)) {
        let fulfilment = !matches!(job, PosJob::Sale { .. });
        if fulfilment {
            self.serving.fetch_add(1, Ordering::Relaxed);
        }
        self.run_job(job, retries).await;
        if fulfilment {
            self.serving.fetch_sub(1, Ordering::Relaxed);
        }
    }

    async fn run_job(&self, job: PosJob, retries: u32) {
        let result = match &job {
            PosJob::Sale { number } => self.sell(*number).await,
            PosJob::StorePick { order_id, location, lines } => self.store_pick(order_id, location, lines).await,
            PosJob::Collect { order_id, shipment_id } => self.collect(order_id, shipment_id).await,
            PosJob::Return { order_id } => self.take_return(order_id).await,
        };
        if let Err(e) = result {
            self.context.warn("store work", &e);
            let retry = matches!(e, HubError::Unavailable { .. }) && !matches!(job, PosJob::Sale { .. });
            if retry && retries < MAX_JOB_RETRIES {
                self.schedule_try(self.context.clock.in_hours(1.0), job, retries + 1);
            } else if retry {
                self.context.stats.note_error(format!("pos gave up on {job:?}"));
            }
        }
    }

    /// A walk-in sale of one unit of a popular sku at a random store, if the shelf has it.
    async fn sell(&self, number: u64) -> Result<(), HubError> {
        let gap = self.dice.lock().map(|mut d| -d.random::<f64>().max(f64::MIN_POSITIVE).ln()).unwrap_or(1.0);
        self.schedule(
            self.context.clock.in_hours(gap / self.config.sales_per_hour),
            PosJob::Sale { number: number + 1 },
        );
        let picked = self.dice.lock().ok().and_then(|mut d| {
            let store = self.stores.get(d.random_range(0..self.stores.len().max(1)))?.clone();
            Some((store, self.catalog.pick(&mut *d)?.sku.clone()))
        });
        let Some((store, sku)) = picked else { return Ok(()) };
        if self.shelves.take(&store, &sku, 1) == 0 {
            return Ok(());
        }
        let key = format!("pos:sale:{number}");
        let result = self.context.hub.adjust_inventory(&sku, &store, -1, "pos sale", &key).await;
        if result.is_err() {
            self.shelves.add(&store, &sku, 1);
        }
        result
    }

    async fn store_pick(&self, order_id: &str, location: &str, lines: &[(String, u32)]) -> Result<(), HubError> {
        let hub = &self.context.hub;
        let Some(order) = hub.order(order_id).await? else { return Ok(()) };
        let mut shipped = Vec::new();
        let mut missing = Vec::new();
        for (line_id, units) in lines {
            let Some(line) = order.lines.iter().find(|l| l.id.as_str() == line_id) else { continue };
            let room = line
                .allocations
                .iter()
                .find(|a| a.location.as_str() == location)
                .map_or(0, |a| a.released.saturating_sub(a.shipped));
            let wanted = (*units).min(room);
            let got = u32::try_from(self.shelves.take(location, line.sku.as_str(), i64::from(wanted))).unwrap_or(0);
            if got > 0 {
                shipped.push((line_id.clone(), line.sku.to_string(), got));
            }
            if got < wanted {
                missing.push(json!({"line_id": line_id, "quantity": wanted - got}));
            }
        }
        if !shipped.is_empty() {
            let shipment_id = format!("{order_id}-{location}-pickup");
            let body = json!({
                "shipment_id": shipment_id, "location": location, "carrier": "store-pickup", "service": "pickup",
                "lines": shipped.iter().map(|(id, _, q)| json!({"line_id": id, "quantity": q})).collect::<Vec<_>>(),
                "shipped_at": self.context.clock.now(),
            });
            let key = format!("pos:pickup:{shipment_id}");
            if let Err(e) = hub.order_command(order_id, OrderAction::Ship, &key, &body).await {
                for (_, sku, units) in &shipped {
                    self.shelves.add(location, sku, i64::from(*units));
                }
                return Err(e);
            }
            let due = self.context.clock.in_hours(self.config.collect_after_hours);
            self.schedule(due, PosJob::Collect { order_id: order_id.to_string(), shipment_id });
        }
        if !missing.is_empty() {
            let body = json!({"lines": missing, "reason": "not found in the store"});
            let key = format!("pos:cancel-missing:{order_id}:{location}");
            hub.cancel_missing(order_id, location, &key, &body).await?;
        }
        Ok(())
    }

    async fn collect(&self, order_id: &str, shipment_id: &str) -> Result<(), HubError> {
        let body = json!({"shipment_id": shipment_id, "delivered_at": self.context.clock.now()});
        let key = format!("pos:collected:{shipment_id}");
        self.context.hub.order_command(order_id, OrderAction::Deliver, &key, &body).await.map(drop)
    }

    /// A customer brings back (part of) an online order to the nearest store.
    async fn take_return(&self, order_id: &str) -> Result<(), HubError> {
        let hub = &self.context.hub;
        let Some(order) = hub.order(order_id).await? else { return Ok(()) };
        let returnable = |id: &str| {
            order
                .lines
                .iter()
                .find(|l| l.id.as_str() == id)
                .map_or(0, |l| l.quantities.delivered.saturating_sub(l.quantities.returned))
        };
        let wrong = self.truth.wrong_picks(order_id);
        let lines: Vec<_> = if wrong.is_empty() {
            let candidates: Vec<&str> =
                order.lines.iter().map(|l| l.id.as_str()).filter(|id| returnable(id) > 0).collect();
            let Some(line_id) = self
                .dice
                .lock()
                .ok()
                .and_then(|mut d| candidates.get(d.random_range(0..candidates.len().max(1))).copied())
            else {
                return Ok(());
            };
            let reason = if self.roll(0.3) { "defective" } else { "no_longer_needed" };
            let disposition = if reason == "defective" { "damaged" } else { "resellable" };
            vec![json!({"line_id": line_id, "quantity": 1, "reason": reason, "disposition": disposition})]
        } else {
            wrong
                .iter()
                .filter(|(id, _)| returnable(id) > 0)
                .map(|(id, units)| json!({"line_id": id, "quantity": (*units).min(returnable(id)), "reason": "wrong_item", "disposition": "resellable"}))
                .collect()
        };
        if lines.is_empty() {
            return Ok(());
        }
        let point = zip3_of(&order.ship_to.postal_code).map_or((39.8, -98.6), |z| (z.lat, z.lon));
        let Some(store) = nearest(&self.sites, SiteKind::Store, point) else { return Ok(()) };
        let body = json!({
            "return_id": format!("{order_id}-return"), "location": store.id, "lines": lines,
            "received_at": self.context.clock.now(),
        });
        let key = format!("pos:return:{order_id}");
        hub.order_command(order_id, OrderAction::Return, &key, &body).await?;
        for line in lines.iter().filter(|l| l["disposition"] == "resellable") {
            let sku = line["line_id"]
                .as_str()
                .and_then(|id| order.lines.iter().find(|l| l.id.as_str() == id))
                .map(|l| l.sku.to_string());
            if let (Some(sku), Some(units)) = (sku, line["quantity"].as_i64()) {
                self.shelves.add(&store.id, &sku, units);
            }
        }
        Ok(())
    }
}

impl EventHandler for Pos {
    fn handle_event(&self, event: &RecordedEvent) -> Handled {
        let now = self.context.clock.now();
        match &event.payload {
            Event::OrderReleased { order_id, lines } => {
                let mut accepted = false;
                for store in &self.stores {
                    let at_store: Vec<(String, u32)> = lines
                        .iter()
                        .filter(|l| l.location.as_str() == store)
                        .map(|l| (l.line_id.to_string(), l.quantity))
                        .collect();
                    if at_store.is_empty() || !self.seen.first_time(format!("release:{}:{store}", event.seq)) {
                        continue;
                    }
                    let job =
                        PosJob::StorePick { order_id: order_id.to_string(), location: store.clone(), lines: at_store };
                    if !self.schedule(later(now, hours(self.config.pick_hours)), job) {
                        return Handled::Busy;
                    }
                    accepted = true;
                }
                if accepted { Handled::Accepted } else { Handled::Ignored }
            }
            Event::DeliveryConfirmed { order_id, delivered_at, .. } => {
                if !self.seen.first_time(format!("return:{order_id}")) {
                    return Handled::Ignored;
                }
                let wrong_item = !self.truth.wrong_picks(order_id.as_str()).is_empty();
                if !wrong_item && !self.roll(self.config.return_rate) {
                    return Handled::Ignored;
                }
                let due = later((*delivered_at).max(now), hours(self.config.return_after_hours));
                if self.schedule(due, PosJob::Return { order_id: order_id.to_string() }) {
                    Handled::Accepted
                } else {
                    Handled::Busy
                }
            }
            _ => Handled::Ignored,
        }
    }
}

impl SimSystem for Pos {
    fn context(&self) -> &Context {
        &self.context
    }

    fn role(&self) -> &'static str {
        "pos"
    }

    fn subscribes_to(&self) -> &'static [&'static str] {
        &["order.released", "order.delivery_confirmed"]
    }

    fn spawn_tasks(self: Arc<Self>, stop: watch::Receiver<bool>) -> Vec<JoinHandle<()>> {
        if self.config.sales_per_hour > 0.0 && !self.stores.is_empty() {
            self.schedule(self.context.clock.in_hours(1.0 / self.config.sales_per_hour), PosJob::Sale { number: 1 });
        }
        let this = self.clone();
        vec![spawn_runner(
            self.agenda.clone(),
            self.context.faults.clone(),
            stop,
            self.config.concurrency,
            move |job| {
                let this = this.clone();
                async move { this.run(job).await }
            },
        )]
    }
}
