//! Dead-letter routes: list (filtered, paged), show one with its last request and response, replay or
//! discard one or every dead letter a filter matches.

use super::common::{ReadProblems, WriteProblems};
use crate::AppState;
use crate::auth::Actor;
use crate::json::JsonBody;
use crate::params::{Cursor, PathText, QueryParams};
use crate::pii::{PII_WITHHELD, reads_pii};
use crate::problem::{ApiError, Problem};
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::{Extension, Json};
use chrono::{DateTime, Utc};
use crossdock_store::{DeadLetterFilter, DeliveryRecord, DeliverySelector, DeliveryStatus};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

/// Default and largest page size of `GET /v1/dead-letters`.
pub const DEAD_LETTERS_PAGE: (u32, u32) = (50, 500);

/// A delivery (usually a dead letter). `last_request` and `last_response` are filled only when one is
/// read by id, and only for a key with `pii:read`: for others each is the string `[requires pii:read]`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct DeadLetter {
    pub id: i64,
    pub subscription: String,
    pub system: String,
    /// Sequence number of the event in the log.
    pub seq: i64,
    pub aggregate_id: String,
    pub event_type: String,
    /// `pending`, `delivered`, `dead` or `discarded`.
    pub status: String,
    pub attempts: u32,
    /// `{subscription}:{seq}`, sent with every attempt; receivers dedupe on it.
    pub idempotency_key: String,
    pub created_at: DateTime<Utc>,
    pub last_attempt_at: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    /// What was sent last: transport, target, idempotency key, event type, body.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_request: Option<Value>,
    /// What the system answered last: status and (up to 64 KiB of) body.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_response: Option<Value>,
}

impl From<DeliveryRecord> for DeadLetter {
    fn from(r: DeliveryRecord) -> Self {
        Self {
            id: r.id,
            subscription: r.subscription,
            system: r.system,
            seq: r.seq,
            aggregate_id: r.aggregate_id,
            event_type: r.event_type,
            status: r.status.as_str().to_string(),
            attempts: r.attempts,
            idempotency_key: r.idempotency_key,
            created_at: r.created_at,
            last_attempt_at: r.last_attempt_at,
            last_error: r.last_error,
            last_request: r.last_request,
            last_response: r.last_response,
        }
    }
}

impl DeadLetter {
    /// Replaces the request and response kept (bodies mapped for the system, with names and addresses) by
    /// [`PII_WITHHELD`], for a key without `pii:read`.
    pub fn withhold_pii(&mut self) {
        for kept in [&mut self.last_request, &mut self.last_response].into_iter().flatten() {
            *kept = Value::String(PII_WITHHELD.to_string());
        }
    }
}

/// A page of dead letters, oldest first. Pass `next_cursor` as `cursor` for the next page; null on the last.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct DeadLetterList {
    pub items: Vec<DeadLetter>,
    pub next_cursor: Option<String>,
}

/// Which dead letters to replay or discard. Every given field must match; `all: true` (and no other field)
/// selects every dead letter, so that an empty body never acts on the whole queue by accident.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeadLetterSelection {
    #[serde(default)]
    pub system: Option<String>,
    #[serde(default)]
    pub subscription: Option<String>,
    #[serde(default)]
    pub event_type: Option<String>,
    /// A substring of the last error (case-sensitive).
    #[serde(default)]
    pub error: Option<String>,
    #[serde(default)]
    pub all: bool,
}

/// How many dead letters an operation acted on.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct DeadLetterAction {
    pub affected: u64,
}

const FILTER_PARAMS: [&str; 4] = ["system", "subscription", "event_type", "error"];

/// List dead letters, filtered by system, subscription, event type and error text.
#[utoipa::path(
    get, path = "/v1/dead-letters", tag = "dead-letters",
    params(
        ("system" = Option<String>, Query, description = "Only dead letters of this system"),
        ("subscription" = Option<String>, Query, description = "Only dead letters of this subscription"),
        ("event_type" = Option<String>, Query, description = "Only dead letters of this event type"),
        ("error" = Option<String>, Query, description = "Only dead letters whose last error contains this text"),
        ("cursor" = Option<String>, Query, description = "The next_cursor of the previous page"),
        ("limit" = Option<u32>, Query, description = "Page size, 1 to 500 (default 50)"),
    ),
    responses((status = 200, description = "A page of dead letters", body = DeadLetterList), ReadProblems),
    security(("api_key" = ["dlq:read"]))
)]
pub async fn list_dead_letters(
    State(state): State<AppState>,
    Extension(actor): Extension<Actor>,
    RawQuery(raw): RawQuery,
) -> Result<Json<DeadLetterList>, ApiError> {
    let mut known = FILTER_PARAMS.to_vec();
    known.extend(["cursor", "limit"]);
    let query = QueryParams::parse(raw.as_deref(), &known)?;
    let after_id = query.parsed("cursor", |c| DEAD_LETTER_CURSOR.decode(c))?;
    let limit = query.limit("limit", DEAD_LETTERS_PAGE.0, DEAD_LETTERS_PAGE.1)?;
    let text = |name: &str| query.get(name).map(str::to_string);
    let filter = DeadLetterFilter {
        system: text("system"),
        subscription: text("subscription"),
        event_type: text("event_type"),
        error_contains: text("error"),
        after_id,
        limit: limit + 1,
    };
    let mut rows = state.store.dead_letters(&filter).await?;
    let more = rows.len() > limit as usize;
    rows.truncate(limit as usize);
    let next_cursor = if more { rows.last().map(|r| DEAD_LETTER_CURSOR.encode(r.id)) } else { None };
    let mut items: Vec<DeadLetter> = rows.into_iter().map(DeadLetter::from).collect();
    // The store lists without requests and responses today; should it ever return them, they stay withheld.
    if !reads_pii(&state, &actor).await? {
        items.iter_mut().for_each(DeadLetter::withhold_pii);
    }
    Ok(Json(DeadLetterList { items, next_cursor }))
}

/// Read one delivery with the last request sent and the last response received.
#[utoipa::path(
    get, path = "/v1/dead-letters/{id}", tag = "dead-letters",
    params(("id" = i64, Path, description = "Dead letter (delivery) id")),
    responses(
        (status = 200, description = "The delivery", body = DeadLetter),
        (status = 404, description = "No such delivery", body = Problem, content_type = "application/problem+json"),
        ReadProblems,
    ),
    security(("api_key" = ["dlq:read"]))
)]
pub async fn get_dead_letter(
    State(state): State<AppState>,
    Extension(actor): Extension<Actor>,
    PathText(id): PathText,
) -> Result<Json<DeadLetter>, ApiError> {
    let mut dead_letter = DeadLetter::from(existing(&state, &id).await?);
    if !reads_pii(&state, &actor).await? {
        dead_letter.withhold_pii();
    }
    Ok(Json(dead_letter))
}

/// Put one dead letter back in the queue, due now, with a fresh retry budget and the same idempotency key.
#[utoipa::path(
    post, path = "/v1/dead-letters/{id}/replay", tag = "dead-letters",
    params(("id" = i64, Path, description = "Dead letter (delivery) id")),
    responses(
        (status = 200, description = "Queued again", body = DeadLetterAction),
        (status = 404, description = "No such delivery", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The delivery is not a dead letter", body = Problem, content_type = "application/problem+json"),
        WriteProblems,
    ),
    security(("api_key" = ["dlq:replay"]))
)]
pub async fn replay_dead_letter(
    State(state): State<AppState>,
    PathText(id): PathText,
) -> Result<Json<DeadLetterAction>, ApiError> {
    let record = dead(&state, &id).await?;
    let affected = state.store.replay_dead_letters(&DeliverySelector::Ids(vec![record.id]), Utc::now()).await?;
    state.notify_committed();
    Ok(Json(DeadLetterAction { affected }))
}

/// Drop one dead letter for good (it stays listed by id with status `discarded`).
#[utoipa::path(
    post, path = "/v1/dead-letters/{id}/discard", tag = "dead-letters",
    params(("id" = i64, Path, description = "Dead letter (delivery) id")),
    responses(
        (status = 200, description = "Discarded", body = DeadLetterAction),
        (status = 404, description = "No such delivery", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The delivery is not a dead letter", body = Problem, content_type = "application/problem+json"),
        WriteProblems,
    ),
    security(("api_key" = ["dlq:replay"]))
)]
pub async fn discard_dead_letter(
    State(state): State<AppState>,
    PathText(id): PathText,
) -> Result<Json<DeadLetterAction>, ApiError> {
    let record = dead(&state, &id).await?;
    let affected = state.store.discard_dead_letters(&DeliverySelector::Ids(vec![record.id])).await?;
    Ok(Json(DeadLetterAction { affected }))
}

/// Replay every dead letter the selection matches.
#[utoipa::path(
    post, path = "/v1/dead-letters/replay", tag = "dead-letters",
    request_body = DeadLetterSelection,
    responses((status = 200, description = "How many were queued again", body = DeadLetterAction), WriteProblems),
    security(("api_key" = ["dlq:replay"]))
)]
pub async fn replay_dead_letters(
    State(state): State<AppState>,
    JsonBody(selection): JsonBody<DeadLetterSelection>,
) -> Result<Json<DeadLetterAction>, ApiError> {
    let filter = selection_filter(selection)?;
    let affected = state.store.replay_dead_letters(&DeliverySelector::Filter(filter), Utc::now()).await?;
    state.notify_committed();
    Ok(Json(DeadLetterAction { affected }))
}

/// Discard every dead letter the selection matches.
#[utoipa::path(
    post, path = "/v1/dead-letters/discard", tag = "dead-letters",
    request_body = DeadLetterSelection,
    responses((status = 200, description = "How many were discarded", body = DeadLetterAction), WriteProblems),
    security(("api_key" = ["dlq:replay"]))
)]
pub async fn discard_dead_letters(
    State(state): State<AppState>,
    JsonBody(selection): JsonBody<DeadLetterSelection>,
) -> Result<Json<DeadLetterAction>, ApiError> {
    let filter = selection_filter(selection)?;
    let affected = state.store.discard_dead_letters(&DeliverySelector::Filter(filter)).await?;
    Ok(Json(DeadLetterAction { affected }))
}

/// The store filter of a selection: at least one field, or `all: true` alone.
fn selection_filter(s: DeadLetterSelection) -> Result<DeadLetterFilter, ApiError> {
    let given = [&s.system, &s.subscription, &s.event_type, &s.error].iter().any(|f| f.is_some());
    if s.all && given {
        return Err(invalid("/all", "`all` selects every dead letter; leave it out when filtering"));
    }
    if !s.all && !given {
        return Err(invalid(
            "",
            "name at least one of system, subscription, event_type, error, or send {\"all\": true}",
        ));
    }
    Ok(DeadLetterFilter {
        system: s.system,
        subscription: s.subscription,
        event_type: s.event_type,
        error_contains: s.error,
        after_id: None,
        limit: 0,
    })
}

fn invalid(pointer: &str, detail: &str) -> ApiError {
    ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_field", detail).with_pointer(pointer)
}

async fn existing(state: &AppState, id: &str) -> Result<DeliveryRecord, ApiError> {
    let id: i64 = id
        .parse()
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(|| ApiError::bad_parameter("id", format!("path parameter id: {id:?} is not a delivery id")))?;
    state
        .store
        .delivery(id)
        .await?
        .ok_or_else(|| ApiError::not_found("dead_letter_not_found", format!("delivery {id} does not exist")))
}

async fn dead(state: &AppState, id: &str) -> Result<DeliveryRecord, ApiError> {
    let record = existing(state, id).await?;
    if record.status != DeliveryStatus::Dead {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "not_a_dead_letter",
            format!("delivery {} is {}, not a dead letter", record.id, record.status.as_str()),
        ));
    }
    Ok(record)
}

/// Cursors over dead-letter ids.
const DEAD_LETTER_CURSOR: Cursor = Cursor("dl:");
