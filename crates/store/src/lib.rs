//! crossdock's durable store: the append-only event log, the projections of current state, the
//! idempotency records, the API keys and the delivery state of subscriptions, on SQLite (embedded default)
//! or PostgreSQL.
//!
//! Every write goes through [`Store::submit`]: a per-store writer task groups concurrent commands into one
//! transaction (group commit), loads the state they need, runs the engine's `decide`/`evolve` in memory, writes
//! events, projections and idempotency records in bulk, and answers each caller once COMMIT has returned.

mod aggregates;
mod api;
pub mod audit;
mod availability;
pub mod backup;
mod batch;
mod codec;
pub mod delivery;
pub mod edi;
pub mod feed;
mod integration;
mod migrate;
pub mod pii;
mod policy;
mod postgres;
mod recent;
mod redact;
pub mod retention;
mod seqs;
mod sourcing;
mod sqlite;
pub mod testing;
mod writer;

pub use api::*;
pub use codec::{DEFAULT_PAGE, MAX_PAGE, request_hash};
pub use delivery::*;
pub use edi::*;
pub use pii::{Erasure, KeyProvider, MasterKey, PiiError, StoreOptions};
pub use postgres::PgStore;
pub use redact::redact_url;
pub use sqlite::SqliteStore;
pub use writer::MAX_BATCH;

use std::sync::Arc;

/// Opens the store named by `url`: `postgres://…` (or `postgresql://…`) for [`PgStore`]; `sqlite://path`,
/// `sqlite:path` or a bare file path for [`SqliteStore`]. Migrations are applied before it returns.
/// Must be called inside a tokio runtime (it starts the store's writer task).
pub async fn open(url: &str) -> Result<Arc<dyn Store>, StoreError> {
    open_with(url, StoreOptions::default()).await
}

/// [`open`] with options: with a master key (`options.pii`), customer PII is sealed at rest.
pub async fn open_with(url: &str, options: StoreOptions) -> Result<Arc<dyn Store>, StoreError> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        return Ok(Arc::new(PgStore::open_with(url, options).await?));
    }
    if url.starts_with("sqlite:") || !url.contains("://") {
        return Ok(Arc::new(SqliteStore::open_with(url, options).await?));
    }
    let scheme = url.split("://").next().unwrap_or_default();
    Err(StoreError::Database(format!("unknown store scheme {scheme:?}; known: sqlite://, postgres://")))
}
