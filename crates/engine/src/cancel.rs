//! Cancelling units of an order: unallocated units go first, then allocated units not yet released, both at
//! once; released units not yet shipped are asked back from the warehouse (a cancel request, see
//! `cancel_request`). Every reservation that shrinks is given back to its position.

use crate::allocate::{open, unknown_line};
use crate::{DecideError, check};
use chrono::{DateTime, Utc};
use crossdock_model::{
    CancelRequest, Event, LineAllocation, LineMovement, LineQuantity, LocationId, Order, OrderLine, Quantity, Sku,
};
use std::collections::BTreeMap;

/// Cancels the given units (or, with no lines, every unit not yet shipped). Units not yet released are
/// cancelled at once; released ones cannot be recalled by the hub alone: for them a cancel request goes to
/// the warehouse (`order.cancel_requested`), whose answer comes back as `AnswerCancelRequest`. While a
/// request is open, another cancellation that needs released units is refused (409 `cancel_request_open`).
///
/// With `at`, only units allocated or released at that location are cancelled: a site that cannot find
/// units must not cancel the ones another site holds (or the unallocated ones sourcing still owes).
pub(crate) fn cancel_order(
    order: &Order,
    lines: Option<&[LineQuantity]>,
    reason: &str,
    at: Option<&LocationId>,
    now: DateTime<Utc>,
) -> Result<Vec<Event>, DecideError> {
    if open(order) == 0 {
        return Err(DecideError::InvalidTransition { action: "cancel", status: order.status });
    }
    check::reason("/reason", reason, false)?;
    let requested = requested_units(order, lines, at)?;
    if let Some(at) = at
        && requested.iter().all(|u| *u == 0)
    {
        return Err(DecideError::invalid(
            "/location",
            "nothing_open_at_location",
            format!("order {} has no units allocated and unshipped at location {at}", order.id),
        ));
    }

    let mut cancelled = Vec::new();
    let mut released = Vec::new();
    let mut recalled = Vec::new();
    let mut given_back: BTreeMap<(Sku, LocationId), i64> = BTreeMap::new();
    for (line, units) in order.lines.iter().zip(requested) {
        if units == 0 {
            continue;
        }
        let here = |a: &&LineAllocation| at.is_none_or(|l| *l == a.location);
        let unallocated = if at.is_some() { 0 } else { line.quantities.unallocated() };
        let unreleased =
            unallocated + line.allocations.iter().filter(here).map(|a| a.allocated - a.released).sum::<u32>();
        let now_units = units.min(unreleased);
        if now_units > 0 {
            let quantity =
                Quantity::new(now_units).map_err(|e| check::inconsistent(format!("line {}: {e}", line.id)))?;
            cancelled.push(LineQuantity { line_id: line.id.clone(), quantity });
            for (location, taken) in shrink_allocations(line, now_units, at) {
                *given_back.entry((line.sku.clone(), location.clone())).or_default() += i64::from(taken);
                released.push(LineMovement { line_id: line.id.clone(), location, quantity: taken });
            }
        }
        let mut rest = units - now_units;
        for a in line.allocations.iter().filter(here) {
            let take = rest.min(a.released - a.shipped);
            if take > 0 {
                recalled.push(LineMovement { line_id: line.id.clone(), location: a.location.clone(), quantity: take });
                rest -= take;
            }
        }
    }
    if !recalled.is_empty()
        && let Some(pending) = order.open_cancel_request()
    {
        return Err(DecideError::conflict(
            "cancel_request_open",
            format!(
                "order {} already has cancel request {} waiting for the warehouse's answer; \
                 released units can be cancelled again once it is answered",
                order.id, pending.id
            ),
        ));
    }
    let mut events = Vec::new();
    if !cancelled.is_empty() {
        events.push(Event::OrderLinesCancelled {
            order_id: order.id.clone(),
            lines: cancelled,
            released,
            reason: reason.to_string(),
        });
    }
    if !recalled.is_empty() {
        let id = u32::try_from(order.cancel_requests.len()).unwrap_or(u32::MAX).saturating_add(1);
        let request =
            CancelRequest { id, lines: recalled, reason: reason.to_string(), requested_at: now, outcome: None };
        events.push(Event::OrderCancelRequested { order_id: order.id.clone(), request });
    }
    events.extend(given_back.into_iter().map(|((sku, location), quantity)| Event::InventoryReservationReleased {
        sku,
        location,
        order_id: order.id.clone(),
        quantity,
    }));
    Ok(events)
}

/// Units to cancel per line of the order, aligned with `order.lines`; each at most the line's open units
/// (at `at`, its units allocated there and not shipped).
fn requested_units(
    order: &Order,
    lines: Option<&[LineQuantity]>,
    at: Option<&LocationId>,
) -> Result<Vec<u32>, DecideError> {
    let open_units = |line: &OrderLine| match at {
        Some(at) => line.allocation(at).map_or(0, |a| a.allocated - a.shipped),
        None => line.quantities.open(),
    };
    let Some(lines) = lines else {
        return Ok(order.lines.iter().map(open_units).collect());
    };
    check::entries("/lines", "line", lines)?;
    let mut units = vec![0u32; order.lines.len()];
    for (i, requested) in lines.iter().enumerate() {
        let Some(index) = order.lines.iter().position(|l| l.id == requested.line_id) else {
            return Err(unknown_line(format!("/lines/{i}/line_id"), &requested.line_id, order));
        };
        let open = open_units(&order.lines[index]);
        let quantity = requested.quantity.get();
        let left = open - units[index];
        if quantity > left {
            let place = at.map(|l| format!(" at location {l}")).unwrap_or_default();
            return Err(DecideError::invalid(
                format!("/lines/{i}/quantity"),
                "exceeds_open",
                format!("line {} has {left} open units{place}; {quantity} requested", requested.line_id),
            ));
        }
        units[index] += quantity;
    }
    Ok(units)
}

/// How many allocated units to take back at each location when `units` of the line are cancelled:
/// none while unallocated units remain, then unreleased units, then released unshipped ones, each pass in
/// allocation order. One entry per location. With `at`, only that location's allocation shrinks and the
/// unallocated units are left alone.
fn shrink_allocations(line: &OrderLine, units: u32, at: Option<&LocationId>) -> Vec<(LocationId, u32)> {
    let mut rest = if at.is_some() { units } else { units.saturating_sub(line.quantities.unallocated()) };
    let mut taken = vec![0u32; line.allocations.len()];
    for pass in [Pass::Unreleased, Pass::ReleasedUnshipped] {
        for (a, take) in line.allocations.iter().zip(taken.iter_mut()) {
            if at.is_some_and(|l| *l != a.location) {
                continue;
            }
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
