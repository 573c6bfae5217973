//! ANSI X12 for crossdock: a zero-copy streaming tokenizer, envelope validation (ISA/IEA, GS/GE,
//! ST/SE) in strict and lenient modes, table-driven schemas for the retail and warehouse sets,
//! 997/999/TA1 acknowledgements, a writer, a parsed tree with loops, mappings between X12 and the
//! canonical model, acknowledgement reconciliation and trading-partner configuration. No IO beyond
//! `std::io::Read` and `std::io::Write`.
//!
//! What the CLI and server call:
//! - validate: [`validate`], [`validate_with_schemas`], [`validate_reader_with_schemas`] → [`Report`]
//! - parse to JSON: [`parse`] → [`Document`] (serde)
//! - acknowledge: [`acknowledge`] (997/999 + TA1 for a [`Report`])
//! - to canonical: [`to_canonical`] / [`map_reader`] → [`Mapped`] per set
//! - from canonical: the builders in [`outbound`], enveloped by [`write_interchange`]
//! - reconcile: [`reconcile::read_acks`] and [`reconcile::reconcile`]
//! - partners: [`EdiConfig::check`], [`EdiConfig::envelope`]
//! - receive and send (pure half): [`pipeline::plan_inbound`], [`pipeline::documents_for_event`]

mod ack;
mod bench;
mod binary;
mod delimiters;
mod document;
mod envelope;
mod error;
mod isa;
pub mod map;
pub mod outbound;
mod partner;
pub mod pipeline;
mod reader;
pub mod reconcile;
mod rule;
pub mod schema;
mod segment;
mod tokenizer;
mod tree;
mod writer;

pub use ack::{AckKind, AckOptions, acknowledge, functional_ack, reply_segments, ta1, ta1_codes};
pub use bench::{BenchReport, Pass, bench, generate, validate_and_map, write_generated};
pub use delimiters::{Delimiters, Terminator};
pub use document::{Element, OwnedSegment, read_segments};
pub use envelope::{
    Acceptance, ElementFault, GroupSummary, InterchangeSummary, Mode, Report, SegmentFault, SetSummary, Validator,
    validate, validate_reader, validate_reader_with_schemas, validate_with_schemas,
};
pub use error::{EdiError, Issue, Position, Severity};
pub use isa::{ISA_LEN, ISA_WIDTHS, IsaFinding, check_isa, isa_element_ta1_code};
pub use map::{Canonical, InboundOptions, MapError, MapErrors, Mapped, map_reader, map_set, to_canonical};
pub use outbound::{Envelope, OutboundError, OutboundOptions, OutboundSet, write_interchange};
pub use partner::{AckConfig, ConfigError, DelimiterConfig, EdiConfig, LocalIds, OUTBOUND_DOCUMENTS, PartnerConfig};
pub use reader::{CHUNK_SIZE, DEFAULT_MAX_SEGMENT, SegmentReader};
pub use rule::{Rule, X12Code};
pub use segment::Segment;
pub use tokenizer::Segments;
pub use tree::{Document, Group, Interchange, LoopNode, SegmentNode, TransactionSet, TreeNode, parse};
pub use writer::{ControlNumbers, WriteError, Writer, fixed_width, write_to_vec};
