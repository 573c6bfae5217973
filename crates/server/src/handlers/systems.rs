//! Visibility of the connected systems: `GET /v1/systems` (JSON) and `GET /metrics` (Prometheus text).

use super::common::ReadProblems;
use crate::AppState;
use crate::overview::{self, SystemView};
use crate::problem::ApiError;
use crate::prometheus;
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use chrono::{TimeDelta, Utc};
use crossdock_engine::kpi::Period;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Every connected system with its health and lag.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SystemList {
    pub items: Vec<SystemView>,
    /// Sequence number of the last event in the log.
    pub head_seq: i64,
}

/// Health and lag of each connected system: role, target (never a secret), circuit state, deliveries by
/// state, attempts of this process, lag (head sequence minus cursor), age of the oldest undelivered event,
/// last success and last error.
#[utoipa::path(
    get, path = "/v1/systems", tag = "systems",
    responses((status = 200, description = "Every connected system", body = SystemList), ReadProblems),
    security(("api_key" = ["systems:read"]))
)]
pub async fn list_systems(State(state): State<AppState>) -> Result<Json<SystemList>, ApiError> {
    let (items, head_seq) = overview::systems(&state).await?;
    Ok(Json(SystemList { items, head_seq }))
}

/// Per-system metrics in the Prometheus text format: deliveries by state, dead letters, attempts and a
/// latency histogram (this process), lag, age of the oldest undelivered event, circuit state, last success;
/// and the KPIs of `GET /v1/kpis` (`crossdock_kpi_*`, default sync budget): over the whole log, but per-system
/// uptime and sync latency over the last hour.
#[utoipa::path(
    get, path = "/metrics", tag = "systems",
    responses(
        (status = 200, description = "Prometheus text exposition (version 0.0.4)", body = String, content_type = "text/plain"),
        ReadProblems,
    ),
    security(("api_key" = ["metrics:read"]))
)]
pub async fn metrics(State(state): State<AppState>) -> Result<Response, ApiError> {
    let (systems, head_seq) = overview::systems(&state).await?;
    // Per-system uptime and sync latency over the last hour: over the whole log, every scrape would cost
    // what the log holds (2.2 s a scrape at 373k deliveries on SQLite; 0.2 s over the last hour).
    let last_hour = Period { from: Some(Utc::now() - TimeDelta::hours(1)), to: None };
    let budget = super::kpis::DEFAULT_SYNC_BUDGET_MS;
    let (kpis, cycle_hours) = super::kpis::kpi_report_with(&state, Period::ALL, last_hour, budget).await?;
    let mut text = prometheus::render(&systems, head_seq);
    text.push_str(&prometheus::render_kpis(&kpis, &cycle_hours));
    let mut response = text.into_response();
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(prometheus::CONTENT_TYPE));
    Ok(response)
}
