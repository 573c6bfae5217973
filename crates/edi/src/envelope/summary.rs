//! What validation learned about each interchange, group and transaction set: identifiers, counts
//! and the X12 codes of the faults found, which is what 997, 999 and TA1 acknowledgements report.

use crate::delimiters::Delimiters;
use crate::error::Severity;
use serde::Serialize;

/// A fault at the element level (AK4/IK4).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ElementFault {
    /// 1-based element position.
    pub position: u16,
    /// 1-based component position, for composites.
    pub component: Option<u16>,
    /// Data element reference number, when the schema knows it.
    pub reference: Option<u16>,
    /// AK403/IK403 code.
    pub code: &'static str,
    /// The offending value, when there is one (AK404/IK404).
    pub value: Option<String>,
    pub severity: Severity,
}

/// A fault at the segment level (AK3/IK3), with its element faults.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SegmentFault {
    pub segment_id: String,
    /// 1-based position in the transaction set (ST is 1).
    pub position: u32,
    pub loop_id: Option<String>,
    /// AK304/IK304 code; `None` when the segment is only reported for its elements ("8").
    pub code: Option<&'static str>,
    pub elements: Vec<ElementFault>,
    pub severity: Severity,
}

/// One received transaction set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SetSummary {
    /// ST01.
    pub id: String,
    /// ST02.
    pub control: String,
    /// ST03, the implementation convention reference (005010 and later).
    pub implementation: Option<String>,
    /// Segments counted from ST through SE.
    pub segments: u32,
    /// Whether an SE closed the set.
    pub closed: bool,
    /// AK5/IK5 codes found, with severity.
    pub codes: Vec<(&'static str, Severity)>,
    pub segment_faults: Vec<SegmentFault>,
}

/// One received functional group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GroupSummary {
    /// GS01 functional identifier, e.g. `PO`.
    pub functional_id: String,
    /// GS02 and GS03.
    pub sender: String,
    pub receiver: String,
    /// GS06.
    pub control: String,
    /// GS08 version / release / industry identifier.
    pub version: String,
    /// False when the group was opened implicitly by an ST without a GS.
    pub has_header: bool,
    /// GE01 as received, when a GE closed the group.
    pub declared_sets: Option<String>,
    pub sets: Vec<SetSummary>,
    /// Sets counted but not kept in `sets` (a validator that discards summaries keeps memory flat).
    #[serde(skip)]
    pub discarded_sets: u32,
    /// AK905+ codes found, with severity.
    pub codes: Vec<(&'static str, Severity)>,
}

/// One received interchange.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InterchangeSummary {
    /// ISA05/ISA06 and ISA07/ISA08, trimmed.
    pub sender_qualifier: String,
    pub sender_id: String,
    pub receiver_qualifier: String,
    pub receiver_id: String,
    /// ISA09 and ISA10 as received.
    pub date: String,
    pub time: String,
    /// ISA12.
    pub version: String,
    /// ISA13 as received.
    pub control: String,
    /// ISA14 = 1.
    pub ack_requested: bool,
    /// ISA15.
    pub usage: String,
    pub delimiters: Delimiters,
    pub groups: Vec<GroupSummary>,
    /// TA1 note codes found, with severity, in the order found.
    pub codes: Vec<(&'static str, Severity)>,
    /// Whether an IEA closed the interchange.
    pub closed: bool,
    /// 0-based position in the input of the first interchange with the same sender (ISA05/ISA06) and
    /// ISA13 (compared as a number), when this one repeats it.
    pub repeats: Option<usize>,
    /// Byte offsets in the input from its ISA to the end of its last segment, to tell a byte-identical
    /// copy from a different interchange reusing the number.
    #[serde(skip)]
    pub bytes: std::ops::Range<u64>,
}

/// Acceptance as AK501/IK501 and AK901 report it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Acceptance {
    /// `A`: accepted.
    Accepted,
    /// `E`: accepted, but errors were noted.
    AcceptedWithErrors,
    /// `P`: some sets accepted (groups only).
    Partial,
    /// `R`: rejected.
    Rejected,
}

impl Acceptance {
    pub fn code(self) -> &'static str {
        match self {
            Acceptance::Accepted => "A",
            Acceptance::AcceptedWithErrors => "E",
            Acceptance::Partial => "P",
            Acceptance::Rejected => "R",
        }
    }
}

fn worst(codes: impl Iterator<Item = Severity>) -> Acceptance {
    let mut out = Acceptance::Accepted;
    for s in codes {
        match s {
            Severity::Error => return Acceptance::Rejected,
            Severity::Warning => out = Acceptance::AcceptedWithErrors,
        }
    }
    out
}

impl SetSummary {
    pub fn acceptance(&self) -> Acceptance {
        let set = self.codes.iter().map(|c| c.1);
        let segments = self
            .segment_faults
            .iter()
            .flat_map(|f| std::iter::once(f.severity).chain(f.elements.iter().map(|e| e.severity)));
        worst(set.chain(segments))
    }
}

impl GroupSummary {
    /// A group opened by an ST or GE without a GS: no header data, not counted in IEA01.
    pub fn implicit() -> Self {
        GroupSummary {
            functional_id: String::new(),
            sender: String::new(),
            receiver: String::new(),
            control: String::new(),
            version: String::new(),
            has_header: false,
            declared_sets: None,
            sets: Vec::new(),
            discarded_sets: 0,
            codes: Vec::new(),
        }
    }

    /// AK901: rejected on any group-level error, partial when only some sets were accepted.
    pub fn acceptance(&self) -> Acceptance {
        let own = worst(self.codes.iter().map(|c| c.1));
        if own == Acceptance::Rejected {
            return own;
        }
        let sets: Vec<Acceptance> = self.sets.iter().map(SetSummary::acceptance).collect();
        let rejected = sets.iter().filter(|a| **a == Acceptance::Rejected).count();
        if rejected > 0 {
            return if rejected == sets.len() { Acceptance::Rejected } else { Acceptance::Partial };
        }
        if own == Acceptance::AcceptedWithErrors || sets.contains(&Acceptance::AcceptedWithErrors) {
            Acceptance::AcceptedWithErrors
        } else {
            Acceptance::Accepted
        }
    }

    /// Sets received: those closed by an SE.
    pub fn received_sets(&self) -> usize {
        self.sets.iter().filter(|s| s.closed).count()
    }

    /// Sets accepted (with or without noted errors).
    pub fn accepted_sets(&self) -> usize {
        self.sets.iter().filter(|s| s.closed && s.acceptance() != Acceptance::Rejected).count()
    }
}
