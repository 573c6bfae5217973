//! Hash chaining of audit entries. Each entry's hash is SHA-256 over a canonical JSON of its fields and the
//! previous entry's hash, so changing, removing or reordering an entry breaks the chain from there on.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

/// The `prev_hash` of the first entry.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// What an audit entry records, before it is chained. `GET /v1/audit` serves these fields as they are.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct AuditFields {
    /// When the command was applied (recorded time of its transaction).
    pub at: DateTime<Utc>,
    /// Who: an API key id, `system:<name>` for a connected system, or the hub itself (`hub:<task>`).
    pub actor: String,
    /// From where: the client's address, when the command came over the network.
    pub source: Option<String>,
    /// The request id of the HTTP request or message that carried the command.
    pub request_id: Option<String>,
    /// The command's type name (`place_order`, …).
    pub command: String,
    pub idempotency_key: String,
    /// Hex SHA-256 of the command's canonical JSON (the idempotency record's request hash).
    pub digest: String,
    /// The addressed aggregate, `kind:id`.
    pub aggregate: String,
    pub version_before: u64,
    pub version_after: u64,
    /// `accepted`, `replayed`, `refused:<error code>` or `failed:storage` (an erasure: `erased`, `no_key`,
    /// `not_configured`).
    pub outcome: String,
}

/// A stored, chained entry: its fields with its place in the chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
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
        digest: &'a str,
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
        digest: &fields.digest,
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
    /// The sequence numbers are out of order, or an entry sits where it does not belong (rows swapped).
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
    let mut walk = ChainWalk::default();
    for entry in entries {
        walk.step(&entry)?;
    }
    walk.finish(head)
}

/// The state of a walk along the chain, fed one entry at a time (so a long chain can be read in pages).
#[derive(Debug, Clone)]
pub struct ChainWalk {
    last_seq: i64,
    last_hash: String,
    checked: u64,
}

impl Default for ChainWalk {
    fn default() -> Self {
        Self { last_seq: 0, last_hash: GENESIS_HASH.to_string(), checked: 0 }
    }
}

impl ChainWalk {
    /// The sequence number of the last entry checked (0 before the first).
    pub fn last_seq(&self) -> i64 {
        self.last_seq
    }

    /// Checks the next entry read (in ascending `seq` as stored) against the ones before it.
    pub fn step(&mut self, entry: &AuditEntry) -> Result<(), Tamper> {
        let tamper = |seq, kind, detail: String| Err(Tamper { seq, kind, detail });
        let last_seq = self.last_seq;
        if entry.seq <= last_seq {
            return tamper(entry.seq, TamperKind::Reordered, format!("sequence {} follows {last_seq}", entry.seq));
        }
        if entry.seq > last_seq + 1 {
            let detail = format!("entries {} to {} are missing", last_seq + 1, entry.seq - 1);
            return tamper(last_seq + 1, TamperKind::Removed, detail);
        }
        if entry_hash(entry.seq, &entry.fields, &entry.prev_hash) != entry.hash {
            if entry.prev_hash != self.last_hash {
                // Neither its content nor its link fits here: an entry from elsewhere in the chain.
                let detail = format!("it does not belong after entry {last_seq} (moved from elsewhere)");
                return tamper(entry.seq, TamperKind::Reordered, detail);
            }
            return tamper(entry.seq, TamperKind::Changed, "its content does not match its hash".into());
        }
        if entry.prev_hash != self.last_hash {
            let detail = format!("it does not link to entry {last_seq}");
            return tamper(entry.seq, TamperKind::BrokenLink, detail);
        }
        self.last_seq = entry.seq;
        self.last_hash.clone_from(&entry.hash);
        self.checked += 1;
        Ok(())
    }

    /// Ends the walk: how many entries were checked, or the break when the chain stops short of `head`.
    pub fn finish(self, head: Option<(i64, &str)>) -> Result<u64, Tamper> {
        if let Some((head_seq, head_hash)) = head
            && (head_seq != self.last_seq || head_hash != self.last_hash)
        {
            return Err(Tamper {
                seq: self.last_seq + 1,
                kind: TamperKind::Removed,
                detail: format!("the chain ends at {} but the recorded head is {head_seq}", self.last_seq),
            });
        }
        Ok(self.checked)
    }
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
            digest: format!("{n:064x}"),
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
        assert_eq!((err.seq, err.kind), (2, TamperKind::Reordered));
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
