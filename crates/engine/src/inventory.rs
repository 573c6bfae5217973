//! Stock changes that come from outside any order: adjustments (receipts, write-offs) and physical counts.

use crate::{DecideError, check};
use crossdock_model::{Event, InventoryPosition};

/// Adds (positive) or removes (negative) units; on-hand may not go below zero.
pub(crate) fn adjust(position: &InventoryPosition, delta: i64, reason: &str) -> Result<Vec<Event>, DecideError> {
    if delta == 0 {
        return Err(DecideError::invalid("/delta", "zero_delta", "an adjustment must change the stock"));
    }
    check::reason("/reason", reason, true)?;
    let Some(on_hand) = position.on_hand.checked_add(delta) else {
        return Err(DecideError::invalid(
            "/delta",
            "out_of_range",
            format!("on hand {} + {delta} is out of range", position.on_hand),
        ));
    };
    if on_hand < 0 {
        return Err(DecideError::invalid(
            "/delta",
            "negative_stock",
            format!(
                "{} of {} on hand at {}: removing {} would leave {on_hand}",
                position.on_hand,
                position.sku,
                position.location,
                delta.unsigned_abs()
            ),
        ));
    }
    Ok(vec![Event::InventoryAdjusted {
        sku: position.sku.clone(),
        location: position.location.clone(),
        delta,
        reason: reason.to_string(),
    }])
}

/// Replaces on-hand with a physical count, keeping what the hub held before for inventory accuracy.
pub(crate) fn count(position: &InventoryPosition, counted: i64) -> Result<Vec<Event>, DecideError> {
    if counted < 0 {
        return Err(DecideError::invalid("/counted", "negative_count", format!("counted {counted} is below zero")));
    }
    Ok(vec![Event::InventoryCounted {
        sku: position.sku.clone(),
        location: position.location.clone(),
        counted,
        previous: position.on_hand,
    }])
}
