//! The availability aggregate inside a batch: a channel's ATP of a sku as last recorded. It has no table of
//! its own: its state is the payload of its last `inventory.availability_changed` event, found through the
//! event log's (aggregate_kind, aggregate_id, version) key, so the feed needs no migration.

use crate::StoreError;
use async_trait::async_trait;
use crossdock_model::{ChannelAvailability, ChannelId, Event, Sku};
use std::collections::HashMap;

/// The statement the availability aggregate needs (implemented by each backend's transaction).
#[async_trait]
pub(crate) trait AvailabilityTx: Send {
    /// The version and payload of the aggregate's last event, if it has any.
    async fn last_event_of(&mut self, kind: &str, id: &str) -> Result<Option<(u64, String)>, StoreError>;
}

/// Availability aggregates looked up (and changed) by a batch, by aggregate id.
#[derive(Default)]
pub(crate) struct AvailabilityWork {
    known: HashMap<String, Option<ChannelAvailability>>,
}

impl AvailabilityWork {
    /// The channel's availability of the sku as the batch stands (none: never recorded).
    pub async fn load(
        &mut self,
        tx: &mut (impl AvailabilityTx + ?Sized),
        channel: &ChannelId,
        sku: &Sku,
    ) -> Result<Option<ChannelAvailability>, StoreError> {
        let id = ChannelAvailability::aggregate_id(channel, sku);
        if let Some(known) = self.known.get(&id) {
            return Ok(known.clone());
        }
        let found = match tx.last_event_of("availability", &id).await? {
            None => None,
            Some((version, payload)) => match serde_json::from_str::<Event>(&payload) {
                Ok(Event::AvailabilityChanged { available, .. }) => {
                    Some(ChannelAvailability { channel: channel.clone(), sku: sku.clone(), available, version })
                }
                Ok(other) => {
                    return Err(StoreError::Corrupt(format!("availability {id} has a {} event", other.type_name())));
                }
                Err(e) => return Err(StoreError::Corrupt(format!("availability {id}: {e}"))),
            },
        };
        self.known.insert(id, found.clone());
        Ok(found)
    }

    /// The version of the channel's availability of the sku, if the batch has looked it up (else 0).
    pub fn version_of(&self, channel: &ChannelId, sku: &Sku) -> u64 {
        let id = ChannelAvailability::aggregate_id(channel, sku);
        self.known.get(&id).and_then(|a| a.as_ref()).map_or(0, |a| a.version)
    }

    /// Keeps the aggregate as a decided command left it.
    pub fn keep(&mut self, availability: Option<ChannelAvailability>) {
        if let Some(a) = availability {
            self.known.insert(ChannelAvailability::aggregate_id(&a.channel, &a.sku), Some(a));
        }
    }
}
