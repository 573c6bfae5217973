//! Order command routes (`POST /v1/orders/{id}/<action>`): each body becomes one command for the order.
//! `Idempotency-Key` is optional (absent: a fresh key, no dedupe); `If-Match: <version>` is optimistic
//! concurrency.

use super::common::{WriteProblems, order_reply};
use crate::bodies::{
    AllocateBody, CancelBody, DeliveryBody, HoldBody, OrderCommandBody, ReleaseBody, ReleaseHoldBody, ReturnBody,
    ShipmentBody,
};
use crate::bodies_returns::{CancelAnswerBody, ReturnAuthorisationBody};
use crate::defaults::IdSource;
use crate::json::JsonBody;
use crate::params::{PathId, idempotency_key, if_match};
use crate::problem::{ApiError, Problem};
use crate::responses::{OrderResponse, Submission, submit};
use crate::{AppState, auth::Actor};
use axum::Extension;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use crossdock_model::OrderId;

/// Applies one order command built from `body` and answers with the order and the receipt.
async fn order_command<B: OrderCommandBody>(
    state: AppState,
    actor: Actor,
    order_id: OrderId,
    headers: HeaderMap,
    body: B,
) -> Result<Response, ApiError> {
    let key = idempotency_key(&headers)?;
    let expected_version = if_match(&headers)?;
    let ids = match &key {
        Some(key) => IdSource::Derived(key.clone()),
        None => IdSource::Fresh,
    };
    let (command, times_filled) = body.into_command(order_id, &ids);
    let submission = Submission {
        actor: &actor,
        times_filled: times_filled && key.is_some(),
        idempotency_key: key.unwrap_or_else(|| uuid::Uuid::now_v7().to_string()),
        command,
        expected_version,
    };
    let receipt = submit(&state, submission).await?;
    order_reply(&state, &actor, receipt, StatusCode::OK).await
}

macro_rules! order_command_route {
    ($(#[doc = $doc:literal])* $name:ident, $path:literal, $body:ty) => {
        $(#[doc = $doc])*
        #[utoipa::path(
            post, path = $path, tag = "orders",
            request_body = $body,
            params(
                ("id" = String, Path, description = "Order id"),
                ("Idempotency-Key" = Option<String>, Header, description = "Makes a retry safe; without it the command is applied each time"),
                ("If-Match" = Option<String>, Header, description = "Apply only if the order is at this version (its ETag)"),
            ),
            responses(
                (status = 200, description = "Applied (or an identical retry, with Idempotent-Replayed: true)", body = OrderResponse),
                (status = 404, description = "No such order", body = Problem, content_type = "application/problem+json"),
                (status = 409, description = "Not allowed in the order's state, or the idempotency key was used with another body", body = Problem, content_type = "application/problem+json"),
                (status = 412, description = "If-Match does not match the order's version", body = Problem, content_type = "application/problem+json"),
                WriteProblems,
            ),
            security(("api_key" = ["orders:write"]))
        )]
        pub async fn $name(
            State(state): State<AppState>,
            Extension(actor): Extension<Actor>,
            PathId(order_id): PathId<OrderId>,
            headers: HeaderMap,
            JsonBody(body): JsonBody<$body>,
        ) -> Result<Response, ApiError> {
            order_command(state, actor, order_id, headers, body).await
        }
    };
}

order_command_route!(
    /// Cancel some units of some lines, or everything not yet shipped.
    cancel_order, "/v1/orders/{id}/cancel", CancelBody);
order_command_route!(
    /// Put an order on hold.
    hold_order, "/v1/orders/{id}/hold", HoldBody);
order_command_route!(
    /// Release an order's hold.
    release_hold, "/v1/orders/{id}/release-hold", ReleaseHoldBody);
order_command_route!(
    /// Allocate units of lines to locations (reserving stock there).
    allocate_lines, "/v1/orders/{id}/allocations", AllocateBody);
order_command_route!(
    /// Release allocated units to the warehouse.
    release_to_warehouse, "/v1/orders/{id}/release", ReleaseBody);
order_command_route!(
    /// Confirm a shipment of released units.
    confirm_shipment, "/v1/orders/{id}/shipments", ShipmentBody);
order_command_route!(
    /// Confirm delivery of a shipment.
    confirm_delivery, "/v1/orders/{id}/deliveries", DeliveryBody);
order_command_route!(
    /// Record units returned to a location, against a return authorisation or as a walk-in; the refund due
    /// (price plus tax, less any restocking fee) is recorded with it as `order.refund_due`.
    record_return, "/v1/orders/{id}/returns", ReturnBody);
order_command_route!(
    /// Authorise the return of shipped units (RMA); they may be received later at any location.
    authorise_return, "/v1/orders/{id}/return-authorisations", ReturnAuthorisationBody);
order_command_route!(
    /// Record the warehouse's answer to the order's open cancel request (accepted or refused).
    answer_cancel_request, "/v1/orders/{id}/cancel-answer", CancelAnswerBody);
