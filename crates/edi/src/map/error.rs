//! Mapping errors: each names the set, and where it can the segment (input index and id) and the
//! element position at fault.

use crate::tree::{SegmentNode, TransactionSet};
use serde::Serialize;
use std::fmt;

/// One reason a set could not be mapped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MapError {
    /// ST01 and ST02 of the set.
    pub set: String,
    pub control: String,
    /// 0-based index of the segment in the input, and its id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub segment_index: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub segment_id: Option<String>,
    /// 1-based element position.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub element: Option<u16>,
    /// Lower-case, without trailing punctuation.
    pub message: String,
}

impl fmt::Display for MapError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}: ", self.set, self.control)?;
        if let (Some(index), Some(id)) = (self.segment_index, &self.segment_id) {
            write!(f, "segment {index} ({id}")?;
            if let Some(e) = self.element {
                write!(f, "{e:02}")?;
            }
            write!(f, "): ")?;
        }
        f.write_str(&self.message)
    }
}

impl std::error::Error for MapError {}

/// Every reason a set could not be mapped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct MapErrors(pub Vec<MapError>);

impl fmt::Display for MapErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let lines: Vec<String> = self.0.iter().map(ToString::to_string).collect();
        f.write_str(&lines.join("\n"))
    }
}

impl std::error::Error for MapErrors {}

/// Collects errors while mapping one set.
pub(crate) struct Errors<'a> {
    set: &'a TransactionSet,
    pub(crate) list: Vec<MapError>,
}

impl<'a> Errors<'a> {
    pub(crate) fn new(set: &'a TransactionSet) -> Self {
        Errors { set, list: Vec::new() }
    }

    /// An error about element `element` (0 for the whole segment) of `seg`.
    pub(crate) fn at(&mut self, seg: &SegmentNode, element: u16, message: impl Into<String>) {
        self.list.push(MapError {
            set: self.set.id.clone(),
            control: self.set.control.clone(),
            segment_index: Some(seg.index),
            segment_id: Some(seg.name()),
            element: (element > 0).then_some(element),
            message: message.into(),
        });
    }

    /// An error about the set as a whole.
    pub(crate) fn set(&mut self, message: impl Into<String>) {
        self.list.push(MapError {
            set: self.set.id.clone(),
            control: self.set.control.clone(),
            segment_index: None,
            segment_id: None,
            element: None,
            message: message.into(),
        });
    }

    /// `value` when no error was collected, else the errors.
    pub(crate) fn finish<T>(self, value: Option<T>) -> Result<T, MapErrors> {
        match value {
            Some(v) if self.list.is_empty() => Ok(v),
            _ if self.list.is_empty() => Err(MapErrors(vec![MapError {
                set: self.set.id.clone(),
                control: self.set.control.clone(),
                segment_index: None,
                segment_id: None,
                element: None,
                message: "the set could not be mapped".into(),
            }])),
            _ => Err(MapErrors(self.list)),
        }
    }
}
