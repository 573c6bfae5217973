//! The vocabulary of schemas: X12 data types, element and segment definitions, syntax notes.

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

/// Whether an element must be present.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Usage {
    Mandatory,
    Optional,
}

/// One element (or component) of a segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ElementDef {
    /// Data element reference number (e.g. 479).
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

/// One segment's definition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SegmentDef {
    pub id: &'static str,
    pub elements: &'static [ElementDef],
    pub notes: &'static [SyntaxNote],
}

/// A transaction set's definition: the segments it checks and those it requires.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SetSchema {
    /// ST01, e.g. `850`.
    pub id: &'static str,
    /// GS08 prefixes this schema applies to (e.g. `004010`); empty for any version.
    pub versions: &'static [&'static str],
    pub segments: &'static [SegmentDef],
    /// Segment ids every set must contain, besides ST and SE.
    pub mandatory: &'static [&'static str],
}

impl SetSchema {
    pub fn segment(&self, id: &[u8]) -> Option<&'static SegmentDef> {
        self.segments.iter().find(|s| s.id.as_bytes() == id)
    }
}

/// Shorthand for element definitions in tables.
pub const fn el(reference: u16, data_type: DataType, min: u16, max: u16, usage: Usage) -> ElementDef {
    ElementDef { reference, data_type, min, max, usage, codes: &[] }
}

/// Shorthand for an ID element with a checked code list.
pub const fn id(reference: u16, min: u16, max: u16, usage: Usage, codes: &'static [&'static str]) -> ElementDef {
    ElementDef { reference, data_type: DataType::Id, min, max, usage, codes }
}
