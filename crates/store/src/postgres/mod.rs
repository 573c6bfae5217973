//! The PostgreSQL backend: several hub processes may share one database; an advisory lock orders their writes.

mod dead_letters;
mod delivery;
mod delivery_schema;
mod rows;
mod schema;
mod store;
mod tx;

pub use store::PgStore;
