//! 856 Ship Notice/Manifest: one HL loop whose iterations form the shipment / order / pack / item
//! hierarchy through HL01 and HL02.

use crate::schema::segments::*;
use crate::schema::types::Usage::{Mandatory as M, Optional as Opt};
use crate::schema::types::Version::{V4010, V5010};
use crate::schema::types::{MANY, Node, SetSchema, lp, m, o};

const HL_LOOP: &[Node] = &[
    m(&HL),
    o(&LIN, 1),
    o(&SN1, 1),
    o(&SLN, 1000),
    o(&PRF, 1),
    o(&PO4, 1),
    o(&PID, 200),
    o(&MEA, 40),
    o(&PWK, 25),
    o(&PKG, 25),
    o(&TD1, 20),
    o(&TD5, 12),
    o(&TD3, 12),
    o(&TD4, 5),
    o(&TSD, 1),
    o(&REF, MANY),
    o(&PER, 3),
    lp(
        "LH1",
        Opt,
        100,
        &[
            m(&LH1),
            o(&LH2, 4),
            o(&LH3, 12),
            o(&LFH, 20),
            o(&LEP, MANY),
            o(&LH4, 1),
            o(&LHT, 3),
            o(&LHR, 10),
            o(&PER, 5),
            o(&LHE, 1),
        ],
    ),
    lp("CLD", Opt, 200, &[m(&CLD), o(&REF, 200), o(&DTP, 1)]),
    o(&MAN, MANY),
    o(&DTM, 10),
    o(&FOB, 1),
    o(&PAL, 1),
    lp("N1", Opt, 200, &[m(&N1), o(&N2, 2), o(&N3, 2), o(&N4, 1), o(&REF, 12), o(&PER, 3), o(&FOB, 1)]),
    o(&SDQ, 50),
    o(&ETD, 1),
    o(&CUR, 1),
    lp("SAC", Opt, MANY, &[m(&SAC), o(&CUR, 1)]),
    o(&GF, 1),
    o(&YNQ, 10),
    lp("LM", Opt, 10, &[m(&LM), o(&LQ, 100)]),
    lp("V1", Opt, MANY, &[m(&V1), o(&R4, MANY), o(&DTM, MANY)]),
];

const BODY_856: &[Node] = &[m(&BSN), o(&DTM, 10), lp("HL", M, 200_000, HL_LOOP), o(&CTT, 1)];

/// 856 Ship Notice/Manifest.
pub const SH856: SetSchema = SetSchema {
    id: "856",
    functional_id: "SH",
    name: "Ship Notice/Manifest",
    versions: &[V4010, V5010],
    body: BODY_856,
};
