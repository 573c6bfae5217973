//! Sourcing: allocating order lines to locations (reserving stock there) and releasing allocated units
//! to the warehouse.

use crate::{DecideError, State, check};
use chrono::{DateTime, Utc};
use crossdock_model::{Allocation, Event, LineId, LineMovement, LocationId, Order, Sku};
use std::collections::BTreeMap;

/// Units neither allocated nor cancelled, summed over the order.
fn unallocated(order: &Order) -> u64 {
    order.lines.iter().map(|l| u64::from(l.quantities.unallocated())).sum()
}

/// Units ordered and neither cancelled nor shipped, summed over the order.
pub(crate) fn open(order: &Order) -> u64 {
    order.lines.iter().map(|l| u64::from(l.quantities.open())).sum()
}

/// Available to promise, computed without overflow whatever the position holds.
pub(crate) fn available(position: &crossdock_model::InventoryPosition) -> i64 {
    position.on_hand.saturating_sub(position.reserved.max(0)).saturating_sub(position.safety_stock.max(0)).max(0)
}

/// Allocates units of lines to locations, reserving them there. Every allocation must fit both the line's
/// unallocated units and the stock available at the location (counting the earlier allocations of the
/// same command), so a reservation never exceeds what was available to promise.
pub(crate) fn allocate_lines(
    state: &State,
    order: &Order,
    allocations: &[Allocation],
    now: DateTime<Utc>,
) -> Result<Vec<Event>, DecideError> {
    if unallocated(order) == 0 {
        return Err(DecideError::InvalidTransition { action: "allocate", status: order.status });
    }
    check::entries("/allocations", "allocation", allocations)?;
    let mut per_line: BTreeMap<&LineId, u64> = BTreeMap::new();
    let mut per_position: BTreeMap<(&Sku, &LocationId), i64> = BTreeMap::new();
    let mut movements = Vec::with_capacity(allocations.len());
    let mut reservations = Vec::with_capacity(allocations.len());
    for (i, a) in allocations.iter().enumerate() {
        let Some(line) = order.line(&a.line_id) else {
            return Err(unknown_line(format!("/allocations/{i}/line_id"), &a.line_id, order));
        };
        let pointer = format!("/allocations/{i}/quantity");
        let quantity = a.quantity.get();
        let used = per_line.entry(&line.id).or_default();
        let free = u64::from(line.quantities.unallocated()).saturating_sub(*used);
        if u64::from(quantity) > free {
            return Err(DecideError::invalid(
                pointer,
                "exceeds_unallocated",
                format!("line {} has {free} units left to allocate; {quantity} requested", line.id),
            ));
        }
        *used += u64::from(quantity);
        let reserved = per_position.entry((&line.sku, &a.location)).or_default();
        let free = available(&state.position(&line.sku, &a.location, now)).saturating_sub(*reserved);
        if i64::from(quantity) > free {
            return Err(DecideError::InsufficientStock {
                pointer,
                sku: line.sku.clone(),
                location: a.location.clone(),
                requested: i64::from(quantity),
                available: free,
            });
        }
        *reserved += i64::from(quantity);
        movements.push(LineMovement { line_id: line.id.clone(), location: a.location.clone(), quantity });
        reservations.push(Event::InventoryReserved {
            sku: line.sku.clone(),
            location: a.location.clone(),
            order_id: order.id.clone(),
            quantity: i64::from(quantity),
        });
    }
    let mut events = vec![Event::OrderLinesAllocated { order_id: order.id.clone(), allocations: movements }];
    events.extend(reservations);
    Ok(events)
}

/// Hands every allocated, unreleased unit (at one location, or everywhere) to the warehouse.
pub(crate) fn release_to_warehouse(order: &Order, location: Option<&LocationId>) -> Result<Vec<Event>, DecideError> {
    if order.hold.is_some() {
        return Err(DecideError::InvalidTransition { action: "release", status: order.status });
    }
    let lines: Vec<LineMovement> = order
        .lines
        .iter()
        .flat_map(|line| {
            line.allocations
                .iter()
                .filter(|a| location.is_none_or(|l| l == &a.location) && a.allocated > a.released)
                .map(|a| LineMovement {
                    line_id: line.id.clone(),
                    location: a.location.clone(),
                    quantity: a.allocated - a.released,
                })
        })
        .collect();
    if lines.is_empty() {
        if open(order) == 0 {
            return Err(DecideError::InvalidTransition { action: "release", status: order.status });
        }
        let (pointer, at) = match location {
            Some(l) => ("/location", format!(" at {l}")),
            None => ("", String::new()),
        };
        return Err(DecideError::invalid(
            pointer,
            "nothing_to_release",
            format!("order {} has no allocated units{at} waiting to be released", order.id),
        ));
    }
    Ok(vec![Event::OrderReleased { order_id: order.id.clone(), lines }])
}

/// The refusal for a line id the order does not have.
pub(crate) fn unknown_line(pointer: String, id: &LineId, order: &Order) -> DecideError {
    DecideError::invalid(pointer, "unknown_line", format!("order {} has no line {id}", order.id))
}
