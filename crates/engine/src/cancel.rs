//! Cancelling units of an order: unallocated units go first, then allocated units not yet released, then
//! released units not yet shipped; every reservation that shrinks is given back to its position.

use crate::allocate::{open, unknown_line};
use crate::{DecideError, check};
use crossdock_model::{Event, LineMovement, LineQuantity, LocationId, Order, OrderLine, Quantity, Sku};
use std::collections::BTreeMap;

/// Cancels the given units (or, with no lines, every unit not yet shipped).
pub(crate) fn cancel_order(
    order: &Order,
    lines: Option<&[LineQuantity]>,
    reason: &str,
) -> Result<Vec<Event>, DecideError> {
    if open(order) == 0 {
        return Err(DecideError::InvalidTransition { action: "cancel", status: order.status });
    }
    check::reason("/reason", reason, false)?;
    let requested = requested_units(order, lines)?;

    let mut cancelled = Vec::new();
    let mut released = Vec::new();
    let mut given_back: BTreeMap<(Sku, LocationId), i64> = BTreeMap::new();
    for (line, units) in order.lines.iter().zip(requested) {
        if units == 0 {
            continue;
        }
        let quantity = Quantity::new(units).map_err(|e| check::inconsistent(format!("line {}: {e}", line.id)))?;
        cancelled.push(LineQuantity { line_id: line.id.clone(), quantity });
        for (location, taken) in shrink_allocations(line, units) {
            *given_back.entry((line.sku.clone(), location.clone())).or_default() += i64::from(taken);
            released.push(LineMovement { line_id: line.id.clone(), location, quantity: taken });
        }
    }
    let mut events = vec![Event::OrderLinesCancelled {
        order_id: order.id.clone(),
        lines: cancelled,
        released,
        reason: reason.to_string(),
    }];
    events.extend(given_back.into_iter().map(|((sku, location), quantity)| Event::InventoryReservationReleased {
        sku,
        location,
        order_id: order.id.clone(),
        quantity,
    }));
    Ok(events)
}

/// Units to cancel per line of the order, aligned with `order.lines`; each at most the line's open units.
fn requested_units(order: &Order, lines: Option<&[LineQuantity]>) -> Result<Vec<u32>, DecideError> {
    let Some(lines) = lines else {
        return Ok(order.lines.iter().map(|l| l.quantities.open()).collect());
    };
    check::entries("/lines", "line", lines)?;
    let mut units = vec![0u32; order.lines.len()];
    for (i, requested) in lines.iter().enumerate() {
        let Some(index) = order.lines.iter().position(|l| l.id == requested.line_id) else {
            return Err(unknown_line(format!("/lines/{i}/line_id"), &requested.line_id, order));
        };
        let open = order.lines[index].quantities.open();
        let quantity = requested.quantity.get();
        let left = open - units[index];
        if quantity > left {
            return Err(DecideError::invalid(
                format!("/lines/{i}/quantity"),
                "exceeds_open",
                format!("line {} has {left} open units; {quantity} requested", requested.line_id),
            ));
        }
        units[index] += quantity;
    }
    Ok(units)
}

/// How many allocated units to take back at each location when `units` of the line are cancelled:
/// none while unallocated units remain, then unreleased units, then released unshipped ones, each pass in
/// allocation order. One entry per location.
fn shrink_allocations(line: &OrderLine, units: u32) -> Vec<(LocationId, u32)> {
    let mut rest = units.saturating_sub(line.quantities.unallocated());
    let mut taken = vec![0u32; line.allocations.len()];
    for pass in [Pass::Unreleased, Pass::ReleasedUnshipped] {
        for (a, take) in line.allocations.iter().zip(taken.iter_mut()) {
            let room = match pass {
                Pass::Unreleased => a.allocated - a.released,
                Pass::ReleasedUnshipped => a.released - a.shipped,
            };
            let now = rest.min(room);
            *take += now;
            rest -= now;
        }
    }
    line.allocations.iter().zip(taken).filter(|(_, t)| *t > 0).map(|(a, t)| (a.location.clone(), t)).collect()
}

enum Pass {
    Unreleased,
    ReleasedUnshipped,
}
