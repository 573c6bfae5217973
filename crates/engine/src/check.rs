//! Shared checks: free-text fields, addresses, and the consistency of a loaded order before deciding on it.

use crate::DecideError;
use crossdock_model::{Address, MAX_QUANTITY, MAX_REASON_LEN, MAX_TEXT_LEN, Order};

/// Most lines an order, or entries a cancellation, allocation, shipment or return, may carry.
pub const MAX_LINES: usize = 1000;

/// A free-text reason (hold, cancel, adjustment): at most [`MAX_REASON_LEN`] bytes, and not blank when required.
pub(crate) fn reason(pointer: &str, value: &str, required: bool) -> Result<(), DecideError> {
    bounded_text(pointer, "reason", value, required, MAX_REASON_LEN)
}

/// A free-text field (carrier, name): at most [`MAX_TEXT_LEN`] bytes, and not blank when required.
pub(crate) fn text(pointer: &str, what: &str, value: &str, required: bool) -> Result<(), DecideError> {
    bounded_text(pointer, what, value, required, MAX_TEXT_LEN)
}

fn bounded_text(pointer: &str, what: &str, value: &str, required: bool, max: usize) -> Result<(), DecideError> {
    if required && value.trim().is_empty() {
        return Err(DecideError::invalid(pointer, "required", format!("{what} must not be empty")));
    }
    if value.len() > max {
        return Err(DecideError::invalid(
            pointer,
            "too_long",
            format!("{what} is {} bytes long; the limit is {max}", value.len()),
        ));
    }
    Ok(())
}

/// An address, with the pointer of its first bad field under `prefix` (e.g. `/ship_to`).
pub(crate) fn address(prefix: &str, value: &Address) -> Result<(), DecideError> {
    value.validate().map_err(|(field, e)| DecideError::invalid(format!("{prefix}/{field}"), e.code, e.message))
}

/// A list of entries that must hold between 1 and [`MAX_LINES`] items.
pub(crate) fn entries<T>(pointer: &str, what: &str, items: &[T]) -> Result<(), DecideError> {
    if items.is_empty() {
        return Err(DecideError::invalid(pointer, "empty", format!("at least one {what} is required")));
    }
    if items.len() > MAX_LINES {
        return Err(DecideError::invalid(
            pointer,
            "too_many",
            format!("{} {what}s given; the limit is {MAX_LINES}", items.len()),
        ));
    }
    Ok(())
}

/// Why a stored order cannot be decided on, if it breaks the quantity invariants or bounds that the
/// engine's arithmetic relies on. Checks in 64-bit arithmetic first, so that nothing overflows on corrupt data.
pub(crate) fn order_consistency(order: &Order) -> Result<(), String> {
    let mut total_ordered = 0u64;
    for line in &order.lines {
        let q = &line.quantities;
        if q.ordered > MAX_QUANTITY {
            return Err(format!("line {}: ordered {} is above {MAX_QUANTITY}", line.id, q.ordered));
        }
        q.check().map_err(|e| format!("line {}: {e}", line.id))?;
        total_ordered += u64::from(q.ordered);
        let (mut allocated, mut released, mut shipped) = (0u64, 0u64, 0u64);
        for (i, a) in line.allocations.iter().enumerate() {
            if line.allocations[..i].iter().any(|b| b.location == a.location) {
                return Err(format!("line {}: two allocations at {}", line.id, a.location));
            }
            if a.shipped > a.released || a.released > a.allocated {
                return Err(format!("line {} at {}: shipped ≤ released ≤ allocated broken", line.id, a.location));
            }
            allocated += u64::from(a.allocated);
            released += u64::from(a.released);
            shipped += u64::from(a.shipped);
        }
        if (allocated, released, shipped) != (u64::from(q.allocated), u64::from(q.released), u64::from(q.shipped)) {
            return Err(format!("line {}: allocations do not add up to the line quantities", line.id));
        }
    }
    if total_ordered > u64::from(u32::MAX) {
        return Err(format!("the order's lines hold {total_ordered} units in all, too many to count"));
    }
    // Safe now: every sum below fits in u32.
    order.check_invariants()
}

/// The order's status as its quantities say, when they are consistent enough to compute it.
pub(crate) fn derived_status(order: &Order) -> Option<crossdock_model::OrderStatus> {
    let consistent = order.lines.iter().all(|l| l.quantities.check().is_ok())
        && order.lines.iter().map(|l| u64::from(l.quantities.ordered)).sum::<u64>() <= u64::from(u32::MAX);
    consistent.then(|| order.derive_status())
}

/// The refusal for a stored order that breaks its invariants.
pub(crate) fn inconsistent(message: String) -> DecideError {
    DecideError::invalid("", "inconsistent_state", format!("the stored order is inconsistent: {message}"))
}
