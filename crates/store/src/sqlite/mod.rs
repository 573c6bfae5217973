//! The SQLite backend: the embedded default, one file, one writer connection, WAL readers.

mod rows;
mod schema;
mod store;
mod tx;

pub use store::SqliteStore;
