//! The hub's orchestration policy as data: the sourcing cost model and rules, the channels' location groups,
//! and the restocking-fee rule of returns. Read from the config file (`[sourcing]`, `[[channels]]`,
//! `[returns]`) by the binary, handed to the store, and passed into `decide` through the state.

use crate::refund::RestockingFeeRule;
use crate::sourcing::SourcingConfig;
use crossdock_model::{ChannelId, LocationId};
use serde::{Deserialize, Serialize};

/// A sales channel and the locations it may sell from (an empty list: the whole network).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChannelGroup {
    pub id: ChannelId,
    #[serde(default)]
    pub locations: Vec<LocationId>,
}

/// When sourced units go to the warehouse.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReleaseMode {
    /// Only on `ReleaseToWarehouse` (an operator, or a system that batches waves).
    #[default]
    Manual,
    /// As soon as automatic sourcing allocates them (an order on hold waits for its release).
    OnSourcing,
}

/// Everything configurable that decisions read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    pub sourcing: SourcingConfig,
    /// The known channels; the availability feed publishes for each of them.
    pub channels: Vec<ChannelGroup>,
    pub restocking: RestockingFeeRule,
    /// `[sourcing] release`: whether automatic sourcing also releases what it allocates.
    pub release: ReleaseMode,
}

impl Default for Policy {
    fn default() -> Self {
        Self {
            sourcing: SourcingConfig::standard(),
            channels: Vec::new(),
            restocking: RestockingFeeRule::default(),
            release: ReleaseMode::Manual,
        }
    }
}

impl Policy {
    /// The locations `channel` is limited to, or `None` when it may use the whole network.
    pub fn channel_locations(&self, channel: &ChannelId) -> Option<&[LocationId]> {
        self.channels.iter().find(|c| &c.id == channel).map(|c| c.locations.as_slice()).filter(|l| !l.is_empty())
    }
}
