//! Inventory, location and change-feed routes.

use super::common::{ReadProblems, WriteProblems, replay_headers};
use crate::bodies::{AdjustmentBody, CountBody, LocationBody};
use crate::json::JsonBody;
use crate::params::{PathId, QueryParams, idempotency_key, if_match};
use crate::problem::ApiError;
use crate::responses::{EventList, LocationResponse, PositionList, PositionResponse, Receipt, Submission, submit};
use crate::{AppState, auth::Actor};
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use crossdock_model::{Command, LocationId, Sku};
use crossdock_store::CommandReceipt;

/// Submits a non-order command with the request's optional `Idempotency-Key` and `If-Match`.
async fn apply(
    state: &AppState,
    actor: &Actor,
    headers: &HeaderMap,
    command: Command,
) -> Result<CommandReceipt, ApiError> {
    let idempotency_key = idempotency_key(headers)?.unwrap_or_else(|| uuid::Uuid::now_v7().to_string());
    let expected_version = if_match(headers)?;
    submit(state, Submission { actor, idempotency_key, command, expected_version, times_filled: false }).await
}

/// Answers an inventory command with the position it addressed, as it now is.
async fn position_reply(
    state: &AppState,
    sku: &Sku,
    location: &LocationId,
    receipt: CommandReceipt,
) -> Result<Response, ApiError> {
    let position = state.store.inventory(Some(sku), Some(location)).await?.into_iter().next();
    let headers = replay_headers(&receipt);
    Ok((headers, Json(PositionResponse { position, receipt: Receipt::from(receipt) })).into_response())
}

/// Add (positive `delta`) or remove (negative) units of a sku at a location.
#[utoipa::path(
    post, path = "/v1/inventory/adjustments", tag = "inventory",
    request_body = AdjustmentBody,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retry safe")),
    responses((status = 200, description = "Adjusted", body = PositionResponse), WriteProblems),
    security(("api_key" = ["inventory:write"]))
)]
pub async fn adjust_inventory(
    State(state): State<AppState>,
    Extension(actor): Extension<Actor>,
    headers: HeaderMap,
    JsonBody(body): JsonBody<AdjustmentBody>,
) -> Result<Response, ApiError> {
    let (sku, location) = (body.sku.clone(), body.location.clone());
    let receipt = apply(&state, &actor, &headers, body.into()).await?;
    position_reply(&state, &sku, &location, receipt).await
}

/// Set the on-hand units of a sku at a location from a physical count.
#[utoipa::path(
    post, path = "/v1/inventory/counts", tag = "inventory",
    request_body = CountBody,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retry safe")),
    responses((status = 200, description = "Counted", body = PositionResponse), WriteProblems),
    security(("api_key" = ["inventory:write"]))
)]
pub async fn count_inventory(
    State(state): State<AppState>,
    Extension(actor): Extension<Actor>,
    headers: HeaderMap,
    JsonBody(body): JsonBody<CountBody>,
) -> Result<Response, ApiError> {
    let (sku, location) = (body.sku.clone(), body.location.clone());
    let receipt = apply(&state, &actor, &headers, body.into()).await?;
    position_reply(&state, &sku, &location, receipt).await
}

/// Inventory positions, optionally of one sku and/or at one location.
#[utoipa::path(
    get, path = "/v1/inventory", tag = "inventory",
    params(
        ("sku" = Option<String>, Query, description = "Only this sku"),
        ("location" = Option<String>, Query, description = "Only this location"),
    ),
    responses((status = 200, description = "Positions", body = PositionList), ReadProblems),
    security(("api_key" = ["inventory:read"]))
)]
pub async fn list_inventory(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
) -> Result<Json<PositionList>, ApiError> {
    let query = QueryParams::parse(raw.as_deref(), &["sku", "location"])?;
    let sku = query.parsed("sku", |v| Sku::new(v))?;
    let location = query.parsed("location", |v| LocationId::new(v))?;
    let items = state.store.inventory(sku.as_ref(), location.as_ref()).await?;
    Ok(Json(PositionList { items }))
}

/// Create or replace a location.
#[utoipa::path(
    put, path = "/v1/locations/{id}", tag = "inventory",
    request_body = LocationBody,
    params(
        ("id" = String, Path, description = "Location id"),
        ("Idempotency-Key" = Option<String>, Header, description = "Makes a retry safe"),
    ),
    responses((status = 200, description = "Stored", body = LocationResponse), WriteProblems),
    security(("api_key" = ["inventory:write"]))
)]
pub async fn put_location(
    State(state): State<AppState>,
    Extension(actor): Extension<Actor>,
    PathId(id): PathId<LocationId>,
    headers: HeaderMap,
    JsonBody(body): JsonBody<LocationBody>,
) -> Result<Response, ApiError> {
    if let Some(body_id) = &body.id
        && body_id != &id
    {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_field",
            format!("/id: the body's id {body_id:?} differs from the path's {id:?}"),
        )
        .with_pointer("/id"));
    }
    let command = Command::UpsertLocation { location: body.into_location(id.clone()) };
    let receipt = apply(&state, &actor, &headers, command).await?;
    let location = state.store.location(&id).await?.ok_or_else(|| {
        tracing::error!(location = %id, "location missing right after it was stored");
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal_error",
            "an internal error occurred; it has been logged",
        )
    })?;
    let headers = replay_headers(&receipt);
    Ok((headers, Json(LocationResponse { location, receipt: Receipt::from(receipt) })).into_response())
}

/// Default and largest page size of `GET /v1/events`.
pub const EVENTS_PAGE: (u32, u32) = (100, 1000);

/// The change feed: events after a sequence number, in commit order.
#[utoipa::path(
    get, path = "/v1/events", tag = "events",
    params(
        ("after" = Option<i64>, Query, description = "Sequence number to continue after (default 0: from the start)"),
        ("limit" = Option<u32>, Query, description = "Page size, 1 to 1000 (default 100)"),
    ),
    responses(
        (status = 200, description = "A page of events", body = EventList),
        ReadProblems,
    ),
    security(("api_key" = ["events:read"]))
)]
pub async fn list_events(
    State(state): State<AppState>,
    Extension(actor): Extension<Actor>,
    RawQuery(raw): RawQuery,
) -> Result<Json<EventList>, ApiError> {
    let query = QueryParams::parse(raw.as_deref(), &["after", "limit"])?;
    let after = query
        .parsed("after", |v| {
            v.parse::<i64>().ok().filter(|n| *n >= 0).ok_or_else(|| format!("{v:?} is not a sequence number"))
        })?
        .unwrap_or(0);
    let limit = query.limit("limit", EVENTS_PAGE.0, EVENTS_PAGE.1)?;
    let mut items = state.store.events_after(after, limit).await?;
    if !crate::pii::reads_pii(&state, &actor).await? {
        items.iter_mut().for_each(crate::pii::mask_event);
    }
    let next_after = items.last().map_or(after, |e| e.seq);
    Ok(Json(EventList { items, next_after }))
}
