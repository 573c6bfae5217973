//! Automatic sourcing of an order: the order's unallocated units are assigned to locations by the cost-optimal
//! [`sourcing`](crate::sourcing) solver, from the stock available to promise in the state, and reserved there;
//! what no usable location can supply is backordered. Runs when an order is placed (unless it asked for manual
//! allocation) and for `SourceOrder` (a backorder refill).
//!
//! The state must hold every known location (`State::sourcing`) and the positions of the order's skus at each
//! of them: ATP read here is what the store loaded inside the same write transaction, so the check and the
//! reservation cannot be separated by another command (no oversell).

use crate::allocate::available;
use crate::sourcing::{
    AtpTable, Fulfilment, Network, NetworkLocation, SourcingConfig, SourcingError, SourcingOrder, source_order,
};
use crate::{DecideError, ReleaseMode, SourcingState, State, check};
use chrono::{DateTime, Utc};
use crossdock_model::{
    Event, LineMovement, LineQuantity, LocationId, LocationKind, Order, Quantity, Sku, SourcingMode,
};
use std::collections::{BTreeMap, BTreeSet};

/// Whether the hub sources `order` by itself when it is placed: automatic mode and a network to source from.
pub(crate) fn sources_automatically(state: &State, order: &Order) -> bool {
    order.sourcing.mode == SourcingMode::Auto && state.sourcing.as_ref().is_some_and(has_active_location)
}

fn has_active_location(network: &SourcingState) -> bool {
    network.locations.iter().any(|l| l.active)
}

/// `SourceOrder`: sources the order's unallocated units now. No events when nothing would change.
pub(crate) fn source_again(state: &State, order: &Order, now: DateTime<Utc>) -> Result<Vec<Event>, DecideError> {
    if order.lines.iter().all(|l| l.quantities.unallocated() == 0) {
        return Err(DecideError::InvalidTransition { action: "source", status: order.status });
    }
    let Some(network) = state.sourcing.as_ref().filter(|n| has_active_location(n)) else {
        return Err(DecideError::invalid("", "no_locations", "no active location is known to source the order from"));
    };
    let events = source(state, network, order, now)?;
    let allocated =
        events.iter().any(|e| matches!(e, Event::OrderSourced { allocations, .. } if !allocations.is_empty()));
    let backordered = events.iter().any(|e| matches!(e, Event::OrderBackordered { .. }));
    Ok(if allocated || backordered { events } else { Vec::new() })
}

/// The events of sourcing `order` against `state`: `order.sourced` (allocations, possibly none, and the
/// explanation), `order.backordered` for units newly found without stock, then one `inventory.reserved`
/// per position, in key order. A sourcing error (an unknown destination, say) is recorded in the explanation
/// and allocates nothing.
pub(crate) fn source(
    state: &State,
    network: &SourcingState,
    order: &Order,
    now: DateTime<Utc>,
) -> Result<Vec<Event>, DecideError> {
    let request = request_of(order);
    let decision = build_network(network).and_then(|(net, config)| {
        let skus: BTreeSet<&Sku> = request.lines.iter().map(|l| &l.sku).collect();
        let atp = AtpTable::from_positions(state.positions.values().filter(|p| skus.contains(&p.sku)));
        let mut config = config;
        config.rules.excluded.extend(order.sourcing.exclude.iter().cloned());
        if let Some(group) = network.channel_locations(&order.channel) {
            // The order's channel sells only from its location group.
            let outside = network.locations.iter().map(|l| &l.id).filter(|id| !group.contains(id));
            config.rules.excluded.extend(outside.cloned());
        }
        source_order(&request, &net, &atp, &config)
    });
    let (movements, explanation, decided) = match decision {
        Ok(decision) => {
            let movements: Vec<LineMovement> = decision
                .plan
                .shipments
                .iter()
                .flat_map(|s| {
                    s.lines.iter().filter(|l| l.quantity > 0).map(|l| LineMovement {
                        line_id: l.line_id.clone(),
                        location: s.location.clone(),
                        quantity: l.quantity,
                    })
                })
                .collect();
            (movements, serde_json::to_value(&decision.explanation).unwrap_or_default(), true)
        }
        Err(error) => (Vec::new(), failed(&error), false),
    };
    let reserved = reservations(state, order, &movements, now)?;
    let mut events = Vec::with_capacity(2 + reserved.len());
    // An order that could not be decided on (an unknown destination, say) is not waiting for stock.
    let waiting = if decided { backorders(order, &movements) } else { Vec::new() };
    let allocated = !movements.is_empty();
    events.push(Event::OrderSourced { order_id: order.id.clone(), allocations: movements, explanation });
    if !waiting.is_empty() {
        events.push(Event::OrderBackordered { order_id: order.id.clone(), lines: waiting });
    }
    if allocated && network.release == ReleaseMode::OnSourcing && order.hold.is_none() {
        events.extend(release_sourced(order, &events, now)?);
    }
    events.extend(reserved);
    Ok(events)
}

/// `order.released` for the units the order's sourcing events (`sourced`) allocated, as
/// `ReleaseToWarehouse` would decide it on the order after them.
fn release_sourced(order: &Order, sourced: &[Event], now: DateTime<Utc>) -> Result<Vec<Event>, DecideError> {
    let mut after = Some(order.clone());
    for event in sourced {
        crate::evolve_order::apply(&mut after, event, now);
    }
    let after = after.ok_or_else(|| check::inconsistent("sourcing events removed the order".into()))?;
    crate::allocate::release_to_warehouse(&after, None)
}

/// The order as the solver sees it: its unallocated units, destination and rules.
fn request_of(order: &Order) -> SourcingOrder {
    let mut request = SourcingOrder::from_order(order);
    request.ship_complete = order.sourcing.ship_complete;
    if order.sourcing.pickup || order.sourcing.pickup_store.is_some() {
        request.fulfilment = Fulfilment::Pickup { store: order.sourcing.pickup_store.clone() };
    }
    request
}

/// The solver's network: every known location with its handling cost and the orders it can still take today;
/// a location that does not ship is excluded, and one with `pickup` serves pickup orders as a store.
fn build_network(network: &SourcingState) -> Result<(Network, SourcingConfig), SourcingError> {
    let locations = network
        .locations
        .iter()
        .map(|l| {
            let used = network.sourced_today.get(&l.id).copied().unwrap_or(0);
            let capacity = l.capacity_per_day.map_or(u32::MAX, |c| c.saturating_sub(used));
            let mut at = NetworkLocation::from_location(l, l.handling_minor, capacity);
            at.excluded = !l.ships;
            if l.pickup {
                // Customers collect here: it serves pickup orders as a store does.
                at.kind = LocationKind::Store;
            }
            at
        })
        .collect();
    Ok((Network::new(locations)?, network.config.clone()))
}

/// The explanation of a decision that could not be made.
fn failed(error: &SourcingError) -> serde_json::Value {
    serde_json::json!({ "error": { "code": error.code(), "message": error.to_string() } })
}

/// One reservation per position the movements use, after checking each against the stock available to
/// promise there (a plan beyond ATP would be a bug; it is refused rather than recorded).
fn reservations(
    state: &State,
    order: &Order,
    movements: &[LineMovement],
    now: DateTime<Utc>,
) -> Result<Vec<Event>, DecideError> {
    let mut per_position: BTreeMap<(Sku, LocationId), i64> = BTreeMap::new();
    for m in movements {
        let line = order
            .line(&m.line_id)
            .ok_or_else(|| check::inconsistent(format!("sourcing named line {} the order lacks", m.line_id)))?;
        *per_position.entry((line.sku.clone(), m.location.clone())).or_default() += i64::from(m.quantity);
    }
    let mut events = Vec::with_capacity(per_position.len());
    for ((sku, location), quantity) in per_position {
        let free = available(&state.position(&sku, &location, now));
        if quantity > free {
            return Err(DecideError::InsufficientStock {
                pointer: String::new(),
                sku,
                location,
                requested: quantity,
                available: free,
            });
        }
        events.push(Event::InventoryReserved { sku, location, order_id: order.id.clone(), quantity });
    }
    Ok(events)
}

/// Units of each line left unallocated by the movements and not yet backordered.
fn backorders(order: &Order, movements: &[LineMovement]) -> Vec<LineQuantity> {
    order
        .lines
        .iter()
        .filter_map(|line| {
            let taken: u32 = movements.iter().filter(|m| m.line_id == line.id).map(|m| m.quantity).sum();
            let left = line.quantities.unallocated().saturating_sub(taken);
            let quantity = Quantity::new(left.saturating_sub(line.quantities.backordered)).ok()?;
            Some(LineQuantity { line_id: line.id.clone(), quantity })
        })
        .collect()
}
