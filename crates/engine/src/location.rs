//! Fulfilment locations: created or replaced whole.

use crate::{DecideError, check};
use crossdock_model::{Event, Location};

/// Creates or replaces a location.
pub(crate) fn upsert(location: &Location) -> Result<Vec<Event>, DecideError> {
    check::text("/location/name", "location name", &location.name, true)?;
    if let Some(address) = &location.address {
        check::address("/location/address", address)?;
    }
    Ok(vec![Event::LocationUpserted { location: location.clone() }])
}
