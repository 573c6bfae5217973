//! Admin routes for API keys (scope `admin`): list (never secrets), create and rotate (the key text is in
//! that one answer only), revoke (effective at once in this process).

use super::common::{ReadProblems, WriteProblems};
use crate::AppState;
use crate::auth;
use crate::json::JsonBody;
use crate::params::PathText;
use crate::problem::{ApiError, Problem};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Duration, Utc};
use crossdock_store::ApiKeyRecord;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Default overlap during which a rotated key's previous secret still works: one day.
pub const DEFAULT_ROTATION_OVERLAP_SECS: u64 = 24 * 3600;
/// Longest overlap a rotation may ask for: 30 days.
pub const MAX_ROTATION_OVERLAP_SECS: u64 = 30 * 24 * 3600;
/// Highest per-key rate limit: a million requests a minute.
const MAX_RATE_LIMIT_PER_MINUTE: u32 = 1_000_000;

/// A key as listed: never its secret nor its hash.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct KeyView {
    pub id: String,
    pub name: String,
    pub scopes: Vec<String>,
    pub created_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
    /// After a rotation: until when the previous secret is still accepted.
    pub previous_valid_until: Option<DateTime<Utc>>,
    /// The key's own rate limit; absent: the server's default.
    pub rate_limit_per_minute: Option<u32>,
    /// `active`, `expired` or `revoked`.
    pub state: String,
}

impl KeyView {
    fn new(record: ApiKeyRecord, now: DateTime<Utc>) -> Self {
        let state = if record.revoked_at.is_some_and(|at| at <= now) {
            "revoked"
        } else if record.expires_at.is_some_and(|at| at <= now) {
            "expired"
        } else {
            "active"
        };
        Self {
            id: record.id,
            name: record.name,
            scopes: record.scopes,
            created_at: record.created_at,
            expires_at: record.expires_at,
            revoked_at: record.revoked_at,
            previous_valid_until: record.previous_valid_until.filter(|until| *until > now),
            rate_limit_per_minute: record.rate_limit_per_minute,
            state: state.to_string(),
        }
    }
}

/// Every key, oldest first.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct KeyList {
    pub items: Vec<KeyView>,
}

/// A key with its text, answered once by create and rotate.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct KeyWithSecret {
    pub key: KeyView,
    /// The key text `cdk_<id>_<secret>`: shown this once, only its hash is stored.
    pub secret: String,
}

/// `POST /v1/keys`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateKeyBody {
    pub name: String,
    /// Fixed scopes (`orders:read`, …, `admin`) or `inbound:<system>`.
    pub scopes: Vec<String>,
    /// When the key stops working; never by default.
    #[serde(default)]
    pub expires_at: Option<DateTime<Utc>>,
    /// The key's own requests-per-minute limit, instead of the server's default.
    #[serde(default)]
    pub rate_limit_per_minute: Option<u32>,
}

/// `POST /v1/keys/{id}/rotate`.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RotateKeyBody {
    /// Seconds the previous secret keeps working (default 86400, at most 2592000; 0 ends it at once).
    #[serde(default)]
    pub overlap_secs: Option<u64>,
}

/// List the API keys (ids, names, scopes, states; never secrets).
#[utoipa::path(
    get, path = "/v1/keys", tag = "keys",
    responses((status = 200, description = "Every key", body = KeyList), ReadProblems),
    security(("api_key" = ["admin"]))
)]
pub async fn list_keys(State(state): State<AppState>) -> Result<Json<KeyList>, ApiError> {
    let now = Utc::now();
    let items = state.store.list_api_keys().await?.into_iter().map(|k| KeyView::new(k, now)).collect();
    Ok(Json(KeyList { items }))
}

/// Create a key; its text is in this answer only.
#[utoipa::path(
    post, path = "/v1/keys", tag = "keys",
    request_body = CreateKeyBody,
    responses((status = 201, description = "The key and its text, shown once", body = KeyWithSecret), WriteProblems),
    security(("api_key" = ["admin"]))
)]
pub async fn create_key(
    State(state): State<AppState>,
    JsonBody(body): JsonBody<CreateKeyBody>,
) -> Result<(StatusCode, Json<KeyWithSecret>), ApiError> {
    let invalid = |pointer: &str, detail: String| {
        ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_field", detail).with_pointer(pointer)
    };
    let name = body.name.trim();
    if name.is_empty() || name.len() > 200 {
        return Err(invalid("/name", "the name must have 1 to 200 characters".into()));
    }
    auth::validate_scopes(&body.scopes).map_err(|detail| invalid("/scopes", detail))?;
    let now = Utc::now();
    if body.expires_at.is_some_and(|at| at <= now) {
        return Err(invalid("/expires_at", "the expiry must be in the future".into()));
    }
    if body.rate_limit_per_minute.is_some_and(|n| !(1..=MAX_RATE_LIMIT_PER_MINUTE).contains(&n)) {
        return Err(invalid("/rate_limit_per_minute", format!("must be 1 to {MAX_RATE_LIMIT_PER_MINUTE}")));
    }
    let (secret, mut record) = auth::new_key(name, body.scopes, body.expires_at);
    record.rate_limit_per_minute = body.rate_limit_per_minute;
    state.store.insert_api_key(&record).await?;
    tracing::info!(key_id = %record.id, "api key created");
    Ok((StatusCode::CREATED, Json(KeyWithSecret { key: KeyView::new(record, now), secret })))
}

/// Give a key a new secret (same id and scopes); the previous secret works until the overlap ends.
#[utoipa::path(
    post, path = "/v1/keys/{id}/rotate", tag = "keys",
    params(("id" = String, Path, description = "Key id (the part after `cdk_`)")),
    request_body = RotateKeyBody,
    responses(
        (status = 200, description = "The key and its new text, shown once", body = KeyWithSecret),
        (status = 404, description = "No such key", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The key is revoked", body = Problem, content_type = "application/problem+json"),
        WriteProblems,
    ),
    security(("api_key" = ["admin"]))
)]
pub async fn rotate_key(
    State(state): State<AppState>,
    PathText(id): PathText,
    JsonBody(body): JsonBody<RotateKeyBody>,
) -> Result<Json<KeyWithSecret>, ApiError> {
    let overlap = body.overlap_secs.unwrap_or(DEFAULT_ROTATION_OVERLAP_SECS);
    if overlap > MAX_ROTATION_OVERLAP_SECS {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_field",
            format!("the overlap is at most {MAX_ROTATION_OVERLAP_SECS} seconds"),
        )
        .with_pointer("/overlap_secs"));
    }
    let record = existing(&state, &id).await?;
    if record.revoked_at.is_some() {
        return Err(ApiError::new(StatusCode::CONFLICT, "api_key_revoked", "a revoked key cannot be rotated"));
    }
    let now = Utc::now();
    let until = now + Duration::seconds(i64::try_from(overlap).unwrap_or(i64::MAX));
    let (secret, hash) = auth::new_secret(&record.id);
    if !state.store.rotate_api_key(&record.id, &hash, until).await? {
        return Err(ApiError::new(StatusCode::CONFLICT, "api_key_revoked", "a revoked key cannot be rotated"));
    }
    state.keys.forget(&record.id);
    tracing::info!(key_id = %record.id, overlap_secs = overlap, "api key rotated");
    let rotated = existing(&state, &record.id).await?;
    Ok(Json(KeyWithSecret { key: KeyView::new(rotated, now), secret }))
}

/// Revoke a key: refused from the next request on (in this process at once; see README for others).
#[utoipa::path(
    post, path = "/v1/keys/{id}/revoke", tag = "keys",
    params(("id" = String, Path, description = "Key id (the part after `cdk_`)")),
    responses(
        (status = 200, description = "The key, revoked", body = KeyView),
        (status = 404, description = "No such key", body = Problem, content_type = "application/problem+json"),
        WriteProblems,
    ),
    security(("api_key" = ["admin"]))
)]
pub async fn revoke_key(State(state): State<AppState>, PathText(id): PathText) -> Result<Json<KeyView>, ApiError> {
    let record = existing(&state, &id).await?;
    let now = Utc::now();
    state.store.revoke_api_key(&record.id, now).await?;
    state.keys.forget(&record.id);
    tracing::info!(key_id = %record.id, "api key revoked");
    Ok(Json(KeyView::new(existing(&state, &record.id).await?, now)))
}

async fn existing(state: &AppState, id: &str) -> Result<ApiKeyRecord, ApiError> {
    let unknown = || ApiError::not_found("key_not_found", format!("no API key with id {id:?}"));
    if id.is_empty() || id.len() > 64 {
        return Err(unknown());
    }
    state.store.api_key(id).await?.ok_or_else(unknown)
}
