//! The simulated systems. Each is a value with an [`EventHandler`] (what it does with the hub's events), a
//! few routes of its own, background tasks, and a [`Context`]: its name, the simulated clock, its client
//! of the hub's API, its counters and its faults. [`start_system`] serves one on 127.0.0.1:0.

pub mod channel;
pub mod crm;
pub mod erp;
pub mod orders;
pub mod partner;
pub mod pos;
pub mod sourcing;
pub mod stock;
pub mod threepl;
pub mod tms;
pub mod trading;
pub mod wms;

use crate::clock::SimClock;
use crate::faults::{FaultConfig, Faults};
use crate::hub::{HubClient, HubConfig, HubError};
use crate::server::Served;
use crate::stats::Stats;
use crate::webhook::{EventHandler, Inbox, WEBHOOK_PATH, WebhookSecret, webhook_routes};
use axum::Router;
use std::sync::Arc;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// What every simulated system has.
#[derive(Debug, Clone)]
pub struct Context {
    pub name: &'static str,
    pub clock: SimClock,
    pub hub: HubClient,
    pub stats: Arc<Stats>,
    pub faults: Arc<Faults>,
    /// Seed of the system's own randomness.
    pub seed: u64,
}

impl Context {
    pub fn new(
        name: &'static str,
        clock: SimClock,
        hub: &HubConfig,
        faults: FaultConfig,
        seed: u64,
    ) -> Result<Self, HubError> {
        let stats = Arc::new(Stats::default());
        let hub = HubClient::new(hub, stats.clone())?;
        let faults = Arc::new(Faults::new(faults, clock.clone(), seed ^ 0xFA17, stats.clone()));
        Ok(Self { name, clock, hub, stats, faults, seed })
    }

    /// The real time to wait before the next arrival of a Poisson stream of `per_hour` on the simulated clock
    /// (an exponential gap drawn from `rng`), plus what is left of an outage of this system.
    pub fn next_arrival(&self, rng: &mut impl rand::Rng, per_hour: f64) -> std::time::Duration {
        let u: f64 = rng.random::<f64>().max(f64::MIN_POSITIVE);
        let gap = crate::clock::hours(-u.ln() / per_hour);
        let outage = self.faults.outage_now().map(|(_, end)| self.clock.real_until(end));
        self.clock.to_real(gap) + outage.unwrap_or_default()
    }

    /// Logs a request that failed for good (it is already counted).
    pub fn warn(&self, what: &str, error: &dyn std::fmt::Display) {
        tracing::debug!(system = self.name, error = %error, "{what} failed");
    }
}

/// A simulated system.
pub trait SimSystem: EventHandler {
    fn context(&self) -> &Context;

    /// What the system is to the hub: `channel`, `pos`, `erp`, `wms`, `tms` or `crm` (the hub's `role`).
    fn role(&self) -> &'static str;

    /// The event-type patterns it wants (`order.released`, `order.*`).
    fn subscribes_to(&self) -> &'static [&'static str];

    /// Routes besides the webhook endpoint (rate quotes, exports, timelines).
    fn routes(self: Arc<Self>) -> Router {
        Router::new()
    }

    /// Starts the system's background work; it ends when `stop` turns true.
    fn spawn_tasks(self: Arc<Self>, stop: watch::Receiver<bool>) -> Vec<JoinHandle<()>>;

    /// Whether an event type is one it subscribes to.
    fn wants(&self, event_type: &str) -> bool {
        self.subscribes_to().iter().any(|p| pattern_matches(p, event_type))
    }
}

/// `*` matches every type, `order.*` every type starting `order.`, anything else only itself.
pub fn pattern_matches(pattern: &str, event_type: &str) -> bool {
    match pattern.strip_suffix('*') {
        Some(prefix) => event_type.starts_with(prefix),
        None => pattern == event_type,
    }
}

/// A system being served: its server, the secret its webhooks must be signed with, and the system itself.
pub struct RunningSystem {
    pub system: Arc<dyn SimSystem>,
    pub secret: WebhookSecret,
    served: Served,
}

impl RunningSystem {
    pub fn name(&self) -> &'static str {
        self.system.context().name
    }

    /// `http://127.0.0.1:<port>`.
    pub fn base_url(&self) -> String {
        self.served.url("")
    }

    /// Where the hub posts this system's events.
    pub fn webhook_url(&self) -> String {
        self.served.url(WEBHOOK_PATH)
    }

    pub async fn stop(self) {
        self.served.stop().await;
    }
}

/// Serves a system on 127.0.0.1:0: its webhook endpoint (checked with `secret`) and its own routes, all
/// behind its faults. Background tasks are started separately with [`SimSystem::spawn_tasks`].
pub async fn start_system(system: Arc<dyn SimSystem>, secret: WebhookSecret) -> std::io::Result<RunningSystem> {
    let context = system.context().clone();
    let handler: Arc<dyn EventHandler> = system.clone();
    let inbox = Arc::new(Inbox::new(secret.clone(), handler, context.stats.clone()));
    let router = webhook_routes(inbox).merge(system.clone().routes());
    let served = Served::start(router, context.faults.clone()).await?;
    Ok(RunningSystem { system, secret, served })
}

#[cfg(test)]
mod tests {
    #[test]
    fn patterns() {
        assert!(super::pattern_matches("*", "order.placed"));
        assert!(super::pattern_matches("order.*", "order.placed"));
        assert!(!super::pattern_matches("order.*", "inventory.counted"));
        assert!(super::pattern_matches("order.placed", "order.placed"));
        assert!(!super::pattern_matches("order.placed", "order.placed2"));
    }
}
