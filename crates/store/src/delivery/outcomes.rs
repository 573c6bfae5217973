//! Bookkeeping shared by both backends' `complete`: the latest success and error per subscription.

use crate::delivery::DeliveryOutcome;
use chrono::{DateTime, Utc};
use std::collections::BTreeMap;

/// Per subscription, the latest success and the latest error seen in a batch of results.
#[derive(Default)]
pub(crate) struct LastOutcomes {
    pub success: BTreeMap<String, DateTime<Utc>>,
    pub error: BTreeMap<String, String>,
}

pub(crate) fn note_outcome(last: &mut LastOutcomes, subscription: String, outcome: &DeliveryOutcome) {
    match outcome {
        DeliveryOutcome::Delivered { at, .. } => {
            let entry = last.success.entry(subscription).or_insert(*at);
            *entry = (*entry).max(*at);
        }
        DeliveryOutcome::Retry { error, .. } | DeliveryOutcome::Dead { error, .. } => {
            last.error.insert(subscription, error.clone());
        }
        DeliveryOutcome::Deferred { .. } | DeliveryOutcome::Discarded { .. } => {}
    }
}
