//! jq mappings (on jaq): compiled when the config loads, run with a time and step budget on worker threads.

mod compile;
mod error;
mod guard;
mod map_test;
mod runner;
mod safety;
mod value;

pub use compile::{MAX_SOURCE_BYTES, MAX_SOURCE_NESTING};
pub use error::{Diagnostic, MappingError};
pub use map_test::{MapTestError, MapTestReport, Mismatch, map_test};
pub use runner::{Limits, Mapping};
pub use value::MAX_OUTPUT_DEPTH;

#[cfg(test)]
mod tests;
