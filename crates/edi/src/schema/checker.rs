//! Applies a transaction-set schema to the segments of one set as they stream past: each segment
//! is placed in the loop structure, then its elements are checked against its definition; an HL
//! hierarchy is checked for unique ids and parents that exist.

use super::SCHEMAS;
use super::element::{Finding, check_segment};
use super::structure::{Placement, Structure};
use super::types::{SetSchema, Version};
use crate::rule::Rule;
use crate::segment::Segment;

/// The schema for set `st01` in a group of version `gs08`, when there is one.
pub fn schema_for(st01: &[u8], gs08: &[u8]) -> Option<(&'static SetSchema, Version)> {
    let version = Version::from_gs08(gs08)?;
    let schema = SCHEMAS.iter().find(|s| s.id.as_bytes() == st01 && s.versions.contains(&version))?;
    Some((schema, version))
}

/// What checking one segment found, and where the segment went in the loop structure.
#[derive(Debug, Clone, Default)]
pub struct Checked {
    pub findings: Vec<Finding>,
    pub placement: Placement,
}

/// Checks one transaction set against its schema.
#[derive(Debug, Clone)]
pub struct SetChecker {
    structure: Structure,
    version: Version,
    /// HL01 values seen so far, for the hierarchy check.
    hl_ids: Vec<Vec<u8>>,
}

impl SetChecker {
    /// A checker for set `st01` in group version `gs08`, when a schema for it exists.
    pub fn for_set(st01: &[u8], gs08: &[u8]) -> Option<SetChecker> {
        let (schema, version) = schema_for(st01, gs08)?;
        Some(SetChecker { structure: Structure::new(schema, version), version, hl_ids: Vec::new() })
    }

    pub fn schema(&self) -> &'static SetSchema {
        self.structure.schema()
    }

    pub fn version(&self) -> Version {
        self.version
    }

    /// Checks one segment of the set (not ST or SE) at 1-based set position `position`.
    pub fn segment(&mut self, seg: &Segment<'_>, position: u32) -> Checked {
        let mut findings = Vec::new();
        let placement = self.structure.place(seg.id(), position, &mut findings);
        if let Some(def) = placement.def {
            findings.extend(check_segment(def, seg, self.version));
            if def.id == "HL" {
                self.check_hierarchy(seg, &mut findings);
            }
        }
        Checked { findings, placement }
    }

    /// HL01 must be new and HL02, when present, must name an earlier HL01.
    fn check_hierarchy(&mut self, seg: &Segment<'_>, out: &mut Vec<Finding>) {
        let id = seg.element(1).unwrap_or_default();
        let parent = seg.element(2).unwrap_or_default();
        let shown = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
        let mut fault = |n: u16, message: String| {
            out.push(Finding { element: Some(n), ..Finding::segment(Rule::HierarchyInvalid, message) });
        };
        if !id.is_empty() && self.hl_ids.iter().any(|s| s == id) {
            fault(1, format!("HL01 {:?} repeats an earlier HL id", shown(id)));
        }
        if !parent.is_empty() && !self.hl_ids.iter().any(|s| s == parent) {
            fault(2, format!("HL02 {:?} names no earlier HL", shown(parent)));
        }
        if !id.is_empty() {
            self.hl_ids.push(id.to_vec());
        }
    }

    /// Ends the set at SE (at `se_position`): reports mandatory segments and loops that never
    /// appeared.
    pub fn finish(self, se_position: u32) -> Vec<Finding> {
        self.structure.finish(se_position)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Delimiters;

    fn run(st01: &[u8], gs08: &[u8], segs: &[&str]) -> Vec<(Rule, Option<u16>)> {
        let mut c = SetChecker::for_set(st01, gs08).expect("schema");
        let mut out = Vec::new();
        for (n, s) in segs.iter().enumerate() {
            let seg = Segment::parse(s.as_bytes(), Delimiters::DEFAULT);
            out.extend(c.segment(&seg, n as u32 + 2).findings);
        }
        out.extend(c.finish(segs.len() as u32 + 2));
        out.into_iter().map(|f| (f.rule, f.element)).collect()
    }

    #[test]
    fn schema_lookup_by_set_and_version() {
        assert!(schema_for(b"850", b"004010VICS").is_some());
        assert!(schema_for(b"856", b"005010").is_some());
        assert!(schema_for(b"999", b"004010").is_none());
        assert!(schema_for(b"850", b"003040").is_none());
        assert!(schema_for(b"837", b"005010X222A1").is_none());
    }

    #[test]
    fn hierarchy_parents_must_exist() {
        let ok = ["BSN*00*SHIP1*20260101*1200", "HL*1**S", "HL*2*1*O", "HL*3*2*I", "LIN**UP*012345678905", "SN1**1*EA"];
        assert_eq!(run(b"856", b"004010", &ok), []);
        let bad = ["BSN*00*SHIP1*20260101*1200", "HL*1**S", "HL*1*1*O", "HL*3*9*I"];
        assert_eq!(
            run(b"856", b"004010", &bad),
            [(Rule::HierarchyInvalid, Some(1)), (Rule::HierarchyInvalid, Some(2))]
        );
    }

    #[test]
    fn elements_are_checked_only_when_placed() {
        let found = run(b"997", b"005010X230", &["AK1*PO*1", "AK3*X", "AK9*A*1*1*1"]);
        assert_eq!(found, [(Rule::UnexpectedSegment, None)]);
    }
}
