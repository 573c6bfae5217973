//! Acknowledgements for received interchanges: 997 or 999 per functional group and TA1 for
//! envelope faults, wrapped in a reply interchange addressed back to the sender.

mod functional;
mod ta1;

pub use functional::{AckKind, functional_ack};
pub use ta1::{ta1, ta1_codes};

use crate::delimiters::Delimiters;
use crate::document::OwnedSegment;
use crate::envelope::{InterchangeSummary, Report};
use crate::writer::{ControlNumbers, WriteError, fixed_width, write_to_vec};

/// How to build the reply interchange.
#[derive(Debug, Clone)]
pub struct AckOptions {
    pub kind: AckKind,
    /// Reply date (YYMMDD for ISA09; the GS date is 20 + this) and time (HHMM).
    pub date: String,
    pub time: String,
    /// Delimiters for the reply; `None` reuses each received interchange's.
    pub delimiters: Option<Delimiters>,
    /// Include a TA1 even when the interchange did not ask for one (ISA14 = 0) and has no fault.
    pub always_ta1: bool,
}

impl Default for AckOptions {
    fn default() -> Self {
        AckOptions {
            kind: AckKind::Fa997,
            date: "000101".into(),
            time: "0000".into(),
            delimiters: None,
            always_ta1: false,
        }
    }
}

/// The segments of a reply interchange acknowledging one received interchange.
pub fn reply_segments(i: &InterchangeSummary, opts: &AckOptions, numbers: &mut ControlNumbers) -> Vec<OwnedSegment> {
    let control = numbers.next_interchange();
    let version = match opts.kind {
        AckKind::Fa997 => i.version.as_str(),
        AckKind::Fa999 => "00501",
    };
    let version = if version.len() == 5 { version } else { "00401" };
    let repetition = if version >= "00402" { "^" } else { "U" };
    let isa = [
        "00",
        &fixed_width("", 10),
        "00",
        &fixed_width("", 10),
        &fixed_width(&i.receiver_qualifier, 2),
        &fixed_width(&i.receiver_id, 15),
        &fixed_width(&i.sender_qualifier, 2),
        &fixed_width(&i.sender_id, 15),
        &fixed_width(&opts.date, 6),
        &fixed_width(&opts.time, 4),
        repetition,
        version,
        &control,
        "0",
        if i.usage.is_empty() { "P" } else { &i.usage },
        ":",
    ];
    let mut out = vec![OwnedSegment::simple("ISA", &isa)];
    if opts.always_ta1 || i.ack_requested || !i.codes.is_empty() {
        out.push(ta1(i));
    }
    let groups: Vec<_> = i.groups.iter().filter(|g| g.has_header).collect();
    if !groups.is_empty() {
        let gs06 = numbers.next_group();
        let gs08 = match opts.kind {
            AckKind::Fa997 => "004010",
            AckKind::Fa999 => "005010X231",
        };
        let (sender, receiver) = groups.first().map(|g| (g.receiver.clone(), g.sender.clone())).unwrap_or_default();
        let date = format!("20{}", opts.date);
        out.push(OwnedSegment::simple("GS", &["FA", &sender, &receiver, &date, &opts.time, &gs06, "X", gs08]));
        for (n, g) in groups.iter().enumerate() {
            out.extend(functional_ack(opts.kind, g, &format!("{:04}", n + 1)));
        }
        out.push(OwnedSegment::simple("GE", &[groups.len().to_string(), gs06]));
    }
    let group_count = usize::from(!groups.is_empty()).to_string();
    out.push(OwnedSegment::simple("IEA", &[group_count, control]));
    out
}

/// Writes the reply interchanges for every interchange of a validation report.
pub fn acknowledge(report: &Report, opts: &AckOptions, numbers: &mut ControlNumbers) -> Result<Vec<u8>, WriteError> {
    let mut out = Vec::new();
    for i in &report.interchanges {
        let d = opts.delimiters.unwrap_or(i.delimiters);
        let d = if d.is_usable() && d.component.is_some() { d } else { Delimiters::DEFAULT };
        out.extend(write_to_vec(&reply_segments(i, opts, numbers), d)?);
    }
    Ok(out)
}
