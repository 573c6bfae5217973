//! Canonical commerce types shared by every crossdock crate: orders and their lifecycle, inventory,
//! locations, customers, money, and the Command and Event enums. No IO happens here.

mod codes;
mod command;
mod error;
mod event;
mod ids;
mod inventory;
mod money;
mod orchestration;
mod order;
mod party;
mod quantity;
mod sourcing;

pub use command::{Allocation, Command, MAX_REASON_LEN, NewOrderLine, PlaceOrder};
pub use error::ValidationError;
pub use event::{AggregateKind, EVENT_SCHEMA_VERSION, Event, LineMovement, RecordedEvent};
pub use ids::{
    ChannelId, CustomerId, ExternalId, LineId, LocationId, MAX_ID_LEN, OrderId, ReturnAuthorisationId, ReturnId,
    ShipmentId, Sku,
};
pub use inventory::InventoryPosition;
pub use money::{Currency, Money};
pub use orchestration::{
    AuthorisedLine, CancelOutcome, CancelRequest, ChannelAvailability, RefundDue, RefundLine, ReturnAuthorisation,
};
pub use order::{
    Disposition, LineAllocation, LineQuantities, LineQuantity, Order, OrderLine, OrderStatus, ReturnLine, ReturnReason,
    ReturnRecord, Shipment,
};
pub use party::{Address, Coordinates, Country, Customer, Email, Location, LocationKind, MAX_TEXT_LEN};
pub use quantity::{MAX_QUANTITY, Quantity};
pub use sourcing::{SourcingMode, SourcingOptions};
