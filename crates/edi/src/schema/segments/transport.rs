//! Shipment and carrier segments: HL, TD1, TD3, TD5, MAN, FOB, W27, W66, W76, W03.

use crate::schema::types::DataType::{An, Id, N, R};
use crate::schema::types::SyntaxNote::{Conditional as C, Exclusion as E, Paired as P, Required as Rq};
use crate::schema::types::Usage::{Conditional as X, Mandatory as M, Optional as O};
use crate::schema::types::{SegmentDef, el};

/// HL Hierarchical Level (856). HL03 codes depend on the implementation; the 856 mapping writes
/// S, O, P and I. HL01 and HL02 are also checked for a consistent hierarchy.
pub const HL: SegmentDef = SegmentDef::new(
    "HL",
    &[el(628, An, 1, 12, M), el(734, An, 1, 12, O), el(735, Id, 1, 2, M), el(736, Id, 1, 1, O)],
    &[],
);

/// TD1 Carrier Details (Quantity and Weight).
pub const TD1: SegmentDef = SegmentDef::new(
    "TD1",
    &[
        el(103, An, 3, 5, O),
        el(80, N(0), 1, 7, X),
        el(23, Id, 1, 1, O),
        el(22, An, 1, 30, X),
        el(79, An, 1, 50, O),
        el(187, Id, 1, 2, O),
        el(81, R, 1, 10, X),
        el(355, Id, 2, 2, X),
        el(183, R, 1, 8, X),
        el(355, Id, 2, 2, X),
    ],
    &[C(1, &[2]), C(3, &[4]), C(6, &[7]), P(&[7, 8]), P(&[9, 10])],
);

/// TD3 Carrier Details (Equipment).
pub const TD3: SegmentDef = SegmentDef::new(
    "TD3",
    &[
        el(40, Id, 2, 2, X),
        el(206, An, 1, 4, O),
        el(207, An, 1, 10, X),
        el(187, Id, 1, 2, O),
        el(81, R, 1, 10, X),
        el(355, Id, 2, 2, X),
        el(102, Id, 1, 1, O),
        el(407, Id, 2, 2, O),
        el(225, An, 2, 15, O),
        el(24, Id, 4, 4, X),
    ],
    &[E(&[1, 10]), C(2, &[3]), P(&[5, 6])],
);

/// TD5 Carrier Details (Routing Sequence/Transit Time); TD515 is 005010.
pub const TD5: SegmentDef = SegmentDef::new(
    "TD5",
    &[
        el(133, Id, 1, 2, O),
        el(66, Id, 1, 2, X),
        el(67, An, 2, 80, X),
        el(91, Id, 1, 2, X),
        el(387, An, 1, 35, X),
        el(368, Id, 2, 2, X),
        el(309, Id, 1, 2, O),
        el(310, An, 1, 30, X),
        el(731, Id, 2, 2, O),
        el(732, Id, 2, 2, O),
        el(733, R, 1, 4, X),
        el(284, Id, 2, 2, X),
        el(284, Id, 2, 2, X),
        el(284, Id, 2, 2, O),
        el(26, Id, 2, 3, O),
    ],
    &[Rq(&[2, 4, 5, 6, 12]), C(2, &[3]), C(7, &[8]), C(10, &[11]), C(13, &[12]), C(14, &[13])],
)
.since_5010_after(14);

/// MAN Marks and Numbers (856 pack ids, e.g. MAN*GM with an SSCC-18).
pub const MAN: SegmentDef = SegmentDef::new(
    "MAN",
    &[
        el(88, Id, 1, 2, M),
        el(87, An, 1, 48, M),
        el(87, An, 1, 48, O),
        el(88, Id, 1, 2, X),
        el(87, An, 1, 48, X),
        el(87, An, 1, 48, O),
    ],
    &[P(&[4, 5]), C(6, &[4])],
);

/// FOB F.O.B. Related Instructions.
pub const FOB: SegmentDef = SegmentDef::new(
    "FOB",
    &[
        el(146, Id, 2, 2, M),
        el(309, Id, 1, 2, X),
        el(352, An, 1, 80, O),
        el(334, Id, 2, 2, O),
        el(335, Id, 3, 3, X),
        el(309, Id, 1, 2, X),
        el(352, An, 1, 80, O),
        el(54, Id, 2, 2, O),
        el(352, An, 1, 80, X),
    ],
    &[C(3, &[2]), C(4, &[5]), C(7, &[6]), C(8, &[9])],
);

/// W27 Carrier Detail (945): transportation method, SCAC, routing, payment method.
pub const W27: SegmentDef = SegmentDef::leading(
    "W27",
    &[el(91, Id, 1, 2, M), el(140, Id, 2, 4, O), el(387, An, 1, 35, O), el(146, Id, 2, 2, O)],
    &[],
);

/// W66 Warehouse Carrier Information (940): payment method and transportation method.
pub const W66: SegmentDef = SegmentDef::leading("W66", &[el(146, Id, 2, 2, M), el(91, Id, 1, 2, M)], &[]);

/// W76 Total Shipping Order (940).
pub const W76: SegmentDef = SegmentDef::leading(
    "W76",
    &[el(347, R, 1, 15, M), el(81, R, 1, 10, X), el(355, Id, 2, 2, X), el(183, R, 1, 8, X), el(355, Id, 2, 2, X)],
    &[P(&[2, 3]), P(&[4, 5])],
);

/// W03 Total Shipment Information (945).
pub const W03: SegmentDef = SegmentDef::leading(
    "W03",
    &[el(382, R, 1, 10, M), el(81, R, 1, 10, X), el(355, Id, 2, 2, X), el(183, R, 1, 8, X), el(355, Id, 2, 2, X)],
    &[P(&[2, 3]), P(&[4, 5])],
);
