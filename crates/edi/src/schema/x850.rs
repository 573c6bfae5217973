//! 850 Purchase Order (004010 and 005010): the header and line segments the canonical mapping
//! reads, with element types, lengths and syntax notes.

use super::types::DataType::{An, Dt, Id, N, R, Tm};
use super::types::SyntaxNote::{Conditional as C, Paired as P, Required};
use super::types::Usage::{Mandatory as M, Optional as O};
use super::types::{ElementDef, SegmentDef, SetSchema, el, id};

/// BEG01 transaction set purpose codes (353) the mapping accepts.
pub const PURPOSE_CODES: &[&str] = &["00", "01", "04", "05", "06", "07", "18", "22"];

/// PO1 product/service id qualifier pairs: 6/7 through 24/25.
const PO1_PAIRS: &[ElementDef] = &[el(235, Id, 2, 2, O), el(234, An, 1, 48, O)];

const fn po1() -> [ElementDef; 25] {
    let mut e = [PO1_PAIRS[0]; 25];
    e[0] = el(350, An, 1, 20, O);
    e[1] = el(330, R, 1, 15, O);
    e[2] = el(355, Id, 2, 2, O);
    e[3] = el(212, R, 1, 17, O);
    e[4] = el(639, Id, 2, 2, O);
    let mut i = 5;
    while i < 25 {
        e[i] = PO1_PAIRS[(i - 5) % 2];
        i += 1;
    }
    e
}

const PO1: [ElementDef; 25] = po1();

const SEGMENTS: &[SegmentDef] = &[
    SegmentDef {
        id: "BEG",
        elements: &[
            id(353, 2, 2, M, PURPOSE_CODES),
            el(92, Id, 2, 2, M),
            el(324, An, 1, 22, M),
            el(328, An, 1, 30, O),
            el(373, Dt, 8, 8, M),
            el(367, An, 1, 30, O),
            el(587, Id, 2, 2, O),
            el(1019, Id, 3, 3, O),
            el(1166, Id, 2, 2, O),
            el(1232, Id, 2, 2, O),
            el(786, Id, 1, 2, O),
            el(640, Id, 2, 2, O),
        ],
        notes: &[],
    },
    SegmentDef {
        id: "DTM",
        elements: &[
            el(374, Id, 3, 3, M),
            el(373, Dt, 8, 8, O),
            el(337, Tm, 4, 8, O),
            el(623, Id, 2, 2, O),
            el(1250, Id, 2, 3, O),
            el(1251, An, 1, 35, O),
        ],
        notes: &[Required(&[2, 3, 5]), C(4, &[3]), P(&[5, 6])],
    },
    SegmentDef {
        id: "N1",
        elements: &[el(98, Id, 2, 3, M), el(93, An, 1, 60, O), el(66, Id, 1, 2, O), el(67, An, 2, 80, O)],
        notes: &[Required(&[2, 3]), P(&[3, 4])],
    },
    SegmentDef { id: "N3", elements: &[el(166, An, 1, 55, M), el(166, An, 1, 55, O)], notes: &[] },
    SegmentDef {
        id: "N4",
        elements: &[
            el(19, An, 2, 30, O),
            el(156, Id, 2, 2, O),
            el(116, Id, 3, 15, O),
            el(26, Id, 2, 3, O),
            el(309, Id, 1, 2, O),
            el(310, An, 1, 30, O),
            el(1715, Id, 1, 3, O),
        ],
        notes: &[C(6, &[5])],
    },
    SegmentDef {
        id: "PO1",
        elements: &PO1,
        notes: &[
            C(3, &[2]),
            C(5, &[4]),
            P(&[6, 7]),
            P(&[8, 9]),
            P(&[10, 11]),
            P(&[12, 13]),
            P(&[14, 15]),
            P(&[16, 17]),
            P(&[18, 19]),
            P(&[20, 21]),
            P(&[22, 23]),
            P(&[24, 25]),
        ],
    },
    SegmentDef {
        id: "PO4",
        elements: &[
            el(356, N(0), 1, 6, O),
            el(357, R, 1, 8, O),
            el(355, Id, 2, 2, O),
            el(103, An, 3, 5, O),
            el(187, Id, 1, 2, O),
            el(384, R, 1, 9, O),
            el(355, Id, 2, 2, O),
            el(385, R, 1, 9, O),
            el(355, Id, 2, 2, O),
            el(82, R, 1, 8, O),
            el(189, R, 1, 8, O),
            el(65, R, 1, 8, O),
            el(355, Id, 2, 2, O),
        ],
        notes: &[C(2, &[3]), C(5, &[6]), P(&[6, 7]), P(&[8, 9])],
    },
    SegmentDef {
        id: "CTT",
        elements: &[
            el(354, N(0), 1, 6, M),
            el(347, R, 1, 10, O),
            el(81, R, 1, 10, O),
            el(355, Id, 2, 2, O),
            el(183, R, 1, 8, O),
            el(355, Id, 2, 2, O),
            el(352, An, 1, 80, O),
        ],
        notes: &[P(&[3, 4]), P(&[5, 6])],
    },
];

pub const PO850: SetSchema =
    SetSchema { id: "850", versions: &["004010", "005010"], segments: SEGMENTS, mandatory: &["BEG"] };
