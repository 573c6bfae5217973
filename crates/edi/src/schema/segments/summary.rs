//! Beginning segments and money: BEG, BAK, BSN, BIG, BIA, W05, W06, PRF, CUR, ITD, CTT, AMT, TDS,
//! TXI, SAC, CAD, ISS.

use crate::schema::codes;
use crate::schema::types::DataType::{An, Dt, Id, N, R, Tm};
use crate::schema::types::SyntaxNote::{Conditional as C, ListConditional as L, Paired as P, Required as Rq};
use crate::schema::types::Usage::{Conditional as X, Mandatory as M, Optional as O};
use crate::schema::types::{SegmentDef, el, id};

/// BEG Beginning Segment for Purchase Order (850).
pub const BEG: SegmentDef = SegmentDef::new(
    "BEG",
    &[
        id(353, 2, 2, M, codes::PURPOSE),
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
    &[],
);

/// BAK Beginning Segment for Purchase Order Acknowledgment (855).
pub const BAK: SegmentDef = SegmentDef::new(
    "BAK",
    &[
        id(353, 2, 2, M, codes::PURPOSE),
        id(587, 2, 2, M, codes::ACK_TYPE),
        el(324, An, 1, 22, M),
        el(373, Dt, 8, 8, M),
        el(328, An, 1, 30, O),
        el(326, An, 1, 45, O),
        el(367, An, 1, 30, O),
        el(127, An, 1, 50, O),
        el(373, Dt, 8, 8, O),
        el(640, Id, 2, 2, O),
    ],
    &[],
);

/// BSN Beginning Segment for Ship Notice (856).
pub const BSN: SegmentDef = SegmentDef::new(
    "BSN",
    &[
        id(353, 2, 2, M, codes::PURPOSE),
        el(396, An, 2, 30, M),
        el(373, Dt, 8, 8, M),
        el(337, Tm, 4, 8, M),
        el(1005, Id, 4, 4, O),
        el(640, Id, 2, 2, X),
        el(641, Id, 3, 3, O),
    ],
    &[C(7, &[6])],
);

/// BIG Beginning Segment for Invoice (810).
pub const BIG: SegmentDef = SegmentDef::new(
    "BIG",
    &[
        el(373, Dt, 8, 8, M),
        el(76, An, 1, 22, M),
        el(373, Dt, 8, 8, O),
        el(324, An, 1, 22, O),
        el(328, An, 1, 30, O),
        el(327, An, 1, 8, O),
        el(640, Id, 2, 2, O),
        el(353, Id, 2, 2, O),
        el(306, Id, 1, 2, O),
        el(76, An, 1, 22, O),
    ],
    &[],
);

/// BIA Beginning Segment for Inventory Inquiry/Advice (846).
pub const BIA: SegmentDef = SegmentDef::new(
    "BIA",
    &[
        id(353, 2, 2, M, codes::PURPOSE),
        el(755, Id, 2, 2, M),
        el(127, An, 1, 50, M),
        el(373, Dt, 8, 8, M),
        el(337, Tm, 4, 8, O),
        el(640, Id, 2, 2, O),
    ],
    &[],
);

/// W05 Shipping Order Identification (940): status, depositor order number, PO number. Reference
/// numbers this crate is unsure of are 0 and left out of acknowledgements.
pub const W05: SegmentDef =
    SegmentDef::leading("W05", &[el(473, Id, 1, 1, M), el(0, An, 1, 22, M), el(324, An, 1, 22, O)], &[]);

/// W06 Warehouse Shipment Identification (945): reporting code, depositor order number, date,
/// shipment id, agent shipment id, PO number.
pub const W06: SegmentDef = SegmentDef::leading(
    "W06",
    &[
        el(0, Id, 1, 1, M),
        el(0, An, 1, 22, X),
        el(373, Dt, 8, 8, X),
        el(0, An, 1, 30, X),
        el(0, An, 1, 22, O),
        el(324, An, 1, 22, O),
    ],
    &[],
);

/// PRF Purchase Order Reference (856).
pub const PRF: SegmentDef = SegmentDef::new(
    "PRF",
    &[
        el(324, An, 1, 22, M),
        el(328, An, 1, 30, O),
        el(327, An, 1, 8, O),
        el(373, Dt, 8, 8, O),
        el(350, An, 1, 20, O),
        el(367, An, 1, 30, O),
        el(92, Id, 2, 2, O),
    ],
    &[],
);

/// CUR Currency: entity and ISO 4217 code (the rest is exchange-rate detail).
pub const CUR: SegmentDef =
    SegmentDef::leading("CUR", &[el(98, Id, 2, 3, M), el(100, Id, 3, 3, M), el(280, R, 4, 10, O)], &[]);

/// ITD Terms of Sale/Deferred Terms of Sale.
pub const ITD: SegmentDef = SegmentDef::new(
    "ITD",
    &[
        el(336, Id, 2, 2, O),
        el(333, Id, 1, 2, O),
        el(338, R, 1, 6, O),
        el(370, Dt, 8, 8, X),
        el(351, N(0), 1, 3, X),
        el(446, Dt, 8, 8, O),
        el(386, N(0), 1, 3, O),
        el(362, N(2), 1, 10, O),
        el(388, Dt, 8, 8, O),
        el(389, N(2), 1, 10, X),
        el(342, R, 1, 5, X),
        el(352, An, 1, 80, O),
        el(765, N(0), 1, 2, X),
        el(107, Id, 1, 2, O),
        el(954, R, 1, 10, O),
    ],
    &[L(3, &[4, 5, 13]), L(8, &[4, 5, 13])],
);

/// CTT Transaction Totals.
pub const CTT: SegmentDef = SegmentDef::new(
    "CTT",
    &[
        el(354, N(0), 1, 6, M),
        el(347, R, 1, 10, O),
        el(81, R, 1, 10, X),
        el(355, Id, 2, 2, X),
        el(183, R, 1, 8, X),
        el(355, Id, 2, 2, X),
        el(352, An, 1, 80, O),
    ],
    &[P(&[3, 4]), P(&[5, 6])],
);

/// AMT Monetary Amount.
pub const AMT: SegmentDef =
    SegmentDef::new("AMT", &[el(522, Id, 1, 3, M), el(782, R, 1, 18, M), el(478, Id, 1, 1, O)], &[]);

/// TDS Total Monetary Value Summary (810), amounts with two implied decimals.
pub const TDS: SegmentDef = SegmentDef::new(
    "TDS",
    &[el(610, N(2), 1, 15, M), el(610, N(2), 1, 15, O), el(610, N(2), 1, 15, O), el(610, N(2), 1, 15, O)],
    &[],
);

/// TXI Tax Information.
pub const TXI: SegmentDef = SegmentDef::new(
    "TXI",
    &[
        el(963, Id, 2, 2, M),
        el(782, R, 1, 18, X),
        el(954, R, 1, 10, X),
        el(955, Id, 2, 2, X),
        el(956, An, 1, 10, X),
        el(441, Id, 1, 1, X),
        el(662, Id, 1, 1, O),
        el(828, R, 1, 9, O),
        el(325, An, 1, 20, O),
        el(350, An, 1, 20, O),
    ],
    &[Rq(&[2, 3, 6]), P(&[4, 5]), C(8, &[3])],
);

/// SAC Service, Promotion, Allowance, or Charge Information.
pub const SAC: SegmentDef = SegmentDef::new(
    "SAC",
    &[
        id(248, 1, 1, M, codes::ALLOWANCE_OR_CHARGE),
        el(1300, Id, 4, 4, X),
        el(559, Id, 2, 2, X),
        el(1301, An, 1, 10, X),
        el(610, N(2), 1, 15, O),
        el(378, Id, 1, 1, X),
        el(332, R, 1, 6, X),
        el(118, R, 1, 9, O),
        el(355, Id, 2, 2, X),
        el(380, R, 1, 15, X),
        el(380, R, 1, 15, O),
        el(331, Id, 2, 2, O),
        el(127, An, 1, 50, X),
        el(770, An, 1, 20, O),
        el(352, An, 1, 80, X),
        el(819, Id, 2, 3, O),
    ],
    &[Rq(&[2, 3]), P(&[3, 4]), P(&[6, 7]), P(&[9, 10]), C(11, &[10]), C(14, &[13]), C(16, &[15])],
);

/// CAD Carrier Detail (810).
pub const CAD: SegmentDef = SegmentDef::new(
    "CAD",
    &[
        el(91, Id, 1, 2, O),
        el(206, An, 1, 4, O),
        el(207, An, 1, 10, O),
        el(140, Id, 2, 4, X),
        el(387, An, 1, 35, X),
        el(368, Id, 2, 2, O),
        el(128, Id, 2, 3, O),
        el(127, An, 1, 50, X),
        el(284, Id, 2, 2, O),
    ],
    &[Rq(&[4, 5]), C(7, &[8])],
);

/// ISS Invoice Shipment Summary: units, weight and volume, each with its unit.
pub const ISS: SegmentDef = SegmentDef::leading(
    "ISS",
    &[
        el(382, R, 1, 10, X),
        el(355, Id, 2, 2, X),
        el(81, R, 1, 10, X),
        el(355, Id, 2, 2, X),
        el(183, R, 1, 8, X),
        el(355, Id, 2, 2, X),
    ],
    &[P(&[1, 2]), P(&[3, 4]), P(&[5, 6])],
);
