//! Integration KPIs per connected system, from delivery outcomes: uptime (share of one-minute windows in
//! which every due delivery succeeded within its retry budget) and sync latency (event committed →
//! acknowledged by the system).

use super::percentile::{Percentiles, percentiles};
use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// One delivery of one event to one system.
#[derive(Debug, Clone, PartialEq)]
pub struct DeliverySample {
    pub system: String,
    /// When the event was committed (the delivery became due).
    pub committed_at: DateTime<Utc>,
    /// When the system acknowledged it (2xx, publish ack), if it has.
    pub acknowledged_at: Option<DateTime<Utc>>,
    /// Given up on: in the dead-letter queue (or discarded from it).
    pub dead_lettered: bool,
}

/// Uptime and latency of one system.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SystemKpis {
    pub name: String,
    pub deliveries: u64,
    /// Share of the one-minute windows from its first to its last due delivery in which every due
    /// delivery succeeded within the retry budget; 1 when it has no deliveries.
    pub uptime: f64,
    /// Committed → acknowledged, in milliseconds, over acknowledged deliveries; `None` without one.
    pub sync_latency_ms: Option<Percentiles>,
    pub dead_letters: u64,
}

/// KPIs per system, sorted by name. A delivery fails its window when it was dead-lettered, acknowledged
/// later than `budget` after commit, or still unacknowledged at `now` more than `budget` after commit;
/// one still within its budget is not judged yet. `systems` lists systems to report even without samples.
pub fn integration_kpis(
    samples: &[DeliverySample],
    systems: &[String],
    budget: TimeDelta,
    now: DateTime<Utc>,
) -> Vec<SystemKpis> {
    let mut by_system: BTreeMap<&str, Vec<&DeliverySample>> = systems.iter().map(|s| (s.as_str(), vec![])).collect();
    for sample in samples {
        by_system.entry(sample.system.as_str()).or_default().push(sample);
    }
    by_system.into_iter().map(|(name, samples)| system_kpis(name, &samples, budget, now)).collect()
}

fn system_kpis(name: &str, samples: &[&DeliverySample], budget: TimeDelta, now: DateTime<Utc>) -> SystemKpis {
    let minute = |t: DateTime<Utc>| t.timestamp().div_euclid(60);
    let mut failed_windows = BTreeSet::new();
    let mut latencies = Vec::new();
    for sample in samples {
        let deadline = sample.committed_at + budget;
        let failed = match sample.acknowledged_at {
            _ if sample.dead_lettered => true,
            Some(acknowledged) => acknowledged > deadline,
            None => now > deadline,
        };
        if failed {
            failed_windows.insert(minute(sample.committed_at));
        }
        if let Some(acknowledged) = sample.acknowledged_at {
            latencies.push((acknowledged - sample.committed_at).num_microseconds().unwrap_or(i64::MAX) as f64 / 1e3);
        }
    }
    let first = samples.iter().map(|s| minute(s.committed_at)).min();
    let last = samples.iter().map(|s| minute(s.committed_at)).max();
    let uptime = match (first, last) {
        (Some(first), Some(last)) => 1.0 - failed_windows.len() as f64 / (last - first + 1) as f64,
        _ => 1.0,
    };
    SystemKpis {
        name: name.to_string(),
        deliveries: samples.len() as u64,
        uptime,
        sync_latency_ms: percentiles(&latencies),
        dead_letters: samples.iter().filter(|s| s.dead_lettered).count() as u64,
    }
}
