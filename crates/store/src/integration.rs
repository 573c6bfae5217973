//! Integration KPIs per system computed in the database: the same numbers as
//! [`crossdock_engine::kpi::integration_kpis`] over [`Store::delivery_samples`](crate::Store), without
//! reading every sample into memory. The backends count per system and minute in SQL
//! ([`SystemCounts`]) and return only the latencies at the nearest ranks asked for; this module turns those
//! into [`SystemKpis`]. Times are compared in whole microseconds, the precision both backends store.

use chrono::{DateTime, TimeDelta, Utc};
use crossdock_engine::kpi::{Percentiles, SystemKpis};
use std::collections::BTreeMap;

/// One system's deliveries over a period, as counted by the database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SystemCounts {
    pub system: String,
    pub deliveries: i64,
    pub dead_letters: i64,
    /// Deliveries with an acknowledgement time (the latency sample's size).
    pub acknowledged: i64,
    /// First and last minute (Unix minutes) in which one of its events was committed.
    pub first_minute: i64,
    pub last_minute: i64,
    /// Minutes with at least one failed delivery.
    pub failed_minutes: i64,
}

/// What the SQL needs to judge a delivery: the budget and `now`, in microseconds.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Judgement {
    pub budget_us: i64,
    /// `now` rounded up to the microsecond: with whole-microsecond commit times, `now > deadline` holds
    /// exactly when `now_us > deadline_us` does.
    pub now_us: i64,
}

impl Judgement {
    pub fn new(budget: TimeDelta, now: DateTime<Utc>) -> Self {
        let budget_us = budget.num_microseconds().unwrap_or(i64::MAX);
        let sub_micro = !now.timestamp_subsec_nanos().is_multiple_of(1_000);
        let now_us = now.timestamp_micros().saturating_add(i64::from(sub_micro));
        Self { budget_us, now_us }
    }
}

/// The nearest rank (1-based) of percentile `p` in a sample of `n`, as `kpi::percentiles` picks it.
pub(crate) fn nearest_rank(p: f64, n: i64) -> i64 {
    // Same floating-point expression as the engine's, so that the rank (and the value) is identical.
    let index = ((p / 100.0) * n as f64).ceil() as i64;
    index.clamp(1, n.max(1))
}

/// The (system, rank) pairs whose latencies make up p50, p90 and p99 of each system.
pub(crate) fn wanted_ranks(counts: &[SystemCounts]) -> Vec<(String, i64)> {
    let mut wanted = Vec::new();
    for c in counts.iter().filter(|c| c.acknowledged > 0) {
        for p in [50.0, 90.0, 99.0] {
            let rank = nearest_rank(p, c.acknowledged);
            if !wanted.contains(&(c.system.clone(), rank)) {
                wanted.push((c.system.clone(), rank));
            }
        }
    }
    wanted
}

/// The per-system KPIs from the counts and the latencies (microseconds) at the wanted ranks; `systems`
/// are reported even without deliveries. Sorted by name, as `integration_kpis` sorts them.
pub(crate) fn assemble(
    systems: &[String],
    counts: Vec<SystemCounts>,
    latencies: &[(String, i64, i64)],
) -> Vec<SystemKpis> {
    let mut by_name: BTreeMap<String, SystemKpis> = systems
        .iter()
        .map(|name| {
            let empty =
                SystemKpis { name: name.clone(), deliveries: 0, uptime: 1.0, sync_latency_ms: None, dead_letters: 0 };
            (name.clone(), empty)
        })
        .collect();
    for c in counts {
        let at_rank = |p: f64| {
            let rank = nearest_rank(p, c.acknowledged);
            let micros = latencies.iter().find(|(s, r, _)| *s == c.system && *r == rank).map_or(0, |l| l.2);
            micros as f64 / 1e3
        };
        let sync_latency_ms =
            (c.acknowledged > 0).then(|| Percentiles { p50: at_rank(50.0), p90: at_rank(90.0), p99: at_rank(99.0) });
        let windows = (c.last_minute - c.first_minute + 1) as f64;
        let kpis = SystemKpis {
            name: c.system.clone(),
            deliveries: u64::try_from(c.deliveries).unwrap_or(0),
            uptime: if c.deliveries > 0 { 1.0 - c.failed_minutes as f64 / windows } else { 1.0 },
            sync_latency_ms,
            dead_letters: u64::try_from(c.dead_letters).unwrap_or(0),
        };
        by_name.insert(c.system, kpis);
    }
    by_name.into_values().collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crossdock_engine::kpi::percentiles;

    #[test]
    fn nearest_rank_picks_what_percentiles_picks() {
        for n in 1..=500i64 {
            let values: Vec<f64> = (1..=n).map(|v| v as f64).collect();
            let expected = percentiles(&values).unwrap();
            let got = [50.0, 90.0, 99.0].map(|p| nearest_rank(p, n) as f64);
            assert_eq!(got, [expected.p50, expected.p90, expected.p99], "n = {n}");
        }
    }

    #[test]
    fn now_rounds_up_to_the_microsecond() {
        let at = |nanos| DateTime::from_timestamp(100, nanos).unwrap();
        assert_eq!(Judgement::new(TimeDelta::seconds(1), at(5_000)).now_us, 100_000_005);
        assert_eq!(Judgement::new(TimeDelta::seconds(1), at(5_001)).now_us, 100_000_006);
        assert_eq!(Judgement::new(TimeDelta::seconds(1), at(0)).budget_us, 1_000_000);
    }
}
