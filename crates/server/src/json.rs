//! The JSON body extractor: checks the content type and size, then deserializes with the path of the
//! field at fault turned into a JSON pointer (`/lines/0/colour`) for the problem response.

use crate::{AppState, problem::ApiError};
use axum::body::{Body, Bytes};
use axum::extract::{FromRequest, Request};
use axum::http::{HeaderMap, StatusCode, header};
use http_body_util::{BodyExt, LengthLimitError, Limited};
use serde::de::DeserializeOwned;
use serde_path_to_error::Segment;

/// A request body parsed as `T`; refusals are problem responses naming the field at fault.
#[derive(Debug, Clone)]
pub struct JsonBody<T>(pub T);

impl<T: DeserializeOwned> FromRequest<AppState> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let (parts, body) = request.into_parts();
        let bytes = read_body(body, &parts.headers, state.body_limit).await?;
        parse_json(&parts.headers, &bytes).map(JsonBody)
    }
}

/// A request body read whole, of any content type (X12, CSV); refusals (too large, unreadable) are problem
/// responses, where axum's `Bytes` would answer plain text.
#[derive(Debug, Clone)]
pub struct RawBody(pub Bytes);

impl FromRequest<AppState> for RawBody {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let (parts, body) = request.into_parts();
        read_body(body, &parts.headers, state.body_limit).await.map(RawBody)
    }
}

/// Reads a whole body, refusing with 413 one larger than `limit` (at once when `Content-Length` says so).
pub async fn read_body(body: Body, headers: &HeaderMap, limit: usize) -> Result<Bytes, ApiError> {
    if let Some(length) = content_length(headers)
        && length > limit as u64
    {
        return Err(too_large(limit));
    }
    match Limited::new(body, limit).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(e) if e.is::<LengthLimitError>() => Err(too_large(limit)),
        Err(e) => {
            tracing::debug!(error = %e, "reading the request body failed");
            Err(ApiError::new(StatusCode::BAD_REQUEST, "body_read_failed", "the request body could not be read"))
        }
    }
}

fn content_length(headers: &HeaderMap) -> Option<u64> {
    headers.get(header::CONTENT_LENGTH)?.to_str().ok()?.parse().ok()
}

fn too_large(limit: usize) -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "body_too_large",
        format!("the request body is larger than the limit of {limit} bytes"),
    )
}

/// True for `application/json` and `application/<anything>+json`, with any parameters.
fn is_json(headers: &HeaderMap) -> bool {
    let Some(value) = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let essence = value.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    essence == "application/json" || (essence.starts_with("application/") && essence.ends_with("+json"))
}

/// Checks the content type and parses `bytes`. An empty body reads as `{}` (whatever its content type),
/// so routes whose fields are all optional can be called without one.
pub fn parse_json<T: DeserializeOwned>(headers: &HeaderMap, bytes: &Bytes) -> Result<T, ApiError> {
    let bytes: &[u8] = if bytes.is_empty() {
        b"{}"
    } else if is_json(headers) {
        bytes
    } else {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "the request body must be sent with `Content-Type: application/json`",
        ));
    };
    deserialize(bytes)
}

/// Deserializes JSON, turning every error into a problem with the pointer of the field at fault.
pub fn deserialize<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    // A body that parses needs no path: one plain pass (tracking the path, and the syntax pass below, cost as
    // much again). Only a refused body is parsed again to say where it is wrong.
    if let Ok(value) = serde_json::from_slice::<T>(bytes) {
        return Ok(value);
    }
    // Syntax first, so a body that is not JSON at all is reported as such rather than by its first field.
    serde_json::from_slice::<serde::de::IgnoredAny>(bytes).map_err(|e| malformed(&e))?;
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    let value: T = serde_path_to_error::deserialize(&mut *de).map_err(|e| body_error(e.path(), e.inner()))?;
    de.end().map_err(|e| malformed(&e))?;
    Ok(value)
}

fn malformed(error: &serde_json::Error) -> ApiError {
    ApiError::new(StatusCode::BAD_REQUEST, "malformed_json", format!("the request body is not valid JSON: {error}"))
}

/// Maps a serde error at `path` to a problem: malformed JSON, unknown field, missing field or invalid value.
fn body_error(path: &serde_path_to_error::Path, error: &serde_json::Error) -> ApiError {
    use serde_json::error::Category;
    if matches!(error.classify(), Category::Syntax | Category::Eof | Category::Io) {
        return malformed(error);
    }
    let message = strip_position(&error.to_string());
    let mut pointer = to_pointer(path);
    let (status, code) = if let Some(field) = quoted_after(&message, "unknown field `") {
        if !pointer.ends_with(&format!("/{}", escape(&field))) {
            pointer.push('/');
            pointer.push_str(&escape(&field));
        }
        (StatusCode::BAD_REQUEST, "unknown_field")
    } else if let Some(field) = quoted_after(&message, "missing field `") {
        pointer.push('/');
        pointer.push_str(&escape(&field));
        (StatusCode::UNPROCESSABLE_ENTITY, "missing_field")
    } else {
        (StatusCode::UNPROCESSABLE_ENTITY, "invalid_field")
    };
    let at = if pointer.is_empty() { "the body".to_string() } else { pointer.clone() };
    ApiError::new(status, code, format!("{at}: {message}")).with_pointer(pointer)
}

/// The text between `prefix` and the next backtick, when `message` starts with `prefix`.
fn quoted_after(message: &str, prefix: &str) -> Option<String> {
    let rest = message.strip_prefix(prefix)?;
    Some(rest.split('`').next().unwrap_or("").to_string())
}

/// Drops serde_json's " at line L column C" suffix: the pointer says where.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(at) if message[at..].contains(" column ") => message[..at].to_string(),
        _ => message.to_string(),
    }
}

/// A serde path as a JSON pointer (RFC 6901): `lines[0].colour` becomes `/lines/0/colour`.
pub fn to_pointer(path: &serde_path_to_error::Path) -> String {
    let mut pointer = String::new();
    for segment in path.iter() {
        match segment {
            Segment::Seq { index } => {
                pointer.push('/');
                pointer.push_str(&index.to_string());
            }
            Segment::Map { key } | Segment::Enum { variant: key } => {
                pointer.push('/');
                pointer.push_str(&escape(key));
            }
            Segment::Unknown => {}
        }
    }
    pointer
}

fn escape(token: &str) -> String {
    token.replace('~', "~0").replace('/', "~1")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crossdock_model::NewOrderLine;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Body {
        lines: Vec<NewOrderLine>,
        #[serde(default)]
        note: Option<String>,
    }

    fn err(json: &str) -> (u16, &'static str, Option<String>) {
        let e = deserialize::<Body>(json.as_bytes()).unwrap_err();
        (e.status.as_u16(), e.code, e.pointer)
    }

    const LINE: &str = r#"{"id":"1","sku":"S","quantity":1,"unit_price":{"amount_minor":1,"currency":"USD"}"#;

    #[test]
    fn errors_carry_the_pointer_of_the_field() {
        assert!(deserialize::<Body>(format!(r#"{{"lines":[{LINE}}}]}}"#).as_bytes()).is_ok());
        let unknown = format!(r#"{{"lines":[{LINE},"colour":"red"}}]}}"#);
        assert_eq!(err(&unknown), (400, "unknown_field", Some("/lines/0/colour".into())));
        assert_eq!(err(r#"{"lines":[],"extra":1}"#), (400, "unknown_field", Some("/extra".into())));
        let bad_currency = LINE.replace("USD", "XYZ");
        assert_eq!(
            err(&format!(r#"{{"lines":[{bad_currency}}}]}}"#)),
            (422, "invalid_field", Some("/lines/0/unit_price/currency".into()))
        );
        let zero = LINE.replace("\"quantity\":1", "\"quantity\":0");
        assert_eq!(
            err(&format!(r#"{{"lines":[{zero}}}]}}"#)),
            (422, "invalid_field", Some("/lines/0/quantity".into()))
        );
        assert_eq!(err(r#"{"lines":[{"id":"1"}]}"#).2, Some("/lines/0/sku".into()));
        assert_eq!(err(r#"{}"#), (422, "missing_field", Some("/lines".into())));
        assert_eq!(err(r#"{"lines":"#).1, "malformed_json");
        assert_eq!(err(r#"{"lines":[]} x"#).1, "malformed_json");
        assert_eq!(err(r#"[]"#), (422, "invalid_field", Some(String::new())));
    }

    #[test]
    fn pointer_tokens_are_escaped() {
        assert_eq!(escape("a/b~c"), "a~1b~0c");
    }

    #[test]
    fn content_type_is_checked() {
        let mut headers = HeaderMap::new();
        let body = Bytes::from_static(b"{}");
        assert_eq!(parse_json::<serde_json::Value>(&headers, &body).unwrap_err().status, 415);
        assert!(parse_json::<serde_json::Value>(&headers, &Bytes::new()).is_ok(), "empty body reads as {{}}");
        headers.insert(header::CONTENT_TYPE, "text/plain".parse().unwrap());
        assert_eq!(parse_json::<serde_json::Value>(&headers, &body).unwrap_err().code, "unsupported_media_type");
        headers.insert(header::CONTENT_TYPE, "application/json; charset=utf-8".parse().unwrap());
        assert!(parse_json::<serde_json::Value>(&headers, &body).is_ok());
        headers.insert(header::CONTENT_TYPE, "application/merge-patch+json".parse().unwrap());
        assert!(parse_json::<serde_json::Value>(&headers, &body).is_ok());
    }
}
