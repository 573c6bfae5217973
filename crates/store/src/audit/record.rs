//! Writing a batch's audit entries: one per request the batch settled, chained after the head that the
//! transaction locked, inserted with the batch's events so both commit (or neither does).

use super::chain::{AuditEntry, AuditFields, entry_hash};
use crate::batch::Outcome;
use crate::pii::Erasure;
use crate::{CommandRequest, Origin, StoreError, SubmitError};
use async_trait::async_trait;
use chrono::{DateTime, Utc};

/// The statements the audit trail needs inside a batch's transaction (implemented by each backend).
#[async_trait]
pub(crate) trait AuditTx: Send {
    /// The chain's head (sequence number and hash of the last entry), locked until the transaction ends so
    /// that concurrent writers (other processes sharing the database) extend one chain.
    async fn lock_audit_head(&mut self) -> Result<(i64, String), StoreError>;
    /// Inserts `entries` (consecutive, chained after the locked head) and moves the head to the last one.
    async fn append_audit(&mut self, entries: &[AuditEntry]) -> Result<(), StoreError>;
}

/// One settled request, before it is chained.
pub(crate) struct Settled<'a> {
    pub request: &'a CommandRequest,
    /// The request hash (the command's digest).
    pub digest: &'a str,
    /// The addressed aggregate, `kind:id`.
    pub aggregate: String,
    /// Version of the addressed aggregate before the request.
    pub version_before: u64,
    pub outcome: &'a Outcome,
}

/// What the audit trail records as a request's outcome.
fn outcome_text(outcome: &Outcome) -> String {
    match outcome {
        Ok(receipt) if receipt.replayed => "replayed".into(),
        Ok(_) => "accepted".into(),
        Err(SubmitError::Rejected(refused)) => format!("refused:{}", refused.code()),
        Err(SubmitError::KeyReused { .. }) => "refused:idempotency_key_reused".into(),
        Err(SubmitError::VersionConflict { .. }) => "refused:version_conflict".into(),
        Err(SubmitError::Storage(_)) => "failed:storage".into(),
    }
}

fn fields(settled: Settled<'_>, at: DateTime<Utc>) -> AuditFields {
    let version_after = match settled.outcome {
        Ok(receipt) => receipt.version,
        Err(_) => settled.version_before,
    };
    let version_before = match settled.outcome {
        // A replay changed nothing: the versions are the ones its first answer reported.
        Ok(receipt) if receipt.replayed => receipt.version,
        _ => settled.version_before,
    };
    let request = settled.request;
    AuditFields {
        at,
        actor: request.actor.clone(),
        source: request.origin.source.clone(),
        request_id: request.origin.request_id.clone(),
        command: request.command.type_name().to_string(),
        idempotency_key: request.idempotency_key.clone(),
        digest: settled.digest.to_string(),
        aggregate: settled.aggregate,
        version_before,
        version_after,
        outcome: outcome_text(settled.outcome),
    }
}

/// Chains one entry per settled request after the locked head and writes them (nothing when none).
pub(crate) async fn write_audit(
    tx: &mut (impl AuditTx + ?Sized),
    settled: Vec<Settled<'_>>,
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    if settled.is_empty() {
        return Ok(());
    }
    let (mut seq, mut prev_hash) = tx.lock_audit_head().await?;
    let mut entries = Vec::with_capacity(settled.len());
    for one in settled {
        seq += 1;
        let fields = fields(one, at);
        let hash = entry_hash(seq, &fields, &prev_hash);
        let prev = std::mem::replace(&mut prev_hash, hash.clone());
        entries.push(AuditEntry { seq, fields, prev_hash: prev, hash });
    }
    tx.append_audit(&entries).await
}

/// The audit command name of a PII erasure (not an engine command: it changes no aggregate).
pub const ERASE_CUSTOMER_PII: &str = "erase_customer_pii";

/// The entry of an erasure request: who asked, from where, which customer (aggregate `customer:<id>`) and
/// what it did (`erased`, `no_key`, `not_configured`, or `failed:storage` when the key table failed).
pub(crate) fn erasure_fields(
    customer: &str,
    actor: &str,
    origin: &Origin,
    outcome: &Result<Erasure, StoreError>,
    at: DateTime<Utc>,
) -> AuditFields {
    use sha2::Digest;
    let outcome = match outcome {
        Ok(Erasure::Erased) => "erased",
        Ok(Erasure::NoKey) => "no_key",
        Ok(Erasure::NotConfigured) => "not_configured",
        Err(_) => "failed:storage",
    };
    AuditFields {
        at,
        actor: actor.to_string(),
        source: origin.source.clone(),
        request_id: origin.request_id.clone(),
        command: ERASE_CUSTOMER_PII.into(),
        idempotency_key: format!("{ERASE_CUSTOMER_PII}:{customer}:{}", at.timestamp_micros()),
        digest: hex::encode(sha2::Sha256::digest(format!("{ERASE_CUSTOMER_PII}\n{customer}"))),
        aggregate: format!("customer:{customer}"),
        version_before: 0,
        version_after: 0,
        outcome: outcome.to_string(),
    }
}

/// Chains one entry after the locked head and writes it (for a request that is not a batch's command).
pub(crate) async fn append_one(tx: &mut (impl AuditTx + ?Sized), fields: AuditFields) -> Result<(), StoreError> {
    let (seq, prev_hash) = tx.lock_audit_head().await?;
    let seq = seq + 1;
    let hash = entry_hash(seq, &fields, &prev_hash);
    tx.append_audit(&[AuditEntry { seq, fields, prev_hash, hash }]).await
}
