//! Checks one segment's elements against its definition: presence, types, lengths, code lists,
//! composites and syntax notes (P, R, C, E, L). CR and LF inside an element are taken as line
//! wrapping (some senders wrap at 80 columns) and ignored.

use super::types::{DataType, ElementDef, SegmentDef, SyntaxNote, Usage, Version};
use crate::rule::Rule;
use crate::segment::Segment;
use std::borrow::Cow;

/// A schema rule broken by a segment, reported through the envelope validator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub rule: Rule,
    pub element: Option<u16>,
    pub component: Option<u16>,
    /// Data element reference number of the element at fault, when known.
    pub reference: Option<u16>,
    /// Set for findings about another segment than the current one (e.g. a missing one).
    pub segment_id: Option<String>,
    pub set_position: Option<u32>,
    pub message: String,
}

impl Finding {
    /// A finding about the whole current segment.
    pub fn segment(rule: Rule, message: String) -> Self {
        Finding { rule, element: None, component: None, reference: None, segment_id: None, set_position: None, message }
    }
}

fn finding(rule: Rule, element: usize, component: Option<usize>, reference: u16, message: String) -> Finding {
    Finding {
        rule,
        element: Some(element as u16),
        component: component.map(|c| c as u16),
        reference: (reference != 0).then_some(reference),
        segment_id: None,
        set_position: None,
        message,
    }
}

/// The value without CR and LF bytes (line wrapping).
fn unwrapped(value: &[u8]) -> Cow<'_, [u8]> {
    if memchr::memchr2(b'\r', b'\n', value).is_some() {
        Cow::Owned(value.iter().copied().filter(|b| *b != b'\r' && *b != b'\n').collect())
    } else {
        Cow::Borrowed(value)
    }
}

/// Checks a segment's elements and syntax notes against its definition for `version`.
pub fn check_segment(def: &SegmentDef, seg: &Segment<'_>, version: Version) -> Vec<Finding> {
    let mut out = Vec::new();
    if def.elements.is_empty() && def.open {
        return out;
    }
    let defined = def.element_count(version);
    let component_sep = seg.delimiters().component;
    let repetition_sep = seg.delimiters().repetition;
    // Which positions hold data, for the syntax notes (positions past 128 are never named by one).
    let mut present: u128 = 0;
    let mut count = 0;
    let mut last_data = 0;
    for (i, raw) in seg.elements().enumerate() {
        count = i + 1;
        let value = unwrapped(raw);
        if !value.is_empty() {
            last_data = i + 1;
            if i < 128 {
                present |= 1 << i;
            }
        }
        let Some(element) = def.elements.get(i).filter(|_| i < defined) else { continue };
        check_repetitions(element, &value, i + 1, def.id, component_sep, repetition_sep, &mut out);
    }
    for (i, element) in def.elements.iter().enumerate().take(defined).skip(count) {
        check_repetitions(element, b"", i + 1, def.id, component_sep, repetition_sep, &mut out);
    }
    // Trailing empty elements are a formatting slip, not data; only data past the end counts.
    if last_data > defined && !def.open {
        let message = format!("{} has {last_data} elements, at most {defined} are defined", def.id);
        out.insert(0, finding(Rule::TooManyElements, defined + 1, None, 0, message));
    }
    let has = |p: u8| (1..=128).contains(&p) && present & (1 << (p - 1)) != 0;
    for note in def.notes {
        out.extend(check_note(def.id, note, &has));
    }
    out
}

/// Checks each repetition of element `n` (one when it does not repeat).
fn check_repetitions(
    element: &ElementDef,
    value: &[u8],
    n: usize,
    id: &str,
    component_sep: Option<u8>,
    repetition_sep: Option<u8>,
    out: &mut Vec<Finding>,
) {
    let name = || format!("{id}{n:02}");
    match repetition_sep {
        Some(r) if value.contains(&r) => {
            for rep in value.split(|b| *b == r) {
                check_element(element, rep, n, component_sep, &name, out);
            }
        }
        _ => check_element(element, value, n, component_sep, &name, out),
    }
}

fn check_element(
    element: &ElementDef,
    value: &[u8],
    n: usize,
    component_sep: Option<u8>,
    name: &dyn Fn() -> String,
    out: &mut Vec<Finding>,
) {
    match element.data_type {
        DataType::Composite(components) => {
            if value.is_empty() {
                if element.usage == Usage::Mandatory {
                    out.push(finding(Rule::MandatoryElementMissing, n, None, 0, format!("{} is missing", name())));
                }
                return;
            }
            let parts: Vec<&[u8]> = match component_sep {
                Some(s) => value.split(|b| *b == s).collect(),
                None => vec![value],
            };
            if parts.len() > components.len() {
                out.push(finding(Rule::TooManyComponents, n, None, 0, format!("{} has too many components", name())));
            }
            for (c, cdef) in components.iter().enumerate() {
                let part = parts.get(c).copied().unwrap_or_default();
                let label = || format!("{}-{}", name(), c + 1);
                if let Some((rule, m)) = check_value(cdef, part, label) {
                    out.push(finding(rule, n, Some(c + 1), cdef.reference, m));
                }
            }
        }
        _ => {
            if component_sep.is_some_and(|s| value.contains(&s)) {
                let message = format!("{} is not a composite", name());
                out.push(finding(Rule::TooManyComponents, n, None, element.reference, message));
                return;
            }
            if let Some((rule, m)) = check_value(element, value, name) {
                out.push(finding(rule, n, None, element.reference, m));
            }
        }
    }
}

/// Checks one simple value; `None` when it conforms.
pub fn check_value(def: &ElementDef, value: &[u8], name: impl Fn() -> String) -> Option<(Rule, String)> {
    if value.is_empty() {
        return (def.usage == Usage::Mandatory)
            .then(|| (Rule::MandatoryElementMissing, format!("{} is missing", name())));
    }
    // Free text (names, addresses) may be personal data and error messages are stored and logged: such a
    // value is described by its length, never quoted. Codes, numbers, dates and times are quoted.
    let shown = || match def.data_type {
        DataType::An => format!("(a {}-character value)", value.len()),
        _ => format!("{:?}", String::from_utf8_lossy(value)),
    };
    let digits = value.iter().filter(|b| b.is_ascii_digit()).count();
    let length = match def.data_type {
        DataType::N(_) | DataType::R => digits,
        _ => value.len(),
    };
    let char_ok = match def.data_type {
        DataType::N(_) => {
            let body = value.strip_prefix(b"-").unwrap_or(value);
            !body.is_empty() && body.iter().all(u8::is_ascii_digit)
        }
        DataType::R => is_decimal(value),
        DataType::Dt => is_date(value),
        DataType::Tm => is_time(value),
        _ => value.iter().all(|b| *b >= 0x20 && *b != 0x7f),
    };
    if !char_ok {
        let rule = match def.data_type {
            DataType::Dt => Rule::InvalidDate,
            DataType::Tm => Rule::InvalidTime,
            _ => Rule::InvalidCharacter,
        };
        return Some((rule, format!("{} {} is not a valid {} value", name(), shown(), type_name(def.data_type))));
    }
    if !def.codes.is_empty() && !def.codes.iter().any(|c| c.as_bytes() == value) {
        return Some((Rule::InvalidCode, format!("{} {} is not in code list {}", name(), shown(), def.reference)));
    }
    if length < usize::from(def.min) {
        return Some((Rule::ElementTooShort, format!("{} {} is shorter than {}", name(), shown(), def.min)));
    }
    if length > usize::from(def.max) {
        return Some((Rule::ElementTooLong, format!("{} {} is longer than {}", name(), shown(), def.max)));
    }
    None
}

fn type_name(t: DataType) -> String {
    match t {
        DataType::An => "AN".into(),
        DataType::Id => "ID".into(),
        DataType::N(n) => format!("N{n}"),
        DataType::R => "R".into(),
        DataType::Dt => "DT".into(),
        DataType::Tm => "TM".into(),
        DataType::Composite(_) => "composite".into(),
    }
}

fn is_decimal(v: &[u8]) -> bool {
    let body = v.strip_prefix(b"-").unwrap_or(v);
    let points = body.iter().filter(|b| **b == b'.').count();
    points <= 1 && body.iter().any(u8::is_ascii_digit) && body.iter().all(|b| b.is_ascii_digit() || *b == b'.')
}

fn num(v: &[u8]) -> u32 {
    v.iter().fold(0, |acc, b| acc.saturating_mul(10).saturating_add(u32::from(b.wrapping_sub(b'0'))))
}

/// CCYYMMDD or YYMMDD with a month and a day that exists in it (29 February in any year).
pub fn is_date(v: &[u8]) -> bool {
    if !(v.len() == 8 || v.len() == 6) || !v.iter().all(u8::is_ascii_digit) {
        return false;
    }
    let md = &v[v.len() - 4..];
    let (month, day) = (num(&md[..2]), num(&md[2..]));
    let days = match month {
        2 => 29,
        4 | 6 | 9 | 11 => 30,
        1..=12 => 31,
        _ => 0,
    };
    (1..=days).contains(&day)
}

/// HHMM, HHMMSS or HHMMSSd..d.
pub fn is_time(v: &[u8]) -> bool {
    let seconds_ok = v.len() < 6 || num(&v[4..6]) < 60;
    v.len() >= 4
        && v.len() != 5
        && v.iter().all(u8::is_ascii_digit)
        && num(&v[..2]) < 24
        && num(&v[2..4]) < 60
        && seconds_ok
}

fn check_note(segment: &str, note: &SyntaxNote, has: &dyn Fn(u8) -> bool) -> Vec<Finding> {
    let label = |ps: &[u8]| ps.iter().map(|p| format!("{p:02}")).collect::<String>();
    // Only positions that are absent are reported; the note's name is built only then.
    let missing = |ps: &[u8], code: &dyn Fn() -> String| -> Vec<Finding> {
        ps.iter()
            .filter(|p| !has(**p))
            .map(|p| {
                let message = format!("{segment}{p:02} is required by syntax note {}", code());
                finding(Rule::ConditionalElementMissing, usize::from(*p), None, 0, message)
            })
            .collect()
    };
    let first = |ps: &[u8]| usize::from(ps.first().copied().unwrap_or(1));
    match *note {
        SyntaxNote::Paired(ps) if ps.iter().any(|p| has(*p)) => missing(ps, &|| format!("P{}", label(ps))),
        SyntaxNote::Required(ps) if !ps.iter().any(|p| has(*p)) => {
            let message = format!("one of {segment} {} is required by syntax note R{}", label(ps), label(ps));
            vec![finding(Rule::ConditionalElementMissing, first(ps), None, 0, message)]
        }
        SyntaxNote::Conditional(lead, rest) if has(lead) => missing(rest, &|| format!("C{:02}{}", lead, label(rest))),
        SyntaxNote::Exclusion(ps) if ps.iter().filter(|p| has(**p)).count() > 1 => {
            let second = ps.iter().filter(|p| has(**p)).nth(1).copied().unwrap_or(1);
            let message = format!("{segment} {} are mutually exclusive (E{})", label(ps), label(ps));
            vec![finding(Rule::ExclusionViolated, usize::from(second), None, 0, message)]
        }
        SyntaxNote::ListConditional(lead, rest) if has(lead) && !rest.iter().any(|p| has(*p)) => {
            let message = format!("{segment}{lead:02} needs one of {} (L{:02}{})", label(rest), lead, label(rest));
            vec![finding(Rule::ConditionalElementMissing, first(rest), None, 0, message)]
        }
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Delimiters;
    use crate::schema::segments;

    fn rules(def: &SegmentDef, raw: &str) -> Vec<(Rule, Option<u16>)> {
        let seg = Segment::parse(raw.as_bytes(), Delimiters::new(b'*', b':', Some(b'^'), b'~'));
        check_segment(def, &seg, Version::V5010).into_iter().map(|f| (f.rule, f.element)).collect()
    }

    #[test]
    fn syntax_notes_of_po1_and_po4() {
        assert_eq!(
            rules(&segments::PO1, "PO1*1*120*EA*9.25*TE*CB**PR*RO*VN*AB3542"),
            [(Rule::ConditionalElementMissing, Some(7))]
        );
        assert_eq!(rules(&segments::PO1, "PO1*1*120*EA*9.25*TE*CB*X*PR*RO"), []);
        let found = rules(&segments::PO4, "PO4*6*6*EA*PLT94*X**LR*10*CT");
        assert_eq!(found, [(Rule::ConditionalElementMissing, Some(6)), (Rule::ConditionalElementMissing, Some(6))]);
    }

    #[test]
    fn every_syntax_note_kind() {
        // R: DTM needs one of 02, 03, 05.
        assert_eq!(rules(&segments::DTM, "DTM*002"), [(Rule::ConditionalElementMissing, Some(2))]);
        // E: QTY 02 and 04 exclude each other.
        assert_eq!(rules(&segments::QTY, "QTY*33*5**X"), [(Rule::ExclusionViolated, Some(4))]);
        // C: MAN06 needs MAN04.
        assert_eq!(rules(&segments::MAN, "MAN*GM*1****Y"), [(Rule::ConditionalElementMissing, Some(4))]);
        // C: CTP06 needs CTP07.
        assert_eq!(rules(&segments::CTP, "CTP******CSD"), [(Rule::ConditionalElementMissing, Some(7))]);
        // L: ITD03 needs one of 04, 05, 13.
        assert_eq!(rules(&segments::ITD, "ITD*01*3*1.000"), [(Rule::ConditionalElementMissing, Some(4))]);
        // P: N1 03 and 04 come together.
        assert_eq!(
            rules(&segments::N1, "N1*SF***CHI"),
            [(Rule::ConditionalElementMissing, Some(2)), (Rule::ConditionalElementMissing, Some(3))]
        );
    }

    #[test]
    fn types_lengths_and_codes() {
        let ak1 = &segments::AK1;
        assert_eq!(rules(ak1, "AK1*PO*12"), []);
        assert_eq!(rules(ak1, "AK1*Z9*12"), [(Rule::InvalidCode, Some(1))]);
        assert_eq!(rules(ak1, "AK1*PO*1A"), [(Rule::InvalidCharacter, Some(2))]);
        assert_eq!(rules(ak1, "AK1**12"), [(Rule::MandatoryElementMissing, Some(1))]);
        assert_eq!(rules(ak1, "AK1*PO*1234567890"), [(Rule::ElementTooLong, Some(2))]);
        assert_eq!(rules(ak1, "AK1*PO*1*X*Y"), [(Rule::TooManyElements, Some(4))]);
        assert_eq!(rules(ak1, "AK1*PO*1*X**"), []);
        assert_eq!(rules(&segments::AK4, "AK4*2:1*235*7"), []);
        assert_eq!(rules(&segments::AK4, "AK4*2:X*235*7"), [(Rule::InvalidCharacter, Some(1))]);
        assert_eq!(rules(&segments::BEG, "BEG*00*SA*PO1**20261340"), [(Rule::InvalidDate, Some(5))]);
        assert_eq!(rules(&segments::BEG, "BEG*00*SA*PO1**20260230"), [(Rule::InvalidDate, Some(5))]);
        assert_eq!(rules(&segments::DTM, "DTM*011*20260101*2460"), [(Rule::InvalidTime, Some(3))]);
        assert_eq!(rules(&segments::N1, "N1*ST*\r\nACME"), []);
    }

    #[test]
    fn free_text_is_never_quoted_in_messages_but_codes_are() {
        let name = "Jane Q. Customer of 42 Elm Street, Springfield, Illinois, United States";
        let raw = format!("N1*ST*{name}");
        let seg = Segment::parse(raw.as_bytes(), Delimiters::DEFAULT);
        let found = check_segment(&segments::N1, &seg, Version::V5010);
        let messages: Vec<&str> = found.iter().map(|f| f.message.as_str()).collect();
        assert!(!messages.is_empty() && messages.iter().all(|m| !m.contains("Jane")), "{messages:?}");
        assert!(messages.iter().any(|m| m.contains(&format!("(a {}-character value) is longer than", name.len()))));
        let seg = Segment::parse(b"AK1*Z9*12", Delimiters::DEFAULT);
        let found = check_segment(&segments::AK1, &seg, Version::V5010);
        assert!(found[0].message.contains("\"Z9\" is not in code list"), "{}", found[0].message);
    }

    #[test]
    fn version_limits_elements() {
        let seg = Segment::parse(b"AK1*PO*1*004010", Delimiters::DEFAULT);
        let found = check_segment(&segments::AK1, &seg, Version::V4010);
        assert_eq!(found.iter().map(|f| f.rule).collect::<Vec<_>>(), [Rule::TooManyElements]);
        assert!(check_segment(&segments::AK1, &seg, Version::V5010).is_empty());
    }

    #[test]
    fn dates_and_times() {
        assert!(is_date(b"20240229") && is_date(b"991231") && !is_date(b"20240431") && !is_date(b"2024013"));
        assert!(
            is_time(b"2359") && is_time(b"235959") && is_time(b"23595999") && !is_time(b"23595") && !is_time(b"2360")
        );
        assert!(!is_time(b"235960"));
    }
}
