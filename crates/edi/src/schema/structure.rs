//! Places each segment of a set in its schema's loop structure as it streams past: a stack of open
//! loops, each with the node it has reached and how often each of its nodes occurred. Reports
//! segments that are not in the set, not at this place or out of order, repeats over the maximum,
//! and mandatory segments and loops that never appeared (AK3/IK3 codes 1–7).

use super::element::Finding;
use super::types::{Node, SegmentDef, SetSchema, Usage, Version};
use crate::rule::Rule;

/// An open loop (or the set body at the bottom of the stack).
#[derive(Debug, Clone)]
struct Frame {
    nodes: &'static [Node],
    /// Index of the node reached so far.
    index: usize,
    /// Where this frame's occurrence counts start in the shared arena.
    counts_at: usize,
    /// Nodes from this index on are optional (see [`super::types::mandatory_until`]).
    mandatory_until: usize,
}

/// Whether a table id and a segment id are the same; ids are 2 or 3 bytes, so a byte loop beats
/// a `memcmp` call.
#[inline]
fn same_id(table: &str, id: &[u8]) -> bool {
    let t = table.as_bytes();
    t.len() == id.len() && t.iter().zip(id).all(|(a, b)| a == b)
}

/// Where a segment went.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Placement {
    /// The segment's definition, when it was placed.
    pub def: Option<&'static SegmentDef>,
    /// How many loops that were open before this segment are still open (the body not counted).
    pub kept: usize,
    /// The loop this segment opened, if it starts a loop iteration.
    pub opened: Option<&'static str>,
}

/// The loop state of one transaction set.
#[derive(Debug, Clone)]
pub struct Structure {
    schema: &'static SetSchema,
    version: Version,
    frames: Vec<Frame>,
    counts: Vec<u32>,
}

impl Structure {
    pub fn new(schema: &'static SetSchema, version: Version) -> Self {
        let mut s = Structure { schema, version, frames: Vec::with_capacity(8), counts: Vec::with_capacity(128) };
        s.push(schema.body, super::types::mandatory_until(schema.body));
        s
    }

    pub fn schema(&self) -> &'static SetSchema {
        self.schema
    }

    /// Number of loops open (the body not counted).
    pub fn depth(&self) -> usize {
        self.frames.len() - 1
    }

    fn push(&mut self, nodes: &'static [Node], mandatory_until: usize) {
        let counts_at = self.counts.len();
        self.counts.resize(counts_at + nodes.len(), 0);
        self.frames.push(Frame { nodes, index: 0, counts_at, mandatory_until });
    }

    /// Places segment `id` at 1-based set position `position`; findings are added to `out`.
    pub fn place(&mut self, id: &[u8], position: u32, out: &mut Vec<Finding>) -> Placement {
        let depth = self.depth();
        for d in (0..self.frames.len()).rev() {
            let Some(i) = self.find_in(d, id) else { continue };
            while self.frames.len() > d + 1 {
                self.close_top(position, out);
            }
            let kept = d;
            let frame = &self.frames[d];
            let (at, node) = (frame.counts_at, frame.nodes[i]);
            if i == frame.index && (d == 0 || i > 0) && self.counts[at + i] > 0 {
                self.counts[at + i] += 1;
                if self.counts[at + i] > node.max() {
                    let (rule, what) = match node {
                        Node::Segment(_) => (Rule::SegmentRepeatExceeded, "segment"),
                        Node::Loop(_) => (Rule::LoopRepeatExceeded, "loop"),
                    };
                    let message = format!("{what} {} occurs more than {} times", node.first_id(), node.max());
                    out.push(Finding::segment(rule, message));
                }
            } else {
                self.skip_to(d, i, position, out);
                self.counts[at + i] = 1;
            }
            return match node {
                Node::Segment(s) => Placement { def: Some(s.def), kept, opened: None },
                Node::Loop(l) => {
                    self.push(l.nodes, l.mandatory_until);
                    let top = self.frames.len() - 1;
                    let at = self.frames[top].counts_at;
                    self.counts[at] = 1;
                    let def = match l.nodes.first() {
                        Some(Node::Segment(s)) => Some(s.def),
                        _ => None,
                    };
                    Placement { def, kept, opened: Some(l.id) }
                }
            };
        }
        out.push(self.unplaced(id));
        Placement { def: None, kept: depth, opened: None }
    }

    /// The node of frame `d` at or after its current node that segment `id` starts; a loop's own
    /// first segment is never matched inside the loop (it starts the next iteration instead).
    fn find_in(&self, d: usize, id: &[u8]) -> Option<usize> {
        let frame = &self.frames[d];
        let start = if d > 0 { frame.index.max(1) } else { frame.index };
        (start..frame.nodes.len()).find(|&i| {
            let node = &frame.nodes[i];
            same_id(node.first_id(), id) && node.in_version(self.version)
        })
    }

    /// Moves frame `d` from its current node to node `to`, reporting mandatory nodes passed over.
    fn skip_to(&mut self, d: usize, to: usize, position: u32, out: &mut Vec<Finding>) {
        let frame = &self.frames[d];
        let from = frame.index;
        for k in from..to.min(frame.mandatory_until) {
            self.report_if_missing(d, k, position, out);
        }
        self.frames[d].index = to;
    }

    #[inline]
    fn report_if_missing(&self, d: usize, k: usize, position: u32, out: &mut Vec<Finding>) {
        let frame = &self.frames[d];
        let node = &frame.nodes[k];
        if node.usage() != Usage::Mandatory {
            return;
        }
        if self.counts[frame.counts_at + k] == 0 && node.in_version(self.version) {
            let id = node.first_id();
            let what = if matches!(node, Node::Loop(_)) { "loop" } else { "segment" };
            out.push(Finding {
                rule: Rule::MandatorySegmentMissing,
                element: None,
                component: None,
                reference: None,
                segment_id: Some(id.to_string()),
                set_position: Some(position),
                message: format!("mandatory {what} {id} is missing from the {} set", self.schema.id),
            });
        }
    }

    /// Closes the innermost open loop (or the body), reporting mandatory nodes it never reached.
    fn close_top(&mut self, position: u32, out: &mut Vec<Finding>) {
        let d = self.frames.len() - 1;
        let frame = &self.frames[d];
        for k in frame.index..frame.mandatory_until {
            self.report_if_missing(d, k, position, out);
        }
        let at = frame.counts_at;
        self.frames.pop();
        self.counts.truncate(at);
    }

    /// Closes every open loop and the body at SE (set position `position`).
    pub fn finish(mut self, position: u32) -> Vec<Finding> {
        let mut out = Vec::new();
        while !self.frames.is_empty() {
            self.close_top(position, &mut out);
        }
        out
    }

    /// Why segment `id` could not be placed: not in the set at all, defined here but already
    /// passed (out of order), or defined elsewhere in the set.
    fn unplaced(&self, id: &[u8]) -> Finding {
        let name = String::from_utf8_lossy(id);
        let set = self.schema.id;
        let passed = self.frames.iter().any(|f| f.nodes[..f.index].iter().any(|n| n.first_id().as_bytes() == id));
        let (rule, message) = if !self.schema.uses(id) {
            (Rule::SegmentNotInSet, format!("segment {name} is not defined in the {set} set"))
        } else if passed {
            (Rule::SegmentOutOfOrder, format!("segment {name} is out of order in the {set} set"))
        } else {
            (Rule::UnexpectedSegment, format!("segment {name} is not expected at this place in the {set} set"))
        };
        Finding::segment(rule, message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::sets;

    /// Places each segment id and returns (rule, missing segment id) findings and loop paths.
    fn walk(schema: &'static SetSchema, ids: &[&str]) -> (Vec<(Rule, Option<String>)>, Vec<String>) {
        let mut s = Structure::new(schema, Version::V4010);
        let (mut found, mut paths, mut open) = (Vec::new(), Vec::new(), Vec::<&str>::new());
        for (n, id) in ids.iter().enumerate() {
            let mut out = Vec::new();
            let p = s.place(id.as_bytes(), n as u32 + 2, &mut out);
            open.truncate(p.kept);
            open.extend(p.opened);
            paths.push(format!("{id}@{}", open.join("/")));
            found.extend(out.into_iter().map(|f| (f.rule, f.segment_id)));
        }
        found.extend(s.finish(ids.len() as u32 + 2).into_iter().map(|f| (f.rule, f.segment_id)));
        (found, paths)
    }

    #[test]
    fn loops_open_and_close() {
        let (found, paths) =
            walk(&sets::PO850, &["BEG", "REF", "N1", "N3", "N4", "N1", "PO1", "PID", "PO4", "PO1", "CTT", "AMT"]);
        assert_eq!(found, []);
        assert_eq!(
            paths,
            [
                "BEG@",
                "REF@",
                "N1@N1",
                "N3@N1",
                "N4@N1",
                "N1@N1",
                "PO1@PO1",
                "PID@PO1/PID",
                "PO4@PO1",
                "PO1@PO1",
                "CTT@CTT",
                "AMT@CTT"
            ]
        );
    }

    #[test]
    fn missing_out_of_order_unknown_and_repeats() {
        let (found, _) = walk(&sets::PO850, &["REF", "PO1", "BEG", "ZZZ", "PO1", "CTT", "CTT"]);
        let rules: Vec<Rule> = found.iter().map(|f| f.0).collect();
        assert_eq!(
            rules,
            [Rule::MandatorySegmentMissing, Rule::SegmentOutOfOrder, Rule::SegmentNotInSet, Rule::LoopRepeatExceeded,]
        );
        assert_eq!(found[0].1.as_deref(), Some("BEG"));
    }

    #[test]
    fn missing_mandatory_loop_is_reported_at_the_end() {
        let (found, _) = walk(&sets::PO850, &["BEG", "CTT"]);
        assert_eq!(found, [(Rule::MandatorySegmentMissing, Some("PO1".into()))]);
        let (found, _) = walk(&sets::FA997, &[]);
        assert_eq!(
            found,
            [(Rule::MandatorySegmentMissing, Some("AK1".into())), (Rule::MandatorySegmentMissing, Some("AK9".into()))]
        );
    }

    #[test]
    fn segment_repeat_over_max() {
        let (found, _) = walk(&sets::PO850, &["BEG", "BEG", "PO1"]);
        assert_eq!(found, [(Rule::SegmentRepeatExceeded, None)]);
        let (found, _) = walk(&sets::FA997, &["AK1", "AK2", "AK5", "AK2", "AK9"]);
        assert_eq!(found, [(Rule::MandatorySegmentMissing, Some("AK5".into()))]);
    }

    #[test]
    fn hl_loops_repeat_flat_and_nested_loops_close() {
        let (found, paths) =
            walk(&sets::SH856, &["BSN", "HL", "TD1", "N1", "N3", "HL", "PRF", "HL", "LIN", "SN1", "CTT"]);
        assert_eq!(found, []);
        assert_eq!(paths[4], "N3@HL/N1");
        assert_eq!(paths[5], "HL@HL");
        assert_eq!(paths[10], "CTT@");
    }

    #[test]
    fn unexpected_segment_defined_elsewhere() {
        // ACK belongs to the 855 PO1 loop only; in the header it is not expected.
        let (found, _) = walk(&sets::PR855, &["BAK", "ACK"]);
        assert_eq!(found, [(Rule::UnexpectedSegment, None)]);
    }
}
