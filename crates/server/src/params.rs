//! Request parameters outside the body: the `Idempotency-Key` and `If-Match` headers, path ids,
//! query strings (each bad parameter named in the problem) and the opaque list cursor.

use crate::problem::ApiError;
use axum::extract::rejection::PathRejection;
use axum::extract::{FromRequestParts, Path};
use axum::http::{HeaderMap, request::Parts};
use crossdock_model::ValidationError;
use std::collections::BTreeMap;

/// Longest `Idempotency-Key` accepted.
pub const MAX_IDEMPOTENCY_KEY_LEN: usize = 255;

/// The `Idempotency-Key` header, if sent: 1 to 255 visible ASCII characters.
pub fn idempotency_key(headers: &HeaderMap) -> Result<Option<String>, ApiError> {
    let Some(value) = headers.get("idempotency-key") else {
        return Ok(None);
    };
    let bad = || {
        ApiError::bad_parameter(
            "Idempotency-Key",
            format!("Idempotency-Key must be 1 to {MAX_IDEMPOTENCY_KEY_LEN} visible ASCII characters"),
        )
    };
    let text = value.to_str().map_err(|_| bad())?.trim();
    if text.is_empty() || text.len() > MAX_IDEMPOTENCY_KEY_LEN || !text.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(bad());
    }
    Ok(Some(text.to_string()))
}

/// The `If-Match` header as an expected version: `3` or the entity tag `"3"` (also `W/"3"`).
pub fn if_match(headers: &HeaderMap) -> Result<Option<u64>, ApiError> {
    let Some(value) = headers.get("if-match") else {
        return Ok(None);
    };
    let bad = || ApiError::bad_parameter("If-Match", "If-Match must be a version number such as \"3\"");
    let text = value.to_str().map_err(|_| bad())?.trim();
    let text = text.strip_prefix("W/").unwrap_or(text);
    let text = text.strip_prefix('"').and_then(|t| t.strip_suffix('"')).unwrap_or(text);
    text.parse().map(Some).map_err(|_| bad())
}

/// The entity tag of a version, as sent in `ETag` and expected in `If-Match`.
pub fn etag(version: u64) -> String {
    format!("\"{version}\"")
}

/// The `{id}` path parameter, parsed into an id type; a bad id is a 400 naming the parameter.
#[derive(Debug, Clone)]
pub struct PathId<T>(pub T);

impl<S, T> FromRequestParts<S> for PathId<T>
where
    S: Send + Sync,
    T: TryFrom<String, Error = ValidationError>,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let PathText(raw) = PathText::from_request_parts(parts, state).await?;
        T::try_from(raw).map(PathId).map_err(|e| ApiError::bad_parameter("id", format!("path parameter id: {e}")))
    }
}

/// The route's one path parameter as text (`{system}`, `{partner}`, an id the handler checks itself). A
/// segment that does not decode to UTF-8 (`%FF`) is a 400 problem naming the parameter, not axum's plain text.
#[derive(Debug, Clone)]
pub struct PathText(pub String);

impl<S: Send + Sync> FromRequestParts<S> for PathText {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match Path::<String>::from_request_parts(parts, state).await {
            Ok(Path(text)) => Ok(PathText(text)),
            Err(rejection) => {
                let name = rejected_parameter(&rejection).unwrap_or_else(|| "path".to_string());
                Err(ApiError::bad_parameter(&name, format!("path parameter {name}: {}", rejection.body_text())))
            }
        }
    }
}

/// The name of the path parameter a rejection is about, when it says.
fn rejected_parameter(rejection: &PathRejection) -> Option<String> {
    use axum::extract::path::ErrorKind;
    let PathRejection::FailedToDeserializePathParams(error) = rejection else { return None };
    match error.kind() {
        ErrorKind::InvalidUtf8InPathParam { key }
        | ErrorKind::ParseErrorAtKey { key, .. }
        | ErrorKind::DeserializeError { key, .. } => Some(key.clone()),
        _ => None,
    }
}

/// A parsed query string: each parameter once, only the known ones.
#[derive(Debug, Default)]
pub struct QueryParams(BTreeMap<String, String>);

impl QueryParams {
    /// Parses `raw`, refusing unknown or repeated parameters.
    pub fn parse(raw: Option<&str>, known: &[&str]) -> Result<Self, ApiError> {
        let mut params = BTreeMap::new();
        for (name, value) in form_urlencoded::parse(raw.unwrap_or("").as_bytes()) {
            if !known.contains(&name.as_ref()) {
                return Err(ApiError::bad_parameter(
                    &name,
                    format!("unknown query parameter {name:?}; known: {}", known.join(", ")),
                ));
            }
            if params.insert(name.to_string(), value.to_string()).is_some() {
                return Err(ApiError::bad_parameter(&name, format!("query parameter {name:?} is given twice")));
            }
        }
        Ok(Self(params))
    }

    /// A parameter's value; an empty value counts as absent.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str).filter(|v| !v.is_empty())
    }

    /// A parameter parsed with `parse`, whose error message is put in the problem naming it.
    pub fn parsed<T, E: std::fmt::Display>(
        &self,
        name: &str,
        parse: impl FnOnce(&str) -> Result<T, E>,
    ) -> Result<Option<T>, ApiError> {
        match self.get(name) {
            None => Ok(None),
            Some(v) => {
                parse(v).map(Some).map_err(|e| ApiError::bad_parameter(name, format!("query parameter {name}: {e}")))
            }
        }
    }

    /// A page size: `default` when absent, 1 to `max` otherwise.
    pub fn limit(&self, name: &str, default: u32, max: u32) -> Result<u32, ApiError> {
        let parsed = self.parsed(name, |v| {
            v.parse::<u32>()
                .ok()
                .filter(|n| (1..=max).contains(n))
                .ok_or_else(|| format!("{v:?} is not a number from 1 to {max}"))
        })?;
        Ok(parsed.unwrap_or(default))
    }
}

/// An opaque list cursor: the id a list continues after, hex-encoded behind a prefix naming the list, so a
/// cursor from one list is refused by another.
#[derive(Debug, Clone, Copy)]
pub struct Cursor(pub &'static str);

/// Cursors over the event sequence (orders, the change feed).
pub const SEQ_CURSOR: Cursor = Cursor("seq:");

impl Cursor {
    /// Encodes the id a list continues after.
    pub fn encode(self, id: i64) -> String {
        hex::encode(format!("{}{id}", self.0))
    }

    /// Decodes a cursor made by [`Cursor::encode`] with the same prefix.
    pub fn decode(self, cursor: &str) -> Result<i64, String> {
        let bad = || format!("{cursor:?} is not a cursor returned by this API");
        let bytes = hex::decode(cursor).map_err(|_| bad())?;
        let text = String::from_utf8(bytes).map_err(|_| bad())?;
        text.strip_prefix(self.0).and_then(|n| n.parse().ok()).ok_or_else(bad)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_refuse_garbage() {
        for seq in [0, 1, 42, i64::MAX] {
            assert_eq!(SEQ_CURSOR.decode(&SEQ_CURSOR.encode(seq)), Ok(seq));
        }
        assert!(SEQ_CURSOR.decode("zz").is_err());
        assert!(SEQ_CURSOR.decode(&hex::encode("nope:1")).is_err());
        assert!(SEQ_CURSOR.decode(&Cursor("dl:").encode(1)).is_err(), "another list's cursor");
    }

    #[test]
    fn query_parameters_are_named_when_bad() {
        let q = QueryParams::parse(Some("limit=0&status=x"), &["limit", "status"]).unwrap();
        assert_eq!(q.limit("limit", 50, 500).unwrap_err().parameter.as_deref(), Some("limit"));
        let e = QueryParams::parse(Some("colour=red"), &["limit"]).unwrap_err();
        assert_eq!((e.status.as_u16(), e.parameter.as_deref()), (400, Some("colour")));
        assert!(QueryParams::parse(Some("limit=1&limit=2"), &["limit"]).is_err());
        let q = QueryParams::parse(Some("limit=&channel=web%20shop"), &["limit", "channel"]).unwrap();
        assert_eq!(q.limit("limit", 50, 500).unwrap(), 50);
        assert_eq!(q.get("channel"), Some("web shop"));
    }

    #[test]
    fn headers_parse() {
        let mut h = HeaderMap::new();
        assert_eq!(if_match(&h).unwrap(), None);
        for (text, v) in [("3", 3), ("\"4\"", 4), ("W/\"5\"", 5)] {
            h.insert("if-match", text.parse().unwrap());
            assert_eq!(if_match(&h).unwrap(), Some(v));
        }
        h.insert("if-match", "*".parse().unwrap());
        assert!(if_match(&h).is_err());
        h.insert("idempotency-key", "abc-1".parse().unwrap());
        assert_eq!(idempotency_key(&h).unwrap().as_deref(), Some("abc-1"));
        h.insert("idempotency-key", "a b".parse().unwrap());
        assert!(idempotency_key(&h).is_err());
    }
}
