//! Table-driven transaction-set schemas for 004010 and 005010: the segment dictionary, the loop
//! structure of the 850, 855, 856, 810, 846, 940, 945, 997 and 999, and the checker that applies
//! them (segment order, loops, repeats, element types and lengths, code lists, syntax notes).

mod checker;
pub mod codes;
mod element;
pub mod segments;
pub mod sets;
mod structure;
mod types;

pub use checker::{Checked, SetChecker, schema_for};
pub use element::{Finding, check_segment, check_value, is_date, is_time};
pub use sets::{FA997, FA999, IB846, IN810, OW940, PO850, PR855, SH856, SW945};
pub use structure::{Placement, Structure};
pub use types::{
    DataType, ElementDef, LoopDef, MANY, Node, SegmentDef, SegmentUse, SetSchema, SyntaxNote, Usage, Version,
};

/// Every schema this crate knows.
pub const SCHEMAS: &[&SetSchema] = &[&PO850, &PR855, &SH856, &IN810, &IB846, &OW940, &SW945, &FA997, &FA999];
