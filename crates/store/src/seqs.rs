//! Matching the sequence numbers an event INSERT returned to the events of a batch (both backends).

use crate::StoreError;
use crate::batch::NewEvent;
use crate::codec::to_i64;
use std::collections::HashMap;

/// Matches the rows an event INSERT returned, `(aggregate_kind, aggregate_id, version, seq)`, to `events`,
/// and checks that sequence numbers follow insertion order.
pub(crate) fn align_seqs(
    events: &[NewEvent],
    returned: Vec<(String, String, i64, i64)>,
) -> Result<Vec<i64>, StoreError> {
    let mut by_key: HashMap<(String, String, i64), i64> =
        returned.into_iter().map(|(kind, id, version, seq)| ((kind, id, version), seq)).collect();
    let mut seqs = Vec::with_capacity(events.len());
    for event in events {
        let key = (event.aggregate_kind.as_str().to_string(), event.aggregate_id.clone(), to_i64(event.version));
        let seq = by_key.remove(&key).ok_or_else(|| {
            StoreError::Corrupt(format!("no sequence number came back for {} {} version {}", key.0, key.1, key.2))
        })?;
        if seqs.last().is_some_and(|&last| last >= seq) {
            return Err(StoreError::Corrupt("sequence numbers were not assigned in insertion order".into()));
        }
        seqs.push(seq);
    }
    Ok(seqs)
}
