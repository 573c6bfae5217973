//! Errors and warnings: an [`Issue`] names the broken [`Rule`] and where it broke (control numbers,
//! segment index and id, element and component); [`EdiError`] is what a reader returns.

use crate::rule::{Rule, X12Code};
use serde::Serialize;
use std::fmt;

/// Whether an issue rejects the input or only reports a tolerated deviation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

/// Where in an input an issue was found. Control numbers are the raw element text as received.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Position {
    /// ISA13 of the enclosing interchange.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub interchange: Option<String>,
    /// GS06 of the enclosing functional group.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    /// ST02 of the enclosing transaction set.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub set: Option<String>,
    /// 0-based index of the segment in the input (the first ISA is 0).
    pub segment_index: u64,
    /// 1-based position of the segment within its transaction set (ST is 1), as AK3/IK3 report it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub set_position: Option<u32>,
    /// The segment id, e.g. `SE`.
    pub segment_id: String,
    /// 1-based element position (e.g. 1 for SE01).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub element: Option<u16>,
    /// 1-based component position within a composite element.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub component: Option<u16>,
    /// Byte offset of the segment's first byte in the input.
    pub byte_offset: u64,
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "segment {} ({}",
            self.segment_index,
            if self.segment_id.is_empty() { "?" } else { &self.segment_id }
        )?;
        if let Some(e) = self.element {
            write!(f, "{e:02}")?;
            if let Some(c) = self.component {
                write!(f, "-{c}")?;
            }
        }
        write!(f, ") at byte {}", self.byte_offset)?;
        if let Some(i) = &self.interchange {
            write!(f, ", interchange {i}")?;
        }
        if let Some(g) = &self.group {
            write!(f, ", group {g}")?;
        }
        if let Some(s) = &self.set {
            write!(f, ", set {s}")?;
        }
        Ok(())
    }
}

/// One broken rule at one position, with a human message and the X12 code that reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Issue {
    pub rule: Rule,
    pub severity: Severity,
    pub position: Position,
    /// Lower-case message without trailing punctuation, e.g. `SE01 is 12 but the set has 9 segments`.
    pub message: String,
    pub x12_code: X12Code,
}

impl Issue {
    /// A new issue; the X12 code is taken from the rule.
    pub fn new(rule: Rule, severity: Severity, position: Position, message: impl Into<String>) -> Self {
        Issue { rule, severity, position, message: message.into(), x12_code: rule.x12_code() }
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

impl fmt::Display for Issue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let level = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        write!(f, "{level}[{}]: {} at {}", self.rule, self.message, self.position)
    }
}

/// What reading X12 can fail with. Rule violations that still allow reading on are reported as
/// [`Issue`]s in a report instead.
#[derive(Debug, thiserror::Error)]
pub enum EdiError {
    /// The underlying reader failed.
    #[error("reading input failed")]
    Io(#[from] std::io::Error),
    /// The input cannot be read on: no ISA, unusable delimiters, or a segment over the size limit.
    /// The first issue is the cause; any others were found in the same segment before it.
    #[error("{}", .0.first().map(ToString::to_string).unwrap_or_default())]
    Fatal(Vec<Issue>),
}

impl EdiError {
    /// The issue behind a fatal error, if it is one.
    pub fn issue(&self) -> Option<&Issue> {
        match self {
            EdiError::Fatal(issues) => issues.first(),
            EdiError::Io(_) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_names_rule_position_and_control_numbers() {
        let position = Position {
            interchange: Some("000000001".into()),
            group: Some("1".into()),
            set: Some("0001".into()),
            segment_index: 7,
            set_position: Some(5),
            segment_id: "SE".into(),
            element: Some(1),
            component: None,
            byte_offset: 300,
        };
        let issue = Issue::new(Rule::SeSegmentCount, Severity::Error, position, "SE01 is 4 but the set has 5 segments");
        assert_eq!(
            issue.to_string(),
            "error[se-segment-count]: SE01 is 4 but the set has 5 segments at segment 7 (SE01) at byte 300, \
             interchange 000000001, group 1, set 0001"
        );
        assert_eq!(issue.x12_code, X12Code::Set("4"));
    }
}
