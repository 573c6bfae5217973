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

/// `id` as a reference of at most `max` characters: itself when it fits, else its first characters, `-`
/// and 12 hex digits of a hash of the whole id (stable, so the same shipment always gets the same
/// reference). Shipment ids (`<order>-<location>-w1`) often exceed BSN02 (30) and BIG02 (22).
pub fn fit_reference(id: &str, max: usize) -> String {
    if id.chars().count() <= max || max < 14 {
        return id.chars().take(max).collect();
    }
    let hash = id.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3));
    let prefix: String = id.chars().take(max - 13).collect();
    format!("{prefix}-{:012X}", hash & 0xFFFF_FFFF_FFFF)
}

#[cfg(test)]
mod reference_tests {
    use super::fit_reference;

    #[test]
    fn long_references_are_shortened_stably() {
        assert_eq!(fit_reference("SHP-1", 22), "SHP-1");
        let long = "edi-acme-ACME000007-wh-central-w1";
        let short = fit_reference(long, 22);
        assert_eq!(short.len(), 22);
        assert!(short.starts_with("edi-acme--"), "{short}");
        assert_eq!(short, fit_reference(long, 22), "stable");
        assert_ne!(short, fit_reference("edi-acme-ACME000007-wh-central-w2", 22), "distinct");
        assert_eq!(fit_reference(long, 30).len(), 30);
    }
}
