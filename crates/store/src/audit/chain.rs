//! Hash chaining of audit entries. Each entry's hash is SHA-256 over a canonical JSON of its fields and the
//! previous entry's hash, so changing, removing or reordering an entry breaks the chain from there on.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The `prev_hash` of the first entry.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// What an audit entry records, before it is chained.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditFields {
    /// When the command was applied (recorded time of its transaction).
    pub at: DateTime<Utc>,
    /// Who: an API key id, a connected system's name or a CLI user.
    pub actor: String,
    /// From where: the client's address, when known.
    pub source: Option<String>,
    /// The request id of the HTTP request or message that carried the command.
    pub request_id: Option<String>,
    /// The command's type name (`place_order`, …).
    pub command: String,
    pub idempotency_key: String,
    /// The addressed aggregate, `kind:id`.
    pub aggregate: String,
    pub version_before: u64,
    pub version_after: u64,
    /// `accepted`, or `refused:<error code>`.
    pub outcome: String,
}

/// A stored, chained entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    /// Position in the chain, from 1 with no gaps.
    pub seq: i64,
    #[serde(flatten)]
    pub fields: AuditFields,
    pub prev_hash: String,
    pub hash: String,
}

/// The hash of the entry at `seq` with `fields`, chained after `prev_hash` (lowercase hex).
pub fn entry_hash(seq: i64, fields: &AuditFields, prev_hash: &str) -> String {
    #[derive(Serialize)]
    struct Canonical<'a> {
        seq: i64,
        at: String,
        actor: &'a str,
        source: Option<&'a str>,
        request_id: Option<&'a str>,
        command: &'a str,
        idempotency_key: &'a str,
        aggregate: &'a str,
        version_before: u64,
        version_after: u64,
        outcome: &'a str,
        prev_hash: &'a str,
    }
    let canonical = Canonical {
        seq,
        // Fixed precision, so a round trip through either database hashes the same.
        at: fields.at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
        actor: &fields.actor,
        source: fields.source.as_deref(),
        request_id: fields.request_id.as_deref(),
        command: &fields.command,
        idempotency_key: &fields.idempotency_key,
        aggregate: &fields.aggregate,
        version_before: fields.version_before,
        version_after: fields.version_after,
        outcome: &fields.outcome,
        prev_hash,
    };
    // Serialising a struct of strings and integers cannot fail.
    let bytes = serde_json::to_vec(&canonical).unwrap_or_default();
    hex::encode(Sha256::digest(bytes))
}

/// How the chain was broken.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TamperKind {
    /// The entry's content no longer matches its hash.
    Changed,
    /// One or more entries before this one are missing (a gap in the sequence, or the chain's head is
    /// behind the recorded head).
    Removed,
    /// The sequence numbers are out of order.
    Reordered,
    /// The entry does not link to the one before it: that one was changed and re-hashed, or this one was
    /// moved from elsewhere in the chain.
    BrokenLink,
}

/// The first break found in the chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("audit entry {seq} was {kind:?}: {detail}")]
pub struct Tamper {
    pub seq: i64,
    pub kind: TamperKind,
    pub detail: String,
}

/// Walks `entries` in ascending `seq` (as stored) and returns how many were checked, or the first break.
/// `head`, when known, is the (seq, hash) the store recorded for the last entry: a chain cut short at its
/// end is caught against it.
pub fn verify_chain(entries: impl IntoIterator<Item = AuditEntry>, head: Option<(i64, &str)>) -> Result<u64, Tamper> {
    let mut last_seq = 0i64;
    let mut last_hash = GENESIS_HASH.to_string();
    let mut checked = 0u64;
    for entry in entries {
        let tamper = |seq, kind, detail: String| Err(Tamper { seq, kind, detail });
        if entry.seq <= last_seq {
            return tamper(entry.seq, TamperKind::Reordered, format!("sequence {} follows {last_seq}", entry.seq));
        }
        if entry.seq > last_seq + 1 {
            let detail = format!("entries {} to {} are missing", last_seq + 1, entry.seq - 1);
            return tamper(last_seq + 1, TamperKind::Removed, detail);
        }
        if entry_hash(entry.seq, &entry.fields, &entry.prev_hash) != entry.hash {
            return tamper(entry.seq, TamperKind::Changed, "its content does not match its hash".into());
        }
        if entry.prev_hash != last_hash {
            let detail = format!("it does not link to entry {last_seq}");
            return tamper(entry.seq, TamperKind::BrokenLink, detail);
        }
        last_seq = entry.seq;
        last_hash = entry.hash;
        checked += 1;
    }
    if let Some((head_seq, head_hash)) = head
        && (head_seq != last_seq || head_hash != last_hash)
    {
        return Err(Tamper {
            seq: last_seq + 1,
            kind: TamperKind::Removed,
            detail: format!("the chain ends at {last_seq} but the recorded head is {head_seq}"),
        });
    }
    Ok(checked)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(n: u64) -> AuditFields {
        AuditFields {
            at: DateTime::from_timestamp(1_700_000_000 + n as i64, 123_456_000).unwrap_or_default(),
            actor: "key_abc".into(),
            source: Some("127.0.0.1".into()),
            request_id: Some(format!("req-{n}")),
            command: "place_order".into(),
            idempotency_key: format!("web:{n}"),
            aggregate: format!("order:o-{n}"),
            version_before: 0,
            version_after: 1,
            outcome: "accepted".into(),
        }
    }

    fn chain(n: u64) -> Vec<AuditEntry> {
        let mut prev = GENESIS_HASH.to_string();
        (1..=n)
            .map(|i| {
                let f = fields(i);
                let hash = entry_hash(i as i64, &f, &prev);
                let entry = AuditEntry { seq: i as i64, fields: f, prev_hash: prev.clone(), hash: hash.clone() };
                prev = hash;
                entry
            })
            .collect()
    }

    fn head(entries: &[AuditEntry]) -> Option<(i64, &str)> {
        entries.last().map(|e| (e.seq, e.hash.as_str()))
    }

    #[test]
    fn an_intact_chain_verifies() {
        let entries = chain(5);
        assert_eq!(verify_chain(entries.clone(), head(&entries)), Ok(5));
        assert_eq!(verify_chain(Vec::new(), None), Ok(0));
    }

    #[test]
    fn a_changed_entry_is_caught_where_it_is() {
        let entries = chain(5);
        let recorded = head(&entries).map(|(s, h)| (s, h.to_string()));
        let mut tampered = entries.clone();
        tampered[2].fields.actor = "someone_else".into();
        let err = verify_chain(tampered, recorded.as_ref().map(|(s, h)| (*s, h.as_str()))).unwrap_err();
        assert_eq!((err.seq, err.kind), (3, TamperKind::Changed));
    }

    #[test]
    fn a_rehashed_change_is_caught_at_the_next_link() {
        let mut entries = chain(5);
        entries[2].fields.outcome = "refused:forged".into();
        entries[2].hash = entry_hash(3, &entries[2].fields, &entries[2].prev_hash);
        let err = verify_chain(entries, None).unwrap_err();
        assert_eq!((err.seq, err.kind), (4, TamperKind::BrokenLink));
    }

    #[test]
    fn removed_entries_are_caught_in_the_middle_and_at_the_end() {
        let entries = chain(5);
        let mut middle = entries.clone();
        middle.remove(1);
        let err = verify_chain(middle, head(&entries)).unwrap_err();
        assert_eq!((err.seq, err.kind), (2, TamperKind::Removed));

        let mut end = entries.clone();
        end.pop();
        let err = verify_chain(end, head(&entries)).unwrap_err();
        assert_eq!((err.seq, err.kind), (5, TamperKind::Removed));
    }

    #[test]
    fn reordered_entries_are_caught() {
        let entries = chain(5);
        // Sequence numbers exchanged between two rows: read back in order, content no longer matches.
        let mut renumbered = entries.clone();
        renumbered[1].seq = 3;
        renumbered[2].seq = 2;
        renumbered.sort_by_key(|e| e.seq);
        let err = verify_chain(renumbered, None).unwrap_err();
        assert_eq!((err.seq, err.kind), (2, TamperKind::Changed));
        // Entries 2 and 3 moved and re-hashed under their new positions, links kept.
        let mut moved = entries.clone();
        moved.swap(1, 2);
        for (i, e) in moved.iter_mut().enumerate() {
            e.seq = i as i64 + 1;
            e.hash = entry_hash(e.seq, &e.fields, &e.prev_hash);
        }
        let err = verify_chain(moved, None).unwrap_err();
        assert_eq!((err.seq, err.kind), (2, TamperKind::BrokenLink));
        // Read out of order (no ORDER BY): caught as well.
        let mut shuffled = entries.clone();
        shuffled.swap(2, 3);
        assert!(verify_chain(shuffled, None).is_err());
    }
}
