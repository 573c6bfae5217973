//! 945 Warehouse Shipping Advice → a shipment confirmation: the order (W0602, the depositor order
//! number the 940 sent), shipment id (W0604), ship-from location (N1*SF), carrier (W27), tracking
//! number, ship date, and the units shipped per line (W12), which become a
//! `Command::ConfirmShipment` once resolved against the order's lines.

use super::error::{Errors, MapError, MapErrors};
use super::po850::parties;
use super::value::{date, instant, time, whole_quantity};
use super::{InboundOptions, preferred_id, product_ids};
use crate::tree::{SegmentNode, TransactionSet};
use chrono::{DateTime, Utc};
use crossdock_model::{Command, LineId, LineQuantity, LocationId, OrderId, Quantity, ShipmentId, Sku};
use serde::Serialize;

/// One W12 line of a 945.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ShippedLine {
    /// The order line, when the 945 names it (an N9*LI in the W12 loop, as the 940 sent it).
    pub line_id: Option<LineId>,
    /// The sku, by product id qualifier preference.
    pub sku: Option<Sku>,
    /// LX01 of the enclosing LX loop.
    pub assigned: Option<String>,
    /// W1203, units shipped.
    pub quantity: Quantity,
    /// W1201 shipment/order status (CC complete, CP partial, …).
    pub status: String,
}

/// A 945 read into canonical terms, before its lines are matched to the order's lines.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ShipmentConfirmation {
    pub order_id: OrderId,
    /// W0606, the buyer's PO number, when given.
    pub purchase_order: Option<String>,
    pub shipment_id: ShipmentId,
    pub location: LocationId,
    pub carrier: String,
    pub service: Option<String>,
    pub tracking_number: Option<String>,
    pub shipped_at: DateTime<Utc>,
    pub lines: Vec<ShippedLine>,
    /// ST01/ST02, for errors raised when resolving lines.
    #[serde(skip)]
    set: (String, String),
}

impl ShipmentConfirmation {
    /// The `ConfirmShipment` command, with each W12 matched to an order line: by the line id the
    /// 945 carries, else by sku among `order_lines`, else (when `order_lines` is empty) by LX01.
    /// Lines that resolve to the same order line are added up.
    pub fn to_command(&self, order_lines: &[(LineId, Sku)]) -> Result<Command, MapErrors> {
        let mut lines: Vec<LineQuantity> = Vec::new();
        let mut errors = Vec::new();
        for (n, l) in self.lines.iter().enumerate() {
            let by_id =
                l.line_id.clone().filter(|id| order_lines.is_empty() || order_lines.iter().any(|(o, _)| o == id));
            let by_sku =
                || l.sku.as_ref().and_then(|s| order_lines.iter().find(|(_, sku)| sku == s)).map(|(id, _)| id.clone());
            let by_lx =
                || order_lines.is_empty().then(|| l.assigned.clone().and_then(|a| LineId::new(a).ok())).flatten();
            let Some(line_id) = by_id.or_else(by_sku).or_else(by_lx) else {
                errors.push(MapError {
                    set: self.set.0.clone(),
                    control: self.set.1.clone(),
                    segment_index: None,
                    segment_id: Some("W12".into()),
                    element: None,
                    message: format!("shipped line {} matches no line of order {}", n + 1, self.order_id),
                });
                continue;
            };
            match lines.iter_mut().find(|q| q.line_id == line_id) {
                Some(q) => match Quantity::new(q.quantity.get().saturating_add(l.quantity.get())) {
                    Ok(sum) => q.quantity = sum,
                    Err(e) => errors.push(MapError {
                        set: self.set.0.clone(),
                        control: self.set.1.clone(),
                        segment_index: None,
                        segment_id: Some("W12".into()),
                        element: Some(3),
                        message: e.message,
                    }),
                },
                None => lines.push(LineQuantity { line_id, quantity: l.quantity }),
            }
        }
        if !errors.is_empty() {
            return Err(MapErrors(errors));
        }
        Ok(Command::ConfirmShipment {
            order_id: self.order_id.clone(),
            shipment_id: self.shipment_id.clone(),
            location: self.location.clone(),
            carrier: self.carrier.clone(),
            service: self.service.clone(),
            tracking_number: self.tracking_number.clone(),
            lines,
            shipped_at: self.shipped_at,
        })
    }
}

/// N9 qualifiers that carry a tracking number, most specific first: tracking number, carrier's
/// reference (PRO), bill of lading.
const TRACKING: &[&str] = &["2I", "CN", "BM"];

/// W12 has 22 elements in X12 (the schema defines only the leading ones the mapping checks); its
/// product ids are W1207/W1208 and W1217/W1218.
const W12_ELEMENTS: usize = 22;

/// Maps a 945 to a shipment confirmation.
pub fn shipment_confirmation(set: &TransactionSet, opts: &InboundOptions) -> Result<ShipmentConfirmation, MapErrors> {
    let mut errs = Errors::new(set);
    let segs = set.all_segments();
    let first_detail = segs.iter().position(|s| s.is("LX") || s.is("W12")).unwrap_or(segs.len());
    let (header, detail) = segs.split_at(first_detail);
    let Some(w06) = header.iter().copied().find(|s| s.is("W06")) else {
        errs.set("the 945 has no W06 segment");
        return errs.finish(None);
    };
    let order_id =
        OrderId::new(w06.text(2)).map_err(|e| errs.at(w06, 2, format!("W0602 order id: {}", e.message))).ok();
    let shipment_text = match w06.text(4) {
        s if s.is_empty() => format!("945-{}", set.control),
        s => s,
    };
    let shipment_id = ShipmentId::new(shipment_text).map_err(|e| errs.at(w06, 4, e.message)).ok();
    let location = location(header, opts, &mut errs);
    let (carrier, service) = carrier(header);
    let tracking_number = tracking(header, detail).or_else(|| Some(w06.text(4)).filter(|s| !s.is_empty()));
    let shipped_at = shipped_at(header, w06, &mut errs);
    let lines = shipped_lines(detail, opts, &mut errs);
    let value = match (order_id, shipment_id, location, shipped_at) {
        (Some(order_id), Some(shipment_id), Some(location), Some(shipped_at)) => Some(ShipmentConfirmation {
            order_id,
            purchase_order: Some(w06.text(6)).filter(|s| !s.is_empty()),
            shipment_id,
            location,
            carrier,
            service,
            tracking_number,
            shipped_at,
            lines,
            set: (set.id.clone(), set.control.clone()),
        }),
        _ => None,
    };
    errs.finish(value)
}

/// The ship-from location: N104 (else N102) of the N1*SF loop, else the configured location.
fn location(header: &[&SegmentNode], opts: &InboundOptions, errs: &mut Errors<'_>) -> Option<LocationId> {
    let from = parties(header, &["N2", "N3", "N4", "G61", "PER"])
        .into_iter()
        .find(|p| ["SF", "WH"].contains(&p.code().as_str()));
    match from {
        Some(p) => {
            let (text, element) = match p.n1.text(4) {
                id if !id.is_empty() => (id, 4),
                _ => (p.n1.text(2), 2),
            };
            LocationId::new(text).map_err(|e| errs.at(p.n1, element, e.message)).ok()
        }
        None => {
            if opts.location.is_none() {
                errs.set("the 945 names no ship-from (N1*SF) and no default location is configured");
            }
            opts.location.clone()
        }
    }
}

/// Carrier from W27: the SCAC (W2702), else the routing (W2703); W2703 is the service when both.
fn carrier(header: &[&SegmentNode]) -> (String, Option<String>) {
    let Some(w27) = header.iter().find(|s| s.is("W27")) else { return ("unknown".into(), None) };
    match (w27.text(2), w27.text(3)) {
        (scac, routing) if !scac.is_empty() => (scac, Some(routing).filter(|r| !r.is_empty())),
        (_, routing) if !routing.is_empty() => (routing, None),
        _ => ("unknown".into(), None),
    }
}

/// A tracking number from a header N9 (2I, CN, BM) or an LX loop's MAN.
fn tracking(header: &[&SegmentNode], detail: &[&SegmentNode]) -> Option<String> {
    let n9 = TRACKING.iter().find_map(|q| header.iter().find(|s| s.is("N9") && s.text(1) == *q).map(|s| s.text(2)));
    n9.filter(|t| !t.is_empty())
        .or_else(|| detail.iter().find(|s| s.is("MAN")).map(|s| s.text(2)).filter(|t| !t.is_empty()))
}

/// G62*11 (shipped on this date, with its time), else W0603.
fn shipped_at(header: &[&SegmentNode], w06: &SegmentNode, errs: &mut Errors<'_>) -> Option<DateTime<Utc>> {
    if let Some(g62) = header.iter().find(|s| s.is("G62") && s.text(1) == "11")
        && let Some(d) = date(&g62.text(2))
    {
        return Some(instant(d, time(&g62.text(4))));
    }
    match date(&w06.text(3)) {
        Some(d) => Some(instant(d, None)),
        None => {
            errs.at(w06, 3, "no ship date: neither G62*11 nor W0603 holds a CCYYMMDD date");
            None
        }
    }
}

fn shipped_lines(detail: &[&SegmentNode], opts: &InboundOptions, errs: &mut Errors<'_>) -> Vec<ShippedLine> {
    let mut out = Vec::new();
    let mut assigned: Option<String> = None;
    for (i, s) in detail.iter().enumerate() {
        if s.is("LX") {
            assigned = Some(s.text(1)).filter(|a| !a.is_empty());
            continue;
        }
        if !s.is("W12") {
            continue;
        }
        let loop_end = detail[i + 1..]
            .iter()
            .position(|x| x.is("W12") || x.is("LX") || x.is("W03"))
            .map_or(detail.len(), |p| i + 1 + p);
        let line_ref = detail[i + 1..loop_end].iter().find(|x| x.is("N9") && x.text(1) == "LI").map(|x| x.text(2));
        let shipped = s.text(3);
        let quantity = match whole_quantity(&shipped) {
            Some(0) => continue,
            Some(q) => u32::try_from(q).ok().and_then(|q| Quantity::new(q).ok()),
            None => None,
        };
        let Some(quantity) = quantity else {
            errs.at(s, 3, format!("W1203 {shipped:?} is not a whole number of units shipped"));
            continue;
        };
        let ids = product_ids(s, 7, W12_ELEMENTS);
        let sku = preferred_id(&ids, &opts.sku_qualifiers).and_then(|(sku, _)| Sku::new(sku).ok());
        let line_id = line_ref.and_then(|r| LineId::new(r).ok());
        if sku.is_none() && line_id.is_none() && assigned.is_none() {
            errs.at(s, 7, "W12 names neither a line (N9*LI), a product id nor an LX number");
            continue;
        }
        out.push(ShippedLine { line_id, sku, assigned: assigned.clone(), quantity, status: s.text(1) });
    }
    if out.is_empty() && errs.list.is_empty() {
        errs.set("the 945 reports no shipped units (no W12 with W1203 above 0)");
    }
    out
}
