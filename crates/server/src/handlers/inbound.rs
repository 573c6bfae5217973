//! `POST /v1/inbound/{system}`: a connected system's webhook. The request is authenticated by
//! the system's signature (an API key presented as well must carry `inbound:<system>`) (Standard Webhooks or a body HMAC in base64), checked in constant time with a
//! replay window; the payload is mapped with the system's jq mapping into one canonical command, which is
//! submitted under an idempotency key from the message id, and answered only once it is durable.

use super::common::replay_headers;
use crate::AppState;
use crate::auth;
use crate::json::{deserialize, read_body};
use crate::params::PathText;
use crate::problem::{ApiError, Problem};
use crate::responses::Receipt;
use axum::Json;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use crossdock_connect::config::{LoadedInbound, SignatureStyle};
use crossdock_connect::mapping::MappingError;
use crossdock_connect::signature::{HEADER_ID, unix_now};
use crossdock_model::{Command, PlaceOrder};
use crossdock_store::CommandRequest;
use serde_json::Value;
use sha2::{Digest, Sha256};

/// Longest message id used as is in an idempotency key; longer ones are hashed.
const MAX_MESSAGE_ID: usize = 200;

/// Receive a webhook from a connected system.
///
/// No API key is needed: the signature authenticates the system. A request that does present a key (say,
/// through a gateway) is refused unless the key is valid and carries `inbound:{system}` (or `admin`).
///
/// The body is checked against the system's signature (a bad or missing signature, a timestamp outside the
/// window: 401, nothing stored), mapped with the system's jq mapping (an error: 422 with the jq error) into
/// a canonical command (an object with `type`, or a PlaceOrder without it), and submitted with the
/// idempotency key `inbound:{system}:{message id}` (the signed `webhook-id`; for body-HMAC systems, whose
/// signature covers only the body, the SHA-256 of the body: an `Idempotency-Key` header is ignored). A
/// message sent again is answered with the first answer and `Idempotent-Replayed: true`. A mapping with no
/// output acknowledges the message (204).
#[utoipa::path(
    post, path = "/v1/inbound/{system}", tag = "inbound",
    params(
        ("system" = String, Path, description = "The connected system's name"),
        ("webhook-id" = Option<String>, Header, description = "Standard Webhooks message id"),
        ("webhook-timestamp" = Option<String>, Header, description = "Standard Webhooks timestamp (unix seconds)"),
        ("webhook-signature" = Option<String>, Header, description = "Standard Webhooks signature (v1,<base64>)"),
    ),
    request_body(content = Object, description = "The system's own payload", content_type = "application/json"),
    responses(
        (status = 200, description = "The command is durable (or this message was already applied)", body = Receipt),
        (status = 204, description = "The mapping produced no command; the message is acknowledged"),
        (status = 400, description = "The body is not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing or bad signature, or a timestamp outside the window; nothing stored", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "A key was presented without the scope `inbound:{system}`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such system, or it accepts no inbound messages", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The command is not allowed in the current state", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "The body is larger than the limit", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The mapping failed (the jq error is in `detail`) or its output is not a valid command", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn receive_inbound(
    State(state): State<AppState>,
    PathText(system): PathText,
    request: Request,
) -> Result<Response, ApiError> {
    let inbound =
        state.connect.as_ref().and_then(|c| c.system(&system)).and_then(|s| s.inbound.clone()).ok_or_else(|| {
            ApiError::not_found("unknown_system", format!("no connected system {system:?} accepts inbound messages"))
        })?;
    let (parts, body) = request.into_parts();
    if auth::presents_key(&parts.headers) {
        // A key scoped to one connected system may post to that system's route only.
        auth::authenticate(&state, &parts.headers, &auth::inbound_scope(&system)).await?;
    }
    let bytes = read_body(body, &parts.headers, state.body_limit).await?;
    let lookup = |name: &str| parts.headers.get(name).and_then(|v| v.to_str().ok());
    if let Err(error) = inbound.verify(lookup, &bytes, unix_now()) {
        tracing::warn!(system = %system, %error, "inbound message refused: signature");
        return Err(ApiError::new(StatusCode::UNAUTHORIZED, "invalid_signature", error.to_string()));
    }
    let key = format!("inbound:{system}:{}", message_id(&inbound, &parts.headers, &bytes));
    let payload: Value = deserialize(&bytes)?;
    let Some(command) = map_payload(&inbound, payload).await? else {
        return Ok(StatusCode::NO_CONTENT.into_response());
    };
    let request = CommandRequest {
        idempotency_key: key,
        command,
        actor: format!("system:{system}"),
        expected_version: None,
        origin: crate::auth::request_origin(&parts.headers, &parts.extensions),
    };
    let receipt = state.store.submit(request).await.map_err(ApiError::from)?;
    if receipt.event_count > 0 && !receipt.replayed {
        state.notify_committed();
    }
    let headers = replay_headers(&receipt);
    Ok((StatusCode::OK, headers, Json(Receipt::from(receipt))).into_response())
}

/// The id that makes a message's idempotency key. Standard Webhooks sign `webhook-id` with the timestamp, so
/// it is the id. The body-HMAC style signs the body only: the id is the SHA-256 of that body, and an
/// `Idempotency-Key` header (not signed) is ignored, so a captured body sent again under a new header is
/// still a replay.
fn message_id(inbound: &LoadedInbound, headers: &HeaderMap, body: &[u8]) -> String {
    let body_hash = || format!("sha256:{}", hex::encode(Sha256::digest(body)));
    match &inbound.signature {
        SignatureStyle::Standard => {
            let id = headers.get(HEADER_ID).and_then(|v| v.to_str().ok()).map(str::trim).filter(|v| !v.is_empty());
            match id {
                Some(id) if id.len() <= MAX_MESSAGE_ID && id.bytes().all(|b| b.is_ascii_graphic()) => id.to_string(),
                Some(id) => format!("sha256:{}", hex::encode(Sha256::digest(id.as_bytes()))),
                None => body_hash(),
            }
        }
        SignatureStyle::BodyHmacBase64 { .. } => body_hash(),
    }
}

/// Runs the system's mapping (off the async runtime) and reads its output as a command; `None` when the
/// mapping produced nothing.
async fn map_payload(inbound: &LoadedInbound, payload: Value) -> Result<Option<Command>, ApiError> {
    let output = match inbound.mapping.clone() {
        None => payload,
        Some(mapping) => {
            let output = tokio::task::spawn_blocking(move || mapping.run_at_most_one(payload))
                .await
                .map_err(|_| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal_error", "the mapping failed"))?
                .map_err(mapping_failed)?;
            let Some(output) = output else { return Ok(None) };
            output
        }
    };
    command_from(output).map(Some)
}

/// A mapping error as the sender sees it: 503 with `Retry-After` when running it again later may succeed
/// (a time-out, whose limit counts the wait for a free worker, or a failed worker), else 422 with jq's error.
fn mapping_failed(error: MappingError) -> ApiError {
    if error.is_retryable() {
        let mut busy = ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "mapping_unavailable", error.to_string());
        busy.retry_after_secs = std::num::NonZeroU32::new(MAPPING_RETRY_AFTER_SECS);
        return busy;
    }
    ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "mapping_failed", error.to_string())
}

/// `Retry-After` of a mapping that ran out of time.
const MAPPING_RETRY_AFTER_SECS: u32 = 5;

/// A command from the mapping's output: tagged with `type`, or a PlaceOrder without a tag.
fn command_from(output: Value) -> Result<Command, ApiError> {
    let bytes = serde_json::to_vec(&output).unwrap_or_default();
    let parsed = if output.get("type").is_some() {
        deserialize::<Command>(&bytes)
    } else {
        deserialize::<PlaceOrder>(&bytes).map(Command::PlaceOrder)
    };
    parsed.map_err(|e| {
        let mut error =
            ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_command", format!("mapping output: {}", e.detail));
        error.pointer = e.pointer;
        error
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_mapping_time_out_asks_the_sender_to_retry_and_a_mapping_error_does_not() {
        let timeout = mapping_failed(MappingError::Timeout { origin: "shop.jq".into(), limit_ms: 1000 });
        assert_eq!((timeout.status, timeout.code), (StatusCode::SERVICE_UNAVAILABLE, "mapping_unavailable"));
        assert_eq!(timeout.retry_after_secs.map(|s| s.get()), Some(MAPPING_RETRY_AFTER_SECS));
        let refused = mapping_failed(MappingError::TooManyOutputs { origin: "shop.jq".into(), count: 2 });
        assert_eq!((refused.status, refused.code), (StatusCode::UNPROCESSABLE_ENTITY, "mapping_failed"));
        assert_eq!(refused.retry_after_secs, None);
    }
}
