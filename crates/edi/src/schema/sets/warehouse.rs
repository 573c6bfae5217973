//! 940 Warehouse Shipping Order and 945 Warehouse Shipping Advice.

use crate::schema::segments::*;
use crate::schema::types::Usage::{Mandatory as M, Optional as Opt};
use crate::schema::types::Version::{V4010, V5010};
use crate::schema::types::{MANY, Node, SetSchema, lp, m, o};

const LM_LOOP: Node = lp("LM", Opt, 10, &[m(&LM), o(&LQ, 100)]);
const FA1_LOOP: Node = lp("FA1", Opt, MANY, &[m(&FA1), o(&FA2, MANY)]);

const W01_LOOP: &[Node] = &[
    m(&W01),
    o(&G69, 5),
    o(&N9, 200),
    o(&NTE, MANY),
    o(&W20, 3),
    o(&QTY, 10),
    o(&AMT, 1),
    o(&G62, 10),
    o(&G66, 1),
    o(&N1, 3),
    o(&PER, 5),
    o(&LH2, 6),
    o(&LHR, 1),
    o(&LH6, 5),
    LM_LOOP,
    lp(
        "LS",
        Opt,
        1,
        &[
            m(&LS),
            lp(
                "LX",
                Opt,
                MANY,
                &[
                    m(&LX),
                    o(&N9, MANY),
                    o(&G62, 10),
                    o(&N1, 1),
                    o(&SDQ, MANY),
                    LM_LOOP,
                    lp(
                        "LH1",
                        Opt,
                        MANY,
                        &[
                            m(&LH1),
                            o(&LH2, 4),
                            o(&LH3, 10),
                            o(&LFH, 20),
                            o(&LEP, 3),
                            o(&LH4, 1),
                            o(&LHT, 3),
                            o(&LHR, 5),
                            o(&PER, 5),
                        ],
                    ),
                ],
            ),
            m(&LE),
        ],
    ),
    FA1_LOOP,
];

const BODY_940: &[Node] = &[
    m(&W05),
    lp("N1", Opt, 10, &[m(&N1), o(&N2, 2), o(&N3, 2), o(&N4, 1), o(&G61, 1), o(&PER, 5)]),
    o(&N9, 10),
    o(&G61, 3),
    o(&G62, 10),
    o(&NTE, MANY),
    o(&W09, 1),
    o(&W66, 1),
    o(&W6, 1),
    o(&R2, 13),
    o(&BNX, 1),
    LM_LOOP,
    lp(
        "LX",
        Opt,
        MANY,
        &[m(&LX), o(&MAN, MANY), o(&SDQ, MANY), o(&N1, 1), o(&G62, 10), lp("W01", Opt, MANY, W01_LOOP)],
    ),
    o(&W76, 1),
];

/// 940 Warehouse Shipping Order.
pub const OW940: SetSchema = SetSchema {
    id: "940",
    functional_id: "OW",
    name: "Warehouse Shipping Order",
    versions: &[V4010, V5010],
    body: BODY_940,
};

const W12_LOOP: &[Node] = &[
    m(&W12),
    o(&G69, 5),
    o(&N9, 200),
    o(&G62, 10),
    o(&QTY, 10),
    o(&MEA, 5),
    o(&AMT, 1),
    o(&R4, 5),
    o(&W27, 1),
    o(&N1, 5),
    o(&G72, 5),
    LM_LOOP,
    lp("LS", Opt, 1, &[m(&LS), lp("LX", Opt, MANY, &[m(&LX), o(&N9, MANY), o(&G62, 10), o(&N1, 1), LM_LOOP]), m(&LE)]),
    FA1_LOOP,
];

const BODY_945: &[Node] = &[
    m(&W06),
    lp("N1", M, 10, &[m(&N1), o(&N2, 1), o(&N3, 2), o(&N4, 1), o(&G61, 1), o(&PER, 5)]),
    o(&N9, 10),
    o(&G61, 3),
    o(&G62, 5),
    o(&NTE, 20),
    o(&W27, 1),
    o(&W6, 1),
    o(&W28, 1),
    o(&W10, 10),
    o(&G72, 5),
    LM_LOOP,
    lp("LX", Opt, MANY, &[m(&LX), o(&MAN, MANY), o(&PAL, 1), o(&N9, 5), lp("W12", Opt, MANY, W12_LOOP)]),
    o(&W03, 1),
];

/// 945 Warehouse Shipping Advice.
pub const SW945: SetSchema = SetSchema {
    id: "945",
    functional_id: "SW",
    name: "Warehouse Shipping Advice",
    versions: &[V4010, V5010],
    body: BODY_945,
};
