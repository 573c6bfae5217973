//! PII at rest: customer names, e-mail addresses, phone numbers and postal addresses are sealed with
//! AES-256-GCM under a per-customer data key when the store writes an order or an `order.placed` event, and
//! opened when it reads them. Data keys live in their own table, wrapped by a master key from a
//! [`KeyProvider`]; destroying a customer's key row (erasure) makes that PII unreadable everywhere it was
//! written, including old copies of the event log, as long as the key table is not restored with them.

mod cipher;
mod provider;
mod records;
mod ring;
mod vault;

pub use provider::{KEY_LEN, KeyProvider, MasterKey, PiiError};
pub(crate) use ring::KeyRing;
pub use ring::{ERASED, SEALED, customer_subject, order_subject, partner_subject, subject_for, subject_of};
pub(crate) use vault::{KeyTable, Vault, WrappedKey};

use crate::StoreError;
use crossdock_model::Order;
use std::sync::Arc;

/// How a store opens: with a master key (PII sealed at rest) or without (PII written as it is; sealed
/// values already stored read as [`SEALED`]).
#[derive(Clone, Default)]
pub struct StoreOptions {
    pub pii: Option<Arc<dyn KeyProvider>>,
}

impl std::fmt::Debug for StoreOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoreOptions").field("pii", &self.pii.as_ref().map(|p| p.describe())).finish()
    }
}

/// What an erasure request did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Erasure {
    /// The customer's data key was destroyed.
    Erased,
    /// The customer had no data key (never seen, or erased before).
    NoKey,
    /// The store has no master key, so it holds no data keys to destroy.
    NotConfigured,
}

/// The store's PII handle: a vault when a master key is configured.
#[derive(Clone, Default)]
pub(crate) struct Pii(Option<Arc<Vault>>);

impl Pii {
    pub fn new(provider: Arc<dyn KeyProvider>, table: Box<dyn KeyTable>) -> Self {
        Self(Some(Arc::new(Vault::new(provider, table))))
    }

    fn ring(&self) -> KeyRing {
        KeyRing { enabled: self.0.is_some(), ..KeyRing::default() }
    }

    /// A ring able to open every sealed value in `texts`.
    pub async fn ring_for<'a>(&self, texts: impl IntoIterator<Item = &'a str>) -> Result<KeyRing, StoreError> {
        let mut ring = self.ring();
        if let Some(vault) = &self.0 {
            vault.resolve_texts(&mut ring, texts).await?;
        }
        Ok(ring)
    }

    /// True when a master key is configured (PII is sealed when written).
    pub fn enabled(&self) -> bool {
        self.0.is_some()
    }

    /// Adds to `ring` the data keys of these subjects (created when new), to seal records under them.
    pub async fn ensure_subjects(&self, ring: &mut KeyRing, subjects: &[String]) -> Result<(), StoreError> {
        match &self.0 {
            Some(vault) => vault.ensure_subjects(ring, subjects).await,
            None => Ok(()),
        }
    }

    /// An empty ring for a batch; keys are added with [`Pii::ensure_orders`] and [`Pii::open_into`].
    pub fn batch_ring(&self) -> KeyRing {
        self.ring()
    }

    /// Adds to `ring` the keys of every sealed value in `texts`.
    pub async fn open_into<'a>(
        &self,
        ring: &mut KeyRing,
        texts: impl IntoIterator<Item = &'a str>,
    ) -> Result<(), StoreError> {
        match &self.0 {
            Some(vault) => vault.resolve_texts(ring, texts).await,
            None => Ok(()),
        }
    }

    /// Adds to `ring` the data keys that seal these orders (created when new).
    pub async fn ensure_orders<'a>(
        &self,
        ring: &mut KeyRing,
        orders: impl IntoIterator<Item = &'a Order>,
    ) -> Result<(), StoreError> {
        let Some(vault) = &self.0 else { return Ok(()) };
        let subjects: Vec<String> = orders.into_iter().map(subject_of).collect();
        vault.ensure_subjects(ring, &subjects).await
    }

    /// Adds to `ring` the data keys of the orders these commands place (created when new), so that a
    /// batch creates its new keys together.
    pub async fn ensure_placed<'a>(
        &self,
        ring: &mut KeyRing,
        commands: impl IntoIterator<Item = &'a crossdock_model::Command>,
    ) -> Result<(), StoreError> {
        let Some(vault) = &self.0 else { return Ok(()) };
        let subjects: Vec<String> = commands
            .into_iter()
            .filter_map(|c| match c {
                crossdock_model::Command::PlaceOrder(p) => Some(subject_for(p.customer.as_ref(), &p.id)),
                _ => None,
            })
            .collect();
        vault.ensure_placed(ring, &subjects).await
    }

    pub async fn erase_customer(&self, customer_id: &str) -> Result<Erasure, StoreError> {
        let Some(vault) = &self.0 else { return Ok(Erasure::NotConfigured) };
        let erased = vault.erase(&customer_subject(customer_id)).await?;
        tracing::info!(provider = %vault.describe(), erased, "customer PII erasure requested");
        Ok(if erased { Erasure::Erased } else { Erasure::NoKey })
    }
}
