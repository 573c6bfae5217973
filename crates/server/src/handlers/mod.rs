//! Route handlers, grouped by resource.

mod audit;
mod commands;
mod common;
mod customers;
mod dead_letters;
mod edi;
mod health;
mod inbound;
mod inventory;
mod keys;
mod kpis;
mod orders;
mod reports;
mod sourcing;
mod systems;

pub use audit::*;
pub use commands::*;
pub use common::IDEMPOTENT_REPLAYED;
pub use customers::*;
pub use dead_letters::*;
pub use edi::*;
pub use health::*;
pub use inbound::*;
pub use inventory::*;
pub use keys::*;
pub use kpis::*;
pub use orders::*;
pub use reports::*;
pub use sourcing::*;
pub use systems::*;
