//! Fulfilment facts reported back by warehouses, carriers and stores: shipments, deliveries and returns.

use crate::allocate::unknown_line;
use crate::{DecideError, State, check, rma};
use chrono::{DateTime, Utc};
use crossdock_model::{
    Disposition, Event, LineId, LineQuantity, LocationId, Order, Quantity, ReturnAuthorisationId, ReturnId, ReturnLine,
    ReturnRecord, Shipment, ShipmentId, Sku,
};
use std::collections::BTreeMap;

/// The fields of a `ConfirmShipment` command.
pub(crate) struct NewShipment<'a> {
    pub id: &'a ShipmentId,
    pub location: &'a LocationId,
    pub carrier: &'a str,
    pub service: Option<&'a str>,
    pub tracking_number: Option<&'a str>,
    pub lines: &'a [LineQuantity],
    pub shipped_at: DateTime<Utc>,
}

/// Records a shipment of released units from one location; the units leave its stock and its reservations.
pub(crate) fn confirm_shipment(
    state: &State,
    order: &Order,
    new: &NewShipment<'_>,
    now: DateTime<Utc>,
) -> Result<Vec<Event>, DecideError> {
    if order.shipments.iter().any(|s| &s.id == new.id) {
        return Err(DecideError::invalid(
            "/shipment_id",
            "duplicate_shipment",
            format!("order {} already has shipment {}", order.id, new.id),
        ));
    }
    let shippable: u64 =
        order.lines.iter().flat_map(|l| &l.allocations).map(|a| u64::from(a.released - a.shipped)).sum();
    if shippable == 0 {
        return Err(DecideError::InvalidTransition { action: "ship", status: order.status });
    }
    check::text("/carrier", "carrier", new.carrier, true)?;
    check::text("/service", "service", new.service.unwrap_or(""), false)?;
    check::text("/tracking_number", "tracking number", new.tracking_number.unwrap_or(""), false)?;
    check::entries("/lines", "line", new.lines)?;

    let mut per_line: Vec<(&LineId, u32)> = Vec::new();
    let mut per_sku: BTreeMap<&Sku, i64> = BTreeMap::new();
    for (i, shipped) in new.lines.iter().enumerate() {
        let Some(line) = order.line(&shipped.line_id) else {
            return Err(unknown_line(format!("/lines/{i}/line_id"), &shipped.line_id, order));
        };
        let pointer = format!("/lines/{i}/quantity");
        let quantity = shipped.quantity.get();
        let room = line.allocation(new.location).map_or(0, |a| a.released - a.shipped);
        let index = match per_line.iter().position(|(id, _)| *id == &line.id) {
            Some(index) => index,
            None => {
                per_line.push((&line.id, 0));
                per_line.len() - 1
            }
        };
        let left = room - per_line[index].1;
        if quantity > left {
            return Err(DecideError::invalid(
                pointer,
                "exceeds_released",
                format!("line {} has {left} released units to ship from {}; {quantity} given", line.id, new.location),
            ));
        }
        per_line[index].1 += quantity;
        let leaving = per_sku.entry(&line.sku).or_default();
        *leaving += i64::from(quantity);
        let on_hand = state.position(&line.sku, new.location, now).on_hand;
        if *leaving > on_hand {
            return Err(DecideError::InsufficientStock {
                pointer,
                sku: line.sku.clone(),
                location: new.location.clone(),
                requested: *leaving,
                available: on_hand.max(0),
            });
        }
    }

    let lines = per_line
        .into_iter()
        .map(|(id, units)| {
            Quantity::new(units)
                .map(|quantity| LineQuantity { line_id: id.clone(), quantity })
                .map_err(|e| check::inconsistent(format!("line {id}: {e}")))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let shipment = Shipment {
        id: new.id.clone(),
        location: new.location.clone(),
        carrier: new.carrier.to_string(),
        service: new.service.map(str::to_string),
        tracking_number: new.tracking_number.map(str::to_string),
        lines,
        shipped_at: new.shipped_at,
        delivered_at: None,
    };
    let mut events = vec![Event::ShipmentConfirmed { order_id: order.id.clone(), shipment }];
    events.extend(per_sku.into_iter().map(|(sku, quantity)| Event::InventoryShipped {
        sku: sku.clone(),
        location: new.location.clone(),
        order_id: order.id.clone(),
        quantity,
    }));
    Ok(events)
}

/// Records that a shipment reached the customer.
pub(crate) fn confirm_delivery(
    order: &Order,
    shipment_id: &ShipmentId,
    delivered_at: DateTime<Utc>,
) -> Result<Vec<Event>, DecideError> {
    let Some(shipment) = order.shipments.iter().find(|s| &s.id == shipment_id) else {
        return Err(DecideError::invalid(
            "/shipment_id",
            "unknown_shipment",
            format!("order {} has no shipment {shipment_id}", order.id),
        ));
    };
    if shipment.delivered_at.is_some() {
        return Err(DecideError::invalid(
            "/shipment_id",
            "already_delivered",
            format!("shipment {shipment_id} of order {} is already delivered", order.id),
        ));
    }
    Ok(vec![Event::DeliveryConfirmed { order_id: order.id.clone(), shipment_id: shipment_id.clone(), delivered_at }])
}

/// The fields of a `RecordReturn` command.
pub(crate) struct NewReturn<'a> {
    pub id: &'a ReturnId,
    pub location: &'a LocationId,
    pub lines: &'a [ReturnLine],
    pub received_at: DateTime<Utc>,
    pub authorisation: Option<&'a ReturnAuthorisationId>,
}

/// Records units received back at a location (against a return authorisation or as a walk-in); resellable
/// ones go back into its stock, and the refund due is recorded with the return.
pub(crate) fn record_return(state: &State, order: &Order, new: &NewReturn<'_>) -> Result<Vec<Event>, DecideError> {
    let (return_id, location, lines, received_at) = (new.id, new.location, new.lines, new.received_at);
    if order.returns.iter().any(|r| &r.id == return_id) {
        return Err(DecideError::invalid(
            "/return_id",
            "duplicate_return",
            format!("order {} already has return {return_id}", order.id),
        ));
    }
    let returnable: u64 = order.lines.iter().map(|l| u64::from(l.quantities.delivered - l.quantities.returned)).sum();
    if returnable == 0 {
        return Err(DecideError::InvalidTransition { action: "record a return of", status: order.status });
    }
    check::entries("/lines", "line", lines)?;
    let mut per_line: BTreeMap<&LineId, u32> = BTreeMap::new();
    let mut restock: BTreeMap<&Sku, i64> = BTreeMap::new();
    for (i, returned) in lines.iter().enumerate() {
        let Some(line) = order.line(&returned.line_id) else {
            return Err(unknown_line(format!("/lines/{i}/line_id"), &returned.line_id, order));
        };
        let quantity = returned.quantity.get();
        let used = per_line.entry(&line.id).or_default();
        let left = line.quantities.delivered - line.quantities.returned - *used;
        if quantity > left {
            return Err(DecideError::invalid(
                format!("/lines/{i}/quantity"),
                "exceeds_delivered",
                format!("line {} has {left} delivered units not yet returned; {quantity} given", line.id),
            ));
        }
        *used += quantity;
        if returned.disposition == Disposition::Resellable {
            *restock.entry(&line.sku).or_default() += i64::from(quantity);
        }
    }
    rma::check_against_authorisation(order, new.authorisation, lines)?;
    let refund = rma::refund_event(order, return_id, new.authorisation, location, lines, &state.restocking)?;
    let record = ReturnRecord {
        id: return_id.clone(),
        location: location.clone(),
        lines: lines.to_vec(),
        received_at,
        authorisation: new.authorisation.cloned(),
    };
    let mut events = vec![Event::ReturnRecorded { order_id: order.id.clone(), record }, refund];
    events.extend(restock.into_iter().map(|(sku, quantity)| Event::InventoryRestocked {
        sku: sku.clone(),
        location: location.clone(),
        order_id: order.id.clone(),
        quantity,
    }));
    Ok(events)
}
