//! Locating the shared X12 corpus and reading its manifest, for the integration tests.
#![allow(dead_code)]

use std::path::PathBuf;

/// One manifest entry: a corpus file, its validity class and the strict check upstream recorded.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct Entry {
    pub file: String,
    pub set: String,
    pub validity: String,
    pub check: String,
    pub upstream: String,
    #[serde(default)]
    pub delims: String,
}

impl Entry {
    pub fn class(&self) -> Class {
        if self.validity == "valid" {
            Class::Valid
        } else if self.validity.starts_with("valid-content") {
            Class::ValidContent
        } else if self.validity.starts_with("quirky") {
            Class::Quirky
        } else if self.validity.starts_with("INVALID") {
            Class::Invalid
        } else {
            Class::Unknown
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Class {
    Valid,
    ValidContent,
    Quirky,
    Invalid,
    Unknown,
}

/// The corpus folder: `CROSSDOCK_X12_CORPUS`, else `shared/corpus/x12` beside the repository.
/// Prints why and returns `None` when it is absent.
pub fn corpus_dir() -> Option<PathBuf> {
    let path = match std::env::var_os("CROSSDOCK_X12_CORPUS") {
        Some(p) => PathBuf::from(p),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus/x12"),
    };
    if path.join("manifest.json").is_file() {
        Some(path)
    } else {
        println!("skipping corpus conformance: {} not found", path.display());
        None
    }
}

pub fn manifest(dir: &std::path::Path) -> Vec<Entry> {
    let text = std::fs::read_to_string(dir.join("manifest.json")).expect("manifest.json is readable");
    serde_json::from_str(&text).expect("manifest.json parses")
}

pub fn read(dir: &std::path::Path, file: &str) -> Vec<u8> {
    std::fs::read(dir.join(file)).unwrap_or_else(|e| panic!("reading {file}: {e}"))
}
