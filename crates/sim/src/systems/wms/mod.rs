//! The JSON warehouse (WMS) of the warehouses: on `order.released` for one of its sites it picks after a
//! delay, with configurable short-pick and wrong-pick rates, and confirms shipments with
//! `POST /v1/orders/{id}/shipments`; short-picked units follow in a later wave (a split shipment) or are
//! cancelled. Periodically it counts some shelves, with configurable drift, and reports the counts with
//! `POST /v1/inventory/counts`, and it receives replenishment for low shelves as adjustments.

mod count;
mod pick;

use super::{Context, SimSystem};
use crate::agenda::{Agenda, MAX_JOB_RETRIES, spawn_runner};
use crate::catalog::{Catalog, Site, SiteKind};
use crate::clock::{hours, later};
use crate::faults::FaultConfig;
use crate::webhook::{EventHandler, Handled};
use crate::world::{GroundTruth, Seen, Shelves};
use crossdock_model::{Event, RecordedEvent};
use rand::SeedableRng;
use rand::rngs::StdRng;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// How the warehouse works.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WmsConfig {
    /// Simulated hours from release to shipment, plus up to `pick_jitter_hours`.
    pub pick_hours: f64,
    pub pick_jitter_hours: f64,
    /// Share of picked lines found short (some units missing).
    pub short_pick_rate: f64,
    /// Share of picked lines where one unit is a wrong item.
    pub wrong_pick_rate: f64,
    /// Simulated hours until short units are picked again (a second shipment).
    pub short_pick_retry_hours: f64,
    /// Pick waves per release before missing units are cancelled (1 to 10).
    pub max_waves: u32,
    /// Simulated hours between cycle-count rounds (0: no counts).
    pub count_every_hours: f64,
    /// Skus counted per warehouse and round.
    pub count_skus: u32,
    /// Share of counted sku-locations whose shelf has drifted since the last count (shrinkage, damage).
    pub drift_rate: f64,
    /// Largest drift, in units either way.
    pub max_drift: u32,
    /// Simulated hours between replenishment rounds (0: none).
    pub replenish_every_hours: f64,
    /// Shelves below this many units get `reorder_units` more.
    pub reorder_point: u32,
    pub reorder_units: u32,
    pub carrier: String,
    pub service: String,
    /// Jobs run at once.
    pub concurrency: usize,
    pub faults: FaultConfig,
}

impl Default for WmsConfig {
    fn default() -> Self {
        Self {
            pick_hours: 4.0,
            pick_jitter_hours: 8.0,
            short_pick_rate: 0.02,
            wrong_pick_rate: 0.01,
            short_pick_retry_hours: 24.0,
            max_waves: 3,
            count_every_hours: 24.0,
            count_skus: 20,
            drift_rate: 0.05,
            max_drift: 3,
            replenish_every_hours: 24.0,
            reorder_point: 3,
            reorder_units: 40,
            carrier: "SimParcel".into(),
            service: "ground".into(),
            concurrency: 32,
            faults: FaultConfig::default(),
        }
    }
}

impl WmsConfig {
    pub fn problems(&self) -> Vec<String> {
        let mut problems = self.faults.problems("wms.faults");
        let hours_ok = |h: f64| h.is_finite() && h >= 0.0;
        let share_ok = |s: f64| s.is_finite() && (0.0..=1.0).contains(&s);
        let spans = [self.pick_hours, self.pick_jitter_hours, self.short_pick_retry_hours, self.count_every_hours];
        if !spans.iter().chain([&self.replenish_every_hours]).all(|h| hours_ok(*h)) {
            problems.push("wms: hours must be finite and at least 0".into());
        }
        if !share_ok(self.short_pick_rate) || !share_ok(self.wrong_pick_rate) || !share_ok(self.drift_rate) {
            problems.push("wms: short_pick_rate, wrong_pick_rate and drift_rate must be from 0 to 1".into());
        }
        if !(1..=10).contains(&self.max_waves) {
            problems.push("wms.max_waves must be 1 to 10".into());
        }
        if self.max_drift > 1000 || self.count_skus > 100_000 || self.reorder_units > 1_000_000 {
            problems.push("wms: max_drift, count_skus or reorder_units is too large".into());
        }
        if self.carrier.trim().is_empty() || self.service.trim().is_empty() {
            problems.push("wms: carrier and service must not be empty".into());
        }
        if !(1..=1024).contains(&self.concurrency) {
            problems.push("wms.concurrency must be 1 to 1024".into());
        }
        problems
    }
}

/// A pick of released units of one order at one warehouse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PickJob {
    pub order_id: String,
    pub location: String,
    /// (line id, units).
    pub lines: Vec<(String, u32)>,
    /// The log position of the `order.released` it picks: a later release to the same site (a backorder
    /// filled there) is a shipment of its own.
    pub release: i64,
    /// 1 for the first pick of a release, 2 for the first re-pick of short units, …
    pub wave: u32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum WmsJob {
    Pick(PickJob),
    Count { location: String, round: u32 },
    Replenish { round: u32 },
}

/// The warehouse management system.
pub struct Wms {
    context: Context,
    config: WmsConfig,
    catalog: Arc<Catalog>,
    warehouses: Vec<String>,
    shelves: Arc<Shelves>,
    truth: Arc<GroundTruth>,
    agenda: Arc<Agenda<(WmsJob, u32)>>,
    seen: Seen<(i64, String)>,
    dice: Mutex<StdRng>,
    tracking: AtomicU64,
    /// Picks running now.
    picking: AtomicUsize,
}

impl Wms {
    /// A WMS running the warehouses among `sites`.
    pub fn new(
        context: Context,
        config: WmsConfig,
        catalog: Arc<Catalog>,
        sites: &[Site],
        truth: Arc<GroundTruth>,
    ) -> Self {
        let warehouses = sites.iter().filter(|s| s.kind == SiteKind::Warehouse).map(|s| s.id.clone()).collect();
        let dice = Mutex::new(StdRng::seed_from_u64(context.seed ^ 0x3315));
        Self {
            context,
            config,
            catalog,
            warehouses,
            shelves: Arc::new(Shelves::default()),
            truth,
            agenda: Arc::new(Agenda::new(1_000_000)),
            seen: Seen::new(1_000_000),
            dice,
            tracking: AtomicU64::new(0),
            picking: AtomicUsize::new(0),
        }
    }

    pub fn warehouses(&self) -> &[String] {
        &self.warehouses
    }

    /// What is physically on the warehouse shelves.
    pub fn shelves(&self) -> &Arc<Shelves> {
        &self.shelves
    }

    /// Jobs waiting or running (picks, counts, replenishment).
    pub fn pending(&self) -> usize {
        self.agenda.pending()
    }

    /// Picks waiting or running.
    pub fn pending_picks(&self) -> usize {
        self.agenda.count_waiting(|(job, _)| matches!(job, WmsJob::Pick(_))) + self.picking.load(Ordering::Relaxed)
    }

    /// Reports the opening stock of every warehouse to the hub and puts it on the shelves.
    pub async fn report_opening_stock(&self, units: u32) -> Result<u32, crate::hub::HubError> {
        super::stock::report_opening_stock(&self.context, &self.shelves, &self.catalog, &self.warehouses, units).await
    }

    /// Runs one pick now (what the background task does when a pick falls due).
    pub async fn run_pick(&self, job: PickJob) {
        pick::run(self, job, 0).await;
    }

    fn schedule(&self, due: chrono::DateTime<chrono::Utc>, job: WmsJob) -> bool {
        self.agenda.schedule(due, (job, 0)).is_ok()
    }

    /// Tries `job` again in a simulated hour, unless it was tried too often already.
    fn retry_later(&self, job: WmsJob, retries: u32) {
        if retries >= MAX_JOB_RETRIES {
            self.context.stats.note_error(format!("wms gave up on {job:?}"));
        } else if self.agenda.schedule(self.context.clock.in_hours(1.0), (job, retries + 1)).is_err() {
            self.context.stats.note_error("wms agenda full; a job is dropped".into());
        }
    }

    async fn run(&self, (job, retries): (WmsJob, u32)) {
        match job {
            WmsJob::Pick(pick) => {
                self.picking.fetch_add(1, Ordering::Relaxed);
                pick::run(self, pick, retries).await;
                self.picking.fetch_sub(1, Ordering::Relaxed);
            }
            WmsJob::Count { location, round } => count::cycle_count(self, &location, round).await,
            WmsJob::Replenish { round } => count::replenish(self, round).await,
        }
    }
}

impl EventHandler for Wms {
    fn handle_event(&self, event: &RecordedEvent) -> Handled {
        let Event::OrderReleased { order_id, lines } = &event.payload else { return Handled::Ignored };
        let mut per_site: BTreeMap<&str, Vec<(String, u32)>> = BTreeMap::new();
        for line in lines.iter().filter(|l| self.warehouses.iter().any(|w| w == l.location.as_str())) {
            per_site.entry(line.location.as_str()).or_default().push((line.line_id.to_string(), line.quantity));
        }
        if per_site.is_empty() {
            return Handled::Ignored;
        }
        if self.agenda.len() + per_site.len() > 900_000 {
            return Handled::Busy;
        }
        for (location, lines) in per_site {
            if !self.seen.first_time((event.seq, location.to_string())) {
                continue;
            }
            let jitter = self.dice.lock().map(|mut d| rand::Rng::random::<f64>(&mut *d)).unwrap_or(0.5);
            let due = self.context.clock.in_hours(self.config.pick_hours + jitter * self.config.pick_jitter_hours);
            let job = PickJob {
                order_id: order_id.to_string(),
                location: location.to_string(),
                lines,
                release: event.seq,
                wave: 1,
            };
            if !self.schedule(due, WmsJob::Pick(job)) {
                return Handled::Busy;
            }
        }
        Handled::Accepted
    }
}

impl SimSystem for Wms {
    fn context(&self) -> &Context {
        &self.context
    }

    fn role(&self) -> &'static str {
        "wms"
    }

    fn subscribes_to(&self) -> &'static [&'static str] {
        &["order.released"]
    }

    fn spawn_tasks(self: Arc<Self>, stop: watch::Receiver<bool>) -> Vec<JoinHandle<()>> {
        let now = self.context.clock.now();
        if self.config.count_every_hours > 0.0 {
            for location in &self.warehouses {
                self.schedule(
                    later(now, hours(self.config.count_every_hours)),
                    WmsJob::Count { location: location.clone(), round: 1 },
                );
            }
        }
        if self.config.replenish_every_hours > 0.0 {
            self.schedule(later(now, hours(self.config.replenish_every_hours)), WmsJob::Replenish { round: 1 });
        }
        let this = self.clone();
        let runner =
            spawn_runner(self.agenda.clone(), self.context.faults.clone(), stop, self.config.concurrency, move |job| {
                let this = this.clone();
                async move { this.run(job).await }
            });
        vec![runner]
    }
}
