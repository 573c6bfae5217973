//! Applies a transaction-set schema to the segments of one set as they stream past: element
//! presence, types, lengths, code lists, syntax notes, and the segments a set requires.

use super::types::{DataType, ElementDef, SegmentDef, SetSchema, SyntaxNote, Usage};
use super::{x850, x997};
use crate::rule::Rule;
use crate::segment::Segment;

/// Every schema this crate knows.
pub const SCHEMAS: &[&SetSchema] = &[&x850::PO850, &x997::FA997];

/// A schema rule broken by a segment, reported through the envelope validator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub rule: Rule,
    pub element: Option<u16>,
    pub component: Option<u16>,
    /// Set for findings about another segment than the current one (e.g. a missing one).
    pub segment_id: Option<String>,
    pub set_position: Option<u32>,
    pub message: String,
}

fn finding(rule: Rule, element: usize, component: Option<usize>, message: String) -> Finding {
    Finding {
        rule,
        element: Some(element as u16),
        component: component.map(|c| c as u16),
        segment_id: None,
        set_position: None,
        message,
    }
}

/// Checks one transaction set against its schema.
#[derive(Debug, Clone)]
pub struct SetChecker {
    schema: &'static SetSchema,
    seen: Vec<&'static str>,
}

impl SetChecker {
    /// A checker for set `st01` in group version `version` (GS08), when a schema for it exists.
    pub fn for_set(st01: &[u8], version: &[u8]) -> Option<SetChecker> {
        let schema = SCHEMAS.iter().find(|s| {
            s.id.as_bytes() == st01
                && (s.versions.is_empty() || s.versions.iter().any(|v| version.starts_with(v.as_bytes())))
        })?;
        Some(SetChecker { schema, seen: Vec::new() })
    }

    /// Checks one segment of the set (not ST or SE).
    pub fn segment(&mut self, seg: &Segment<'_>, _position: u32) -> Vec<Finding> {
        let Some(def) = self.schema.segment(seg.id()) else { return Vec::new() };
        if !self.seen.contains(&def.id) {
            self.seen.push(def.id);
        }
        check_segment(def, seg)
    }

    /// Ends the set at SE (at `se_position`): reports required segments that never appeared.
    pub fn finish(self, se_position: u32) -> Vec<Finding> {
        self.schema
            .mandatory
            .iter()
            .filter(|id| !self.seen.contains(id))
            .map(|id| Finding {
                rule: Rule::MandatorySegmentMissing,
                element: None,
                component: None,
                segment_id: Some((*id).to_string()),
                set_position: Some(se_position),
                message: format!("mandatory segment {id} is missing from the {} set", self.schema.id),
            })
            .collect()
    }
}

/// Checks a segment's elements and syntax notes against its definition.
pub fn check_segment(def: &SegmentDef, seg: &Segment<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    let values: Vec<&[u8]> = seg.elements().collect();
    if values.len() > def.elements.len() {
        let message = format!("{} has {} elements, at most {} are defined", def.id, values.len(), def.elements.len());
        out.push(finding(Rule::TooManyElements, def.elements.len() + 1, None, message));
    }
    let component_sep = seg.delimiters().component;
    for (i, element) in def.elements.iter().enumerate() {
        let n = i + 1;
        let value = values.get(i).copied().unwrap_or_default();
        let name = || format!("{}{n:02}", def.id);
        match element.data_type {
            DataType::Composite(components) => {
                let parts: Vec<&[u8]> = match component_sep {
                    Some(s) => value.split(|b| *b == s).collect(),
                    None => vec![value],
                };
                if value.is_empty() {
                    if element.usage == Usage::Mandatory {
                        out.push(finding(Rule::MandatoryElementMissing, n, None, format!("{} is missing", name())));
                    }
                    continue;
                }
                if parts.len() > components.len() {
                    out.push(finding(Rule::TooManyComponents, n, None, format!("{} has too many components", name())));
                }
                for (c, (part, cdef)) in parts.iter().zip(components.iter()).enumerate() {
                    let label = || format!("{}-{}", name(), c + 1);
                    out.extend(check_value(cdef, part, label).map(|(rule, m)| finding(rule, n, Some(c + 1), m)));
                }
            }
            _ => {
                if component_sep.is_some_and(|s| value.contains(&s)) {
                    out.push(finding(Rule::TooManyComponents, n, None, format!("{} is not a composite", name())));
                    continue;
                }
                out.extend(check_value(element, value, name).map(|(rule, m)| finding(rule, n, None, m)));
            }
        }
    }
    for note in def.notes {
        out.extend(check_note(def.id, note, &values));
    }
    out
}

/// Checks one simple value; `None` when it conforms.
fn check_value(def: &ElementDef, value: &[u8], name: impl Fn() -> String) -> Option<(Rule, String)> {
    if value.is_empty() {
        return (def.usage == Usage::Mandatory)
            .then(|| (Rule::MandatoryElementMissing, format!("{} is missing", name())));
    }
    let shown = || String::from_utf8_lossy(value);
    let digits = value.iter().filter(|b| b.is_ascii_digit()).count();
    let numeric_len = match def.data_type {
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
        _ => value.iter().all(|b| *b >= 0x20),
    };
    if !char_ok {
        let rule = match def.data_type {
            DataType::Dt => Rule::InvalidDate,
            DataType::Tm => Rule::InvalidTime,
            _ => Rule::InvalidCharacter,
        };
        return Some((rule, format!("{} {:?} is not a valid {:?} value", name(), shown(), def.data_type)));
    }
    if !def.codes.is_empty() && !def.codes.iter().any(|c| c.as_bytes() == value) {
        return Some((Rule::InvalidCode, format!("{} {:?} is not in code list {}", name(), shown(), def.reference)));
    }
    if numeric_len < usize::from(def.min) {
        return Some((Rule::ElementTooShort, format!("{} {:?} is shorter than {}", name(), shown(), def.min)));
    }
    if numeric_len > usize::from(def.max) {
        return Some((Rule::ElementTooLong, format!("{} {:?} is longer than {}", name(), shown(), def.max)));
    }
    None
}

fn is_decimal(v: &[u8]) -> bool {
    let body = v.strip_prefix(b"-").unwrap_or(v);
    let points = body.iter().filter(|b| **b == b'.').count();
    points <= 1 && body.iter().any(u8::is_ascii_digit) && body.iter().all(|b| b.is_ascii_digit() || *b == b'.')
}

fn num(v: &[u8]) -> u32 {
    v.iter().fold(0, |acc, b| acc.saturating_mul(10).saturating_add(u32::from(b.wrapping_sub(b'0'))))
}

/// CCYYMMDD or YYMMDD with a plausible month and day.
fn is_date(v: &[u8]) -> bool {
    if !(v.len() == 8 || v.len() == 6) || !v.iter().all(u8::is_ascii_digit) {
        return false;
    }
    let md = &v[v.len() - 4..];
    (1..=12).contains(&num(&md[..2])) && (1..=31).contains(&num(&md[2..]))
}

/// HHMM, HHMMSS or HHMMSSd..d.
fn is_time(v: &[u8]) -> bool {
    v.len() >= 4 && v.len() != 5 && v.iter().all(u8::is_ascii_digit) && num(&v[..2]) < 24 && num(&v[2..4]) < 60
}

fn check_note(segment: &str, note: &SyntaxNote, values: &[&[u8]]) -> Vec<Finding> {
    let present = |p: u8| values.get(usize::from(p).wrapping_sub(1)).is_some_and(|v| !v.is_empty());
    let label = |ps: &[u8]| ps.iter().map(|p| format!("{p:02}")).collect::<String>();
    let missing = |ps: &[u8], code: &str| -> Vec<Finding> {
        ps.iter()
            .filter(|p| !present(**p))
            .map(|p| {
                let message = format!("{segment}{p:02} is required by syntax note {code}");
                finding(Rule::ConditionalElementMissing, usize::from(*p), None, message)
            })
            .collect()
    };
    match *note {
        SyntaxNote::Paired(ps) if ps.iter().any(|p| present(*p)) => missing(ps, &format!("P{}", label(ps))),
        SyntaxNote::Required(ps) if !ps.iter().any(|p| present(*p)) => {
            let message = format!("one of {segment} {} is required by syntax note R{}", label(ps), label(ps));
            vec![finding(Rule::ConditionalElementMissing, usize::from(ps[0]), None, message)]
        }
        SyntaxNote::Conditional(first, rest) if present(first) => {
            missing(rest, &format!("C{:02}{}", first, label(rest)))
        }
        SyntaxNote::Exclusion(ps) if ps.iter().filter(|p| present(**p)).count() > 1 => {
            let second = ps.iter().filter(|p| present(**p)).nth(1).copied().unwrap_or(ps[0]);
            let message = format!("{segment} {} are mutually exclusive (E{})", label(ps), label(ps));
            vec![finding(Rule::ExclusionViolated, usize::from(second), None, message)]
        }
        SyntaxNote::ListConditional(first, rest) if present(first) && !rest.iter().any(|p| present(*p)) => {
            let message = format!("{segment}{first:02} needs one of {} (L{:02}{})", label(rest), first, label(rest));
            vec![finding(Rule::ConditionalElementMissing, usize::from(rest[0]), None, message)]
        }
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Delimiters;

    fn rules(def: &SegmentDef, raw: &str) -> Vec<(Rule, Option<u16>)> {
        let seg = Segment::parse(raw.as_bytes(), Delimiters::new(b'*', b':', Some(b'^'), b'~'));
        check_segment(def, &seg).into_iter().map(|f| (f.rule, f.element)).collect()
    }

    fn def(schema: &SetSchema, id: &str) -> &'static SegmentDef {
        schema.segment(id.as_bytes()).expect("segment is defined")
    }

    #[test]
    fn syntax_notes_of_po1_and_po4() {
        let po1 = def(&x850::PO850, "PO1");
        assert_eq!(
            rules(po1, "PO1*1*120*EA*9.25*TE*CB**PR*RO*VN*AB3542"),
            [(Rule::ConditionalElementMissing, Some(7))]
        );
        assert_eq!(rules(po1, "PO1*1*120*EA*9.25*TE*CB*X*PR*RO"), []);
        let po4 = def(&x850::PO850, "PO4");
        let found = rules(po4, "PO4*6*6*EA*PLT94*X**LR*10*CT");
        assert_eq!(found, [(Rule::ConditionalElementMissing, Some(6)), (Rule::ConditionalElementMissing, Some(6))]);
    }

    #[test]
    fn types_lengths_and_codes() {
        let ak1 = def(&x997::FA997, "AK1");
        assert_eq!(rules(ak1, "AK1*PO*12"), []);
        assert_eq!(rules(ak1, "AK1*ZZ*12"), [(Rule::InvalidCode, Some(1))]);
        assert_eq!(rules(ak1, "AK1*PO*1A"), [(Rule::InvalidCharacter, Some(2))]);
        assert_eq!(rules(ak1, "AK1**12"), [(Rule::MandatoryElementMissing, Some(1))]);
        assert_eq!(rules(ak1, "AK1*PO*1234567890"), [(Rule::ElementTooLong, Some(2))]);
        assert_eq!(rules(ak1, "AK1*PO*1*X*Y"), [(Rule::TooManyElements, Some(4))]);
        let ak4 = def(&x997::FA997, "AK4");
        assert_eq!(rules(ak4, "AK4*2:1*235*7"), []);
        assert_eq!(rules(ak4, "AK4*2:X*235*7"), [(Rule::InvalidCharacter, Some(1))]);
        let beg = def(&x850::PO850, "BEG");
        assert_eq!(rules(beg, "BEG*00*SA*PO1**20261340"), [(Rule::InvalidDate, Some(5))]);
    }

    #[test]
    fn missing_mandatory_segments_at_finish() {
        let checker = SetChecker::for_set(b"997", b"005010X230").expect("997 schema");
        let found: Vec<_> = checker.finish(2).into_iter().map(|f| f.segment_id).collect();
        assert_eq!(found, [Some("AK1".to_string()), Some("AK9".to_string())]);
        assert!(SetChecker::for_set(b"850", b"003040").is_none());
    }
}
