//! Identifier newtypes: non-empty, bounded, printable, validated on construction.

use crate::ValidationError;

/// Longest identifier accepted anywhere in the canonical model.
pub const MAX_ID_LEN: usize = 128;

fn check_id(kind: &str, value: &str) -> Result<(), ValidationError> {
    if value.is_empty() {
        return Err(ValidationError::new("empty_id", format!("{kind} must not be empty")));
    }
    if value.len() > MAX_ID_LEN {
        return Err(ValidationError::new(
            "id_too_long",
            format!("{kind} is {} bytes long; the limit is {MAX_ID_LEN}", value.len()),
        ));
    }
    if let Some(c) = value.chars().find(|c| c.is_control() || c.is_whitespace()) {
        return Err(ValidationError::new(
            "invalid_id",
            format!("{kind} contains the character {c:?}; whitespace and control characters are not allowed"),
        ));
    }
    Ok(())
}

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident, $kind:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
        #[serde(try_from = "String", into = "String")]
        #[schema(value_type = String)]
        pub struct $name(String);

        impl $name {
            pub fn new(value: impl Into<String>) -> Result<Self, ValidationError> {
                let value = value.into();
                check_id($kind, &value)?;
                Ok(Self(value))
            }
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl TryFrom<String> for $name {
            type Error = ValidationError;
            fn try_from(value: String) -> Result<Self, Self::Error> {
                Self::new(value)
            }
        }

        impl From<$name> for String {
            fn from(value: $name) -> String {
                value.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl std::str::FromStr for $name {
            type Err = ValidationError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::new(s)
            }
        }
    };
}

id_type!(
    /// The hub's id of an order.
    OrderId, "order id");
id_type!(
    /// A line's id, unique within its order.
    LineId, "line id");
id_type!(
    /// A stock-keeping unit.
    Sku, "sku");
id_type!(
    /// A fulfilment location: warehouse, store or 3PL.
    LocationId, "location id");
id_type!(
    /// A customer.
    CustomerId, "customer id");
id_type!(
    /// A sales channel (web store, marketplace, POS, B2B partner).
    ChannelId, "channel id");
id_type!(
    /// An id given by an external system.
    ExternalId, "external id");
id_type!(
    /// A shipment of an order.
    ShipmentId, "shipment id");
id_type!(
    /// A return of an order.
    ReturnId, "return id");

/// The id of an aggregate named by two ids (`location/sku`, `channel/sku`): the parts joined by `/`, the
/// first with `%` and `/` percent-escaped, so that no two pairs share an id (ids may contain `/`): the first
/// unescaped `/` ends the first part. The second part is left as it is, so a sku with `/` in it (`TEE/BLK/M`)
/// keeps the id it had before the escaping; only a location or channel id with `/` or `%` reads differently.
pub(crate) fn compound_id(first: &str, second: &str) -> String {
    let mut id = String::with_capacity(first.len() + second.len() + 1);
    for c in first.chars() {
        match c {
            '%' => id.push_str("%25"),
            '/' => id.push_str("%2F"),
            c => id.push(c),
        }
    }
    id.push('/');
    id.push_str(second);
    id
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compound_ids_are_unambiguous_and_unchanged_without_special_characters() {
        assert_eq!(compound_id("WH-1", "SKU-9"), "WH-1/SKU-9");
        assert_eq!(compound_id("WH/1", "X"), "WH%2F1/X");
        assert_eq!(compound_id("WH", "1/X"), "WH/1/X", "a sku with `/` keeps its earlier id");
        assert_eq!(compound_id("a%2F", "b"), "a%252F/b");
        assert_ne!(compound_id("a%2Fb", "c"), compound_id("a/b", "c"));
        assert_ne!(compound_id("WH/1", "X"), compound_id("WH", "1/X"));
        assert_ne!(compound_id("WH%", "2F1/X"), compound_id("WH/1", "X"));
    }

    #[test]
    fn ids_validate_on_construction() {
        assert!(Sku::new("ABC-123").is_ok());
        assert_eq!(Sku::new("").unwrap_err().code, "empty_id");
        assert_eq!(Sku::new("a b").unwrap_err().code, "invalid_id");
        assert_eq!(Sku::new("x".repeat(129)).unwrap_err().code, "id_too_long");
        assert!(serde_json::from_str::<OrderId>("\"\"").is_err());
        assert_eq!(serde_json::from_str::<OrderId>("\"o-1\"").unwrap().as_str(), "o-1");
    }
}
id_type!(
    /// A return authorisation (RMA) of an order.
    ReturnAuthorisationId, "return authorisation id");
