//! The fulfilment network as sourcing sees it: locations with their handling cost and remaining capacity,
//! and available-to-promise stock per (sku, location).

use super::SourcingError;
use super::cost::MAX_COST_MINOR;
use crossdock_model::{Coordinates, InventoryPosition, Location, LocationId, LocationKind, Sku};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// One location that can fulfil orders.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NetworkLocation {
    pub id: LocationId,
    pub kind: LocationKind,
    pub coordinates: Coordinates,
    /// Cost of picking and packing one order (one package) here, in minor units.
    pub handling_minor: i64,
    /// Orders the location can still take today; a location at zero is not used.
    pub capacity_today: u32,
    pub active: bool,
    /// Excluded from sourcing by the network's configuration.
    #[serde(default)]
    pub excluded: bool,
}

impl NetworkLocation {
    /// A location of the canonical model with its handling cost and remaining capacity.
    pub fn from_location(location: &Location, handling_minor: i64, capacity_today: u32) -> Self {
        Self {
            id: location.id.clone(),
            kind: location.kind,
            coordinates: location.coordinates,
            handling_minor,
            capacity_today,
            active: location.active,
            excluded: false,
        }
    }
}

/// The locations of a network, with distinct ids, indexed by id.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "Vec<NetworkLocation>", into = "Vec<NetworkLocation>")]
pub struct Network {
    locations: Vec<NetworkLocation>,
    #[serde(skip)]
    index: HashMap<LocationId, usize>,
}

impl Network {
    /// Checks that ids are distinct and handling costs are between 0 and [`MAX_COST_MINOR`].
    pub fn new(locations: Vec<NetworkLocation>) -> Result<Self, SourcingError> {
        let mut index = HashMap::with_capacity(locations.len());
        for (i, l) in locations.iter().enumerate() {
            if index.insert(l.id.clone(), i).is_some() {
                return Err(SourcingError::InvalidNetwork(format!("location {} is listed twice", l.id)));
            }
            if !(0..=MAX_COST_MINOR).contains(&l.handling_minor) {
                let why = format!("location {}: handling cost must be between 0 and {MAX_COST_MINOR}", l.id);
                return Err(SourcingError::InvalidNetwork(why));
            }
        }
        Ok(Self { locations, index })
    }

    /// A network whose ids the caller made distinct and whose costs are in range (the generator's);
    /// a repeated id would resolve to its last entry.
    pub(crate) fn checked_by_caller(locations: Vec<NetworkLocation>) -> Self {
        let index = locations.iter().enumerate().map(|(i, l)| (l.id.clone(), i)).collect();
        Self { locations, index }
    }

    pub fn locations(&self) -> &[NetworkLocation] {
        &self.locations
    }

    /// The position of a location in [`Network::locations`].
    pub fn index_of(&self, id: &LocationId) -> Option<usize> {
        self.index.get(id).copied()
    }

    pub fn get(&self, id: &LocationId) -> Option<&NetworkLocation> {
        self.index_of(id).map(|i| &self.locations[i])
    }

    /// Takes one order of a location's capacity for today (when a plan ships from it); false when unknown.
    pub fn use_capacity(&mut self, id: &LocationId) -> bool {
        match self.index.get(id) {
            Some(&i) => {
                let l = &mut self.locations[i];
                l.capacity_today = l.capacity_today.saturating_sub(1);
                true
            }
            None => false,
        }
    }
}

impl TryFrom<Vec<NetworkLocation>> for Network {
    type Error = SourcingError;
    fn try_from(locations: Vec<NetworkLocation>) -> Result<Self, Self::Error> {
        Self::new(locations)
    }
}

impl From<Network> for Vec<NetworkLocation> {
    fn from(network: Network) -> Self {
        network.locations
    }
}

/// Units of one sku available to promise at one location.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StockAt {
    pub location: LocationId,
    pub available: u32,
}

/// Available-to-promise per (sku, location), sku first: sourcing reads every location holding a sku at once.
/// Only positive quantities are kept.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AtpTable {
    by_sku: HashMap<Sku, Vec<StockAt>>,
}

impl AtpTable {
    pub fn new() -> Self {
        Self::default()
    }

    /// The table of inventory positions' ATP (on hand less reserved less safety stock).
    pub fn from_positions<'a>(positions: impl IntoIterator<Item = &'a InventoryPosition>) -> Self {
        let mut table = Self::new();
        for p in positions {
            let available = p.on_hand.saturating_sub(p.reserved.max(0)).saturating_sub(p.safety_stock.max(0));
            table.set(&p.sku, &p.location, available);
        }
        table
    }

    /// Sets the ATP of a sku at a location (negative counts as zero; above `u32::MAX` is capped).
    pub fn set(&mut self, sku: &Sku, location: &LocationId, available: i64) {
        let available = u32::try_from(available.max(0)).unwrap_or(u32::MAX);
        let entries = self.by_sku.entry(sku.clone()).or_default();
        match entries.iter_mut().position(|s| &s.location == location) {
            Some(i) if available == 0 => {
                entries.swap_remove(i);
            }
            Some(i) => entries[i].available = available,
            None if available > 0 => entries.push(StockAt { location: location.clone(), available }),
            None => {}
        }
    }

    /// Units of a sku available at a location.
    pub fn available(&self, sku: &Sku, location: &LocationId) -> u32 {
        self.stock_of(sku).iter().find(|s| &s.location == location).map_or(0, |s| s.available)
    }

    /// Every location holding some of a sku, with its units.
    pub fn stock_of(&self, sku: &Sku) -> &[StockAt] {
        self.by_sku.get(sku).map_or(&[], Vec::as_slice)
    }

    /// Takes units (as a reservation does); returns the units actually taken, at most what was there.
    pub fn consume(&mut self, sku: &Sku, location: &LocationId, units: u32) -> u32 {
        let Some(entries) = self.by_sku.get_mut(sku) else { return 0 };
        let Some(i) = entries.iter().position(|s| &s.location == location) else { return 0 };
        let taken = units.min(entries[i].available);
        entries[i].available -= taken;
        if entries[i].available == 0 {
            entries.swap_remove(i);
        }
        taken
    }

    /// Units of a sku across every location.
    pub fn network_total(&self, sku: &Sku) -> u64 {
        self.stock_of(sku).iter().map(|s| u64::from(s.available)).sum()
    }
}
