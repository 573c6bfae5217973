//! The B2B trading partner: a retailer buying wholesale over EDI. It sends purchase orders as X12 850s
//! (one interchange each, at a Poisson rate on the simulated clock) to `POST /v1/edi/{partner}` and
//! checks the 997 the hub answers with; it hands accepted orders to the sourcing stand-in, as a channel
//! does. It picks up what the hub sends to its outbox — 855 acknowledgements, 856 ship notices and 810
//! invoices — answers each with a 997, and reports what arrived and what is overdue.

use super::Context;
use super::sourcing::SourcingStandIn;
use super::trading::{EdiSetup, TradingLink, valid_isa_id};
use crate::catalog::Catalog;
use crate::clock::hours;
use crate::faults::FaultConfig;
use crate::geo::weighted_zip3;
use crate::x12::{ReadInterchange, SetToWrite, element, seg};
use chrono::{DateTime, Utc};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// How the partner buys.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PartnerConfig {
    /// Its id in the hub's `[edi]` configuration (orders are `edi-<id>-<PO>`).
    pub id: String,
    /// Its ISA and GS id (qualifier ZZ).
    pub isa_id: String,
    /// Purchase orders to send in all.
    pub orders: u32,
    /// Mean purchase orders per simulated hour.
    pub orders_per_hour: f64,
    /// Lines per PO: 1 to this many.
    pub max_lines: u32,
    /// Units per line: 1 to this many.
    pub max_units: u32,
    /// Simulated hours within which it expects the 855 after sending a PO.
    pub ack_within_hours: f64,
    /// Simulated hours within which it expects a first 856 after sending a PO.
    pub ship_within_hours: f64,
    /// Simulated hours within which it expects the 810 after an 856.
    pub invoice_within_hours: f64,
    pub faults: FaultConfig,
}

impl Default for PartnerConfig {
    fn default() -> Self {
        Self {
            id: "acme".into(),
            isa_id: "ACMERETAIL".into(),
            orders: 0,
            orders_per_hour: 2.0,
            max_lines: 4,
            max_units: 3,
            ack_within_hours: 24.0,
            ship_within_hours: 120.0,
            invoice_within_hours: 24.0,
            faults: FaultConfig::default(),
        }
    }
}

impl PartnerConfig {
    pub fn problems(&self) -> Vec<String> {
        let mut problems = self.faults.problems("partner.faults");
        if self.id.is_empty() || !self.id.bytes().all(|b| b.is_ascii_alphanumeric()) {
            problems.push(format!("partner.id {:?} must be letters and digits", self.id));
        }
        if !valid_isa_id(&self.isa_id) {
            problems.push(format!("partner.isa_id {:?} must be 1 to 15 letters or digits", self.isa_id));
        }
        if !self.orders_per_hour.is_finite() || self.orders_per_hour <= 0.0 {
            problems.push("partner.orders_per_hour must be above 0".into());
        }
        if !(1..=50).contains(&self.max_lines) || !(1..=1000).contains(&self.max_units) {
            problems.push("partner.max_lines must be 1 to 50 and max_units 1 to 1000".into());
        }
        let windows = [self.ack_within_hours, self.ship_within_hours, self.invoice_within_hours];
        if !windows.iter().all(|h| h.is_finite() && *h > 0.0) {
            problems.push("partner: the *_within_hours windows must be above 0".into());
        }
        problems
    }
}

/// What the partner knows of one purchase order.
#[derive(Debug, Clone, Default)]
struct PurchaseOrder {
    sent_at: Option<DateTime<Utc>>,
    units: u32,
    ack_855_at: Option<DateTime<Utc>>,
    shipped_units: u32,
    first_856_at: Option<DateTime<Utc>>,
    last_856_at: Option<DateTime<Utc>>,
    /// 856s and 810s received for it (the hub invoices each shipment).
    notices: u32,
    invoices: u32,
}

impl PurchaseOrder {
    fn invoices_missing(&self) -> bool {
        self.invoices < self.notices
    }
}

/// What the partner received, by purchase order, with the references seen (a resent document counts once).
#[derive(Debug, Default)]
struct Books {
    orders: BTreeMap<String, PurchaseOrder>,
    /// BSN02 of the 856s and BIG02 of the 810s received.
    notices: BTreeSet<String>,
    invoices: BTreeSet<String>,
}

/// The partner's report: what it sent, what came back, what is overdue.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PartnerReport {
    pub purchase_orders_sent: u64,
    /// POs the hub did not take (a 997 that rejects, or no answer after retries).
    pub purchase_orders_refused: u64,
    /// Interchanges answered with a 997 accepting them.
    pub acknowledged_997: u64,
    /// POs with an 855.
    pub acknowledged_855: u64,
    /// POs with at least one 856, and those shipped in full.
    pub shipped: u64,
    pub shipped_complete: u64,
    /// POs with at least one 810; 856s and 810s received.
    pub invoiced: u64,
    pub ship_notices: u64,
    pub invoices: u64,
    /// POs without an 855 past `ack_within_hours`; without an 856 past `ship_within_hours`; with fewer
    /// 810s than 856s past `invoice_within_hours` after the last 856.
    pub overdue_855: u64,
    pub overdue_856: u64,
    pub overdue_810: u64,
}

/// The B2B trading partner.
pub struct Partner {
    context: Context,
    config: PartnerConfig,
    link: TradingLink,
    catalog: Arc<Catalog>,
    sourcing: Option<Arc<SourcingStandIn>>,
    books: Mutex<Books>,
    sent: AtomicU64,
    refused: AtomicU64,
    acked: AtomicU64,
    poll: std::time::Duration,
}

impl Partner {
    pub fn new(
        context: Context,
        config: PartnerConfig,
        setup: &EdiSetup,
        catalog: Arc<Catalog>,
        sourcing: Option<Arc<SourcingStandIn>>,
    ) -> Self {
        let link = TradingLink::new(setup, &config.id, &config.isa_id);
        let poll = std::time::Duration::from_millis(setup.poll_ms);
        Self {
            context,
            config,
            link,
            catalog,
            sourcing,
            books: Mutex::default(),
            sent: AtomicU64::new(0),
            refused: AtomicU64::new(0),
            acked: AtomicU64::new(0),
            poll,
        }
    }

    pub fn context(&self) -> &Context {
        &self.context
    }

    /// The hub's `[[edi.partners]]` entry: it receives 855, 856 and 810.
    pub fn partner_toml(&self) -> String {
        self.link.partner_toml(&["855", "856", "810"], &[])
    }

    /// Whether every PO has been sent and every expected 855 and 810 has arrived (856s of orders the hub
    /// cancelled never come, so they are not waited for).
    pub fn done(&self) -> bool {
        let tried = self.sent.load(Ordering::Relaxed) + self.refused.load(Ordering::Relaxed);
        if tried < u64::from(self.config.orders) {
            return false;
        }
        let Ok(books) = self.books.lock() else { return true };
        books.orders.values().all(|o| o.ack_855_at.is_some() && !o.invoices_missing())
    }

    /// The next purchase order as an 850, with its PO number and units.
    fn purchase_order(&self, rng: &mut StdRng, n: u32, now: DateTime<Utc>) -> (String, u32, SetToWrite) {
        let po = format!("{}{:06}", self.config.id.to_uppercase(), n);
        let (date, time) = (now.format("%Y%m%d").to_string(), now.format("%H%M").to_string());
        let store = rng.random_range(1..=40u32);
        let zip3 = weighted_zip3(rng);
        let (zip, state) = zip3.map_or(("10001".to_string(), "NY".to_string()), |z| {
            (format!("{}{:02}", z.zip3, rng.random_range(1..100u32)), z.state.clone())
        });
        let mut body = vec![
            seg(&["BEG", "00", "SA", &po, "", &date]),
            seg(&["DTM", "004", &date, &time]),
            seg(&["N1", "BY", "Acme Retail", "92", &self.config.isa_id]),
            seg(&["N1", "ST", &format!("Acme Store {store}"), "92", &format!("ST{store:03}")]),
            seg(&["N3", &format!("{} Commerce Blvd", 100 + store)]),
            seg(&["N4", &format!("Town {store}"), &state, &zip, "US"]),
        ];
        let lines = rng.random_range(1..=self.config.max_lines);
        let mut skus = BTreeSet::new();
        let mut units = 0;
        for _ in 0..lines * 3 {
            if skus.len() as u32 >= lines {
                break;
            }
            let Some(product) = self.catalog.pick(rng) else { break };
            if !skus.insert(product.sku.clone()) {
                continue;
            }
            let quantity = rng.random_range(1..=self.config.max_units);
            units += quantity;
            // Wholesale: 60% of the retail price.
            let price = product.price_minor * 6 / 10;
            let price = format!("{}.{:02}", price / 100, price % 100);
            let line = (skus.len()).to_string();
            body.push(seg(&["PO1", &line, &quantity.to_string(), "EA", &price, "", "VN", &product.sku]));
        }
        body.push(seg(&["CTT", &skus.len().to_string()]));
        (po, units, SetToWrite { id: "850".into(), body })
    }

    /// Sends one purchase order now; true when the hub took it.
    async fn send_next(&self, rng: &mut StdRng, n: u32) -> bool {
        let now = self.context.clock.now();
        let (po, units, set) = self.purchase_order(rng, n, now);
        let bytes = self.link.interchange(&self.context, "PO", &[set]);
        let receipt = match self.link.send(&self.context, &bytes).await {
            Ok(receipt) => receipt,
            Err(e) => {
                self.context.warn("sending an 850", &e);
                self.refused.fetch_add(1, Ordering::Relaxed);
                return false;
            }
        };
        if !receipt.fully_accepted() {
            self.context.stats.note_error(format!("850 {po} was not accepted: {} {}", receipt.status, receipt.issues));
            self.refused.fetch_add(1, Ordering::Relaxed);
            return false;
        }
        self.acked.fetch_add(1, Ordering::Relaxed);
        if let Ok(mut books) = self.books.lock() {
            let entry = books.orders.entry(po.clone()).or_default();
            entry.sent_at = Some(now);
            entry.units = units;
        }
        self.sent.fetch_add(1, Ordering::Relaxed);
        let order_id = format!("edi-{}-{po}", self.config.id);
        if let Some(sourcing) = &self.sourcing
            && !sourcing.submit(&order_id, None)
        {
            self.context.stats.note_error(format!("sourcing queue full; {order_id} not sourced"));
        }
        true
    }

    /// Files what arrived by PO: 855s (BAK03), 856s (PRF01; BSN02 the shipment) with their units (SN102),
    /// 810s (BIG04; BIG02 the invoice number).
    fn file_documents(&self, interchanges: &[ReadInterchange]) {
        let now = self.context.clock.now();
        let Ok(mut books) = self.books.lock() else { return };
        for set in interchanges.iter().flat_map(|i| &i.sets) {
            match set.id.as_str() {
                "855" => {
                    let Some(po) = set.first("BAK").map(|b| element(b, 3).to_string()) else { continue };
                    let entry = books.orders.entry(po).or_default();
                    entry.ack_855_at.get_or_insert(now);
                }
                "856" => {
                    let shipment = set.first("BSN").map(|b| element(b, 2).to_string()).unwrap_or_default();
                    let po = set.first("PRF").map(|p| element(p, 1).to_string()).unwrap_or_default();
                    let units: u32 = set.all("SN1").filter_map(|s| element(s, 2).parse::<u32>().ok()).sum();
                    if books.notices.insert(shipment) {
                        let entry = books.orders.entry(po).or_default();
                        entry.shipped_units += units;
                        entry.notices += 1;
                        entry.first_856_at.get_or_insert(now);
                        entry.last_856_at = Some(now);
                    }
                }
                "810" => {
                    let Some(big) = set.first("BIG") else { continue };
                    if books.invoices.insert(element(big, 2).to_string()) {
                        books.orders.entry(element(big, 4).to_string()).or_default().invoices += 1;
                    }
                }
                _ => {}
            }
        }
    }

    /// Picks up the outbox once (also what the background task does every poll).
    pub async fn pick_up(&self) {
        let read = self.link.pick_up(&self.context).await;
        self.file_documents(&read);
    }

    /// What was sent and received so far, and what is overdue at the simulated time now.
    pub fn report(&self) -> PartnerReport {
        let now = self.context.clock.now();
        let late = |since: Option<DateTime<Utc>>, within: f64| since.is_some_and(|t| now - t > hours(within));
        let Ok(books) = self.books.lock() else { return PartnerReport::default() };
        let sent: Vec<&PurchaseOrder> = books.orders.values().filter(|o| o.sent_at.is_some()).collect();
        let count = |f: &dyn Fn(&PurchaseOrder) -> bool| sent.iter().filter(|o| f(o)).count() as u64;
        let c = &self.config;
        PartnerReport {
            purchase_orders_sent: self.sent.load(Ordering::Relaxed),
            purchase_orders_refused: self.refused.load(Ordering::Relaxed),
            acknowledged_997: self.acked.load(Ordering::Relaxed),
            acknowledged_855: count(&|o| o.ack_855_at.is_some()),
            shipped: count(&|o| o.first_856_at.is_some()),
            shipped_complete: count(&|o| o.units > 0 && o.shipped_units >= o.units),
            invoiced: count(&|o| o.invoices > 0),
            ship_notices: books.notices.len() as u64,
            invoices: books.invoices.len() as u64,
            overdue_855: count(&|o| o.ack_855_at.is_none() && late(o.sent_at, c.ack_within_hours)),
            overdue_856: count(&|o| o.first_856_at.is_none() && late(o.sent_at, c.ship_within_hours)),
            overdue_810: count(&|o| o.invoices_missing() && late(o.last_856_at, c.invoice_within_hours)),
        }
    }

    async fn send_orders(self: Arc<Self>, mut stop: watch::Receiver<bool>) {
        let mut rng = StdRng::seed_from_u64(self.context.seed ^ 0xB2B);
        for n in 1..=self.config.orders {
            let wait = self.context.next_arrival(&mut rng, self.config.orders_per_hour);
            if crate::clock::pause(wait, &mut stop).await {
                break;
            }
            self.send_next(&mut rng, n).await;
        }
    }

    async fn watch_outbox(self: Arc<Self>, mut stop: watch::Receiver<bool>) {
        while !*stop.borrow() {
            self.pick_up().await;
            crate::clock::pause(self.poll, &mut stop).await;
        }
    }

    /// Sends the POs and watches the outbox until `stop`.
    pub fn spawn_tasks(self: Arc<Self>, stop: watch::Receiver<bool>) -> Vec<JoinHandle<()>> {
        vec![tokio::spawn(self.clone().send_orders(stop.clone())), tokio::spawn(self.watch_outbox(stop))]
    }
}
