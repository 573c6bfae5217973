//! BIN and BDS segments: their last element is binary data of a declared length (BIN01, BDS02) that
//! may hold any byte, the separators and the terminator included, so they are framed by that length
//! rather than by scanning for the terminator.

use crate::delimiters::Delimiters;

/// Most digits a length of binary data (data element 784, N0 1/15) has.
const MAX_LENGTH_DIGITS: usize = 15;

/// The 1-based position of the length element (BIN01 or BDS02) when `raw` starts a BIN or BDS
/// segment; its binary data is the element after it, and the segment's last.
#[inline]
pub(crate) fn length_element(raw: &[u8], element: u8) -> Option<usize> {
    match raw {
        [b'B', b'I', b'N', s, ..] if *s == element => Some(1),
        [b'B', b'D', b'S', s, ..] if *s == element => Some(2),
        _ => None,
    }
}

/// How a segment that starts at `rest[0]` is framed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Framing {
    /// Not a BIN or BDS segment: it ends at the next terminator.
    Plain,
    /// The binary data or its terminator is not all in `rest` yet.
    NeedMore,
    /// The segment is `rest[..len]`; its terminator ends at `next` (equal to `len` when the input
    /// ends right after the data).
    Found { len: usize, next: usize, terminated: bool },
    /// The declared length cannot frame the data; `element` is its 1-based position.
    Fatal { id: &'static str, element: u16, message: String },
}

/// Frames a BIN or BDS segment at the start of `rest` by its declared length.
pub(crate) fn frame(rest: &[u8], d: &Delimiters, eof: bool) -> Framing {
    let Some(length_at) = length_element(rest, d.element) else { return Framing::Plain };
    let id = if length_at == 1 { "BIN" } else { "BDS" };
    let fatal = |message: String| Framing::Fatal { id, element: length_at as u16, message };
    let name = format!("{id}{length_at:02}");
    let term = d.segment.as_bytes();
    // Skip the elements before the length (BDS01, the filter id), which hold no separator.
    let mut p = 4;
    for _ in 1..length_at {
        match rest[p..].iter().position(|b| *b == d.element || *b == term[0]) {
            Some(i) if rest[p + i] == d.element => p += i + 1,
            Some(_) => return fatal(format!("{id} ends before {name}, the length of its binary data")),
            None if eof => return fatal(format!("the input ends inside {id}, before {name}")),
            None => return Framing::NeedMore,
        }
    }
    let digits = rest[p..].iter().take(MAX_LENGTH_DIGITS + 1).take_while(|b| b.is_ascii_digit()).count();
    let Some(&after) = rest.get(p + digits) else {
        return if eof { fatal(format!("the input ends inside {name}")) } else { Framing::NeedMore };
    };
    if digits > MAX_LENGTH_DIGITS {
        return fatal(format!("{name} has more than {MAX_LENGTH_DIGITS} digits"));
    }
    if digits == 0 && after == b'-' {
        return fatal(format!("{name} is negative: it must be the length of the binary data in bytes"));
    }
    if digits == 0 || (after != d.element && after != term[0]) {
        return fatal(format!("{name} is not a number: it must be the length of the binary data in bytes"));
    }
    if after != d.element {
        return fatal(format!("{id} ends after {name}, without its binary data"));
    }
    // At most 15 digits: the length fits in a u64.
    let declared: u64 = rest[p..p + digits].iter().fold(0, |n, b| n * 10 + u64::from(b - b'0'));
    let start = p + digits + 1;
    let available = (rest.len() - start) as u64;
    if declared > available {
        return if eof {
            fatal(format!("{name} declares {declared} bytes of binary data but the input ends after {available}"))
        } else {
            Framing::NeedMore
        };
    }
    let len = start + declared as usize;
    let tail = &rest[len..];
    if tail.starts_with(term) {
        return Framing::Found { len, next: len + term.len(), terminated: true };
    }
    if d.segment.is_line_feed() && tail.starts_with(b"\r\n") {
        return Framing::Found { len, next: len + 2, terminated: true };
    }
    // As for other segments, a CR left before a line-feed terminator that never came is not data.
    let cr = d.segment.is_line_feed() && tail == b"\r";
    if !eof && (cr || term.starts_with(tail)) {
        return Framing::NeedMore;
    }
    if eof && (cr || tail.is_empty()) {
        return Framing::Found { len, next: rest.len(), terminated: false };
    }
    fatal(format!("the {declared} bytes of binary data {name} declares are not followed by the segment terminator"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const D: Delimiters = Delimiters::DEFAULT;

    fn framed(input: &[u8], eof: bool) -> Framing {
        frame(input, &D, eof)
    }

    fn message(f: Framing) -> String {
        match f {
            Framing::Fatal { id, element, message } => format!("{id}{element:02}: {message}"),
            other => format!("{other:?}"),
        }
    }

    #[test]
    fn data_holding_delimiters_is_framed_by_its_length() {
        assert_eq!(framed(b"BIN*5*a~b*c~GE", true), Framing::Found { len: 11, next: 12, terminated: true });
        assert_eq!(framed(b"BDS*B64*3*~~~~", true), Framing::Found { len: 13, next: 14, terminated: true });
        assert_eq!(framed(b"BIN*0*~", true), Framing::Found { len: 6, next: 7, terminated: true });
        assert_eq!(framed(b"BIN*2*ab", true), Framing::Found { len: 8, next: 8, terminated: false });
        assert_eq!(framed(b"BINX*2*ab~", true), Framing::Plain);
        assert_eq!(framed(b"BEG*00~", true), Framing::Plain);
    }

    #[test]
    fn partial_input_asks_for_more_unless_it_ended() {
        for partial in [&b"BIN*"[..], b"BIN*12", b"BIN*5*ab", b"BIN*2*ab", b"BDS*B6"] {
            assert_eq!(framed(partial, false), Framing::NeedMore, "{partial:?}");
        }
        let lf = Delimiters { segment: crate::Terminator::byte(b'\n'), ..D };
        assert_eq!(frame(b"BIN*1*\n\r", &lf, false), Framing::NeedMore);
        assert_eq!(frame(b"BIN*1*\n\r\nGE", &lf, true), Framing::Found { len: 7, next: 9, terminated: true });
    }

    #[test]
    fn bad_lengths_are_errors_naming_the_element() {
        let cases: [(&[u8], &str); 8] = [
            (b"BIN*x*abc~", "BIN01: BIN01 is not a number: it must be the length of the binary data in bytes"),
            (b"BIN*-3*abc~", "BIN01: BIN01 is negative: it must be the length of the binary data in bytes"),
            (b"BIN*1.5*abc~", "BIN01: BIN01 is not a number: it must be the length of the binary data in bytes"),
            (b"BIN*9*abc~", "BIN01: BIN01 declares 9 bytes of binary data but the input ends after 4"),
            (
                b"BIN*2*abc~",
                "BIN01: the 2 bytes of binary data BIN01 declares are not followed by the segment terminator",
            ),
            (b"BIN*1234567890123456*a~", "BIN01: BIN01 has more than 15 digits"),
            (b"BIN*3~", "BIN01: BIN ends after BIN01, without its binary data"),
            (b"BDS*B64~", "BDS02: BDS ends before BDS02, the length of its binary data"),
        ];
        for (input, expected) in cases {
            assert_eq!(message(framed(input, true)), expected);
        }
        assert_eq!(message(framed(b"BIN*12", true)), "BIN01: the input ends inside BIN01");
    }
}
