//! The SQLite backend: the embedded default, one file, one writer connection, WAL readers.

mod audit;
mod availability;
mod checkpoint;
mod dead_letters;
mod delivery;
mod delivery_schema;
mod edi;
mod kpis;
pub(crate) mod pii_keys;
mod retention;
mod rows;
mod schema;
mod sender;
mod sourcing;
mod store;
mod tx;

pub use store::SqliteStore;
