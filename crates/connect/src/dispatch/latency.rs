//! Sync latency per system (event committed → acknowledged), as a fixed-bucket histogram of atomics that
//! `/metrics` renders in the Prometheus format.

use std::sync::atomic::{AtomicU64, Ordering};

/// Upper bounds of the buckets, in milliseconds; a last, unbounded bucket follows.
pub const LATENCY_BOUNDS_MS: [u64; 14] = [1, 2, 5, 10, 25, 50, 100, 250, 500, 1_000, 2_500, 5_000, 10_000, 60_000];

/// Latencies recorded since the process started.
#[derive(Debug, Default)]
pub(crate) struct LatencyHistogram {
    /// One per bound, then the overflow bucket; each counts the latencies that fell in it (not cumulative).
    buckets: [AtomicU64; LATENCY_BOUNDS_MS.len() + 1],
    sum_ms: AtomicU64,
    count: AtomicU64,
}

impl LatencyHistogram {
    pub fn record(&self, latency_ms: i64) {
        let ms = u64::try_from(latency_ms).unwrap_or(0);
        let slot = LATENCY_BOUNDS_MS.iter().position(|&bound| ms <= bound).unwrap_or(LATENCY_BOUNDS_MS.len());
        self.buckets[slot].fetch_add(1, Ordering::Relaxed);
        self.sum_ms.fetch_add(ms, Ordering::Relaxed);
        self.count.fetch_add(1, Ordering::Relaxed);
    }

    pub fn snapshot(&self) -> LatencySnapshot {
        let mut cumulative = 0;
        let buckets = LATENCY_BOUNDS_MS
            .iter()
            .zip(&self.buckets)
            .map(|(&bound, count)| {
                cumulative += count.load(Ordering::Relaxed);
                (bound, cumulative)
            })
            .collect();
        LatencySnapshot {
            buckets,
            sum_ms: self.sum_ms.load(Ordering::Relaxed),
            count: self.count.load(Ordering::Relaxed),
        }
    }
}

/// A histogram read at one moment, Prometheus style: cumulative counts per upper bound.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LatencySnapshot {
    /// (upper bound in ms, latencies at or below it), ascending; `count` is the `+Inf` bucket.
    pub buckets: Vec<(u64, u64)>,
    pub sum_ms: u64,
    pub count: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_cumulative_and_overflow_counts_only_in_the_total() {
        let h = LatencyHistogram::default();
        for ms in [0, 1, 3, 70, 70_000, -5] {
            h.record(ms);
        }
        let s = h.snapshot();
        assert_eq!(s.count, 6);
        assert_eq!(s.sum_ms, 1 + 3 + 70 + 70_000);
        assert_eq!(s.buckets[0], (1, 3), "0, 1 and the negative one");
        assert_eq!(s.buckets[2], (5, 4));
        assert_eq!(s.buckets.last(), Some(&(60_000, 5)));
    }
}
