//! The KPIs over time for the overview's charts, computed from the event log like `/v1/kpis`: a
//! [`KpiFold`] follows the log, and at each minute boundary (of the events' commit time) the report so far
//! is kept as one point, with the orders placed in that minute as a rate per hour. Integration uptime per
//! minute comes from the store's delivery samples of that minute. The last `MAX_POINTS` minutes are kept.

use crate::AppState;
use crate::handlers::DEFAULT_SYNC_BUDGET_MS;
use chrono::{DateTime, TimeDelta, Utc};
use crossdock_engine::kpi::{DeliverySample, KpiFold, KpiReport, integration_kpis};
use crossdock_store::StoreError;
use serde::Serialize;
use std::collections::{BTreeMap, VecDeque};
use tokio::sync::Mutex;

/// Minutes of history kept (a day).
pub const MAX_POINTS: usize = 1440;
/// Events read per page while catching up.
const PAGE: u32 = 5_000;

/// One minute of KPIs.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Point {
    /// Start of the minute, Unix seconds.
    pub t: i64,
    pub cycle_p50_hours: Option<f64>,
    pub order_accuracy: Option<f64>,
    pub inventory_accuracy: Option<f64>,
    pub orders_per_hour: f64,
}

impl Point {
    fn new(minute: i64, report: &KpiReport, placed: u64) -> Self {
        Self {
            t: minute * 60,
            cycle_p50_hours: report.placed_to_delivered.hours.map(|h| h.p50),
            order_accuracy: report.order_accuracy,
            inventory_accuracy: report.inventory_accuracy,
            orders_per_hour: placed as f64 * 60.0,
        }
    }
}

#[derive(Default)]
struct Fold {
    kpis: KpiFold,
    after: i64,
    minute: Option<i64>,
    placed_in_minute: u64,
    points: VecDeque<Point>,
}

/// The history of one app (shared by its requests).
#[derive(Default)]
pub struct History {
    fold: Mutex<Fold>,
}

/// The charts' series, column-wise as uPlot takes them (`null` where nothing was measured).
#[derive(Debug, Clone, Default, Serialize)]
pub struct Series {
    pub t: Vec<i64>,
    pub cycle_p50_hours: Vec<Option<f64>>,
    pub order_accuracy: Vec<Option<f64>>,
    pub inventory_accuracy: Vec<Option<f64>>,
    pub integration_uptime: Vec<Option<f64>>,
    pub orders_per_hour: Vec<f64>,
}

impl History {
    pub fn new() -> Self {
        Self::default()
    }

    /// Folds what is new in the log and returns every kept minute, the current one included.
    pub async fn points(&self, state: &AppState) -> Result<Vec<Point>, StoreError> {
        let mut fold = self.fold.lock().await;
        loop {
            let events = state.store.events_after(fold.after, PAGE).await?;
            for event in &events {
                let minute = event.recorded_at.timestamp().div_euclid(60);
                if let Some(open) = fold.minute.filter(|m| *m != minute) {
                    let point = Point::new(open, &fold.kpis.report(), fold.placed_in_minute);
                    fold.points.push_back(point);
                    if fold.points.len() > MAX_POINTS {
                        fold.points.pop_front();
                    }
                    fold.placed_in_minute = 0;
                }
                fold.minute = Some(minute);
                fold.kpis.apply(&event.payload);
                if event.event_type == "order.placed" {
                    fold.placed_in_minute += 1;
                }
                fold.after = event.seq;
            }
            if events.len() < PAGE as usize {
                break;
            }
        }
        let mut points: Vec<Point> = fold.points.iter().copied().collect();
        if let Some(open) = fold.minute {
            points.push(Point::new(open, &fold.kpis.report(), fold.placed_in_minute));
        }
        Ok(points)
    }

    /// The series of the charts: every kept minute, with integration uptime per minute.
    pub async fn series(&self, state: &AppState) -> Result<Series, StoreError> {
        let points = self.points(state).await?;
        let since = points.first().and_then(|p| DateTime::<Utc>::from_timestamp(p.t, 0));
        let samples = match since {
            Some(since) => state.store.delivery_samples(Some(since)).await?,
            None => Vec::new(),
        };
        let uptime = uptime_by_minute(&samples, Utc::now());
        let mut series = Series::default();
        for p in points {
            series.t.push(p.t);
            series.cycle_p50_hours.push(p.cycle_p50_hours);
            series.order_accuracy.push(p.order_accuracy);
            series.inventory_accuracy.push(p.inventory_accuracy);
            series.integration_uptime.push(uptime.get(&p.t.div_euclid(60)).copied());
            series.orders_per_hour.push(p.orders_per_hour);
        }
        Ok(series)
    }
}

/// Mean uptime over the systems with deliveries committed in each minute, by minute.
fn uptime_by_minute(samples: &[DeliverySample], now: DateTime<Utc>) -> BTreeMap<i64, f64> {
    let mut by_minute: BTreeMap<i64, Vec<DeliverySample>> = BTreeMap::new();
    for sample in samples {
        by_minute.entry(sample.committed_at.timestamp().div_euclid(60)).or_default().push(sample.clone());
    }
    let budget = TimeDelta::milliseconds(DEFAULT_SYNC_BUDGET_MS as i64);
    by_minute
        .into_iter()
        .filter_map(|(minute, samples)| {
            let systems: Vec<f64> = integration_kpis(&samples, &[], budget, now)
                .iter()
                .filter(|s| s.deliveries > 0)
                .map(|s| s.uptime)
                .collect();
            (!systems.is_empty()).then(|| (minute, systems.iter().sum::<f64>() / systems.len() as f64))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uptime_per_minute_averages_the_systems_of_that_minute() {
        let at = |s: i64| DateTime::<Utc>::from_timestamp(s, 0).unwrap();
        let sample = |system: &str, committed: i64, acknowledged: Option<i64>, dead: bool| DeliverySample {
            system: system.into(),
            committed_at: at(committed),
            acknowledged_at: acknowledged.map(at),
            dead_lettered: dead,
        };
        let samples = vec![
            sample("erp", 600, Some(601), false),
            sample("wms", 610, None, true),
            sample("erp", 660, Some(661), false),
        ];
        let uptime = uptime_by_minute(&samples, at(10_000));
        assert_eq!(uptime.get(&10), Some(&0.5), "erp up, wms down in minute 10");
        assert_eq!(uptime.get(&11), Some(&1.0));
        assert_eq!(uptime.get(&12), None);
    }
}
