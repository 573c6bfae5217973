//! A sales channel (the web store, the marketplace): places generated orders on the hub with
//! `POST /v1/orders` and an idempotency key, at a Poisson rate on the simulated clock, at most a configured
//! number in all and a few at once; hands each placed order to the sourcing stand-in; and keeps the status
//! updates the hub sends back about its own orders (what it would e-mail the shopper).

use super::orders::OrderGenerator;
use super::sourcing::SourcingStandIn;
use super::{Context, SimSystem};
use crate::catalog::{Catalog, Site};
use crate::faults::FaultConfig;
use crate::hub::OrderAction;
use crate::webhook::{EventHandler, Handled};
use crossdock_model::{Event, RecordedEvent};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use tokio::sync::{Semaphore, watch};
use tokio::task::JoinHandle;

/// Most orders one channel places in a run.
pub const MAX_ORDERS: u32 = 10_000_000;

/// A channel's traffic.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ChannelConfig {
    /// The hub's channel id for its orders (`web`, `marketplace`).
    pub channel: String,
    /// Order ids are `{id_prefix}-000001`, …
    pub id_prefix: String,
    /// Orders to place in all (0: none).
    pub orders: u32,
    /// Mean orders per simulated hour.
    pub orders_per_hour: f64,
    /// Share of orders collected in a store.
    pub pickup_share: f64,
    /// Share of orders the shopper cancels right after placing them (before they are sourced).
    pub cancel_share: f64,
    /// Distinct customers.
    pub customers: u32,
    /// Orders in flight at once.
    pub max_in_flight: usize,
    pub faults: FaultConfig,
}

impl ChannelConfig {
    pub fn web_store() -> Self {
        Self {
            channel: "web".into(),
            id_prefix: "web".into(),
            orders: 1400,
            orders_per_hour: 60.0,
            pickup_share: 0.08,
            cancel_share: 0.02,
            customers: 3000,
            max_in_flight: 16,
            faults: FaultConfig::default(),
        }
    }

    pub fn marketplace() -> Self {
        Self {
            channel: "marketplace".into(),
            id_prefix: "mkt".into(),
            orders: 600,
            orders_per_hour: 25.0,
            pickup_share: 0.0,
            customers: 2000,
            ..Self::web_store()
        }
    }

    pub fn problems(&self, at: &str) -> Vec<String> {
        let mut problems = self.faults.problems(&format!("{at}.faults"));
        let id_ok =
            |s: &str| !s.is_empty() && s.len() <= 40 && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
        if !id_ok(&self.channel) || !id_ok(&self.id_prefix) {
            problems.push(format!("{at}: channel and id_prefix need 1 to 40 letters, digits or '-'"));
        }
        if self.orders > MAX_ORDERS {
            problems.push(format!("{at}.orders may be at most {MAX_ORDERS}"));
        }
        if !self.orders_per_hour.is_finite() || self.orders_per_hour <= 0.0 {
            problems.push(format!("{at}.orders_per_hour must be above 0"));
        }
        for (name, share) in [("pickup_share", self.pickup_share), ("cancel_share", self.cancel_share)] {
            if !share.is_finite() || !(0.0..=1.0).contains(&share) {
                problems.push(format!("{at}.{name} must be from 0 to 1"));
            }
        }
        if !(1..=1024).contains(&self.max_in_flight) {
            problems.push(format!("{at}.max_in_flight must be 1 to 1024"));
        }
        problems
    }
}

impl Default for ChannelConfig {
    fn default() -> Self {
        Self::web_store()
    }
}

/// A sales channel.
pub struct ChannelSystem {
    context: Context,
    config: ChannelConfig,
    generator: Mutex<OrderGenerator>,
    /// Decides which orders the shopper cancels.
    dice: Mutex<StdRng>,
    sourcing: Option<Arc<SourcingStandIn>>,
    placed: AtomicU64,
    failed: AtomicU64,
    finished: AtomicU64,
    /// Latest status update per order of this channel.
    updates: Mutex<BTreeMap<String, &'static str>>,
}

impl ChannelSystem {
    pub fn new(
        context: Context,
        config: ChannelConfig,
        catalog: Arc<Catalog>,
        sites: Arc<Vec<Site>>,
        sourcing: Option<Arc<SourcingStandIn>>,
    ) -> Self {
        let dice_seed = context.seed ^ 0xCA11;
        let generator = OrderGenerator::new(
            &config.channel,
            &config.id_prefix,
            context.seed,
            catalog,
            sites,
            config.pickup_share,
            config.customers,
        );
        Self {
            context,
            config,
            generator: Mutex::new(generator),
            dice: Mutex::new(StdRng::seed_from_u64(dice_seed)),
            sourcing,
            placed: AtomicU64::new(0),
            failed: AtomicU64::new(0),
            finished: AtomicU64::new(0),
            updates: Mutex::default(),
        }
    }

    /// Orders the hub accepted.
    pub fn placed(&self) -> u64 {
        self.placed.load(Ordering::Relaxed)
    }

    /// Orders the hub did not accept after retries.
    pub fn failed(&self) -> u64 {
        self.failed.load(Ordering::Relaxed)
    }

    /// Whether every configured order has been tried.
    pub fn done(&self) -> bool {
        self.finished.load(Ordering::Relaxed) >= u64::from(self.config.orders)
    }

    /// Latest status update received per order.
    pub fn updates(&self) -> BTreeMap<String, &'static str> {
        self.updates.lock().map(|u| u.clone()).unwrap_or_default()
    }

    /// Generates and places one order now; returns its id when the hub accepted it.
    pub async fn place_next(&self) -> Option<String> {
        let now = self.context.clock.now();
        let order = self.generator.lock().ok().and_then(|mut g| g.next_order(now))?;
        let result = self.context.hub.place_order(&order.body, &order.idempotency_key).await;
        self.finished.fetch_add(1, Ordering::Relaxed);
        match result {
            Ok(_) => {
                self.placed.fetch_add(1, Ordering::Relaxed);
                let share = self.config.cancel_share;
                if share > 0.0 && self.dice.lock().map(|mut d| d.random::<f64>() < share).unwrap_or(false) {
                    self.cancel(&order.id).await;
                    return Some(order.id);
                }
                if let Some(sourcing) = &self.sourcing
                    && !sourcing.submit(&order.id, order.pickup_store.clone())
                {
                    self.context.stats.note_error(format!("sourcing queue full; {} not sourced", order.id));
                }
                Some(order.id)
            }
            Err(e) => {
                self.failed.fetch_add(1, Ordering::Relaxed);
                self.context.warn("placing an order", &e);
                None
            }
        }
    }

    /// The shopper cancels the whole order.
    async fn cancel(&self, order_id: &str) {
        let body = serde_json::json!({"reason": "customer changed their mind"});
        let key = format!("{}:cancel:{order_id}", self.config.channel);
        if let Err(e) = self.context.hub.order_command(order_id, OrderAction::Cancel, &key, &body).await {
            self.context.warn("cancelling an order", &e);
        }
    }

    async fn generate(self: Arc<Self>, mut stop: watch::Receiver<bool>) {
        let mut arrivals = StdRng::seed_from_u64(self.context.seed ^ 0xA11);
        let in_flight = Arc::new(Semaphore::new(self.config.max_in_flight.max(1)));
        let mut tasks = tokio::task::JoinSet::new();
        for _ in 0..self.config.orders {
            let wait = self.context.next_arrival(&mut arrivals, self.config.orders_per_hour);
            if crate::clock::pause(wait, &mut stop).await {
                break;
            }
            let Ok(permit) = in_flight.clone().acquire_owned().await else { break };
            let this = self.clone();
            tasks.spawn(async move {
                this.place_next().await;
                drop(permit);
            });
            while tasks.try_join_next().is_some() {}
        }
        while tasks.join_next().await.is_some() {}
    }
}

impl EventHandler for ChannelSystem {
    fn handle_event(&self, event: &RecordedEvent) -> Handled {
        let Some(order_id) = order_of(&event.payload) else { return Handled::Ignored };
        if !order_id.starts_with(&format!("{}-", self.config.id_prefix)) {
            return Handled::Ignored;
        }
        if let Ok(mut updates) = self.updates.lock() {
            updates.insert(order_id.to_string(), event.payload.type_name());
        }
        Handled::Accepted
    }
}

/// The order an order event is about.
fn order_of(event: &Event) -> Option<&str> {
    match event {
        Event::OrderPlaced { order } => Some(order.id.as_str()),
        Event::ShipmentConfirmed { order_id, .. }
        | Event::DeliveryConfirmed { order_id, .. }
        | Event::OrderLinesCancelled { order_id, .. }
        | Event::ReturnRecorded { order_id, .. } => Some(order_id.as_str()),
        _ => None,
    }
}

impl SimSystem for ChannelSystem {
    fn context(&self) -> &Context {
        &self.context
    }

    fn role(&self) -> &'static str {
        "channel"
    }

    fn subscribes_to(&self) -> &'static [&'static str] {
        &["order.shipment_confirmed", "order.delivery_confirmed", "order.lines_cancelled", "order.return_recorded"]
    }

    fn spawn_tasks(self: Arc<Self>, stop: watch::Receiver<bool>) -> Vec<JoinHandle<()>> {
        vec![tokio::spawn(self.generate(stop))]
    }
}
