//! The segment dictionary: one definition per segment id (elements, types, lengths, code lists,
//! syntax notes), shared by every set and version that uses the segment. Segments the mappings
//! and acknowledgements read are defined element by element; the others are known by id only,
//! so their place in a set is checked but their elements are not.
//!
//! Element tables follow the X12 004010 and 005010 dictionaries; where the corpus schemas of
//! xlate/staedi (Apache-2.0), azoner/pyx12 (BSD-3-Clause), EDIandXML/OBOE (Apache-2.0) and
//! aaronhuggins/node-x12 (MIT) define a segment, lengths and requirements were checked against them.

mod ack;
mod line;
mod opaque;
mod party;
mod summary;
mod transport;

pub use ack::*;
pub use line::*;
pub use opaque::*;
pub use party::*;
pub use summary::*;
pub use transport::*;

use super::types::{DataType::An, DataType::Id, ElementDef, Usage::Conditional as X, el};

/// A product/service id qualifier (235) and id (234) pair, as repeated in PO1, IT1, LIN and others.
pub(crate) const PAIR: [ElementDef; 2] = [el(235, Id, 2, 2, X), el(234, An, 1, 48, X)];

/// A table of `N` elements: `head`, then product id pairs, then `tail`.
pub(crate) const fn with_pairs<const N: usize>(head: &[ElementDef], tail: &[ElementDef]) -> [ElementDef; N] {
    let mut e = [PAIR[0]; N];
    let mut i = 0;
    while i < head.len() {
        e[i] = head[i];
        i += 1;
    }
    let pairs_end = N - tail.len();
    while i < pairs_end {
        e[i] = PAIR[(i - head.len()) % 2];
        i += 1;
    }
    let mut t = 0;
    while t < tail.len() {
        e[i] = tail[t];
        i += 1;
        t += 1;
    }
    e
}
