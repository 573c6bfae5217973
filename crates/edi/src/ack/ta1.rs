//! TA1 interchange acknowledgements: one note code for the envelope fault that matters most.

use crate::document::OwnedSegment;
use crate::envelope::InterchangeSummary;
use crate::error::Severity;

/// TA1 note codes from the most to the least fundamental: a broken delimiter explains everything
/// after it, a malformed control number explains a mismatch, and a repeated one (025) is why the
/// interchange is refused even when everything else in it is right.
const PRIORITY: &[&str] = &["026", "027", "004", "022", "024", "018", "025", "001", "021", "023"];

/// The TA1 note code and acknowledgement code (`A`, `E`, `R`) for an interchange. A rejection names
/// an error, not a deviation a lenient partner is only warned about.
pub fn ta1_codes(interchange: &InterchangeSummary) -> (&'static str, &'static str) {
    let codes = &interchange.codes;
    if codes.is_empty() {
        return ("000", "A");
    }
    let rejected = codes.iter().any(|c| c.1 == Severity::Error);
    let rank = |c: &str| PRIORITY.iter().position(|p| *p == c).unwrap_or(PRIORITY.len());
    let note = codes
        .iter()
        .filter(|c| !rejected || c.1 == Severity::Error)
        .map(|c| c.0)
        .min_by_key(|c| rank(c))
        .unwrap_or("000");
    (note, if rejected { "R" } else { "E" })
}

/// The TA1 segment acknowledging an interchange: ISA13, ISA09, ISA10, acknowledgement, note code.
pub fn ta1(interchange: &InterchangeSummary) -> OwnedSegment {
    let (note, ack) = ta1_codes(interchange);
    OwnedSegment::simple("TA1", &[&interchange.control, &interchange.date, &interchange.time, ack, note])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Delimiters;

    fn summary(codes: Vec<(&'static str, Severity)>) -> InterchangeSummary {
        InterchangeSummary {
            sender_qualifier: "ZZ".into(),
            sender_id: "S".into(),
            receiver_qualifier: "ZZ".into(),
            receiver_id: "R".into(),
            date: "260709".into(),
            time: "1200".into(),
            version: "00401".into(),
            control: "000000001".into(),
            ack_requested: false,
            usage: "P".into(),
            delimiters: Delimiters::DEFAULT,
            groups: Vec::new(),
            codes,
            closed: true,
            repeats: None,
            bytes: 0..0,
        }
    }

    /// A lenient partner's repeated ISA13 is only a warning: when the interchange is rejected for
    /// something else, the TA1 names that, not the warning.
    #[test]
    fn a_rejection_names_an_error_not_a_warning() {
        let (w, e) = (Severity::Warning, Severity::Error);
        assert_eq!(ta1_codes(&summary(vec![("025", w), ("023", e)])), ("023", "R"));
        assert_eq!(ta1_codes(&summary(vec![("023", w), ("025", w)])), ("025", "E"));
        assert_eq!(ta1_codes(&summary(vec![("001", e), ("025", e)])), ("025", "R"));
        assert_eq!(ta1_codes(&summary(vec![])), ("000", "A"));
    }
}
