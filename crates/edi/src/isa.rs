//! Reading the ISA segment: finding its delimiters (tolerating short fields, a missing ISA16 and a
//! multi-byte terminator) and checking its fixed-width layout and element values.

use crate::delimiters::{Delimiters, Terminator, is_data_byte};
use crate::rule::Rule;
use crate::segment::Segment;

/// Length of a fixed-width ISA segment including its terminator.
pub const ISA_LEN: usize = 106;
/// Fixed widths of ISA01..ISA16.
pub const ISA_WIDTHS: [usize; 16] = [2, 10, 2, 10, 2, 15, 2, 15, 6, 4, 1, 5, 9, 1, 1, 1];
/// How far to look for the 16 ISA element separators before giving up.
const MAX_ISA_SCAN: usize = 1024;
/// How far past the ISA to look when deciding whether ISA16 is really the terminator.
const LOOKAHEAD: usize = 4096;

/// What the tokenizer learned from an ISA at the start of a buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct IsaScan {
    pub delimiters: Delimiters,
    /// Bytes of segment content (from `I` to the byte before the terminator).
    pub content_len: usize,
    /// Bytes consumed including the terminator.
    pub total_len: usize,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum IsaOutcome {
    Found(IsaScan),
    NeedMore,
    Fatal { rule: Rule, element: Option<u16>, message: String },
}

fn fatal(rule: Rule, element: Option<u16>, message: impl Into<String>) -> IsaOutcome {
    IsaOutcome::Fatal { rule, element, message: message.into() }
}

/// Length of a UTF-8 character starting with `lead`, if `lead` starts a multi-byte character.
fn utf8_len(lead: u8) -> Option<usize> {
    match lead {
        0xC2..=0xDF => Some(2),
        0xE0..=0xEF => Some(3),
        0xF0..=0xF4 => Some(4),
        _ => None,
    }
}

/// Reads the delimiters of the ISA at the start of `b` (which starts with `ISA`).
pub(crate) fn scan_isa(b: &[u8], eof: bool) -> IsaOutcome {
    if b.len() < 4 {
        return if eof {
            fatal(Rule::IsaTruncated, None, "input ends inside the ISA segment")
        } else {
            IsaOutcome::NeedMore
        };
    }
    let sep = b[3];
    if is_data_byte(sep) || sep == b'\r' || sep == b'\n' {
        return fatal(
            Rule::InvalidElementSeparator,
            None,
            format!("element separator {:?} is a data character", sep as char),
        );
    }
    let window = &b[..b.len().min(MAX_ISA_SCAN)];
    let seps: Vec<usize> = memchr::memchr_iter(sep, window).take(16).collect();
    if seps.len() < 16 {
        if !eof && b.len() < MAX_ISA_SCAN {
            return IsaOutcome::NeedMore;
        }
        let message = format!("ISA has {} of 16 elements", seps.len());
        return fatal(Rule::IsaTruncated, Some(seps.len() as u16), message);
    }
    let p16 = seps[15];
    let (isa16, term_at) = (p16 + 1, p16 + 2);
    if b.len() <= term_at {
        return if eof {
            fatal(Rule::IsaTruncated, Some(16), "input ends before the ISA segment terminator")
        } else {
            IsaOutcome::NeedMore
        };
    }
    let component = b[isa16];
    let term = b[term_at];
    let mut terminator = Terminator::byte(term);
    if let Some(n) = utf8_len(term) {
        if b.len() < term_at + n {
            return if eof {
                fatal(Rule::IsaTruncated, Some(16), "input ends inside the terminator")
            } else {
                IsaOutcome::NeedMore
            };
        }
        let seq = &b[term_at..term_at + n];
        if std::str::from_utf8(seq).is_ok() {
            terminator = Terminator::from_bytes(seq).unwrap_or(terminator);
        }
    }
    if (term == b'\r' || term == b'\n') && !is_data_byte(component) && component != sep {
        match isa16_is_terminator(&b[term_at..], component, eof) {
            None => return IsaOutcome::NeedMore,
            Some(true) => {
                let delimiters = Delimiters {
                    element: sep,
                    component: None,
                    repetition: None,
                    segment: Terminator::byte(component),
                };
                let delimiters = with_repetition(b, &seps, delimiters);
                return IsaOutcome::Found(IsaScan { delimiters, content_len: isa16, total_len: isa16 + 1 });
            }
            Some(false) => {}
        }
    }
    if is_data_byte(term) || term == sep || term == component {
        return fatal(
            Rule::InvalidSegmentTerminator,
            Some(16),
            format!("segment terminator {:?} is not usable", term as char),
        );
    }
    let component = if is_data_byte(component) || component == sep { None } else { Some(component) };
    let delimiters = Delimiters { element: sep, component, repetition: None, segment: terminator };
    let delimiters = with_repetition(b, &seps, delimiters);
    let total_len = term_at + terminator.as_bytes().len();
    IsaOutcome::Found(IsaScan { delimiters, content_len: term_at, total_len })
}

/// Whether the line after the ISA also ends with the byte read as ISA16, i.e. ISA16 is missing and
/// that byte is the real terminator. `None` when more input is needed to tell.
fn isa16_is_terminator(after: &[u8], candidate: u8, eof: bool) -> Option<bool> {
    let start = after.iter().position(|b| !matches!(b, b'\r' | b'\n' | b' ' | b'\t')).unwrap_or(after.len());
    let rest = &after[start..];
    let line_end = match memchr::memchr(b'\n', rest) {
        Some(i) => i,
        None if eof || after.len() >= LOOKAHEAD => rest.len(),
        None => return None,
    };
    let line = &rest[..line_end];
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    Some(line.len() > 2 && line.last() == Some(&candidate))
}

/// Sets the repetition separator from ISA11 when ISA12 is 00402 or later and ISA11 is usable.
fn with_repetition(b: &[u8], seps: &[usize], mut d: Delimiters) -> Delimiters {
    let isa11 = &b[seps[10] + 1..seps[11]];
    let isa12 = &b[seps[11] + 1..seps[12]];
    if isa12 >= &b"00402"[..] && isa11.len() == 1 && !is_data_byte(isa11[0]) && !d.is_delimiter(isa11[0]) {
        d.repetition = Some(isa11[0]);
    }
    d
}

/// Whether `b` (starting with `ISA`) has its 16 element separators at the fixed-width positions.
pub(crate) fn is_fixed_layout(b: &[u8]) -> bool {
    if b.len() < ISA_LEN - 1 || !b.starts_with(b"ISA") {
        return false;
    }
    let sep = b[3];
    let mut at = 3;
    for width in &ISA_WIDTHS[..15] {
        if b[at] != sep || b[at + 1..at + 1 + width].contains(&sep) {
            return false;
        }
        at += width + 1;
    }
    b[at] == sep
}

/// The ISA13 control number when `b` has at least 14 elements, for positioning fatal errors.
pub(crate) fn control_number(b: &[u8]) -> Option<String> {
    let sep = *b.get(3)?;
    let window = &b[..b.len().min(MAX_ISA_SCAN)];
    let seps: Vec<usize> = memchr::memchr_iter(sep, window).take(14).collect();
    let (from, to) = (*seps.get(12)? + 1, *seps.get(13)?);
    Some(String::from_utf8_lossy(&b[from..to]).into_owned())
}

/// A deviation of an ISA from the standard that a lenient reader tolerates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IsaFinding {
    pub rule: Rule,
    pub element: Option<u16>,
    pub message: String,
}

fn finding(rule: Rule, element: Option<u16>, message: String) -> IsaFinding {
    IsaFinding { rule, element, message }
}

/// The TA1 note code for an invalid value in ISA element `n`.
pub fn isa_element_ta1_code(n: u16) -> &'static str {
    match n {
        1 => "010",
        2 => "011",
        3 => "012",
        4 => "013",
        5 => "005",
        6 => "006",
        7 => "007",
        8 => "008",
        9 => "014",
        10 => "015",
        11 => "016",
        12 => "017",
        13 => "018",
        14 => "019",
        15 => "020",
        _ => "027",
    }
}

/// Checks an ISA segment read by the tokenizer: fixed width, delimiters, element values.
pub fn check_isa(isa: &Segment<'_>) -> Vec<IsaFinding> {
    let d = isa.delimiters();
    let mut out = Vec::new();
    if d.component.is_none() {
        out.push(finding(Rule::Isa16Missing, Some(16), "ISA16 is missing; the terminator follows ISA15".into()));
    } else if d.segment.is_multi_byte() {
        let t = String::from_utf8_lossy(d.segment.as_bytes()).into_owned();
        out.push(finding(
            Rule::MultiByteTerminator,
            Some(16),
            format!("segment terminator {t:?} is not a single byte"),
        ));
    }
    let elements: Vec<&[u8]> = isa.elements().collect();
    let width_ok = isa.raw().len() + 1 == ISA_LEN && elements.len() == 16;
    if !width_ok {
        let wrong: Vec<String> = elements
            .iter()
            .zip(ISA_WIDTHS)
            .enumerate()
            .filter(|(_, (e, w))| e.len() != *w)
            .map(|(i, (e, w))| format!("ISA{:02} has {} bytes, not {w}", i + 1, e.len()))
            .collect();
        let len = isa.raw().len() + d.segment.as_bytes().len();
        let message = format!("ISA is {len} bytes, not {ISA_LEN}: {}", wrong.join(", "));
        out.push(finding(Rule::IsaFixedWidth, None, message));
    }
    let element = |n: usize| elements.get(n - 1).copied().unwrap_or_default();
    let digits = |v: &[u8], n: usize| v.len() == n && v.iter().all(u8::is_ascii_digit);
    let trimmed = |v: &[u8]| -> Vec<u8> { v.iter().copied().filter(|b| !b.is_ascii_whitespace()).collect() };
    let num = |v: &[u8]| std::str::from_utf8(v).ok().and_then(|s| s.parse::<u32>().ok()).unwrap_or(99);
    let (date, time) = (trimmed(element(9)), trimmed(element(10)));
    let date_ok = digits(&date, 6) && (1..=12).contains(&num(&date[2..4])) && (1..=31).contains(&num(&date[4..6]));
    let time_ok = digits(&time, 4) && num(&time[..2]) < 24 && num(&time[2..]) < 60;
    let checks: [(usize, bool, &str); 6] = [
        (9, date_ok, "ISA09 is not a YYMMDD date"),
        (10, time_ok, "ISA10 is not an HHMM time"),
        (15, matches!(element(15), b"P" | b"T" | b"I"), "ISA15 is not P, T or I"),
        (12, digits(&trimmed(element(12)), 5), "ISA12 is not a 5-digit version"),
        (13, digits(&trimmed(element(13)), 9), "ISA13 is not a 9-digit control number"),
        (14, matches!(element(14), b"0" | b"1"), "ISA14 is not 0 or 1"),
    ];
    for (n, ok, message) in checks {
        if !ok {
            out.push(finding(Rule::IsaElementValue, Some(n as u16), message.into()));
        }
    }
    if element(12) >= &b"00402"[..] && elements.len() == 16 && d.repetition.is_none() && element(11) != b"U" {
        let message = format!("ISA11 {:?} is not a usable repetition separator", String::from_utf8_lossy(element(11)));
        out.push(finding(Rule::InvalidRepetitionSeparator, Some(11), message));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const ISA: &str =
        "ISA*00*          *00*          *ZZ*SENDER         *ZZ*RECEIVER       *260709*1200*^*00501*000000001*0*T*:~";

    fn found(input: &str) -> IsaScan {
        match scan_isa(input.as_bytes(), true) {
            IsaOutcome::Found(s) => s,
            other => panic!("expected an ISA, got {other:?}"),
        }
    }

    #[test]
    fn fixed_width_isa() {
        assert_eq!(ISA.len(), ISA_LEN);
        let s = found(ISA);
        assert_eq!(s.delimiters, Delimiters::new(b'*', b':', Some(b'^'), b'~'));
        assert_eq!(s.total_len, ISA_LEN);
        let seg = Segment::parse(&ISA.as_bytes()[..s.content_len], s.delimiters);
        assert_eq!(check_isa(&seg), vec![]);
    }

    #[test]
    fn short_fields_are_a_width_finding() {
        let input = "ISA*00**00**ZZ*S*ZZ*R*260709*1200*U*00401*000000001*0*T*>~GS";
        let s = found(input);
        assert_eq!(s.delimiters.repetition, None);
        let seg = Segment::parse(&input.as_bytes()[..s.content_len], s.delimiters);
        let rules: Vec<Rule> = check_isa(&seg).into_iter().map(|f| f.rule).collect();
        assert_eq!(rules, vec![Rule::IsaFixedWidth]);
    }

    #[test]
    fn missing_isa16_is_detected_from_the_next_line() {
        let input = "ISA*00*          *00*          *08*925119TEST     *ZZ*TESTTPLEDI     *111223*0938*U*00401*000000028*0*P*~\nGS*OW*1*2*20111223*0938*4332*T*004010~\n";
        let s = found(input);
        assert_eq!(s.delimiters.component, None);
        assert_eq!(s.delimiters.segment, Terminator::byte(b'~'));
    }

    #[test]
    fn fatal_cases() {
        let rule = |input: &str| match scan_isa(input.as_bytes(), true) {
            IsaOutcome::Fatal { rule, .. } => Some(rule),
            _ => None,
        };
        assert_eq!(rule("ISA*00*   *00"), Some(Rule::IsaTruncated));
        assert_eq!(rule("ISAasadsdfs"), Some(Rule::InvalidElementSeparator));
        let no_term = ISA.replace(":~", ":") + "GS*X";
        assert_eq!(rule(&no_term), Some(Rule::InvalidSegmentTerminator));
        assert_eq!(scan_isa(b"ISA*00", false), IsaOutcome::NeedMore);
    }
}
