//! Values the server fills in when a client leaves them out (ids, timestamps), chosen so that an identical
//! retry under the same idempotency key resolves to the identical command and is answered as a replay.
//!
//! Ids: with an idempotency key, a UUID derived from the key (RFC 9562 version 8, from SHA-256), so a
//! retry gets the same id; without one, a fresh time-ordered UUID v7 (no key, no dedupe).
//! Timestamps: the current time; when the store answers that the key was used with another request, the
//! timestamps are taken from the stored order and the command is submitted once more (see [`restore_times`]).

use chrono::{DateTime, SubsecRound, Utc};
use crossdock_model::{Command, Order};
use sha2::{Digest, Sha256};

/// The current time, to the microsecond (what every store keeps), so a stored value compares equal.
pub fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}

/// Where generated ids come from for one request.
#[derive(Debug, Clone)]
pub enum IdSource {
    /// Derived from the request's idempotency key: the same key gives the same ids.
    Derived(String),
    /// Fresh UUID v7s.
    Fresh,
}

impl IdSource {
    /// An id for a `kind` of thing (`order`, `shipment`, `return`).
    pub fn id(&self, kind: &str) -> String {
        match self {
            Self::Derived(key) => {
                let hash = Sha256::digest(format!("crossdock:{kind}:{key}").as_bytes());
                let mut bytes = [0u8; 16];
                bytes.copy_from_slice(&hash[..16]);
                uuid::Builder::from_custom_bytes(bytes).into_uuid().to_string()
            }
            Self::Fresh => uuid::Uuid::now_v7().to_string(),
        }
    }
}

/// Replaces the timestamps of `command` that the server filled in by the ones the stored `order` holds
/// for the same thing (its placement, shipment, delivery or return). Returns false when nothing matched,
/// in which case the earlier request was a different one.
pub fn restore_times(command: &mut Command, order: &Order) -> bool {
    match command {
        Command::PlaceOrder(p) if p.id == order.id => {
            p.placed_at = order.placed_at;
            true
        }
        Command::ConfirmShipment { shipment_id, shipped_at, .. } => {
            match order.shipments.iter().find(|s| &s.id == shipment_id) {
                Some(s) => {
                    *shipped_at = s.shipped_at;
                    true
                }
                None => false,
            }
        }
        Command::ConfirmDelivery { shipment_id, delivered_at, .. } => {
            match order.shipments.iter().find(|s| &s.id == shipment_id).and_then(|s| s.delivered_at) {
                Some(at) => {
                    *delivered_at = at;
                    true
                }
                None => false,
            }
        }
        Command::RecordReturn { return_id, received_at, .. } => match order.returns.iter().find(|r| &r.id == return_id)
        {
            Some(r) => {
                *received_at = r.received_at;
                true
            }
            None => false,
        },
        Command::AuthoriseReturn { authorisation_id, authorised_at, .. } => {
            match order.return_authorisations.iter().find(|a| &a.id == authorisation_id) {
                Some(a) => {
                    *authorised_at = a.authorised_at;
                    true
                }
                None => false,
            }
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derived_ids_are_stable_per_key_and_kind() {
        let a = IdSource::Derived("k1".into());
        assert_eq!(a.id("order"), a.id("order"));
        assert_ne!(a.id("order"), a.id("shipment"));
        assert_ne!(a.id("order"), IdSource::Derived("k2".into()).id("order"));
        let parsed = uuid::Uuid::parse_str(&a.id("order")).unwrap();
        assert_eq!(parsed.get_version_num(), 8);
        let fresh = uuid::Uuid::parse_str(&IdSource::Fresh.id("order")).unwrap();
        assert_eq!(fresh.get_version_num(), 7);
        assert_ne!(IdSource::Fresh.id("order"), IdSource::Fresh.id("order"));
    }

    #[test]
    fn now_keeps_microseconds() {
        assert_eq!(now().timestamp_subsec_nanos() % 1000, 0);
    }
}
