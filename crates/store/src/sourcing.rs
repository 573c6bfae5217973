//! Automatic sourcing inside a group-commit batch, whatever the backend: loading the network (every known
//! location, today's orders per location, and the positions of the sourced skus at every location) into the
//! batch's working state, and refilling backorders FIFO when a command raises the stock of a sku.
//!
//! Both happen inside the batch's transaction, which holds the store's write lock (`BEGIN IMMEDIATE` on
//! SQLite, the advisory lock on PostgreSQL): the ATP sourcing reads cannot change before the reservations it
//! decides are committed, so two orders can never be promised the same unit.

use crate::StoreError;
use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use crossdock_engine::{Policy, SourcingState};
use crossdock_model::{Event, InventoryPosition, Location, LocationId, Order, OrderId, Sku};
use std::collections::{BTreeMap, BTreeSet};

/// Most backordered orders of one sku examined per stock increase (the oldest first); the rest wait for
/// the next increase.
pub(crate) const REFILL_MAX_ORDERS: u32 = 500;

/// The sourcing statements of a batch (implemented by each backend's transaction).
#[async_trait]
pub(crate) trait SourcingTx: Send {
    /// Every position of the given skus, at any location.
    async fn positions_of_skus(&mut self, skus: &[Sku]) -> Result<Vec<InventoryPosition>, StoreError>;
    /// Every stored location with its version.
    async fn all_locations(&mut self) -> Result<Vec<(Location, u64)>, StoreError>;
    /// Orders sourced per location on `day`.
    async fn sourced_on(&mut self, day: NaiveDate) -> Result<Vec<(LocationId, u32)>, StoreError>;
    /// Saves the orders sourced per location on `day` (absolute counts).
    async fn save_sourced(&mut self, day: NaiveDate, counts: &[(&LocationId, u32)]) -> Result<(), StoreError>;
    /// The oldest backordered orders of a sku, first backordered first, at most `limit`.
    async fn backorders_of(&mut self, sku: &Sku, limit: u32) -> Result<Vec<OrderId>, StoreError>;
    /// Makes the backorder queue agree with `orders`: each (sku, order) row of a backordered line is kept (with
    /// its place in the queue) or added at `seq`; rows of these orders no longer backordered are removed.
    async fn sync_backorders(&mut self, orders: &[(&Order, i64)]) -> Result<(), StoreError>;
}

/// The sourcing part of a batch's working state.
#[derive(Default)]
pub(crate) struct NetworkWork {
    /// Every location, once loaded (with the batch's upserts applied on top).
    locations: Option<BTreeMap<LocationId, Location>>,
    /// Orders sourced per location on `day`, once loaded.
    sourced: Option<(NaiveDate, BTreeMap<LocationId, u32>)>,
    sourced_dirty: bool,
    /// Skus whose positions at every location are in the working state.
    skus_loaded: BTreeSet<Sku>,
    /// Orders backordered by this batch, in the order it backordered them (not yet in the queue table).
    pub backordered_in_batch: Vec<OrderId>,
}

impl NetworkWork {
    /// Loads the positions of `skus` at every location into the working state (absent ones kept as they are),
    /// in one query for the skus not loaded yet. A batch calls it first with every sku its requests source, so
    /// that deciding them does not read the store once per order.
    pub async fn load_skus(
        &mut self,
        tx: &mut (impl SourcingTx + ?Sized),
        positions: &mut BTreeMap<(Sku, LocationId), InventoryPosition>,
        skus: &[Sku],
    ) -> Result<(), StoreError> {
        let missing: Vec<Sku> = skus
            .iter()
            .filter(|s| !self.skus_loaded.contains(*s))
            .cloned()
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        if !missing.is_empty() {
            for found in tx.positions_of_skus(&missing).await? {
                positions.entry((found.sku.clone(), found.location.clone())).or_insert(found);
            }
            self.skus_loaded.extend(missing);
        }
        Ok(())
    }

    /// Loads what sourcing `skus` needs into the working state (positions of the skus at every location, absent
    /// ones kept as they are) and returns the network. `positions` is the batch's working map.
    pub async fn load(
        &mut self,
        tx: &mut (impl SourcingTx + ?Sized),
        positions: &mut BTreeMap<(Sku, LocationId), InventoryPosition>,
        upserted: impl Iterator<Item = &Location>,
        skus: &[Sku],
        policy: &Policy,
        now: DateTime<Utc>,
    ) -> Result<SourcingState, StoreError> {
        self.load_skus(tx, positions, skus).await?;
        if self.locations.is_none() {
            let all = tx.all_locations().await?;
            self.locations = Some(all.into_iter().map(|(l, _)| (l.id.clone(), l)).collect());
        }
        let locations = self.locations.get_or_insert_with(BTreeMap::new);
        for l in upserted {
            locations.insert(l.id.clone(), l.clone());
        }
        let day = now.date_naive();
        if self.sourced.as_ref().is_none_or(|(d, _)| *d != day) {
            self.sourced = Some((day, tx.sourced_on(day).await?.into_iter().collect()));
        }
        Ok(SourcingState {
            locations: locations.values().cloned().collect(),
            sourced_today: self.sourced.as_ref().map(|(_, s)| s.clone()).unwrap_or_default(),
            config: policy.sourcing.clone(),
            channels: policy.channels.clone(),
            release: policy.release,
        })
    }

    /// Records what accepted events mean for the network: one order more for each location an
    /// `order.sourced` allocates at, and the orders newly backordered.
    pub fn note(&mut self, events: &[Event]) {
        for event in events {
            match event {
                Event::OrderSourced { allocations, .. } if !allocations.is_empty() => {
                    let used: BTreeSet<&LocationId> = allocations.iter().map(|m| &m.location).collect();
                    if let Some((_, sourced)) = self.sourced.as_mut() {
                        for location in used {
                            *sourced.entry(location.clone()).or_default() += 1;
                        }
                        self.sourced_dirty = true;
                    }
                }
                Event::OrderBackordered { order_id, .. } if !self.backordered_in_batch.contains(order_id) => {
                    self.backordered_in_batch.push(order_id.clone());
                }
                _ => {}
            }
        }
    }

    /// Writes today's per-location order counts, if they changed.
    pub async fn save(&self, tx: &mut (impl SourcingTx + ?Sized)) -> Result<(), StoreError> {
        match &self.sourced {
            Some((day, sourced)) if self.sourced_dirty => {
                let counts: Vec<(&LocationId, u32)> = sourced.iter().map(|(l, n)| (l, *n)).collect();
                tx.save_sourced(*day, &counts).await
            }
            _ => Ok(()),
        }
    }
}

/// The skus whose stock available to promise the events may have raised somewhere: receipts, counts up,
/// restocked returns, and reservations given back.
pub(crate) fn raised_skus(events: &[Event]) -> BTreeSet<Sku> {
    events
        .iter()
        .filter_map(|event| match event {
            Event::InventoryAdjusted { sku, delta, .. } if *delta > 0 => Some(sku.clone()),
            Event::InventoryCounted { sku, counted, previous, .. } if counted > previous => Some(sku.clone()),
            Event::InventoryRestocked { sku, .. } | Event::InventoryReservationReleased { sku, .. } => {
                Some(sku.clone())
            }
            _ => None,
        })
        .collect()
}

/// Units of a sku available to promise across the positions held (the whole network once the sku is loaded).
pub(crate) fn network_available(positions: &BTreeMap<(Sku, LocationId), InventoryPosition>, sku: &Sku) -> i64 {
    positions.values().filter(|p| &p.sku == sku).map(InventoryPosition::available).fold(0, i64::saturating_add)
}

/// Whether an order still waits for units of `sku`.
pub(crate) fn waits_for(order: &Order, sku: &Sku) -> bool {
    order.lines.iter().any(|l| &l.sku == sku && l.quantities.backordered > 0)
}
