//! The 3PL: a third-party warehouse that runs some of the network's warehouses and speaks EDI. It picks
//! up the 940 warehouse shipping orders the hub drops in its outbox (answering each interchange with a
//! 997), picks after a delay with configurable short-pick and wrong-pick rates, and reports each
//! shipment as a 945 to `POST /v1/edi/{partner}`; short units follow in a later wave. Its cycle counts
//! (with drift) go to the hub as 846s. Two things it cannot say in the X12 the hub maps go through the
//! REST API instead: receipts of replenishment and opening stock (adjustments; the hub maps no 944), and
//! cancelling units still missing after the last wave.

mod work;

use super::Context;
use super::trading::{EdiSetup, TradingLink, valid_isa_id};
use crate::agenda::{Agenda, spawn_runner};
use crate::catalog::{Catalog, Site};
use crate::clock::{hours, later};
use crate::faults::FaultConfig;
use crate::world::{GroundTruth, Shelves};
use crate::x12::{ReadInterchange, element};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use tokio::sync::{RwLock, watch};
use tokio::task::JoinHandle;

/// How the 3PL works.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ThreePlConfig {
    /// Its id in the hub's `[edi]` configuration.
    pub id: String,
    /// Its ISA and GS id (qualifier ZZ).
    pub isa_id: String,
    /// The warehouses (site ids) it runs; the JSON WMS runs the others.
    pub warehouses: Vec<String>,
    /// Simulated hours from a 940's arrival to the shipment, plus up to `pick_jitter_hours`.
    pub pick_hours: f64,
    pub pick_jitter_hours: f64,
    /// Share of picked lines found short, and of lines where one unit is a wrong item.
    pub short_pick_rate: f64,
    pub wrong_pick_rate: f64,
    /// Simulated hours until short units are picked again; waves per order before they are cancelled.
    pub short_pick_retry_hours: f64,
    pub max_waves: u32,
    /// Simulated hours between cycle counts (0: none), skus per count, drift share and size.
    pub count_every_hours: f64,
    pub count_skus: u32,
    pub drift_rate: f64,
    pub max_drift: u32,
    /// Simulated hours between replenishments (0: none); shelves below `reorder_point` get `reorder_units`.
    pub replenish_every_hours: f64,
    pub reorder_point: u32,
    pub reorder_units: u32,
    /// The carrier its parcels go with, written as the W27 routing (the carrier the TMS serves).
    pub carrier: String,
    /// Shipments worked at once.
    pub concurrency: usize,
    pub faults: FaultConfig,
}

impl Default for ThreePlConfig {
    fn default() -> Self {
        Self {
            id: "keystone".into(),
            isa_id: "KEYSTONE3PL".into(),
            warehouses: vec!["wh-central".into()],
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
            concurrency: 32,
            faults: FaultConfig::default(),
        }
    }
}

impl ThreePlConfig {
    pub fn problems(&self, sites: &[Site]) -> Vec<String> {
        let mut problems = self.faults.problems("threepl.faults");
        if self.id.is_empty() || !self.id.bytes().all(|b| b.is_ascii_alphanumeric()) {
            problems.push(format!("threepl.id {:?} must be letters and digits", self.id));
        }
        if !valid_isa_id(&self.isa_id) {
            problems.push(format!("threepl.isa_id {:?} must be 1 to 15 letters or digits", self.isa_id));
        }
        for w in &self.warehouses {
            if !sites.iter().any(|s| &s.id == w && s.kind == crate::catalog::SiteKind::Warehouse) {
                problems.push(format!("threepl.warehouses: {w:?} is not a warehouse of the network"));
            }
        }
        let spans = [
            self.pick_hours,
            self.pick_jitter_hours,
            self.short_pick_retry_hours,
            self.count_every_hours,
            self.replenish_every_hours,
        ];
        if !spans.iter().all(|h| h.is_finite() && *h >= 0.0) {
            problems.push("threepl: hours must be finite and at least 0".into());
        }
        let share_ok = |s: f64| s.is_finite() && (0.0..=1.0).contains(&s);
        if !share_ok(self.short_pick_rate) || !share_ok(self.wrong_pick_rate) || !share_ok(self.drift_rate) {
            problems.push("threepl: short_pick_rate, wrong_pick_rate and drift_rate must be from 0 to 1".into());
        }
        if !(1..=10).contains(&self.max_waves) || !(1..=1024).contains(&self.concurrency) {
            problems.push("threepl: max_waves must be 1 to 10 and concurrency 1 to 1024".into());
        }
        if self.max_drift > 1000 || self.count_skus > 100_000 || self.reorder_units > 1_000_000 {
            problems.push("threepl: max_drift, count_skus or reorder_units is too large".into());
        }
        if self.carrier.trim().is_empty() || self.carrier.len() > 35 {
            problems.push("threepl.carrier must be 1 to 35 characters".into());
        }
        problems
    }
}

/// One line of a 940: the order line (N9*LI), sku (W0105) and units (W0101).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderedLine {
    pub line_id: String,
    pub sku: String,
    pub units: u32,
}

/// A shipment to work: an order's lines at one warehouse, and which wave this is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShipJob {
    pub order_id: String,
    pub purchase_order: String,
    /// The 940's GS06-ST02: each release to the 3PL is a shipping order of its own.
    pub shipping_order: String,
    pub location: String,
    pub lines: Vec<OrderedLine>,
    pub wave: u32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Job {
    Ship(ShipJob),
    Count { location: String, round: u32 },
    Replenish { round: u32 },
}

/// Reads the 940s of an interchange into shipments to work; sets it cannot read are counted as errors.
pub fn shipping_orders(interchange: &ReadInterchange) -> Vec<Result<ShipJob, String>> {
    let mut jobs = Vec::new();
    for set in interchange.sets.iter().filter(|s| s.id == "940") {
        let w05 = set.first("W05");
        let warehouse = set.all("N1").find(|n| element(n, 1) == "WH").map(|n| element(n, 4).to_string());
        let (Some(w05), Some(location)) = (w05, warehouse) else {
            jobs.push(Err(format!("940 {}: no W05 or no N1*WH", set.control)));
            continue;
        };
        let mut lines: Vec<OrderedLine> = Vec::new();
        for segment in &set.body {
            match segment[0].as_str() {
                "W01" => lines.push(OrderedLine {
                    line_id: String::new(),
                    sku: element(segment, 5).to_string(),
                    units: element(segment, 1).parse().unwrap_or(0),
                }),
                "N9" if element(segment, 1) == "LI" => {
                    if let Some(last) = lines.last_mut() {
                        last.line_id = element(segment, 2).to_string();
                    }
                }
                _ => {}
            }
        }
        if lines.is_empty() || lines.iter().any(|l| l.line_id.is_empty() || l.units == 0) {
            jobs.push(Err(format!("940 {}: a W01 without units or without its N9*LI line", set.control)));
            continue;
        }
        jobs.push(Ok(ShipJob {
            order_id: element(w05, 2).to_string(),
            purchase_order: element(w05, 3).to_string(),
            shipping_order: format!("{}-{}", set.group_control, set.control),
            location,
            lines,
            wave: 1,
        }));
    }
    jobs
}

/// The 3PL.
pub struct ThreePl {
    context: Context,
    config: ThreePlConfig,
    link: TradingLink,
    catalog: Arc<Catalog>,
    shelves: Arc<Shelves>,
    truth: Arc<GroundTruth>,
    agenda: Arc<Agenda<Job>>,
    dice: Mutex<StdRng>,
    /// Picks hold it shared; counts exclusively, so a count never sees a pick whose 945 is in flight.
    floor: RwLock<()>,
    /// Shipments waiting or being worked.
    shipping: AtomicUsize,
    orders_received: AtomicU64,
    shipments_sent: AtomicU64,
    /// Numbers its shipments (`KS00000001`, …; W0604 holds 30 characters).
    shipment_numbers: AtomicU64,
    counts_sent: AtomicU64,
    poll: std::time::Duration,
}

/// What the 3PL did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ThreePlReport {
    /// 940s received, 945s and 846s the hub accepted.
    pub shipping_orders: u64,
    pub shipping_advices: u64,
    pub inventory_advices: u64,
}

impl ThreePl {
    pub fn new(
        context: Context,
        config: ThreePlConfig,
        setup: &EdiSetup,
        catalog: Arc<Catalog>,
        truth: Arc<GroundTruth>,
    ) -> Self {
        let link = TradingLink::new(setup, &config.id, &config.isa_id);
        let dice = Mutex::new(StdRng::seed_from_u64(context.seed ^ 0x3B1));
        let poll = std::time::Duration::from_millis(setup.poll_ms);
        Self {
            context,
            config,
            link,
            catalog,
            shelves: Arc::new(Shelves::default()),
            truth,
            agenda: Arc::new(Agenda::new(1_000_000)),
            dice,
            floor: RwLock::new(()),
            shipping: AtomicUsize::new(0),
            orders_received: AtomicU64::new(0),
            shipments_sent: AtomicU64::new(0),
            shipment_numbers: AtomicU64::new(0),
            counts_sent: AtomicU64::new(0),
            poll,
        }
    }

    pub fn context(&self) -> &Context {
        &self.context
    }

    pub fn warehouses(&self) -> &[String] {
        &self.config.warehouses
    }

    pub fn shelves(&self) -> &Arc<Shelves> {
        &self.shelves
    }

    /// The hub's `[[edi.partners]]` entry: it receives 940s for its warehouses.
    pub fn partner_toml(&self) -> String {
        self.link.partner_toml(&["940"], &self.config.warehouses)
    }

    /// Shipments waiting or being worked.
    pub fn pending_shipments(&self) -> usize {
        self.shipping.load(Ordering::Relaxed)
    }

    pub fn report(&self) -> ThreePlReport {
        ThreePlReport {
            shipping_orders: self.orders_received.load(Ordering::Relaxed),
            shipping_advices: self.shipments_sent.load(Ordering::Relaxed),
            inventory_advices: self.counts_sent.load(Ordering::Relaxed),
        }
    }

    /// Reports the opening stock of its warehouses (REST adjustments) and puts it on the shelves.
    pub async fn report_opening_stock(&self, units: u32) -> Result<u32, crate::hub::HubError> {
        let warehouses = &self.config.warehouses;
        super::stock::report_opening_stock(&self.context, &self.shelves, &self.catalog, warehouses, units).await
    }

    fn roll(&self, share: f64) -> bool {
        share > 0.0 && self.dice.lock().map(|mut d| d.random::<f64>() < share).unwrap_or(false)
    }

    fn schedule(&self, due: chrono::DateTime<chrono::Utc>, job: Job) -> bool {
        let shipment = matches!(job, Job::Ship(_));
        let ok = self.agenda.schedule(due, job).is_ok();
        if ok && shipment {
            self.shipping.fetch_add(1, Ordering::Relaxed);
        }
        ok
    }

    /// Picks up the outbox once: each 940 becomes a shipment due after the pick delay.
    pub async fn pick_up(&self) {
        for interchange in self.link.pick_up(&self.context).await {
            for job in shipping_orders(&interchange) {
                match job {
                    Ok(job) => {
                        self.orders_received.fetch_add(1, Ordering::Relaxed);
                        let jitter = self.dice.lock().map(|mut d| d.random::<f64>()).unwrap_or(0.5);
                        let delay = self.config.pick_hours + jitter * self.config.pick_jitter_hours;
                        if !self.schedule(self.context.clock.in_hours(delay), Job::Ship(job)) {
                            self.context.stats.note_error("3pl agenda full; a 940 is dropped".into());
                        }
                    }
                    Err(e) => self.context.stats.note_error(e),
                }
            }
        }
    }

    async fn run(&self, job: Job) {
        match job {
            Job::Ship(job) => {
                work::ship(self, job).await;
                self.shipping.fetch_sub(1, Ordering::Relaxed);
            }
            Job::Count { location, round } => work::cycle_count(self, &location, round).await,
            Job::Replenish { round } => work::replenish(self, round).await,
        }
    }

    async fn watch_outbox(self: Arc<Self>, mut stop: watch::Receiver<bool>) {
        while !*stop.borrow() {
            self.pick_up().await;
            crate::clock::pause(self.poll, &mut stop).await;
        }
    }

    /// Watches the outbox, works shipments, counts and replenishes until `stop`.
    pub fn spawn_tasks(self: Arc<Self>, stop: watch::Receiver<bool>) -> Vec<JoinHandle<()>> {
        let now = self.context.clock.now();
        if self.config.count_every_hours > 0.0 {
            for location in &self.config.warehouses {
                let job = Job::Count { location: location.clone(), round: 1 };
                self.schedule(later(now, hours(self.config.count_every_hours)), job);
            }
        }
        if self.config.replenish_every_hours > 0.0 {
            self.schedule(later(now, hours(self.config.replenish_every_hours)), Job::Replenish { round: 1 });
        }
        let this = self.clone();
        let runner =
            spawn_runner(self.agenda.clone(), self.context.faults.clone(), stop.clone(), self.config.concurrency, {
                move |job| {
                    let this = this.clone();
                    async move { this.run(job).await }
                }
            });
        vec![runner, tokio::spawn(self.watch_outbox(stop))]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::x12::read;

    #[test]
    fn a_940_becomes_a_shipment_and_a_broken_one_an_error() {
        let text = "ISA*00*          *00*          *ZZ*CROSSDOCK      *ZZ*KEYSTONE3PL    *260709*1200*U*00401*000000001*0*P*:~\
GS*OW*CROSSDOCK*KEYSTONE3PL*20260709*1200*1*X*004010~ST*940*0001~W05*N*edi-acme-PO1*PO1~N1*ST*Ann*92*x~\
N1*WH*wh-central*92*wh-central~W66*PP*M~LX*1~W01*2*EA**VN*SKU-1~N9*LI*1~LX*2~W01*1*EA**VN*SKU-2~N9*LI*2~\
W76*3~SE*13*0001~ST*940*0002~W05*N*web-1*web-1~LX*1~W01*1*EA**VN*S~SE*5*0002~GE*2*1~IEA*1*000000001~";
        let interchange = &read(text.as_bytes()).expect("reads")[0];
        let jobs = shipping_orders(interchange);
        let first = jobs[0].as_ref().expect("first 940");
        assert_eq!((first.order_id.as_str(), first.purchase_order.as_str()), ("edi-acme-PO1", "PO1"));
        assert_eq!(first.location, "wh-central");
        assert_eq!(
            first.lines,
            vec![
                OrderedLine { line_id: "1".into(), sku: "SKU-1".into(), units: 2 },
                OrderedLine { line_id: "2".into(), sku: "SKU-2".into(), units: 1 }
            ]
        );
        assert!(jobs[1].as_ref().is_err_and(|e| e.contains("0002")), "{jobs:?}");
    }
}
