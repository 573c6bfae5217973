//! ANSI X12 for crossdock: a zero-copy streaming tokenizer, envelope validation (ISA/IEA, GS/GE,
//! ST/SE) in strict and lenient modes, 997/999/TA1 acknowledgements and a writer. No IO beyond
//! `std::io::Read` and `std::io::Write`.

mod delimiters;
mod error;
mod isa;
mod reader;
mod rule;
mod segment;
mod tokenizer;

pub use delimiters::{Delimiters, Terminator};
pub use error::{EdiError, Issue, Position, Severity};
pub use isa::{ISA_LEN, ISA_WIDTHS, IsaFinding, check_isa, isa_element_ta1_code};
pub use reader::{CHUNK_SIZE, DEFAULT_MAX_SEGMENT, SegmentReader};
pub use rule::{Rule, X12Code};
pub use segment::Segment;
pub use tokenizer::Segments;
mod envelope;
pub mod schema;

pub use envelope::{
    Acceptance, ElementFault, GroupSummary, InterchangeSummary, Mode, Report, SegmentFault, SetSummary, Validator,
    validate, validate_reader, validate_with_schemas,
};
mod ack;
mod document;
mod writer;

pub use ack::{AckKind, AckOptions, acknowledge, functional_ack, reply_segments, ta1, ta1_codes};
pub use document::{Element, OwnedSegment, read_segments};
pub use writer::{ControlNumbers, WriteError, Writer, fixed_width, write_to_vec};
mod bench;

pub use bench::{BenchReport, Pass, bench, generate};
