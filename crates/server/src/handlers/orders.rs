//! Order routes: place an order, read one, list them.

use super::common::{ReadProblems, WriteProblems, order_reply};
use crate::bodies::PlaceOrderBody;
use crate::defaults::IdSource;
use crate::json::JsonBody;
use crate::params::{PathId, QueryParams, SEQ_CURSOR, etag, idempotency_key};
use crate::pii::{mask_order, reads_pii};
use crate::problem::{ApiError, Problem};
use crate::responses::{OrderList, OrderResponse, Submission, submit};
use crate::{AppState, auth::Actor};
use axum::Extension;
use axum::Json;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use crossdock_model::{OrderId, OrderStatus};
use crossdock_store::OrderFilter;

/// Place an order.
///
/// The idempotency key is the `Idempotency-Key` header or, without it, `order:{channel}:{external_id}`.
/// A new order is answered 201 with `Location`; an identical retry 200 with `Idempotent-Replayed: true`.
#[utoipa::path(
    post, path = "/v1/orders", tag = "orders",
    request_body = PlaceOrderBody,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retry safe; defaults to order:{channel}:{external_id}")),
    responses(
        (status = 201, description = "Order placed", body = OrderResponse,
            headers(("Location" = String, description = "URL of the order"), ("ETag" = String, description = "The order's version"))),
        (status = 200, description = "Identical retry: the original answer", body = OrderResponse,
            headers(("Idempotent-Replayed" = String, description = "true"))),
        (status = 409, description = "Order exists, or the idempotency key was used with another body", body = Problem, content_type = "application/problem+json"),
        WriteProblems,
    ),
    security(("api_key" = ["orders:write"]))
)]
pub async fn place_order(
    State(state): State<AppState>,
    Extension(actor): Extension<Actor>,
    headers: HeaderMap,
    JsonBody(body): JsonBody<PlaceOrderBody>,
) -> Result<Response, ApiError> {
    let key = match idempotency_key(&headers)? {
        Some(key) => key,
        None => body.derived_key(),
    };
    let (command, times_filled) = body.into_command(&IdSource::Derived(key.clone()));
    let submission = Submission { actor: &actor, idempotency_key: key, command, expected_version: None, times_filled };
    let receipt = submit(&state, submission).await?;
    order_reply(&state, &actor, receipt, StatusCode::CREATED).await
}

/// Read an order.
#[utoipa::path(
    get, path = "/v1/orders/{id}", tag = "orders",
    params(("id" = String, Path, description = "Order id")),
    responses(
        (status = 200, description = "The order", body = crossdock_model::Order,
            headers(("ETag" = String, description = "The order's version, for If-Match"))),
        (status = 404, description = "No such order", body = Problem, content_type = "application/problem+json"),
        ReadProblems,
    ),
    security(("api_key" = ["orders:read"]))
)]
pub async fn get_order(
    State(state): State<AppState>,
    Extension(actor): Extension<Actor>,
    PathId(id): PathId<OrderId>,
) -> Result<Response, ApiError> {
    let mut order = state
        .store
        .order(&id)
        .await?
        .ok_or_else(|| ApiError::not_found("order_not_found", format!("order {id} does not exist")))?;
    if !reads_pii(&state, &actor).await? {
        mask_order(&mut order);
    }
    let tag = HeaderValue::from_str(&etag(order.version)).expect("an entity tag is a valid header value");
    Ok(([(header::ETAG, tag)], Json(order)).into_response())
}

/// Default and largest page size of `GET /v1/orders`.
pub const ORDERS_PAGE: (u32, u32) = (50, 500);

/// List orders, oldest change first, a page at a time.
#[utoipa::path(
    get, path = "/v1/orders", tag = "orders",
    params(
        ("status" = Option<OrderStatus>, Query, description = "Only orders in this status"),
        ("channel" = Option<String>, Query, description = "Only orders from this channel"),
        ("updated_since" = Option<DateTime<Utc>>, Query, description = "Only orders changed at or after this time (RFC 3339)"),
        ("cursor" = Option<String>, Query, description = "The next_cursor of the previous page"),
        ("limit" = Option<u32>, Query, description = "Page size, 1 to 500 (default 50)"),
    ),
    responses((status = 200, description = "A page of orders", body = OrderList), ReadProblems),
    security(("api_key" = ["orders:read"]))
)]
pub async fn list_orders(
    State(state): State<AppState>,
    Extension(actor): Extension<Actor>,
    RawQuery(raw): RawQuery,
) -> Result<Json<OrderList>, ApiError> {
    let query = QueryParams::parse(raw.as_deref(), &["status", "channel", "updated_since", "cursor", "limit"])?;
    let status = query.parsed("status", |v| {
        OrderStatus::parse(v).ok_or_else(|| {
            let known: Vec<&str> = OrderStatus::ALL.iter().map(|s| s.as_str()).collect();
            format!("{v:?} is not an order status; known: {}", known.join(", "))
        })
    })?;
    let updated_since = query.parsed("updated_since", |v| {
        DateTime::parse_from_rfc3339(v)
            .map(|t| t.with_timezone(&Utc))
            .map_err(|e| format!("{v:?} is not an RFC 3339 time ({e})"))
    })?;
    let after_seq = query.parsed("cursor", |c| SEQ_CURSOR.decode(c))?;
    let limit = query.limit("limit", ORDERS_PAGE.0, ORDERS_PAGE.1)?;
    let filter = OrderFilter {
        status,
        channel: query.get("channel").map(str::to_string),
        updated_since,
        after_seq,
        limit: limit + 1,
    };
    let mut rows = state.store.list_orders(&filter).await?;
    let more = rows.len() > limit as usize;
    rows.truncate(limit as usize);
    let next_cursor = if more { rows.last().map(|r| SEQ_CURSOR.encode(r.last_seq)) } else { None };
    let mut items: Vec<_> = rows.into_iter().map(|r| r.order).collect();
    if !reads_pii(&state, &actor).await? {
        items.iter_mut().for_each(mask_order);
    }
    Ok(Json(OrderList { items, next_cursor }))
}
