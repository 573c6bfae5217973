//! A system's work to do at simulated times (pick an order, deliver a parcel, count a shelf), and the task
//! that runs due work with bounded concurrency. Capacity is bounded: a full agenda refuses new work, which a
//! webhook answers with 503 so the hub retries later.

use crate::faults::Faults;
use chrono::{DateTime, Utc};
use std::cmp::Ordering as CmpOrdering;
use std::collections::BinaryHeap;
use std::future::Future;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{Semaphore, watch};
use tokio::task::{JoinHandle, JoinSet};

/// Times a job is tried again after the hub did not answer (an hour of simulated time apart) before it
/// is given up.
pub const MAX_JOB_RETRIES: u32 = 48;

/// How often the runner looks for due work (real time).
const TICK: Duration = Duration::from_millis(5);
/// How long stopping waits for work in flight before abandoning it.
const STOP_GRACE: Duration = Duration::from_secs(5);

struct Entry<J> {
    due: DateTime<Utc>,
    seq: u64,
    job: J,
}

impl<J> PartialEq for Entry<J> {
    fn eq(&self, other: &Self) -> bool {
        (self.due, self.seq) == (other.due, other.seq)
    }
}
impl<J> Eq for Entry<J> {}
impl<J> PartialOrd for Entry<J> {
    fn partial_cmp(&self, other: &Self) -> Option<CmpOrdering> {
        Some(self.cmp(other))
    }
}
impl<J> Ord for Entry<J> {
    /// Reversed, so the binary heap pops the earliest (then first scheduled) entry.
    fn cmp(&self, other: &Self) -> CmpOrdering {
        (other.due, other.seq).cmp(&(self.due, self.seq))
    }
}

/// Jobs ordered by when they are due.
pub struct Agenda<J> {
    heap: Mutex<BinaryHeap<Entry<J>>>,
    capacity: usize,
    seq: AtomicU64,
    in_flight: AtomicUsize,
}

impl<J> Agenda<J> {
    pub fn new(capacity: usize) -> Self {
        Self { heap: Mutex::new(BinaryHeap::new()), capacity, seq: AtomicU64::new(0), in_flight: AtomicUsize::new(0) }
    }

    /// Schedules `job` at simulated time `due`; gives it back when the agenda is full.
    pub fn schedule(&self, due: DateTime<Utc>, job: J) -> Result<(), J> {
        let Ok(mut heap) = self.heap.lock() else { return Err(job) };
        if heap.len() >= self.capacity {
            return Err(job);
        }
        let seq = self.seq.fetch_add(1, Ordering::Relaxed);
        heap.push(Entry { due, seq, job });
        Ok(())
    }

    /// Removes and returns up to `max` jobs due at or before `now`, earliest first.
    pub fn take_due(&self, now: DateTime<Utc>, max: usize) -> Vec<J> {
        let Ok(mut heap) = self.heap.lock() else { return Vec::new() };
        let mut due = Vec::new();
        while due.len() < max && heap.peek().is_some_and(|e| e.due <= now) {
            if let Some(entry) = heap.pop() {
                due.push(entry.job);
            }
        }
        due
    }

    /// Jobs waiting.
    pub fn len(&self) -> usize {
        self.heap.lock().map(|h| h.len()).unwrap_or(0)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Jobs waiting that match `predicate`.
    pub fn count_waiting(&self, predicate: impl Fn(&J) -> bool) -> usize {
        self.heap.lock().map(|h| h.iter().filter(|e| predicate(&e.job)).count()).unwrap_or(0)
    }

    /// Jobs waiting or running.
    pub fn pending(&self) -> usize {
        self.len() + self.in_flight.load(Ordering::Relaxed)
    }

    /// When the earliest job is due.
    pub fn next_due(&self) -> Option<DateTime<Utc>> {
        self.heap.lock().ok().and_then(|h| h.peek().map(|e| e.due))
    }
}

/// Runs due jobs of `agenda` with `work`, at most `concurrency` at once, until `stop` turns true. While
/// the system is in an outage nothing is started. Stopping waits a few seconds for jobs in flight.
pub fn spawn_runner<J, F, Fut>(
    agenda: Arc<Agenda<J>>,
    faults: Arc<Faults>,
    mut stop: watch::Receiver<bool>,
    concurrency: usize,
    work: F,
) -> JoinHandle<()>
where
    J: Send + 'static,
    F: Fn(J) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let permits = Arc::new(Semaphore::new(concurrency.max(1)));
    tokio::spawn(async move {
        let mut running = JoinSet::new();
        while !*stop.borrow() {
            while running.try_join_next().is_some() {}
            let free = permits.available_permits();
            if free > 0 && faults.outage_now().is_none() {
                for job in agenda.take_due(faults.clock().now(), free) {
                    let Ok(permit) = permits.clone().try_acquire_owned() else { break };
                    agenda.in_flight.fetch_add(1, Ordering::Relaxed);
                    let agenda = agenda.clone();
                    let task = work(job);
                    running.spawn(async move {
                        task.await;
                        agenda.in_flight.fetch_sub(1, Ordering::Relaxed);
                        drop(permit);
                    });
                }
            }
            crate::clock::pause(TICK, &mut stop).await;
        }
        if tokio::time::timeout(STOP_GRACE, async { while running.join_next().await.is_some() {} }).await.is_err() {
            running.abort_all();
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeDelta;

    #[test]
    fn due_jobs_come_out_in_time_order_and_capacity_is_kept() {
        let agenda = Agenda::new(3);
        let t0 = DateTime::UNIX_EPOCH;
        assert!(agenda.schedule(t0 + TimeDelta::hours(2), "late").is_ok());
        assert!(agenda.schedule(t0 + TimeDelta::hours(1), "early").is_ok());
        assert!(agenda.schedule(t0 + TimeDelta::hours(1), "early too").is_ok());
        assert_eq!(agenda.schedule(t0, "refused"), Err("refused"));
        assert_eq!(agenda.next_due(), Some(t0 + TimeDelta::hours(1)));
        assert!(agenda.take_due(t0, 10).is_empty());
        assert_eq!(agenda.take_due(t0 + TimeDelta::hours(1), 1), vec!["early"]);
        assert_eq!(agenda.take_due(t0 + TimeDelta::hours(5), 10), vec!["early too", "late"]);
        assert!(agenda.is_empty());
    }
}
