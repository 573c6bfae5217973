//! Positive item quantities.

use crate::ValidationError;
use serde::{Deserialize, Serialize};

/// A strictly positive number of units.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(try_from = "u32", into = "u32")]
#[schema(value_type = u32)]
pub struct Quantity(u32);

/// The most units one line or movement may carry.
pub const MAX_QUANTITY: u32 = 1_000_000;

impl Quantity {
    pub fn new(units: u32) -> Result<Self, ValidationError> {
        if units == 0 {
            return Err(ValidationError::new("quantity_not_positive", "quantity must be at least 1"));
        }
        if units > MAX_QUANTITY {
            return Err(ValidationError::new(
                "quantity_too_large",
                format!("quantity {units} is above the limit of {MAX_QUANTITY}"),
            ));
        }
        Ok(Self(units))
    }

    pub fn get(self) -> u32 {
        self.0
    }
}

impl TryFrom<u32> for Quantity {
    type Error = ValidationError;
    fn try_from(value: u32) -> Result<Self, Self::Error> {
        Self::new(value)
    }
}

impl From<Quantity> for u32 {
    fn from(value: Quantity) -> u32 {
        value.0
    }
}
