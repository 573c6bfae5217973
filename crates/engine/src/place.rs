//! Placing an order: validate the new order's lines, money and addresses, record it as created, and (with
//! automatic sourcing) source it in the same decision.

use crate::{DecideError, State, autosource, check};
use chrono::{DateTime, Utc};
use crossdock_model::{Event, LineQuantities, Money, Order, OrderLine, OrderStatus, PlaceOrder};
use std::collections::BTreeSet;

pub(crate) fn place_order(state: &State, place: &PlaceOrder, now: DateTime<Utc>) -> Result<Vec<Event>, DecideError> {
    if state.order.is_some() {
        return Err(DecideError::OrderExists(place.id.clone()));
    }
    validate(place)?;
    let lines = place
        .lines
        .iter()
        .map(|l| OrderLine {
            id: l.id.clone(),
            sku: l.sku.clone(),
            unit_price: l.unit_price,
            quantities: LineQuantities { ordered: l.quantity.get(), ..LineQuantities::default() },
            allocations: Vec::new(),
        })
        .collect();
    let order = Order {
        id: place.id.clone(),
        channel: place.channel.clone(),
        external_id: place.external_id.clone(),
        customer: place.customer.clone(),
        ship_to: place.ship_to.clone(),
        bill_to: place.bill_to.clone(),
        currency: place.currency,
        shipping: place.shipping,
        tax_exempt_certificate: place.tax_exempt_certificate.clone(),
        tax_zip3: place.ship_to.us_zip3(),
        lines,
        placed_at: place.placed_at,
        status: OrderStatus::Created,
        hold: None,
        shipments: Vec::new(),
        returns: Vec::new(),
        cancel_requests: Vec::new(),
        return_authorisations: Vec::new(),
        sourcing: place.sourcing.clone(),
        version: 0,
        updated_at: now,
    };
    if let Some(network) = state.sourcing.as_ref().filter(|_| autosource::sources_automatically(state, &order)) {
        let mut events = autosource::source(state, network, &order, now)?;
        events.insert(0, Event::OrderPlaced { order: Box::new(order) });
        return Ok(events);
    }
    Ok(vec![Event::OrderPlaced { order: Box::new(order) }])
}

fn validate(place: &PlaceOrder) -> Result<(), DecideError> {
    check::entries("/lines", "line", &place.lines)?;
    let mut ids = BTreeSet::new();
    let mut total = Money::zero(place.currency);
    for (i, line) in place.lines.iter().enumerate() {
        if !ids.insert(&line.id) {
            return Err(DecideError::invalid(
                format!("/lines/{i}/id"),
                "duplicate_line",
                format!("line id {} is used more than once", line.id),
            ));
        }
        let pointer = format!("/lines/{i}/unit_price");
        money(&pointer, line.unit_price, place)?;
        total =
            line.unit_price.checked_mul(line.quantity.get()).and_then(|t| total.checked_add(t)).ok_or_else(|| {
                DecideError::invalid(
                    format!("{pointer}/amount_minor"),
                    "amount_too_large",
                    "the order total is too large",
                )
            })?;
    }
    if let Some(shipping) = place.shipping {
        money("/shipping", shipping, place)?;
        total.checked_add(shipping).ok_or_else(|| {
            DecideError::invalid("/shipping/amount_minor", "amount_too_large", "the order total is too large")
        })?;
    }
    check::address("/ship_to", &place.ship_to)?;
    if place.sourcing.exclude.len() > check::MAX_LINES {
        return Err(DecideError::invalid(
            "/sourcing/exclude",
            "too_many",
            format!("{} locations excluded; the limit is {}", place.sourcing.exclude.len(), check::MAX_LINES),
        ));
    }
    if let Some(bill_to) = &place.bill_to {
        check::address("/bill_to", bill_to)?;
    }
    if let Some(certificate) = &place.tax_exempt_certificate {
        check::text("/tax_exempt_certificate", "tax exemption certificate id", certificate, true)?;
    }
    if let Some(customer) = &place.customer {
        check::text("/customer/name", "customer name", customer.name.as_deref().unwrap_or(""), false)?;
        check::text("/customer/phone", "customer phone", customer.phone.as_deref().unwrap_or(""), false)?;
    }
    Ok(())
}

/// An amount in the order's currency and not negative.
fn money(pointer: &str, value: Money, place: &PlaceOrder) -> Result<(), DecideError> {
    if value.currency != place.currency {
        return Err(DecideError::invalid(
            format!("{pointer}/currency"),
            "currency_mismatch",
            format!("{} differs from the order currency {}", value.currency, place.currency),
        ));
    }
    if value.amount_minor < 0 {
        return Err(DecideError::invalid(
            format!("{pointer}/amount_minor"),
            "negative_amount",
            format!("amount {value} is negative"),
        ));
    }
    Ok(())
}
