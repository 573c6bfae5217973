//! Where to start reading deliveries for a period that begins at `from`, so that the KPI reads of a recent
//! period cost what the period holds rather than what the whole table holds.
//!
//! Deliveries have no time index (one more index entry per delivery on the hot path); their ids, though,
//! are handed out in the order the rows are created, and a row's `created_at` is read from the clock just
//! before its transaction. A delivery row is created after its event is committed, so its `created_at` is
//! not before the event's `recorded_at` (both read from wall clocks). The search below finds, in about
//! log2(ids) probes of the primary key, an id before which every row was created more than
//! [`SLACK`] before `from`; reading from there misses nothing unless the clocks of the writers disagree, or
//! one steps back, by more than [`SLACK`]. The exact filter on the event's commit time still applies.

use chrono::TimeDelta;

/// How far the creation order of delivery rows and the clocks behind their times may disagree.
pub(crate) const SLACK: TimeDelta = TimeDelta::hours(1);

/// A binary search for the smallest id to read from: every row below it was created before the threshold
/// the caller judges. The caller asks [`next`](Self::next) which id to probe, reads the first row at or after
/// it, and gives its id and whether it was created before the threshold to [`answer`](Self::answer).
#[derive(Debug, Clone, Copy)]
pub(crate) struct FloorSearch {
    /// The floor lies in [lo, hi]; rows below lo were created before the threshold.
    lo: i64,
    hi: i64,
}

impl FloorSearch {
    /// A search over ids up to `max_id`, the largest there is (0 when there are none).
    pub fn new(max_id: i64) -> Self {
        Self { lo: 0, hi: max_id.saturating_add(1) }
    }

    /// The id to probe next, or `None` once the floor is found.
    pub fn next(&self) -> Option<i64> {
        (self.lo < self.hi).then(|| self.lo + (self.hi - self.lo) / 2)
    }

    /// The first row at or after `probed`: its id and whether it was created before the threshold.
    pub fn answer(&mut self, probed: i64, row: Option<(i64, bool)>) {
        match row {
            Some((id, true)) if id < self.hi => self.lo = id + 1,
            // The first row at or after `probed` is recent, or there is none before hi: nothing below it counts.
            _ => self.hi = probed,
        }
    }

    pub fn floor(&self) -> i64 {
        self.lo
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The floor over rows with these ids and creation times (minutes), against threshold `at`, and the
    /// number of probes it took.
    fn floor(rows: &[(i64, i64)], at: i64) -> (i64, usize) {
        let mut search = FloorSearch::new(rows.iter().map(|r| r.0).max().unwrap_or(0));
        let mut probes = 0;
        while let Some(id) = search.next() {
            probes += 1;
            search.answer(id, rows.iter().find(|r| r.0 >= id).map(|r| (r.0, r.1 < at)));
        }
        (search.floor(), probes)
    }

    #[test]
    fn finds_the_first_row_created_at_or_after_the_threshold() {
        let rows: Vec<(i64, i64)> = (1..=1000).map(|id| (id, id / 10)).collect();
        assert_eq!(floor(&rows, 50).0, 500);
        assert_eq!(floor(&rows, 0).0, 0);
        assert_eq!(floor(&rows, 101).0, 1001, "all rows are older");
        assert!(floor(&rows, 50).1 <= 11, "a binary search");
    }

    #[test]
    fn gaps_in_the_ids_and_an_empty_table() {
        let rows = [(3, 1), (7, 2), (40, 5), (41, 9)];
        assert_eq!(floor(&rows, 5).0, 8, "rows 8..40 do not exist, 40 is recent");
        assert_eq!(floor(&rows, 6).0, 41);
        assert_eq!(floor(&rows, 2).0, 4);
        assert_eq!(floor(&[], 5).0, 0);
    }

    #[test]
    fn rows_out_of_order_by_less_than_the_slack_are_not_skipped() {
        // Creation times that follow the ids up to a skew of 3 (a transaction that read the clock, then
        // waited for the lock): base time plus a jitter of 0..=3, from a small linear congruential generator.
        let mut state = 7u64;
        let mut jitter = || {
            state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            ((state >> 33) % 4) as i64
        };
        let rows: Vec<(i64, i64)> = (1..=500).filter(|id| id % 7 != 0).map(|id| (id, id / 5 + jitter())).collect();
        for from in 0..=105 {
            // The threshold is `from` less the slack.
            let (found, probes) = floor(&rows, from - 3);
            let missed: Vec<_> = rows.iter().filter(|r| r.1 >= from && r.0 < found).collect();
            assert!(missed.is_empty(), "from {from}: floor {found} skips {missed:?}");
            assert!(probes <= 10, "{probes} probes");
        }
    }
}
