//! Streaming segments from any [`Read`]: input is read in chunks into one buffer that only grows
//! to the longest segment (bounded by a limit), so memory does not depend on the input size.

use crate::error::{EdiError, Issue, Position, Severity};
use crate::rule::Rule;
use crate::segment::Segment;
use crate::tokenizer::{ScanState, Step, step};
use std::io::{ErrorKind, Read};

/// Bytes requested from the reader per read call.
pub const CHUNK_SIZE: usize = 64 * 1024;
/// Default limit on a single segment's length.
pub const DEFAULT_MAX_SEGMENT: usize = 1024 * 1024;

/// Reads segments one at a time from a [`Read`]; each segment borrows the internal buffer until
/// the next call.
#[derive(Debug)]
pub struct SegmentReader<R> {
    src: R,
    buf: Vec<u8>,
    start: usize,
    end: usize,
    base: u64,
    eof: bool,
    max_segment: usize,
    state: ScanState,
    done: bool,
}

impl<R: Read> SegmentReader<R> {
    pub fn new(src: R) -> Self {
        Self::with_limit(src, DEFAULT_MAX_SEGMENT)
    }

    /// A reader that fails with [`Rule::SegmentTooLong`] on a segment longer than `max_segment` bytes.
    pub fn with_limit(src: R, max_segment: usize) -> Self {
        SegmentReader {
            src,
            buf: vec![0; CHUNK_SIZE],
            start: 0,
            end: 0,
            base: 0,
            eof: false,
            max_segment: max_segment.max(16),
            state: ScanState::default(),
            done: false,
        }
    }

    /// Capacity of the internal buffer: the memory this reader holds.
    pub fn buffer_capacity(&self) -> usize {
        self.buf.len()
    }

    /// The next segment, `Ok(None)` at the end of input.
    #[inline]
    pub fn next_segment(&mut self) -> Result<Option<Segment<'_>>, EdiError> {
        if self.done {
            return Ok(None);
        }
        loop {
            let window = &self.buf[..self.end];
            match step(&mut self.state, window, self.start, self.eof, self.base) {
                Step::Segment { start, end, next, terminated } => {
                    let d = self.state.delimiters.unwrap_or(crate::Delimiters::DEFAULT);
                    let index = self.state.index;
                    self.state.index += 1;
                    self.start = next;
                    let offset = self.base + start as u64;
                    return Ok(Some(Segment::new(&self.buf[start..end], d, index, offset, terminated)));
                }
                Step::End => {
                    self.done = true;
                    return Ok(None);
                }
                Step::Fatal(issues) => {
                    self.done = true;
                    return Err(EdiError::Fatal(issues));
                }
                Step::NeedMore { skip_to } => {
                    self.start = skip_to;
                    if self.end - self.start > self.max_segment {
                        self.done = true;
                        return Err(self.too_long());
                    }
                    self.fill()?;
                }
            }
        }
    }

    fn too_long(&self) -> EdiError {
        let position = Position {
            segment_index: self.state.index,
            byte_offset: self.base + self.start as u64,
            ..Position::default()
        };
        let message = format!("segment is longer than {} bytes", self.max_segment);
        EdiError::Fatal(vec![Issue::new(Rule::SegmentTooLong, Severity::Error, position, message)])
    }

    /// Moves unread bytes to the front, grows the buffer if a segment fills it, and reads a chunk.
    fn fill(&mut self) -> Result<(), EdiError> {
        if self.start > 0 {
            self.buf.copy_within(self.start..self.end, 0);
            self.base += self.start as u64;
            self.end -= self.start;
            self.start = 0;
        }
        if self.buf.len() - self.end < CHUNK_SIZE / 2 {
            let grown = (self.buf.len() * 2).min(self.max_segment + CHUNK_SIZE);
            self.buf.resize(grown.max(self.end + CHUNK_SIZE / 2), 0);
        }
        loop {
            match self.src.read(&mut self.buf[self.end..]) {
                Ok(0) => {
                    self.eof = true;
                    return Ok(());
                }
                Ok(n) => {
                    self.end += n;
                    return Ok(());
                }
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(e) => return Err(EdiError::Io(e)),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tokenizer::Segments;

    /// A reader that hands out at most `n` bytes per call, to exercise chunk boundaries.
    struct Trickle<'a>(&'a [u8], usize);

    impl Read for Trickle<'_> {
        fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
            let n = self.1.min(out.len()).min(self.0.len());
            out[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }

    fn collect<R: Read>(mut r: SegmentReader<R>) -> Vec<(Vec<u8>, u64)> {
        let mut out = Vec::new();
        while let Ok(Some(s)) = r.next_segment() {
            out.push((s.raw().to_vec(), s.offset()));
        }
        out
    }

    #[test]
    fn same_segments_as_slice_tokenizer_for_any_chunking() {
        let isa = "ISA*00*          *00*          *ZZ*SENDER         *ZZ*RECEIVER       *260709*1200*^*00501*000000001*0*T*:Ö";
        let input = format!("\u{feff}{isa}\r\nGS*PO*A*BÖ\r\nST*850*0001ÖSEÖIEA*1*1");
        let expected: Vec<(Vec<u8>, u64)> =
            Segments::new(input.as_bytes()).filter_map(Result::ok).map(|s| (s.raw().to_vec(), s.offset())).collect();
        assert_eq!(expected.len(), 5);
        for n in [1, 2, 3, 7, 64, 4096] {
            assert_eq!(collect(SegmentReader::new(Trickle(input.as_bytes(), n))), expected, "chunk {n}");
        }
    }

    /// A BIN whose data (holding terminators) crosses the reader's chunk boundary, or arrives a few
    /// bytes at a time, is read whole, as the slice tokenizer reads it.
    #[test]
    fn binary_data_spanning_read_buffers_is_read_whole() {
        let isa = "ISA*00*          *00*          *ZZ*SENDER         *ZZ*RECEIVER       *260709*1200*^*00501*000000001*0*T*:~";
        let data: Vec<u8> = (0..CHUNK_SIZE + 5000).map(|i| b"~*:^\nx"[i % 6]).collect();
        let mut input = format!("{isa}GS*PO*A*B~ST*841*0001~BIN*{}*", data.len()).into_bytes();
        input.extend_from_slice(&data);
        input.extend_from_slice(b"~SE*3*0001~GE*1*B~IEA*1*000000001~");
        let expected: Vec<(Vec<u8>, u64)> =
            Segments::new(&input).filter_map(Result::ok).map(|s| (s.raw().to_vec(), s.offset())).collect();
        assert_eq!(expected.len(), 7);
        assert!(expected[3].0.ends_with(&data));
        for n in [3, 4096, CHUNK_SIZE] {
            assert_eq!(collect(SegmentReader::new(Trickle(&input, n))), expected, "chunk {n}");
        }
        let mut small = SegmentReader::with_limit(&input[..], 1000);
        let rule = loop {
            match small.next_segment() {
                Ok(Some(_)) => continue,
                Ok(None) => break None,
                Err(e) => break e.issue().map(|i| i.rule),
            }
        };
        assert_eq!(rule, Some(Rule::SegmentTooLong), "binary data is held to the segment limit");
    }

    #[test]
    fn long_segment_hits_the_limit() {
        let isa = "ISA*00*          *00*          *ZZ*SENDER         *ZZ*RECEIVER       *260709*1200*^*00501*000000001*0*T*:~";
        let input = format!("{isa}NTE*{}~", "x".repeat(200_000));
        let mut r = SegmentReader::with_limit(input.as_bytes(), 100_000);
        assert!(matches!(r.next_segment(), Ok(Some(_))));
        let err = r.next_segment().err().and_then(|e| e.issue().map(|i| i.rule));
        assert_eq!(err, Some(Rule::SegmentTooLong));
        assert!(r.buffer_capacity() <= 100_000 + CHUNK_SIZE);
    }
}
