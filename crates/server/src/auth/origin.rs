//! Where a request came from, for the audit trail: the client's address (when the server was started with
//! connect info) and the request id set by the request-id layer.

use axum::extract::ConnectInfo;
use axum::http::{Extensions, HeaderMap};
use crossdock_store::Origin;
use std::net::SocketAddr;

/// Longest request id recorded; a client-chosen `X-Request-Id` longer than this is cut.
const MAX_REQUEST_ID: usize = 128;

/// The origin of a request from its headers and extensions.
pub fn request_origin(headers: &HeaderMap, extensions: &Extensions) -> Origin {
    let request_id = headers
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .map(|id| id.chars().take(MAX_REQUEST_ID).collect::<String>());
    let source = extensions.get::<ConnectInfo<SocketAddr>>().map(|ConnectInfo(addr)| addr.to_string());
    Origin { source, request_id }
}
