//! 997 and 999 functional acknowledgements for one received functional group.

use crate::document::OwnedSegment;
use crate::envelope::{GroupSummary, SegmentFault, SetSummary};

/// Which functional acknowledgement to produce.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, serde::Serialize)]
pub enum AckKind {
    /// 997 Functional Acknowledgment (AK1–AK9).
    #[default]
    Fa997,
    /// 999 Implementation Acknowledgment (AK1, AK2, IK3–IK5, AK9).
    Fa999,
}

impl AckKind {
    pub fn set_id(self) -> &'static str {
        match self {
            AckKind::Fa997 => "997",
            AckKind::Fa999 => "999",
        }
    }
}

fn seg(id: &str, elements: &[&str]) -> OwnedSegment {
    let mut elements: Vec<&str> = elements.to_vec();
    while elements.last().is_some_and(|e| e.is_empty()) {
        elements.pop();
    }
    OwnedSegment::simple(id, &elements)
}

/// Distinct codes in numeric order, at most `max`.
fn distinct(codes: impl Iterator<Item = &'static str>, max: usize) -> Vec<&'static str> {
    let mut out: Vec<&'static str> = Vec::new();
    for c in codes {
        if !out.contains(&c) {
            out.push(c);
        }
    }
    out.sort_by_key(|c| (c.len(), *c));
    out.truncate(max);
    out
}

/// An AK403/IK403 code as the reply can carry it. The 997 is written as 004010, whose list 723
/// stops at 10: "13" (too many components, added with the repetition separator in 004020) goes
/// out there as "6", invalid character, which the extra component separator is.
fn code_for(kind: AckKind, code: &'static str) -> &'static str {
    match (kind, code) {
        (AckKind::Fa997, "13") => "6",
        _ => code,
    }
}

/// An AK905+ code as the reply can carry it: 004010's list 716 lacks "19" (group control number
/// not unique within the interchange), which a 997 reports as "6" (group control number violates
/// syntax).
fn group_code_for(kind: AckKind, code: &'static str) -> &'static str {
    match (kind, code) {
        (AckKind::Fa997, "19") => "6",
        _ => code,
    }
}

fn segment_fault(kind: AckKind, f: &SegmentFault, out: &mut Vec<OwnedSegment>) {
    let (seg_id, el_id) = match kind {
        AckKind::Fa997 => ("AK3", "AK4"),
        AckKind::Fa999 => ("IK3", "IK4"),
    };
    let position = f.position.to_string();
    let code = f.code.unwrap_or("8");
    out.push(seg(seg_id, &[&f.segment_id, &position, f.loop_id.as_deref().unwrap_or(""), code]));
    for e in &f.elements {
        let reference = e.reference.map(|r| r.to_string()).unwrap_or_default();
        let value: String = e.value.as_deref().unwrap_or("").chars().take(99).collect();
        let mut ak4 = seg(el_id, &["", &reference, code_for(kind, e.code), &value]);
        // AK401/IK401 is composite C030: the element position, then the component position. Given
        // as components, the writer joins them with the reply's own component separator.
        let position = [Some(e.position), e.component].into_iter().flatten();
        ak4.elements[0] = vec![position.map(|p| p.to_string().into_bytes()).collect()];
        out.push(ak4);
    }
}

fn set_response(kind: AckKind, set: &SetSummary, out: &mut Vec<OwnedSegment>) {
    let implementation = match kind {
        AckKind::Fa997 => "",
        AckKind::Fa999 => set.implementation.as_deref().unwrap_or(""),
    };
    out.push(seg("AK2", &[&set.id, &set.control, implementation]));
    for f in &set.segment_faults {
        segment_fault(kind, f, out);
    }
    let faults = (!set.segment_faults.is_empty()).then_some("5");
    let codes = distinct(set.codes.iter().map(|c| c.0).chain(faults), 5);
    let acceptance = set.acceptance().code();
    let mut elements = vec![acceptance];
    elements.extend(codes);
    let id = match kind {
        AckKind::Fa997 => "AK5",
        AckKind::Fa999 => "IK5",
    };
    out.push(seg(id, &elements));
}

/// The segments of one acknowledgement set (ST through SE) for a received group.
pub fn functional_ack(kind: AckKind, group: &GroupSummary, set_control: &str) -> Vec<OwnedSegment> {
    let mut body =
        vec![seg("ST", &[kind.set_id(), set_control, if kind == AckKind::Fa999 { "005010X231" } else { "" }])];
    let version = if kind == AckKind::Fa999 { group.version.as_str() } else { "" };
    body.push(seg("AK1", &[&group.functional_id, &group.control, version]));
    for set in &group.sets {
        set_response(kind, set, &mut body);
    }
    let included = group.declared_sets.as_deref().and_then(|d| d.trim().parse::<u32>().ok()).unwrap_or(0).to_string();
    let received = group.received_sets().to_string();
    let accepted = group.accepted_sets().to_string();
    let mut ak9 = vec![group.acceptance().code(), included.as_str(), received.as_str(), accepted.as_str()];
    ak9.extend(distinct(group.codes.iter().map(|c| group_code_for(kind, c.0)), 5));
    body.push(seg("AK9", &ak9));
    let count = (body.len() + 1).to_string();
    body.push(seg("SE", &[&count, set_control]));
    body
}
