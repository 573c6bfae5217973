//! The audit trail: one hash-chained entry per command (who, when, from where, what, aggregate versions
//! before and after), and the walk that finds the first entry changed, removed or reordered.

mod chain;

pub use chain::{AuditEntry, AuditFields, GENESIS_HASH, Tamper, TamperKind, entry_hash, verify_chain};
