//! Request bodies of the write routes and their conversion into `Command`s. Fields a client may leave out
//! (ids, timestamps) are filled here; every rule about what a command may do lives in the engine.

use crate::defaults::{IdSource, now};
use chrono::{DateTime, Utc};
use crossdock_model::{
    Address, Allocation, ChannelId, Command, Coordinates, Currency, Customer, ExternalId, LineQuantity, Location,
    LocationId, LocationKind, Money, NewOrderLine, OrderId, PlaceOrder, ReturnId, ReturnLine, ShipmentId, Sku,
    SourcingOptions,
};
use serde::Deserialize;
use utoipa::ToSchema;

/// `POST /v1/orders`: a new order. `id` defaults to a generated UUID, `placed_at` to now.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PlaceOrderBody {
    #[serde(default)]
    pub id: Option<OrderId>,
    pub channel: ChannelId,
    pub external_id: ExternalId,
    #[serde(default)]
    pub customer: Option<Customer>,
    pub ship_to: Address,
    #[serde(default)]
    pub bill_to: Option<Address>,
    pub currency: Currency,
    #[serde(default)]
    pub shipping: Option<Money>,
    /// A B2B customer's sales-tax exemption certificate id: the order is not taxed.
    #[serde(default)]
    pub tax_exempt_certificate: Option<String>,
    pub lines: Vec<NewOrderLine>,
    #[serde(default)]
    pub placed_at: Option<DateTime<Utc>>,
    /// Automatic sourcing (default) or `{"mode": "manual"}` for explicit allocations, and sourcing rules.
    #[serde(default)]
    pub sourcing: SourcingOptions,
}

impl PlaceOrderBody {
    /// The idempotency key used when the client sends none: one order per channel and external id.
    pub fn derived_key(&self) -> String {
        format!("order:{}:{}", self.channel, self.external_id)
    }

    /// The command, and whether `placed_at` was filled in (so a replay can take it from the stored order).
    pub fn into_command(self, ids: &IdSource) -> (Command, bool) {
        let id = self.id.unwrap_or_else(|| OrderId::new(ids.id("order")).expect("a UUID is a valid order id"));
        let defaulted = self.placed_at.is_none();
        let order = PlaceOrder {
            id,
            channel: self.channel,
            external_id: self.external_id,
            customer: self.customer,
            ship_to: self.ship_to,
            bill_to: self.bill_to,
            currency: self.currency,
            shipping: self.shipping,
            tax_exempt_certificate: self.tax_exempt_certificate,
            lines: self.lines,
            placed_at: self.placed_at.unwrap_or_else(now),
            sourcing: self.sourcing,
        };
        (Command::PlaceOrder(order), defaulted)
    }
}

/// A body of `POST /v1/orders/{id}/<action>`: the command's fields without `order_id`.
pub trait OrderCommandBody: serde::de::DeserializeOwned + Send {
    /// The command for `order_id`, and whether a timestamp was filled in with the current time.
    fn into_command(self, order_id: OrderId, ids: &IdSource) -> (Command, bool);
}

/// `POST /v1/orders/{id}/cancel`: some units of some lines, or (without `lines`) everything not shipped.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CancelBody {
    #[serde(default)]
    pub lines: Option<Vec<LineQuantity>>,
    pub reason: String,
    /// Cancel only units allocated or released at this location (a site reporting units it cannot find);
    /// without it, unallocated units go first, then those at any location.
    #[serde(default)]
    pub location: Option<LocationId>,
}

impl OrderCommandBody for CancelBody {
    fn into_command(self, order_id: OrderId, _: &IdSource) -> (Command, bool) {
        (Command::CancelOrder { order_id, lines: self.lines, reason: self.reason, location: self.location }, false)
    }
}

/// `POST /v1/orders/{id}/hold`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HoldBody {
    pub reason: String,
}

impl OrderCommandBody for HoldBody {
    fn into_command(self, order_id: OrderId, _: &IdSource) -> (Command, bool) {
        (Command::HoldOrder { order_id, reason: self.reason }, false)
    }
}

/// `POST /v1/orders/{id}/release-hold`: no fields.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReleaseHoldBody {}

impl OrderCommandBody for ReleaseHoldBody {
    fn into_command(self, order_id: OrderId, _: &IdSource) -> (Command, bool) {
        (Command::ReleaseHold { order_id }, false)
    }
}

/// `POST /v1/orders/{id}/allocations`: units of lines assigned to locations.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AllocateBody {
    pub allocations: Vec<Allocation>,
}

impl OrderCommandBody for AllocateBody {
    fn into_command(self, order_id: OrderId, _: &IdSource) -> (Command, bool) {
        (Command::AllocateLines { order_id, allocations: self.allocations }, false)
    }
}

/// `POST /v1/orders/{id}/release`: hand allocated units to the warehouse (all locations, or one).
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReleaseBody {
    #[serde(default)]
    pub location: Option<LocationId>,
}

impl OrderCommandBody for ReleaseBody {
    fn into_command(self, order_id: OrderId, _: &IdSource) -> (Command, bool) {
        (Command::ReleaseToWarehouse { order_id, location: self.location }, false)
    }
}

/// `POST /v1/orders/{id}/shipments`. `shipment_id` defaults to a generated UUID, `shipped_at` to now.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ShipmentBody {
    #[serde(default)]
    pub shipment_id: Option<ShipmentId>,
    pub location: LocationId,
    pub carrier: String,
    #[serde(default)]
    pub service: Option<String>,
    #[serde(default)]
    pub tracking_number: Option<String>,
    pub lines: Vec<LineQuantity>,
    #[serde(default)]
    pub shipped_at: Option<DateTime<Utc>>,
}

impl OrderCommandBody for ShipmentBody {
    fn into_command(self, order_id: OrderId, ids: &IdSource) -> (Command, bool) {
        let shipment_id =
            self.shipment_id.unwrap_or_else(|| ShipmentId::new(ids.id("shipment")).expect("a UUID is a valid id"));
        let defaulted = self.shipped_at.is_none();
        let command = Command::ConfirmShipment {
            order_id,
            shipment_id,
            location: self.location,
            carrier: self.carrier,
            service: self.service,
            tracking_number: self.tracking_number,
            lines: self.lines,
            shipped_at: self.shipped_at.unwrap_or_else(now),
        };
        (command, defaulted)
    }
}

/// `POST /v1/orders/{id}/deliveries`. `delivered_at` defaults to now.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeliveryBody {
    pub shipment_id: ShipmentId,
    #[serde(default)]
    pub delivered_at: Option<DateTime<Utc>>,
}

impl OrderCommandBody for DeliveryBody {
    fn into_command(self, order_id: OrderId, _: &IdSource) -> (Command, bool) {
        let defaulted = self.delivered_at.is_none();
        let delivered_at = self.delivered_at.unwrap_or_else(now);
        (Command::ConfirmDelivery { order_id, shipment_id: self.shipment_id, delivered_at }, defaulted)
    }
}

/// `POST /v1/orders/{id}/returns`. `return_id` defaults to a generated UUID, `received_at` to now.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReturnBody {
    #[serde(default)]
    pub return_id: Option<ReturnId>,
    pub location: LocationId,
    pub lines: Vec<ReturnLine>,
    #[serde(default)]
    pub received_at: Option<DateTime<Utc>>,
    /// The return authorisation (RMA) the units come back under; leave out for a walk-in return.
    #[serde(default)]
    pub authorisation: Option<crossdock_model::ReturnAuthorisationId>,
}

impl OrderCommandBody for ReturnBody {
    fn into_command(self, order_id: OrderId, ids: &IdSource) -> (Command, bool) {
        let return_id =
            self.return_id.unwrap_or_else(|| ReturnId::new(ids.id("return")).expect("a UUID is a valid id"));
        let defaulted = self.received_at.is_none();
        let received_at = self.received_at.unwrap_or_else(now);
        (
            Command::RecordReturn {
                order_id,
                return_id,
                location: self.location,
                lines: self.lines,
                received_at,
                authorisation: self.authorisation,
            },
            defaulted,
        )
    }
}

/// `POST /v1/inventory/adjustments`: add (positive `delta`) or remove (negative) units at a location.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AdjustmentBody {
    pub sku: Sku,
    pub location: LocationId,
    pub delta: i64,
    pub reason: String,
}

impl From<AdjustmentBody> for Command {
    fn from(b: AdjustmentBody) -> Self {
        Command::AdjustInventory { sku: b.sku, location: b.location, delta: b.delta, reason: b.reason }
    }
}

/// `POST /v1/inventory/counts`: on-hand from a physical count.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CountBody {
    pub sku: Sku,
    pub location: LocationId,
    pub counted: i64,
}

impl From<CountBody> for Command {
    fn from(b: CountBody) -> Self {
        Command::CountInventory { sku: b.sku, location: b.location, counted: b.counted }
    }
}

/// `PUT /v1/locations/{id}`: a location; `id`, when given, must equal the path's.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LocationBody {
    #[serde(default)]
    pub id: Option<LocationId>,
    pub name: String,
    pub kind: LocationKind,
    pub coordinates: Coordinates,
    #[serde(default)]
    pub address: Option<Address>,
    #[serde(default = "active_by_default")]
    pub active: bool,
    /// Ships orders to customers (default true).
    #[serde(default = "active_by_default")]
    pub ships: bool,
    /// Customers can collect orders here.
    #[serde(default)]
    pub pickup: bool,
    /// Orders the location can fulfil per day; unlimited when absent.
    #[serde(default)]
    pub capacity_per_day: Option<u32>,
    /// Cost of picking and packing one order here, in minor units.
    #[serde(default)]
    pub handling_minor: i64,
}

fn active_by_default() -> bool {
    true
}

impl LocationBody {
    pub fn into_location(self, id: LocationId) -> Location {
        Location {
            id,
            name: self.name,
            kind: self.kind,
            coordinates: self.coordinates,
            address: self.address,
            active: self.active,
            ships: self.ships,
            pickup: self.pickup,
            capacity_per_day: self.capacity_per_day,
            handling_minor: self.handling_minor,
        }
    }
}
