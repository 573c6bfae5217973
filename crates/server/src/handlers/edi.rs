//! EDI routes: receive a raw X12 interchange from a partner over HTTP (validated, submitted, acknowledged
//! and recorded by `crossdock_connect::edi`), and list or read the interchanges received and sent with
//! their status and acknowledgement state.

use super::common::{ReadProblems, WriteProblems};
use crate::AppState;
use crate::auth::Actor;
use crate::json::RawBody;
use crate::params::{Cursor, PathText, QueryParams};
use crate::pii::{PII_WITHHELD, reads_pii};
use crate::problem::{ApiError, Problem};
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::{Extension, Json};
use chrono::{DateTime, Utc};
use crossdock_connect::edi::{EdiError, Outbox, PartnerFolders, ReceiveOutcome, Source, receive};
use crossdock_store::{AckState, EdiDirection, InterchangeFilter, InterchangeRecord, InterchangeStatus};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

/// Default and largest page size of `GET /v1/edi/interchanges`.
pub const INTERCHANGES_PAGE: (u32, u32) = (50, 500);
/// Cursors over interchange ids.
const INTERCHANGE_CURSOR: Cursor = Cursor("edi:");

/// An interchange received from or sent to a trading partner. `raw` is filled only when one is read by id,
/// and only for a key with `pii:read`: for others it is `[requires pii:read]`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct EdiInterchange {
    pub id: i64,
    pub partner: String,
    /// `inbound` or `outbound`.
    pub direction: String,
    /// ISA13.
    pub isa_control: String,
    /// Functional groups (GS01, GS06) with their sets (ST01, ST02).
    pub groups: Value,
    /// ST01 of every set, in order.
    pub set_ids: Vec<String>,
    /// `accepted`, `partially_accepted`, `rejected`, or `sent` (outbound, not acknowledged yet).
    pub status: String,
    /// `expected`, `received`, `overdue` or `not_expected`.
    pub ack_state: String,
    pub ack_due_at: Option<DateTime<Utc>>,
    /// ISA13 of the acknowledgement sent back (inbound) or received (outbound).
    pub ack_control: Option<String>,
    pub file: Option<String>,
    pub size: i64,
    /// Validation (with segment, element and X12 code), mapping and submission issues, or the
    /// reconciliation of the partner's acknowledgement.
    pub errors: Value,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// The interchange as received or sent (lossy UTF-8).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub raw: Option<String>,
}

impl EdiInterchange {
    fn from_record(r: InterchangeRecord, with_raw: bool) -> Self {
        EdiInterchange {
            set_ids: r.set_ids(),
            id: r.id,
            partner: r.partner,
            direction: r.direction.as_str().into(),
            isa_control: r.isa_control,
            groups: serde_json::to_value(&r.groups).unwrap_or_default(),
            status: r.status.as_str().into(),
            ack_state: r.ack_state.as_str().into(),
            ack_due_at: r.ack_due_at,
            ack_control: r.ack_control,
            file: r.file,
            size: r.size,
            errors: r.errors,
            created_at: r.created_at,
            updated_at: r.updated_at,
            raw: with_raw.then(|| String::from_utf8_lossy(&r.raw).into_owned()),
        }
    }
}

impl EdiInterchange {
    /// Replaces the raw X12 (its N1/N3/N4 segments name people and addresses) by [`PII_WITHHELD`], for a
    /// key without `pii:read`.
    pub fn withhold_pii(&mut self) {
        if let Some(raw) = &mut self.raw {
            *raw = PII_WITHHELD.to_string();
        }
    }
}

/// A page of interchanges, newest first. Pass `next_cursor` as `cursor` for the next page; null on the last.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct EdiInterchangeList {
    pub items: Vec<EdiInterchange>,
    pub next_cursor: Option<String>,
}

/// What receiving an interchange did.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct EdiReceipt {
    /// The inbound interchange record (`GET /v1/edi/interchanges/{id}`).
    pub interchange_id: i64,
    pub partner: String,
    pub isa_control: String,
    /// `accepted`, `partially_accepted` or `rejected`.
    pub status: String,
    pub sets: usize,
    pub accepted_sets: usize,
    /// Commands submitted, and how many had been submitted before (the same interchange again).
    pub commands: usize,
    pub replayed: usize,
    /// Sent interchanges whose acknowledgement this one carried.
    pub acknowledged: Vec<i64>,
    /// The 997/999 (with a TA1 on envelope faults) sent back, also dropped in the partner's outbox.
    pub ack: Option<String>,
    pub ack_id: Option<i64>,
    /// Every issue found, with its stage (validation, mapping, submission) and position.
    pub issues: Value,
}

impl From<ReceiveOutcome> for EdiReceipt {
    fn from(o: ReceiveOutcome) -> Self {
        EdiReceipt {
            interchange_id: o.interchange_id,
            partner: o.partner,
            isa_control: o.isa_control,
            status: o.status.as_str().into(),
            sets: o.sets,
            accepted_sets: o.accepted_sets,
            commands: o.commands,
            replayed: o.replayed,
            acknowledged: o.acknowledged,
            ack: o.ack.map(|b| String::from_utf8_lossy(&b).into_owned()),
            ack_id: o.ack_id,
            issues: serde_json::to_value(&o.issues).unwrap_or_default(),
        }
    }
}

/// Receive an X12 interchange from a trading partner: validated (strictly unless the partner is lenient,
/// with schemas), each accepted set submitted as canonical commands (idempotent on partner and control
/// numbers), acknowledged with a 997/999, and recorded. A rejected interchange is still answered 200: it
/// was recorded, and `status` and the acknowledgement say why.
#[utoipa::path(
    post, path = "/v1/edi/{partner}", tag = "edi",
    params(("partner" = String, Path, description = "The partner's configured id; the ISA sender must be it")),
    request_body(content = String, content_type = "application/edi-x12", description = "One X12 file"),
    responses(
        (status = 200, description = "Received and recorded", body = EdiReceipt),
        (status = 404, description = "EDI is not configured, or no such partner", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "No ISA, or the ISA sender is not this partner", body = Problem, content_type = "application/problem+json"),
        WriteProblems,
    ),
    security(("api_key" = ["edi:write"]))
)]
pub async fn receive_edi(
    State(state): State<AppState>,
    PathText(partner): PathText,
    RawBody(body): RawBody,
) -> Result<Json<EdiReceipt>, ApiError> {
    let Some(config) = state.edi.clone() else {
        return Err(ApiError::not_found("edi_not_configured", "no [edi] section is configured"));
    };
    // The partner names a folder: a name that could leave the EDI root (`..`, a separator) is no partner.
    if !crossdock_connect::edi::is_plain_folder_name(&partner) {
        return Err(ApiError::not_found("partner_not_found", "no trading partner has this id"));
    }
    let outbox: Option<Outbox> =
        config.folders.as_deref().map(|root| PartnerFolders::new(std::path::Path::new(root), &partner).outbox);
    let source = Source { partner: Some(&partner), file: Some("http".into()) };
    let outcome = receive(state.store.as_ref(), &config, &body, source, outbox.as_ref(), Utc::now()).await;
    match outcome {
        Ok(o) => {
            state.notify_committed();
            Ok(Json(o.into()))
        }
        Err(EdiError::Refused(e)) => {
            use crossdock_connect::edi::InboundError;
            match e {
                InboundError::UnknownPartner(_) => Err(ApiError::not_found("partner_not_found", e.to_string())),
                InboundError::NoInterchange(_) => {
                    Err(ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "no_interchange", e.to_string()))
                }
                _ => Err(ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "wrong_sender", e.to_string())),
            }
        }
        Err(EdiError::Store(e)) => Err(e.into()),
        Err(e) => {
            tracing::error!(error = %e, %partner, "receiving an EDI interchange failed");
            Err(ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal_error",
                "an internal error occurred; it has been logged",
            ))
        }
    }
}

const FILTER_PARAMS: [&str; 4] = ["partner", "direction", "status", "ack_state"];

fn parse_with<T>(parse: fn(&str) -> Option<T>, known: &'static str) -> impl Fn(&str) -> Result<T, String> {
    move |v| parse(v).ok_or_else(|| format!("{v:?} is not one of {known}"))
}

/// List interchanges received and sent, newest first, filtered by partner, direction, status and ack state.
#[utoipa::path(
    get, path = "/v1/edi/interchanges", tag = "edi",
    params(
        ("partner" = Option<String>, Query, description = "Only this partner's interchanges"),
        ("direction" = Option<String>, Query, description = "`inbound` or `outbound`"),
        ("status" = Option<String>, Query, description = "`accepted`, `partially_accepted`, `rejected` or `sent`"),
        ("ack_state" = Option<String>, Query, description = "`expected`, `received`, `overdue` or `not_expected`"),
        ("cursor" = Option<String>, Query, description = "The next_cursor of the previous page"),
        ("limit" = Option<u32>, Query, description = "Page size, 1 to 500 (default 50)"),
    ),
    responses((status = 200, description = "A page of interchanges", body = EdiInterchangeList), ReadProblems),
    security(("api_key" = ["edi:read"]))
)]
pub async fn list_edi_interchanges(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
) -> Result<Json<EdiInterchangeList>, ApiError> {
    let mut known = FILTER_PARAMS.to_vec();
    known.extend(["cursor", "limit"]);
    let query = QueryParams::parse(raw.as_deref(), &known)?;
    let limit = query.limit("limit", INTERCHANGES_PAGE.0, INTERCHANGES_PAGE.1)?;
    let filter = InterchangeFilter {
        partner: query.get("partner").map(str::to_string),
        direction: query.parsed("direction", parse_with(EdiDirection::parse, "inbound, outbound"))?,
        status: query
            .parsed("status", parse_with(InterchangeStatus::parse, "accepted, partially_accepted, rejected, sent"))?,
        ack_state: query
            .parsed("ack_state", parse_with(AckState::parse, "expected, received, overdue, not_expected"))?,
        isa_control: None,
        before_id: query.parsed("cursor", |c| INTERCHANGE_CURSOR.decode(c))?,
        limit: limit + 1,
    };
    let mut rows = state.store.list_interchanges(&filter).await?;
    let more = rows.len() > limit as usize;
    rows.truncate(limit as usize);
    let next_cursor = if more { rows.last().map(|r| INTERCHANGE_CURSOR.encode(r.id)) } else { None };
    let items = rows.into_iter().map(|r| EdiInterchange::from_record(r, false)).collect();
    Ok(Json(EdiInterchangeList { items, next_cursor }))
}

/// Read one interchange with its raw X12.
#[utoipa::path(
    get, path = "/v1/edi/interchanges/{id}", tag = "edi",
    params(("id" = i64, Path, description = "Interchange record id")),
    responses(
        (status = 200, description = "The interchange", body = EdiInterchange),
        (status = 404, description = "No such interchange", body = Problem, content_type = "application/problem+json"),
        ReadProblems,
    ),
    security(("api_key" = ["edi:read"]))
)]
pub async fn get_edi_interchange(
    State(state): State<AppState>,
    Extension(actor): Extension<Actor>,
    PathText(id): PathText,
) -> Result<Json<EdiInterchange>, ApiError> {
    let id: i64 =
        id.parse().ok().filter(|n| *n > 0).ok_or_else(|| {
            ApiError::bad_parameter("id", format!("path parameter id: {id:?} is not an interchange id"))
        })?;
    let record = state
        .store
        .interchange(id)
        .await?
        .ok_or_else(|| ApiError::not_found("interchange_not_found", format!("interchange {id} does not exist")))?;
    let mut interchange = EdiInterchange::from_record(record, true);
    if !reads_pii(&state, &actor).await? {
        interchange.withhold_pii();
    }
    Ok(Json(interchange))
}
