//! Delivery state: a durable cursor per subscription over the event log and one row per (event,
//! subscription) the dispatcher scheduled, with leases so that several hub processes share the work.
//!
//! The rules both backends follow:
//! - `schedule` inserts deliveries and moves the subscription's cursor in one transaction, compare-and-set
//!   on the cursor: if another process moved it first, nothing is written and the caller re-reads.
//!   Inserting is idempotent on (subscription, seq), so history scheduled again is not duplicated.
//! - The idempotency key of a delivery is `{subscription}:{seq}`; it never changes, whatever the attempts,
//!   replays or processes involved, so receivers can dedupe on it.
//! - Sending on schedule: the dispatcher may send a subscription's new events before recording them and
//!   then record each with what happened (`NewDelivery::sent`): acknowledged ones go in straight as
//!   delivered (one row write instead of insert, lease and complete), failed ones pending and leased to the
//!   sender, which then records the attempt with `complete`. Only the holder of the subscription's sender
//!   lease (`acquire_sender`) does this, so that two processes do not both send the same events; the cursor
//!   compare-and-set still decides whose record counts. Events of an aggregate with a pending delivery
//!   (`pending_aggregates`) are not sent on schedule: they queue behind it.
//! - `claim` leases due pending deliveries in sequence order. Per (subscription, aggregate) only the earliest
//!   pending delivery is claimable, and not while another owner holds a live lease on it: a system sees the
//!   events of one order in order, and a stuck order blocks only itself. A dead or discarded delivery does
//!   not block later ones (the order moves on; a replayed dead letter then arrives after them — receivers
//!   that must not go back compare the event's per-aggregate `version`). An expired lease is taken over.
//!   PostgreSQL claims with `FOR UPDATE SKIP LOCKED`; SQLite has one writer at a time.
//! - `complete` applies results in one transaction, only for deliveries the caller still holds the lease
//!   of; a result from an owner whose lease was taken over is dropped (the new owner sends again, with the
//!   same idempotency key: at-least-once).
//! - Delivered, retried and dead results count an attempt; a deferred one (circuit open) does not.
//! - With a master key, a failed attempt's request and response are sealed under the data key of the
//!   order's customer (`sealing`), so that erasure shreds them too.

pub(crate) mod floor;
pub(crate) mod outcomes;
pub(crate) mod sealing;
mod types;

pub use types::*;

/// How a scheduled delivery's row starts out, for both backends' inserts.
pub(crate) struct RowState<'a> {
    pub status: DeliveryStatus,
    /// Acknowledged at, latency in milliseconds: one attempt made and counted.
    pub delivered: Option<(chrono::DateTime<chrono::Utc>, i64)>,
    /// Leased to its sender until then.
    pub lease: Option<(&'a str, chrono::DateTime<chrono::Utc>)>,
}

impl<'a> RowState<'a> {
    pub fn of(delivery: &'a NewDelivery) -> Self {
        let (status, delivered, lease) = match (&delivery.dead_error, &delivery.sent) {
            (Some(_), _) => (DeliveryStatus::Dead, None, None),
            (None, None) => (DeliveryStatus::Pending, None, None),
            (None, Some(Sent::Delivered { at, latency_ms })) => {
                (DeliveryStatus::Delivered, Some((*at, *latency_ms)), None)
            }
            (None, Some(Sent::Held { owner, until })) => {
                (DeliveryStatus::Pending, None, Some((owner.as_str(), *until)))
            }
        };
        Self { status, delivered, lease }
    }
}
