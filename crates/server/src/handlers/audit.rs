//! `GET /v1/audit`: the hash-chained audit trail, one entry per command (who, when, from where, what, the
//! aggregate versions before and after, the outcome), filtered and paged in chain order.

use super::common::ReadProblems;
use crate::AppState;
use crate::params::{Cursor, QueryParams};
use crate::problem::ApiError;
use axum::Json;
use axum::extract::{RawQuery, State};
use chrono::{DateTime, Utc};
use crossdock_store::AuditFilter;
use crossdock_store::audit::AuditEntry;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Default and largest page of audit entries.
pub const AUDIT_PAGE: (u32, u32) = (100, 1000);
const AUDIT_CURSOR: Cursor = Cursor("audit:");

/// A page of audit entries.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AuditList {
    /// Each entry as the store keeps it (`crossdock_store::audit::AuditEntry`), its fields flattened.
    pub items: Vec<AuditEntry>,
    /// Pass as `cursor` to read the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

fn rfc3339(v: &str) -> Result<DateTime<Utc>, String> {
    DateTime::parse_from_rfc3339(v)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| format!("{v:?} is not an RFC 3339 time ({e})"))
}

/// Read the audit trail in chain order, filtered by aggregate, actor and time.
#[utoipa::path(
    get, path = "/v1/audit", tag = "audit",
    params(
        ("aggregate" = Option<String>, Query, description = "`kind:id` (`order:o-1`), or an id under any kind"),
        ("actor" = Option<String>, Query, description = "An API key id or `system:<name>`"),
        ("from" = Option<DateTime<Utc>>, Query, description = "Entries recorded at or after this time (RFC 3339)"),
        ("to" = Option<DateTime<Utc>>, Query, description = "Entries recorded before this time (RFC 3339)"),
        ("cursor" = Option<String>, Query, description = "The next_cursor of the previous page"),
        ("limit" = Option<u32>, Query, description = "Page size, 1 to 1000 (default 100)"),
    ),
    responses((status = 200, description = "A page of audit entries", body = AuditList), ReadProblems),
    security(("api_key" = ["audit:read"]))
)]
pub async fn list_audit(State(state): State<AppState>, RawQuery(raw): RawQuery) -> Result<Json<AuditList>, ApiError> {
    let query = QueryParams::parse(raw.as_deref(), &["aggregate", "actor", "from", "to", "cursor", "limit"])?;
    let limit = query.limit("limit", AUDIT_PAGE.0, AUDIT_PAGE.1)?;
    let from = query.parsed("from", rfc3339)?;
    let to = query.parsed("to", rfc3339)?;
    if let (Some(from), Some(to)) = (from, to)
        && from > to
    {
        return Err(ApiError::bad_parameter("from", format!("query parameter from: {from} is after to ({to})")));
    }
    let filter = AuditFilter {
        aggregate: query.get("aggregate").map(str::to_string),
        actor: query.get("actor").map(str::to_string),
        from,
        to,
        after_seq: query.parsed("cursor", |c| AUDIT_CURSOR.decode(c))?,
        limit: limit + 1,
    };
    let mut rows = state.store.audit_entries(&filter).await?;
    let more = rows.len() > limit as usize;
    rows.truncate(limit as usize);
    let next_cursor = if more { rows.last().map(|r| AUDIT_CURSOR.encode(r.seq)) } else { None };
    Ok(Json(AuditList { items: rows, next_cursor }))
}
