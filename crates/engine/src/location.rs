//! Fulfilment locations: created or replaced whole.

use crate::sourcing::MAX_COST_MINOR;
use crate::{DecideError, check};
use crossdock_model::{Event, Location};

/// Creates or replaces a location.
pub(crate) fn upsert(location: &Location) -> Result<Vec<Event>, DecideError> {
    check::text("/location/name", "location name", &location.name, true)?;
    if !(0..=MAX_COST_MINOR).contains(&location.handling_minor) {
        return Err(DecideError::invalid(
            "/location/handling_minor",
            "out_of_range",
            format!("a handling cost must be between 0 and {MAX_COST_MINOR} minor units"),
        ));
    }
    if let Some(address) = &location.address {
        check::address("/location/address", address)?;
    }
    Ok(vec![Event::LocationUpserted { location: location.clone() }])
}
