//! EDI with trading partners, the IO half: receiving interchanges (folder inbox or HTTP) into the store,
//! acknowledging them, reconciling the partners' acknowledgements, and sending 855/856/810/940 generated
//! from the event log with control numbers from the store. The pure half is `crossdock_edi::pipeline`.

mod folder;
mod receive;
mod reconcile;
mod runner;
mod send;

pub use crossdock_edi::EdiConfig;
pub use crossdock_edi::pipeline::InboundError;
pub use folder::{FileOutcome, Outbox, PartnerFolders, is_plain_folder_name, poll_inboxes};
pub use receive::{ReceiveOutcome, Source, receive};
pub use reconcile::{apply_acks, mark_overdue};
pub use runner::{configured_interval, pass, run};
pub use send::{OUTBOUND_SUBSCRIPTION, SendReport, send_document, send_from_events};

use chrono::{DateTime, Utc};
use crossdock_store::{
    AckState, EdiDirection, InterchangeGroup, InterchangeSet, InterchangeStatus, NewInterchange, StoreError,
};

/// Why receiving or sending stopped.
#[derive(Debug, thiserror::Error)]
pub enum EdiError {
    /// The input names no configured partner or has no ISA: it is refused as a whole.
    #[error(transparent)]
    Refused(#[from] InboundError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{path}: {source}")]
    Io { path: String, source: std::io::Error },
    /// An inbox file over the size cap (the file inbox's): moved to `failed` unread.
    #[error("{path}: the file is larger than {limit} bytes")]
    TooLarge { path: String, limit: u64 },
    /// An outbound document could not be enveloped or failed strict validation.
    #[error("partner {partner}: {message}")]
    Outbound { partner: String, message: String },
}

/// ISA13 of the first interchange of `bytes`, trimmed.
pub(crate) fn isa_control(bytes: &[u8]) -> Option<String> {
    let seg = crossdock_edi::Segments::new(bytes).next()?.ok()?;
    seg.is(b"ISA").then(|| seg.element_str(13).trim().to_string())
}

/// The groups and sets (GS01/GS06, ST01/ST02) of an interchange we wrote.
pub(crate) fn set_groups(bytes: &[u8]) -> Vec<InterchangeGroup> {
    let mut groups: Vec<InterchangeGroup> = Vec::new();
    for seg in crossdock_edi::Segments::new(bytes).flatten() {
        if seg.is(b"GS") {
            groups.push(InterchangeGroup {
                functional_id: seg.element_str(1),
                control: seg.element_str(6),
                sets: Vec::new(),
            });
        } else if seg.is(b"ST")
            && let Some(g) = groups.last_mut()
        {
            g.sets.push(InterchangeSet { id: seg.element_str(1), control: seg.element_str(2) });
        }
    }
    groups
}

/// The record of an acknowledgement we sent: acknowledgements are not acknowledged.
pub(crate) fn ack_record(
    partner: &str,
    bytes: &[u8],
    groups: Vec<InterchangeGroup>,
    file: Option<String>,
    now: DateTime<Utc>,
) -> NewInterchange {
    NewInterchange {
        partner: partner.to_string(),
        direction: EdiDirection::Outbound,
        isa_control: isa_control(bytes).unwrap_or_default(),
        groups,
        status: InterchangeStatus::Sent,
        ack_state: AckState::NotExpected,
        ack_due_at: None,
        ack_control: None,
        file,
        raw: bytes.to_vec(),
        pii_subjects: Vec::new(),
        errors: serde_json::json!([]),
        references: Vec::new(),
        created_at: now,
    }
}
