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
//! - `claim` leases due pending deliveries oldest first, taking them in turns from each subscription (the
//!   oldest of each, then the second oldest of each, …) so that one subscription's backlog (a slow system,
//!   a replay) does not starve the others. Per (subscription, aggregate) only the earliest
//!   pending delivery is claimable, and not while another owner holds a live lease on it: a system sees the
//!   events of one order in order, and a stuck order blocks only itself. A dead or discarded delivery does
//!   not block later ones (the order moves on; a replayed dead letter then arrives after them — receivers
//!   that must not go back compare the event's per-aggregate `version`). An expired lease is taken over.
//!   PostgreSQL claims with `FOR UPDATE SKIP LOCKED`; SQLite has one writer at a time. A claimed delivery
//!   whose event cannot be read (a corrupt row, an event type from a newer version) goes to the dead-letter
//!   queue with the reason instead of failing the claim; the leases are committed only with the events read.
//! - A subscription registered again with another system takes its pending and dead deliveries along.
//! - Replaying a subscription requeues its deliveries as freshly scheduled rows: no acknowledgement,
//!   latency, attempt times or error are kept from before.
//! - PostgreSQL transactions that lock subscription rows lock them first, in name order, before any
//!   delivery row, so that concurrent completes, schedules and replays cannot deadlock.
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
    /// The row of `delivery` written at `written_at` (a held delivery's lease runs from then).
    pub fn of(delivery: &'a NewDelivery, written_at: chrono::DateTime<chrono::Utc>) -> Self {
        let (status, delivered, lease) = match (&delivery.dead_error, &delivery.sent) {
            (Some(_), _) => (DeliveryStatus::Dead, None, None),
            (None, None) => (DeliveryStatus::Pending, None, None),
            (None, Some(Sent::Delivered { at, latency_ms })) => {
                (DeliveryStatus::Delivered, Some((*at, *latency_ms)), None)
            }
            (None, Some(Sent::Held { owner, lease })) => {
                let until = written_at + chrono::Duration::from_std(*lease).unwrap_or(chrono::Duration::MAX);
                (DeliveryStatus::Pending, None, Some((owner.as_str(), until)))
            }
        };
        Self { status, delivered, lease }
    }
}

/// The dead-letter error of a claimed delivery whose event could not be read (a corrupt row, or an event
/// type this version does not know during a rolling upgrade): it names the event and why. The payload was
/// decrypted by then and serde quotes the values it trips on, so quoted text is left out (no PII in errors).
pub(crate) fn unreadable_event(seq: i64, error: &crate::StoreError) -> String {
    format!("event {seq} could not be read for delivery: {}", without_quoted(&error.to_string()))
}

/// `text` with what its double quotes enclose replaced by `…`.
fn without_quoted(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for (n, part) in text.split('"').enumerate() {
        if n > 0 {
            out.push('"');
        }
        out.push_str(if n % 2 == 1 { "…" } else { part });
    }
    out
}

#[cfg(test)]
mod unreadable_tests {
    #[test]
    fn the_error_of_an_unreadable_event_quotes_no_value() {
        let error = crate::StoreError::Corrupt(
            "event 7 payload: invalid type: string \"Jane Doe\", expected u32 at line 1 column 30".into(),
        );
        let text = super::unreadable_event(7, &error);
        assert!(!text.contains("Jane"), "{text}");
        assert!(text.contains("invalid type: string \"…\", expected u32 at line 1 column 30"), "{text}");
    }
}
