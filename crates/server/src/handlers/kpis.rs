//! `GET /v1/kpis`: the KPIs of the brief, computed from the event log and the delivery records, never
//! entered by hand. Order and inventory KPIs come from a [`KpiFold`] kept in the app state that follows the
//! log from the last sequence number it folded, so a repeated call folds only what is new (and `serve` folds
//! the log once at start, [`warm_kpis`], so the first call does not wait for the whole log); integration
//! uptime and sync latency per system are counted by the store in SQL (`Store::integration_kpis`). With `from`/`to` the report
//! covers a period: orders *placed* in it (their cycle times and accuracy as they stand now, even when
//! delivered after it ends), counts and reservations recorded in it, deliveries of events committed in it.

use super::common::ReadProblems;
use super::reports::period;
use crate::AppState;
use crate::params::QueryParams;
use crate::problem::ApiError;
use axum::Json;
use axum::extract::{RawQuery, State};
use chrono::{TimeDelta, Utc};
use crossdock_engine::kpi::{KpiFold, Percentiles, Period};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use tokio::sync::Mutex;
use utoipa::ToSchema;

/// Events read from the log per page while catching up.
const FOLD_PAGE: u32 = 5_000;
/// Default time within which a delivery must be acknowledged for its minute to count as up.
pub const DEFAULT_SYNC_BUDGET_MS: u64 = 60_000;
/// Longest budget accepted: a week.
const MAX_SYNC_BUDGET_MS: u64 = 7 * 24 * 3_600_000;

/// The fold of the log up to a sequence number, shared by the requests of one app.
#[derive(Default)]
pub struct KpiCache {
    state: Mutex<(KpiFold, i64)>,
}

impl KpiCache {
    pub fn new() -> Self {
        Self::default()
    }
}

/// p50, p90 and p99 of a sample.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Quantiles {
    pub p50: f64,
    pub p90: f64,
    pub p99: f64,
}

impl From<Percentiles> for Quantiles {
    fn from(p: Percentiles) -> Self {
        Self { p50: p.p50, p90: p.p90, p99: p.p99 }
    }
}

/// Uptime and sync latency of one connected system.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct SystemKpi {
    pub name: String,
    /// Deliveries scheduled to it.
    pub deliveries: u64,
    /// Share (0 to 1) of the one-minute windows, from its first to its last due delivery, in which every
    /// due delivery was acknowledged within the budget; 1 when it had none.
    pub uptime: f64,
    /// Event committed → acknowledged by the system, in milliseconds; null when none was acknowledged.
    pub sync_latency_ms: Option<Quantiles>,
    /// Its deliveries given up on (dead letters, discarded ones included).
    pub dead_letters: u64,
}

/// The KPI report. Shares are from 0 to 1 and null when nothing was measured; cycle times are in hours of
/// the business times the events carry (placed, shipped, delivered).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct KpiResponse {
    /// The last event folded.
    pub as_of_seq: i64,
    /// The period's start (inclusive), when one was asked.
    pub from: Option<chrono::DateTime<Utc>>,
    /// The period's end (exclusive), when one was asked.
    pub to: Option<chrono::DateTime<Utc>>,
    pub orders_placed: u64,
    /// Orders whose every line was shipped or cancelled, with at least one unit shipped.
    pub orders_shipped: u64,
    /// Shipped orders whose every shipment was delivered.
    pub orders_delivered: u64,
    /// Orders cancelled entirely.
    pub orders_cancelled: u64,
    /// Placed → every shipment delivered, over delivered orders; null when none was delivered.
    pub fulfilment_cycle_hours: Option<Quantiles>,
    /// Share of delivered orders delivered within 24 hours of being placed.
    pub share_under_24h: Option<f64>,
    /// Placed → last unit shipped, over shipped orders; null when none was shipped.
    pub ship_cycle_hours: Option<Quantiles>,
    /// Delivered orders shipped exactly as ordered with no return for a fulfilment error, over delivered orders.
    pub order_accuracy: Option<f64>,
    /// Counted sku-locations whose count equalled the hub's on-hand, over counted sku-locations.
    pub inventory_accuracy: Option<f64>,
    /// `1 − Σ|hub − count| / Σ count` over the last count of each sku-location.
    pub inventory_unit_accuracy: Option<f64>,
    pub sku_locations_counted: u64,
    /// Units reserved beyond the stock on hand; zero when nothing was oversold.
    pub oversold_units: u64,
    /// Dead letters waiting in the queue now; over a period, the deliveries of its events given up on.
    pub dead_letters: u64,
    /// The budget used for uptime, in milliseconds.
    pub sync_budget_ms: u64,
    pub systems: Vec<SystemKpi>,
}

/// KPIs from the event log: fulfilment cycle time (p50/p90/p99, share under 24 h), order and inventory
/// accuracy, oversold units, dead letters, and integration uptime and sync latency per connected system;
/// over the whole log, or over the period `[from, to)`.
#[utoipa::path(
    get, path = "/v1/kpis", tag = "kpis",
    params(
        ("from" = Option<String>, Query,
            description = "Period start (RFC 3339, inclusive): orders placed, counts and reservations recorded, events committed at or after it"),
        ("to" = Option<String>, Query, description = "Period end (RFC 3339, exclusive)"),
        ("budget_ms" = Option<u64>, Query,
            description = "Time within which a delivery must be acknowledged for its minute to count as up (default 60000)"),
    ),
    responses((status = 200, description = "The KPI report", body = KpiResponse), ReadProblems),
    security(("api_key" = ["kpis:read"]))
)]
pub async fn get_kpis(State(state): State<AppState>, RawQuery(raw): RawQuery) -> Result<Json<KpiResponse>, ApiError> {
    let query = QueryParams::parse(raw.as_deref(), &["from", "to", "budget_ms"])?;
    let period = period(&query)?;
    let budget_ms = query
        .parsed("budget_ms", |v| {
            v.parse::<u64>()
                .ok()
                .filter(|n| (1..=MAX_SYNC_BUDGET_MS).contains(n))
                .ok_or_else(|| format!("{v:?} is not a number of milliseconds from 1 to {MAX_SYNC_BUDGET_MS}"))
        })?
        .unwrap_or(DEFAULT_SYNC_BUDGET_MS);
    let (report, _) = kpi_report_for(&state, period, budget_ms).await?;
    Ok(Json(report))
}

/// Folds what the log holds beyond `after` into `fold`, a page at a time. `after` moves with each event, so
/// a caller that gives up half way (a request cut off by its client) leaves the progress for the next one.
async fn catch_up(state: &AppState, fold: &mut KpiFold, after: &mut i64) -> Result<(), ApiError> {
    loop {
        let events = state.store.events_after(*after, FOLD_PAGE).await?;
        for event in &events {
            fold.apply_at(&event.payload, event.recorded_at);
            *after = event.seq;
        }
        if events.len() < FOLD_PAGE as usize {
            return Ok(());
        }
    }
}

/// Folds the log up to its head into the app's KPI cache, as the next `GET /v1/kpis` would first do, and
/// into the console's KPI history; returns the last sequence number the KPI cache folded. `serve` runs it
/// in the background at start, so that the first call after a restart (or the console's first poll, or a
/// scrape of `/metrics`) does not read the whole log while its caller waits; a call that comes during the
/// warm-up waits for it, as it would have folded.
pub async fn warm_kpis(state: &AppState) -> Result<i64, ApiError> {
    let folded = {
        let mut guard = state.kpis.state.lock().await;
        let (fold, after) = &mut *guard;
        catch_up(state, fold, after).await?;
        *after
    };
    state.console.history.points(state).await?;
    Ok(folded)
}

/// The whole log's KPI report with the systems' uptime (measured against `budget_ms`) and sync latency of
/// the last 24 hours (the console's pages: over the whole log they would cost what the log holds).
pub async fn kpi_report(state: &AppState, budget_ms: u64) -> Result<KpiResponse, ApiError> {
    let last_day = Period { from: Some(Utc::now() - TimeDelta::hours(24)), to: None };
    kpi_report_with(state, Period::ALL, last_day, budget_ms).await.map(|(report, _)| report)
}

/// The KPI report of `period`, and the placed → delivered hours behind its cycle-time quantiles.
pub(crate) async fn kpi_report_for(
    state: &AppState,
    period: Period,
    budget_ms: u64,
) -> Result<(KpiResponse, Vec<f64>), ApiError> {
    kpi_report_with(state, period, period, budget_ms).await
}

/// The KPI report of `period` with the per-system uptime and sync latency of `systems_period` (`/metrics`
/// reads those of the last hour: counting them over the whole log costs what the log holds).
pub(crate) async fn kpi_report_with(
    state: &AppState,
    period: Period,
    systems_period: Period,
    budget_ms: u64,
) -> Result<(KpiResponse, Vec<f64>), ApiError> {
    let (report, cycle_hours, as_of_seq) = {
        let mut guard = state.kpis.state.lock().await;
        let (fold, after) = &mut *guard;
        catch_up(state, fold, after).await?;
        (fold.report_for(&period), fold.delivered_cycle_hours(&period), *after)
    };

    let stats = state.store.delivery_stats().await?;
    let mut names: BTreeSet<String> = stats.iter().map(|s| s.system.clone()).collect();
    if let Some(connect) = &state.connect {
        names.extend(connect.systems.iter().map(|s| s.config.name.clone()));
    }
    let names: Vec<String> = names.into_iter().collect();
    // Counted in the database: reading every delivery sample cost about a second per call at 30k rows.
    let budget = TimeDelta::milliseconds(i64::try_from(budget_ms).unwrap_or(i64::MAX));
    let systems = state
        .store
        .integration_kpis(&systems_period, &names, budget, Utc::now())
        .await?
        .into_iter()
        .map(|s| SystemKpi {
            name: s.name,
            deliveries: s.deliveries,
            uptime: s.uptime,
            sync_latency_ms: s.sync_latency_ms.map(Quantiles::from),
            dead_letters: s.dead_letters,
        })
        .collect::<Vec<_>>();
    // Dead letters waiting now; over a period, the dead letters among its deliveries.
    let dead_letters = if period == Period::ALL {
        stats.iter().map(|s| s.dead).sum()
    } else {
        systems.iter().map(|s| s.dead_letters).sum()
    };

    let response = KpiResponse {
        as_of_seq,
        from: period.from,
        to: period.to,
        orders_placed: report.orders_placed,
        orders_shipped: report.orders_shipped,
        orders_delivered: report.orders_delivered,
        orders_cancelled: report.orders_cancelled,
        fulfilment_cycle_hours: report.placed_to_delivered.hours.map(Quantiles::from),
        share_under_24h: report.placed_to_delivered.share_under_24h,
        ship_cycle_hours: report.placed_to_shipped.hours.map(Quantiles::from),
        order_accuracy: report.order_accuracy,
        inventory_accuracy: report.inventory_accuracy,
        inventory_unit_accuracy: report.inventory_unit_accuracy,
        sku_locations_counted: report.sku_locations_counted,
        oversold_units: report.oversold_units,
        dead_letters,
        sync_budget_ms: budget_ms,
        systems,
    };
    Ok((response, cycle_hours))
}
