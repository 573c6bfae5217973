//! Envelope validation (ISA/IEA, GS/GE, ST/SE) in strict or lenient mode, over a buffer or a
//! stream, producing a [`Report`] of issues and per-interchange summaries.

mod sets;
mod summary;
mod text;
mod validator;

pub use summary::{Acceptance, ElementFault, GroupSummary, InterchangeSummary, SegmentFault, SetSummary};
pub use validator::Validator;

use crate::error::{EdiError, Issue, Severity};
use crate::reader::SegmentReader;
use crate::tokenizer::Segments;
use serde::Serialize;
use std::io::Read;

/// How strictly to apply the rules.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// Every rule is an error.
    #[default]
    Strict,
    /// Common deviations (short ISA fields, wrong counts or control numbers, a missing ISA16, a
    /// multi-byte terminator) are warnings naming the rule.
    Lenient,
}

/// The outcome of validating one input.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub mode: Mode,
    pub issues: Vec<Issue>,
    pub interchanges: Vec<InterchangeSummary>,
    pub segments: u64,
}

impl Report {
    /// True when no issue is an error.
    pub fn is_valid(&self) -> bool {
        !self.issues.iter().any(Issue::is_error)
    }

    pub fn errors(&self) -> impl Iterator<Item = &Issue> {
        self.issues.iter().filter(|i| i.severity == Severity::Error)
    }

    pub fn warnings(&self) -> impl Iterator<Item = &Issue> {
        self.issues.iter().filter(|i| i.severity == Severity::Warning)
    }
}

fn into_report(mode: Mode, v: Validator, fatal: Option<Vec<Issue>>, last: Option<(u64, u64)>) -> Report {
    let segments = v.segments();
    if let Some(fatal) = fatal {
        let (mut issues, interchanges) = v.finish_fatal();
        issues.extend(fatal);
        return Report { mode, issues, interchanges, segments };
    }
    let (issues, interchanges) = v.finish(last);
    Report { mode, issues, interchanges, segments }
}

/// Validates the syntax and envelopes of an in-memory input.
pub fn validate(input: &[u8], mode: Mode) -> Report {
    run(input, mode, Validator::new(mode))
}

/// Validates syntax and envelopes, and the sets that have a schema against it.
pub fn validate_with_schemas(input: &[u8], mode: Mode) -> Report {
    run(input, mode, Validator::new(mode).with_schemas())
}

fn run(input: &[u8], mode: Mode, mut v: Validator) -> Report {
    let mut last = None;
    for seg in Segments::new(input) {
        match seg {
            Ok(seg) => {
                last = Some((seg.index() + 1, seg.offset() + seg.raw().len() as u64));
                v.segment(&seg);
            }
            Err(EdiError::Fatal(issues)) => return into_report(mode, v, Some(issues), last),
            Err(EdiError::Io(_)) => return into_report(mode, v, None, last),
        }
    }
    into_report(mode, v, None, last)
}

/// Validates a stream with bounded memory; only reading the input can fail.
pub fn validate_reader<R: Read>(input: R, mode: Mode) -> Result<Report, std::io::Error> {
    stream(input, mode, Validator::new(mode))
}

/// Validates a stream against envelopes and schemas with bounded memory.
pub fn validate_reader_with_schemas<R: Read>(input: R, mode: Mode) -> Result<Report, std::io::Error> {
    stream(input, mode, Validator::new(mode).with_schemas())
}

fn stream<R: Read>(input: R, mode: Mode, mut v: Validator) -> Result<Report, std::io::Error> {
    let mut reader = SegmentReader::new(input);
    let mut last = None;
    loop {
        match reader.next_segment() {
            Ok(Some(seg)) => {
                last = Some((seg.index() + 1, seg.offset() + seg.raw().len() as u64));
                v.segment(&seg);
            }
            Ok(None) => return Ok(into_report(mode, v, None, last)),
            Err(EdiError::Io(e)) => return Err(e),
            Err(EdiError::Fatal(issues)) => return Ok(into_report(mode, v, Some(issues), last)),
        }
    }
}
