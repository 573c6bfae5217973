//! Commands: requests to change state, as they arrive from the API, webhooks, EDI or brokers.

use crate::{
    Address, AuthorisedLine, CancelOutcome, ChannelId, Currency, Customer, ExternalId, LineId, LineQuantity, Location,
    LocationId, Money, OrderId, Quantity, ReturnAuthorisationId, ReturnId, ReturnLine, ShipmentId, Sku,
    SourcingOptions,
};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A line of a new order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewOrderLine {
    pub id: LineId,
    pub sku: Sku,
    pub quantity: Quantity,
    pub unit_price: Money,
}

/// Place a new order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PlaceOrder {
    pub id: OrderId,
    pub channel: ChannelId,
    pub external_id: ExternalId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer: Option<Customer>,
    pub ship_to: Address,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bill_to: Option<Address>,
    pub currency: Currency,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shipping: Option<Money>,
    /// The B2B customer's sales-tax exemption certificate id; an order with one is not taxed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tax_exempt_certificate: Option<String>,
    pub lines: Vec<NewOrderLine>,
    pub placed_at: DateTime<Utc>,
    /// Automatic sourcing (the default) or manual allocation, and the order's sourcing rules.
    #[serde(default, skip_serializing_if = "SourcingOptions::is_default")]
    pub sourcing: SourcingOptions,
}

/// Assign units of a line to a location (and reserve them there).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Allocation {
    pub line_id: LineId,
    pub location: LocationId,
    pub quantity: Quantity,
}

/// Every change of state the hub accepts. Each names the aggregate it is addressed to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
// A command is built once and moved a few times; boxing the order would only add noise at every call site.
#[allow(clippy::large_enum_variant)]
pub enum Command {
    PlaceOrder(PlaceOrder),
    HoldOrder {
        order_id: OrderId,
        reason: String,
    },
    ReleaseHold {
        order_id: OrderId,
    },
    /// Cancel some units of some lines, or (with no lines) everything not yet shipped. With a location,
    /// only units allocated or released at that location are cancelled (a site reporting units it cannot
    /// find); without one, unallocated units go first, then any location's.
    CancelOrder {
        order_id: OrderId,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        lines: Option<Vec<LineQuantity>>,
        reason: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        location: Option<LocationId>,
    },
    AllocateLines {
        order_id: OrderId,
        allocations: Vec<Allocation>,
    },
    /// Source the order's unallocated units now, at the least cost, from the stock available to promise
    /// (the store issues it for backordered orders when stock of their skus arrives).
    SourceOrder {
        order_id: OrderId,
    },
    /// Release allocated units to the warehouse (all locations, or one).
    ReleaseToWarehouse {
        order_id: OrderId,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        location: Option<LocationId>,
    },
    ConfirmShipment {
        order_id: OrderId,
        shipment_id: ShipmentId,
        location: LocationId,
        carrier: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        service: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        tracking_number: Option<String>,
        lines: Vec<LineQuantity>,
        shipped_at: DateTime<Utc>,
    },
    ConfirmDelivery {
        order_id: OrderId,
        shipment_id: ShipmentId,
        delivered_at: DateTime<Utc>,
    },
    RecordReturn {
        order_id: OrderId,
        return_id: ReturnId,
        location: LocationId,
        lines: Vec<ReturnLine>,
        received_at: DateTime<Utc>,
        /// The return authorisation the units come back under; none for a walk-in return.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        authorisation: Option<ReturnAuthorisationId>,
    },
    /// The warehouse's answer to the order's open cancel request.
    AnswerCancelRequest {
        order_id: OrderId,
        outcome: CancelOutcome,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
    /// Authorise the return of shipped units (RMA); they may be received later at any location.
    AuthoriseReturn {
        order_id: OrderId,
        authorisation_id: ReturnAuthorisationId,
        lines: Vec<AuthorisedLine>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        expected_location: Option<LocationId>,
        authorised_at: DateTime<Utc>,
    },
    /// Recompute a channel's available-to-promise of a sku and record it if it changed (the availability feed).
    RefreshAvailability {
        channel: ChannelId,
        sku: Sku,
    },
    /// Add (positive) or remove (negative) units at a location.
    AdjustInventory {
        sku: Sku,
        location: LocationId,
        delta: i64,
        reason: String,
    },
    /// Set on-hand from a physical count.
    CountInventory {
        sku: Sku,
        location: LocationId,
        counted: i64,
    },
    UpsertLocation {
        location: Location,
    },
}

impl Command {
    /// The order this command is addressed to, if it is an order command.
    pub fn order_id(&self) -> Option<&OrderId> {
        match self {
            Command::PlaceOrder(p) => Some(&p.id),
            Command::HoldOrder { order_id, .. }
            | Command::ReleaseHold { order_id }
            | Command::CancelOrder { order_id, .. }
            | Command::AllocateLines { order_id, .. }
            | Command::SourceOrder { order_id }
            | Command::ReleaseToWarehouse { order_id, .. }
            | Command::ConfirmShipment { order_id, .. }
            | Command::ConfirmDelivery { order_id, .. }
            | Command::RecordReturn { order_id, .. }
            | Command::AnswerCancelRequest { order_id, .. }
            | Command::AuthoriseReturn { order_id, .. } => Some(order_id),
            Command::AdjustInventory { .. }
            | Command::CountInventory { .. }
            | Command::UpsertLocation { .. }
            | Command::RefreshAvailability { .. } => None,
        }
    }

    /// The command's type name, as in its serialized `type` field.
    pub fn type_name(&self) -> &'static str {
        match self {
            Command::PlaceOrder(_) => "place_order",
            Command::HoldOrder { .. } => "hold_order",
            Command::ReleaseHold { .. } => "release_hold",
            Command::CancelOrder { .. } => "cancel_order",
            Command::AllocateLines { .. } => "allocate_lines",
            Command::SourceOrder { .. } => "source_order",
            Command::ReleaseToWarehouse { .. } => "release_to_warehouse",
            Command::ConfirmShipment { .. } => "confirm_shipment",
            Command::ConfirmDelivery { .. } => "confirm_delivery",
            Command::RecordReturn { .. } => "record_return",
            Command::AnswerCancelRequest { .. } => "answer_cancel_request",
            Command::AuthoriseReturn { .. } => "authorise_return",
            Command::RefreshAvailability { .. } => "refresh_availability",
            Command::AdjustInventory { .. } => "adjust_inventory",
            Command::CountInventory { .. } => "count_inventory",
            Command::UpsertLocation { .. } => "upsert_location",
        }
    }
}

/// Free-text reasons (hold, cancel, adjustment) are limited to this many bytes.
pub const MAX_REASON_LEN: usize = 512;
