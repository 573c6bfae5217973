//! Splitting X12 bytes into segments: [`Segments`] over an in-memory buffer (zero-copy), built on a
//! scanning step that the streaming [`crate::SegmentReader`] shares. Delimiters are re-read from
//! every ISA; a BOM, and whitespace or CR/LF between segments, are skipped. BIN and BDS segments end
//! after the binary data their length element declares (see [`crate::binary`]).

use crate::binary::{self, Framing};
use crate::delimiters::Delimiters;
use crate::error::{EdiError, Issue, Position, Severity};
use crate::isa::{IsaOutcome, control_number, is_fixed_layout, scan_isa};
use crate::rule::Rule;
use crate::segment::Segment;

const BOM: &[u8] = b"\xEF\xBB\xBF";

/// One step of the scanner over `buf[pos..]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Step {
    /// A segment occupies `buf[start..end]`; scanning resumes at `next`.
    Segment {
        start: usize,
        end: usize,
        next: usize,
        terminated: bool,
    },
    /// Only whitespace or a partial segment remains; `skip_to` is where the partial data starts.
    NeedMore {
        skip_to: usize,
    },
    /// The input is exhausted.
    End,
    Fatal(Vec<Issue>),
}

/// Scanner state carried between steps: the current delimiters and the segment count.
#[derive(Debug, Clone, Default)]
pub(crate) struct ScanState {
    pub delimiters: Option<Delimiters>,
    pub index: u64,
    pub started: bool,
}

fn is_space(b: u8, d: Option<&Delimiters>) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n') && d.is_none_or(|d| d.element != b)
}

fn fatal(rule: Rule, index: u64, offset: u64, id: &str, element: Option<u16>, message: String) -> Step {
    let position =
        Position { segment_index: index, segment_id: id.into(), element, byte_offset: offset, ..Position::default() };
    Step::Fatal(vec![Issue::new(rule, Severity::Error, position, message)])
}

/// Finds the next segment in `buf[pos..]`. `base` is the stream offset of `buf[0]`.
pub(crate) fn step(state: &mut ScanState, buf: &[u8], mut pos: usize, eof: bool, base: u64) -> Step {
    if !state.started {
        if buf.len() - pos < BOM.len() && BOM.starts_with(&buf[pos..]) && !eof {
            return Step::NeedMore { skip_to: pos };
        }
        if buf[pos..].starts_with(BOM) {
            pos += BOM.len();
        }
        state.started = true;
    }
    while pos < buf.len() && is_space(buf[pos], state.delimiters.as_ref()) {
        pos += 1;
    }
    if pos >= buf.len() {
        return if eof { Step::End } else { Step::NeedMore { skip_to: pos } };
    }
    let rest = &buf[pos..];
    let offset = base + pos as u64;
    let looks_like_isa = rest.starts_with(b"ISA") && rest.get(3).is_none_or(|b| !b.is_ascii_alphanumeric());
    if looks_like_isa || state.delimiters.is_none() {
        if !rest.starts_with(b"ISA") {
            if rest.len() < 3 && !eof {
                return Step::NeedMore { skip_to: pos };
            }
            let shown: String = String::from_utf8_lossy(&rest[..rest.len().min(3)]).into_owned();
            return fatal(Rule::NoIsa, state.index, offset, "", None, format!("input starts with {shown:?}, not ISA"));
        }
        return match scan_isa(rest, eof) {
            IsaOutcome::NeedMore => Step::NeedMore { skip_to: pos },
            IsaOutcome::Fatal { rule, element, message } => {
                let mut out = fatal(rule, state.index, offset, "ISA", element, message);
                if let Step::Fatal(issues) = &mut out {
                    let unreadable = matches!(rule, Rule::IsaTruncated | Rule::InvalidElementSeparator);
                    if !unreadable {
                        issues[0].position.interchange = control_number(rest);
                    }
                    if !unreadable && !is_fixed_layout(rest) {
                        let mut width = issues[0].clone();
                        width.rule = Rule::IsaFixedWidth;
                        width.x12_code = Rule::IsaFixedWidth.x12_code();
                        width.position.element = None;
                        width.message = "ISA is not laid out at its fixed widths".into();
                        issues.push(width);
                    }
                }
                out
            }
            IsaOutcome::Found(isa) => {
                state.delimiters = Some(isa.delimiters);
                Step::Segment { start: pos, end: pos + isa.content_len, next: pos + isa.total_len, terminated: true }
            }
        };
    }
    let Some(d) = state.delimiters else { return Step::End };
    // One byte compare per segment keeps the common path fast; BIN and BDS carry binary data that
    // may hold the terminator, so they end where their declared length says.
    if rest[0] == b'B'
        && binary::length_element(rest, d.element).is_some()
        && let Some(step) = binary_step(state, rest, pos, eof, offset)
    {
        return step;
    }
    let term = d.segment.as_bytes();
    let mut from = 0;
    let found = loop {
        match memchr::memchr(term[0], &rest[from..]) {
            None => break None,
            Some(i) => {
                let at = from + i;
                if term.len() == 1 {
                    break Some(at);
                }
                if at + term.len() > rest.len() && !eof {
                    return Step::NeedMore { skip_to: pos };
                }
                if rest[at..].starts_with(term) {
                    break Some(at);
                }
                from = at + 1;
            }
        }
    };
    let (len, next, terminated) = match found {
        Some(at) => (at, pos + at + term.len(), true),
        None if eof => (rest.len(), buf.len(), false),
        None => return Step::NeedMore { skip_to: pos },
    };
    let mut end = pos + len;
    if d.segment.is_line_feed() && end > pos && buf[end - 1] == b'\r' {
        end -= 1;
    }
    Step::Segment { start: pos, end, next, terminated }
}

/// The step for a BIN or BDS segment at `rest[0]` (= `buf[pos]`), `None` for any other segment.
/// Kept out of [`step`] so that the common path stays small.
#[inline(never)]
fn binary_step(state: &ScanState, rest: &[u8], pos: usize, eof: bool, offset: u64) -> Option<Step> {
    let d = state.delimiters?;
    Some(match binary::frame(rest, &d, eof) {
        Framing::Plain => return None,
        Framing::NeedMore => Step::NeedMore { skip_to: pos },
        Framing::Found { len, next, terminated } => {
            Step::Segment { start: pos, end: pos + len, next: pos + next, terminated }
        }
        Framing::Fatal { id, element, message } => {
            fatal(Rule::BinaryLengthInvalid, state.index, offset, id, Some(element), message)
        }
    })
}

/// The segments of an in-memory X12 input, borrowed from it.
///
/// Yields `Err` once for an input that cannot be read on (no ISA, unusable delimiters), then ends.
#[derive(Debug, Clone)]
pub struct Segments<'a> {
    buf: &'a [u8],
    pos: usize,
    state: ScanState,
    done: bool,
}

impl<'a> Segments<'a> {
    pub fn new(buf: &'a [u8]) -> Self {
        Segments { buf, pos: 0, state: ScanState::default(), done: false }
    }
}

impl<'a> Iterator for Segments<'a> {
    type Item = Result<Segment<'a>, EdiError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        match step(&mut self.state, self.buf, self.pos, true, 0) {
            Step::Segment { start, end, next, terminated } => {
                let d = self.state.delimiters.unwrap_or(Delimiters::DEFAULT);
                let seg = Segment::new(&self.buf[start..end], d, self.state.index, start as u64, terminated);
                self.state.index += 1;
                self.pos = next;
                Some(Ok(seg))
            }
            Step::End | Step::NeedMore { .. } => {
                self.done = true;
                None
            }
            Step::Fatal(issues) => {
                self.done = true;
                Some(Err(EdiError::Fatal(issues)))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ISA: &str =
        "ISA*00*          *00*          *ZZ*SENDER         *ZZ*RECEIVER       *260709*1200*^*00501*000000001*0*T*:~";

    fn ids(input: &[u8]) -> Vec<String> {
        Segments::new(input)
            .map(|s| s.map(|s| s.id_str()).unwrap_or_else(|e| format!("{:?}", e.issue().map(|i| i.rule))))
            .collect()
    }

    #[test]
    fn splits_segments_and_skips_line_breaks() {
        let input = format!("\u{feff}  {ISA}\r\nGS*PO*A*B~\r\n\tST*850*0001~SE*2*0001~\n");
        assert_eq!(ids(input.as_bytes()), ["ISA", "GS", "ST", "SE"]);
    }

    #[test]
    fn newline_terminator_strips_carriage_return() {
        let input = ISA.replace(":~", ":\n") + "GS*PO*A*B\r\nGE*0*1\r\n";
        let segs: Vec<_> = Segments::new(input.as_bytes()).filter_map(Result::ok).collect();
        assert_eq!(segs[1].raw(), b"GS*PO*A*B");
        assert_eq!(segs[2].element(2), Some(&b"1"[..]));
    }

    #[test]
    fn multi_byte_terminator() {
        let input = ISA.replace(":~", ":Ö") + "GS*PO*AÖGE*1*1Ö";
        assert_eq!(ids(input.as_bytes()), ["ISA", "GS", "GE"]);
    }

    #[test]
    fn unterminated_last_segment_is_flagged() {
        let input = format!("{ISA}IEA*1*000000001");
        let last = Segments::new(input.as_bytes()).filter_map(Result::ok).last();
        assert_eq!(last.map(|s| (s.id_str(), s.is_terminated())), Some(("IEA".into(), false)));
    }

    #[test]
    fn garbage_is_no_isa() {
        assert_eq!(ids(b"bad_file\n"), ["Some(NoIsa)"]);
        assert_eq!(ids(b""), Vec::<String>::new());
    }

    /// BIN02 is read as exactly BIN01 bytes: the terminator, separators and line breaks inside it are
    /// data, and the segments after it are read as usual. Likewise BDS03 by BDS02.
    #[test]
    fn binary_data_is_read_by_its_declared_length() {
        let data = b"a~b*c:d^e\r\n\0\xff~";
        let mut input = format!("{ISA}\nGS*PO*A*B~ST*841*0001~BIN*{}*", data.len()).into_bytes();
        input.extend_from_slice(data);
        input.extend_from_slice(b"~\nBDS*ASC*3*~*~~SE*4*0001~");
        assert_eq!(ids(&input), ["ISA", "GS", "ST", "BIN", "BDS", "SE"]);
        let segs: Vec<_> = Segments::new(&input).filter_map(Result::ok).collect();
        assert_eq!(segs[3].element(1), Some(&b"14"[..]));
        assert_eq!(segs[3].element(2), Some(&data[..]));
        assert_eq!(segs[4].element(3), Some(&b"~*~"[..]));
        assert_eq!(segs[5].element(1), Some(&b"4"[..]));
    }

    /// A BIN01 that cannot frame the data is an error naming the segment and BIN01, not a panic.
    #[test]
    fn bad_binary_lengths_are_errors_at_bin01() {
        let head = format!("{ISA}GS*PO*A*B~ST*841*0001~");
        let cases = [
            ("BIN*ab*xyz~SE*3*0001~", "BIN01 is not a number: it must be the length of the binary data in bytes"),
            ("BIN*-2*xy~SE*3*0001~", "BIN01 is negative: it must be the length of the binary data in bytes"),
            ("BIN*999*xy~SE*3*0001~", "BIN01 declares 999 bytes of binary data but the input ends after 13"),
            ("BIN*18446744073709551616*xy~", "BIN01 has more than 15 digits"),
        ];
        for (tail, message) in cases {
            let input = format!("{head}{tail}");
            let err = Segments::new(input.as_bytes()).find_map(Result::err).expect("an error");
            let issue = err.issue().expect("a fatal issue");
            assert_eq!(issue.rule, Rule::BinaryLengthInvalid);
            assert_eq!(issue.message, message);
            let offset = head.len();
            assert_eq!(issue.position.to_string(), format!("segment 3 (BIN01) at byte {offset}"));
        }
    }

    #[test]
    fn second_interchange_changes_delimiters() {
        let second = ISA.replace('*', "|").replace(":~", ">!");
        let input = format!("{ISA}IEA*0*000000001~{second}GS|PO!IEA|0|000000001!");
        let segs: Vec<_> = Segments::new(input.as_bytes()).filter_map(Result::ok).collect();
        assert_eq!(segs.len(), 5);
        assert_eq!(segs[3].element(1), Some(&b"PO"[..]));
        assert_eq!(segs[3].delimiters().element, b'|');
    }
}
