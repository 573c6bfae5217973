//! TA1 interchange acknowledgements: one note code for the envelope fault that matters most.

use crate::document::OwnedSegment;
use crate::envelope::InterchangeSummary;
use crate::error::Severity;

/// TA1 note codes from the most to the least fundamental: a broken delimiter explains everything
/// after it, and a malformed control number explains a mismatch.
const PRIORITY: &[&str] = &["026", "027", "004", "022", "024", "018", "001", "021", "023"];

/// The TA1 note code and acknowledgement code (`A`, `E`, `R`) for an interchange.
pub fn ta1_codes(interchange: &InterchangeSummary) -> (&'static str, &'static str) {
    let codes = &interchange.codes;
    if codes.is_empty() {
        return ("000", "A");
    }
    let rank = |c: &str| PRIORITY.iter().position(|p| *p == c).unwrap_or(PRIORITY.len());
    let note = codes.iter().map(|c| c.0).min_by_key(|c| rank(c)).unwrap_or("000");
    let ack = if codes.iter().any(|c| c.1 == Severity::Error) { "R" } else { "E" };
    (note, ack)
}

/// The TA1 segment acknowledging an interchange: ISA13, ISA09, ISA10, acknowledgement, note code.
pub fn ta1(interchange: &InterchangeSummary) -> OwnedSegment {
    let (note, ack) = ta1_codes(interchange);
    OwnedSegment::simple("TA1", &[&interchange.control, &interchange.date, &interchange.time, ack, note])
}
