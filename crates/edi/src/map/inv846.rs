//! 846 Inventory Inquiry/Advice → one `Command::CountInventory` per LIN (sku) and location: the
//! quantity on hand (QTY*17, else QTY*33 stock available) at the location of the LIN loop's N1, else
//! the header's N1 (warehouse, ship-from, store), else the configured location.

use super::error::{Errors, MapErrors};
use super::po850::parties;
use super::value::whole_quantity;
use super::{InboundOptions, preferred_id, product_ids};
use crate::tree::{SegmentNode, TransactionSet};
use crossdock_model::{Command, LocationId, Sku};

/// QTY01 qualifiers read as the counted quantity, in order of preference.
const ON_HAND: &[&str] = &["17", "33"];
/// N101 codes that name a stock location.
const LOCATION_CODES: &[&str] = &["WH", "SF", "SN", "ST", "RL"];

fn location_of(n1s: &[super::po850::Party<'_>], errs: &mut Errors<'_>) -> Option<Option<LocationId>> {
    let party = n1s.iter().find(|p| LOCATION_CODES.contains(&p.code().as_str()))?;
    let (text, element) = match party.n1.text(4) {
        id if !id.is_empty() => (id, 4),
        _ => (party.n1.text(2), 2),
    };
    Some(LocationId::new(text).map_err(|e| errs.at(party.n1, element, e.message)).ok())
}

/// Maps an 846 to inventory counts.
pub fn inventory_counts(set: &TransactionSet, opts: &InboundOptions) -> Result<Vec<Command>, MapErrors> {
    let mut errs = Errors::new(set);
    let segs = set.all_segments();
    let first_lin = segs.iter().position(|s| s.is("LIN")).unwrap_or(segs.len());
    let (header, detail) = segs.split_at(first_lin);
    if !header.iter().any(|s| s.is("BIA")) {
        errs.set("the 846 has no BIA segment");
    }
    let header_location = location_of(&parties(header, &["N2", "N3", "N4", "REF", "PER"]), &mut errs)
        .unwrap_or_else(|| opts.location.clone());
    let mut out = Vec::new();
    let starts: Vec<usize> = detail.iter().enumerate().filter(|(_, s)| s.is("LIN")).map(|(i, _)| i).collect();
    for (k, &start) in starts.iter().enumerate() {
        let end = starts.get(k + 1).copied().unwrap_or(detail.len());
        let item: &[&SegmentNode] = &detail[start..end];
        let lin = item[0];
        let ids = product_ids(lin, 2, crate::schema::segments::LIN.elements.len());
        let Some((sku_text, pos)) = preferred_id(&ids, &opts.sku_qualifiers) else {
            errs.at(lin, 2, format!("LIN has no product id with qualifier {}", opts.sku_qualifiers.join(", ")));
            continue;
        };
        let Ok(sku) = Sku::new(sku_text).map_err(|e| errs.at(lin, pos, e.message)) else { continue };
        let location = match location_of(&parties(item, &["N2", "N3", "N4", "REF", "PER"]), &mut errs) {
            Some(l) => l,
            None => header_location.clone(),
        };
        let Some(location) = location else {
            errs.at(lin, 0, "no location: no N1 (WH, SF, SN, ST, RL) in the LIN loop or header, and no default");
            continue;
        };
        let qty = ON_HAND.iter().find_map(|q| item.iter().find(|s| s.is("QTY") && s.text(1) == *q));
        let Some(qty) = qty else {
            errs.at(lin, 0, "the LIN loop has no QTY*17 (on hand) or QTY*33 (available)");
            continue;
        };
        match whole_quantity(&qty.text(2)).and_then(|q| i64::try_from(q).ok()) {
            Some(counted) => out.push(Command::CountInventory { sku, location, counted }),
            None => errs.at(qty, 2, format!("QTY02 {:?} is not a whole, non-negative count", qty.text(2))),
        }
    }
    if starts.is_empty() {
        errs.set("the 846 has no LIN items");
    }
    errs.finish(Some(out))
}
