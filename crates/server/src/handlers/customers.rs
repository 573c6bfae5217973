//! Customer data requests: erase a customer's PII (crypto-shredding) and export everything held about them.

use super::common::ReadProblems;
use crate::AppState;
use crate::auth::Actor;
use crate::params::PathId;
use crate::problem::{ApiError, Problem};
use axum::Extension;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use crossdock_model::CustomerId;
use crossdock_store::{CustomerExport, Erasure};
use serde::Serialize;

/// What an erasure request did.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErasureReply {
    pub customer_id: String,
    /// `erased`: the data key was destroyed now; `no_key`: there was none (never seen, or erased before).
    pub outcome: &'static str,
}

/// Erase a customer's PII.
///
/// Destroys the customer's data key: their names, e-mail addresses, phone numbers and addresses read as
/// `[erased]` (e-mail: absent) in every order, event and outbound message from now on, including copies of
/// the event log taken earlier. Lines, totals and states stay. Repeating it is harmless. Every request is
/// recorded in the audit trail (command `erase_customer_pii`, aggregate `customer:<id>`, its outcome).
#[utoipa::path(
    delete, path = "/v1/customers/{id}/pii", tag = "customers",
    params(("id" = String, Path, description = "Customer id")),
    responses(
        (status = 200, description = "Erased (or nothing left to erase)", body = ErasureReply),
        (status = 409, description = "PII encryption is not configured (no master key)", body = Problem, content_type = "application/problem+json"),
        ReadProblems,
    ),
    security(("api_key" = ["pii:erase"]))
)]
pub async fn erase_customer_pii(
    State(state): State<AppState>,
    Extension(actor): Extension<Actor>,
    PathId(id): PathId<CustomerId>,
) -> Result<Json<ErasureReply>, ApiError> {
    let outcome = match state.store.erase_customer_pii(&id, &actor.key_id, &actor.origin).await? {
        Erasure::Erased => "erased",
        Erasure::NoKey => "no_key",
        Erasure::NotConfigured => {
            return Err(ApiError::new(
                StatusCode::CONFLICT,
                "pii_not_configured",
                "this hub runs without a PII master key, so it holds no data keys to destroy",
            ));
        }
    };
    Ok(Json(ErasureReply { customer_id: id.to_string(), outcome }))
}

/// Export everything held about a customer.
///
/// The customer's orders and every event of those orders, with PII in plaintext (or `[erased]`).
#[utoipa::path(
    get, path = "/v1/customers/{id}/export", tag = "customers",
    params(("id" = String, Path, description = "Customer id")),
    responses(
        (status = 200, description = "The customer's orders and events", body = Object),
        (status = 404, description = "No order names this customer", body = Problem, content_type = "application/problem+json"),
        ReadProblems,
    ),
    security(("api_key" = ["pii:read"]))
)]
pub async fn export_customer(
    State(state): State<AppState>,
    PathId(id): PathId<CustomerId>,
) -> Result<Json<CustomerExport>, ApiError> {
    let export = state.store.customer_export(&id).await?;
    if export.orders.is_empty() {
        return Err(ApiError::not_found("customer_not_found", format!("no order names customer {id}")));
    }
    Ok(Json(export))
}
