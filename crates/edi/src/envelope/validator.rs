//! The envelope state machine: fed one segment at a time, it checks ISA/IEA, GS/GE and ST/SE
//! nesting, control numbers and counts, and records issues and per-set summaries.

use super::Mode;
use super::summary::{ElementFault, GroupSummary, InterchangeSummary, SegmentFault, SetSummary};
use super::text::{control_identity, parse_count, text, trimmed};
use crate::error::{Issue, Position, Severity};
use crate::isa::{check_isa, isa_element_ta1_code};
use crate::rule::{Rule, X12Code};
use crate::schema::SetChecker;
use crate::segment::Segment;
use std::collections::{HashMap, HashSet};

/// An open transaction set and the segments counted so far.
pub(super) struct OpenSet {
    pub(super) summary: SetSummary,
    /// ST02 as received, for the byte-exact comparison with SE02.
    pub(super) raw_control: Vec<u8>,
    pub(super) checker: Option<SetChecker>,
}

/// Checks envelopes segment by segment; see [`super::validate`] for the usual entry point.
pub struct Validator {
    pub(super) mode: Mode,
    pub(super) keep_summaries: bool,
    pub(super) schemas: bool,
    pub(super) issues: Vec<Issue>,
    pub(super) done: Vec<InterchangeSummary>,
    pub(super) interchange: Option<InterchangeSummary>,
    pub(super) group: Option<GroupSummary>,
    pub(super) set: Option<OpenSet>,
    /// GS segments seen in the open interchange (implicit groups do not count).
    pub(super) headers_seen: u32,
    /// GS06 values of the open interchange and ST02 values of the open group, trimmed: X12 requires
    /// them unique there, and a repeat would make two groups or sets indistinguishable downstream.
    pub(super) group_controls: HashSet<String>,
    pub(super) set_controls: HashSet<String>,
    /// (ISA05, ISA06, ISA13) of every interchange of the input so far, with the 1-based position of
    /// the first to use them: a sender's ISA13 must not repeat, or one interchange would be taken twice.
    pub(super) interchange_controls: HashMap<(String, String, String), usize>,
    pub(super) interchanges_seen: usize,
    /// Whether the previous segment was already reported as outside its envelope.
    pub(super) outside_reported: bool,
    pub(super) segments: u64,
}

impl Validator {
    pub fn new(mode: Mode) -> Self {
        Validator {
            mode,
            keep_summaries: true,
            schemas: false,
            issues: Vec::new(),
            done: Vec::new(),
            interchange: None,
            group: None,
            set: None,
            headers_seen: 0,
            group_controls: HashSet::new(),
            set_controls: HashSet::new(),
            interchange_controls: HashMap::new(),
            interchanges_seen: 0,
            outside_reported: false,
            segments: 0,
        }
    }

    /// Also check the sets that have a schema (see [`crate::schema`]) against it.
    pub fn with_schemas(mut self) -> Self {
        self.schemas = true;
        self
    }

    /// Drop finished interchange summaries instead of keeping them, so memory stays bounded.
    pub fn discard_summaries(mut self) -> Self {
        self.keep_summaries = false;
        self
    }

    pub fn issues(&self) -> &[Issue] {
        &self.issues
    }

    pub fn segments(&self) -> u64 {
        self.segments
    }

    /// Severity of a rule in this mode: deviations lenient mode tolerates are warnings there.
    fn severity(&self, rule: Rule) -> Severity {
        let tolerated = matches!(
            rule,
            Rule::IsaFixedWidth
                | Rule::IsaElementValue
                | Rule::InvalidRepetitionSeparator
                | Rule::MultiByteTerminator
                | Rule::Isa16Missing
                | Rule::IeaControlNotIdentical
                | Rule::IeaControlMismatch
                | Rule::IeaGroupCount
                | Rule::GeControlMismatch
                | Rule::GeSetCount
                | Rule::SeControlMismatch
                | Rule::SeSegmentCount
                | Rule::UnterminatedSegment
                | Rule::InterchangeControlNotUnique
                | Rule::GroupControlNotUnique
                | Rule::SetControlNotUnique
        );
        if tolerated && self.mode == Mode::Lenient { Severity::Warning } else { Severity::Error }
    }

    fn position(&self, seg: &Segment<'_>, element: Option<u16>) -> Position {
        Position {
            interchange: self.interchange.as_ref().map(|i| i.control.clone()),
            group: self.group.as_ref().filter(|g| g.has_header).map(|g| g.control.clone()),
            set: self.set.as_ref().map(|s| s.summary.control.clone()),
            segment_index: seg.index(),
            set_position: self.set.as_ref().map(|s| s.summary.segments),
            segment_id: seg.id_str(),
            element,
            component: None,
            byte_offset: seg.offset(),
        }
    }

    /// Records an issue and the code it contributes to the enclosing summary.
    pub(super) fn report(&mut self, rule: Rule, seg: &Segment<'_>, element: Option<u16>, message: String) {
        let severity = self.severity(rule);
        let position = self.position(seg, element);
        self.record_code(rule, severity, &position, None);
        self.issues.push(Issue::new(rule, severity, position, message));
    }

    /// Adds the X12 code of a broken rule to the summary of the envelope it belongs to;
    /// `reference` is the data element number of an element fault, when known.
    fn record_code(&mut self, rule: Rule, severity: Severity, position: &Position, reference: Option<u16>) {
        match rule.x12_code() {
            X12Code::Ta1(code) => {
                if let Some(i) = self.interchange.as_mut() {
                    i.codes.push((code, severity));
                }
            }
            X12Code::Group(code) => {
                if let Some(g) = self.group.as_mut() {
                    g.codes.push((code, severity));
                }
            }
            X12Code::Set(code) => {
                if let Some(s) = self.set.as_mut() {
                    s.summary.codes.push((code, severity));
                }
            }
            X12Code::Segment(code) => self.push_fault(position, Some(code), None, severity),
            X12Code::Element(code) => {
                let fault = ElementFault {
                    position: position.element.unwrap_or(0),
                    component: position.component,
                    reference,
                    code,
                    value: None,
                    severity,
                };
                self.push_fault(position, None, Some(fault), severity);
            }
        }
    }

    /// Adds a segment fault (AK3/IK3) to the open set; element faults of the same segment share one.
    fn push_fault(&mut self, at: &Position, code: Option<&'static str>, element: Option<ElementFault>, s: Severity) {
        let Some(set) = self.set.as_mut() else { return };
        let position = at.set_position.unwrap_or(0);
        let faults = &mut set.summary.segment_faults;
        if let (None, Some(last)) = (code, faults.last_mut())
            && last.position == position
            && last.segment_id == at.segment_id
        {
            last.elements.extend(element);
            if s == Severity::Error {
                last.severity = s;
            }
            return;
        }
        let (segment_id, elements) = (at.segment_id.clone(), element.into_iter().collect());
        faults.push(SegmentFault { segment_id, position, loop_id: None, code, elements, severity: s });
    }

    /// Feeds the next segment of the input.
    pub fn segment(&mut self, seg: &Segment<'_>) {
        self.segments += 1;
        if !seg.is_terminated() && !seg.delimiters().segment.is_line_feed() {
            self.report(Rule::UnterminatedSegment, seg, None, "the last segment has no terminator".into());
        }
        if let Some(i) = self.interchange.as_mut()
            && !seg.is(b"ISA")
        {
            i.bytes.end = seg.offset() + seg.raw().len() as u64;
        }
        let id = seg.id();
        let inside = self.interchange.is_some();
        let outside_before = std::mem::replace(&mut self.outside_reported, false);
        match id {
            b"ISA" => self.open_interchange(seg),
            _ if !inside => {
                if !outside_before {
                    let message = format!("segment {} is outside any interchange", seg.id_str());
                    self.report(Rule::SegmentOutsideInterchange, seg, None, message);
                }
                self.outside_reported = true;
            }
            b"IEA" => self.close_interchange(seg),
            b"GS" => self.open_group(seg),
            b"GE" => self.close_group(seg),
            b"ST" => self.open_set(seg),
            b"SE" => self.close_set(seg),
            b"TA1" if self.group.is_none() => {}
            _ => self.body_segment(seg, outside_before),
        }
    }

    pub(super) fn body_segment(&mut self, seg: &Segment<'_>, outside_before: bool) {
        let Some(set) = self.set.as_mut() else {
            if !outside_before {
                let (rule, place) = if self.group.is_some() {
                    (Rule::SegmentOutsideSet, "a transaction set")
                } else {
                    (Rule::SegmentOutsideGroup, "a functional group")
                };
                self.report(rule, seg, None, format!("segment {} is outside {place}", seg.id_str()));
            }
            self.outside_reported = true;
            return;
        };
        set.summary.segments += 1;
        let id = seg.id();
        let alnum = !id.is_empty() && id.iter().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit());
        if !(alnum && (2..=3).contains(&id.len()) && id[0].is_ascii_uppercase()) {
            let message = format!("{:?} is not a 2 or 3 character segment id", seg.id_str());
            // An upper-case id of another length is a deviation lenient mode tolerates.
            let tolerated = alnum && id.len() <= 6 && self.mode == Mode::Lenient;
            let severity = if tolerated { Severity::Warning } else { Severity::Error };
            let position = self.position(seg, None);
            self.record_code(Rule::InvalidSegmentId, severity, &position, None);
            self.issues.push(Issue::new(Rule::InvalidSegmentId, severity, position, message));
            return;
        }
        let position = set.summary.segments;
        if let Some(checker) = set.checker.as_mut() {
            let found = checker.segment(seg, position).findings;
            self.schema_issues(seg, found);
        }
    }

    pub(super) fn schema_issues(&mut self, seg: &Segment<'_>, found: Vec<crate::schema::Finding>) {
        for f in found {
            let severity = self.severity(f.rule);
            let mut position = self.position(seg, f.element);
            position.component = f.component;
            if let Some(id) = &f.segment_id {
                position.segment_id = id.clone();
            }
            if let Some(p) = f.set_position {
                position.set_position = Some(p);
            }
            self.record_code(f.rule, severity, &position, f.reference);
            self.issues.push(Issue::new(f.rule, severity, position, f.message));
        }
    }

    fn open_interchange(&mut self, seg: &Segment<'_>) {
        if self.interchange.is_some() {
            self.report(Rule::IeaMissing, seg, None, "a new ISA starts before the IEA of the previous one".into());
            self.end_interchange();
        }
        let e = |n| seg.element(n);
        self.interchange = Some(InterchangeSummary {
            sender_qualifier: trimmed(e(5).unwrap_or_default()),
            sender_id: trimmed(e(6).unwrap_or_default()),
            receiver_qualifier: trimmed(e(7).unwrap_or_default()),
            receiver_id: trimmed(e(8).unwrap_or_default()),
            date: text(e(9)),
            time: text(e(10)),
            version: text(e(12)),
            control: text(e(13)),
            ack_requested: e(14) == Some(b"1"),
            usage: text(e(15)),
            delimiters: seg.delimiters(),
            groups: Vec::new(),
            codes: Vec::new(),
            closed: false,
            repeats: None,
            bytes: seg.offset()..seg.offset() + seg.raw().len() as u64,
        });
        self.headers_seen = 0;
        self.group_controls.clear();
        self.set_controls.clear();
        for f in check_isa(seg) {
            self.report(f.rule, seg, f.element, f.message);
            if let (Rule::IsaElementValue, Some(n)) = (f.rule, f.element) {
                // Each ISA element has its own TA1 note code.
                let code = isa_element_ta1_code(n);
                if let Some(c) = self.interchange.as_mut().and_then(|i| i.codes.last_mut()) {
                    c.0 = code;
                }
                if let Some(issue) = self.issues.last_mut() {
                    issue.x12_code = X12Code::Ta1(code);
                }
            }
        }
        self.interchanges_seen += 1;
        let isa13 = e(13).unwrap_or_default();
        let key = (trimmed(e(5).unwrap_or_default()), trimmed(e(6).unwrap_or_default()), control_identity(isa13));
        let first = *self.interchange_controls.entry(key).or_insert(self.interchanges_seen);
        if first != self.interchanges_seen {
            // Keys of a repeat are told apart (or shared, for a byte-identical copy) by this mark.
            if let Some(i) = self.interchange.as_mut() {
                i.repeats = Some(first - 1);
            }
            let message = format!(
                "ISA13 {:?} repeats the control number of interchange {first} of this input from the same sender",
                text(Some(isa13))
            );
            self.report(Rule::InterchangeControlNotUnique, seg, Some(13), message);
        }
    }

    fn close_interchange(&mut self, seg: &Segment<'_>) {
        self.end_group_early(seg);
        let groups = self.headers_seen;
        let declared = seg.element(1).unwrap_or_default();
        if parse_count(declared) != Some(groups) {
            let message = format!("IEA01 is {:?} but the interchange has {groups} groups", text(Some(declared)));
            self.report(Rule::IeaGroupCount, seg, Some(1), message);
        }
        let control = seg.element(2).unwrap_or_default();
        let isa13 = self.interchange.as_ref().map(|i| i.control.clone()).unwrap_or_default();
        if control != isa13.as_bytes() {
            let same_number = parse_count(control).is_some() && parse_count(control) == parse_count(isa13.as_bytes());
            let rule = if same_number { Rule::IeaControlNotIdentical } else { Rule::IeaControlMismatch };
            let message = format!("IEA02 {:?} does not match ISA13 {isa13:?}", text(Some(control)));
            self.report(rule, seg, Some(2), message);
            let well_formed = control.len() == 9 && control.iter().all(u8::is_ascii_digit);
            if !well_formed && let Some(i) = self.interchange.as_mut() {
                // A malformed IEA02 is also an invalid control number value (TA1 018).
                let severity = i.codes.last().map_or(Severity::Error, |c| c.1);
                i.codes.push(("018", severity));
            }
        }
        if let Some(i) = self.interchange.as_mut() {
            i.closed = true;
        }
        self.end_interchange();
    }

    pub(super) fn end_interchange(&mut self) {
        if let Some(i) = self.interchange.take()
            && self.keep_summaries
        {
            self.done.push(i);
        }
    }

    /// Ends the input: reports envelopes left open and returns issues and summaries.
    pub fn finish(mut self, last: Option<(u64, u64)>) -> (Vec<Issue>, Vec<InterchangeSummary>) {
        if self.interchange.is_some() {
            let (index, offset) = last.unwrap_or((self.segments, 0));
            let raw = b"";
            let seg = Segment::new(raw, crate::Delimiters::DEFAULT, index, offset, true);
            self.end_set_early(&seg);
            if self.group.is_some() {
                self.report(Rule::GeMissing, &seg, None, "the input ends before the GE of the open group".into());
                self.end_group();
            }
            self.report(Rule::IeaMissing, &seg, None, "the input ends before the IEA".into());
            self.end_interchange();
        }
        (self.issues, self.done)
    }

    /// Ends the input after a fatal error, which explains any envelope left open.
    pub fn finish_fatal(mut self) -> (Vec<Issue>, Vec<InterchangeSummary>) {
        if let Some(s) = self.set.take()
            && let Some(g) = self.group.as_mut()
        {
            g.sets.push(s.summary);
        }
        self.end_group();
        self.end_interchange();
        (self.issues, self.done)
    }
}
