//! Names, addresses, references, contacts, notes and dates: N1–N4, N9, REF, PER, NTE, MSG, DTM,
//! G61 and G62.

use crate::schema::types::DataType::{An, Dt, Id, N, Tm};
use crate::schema::types::SyntaxNote::{Conditional as C, Paired as P, Required as R};
use crate::schema::types::Usage::{Conditional as X, Mandatory as M, Optional as O};
use crate::schema::types::{ElementDef, SegmentDef, composite, el};

/// C040 Reference Identifier: up to three qualifier / id pairs.
const C040: &[ElementDef] = &[
    el(128, Id, 2, 3, M),
    el(127, An, 1, 50, M),
    el(128, Id, 2, 3, X),
    el(127, An, 1, 50, X),
    el(128, Id, 2, 3, X),
    el(127, An, 1, 50, X),
];

/// N1 Name. N101 entity codes are open-ended and not checked.
pub const N1: SegmentDef = SegmentDef::new(
    "N1",
    &[
        el(98, Id, 2, 3, M),
        el(93, An, 1, 60, X),
        el(66, Id, 1, 2, X),
        el(67, An, 2, 80, X),
        el(706, Id, 2, 2, O),
        el(98, Id, 2, 3, O),
    ],
    &[R(&[2, 3]), P(&[3, 4])],
);

/// N2 Additional Name Information.
pub const N2: SegmentDef = SegmentDef::new("N2", &[el(93, An, 1, 60, M), el(93, An, 1, 60, O)], &[]);

/// N3 Address Information.
pub const N3: SegmentDef = SegmentDef::new("N3", &[el(166, An, 1, 55, M), el(166, An, 1, 55, O)], &[]);

/// N4 Geographic Location; N407 (country subdivision) is 005010.
pub const N4: SegmentDef = SegmentDef::new(
    "N4",
    &[
        el(19, An, 2, 30, O),
        el(156, Id, 2, 2, O),
        el(116, Id, 3, 15, O),
        el(26, Id, 2, 3, O),
        el(309, Id, 1, 2, X),
        el(310, An, 1, 30, O),
        el(1715, Id, 1, 3, X),
    ],
    &[C(6, &[5])],
)
.since_5010_after(6);

/// N9 Reference Identification (extended).
pub const N9: SegmentDef = SegmentDef::new(
    "N9",
    &[
        el(128, Id, 2, 3, M),
        el(127, An, 1, 50, X),
        el(369, An, 1, 45, X),
        el(373, Dt, 8, 8, O),
        el(337, Tm, 4, 8, X),
        el(623, Id, 2, 2, O),
        composite(O, C040),
    ],
    &[R(&[2, 3]), C(6, &[5])],
);

/// REF Reference Identification.
pub const REF: SegmentDef = SegmentDef::new(
    "REF",
    &[el(128, Id, 2, 3, M), el(127, An, 1, 50, X), el(352, An, 1, 80, X), composite(O, C040)],
    &[R(&[2, 3])],
);

/// PER Administrative Communications Contact.
pub const PER: SegmentDef = SegmentDef::new(
    "PER",
    &[
        el(366, Id, 2, 2, M),
        el(93, An, 1, 60, O),
        el(365, Id, 2, 2, X),
        el(364, An, 1, 256, X),
        el(365, Id, 2, 2, X),
        el(364, An, 1, 256, X),
        el(365, Id, 2, 2, X),
        el(364, An, 1, 256, X),
        el(443, An, 1, 20, O),
    ],
    &[P(&[3, 4]), P(&[5, 6]), P(&[7, 8])],
);

/// NTE Note/Special Instruction.
pub const NTE: SegmentDef = SegmentDef::new("NTE", &[el(363, Id, 3, 3, O), el(352, An, 1, 80, M)], &[]);

/// MSG Message Text.
pub const MSG: SegmentDef =
    SegmentDef::new("MSG", &[el(933, An, 1, 264, M), el(934, Id, 2, 2, X), el(1470, N(0), 1, 9, O)], &[C(3, &[2])]);

/// DTM Date/Time Reference.
pub const DTM: SegmentDef = SegmentDef::new(
    "DTM",
    &[
        el(374, Id, 3, 3, M),
        el(373, Dt, 8, 8, X),
        el(337, Tm, 4, 8, X),
        el(623, Id, 2, 2, O),
        el(1250, Id, 2, 3, X),
        el(1251, An, 1, 35, X),
    ],
    &[R(&[2, 3, 5]), C(4, &[3]), P(&[5, 6])],
);

/// G61 Contact (warehouse sets).
pub const G61: SegmentDef = SegmentDef::new(
    "G61",
    &[el(366, Id, 2, 2, M), el(93, An, 1, 60, M), el(365, Id, 2, 2, X), el(364, An, 1, 256, X), el(443, An, 1, 20, O)],
    &[],
);

/// G62 Date/Time (warehouse sets).
pub const G62: SegmentDef = SegmentDef::new(
    "G62",
    &[el(432, Id, 2, 2, X), el(373, Dt, 8, 8, X), el(176, Id, 1, 2, X), el(337, Tm, 4, 8, X), el(623, Id, 2, 2, O)],
    &[P(&[1, 2]), P(&[3, 4]), R(&[1, 3])],
);
