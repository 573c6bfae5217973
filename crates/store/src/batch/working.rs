//! The working state of a batch: the aggregates as they stand after the commands decided so far, and the
//! loaders that fill it from the transaction.

use super::{BatchTx, Outcome};
use crate::CommandRequest;
use crate::StoreError;
use crate::availability::AvailabilityWork;
use crate::pii::{KeyRing, Pii};
use crate::sourcing::NetworkWork;
use chrono::{DateTime, Utc};
use crossdock_engine::Policy;
use crossdock_model::{Command, InventoryPosition, Location, LocationId, Order, OrderId, Sku};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

/// The aggregates of a batch as they stand after the commands decided so far.
#[derive(Default)]
pub(super) struct Working {
    pub(super) orders: HashMap<OrderId, Order>,
    /// Every position looked up so far; one that does not exist yet is held as empty at version 0.
    pub(super) positions: BTreeMap<(Sku, LocationId), InventoryPosition>,
    pub(super) locations: HashMap<LocationId, (Location, u64)>,
    pub(super) dirty_orders: BTreeSet<OrderId>,
    pub(super) dirty_positions: BTreeSet<(Sku, LocationId)>,
    pub(super) dirty_locations: BTreeSet<LocationId>,
    /// Locations, today's orders per location and backorders, for automatic sourcing.
    pub(super) network: NetworkWork,
    /// Skus whose stock the last accepted command raised (their backorders are refilled next).
    pub(super) raised: BTreeSet<Sku>,
    pub(super) availability: AvailabilityWork,
    pub(super) policy: Arc<Policy>,
    /// The store's PII handle and the data keys this batch has used.
    pub(super) pii: Pii,
    pub(super) ring: KeyRing,
    /// Backorder refills decided in this batch (each gets its own audit entry, after the requests'):
    /// the `SourceOrder` request, its digest, the order's version before it and its outcome.
    pub(super) refills: Vec<(CommandRequest, String, u64, Outcome)>,
}

impl Working {
    /// The version of the aggregate `command` addresses as the batch stands, without loading anything
    /// (0 when the batch has not looked it up).
    pub(super) fn current_version(&self, command: &Command) -> u64 {
        match command {
            Command::AdjustInventory { sku, location, .. } | Command::CountInventory { sku, location, .. } => {
                self.positions.get(&(sku.clone(), location.clone())).map_or(0, |p| p.version)
            }
            Command::UpsertLocation { location } => self.locations.get(&location.id).map_or(0, |l| l.1),
            Command::RefreshAvailability { channel, sku } => self.availability.version_of(channel, sku),
            other => other.order_id().and_then(|id| self.orders.get(id)).map_or(0, |o| o.version),
        }
    }

    /// Reads orders, opening their sealed PII.
    pub(super) async fn load_orders(&mut self, tx: &mut dyn BatchTx, ids: &[OrderId]) -> Result<(), StoreError> {
        let states = tx.orders(ids).await?;
        self.pii.open_into(&mut self.ring, states.iter().map(String::as_str)).await?;
        for state in &states {
            let order = self.ring.open_order("order state", state)?;
            self.orders.insert(order.id.clone(), order);
        }
        Ok(())
    }

    /// Loads the positions among `keys` not looked up yet (one query, and only when some are missing).
    pub(super) async fn ensure_positions(
        &mut self,
        tx: &mut dyn BatchTx,
        keys: &[(Sku, LocationId)],
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let missing: Vec<(Sku, LocationId)> = keys
            .iter()
            .filter(|k| !self.positions.contains_key(*k))
            .cloned()
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        if missing.is_empty() {
            return Ok(());
        }
        for found in tx.positions(&missing).await? {
            self.positions.insert((found.sku.clone(), found.location.clone()), found);
        }
        for (sku, location) in missing {
            self.positions
                .entry((sku.clone(), location.clone()))
                .or_insert_with(|| InventoryPosition::empty(sku, location, now));
        }
        Ok(())
    }
}
