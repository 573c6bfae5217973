//! What outbound sets need to know about an order, taken from a `PlaceOrder` or an `Order`, and
//! small helpers shared by the set builders.

use crate::document::OwnedSegment;
use crate::map::value::scaled_to_decimal;
use chrono::{DateTime, Utc};
use crossdock_model::{Address, Currency, ExternalId, LineId, LocationId, Money, Order, OrderId, PlaceOrder, Sku};
use serde::{Deserialize, Serialize};

/// One order line as outbound sets read it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderLineView {
    pub id: LineId,
    pub sku: Sku,
    pub quantity: u32,
    pub unit_price: Money,
}

/// An order as outbound sets read it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderView {
    pub id: OrderId,
    /// The partner's PO number.
    pub external_id: ExternalId,
    pub placed_at: DateTime<Utc>,
    pub ship_to: Address,
    pub bill_to: Option<Address>,
    pub currency: Currency,
    pub shipping: Option<Money>,
    /// The B2B customer's sales-tax exemption certificate, if the order is exempt.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tax_exempt_certificate: Option<String>,
    pub lines: Vec<OrderLineView>,
}

impl From<&PlaceOrder> for OrderView {
    fn from(p: &PlaceOrder) -> Self {
        OrderView {
            id: p.id.clone(),
            external_id: p.external_id.clone(),
            placed_at: p.placed_at,
            ship_to: p.ship_to.clone(),
            bill_to: p.bill_to.clone(),
            currency: p.currency,
            shipping: p.shipping,
            tax_exempt_certificate: p.tax_exempt_certificate.clone(),
            lines: p
                .lines
                .iter()
                .map(|l| OrderLineView {
                    id: l.id.clone(),
                    sku: l.sku.clone(),
                    quantity: l.quantity.get(),
                    unit_price: l.unit_price,
                })
                .collect(),
        }
    }
}

impl From<&Order> for OrderView {
    fn from(o: &Order) -> Self {
        OrderView {
            id: o.id.clone(),
            external_id: o.external_id.clone(),
            placed_at: o.placed_at,
            ship_to: o.ship_to.clone(),
            bill_to: o.bill_to.clone(),
            currency: o.currency,
            shipping: o.shipping,
            tax_exempt_certificate: o.tax_exempt_certificate.clone(),
            lines: o
                .lines
                .iter()
                .map(|l| OrderLineView {
                    id: l.id.clone(),
                    sku: l.sku.clone(),
                    quantity: l.quantities.ordered,
                    unit_price: l.unit_price,
                })
                .collect(),
        }
    }
}

impl OrderView {
    pub fn line(&self, id: &LineId) -> Option<&OrderLineView> {
        self.lines.iter().find(|l| &l.id == id)
    }
}

/// A segment of simple elements, trailing empty elements dropped.
pub(crate) fn seg(id: &str, elements: &[&str]) -> OwnedSegment {
    let mut elements = elements.to_vec();
    while elements.last().is_some_and(|e| e.is_empty()) {
        elements.pop();
    }
    OwnedSegment::simple(id, &elements)
}

/// An amount in minor units as an R value.
pub(crate) fn money_r(m: Money) -> String {
    scaled_to_decimal(m.amount_minor, m.currency.minor_digits())
}

/// The N1 loop of a party with an address: N1, N3 and N4.
pub(crate) fn party(code: &str, address: &Address, id: Option<&str>) -> Vec<OwnedSegment> {
    let mut out = vec![match id {
        Some(id) => seg("N1", &[code, &address.name, "92", id]),
        None => seg("N1", &[code, &address.name]),
    }];
    out.push(seg("N3", &[&address.line1, address.line2.as_deref().unwrap_or("")]));
    out.push(seg(
        "N4",
        &[&address.city, address.region.as_deref().unwrap_or(""), &address.postal_code, address.country.as_str()],
    ));
    out
}

/// The N1 of a location known only by id.
pub(crate) fn location_party(code: &str, location: &LocationId) -> OwnedSegment {
    seg("N1", &[code, location.as_str(), "92", location.as_str()])
}
