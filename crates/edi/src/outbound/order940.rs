//! 940 Warehouse Shipping Order to a 3PL: W05 with the order id (the depositor order number a 945
//! returns; an id over 22 characters as its short reference, `fit_reference`) and PO number, ship-to and warehouse N1 loops, requested ship date, carrier, and per
//! line an LX loop with W01 and an N9*LI carrying the line id back in the 945.

use super::view::{OrderView, fit_reference, location_party, party, seg};
use super::{OutboundError, OutboundOptions, OutboundSet};
use chrono::NaiveDate;
use crossdock_model::{LineQuantity, LocationId};
use serde::{Deserialize, Serialize};

/// What the warehouse is asked to ship.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShippingOrderInput {
    pub order: OrderView,
    pub warehouse: LocationId,
    /// The units to ship per line; empty ships every order line in full.
    #[serde(default)]
    pub lines: Vec<LineQuantity>,
    /// Carrier SCAC (2 to 4 characters), written in W6610.
    #[serde(default)]
    pub carrier: Option<String>,
    #[serde(default)]
    pub ship_by: Option<NaiveDate>,
}

/// The longest W0502 and W0503 (AN 1-22).
pub const W05_REFERENCE: usize = 22;

/// A 940 for `input`.
pub fn shipping_order_940(input: &ShippingOrderInput, opts: &OutboundOptions) -> Result<OutboundSet, OutboundError> {
    let order = &input.order;
    let lines: Vec<(String, u32)> = if input.lines.is_empty() {
        order.lines.iter().map(|l| (l.id.to_string(), l.quantity)).collect()
    } else {
        input.lines.iter().map(|l| (l.line_id.to_string(), l.quantity.get())).collect()
    };
    // W0502 (the depositor order number the 945 echoes in W0602) and W0503 are AN 1-22: a longer id (a
    // UUID, `edi-<partner>-<PO>`) goes as its stable short reference, resolved back when the 945 arrives.
    let depositor_order = fit_reference(order.id.as_str(), W05_REFERENCE);
    let purchase_order = fit_reference(order.external_id.as_str(), W05_REFERENCE);
    let mut body = vec![seg("W05", &["N", &depositor_order, &purchase_order])];
    body.extend(party("ST", &order.ship_to, None));
    body.push(location_party("WH", &input.warehouse));
    if let Some(date) = input.ship_by {
        body.push(seg("G62", &["10", &date.format("%Y%m%d").to_string()]));
    }
    let mut w66 = vec!["PP", "M"];
    if let Some(scac) = input.carrier.as_deref() {
        w66.extend(["", "", "", "", "", "", "", scac]);
    }
    body.push(seg("W66", &w66));
    let mut total: u64 = 0;
    for (n, (id, quantity)) in lines.iter().enumerate() {
        let line = order
            .lines
            .iter()
            .find(|l| l.id.as_str() == id)
            .ok_or_else(|| OutboundError::new("940", format!("line {id} is not on order {}", order.id)))?;
        total += u64::from(*quantity);
        body.push(seg("LX", &[&(n + 1).to_string()]));
        body.push(seg("W01", &[&quantity.to_string(), &opts.unit, "", &opts.sku_qualifier, line.sku.as_str()]));
        body.push(seg("N9", &["LI", id]));
    }
    body.push(seg("W76", &[&total.to_string()]));
    Ok(OutboundSet { id: "940", functional_id: "OW", body })
}
