//! Pure decision functions for crossdock's aggregates: `decide(state, command) -> events` and
//! `evolve(state, event) -> state`. No IO: the store loads the state, calls these, and writes the result.
//!
//! Three aggregates: the order (lines, allocations, shipments, returns), the inventory position (stock of
//! one sku at one location) and the location. A command addresses one order or one position or one
//! location, and may touch the positions [`inventory_keys`] names; it never emits an event for anything else.
//!
//! An order placed with automatic sourcing (the default) is sourced in the same decision: `order.placed`, then
//! `order.sourced` with the explanation, `order.backordered` for what no location can supply, and the
//! reservations. `SourceOrder` sources an order's unallocated units again (backorder refill).
//!
//! Beside them, pure policy the store and server call: [`sourcing`] (where an order ships from, at the least
//! cost, with an explanation), [`tax`] (US sales tax and its report), [`refund`] (what a return pays back),
//! [`reconcile`] (ERP exports and WMS count snapshots against the hub's records), [`availability`] (a
//! channel's ATP, the feed's debounce) and [`policy`] (the configurable policy as data).

use chrono::{DateTime, Utc};
use crossdock_model::{
    ChannelAvailability, ChannelId, Command, Event, InventoryPosition, Location, LocationId, Order, OrderId, Sku,
};
use std::collections::BTreeMap;

mod allocate;
mod autosource;
pub mod availability;
mod cancel;
mod cancel_request;
mod check;
mod error;
mod evolve;
mod evolve_order;
mod fulfil;
mod hold;
mod inventory;
mod keys;
pub mod kpi;
mod location;
pub mod period;
mod place;
pub mod policy;
pub mod reconcile;
pub mod refund;
mod rma;
pub mod sourcing;
pub mod tax;

pub use check::MAX_LINES;
pub use error::DecideError;
pub use evolve::evolve;
pub use keys::{inventory_keys, sourcing_skus};
pub use policy::{ChannelGroup, Policy, ReleaseMode};
pub use refund::{RestockingFeeRule, refund_amount};
pub use sourcing::{
    SourcingBenchReport, SourcingDecision, bench_sourcing, nearest_with_everything_else_nearest_per_line, source_order,
};
pub use tax::{TaxBreakdown, TaxInput, compute_tax};

/// Everything a command may read: the order it addresses, the inventory positions it touches
/// (as named by [`inventory_keys`], plus, for a command that sources, the positions of the skus
/// [`sourcing_skus`] names at every known location), the location it upserts, and the network to source from.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct State {
    pub order: Option<Order>,
    pub positions: BTreeMap<(Sku, LocationId), InventoryPosition>,
    pub location: Option<(Location, u64)>,
    /// For a command that sources (see [`sourcing_skus`]): the network. Without it, orders are not sourced
    /// automatically (they wait for explicit allocations).
    pub sourcing: Option<SourcingState>,
    /// The restocking-fee rule returns are refunded under (the policy's `[returns]`).
    pub restocking: RestockingFeeRule,
    /// For `RefreshAvailability`: the channel's availability of the sku as last recorded (none: never).
    pub availability: Option<ChannelAvailability>,
}

/// What automatic sourcing reads besides positions: every known location, the orders each has already been
/// given today (for its capacity per day), and the policy (rates, split penalty, solver budget).
#[derive(Debug, Clone, PartialEq)]
pub struct SourcingState {
    pub locations: Vec<Location>,
    pub sourced_today: BTreeMap<LocationId, u32>,
    pub config: sourcing::SourcingConfig,
    /// The channels' location groups (the policy's `[[channels]]`); a channel not listed, or listed without
    /// locations, may use every location.
    pub channels: Vec<ChannelGroup>,
    /// Whether sourcing releases what it allocates to the warehouse at once.
    pub release: ReleaseMode,
}

impl SourcingState {
    /// The locations `channel` is limited to, or `None` when it may use the whole network.
    pub fn channel_locations(&self, channel: &ChannelId) -> Option<&[LocationId]> {
        self.channels.iter().find(|c| &c.id == channel).map(|c| c.locations.as_slice()).filter(|l| !l.is_empty())
    }
}

impl State {
    /// The position of `sku` at `location`; an empty one (nothing on hand, version 0) when it is not held.
    pub fn position(&self, sku: &Sku, location: &LocationId, now: DateTime<Utc>) -> InventoryPosition {
        self.positions
            .get(&(sku.clone(), location.clone()))
            .cloned()
            .unwrap_or_else(|| InventoryPosition::empty(sku.clone(), location.clone(), now))
    }
}

/// Decide: validate the command against the state and return the events that record it. Pure.
///
/// Order events come first, then the inventory events of the positions the command changes, in key order.
pub fn decide(state: &State, command: &Command, now: DateTime<Utc>) -> Result<Vec<Event>, DecideError> {
    match command {
        Command::PlaceOrder(place) => place::place_order(state, place, now),
        Command::HoldOrder { order_id, reason } => hold::hold_order(loaded(state, order_id)?, reason),
        Command::ReleaseHold { order_id } => hold::release_hold(loaded(state, order_id)?),
        Command::CancelOrder { order_id, lines, reason, location } => {
            cancel::cancel_order(loaded(state, order_id)?, lines.as_deref(), reason, location.as_ref(), now)
        }
        Command::AllocateLines { order_id, allocations } => {
            allocate::allocate_lines(state, loaded(state, order_id)?, allocations, now)
        }
        Command::SourceOrder { order_id } => autosource::source_again(state, loaded(state, order_id)?, now),
        Command::ReleaseToWarehouse { order_id, location } => {
            allocate::release_to_warehouse(loaded(state, order_id)?, location.as_ref())
        }
        Command::ConfirmShipment {
            order_id,
            shipment_id,
            location,
            carrier,
            service,
            tracking_number,
            lines,
            shipped_at,
        } => {
            let shipment = fulfil::NewShipment {
                id: shipment_id,
                location,
                carrier,
                service: service.as_deref(),
                tracking_number: tracking_number.as_deref(),
                lines,
                shipped_at: *shipped_at,
            };
            fulfil::confirm_shipment(state, loaded(state, order_id)?, &shipment, now)
        }
        Command::ConfirmDelivery { order_id, shipment_id, delivered_at } => {
            fulfil::confirm_delivery(loaded(state, order_id)?, shipment_id, *delivered_at)
        }
        Command::RecordReturn { order_id, return_id, location, lines, received_at, authorisation } => {
            let new = fulfil::NewReturn {
                id: return_id,
                location,
                lines,
                received_at: *received_at,
                authorisation: authorisation.as_ref(),
            };
            fulfil::record_return(state, loaded(state, order_id)?, &new)
        }
        Command::AnswerCancelRequest { order_id, outcome, reason } => {
            cancel_request::answer_cancel_request(loaded(state, order_id)?, *outcome, reason.as_deref())
        }
        Command::AuthoriseReturn { order_id, authorisation_id, lines, expected_location, authorised_at } => {
            rma::authorise_return(
                loaded(state, order_id)?,
                authorisation_id,
                lines,
                expected_location.as_ref(),
                *authorised_at,
            )
        }
        Command::RefreshAvailability { channel, sku } => availability::refresh(state, channel, sku),
        Command::AdjustInventory { sku, location, delta, reason } => {
            inventory::adjust(&state.position(sku, location, now), *delta, reason)
        }
        Command::CountInventory { sku, location, counted } => {
            inventory::count(&state.position(sku, location, now), *counted)
        }
        Command::UpsertLocation { location } => location::upsert(location),
    }
}

/// The order a command addresses, as loaded, once it is known to be consistent.
fn loaded<'a>(state: &'a State, id: &OrderId) -> Result<&'a Order, DecideError> {
    match &state.order {
        Some(order) if &order.id == id => {
            check::order_consistency(order).map_err(check::inconsistent)?;
            Ok(order)
        }
        _ => Err(DecideError::OrderNotFound(id.clone())),
    }
}
