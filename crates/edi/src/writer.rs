//! Writing X12 to any [`Write`] with chosen delimiters, refusing data that contains a delimiter,
//! and handing out control numbers that are never reused.

use crate::delimiters::Delimiters;
use crate::document::OwnedSegment;
use std::io::Write;

/// What writing X12 can fail with.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error("writing output failed")]
    Io(#[from] std::io::Error),
    /// The delimiters are not pairwise distinct, or one is a letter, digit or space.
    #[error("delimiters are not usable: they must differ and not be letters, digits or space")]
    UnusableDelimiters,
    /// A value contains one of the output delimiters and cannot be written without changing meaning.
    #[error("{segment}{element:02} contains delimiter {delimiter:?}")]
    DelimiterInData { segment: String, element: usize, delimiter: char },
    /// A segment has more repetitions or components than the delimiters can express.
    #[error("{segment}{element:02} has repetitions or components but no separator for them")]
    NoSeparator { segment: String, element: usize },
}

/// Writes segments with one set of delimiters, optionally followed by a line break.
#[derive(Debug)]
pub struct Writer<W> {
    out: W,
    delimiters: Delimiters,
    line_break: bool,
    buf: Vec<u8>,
}

impl<W: Write> Writer<W> {
    pub fn new(out: W, delimiters: Delimiters) -> Result<Self, WriteError> {
        if !delimiters.is_usable() || delimiters.component.is_none() {
            return Err(WriteError::UnusableDelimiters);
        }
        Ok(Writer { out, delimiters, line_break: false, buf: Vec::with_capacity(256) })
    }

    /// Writes a `\n` after each terminator (unless the terminator is itself a line break).
    pub fn with_line_breaks(mut self) -> Self {
        self.line_break = true;
        self
    }

    pub fn delimiters(&self) -> Delimiters {
        self.delimiters
    }

    /// Writes one segment. For an ISA, ISA11 (version 00402 and later) and ISA16 are replaced by
    /// this writer's repetition and component separators.
    pub fn write(&mut self, seg: &OwnedSegment) -> Result<(), WriteError> {
        let d = self.delimiters;
        let name = String::from_utf8_lossy(&seg.id).into_owned();
        self.buf.clear();
        check_data(&seg.id, &d, &name, 0)?;
        self.buf.extend_from_slice(&seg.id);
        let is_isa = seg.id == b"ISA";
        let new_version = is_isa && seg.value(12).is_some_and(|v| v >= &b"00402"[..]);
        for (i, element) in seg.elements.iter().enumerate() {
            let n = i + 1;
            self.buf.push(d.element);
            if is_isa && n == 16 {
                self.buf.push(d.component.unwrap_or(b':'));
                continue;
            }
            if is_isa
                && n == 11
                && new_version
                && let Some(r) = d.repetition
            {
                self.buf.push(r);
                continue;
            }
            for (r, rep) in element.iter().enumerate() {
                if r > 0 {
                    let sep = d.repetition.ok_or(WriteError::NoSeparator { segment: name.clone(), element: n })?;
                    self.buf.push(sep);
                }
                for (c, component) in rep.iter().enumerate() {
                    if c > 0 {
                        let sep = d.component.ok_or(WriteError::NoSeparator { segment: name.clone(), element: n })?;
                        self.buf.push(sep);
                    }
                    check_data(component, &d, &name, n)?;
                    self.buf.extend_from_slice(component);
                }
            }
        }
        self.buf.extend_from_slice(d.segment.as_bytes());
        if self.line_break && !d.segment.is_line_feed() {
            self.buf.push(b'\n');
        }
        self.out.write_all(&self.buf)?;
        Ok(())
    }

    /// Writes a segment of simple elements.
    pub fn simple<E: AsRef<[u8]>>(&mut self, id: &str, elements: &[E]) -> Result<(), WriteError> {
        self.write(&OwnedSegment::simple(id, elements))
    }

    pub fn flush(&mut self) -> Result<(), WriteError> {
        self.out.flush()?;
        Ok(())
    }

    pub fn into_inner(self) -> W {
        self.out
    }
}

fn check_data(value: &[u8], d: &Delimiters, segment: &str, element: usize) -> Result<(), WriteError> {
    match value.iter().find(|b| d.is_delimiter(**b)) {
        Some(b) => Err(WriteError::DelimiterInData { segment: segment.into(), element, delimiter: char::from(*b) }),
        None => Ok(()),
    }
}

/// Writes segments to a byte vector.
pub fn write_to_vec(segments: &[OwnedSegment], delimiters: Delimiters) -> Result<Vec<u8>, WriteError> {
    let mut w = Writer::new(Vec::new(), delimiters)?;
    for s in segments {
        w.write(s)?;
    }
    Ok(w.into_inner())
}

/// Pads or cuts `value` to `width` bytes, as fixed-width ISA elements need.
pub fn fixed_width(value: &str, width: usize) -> String {
    let mut s: String = value.chars().take(width).collect();
    while s.len() < width {
        s.push(' ');
    }
    s
}

/// Issues interchange, group and set control numbers that are never reused within its lifetime;
/// persisting the last value between runs is the caller's concern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ControlNumbers {
    interchange: u32,
    group: u32,
}

impl ControlNumbers {
    /// Continues after the last numbers used (0 for none).
    pub fn after(last_interchange: u32, last_group: u32) -> Self {
        ControlNumbers { interchange: last_interchange, group: last_group }
    }

    /// The next ISA13 as 9 digits; wraps from 999999999 to 1.
    pub fn next_interchange(&mut self) -> String {
        self.interchange = if self.interchange >= 999_999_999 { 1 } else { self.interchange + 1 };
        format!("{:09}", self.interchange)
    }

    /// The next GS06; wraps from 999999999 to 1.
    pub fn next_group(&mut self) -> String {
        self.group = if self.group >= 999_999_999 { 1 } else { self.group + 1 };
        self.group.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::document::read_segments;

    #[test]
    fn writes_composites_and_repetitions() {
        let d = Delimiters::new(b'*', b':', Some(b'^'), b'~');
        let seg = OwnedSegment {
            id: b"CTX".to_vec(),
            elements: vec![vec![vec![b"A".to_vec()], vec![b"B".to_vec(), b"2".to_vec()]], vec![vec![b"".to_vec()]]],
        };
        let out = write_to_vec(&[seg], d).unwrap_or_default();
        assert_eq!(out, b"CTX*A^B:2*~");
    }

    #[test]
    fn refuses_delimiters_in_data() {
        let d = Delimiters::new(b'*', b':', None, b'~');
        let err = write_to_vec(&[OwnedSegment::simple("NTE", &["a*b"])], d).err();
        assert!(matches!(err, Some(WriteError::DelimiterInData { element: 1, delimiter: '*', .. })));
        assert!(Writer::new(Vec::new(), Delimiters::new(b'*', b'*', None, b'~')).is_err());
    }

    #[test]
    fn rewrites_isa_delimiter_elements() {
        let isa = "ISA*00*          *00*          *ZZ*SENDER         *ZZ*RECEIVER       *260709*1200*^*00501*000000001*0*T*:~";
        let segs = read_segments(isa.as_bytes()).unwrap_or_default();
        let out = write_to_vec(&segs, Delimiters::new(b'|', b'>', Some(b'!'), b'\n')).unwrap_or_default();
        assert_eq!(out, isa.replace('*', "|").replace('^', "!").replace(":~", ">\n").as_bytes());
    }

    #[test]
    fn control_numbers_never_repeat_and_wrap() {
        let mut c = ControlNumbers::after(999_999_998, 7);
        assert_eq!(c.next_interchange(), "999999999");
        assert_eq!(c.next_interchange(), "000000001");
        assert_eq!(c.next_group(), "8");
        assert_eq!(fixed_width("AB", 5), "AB   ");
        assert_eq!(fixed_width("ABCDEF", 5), "ABCDE");
    }
}
