//! Evolve: apply one recorded event to the state. Total: an event that does not fit the state (replayed
//! from a damaged log, say) is applied as far as the invariants allow and never panics.

use crate::{State, evolve_order};
use chrono::{DateTime, Utc};
use crossdock_model::{Event, InventoryPosition};

/// Evolve: apply one event to the state (order, positions, location). Increments the version of the
/// aggregate the event belongs to (order.version, position.version, location version) and sets updated_at = now.
/// Creates a position (InventoryPosition::empty) when an inventory event names one not in the map.
///
/// An order event for an order the state does not hold is ignored; so is a part of an event that would
/// break an invariant (quantities are clamped to what the order and position allow).
pub fn evolve(state: &mut State, event: &Event, now: DateTime<Utc>) {
    match event {
        Event::OrderPlaced { .. }
        | Event::OrderHeld { .. }
        | Event::OrderHoldReleased { .. }
        | Event::OrderLinesCancelled { .. }
        | Event::OrderLinesAllocated { .. }
        | Event::OrderSourced { .. }
        | Event::OrderBackordered { .. }
        | Event::OrderReleased { .. }
        | Event::ShipmentConfirmed { .. }
        | Event::DeliveryConfirmed { .. }
        | Event::ReturnRecorded { .. }
        | Event::OrderCancelRequested { .. }
        | Event::OrderCancelAnswered { .. }
        | Event::ReturnAuthorised { .. }
        | Event::RefundDue { .. } => evolve_order::apply(&mut state.order, event, now),
        Event::AvailabilityChanged { channel, sku, available, .. } => {
            crate::availability::apply(state, channel, sku, *available)
        }
        Event::InventoryReserved { sku, location, quantity, .. } => {
            change_position(state, sku, location, now, |p| p.reserved = p.reserved.saturating_add((*quantity).max(0)))
        }
        Event::InventoryReservationReleased { sku, location, quantity, .. } => {
            change_position(state, sku, location, now, |p| {
                p.reserved = p.reserved.saturating_sub((*quantity).max(0)).max(0)
            })
        }
        Event::InventoryShipped { sku, location, quantity, .. } => change_position(state, sku, location, now, |p| {
            let quantity = (*quantity).max(0);
            p.on_hand = p.on_hand.saturating_sub(quantity).max(0);
            p.reserved = p.reserved.saturating_sub(quantity).max(0);
        }),
        Event::InventoryRestocked { sku, location, quantity, .. } => {
            change_position(state, sku, location, now, |p| p.on_hand = p.on_hand.saturating_add((*quantity).max(0)))
        }
        Event::InventoryAdjusted { sku, location, delta, .. } => {
            change_position(state, sku, location, now, |p| p.on_hand = p.on_hand.saturating_add(*delta).max(0))
        }
        Event::InventoryCounted { sku, location, counted, .. } => {
            change_position(state, sku, location, now, |p| p.on_hand = (*counted).max(0))
        }
        Event::LocationUpserted { location } => {
            let version = match &state.location {
                Some((held, version)) if held.id == location.id => version.saturating_add(1),
                _ => 1,
            };
            state.location = Some((location.clone(), version));
        }
    }
}

/// Applies `change` to a position (created empty when absent), then bumps its version.
fn change_position(
    state: &mut State,
    sku: &crossdock_model::Sku,
    location: &crossdock_model::LocationId,
    now: DateTime<Utc>,
    change: impl FnOnce(&mut InventoryPosition),
) {
    let position = state
        .positions
        .entry((sku.clone(), location.clone()))
        .or_insert_with(|| InventoryPosition::empty(sku.clone(), location.clone(), now));
    change(position);
    position.version = position.version.saturating_add(1);
    position.updated_at = now;
}
