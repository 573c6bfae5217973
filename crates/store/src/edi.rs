//! EDI interchange records and control-number counters: what was received from and sent to each trading
//! partner, how it was acknowledged, and the per-partner ISA13/GS06 counters that are never reused.
//!
//! The rules both backends follow:
//! - A record is written once with everything known at receipt or sending; later only its status, ack state,
//!   ack control number and errors change (`update_interchange_ack`) or an expected ack turns overdue
//!   (`mark_overdue_acks`).
//! - Control numbers come from a per-(partner, kind) counter that only grows: `allocate_control_numbers`
//!   bumps it in one statement inside a transaction and returns the first number of the block, so two
//!   processes never get the same block. ISA13 and GS06 are 1 to 999 999 999; the counter maps onto that
//!   range with [`ControlBlock::interchange_number`], so a number comes back only after a billion interchanges.
//! - With a master key, `raw` is stored sealed under a content key split between the data keys of the
//!   customers it carries (`NewInterchange::pii_subjects`, else the partner's key): erasing any of those
//!   customers makes it read as `pii::ERASED` (`pii/records.rs`).
//! - A short reference a document sent for a longer order id (`NewInterchange::references`) is recorded
//!   in the same transaction as the interchange, so the partner's echo of it resolves by lookup.
//! - A received interchange recorded with its acknowledgement before the acknowledgement is written to an
//!   outbox (`insert_received`) keeps a marker, keyed by a hash of its bytes, until `ack_written`: the same
//!   bytes received again after a failed write find the acknowledgement already recorded (`unwritten_ack`).
//!   The hash, not the bytes, because the bytes are sealed; it is deleted once the acknowledgement is out.

use crate::StoreError;
use chrono::{DateTime, Utc};
use crossdock_model::OrderId;
use serde::{Deserialize, Serialize};

/// Received from the partner or sent to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EdiDirection {
    Inbound,
    Outbound,
}

/// What happened to an interchange: for inbound ones, our validation; for outbound ones, the partner's
/// acknowledgement (`sent` until one arrives).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InterchangeStatus {
    Sent,
    Accepted,
    PartiallyAccepted,
    Rejected,
}

/// Where the acknowledgement of an interchange stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AckState {
    /// Expected by `ack_due_at`, not received yet.
    Expected,
    Received,
    /// Expected and not received by `ack_due_at`.
    Overdue,
    NotExpected,
}

macro_rules! text_enum {
    ($name:ident { $($variant:ident => $text:literal),* $(,)? }) => {
        impl $name {
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),* }
            }
            pub fn parse(text: &str) -> Option<Self> {
                match text { $($text => Some($name::$variant),)* _ => None }
            }
        }
    };
}

text_enum!(EdiDirection { Inbound => "inbound", Outbound => "outbound" });
text_enum!(InterchangeStatus {
    Sent => "sent",
    Accepted => "accepted",
    PartiallyAccepted => "partially_accepted",
    Rejected => "rejected",
});
text_enum!(AckState { Expected => "expected", Received => "received", Overdue => "overdue", NotExpected => "not_expected" });

/// One transaction set of an interchange: ST01 and ST02.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InterchangeSet {
    pub id: String,
    pub control: String,
}

/// One functional group: GS01, GS06 and its sets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InterchangeGroup {
    pub functional_id: String,
    pub control: String,
    pub sets: Vec<InterchangeSet>,
}

/// An interchange to record.
#[derive(Debug, Clone, PartialEq)]
pub struct NewInterchange {
    /// The partner's configured id.
    pub partner: String,
    pub direction: EdiDirection,
    /// ISA13 as received or written.
    pub isa_control: String,
    pub groups: Vec<InterchangeGroup>,
    pub status: InterchangeStatus,
    pub ack_state: AckState,
    /// When an expected acknowledgement is due.
    pub ack_due_at: Option<DateTime<Utc>>,
    /// ISA13 of the acknowledgement: the one we sent back (inbound) or received (outbound).
    pub ack_control: Option<String>,
    /// Where the file came from or went to (a path, `http`), when there was a file.
    pub file: Option<String>,
    /// The interchange as received or sent, byte for byte.
    pub raw: Vec<u8>,
    /// The PII data-key subjects of the customers (or orders) it carries (`pii::subject_for`): with a
    /// master key, `raw` is stored sealed so that erasing any of them makes it unreadable. Empty: sealed
    /// under the partner's own key (`pii::partner_subject`).
    pub pii_subjects: Vec<String>,
    /// Validation, mapping or submission errors, the reconciled acknowledgement, or (for a document we
    /// generated) its reference, as JSON.
    pub errors: serde_json::Value,
    /// Short references the interchange sent in place of longer order ids, recorded with it.
    pub references: Vec<SentReference>,
    pub created_at: DateTime<Utc>,
}

/// A short reference a document sent in place of an order id too long for its element (a 940's W0502
/// holds 22 characters: `crossdock_edi::outbound::fit_reference`), so that the partner's echo of it (a
/// 945's W0602) resolves by lookup (`Store::referenced_order`). Per partner, a reference is recorded once:
/// sending it again (a resent 940) keeps the first record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SentReference {
    pub reference: String,
    pub order_id: OrderId,
}

/// A received interchange and the acknowledgement recorded with it (`Store::insert_received`); while
/// `Store::unwritten_ack` finds it, the acknowledgement has not been written out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UnwrittenAck {
    pub inbound_id: i64,
    pub ack_id: i64,
}

/// What an unwritten acknowledgement is found by: SHA-256 of the bytes received, in hex. Up to the size of
/// an input (hundreds of MiB): call it off the async runtime (`spawn_blocking`) for large inputs.
pub fn input_hash(raw: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(raw))
}

/// A recorded interchange; `raw` is empty in lists and filled by `interchange(id)`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct InterchangeRecord {
    pub id: i64,
    pub partner: String,
    pub direction: EdiDirection,
    pub isa_control: String,
    pub groups: Vec<InterchangeGroup>,
    pub status: InterchangeStatus,
    pub ack_state: AckState,
    pub ack_due_at: Option<DateTime<Utc>>,
    pub ack_control: Option<String>,
    pub file: Option<String>,
    /// Size of the raw interchange in bytes.
    pub size: i64,
    #[serde(skip)]
    pub raw: Vec<u8>,
    pub errors: serde_json::Value,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl InterchangeRecord {
    /// The set ids (ST01) of every set, in order.
    pub fn set_ids(&self) -> Vec<String> {
        self.groups.iter().flat_map(|g| g.sets.iter().map(|s| s.id.clone())).collect()
    }
}

/// Filters for listing interchanges, newest first.
#[derive(Debug, Clone, Default)]
pub struct InterchangeFilter {
    pub partner: Option<String>,
    pub direction: Option<EdiDirection>,
    pub status: Option<InterchangeStatus>,
    pub ack_state: Option<AckState>,
    pub isa_control: Option<String>,
    /// Only records with an id below this (the page cursor).
    pub before_id: Option<i64>,
    pub limit: u32,
}

/// The outcome of an acknowledgement for a recorded interchange.
#[derive(Debug, Clone, PartialEq)]
pub struct InterchangeAckUpdate {
    pub id: i64,
    pub status: InterchangeStatus,
    pub ack_state: AckState,
    pub ack_control: Option<String>,
    pub errors: serde_json::Value,
    pub at: DateTime<Utc>,
}

/// A block of control numbers, as the counters' values: the first of `interchanges` ISA13s and of `groups`
/// GS06s allocated to the caller (each counter starts at 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ControlBlock {
    pub first_interchange: i64,
    pub first_group: i64,
}

/// Largest ISA13/GS06.
pub const MAX_CONTROL: i64 = 999_999_999;

impl ControlBlock {
    /// The counter value `n` as an ISA13/GS06 number, 1 to 999 999 999.
    pub fn control_number(n: i64) -> u32 {
        (((n - 1).rem_euclid(MAX_CONTROL)) + 1) as u32
    }

    /// The last number used before this block, for a writer that continues after it (0 for none).
    pub fn interchange_before(&self) -> u32 {
        Self::control_number(self.first_interchange) - 1
    }

    pub fn group_before(&self) -> u32 {
        Self::control_number(self.first_group) - 1
    }

    /// The `k`-th (0-based) ISA13 of the block.
    pub fn interchange_number(&self, k: i64) -> u32 {
        Self::control_number(self.first_interchange + k)
    }
}

/// The bytes to store for each record: `raw` sealed under its subjects when the store has a master key.
pub(crate) async fn seal_raws(pii: &crate::pii::Pii, records: &[NewInterchange]) -> Result<Vec<Vec<u8>>, StoreError> {
    if !pii.enabled() {
        return Ok(records.iter().map(|r| r.raw.clone()).collect());
    }
    let subjects = |r: &NewInterchange| -> Vec<String> {
        if r.pii_subjects.is_empty() { vec![crate::pii::partner_subject(&r.partner)] } else { r.pii_subjects.clone() }
    };
    let mut all: Vec<String> = records.iter().flat_map(&subjects).collect();
    all.sort();
    all.dedup();
    let mut ring = pii.batch_ring();
    pii.ensure_subjects(&mut ring, &all).await?;
    records.iter().map(|r| ring.seal_shared(&subjects(r), &r.raw)).collect()
}

/// The record with its raw bytes opened (`pii::ERASED` once a key of a customer it carries is gone).
pub(crate) async fn open_raw(
    pii: &crate::pii::Pii,
    mut record: InterchangeRecord,
) -> Result<InterchangeRecord, StoreError> {
    let Ok(text) = std::str::from_utf8(&record.raw) else { return Ok(record) };
    let ring = pii.ring_for([text]).await?;
    record.raw = ring.open_shared(std::mem::take(&mut record.raw));
    Ok(record)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_numbers_wrap_into_the_isa_range() {
        assert_eq!(ControlBlock::control_number(1), 1);
        assert_eq!(ControlBlock::control_number(MAX_CONTROL), 999_999_999);
        assert_eq!(ControlBlock::control_number(MAX_CONTROL + 1), 1);
        let b = ControlBlock { first_interchange: 5, first_group: 1 };
        assert_eq!((b.interchange_before(), b.group_before(), b.interchange_number(2)), (4, 0, 7));
        for s in ["sent", "accepted", "partially_accepted", "rejected"] {
            assert_eq!(InterchangeStatus::parse(s).map(InterchangeStatus::as_str), Some(s));
        }
        assert_eq!(AckState::parse("overdue"), Some(AckState::Overdue));
        assert_eq!(EdiDirection::parse("sideways"), None);
    }
}
