//! Why a command was refused: typed, with a stable code and the JSON pointer of the offending field.

use crossdock_model::{LocationId, OrderId, OrderStatus, Sku};

/// A command refused by the engine. `pointer` fields are JSON pointers into the command's body
/// (the command's JSON without its `type` and without ids that the API takes from the path).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecideError {
    #[error("order {0} does not exist")]
    OrderNotFound(OrderId),
    #[error("order {0} already exists")]
    OrderExists(OrderId),
    #[error("cannot {action} an order that is {}", status.as_str())]
    InvalidTransition { action: &'static str, status: OrderStatus },
    #[error("{message}")]
    Invalid { pointer: String, code: &'static str, message: String },
    /// The command conflicts with the order's current state (a cancel request already open, say).
    #[error("{message}")]
    Conflict { code: &'static str, message: String },
    #[error("not enough stock of {sku} at {location}: {requested} requested, {available} available")]
    InsufficientStock { pointer: String, sku: Sku, location: LocationId, requested: i64, available: i64 },
}

impl DecideError {
    /// A stable, machine-readable code for API clients.
    pub fn code(&self) -> &'static str {
        match self {
            Self::OrderNotFound(_) => "order_not_found",
            Self::OrderExists(_) => "order_exists",
            Self::InvalidTransition { .. } => "invalid_transition",
            Self::Invalid { code, .. } | Self::Conflict { code, .. } => code,
            Self::InsufficientStock { .. } => "insufficient_stock",
        }
    }

    /// The JSON pointer of the field at fault, when one field is.
    pub fn pointer(&self) -> Option<&str> {
        match self {
            Self::Invalid { pointer, .. } | Self::InsufficientStock { pointer, .. } => Some(pointer),
            _ => None,
        }
    }

    pub fn invalid(pointer: impl Into<String>, code: &'static str, message: impl Into<String>) -> Self {
        Self::Invalid { pointer: pointer.into(), code, message: message.into() }
    }

    pub fn conflict(code: &'static str, message: impl Into<String>) -> Self {
        Self::Conflict { code, message: message.into() }
    }
}
