//! 997 Functional Acknowledgment and 999 Implementation Acknowledgment, after azoner/pyx12's
//! `997.4010.xml` and `999.5010.xml` maps (BSD-3-Clause).

use crate::schema::segments::*;
use crate::schema::types::Usage::Optional as Opt;
use crate::schema::types::Version::{V4010, V5010};
use crate::schema::types::{MANY, Node, SetSchema, lp, m, o};

const BODY_997: &[Node] =
    &[m(&AK1), lp("AK2", Opt, MANY, &[m(&AK2), lp("AK3", Opt, MANY, &[m(&AK3), o(&AK4, 99)]), m(&AK5)]), m(&AK9)];

/// 997 Functional Acknowledgment.
pub const FA997: SetSchema = SetSchema {
    id: "997",
    functional_id: "FA",
    name: "Functional Acknowledgment",
    versions: &[V4010, V5010],
    body: BODY_997,
};

const IK3_LOOP: &[Node] = &[m(&IK3), o(&CTX, 10), lp("IK4", Opt, 99, &[m(&IK4), o(&CTX, 10)])];

const BODY_999: &[Node] =
    &[m(&AK1), lp("AK2", Opt, MANY, &[m(&AK2), lp("IK3", Opt, MANY, IK3_LOOP), m(&IK5)]), m(&AK9)];

/// 999 Implementation Acknowledgment (005010 only).
pub const FA999: SetSchema = SetSchema {
    id: "999",
    functional_id: "FA",
    name: "Implementation Acknowledgment",
    versions: &[V5010],
    body: BODY_999,
};
