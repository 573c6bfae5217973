//! Retention of operational rows: deliveries that are settled (`delivered` or `discarded`) and idempotency
//! records, deleted once older than a cutoff, in chunks of bounded size so that no transaction holds the
//! write lock for long. The canonical record (the event log, the audit trail, the projections) is never
//! pruned; neither are deliveries still `pending` or `dead` (a dead letter stays until it is replayed or
//! discarded).
//!
//! What pruning changes for readers:
//! - A retry with an idempotency key older than the cutoff is a new request: a `PlaceOrder` whose order id
//!   derives from the key (or is given) is refused as `order_exists`; a command without such an id (an
//!   inventory adjustment) is applied again. The cutoff must exceed the longest time a client retries.
//! - Replaying a subscription from before the cutoff still re-sends: its cursor moves back and the
//!   dispatcher schedules the events again, re-creating the pruned rows (inserting is idempotent on
//!   (subscription, seq), see `delivery`), with the same delivery idempotency keys.
//! - A dead letter created before the cutoff and replayed since is kept for the retention counted from its
//!   redelivery: the console and the KPIs keep the replay's result.
//! - A marker of an EDI acknowledgement recorded but not written (`edi::UnwrittenAck`) goes with the
//!   deliveries' cutoff: its input was removed by hand, or the outbox has been unwritable for that long, and
//!   the hash of raw X12 (which may carry PII) should not outlive the operational rows. Receiving that input
//!   again records it and a new acknowledgement.
//! - Delivery counts (`delivery_stats`) and integration KPIs of periods before the cutoff cover only the rows
//!   kept there: the dead letters and pending rows.

use crate::{Store, StoreError};
use chrono::{DateTime, TimeDelta, Utc};
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

/// Rows deleted per transaction: at about 10 µs per row and index entries, a few tens of milliseconds of the
/// write lock (SQLite has one writer; the group-commit writer waits for at most one chunk).
pub const PRUNE_CHUNK_ROWS: u32 = 5_000;

/// What a prune works on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PruneTarget {
    /// Deliveries `delivered` or `discarded`, by when they were settled (delivered, else last attempted,
    /// else created); with them, markers of EDI acknowledgements never written (`edi_unwritten_acks`)
    /// recorded before the same cutoff.
    Deliveries,
    /// Idempotency records, by the time the command was applied.
    Idempotency,
}

impl PruneTarget {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Deliveries => "deliveries",
            Self::Idempotency => "idempotency",
        }
    }
}

/// What one prune of one target did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Pruned {
    pub rows: u64,
    /// Transactions that deleted rows (each at most one chunk).
    pub chunks: u32,
}

/// How long each kind of row is kept (`None`: kept for ever) and how often the background task prunes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetentionSettings {
    pub deliveries: Option<TimeDelta>,
    pub idempotency: Option<TimeDelta>,
    pub interval: Duration,
}

impl RetentionSettings {
    /// The targets with a retention, each with its cutoff at `now`.
    pub fn cutoffs(&self, now: DateTime<Utc>) -> Vec<(PruneTarget, DateTime<Utc>)> {
        [(PruneTarget::Deliveries, self.deliveries), (PruneTarget::Idempotency, self.idempotency)]
            .into_iter()
            .filter_map(|(target, keep)| Some((target, now.checked_sub_signed(keep?)?)))
            .collect()
    }
}

/// Prunes every target with a retention once, at `now`; returns what each pruned.
pub async fn prune_once(
    store: &dyn Store,
    settings: &RetentionSettings,
    now: DateTime<Utc>,
) -> Result<Vec<(PruneTarget, Pruned)>, StoreError> {
    let mut out = Vec::new();
    for (target, before) in settings.cutoffs(now) {
        out.push((target, store.prune(target, before, PRUNE_CHUNK_ROWS).await?));
    }
    Ok(out)
}

/// `serve`'s background pruning: once at start, then every `settings.interval`, until `shutdown`. A prune in
/// progress is dropped at shutdown: the chunk it was deleting rolls back, those before it stay deleted.
pub async fn run_retention(store: Arc<dyn Store>, settings: RetentionSettings, shutdown: impl Future<Output = ()>) {
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            () = &mut shutdown => return,
            pruned = prune_once(store.as_ref(), &settings, Utc::now()) => match pruned {
                Ok(pruned) => {
                    for (target, p) in pruned {
                        tracing::info!(table = target.as_str(), rows = p.rows, chunks = p.chunks, "retention: pruned");
                    }
                }
                Err(error) => tracing::warn!(%error, "retention: pruning failed; trying again at the next interval"),
            },
        }
        tokio::select! {
            () = &mut shutdown => return,
            () = tokio::time::sleep(settings.interval) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_targets_with_a_retention_have_a_cutoff() {
        let now = DateTime::from_timestamp(1_000_000_000, 0).unwrap();
        let settings = RetentionSettings {
            deliveries: Some(TimeDelta::days(30)),
            idempotency: None,
            interval: Duration::from_secs(3600),
        };
        assert_eq!(settings.cutoffs(now), [(PruneTarget::Deliveries, now - TimeDelta::days(30))]);
        let none = RetentionSettings { deliveries: None, ..settings };
        assert!(none.cutoffs(now).is_empty());
    }
}
