//! The per-route authentication middleware: reads the key from `Authorization: Bearer` or `X-Api-Key`,
//! looks its record up (through a cache of well under a second), verifies it, checks the route's scope and
//! counts the request against the key's rate limit.

use super::keys::{KeyError, grants, parse_key, verify_key};
use super::rate::retry_after_secs;
use crate::{AppState, problem::ApiError};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use crossdock_store::{ApiKeyRecord, Store, StoreError};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Who is calling: the id of the API key that authenticated the request, and where the request came from.
/// Handlers record both in the commands they submit (the actor and origin of the audit trail).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub key_id: String,
    pub origin: crossdock_store::Origin,
}

/// At most this many key records are cached; past it the cache starts over.
const MAX_CACHED_KEYS: usize = 10_000;

/// Recently read key records, so a busy client does not cost a database read per request.
/// Entries live for the TTL passed to [`KeyCache::get`]; keep it under a second. A key revoked or rotated
/// through this process's API is dropped from the cache at once ([`KeyCache::forget`]); one revoked by
/// another process (the CLI, another `serve`) is refused here once its entry is older than the TTL.
/// Only keys that exist are cached.
#[derive(Debug, Default)]
pub struct KeyCache {
    entries: Mutex<HashMap<String, (Instant, ApiKeyRecord)>>,
}

impl KeyCache {
    pub fn new() -> Self {
        Self::default()
    }

    /// Drops key `id` from the cache, so its next request reads the store (after a revocation or rotation).
    pub fn forget(&self, id: &str) {
        self.entries.lock().unwrap_or_else(|e| e.into_inner()).remove(id);
    }

    /// The record of key `id`, from the cache when read less than `ttl` ago, else from the store.
    pub async fn get(&self, store: &dyn Store, id: &str, ttl: Duration) -> Result<Option<ApiKeyRecord>, StoreError> {
        if !ttl.is_zero() {
            let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
            if let Some((at, record)) = entries.get(id)
                && at.elapsed() < ttl
            {
                return Ok(Some(record.clone()));
            }
        }
        let record = store.api_key(id).await?;
        if !ttl.is_zero() {
            let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
            match &record {
                Some(r) => {
                    if entries.len() >= MAX_CACHED_KEYS {
                        entries.clear();
                    }
                    entries.insert(id.to_string(), (Instant::now(), r.clone()));
                }
                None => {
                    entries.remove(id);
                }
            }
        }
        Ok(record)
    }
}

/// Whether the request presents an API key at all (`Authorization` or `X-Api-Key`).
pub fn presents_key(headers: &HeaderMap) -> bool {
    headers.contains_key(header::AUTHORIZATION) || headers.contains_key("x-api-key")
}

/// The key text presented with a request, if any: `Authorization: Bearer <key>` or `X-Api-Key: <key>`.
fn presented_key(headers: &HeaderMap) -> Result<Option<&str>, ApiError> {
    if let Some(value) = headers.get(header::AUTHORIZATION) {
        let text = value.to_str().map_err(|_| invalid(KeyError::Malformed))?;
        let (scheme, token) = text.split_once(' ').ok_or_else(|| invalid(KeyError::Malformed))?;
        if !scheme.eq_ignore_ascii_case("bearer") {
            return Err(ApiError::unauthorized("invalid_api_key", "only Bearer authorization is accepted"));
        }
        return Ok(Some(token.trim()));
    }
    match headers.get("x-api-key") {
        Some(value) => value.to_str().map(|v| Some(v.trim())).map_err(|_| invalid(KeyError::Malformed)),
        None => Ok(None),
    }
}

fn invalid(error: KeyError) -> ApiError {
    ApiError::unauthorized(error.code(), error.to_string())
}

/// Authenticates the request's key and checks it carries `required`; returns who is calling.
pub async fn authenticate(state: &AppState, headers: &HeaderMap, required: &str) -> Result<Actor, ApiError> {
    let text = presented_key(headers)?.ok_or_else(|| {
        ApiError::unauthorized("missing_api_key", "send an API key as `Authorization: Bearer <key>` or `X-Api-Key`")
    })?;
    let (id, secret) = parse_key(text).map_err(invalid)?;
    let record = state
        .keys
        .get(state.store.as_ref(), id, state.key_cache_ttl)
        .await?
        .ok_or_else(|| invalid(KeyError::Unknown))?;
    verify_key(&record, secret, Utc::now()).map_err(invalid)?;
    if !grants(&record.scopes, required) {
        let mut error = ApiError::new(
            StatusCode::FORBIDDEN,
            "insufficient_scope",
            format!("this API key lacks the scope {required:?} (or admin) that this route needs"),
        );
        error.www_authenticate = Some(format!("Bearer error=\"insufficient_scope\", scope=\"{required}\""));
        return Err(error);
    }
    let limit = record.rate_limit_per_minute.and_then(std::num::NonZeroU32::new).or(state.rate_limit_per_minute);
    if let Some(per_minute) = limit
        && let Err(wait) = state.rate_limits.check(&record.id, per_minute)
    {
        let secs = retry_after_secs(wait);
        let mut error = ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            format!("this API key may make {per_minute} requests per minute; retry in {secs} s"),
        );
        error.retry_after_secs = std::num::NonZeroU32::new(u32::try_from(secs).unwrap_or(u32::MAX));
        return Err(error);
    }
    Ok(Actor { key_id: record.id, origin: crossdock_store::Origin::default() })
}

/// Middleware guarding one route: authenticates, checks the scope, and hands the [`Actor`] to the handler.
pub async fn require_scope(
    State((state, required)): State<(AppState, &'static str)>,
    mut request: Request,
    next: Next,
) -> Response {
    match authenticate(&state, request.headers(), required).await {
        Ok(mut actor) => {
            actor.origin = super::request_origin(request.headers(), request.extensions());
            tracing::Span::current().record("key_id", actor.key_id.as_str());
            request.extensions_mut().insert(actor);
            next.run(request).await
        }
        Err(error) => error.into_response(),
    }
}
