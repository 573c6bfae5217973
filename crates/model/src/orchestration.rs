//! Order orchestration records: cancel requests sent to the warehouse after release, return authorisations
//! (RMA), the refund a return pays, and a channel's available-to-promise as published by the availability feed.

use crate::{
    ChannelId, LineId, LineMovement, LocationId, Money, Quantity, ReturnAuthorisationId, ReturnId, ReturnReason,
};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// The warehouse's answer to a cancel request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CancelOutcome {
    /// The units were pulled before shipping: they are cancelled and their reservations released.
    Accepted,
    /// Too late (already shipped, say): the request is closed and the order continues.
    Refused,
}

/// Units released to a warehouse that the hub asked it not to ship. At most one request is open per order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CancelRequest {
    /// 1 for the order's first request, then 2, …
    pub id: u32,
    /// Released units per line and location that the request asks to cancel.
    pub lines: Vec<LineMovement>,
    pub reason: String,
    pub requested_at: DateTime<Utc>,
    /// The warehouse's answer; `None` while the request is open.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<CancelOutcome>,
}

/// A line of a return authorisation as requested: units of an order line the customer may send back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AuthorisedLine {
    pub line_id: LineId,
    pub quantity: Quantity,
    pub reason: ReturnReason,
}

/// A return authorisation (RMA): units the customer may return, received later at any location.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ReturnAuthorisation {
    pub id: ReturnAuthorisationId,
    pub lines: Vec<AuthorisedLine>,
    /// Where the customer is expected to bring or send the units (they may arrive elsewhere).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected_location: Option<LocationId>,
    pub authorised_at: DateTime<Utc>,
    /// Units received so far against each line, aligned with `lines`.
    #[serde(default)]
    pub received: Vec<u32>,
}

impl ReturnAuthorisation {
    /// Units of `line` authorised and not yet received.
    pub fn open_units(&self, line: &LineId) -> u32 {
        self.lines
            .iter()
            .enumerate()
            .filter(|(_, l)| &l.line_id == line)
            .map(|(i, l)| l.quantity.get().saturating_sub(self.received.get(i).copied().unwrap_or(0)))
            .fold(0, u32::saturating_add)
    }

    /// Whether some authorised units are still expected.
    pub fn is_open(&self) -> bool {
        self.lines.iter().any(|l| self.open_units(&l.line_id) > 0)
    }
}

/// What one return line pays back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RefundLine {
    pub line_id: LineId,
    pub quantity: u32,
    pub reason: ReturnReason,
    pub price: Money,
    pub tax: Money,
    pub restocking_fee: Money,
    /// price + tax − restocking fee.
    pub refund: Money,
}

/// The refund a return pays: price plus tax of the returned units, less any restocking fee.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RefundDue {
    pub return_id: ReturnId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authorisation: Option<ReturnAuthorisationId>,
    /// The location that received the units (a store, for a buy-online-return-in-store).
    pub location: LocationId,
    pub lines: Vec<RefundLine>,
    pub price: Money,
    pub tax: Money,
    pub restocking_fee: Money,
    pub total: Money,
}

/// A channel's available-to-promise of one sku as last published (the availability aggregate).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ChannelAvailability {
    pub channel: ChannelId,
    pub sku: crate::Sku,
    pub available: i64,
    pub version: u64,
}

impl ChannelAvailability {
    /// The aggregate id of a channel's availability of a sku in the event log: `channel/sku`, each part with
    /// `%` and `/` percent-escaped (ids may contain `/`; two pairs never share an id).
    pub fn aggregate_id(channel: &ChannelId, sku: &crate::Sku) -> String {
        crate::ids::compound_id(channel.as_str(), sku.as_str())
    }
}
