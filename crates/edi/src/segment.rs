//! A borrowed X12 segment: a slice of the input buffer plus the delimiters needed to split it into
//! elements, components and repetitions on demand. Nothing is copied.

use crate::binary;
use crate::delimiters::Delimiters;

/// One segment, borrowed from the buffer it was read from; the terminator is not included.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Segment<'a> {
    raw: &'a [u8],
    delimiters: Delimiters,
    index: u64,
    offset: u64,
    terminated: bool,
}

impl<'a> Segment<'a> {
    pub(crate) fn new(raw: &'a [u8], delimiters: Delimiters, index: u64, offset: u64, terminated: bool) -> Self {
        Segment { raw, delimiters, index, offset, terminated }
    }

    /// A segment over `raw` (without terminator) split with `delimiters`; for tests and writers.
    pub fn parse(raw: &'a [u8], delimiters: Delimiters) -> Self {
        Segment::new(raw, delimiters, 0, 0, true)
    }

    /// The bytes of the segment, without the terminator.
    pub fn raw(&self) -> &'a [u8] {
        self.raw
    }

    /// The segment id: the bytes before the first element separator.
    pub fn id(&self) -> &'a [u8] {
        match memchr::memchr(self.delimiters.element, self.raw) {
            Some(i) => &self.raw[..i],
            None => self.raw,
        }
    }

    /// The segment id as text (lossy for non-UTF-8 bytes).
    pub fn id_str(&self) -> String {
        String::from_utf8_lossy(self.id()).into_owned()
    }

    pub fn is(&self, id: &[u8]) -> bool {
        self.id() == id
    }

    pub fn delimiters(&self) -> Delimiters {
        self.delimiters
    }

    /// 0-based index of the segment in its input.
    pub fn index(&self) -> u64 {
        self.index
    }

    /// Byte offset of the segment's first byte in its input.
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// False for a last segment that ended with the input rather than a terminator.
    pub fn is_terminated(&self) -> bool {
        self.terminated
    }

    /// How many parts (the id and the elements) splitting may yield: the binary data that ends a BIN
    /// or BDS segment is one element, whatever separators it holds.
    #[inline]
    fn max_parts(&self) -> usize {
        match binary::length_element(self.raw, self.delimiters.element) {
            Some(length) => length + 2,
            None => usize::MAX,
        }
    }

    /// The elements after the id, in order (element 1 first); empty elements are empty slices.
    pub fn elements(&self) -> impl Iterator<Item = &'a [u8]> + 'a {
        let sep = self.delimiters.element;
        let mut parts = self.raw.splitn(self.max_parts(), move |b| *b == sep);
        parts.next();
        parts
    }

    /// The number of elements after the id, counting trailing empty ones.
    pub fn element_count(&self) -> usize {
        memchr::memchr_iter(self.delimiters.element, self.raw).take(self.max_parts() - 1).count()
    }

    /// The 1-based position of the binary data element of a BIN (2) or BDS (3) segment, which is
    /// not split into repetitions or components.
    pub fn binary_element(&self) -> Option<usize> {
        binary::length_element(self.raw, self.delimiters.element).map(|length| length + 1)
    }

    /// Element `n` (1-based, as in `SE01`); `None` when the segment has fewer elements.
    pub fn element(&self, n: usize) -> Option<&'a [u8]> {
        if n == 0 {
            return None;
        }
        self.elements().nth(n - 1)
    }

    /// Element `n` as text, empty when absent; lossy for non-UTF-8 bytes.
    pub fn element_str(&self, n: usize) -> String {
        String::from_utf8_lossy(self.element(n).unwrap_or_default()).into_owned()
    }

    /// The components of element `n` (one component when it is not a composite).
    pub fn components(&self, n: usize) -> Vec<&'a [u8]> {
        let element = self.element(n).unwrap_or_default();
        split_on(element, self.delimiters.component)
    }

    /// The repetitions of element `n` (one when the interchange has no repetition separator).
    pub fn repetitions(&self, n: usize) -> Vec<&'a [u8]> {
        let element = self.element(n).unwrap_or_default();
        split_on(element, self.delimiters.repetition)
    }
}

fn split_on(bytes: &[u8], sep: Option<u8>) -> Vec<&[u8]> {
    match sep {
        Some(s) => bytes.split(|b| *b == s).collect(),
        None => vec![bytes],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seg(raw: &str) -> Segment<'_> {
        Segment::parse(raw.as_bytes(), Delimiters::new(b'*', b':', Some(b'^'), b'~'))
    }

    #[test]
    fn elements_and_components() {
        let s = seg("AK4*2:1*235*7*");
        assert_eq!(s.id(), b"AK4");
        assert_eq!(s.element_count(), 4);
        assert_eq!(s.element(1), Some(&b"2:1"[..]));
        assert_eq!(s.element(4), Some(&b""[..]));
        assert_eq!(s.element(5), None);
        assert_eq!(s.element(0), None);
        assert_eq!(s.components(1), vec![&b"2"[..], &b"1"[..]]);
        assert_eq!(s.element_str(2), "235");
    }

    /// The binary data of BIN and BDS is one element, separators and all.
    #[test]
    fn binary_data_is_one_element() {
        let bin = seg("BIN*7*a*b:c^d");
        assert_eq!(bin.element(2), Some(&b"a*b:c^d"[..]));
        assert_eq!((bin.element_count(), bin.elements().count(), bin.element(3)), (2, 2, None));
        assert_eq!(bin.binary_element(), Some(2));
        let bds = seg("BDS*ASC*3***");
        assert_eq!((bds.element(1), bds.element(3)), (Some(&b"ASC"[..]), Some(&b"**"[..])));
        assert_eq!((bds.element_count(), bds.binary_element()), (3, Some(3)));
        assert_eq!(seg("BEG*00*SA").binary_element(), None);
    }

    #[test]
    fn repetitions_and_bare_id() {
        let s = seg("CTX*A^B:2");
        assert_eq!(s.repetitions(1), vec![&b"A"[..], &b"B:2"[..]]);
        let bare = seg("LE");
        assert_eq!(bare.id(), b"LE");
        assert_eq!(bare.element_count(), 0);
        assert_eq!(bare.elements().count(), 0);
    }
}
