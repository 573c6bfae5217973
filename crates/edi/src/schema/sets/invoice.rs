//! 810 Invoice and 846 Inventory Inquiry/Advice.

use crate::schema::segments::*;
use crate::schema::types::Usage::{Mandatory as M, Optional as Opt};
use crate::schema::types::Version::{V4010, V5010};
use crate::schema::types::{MANY, Node, SetSchema, lp, m, o};

const N1_810: &[Node] = &[m(&N1), o(&N2, 2), o(&N3, 2), o(&N4, 1), o(&REF, 12), o(&PER, 3), o(&DMG, 1)];
const LM_LOOP: Node = lp("LM", Opt, 10, &[m(&LM), o(&LQ, 100)]);
const SAC_810: Node = lp("SAC", Opt, 25, &[m(&SAC), o(&TXI, 10)]);
const V1_LOOP: Node = lp("V1", Opt, MANY, &[m(&V1), o(&R4, MANY), o(&DTM, MANY)]);
const FA1_LOOP: Node = lp("FA1", Opt, MANY, &[m(&FA1), o(&FA2, MANY)]);

const IT1_LOOP: &[Node] = &[
    m(&IT1),
    o(&CRC, 1),
    o(&QTY, 5),
    o(&CUR, 1),
    o(&IT3, 5),
    o(&TXI, 10),
    o(&CTP, 25),
    o(&PAM, 10),
    o(&MEA, 40),
    lp("PID", Opt, 1000, &[m(&PID), o(&MEA, 10)]),
    o(&PWK, 25),
    o(&PKG, 25),
    o(&PO4, 1),
    o(&ITD, 2),
    o(&REF, MANY),
    o(&YNQ, 10),
    o(&PER, 5),
    o(&SDQ, 500),
    o(&DTM, 10),
    o(&CAD, MANY),
    o(&L7, MANY),
    o(&SR, 1),
    SAC_810,
    lp("SLN", Opt, 1000, &[m(&SLN), o(&DTM, 1), o(&REF, MANY), o(&PID, 1000), o(&SAC, 25), o(&TC2, 2), o(&TXI, 10)]),
    lp("N1", Opt, 200, N1_810),
    LM_LOOP,
    V1_LOOP,
    FA1_LOOP,
];

const BODY_810: &[Node] = &[
    m(&BIG),
    o(&NTE, 100),
    o(&CUR, 1),
    o(&REF, 12),
    o(&YNQ, 10),
    o(&PER, 3),
    lp("N1", Opt, 200, N1_810),
    o(&ITD, MANY),
    o(&DTM, 10),
    o(&FOB, 1),
    o(&PID, 200),
    o(&MEA, 40),
    o(&PWK, 25),
    o(&PKG, 25),
    o(&L7, 1),
    o(&BAL, MANY),
    o(&INC, 1),
    o(&PAM, MANY),
    LM_LOOP,
    lp("N9", Opt, 1, &[m(&N9), o(&MSG, 10)]),
    V1_LOOP,
    FA1_LOOP,
    lp("IT1", Opt, 200_000, IT1_LOOP),
    m(&TDS),
    o(&TXI, 10),
    o(&CAD, 1),
    o(&AMT, MANY),
    SAC_810,
    lp("ISS", Opt, MANY, &[m(&ISS), o(&PID, 1)]),
    o(&CTT, 1),
];

/// 810 Invoice.
pub const IN810: SetSchema =
    SetSchema { id: "810", functional_id: "IN", name: "Invoice", versions: &[V4010, V5010], body: BODY_810 };

const N1_846: &[Node] = &[m(&N1), o(&N2, 2), o(&N3, 2), o(&N4, 1), o(&REF, 12), o(&PER, 3)];

const LIN_LOOP: &[Node] = &[
    m(&LIN),
    o(&PID, 200),
    o(&MEA, 40),
    o(&PKG, 25),
    o(&DTM, 10),
    o(&CTP, 25),
    o(&CUR, 1),
    o(&SAC, 25),
    o(&REF, MANY),
    o(&PER, 3),
    o(&SDQ, 500),
    o(&MAN, 1),
    o(&UIT, 5),
    o(&CS, 1),
    o(&DD, MANY),
    o(&G53, 1),
    o(&PCT, MANY),
    o(&LDT, 12),
    LM_LOOP,
    lp(
        "SLN",
        Opt,
        1000,
        &[m(&SLN), o(&PID, 200), o(&MEA, 40), o(&PKG, 25), lp("MAN", Opt, 100, &[m(&MAN), o(&MEA, 40)])],
    ),
    lp(
        "QTY",
        Opt,
        99,
        &[
            m(&QTY),
            o(&UIT, 12),
            o(&MEA, 25),
            o(&LDT, 12),
            o(&DTM, 10),
            lp("SCH", Opt, 25, &[m(&SCH), o(&MEA, 25)]),
            LM_LOOP,
            lp("LS", Opt, 1, &[m(&LS), lp("REF", Opt, MANY, &[m(&REF), o(&DTM, MANY), o(&N1, 1), LM_LOOP]), m(&LE)]),
        ],
    ),
    lp("N1", Opt, 200, N1_846),
];

const BODY_846: &[Node] = &[
    m(&BIA),
    o(&CUR, 1),
    o(&DTM, 10),
    o(&REF, 12),
    o(&PER, 3),
    o(&MEA, 20),
    lp("N1", Opt, 5, N1_846),
    LM_LOOP,
    lp("LIN", M, 10_000, LIN_LOOP),
    o(&CTT, 1),
];

/// 846 Inventory Inquiry/Advice.
pub const IB846: SetSchema = SetSchema {
    id: "846",
    functional_id: "IB",
    name: "Inventory Inquiry/Advice",
    versions: &[V4010, V5010],
    body: BODY_846,
};
