//! Holding an order (fraud check, payment review) before it is released, and lifting the hold.

use crate::{DecideError, check};
use crossdock_model::{Event, Order, OrderStatus};

/// Puts an order on hold. Only before anything is released to a warehouse, and not twice.
pub(crate) fn hold_order(order: &Order, reason: &str) -> Result<Vec<Event>, DecideError> {
    let holdable = matches!(order.status, OrderStatus::Created | OrderStatus::Allocated | OrderStatus::Backordered);
    if order.hold.is_some() || !holdable {
        return Err(DecideError::InvalidTransition { action: "hold", status: order.status });
    }
    check::reason("/reason", reason, true)?;
    Ok(vec![Event::OrderHeld { order_id: order.id.clone(), reason: reason.to_string() }])
}

/// Lifts the hold of an order on hold.
pub(crate) fn release_hold(order: &Order) -> Result<Vec<Event>, DecideError> {
    if order.hold.is_none() {
        return Err(DecideError::InvalidTransition { action: "release the hold of", status: order.status });
    }
    Ok(vec![Event::OrderHoldReleased { order_id: order.id.clone() }])
}
