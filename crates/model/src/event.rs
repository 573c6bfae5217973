//! Events: facts recorded in the log, each with a type name and a schema version.

use crate::{
    CancelOutcome, CancelRequest, ChannelAvailability, ChannelId, InventoryPosition, LineQuantity, Location,
    LocationId, Order, OrderId, RefundDue, ReturnAuthorisation, ReturnRecord, Shipment, ShipmentId, Sku,
};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Version of the event payload schema; bumped when a payload changes shape.
pub const EVENT_SCHEMA_VERSION: u32 = 1;

/// Which kind of aggregate an event belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AggregateKind {
    Order,
    Inventory,
    Location,
    /// A channel's available-to-promise of one sku (id `channel/sku`).
    Availability,
}

impl AggregateKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Order => "order",
            Self::Inventory => "inventory",
            Self::Location => "location",
            Self::Availability => "availability",
        }
    }
}

/// A unit of one line moved at one location (allocation, release).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct LineMovement {
    pub line_id: crate::LineId,
    pub location: LocationId,
    pub quantity: u32,
}

/// Everything that can happen. Serialized with `type` holding the dotted type name.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "type")]
pub enum Event {
    /// A new order; `order` is its state right after placement.
    #[serde(rename = "order.placed")]
    OrderPlaced { order: Box<Order> },
    #[serde(rename = "order.held")]
    OrderHeld { order_id: OrderId, reason: String },
    #[serde(rename = "order.hold_released")]
    OrderHoldReleased { order_id: OrderId },
    /// Units cancelled; `lines` gives per line how many. Allocations at locations shrink first unreleased, then released.
    #[serde(rename = "order.lines_cancelled")]
    OrderLinesCancelled { order_id: OrderId, lines: Vec<LineQuantity>, released: Vec<LineMovement>, reason: String },
    #[serde(rename = "order.lines_allocated")]
    OrderLinesAllocated { order_id: OrderId, allocations: Vec<LineMovement> },
    /// Units allocated by the hub's sourcing (possibly none), with the decision's explanation: the
    /// destination, every candidate location with its costs and status, the solver and the reason.
    #[serde(rename = "order.sourced")]
    OrderSourced {
        order_id: OrderId,
        allocations: Vec<LineMovement>,
        #[schema(value_type = Object)]
        explanation: serde_json::Value,
    },
    /// Units no usable location can supply now: they wait, and are sourced when stock of their sku arrives.
    #[serde(rename = "order.backordered")]
    OrderBackordered { order_id: OrderId, lines: Vec<LineQuantity> },
    /// Allocated units handed to the warehouse at each location.
    #[serde(rename = "order.released")]
    OrderReleased { order_id: OrderId, lines: Vec<LineMovement> },
    #[serde(rename = "order.shipment_confirmed")]
    ShipmentConfirmed { order_id: OrderId, shipment: Shipment },
    #[serde(rename = "order.delivery_confirmed")]
    DeliveryConfirmed { order_id: OrderId, shipment_id: ShipmentId, delivered_at: DateTime<Utc> },
    #[serde(rename = "order.return_recorded")]
    ReturnRecorded {
        order_id: OrderId,
        #[serde(rename = "return")]
        record: ReturnRecord,
    },
    /// Released units the hub asked the warehouse not to ship; its answer comes back as `AnswerCancelRequest`.
    #[serde(rename = "order.cancel_requested")]
    OrderCancelRequested { order_id: OrderId, request: CancelRequest },
    /// The warehouse answered the open cancel request. Accepted, the recalled units still unshipped are no
    /// longer released (the warehouse gave them back), and `order.lines_cancelled` follows to cancel them.
    #[serde(rename = "order.cancel_answered")]
    OrderCancelAnswered {
        order_id: OrderId,
        request_id: u32,
        outcome: CancelOutcome,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
    #[serde(rename = "order.return_authorised")]
    ReturnAuthorised { order_id: OrderId, authorisation: ReturnAuthorisation },
    /// What a recorded return pays back (price plus tax, less any restocking fee).
    #[serde(rename = "order.refund_due")]
    RefundDue { order_id: OrderId, refund: RefundDue },
    /// A channel's available-to-promise of a sku changed (debounced by the availability feed).
    #[serde(rename = "inventory.availability_changed")]
    AvailabilityChanged { channel: ChannelId, sku: Sku, previous: i64, available: i64 },
    /// Units reserved for an order at a location.
    #[serde(rename = "inventory.reserved")]
    InventoryReserved { sku: Sku, location: LocationId, order_id: OrderId, quantity: i64 },
    /// A reservation given back (cancel, reallocation).
    #[serde(rename = "inventory.reservation_released")]
    InventoryReservationReleased { sku: Sku, location: LocationId, order_id: OrderId, quantity: i64 },
    /// Reserved units left the building: on hand and reserved both drop.
    #[serde(rename = "inventory.shipped")]
    InventoryShipped { sku: Sku, location: LocationId, order_id: OrderId, quantity: i64 },
    /// Returned units put back into sellable stock.
    #[serde(rename = "inventory.restocked")]
    InventoryRestocked { sku: Sku, location: LocationId, order_id: OrderId, quantity: i64 },
    #[serde(rename = "inventory.adjusted")]
    InventoryAdjusted { sku: Sku, location: LocationId, delta: i64, reason: String },
    /// A physical count replaced on-hand; `previous` is what the hub held before.
    #[serde(rename = "inventory.counted")]
    InventoryCounted { sku: Sku, location: LocationId, counted: i64, previous: i64 },
    #[serde(rename = "location.upserted")]
    LocationUpserted { location: Location },
}

impl Event {
    /// The dotted type name, e.g. `order.placed`.
    pub fn type_name(&self) -> &'static str {
        match self {
            Event::OrderPlaced { .. } => "order.placed",
            Event::OrderHeld { .. } => "order.held",
            Event::OrderHoldReleased { .. } => "order.hold_released",
            Event::OrderLinesCancelled { .. } => "order.lines_cancelled",
            Event::OrderLinesAllocated { .. } => "order.lines_allocated",
            Event::OrderSourced { .. } => "order.sourced",
            Event::OrderBackordered { .. } => "order.backordered",
            Event::OrderReleased { .. } => "order.released",
            Event::ShipmentConfirmed { .. } => "order.shipment_confirmed",
            Event::DeliveryConfirmed { .. } => "order.delivery_confirmed",
            Event::ReturnRecorded { .. } => "order.return_recorded",
            Event::OrderCancelRequested { .. } => "order.cancel_requested",
            Event::OrderCancelAnswered { .. } => "order.cancel_answered",
            Event::ReturnAuthorised { .. } => "order.return_authorised",
            Event::RefundDue { .. } => "order.refund_due",
            Event::AvailabilityChanged { .. } => "inventory.availability_changed",
            Event::InventoryReserved { .. } => "inventory.reserved",
            Event::InventoryReservationReleased { .. } => "inventory.reservation_released",
            Event::InventoryShipped { .. } => "inventory.shipped",
            Event::InventoryRestocked { .. } => "inventory.restocked",
            Event::InventoryAdjusted { .. } => "inventory.adjusted",
            Event::InventoryCounted { .. } => "inventory.counted",
            Event::LocationUpserted { .. } => "location.upserted",
        }
    }

    pub fn schema_version(&self) -> u32 {
        EVENT_SCHEMA_VERSION
    }

    /// The aggregate this event belongs to: its kind and id as stored in the log.
    pub fn aggregate(&self) -> (AggregateKind, String) {
        match self {
            Event::OrderPlaced { order } => (AggregateKind::Order, order.id.to_string()),
            Event::OrderHeld { order_id, .. }
            | Event::OrderHoldReleased { order_id }
            | Event::OrderLinesCancelled { order_id, .. }
            | Event::OrderLinesAllocated { order_id, .. }
            | Event::OrderSourced { order_id, .. }
            | Event::OrderBackordered { order_id, .. }
            | Event::OrderReleased { order_id, .. }
            | Event::ShipmentConfirmed { order_id, .. }
            | Event::DeliveryConfirmed { order_id, .. }
            | Event::ReturnRecorded { order_id, .. }
            | Event::OrderCancelRequested { order_id, .. }
            | Event::OrderCancelAnswered { order_id, .. }
            | Event::ReturnAuthorised { order_id, .. }
            | Event::RefundDue { order_id, .. } => (AggregateKind::Order, order_id.to_string()),
            Event::AvailabilityChanged { channel, sku, .. } => {
                (AggregateKind::Availability, ChannelAvailability::aggregate_id(channel, sku))
            }
            Event::InventoryReserved { sku, location, .. }
            | Event::InventoryReservationReleased { sku, location, .. }
            | Event::InventoryShipped { sku, location, .. }
            | Event::InventoryRestocked { sku, location, .. }
            | Event::InventoryAdjusted { sku, location, .. }
            | Event::InventoryCounted { sku, location, .. } => {
                (AggregateKind::Inventory, InventoryPosition::aggregate_id(sku, location))
            }
            Event::LocationUpserted { location } => (AggregateKind::Location, location.id.to_string()),
        }
    }
}

/// An event as stored in the log, with its position and metadata.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RecordedEvent {
    /// Global sequence number: strictly increasing in commit order.
    pub seq: i64,
    pub aggregate_kind: AggregateKind,
    pub aggregate_id: String,
    /// Version of the aggregate after this event (1 for its first event).
    pub version: u64,
    pub event_type: String,
    pub schema_version: u32,
    pub recorded_at: DateTime<Utc>,
    /// Idempotency key of the command that produced the event.
    pub idempotency_key: String,
    pub payload: Event,
}
