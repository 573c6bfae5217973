//! Which aggregate a command addresses, and the versions of aggregates held in an engine state.

use crossdock_engine::State;
use crossdock_model::{AggregateKind, ChannelAvailability, Command, Event, InventoryPosition, LocationId, Sku};

/// The aggregate a command is addressed to, as named in receipts and version checks.
pub(crate) fn addressed(command: &Command) -> (AggregateKind, String) {
    match command {
        Command::AdjustInventory { sku, location, .. } | Command::CountInventory { sku, location, .. } => {
            (AggregateKind::Inventory, InventoryPosition::aggregate_id(sku, location))
        }
        Command::UpsertLocation { location } => (AggregateKind::Location, location.id.to_string()),
        Command::RefreshAvailability { channel, sku } => {
            (AggregateKind::Availability, ChannelAvailability::aggregate_id(channel, sku))
        }
        other => {
            let id = other.order_id().map(|id| id.to_string()).unwrap_or_default();
            (AggregateKind::Order, id)
        }
    }
}

/// The version of an aggregate in `state`, if `state` holds it.
pub(crate) fn version_in(state: &State, kind: AggregateKind, id: &str) -> Option<u64> {
    match kind {
        AggregateKind::Order => state.order.as_ref().filter(|o| o.id.as_str() == id).map(|o| o.version),
        AggregateKind::Inventory => state
            .positions
            .values()
            .find(|p| InventoryPosition::aggregate_id(&p.sku, &p.location) == id)
            .map(|p| p.version),
        AggregateKind::Location => state.location.as_ref().filter(|(l, _)| l.id.as_str() == id).map(|(_, v)| *v),
        AggregateKind::Availability => state
            .availability
            .as_ref()
            .filter(|a| ChannelAvailability::aggregate_id(&a.channel, &a.sku) == id)
            .map(|a| a.version),
    }
}

/// The inventory position an event belongs to, if it is an inventory event.
pub(crate) fn position_key(event: &Event) -> Option<(Sku, LocationId)> {
    match event {
        Event::InventoryReserved { sku, location, .. }
        | Event::InventoryReservationReleased { sku, location, .. }
        | Event::InventoryShipped { sku, location, .. }
        | Event::InventoryRestocked { sku, location, .. }
        | Event::InventoryAdjusted { sku, location, .. }
        | Event::InventoryCounted { sku, location, .. } => Some((sku.clone(), location.clone())),
        _ => None,
    }
}
