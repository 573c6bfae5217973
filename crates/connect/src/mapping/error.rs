//! Errors of compiling and running jq mappings; each names the mapping's origin (its file).

use std::fmt;

/// One problem found in a mapping's source, at a 1-based line and column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl Diagnostic {
    /// A diagnostic at the byte `offset` of `source`.
    pub(crate) fn at(source: &str, offset: usize, message: impl Into<String>) -> Self {
        let (line, column) = line_column(source, offset);
        Self { line, column, message: message.into() }
    }

    /// A diagnostic at the start of `part`, a slice of `source` (or at its end if `part` lies elsewhere).
    pub(crate) fn at_slice(source: &str, part: &str, message: impl Into<String>) -> Self {
        Self::at(source, offset_of(source, part), message)
    }
}

/// 1-based line and column (in characters) of the byte `offset` of `source`.
pub(crate) fn line_column(source: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(source.len());
    while !source.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &source[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, before[line_start..].chars().count() + 1)
}

/// Byte offset of `part` in `source` when `part` is a slice of it; else the end of `source`.
pub(crate) fn offset_of(source: &str, part: &str) -> usize {
    let start = source.as_ptr() as usize;
    let at = part.as_ptr() as usize;
    if at >= start && at <= start + source.len() { at - start } else { source.len() }
}

/// Why a mapping could not be compiled or run.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MappingError {
    /// The source does not lex, parse or compile, or it is refused as unsafe to run.
    #[error("{}", CompileDisplay(origin, diagnostics))]
    Compile { origin: String, diagnostics: Vec<Diagnostic> },
    /// The mapping file could not be read.
    #[error("{origin}: cannot read the mapping: {message}")]
    Read { origin: String, message: String },
    /// The mapping ran past its wall-clock limit and was stopped.
    #[error("{origin}: mapping stopped after {limit_ms} ms: time limit exceeded")]
    Timeout { origin: String, limit_ms: u64 },
    /// The mapping took more evaluation steps than allowed and was stopped.
    #[error("{origin}: mapping stopped after {limit} evaluation steps: step limit exceeded")]
    StepLimit { origin: String, limit: u64 },
    /// The jq program raised an error (`error(...)`, a type error, `halt`).
    #[error("{origin}: {message}")]
    Runtime { origin: String, message: String },
    /// The input could not be handed to the mapping.
    #[error("{origin}: input {message}")]
    Input { origin: String, message: String },
    /// An output is not JSON, or the outputs are too many or too large.
    #[error("{origin}: output {message}")]
    Output { origin: String, message: String },
    /// The mapping produced no value where one was required.
    #[error("{origin}: the mapping produced no output")]
    NoOutput { origin: String },
    /// The mapping produced several values where at most one was expected (one command per message).
    #[error("{origin}: the mapping produced {count} outputs; one command is expected")]
    TooManyOutputs { origin: String, count: usize },
    /// The thread running the mapping could not be started or failed (not a panic of the interpreter on
    /// this program and input: that is a [`Self::Runtime`] error).
    #[error("{origin}: mapping worker failed: {message}")]
    Worker { origin: String, message: String },
}

impl MappingError {
    /// The origin (file name) of the mapping this error is about.
    pub fn origin(&self) -> &str {
        match self {
            Self::Compile { origin, .. }
            | Self::Read { origin, .. }
            | Self::Timeout { origin, .. }
            | Self::StepLimit { origin, .. }
            | Self::Runtime { origin, .. }
            | Self::Input { origin, .. }
            | Self::Output { origin, .. }
            | Self::NoOutput { origin }
            | Self::TooManyOutputs { origin, .. }
            | Self::Worker { origin, .. } => origin,
        }
    }

    /// Whether running again later may succeed: a time-out (the limit counts the wait for a free worker,
    /// so it also trips under load) or a worker that failed. Every other error comes from the program and
    /// its input and would repeat.
    pub fn is_retryable(&self) -> bool {
        matches!(self, Self::Timeout { .. } | Self::Worker { .. })
    }

    /// The source positions of a compile error (empty for other errors).
    pub fn diagnostics(&self) -> &[Diagnostic] {
        match self {
            Self::Compile { diagnostics, .. } => diagnostics,
            _ => &[],
        }
    }
}

struct CompileDisplay<'a>(&'a str, &'a [Diagnostic]);

impl fmt::Display for CompileDisplay<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let CompileDisplay(origin, diagnostics) = self;
        if diagnostics.is_empty() {
            return write!(f, "{origin}: the mapping does not compile");
        }
        for (i, d) in diagnostics.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{origin}:{}:{}: {}", d.line, d.column, d.message)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_are_one_based_lines_and_character_columns() {
        let source = "a\nbé|c\n";
        assert_eq!(line_column(source, 0), (1, 1));
        assert_eq!(line_column(source, 2), (2, 1));
        assert_eq!(line_column(source, 5), (2, 3));
        assert_eq!(line_column(source, 4), (2, 2), "inside a character: back to its start");
        assert_eq!(line_column(source, 99), (3, 1));
        assert_eq!(offset_of(source, &source[3..]), 3);
        assert_eq!(offset_of(source, "elsewhere"), source.len());
    }

    #[test]
    fn compile_errors_list_every_position() {
        let e = MappingError::Compile {
            origin: "m.jq".into(),
            diagnostics: vec![
                Diagnostic { line: 1, column: 2, message: "expected term".into() },
                Diagnostic { line: 3, column: 4, message: "undefined filter `x/0`".into() },
            ],
        };
        assert_eq!(e.to_string(), "m.jq:1:2: expected term; m.jq:3:4: undefined filter `x/0`");
        assert_eq!(e.origin(), "m.jq");
    }
}
