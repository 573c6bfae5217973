//! The configuration of a simulated network: seed, time factor, where the hub is, the catalog, and each
//! system's behaviour and faults. Validated without IO, every problem reported at once.

use crate::catalog::CatalogConfig;
use crate::clock::MAX_FACTOR;
use crate::hub::HubConfig;
use crate::systems::channel::ChannelConfig;
use crate::systems::crm::CrmConfig;
use crate::systems::erp::ErpConfig;
use crate::systems::partner::PartnerConfig;
use crate::systems::pos::PosConfig;
use crate::systems::sourcing::SourcingConfig;
use crate::systems::threepl::ThreePlConfig;
use crate::systems::tms::TmsConfig;
use crate::systems::trading::EdiSetup;
use crate::systems::wms::WmsConfig;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Why a network could not be started.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SimError {
    #[error("invalid simulation config: {}", .0.join("; "))]
    Config(Vec<String>),
    #[error(transparent)]
    Hub(#[from] crate::hub::HubError),
    #[error("cannot serve a simulated system: {0}")]
    Io(String),
}

/// Everything a [`crate::SimNetwork`] needs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SimConfig {
    /// The same seed gives the same catalog, orders, secrets and dice.
    pub seed: u64,
    /// Simulated seconds per real second (3,600: an hour a second).
    #[serde(default = "default_factor")]
    pub time_factor: f64,
    /// Simulated time at the start (default: the real time at start).
    #[serde(default)]
    pub start: Option<DateTime<Utc>>,
    pub hub: HubConfig,
    #[serde(default)]
    pub catalog: CatalogConfig,
    #[serde(default = "ChannelConfig::web_store")]
    pub web_store: ChannelConfig,
    #[serde(default = "ChannelConfig::marketplace")]
    pub marketplace: ChannelConfig,
    #[serde(default)]
    pub sourcing: SourcingConfig,
    #[serde(default)]
    pub pos: PosConfig,
    #[serde(default)]
    pub erp: ErpConfig,
    #[serde(default)]
    pub wms: WmsConfig,
    #[serde(default)]
    pub tms: TmsConfig,
    #[serde(default)]
    pub crm: CrmConfig,
    /// The hub's EDI folders; without it there is no B2B partner and no 3PL (the JSON WMS runs every
    /// warehouse).
    #[serde(default)]
    pub edi: Option<EdiSetup>,
    /// The B2B partner sending 850s (with `edi`).
    #[serde(default)]
    pub partner: PartnerConfig,
    /// The 3PL running some warehouses over EDI 940/945/846 (with `edi`).
    #[serde(default)]
    pub threepl: ThreePlConfig,
}

fn default_factor() -> f64 {
    3600.0
}

impl SimConfig {
    /// Defaults for everything but the hub and the seed: about 2,000 orders (1,400 web, 600 marketplace).
    pub fn new(hub: HubConfig, seed: u64) -> Self {
        Self {
            seed,
            time_factor: default_factor(),
            start: None,
            hub,
            catalog: CatalogConfig::default(),
            web_store: ChannelConfig::web_store(),
            marketplace: ChannelConfig::marketplace(),
            sourcing: SourcingConfig::default(),
            pos: PosConfig::default(),
            erp: ErpConfig::default(),
            wms: WmsConfig::default(),
            tms: TmsConfig::default(),
            crm: CrmConfig::default(),
            edi: None,
            partner: PartnerConfig::default(),
            threepl: ThreePlConfig::default(),
        }
    }

    /// Splits `orders` between the web store (70%) and the marketplace (30%).
    pub fn with_orders(mut self, orders: u32) -> Self {
        let web = (u64::from(orders) * 7 / 10) as u32;
        self.web_store.orders = web;
        self.marketplace.orders = orders - web;
        self
    }

    /// Every problem of the configuration.
    pub fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        if !self.time_factor.is_finite() || self.time_factor <= 0.0 || self.time_factor > MAX_FACTOR {
            problems.push(format!("time_factor must be above 0 and at most {MAX_FACTOR}"));
        }
        if self.hub.api_key.trim().is_empty() {
            problems.push("hub.api_key is empty".into());
        }
        if !(1..=100_000).contains(&self.catalog.skus) {
            problems.push("catalog.skus must be 1 to 100000".into());
        }
        if !self.catalog.zipf_exponent.is_finite() || !(0.0..=5.0).contains(&self.catalog.zipf_exponent) {
            problems.push("catalog.zipf_exponent must be from 0 to 5".into());
        }
        problems.extend(self.web_store.problems("web_store"));
        problems.extend(self.marketplace.problems("marketplace"));
        if self.web_store.id_prefix == self.marketplace.id_prefix {
            problems.push("web_store.id_prefix and marketplace.id_prefix must differ".into());
        }
        problems.extend(self.sourcing.problems());
        problems.extend(self.pos.problems());
        problems.extend(self.erp.faults.problems("erp.faults"));
        problems.extend(self.wms.problems());
        problems.extend(self.tms.problems());
        problems.extend(self.crm.faults.problems("crm.faults"));
        if let Some(edi) = &self.edi {
            problems.extend(edi.problems());
            problems.extend(self.partner.problems());
            problems.extend(self.threepl.problems(&crate::catalog::default_sites()));
            if self.partner.id == self.threepl.id || self.partner.isa_id == self.threepl.isa_id {
                problems.push("partner and threepl need different ids and isa_ids".into());
            }
        }
        problems
    }

    pub fn validate(&self) -> Result<(), SimError> {
        let problems = self.problems();
        if problems.is_empty() { Ok(()) } else { Err(SimError::Config(problems)) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_and_every_problem_is_reported() {
        let config = SimConfig::new(HubConfig::new("http://127.0.0.1:1", "cdk_x"), 1);
        assert_eq!(config.problems(), Vec::<String>::new());
        let split = config.clone().with_orders(2001);
        assert_eq!(split.web_store.orders + split.marketplace.orders, 2001);
        let mut bad = config;
        bad.time_factor = 0.0;
        bad.wms.short_pick_rate = 2.0;
        bad.tms.delay_rate = -1.0;
        bad.web_store.faults.error_rate = f64::NAN;
        bad.marketplace.id_prefix = bad.web_store.id_prefix.clone();
        let problems = bad.problems();
        assert_eq!(problems.len(), 5, "{problems:?}");
        assert!(matches!(bad.validate(), Err(SimError::Config(p)) if p.len() == 5));
    }

    #[test]
    fn parses_from_json_with_defaults() {
        let config: SimConfig = serde_json::from_value(serde_json::json!({
            "seed": 7, "hub": {"base_url": "http://127.0.0.1:9", "api_key": "k"},
            "wms": {"short_pick_rate": 0.1}, "tms": {"faults": {"error_rate": 0.2}},
        }))
        .unwrap();
        assert_eq!((config.seed, config.time_factor, config.wms.short_pick_rate), (7, 3600.0, 0.1));
        assert_eq!(config.web_store.orders, 1400);
        assert!(serde_json::from_value::<SimConfig>(serde_json::json!({"seed": 1, "hub": {}, "nope": 1})).is_err());
    }
}
