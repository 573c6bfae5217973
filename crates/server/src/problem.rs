//! RFC 9457 problem responses (`application/problem+json`): one `ApiError` type every handler returns,
//! with a stable `code`, and the JSON pointer or query parameter at fault.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use crossdock_engine::DecideError;
use crossdock_store::{StoreError, SubmitError};
use serde::{Deserialize, Serialize};

/// Media type of every error body.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// The body of an error response (RFC 9457), with crossdock's extension members.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Problem {
    /// A URI naming the kind of problem: `urn:crossdock:problem:<code>`.
    #[serde(rename = "type")]
    pub type_uri: String,
    /// Short summary of the kind of problem (the same for every occurrence of a code).
    pub title: String,
    /// The HTTP status code.
    pub status: u16,
    /// What went wrong this time, for people.
    pub detail: String,
    /// Stable, machine-readable error code, e.g. `unknown_field`.
    pub code: String,
    /// JSON pointer (RFC 6901) into the request body of the field at fault.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pointer: Option<String>,
    /// The query, path or header parameter at fault.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parameter: Option<String>,
}

/// An error answered as a problem response.
#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub detail: String,
    pub pointer: Option<String>,
    pub parameter: Option<String>,
    /// Value of a `WWW-Authenticate` header to send (401 and 403).
    pub www_authenticate: Option<String>,
    /// Seconds to send in a `Retry-After` header (429). Four bytes: the error stays small.
    pub retry_after_secs: Option<std::num::NonZeroU32>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, detail: impl Into<String>) -> Self {
        Self {
            status,
            code,
            detail: detail.into(),
            pointer: None,
            parameter: None,
            www_authenticate: None,
            retry_after_secs: None,
        }
    }

    pub fn with_pointer(mut self, pointer: impl Into<String>) -> Self {
        self.pointer = Some(pointer.into());
        self
    }

    pub fn with_parameter(mut self, parameter: impl Into<String>) -> Self {
        self.parameter = Some(parameter.into());
        self
    }

    /// 400 for a query, path or header parameter that cannot be used.
    pub fn bad_parameter(parameter: &str, detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_parameter", detail).with_parameter(parameter)
    }

    /// 401 with `WWW-Authenticate: Bearer`.
    pub fn unauthorized(code: &'static str, detail: impl Into<String>) -> Self {
        let mut e = Self::new(StatusCode::UNAUTHORIZED, code, detail);
        e.www_authenticate = Some("Bearer".to_string());
        e
    }

    pub fn not_found(code: &'static str, detail: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, code, detail)
    }

    /// 500 or 503 for a storage failure: the cause is logged in full, the client is told little.
    pub fn storage(error: &StoreError) -> Self {
        match error {
            StoreError::Closed => {
                tracing::warn!(error = %error, "store unavailable");
                Self::new(StatusCode::SERVICE_UNAVAILABLE, "unavailable", "the service is shutting down; retry later")
            }
            StoreError::Database(_) | StoreError::Corrupt(_) => {
                tracing::error!(error = %error, "store failure");
                Self::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal_error",
                    "an internal error occurred; it has been logged",
                )
            }
        }
    }

    /// The body this error is answered with.
    pub fn problem(&self) -> Problem {
        Problem {
            type_uri: format!("urn:crossdock:problem:{}", self.code),
            title: title(self.code, self.status),
            status: self.status.as_u16(),
            detail: self.detail.clone(),
            code: self.code.to_string(),
            pointer: self.pointer.clone(),
            parameter: self.parameter.clone(),
        }
    }
}

/// The fixed title of a problem code.
fn title(code: &str, status: StatusCode) -> String {
    let known = match code {
        "malformed_json" => "Request body is not valid JSON",
        "unknown_field" => "Request body has an unknown field",
        "missing_field" => "Request body lacks a required field",
        "invalid_field" => "Request body has an invalid value",
        "unsupported_media_type" => "Request body must be JSON",
        "body_too_large" => "Request body is too large",
        "invalid_parameter" => "Request parameter is invalid",
        "missing_api_key" | "invalid_api_key" | "api_key_revoked" | "api_key_expired" => "Authentication required",
        "insufficient_scope" => "API key lacks the required scope",
        "rate_limited" => "Too many requests for this API key",
        "order_not_found" => "Order not found",
        "order_exists" => "Order already exists",
        "invalid_transition" => "Order is not in a state that allows this",
        "insufficient_stock" => "Not enough stock",
        "idempotency_key_reused" => "Idempotency key already used with another request",
        "version_conflict" => "Version does not match",
        "not_found" => "No such resource",
        "method_not_allowed" => "Method not allowed",
        "internal_error" => "Internal error",
        "unavailable" => "Service unavailable",
        _ => return status.canonical_reason().unwrap_or("Error").to_string(),
    };
    known.to_string()
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = serde_json::to_vec(&self.problem()).unwrap_or_else(|_| b"{}".to_vec());
        let mut response = (self.status, body).into_response();
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
        if let Some(value) = self.www_authenticate.and_then(|v| HeaderValue::from_str(&v).ok()) {
            headers.insert(header::WWW_AUTHENTICATE, value);
        }
        if let Some(secs) = self.retry_after_secs {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(secs.get()));
        }
        response
    }
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> Self {
        Self::storage(&error)
    }
}

impl From<DecideError> for ApiError {
    fn from(error: DecideError) -> Self {
        let status = match &error {
            DecideError::OrderNotFound(_) => StatusCode::NOT_FOUND,
            DecideError::OrderExists(_) | DecideError::InvalidTransition { .. } | DecideError::Conflict { .. } => {
                StatusCode::CONFLICT
            }
            DecideError::Invalid { .. } | DecideError::InsufficientStock { .. } => StatusCode::UNPROCESSABLE_ENTITY,
        };
        let mut api = Self::new(status, error.code(), error.to_string());
        api.pointer = error.pointer().map(str::to_string);
        api
    }
}

impl From<SubmitError> for ApiError {
    fn from(error: SubmitError) -> Self {
        match error {
            SubmitError::Rejected(e) => e.into(),
            SubmitError::KeyReused { key } => Self::new(
                StatusCode::CONFLICT,
                "idempotency_key_reused",
                format!("idempotency key {key:?} was already used with a different request"),
            )
            .with_parameter("Idempotency-Key"),
            SubmitError::VersionConflict { expected, actual } => Self::new(
                StatusCode::PRECONDITION_FAILED,
                "version_conflict",
                format!("If-Match expected version {expected} but the resource is at version {actual}"),
            )
            .with_parameter("If-Match"),
            SubmitError::Storage(e) => e.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crossdock_model::OrderId;

    #[test]
    fn decide_errors_map_to_statuses_codes_and_pointers() {
        let id = OrderId::new("o-1").unwrap();
        let cases = [
            (DecideError::OrderNotFound(id.clone()), 404, "order_not_found", None),
            (DecideError::OrderExists(id), 409, "order_exists", None),
            (DecideError::invalid("/lines/0/quantity", "too_many", "no"), 422, "too_many", Some("/lines/0/quantity")),
        ];
        for (error, status, code, pointer) in cases {
            let api = ApiError::from(error);
            assert_eq!((api.status.as_u16(), api.code, api.pointer.as_deref()), (status, code, pointer));
        }
    }

    #[test]
    fn problem_body_has_rfc9457_members() {
        let p = ApiError::new(StatusCode::BAD_REQUEST, "unknown_field", "x").with_pointer("/a").problem();
        let v = serde_json::to_value(&p).unwrap();
        assert_eq!(v["type"], "urn:crossdock:problem:unknown_field");
        assert_eq!(v["status"], 400);
        assert_eq!(v["pointer"], "/a");
        assert!(v.get("parameter").is_none());
    }
}
