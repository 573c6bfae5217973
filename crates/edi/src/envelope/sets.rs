//! Functional groups and transaction sets in the envelope state machine: GS/GE and ST/SE nesting,
//! control numbers and counts, and handing each set's segments to its schema checker.

use super::summary::{GroupSummary, SetSummary};
use super::text::{parse_count, text, trimmed};
use super::validator::{OpenSet, Validator};
use crate::rule::Rule;
use crate::schema::SetChecker;
use crate::segment::Segment;

impl Validator {
    pub(super) fn open_group(&mut self, seg: &Segment<'_>) {
        self.end_group_early(seg);
        self.headers_seen += 1;
        self.group = Some(GroupSummary {
            functional_id: seg.element_str(1),
            sender: seg.element_str(2),
            receiver: seg.element_str(3),
            control: seg.element_str(6),
            version: seg.element_str(8),
            has_header: true,
            declared_sets: None,
            sets: Vec::new(),
            discarded_sets: 0,
            codes: Vec::new(),
        });
        self.set_controls.clear();
        let control = seg.element(6).unwrap_or_default();
        if control.is_empty() || control.len() > 9 || !control.iter().all(u8::is_ascii_digit) {
            let message = format!("GS06 {:?} is not a 1 to 9 digit control number", text(Some(control)));
            self.report(Rule::GsElementValue, seg, Some(6), message);
        } else if !self.group_controls.insert(trimmed(control)) {
            let message = format!("GS06 {:?} repeats an earlier group's control number", text(Some(control)));
            self.report(Rule::GroupControlNotUnique, seg, Some(6), message);
        }
        for n in [1, 8] {
            if seg.element(n).is_none_or(<[u8]>::is_empty) {
                self.report(Rule::GsElementValue, seg, Some(n as u16), format!("GS{n:02} is missing"));
            }
        }
    }

    /// Closes an open set and group that a new GS or an IEA interrupts.
    pub(super) fn end_group_early(&mut self, seg: &Segment<'_>) {
        self.end_set_early(seg);
        if self.group.is_some() {
            self.report(
                Rule::GeMissing,
                seg,
                None,
                format!("{} arrives before the GE of the open group", seg.id_str()),
            );
            self.end_group();
        }
    }

    pub(super) fn implicit_group(&mut self, seg: &Segment<'_>) {
        let message = format!("{} is outside a functional group", seg.id_str());
        self.report(Rule::SegmentOutsideGroup, seg, None, message);
        self.set_controls.clear();
        self.group = Some(GroupSummary::implicit());
    }

    pub(super) fn close_group(&mut self, seg: &Segment<'_>) {
        self.end_set_early(seg);
        if self.group.is_none() {
            self.implicit_group(seg);
        }
        let Some(group) = self.group.as_ref() else { return };
        let sets = group.sets.len() as u32 + group.discarded_sets;
        let gs06 = group.has_header.then(|| group.control.clone());
        let declared = seg.element(1).unwrap_or_default();
        if parse_count(declared) != Some(sets) {
            let message = format!("GE01 is {:?} but the group has {sets} sets", text(Some(declared)));
            self.report(Rule::GeSetCount, seg, Some(1), message);
        }
        let control = seg.element(2).unwrap_or_default();
        if gs06.as_deref().map(str::as_bytes) != Some(control) {
            let message = format!("GE02 {:?} does not match GS06 {gs06:?}", text(Some(control)));
            self.report(Rule::GeControlMismatch, seg, Some(2), message);
        }
        if let Some(g) = self.group.as_mut() {
            g.declared_sets = Some(text(Some(declared)));
        }
        self.end_group();
    }

    pub(super) fn end_group(&mut self) {
        if let Some(g) = self.group.take()
            && let Some(i) = self.interchange.as_mut()
            && self.keep_summaries
        {
            i.groups.push(g);
        }
    }

    pub(super) fn open_set(&mut self, seg: &Segment<'_>) {
        self.end_set_early(seg);
        if self.group.is_none() {
            self.implicit_group(seg);
        }
        let version = self.group.as_ref().map(|g| g.version.clone()).unwrap_or_default();
        let implementation = seg.element(3).filter(|v| !v.is_empty());
        let summary = SetSummary {
            id: seg.element_str(1),
            control: trimmed(seg.element(2).unwrap_or_default()),
            implementation: implementation.map(|v| text(Some(v))),
            segments: 1,
            closed: false,
            codes: Vec::new(),
            segment_faults: Vec::new(),
        };
        let checker = if self.schemas {
            SetChecker::for_set(seg.element(1).unwrap_or_default(), version.as_bytes())
        } else {
            None
        };
        let raw_control = seg.element(2).unwrap_or_default().to_vec();
        self.set = Some(OpenSet { summary, raw_control, checker });
        let st01 = seg.element(1).unwrap_or_default();
        let st02 = seg.element(2).unwrap_or_default();
        if st01.len() != 3 || !st01.iter().all(u8::is_ascii_alphanumeric) {
            self.report(Rule::StElementValue, seg, Some(1), format!("ST01 {:?} is not a set id", text(Some(st01))));
        }
        if !(4..=9).contains(&st02.len()) {
            let message = format!("ST02 {:?} is not a 4 to 9 character control number", text(Some(st02)));
            self.report(Rule::StControlValue, seg, Some(2), message);
        } else if !self.set_controls.insert(trimmed(st02)) {
            let message = format!("ST02 {:?} repeats an earlier set's control number in the group", text(Some(st02)));
            self.report(Rule::SetControlNotUnique, seg, Some(2), message);
        }
    }

    pub(super) fn end_set_early(&mut self, seg: &Segment<'_>) {
        if self.set.is_some() {
            self.report(Rule::SeMissing, seg, None, format!("{} arrives before the SE of the open set", seg.id_str()));
            self.end_set(false);
        }
    }

    pub(super) fn close_set(&mut self, seg: &Segment<'_>) {
        let Some(set) = self.set.as_mut() else {
            self.body_segment(seg, false);
            return;
        };
        set.summary.segments += 1;
        let count = set.summary.segments;
        let st02 = set.raw_control.clone();
        let found = set.checker.take().map(|c| c.finish(count)).unwrap_or_default();
        self.schema_issues(seg, found);
        let declared = seg.element(1).unwrap_or_default();
        if parse_count(declared) != Some(count) {
            let message = format!("SE01 is {:?} but the set has {count} segments", text(Some(declared)));
            self.report(Rule::SeSegmentCount, seg, Some(1), message);
        }
        let control = seg.element(2).unwrap_or_default();
        if control != st02.as_slice() {
            let message = format!("SE02 {:?} does not match ST02 {:?}", text(Some(control)), text(Some(&st02)));
            self.report(Rule::SeControlMismatch, seg, Some(2), message);
        }
        self.end_set(true);
    }

    pub(super) fn end_set(&mut self, closed: bool) {
        if let Some(mut s) = self.set.take() {
            s.summary.closed = closed;
            if let Some(g) = self.group.as_mut()
                && self.keep_summaries
            {
                g.sets.push(s.summary);
            } else if let Some(g) = self.group.as_mut() {
                g.discarded_sets += 1;
            }
        }
    }
}
