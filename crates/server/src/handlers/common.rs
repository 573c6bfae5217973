//! What the handlers share: the order reply (status, `Location`, `ETag`, `Idempotent-Replayed`) and the
//! problem responses every read or write route may give, for the OpenAPI document.

use crate::AppState;
use crate::auth::Actor;
use crate::params::etag;
use crate::pii::{mask_order, reads_pii};
use crate::problem::{ApiError, PROBLEM_JSON};
use crate::responses::{OrderResponse, Receipt};
use axum::Json;
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use crossdock_model::OrderId;
use crossdock_store::CommandReceipt;
use std::collections::BTreeMap;
use utoipa::openapi::{ContentBuilder, Ref, RefOr, ResponseBuilder, response::Response as OpenApiResponse};

/// Header set on the answer to a retried request that was not applied again.
pub const IDEMPOTENT_REPLAYED: HeaderName = HeaderName::from_static("idempotent-replayed");

/// Headers of a command's answer: `Idempotent-Replayed: true` when it was a replay.
pub fn replay_headers(receipt: &CommandReceipt) -> HeaderMap {
    let mut headers = HeaderMap::new();
    if receipt.replayed {
        headers.insert(IDEMPOTENT_REPLAYED, HeaderValue::from_static("true"));
    }
    headers
}

/// Answers an order command: the order as the command left it (as it now is, for a replay), with the
/// receipt. `new_status` (201 for a new order) is used unless the receipt is a replay, which is answered 200.
pub async fn order_reply(
    state: &AppState,
    actor: &Actor,
    mut receipt: CommandReceipt,
    new_status: StatusCode,
) -> Result<Response, ApiError> {
    let id = OrderId::new(receipt.aggregate_id.clone()).map_err(|e| {
        tracing::error!(error = %e, aggregate_id = %receipt.aggregate_id, "receipt names an invalid order id");
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal_error",
            "an internal error occurred; it has been logged",
        )
    })?;
    // The batch hands back the order as the command left it; a replay reads it as it is now.
    let applied = receipt.order.take().filter(|o| !receipt.replayed && o.id == id).map(std::sync::Arc::unwrap_or_clone);
    let stored = match applied {
        Some(order) => Some(order),
        None => state.store.order(&id).await?,
    };
    let mut order = stored.ok_or_else(|| {
        tracing::error!(order_id = %id, "order missing right after a command was applied to it");
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal_error",
            "an internal error occurred; it has been logged",
        )
    })?;
    if !reads_pii(state, actor).await? {
        mask_order(&mut order);
    }
    let mut headers = replay_headers(&receipt);
    headers.insert(header::ETAG, HeaderValue::from_str(&etag(order.version)).expect("entity tags are header-safe"));
    let status = if receipt.replayed { StatusCode::OK } else { new_status };
    if status == StatusCode::CREATED
        && let Ok(location) = HeaderValue::from_str(&format!("/v1/orders/{}", encode_segment(id.as_str())))
    {
        headers.insert(header::LOCATION, location);
    }
    Ok((status, headers, Json(OrderResponse { order, receipt: Receipt::from(receipt) })).into_response())
}

/// Percent-encodes a path segment (ids may hold any printable character).
fn encode_segment(segment: &str) -> String {
    let mut out = String::with_capacity(segment.len());
    for b in segment.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn problems(list: &[(u16, &str)]) -> BTreeMap<String, RefOr<OpenApiResponse>> {
    list.iter()
        .map(|(status, description)| {
            let content = ContentBuilder::new().schema(Some(Ref::from_schema_name("Problem"))).build();
            let response = ResponseBuilder::new().description(*description).content(PROBLEM_JSON, content).build();
            (status.to_string(), RefOr::T(response))
        })
        .collect()
}

const AUTH_PROBLEMS: [(u16, &str); 3] = [
    (401, "No API key, or a key that is unknown, revoked or expired (`WWW-Authenticate: Bearer`)"),
    (403, "The API key lacks the route's scope"),
    (429, "The API key is over its rate limit (`Retry-After` gives the seconds to wait)"),
];

/// Problems any authenticated read route may answer.
pub struct ReadProblems;

impl utoipa::IntoResponses for ReadProblems {
    fn responses() -> BTreeMap<String, RefOr<OpenApiResponse>> {
        let mut list = vec![(400, "A query or path parameter is invalid (the problem names it)")];
        list.extend(AUTH_PROBLEMS);
        list.extend([(500, "Internal error (logged)"), (503, "Store unavailable")]);
        problems(&list)
    }
}

/// Problems any authenticated write route may answer.
pub struct WriteProblems;

impl utoipa::IntoResponses for WriteProblems {
    fn responses() -> BTreeMap<String, RefOr<OpenApiResponse>> {
        let mut list = vec![(400, "Malformed JSON, an unknown field (with its JSON pointer) or a bad header")];
        list.extend(AUTH_PROBLEMS);
        list.extend([
            (413, "The body is larger than the limit"),
            (415, "The body is not sent as application/json"),
            (422, "A field has an invalid value, or the command is refused (code and JSON pointer say why)"),
            (500, "Internal error (logged)"),
            (503, "Store unavailable"),
        ]);
        problems(&list)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn path_segments_are_percent_encoded() {
        assert_eq!(super::encode_segment("o-1_a.b~"), "o-1_a.b~");
        assert_eq!(super::encode_segment("a/b?c"), "a%2Fb%3Fc");
    }
}
