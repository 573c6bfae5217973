//! 856 Ship Notice/Manifest from a shipment: HL levels shipment (S) → order (O) → pack (P, MAN*GM
//! with its SSCC-18) → item (I, LIN and SN1). Without packs the items hang off the order.

use super::sscc::Sscc;
use super::view::{OrderView, location_party, party, seg};
use super::{OutboundError, OutboundOptions, OutboundSet};
use crate::document::OwnedSegment;
use crossdock_model::{Address, LineId, LineQuantity, Shipment};
use serde::{Deserialize, Serialize};

/// One carton or pallet and what it holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pack {
    pub sscc: Sscc,
    pub lines: Vec<LineQuantity>,
}

/// What an ASN describes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AsnInput {
    pub order: OrderView,
    pub shipment: Shipment,
    /// The ship-from address; without it the shipment's location id is named.
    #[serde(default)]
    pub ship_from: Option<Address>,
    /// Bill of lading number.
    #[serde(default)]
    pub bill_of_lading: Option<String>,
    /// The packs; empty for an ASN without pack level. Their quantities must add up to the shipment's.
    #[serde(default)]
    pub packs: Vec<Pack>,
}

fn err(message: String) -> OutboundError {
    OutboundError::new("856", message)
}

/// Checks that the packs hold exactly the shipment's units, line by line.
fn check_packs(input: &AsnInput) -> Result<(), OutboundError> {
    let s = &input.shipment;
    for l in &s.lines {
        if input.order.line(&l.line_id).is_none() {
            return Err(err(format!("shipment line {} is not on order {}", l.line_id, input.order.id)));
        }
    }
    if input.packs.is_empty() {
        return Ok(());
    }
    let packed = |id: &LineId| -> u64 {
        input
            .packs
            .iter()
            .flat_map(|p| &p.lines)
            .filter(|l| &l.line_id == id)
            .map(|l| u64::from(l.quantity.get()))
            .sum()
    };
    for p in &input.packs {
        for l in &p.lines {
            if !s.lines.iter().any(|x| x.line_id == l.line_id) {
                return Err(err(format!("pack {} holds line {}, which the shipment does not ship", p.sscc, l.line_id)));
            }
        }
    }
    for l in &s.lines {
        let in_packs = packed(&l.line_id);
        if in_packs != u64::from(l.quantity.get()) {
            return Err(err(format!(
                "packs hold {in_packs} units of line {}, the shipment ships {}",
                l.line_id,
                l.quantity.get()
            )));
        }
    }
    let mut seen: Vec<&Sscc> = Vec::new();
    for p in &input.packs {
        if seen.contains(&&p.sscc) {
            return Err(err(format!("SSCC {} is used for two packs", p.sscc)));
        }
        seen.push(&p.sscc);
    }
    Ok(())
}

/// Adds an HL under `parent` (none for the top) at `level`; returns its HL01.
fn open(body: &mut Vec<OwnedSegment>, hl: &mut u32, parent: Option<u32>, level: &str) -> u32 {
    *hl += 1;
    body.push(seg("HL", &[&hl.to_string(), &parent.map(|p| p.to_string()).unwrap_or_default(), level]));
    *hl
}

/// Adds an item level: HL*I, LIN with the line id and sku, SN1 with the units.
fn item(
    body: &mut Vec<OwnedSegment>,
    hl: &mut u32,
    parent: u32,
    l: &LineQuantity,
    input: &AsnInput,
    opts: &OutboundOptions,
) -> Result<(), OutboundError> {
    let line = input.order.line(&l.line_id).ok_or_else(|| err(format!("line {} is not on the order", l.line_id)))?;
    open(body, hl, Some(parent), "I");
    body.push(seg("LIN", &[l.line_id.as_str(), &opts.sku_qualifier, line.sku.as_str()]));
    body.push(seg("SN1", &["", &l.quantity.get().to_string(), &opts.unit]));
    Ok(())
}

/// An 856 for one shipment of one order.
pub fn ship_notice_856(input: &AsnInput, opts: &OutboundOptions) -> Result<OutboundSet, OutboundError> {
    check_packs(input)?;
    let s = &input.shipment;
    let (date, time) = (s.shipped_at.format("%Y%m%d").to_string(), s.shipped_at.format("%H%M").to_string());
    let structure = if input.packs.is_empty() { "0004" } else { "0001" };
    let reference = super::view::fit_reference(s.id.as_str(), 30);
    let mut body = vec![seg("BSN", &["00", &reference, &date, &time, structure])];
    let mut hl = 0u32;
    let shipment_hl = open(&mut body, &mut hl, None, "S");
    if !input.packs.is_empty() {
        body.push(seg("TD1", &["CTN25", &input.packs.len().to_string()]));
    }
    body.push(seg("TD5", &["", "2", &s.carrier]));
    if let Some(bol) = &input.bill_of_lading {
        body.push(seg("REF", &["BM", bol]));
    }
    if let Some(tracking) = &s.tracking_number {
        body.push(seg("REF", &["CN", tracking]));
    }
    body.push(seg("DTM", &["011", &date, &time]));
    body.extend(party("ST", &input.order.ship_to, None));
    match &input.ship_from {
        Some(a) => body.extend(party("SF", a, Some(s.location.as_str()))),
        None => body.push(location_party("SF", &s.location)),
    }
    let order_hl = open(&mut body, &mut hl, Some(shipment_hl), "O");
    body.push(seg(
        "PRF",
        &[input.order.external_id.as_str(), "", "", &input.order.placed_at.format("%Y%m%d").to_string()],
    ));
    if input.packs.is_empty() {
        for l in &s.lines {
            item(&mut body, &mut hl, order_hl, l, input, opts)?;
        }
    } else {
        for p in &input.packs {
            let pack_hl = open(&mut body, &mut hl, Some(order_hl), "P");
            body.push(seg("MAN", &["GM", p.sscc.as_str()]));
            for l in &p.lines {
                item(&mut body, &mut hl, pack_hl, l, input, opts)?;
            }
        }
    }
    body.push(seg("CTT", &[&hl.to_string()]));
    Ok(OutboundSet { id: "856", functional_id: "SH", body })
}
