//! A throughput benchmark (not a test): generates an interchange of realistic 850 purchase orders
//! in memory and measures tokenize + envelope validation, validation with schemas, and validation
//! with schemas plus mapping each set to a `PlaceOrder`, all streaming with bounded memory.

use crate::envelope::{Mode, Validator};
use crate::map::{InboundOptions, map_set};
use crate::reader::SegmentReader;
use crate::tree::Builder;
use serde::Serialize;
use std::time::Instant;

/// Throughput of one benchmark pass.
#[derive(Debug, Clone, Serialize)]
pub struct Pass {
    pub name: &'static str,
    pub seconds: f64,
    pub mb_per_s: f64,
    pub segments_per_s: f64,
    pub valid: bool,
}

/// What [`bench()`] measured.
#[derive(Debug, Clone, Serialize)]
pub struct BenchReport {
    pub bytes: usize,
    pub segments: u64,
    pub purchase_orders: usize,
    /// Largest buffer the streaming reader held, in bytes.
    pub reader_buffer_bytes: usize,
    pub passes: Vec<Pass>,
}

/// Appends one 850 with `lines` PO1 loops to `out`.
fn purchase_order(out: &mut Vec<u8>, n: usize, lines: usize) {
    use std::io::Write;
    let control = format!("{:04}", n % 10_000 + 1);
    let start = out.len();
    let mut segs = 0;
    let mut seg = |out: &mut Vec<u8>, s: String| {
        out.extend_from_slice(s.as_bytes());
        out.extend_from_slice(b"~\n");
        segs += 1;
    };
    seg(out, format!("ST*850*{control}"));
    seg(out, format!("BEG*00*SA*PO{n:08}**20260709"));
    seg(out, "REF*DP*038".into());
    seg(out, "DTM*002*20260720".into());
    seg(out, "N1*ST*ACME DISTRIBUTION CENTER 7*92*0007".into());
    seg(out, "N3*4100 INDUSTRIAL PARKWAY".into());
    seg(out, "N4*COLUMBUS*OH*43215*US".into());
    for l in 0..lines {
        let upc = format!("0{:011}", (n * 31 + l * 7) % 100_000_000_000);
        seg(out, format!("PO1*{}*{}*EA*{}.{:02}**UP*{upc}*VN*SKU-{:05}", l + 1, l % 12 + 1, l % 90 + 5, l % 100, l));
        seg(out, format!("PID*F****WIDGET MODEL {l} BLUE"));
    }
    seg(out, format!("CTT*{lines}"));
    let _ = writeln!(out, "SE*{}*{control}~", segs + 1);
    debug_assert!(out.len() > start);
}

/// Generates one interchange of about `size_mb` MiB of 850s in a single group.
pub fn generate(size_mb: usize) -> (Vec<u8>, usize) {
    let mut out = Vec::with_capacity(size_mb.max(1) * 1024 * 1024 + 4096);
    let orders = write_generated(&mut out, size_mb).unwrap_or_default();
    (out, orders)
}

/// Writes the same interchange as [`generate`] to `w` a purchase order at a time, so a file far larger
/// than memory can be made; returns how many purchase orders it holds.
pub fn write_generated(mut w: impl std::io::Write, size_mb: usize) -> std::io::Result<usize> {
    let target = size_mb.max(1) * 1024 * 1024;
    let mut chunk = Vec::with_capacity(64 * 1024);
    chunk.extend_from_slice(
        b"ISA*00*          *00*          *ZZ*BUYER          *ZZ*SUPPLIER       *260709*1200*U*00401*000000001*0*P*>~\n",
    );
    chunk.extend_from_slice(b"GS*PO*BUYER*SUPPLIER*20260709*1200*1*X*004010~\n");
    let (mut written, mut n) = (0usize, 0usize);
    while written + chunk.len() < target {
        purchase_order(&mut chunk, n, 5 + n % 20);
        n += 1;
        if chunk.len() >= 60 * 1024 {
            w.write_all(&chunk)?;
            written += chunk.len();
            chunk.clear();
        }
    }
    chunk.extend_from_slice(format!("GE*{n}*1~\nIEA*1*000000001~\n").as_bytes());
    w.write_all(&chunk)?;
    w.flush()?;
    Ok(n)
}

/// What a pass does with each segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Work {
    Envelope,
    Schemas,
    SchemasAndMapping,
}

/// Schema validation and mapping of every set, streaming from `input` of `bytes` bytes (a file, say).
pub fn validate_and_map(input: impl std::io::Read, bytes: u64) -> Pass {
    pass("schema validation + mapping to PlaceOrder (streamed)", input, bytes as usize, Work::SchemasAndMapping).0
}

fn pass(name: &'static str, input: impl std::io::Read, bytes: usize, work: Work) -> (Pass, u64, usize) {
    let started = Instant::now();
    let mut reader = SegmentReader::new(input);
    let mut v = Validator::new(Mode::Strict).discard_summaries();
    if work != Work::Envelope {
        v = v.with_schemas();
    }
    let opts = InboundOptions::new("bench");
    let mut builder = Builder::default();
    let mut ok = true;
    loop {
        match reader.next_segment() {
            Ok(Some(seg)) => {
                v.segment(&seg);
                if work == Work::SchemasAndMapping {
                    builder.push(&seg);
                    if seg.is(b"SE") {
                        for set in builder.take_sets() {
                            ok &= map_set(&set, &opts).is_ok();
                        }
                    }
                }
            }
            Ok(None) => break,
            Err(_) => {
                ok = false;
                break;
            }
        }
    }
    let segments = v.segments();
    let buffer = reader.buffer_capacity();
    let (issues, _) = v.finish(None);
    let seconds = started.elapsed().as_secs_f64().max(1e-9);
    let mb = bytes as f64 / (1024.0 * 1024.0);
    let valid = ok && issues.iter().all(|i| !i.is_error());
    let p = Pass { name, seconds, mb_per_s: mb / seconds, segments_per_s: segments as f64 / seconds, valid };
    (p, segments, buffer)
}

/// Generates about `size_mb` MiB of 850s and measures validation throughput, single-threaded.
pub fn bench(size_mb: usize) -> BenchReport {
    let (input, purchase_orders) = generate(size_mb);
    let len = input.len();
    let (envelope, segments, buffer) = pass("tokenize + envelope", &input[..], len, Work::Envelope);
    let (schemas, _, _) = pass("tokenize + envelope + 850 schema", &input[..], len, Work::Schemas);
    let (mapping, _, _) = pass("schema validation + mapping to PlaceOrder", &input[..], len, Work::SchemasAndMapping);
    BenchReport {
        bytes: input.len(),
        segments,
        purchase_orders,
        reader_buffer_bytes: buffer,
        passes: vec![envelope, schemas, mapping],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_input_is_valid_with_schemas() {
        let (input, orders) = generate(1);
        assert!(orders > 100);
        let report = crate::validate_with_schemas(&input, Mode::Strict);
        assert!(report.is_valid(), "{:?}", report.issues.first());
        let b = bench(1);
        assert!(b.passes.iter().all(|p| p.valid));
        let mut streamed = Vec::new();
        assert_eq!(write_generated(&mut streamed, 1).unwrap(), orders);
        assert_eq!(streamed, input);
        assert!(validate_and_map(&streamed[..], streamed.len() as u64).valid);
        assert!(b.reader_buffer_bytes <= 2 * crate::CHUNK_SIZE);
    }
}
