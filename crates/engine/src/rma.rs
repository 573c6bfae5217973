//! Return authorisations (RMA) and what a received return pays back.
//!
//! An authorisation names units of shipped lines (at most shipped − returned − already authorised and not
//! yet received) with a reason and optionally the location expected to receive them. A return may then be
//! received at any location against it (a store's POS, for an online order), each line with its disposition;
//! returns without an authorisation (walk-ins) keep working for units no open authorisation holds.
//! Every recorded return emits `order.refund_due`: price plus tax of the units, less the restocking fee of
//! the policy's rule (waived for fulfilment errors), as [`refund`](crate::refund) computes it.

use crate::allocate::unknown_line;
use crate::refund::{RestockingFeeRule, refund};
use crate::tax::order_tax;
use crate::{DecideError, check};
use chrono::{DateTime, Utc};
use crossdock_model::{
    AuthorisedLine, Event, LineId, LocationId, Order, RefundDue, ReturnAuthorisation, ReturnAuthorisationId, ReturnId,
    ReturnLine,
};
use std::collections::BTreeMap;

/// `AuthoriseReturn`: records an RMA for shipped units not yet returned nor authorised.
pub(crate) fn authorise_return(
    order: &Order,
    id: &ReturnAuthorisationId,
    lines: &[AuthorisedLine],
    expected_location: Option<&LocationId>,
    authorised_at: DateTime<Utc>,
) -> Result<Vec<Event>, DecideError> {
    if order.return_authorisations.iter().any(|a| &a.id == id) {
        return Err(DecideError::conflict(
            "duplicate_authorisation",
            format!("order {} already has return authorisation {id}", order.id),
        ));
    }
    check::entries("/lines", "line", lines)?;
    let mut used: BTreeMap<&LineId, u32> = BTreeMap::new();
    for (i, asked) in lines.iter().enumerate() {
        let Some(line) = order.line(&asked.line_id) else {
            return Err(unknown_line(format!("/lines/{i}/line_id"), &asked.line_id, order));
        };
        let q = &line.quantities;
        let taken = used.entry(&line.id).or_default();
        let left =
            q.shipped.saturating_sub(q.returned).saturating_sub(order.authorised_open(&line.id)).saturating_sub(*taken);
        let quantity = asked.quantity.get();
        if quantity > left {
            return Err(DecideError::invalid(
                format!("/lines/{i}/quantity"),
                "exceeds_returnable",
                format!(
                    "line {} has {left} units shipped and neither returned nor authorised for return; {quantity} given",
                    line.id
                ),
            ));
        }
        *taken += quantity;
    }
    let authorisation = ReturnAuthorisation {
        id: id.clone(),
        lines: lines.to_vec(),
        expected_location: expected_location.cloned(),
        authorised_at,
        received: vec![0; lines.len()],
    };
    Ok(vec![Event::ReturnAuthorised { order_id: order.id.clone(), authorisation }])
}

/// Checks a return against its authorisation (every unit authorised and not yet received), or, without one,
/// that it takes no unit an open authorisation holds.
pub(crate) fn check_against_authorisation(
    order: &Order,
    authorisation: Option<&ReturnAuthorisationId>,
    lines: &[ReturnLine],
) -> Result<(), DecideError> {
    let rma = match authorisation {
        None => None,
        Some(id) => Some(order.return_authorisations.iter().find(|a| &a.id == id).ok_or_else(|| {
            DecideError::invalid(
                "/authorisation",
                "unknown_authorisation",
                format!("order {} has no return authorisation {id}", order.id),
            )
        })?),
    };
    let mut used: BTreeMap<&LineId, u32> = BTreeMap::new();
    for (i, returned) in lines.iter().enumerate() {
        let taken = used.entry(&returned.line_id).or_default();
        *taken += returned.quantity.get();
        let pointer = format!("/lines/{i}/quantity");
        match rma {
            Some(rma) => {
                let open = rma.open_units(&returned.line_id);
                if *taken > open {
                    return Err(DecideError::invalid(
                        pointer,
                        "exceeds_authorised",
                        format!(
                            "return authorisation {} has {open} units of line {} still expected; {} given",
                            rma.id, returned.line_id, taken
                        ),
                    ));
                }
            }
            None => {
                let Some(line) = order.line(&returned.line_id) else { continue };
                let held = order.authorised_open(&line.id);
                let q = &line.quantities;
                let free = q.delivered.saturating_sub(q.returned).saturating_sub(held);
                if held > 0 && *taken > free {
                    return Err(DecideError::invalid(
                        pointer,
                        "authorisation_required",
                        format!(
                            "{held} units of line {} are held by an open return authorisation; give its id in \
                             /authorisation (units free for a walk-in return: {free})",
                            line.id
                        ),
                    ));
                }
            }
        }
    }
    Ok(())
}

/// The `order.refund_due` event of a return, computed on the order as it stands before the return.
pub(crate) fn refund_event(
    order: &Order,
    return_id: &ReturnId,
    authorisation: Option<&ReturnAuthorisationId>,
    location: &LocationId,
    lines: &[ReturnLine],
    rule: &RestockingFeeRule,
) -> Result<Event, DecideError> {
    // Orders the tax table does not cover (outside the US, say) were charged no tax: none is refunded.
    let tax = order_tax(order).ok();
    let computed = refund(order, tax.as_ref(), lines, rule)
        .map_err(|e| DecideError::invalid("/lines", "refund_not_computable", e.to_string()))?;
    let refund = RefundDue {
        return_id: return_id.clone(),
        authorisation: authorisation.cloned(),
        location: location.clone(),
        lines: computed.lines,
        price: computed.price,
        tax: computed.tax,
        restocking_fee: computed.restocking_fee,
        total: computed.total,
    };
    Ok(Event::RefundDue { order_id: order.id.clone(), refund })
}

/// Applies a recorded return to the authorisation it came under: its lines' received counts grow.
pub(crate) fn note_received(order: &mut Order, authorisation: &ReturnAuthorisationId, lines: &[ReturnLine]) {
    let Some(rma) = order.return_authorisations.iter_mut().find(|a| &a.id == authorisation) else { return };
    rma.received.resize(rma.lines.len(), 0);
    for returned in lines {
        let mut units = returned.quantity.get();
        for (i, l) in rma.lines.iter().enumerate() {
            if l.line_id != returned.line_id || units == 0 {
                continue;
            }
            let room = l.quantity.get().saturating_sub(rma.received[i]);
            let now = units.min(room);
            rma.received[i] += now;
            units -= now;
        }
    }
}
