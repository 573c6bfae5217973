//! The orchestration policy a store decides with (sourcing cost model and rules, channel location groups,
//! restocking-fee rule), shared between the store handle and its writer task and replaceable at run time.

use crossdock_engine::Policy;
use std::sync::{Arc, RwLock};

/// A shared, replaceable [`Policy`]; every batch reads the one current when it starts.
#[derive(Clone, Default)]
pub(crate) struct PolicyCell(Arc<RwLock<Arc<Policy>>>);

impl PolicyCell {
    pub fn get(&self) -> Arc<Policy> {
        // A poisoned lock only means a writer panicked between two whole assignments: the value is whole.
        self.0.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    pub fn set(&self, policy: Policy) {
        *self.0.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(policy);
    }
}
