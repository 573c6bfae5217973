//! A channel's available-to-promise (ATP) of a sku and the availability feed's pure parts.
//!
//! A channel's ATP is the sum of the sku's ATP (on hand − reserved − safety stock, never negative) over the
//! locations of its group, or over every location when it is not limited to a group.
//! `RefreshAvailability` computes it inside the write transaction (the store loads the sku's positions at
//! every location, as for sourcing) and records `inventory.availability_changed` only when it differs from the
//! value last recorded for the channel and sku (deltas only; never recorded counts as 0).
//! [`Debouncer`] decides when a touched sku is refreshed: once no change touched it for the window (so a
//! burst yields one refresh carrying the final value), or at the latest `max_wait` after its first touch.

use crate::{DecideError, State};
use chrono::{DateTime, Duration, Utc};
use crossdock_model::{ChannelAvailability, ChannelId, Event, InventoryPosition, LocationId, Sku};
use std::collections::BTreeMap;

/// The ATP of `sku` over `positions` at the locations of `group` (every location when `None`).
pub fn channel_available<'a>(
    positions: impl IntoIterator<Item = &'a InventoryPosition>,
    sku: &Sku,
    group: Option<&[LocationId]>,
) -> i64 {
    positions
        .into_iter()
        .filter(|p| &p.sku == sku && group.is_none_or(|g| g.contains(&p.location)))
        .map(InventoryPosition::available)
        .fold(0, i64::saturating_add)
}

/// `RefreshAvailability`: the channel's ATP now against the value last recorded; an event when they differ.
pub(crate) fn refresh(state: &State, channel: &ChannelId, sku: &Sku) -> Result<Vec<Event>, DecideError> {
    let Some(network) = state.sourcing.as_ref() else {
        return Err(DecideError::invalid(
            "",
            "no_network",
            "the positions of the sku at every location were not loaded",
        ));
    };
    let available = channel_available(state.positions.values(), sku, network.channel_locations(channel));
    let previous =
        state.availability.as_ref().filter(|a| &a.channel == channel && &a.sku == sku).map_or(0, |a| a.available);
    if previous == available {
        return Ok(Vec::new());
    }
    Ok(vec![Event::AvailabilityChanged { channel: channel.clone(), sku: sku.clone(), previous, available }])
}

/// Applies `inventory.availability_changed` to the state's availability aggregate.
pub(crate) fn apply(state: &mut State, channel: &ChannelId, sku: &Sku, available: i64) {
    let version =
        state.availability.as_ref().filter(|a| &a.channel == channel && &a.sku == sku).map_or(0, |a| a.version);
    state.availability = Some(ChannelAvailability {
        channel: channel.clone(),
        sku: sku.clone(),
        available,
        version: version.saturating_add(1),
    });
}

/// The skus whose ATP an event may change (stock or reservations moved).
pub fn touched_sku(event: &Event) -> Option<&Sku> {
    match event {
        Event::InventoryReserved { sku, .. }
        | Event::InventoryReservationReleased { sku, .. }
        | Event::InventoryShipped { sku, .. }
        | Event::InventoryRestocked { sku, .. }
        | Event::InventoryAdjusted { sku, .. }
        | Event::InventoryCounted { sku, .. } => Some(sku),
        _ => None,
    }
}

/// Trailing-edge debounce per sku: a sku is due once `window` passed without a touch, or `max_wait` after
/// the first touch of its burst (so a sku that never settles is still published).
#[derive(Debug, Clone)]
pub struct Debouncer {
    window: Duration,
    max_wait: Duration,
    /// First and last touch of each pending sku.
    pending: BTreeMap<Sku, (DateTime<Utc>, DateTime<Utc>)>,
}

impl Debouncer {
    pub fn new(window: Duration, max_wait: Duration) -> Self {
        Self { window, max_wait: max_wait.max(window), pending: BTreeMap::new() }
    }

    /// Notes a change to `sku` at `at`.
    pub fn touch(&mut self, sku: &Sku, at: DateTime<Utc>) {
        self.pending.entry(sku.clone()).and_modify(|(_, last)| *last = at).or_insert((at, at));
    }

    /// Takes the skus due at `now`.
    pub fn due(&mut self, now: DateTime<Utc>) -> Vec<Sku> {
        let due: Vec<Sku> = self
            .pending
            .iter()
            .filter(|(_, (first, last))| now - *last >= self.window || now - *first >= self.max_wait)
            .map(|(sku, _)| sku.clone())
            .collect();
        for sku in &due {
            self.pending.remove(sku);
        }
        due
    }

    /// When the next sku falls due, if any is pending.
    pub fn next_due(&self) -> Option<DateTime<Utc>> {
        self.pending.values().map(|(first, last)| (*last + self.window).min(*first + self.max_wait)).min()
    }

    pub fn is_empty(&self) -> bool {
        self.pending.is_empty()
    }
}
