//! Line item segments: PO1, PO4, PID, CTP, SLN, ACK, SCH, LIN, SN1, QTY, IT1, W01, W12, G69, LX.

use super::with_pairs;
use crate::schema::codes;
use crate::schema::types::DataType::{An, Dt, Id, N, R, Tm};
use crate::schema::types::SyntaxNote::{Conditional as C, Exclusion as E, Paired as P, Required as Rq};
use crate::schema::types::Usage::{Conditional as X, Mandatory as M, Optional as O};
use crate::schema::types::{ElementDef, SegmentDef, SyntaxNote, composite, el, id};

/// C001 Composite Unit of Measure: a unit, exponent and multiplier, five times.
pub(crate) const C001: &[ElementDef] = &[
    el(355, Id, 2, 2, M),
    el(1018, R, 1, 15, O),
    el(649, R, 1, 10, O),
    el(355, Id, 2, 2, X),
    el(1018, R, 1, 15, X),
    el(649, R, 1, 10, X),
    el(355, Id, 2, 2, X),
    el(1018, R, 1, 15, X),
    el(649, R, 1, 10, X),
    el(355, Id, 2, 2, X),
    el(1018, R, 1, 15, X),
    el(649, R, 1, 10, X),
    el(355, Id, 2, 2, X),
    el(1018, R, 1, 15, X),
    el(649, R, 1, 10, X),
];

/// Paired notes for ten product id pairs starting at `first`.
macro_rules! pair_notes {
    ($($a:literal),*) => { &[$(SyntaxNote::Paired(&[$a, $a + 1])),*] };
}

const PO1_ELEMENTS: [ElementDef; 25] = with_pairs(
    &[el(350, An, 1, 20, O), el(330, R, 1, 15, X), el(355, Id, 2, 2, O), el(212, R, 1, 17, X), el(639, Id, 2, 2, O)],
    &[],
);
const PO1_NOTES: &[SyntaxNote] = &[
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
];

/// PO1 Baseline Item Data (850, 855).
pub const PO1: SegmentDef = SegmentDef::new("PO1", &PO1_ELEMENTS, PO1_NOTES);

const IT1_ELEMENTS: [ElementDef; 25] = with_pairs(
    &[el(350, An, 1, 20, O), el(358, R, 1, 10, X), el(355, Id, 2, 2, X), el(212, R, 1, 17, X), el(639, Id, 2, 2, O)],
    &[],
);

/// IT1 Baseline Item Data (Invoice).
pub const IT1: SegmentDef = SegmentDef::new(
    "IT1",
    &IT1_ELEMENTS,
    &[
        P(&[2, 3, 4]),
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
);

/// PO4 Item Physical Details.
pub const PO4: SegmentDef = SegmentDef::new(
    "PO4",
    &[
        el(356, N(0), 1, 6, O),
        el(357, R, 1, 8, O),
        el(355, Id, 2, 2, X),
        el(103, An, 3, 5, X),
        el(187, Id, 1, 2, O),
        el(384, R, 1, 9, X),
        el(355, Id, 2, 2, X),
        el(385, R, 1, 9, X),
        el(355, Id, 2, 2, X),
        el(82, R, 1, 8, X),
        el(189, R, 1, 8, X),
        el(65, R, 1, 8, X),
        el(355, Id, 2, 2, X),
        el(810, N(0), 1, 6, O),
        el(752, Id, 2, 2, O),
        el(350, An, 1, 20, X),
        el(350, An, 1, 20, O),
        el(1470, N(0), 1, 9, O),
    ],
    &[C(2, &[3]), C(5, &[6]), P(&[6, 7]), P(&[8, 9]), C(10, &[13]), C(11, &[13]), C(12, &[13]), C(17, &[16])],
);

/// PID Product/Item Description.
pub const PID: SegmentDef = SegmentDef::new(
    "PID",
    &[
        el(349, Id, 1, 1, M),
        el(750, Id, 2, 3, O),
        el(559, Id, 2, 2, X),
        el(751, An, 1, 12, X),
        el(352, An, 1, 80, X),
        el(752, Id, 2, 2, O),
        el(822, An, 1, 15, O),
        el(1073, Id, 1, 1, O),
        el(819, Id, 2, 3, O),
    ],
    &[C(4, &[3]), Rq(&[4, 5])],
);

/// CTP Pricing Information.
pub const CTP: SegmentDef = SegmentDef::new(
    "CTP",
    &[
        el(687, Id, 2, 2, O),
        el(236, Id, 3, 3, X),
        el(212, R, 1, 17, X),
        el(380, R, 1, 15, X),
        composite(X, C001),
        el(648, Id, 3, 3, O),
        el(649, R, 1, 10, X),
        el(782, R, 1, 18, O),
        el(639, Id, 2, 2, O),
        el(499, An, 1, 10, O),
        el(289, N(0), 1, 2, O),
    ],
    &[P(&[4, 5]), C(6, &[7]), C(9, &[2]), C(10, &[2]), C(11, &[3])],
);

const SLN_ELEMENTS: [ElementDef; 28] = with_pairs(
    &[
        el(350, An, 1, 20, M),
        el(350, An, 1, 20, O),
        id(662, 1, 1, M, codes::RELATIONSHIP),
        el(380, R, 1, 15, X),
        composite(X, C001),
        el(212, R, 1, 17, X),
        el(639, Id, 2, 2, O),
        el(662, Id, 1, 1, O),
    ],
    &[],
);

/// SLN Subline Item Detail.
pub const SLN: SegmentDef = SegmentDef::new("SLN", &SLN_ELEMENTS, pair_notes!(9, 11, 13, 15, 17, 19, 21, 23, 25, 27));

const ACK_ELEMENTS: [ElementDef; 29] = with_pairs(
    &[
        id(668, 2, 2, M, codes::LINE_STATUS),
        el(380, R, 1, 15, X),
        el(355, Id, 2, 2, X),
        el(374, Id, 3, 3, X),
        el(373, Dt, 8, 8, O),
        el(326, An, 1, 45, O),
    ],
    &[el(559, Id, 2, 2, O), el(822, An, 1, 15, X), el(1271, An, 1, 30, X)],
);
const ACK_NOTES: &[SyntaxNote] = &[
    P(&[2, 3]),
    C(4, &[5]),
    P(&[7, 8]),
    P(&[9, 10]),
    P(&[11, 12]),
    P(&[13, 14]),
    P(&[15, 16]),
    P(&[17, 18]),
    P(&[19, 20]),
    P(&[21, 22]),
    P(&[23, 24]),
    P(&[25, 26]),
];

/// ACK Line Item Acknowledgment (855); ACK01 is checked against code list 668.
pub const ACK: SegmentDef = SegmentDef::new("ACK", &ACK_ELEMENTS, ACK_NOTES);

/// SCH Line Item Schedule.
pub const SCH: SegmentDef = SegmentDef::new(
    "SCH",
    &[
        el(380, R, 1, 15, M),
        el(355, Id, 2, 2, M),
        el(98, Id, 2, 3, X),
        el(93, An, 1, 60, X),
        el(374, Id, 3, 3, M),
        el(373, Dt, 8, 8, M),
        el(337, Tm, 4, 8, O),
        el(374, Id, 3, 3, X),
        el(373, Dt, 8, 8, X),
        el(337, Tm, 4, 8, O),
        el(326, An, 1, 45, O),
        el(350, An, 1, 20, O),
    ],
    &[C(3, &[4]), P(&[8, 9])],
);

const LIN_ELEMENTS: [ElementDef; 31] =
    with_pairs(&[el(350, An, 1, 20, O), el(235, Id, 2, 2, M), el(234, An, 1, 48, M)], &[]);

/// LIN Item Identification (846, 856).
pub const LIN: SegmentDef =
    SegmentDef::new("LIN", &LIN_ELEMENTS, pair_notes!(4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30));

/// SN1 Item Detail (Shipment).
pub const SN1: SegmentDef = SegmentDef::new(
    "SN1",
    &[
        el(350, An, 1, 20, O),
        el(382, R, 1, 10, M),
        el(355, Id, 2, 2, M),
        el(646, R, 1, 15, O),
        el(330, R, 1, 15, X),
        el(355, Id, 2, 2, X),
        el(728, Id, 1, 2, O),
        id(668, 2, 2, O, codes::LINE_STATUS),
    ],
    &[P(&[5, 6])],
);

/// QTY Quantity.
pub const QTY: SegmentDef = SegmentDef::new(
    "QTY",
    &[el(673, Id, 2, 2, M), el(380, R, 1, 15, X), composite(O, C001), el(61, An, 1, 30, X)],
    &[Rq(&[2, 4]), E(&[2, 4])],
);

/// W01 Line Item Detail - Warehouse (940): quantity, unit and product ids.
pub const W01: SegmentDef = SegmentDef::leading(
    "W01",
    &[
        el(330, R, 1, 15, M),
        el(355, Id, 2, 2, M),
        el(438, An, 12, 12, X),
        el(235, Id, 2, 2, X),
        el(234, An, 1, 48, X),
        el(235, Id, 2, 2, X),
        el(234, An, 1, 48, X),
    ],
    &[P(&[4, 5]), P(&[6, 7])],
);

/// W12 Warehouse Item Detail (945): status, quantities, unit and product ids.
pub const W12: SegmentDef = SegmentDef::leading(
    "W12",
    &[
        el(368, Id, 2, 2, M),
        el(330, R, 1, 15, X),
        el(382, R, 1, 10, X),
        el(380, R, 1, 15, X),
        el(355, Id, 2, 2, X),
        el(438, An, 12, 12, X),
        el(235, Id, 2, 2, X),
        el(234, An, 1, 48, X),
    ],
    &[P(&[7, 8])],
);

/// G69 Line Item Detail - Description.
pub const G69: SegmentDef = SegmentDef::new("G69", &[el(352, An, 1, 45, M)], &[]);

/// LX Assigned Number.
pub const LX: SegmentDef = SegmentDef::new("LX", &[el(554, N(0), 1, 6, M)], &[]);
