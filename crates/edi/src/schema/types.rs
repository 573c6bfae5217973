//! The vocabulary of schemas: X12 data types, element and segment definitions, syntax notes, and
//! the loop structure (segment and loop uses with usage and maximum repeats) of a transaction set.

/// X12 simple data element types.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DataType {
    /// AN: string.
    An,
    /// ID: identifier from a code list.
    Id,
    /// Nn: integer with n implied decimal places.
    N(u8),
    /// R: decimal number.
    R,
    /// DT: date, CCYYMMDD (or YYMMDD when the maximum length is 6).
    Dt,
    /// TM: time, HHMM[SS[d..d]].
    Tm,
    /// A composite of component elements.
    Composite(&'static [ElementDef]),
}

/// Whether an element, segment or loop must be present.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Usage {
    /// M: mandatory.
    Mandatory,
    /// O: optional.
    Optional,
    /// X: conditional, required or forbidden by the segment's syntax notes.
    Conditional,
}

/// One element (or component) of a segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ElementDef {
    /// Data element reference number (e.g. 479); 0 for composites.
    pub reference: u16,
    pub data_type: DataType,
    pub min: u16,
    pub max: u16,
    pub usage: Usage,
    /// Allowed codes for ID elements; empty when the list is not checked.
    pub codes: &'static [&'static str],
}

/// A syntax note over 1-based element positions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SyntaxNote {
    /// P: if any is present, all are required.
    Paired(&'static [u8]),
    /// R: at least one is required.
    Required(&'static [u8]),
    /// C: if the first is present, all the others are required.
    Conditional(u8, &'static [u8]),
    /// E: not more than one may be present.
    Exclusion(&'static [u8]),
    /// L: if the first is present, at least one of the others is required.
    ListConditional(u8, &'static [u8]),
}

/// One segment's definition, shared by every set and version that uses the segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SegmentDef {
    pub id: &'static str,
    pub elements: &'static [ElementDef],
    pub notes: &'static [SyntaxNote],
    /// How many of `elements` 004010 defines (the rest were added in 005010); 0 when all.
    pub elements_4010: u8,
    /// Positions after `elements` are accepted unchecked: the table defines only the leading
    /// elements (those the mappings read), not the whole segment.
    pub open: bool,
}

impl SegmentDef {
    /// A segment whose elements are all defined here.
    pub const fn new(id: &'static str, elements: &'static [ElementDef], notes: &'static [SyntaxNote]) -> Self {
        SegmentDef { id, elements, notes, elements_4010: 0, open: false }
    }

    /// A segment with its leading elements defined and the rest accepted unchecked.
    pub const fn leading(id: &'static str, elements: &'static [ElementDef], notes: &'static [SyntaxNote]) -> Self {
        SegmentDef { id, elements, notes, elements_4010: 0, open: true }
    }

    /// A segment known only by id: its place in the structure is checked, its elements are not.
    pub const fn opaque(id: &'static str) -> Self {
        SegmentDef { id, elements: &[], notes: &[], elements_4010: 0, open: true }
    }

    /// Marks the elements after the first `n` as added in 005010.
    pub const fn since_5010_after(mut self, n: u8) -> Self {
        self.elements_4010 = n;
        self
    }

    /// The number of elements defined for a version (GS08 starting with `004` or `005`).
    pub fn element_count(&self, version: Version) -> usize {
        match version {
            Version::V4010 if self.elements_4010 > 0 => usize::from(self.elements_4010),
            _ => self.elements.len(),
        }
    }
}

/// The X12 releases this crate has tables for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
pub enum Version {
    /// 004010 (ISA12 00401).
    V4010,
    /// 005010 (ISA12 00501).
    V5010,
}

impl Version {
    /// The version a GS08 names, when it is one this crate has tables for (`004010`, `004010VICS`,
    /// `005010X231`, …).
    pub fn from_gs08(gs08: &[u8]) -> Option<Version> {
        if gs08.starts_with(b"004010") {
            Some(Version::V4010)
        } else if gs08.starts_with(b"005010") {
            Some(Version::V5010)
        } else {
            None
        }
    }

    /// GS08 for this version without an implementation convention suffix.
    pub fn gs08(self) -> &'static str {
        match self {
            Version::V4010 => "004010",
            Version::V5010 => "005010",
        }
    }

    /// ISA12 for this version.
    pub fn isa12(self) -> &'static str {
        match self {
            Version::V4010 => "00401",
            Version::V5010 => "00501",
        }
    }
}

/// A segment's place in a set or loop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SegmentUse {
    pub def: &'static SegmentDef,
    pub usage: Usage,
    pub max: u32,
    /// Defined at this place only from 005010 on.
    pub only_5010: bool,
}

/// A loop: a sequence of nodes whose first node is the segment that starts each iteration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoopDef {
    /// The loop's name, by convention its first segment's id (`N1`, `PO1`, `HL`).
    pub id: &'static str,
    pub usage: Usage,
    pub max: u32,
    pub nodes: &'static [Node],
    /// One past the last mandatory node: nodes from here on need no check when the loop closes.
    pub mandatory_until: usize,
}

/// One past the index of the last mandatory node of `nodes` (0 when none is mandatory).
pub const fn mandatory_until(nodes: &[Node]) -> usize {
    let mut i = nodes.len();
    while i > 0 {
        let usage = match &nodes[i - 1] {
            Node::Segment(s) => s.usage,
            Node::Loop(l) => l.usage,
        };
        if matches!(usage, Usage::Mandatory) {
            return i;
        }
        i -= 1;
    }
    0
}

/// A node of a set's structure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Node {
    Segment(SegmentUse),
    Loop(LoopDef),
}

impl Node {
    /// The id of the segment that this node starts with.
    #[inline]
    pub fn first_id(&self) -> &'static str {
        match self {
            Node::Segment(s) => s.def.id,
            Node::Loop(l) => l.nodes.first().map_or("", Node::first_id),
        }
    }

    pub fn usage(&self) -> Usage {
        match self {
            Node::Segment(s) => s.usage,
            Node::Loop(l) => l.usage,
        }
    }

    pub fn max(&self) -> u32 {
        match self {
            Node::Segment(s) => s.max,
            Node::Loop(l) => l.max,
        }
    }

    /// Whether this node may be used in `version`.
    pub fn in_version(&self, version: Version) -> bool {
        !matches!(self, Node::Segment(s) if s.only_5010 && version == Version::V4010)
    }
}

/// A transaction set's definition: its id, functional group and structure between ST and SE.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SetSchema {
    /// ST01, e.g. `850`.
    pub id: &'static str,
    /// GS01 of groups carrying this set, e.g. `PO`.
    pub functional_id: &'static str,
    pub name: &'static str,
    /// Versions the structure applies to.
    pub versions: &'static [Version],
    /// The nodes between ST and SE, in order.
    pub body: &'static [Node],
}

impl SetSchema {
    /// The first definition of segment `id` anywhere in the structure.
    pub fn segment(&self, id: &[u8]) -> Option<&'static SegmentDef> {
        find_def(self.body, id)
    }

    /// Whether the structure uses segment `id` anywhere.
    pub fn uses(&self, id: &[u8]) -> bool {
        self.segment(id).is_some()
    }
}

fn find_def(nodes: &'static [Node], id: &[u8]) -> Option<&'static SegmentDef> {
    nodes.iter().find_map(|n| match n {
        Node::Segment(s) if s.def.id.as_bytes() == id => Some(s.def),
        Node::Segment(_) => None,
        Node::Loop(l) => find_def(l.nodes, id),
    })
}

/// Shorthand for element definitions in tables.
pub const fn el(reference: u16, data_type: DataType, min: u16, max: u16, usage: Usage) -> ElementDef {
    ElementDef { reference, data_type, min, max, usage, codes: &[] }
}

/// Shorthand for an ID element with a checked code list.
pub const fn id(reference: u16, min: u16, max: u16, usage: Usage, codes: &'static [&'static str]) -> ElementDef {
    ElementDef { reference, data_type: DataType::Id, min, max, usage, codes }
}

/// Shorthand for a composite element.
pub const fn composite(usage: Usage, components: &'static [ElementDef]) -> ElementDef {
    ElementDef { reference: 0, data_type: DataType::Composite(components), min: 1, max: 1, usage, codes: &[] }
}

/// A mandatory segment used once.
pub const fn m(def: &'static SegmentDef) -> Node {
    Node::Segment(SegmentUse { def, usage: Usage::Mandatory, max: 1, only_5010: false })
}

/// A segment used with `usage` at most `max` times.
pub const fn seg(def: &'static SegmentDef, usage: Usage, max: u32) -> Node {
    Node::Segment(SegmentUse { def, usage, max, only_5010: false })
}

/// An optional segment used at most `max` times.
pub const fn o(def: &'static SegmentDef, max: u32) -> Node {
    seg(def, Usage::Optional, max)
}

/// An optional segment that 005010 added at this place.
pub const fn o5010(def: &'static SegmentDef, max: u32) -> Node {
    Node::Segment(SegmentUse { def, usage: Usage::Optional, max, only_5010: true })
}

/// A loop used with `usage` at most `max` times.
pub const fn lp(id: &'static str, usage: Usage, max: u32, nodes: &'static [Node]) -> Node {
    Node::Loop(LoopDef { id, usage, max, nodes, mandatory_until: mandatory_until(nodes) })
}

/// "Unbounded" as the tables write >1 repeats.
pub const MANY: u32 = 999_999;
