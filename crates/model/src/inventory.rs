//! The inventory position aggregate: stock of one sku at one location.

use crate::{LocationId, Sku};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Stock of one sku at one location. Invariants: 0 ≤ reserved ≤ on_hand, safety_stock ≥ 0.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct InventoryPosition {
    pub sku: Sku,
    pub location: LocationId,
    /// Units physically at the location.
    pub on_hand: i64,
    /// Units promised to orders and not yet shipped.
    pub reserved: i64,
    /// Units kept back from promising.
    pub safety_stock: i64,
    /// Units on their way to the location.
    pub in_transit: i64,
    pub version: u64,
    pub updated_at: DateTime<Utc>,
}

impl InventoryPosition {
    pub fn empty(sku: Sku, location: LocationId, now: DateTime<Utc>) -> Self {
        Self { sku, location, on_hand: 0, reserved: 0, safety_stock: 0, in_transit: 0, version: 0, updated_at: now }
    }

    /// Available to promise: on hand less reserved less safety stock, never below zero.
    pub fn available(&self) -> i64 {
        (self.on_hand - self.reserved - self.safety_stock).max(0)
    }

    /// The id of this position's aggregate in the event log: `location/sku`, each part with `%` and `/`
    /// percent-escaped (ids may contain `/`; two positions never share an id).
    pub fn aggregate_id(sku: &Sku, location: &LocationId) -> String {
        crate::ids::compound_id(location.as_str(), sku.as_str())
    }

    pub fn check_invariants(&self) -> Result<(), String> {
        if self.reserved < 0 {
            return Err(format!("{}/{}: reserved {} < 0", self.location, self.sku, self.reserved));
        }
        if self.on_hand < 0 {
            return Err(format!("{}/{}: on hand {} < 0", self.location, self.sku, self.on_hand));
        }
        Ok(())
    }
}
