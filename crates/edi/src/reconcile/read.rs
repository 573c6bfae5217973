//! Reading received acknowledgements: the group and set responses of 997 and 999 sets (AK1, AK2,
//! AK5/IK5, AK9 and the segment and element notes between them) and TA1 interchange acknowledgements.

use super::{GroupAck, Received, SetAck, Ta1Ack};
use crate::ack::AckKind;
use crate::error::EdiError;
use crate::tree::{SegmentNode, TransactionSet, parse};
use chrono::{DateTime, Utc};

/// Every acknowledgement in a received input: one per 997/999 set and per TA1 segment.
pub fn read_acks(input: &[u8], received_at: DateTime<Utc>) -> Result<Vec<Received>, EdiError> {
    let doc = parse(input)?;
    let mut out = Vec::new();
    for i in &doc.interchanges {
        for ta1 in i.other.iter().filter(|s| s.is("TA1")) {
            out.push(Received::Interchange(Ta1Ack {
                control: ta1.text(1),
                code: ta1.text(4),
                note: ta1.text(5),
                received_at,
            }));
        }
        for g in &i.groups {
            for set in &g.sets {
                let kind = match set.id.as_str() {
                    "997" => AckKind::Fa997,
                    "999" => AckKind::Fa999,
                    _ => continue,
                };
                if let Some(ack) = group_ack(kind, set, &i.control, received_at) {
                    out.push(Received::Group(ack));
                }
            }
        }
    }
    Ok(out)
}

fn group_ack(kind: AckKind, set: &TransactionSet, interchange: &str, received_at: DateTime<Utc>) -> Option<GroupAck> {
    let segs = set.all_segments();
    let ak1 = segs.iter().find(|s| s.is("AK1"))?;
    let ak9 = segs.iter().find(|s| s.is("AK9"));
    let mut sets: Vec<SetAck> = Vec::new();
    let mut notes: Vec<String> = Vec::new();
    for s in &segs {
        match s.name().as_str() {
            "AK2" => {
                notes.clear();
                sets.push(SetAck {
                    id: s.text(1),
                    control: s.text(2),
                    code: String::new(),
                    errors: Vec::new(),
                    notes: Vec::new(),
                });
            }
            "AK3" | "AK4" | "IK3" | "IK4" => notes.push(note(s)),
            "AK5" | "IK5" => {
                if let Some(last) = sets.last_mut() {
                    last.code = s.text(1);
                    last.errors = (2..=6).map(|n| s.text(n)).filter(|c| !c.is_empty()).collect();
                    last.notes = std::mem::take(&mut notes);
                }
            }
            _ => {}
        }
    }
    Some(GroupAck {
        kind,
        functional_id: ak1.text(1),
        group_control: ak1.text(2),
        code: ak9.map(|s| s.text(1)).unwrap_or_default(),
        errors: ak9.map(|s| (5..=9).map(|n| s.text(n)).filter(|c| !c.is_empty()).collect()).unwrap_or_default(),
        sets,
        ack_interchange: interchange.to_string(),
        received_at,
    })
}

/// A segment or element note as text, e.g. `AK3 NM1 at 8: 8` or `AK4 element 2: 7`.
fn note(s: &SegmentNode) -> String {
    match s.name().as_str() {
        "AK3" | "IK3" => format!("segment {} at position {}: code {}", s.text(1), s.text(2), s.text(4)),
        _ => format!("element {}: code {}", s.text(1), s.text(3)),
    }
}
