//! The warehouse's answer to a cancel request: accepted, the requested units still released and unshipped at
//! each location are cancelled and their reservations released; refused, the request is closed and the order
//! continues. Answering a request already answered the same way changes nothing (a retried webhook).

use crate::{DecideError, check};
use crossdock_model::{CancelOutcome, Event, LineMovement, LineQuantity, LocationId, Order, Quantity, Sku};
use std::collections::BTreeMap;

/// `AnswerCancelRequest`: closes the order's open cancel request with the warehouse's outcome.
pub(crate) fn answer_cancel_request(
    order: &Order,
    outcome: CancelOutcome,
    reason: Option<&str>,
) -> Result<Vec<Event>, DecideError> {
    check::reason("/reason", reason.unwrap_or(""), false)?;
    let Some(request) = order.open_cancel_request() else {
        return match order.cancel_requests.last() {
            Some(last) if last.outcome == Some(outcome) => Ok(Vec::new()),
            Some(last) => Err(DecideError::conflict(
                "no_open_cancel_request",
                format!(
                    "order {} has no open cancel request; request {} was already answered {}",
                    order.id,
                    last.id,
                    outcome_name(last.outcome)
                ),
            )),
            None => Err(DecideError::conflict(
                "no_open_cancel_request",
                format!("order {} has no cancel request to answer", order.id),
            )),
        };
    };
    let mut events = vec![Event::OrderCancelAnswered {
        order_id: order.id.clone(),
        request_id: request.id,
        outcome,
        reason: reason.map(str::to_string),
    }];
    if outcome == CancelOutcome::Refused {
        return Ok(events);
    }
    let mut per_line: Vec<LineQuantity> = Vec::new();
    let mut released = Vec::new();
    let mut given_back: BTreeMap<(Sku, LocationId), i64> = BTreeMap::new();
    for asked in &request.lines {
        let Some(line) = order.line(&asked.line_id) else { continue };
        // Units shipped since the request went out can no longer be cancelled.
        let still = line.allocation(&asked.location).map_or(0, |a| a.released - a.shipped);
        let taken_here = released
            .iter()
            .filter(|m: &&LineMovement| m.line_id == asked.line_id && m.location == asked.location)
            .map(|m| m.quantity)
            .sum::<u32>();
        let take = asked.quantity.min(still.saturating_sub(taken_here));
        if take == 0 {
            continue;
        }
        released.push(LineMovement { line_id: line.id.clone(), location: asked.location.clone(), quantity: take });
        *given_back.entry((line.sku.clone(), asked.location.clone())).or_default() += i64::from(take);
        match per_line.iter_mut().find(|l| l.line_id == line.id) {
            Some(l) => {
                l.quantity = Quantity::new(l.quantity.get() + take)
                    .map_err(|e| check::inconsistent(format!("line {}: {e}", line.id)))?
            }
            None => per_line.push(LineQuantity {
                line_id: line.id.clone(),
                quantity: Quantity::new(take).map_err(|e| check::inconsistent(format!("line {}: {e}", line.id)))?,
            }),
        }
    }
    if per_line.is_empty() {
        return Ok(events);
    }
    events.push(Event::OrderLinesCancelled {
        order_id: order.id.clone(),
        lines: per_line,
        released,
        reason: request.reason.clone(),
    });
    events.extend(given_back.into_iter().map(|((sku, location), quantity)| Event::InventoryReservationReleased {
        sku,
        location,
        order_id: order.id.clone(),
        quantity,
    }));
    Ok(events)
}

fn outcome_name(outcome: Option<CancelOutcome>) -> &'static str {
    match outcome {
        Some(CancelOutcome::Accepted) => "accepted",
        Some(CancelOutcome::Refused) => "refused",
        None => "open",
    }
}

/// The positions an answer may release: the open request's lines.
pub(crate) fn answer_keys(order: &Order) -> Vec<(Sku, LocationId)> {
    order
        .open_cancel_request()
        .iter()
        .flat_map(|r| &r.lines)
        .filter_map(|m| order.line(&m.line_id).map(|l| (l.sku.clone(), m.location.clone())))
        .collect()
}
