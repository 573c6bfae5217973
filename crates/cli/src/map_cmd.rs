//! `crossdock map test MAPPING --input IN.json [--expect OUT.json]`: runs one jq mapping on one input and
//! compares the result with the expected output (the work is `crossdock_connect::mapping::map_test`).

use anyhow::bail;
use crossdock_connect::mapping::map_test;
use std::path::Path;

pub fn test(mapping: &Path, input: &Path, expect: Option<&Path>) -> anyhow::Result<()> {
    let report = map_test(mapping, input, expect)?;
    println!("{}", serde_json::to_string_pretty(&report.actual())?);
    let ms = report.elapsed.as_secs_f64() * 1000.0;
    match &report.expected {
        None => {
            eprintln!("{}: {} output(s) in {ms:.2} ms", mapping.display(), report.outputs.len());
            Ok(())
        }
        Some(_) if report.passed() => {
            eprintln!("{}: matches the expected output ({ms:.2} ms)", mapping.display());
            Ok(())
        }
        Some(_) => {
            for mismatch in &report.mismatches {
                eprintln!("  {mismatch}");
            }
            bail!("{}: {} difference(s) from the expected output", mapping.display(), report.mismatches.len())
        }
    }
}
