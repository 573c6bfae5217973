//! An owned, delimiter-independent form of X12 segments (element → repetitions → components), for
//! building output and for comparing inputs read with different delimiters.

use crate::error::EdiError;
use crate::segment::Segment;
use crate::tokenizer::Segments;

/// One element: its repetitions, each a list of components (one component when not composite).
pub type Element = Vec<Vec<Vec<u8>>>;

/// An owned segment whose data no longer depends on the delimiters it was read with.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct OwnedSegment {
    pub id: Vec<u8>,
    pub elements: Vec<Element>,
}

impl OwnedSegment {
    /// A segment of simple elements: no repetitions, no components.
    pub fn simple<E: AsRef<[u8]>>(id: &str, elements: &[E]) -> Self {
        OwnedSegment {
            id: id.as_bytes().to_vec(),
            elements: elements.iter().map(|e| vec![vec![e.as_ref().to_vec()]]).collect(),
        }
    }

    /// Splits a borrowed segment. ISA elements are never split: ISA11 and ISA16 hold delimiters;
    /// nor is the binary data of BIN and BDS, which may hold any byte.
    pub fn from_segment(seg: &Segment<'_>) -> Self {
        let d = seg.delimiters();
        let is_isa = seg.is(b"ISA");
        let binary = seg.binary_element();
        let elements = seg
            .elements()
            .enumerate()
            .map(|(i, e)| {
                if is_isa || binary == Some(i + 1) {
                    return vec![vec![e.to_vec()]];
                }
                split(e, d.repetition)
                    .into_iter()
                    .map(|rep| split(rep, d.component).into_iter().map(<[u8]>::to_vec).collect())
                    .collect()
            })
            .collect();
        OwnedSegment { id: seg.id().to_vec(), elements }
    }

    /// Element `n` (1-based) as flat bytes when it is a single simple value.
    pub fn value(&self, n: usize) -> Option<&[u8]> {
        let e = self.elements.get(n.checked_sub(1)?)?;
        match e.as_slice() {
            [rep] => rep.first().map(Vec::as_slice),
            _ => None,
        }
    }
}

fn split(bytes: &[u8], sep: Option<u8>) -> Vec<&[u8]> {
    match sep {
        Some(s) => bytes.split(|b| *b == s).collect(),
        None => vec![bytes],
    }
}

/// Reads every segment of an in-memory input into owned form.
pub fn read_segments(input: &[u8]) -> Result<Vec<OwnedSegment>, EdiError> {
    Segments::new(input).map(|s| s.map(|s| OwnedSegment::from_segment(&s))).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Delimiters;

    #[test]
    fn splits_repetitions_and_components() {
        let d = Delimiters::new(b'*', b':', Some(b'^'), b'~');
        let seg = Segment::parse(b"CTX*A^B:2*C", d);
        let owned = OwnedSegment::from_segment(&seg);
        assert_eq!(owned.id, b"CTX");
        assert_eq!(owned.elements[0], vec![vec![b"A".to_vec()], vec![b"B".to_vec(), b"2".to_vec()]]);
        assert_eq!(owned.value(2), Some(&b"C"[..]));
        assert_eq!(owned.value(1), None);
    }

    #[test]
    fn binary_data_is_not_split() {
        let d = Delimiters::new(b'*', b':', Some(b'^'), b'~');
        let owned = OwnedSegment::from_segment(&Segment::parse(b"BIN*5*a:b^c", d));
        assert_eq!((owned.value(1), owned.value(2)), (Some(&b"5"[..]), Some(&b"a:b^c"[..])));
    }

    #[test]
    fn isa_elements_are_not_split() {
        let d = Delimiters::new(b'*', b':', Some(b'^'), b'~');
        let owned = OwnedSegment::from_segment(&Segment::parse(b"ISA*00*^*:", d));
        assert_eq!(owned.value(2), Some(&b"^"[..]));
        assert_eq!(owned.value(3), Some(&b":"[..]));
    }
}
