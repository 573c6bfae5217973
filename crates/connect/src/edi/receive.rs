//! Receiving an interchange from a partner: plan it (`crossdock_edi::pipeline`), submit its commands to
//! the store under keys made of partner and control numbers, reconcile the acknowledgements it carries
//! against what we sent, record both interchanges, and only then write our 997/999 (and TA1) to the
//! outbox: a recording failure leaves the input to be received again without a 997 already out.
//!
//! A 997 is recorded with a marker (`Store::insert_received`) that is dropped once it is written. When the
//! write fails (an unwritable outbox) the input stays to be received again, and receiving the same bytes
//! again finds the marker and writes the 997 recorded the first time (same bytes, control numbers and file
//! name, in the outbox as configured now) instead of recording the input and a new 997 on every poll.

use super::folder::Outbox;
use super::reconcile::apply_acks;
use super::{EdiError, ack_record, set_groups};
use chrono::{DateTime, Utc};
use crossdock_edi::pipeline::{InboundIssue, InboundPlan, Outcome, identify_partner, plan_inbound};
use crossdock_edi::{ControlNumbers, EdiConfig};
use crossdock_store::{
    AckState, CommandRequest, EdiDirection, InterchangeGroup, InterchangeRecord, InterchangeSet, InterchangeStatus,
    NewInterchange, Store, SubmitError,
};
use serde::Serialize;

/// Where an input came from.
#[derive(Debug, Clone, Default)]
pub struct Source<'a> {
    /// The partner named by the HTTP path or the inbox folder; the ISA sender must be that partner.
    pub partner: Option<&'a str>,
    /// The file's path, or `http`.
    pub file: Option<String>,
}

/// What receiving an input did.
#[derive(Debug, Clone, Serialize)]
pub struct ReceiveOutcome {
    /// The inbound interchange record.
    pub interchange_id: i64,
    pub partner: String,
    pub isa_control: String,
    pub status: InterchangeStatus,
    /// Sets received and accepted (validated, mapped and submitted).
    pub sets: usize,
    pub accepted_sets: usize,
    /// Commands submitted, and how many of them had been submitted before (a resent file).
    pub commands: usize,
    pub replayed: usize,
    /// Sent interchanges whose acknowledgement this input carried.
    pub acknowledged: Vec<i64>,
    /// The 997/999 sent back, its record and where it was written.
    #[serde(skip)]
    pub ack: Option<Vec<u8>>,
    pub ack_id: Option<i64>,
    pub ack_file: Option<String>,
    pub issues: Vec<InboundIssue>,
}

/// Receives `input`; nothing is recorded when it fails (the commands submitted before a storage failure
/// are idempotent, so receiving the same input again is safe). The acknowledgement is written to `outbox`
/// after the records are: when that write fails the input is recorded but the error is returned, so that
/// it is received again once the outbox can be written, and then the acknowledgement recorded the first
/// time is written (the input is not recorded twice). Received again after its acknowledgement was
/// written, an input is recorded and acknowledged again (with new control numbers).
pub async fn receive(
    store: &dyn Store,
    config: &EdiConfig,
    input: &[u8],
    source: Source<'_>,
    outbox: Option<&Outbox>,
    now: DateTime<Utc>,
) -> Result<ReceiveOutcome, EdiError> {
    let partner = identify_partner(input, config, source.partner)?;
    let mut plan = plan_inbound(input, partner, now);
    resolve_references(store, &mut plan).await?;
    let origin = crossdock_store::Origin { source: source.file.clone(), request_id: None };
    let (commands, replayed) = submit(store, &mut plan, origin).await?;
    let acknowledged = apply_acks(store, partner, &plan.acks, now).await?;
    let (total, accepted) = plan.set_counts();
    // The bytes to record, and their hash when a 997 goes to an outbox (the marker's key), computed once
    // off the runtime's workers: an input can be hundreds of MiB.
    let (raw, hash) = match outbox {
        Some(_) => {
            let raw = input.to_vec();
            let hashed = tokio::task::spawn_blocking(move || {
                let hash = crossdock_store::input_hash(&raw);
                (raw, hash)
            })
            .await
            .map_err(|e| EdiError::Io {
                path: source.file.clone().unwrap_or_else(|| "input".into()),
                source: std::io::Error::other(format!("hashing the input failed: {e}")),
            })?;
            (hashed.0, Some(hashed.1))
        }
        None => (input.to_vec(), None),
    };
    if let (Some(outbox), Some(hash)) = (outbox, &hash)
        && let Some((inbound, ack, ack_file)) = write_unwritten_ack(store, &partner.id, hash, outbox).await?
    {
        return Ok(ReceiveOutcome {
            interchange_id: inbound.id,
            partner: partner.id.clone(),
            isa_control: inbound.isa_control,
            status: inbound.status,
            sets: total,
            accepted_sets: accepted,
            commands,
            replayed,
            acknowledged,
            ack: Some(ack.raw),
            ack_id: Some(ack.id),
            ack_file: Some(ack_file),
            issues: plan.issues,
        });
    }

    let (interchanges, groups) = plan.ack_numbers_needed();
    let mut ack = None;
    if interchanges > 0 {
        let block = store.allocate_control_numbers(&partner.id, interchanges, groups).await?;
        let mut numbers = ControlNumbers::after(block.interchange_before(), block.group_before());
        ack = plan.acknowledgement(&mut numbers, now);
    }
    let ack_control = ack.as_deref().and_then(super::isa_control);
    // Where the acknowledgement goes, recorded before it is written.
    let ack_path = match (&ack, outbox) {
        (Some(_), Some(outbox)) => {
            Some(outbox.free_path(&format!("{}-{}-ack.x12", partner.id, ack_control.as_deref().unwrap_or("ack"))))
        }
        _ => None,
    };
    let ack_file = ack_path.as_ref().map(|p| p.display().to_string());

    let envelope_ok =
        plan.report.interchanges.iter().all(|i| i.codes.iter().all(|c| c.1 != crossdock_edi::Severity::Error))
            && !plan.report.interchanges.is_empty();
    let status = match Outcome::of(total, accepted, envelope_ok) {
        Outcome::Accepted => InterchangeStatus::Accepted,
        Outcome::PartiallyAccepted => InterchangeStatus::PartiallyAccepted,
        Outcome::Rejected => InterchangeStatus::Rejected,
    };
    let groups: Vec<InterchangeGroup> = plan
        .groups
        .iter()
        .map(|g| InterchangeGroup {
            functional_id: g.functional_id.clone(),
            control: g.control.clone(),
            sets: g.sets.iter().map(|s| InterchangeSet { id: s.id.clone(), control: s.control.clone() }).collect(),
        })
        .collect();
    let pii_subjects = carried_subjects(store, &plan).await?;
    let record = NewInterchange {
        partner: partner.id.clone(),
        direction: EdiDirection::Inbound,
        isa_control: plan.isa_control.clone(),
        groups,
        status,
        ack_state: AckState::NotExpected,
        ack_due_at: None,
        ack_control: ack_control.clone(),
        file: source.file.clone(),
        raw,
        pii_subjects,
        errors: serde_json::to_value(&plan.issues).unwrap_or_default(),
        references: Vec::new(),
        created_at: now,
    };
    let ack_new = ack.as_ref().map(|bytes| ack_record(&partner.id, bytes, set_groups(bytes), ack_file.clone(), now));
    let ids = match (ack_new, outbox.zip(ack_path.as_ref()).zip(hash.as_deref())) {
        // To be written: recorded with a marker until it is.
        (Some(ack_new), Some(((outbox, path), hash))) => {
            let recorded = store.insert_received(&record, &ack_new, hash).await?;
            outbox.write_at(path, &ack_new.raw)?;
            // Should this fail, the next try writes the same 997 again, to the same path.
            store.ack_written(recorded.inbound_id).await?;
            vec![recorded.inbound_id, recorded.ack_id]
        }
        (Some(ack_new), None) => store.insert_interchanges(&[record, ack_new]).await?,
        (None, _) => store.insert_interchanges(&[record]).await?,
    };
    Ok(ReceiveOutcome {
        interchange_id: ids[0],
        partner: partner.id.clone(),
        isa_control: plan.isa_control,
        status,
        sets: total,
        accepted_sets: accepted,
        commands,
        replayed,
        acknowledged,
        ack,
        ack_id: ids.get(1).copied(),
        ack_file,
        issues: plan.issues,
    })
}

/// When an input hashing to `hash` was received from `partner` before and its acknowledgement recorded but
/// not written, writes that acknowledgement to `outbox` under the file name recorded for it (the outbox as
/// configured now: the EDI root may have moved since) and returns the two records and the path written.
async fn write_unwritten_ack(
    store: &dyn Store,
    partner: &str,
    hash: &str,
    outbox: &Outbox,
) -> Result<Option<(InterchangeRecord, InterchangeRecord, String)>, EdiError> {
    let Some(unwritten) = store.unwritten_ack(partner, hash).await? else { return Ok(None) };
    let inbound = store.interchange(unwritten.inbound_id).await?;
    let ack = store.interchange(unwritten.ack_id).await?;
    let (Some(inbound), Some(ack)) = (inbound, ack.filter(|a| a.raw.starts_with(b"ISA"))) else {
        // Records gone or unreadable (deleted by hand, a key erased): nothing to write; receive afresh.
        store.ack_written(unwritten.inbound_id).await?;
        return Ok(None);
    };
    let recorded_name = ack.file.as_deref().and_then(|f| std::path::Path::new(f).file_name());
    let path = match recorded_name {
        Some(name) => outbox.0.join(name),
        None => outbox.free_path(&format!("{partner}-{}-ack.x12", ack.isa_control)),
    };
    outbox.write_at(&path, &ack.raw)?;
    // Should this fail, the next poll writes the same 997 (same control number) again: acceptable, a
    // partner takes a repeated 997 as a repeat.
    store.ack_written(unwritten.inbound_id).await?;
    Ok(Some((inbound, ack, path.display().to_string())))
}

/// How many orders sharing a short reference's prefix are hashed against it at most, for a reference that
/// was not recorded.
const REFERENCE_CANDIDATES: u32 = 100_000;

/// Puts back the order id of a shipment confirmation whose W0602 echoes the short reference a 940 sent in
/// W0502 for an id over 22 characters (`fit_reference`): the order recorded with the reference when the
/// 940 was sent to this partner. A W0602 that names an order as it is, or that no order shortens to, is
/// left as it came (and refused as an unknown order if it is one).
async fn resolve_references(store: &dyn Store, plan: &mut InboundPlan) -> Result<(), EdiError> {
    use crossdock_edi::outbound::{W05_REFERENCE, fit_reference, shortened_prefix};
    for planned in &mut plan.commands {
        let crossdock_model::Command::ConfirmShipment { order_id, .. } = &mut planned.command else { continue };
        let Some(prefix) = shortened_prefix(order_id.as_str(), W05_REFERENCE) else { continue };
        if store.order(order_id).await?.is_some() {
            continue;
        }
        if let Some(id) = store.referenced_order(&plan.partner.id, order_id.as_str()).await? {
            *order_id = id;
            continue;
        }
        // 940s sent before references were recorded (schema 10 on SQLite, 11 on PostgreSQL): among the
        // orders whose id starts with the reference's prefix, the one that shortens to it. This fallback can
        // go once no 945 for such a 940 is still to come.
        let candidates = store.order_ids_with_prefix(prefix, REFERENCE_CANDIDATES).await?;
        if let Some(id) =
            candidates.into_iter().find(|id| fit_reference(id.as_str(), W05_REFERENCE) == order_id.as_str())
        {
            *order_id = id;
        }
    }
    Ok(())
}

/// The data-key subjects of the customers whose PII the interchange carries: those of the orders it
/// places, and of the orders its other documents (945 shipments, 870 statuses…) name, so that erasing
/// any of them makes the stored copy unreadable.
async fn carried_subjects(store: &dyn Store, plan: &InboundPlan) -> Result<Vec<String>, EdiError> {
    let mut subjects = Vec::new();
    for planned in &plan.commands {
        match &planned.command {
            crossdock_model::Command::PlaceOrder(p) => {
                subjects.push(crossdock_store::pii::subject_for(p.customer.as_ref(), &p.id));
            }
            command => {
                if let Some(order) = match command.order_id() {
                    Some(id) => store.order(id).await?,
                    None => None,
                } {
                    subjects.push(crossdock_store::pii::subject_of(&order));
                }
            }
        }
    }
    subjects.sort();
    subjects.dedup();
    Ok(subjects)
}

/// Submits the plan's commands in one batch; a refused command marks its set not accepted and adds an
/// issue. A storage failure stops receiving.
async fn submit(
    store: &dyn Store,
    plan: &mut InboundPlan,
    origin: crossdock_store::Origin,
) -> Result<(usize, usize), EdiError> {
    if plan.commands.is_empty() {
        return Ok((0, 0));
    }
    let actor = format!("system:edi:{}", plan.partner.id);
    let requests: Vec<CommandRequest> = plan
        .commands
        .iter()
        .map(|c| CommandRequest {
            idempotency_key: c.idempotency_key.clone(),
            command: c.command.clone(),
            actor: actor.clone(),
            expected_version: None,
            origin: origin.clone(),
        })
        .collect();
    let outcomes = store.submit_batch(requests).await;
    let mut replayed = 0;
    for (planned, outcome) in plan.commands.iter().zip(outcomes) {
        match outcome {
            Ok(receipt) => replayed += usize::from(receipt.replayed),
            Err(SubmitError::Storage(e)) => return Err(EdiError::Store(e)),
            Err(e) => {
                // By position: another set with the same ST01/ST02 (a repeated interchange) may be fine.
                let (g, s) = planned.at;
                if let Some(set) = plan.groups.get_mut(g).and_then(|g| g.sets.get_mut(s)) {
                    set.accepted = false;
                }
                plan.issues.push(InboundIssue::Submission {
                    set: planned.set.clone(),
                    control: planned.control.clone(),
                    key: planned.idempotency_key.clone(),
                    message: e.to_string(),
                });
            }
        }
    }
    Ok((plan.commands.len(), replayed))
}
