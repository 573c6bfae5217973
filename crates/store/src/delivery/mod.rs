//! Delivery state: a durable cursor per subscription over the event log and one row per (event,
//! subscription) the dispatcher scheduled, with leases so that several hub processes share the work.
//!
//! The rules both backends follow:
//! - `schedule` inserts deliveries and moves the subscription's cursor in one transaction, compare-and-set
//!   on the cursor: if another process moved it first, nothing is written and the caller re-reads.
//!   Inserting is idempotent on (subscription, seq), so history scheduled again is not duplicated.
//! - The idempotency key of a delivery is `{subscription}:{seq}`; it never changes, whatever the attempts,
//!   replays or processes involved, so receivers can dedupe on it.
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

pub(crate) mod outcomes;
pub(crate) mod sealing;
mod types;

pub use types::*;
