//! How an order asks to be sourced: automatically by the hub when it is placed (the default), or by explicit
//! allocations (`mode: manual`), and the per-order rules automatic sourcing follows.

use crate::LocationId;
use serde::{Deserialize, Serialize};

/// Who assigns an order's units to locations.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SourcingMode {
    /// The hub sources the order when it is placed and fills its backorders when stock arrives.
    #[default]
    Auto,
    /// The order waits for explicit allocations (`AllocateLines`); the hub never sources it on its own.
    Manual,
}

/// An order's sourcing mode and rules. Every field is optional; the default is automatic sourcing.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SourcingOptions {
    #[serde(default)]
    pub mode: SourcingMode,
    /// Ship everything from one location or nothing (the order waits, backordered).
    #[serde(default, skip_serializing_if = "is_false")]
    pub ship_complete: bool,
    /// Collected at a store instead of shipped: at `pickup_store`, or (without it) the store nearest the ship-to.
    #[serde(default, skip_serializing_if = "is_false")]
    pub pickup: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pickup_store: Option<LocationId>,
    /// Locations this order must not ship from.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exclude: Vec<LocationId>,
}

impl SourcingOptions {
    /// True for the defaults (automatic, no rules), which are left out when serialising.
    pub fn is_default(&self) -> bool {
        self == &Self::default()
    }

    /// Manual sourcing: explicit allocations only.
    pub fn manual() -> Self {
        Self { mode: SourcingMode::Manual, ..Self::default() }
    }
}

fn is_false(value: &bool) -> bool {
    !*value
}
