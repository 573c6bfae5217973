//! Reading counts, control numbers and element text for envelope checks and messages.

/// An element as trimmed text (lossy for non-UTF-8 bytes).
pub(super) fn trimmed(b: &[u8]) -> String {
    String::from_utf8_lossy(b).trim().to_string()
}

/// An optional element as text, empty when absent.
pub(super) fn text(b: Option<&[u8]>) -> String {
    String::from_utf8_lossy(b.unwrap_or_default()).into_owned()
}

/// Parses a count or control number of 1 to 9 digits (leading and trailing spaces ignored).
pub(super) fn parse_count(b: &[u8]) -> Option<u32> {
    let s = std::str::from_utf8(b).ok()?.trim();
    if s.is_empty() || s.len() > 9 || !s.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// What identifies an interchange control number (ISA13): its number when it is one, so that
/// `000000042` and a lenient partner's `42       ` are the same interchange; else its trimmed text.
pub(super) fn control_identity(b: &[u8]) -> String {
    parse_count(b).map_or_else(|| trimmed(b), |n| n.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts() {
        assert_eq!(parse_count(b"000000012"), Some(12));
        assert_eq!(parse_count(b" 3 "), Some(3));
        assert_eq!(parse_count(b"1~"), None);
        assert_eq!(parse_count(b"1234567890"), None);
        assert_eq!(parse_count(b""), None);
        assert_eq!(control_identity(b"000000042"), control_identity(b"42       "));
        assert_eq!(control_identity(b" X1 "), "X1");
    }
}
