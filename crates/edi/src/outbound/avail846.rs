//! 846 Inventory Inquiry/Advice out: stock a partner may sell, one LIN per sku and location with
//! QTY*33 (available to promise) and QTY*17 (on hand), and the location in the LIN loop's N1.

use super::view::{location_party, seg};
use super::{OutboundError, OutboundOptions, OutboundSet};
use chrono::NaiveDate;
use crossdock_model::InventoryPosition;

/// An 846 advising `positions`; `reference` is BIA03 (the report's id).
pub fn availability_846(
    positions: &[InventoryPosition],
    reference: &str,
    as_of: NaiveDate,
    opts: &OutboundOptions,
) -> Result<OutboundSet, OutboundError> {
    if positions.is_empty() {
        return Err(OutboundError::new("846", "no inventory positions to advise"));
    }
    let mut body = vec![seg("BIA", &["00", "MM", reference, &as_of.format("%Y%m%d").to_string()])];
    for p in positions {
        p.check_invariants().map_err(|e| OutboundError::new("846", e))?;
        body.push(seg("LIN", &["", &opts.sku_qualifier, p.sku.as_str()]));
        body.push(seg("QTY", &["33", &p.available().to_string(), &opts.unit]));
        body.push(seg("QTY", &["17", &p.on_hand.to_string(), &opts.unit]));
        body.push(location_party("WH", &p.location));
    }
    body.push(seg("CTT", &[&positions.len().to_string()]));
    Ok(OutboundSet { id: "846", functional_id: "IB", body })
}
