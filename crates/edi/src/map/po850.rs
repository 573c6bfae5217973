//! 850 Purchase Order → `PlaceOrder`: the partner's channel, the PO number (BEG03) as external id,
//! the order time from DTM*004 (else the BEG05 date at midnight), the ship-to from the N1*ST loop
//! (N3/N4), and one line per PO1 with its sku (by product id qualifier preference), quantity and unit
//! price in minor units. Segments are read in order, so versions without a schema (e.g. 003040) map too.

use super::error::{Errors, MapErrors};
use super::value::{date, decimal_to_scaled, decimal_to_scaled_rounded, instant, time, whole_quantity};
use super::{InboundOptions, preferred_id, product_ids};
use crate::tree::{SegmentNode, TransactionSet};
use crossdock_model::{
    Address, ChannelId, Country, Currency, Customer, CustomerId, ExternalId, LineId, Money, NewOrderLine, OrderId,
    PlaceOrder, Quantity, Sku,
};

/// Segments that belong to a header N1 loop after its N1.
const N1_MEMBERS: &[&str] = &["N2", "N3", "N4", "NX2", "REF", "PER", "SI", "FOB", "TD1", "TD5", "TD3", "TD4", "PKG"];

/// One N1 loop: the N1 and the segments of its loop.
pub(crate) struct Party<'a> {
    pub n1: &'a SegmentNode,
    pub members: Vec<&'a SegmentNode>,
}

impl<'a> Party<'a> {
    pub fn code(&self) -> String {
        self.n1.text(1)
    }

    pub fn all(&self, id: &str) -> impl Iterator<Item = &&'a SegmentNode> {
        let id = id.to_string();
        self.members.iter().filter(move |s| s.is(&id))
    }

    pub fn first(&self, id: &str) -> Option<&'a SegmentNode> {
        self.members.iter().copied().find(|s| s.is(id))
    }
}

/// The N1 loops among `segs`, each N1 with the following segments in `members`.
pub(crate) fn parties<'a>(segs: &[&'a SegmentNode], members: &[&str]) -> Vec<Party<'a>> {
    let mut out: Vec<Party<'a>> = Vec::new();
    let mut open = false;
    for s in segs {
        if s.is("N1") {
            out.push(Party { n1: s, members: Vec::new() });
            open = true;
        } else if open && members.iter().any(|m| s.is(m)) {
            if let Some(p) = out.last_mut() {
                p.members.push(s);
            }
        } else {
            open = false;
        }
    }
    out
}

/// The address of an N1 loop from N1 (name), N3 (street) and N4 (city, region, postal code,
/// country); `None` with errors recorded when a required part is missing.
pub(crate) fn address(party: &Party<'_>, default_country: Country, errs: &mut Errors<'_>) -> Option<Address> {
    let n1 = party.n1;
    let name = match (n1.text(2), n1.text(4)) {
        (name, _) if !name.is_empty() => name,
        (_, id) => id,
    };
    let street: Vec<String> =
        party.all("N3").flat_map(|n3| [n3.text(1), n3.text(2)]).filter(|s| !s.is_empty()).collect();
    let Some(n4) = party.first("N4") else {
        errs.at(n1, 0, format!("the N1*{} loop has no N4 with city and postal code", party.code()));
        return None;
    };
    if street.is_empty() {
        errs.at(n1, 0, format!("the N1*{} loop has no N3 street address", party.code()));
        return None;
    }
    let country = match n4.text(4) {
        c if c.is_empty() => default_country,
        c => match Country::new(alpha2(&c)) {
            Ok(c) => c,
            Err(e) => {
                errs.at(n4, 4, e.message);
                return None;
            }
        },
    };
    let region = Some(n4.text(2)).filter(|r| !r.is_empty());
    let address = Address {
        name,
        line1: street[0].clone(),
        line2: (street.len() > 1).then(|| street[1..].join(", ")),
        city: n4.text(1),
        region,
        postal_code: n4.text(3),
        country,
    };
    match address.validate() {
        Ok(()) => Some(address),
        Err((field, e)) => {
            let element = match field {
                "city" => 1,
                "postal_code" => 3,
                _ => 0,
            };
            let seg = if element > 0 { n4 } else { n1 };
            errs.at(seg, element, format!("ship-to {field}: {}", e.message));
            None
        }
    }
}

/// ISO 3166-1 alpha-3 codes (which N404 also allows) of common trading countries, as alpha-2.
const ALPHA3: &[(&str, &str)] = &[
    ("USA", "US"),
    ("CAN", "CA"),
    ("MEX", "MX"),
    ("GBR", "GB"),
    ("IRL", "IE"),
    ("DEU", "DE"),
    ("FRA", "FR"),
    ("ITA", "IT"),
    ("ESP", "ES"),
    ("PRT", "PT"),
    ("NLD", "NL"),
    ("BEL", "BE"),
    ("LUX", "LU"),
    ("CHE", "CH"),
    ("AUT", "AT"),
    ("DNK", "DK"),
    ("SWE", "SE"),
    ("NOR", "NO"),
    ("FIN", "FI"),
    ("POL", "PL"),
    ("CZE", "CZ"),
    ("AUS", "AU"),
    ("NZL", "NZ"),
    ("JPN", "JP"),
    ("KOR", "KR"),
    ("CHN", "CN"),
    ("HKG", "HK"),
    ("TWN", "TW"),
    ("SGP", "SG"),
    ("IND", "IN"),
    ("BRA", "BR"),
    ("ARG", "AR"),
    ("CHL", "CL"),
    ("COL", "CO"),
    ("ZAF", "ZA"),
    ("ISR", "IL"),
    ("ARE", "AE"),
    ("TUR", "TR"),
    ("THA", "TH"),
    ("VNM", "VN"),
    ("MYS", "MY"),
    ("PHL", "PH"),
    ("IDN", "ID"),
    ("PRI", "PR"),
];

/// An N404 country code as ISO 3166-1 alpha-2 (alpha-3 codes of the table above are converted).
fn alpha2(code: &str) -> &str {
    ALPHA3.iter().find(|(a3, _)| *a3 == code).map_or(code, |(_, a2)| a2)
}

/// Maps an 850 to the command that places the order.
pub fn place_order(set: &TransactionSet, opts: &InboundOptions) -> Result<PlaceOrder, MapErrors> {
    let mut errs = Errors::new(set);
    let segs = set.all_segments();
    let first_line = segs.iter().position(|s| s.is("PO1")).unwrap_or(segs.len());
    let (header, detail) = segs.split_at(first_line);
    let Some(beg) = header.iter().copied().find(|s| s.is("BEG")) else {
        errs.set("the 850 has no BEG segment");
        return errs.finish(None);
    };
    let po = beg.text(3);
    let external_id = ExternalId::new(po.clone()).map_err(|e| errs.at(beg, 3, e.message)).ok();
    let order_id = OrderId::new(format!("edi-{}-{po}", opts.partner_id)).map_err(|e| errs.at(beg, 3, e.message)).ok();
    let channel = ChannelId::new(format!("edi:{}", opts.partner_id))
        .map_err(|e| errs.set(format!("partner id: {}", e.message)))
        .ok();
    // DTM*004 (purchase order date) carries the time of day; BEG05 only the date (taken as midnight).
    let dtm = header.iter().find(|s| s.is("DTM") && s.text(1) == "004");
    let placed_at = dtm
        .and_then(|d| date(&d.text(2)).map(|day| instant(day, time(&d.text(3)))))
        .or_else(|| date(&beg.text(5)).map(|d| instant(d, None)));
    if placed_at.is_none() {
        errs.at(beg, 5, format!("BEG05 {:?} is not a CCYYMMDD date", beg.text(5)));
    }
    let currency = currency(header, opts.currency, &mut errs);
    let parties = parties(header, N1_MEMBERS);
    let ship_to = match parties.iter().find(|p| p.code() == "ST") {
        Some(p) => address(p, opts.country, &mut errs),
        None => {
            errs.set("the 850 has no N1*ST (ship-to) loop in its header");
            None
        }
    };
    let bill_to = parties.iter().find(|p| p.code() == "BT").and_then(|p| {
        let mut quiet = Errors::new(set);
        address(p, opts.country, &mut quiet)
    });
    let customer = parties.iter().find(|p| p.code() == "BY").map(|p| Customer {
        id: Some(p.n1.text(4)).filter(|s| !s.is_empty()).and_then(|id| CustomerId::new(id).ok()),
        email: None,
        name: Some(p.n1.text(2)).filter(|s| !s.is_empty()),
        phone: None,
    });
    let lines = lines(detail, currency, opts, &mut errs);
    let value = match (order_id, channel, external_id, ship_to, placed_at) {
        (Some(id), Some(channel), Some(external_id), Some(ship_to), Some(placed_at)) => Some(PlaceOrder {
            id,
            channel,
            external_id,
            customer,
            ship_to,
            bill_to,
            currency,
            shipping: None,
            tax_exempt_certificate: None,
            lines,
            placed_at,
            sourcing: Default::default(),
        }),
        _ => None,
    };
    errs.finish(value)
}

fn currency(header: &[&SegmentNode], default: Currency, errs: &mut Errors<'_>) -> Currency {
    let Some(cur) = header.iter().find(|s| s.is("CUR")) else { return default };
    match Currency::new(&cur.text(2)) {
        Ok(c) => c,
        Err(e) => {
            errs.at(cur, 2, e.message);
            default
        }
    }
}

fn lines(
    detail: &[&SegmentNode],
    currency: Currency,
    opts: &InboundOptions,
    errs: &mut Errors<'_>,
) -> Vec<NewOrderLine> {
    let mut out: Vec<NewOrderLine> = Vec::new();
    let digits = currency.minor_digits();
    let po1s: Vec<&SegmentNode> = detail.iter().copied().filter(|s| s.is("PO1")).collect();
    if po1s.is_empty() {
        errs.set("the 850 has no PO1 lines");
    }
    for (n, po1) in po1s.into_iter().enumerate() {
        let assigned = po1.text(1);
        let id_text = if assigned.is_empty() { (n + 1).to_string() } else { assigned };
        let Ok(id) = LineId::new(id_text.clone()) else {
            errs.at(po1, 1, format!("PO101 {id_text:?} is not a usable line id"));
            continue;
        };
        if out.iter().any(|l| l.id == id) {
            errs.at(po1, 1, format!("PO101 {id_text:?} repeats an earlier line number"));
            continue;
        }
        let ids = product_ids(po1, 6, crate::schema::segments::PO1.elements.len());
        let sku = match preferred_id(&ids, &opts.sku_qualifiers) {
            Some((sku, pos)) => Sku::new(sku).map_err(|e| errs.at(po1, pos, e.message)).ok(),
            None => {
                let wanted = opts.sku_qualifiers.join(", ");
                errs.at(po1, 6, format!("PO1 has no product id with qualifier {wanted}"));
                None
            }
        };
        let quantity = match whole_quantity(&po1.text(2)) {
            Some(q) => match u32::try_from(q).ok().map(Quantity::new) {
                Some(Ok(q)) => Some(q),
                Some(Err(e)) => {
                    errs.at(po1, 2, e.message);
                    None
                }
                None => {
                    errs.at(po1, 2, format!("quantity {q} is too large"));
                    None
                }
            },
            None => {
                errs.at(po1, 2, format!("PO102 {:?} is not a whole quantity", po1.text(2)));
                None
            }
        };
        let price = unit_price(po1, currency, digits, opts.round_prices, errs);
        if let (Some(sku), Some(quantity), Some(unit_price)) = (sku, quantity, price) {
            out.push(NewOrderLine { id, sku, quantity, unit_price });
        }
    }
    out
}

/// PO104 in minor units of `currency`, exactly (or rounded half away from zero when allowed). A
/// negative price, or one too large for minor units, is an error naming PO104: never a line dropped.
fn unit_price(po1: &SegmentNode, currency: Currency, digits: u8, round: bool, errs: &mut Errors<'_>) -> Option<Money> {
    let text = po1.text(4);
    if text.is_empty() {
        errs.at(po1, 4, "PO104 unit price is missing");
        return None;
    }
    // Checked on the text, so that a negative price that would round to zero is refused too.
    if text.starts_with('-') && text.bytes().any(|b| (b'1'..=b'9').contains(&b)) {
        errs.at(po1, 4, format!("PO104 {text:?} is negative"));
        return None;
    }
    let scaled = if round { decimal_to_scaled_rounded(&text, digits) } else { decimal_to_scaled(&text, digits) };
    match scaled {
        Ok(v) => Some(Money::new(v, currency)),
        Err(e) => {
            errs.at(po1, 4, format!("PO104 {text:?} {e} in {currency}"));
            None
        }
    }
}
