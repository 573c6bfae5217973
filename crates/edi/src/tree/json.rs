//! JSON form of parsed segments: `{"id", "index", "position", "elements"}`, each element a string,
//! an array of component strings, or `{"repeats": [...]}` when it repeats.

use super::SegmentNode;
use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};

struct Element<'a>(&'a [Vec<Vec<u8>>]);
struct Components<'a>(&'a [Vec<u8>]);

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

impl Serialize for Components<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            [one] => s.serialize_str(&text(one)),
            many => {
                let mut seq = s.serialize_seq(Some(many.len()))?;
                for c in many {
                    seq.serialize_element(&text(c))?;
                }
                seq.end()
            }
        }
    }
}

impl Serialize for Element<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            [] => s.serialize_str(""),
            [one] => Components(one).serialize(s),
            many => {
                let mut map = s.serialize_map(Some(1))?;
                let reps: Vec<Components<'_>> = many.iter().map(|r| Components(r)).collect();
                map.serialize_entry("repeats", &reps)?;
                map.end()
            }
        }
    }
}

impl Serialize for SegmentNode {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(4))?;
        map.serialize_entry("id", &text(self.id()))?;
        map.serialize_entry("index", &self.index)?;
        if self.position > 0 {
            map.serialize_entry("position", &self.position)?;
        }
        let segment = self.segment();
        let elements: Vec<Element<'_>> = segment.elements.iter().map(|e| Element(e)).collect();
        map.serialize_entry("elements", &elements)?;
        map.end()
    }
}

#[cfg(test)]
mod tests {
    use crate::Delimiters;
    use crate::segment::Segment;
    use crate::tree::SegmentNode;

    #[test]
    fn elements_as_strings_components_and_repeats() {
        let seg = Segment::new(b"CTX*A*B:2*C^D:3", Delimiters::new(b'*', b':', Some(b'^'), b'~'), 4, 0, true);
        let json = serde_json::to_string(&SegmentNode::new(&seg, 3)).unwrap_or_default();
        assert_eq!(
            json,
            r#"{"id":"CTX","index":4,"position":3,"elements":["A",["B","2"],{"repeats":["C",["D","3"]]}]}"#
        );
    }
}
