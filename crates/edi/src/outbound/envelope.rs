//! Wrapping outbound sets in an interchange addressed to a partner (ISA/GS with the partner's ids,
//! version and delimiters, fresh control numbers), writing it, and refusing output that does not
//! validate strictly against the schemas.

use super::OutboundError;
use crate::delimiters::Delimiters;
use crate::document::OwnedSegment;
use crate::envelope::{Mode, validate_with_schemas};
use crate::schema::Version;
use crate::writer::{ControlNumbers, fixed_width, write_to_vec};
use chrono::{DateTime, Utc};
use serde::Serialize;

/// A transaction set's content between ST and SE; ST and SE are added when it is enveloped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OutboundSet {
    /// ST01, e.g. `856`.
    pub id: &'static str,
    /// GS01 of its group, e.g. `SH`.
    pub functional_id: &'static str,
    #[serde(skip)]
    pub body: Vec<OwnedSegment>,
}

/// Who sends to whom, in which version, with which delimiters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Envelope {
    /// ISA05/ISA06 and GS02: the sender.
    pub sender_qualifier: String,
    pub sender_id: String,
    pub sender_gs: String,
    /// ISA07/ISA08 and GS03: the receiver.
    pub receiver_qualifier: String,
    pub receiver_id: String,
    pub receiver_gs: String,
    pub version: Version,
    /// ISA15: `P` production, `T` test.
    pub usage: char,
    pub delimiters: Delimiters,
    /// ISA14: ask for a TA1.
    pub ack_requested: bool,
}

/// The segments of one interchange holding `sets`, grouped by functional id in order.
pub fn interchange(
    env: &Envelope,
    sets: &[OutboundSet],
    numbers: &mut ControlNumbers,
    at: DateTime<Utc>,
) -> Vec<OwnedSegment> {
    let control = numbers.next_interchange();
    let (date, time) = (at.format("%y%m%d").to_string(), at.format("%H%M").to_string());
    let usage = env.usage.to_string();
    let isa = [
        "00",
        &fixed_width("", 10),
        "00",
        &fixed_width("", 10),
        &fixed_width(&env.sender_qualifier, 2),
        &fixed_width(&env.sender_id, 15),
        &fixed_width(&env.receiver_qualifier, 2),
        &fixed_width(&env.receiver_id, 15),
        &date,
        &time,
        "U",
        env.version.isa12(),
        &control,
        if env.ack_requested { "1" } else { "0" },
        &usage,
        ":",
    ];
    let mut out = vec![OwnedSegment::simple("ISA", &isa)];
    let mut groups = 0;
    let mut i = 0;
    while i < sets.len() {
        let functional_id = sets[i].functional_id;
        let end = sets[i..].iter().position(|s| s.functional_id != functional_id).map_or(sets.len(), |p| i + p);
        let gs06 = numbers.next_group();
        let gs_date = at.format("%Y%m%d").to_string();
        out.push(OwnedSegment::simple(
            "GS",
            &[functional_id, &env.sender_gs, &env.receiver_gs, &gs_date, &time, &gs06, "X", env.version.gs08()],
        ));
        for (n, set) in sets[i..end].iter().enumerate() {
            let st02 = format!("{:04}", n + 1);
            out.push(OwnedSegment::simple("ST", &[set.id, &st02]));
            out.extend(set.body.iter().map(|seg| free_text_fitted(seg, env.delimiters)));
            out.push(OwnedSegment::simple("SE", &[(set.body.len() + 2).to_string(), st02]));
        }
        out.push(OwnedSegment::simple("GE", &[(end - i).to_string(), gs06]));
        groups += 1;
        i = end;
    }
    out.push(OwnedSegment::simple("IEA", &[groups.to_string(), control]));
    out
}

/// Names and addresses (N102, N201, N202, N301, N302, N401): free text, in which a delimiter is not
/// data a partner could read. It is written as a space instead of refusing the whole document;
/// identifiers and codes are never rewritten (a delimiter in them is still an error).
const FREE_TEXT: &[(&[u8], &[usize])] = &[(b"N1", &[2]), (b"N2", &[1, 2]), (b"N3", &[1, 2]), (b"N4", &[1])];

fn free_text_fitted(seg: &OwnedSegment, d: Delimiters) -> OwnedSegment {
    let mut out = seg.clone();
    let Some((_, positions)) = FREE_TEXT.iter().find(|(id, _)| *id == seg.id.as_slice()) else { return out };
    for n in positions.iter() {
        let Some(element) = out.elements.get_mut(n - 1) else { continue };
        // Only ASCII delimiters are replaced: rewriting one byte of a multi-byte character would corrupt
        // it (the writer still refuses a non-ASCII delimiter in data).
        for byte in element.iter_mut().flatten().flatten().filter(|b| b.is_ascii() && d.is_delimiter(**b)) {
            *byte = b' ';
        }
    }
    out
}

/// Writes one interchange of `sets` and checks it strictly with schemas; a set that would not
/// validate is an error listing every issue.
pub fn write_interchange(
    env: &Envelope,
    sets: &[OutboundSet],
    numbers: &mut ControlNumbers,
    at: DateTime<Utc>,
) -> Result<Vec<u8>, OutboundError> {
    let segments = interchange(env, sets, numbers, at);
    let bytes = write_to_vec(&segments, env.delimiters)
        .map_err(|e| OutboundError::new(sets.first().map_or("ISA", |s| s.id), e.to_string()))?;
    let report = validate_with_schemas(&bytes, Mode::Strict);
    if !report.is_valid() {
        let issues: Vec<String> = report.errors().map(ToString::to_string).collect();
        return Err(OutboundError::new(sets.first().map_or("ISA", |s| s.id), issues.join("; ")));
    }
    Ok(bytes)
}
