//! 997 Functional Acknowledgment (004010 and 005010): AK1–AK9 with their code lists.

use super::types::DataType::{An, Composite, Id, N};
use super::types::Usage::{Mandatory as M, Optional as O};
use super::types::{ElementDef, SegmentDef, SetSchema, el, id};

/// GS01 functional identifier codes (479) for the retail, warehouse and HIPAA sets seen in practice.
pub const FUNCTIONAL_IDS: &[&str] = &[
    "AG", "BE", "FA", "GF", "HB", "HC", "HI", "HN", "HP", "HR", "HS", "IB", "IN", "OW", "PC", "PO", "PR", "PS", "RA",
    "RS", "SC", "SH", "SM", "SW", "TX",
];
const SET_ACK: &[&str] = &["A", "E", "M", "R", "W", "X"];
const GROUP_ACK: &[&str] = &["A", "E", "M", "P", "R", "W", "X"];

const C030: &[ElementDef] = &[el(722, N(0), 1, 2, M), el(1528, N(0), 1, 2, O), el(1686, N(0), 1, 4, O)];

const SEGMENTS: &[SegmentDef] = &[
    SegmentDef {
        id: "AK1",
        elements: &[id(479, 2, 2, M, FUNCTIONAL_IDS), el(28, N(0), 1, 9, M), el(480, An, 1, 12, O)],
        notes: &[],
    },
    SegmentDef {
        id: "AK2",
        elements: &[el(143, Id, 3, 3, M), el(329, An, 4, 9, M), el(1705, An, 1, 35, O)],
        notes: &[],
    },
    SegmentDef {
        id: "AK3",
        elements: &[el(721, Id, 2, 3, M), el(719, N(0), 1, 10, M), el(447, An, 1, 4, O), el(720, Id, 1, 3, O)],
        notes: &[],
    },
    SegmentDef {
        id: "AK4",
        elements: &[
            el(0, Composite(C030), 1, 99, M),
            el(725, N(0), 1, 4, O),
            el(723, Id, 1, 3, M),
            el(724, An, 1, 99, O),
        ],
        notes: &[],
    },
    SegmentDef {
        id: "AK5",
        elements: &[
            id(717, 1, 1, M, SET_ACK),
            el(718, Id, 1, 3, O),
            el(718, Id, 1, 3, O),
            el(718, Id, 1, 3, O),
            el(718, Id, 1, 3, O),
            el(718, Id, 1, 3, O),
        ],
        notes: &[],
    },
    SegmentDef {
        id: "AK9",
        elements: &[
            id(715, 1, 1, M, GROUP_ACK),
            el(97, N(0), 1, 6, M),
            el(123, N(0), 1, 6, M),
            el(2, N(0), 1, 6, M),
            el(716, Id, 1, 3, O),
            el(716, Id, 1, 3, O),
            el(716, Id, 1, 3, O),
            el(716, Id, 1, 3, O),
            el(716, Id, 1, 3, O),
        ],
        notes: &[],
    },
];

pub const FA997: SetSchema = SetSchema { id: "997", versions: &[], segments: SEGMENTS, mandatory: &["AK1", "AK9"] };
