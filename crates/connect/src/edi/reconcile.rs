//! Reconciling a partner's 997/999/TA1 acknowledgements against the interchanges we sent it, and turning
//! expected acknowledgements overdue once their window has passed.

use super::EdiError;
use chrono::{DateTime, Utc};
use crossdock_edi::PartnerConfig;
use crossdock_edi::reconcile::{AckStatus, Received, SentGroup, SentInterchange, SentSet, reconcile};
use crossdock_store::{
    AckState, EdiDirection, InterchangeAckUpdate, InterchangeFilter, InterchangeRecord, InterchangeStatus, MAX_PAGE,
    Store,
};

/// Applies the acknowledgements `acks` (read from one input of `partner`) to the sent interchanges still
/// waiting for one (expected or overdue); returns the ids of those updated.
pub async fn apply_acks(
    store: &dyn Store,
    partner: &PartnerConfig,
    acks: &[Received],
    now: DateTime<Utc>,
) -> Result<Vec<i64>, EdiError> {
    if acks.is_empty() {
        return Ok(Vec::new());
    }
    let mut waiting: Vec<InterchangeRecord> = Vec::new();
    for state in [AckState::Expected, AckState::Overdue] {
        let filter = InterchangeFilter {
            partner: Some(partner.id.clone()),
            direction: Some(EdiDirection::Outbound),
            ack_state: Some(state),
            limit: MAX_PAGE,
            ..Default::default()
        };
        waiting.extend(store.list_interchanges(&filter).await?);
    }
    let sent: Vec<SentInterchange> = waiting.iter().map(|r| sent(r, partner)).collect();
    let statuses = reconcile(&sent, acks, now);
    let mut updated = Vec::new();
    for (record, status) in waiting.iter().zip(statuses) {
        let acked_groups: Vec<_> = status.groups.iter().filter(|g| g.acknowledged_at.is_some()).collect();
        let ta1 = matches!(status.status, AckStatus::Accepted | AckStatus::AcceptedWithErrors | AckStatus::Rejected);
        if acked_groups.is_empty() && !ta1 {
            continue;
        }
        let set_statuses: Vec<AckStatus> = acked_groups.iter().flat_map(|g| g.sets.iter().map(|s| s.status)).collect();
        let taken = |s: &AckStatus| matches!(s, AckStatus::Accepted | AckStatus::AcceptedWithErrors);
        let new_status = if status.status == AckStatus::Rejected {
            InterchangeStatus::Rejected
        } else if acked_groups.iter().any(|g| g.status == AckStatus::Partial)
            || (set_statuses.iter().any(taken) && !set_statuses.iter().all(taken))
        {
            InterchangeStatus::PartiallyAccepted
        } else if (!set_statuses.is_empty() && !set_statuses.iter().any(taken))
            || acked_groups.iter().any(|g| g.status == AckStatus::Rejected)
        {
            InterchangeStatus::Rejected
        } else {
            InterchangeStatus::Accepted
        };
        let all_groups = acked_groups.len() == status.groups.len();
        let ack_state =
            if all_groups || ta1 && status.groups.is_empty() { AckState::Received } else { record.ack_state };
        let ack_control = acks.iter().find_map(|a| match a {
            Received::Group(g) if record.groups.iter().any(|s| s.control.trim() == g.group_control.trim()) => {
                Some(g.ack_interchange.trim().to_string())
            }
            _ => None,
        });
        let update = InterchangeAckUpdate {
            id: record.id,
            status: new_status,
            ack_state,
            ack_control,
            errors: serde_json::to_value(&status).unwrap_or_default(),
            at: now,
        };
        if store.update_interchange_ack(&update).await? {
            updated.push(record.id);
        }
    }
    updated.sort_unstable();
    Ok(updated)
}

fn sent(record: &InterchangeRecord, partner: &PartnerConfig) -> SentInterchange {
    SentInterchange {
        control: record.isa_control.clone(),
        sent_at: record.created_at,
        ta1_within_seconds: partner.ta1_within(),
        groups: record
            .groups
            .iter()
            .map(|g| SentGroup {
                functional_id: g.functional_id.clone(),
                control: g.control.clone(),
                sets: g.sets.iter().map(|s| SentSet { id: s.id.clone(), control: s.control.clone() }).collect(),
                ack_within_seconds: partner.functional_ack_within(),
            })
            .collect(),
    }
}

/// Turns every expected acknowledgement due before `now` overdue; returns the interchanges changed.
pub async fn mark_overdue(store: &dyn Store, now: DateTime<Utc>) -> Result<Vec<i64>, EdiError> {
    Ok(store.mark_overdue_acks(now).await?)
}
