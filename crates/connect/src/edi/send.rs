//! Sending documents generated from the event log: a cursor over the log (a subscription row named
//! [`OUTBOUND_SUBSCRIPTION`], so its lag shows with the others), for each event the 855/856/810/940 that
//! partners receive, each in its own interchange with control numbers allocated from the store, written
//! to the partner's outbox and recorded as sent (with its acknowledgement expected by the partner's window).
//!
//! At least once: the cursor moves after the files are written and recorded; a crash in between sends
//! those documents again (with new control numbers; partners dedupe on BAK/BSN/BIG/W05 references).
//! A 940 for an order id too long for W0502 sends its short reference (`fit_reference`), recorded with the
//! interchange so that the 945 echoing it resolves by lookup. The 856's BSN02 and the 810's BIG02 shorten
//! shipment ids too, but nothing we receive echoes them (997s name control numbers), so they are not recorded.
//! An outbox that cannot be written (full disk, permissions) stops the pass at that event: the cursor
//! stays before it, so it is tried again next pass (documents of that event already written for other
//! partners are written again). A document that cannot be built or enveloped from its event (bad data or
//! partner config) will not succeed later: it is logged as an error, listed in [`SendReport::failed`] and
//! skipped.

use super::folder::Outbox;
use super::{EdiError, isa_control, set_groups};
use chrono::{DateTime, Duration, Utc};
use crossdock_edi::pipeline::{OutboundDocument, documents_for_event, order_needed};
use crossdock_edi::{ControlNumbers, EdiConfig, write_interchange};
use crossdock_model::Order;
use crossdock_store::{
    AckState, EdiDirection, InterchangeStatus, NewInterchange, ScheduleBatch, SentReference, Store, SubscriptionStart,
};
use serde::Serialize;
use std::path::Path;

/// The subscription row whose cursor tracks how far outbound EDI has read the log.
pub const OUTBOUND_SUBSCRIPTION: &str = "edi-outbound";

/// What one pass sent.
#[derive(Debug, Clone, Default, Serialize)]
pub struct SendReport {
    /// Events handled and the cursor after them.
    pub events: usize,
    pub cursor: i64,
    /// Records of the interchanges sent.
    pub sent: Vec<i64>,
    /// Documents skipped because they cannot be built or enveloped, as `<partner>: <reason>`.
    pub failed: Vec<String>,
    /// Why the pass stopped before the last event examined (an outbox that cannot be written); the
    /// events from there on are examined again next pass.
    pub blocked: Option<String>,
}

/// Examines up to `limit` events after the cursor and sends what they call for to the outboxes under
/// `root`. Starts at the head of the log the first time (documents are not back-filled).
pub async fn send_from_events(
    store: &dyn Store,
    config: &EdiConfig,
    root: &Path,
    limit: u32,
    now: DateTime<Utc>,
) -> Result<SendReport, EdiError> {
    let cursor = store.register_subscription(OUTBOUND_SUBSCRIPTION, "edi", SubscriptionStart::Head).await?;
    let events = store.events_after(cursor, limit).await?;
    let mut report = SendReport { cursor, ..Default::default() };
    let mut handled = cursor;
    'events: for recorded in &events {
        let order = match order_needed(&recorded.payload) {
            Some(id) => store.order(id).await?,
            None => None,
        };
        // Whose PII the documents carry: erasing that customer must make the stored copies unreadable.
        let placed = match &recorded.payload {
            crossdock_model::Event::OrderPlaced { order } => Some(order.as_ref()),
            _ => None,
        };
        let subjects: Vec<String> =
            placed.or(order.as_ref()).map(crossdock_store::pii::subject_of).into_iter().collect();
        for doc in documents_for_event(config, &recorded.payload, order.as_ref()) {
            match doc {
                Ok(doc) => match send_document(store, config, root, &doc, &subjects, order.as_ref(), now).await {
                    Ok(id) => report.sent.push(id),
                    Err(EdiError::Store(e)) => return Err(EdiError::Store(e)),
                    // May succeed later: keep the cursor before this event.
                    Err(e @ EdiError::Io { .. }) => {
                        report.blocked = Some(format!("{}: {}: {e}", doc.partner, doc.reference));
                        break 'events;
                    }
                    Err(e) => {
                        tracing::error!(partner = %doc.partner, seq = recorded.seq, reference = %doc.reference,
                            error = %e, "outbound EDI document skipped");
                        report.failed.push(format!("{}: {}: {e}", doc.partner, doc.reference));
                    }
                },
                Err((partner, e)) => {
                    tracing::error!(%partner, seq = recorded.seq, error = %e, "outbound EDI document not built, skipped");
                    report.failed.push(format!("{partner}: event {}: {e}", recorded.seq));
                }
            }
        }
        handled = recorded.seq;
        report.events += 1;
    }
    if handled != cursor {
        let batch = ScheduleBatch {
            subscription: OUTBOUND_SUBSCRIPTION.into(),
            system: "edi".into(),
            expected_cursor: cursor,
            new_cursor: handled,
            deliveries: Vec::new(),
            now,
        };
        if !store.schedule(&batch).await? {
            tracing::warn!("another process moved the outbound EDI cursor; documents of this pass may be sent twice");
        }
        report.cursor = handled;
    }
    Ok(report)
}

/// The short reference a 940 for `order` sent in W0502 in place of an order id over 22 characters.
fn shortened_references(doc: &OutboundDocument, order: Option<&Order>) -> Vec<SentReference> {
    let Some(order) = order.filter(|_| doc.set.id == "940") else { return Vec::new() };
    let w0502 = doc.set.body.iter().find(|s| s.id == b"W05").and_then(|s| s.value(2));
    match w0502.map(String::from_utf8_lossy) {
        Some(sent) if sent != order.id.as_str() => {
            vec![SentReference { reference: sent.into_owned(), order_id: order.id.clone() }]
        }
        _ => Vec::new(),
    }
}

/// Envelopes one document for its partner with fresh control numbers, writes it to the outbox and
/// records it (sealed under `pii_subjects`, the data-key subjects of the customers it names) with the
/// short reference it sent for the id of `order`, the order it is for, when that id was too long; returns
/// the record's id.
pub async fn send_document(
    store: &dyn Store,
    config: &EdiConfig,
    root: &Path,
    doc: &OutboundDocument,
    pii_subjects: &[String],
    order: Option<&Order>,
    now: DateTime<Utc>,
) -> Result<i64, EdiError> {
    let refused = |message: String| EdiError::Outbound { partner: doc.partner.clone(), message };
    let partner = config.partner(&doc.partner).ok_or_else(|| refused("no such partner".into()))?;
    let envelope = config
        .envelope(partner)
        .map_err(|errs| refused(errs.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ")))?;
    let block = store.allocate_control_numbers(&partner.id, 1, 1).await?;
    let mut numbers = ControlNumbers::after(block.interchange_before(), block.group_before());
    let bytes = write_interchange(&envelope, std::slice::from_ref(&doc.set), &mut numbers, now)
        .map_err(|e| refused(e.to_string()))?;
    let control = isa_control(&bytes).unwrap_or_default();
    let outbox = Outbox(super::PartnerFolders::new(root, &partner.id).outbox.0);
    let file = outbox.write(&format!("{}-{control}-{}.x12", partner.id, doc.set.id), &bytes)?;
    let due = partner.functional_ack_within().or(partner.ta1_within());
    let record = NewInterchange {
        partner: partner.id.clone(),
        direction: EdiDirection::Outbound,
        isa_control: control,
        groups: set_groups(&bytes),
        status: InterchangeStatus::Sent,
        ack_state: if due.is_some() { AckState::Expected } else { AckState::NotExpected },
        ack_due_at: due
            .map(|s| now + Duration::seconds(i64::try_from(s).unwrap_or(i64::MAX / 2).min(10 * 365 * 86_400))),
        ack_control: None,
        file: Some(file.display().to_string()),
        raw: bytes,
        pii_subjects: pii_subjects.to_vec(),
        errors: serde_json::json!({ "reference": doc.reference }),
        references: shortened_references(doc, order),
        created_at: now,
    };
    let ids = store.insert_interchanges(std::slice::from_ref(&record)).await?;
    Ok(ids[0])
}
