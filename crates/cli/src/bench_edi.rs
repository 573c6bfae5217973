//! `crossdock bench edi`: X12 throughput in memory (tokenize + envelope, with schemas, with mapping), and
//! optionally a streamed pass over a generated file with the process's peak memory during that pass.

use anyhow::Context;
use std::io::{BufReader, BufWriter};

#[derive(clap::Args)]
pub struct EdiArgs {
    /// Size of the in-memory interchange, in MiB.
    #[arg(long, default_value_t = 50)]
    size_mb: usize,
    /// Also write an interchange of this many MiB to a temporary file and validate and map it streamed
    /// from disk, reporting peak resident memory during that pass (e.g. 1024).
    #[arg(long)]
    file_mb: Option<usize>,
}

pub async fn run(args: EdiArgs) -> anyhow::Result<()> {
    let size_mb = args.size_mb;
    let r = tokio::task::spawn_blocking(move || crossdock_edi::bench(size_mb)).await?;
    for p in &r.passes {
        println!("edi {}: {:.1} MB/s, {:.0} segments/s, valid {}", p.name, p.mb_per_s, p.segments_per_s, p.valid);
    }
    println!("{}", serde_json::to_string_pretty(&r)?);
    drop(r);
    if let Some(file_mb) = args.file_mb {
        tokio::task::spawn_blocking(move || streamed(file_mb)).await??;
    }
    Ok(())
}

fn streamed(file_mb: usize) -> anyhow::Result<()> {
    let dir = tempfile::tempdir().context("creating a temporary folder")?;
    let path = dir.path().join("bench-850.x12");
    let file = std::fs::File::create(&path).with_context(|| format!("creating {}", path.display()))?;
    let orders = crossdock_edi::write_generated(BufWriter::new(file), file_mb)?;
    let bytes = std::fs::metadata(&path)?.len();
    let reset = reset_peak_memory();
    let before = resident_kib("VmRSS");
    let file = std::fs::File::open(&path)?;
    let pass = crossdock_edi::validate_and_map(BufReader::with_capacity(256 * 1024, file), bytes);
    let peak = resident_kib("VmHWM");
    println!(
        "edi {}: {:.1} MB/s over a {:.0} MiB file of {orders} purchase orders, valid {}; resident memory {} before, peak {}{}",
        pass.name,
        pass.mb_per_s,
        bytes as f64 / 1_048_576.0,
        pass.valid,
        shown(before),
        shown(peak),
        if reset { "" } else { " (peak since process start: the kernel did not reset it)" }
    );
    Ok(())
}

/// Resets the kernel's peak-RSS mark for this process (Linux `clear_refs` value 5); false where unsupported.
fn reset_peak_memory() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

/// A `/proc/self/status` field in KiB (`VmRSS`, `VmHWM`), where the platform has it.
fn resident_kib(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn shown(kib: Option<u64>) -> String {
    kib.map_or_else(|| "unknown".into(), |k| format!("{:.1} MiB", k as f64 / 1024.0))
}
