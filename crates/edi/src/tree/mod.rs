//! The parsed form of an input: interchanges, groups and transaction sets, with each set's
//! segments nested in the loops of its schema (HL loops nested by their parent ids, as the 856
//! hierarchy reads). Serializes to JSON for `crossdock edi parse --json`; the mappings read it.

mod build;
mod json;

pub(crate) use build::Builder;
pub use build::parse;

use crate::delimiters::Delimiters;
use crate::document::OwnedSegment;
use crate::segment::Segment;
use serde::Serialize;

/// A segment with where it was found: its bytes (without terminator) and the delimiters they
/// were written with, split into elements only when read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SegmentNode {
    /// 0-based index of the segment in the input (the first ISA is 0).
    pub index: u64,
    /// 1-based position within its transaction set (ST is 1); 0 outside sets.
    pub position: u32,
    raw: Vec<u8>,
    delimiters: Delimiters,
}

impl SegmentNode {
    pub(crate) fn new(seg: &Segment<'_>, position: u32) -> Self {
        SegmentNode { index: seg.index(), position, raw: seg.raw().to_vec(), delimiters: seg.delimiters() }
    }

    /// The borrowed segment over this node's bytes.
    pub fn view(&self) -> Segment<'_> {
        Segment::parse(&self.raw, self.delimiters)
    }

    /// The segment split into elements, repetitions and components.
    pub fn segment(&self) -> OwnedSegment {
        OwnedSegment::from_segment(&self.view())
    }

    pub fn id(&self) -> &[u8] {
        self.view().id()
    }

    pub fn is(&self, id: &str) -> bool {
        self.id() == id.as_bytes()
    }

    /// The segment id as text.
    pub fn name(&self) -> String {
        String::from_utf8_lossy(self.id()).into_owned()
    }

    /// Element `n` (1-based) as text, first repetition and component, trimmed; empty when absent.
    pub fn text(&self, n: usize) -> String {
        self.component(n, 1)
    }

    /// Component `c` (1-based) of the first repetition of element `n`, trimmed; empty when absent.
    pub fn component(&self, n: usize, c: usize) -> String {
        let view = self.view();
        let Some(element) = view.element(n) else { return String::new() };
        self.part(element, c, view.is(b"ISA"))
    }

    /// Elements 1 to `last` (fewer when the segment has fewer) as [`SegmentNode::text`] reads them,
    /// splitting the segment once: reading many elements one `text` call at a time walks the
    /// segment again for each.
    pub fn texts(&self, last: usize) -> Vec<String> {
        let view = self.view();
        let is_isa = view.is(b"ISA");
        view.elements().take(last).map(|e| self.part(e, 1, is_isa)).collect()
    }

    /// Component `c` (1-based) of the first repetition of `element`, trimmed; empty when absent.
    fn part(&self, element: &[u8], c: usize, is_isa: bool) -> String {
        let first = match self.delimiters.repetition {
            Some(r) if !is_isa => element.split(|b| *b == r).next().unwrap_or_default(),
            _ => element,
        };
        let part = match self.delimiters.component {
            Some(s) if !is_isa => c.checked_sub(1).and_then(|i| first.split(|b| *b == s).nth(i)),
            _ => (c == 1).then_some(first),
        };
        part.map(|b| String::from_utf8_lossy(b).trim().to_string()).unwrap_or_default()
    }

    /// The number of elements after the id.
    pub fn element_count(&self) -> usize {
        self.view().element_count()
    }
}

/// A loop iteration and what it holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LoopNode {
    /// The loop's name, its first segment's id (`N1`, `PO1`, `HL`).
    #[serde(rename = "loop")]
    pub id: String,
    pub children: Vec<TreeNode>,
}

/// A segment or a loop inside a set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum TreeNode {
    Segment(SegmentNode),
    Loop(LoopNode),
}

impl LoopNode {
    /// The segments directly in this loop iteration.
    pub fn segments(&self) -> impl Iterator<Item = &SegmentNode> {
        self.children.iter().filter_map(|c| match c {
            TreeNode::Segment(s) => Some(s),
            TreeNode::Loop(_) => None,
        })
    }

    /// The loops directly in this loop iteration named `id`.
    pub fn loops<'a>(&'a self, id: &'a str) -> impl Iterator<Item = &'a LoopNode> + 'a {
        loops_in(&self.children, id)
    }

    /// The first segment directly in this loop with id `id`.
    pub fn first(&self, id: &str) -> Option<&SegmentNode> {
        self.segments().find(|s| s.is(id))
    }

    /// The loop's first segment.
    pub fn head(&self) -> Option<&SegmentNode> {
        self.segments().next()
    }
}

fn loops_in<'a>(nodes: &'a [TreeNode], id: &'a str) -> impl Iterator<Item = &'a LoopNode> + 'a {
    nodes.iter().filter_map(move |c| match c {
        TreeNode::Loop(l) if l.id == id => Some(l),
        _ => None,
    })
}

/// One transaction set, ST through SE.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TransactionSet {
    /// ST01.
    pub id: String,
    /// ST02.
    pub control: String,
    /// Whether the body was placed in the loops of a schema (otherwise it is flat).
    pub schema: bool,
    pub header: SegmentNode,
    pub body: Vec<TreeNode>,
    pub trailer: Option<SegmentNode>,
}

impl TransactionSet {
    /// The segments directly in the set body (not in loops).
    pub fn segments(&self) -> impl Iterator<Item = &SegmentNode> {
        self.body.iter().filter_map(|c| match c {
            TreeNode::Segment(s) => Some(s),
            TreeNode::Loop(_) => None,
        })
    }

    /// The first segment directly in the set body with id `id`.
    pub fn first(&self, id: &str) -> Option<&SegmentNode> {
        self.segments().find(|s| s.is(id))
    }

    /// The loops directly in the set body named `id`.
    pub fn loops<'a>(&'a self, id: &'a str) -> impl Iterator<Item = &'a LoopNode> + 'a {
        loops_in(&self.body, id)
    }

    /// Every segment of the set body, depth first, in input order.
    pub fn all_segments(&self) -> Vec<&SegmentNode> {
        let mut out = Vec::new();
        collect(&self.body, &mut out);
        out.sort_by_key(|s| s.index);
        out
    }
}

fn collect<'a>(nodes: &'a [TreeNode], out: &mut Vec<&'a SegmentNode>) {
    for n in nodes {
        match n {
            TreeNode::Segment(s) => out.push(s),
            TreeNode::Loop(l) => collect(&l.children, out),
        }
    }
}

/// One functional group, GS through GE.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Group {
    /// GS01, GS06 and GS08.
    pub functional_id: String,
    pub control: String,
    pub version: String,
    pub header: Option<SegmentNode>,
    pub sets: Vec<TransactionSet>,
    pub trailer: Option<SegmentNode>,
}

/// One interchange, ISA through IEA.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Interchange {
    /// ISA13.
    pub control: String,
    pub delimiters: Delimiters,
    pub header: SegmentNode,
    pub groups: Vec<Group>,
    /// Segments directly in the interchange that are not groups (TA1, or stray segments).
    pub other: Vec<SegmentNode>,
    pub trailer: Option<SegmentNode>,
}

/// A parsed input.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Document {
    pub interchanges: Vec<Interchange>,
}

impl Document {
    /// Every transaction set in the input, in order, with the version (GS08) of its group.
    pub fn sets(&self) -> impl Iterator<Item = (&Group, &TransactionSet)> {
        self.interchanges.iter().flat_map(|i| i.groups.iter()).flat_map(|g| g.sets.iter().map(move |s| (g, s)))
    }
}
