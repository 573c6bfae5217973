//! The catalogue of X12 rules this crate checks, each with a stable name and the X12 error code
//! (TA1, AK9/IK9-style group, AK5/IK5 set, AK3/IK3 segment, AK4/IK4 element) that reports it.

use serde::Serialize;

/// Which acknowledgement level reports a rule, and with which code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(tag = "level", content = "code", rename_all = "snake_case")]
pub enum X12Code {
    /// TA1 interchange note code (I18), e.g. `001`.
    Ta1(&'static str),
    /// AK9/AK905 functional group syntax error code (716).
    Group(&'static str),
    /// AK5/IK5 transaction set syntax error code (718).
    Set(&'static str),
    /// AK3/IK3 segment syntax error code (720).
    Segment(&'static str),
    /// AK4/IK4 element syntax error code (723).
    Element(&'static str),
}

impl X12Code {
    /// The bare code value, e.g. `"001"` or `"5"`.
    pub fn value(self) -> &'static str {
        match self {
            X12Code::Ta1(c) | X12Code::Group(c) | X12Code::Set(c) | X12Code::Segment(c) | X12Code::Element(c) => c,
        }
    }
}

macro_rules! rules {
    ($( $(#[$doc:meta])* $variant:ident => $name:literal, $code:expr; )*) => {
        /// A rule of the X12 syntax or envelope that an input can break.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
        #[serde(rename_all = "kebab-case")]
        pub enum Rule {
            $( $(#[$doc])* $variant, )*
        }

        impl Rule {
            /// Every rule, in declaration order.
            pub const ALL: &'static [Rule] = &[$(Rule::$variant),*];

            /// Stable kebab-case name used in messages, JSON and tests.
            pub fn name(self) -> &'static str {
                match self { $(Rule::$variant => $name,)* }
            }

            /// The X12 acknowledgement code that reports this rule.
            pub fn x12_code(self) -> X12Code {
                match self { $(Rule::$variant => $code,)* }
            }
        }
    };
}

use X12Code::{Element as El, Group as Gr, Segment as Sg, Set as St, Ta1};

rules! {
    /// The input does not begin with an ISA segment (after an optional BOM and whitespace).
    NoIsa => "no-isa", Ta1("024");
    /// The input ends inside the ISA segment, before its 16 elements and terminator.
    IsaTruncated => "isa-truncated", Ta1("023");
    /// The ISA segment is not exactly 106 bytes with every element at its fixed width.
    IsaFixedWidth => "isa-fixed-width", Ta1("022");
    /// An ISA element holds a value its definition does not allow (e.g. a non-numeric ISA13).
    IsaElementValue => "isa-element-value", Ta1("022");
    /// The element separator (byte 4) is a letter, digit or space.
    InvalidElementSeparator => "invalid-element-separator", Ta1("026");
    /// ISA16 is a letter or digit, or equals another delimiter.
    InvalidComponentSeparator => "invalid-component-separator", Ta1("027");
    /// ISA11 names a repetition separator that is a letter, digit or another delimiter.
    InvalidRepetitionSeparator => "invalid-repetition-separator", Ta1("026");
    /// The segment terminator after ISA16 is a letter, digit or another delimiter, or missing.
    InvalidSegmentTerminator => "invalid-segment-terminator", Ta1("004");
    /// The segment terminator is a multi-byte UTF-8 character instead of a single byte.
    MultiByteTerminator => "multi-byte-terminator", Ta1("004");
    /// ISA16 is absent: the byte read as ISA16 is the real segment terminator.
    Isa16Missing => "isa16-missing", Ta1("027");
    /// The input ended before the IEA that closes the interchange.
    IeaMissing => "iea-missing", Ta1("023");
    /// IEA02 differs from ISA13.
    IeaControlMismatch => "iea-control-mismatch", Ta1("001");
    /// IEA02 equals ISA13 numerically but not byte for byte (e.g. missing leading zeros).
    IeaControlNotIdentical => "iea-control-not-identical", Ta1("018");
    /// ISA13 repeats the control number of an earlier interchange from the same sender (ISA05/ISA06) in
    /// the same input.
    InterchangeControlNotUnique => "interchange-control-not-unique", Ta1("025");
    /// IEA01 differs from the number of functional groups in the interchange.
    IeaGroupCount => "iea-group-count", Ta1("021");
    /// A segment appears between interchanges, or after the last IEA.
    SegmentOutsideInterchange => "segment-outside-interchange", Ta1("024");
    /// A segment other than GS, IEA or TA1 appears in an interchange outside a group.
    SegmentOutsideGroup => "segment-outside-group", Ta1("024");
    /// A GS segment lacks a required element or has a malformed one.
    GsElementValue => "gs-element-value", Gr("6");
    /// GS06 repeats the control number of an earlier group in the same interchange (a 997, written as
    /// 004010 whose list lacks 19, reports it as 6).
    GroupControlNotUnique => "group-control-not-unique", Gr("19");
    /// The input or interchange ended before the GE that closes a group.
    GeMissing => "ge-missing", Gr("3");
    /// GE02 differs from GS06.
    GeControlMismatch => "ge-control-mismatch", Gr("4");
    /// GE01 differs from the number of transaction sets in the group.
    GeSetCount => "ge-set-count", Gr("5");
    /// A segment other than ST or GE appears in a group outside a transaction set.
    SegmentOutsideSet => "segment-outside-set", Sg("2");
    /// The group or input ended before the SE that closes a transaction set.
    SeMissing => "se-missing", St("2");
    /// SE02 differs from ST02.
    SeControlMismatch => "se-control-mismatch", St("3");
    /// SE01 differs from the number of segments from ST to SE inclusive.
    SeSegmentCount => "se-segment-count", St("4");
    /// ST01 is missing or not a 3-character transaction set id.
    StElementValue => "st-element-value", St("6");
    /// ST02 is missing or not a 4 to 9 character control number.
    StControlValue => "st-control-value", St("7");
    /// ST02 repeats the control number of an earlier set in the same functional group.
    SetControlNotUnique => "set-control-not-unique", St("23");
    /// A segment id is not 2 or 3 upper-case letters or digits.
    InvalidSegmentId => "invalid-segment-id", Sg("1");
    /// The last segment of the input has no segment terminator.
    UnterminatedSegment => "unterminated-segment", Ta1("023");
    /// A segment is longer than the reader's limit.
    SegmentTooLong => "segment-too-long", Ta1("024");
    /// BIN01 or BDS02 is not a length (1 to 15 digits) of binary data that the input holds and the
    /// segment terminator follows; the rest of the input cannot be split into segments.
    BinaryLengthInvalid => "binary-length-invalid", Ta1("024");
    /// A segment the transaction-set schema requires is absent.
    MandatorySegmentMissing => "mandatory-segment-missing", Sg("3");
    /// A segment the set defines elsewhere appears where its structure does not allow it.
    UnexpectedSegment => "unexpected-segment", Sg("2");
    /// A segment the transaction set does not define at all.
    SegmentNotInSet => "segment-not-in-set", Sg("6");
    /// A segment appears after the place where its loop or set defines it.
    SegmentOutOfOrder => "segment-out-of-order", Sg("7");
    /// A segment occurs more often than its maximum use at this place.
    SegmentRepeatExceeded => "segment-repeat-exceeded", Sg("5");
    /// A loop occurs more often than its maximum.
    LoopRepeatExceeded => "loop-repeat-exceeded", Sg("4");
    /// An HL segment repeats an HL01 id or names (in HL02) a parent that is not an earlier HL.
    HierarchyInvalid => "hierarchy-invalid", El("7");
    /// A segment has more elements than its definition (reported at the first position past them).
    TooManyElements => "too-many-elements", El("3");
    /// A mandatory element is empty or absent.
    MandatoryElementMissing => "mandatory-element-missing", El("1");
    /// A conditional element is required by a syntax note (P, R, C, L) and absent.
    ConditionalElementMissing => "conditional-element-missing", El("2");
    /// An element is present that an exclusion (E) syntax note forbids.
    ExclusionViolated => "exclusion-violated", El("10");
    /// An element is shorter than its minimum length.
    ElementTooShort => "element-too-short", El("4");
    /// An element is longer than its maximum length.
    ElementTooLong => "element-too-long", El("5");
    /// An element holds a character its type does not allow (e.g. a letter in an Nn or R element).
    InvalidCharacter => "invalid-character", El("6");
    /// An ID element holds a value outside its code list.
    InvalidCode => "invalid-code", El("7");
    /// A DT element is not a valid CCYYMMDD or YYMMDD date.
    InvalidDate => "invalid-date", El("8");
    /// A TM element is not a valid HHMM[SS[d..]] time.
    InvalidTime => "invalid-time", El("9");
    /// An element has more components than its composite definition, or components where none are allowed
    /// (a 997, written as 004010 whose list lacks 13, reports it as 6).
    TooManyComponents => "too-many-components", El("13");
}

impl std::fmt::Display for Rule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_kebab_case() {
        let mut seen = std::collections::HashSet::new();
        for rule in Rule::ALL {
            assert!(seen.insert(rule.name()), "duplicate {}", rule.name());
            assert!(rule.name().bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'));
            assert!(!rule.x12_code().value().is_empty());
        }
    }

    #[test]
    fn serde_name_matches_name() {
        for rule in Rule::ALL {
            let json = serde_json::to_string(rule).unwrap_or_default();
            assert_eq!(json, format!("\"{}\"", rule.name()));
        }
    }
}
