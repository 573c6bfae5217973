//! Finance and reconciliation routes: the sales-tax report per state and period (JSON or CSV), the
//! comparison of an ERP export with the hub's orders, and WMS count snapshots applied as counts. The
//! rules live in `crossdock_engine::{tax, reconcile}`; these handlers read the store and answer.

use super::common::{ReadProblems, WriteProblems};
use crate::json::{JsonBody, RawBody};
use crate::params::{QueryParams, idempotency_key};
use crate::problem::ApiError;
use crate::{AppState, auth::Actor};
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use chrono::{DateTime, Utc};
use crossdock_engine::period::Period;
use crossdock_engine::reconcile::{
    ErpReconciliation, SnapshotLine, SnapshotReport, parse_export, reconcile_erp, reconcile_snapshot,
};
use crossdock_engine::tax::{TaxReport, TaxReportBuilder, tax_report_csv};
use crossdock_model::{LocationId, Order};
use crossdock_store::{CommandRequest, OrderFilter};
use serde::Deserialize;
use utoipa::ToSchema;

/// Orders read from the store per page while building a report.
const ORDER_PAGE: u32 = 1_000;
/// Most skus one snapshot may count.
const MAX_SNAPSHOT_LINES: usize = 100_000;

/// `from` and `to` (RFC 3339) from the query, `from` before `to`.
pub(super) fn period(query: &QueryParams) -> Result<Period, ApiError> {
    let instant = |v: &str| {
        DateTime::parse_from_rfc3339(v)
            .map(|t| t.with_timezone(&Utc))
            .map_err(|e| format!("{v:?} is not an RFC 3339 instant ({e})"))
    };
    let from = query.parsed("from", instant)?;
    let to = query.parsed("to", instant)?;
    Period::new(from, to).map_err(|e| ApiError::bad_parameter("to", e.to_string()))
}

/// Calls `visit` with every stored order, a page at a time.
async fn each_order(state: &AppState, mut visit: impl FnMut(&Order)) -> Result<(), ApiError> {
    let mut after_seq = None;
    loop {
        let filter = OrderFilter { after_seq, limit: ORDER_PAGE, ..OrderFilter::default() };
        let rows = state.store.list_orders(&filter).await?;
        for row in &rows {
            visit(&row.order);
        }
        match rows.last() {
            Some(last) if rows.len() == ORDER_PAGE as usize => after_seq = Some(last.last_seq),
            _ => return Ok(()),
        }
    }
}

/// Sales tax per destination state over the orders placed in a period: sales, taxable and exempt sales,
/// shipping, tax charged and tax refunded on returns, as the orders stand now. `format=csv` (or
/// `Accept: text/csv`) answers the state rows as CSV.
#[utoipa::path(
    get, path = "/v1/tax/report", tag = "finance",
    params(
        ("from" = Option<String>, Query, description = "Orders placed at or after this RFC 3339 instant"),
        ("to" = Option<String>, Query, description = "Orders placed before this RFC 3339 instant"),
        ("format" = Option<String>, Query, description = "json (default) or csv"),
    ),
    responses((status = 200, description = "The report", body = TaxReport), ReadProblems),
    security(("api_key" = ["orders:read"]))
)]
pub async fn get_tax_report(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let query = QueryParams::parse(raw.as_deref(), &["from", "to", "format"])?;
    let period = period(&query)?;
    let accepts_csv = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()).is_some_and(|v| v.contains("text/csv"));
    let csv = match query.get("format") {
        None => accepts_csv,
        Some("json") => false,
        Some("csv") => true,
        Some(other) => return Err(ApiError::bad_parameter("format", format!("format {other:?} is not json or csv"))),
    };
    let mut builder = TaxReportBuilder::new(period);
    each_order(&state, |order| builder.add(order)).await?;
    let report = builder.finish();
    if !csv {
        return Ok(Json(report).into_response());
    }
    let body = tax_report_csv(&report).map_err(|e| {
        tracing::error!(error = %e, "tax report csv");
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal_error", "the report could not be written as CSV")
    })?;
    let disposition = "attachment; filename=\"tax-report.csv\"";
    Ok(([(header::CONTENT_TYPE, "text/csv; charset=utf-8"), (header::CONTENT_DISPOSITION, disposition)], body)
        .into_response())
}

/// Compares an ERP export (the request body: JSON records, or CSV with a header row, amounts in minor
/// units) with the hub's orders placed in the period and before the export's `generated_at`: orders
/// missing on either side, totals that differ, duplicates and currency mismatches, each with its reason.
#[utoipa::path(
    post, path = "/v1/reconciliation/erp", tag = "finance",
    params(
        ("from" = Option<String>, Query, description = "Hub orders placed at or after this RFC 3339 instant"),
        ("to" = Option<String>, Query, description = "Hub orders placed before this RFC 3339 instant"),
    ),
    request_body(content = String, description = "The export: JSON or CSV", content_type = "text/csv"),
    responses((status = 200, description = "The comparison", body = ErpReconciliation), ReadProblems),
    security(("api_key" = ["orders:read"]))
)]
pub async fn reconcile_erp_export(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
    RawBody(body): RawBody,
) -> Result<Json<ErpReconciliation>, ApiError> {
    let query = QueryParams::parse(raw.as_deref(), &["from", "to"])?;
    let period = period(&query)?;
    let export = parse_export(&body).map_err(|e| {
        let error = ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_export", e.to_string());
        match &e {
            crossdock_engine::reconcile::ExportError::Json { pointer, .. } => error.with_pointer(pointer.clone()),
            _ => error,
        }
    })?;
    let mut orders = Vec::new();
    each_order(&state, |order| {
        if period.contains(order.placed_at) {
            orders.push(order.clone());
        }
    })
    .await?;
    Ok(Json(reconcile_erp(&orders, &export)))
}

/// A WMS count snapshot of one location.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SnapshotBody {
    pub location: LocationId,
    /// The WMS's id of the snapshot; with the location it makes each count's idempotency key, so a
    /// snapshot sent twice is applied once. Defaults to the `Idempotency-Key` header, else a new id.
    #[serde(default)]
    pub snapshot_id: Option<String>,
    /// True (the default) when the snapshot lists every sku at the location: skus the hub holds there
    /// that it does not name are counted as zero.
    #[serde(default = "complete_by_default")]
    pub complete: bool,
    pub counts: Vec<SnapshotLine>,
}

fn complete_by_default() -> bool {
    true
}

/// Applies a count snapshot: every counted sku's on-hand is set to its count (recorded as
/// `inventory.counted` with the previous on-hand), and the answer lists the differences and the
/// snapshot's inventory accuracy. A snapshot with a bad line is refused whole.
#[utoipa::path(
    post, path = "/v1/inventory/snapshots", tag = "inventory",
    request_body = SnapshotBody,
    params(("Idempotency-Key" = Option<String>, Header, description = "The snapshot id, if the body has none")),
    responses((status = 200, description = "Applied", body = SnapshotReport), WriteProblems),
    security(("api_key" = ["inventory:write"]))
)]
pub async fn apply_snapshot(
    State(state): State<AppState>,
    Extension(actor): Extension<Actor>,
    headers: HeaderMap,
    JsonBody(body): JsonBody<SnapshotBody>,
) -> Result<Json<SnapshotReport>, ApiError> {
    if body.counts.len() > MAX_SNAPSHOT_LINES {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "too_many",
            format!("the snapshot has {} counts; the limit is {MAX_SNAPSHOT_LINES}", body.counts.len()),
        )
        .with_pointer("/counts"));
    }
    let snapshot_id = match body.snapshot_id.filter(|s| !s.trim().is_empty()) {
        Some(id) => id,
        None => idempotency_key(&headers)?.unwrap_or_else(|| uuid::Uuid::now_v7().to_string()),
    };
    let positions = state.store.inventory(None, Some(&body.location)).await?;
    let (commands, report) =
        reconcile_snapshot(&body.location, &positions, &body.counts, body.complete).map_err(|e| {
            ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_snapshot", e.to_string()).with_pointer(e.pointer())
        })?;
    let requests = commands
        .into_iter()
        .map(|command| {
            let sku = match &command {
                crossdock_model::Command::CountInventory { sku, .. } => sku.to_string(),
                _ => String::new(),
            };
            CommandRequest {
                idempotency_key: format!("snapshot:{snapshot_id}:{}:{sku}", body.location),
                command,
                actor: actor.key_id.clone(),
                expected_version: None,
                origin: actor.origin.clone(),
            }
        })
        .collect();
    let outcomes = state.store.submit_batch(requests).await;
    let mut applied = false;
    for outcome in outcomes {
        applied |= outcome?.event_count > 0;
    }
    if applied {
        state.notify_committed();
    }
    Ok(Json(report))
}
