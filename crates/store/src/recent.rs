//! Events this process committed lately, opened, by sequence number. The dispatcher's senders read the
//! events they send moments after they are committed; taking them from here spares every subscription a
//! read of the same rows and the opening of their sealed PII. Only events whose commit has returned are
//! put here, and an event never changes once committed, so an event found here is the one in the log; a miss
//! reads the log. Nothing is kept until something has read from here (a process without senders keeps no
//! opened PII). Bounded in count and in age (what is past [`MAX_AGE`] is dropped at the next insert or read,
//! and the senders read at every poll), and emptied when a customer's PII is erased (another process's erasure
//! reaches this one within [`MAX_AGE`], as it reaches the cached data keys within their TTL).

use crate::StoreError;
use crossdock_model::RecordedEvent;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Most events kept (a few seconds of a busy hub's log).
const CAPACITY: usize = 4096;
/// Events older than this are not served, and dropped at the next insert or read.
const MAX_AGE: Duration = Duration::from_secs(10);

/// Shared, not copied: every subscription's sender reads the same events.
type Kept = BTreeMap<i64, (Instant, Arc<RecordedEvent>)>;

#[derive(Default)]
pub(crate) struct RecentEvents {
    events: Mutex<Kept>,
    /// Set by the first read: until then, inserts keep nothing.
    read: AtomicBool,
}

/// Drops the oldest events past the capacity or the age limit.
fn drop_stale(events: &mut Kept, now: Instant) {
    while events.len() > CAPACITY || events.first_key_value().is_some_and(|(_, (at, _))| now - *at > MAX_AGE) {
        events.pop_first();
    }
}

impl RecentEvents {
    fn lock(&self) -> std::sync::MutexGuard<'_, Kept> {
        self.events.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The kept events for a read, stale ones dropped; from now on inserts keep events.
    fn lock_to_read(&self, now: Instant) -> std::sync::MutexGuard<'_, Kept> {
        self.read.store(true, Ordering::Relaxed);
        let mut events = self.lock();
        drop_stale(&mut events, now);
        events
    }

    /// Keeps events just committed (once something reads from here), dropping stale ones.
    pub fn insert(&self, committed: Vec<RecordedEvent>) {
        if committed.is_empty() || !self.read.load(Ordering::Relaxed) {
            return;
        }
        let now = Instant::now();
        let mut events = self.lock();
        for event in committed {
            events.insert(event.seq, (now, Arc::new(event)));
        }
        drop_stale(&mut events, now);
    }

    pub fn clear(&self) {
        self.lock().clear();
    }

    /// The events with these sequence numbers, in sequence order: those kept here, and the rest from
    /// `read` (given the missing numbers).
    pub async fn read_through<F, Fut>(&self, seqs: &[i64], read: F) -> Result<Vec<Arc<RecordedEvent>>, StoreError>
    where
        F: FnOnce(Vec<i64>) -> Fut,
        Fut: Future<Output = Result<Vec<RecordedEvent>, StoreError>>,
    {
        let (mut found, missing) = self.take(seqs);
        if !missing.is_empty() {
            found.extend(read(missing).await?.into_iter().map(Arc::new));
            found.sort_by_key(|e| e.seq);
        }
        Ok(found)
    }

    /// The kept events that follow `after` without a gap (`after + 1`, `after + 2`, …), at most
    /// `limit`: every one committed, and no event of the log in that range left out. Empty when the next one
    /// is not kept (committed by another process, no longer kept, or not committed yet).
    pub fn run_after(&self, after: i64, limit: usize) -> Vec<Arc<RecordedEvent>> {
        let Some(mut expected) = after.checked_add(1) else { return Vec::new() };
        let now = Instant::now();
        let events = self.lock_to_read(now);
        let mut run = Vec::new();
        for (seq, (at, event)) in events.range(expected..) {
            if *seq != expected || now - *at > MAX_AGE || run.len() >= limit {
                break;
            }
            run.push(event.clone());
            expected = expected.saturating_add(1);
        }
        run
    }

    /// The events kept for `seqs` (in the order asked), and the numbers not kept.
    fn take(&self, seqs: &[i64]) -> (Vec<Arc<RecordedEvent>>, Vec<i64>) {
        let now = Instant::now();
        let events = self.lock_to_read(now);
        let mut found = Vec::with_capacity(seqs.len());
        let mut missing = Vec::new();
        for seq in seqs {
            match events.get(seq) {
                Some((at, event)) if now - *at <= MAX_AGE => found.push(event.clone()),
                _ => missing.push(*seq),
            }
        }
        (found, missing)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;
    use crossdock_model::{AggregateKind, Event, LocationId, Sku};

    fn event(seq: i64) -> RecordedEvent {
        RecordedEvent {
            seq,
            aggregate_kind: AggregateKind::Inventory,
            aggregate_id: format!("SKU-{seq}@wh"),
            version: 1,
            event_type: "inventory.adjusted".into(),
            schema_version: 1,
            recorded_at: Utc::now(),
            idempotency_key: format!("k{seq}"),
            payload: Event::InventoryAdjusted {
                sku: Sku::new(format!("SKU-{seq}")).unwrap(),
                location: LocationId::new("wh").unwrap(),
                delta: 1,
                reason: "test".into(),
            },
        }
    }

    /// A store whose events someone reads.
    fn reading() -> RecentEvents {
        let recent = RecentEvents::default();
        assert!(recent.run_after(0, 1).is_empty());
        recent
    }

    #[test]
    fn nothing_is_kept_before_the_first_read() {
        let recent = RecentEvents::default();
        recent.insert(vec![event(1)]);
        assert_eq!(recent.take(&[1]).1, vec![1]);
        recent.insert(vec![event(2)]);
        assert_eq!(recent.take(&[2]).0.len(), 1, "kept once something has read");
    }

    #[test]
    fn stale_events_are_dropped_at_a_read() {
        let recent = reading();
        recent.insert(vec![event(1)]);
        recent.lock().get_mut(&1).unwrap().0 -= MAX_AGE + Duration::from_secs(1);
        assert!(recent.run_after(0, 10).is_empty());
        assert!(recent.lock().is_empty(), "dropped, not only left unserved");
    }

    #[tokio::test]
    async fn kept_events_are_served_and_the_rest_read_in_order() {
        let recent = reading();
        recent.insert(vec![event(2), event(4)]);
        let asked = std::sync::Mutex::new(Vec::new());
        let got = recent
            .read_through(&[1, 2, 3, 4], |missing| {
                asked.lock().unwrap().extend(missing.clone());
                async move { Ok(missing.into_iter().map(event).collect()) }
            })
            .await
            .unwrap();
        assert_eq!(*asked.lock().unwrap(), vec![1, 3]);
        assert_eq!(got.iter().map(|e| e.seq).collect::<Vec<_>>(), vec![1, 2, 3, 4]);
        assert_eq!(got[1].idempotency_key, "k2");
    }

    #[tokio::test]
    async fn the_oldest_go_past_the_capacity_and_clear_empties() {
        let recent = reading();
        recent.insert((1..=CAPACITY as i64 + 10).map(event).collect());
        let (found, missing) = recent.take(&[1, 10, 11, CAPACITY as i64 + 10]);
        assert_eq!(missing, vec![1, 10]);
        assert_eq!(found.len(), 2);
        recent.clear();
        assert_eq!(recent.take(&[11]).1, vec![11]);
    }

    #[test]
    fn a_run_after_a_sequence_number_stops_at_the_first_gap_or_the_limit() {
        let recent = reading();
        recent.insert([3, 4, 5, 7, 8].into_iter().map(event).collect());
        let seqs = |run: Vec<Arc<RecordedEvent>>| run.iter().map(|e| e.seq).collect::<Vec<_>>();
        assert_eq!(seqs(recent.run_after(2, 100)), vec![3, 4, 5]);
        assert_eq!(seqs(recent.run_after(3, 1)), vec![4]);
        assert!(recent.run_after(1, 100).is_empty(), "2 is not kept: the log must be read");
        assert!(recent.run_after(5, 100).is_empty(), "6 is not kept");
        assert_eq!(seqs(recent.run_after(6, 100)), vec![7, 8]);
        assert!(recent.run_after(8, 100).is_empty());
        assert!(recent.run_after(i64::MAX, 100).is_empty());
    }
}
