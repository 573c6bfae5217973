//! 855 Purchase Order Acknowledgment: BAK with the acknowledgement type that the line statuses
//! imply, the ship-to, and per order line a PO1 with an ACK (IA accepted, IR rejected, IB
//! backordered) and its quantity.

use super::view::{OrderView, money_r, party, seg};
use super::{OutboundError, OutboundOptions, OutboundSet};
use chrono::NaiveDate;
use crossdock_model::LineId;
use serde::{Deserialize, Serialize};

/// What the seller does with a line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LineStatus {
    /// IA: item accepted.
    Accepted,
    /// IR: item rejected.
    Rejected,
    /// IB: item backordered.
    Backordered,
}

impl LineStatus {
    /// ACK01 (668).
    pub fn code(self) -> &'static str {
        match self {
            LineStatus::Accepted => "IA",
            LineStatus::Rejected => "IR",
            LineStatus::Backordered => "IB",
        }
    }
}

/// The status of some units of one order line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LineAck {
    pub line_id: LineId,
    pub status: LineStatus,
    pub quantity: u32,
}

/// An 855 acknowledging `order`; lines without an entry in `acks` are accepted in full. A line
/// may have several entries (e.g. 6 accepted and 4 backordered).
pub fn po_ack_855(
    order: &OrderView,
    acks: &[LineAck],
    acknowledged_on: NaiveDate,
    opts: &OutboundOptions,
) -> Result<OutboundSet, OutboundError> {
    for a in acks {
        if order.line(&a.line_id).is_none() {
            return Err(OutboundError::new("855", format!("line {} is not on order {}", a.line_id, order.id)));
        }
    }
    let statuses: Vec<LineStatus> = order
        .lines
        .iter()
        .flat_map(|l| {
            let mine: Vec<LineStatus> = acks.iter().filter(|a| a.line_id == l.id).map(|a| a.status).collect();
            if mine.is_empty() { vec![LineStatus::Accepted] } else { mine }
        })
        .collect();
    let ack_type = if statuses.iter().all(|s| *s == LineStatus::Rejected) {
        "RD"
    } else if statuses.iter().all(|s| *s == LineStatus::Accepted) {
        "AD"
    } else {
        "AC"
    };
    let po_date = order.placed_at.format("%Y%m%d").to_string();
    let ack_date = acknowledged_on.format("%Y%m%d").to_string();
    let mut body = vec![seg("BAK", &["00", ack_type, order.external_id.as_str(), &po_date, "", "", "", "", &ack_date])];
    if order.currency.as_str() != "USD" {
        body.push(seg("CUR", &["SE", order.currency.as_str()]));
    }
    body.extend(party("ST", &order.ship_to, None));
    for line in &order.lines {
        let quantity = line.quantity.to_string();
        body.push(seg(
            "PO1",
            &[
                line.id.as_str(),
                &quantity,
                &opts.unit,
                &money_r(line.unit_price),
                "",
                &opts.sku_qualifier,
                line.sku.as_str(),
            ],
        ));
        let mine: Vec<&LineAck> = acks.iter().filter(|a| a.line_id == line.id).collect();
        if mine.is_empty() {
            body.push(seg("ACK", &[LineStatus::Accepted.code(), &quantity, &opts.unit]));
        }
        for a in mine {
            body.push(seg("ACK", &[a.status.code(), &a.quantity.to_string(), &opts.unit]));
        }
    }
    body.push(seg("CTT", &[&order.lines.len().to_string()]));
    Ok(OutboundSet { id: "855", functional_id: "PR", body })
}
