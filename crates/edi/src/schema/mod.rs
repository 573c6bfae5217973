//! Table-driven transaction-set schemas: data types, element and segment definitions, syntax
//! notes, and the checker that applies them to the segments of one set. Tables exist for the 850
//! (header and line segments) and the 997.

mod checker;
mod types;
mod x850;
mod x997;

pub use checker::{Finding, SCHEMAS, SetChecker, check_segment};
pub use types::{DataType, ElementDef, SegmentDef, SetSchema, SyntaxNote, Usage};
pub use x850::PO850;
pub use x997::FA997;
