//! Counters of one simulated system: webhooks received (accepted, duplicate, refused), faults injected,
//! and requests sent to the hub, by action. Cheap to bump from any task; read as a snapshot.

use serde::Serialize;
use std::collections::{BTreeMap, VecDeque};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

/// How many recent errors a system keeps for the report.
const RECENT_ERRORS: usize = 20;

/// Live counters of one system.
#[derive(Debug, Default)]
pub struct Stats {
    pub webhooks_accepted: AtomicU64,
    pub webhooks_duplicate: AtomicU64,
    pub webhooks_bad_signature: AtomicU64,
    pub webhooks_bad_body: AtomicU64,
    /// Refused with 503 because the work queue was full.
    pub webhooks_busy: AtomicU64,
    /// Answered 500 on purpose (the configured error rate).
    pub injected_errors: AtomicU64,
    /// Connections dropped or requests answered 503 during a refusing outage.
    pub outage_refused: AtomicU64,
    /// Requests held until the caller gave up during a timing-out outage.
    pub outage_timeouts: AtomicU64,
    /// Events handed to the system's work (from webhooks or the change-feed stand-in).
    pub events_handled: AtomicU64,
    /// Requests the system sent to the hub that succeeded, failed for good, or were retried.
    pub requests_ok: AtomicU64,
    pub requests_failed: AtomicU64,
    pub request_retries: AtomicU64,
    sent: Mutex<BTreeMap<String, u64>>,
    failed: Mutex<BTreeMap<String, u64>>,
    errors: Mutex<VecDeque<String>>,
}

/// Adds one to a counter.
pub fn bump(counter: &AtomicU64) {
    counter.fetch_add(1, Ordering::Relaxed);
}

fn read(counter: &AtomicU64) -> u64 {
    counter.load(Ordering::Relaxed)
}

impl Stats {
    /// Counts a request to the hub for `action` that succeeded.
    pub fn sent_ok(&self, action: &str) {
        bump(&self.requests_ok);
        if let Ok(mut sent) = self.sent.lock() {
            *sent.entry(action.to_string()).or_default() += 1;
        }
    }

    /// Counts a request to the hub for `action` that failed for good, keeping the error text.
    pub fn sent_failed(&self, action: &str, error: &str) {
        bump(&self.requests_failed);
        if let Ok(mut failed) = self.failed.lock() {
            *failed.entry(action.to_string()).or_default() += 1;
        }
        self.note_error(format!("{action}: {error}"));
    }

    /// Keeps an error text among the recent ones.
    pub fn note_error(&self, error: String) {
        if let Ok(mut errors) = self.errors.lock() {
            if errors.len() == RECENT_ERRORS {
                errors.pop_front();
            }
            errors.push_back(error);
        }
    }

    /// Successful requests for one action.
    pub fn sent_count(&self, action: &str) -> u64 {
        self.sent.lock().map(|s| s.get(action).copied().unwrap_or(0)).unwrap_or(0)
    }

    pub fn snapshot(&self) -> StatsSnapshot {
        StatsSnapshot {
            webhooks_accepted: read(&self.webhooks_accepted),
            webhooks_duplicate: read(&self.webhooks_duplicate),
            webhooks_bad_signature: read(&self.webhooks_bad_signature),
            webhooks_bad_body: read(&self.webhooks_bad_body),
            webhooks_busy: read(&self.webhooks_busy),
            injected_errors: read(&self.injected_errors),
            outage_refused: read(&self.outage_refused),
            outage_timeouts: read(&self.outage_timeouts),
            events_handled: read(&self.events_handled),
            requests_ok: read(&self.requests_ok),
            requests_failed: read(&self.requests_failed),
            request_retries: read(&self.request_retries),
            sent: self.sent.lock().map(|s| s.clone()).unwrap_or_default(),
            failed: self.failed.lock().map(|s| s.clone()).unwrap_or_default(),
            recent_errors: self.errors.lock().map(|e| e.iter().cloned().collect()).unwrap_or_default(),
        }
    }
}

/// The counters of one system at one moment.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct StatsSnapshot {
    pub webhooks_accepted: u64,
    pub webhooks_duplicate: u64,
    pub webhooks_bad_signature: u64,
    pub webhooks_bad_body: u64,
    pub webhooks_busy: u64,
    pub injected_errors: u64,
    pub outage_refused: u64,
    pub outage_timeouts: u64,
    pub events_handled: u64,
    pub requests_ok: u64,
    pub requests_failed: u64,
    pub request_retries: u64,
    /// Successful requests to the hub per action (`place_order`, `confirm_shipment`, …).
    pub sent: BTreeMap<String, u64>,
    pub failed: BTreeMap<String, u64>,
    pub recent_errors: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_and_keeps_recent_errors() {
        let stats = Stats::default();
        stats.sent_ok("place_order");
        stats.sent_ok("place_order");
        for i in 0..30 {
            stats.sent_failed("confirm_shipment", &format!("e{i}"));
        }
        let snap = stats.snapshot();
        assert_eq!(snap.sent["place_order"], 2);
        assert_eq!(snap.failed["confirm_shipment"], 30);
        assert_eq!((snap.requests_ok, snap.requests_failed), (2, 30));
        assert_eq!(snap.recent_errors.len(), RECENT_ERRORS);
        assert_eq!(snap.recent_errors.last().map(String::as_str), Some("confirm_shipment: e29"));
    }
}
