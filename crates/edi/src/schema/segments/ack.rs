//! Segments of the 997 Functional Acknowledgment and 999 Implementation Acknowledgment, with the
//! code lists from xlate/staedi's `EDISchema997.xml` and azoner/pyx12's `999.5010.xml`.

use crate::schema::codes;
use crate::schema::types::DataType::{An, Composite, Id, N};
use crate::schema::types::Usage::{Conditional as X, Mandatory as M, Optional as O};
use crate::schema::types::{ElementDef, SegmentDef, composite, el, id};

/// C030 Position in Segment: element position, component position, repeating element position.
const C030: &[ElementDef] = &[el(722, N(0), 1, 2, M), el(1528, N(0), 1, 2, O), el(1686, N(0), 1, 4, O)];
/// C998 Context Identification: context name and reference.
const C998: &[ElementDef] = &[el(9999, An, 1, 35, M), el(9998, An, 1, 35, O)];
/// C999 Reference in Segment: element and component reference numbers.
const C999: &[ElementDef] = &[el(725, N(0), 1, 4, M), el(725, N(0), 1, 4, O)];

/// AK1 Functional Group Response Header; AK103 (480) is 005010.
pub const AK1: SegmentDef = SegmentDef::new(
    "AK1",
    &[id(479, 2, 2, M, codes::FUNCTIONAL_IDS), el(28, N(0), 1, 9, M), el(480, An, 1, 12, O)],
    &[],
)
.since_5010_after(2);

/// AK2 Transaction Set Response Header; AK203 (1705) is 005010.
pub const AK2: SegmentDef =
    SegmentDef::new("AK2", &[el(143, Id, 3, 3, M), el(329, An, 4, 9, M), el(1705, An, 1, 35, O)], &[])
        .since_5010_after(2);

/// AK3 Data Segment Note.
pub const AK3: SegmentDef = SegmentDef::new(
    "AK3",
    &[el(721, Id, 2, 3, M), el(719, N(0), 1, 10, M), el(447, An, 1, 4, O), id(720, 1, 3, O, codes::SEGMENT_ERRORS)],
    &[],
);

/// AK4 Data Element Note.
pub const AK4: SegmentDef = SegmentDef::new(
    "AK4",
    &[
        ElementDef { reference: 0, data_type: Composite(C030), min: 1, max: 1, usage: M, codes: &[] },
        el(725, N(0), 1, 4, O),
        id(723, 1, 3, M, codes::ELEMENT_ERRORS),
        el(724, An, 1, 99, O),
    ],
    &[],
);

/// AK5 Transaction Set Response Trailer.
pub const AK5: SegmentDef = SegmentDef::new(
    "AK5",
    &[
        id(717, 1, 1, M, codes::SET_ACK),
        id(718, 1, 3, O, codes::SET_ERRORS),
        id(718, 1, 3, O, codes::SET_ERRORS),
        id(718, 1, 3, O, codes::SET_ERRORS),
        id(718, 1, 3, O, codes::SET_ERRORS),
        id(718, 1, 3, O, codes::SET_ERRORS),
    ],
    &[],
);

/// AK9 Functional Group Response Trailer.
pub const AK9: SegmentDef = SegmentDef::new(
    "AK9",
    &[
        id(715, 1, 1, M, codes::GROUP_ACK),
        el(97, N(0), 1, 6, M),
        el(123, N(0), 1, 6, M),
        el(2, N(0), 1, 6, M),
        id(716, 1, 3, O, codes::GROUP_ERRORS),
        id(716, 1, 3, O, codes::GROUP_ERRORS),
        id(716, 1, 3, O, codes::GROUP_ERRORS),
        id(716, 1, 3, O, codes::GROUP_ERRORS),
        id(716, 1, 3, O, codes::GROUP_ERRORS),
    ],
    &[],
);

/// IK3 Implementation Data Segment Note (999).
pub const IK3: SegmentDef = SegmentDef::new(
    "IK3",
    &[
        el(721, Id, 2, 3, M),
        el(719, N(0), 1, 10, M),
        el(447, An, 1, 4, O),
        id(620, 1, 3, M, codes::IMPLEMENTATION_SEGMENT_ERRORS),
    ],
    &[],
);

/// IK4 Implementation Data Element Note (999).
pub const IK4: SegmentDef = SegmentDef::new(
    "IK4",
    &[
        composite(M, C030),
        el(725, N(0), 1, 4, O),
        id(621, 1, 3, M, codes::IMPLEMENTATION_ELEMENT_ERRORS),
        el(724, An, 1, 99, O),
    ],
    &[],
);

/// IK5 Implementation Transaction Set Response Trailer (999).
pub const IK5: SegmentDef = SegmentDef::new(
    "IK5",
    &[
        id(717, 1, 1, M, codes::SET_ACK),
        id(618, 1, 3, O, codes::IMPLEMENTATION_SET_ERRORS),
        id(618, 1, 3, O, codes::IMPLEMENTATION_SET_ERRORS),
        id(618, 1, 3, O, codes::IMPLEMENTATION_SET_ERRORS),
        id(618, 1, 3, O, codes::IMPLEMENTATION_SET_ERRORS),
        id(618, 1, 3, O, codes::IMPLEMENTATION_SET_ERRORS),
    ],
    &[],
);

/// CTX Context (999): where in the business data a fault was found.
pub const CTX: SegmentDef = SegmentDef::new(
    "CTX",
    &[
        composite(M, C998),
        el(721, Id, 2, 3, X),
        el(719, N(0), 1, 10, X),
        el(447, An, 1, 4, O),
        composite(X, C030),
        composite(O, C999),
    ],
    &[],
);
