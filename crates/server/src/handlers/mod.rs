//! Route handlers, grouped by resource.

mod commands;
mod common;
mod health;
mod inventory;
mod orders;

pub use commands::*;
pub use common::IDEMPOTENT_REPLAYED;
pub use health::*;
pub use inventory::*;
pub use orders::*;
