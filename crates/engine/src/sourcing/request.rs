//! What sourcing is asked: the order's open lines and destination, the policy (rates, split penalty,
//! rules, solver budget), and the typed errors for inputs it cannot work with.

use super::cost::{MAX_COST_MINOR, RateModel};
use crossdock_model::{Country, Currency, LineId, LocationId, Order, OrderId, Sku};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// One line to source: the units still to be allocated.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourcingLine {
    pub line_id: LineId,
    pub sku: Sku,
    pub quantity: u32,
}

/// How the customer receives the order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "method", rename_all = "snake_case")]
pub enum Fulfilment {
    /// Shipped to the ship-to address.
    #[default]
    Ship,
    /// Collected at a store: the given one, or (when `None`) the active store nearest the ship-to postal code.
    /// Stock at the pickup store costs no shipping; stock elsewhere is shipped to the store.
    Pickup { store: Option<LocationId> },
}

/// An order as sourcing sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourcingOrder {
    pub order_id: OrderId,
    pub postal_code: String,
    /// State or region, used when the postal code's ZIP3 is unknown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    pub country: Country,
    pub lines: Vec<SourcingLine>,
    #[serde(default)]
    pub fulfilment: Fulfilment,
    /// Ship everything from one location or nothing (the order waits).
    #[serde(default)]
    pub ship_complete: bool,
}

impl SourcingOrder {
    /// The order's lines with units neither allocated nor cancelled, shipped to its ship-to address.
    pub fn from_order(order: &Order) -> Self {
        Self {
            order_id: order.id.clone(),
            postal_code: order.ship_to.postal_code.clone(),
            region: order.ship_to.region.clone(),
            country: order.ship_to.country,
            lines: order
                .lines
                .iter()
                .filter(|l| l.quantities.ordered >= l.quantities.cancelled.saturating_add(l.quantities.allocated))
                .map(|l| SourcingLine {
                    line_id: l.id.clone(),
                    sku: l.sku.clone(),
                    quantity: l.quantities.ordered - l.quantities.cancelled - l.quantities.allocated,
                })
                .filter(|l| l.quantity > 0)
                .collect(),
            fulfilment: Fulfilment::Ship,
            ship_complete: false,
        }
    }
}

/// Rules on top of costs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourcingRules {
    /// Locations not to source from (for this channel or order), besides those the network excludes.
    #[serde(default)]
    pub excluded: BTreeSet<LocationId>,
    /// For pickup orders, source from stores only whenever stores can supply as many units as the whole network.
    #[serde(default = "yes")]
    pub prefer_stores_for_pickup: bool,
}

fn yes() -> bool {
    true
}

impl Default for SourcingRules {
    fn default() -> Self {
        Self { excluded: BTreeSet::new(), prefer_stores_for_pickup: true }
    }
}

/// How much work the exact solver may do before the heuristic's answer (or the best found) is taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SolverBudget {
    /// Orders with more distinct skus than this go straight to the heuristic.
    pub exact_max_skus: usize,
    /// Search nodes the branch and bound may expand: a deterministic stand-in for a time budget (a node
    /// costs about a microsecond or less for orders of a few skus), so replaying a decision gives the same plan.
    pub exact_max_nodes: u64,
}

impl Default for SolverBudget {
    fn default() -> Self {
        Self { exact_max_skus: 12, exact_max_nodes: 20_000 }
    }
}

/// The sourcing policy: the cost model and the rules.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourcingConfig {
    /// Currency of every cost (rates, handling, split penalty).
    pub currency: Currency,
    pub rates: RateModel,
    /// Added for each location used beyond the first.
    pub split_penalty_minor: i64,
    #[serde(default)]
    pub rules: SourcingRules,
    #[serde(default)]
    pub budget: SolverBudget,
}

impl SourcingConfig {
    /// The policy the hub sources orders with unless configured otherwise: USD costs, two national
    /// zone-rated ground services and a local courier, a split penalty of 3.00, the default rules and budget.
    pub fn standard() -> Self {
        Self {
            currency: Currency::USD,
            rates: super::generate::bench_rates(),
            split_penalty_minor: 300,
            rules: SourcingRules::default(),
            budget: SolverBudget::default(),
        }
    }

    pub fn check(&self) -> Result<(), SourcingError> {
        if !(0..=MAX_COST_MINOR).contains(&self.split_penalty_minor) {
            let why = format!("the split penalty must be between 0 and {MAX_COST_MINOR}");
            return Err(SourcingError::InvalidConfig(why));
        }
        Ok(())
    }
}

/// Why an order could not be sourced at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SourcingError {
    /// The fields say which address it was; the message names none of them, because it is stored in the
    /// `order.sourced` event's explanation, which is not sealed and so survives a customer's erasure.
    #[error("no position known for the ship-to address (only US ZIP3 areas and states are mapped)")]
    UnknownDestination { postal_code: String, region: Option<String>, country: String },
    #[error("pickup location {0} is not a store of the network")]
    UnknownPickupStore(LocationId),
    #[error("no active store to pick the order up at")]
    NoPickupStore,
    #[error("line {0} has no units to source")]
    EmptyLine(LineId),
    #[error("line {0} is listed twice")]
    DuplicateLine(LineId),
    #[error("the order has no lines to source")]
    NoLines,
    #[error("the order has {0} lines; the limit is {max}", max = crate::MAX_LINES)]
    TooManyLines(usize),
    #[error("invalid rate model: {0}")]
    InvalidRates(String),
    #[error("invalid network: {0}")]
    InvalidNetwork(String),
    #[error("invalid sourcing configuration: {0}")]
    InvalidConfig(String),
}

impl SourcingError {
    /// A stable, machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::UnknownDestination { .. } => "unknown_destination",
            Self::UnknownPickupStore(_) => "unknown_pickup_store",
            Self::NoPickupStore => "no_pickup_store",
            Self::EmptyLine(_) => "empty_line",
            Self::DuplicateLine(_) => "duplicate_line",
            Self::NoLines => "no_lines",
            Self::TooManyLines(_) => "too_many_lines",
            Self::InvalidRates(_) => "invalid_rates",
            Self::InvalidNetwork(_) => "invalid_network",
            Self::InvalidConfig(_) => "invalid_config",
        }
    }
}
