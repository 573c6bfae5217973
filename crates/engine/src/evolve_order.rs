//! Applying order events to the order aggregate: line quantities, per-location allocations, shipments,
//! returns, the hold, and the derived status. Every movement is clamped so the invariants always hold.

use crate::check;
use chrono::{DateTime, Utc};
use crossdock_model::{CancelOutcome, Event, LineAllocation, LineId, LineMovement, LocationId, Order, OrderLine};

/// Applies an order event to `order` (replacing it for `OrderPlaced`), bumping its version and status.
pub(crate) fn apply(slot: &mut Option<Order>, event: &Event, now: DateTime<Utc>) {
    if let Event::OrderPlaced { order } = event {
        *slot = Some(order.as_ref().clone());
    }
    let Some(order) = slot.as_mut() else {
        return;
    };
    if event.aggregate().1 != order.id.as_str() {
        return;
    }
    match event {
        Event::OrderPlaced { .. } => {}
        Event::OrderHeld { reason, .. } => order.hold = Some(reason.clone()),
        Event::OrderHoldReleased { .. } => order.hold = None,
        Event::OrderLinesAllocated { allocations, .. } | Event::OrderSourced { allocations, .. } => {
            allocations.iter().for_each(|m| allocate(order, m));
            order.lines.iter_mut().for_each(clamp_backorder);
        }
        Event::OrderBackordered { lines, .. } => {
            for waiting in lines {
                if let Some(line) = order.line_mut(&waiting.line_id) {
                    let room = unallocated(line).saturating_sub(line.quantities.backordered);
                    line.quantities.backordered += waiting.quantity.get().min(room);
                }
            }
        }
        Event::OrderReleased { lines, .. } => lines.iter().for_each(|m| release(order, m)),
        Event::OrderLinesCancelled { lines, released, .. } => {
            released.iter().for_each(|m| deallocate(order, m));
            for cancelled in lines {
                if let Some(line) = order.line_mut(&cancelled.line_id) {
                    let units = cancelled.quantity.get().min(unallocated(line));
                    line.quantities.cancelled = line.quantities.cancelled.saturating_add(units);
                }
            }
            order.lines.iter_mut().for_each(clamp_backorder);
        }
        Event::ShipmentConfirmed { shipment, .. } if order.shipments.iter().all(|s| s.id != shipment.id) => {
            for shipped in &shipment.lines {
                with_allocation(order, &shipped.line_id, &shipment.location, |a| {
                    a.shipped =
                        a.shipped.saturating_add(shipped.quantity.get().min(a.released.saturating_sub(a.shipped)));
                });
            }
            order.shipments.push(shipment.clone());
        }
        Event::DeliveryConfirmed { shipment_id, delivered_at, .. } => {
            let pending = order.shipments.iter_mut().find(|s| &s.id == shipment_id && s.delivered_at.is_none());
            if let Some(shipment) = pending {
                shipment.delivered_at = Some(*delivered_at);
                let lines = shipment.lines.clone();
                for delivered in lines {
                    if let Some(line) = order.line_mut(&delivered.line_id) {
                        let q = &mut line.quantities;
                        q.delivered = q
                            .delivered
                            .saturating_add(delivered.quantity.get().min(q.shipped.saturating_sub(q.delivered)));
                    }
                }
            }
        }
        Event::ReturnRecorded { record, .. } if order.returns.iter().all(|r| r.id != record.id) => {
            for returned in &record.lines {
                if let Some(line) = order.line_mut(&returned.line_id) {
                    let q = &mut line.quantities;
                    q.returned =
                        q.returned.saturating_add(returned.quantity.get().min(q.delivered.saturating_sub(q.returned)));
                }
            }
            if let Some(authorisation) = &record.authorisation {
                crate::rma::note_received(order, authorisation, &record.lines);
            }
            order.returns.push(record.clone());
        }
        Event::OrderCancelRequested { request, .. } if order.cancel_requests.iter().all(|r| r.id != request.id) => {
            order.cancel_requests.push(request.clone());
        }
        Event::OrderCancelAnswered { request_id, outcome, .. } => {
            if let Some(request) = order.cancel_requests.iter_mut().find(|r| r.id == *request_id) {
                let first_acceptance = request.outcome.is_none() && *outcome == CancelOutcome::Accepted;
                let recalled = if first_acceptance { request.lines.clone() } else { Vec::new() };
                request.outcome = Some(*outcome);
                // The warehouse gives the recalled units back: they are no longer released, so the
                // cancellation that follows (unreleased units first) removes them and not units allocated
                // there since the request, which the warehouse has not seen yet.
                recalled.iter().for_each(|m| unrelease(order, m));
            }
        }
        Event::ReturnAuthorised { authorisation, .. }
            if order.return_authorisations.iter().all(|a| a.id != authorisation.id) =>
        {
            order.return_authorisations.push(authorisation.clone());
        }
        _ => {}
    }
    bump(order, now);
}

/// Records that an event was applied: version, time, and the status the quantities now give.
fn bump(order: &mut Order, now: DateTime<Utc>) {
    order.version = order.version.saturating_add(1);
    order.updated_at = now;
    if let Some(status) = check::derived_status(order) {
        order.status = status;
    }
}

/// Units neither allocated nor cancelled, zero if the line is inconsistent.
fn unallocated(line: &OrderLine) -> u32 {
    let q = &line.quantities;
    q.ordered.saturating_sub(q.cancelled).saturating_sub(q.allocated)
}

/// Backordered units are unallocated units: allocating or cancelling units takes them from the backorder.
fn clamp_backorder(line: &mut OrderLine) {
    line.quantities.backordered = line.quantities.backordered.min(unallocated(line));
}

fn allocate(order: &mut Order, m: &LineMovement) {
    let Some(line) = order.line_mut(&m.line_id) else {
        return;
    };
    let units = m.quantity.min(unallocated(line));
    if units == 0 {
        return;
    }
    if !line.allocations.iter().any(|a| a.location == m.location) {
        line.allocations.push(LineAllocation { location: m.location.clone(), allocated: 0, released: 0, shipped: 0 });
    }
    with_allocation(order, &m.line_id, &m.location, |a| a.allocated = a.allocated.saturating_add(units));
}

fn release(order: &mut Order, m: &LineMovement) {
    with_allocation(order, &m.line_id, &m.location, |a| {
        a.released = a.released.saturating_add(m.quantity.min(a.allocated.saturating_sub(a.released)));
    });
}

/// Returns released, unshipped units of an allocation to the hub (a recall the warehouse accepted), as
/// `answer_cancel_request` counts them.
fn unrelease(order: &mut Order, m: &LineMovement) {
    with_allocation(order, &m.line_id, &m.location, |a| {
        a.released = a.released.saturating_sub(m.quantity.min(a.released.saturating_sub(a.shipped)));
    });
}

/// Takes units back from an allocation: unreleased ones first, then released unshipped ones.
fn deallocate(order: &mut Order, m: &LineMovement) {
    with_allocation(order, &m.line_id, &m.location, |a| {
        let units = m.quantity.min(a.allocated.saturating_sub(a.shipped));
        let from_released = units.saturating_sub(a.allocated.saturating_sub(a.released));
        a.allocated = a.allocated.saturating_sub(units);
        a.released = a.released.saturating_sub(from_released);
    });
}

/// Changes the line's allocation at `location` (if both exist), then recomputes the line's allocated,
/// released and shipped totals from its allocations and drops allocations left empty.
fn with_allocation(
    order: &mut Order,
    line_id: &LineId,
    location: &LocationId,
    change: impl FnOnce(&mut LineAllocation),
) {
    let Some(line) = order.line_mut(line_id) else {
        return;
    };
    let Some(allocation) = line.allocations.iter_mut().find(|a| &a.location == location) else {
        return;
    };
    change(allocation);
    line.allocations.retain(|a| a.allocated > 0);
    let sum = |f: fn(&LineAllocation) -> u32| line.allocations.iter().map(f).fold(0u32, u32::saturating_add);
    line.quantities.allocated = sum(|a| a.allocated);
    line.quantities.released = sum(|a| a.released);
    line.quantities.shipped = sum(|a| a.shipped);
}
