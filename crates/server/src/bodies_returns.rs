//! Request bodies of the orchestration routes: return authorisations (RMA) and the warehouse's answer to a
//! cancel request.

use crate::bodies::OrderCommandBody;
use crate::defaults::{IdSource, now};
use chrono::{DateTime, Utc};
use crossdock_model::{AuthorisedLine, CancelOutcome, Command, LocationId, OrderId, ReturnAuthorisationId};
use serde::Deserialize;
use utoipa::ToSchema;

/// `POST /v1/orders/{id}/return-authorisations`: units of shipped lines the customer may send back, each with
/// its reason, and optionally where they are expected. The id is derived from the `Idempotency-Key` (or
/// fresh) when not given.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReturnAuthorisationBody {
    #[serde(default)]
    pub id: Option<ReturnAuthorisationId>,
    pub lines: Vec<AuthorisedLine>,
    #[serde(default)]
    pub expected_location: Option<LocationId>,
    #[serde(default)]
    pub authorised_at: Option<DateTime<Utc>>,
}

impl OrderCommandBody for ReturnAuthorisationBody {
    fn into_command(self, order_id: OrderId, ids: &IdSource) -> (Command, bool) {
        let authorisation_id = self.id.unwrap_or_else(|| {
            ReturnAuthorisationId::new(ids.id("return_authorisation")).expect("a UUID is a valid id")
        });
        let defaulted = self.authorised_at.is_none();
        let command = Command::AuthoriseReturn {
            order_id,
            authorisation_id,
            lines: self.lines,
            expected_location: self.expected_location,
            authorised_at: self.authorised_at.unwrap_or_else(now),
        };
        (command, defaulted)
    }
}

/// `POST /v1/orders/{id}/cancel-answer`: the warehouse's answer to the order's open cancel request.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CancelAnswerBody {
    /// `accepted` (units pulled, cancel them) or `refused` (already shipped, the order continues).
    pub outcome: CancelOutcome,
    #[serde(default)]
    pub reason: Option<String>,
}

impl OrderCommandBody for CancelAnswerBody {
    fn into_command(self, order_id: OrderId, _: &IdSource) -> (Command, bool) {
        (Command::AnswerCancelRequest { order_id, outcome: self.outcome, reason: self.reason }, false)
    }
}
