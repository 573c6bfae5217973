//! `map_test`: run one mapping file on one input file and compare with an expected output, for
//! `crossdock map test MAPPING --input IN.json [--expect OUT.json]`.

use super::{Mapping, MappingError};
use serde_json::Value;
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// What a mapping test run produced, and how it compares with the expected output.
#[derive(Debug, Clone, PartialEq)]
pub struct MapTestReport {
    pub mapping: PathBuf,
    /// Every output, in order.
    pub outputs: Vec<Value>,
    /// The expected output, when one was given.
    pub expected: Option<Value>,
    /// Where the actual output differs from the expected one (empty when it matches or none was given).
    pub mismatches: Vec<Mismatch>,
    pub elapsed: Duration,
}

impl MapTestReport {
    /// The output as compared: a single output as it is, none or several as an array.
    pub fn actual(&self) -> Value {
        match self.outputs.as_slice() {
            [one] => one.clone(),
            many => Value::Array(many.to_vec()),
        }
    }

    /// True when an expected output was given and the actual one equals it.
    pub fn passed(&self) -> bool {
        self.expected.is_some() && self.mismatches.is_empty()
    }
}

/// One difference, at a JSON pointer; `None` on a side means the value is absent there.
#[derive(Debug, Clone, PartialEq)]
pub struct Mismatch {
    pub pointer: String,
    pub expected: Option<Value>,
    pub actual: Option<Value>,
}

impl fmt::Display for Mismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let at = if self.pointer.is_empty() { "(root)" } else { &self.pointer };
        match (&self.expected, &self.actual) {
            (Some(e), Some(a)) => write!(f, "{at}: expected {e}, got {a}"),
            (Some(e), None) => write!(f, "{at}: expected {e}, missing"),
            (None, Some(a)) => write!(f, "{at}: unexpected {a}"),
            (None, None) => write!(f, "{at}: differs"),
        }
    }
}

/// Why a mapping test could not be run.
#[derive(Debug, thiserror::Error)]
pub enum MapTestError {
    #[error(transparent)]
    Mapping(#[from] MappingError),
    #[error("{path}: cannot read: {message}")]
    Read { path: String, message: String },
    #[error("{path}: not valid JSON: {message}")]
    Json { path: String, message: String },
}

/// Compiles `mapping_path`, runs it on the JSON in `input_path`, and compares with `expect_path` if given.
pub fn map_test(
    mapping_path: &Path,
    input_path: &Path,
    expect_path: Option<&Path>,
) -> Result<MapTestReport, MapTestError> {
    let mapping = Mapping::from_file(mapping_path)?;
    let input = read_json(input_path)?;
    let expected = expect_path.map(read_json).transpose()?;
    let started = Instant::now();
    let outputs = mapping.run(input)?;
    let elapsed = started.elapsed();
    let mut report =
        MapTestReport { mapping: mapping_path.to_path_buf(), outputs, expected, mismatches: Vec::new(), elapsed };
    if let Some(expected) = &report.expected {
        let mut mismatches = Vec::new();
        diff(&mut String::new(), expected, &report.actual(), &mut mismatches);
        report.mismatches = mismatches;
    }
    Ok(report)
}

fn read_json(path: &Path) -> Result<Value, MapTestError> {
    let shown = path.display().to_string();
    let text = std::fs::read_to_string(path)
        .map_err(|e| MapTestError::Read { path: shown.clone(), message: e.to_string() })?;
    serde_json::from_str(&text).map_err(|e| MapTestError::Json { path: shown, message: e.to_string() })
}

/// Collects the differences between two JSON values, naming each by its JSON pointer.
pub(crate) fn diff(pointer: &mut String, expected: &Value, actual: &Value, out: &mut Vec<Mismatch>) {
    let len = pointer.len();
    match (expected, actual) {
        (Value::Object(e), Value::Object(a)) => {
            for (key, ev) in e {
                push_token(pointer, key);
                match a.get(key) {
                    Some(av) => diff(pointer, ev, av, out),
                    None => out.push(Mismatch { pointer: pointer.clone(), expected: Some(ev.clone()), actual: None }),
                }
                pointer.truncate(len);
            }
            for (key, av) in a.iter().filter(|(k, _)| !e.contains_key(*k)) {
                push_token(pointer, key);
                out.push(Mismatch { pointer: pointer.clone(), expected: None, actual: Some(av.clone()) });
                pointer.truncate(len);
            }
        }
        (Value::Array(e), Value::Array(a)) => {
            for i in 0..e.len().max(a.len()) {
                pointer.push_str(&format!("/{i}"));
                match (e.get(i), a.get(i)) {
                    (Some(ev), Some(av)) => diff(pointer, ev, av, out),
                    (ev, av) => {
                        out.push(Mismatch { pointer: pointer.clone(), expected: ev.cloned(), actual: av.cloned() })
                    }
                }
                pointer.truncate(len);
            }
        }
        (e, a) if e == a => {}
        (e, a) => out.push(Mismatch { pointer: pointer.clone(), expected: Some(e.clone()), actual: Some(a.clone()) }),
    }
}

fn push_token(pointer: &mut String, key: &str) {
    pointer.push('/');
    pointer.push_str(&key.replace('~', "~0").replace('/', "~1"));
}
