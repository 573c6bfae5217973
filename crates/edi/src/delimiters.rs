//! The four X12 delimiters of an interchange (element, component, repetition, segment terminator),
//! as read from its ISA segment or chosen for writing.

use serde::Serialize;

/// A segment terminator: one byte, or (tolerated in lenient mode) one multi-byte UTF-8 character.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Terminator {
    bytes: [u8; 4],
    len: u8,
}

impl Terminator {
    /// A single-byte terminator.
    pub const fn byte(b: u8) -> Self {
        Terminator { bytes: [b, 0, 0, 0], len: 1 }
    }

    /// A terminator of 1 to 4 bytes; `None` for an empty or longer sequence.
    pub fn from_bytes(b: &[u8]) -> Option<Self> {
        if b.is_empty() || b.len() > 4 {
            return None;
        }
        let mut bytes = [0u8; 4];
        bytes[..b.len()].copy_from_slice(b);
        Some(Terminator { bytes, len: b.len() as u8 })
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes[..usize::from(self.len)]
    }

    /// The first (for single-byte terminators, the only) byte.
    pub fn first(&self) -> u8 {
        self.bytes[0]
    }

    pub fn is_multi_byte(&self) -> bool {
        self.len > 1
    }

    /// Whether the terminator is a line break, in which case a CR before it is not data.
    pub fn is_line_feed(&self) -> bool {
        self.as_bytes() == b"\n"
    }
}

impl Serialize for Terminator {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&String::from_utf8_lossy(self.as_bytes()))
    }
}

/// The delimiters of one interchange.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct Delimiters {
    /// Element separator: the byte after `ISA`.
    pub element: u8,
    /// Component (sub-element) separator, ISA16; `None` when the ISA lacks it.
    pub component: Option<u8>,
    /// Repetition separator, ISA11 for version 00402 and later.
    pub repetition: Option<u8>,
    /// Segment terminator: the byte after ISA16.
    pub segment: Terminator,
}

impl Delimiters {
    /// `*`, `:` (component), `^` (repetition), `~` (terminator): the common 005010 choice.
    pub const DEFAULT: Delimiters =
        Delimiters { element: b'*', component: Some(b':'), repetition: Some(b'^'), segment: Terminator::byte(b'~') };

    /// Delimiters with single-byte terminator.
    pub const fn new(element: u8, component: u8, repetition: Option<u8>, segment: u8) -> Self {
        Delimiters { element, component: Some(component), repetition, segment: Terminator::byte(segment) }
    }

    /// Whether `b` is one of these delimiters (or the first byte of the terminator).
    pub fn is_delimiter(&self, b: u8) -> bool {
        b == self.element
            || Some(b) == self.component
            || Some(b) == self.repetition
            || self.segment.as_bytes().contains(&b)
    }

    /// Whether the delimiters are pairwise distinct and none is a letter or digit.
    pub fn is_usable(&self) -> bool {
        let mut all = vec![self.element];
        all.extend(self.component);
        all.extend(self.repetition);
        all.extend_from_slice(self.segment.as_bytes());
        let distinct = all.iter().enumerate().all(|(i, a)| all[i + 1..].iter().all(|b| a != b));
        distinct && all.iter().all(|b| !b.is_ascii_alphanumeric() && *b != b' ')
    }
}

/// Whether a byte may not serve as a delimiter: letters, digits and space are data.
pub(crate) fn is_data_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b' '
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_is_usable() {
        assert!(Delimiters::DEFAULT.is_usable());
        assert!(!Delimiters::new(b'*', b'*', None, b'~').is_usable());
        assert!(!Delimiters::new(b'*', b'A', None, b'~').is_usable());
    }

    #[test]
    fn terminator_bytes() {
        let t = Terminator::from_bytes("Ö".as_bytes()).unwrap_or(Terminator::byte(b'~'));
        assert!(t.is_multi_byte());
        assert_eq!(t.as_bytes(), [0xC3, 0x96]);
        assert!(Terminator::from_bytes(b"").is_none());
        assert!(Terminator::byte(b'\n').is_line_feed());
    }
}
