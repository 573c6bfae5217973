//! The audit trail: one hash-chained entry per command (who, when, from where, what, aggregate versions
//! before and after), written in the transaction of the command's events, and the walk that finds the first
//! entry changed, removed or reordered. Customer PII erasures (not commands) are chained the same way, with
//! aggregate `customer:<id>`.

mod chain;
mod record;

pub use chain::{AuditEntry, AuditFields, ChainWalk, GENESIS_HASH, Tamper, TamperKind, entry_hash, verify_chain};
pub use record::ERASE_CUSTOMER_PII;
pub(crate) use record::{AuditTx, Settled, append_one, erasure_fields, write_audit};

use crate::{AuditFilter, MAX_PAGE, Store, StoreError};

/// The stored `aggregate` values a filter's aggregate matches: itself when it names a kind (`order:o-1`),
/// else the id under every kind.
pub(crate) fn aggregate_keys(aggregate: &str) -> Vec<String> {
    if let Some((kind, _)) = aggregate.split_once(':')
        && (kind == "customer" || crate::codec::parse_kind(kind).is_ok())
    {
        return vec![aggregate.to_string()];
    }
    ["order", "inventory", "location", "availability"].iter().map(|kind| format!("{kind}:{aggregate}")).collect()
}

/// Walks the store's whole chain, a page at a time, against its recorded head: how many entries are intact,
/// or the first one changed, removed or reordered.
pub async fn verify(store: &dyn Store) -> Result<Result<u64, Tamper>, StoreError> {
    let (head_seq, head_hash) = store.audit_head().await?;
    let mut walk = ChainWalk::default();
    let mut after_seq = None;
    loop {
        let filter = AuditFilter { after_seq, limit: MAX_PAGE, ..AuditFilter::default() };
        let page = store.audit_entries(&filter).await?;
        for entry in &page {
            if let Err(tamper) = walk.step(entry) {
                return Ok(Err(tamper));
            }
        }
        match page.last() {
            Some(last) if page.len() == MAX_PAGE as usize => after_seq = Some(last.seq),
            _ => break,
        }
    }
    Ok(walk.finish(Some((head_seq, &head_hash))))
}
