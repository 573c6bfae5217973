//! Dead letters: the filtered list, one with the request sent and the response received, and replay or
//! discard of one or of every dead letter the filter matches (the buttons ask for confirmation; only keys
//! with `dlq:replay` see them, and the server refuses the others with 403). Same store calls as the API.

use super::{ConsoleError, ConsoleUser, Layout, field, fields, render};
use crate::AppState;
use crate::pii::PII_WITHHELD;
use crate::routes::{DLQ_READ, DLQ_REPLAY, PII_READ};
use askama::Template;
use axum::Extension;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::Html;
use chrono::Utc;
use crossdock_store::{DeadLetterFilter, DeliveryRecord, DeliverySelector, DeliveryStatus};
use std::collections::HashMap;

/// Dead letters per page.
const PAGE: u32 = 100;
/// The filter fields, as query parameters and form fields.
const FILTER_FIELDS: [&str; 4] = ["system", "subscription", "event_type", "error"];

pub struct Row {
    pub id: i64,
    pub system: String,
    pub subscription: String,
    pub seq: i64,
    pub aggregate_id: String,
    pub event_type: String,
    pub attempts: u32,
    pub last_error: String,
    pub at: String,
}

#[derive(Template)]
#[template(path = "console/dead_letters.html")]
struct ListPage {
    layout: Layout,
    system: String,
    subscription: String,
    event_type: String,
    error: String,
    filtered: bool,
    rows: Vec<Row>,
    more: bool,
}

fn filter_of(fields: &HashMap<String, String>) -> DeadLetterFilter {
    let text = |name: &str| field(fields, name).map(str::to_string);
    DeadLetterFilter {
        system: text("system"),
        subscription: text("subscription"),
        event_type: text("event_type"),
        error_contains: text("error"),
        after_id: None,
        limit: 0,
    }
}

/// `GET /console/dead-letters?system=&subscription=&event_type=&error=`.
pub async fn list(
    State(state): State<AppState>,
    Extension(user): Extension<ConsoleUser>,
    RawQuery(raw): RawQuery,
) -> Result<Html<String>, ConsoleError> {
    user.require(DLQ_READ)?;
    let query = fields(raw.as_deref().unwrap_or("").as_bytes());
    let mut filter = filter_of(&query);
    filter.limit = PAGE + 1;
    let mut records = state.store.dead_letters(&filter).await?;
    let more = records.len() > PAGE as usize;
    records.truncate(PAGE as usize);
    let rows = records
        .into_iter()
        .map(|r| Row {
            id: r.id,
            system: r.system,
            subscription: r.subscription,
            seq: r.seq,
            aggregate_id: r.aggregate_id,
            event_type: r.event_type,
            attempts: r.attempts,
            last_error: r.last_error.unwrap_or_default(),
            at: r.last_attempt_at.unwrap_or(r.created_at).format("%Y-%m-%d %H:%M:%S").to_string(),
        })
        .collect();
    let get = |name: &str| field(&query, name).unwrap_or_default().to_string();
    let filtered = FILTER_FIELDS.iter().any(|f| field(&query, f).is_some());
    let page = ListPage {
        layout: Layout::new(&user, "dead-letters", "Dead letters"),
        system: get("system"),
        subscription: get("subscription"),
        event_type: get("event_type"),
        error: get("error"),
        filtered,
        rows,
        more,
    };
    render(&page)
}

#[derive(Template)]
#[template(path = "console/dead_letter.html")]
struct ShowPage {
    layout: Layout,
    d: DeliveryRecord,
    status: &'static str,
    dead: bool,
    request: String,
    response: String,
}

fn delivery_id(id: &str) -> Result<i64, ConsoleError> {
    id.parse::<i64>()
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(|| ConsoleError::bad_request(format!("{id:?} is not a delivery id")))
}

async fn existing(state: &AppState, id: &str) -> Result<DeliveryRecord, ConsoleError> {
    let id = delivery_id(id)?;
    state.store.delivery(id).await?.ok_or_else(|| ConsoleError::not_found(format!("delivery {id} does not exist")))
}

/// `GET /console/dead-letters/{id}`: one delivery with its last request and response.
pub async fn show(
    State(state): State<AppState>,
    Extension(user): Extension<ConsoleUser>,
    Path(id): Path<String>,
) -> Result<Html<String>, ConsoleError> {
    user.require(DLQ_READ)?;
    let d = existing(&state, &id).await?;
    // The request and response hold the mapped body (names, addresses): shown only with `pii:read`, as in the API.
    let reads_pii = user.can(PII_READ);
    let pretty = |v: &Option<serde_json::Value>| match v {
        Some(_) if !reads_pii => PII_WITHHELD.to_string(),
        Some(v) => serde_json::to_string_pretty(v).unwrap_or_default(),
        None => "(none kept)".to_string(),
    };
    let page = ShowPage {
        layout: Layout::new(&user, "dead-letters", format!("Delivery {}", d.id)),
        status: d.status.as_str(),
        dead: d.status == DeliveryStatus::Dead,
        request: pretty(&d.last_request),
        response: pretty(&d.last_response),
        d,
    };
    render(&page)
}

/// The answer to an action: a message swapped into the page's flash area.
fn flash(text: String) -> Html<String> {
    Html(format!("<p class=\"flash ok\" id=\"flash-message\">{}</p>", super::error::escape(&text)))
}

fn plural(n: u64) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// What the action buttons do to the dead letters they select.
#[derive(Clone, Copy)]
enum Action {
    /// Queue again for delivery (with the same idempotency key).
    Replay,
    Discard,
}

/// The steps every action shares: the scope check, the store call the API makes, waking the dispatcher
/// after a replay, and the log line. Returns how many dead letters it changed.
async fn act(
    state: &AppState,
    user: &ConsoleUser,
    action: Action,
    selector: &DeliverySelector,
) -> Result<u64, ConsoleError> {
    let n = match action {
        Action::Replay => {
            let n = state.store.replay_dead_letters(selector, Utc::now()).await?;
            state.notify_committed();
            n
        }
        Action::Discard => state.store.discard_dead_letters(selector).await?,
    };
    let verb = match action {
        Action::Replay => "replayed",
        Action::Discard => "discarded",
    };
    tracing::info!(key_id = %user.key_id, ?selector, changed = n, "console: dead letters {verb}");
    Ok(n)
}

/// One dead letter's action (`POST /console/dead-letters/{id}/replay` or `/discard`): it must exist and be dead.
async fn act_on_one(
    state: &AppState,
    user: &ConsoleUser,
    action: Action,
    id: &str,
) -> Result<Html<String>, ConsoleError> {
    user.require(DLQ_REPLAY)?;
    let d = dead(state, id).await?;
    let n = act(state, user, action, &DeliverySelector::Ids(vec![d.id])).await?;
    Ok(flash(match action {
        Action::Replay => {
            format!("Delivery {} queued again ({n} replayed); it is sent with the same idempotency key.", d.id)
        }
        Action::Discard => format!("Delivery {} discarded ({n}).", d.id),
    }))
}

/// A bulk action (`POST /console/dead-letters/replay` or `/discard`; form: the filter fields, or `all=true`).
async fn act_on_selection(
    state: &AppState,
    user: &ConsoleUser,
    action: Action,
    body: &[u8],
) -> Result<Html<String>, ConsoleError> {
    user.require(DLQ_REPLAY)?;
    let filter = selection(body)?;
    let n = act(state, user, action, &DeliverySelector::Filter(filter)).await?;
    let done = match action {
        Action::Replay => "queued again",
        Action::Discard => "discarded",
    };
    Ok(flash(format!("{n} dead letter{} {done}.", plural(n))))
}

/// `POST /console/dead-letters/{id}/replay`.
pub async fn replay_one(
    State(state): State<AppState>,
    Extension(user): Extension<ConsoleUser>,
    Path(id): Path<String>,
) -> Result<Html<String>, ConsoleError> {
    act_on_one(&state, &user, Action::Replay, &id).await
}

/// `POST /console/dead-letters/{id}/discard`.
pub async fn discard_one(
    State(state): State<AppState>,
    Extension(user): Extension<ConsoleUser>,
    Path(id): Path<String>,
) -> Result<Html<String>, ConsoleError> {
    act_on_one(&state, &user, Action::Discard, &id).await
}

async fn dead(state: &AppState, id: &str) -> Result<DeliveryRecord, ConsoleError> {
    let d = existing(state, id).await?;
    if d.status != DeliveryStatus::Dead {
        return Err(ConsoleError::new(
            StatusCode::CONFLICT,
            format!("delivery {} is {}, not a dead letter", d.id, d.status.as_str()),
        ));
    }
    Ok(d)
}

/// The selection of a bulk action: the filter's fields, or `all=true` alone (never an empty filter by accident).
fn selection(body: &[u8]) -> Result<DeadLetterFilter, ConsoleError> {
    let form = fields(body);
    let filter = filter_of(&form);
    let given = FILTER_FIELDS.iter().any(|f| field(&form, f).is_some());
    let all = field(&form, "all") == Some("true");
    match (all, given) {
        (true, true) => Err(ConsoleError::bad_request("`all` selects every dead letter; leave it out when filtering")),
        (false, false) => Err(ConsoleError::bad_request("filter first, or choose to act on every dead letter")),
        _ => Ok(filter),
    }
}

/// `POST /console/dead-letters/replay` (form: the filter fields, or `all=true`).
pub async fn replay_selected(
    State(state): State<AppState>,
    Extension(user): Extension<ConsoleUser>,
    body: Bytes,
) -> Result<Html<String>, ConsoleError> {
    act_on_selection(&state, &user, Action::Replay, &body).await
}

/// `POST /console/dead-letters/discard` (form: the filter fields, or `all=true`).
pub async fn discard_selected(
    State(state): State<AppState>,
    Extension(user): Extension<ConsoleUser>,
    body: Bytes,
) -> Result<Html<String>, ConsoleError> {
    act_on_selection(&state, &user, Action::Discard, &body).await
}
