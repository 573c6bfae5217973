//! Round trip over the corpus: every `valid` file parsed, written and parsed again yields the same
//! segments, with its own delimiters and with every other delimiter set the corpus uses (where the
//! data does not contain the new delimiters); the rewritten file validates in strict mode as the
//! original does (without error, but for the one that repeats its interchange's ISA13).

mod common;

use common::Class;
use crossdock_edi::{Delimiters, Mode, OwnedSegment, Rule, WriteError, read_segments, validate, write_to_vec};

/// ISA11 and ISA16 hold the delimiters themselves; compare everything else.
fn without_delimiter_elements(segments: &[OwnedSegment]) -> Vec<OwnedSegment> {
    segments
        .iter()
        .map(|s| {
            let mut s = s.clone();
            if s.id == b"ISA" {
                for n in [11, 16] {
                    if let Some(e) = s.elements.get_mut(n - 1) {
                        *e = vec![vec![Vec::new()]];
                    }
                }
            }
            s
        })
        .collect()
}

#[test]
fn parse_write_parse_is_identical() {
    let Some(dir) = common::corpus_dir() else { return };
    let entries = common::manifest(&dir);
    let valid: Vec<_> = entries.iter().filter(|e| matches!(e.class(), Class::Valid | Class::ValidContent)).collect();
    // Every delimiter set the valid files use.
    let mut delimiter_sets: Vec<Delimiters> = Vec::new();
    for e in &valid {
        let report = validate(&common::read(&dir, &e.file), Mode::Strict);
        for i in &report.interchanges {
            if !delimiter_sets.contains(&i.delimiters) {
                delimiter_sets.push(i.delimiters);
            }
        }
    }
    let (mut files, mut rewrites, mut skipped) = (0, 0, 0);
    for e in &valid {
        let bytes = common::read(&dir, &e.file);
        let first = read_segments(&bytes).unwrap_or_else(|err| panic!("{}: {err}", e.file));
        let original = validate(&bytes, Mode::Strict);
        let own = original.interchanges.first().map(|i| i.delimiters).expect("an interchange");
        let original_errors: Vec<Rule> = original.errors().map(|i| i.rule).collect();
        let same = write_to_vec(&first, own).unwrap_or_else(|err| panic!("{}: {err}", e.file));
        assert_eq!(read_segments(&same).ok(), Some(first.clone()), "{}: own delimiters", e.file);
        files += 1;
        for d in &delimiter_sets {
            let written = match write_to_vec(&first, *d) {
                Ok(w) => w,
                Err(WriteError::DelimiterInData { .. } | WriteError::NoSeparator { .. }) => {
                    skipped += 1;
                    continue;
                }
                Err(err) => panic!("{}: {err}", e.file),
            };
            let again = read_segments(&written).unwrap_or_else(|err| panic!("{}: {err}", e.file));
            assert_eq!(without_delimiter_elements(&again), without_delimiter_elements(&first), "{} with {d:?}", e.file);
            let report = validate(&written, Mode::Strict);
            let errors: Vec<Rule> = report.errors().map(|i| i.rule).collect();
            assert_eq!(errors, original_errors, "{} with {d:?}: {:?}", e.file, report.issues);
            rewrites += 1;
        }
    }
    println!(
        "round trip: {files} valid files, {} delimiter sets, {rewrites} rewrites identical, {skipped} skipped (data holds a delimiter, or repetitions without a separator)",
        delimiter_sets.len()
    );
    assert!(files >= 40);
}
