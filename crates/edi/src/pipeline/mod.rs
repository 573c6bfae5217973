//! The EDI processing pipeline's pure half: plan what to do with a received interchange (partner,
//! validation, canonical commands with idempotency keys, acknowledgements carried and to send), and
//! which outbound documents an event calls for. The IO half (store, folders, HTTP) lives in
//! `crossdock-connect`'s `edi` module.

mod inbound;
mod outbound;

pub use inbound::{
    InboundError, InboundIssue, InboundPlan, PlannedCommand, PlannedGroup, PlannedSet, idempotency_key,
    identify_partner, plan_inbound,
};
pub use outbound::{OutboundDocument, documents_for_event, is_partner_order, order_needed};

use serde::Serialize;

/// Where in receiving a problem arose.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    Validation,
    Mapping,
    Submission,
}

/// The outcome of a received interchange from its set counts: every set taken, none, or some.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Accepted,
    PartiallyAccepted,
    Rejected,
}

impl Outcome {
    /// `accepted` of `total` sets were taken; an input without sets (only a TA1, or unreadable) is
    /// accepted when `envelope_ok`.
    pub fn of(total: usize, accepted: usize, envelope_ok: bool) -> Outcome {
        match (total, accepted) {
            (0, _) if envelope_ok => Outcome::Accepted,
            (0, _) => Outcome::Rejected,
            (t, a) if a >= t => Outcome::Accepted,
            (_, 0) => Outcome::Rejected,
            _ => Outcome::PartiallyAccepted,
        }
    }
}
