//! The whole simulated ecosystem: every system started with one seed and configuration, each serving its
//! webhook endpoint on 127.0.0.1, with its URL and signing secret for the hub's `[[systems]]` config,
//! counters of what each received and sent, and a clean stop.
//!
//! Order of use: [`SimNetwork::start`] (serve; nothing is sent yet), give [`SimNetwork::endpoints`] (or
//! [`SimNetwork::systems_toml`]) to the hub, [`SimNetwork::seed_hub`] (locations and opening stock),
//! [`SimNetwork::start_traffic`] (orders, sales, counts), wait for [`SimNetwork::is_idle`], then
//! [`SimNetwork::stop`]. With `edi` in the configuration, the hub also needs [`SimNetwork::edi_toml`] and
//! its EDI loop running, for the B2B partner and the 3PL.

use crate::catalog::{Catalog, Site, default_sites};
use crate::clock::SimClock;
use crate::config::{SimConfig, SimError};
use crate::feed::{ChangeFeed, EventRouter, spawn_change_feed};
use crate::stats::StatsSnapshot;
use crate::systems::channel::ChannelSystem;
use crate::systems::crm::Crm;
use crate::systems::erp::Erp;
use crate::systems::partner::{Partner, PartnerReport};
use crate::systems::pos::Pos;
use crate::systems::sourcing::SourcingStandIn;
use crate::systems::threepl::{ThreePl, ThreePlReport};
use crate::systems::tms::Tms;
use crate::systems::wms::Wms;
use crate::systems::{Context, RunningSystem, SimSystem, start_system};
use crate::webhook::{Handled, WebhookSecret};
use crate::world::GroundTruth;
use chrono::{DateTime, Utc};
use crossdock_model::RecordedEvent;
use rand::SeedableRng;
use rand::rngs::StdRng;
use serde::Serialize;
use std::sync::Arc;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// What the hub needs to know to deliver events to one system.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SystemEndpoint {
    /// The system's name in the hub's config (`web_store`, `wms`, …).
    pub name: String,
    /// Its role: `channel`, `pos`, `erp`, `wms`, `tms` or `crm`.
    pub role: String,
    /// `http://127.0.0.1:<port>`: the system's own routes hang off it.
    pub base_url: String,
    /// Where the hub posts events.
    pub webhook_url: String,
    /// The Standard Webhooks secret (`whsec_…`) the hub signs with.
    pub secret: String,
    /// Event-type patterns to subscribe the system to.
    pub events: Vec<String>,
}

/// One system's counters.
#[derive(Debug, Clone, Serialize)]
pub struct SystemReport {
    pub name: String,
    pub role: String,
    pub stats: StatsSnapshot,
}

/// A snapshot of the whole network.
#[derive(Debug, Clone, Serialize)]
pub struct NetworkReport {
    pub sim_time: DateTime<Utc>,
    pub orders_placed: u64,
    pub orders_failed: u64,
    /// Orders shipped with a wrong item (ground truth).
    pub wrongly_picked_orders: usize,
    pub erp_orders: usize,
    pub crm_customers: usize,
    pub pending_sourcing: usize,
    pub pending_picks: usize,
    pub pending_parcels: usize,
    pub pending_store_work: usize,
    /// 3PL shipments waiting or being worked.
    pub pending_3pl_shipments: usize,
    pub systems: Vec<SystemReport>,
    /// The B2B partner's and the 3PL's own reports, when the network has them.
    pub partner: Option<PartnerReport>,
    pub threepl: Option<ThreePlReport>,
}

/// The running simulated systems.
pub struct SimNetwork {
    clock: SimClock,
    catalog: Arc<Catalog>,
    sites: Arc<Vec<Site>>,
    truth: Arc<GroundTruth>,
    config: SimConfig,
    pub web_store: Arc<ChannelSystem>,
    pub marketplace: Arc<ChannelSystem>,
    pub sourcing: Arc<SourcingStandIn>,
    pub pos: Arc<Pos>,
    pub erp: Arc<Erp>,
    pub wms: Arc<Wms>,
    pub tms: Arc<Tms>,
    pub crm: Arc<Crm>,
    /// The EDI trading partners, when the configuration has `edi`.
    pub partner: Option<Arc<Partner>>,
    pub threepl: Option<Arc<ThreePl>>,
    running: Vec<RunningSystem>,
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
    traffic_started: bool,
}

/// A seed for one part of the network, derived from the network's seed and the part's name.
fn derive_seed(seed: u64, name: &str) -> u64 {
    name.bytes().fold(seed ^ 0x5DEE_CE66_D1CE_5EED, |h, b| (h ^ u64::from(b)).wrapping_mul(0x100_0000_01B3))
}

impl SimNetwork {
    /// Validates `config`, builds every system and serves each on 127.0.0.1:0. Nothing is sent to the hub yet.
    pub async fn start(config: SimConfig) -> Result<Self, SimError> {
        config.validate()?;
        let origin = config.start.unwrap_or_else(Utc::now);
        let clock = SimClock::new(origin, config.time_factor).map_err(|e| SimError::Config(vec![e]))?;
        let catalog = Arc::new(Catalog::generate(&config.catalog, config.seed).map_err(|e| SimError::Config(vec![e]))?);
        let sites = Arc::new(default_sites());
        let truth = Arc::new(GroundTruth::default());
        let context = |name: &'static str, faults: &crate::faults::FaultConfig| {
            Context::new(name, clock.clone(), &config.hub, faults.clone(), derive_seed(config.seed, name))
        };
        let sourcing = Arc::new(SourcingStandIn::new(
            context("sourcing", &Default::default())?,
            sites.clone(),
            config.sourcing.clone(),
        ));
        let channel = |name, channel_config: &crate::systems::channel::ChannelConfig| -> Result<_, SimError> {
            Ok(Arc::new(ChannelSystem::new(
                context(name, &channel_config.faults)?,
                channel_config.clone(),
                catalog.clone(),
                sites.clone(),
                Some(sourcing.clone()),
            )))
        };
        let web_store = channel("web_store", &config.web_store)?;
        let marketplace = channel("marketplace", &config.marketplace)?;
        let pos_context = context("pos", &config.pos.faults)?;
        let pos = Arc::new(Pos::new(pos_context, config.pos.clone(), catalog.clone(), sites.clone(), truth.clone()));
        let erp = Arc::new(Erp::new(context("erp", &config.erp.faults)?, sites.clone()));
        let (partner, threepl) = match &config.edi {
            Some(setup) => {
                let partner_context = context("partner", &config.partner.faults)?;
                let partner = Partner::new(
                    partner_context,
                    config.partner.clone(),
                    setup,
                    catalog.clone(),
                    Some(sourcing.clone()),
                );
                let tpl_context = context("threepl", &config.threepl.faults)?;
                let tpl = ThreePl::new(tpl_context, config.threepl.clone(), setup, catalog.clone(), truth.clone());
                (Some(Arc::new(partner)), Some(Arc::new(tpl)))
            }
            None => (None, None),
        };
        // The JSON WMS runs the warehouses the 3PL does not.
        let wms_sites: Vec<Site> = sites
            .iter()
            .filter(|s| !threepl.as_ref().is_some_and(|t| t.warehouses().contains(&s.id)))
            .cloned()
            .collect();
        let wms_context = context("wms", &config.wms.faults)?;
        let wms = Arc::new(Wms::new(wms_context, config.wms.clone(), catalog.clone(), &wms_sites, truth.clone()));
        let tms = Arc::new(Tms::new(context("tms", &config.tms.faults)?, config.tms.clone(), sites.clone()));
        let crm = Arc::new(Crm::new(context("crm", &config.crm.faults)?));

        let mut secrets = StdRng::seed_from_u64(derive_seed(config.seed, "secrets"));
        let systems: [Arc<dyn SimSystem>; 7] =
            [web_store.clone(), marketplace.clone(), pos.clone(), erp.clone(), wms.clone(), tms.clone(), crm.clone()];
        let mut running = Vec::with_capacity(systems.len());
        for system in systems {
            let secret = WebhookSecret::generate(&mut secrets);
            let name = system.context().name;
            running.push(start_system(system, secret).await.map_err(|e| SimError::Io(format!("{name}: {e}")))?);
        }
        let (stop, _) = watch::channel(false);
        let mut network = Self {
            clock,
            catalog,
            sites,
            truth,
            config,
            web_store,
            marketplace,
            sourcing,
            pos,
            erp,
            wms,
            tms,
            crm,
            partner,
            threepl,
            running,
            stop,
            tasks: Vec::new(),
            traffic_started: false,
        };
        network.tasks.push(network.sourcing.clone().spawn(network.stop.subscribe()));
        Ok(network)
    }

    pub fn clock(&self) -> &SimClock {
        &self.clock
    }

    pub fn catalog(&self) -> &Arc<Catalog> {
        &self.catalog
    }

    pub fn sites(&self) -> &[Site] {
        &self.sites
    }

    pub fn ground_truth(&self) -> &Arc<GroundTruth> {
        &self.truth
    }

    pub fn config(&self) -> &SimConfig {
        &self.config
    }

    /// Each system's webhook URL, secret and the events to subscribe it to.
    pub fn endpoints(&self) -> Vec<SystemEndpoint> {
        self.running
            .iter()
            .map(|r| SystemEndpoint {
                name: r.name().to_string(),
                role: r.system.role().to_string(),
                base_url: r.base_url(),
                webhook_url: r.webhook_url(),
                secret: r.secret.as_str().to_string(),
                events: r.system.subscribes_to().iter().map(|e| e.to_string()).collect(),
            })
            .collect()
    }

    /// The endpoint of one system by name.
    pub fn endpoint(&self, name: &str) -> Option<SystemEndpoint> {
        self.endpoints().into_iter().find(|e| e.name == name)
    }

    /// `[[systems]]` and `[[subscriptions]]` for the hub's configuration: every system as an HTTP webhook
    /// receiver with Standard Webhooks (HMAC) signing, subscribed to the events it handles.
    pub fn systems_toml(&self) -> String {
        let quote = |s: &str| serde_json::Value::String(s.to_string()).to_string();
        let mut toml = String::new();
        for e in self.endpoints() {
            toml.push_str(&format!(
                "[[systems]]\nname = {}\nrole = {}\ntransport = {{ type = \"http\", url = {} }}\nauth = {{ type = \"hmac\", secret = {} }}\n\n",
                quote(&e.name), quote(&e.role), quote(&e.webhook_url), quote(&e.secret)
            ));
        }
        for e in self.endpoints() {
            let events: Vec<String> = e.events.iter().map(|ev| quote(ev)).collect();
            toml.push_str(&format!(
                "[[subscriptions]]\nname = {}\nsystem = {}\nevents = [{}]\n\n",
                quote(&format!("{}-events", e.name)),
                quote(&e.name),
                events.join(", ")
            ));
        }
        toml
    }

    /// The hub's `[edi]` section for the B2B partner and the 3PL (folders, local ids, partners); `None`
    /// when the network has no EDI.
    pub fn edi_toml(&self) -> Option<String> {
        let setup = self.config.edi.as_ref()?;
        let quote = |s: &str| serde_json::Value::String(s.to_string()).to_string();
        let mut toml = format!(
            "[edi]\nfolders = {}\npoll_seconds = 1\n\n[edi.local]\nisa_qualifier = \"ZZ\"\nisa_id = {}\ngs_id = {}\n\n",
            quote(&setup.folder.to_string_lossy()),
            quote(&setup.hub_id),
            quote(&setup.hub_id),
        );
        if let Some(partner) = &self.partner {
            toml.push_str(&partner.partner_toml());
        }
        if let Some(threepl) = &self.threepl {
            toml.push_str(&threepl.partner_toml());
        }
        Some(toml)
    }

    /// Puts the sites on the hub (by the ERP) and reports opening stock (warehouses by the WMS, stores by
    /// the POS). Returns the number of requests made.
    pub async fn seed_hub(&self) -> Result<u32, SimError> {
        let locations = self.erp.put_locations().await? as u32;
        let warehouses = self.wms.report_opening_stock(self.config.catalog.warehouse_units).await?;
        let stores = self.pos.report_opening_stock(self.config.catalog.store_units).await?;
        let third_party = match &self.threepl {
            Some(t) => t.report_opening_stock(self.config.catalog.warehouse_units).await?,
            None => 0,
        };
        Ok(locations + warehouses + stores + third_party)
    }

    /// Starts every system's background work: order generation, walk-in sales, picks, deliveries, counts.
    /// Calling it again does nothing.
    pub fn start_traffic(&mut self) {
        if self.traffic_started {
            return;
        }
        self.traffic_started = true;
        for r in &self.running {
            let tasks = r.system.clone().spawn_tasks(self.stop.subscribe());
            self.tasks.extend(tasks);
        }
        if let Some(partner) = &self.partner {
            self.tasks.extend(partner.clone().spawn_tasks(self.stop.subscribe()));
        }
        if let Some(threepl) = &self.threepl {
            self.tasks.extend(threepl.clone().spawn_tasks(self.stop.subscribe()));
        }
    }

    /// Has the EDI partners pick up their outboxes once now (what they do every poll), so that what the
    /// hub has sent is counted before a report.
    pub async fn pick_up_edi(&self) {
        if let Some(partner) = &self.partner {
            partner.pick_up().await;
        }
        if let Some(threepl) = &self.threepl {
            threepl.pick_up().await;
        }
    }

    /// Orders the channels and the B2B partner placed.
    pub fn all_orders_placed(&self) -> u64 {
        self.orders_placed() + self.partner.as_ref().map_or(0, |p| p.report().purchase_orders_sent)
    }

    /// Hands an event to every system subscribed to its type, as if the hub had delivered it (the path the
    /// change-feed stand-in and tests use). Returns what each system did.
    pub fn deliver(&self, event: &RecordedEvent) -> Vec<(&'static str, Handled)> {
        self.event_router().deliver(event)
    }

    /// Routes events to the systems subscribed to them.
    pub fn event_router(&self) -> EventRouter {
        EventRouter::new(self.running.iter().map(|r| r.system.clone()).collect())
    }

    /// A DISPATCHER STAND-IN reading the hub's change feed after `after` (see [`crate::feed`]); the hub key
    /// needs `events:read`.
    pub fn change_feed(&self, after: i64) -> Result<ChangeFeed, SimError> {
        let stats = Arc::new(crate::stats::Stats::default());
        let client = crate::hub::HubClient::new(&self.config.hub, stats)?;
        Ok(ChangeFeed::new(client, self.event_router(), after))
    }

    /// Starts the change-feed stand-in, polling every `every`, until the network stops.
    pub fn spawn_change_feed_stand_in(&mut self, after: i64, every: std::time::Duration) -> Result<(), SimError> {
        let feed = self.change_feed(after)?;
        let task = spawn_change_feed(feed, self.stop.subscribe(), every);
        self.tasks.push(task);
        Ok(())
    }

    /// Orders accepted by the hub, over both channels.
    pub fn orders_placed(&self) -> u64 {
        self.web_store.placed() + self.marketplace.placed()
    }

    /// Whether every order has been placed and no system has fulfilment work left (pickups, picks, parcels,
    /// sourcing); periodic work such as counts and sales does not count.
    pub fn is_idle(&self) -> bool {
        self.web_store.done()
            && self.marketplace.done()
            && self.sourcing.pending() == 0
            && self.wms.pending_picks() == 0
            && self.tms.pending() == 0
            && self.pos.pending() == 0
            && self.partner.as_ref().is_none_or(|p| p.done())
            && self.threepl.as_ref().is_none_or(|t| t.pending_shipments() == 0)
    }

    /// Counters of every system.
    pub fn report(&self) -> NetworkReport {
        let mut systems: Vec<SystemReport> = self
            .running
            .iter()
            .map(|r| SystemReport {
                name: r.name().to_string(),
                role: r.system.role().to_string(),
                stats: r.system.context().stats.snapshot(),
            })
            .collect();
        systems.push(SystemReport {
            name: "sourcing".into(),
            role: "sourcing stand-in".into(),
            stats: self.sourcing.context().stats.snapshot(),
        });
        if let Some(partner) = &self.partner {
            let stats = partner.context().stats.snapshot();
            systems.push(SystemReport { name: "partner".into(), role: "b2b partner (edi)".into(), stats });
        }
        if let Some(threepl) = &self.threepl {
            let stats = threepl.context().stats.snapshot();
            systems.push(SystemReport { name: "threepl".into(), role: "3pl (edi)".into(), stats });
        }
        NetworkReport {
            sim_time: self.clock.now(),
            orders_placed: self.orders_placed(),
            orders_failed: self.web_store.failed() + self.marketplace.failed(),
            wrongly_picked_orders: self.truth.wrongly_picked_orders(),
            erp_orders: self.erp.order_count(),
            crm_customers: self.crm.customer_count(),
            pending_sourcing: self.sourcing.pending(),
            pending_picks: self.wms.pending_picks(),
            pending_parcels: self.tms.pending(),
            pending_store_work: self.pos.pending(),
            pending_3pl_shipments: self.threepl.as_ref().map_or(0, |t| t.pending_shipments()),
            systems,
            partner: self.partner.as_ref().map(|p| p.report()),
            threepl: self.threepl.as_ref().map(|t| t.report()),
        }
    }

    /// A receiver that turns true when the network stops (for tasks started next to it).
    pub fn stop_signal(&self) -> watch::Receiver<bool> {
        self.stop.subscribe()
    }

    /// Adds a task to be awaited (or abandoned) when the network stops.
    pub fn adopt(&mut self, task: JoinHandle<()>) {
        self.tasks.push(task);
    }

    /// Stops every task and server; work still in flight gets a few seconds.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        for mut task in self.tasks {
            if tokio::time::timeout(std::time::Duration::from_secs(10), &mut task).await.is_err() {
                task.abort();
            }
        }
        for running in self.running {
            running.stop().await;
        }
    }
}
