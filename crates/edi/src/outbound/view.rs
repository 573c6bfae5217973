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

/// Maximum lengths of N102 (name), N301/N302 (street), N401 (city) and N403 (postal code).
const NAME_MAX: usize = 60;
const STREET_MAX: usize = 55;
const CITY_MAX: usize = 30;
const POSTAL_MAX: usize = 15;

/// The N1 loop of a party with an address: N1, N3 (one or two) and N4, each value fitted to its
/// element so that an address the hub accepted never stops a document from going out. Delimiters
/// in names and addresses are replaced when the interchange is written, where they are known.
pub(crate) fn party(code: &str, address: &Address, id: Option<&str>) -> Vec<OwnedSegment> {
    let name = fit_text(&address.name, NAME_MAX);
    let mut out = vec![match id {
        Some(id) => seg("N1", &[code, &name, "92", id]),
        None => seg("N1", &[code, &name]),
    }];
    for pair in street_elements(address).chunks(2) {
        let pair: Vec<&str> = pair.iter().map(String::as_str).collect();
        out.push(seg("N3", &pair));
    }
    // N401 is 2 to 30 characters, N402 a 2-character code (a region spelled out is left out rather
    // than cut), N403 3 to 15.
    let city = Some(fit_text(&address.city, CITY_MAX)).filter(|c| c.len() >= 2).unwrap_or_default();
    let region = address
        .region
        .as_deref()
        .map(str::trim)
        .filter(|r| r.len() == 2 && r.bytes().all(|b| b.is_ascii_alphanumeric()))
        .map(str::to_ascii_uppercase)
        .unwrap_or_default();
    let postal = Some(fit_text(&address.postal_code, POSTAL_MAX)).filter(|p| p.len() >= 3).unwrap_or_default();
    out.push(seg("N4", &[&city, &region, &postal, address.country.as_str()]));
    out
}

/// `text` fitted to a free-text element of at most `max` bytes (the schemas here, like X12 validators
/// generally, count an element's length in bytes, not characters): control characters become spaces,
/// surrounding spaces go, and it is cut on a character boundary.
pub(crate) fn fit_text(text: &str, max: usize) -> String {
    let clean: String = text.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
    let (head, _) = split_within(clean.trim(), max, false);
    head.to_string()
}

/// `text` split after at most `max` bytes, on a character boundary, and at the last space within
/// the limit when `at_space` and there is one; both halves trimmed.
fn split_within(text: &str, max: usize, at_space: bool) -> (&str, &str) {
    if text.len() <= max {
        return (text, "");
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let space = text[end..].starts_with(' ').then_some(end).or_else(|| text[..end].rfind(' ').filter(|i| *i > 0));
    let cut = if at_space { space.unwrap_or(end) } else { end };
    (text[..cut].trim_end(), text[cut..].trim_start())
}

/// The street lines as N3 elements of at most 55 bytes: a longer line continues in the next
/// element (N302, then a second N3), broken at a space; at most the two N3s a loop allows.
fn street_elements(address: &Address) -> Vec<String> {
    let mut out = Vec::new();
    for line in std::iter::once(address.line1.as_str()).chain(address.line2.as_deref()) {
        let clean: String = line.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
        let mut rest = clean.trim();
        while !rest.is_empty() {
            let (piece, after) = split_within(rest, STREET_MAX, true);
            if piece.is_empty() {
                break;
            }
            out.push(piece.to_string());
            rest = after;
        }
    }
    out.truncate(4);
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

/// The first characters of the ids `reference` may stand for, when it has the shape [`fit_reference`]
/// gives a shortened id of `max` characters; `None` when it cannot be one (an id that fitted as it was).
/// A partner echoes the reference (a 945's W0602 echoes the 940's W0502), and the ids that start with the
/// prefix are the candidates to hash against it.
pub fn shortened_prefix(reference: &str, max: usize) -> Option<&str> {
    if max < 14 || reference.chars().count() != max {
        return None;
    }
    let split = reference.char_indices().nth(max - 13)?.0;
    let (prefix, tail) = reference.split_at(split);
    let hex = tail.strip_prefix('-')?;
    (hex.len() == 12 && hex.bytes().all(|b| b.is_ascii_digit() || (b'A'..=b'F').contains(&b))).then_some(prefix)
}

#[cfg(test)]
mod reference_tests {
    use super::{fit_reference, fit_text, shortened_prefix, split_within};

    #[test]
    fn text_is_fitted_in_bytes_on_character_boundaries() {
        assert_eq!(fit_text("  Dock\t4  ", 60), "Dock 4");
        assert_eq!(fit_text("Zoë Müller", 3), "Zo", "ë is two bytes and is not split");
        assert_eq!(fit_text("Zoë Müller", 4), "Zoë");
        assert_eq!(split_within("12 Long Road Name", 9, true), ("12 Long", "Road Name"));
        assert_eq!(split_within("12 Long Road", 7, true), ("12 Long", "Road"));
        assert_eq!(split_within("Unbroken", 3, true), ("Unb", "roken"));
    }

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

    #[test]
    fn a_shortened_reference_gives_the_prefix_of_its_id() {
        let id = "0193a5b2-7c4e-7f00-8a1b-2c3d4e5f6a7b";
        let short = fit_reference(id, 22);
        assert_eq!(shortened_prefix(&short, 22), Some("0193a5b2-"));
        assert!(id.starts_with(shortened_prefix(&short, 22).unwrap()));
        assert_eq!(shortened_prefix("W000123", 22), None, "an id that fitted as it was");
        assert_eq!(shortened_prefix("edi-acme-PO-0000000001x", 22), None, "23 characters");
        assert_eq!(shortened_prefix("edi-acme--00000000000g", 22), None, "not upper-case hex");
        assert_eq!(shortened_prefix("Zoë-000000-ABCDEF012345", 22), None, "no dash after the prefix");
    }
}
