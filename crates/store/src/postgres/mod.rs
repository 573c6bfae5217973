//! The PostgreSQL backend: several hub processes may share one database; an advisory lock orders their writes.

mod audit;
mod availability;
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

pub use store::PgStore;
