//! Response bodies of the API, and the submission path every write route shares: build the
//! `CommandRequest`, submit it, and on a replay with filled-in timestamps retry with the stored ones.

use crate::defaults::restore_times;
use crate::{AppState, auth::Actor, problem::ApiError};
use crossdock_model::{AggregateKind, Command, InventoryPosition, Location, Order, RecordedEvent};
use crossdock_store::{CommandReceipt, CommandRequest, SubmitError};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// What applying a command did (the store's receipt). `replayed` is true when this is the stored
/// answer to an earlier identical request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Receipt {
    pub aggregate_kind: AggregateKind,
    pub aggregate_id: String,
    /// Version of the addressed aggregate after the command.
    pub version: u64,
    /// Sequence numbers of the first and last events written (0 when none).
    pub first_seq: i64,
    pub last_seq: i64,
    pub event_count: u32,
    pub replayed: bool,
}

impl From<CommandReceipt> for Receipt {
    fn from(r: CommandReceipt) -> Self {
        Self {
            aggregate_kind: r.aggregate_kind,
            aggregate_id: r.aggregate_id,
            version: r.version,
            first_seq: r.first_seq,
            last_seq: r.last_seq,
            event_count: r.event_count,
            replayed: r.replayed,
        }
    }
}

/// An order after a command, with the command's receipt.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct OrderResponse {
    pub order: Order,
    pub receipt: Receipt,
}

/// A page of orders. Pass `next_cursor` as `cursor` to get the next page; null on the last page.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct OrderList {
    pub items: Vec<Order>,
    pub next_cursor: Option<String>,
}

/// An inventory position after a command, with the command's receipt.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PositionResponse {
    pub position: Option<InventoryPosition>,
    pub receipt: Receipt,
}

/// Inventory positions matching the query.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PositionList {
    pub items: Vec<InventoryPosition>,
}

/// A location after it was stored, with the command's receipt.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct LocationResponse {
    pub location: Location,
    pub receipt: Receipt,
}

/// A page of the change feed. Pass `next_after` as `after` to continue (it stays put when the page is empty).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct EventList {
    pub items: Vec<RecordedEvent>,
    pub next_after: i64,
}

/// Liveness or readiness.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Health {
    pub status: String,
}

/// A command to submit on behalf of `actor`.
pub struct Submission<'a> {
    pub actor: &'a Actor,
    pub idempotency_key: String,
    pub command: Command,
    pub expected_version: Option<u64>,
    /// True when the server filled in a timestamp (see [`crate::defaults`]).
    pub times_filled: bool,
}

/// Submits a command through the store. When the key was used before and the server filled in a
/// timestamp, the timestamps of the earlier request are taken from the stored order and the command is
/// submitted again, so an identical retry is answered as a replay and a different request still conflicts.
/// A receipt with new events wakes the dispatcher (when one runs in this process).
pub async fn submit(state: &AppState, submission: Submission<'_>) -> Result<CommandReceipt, ApiError> {
    let receipt = submit_once(state, submission).await?;
    if receipt.event_count > 0 && !receipt.replayed {
        state.notify_committed();
    }
    Ok(receipt)
}

async fn submit_once(state: &AppState, submission: Submission<'_>) -> Result<CommandReceipt, ApiError> {
    let request = CommandRequest {
        idempotency_key: submission.idempotency_key,
        command: submission.command,
        actor: submission.actor.key_id.clone(),
        expected_version: submission.expected_version,
        origin: submission.actor.origin.clone(),
    };
    if !submission.times_filled {
        return state.store.submit(request).await.map_err(ApiError::from);
    }
    let mut retry = request.clone();
    match state.store.submit(request).await {
        Err(SubmitError::KeyReused { key }) => {
            let order = match retry.command.order_id() {
                Some(id) => state.store.order(id).await?,
                None => None,
            };
            match order {
                Some(order) if restore_times(&mut retry.command, &order) => {
                    state.store.submit(retry).await.map_err(ApiError::from)
                }
                _ => Err(SubmitError::KeyReused { key }.into()),
            }
        }
        other => other.map_err(ApiError::from),
    }
}
