//! Reconciling what was sent with the acknowledgements that came back: each sent interchange,
//! group and set is accepted, accepted with errors, rejected, partly accepted (groups), overdue
//! (no acknowledgement within its window), pending, or not expecting one, at a given time. Pure:
//! the caller supplies what it sent, what it received and the time.

mod read;

pub use read::read_acks;

use crate::ack::AckKind;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

/// A set that was sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SentSet {
    /// ST01 and ST02.
    pub id: String,
    pub control: String,
}

/// A group that was sent, and the functional acknowledgement expected for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SentGroup {
    /// GS01 and GS06.
    pub functional_id: String,
    pub control: String,
    pub sets: Vec<SentSet>,
    /// Seconds after sending within which a 997 or 999 must arrive; `None` when none is expected.
    pub ack_within_seconds: Option<u64>,
}

/// An interchange that was sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SentInterchange {
    /// ISA13.
    pub control: String,
    pub sent_at: DateTime<Utc>,
    /// Seconds within which a TA1 must arrive (ISA14 was 1); `None` when none is expected.
    pub ta1_within_seconds: Option<u64>,
    pub groups: Vec<SentGroup>,
}

/// A received 997/999 response for one set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SetAck {
    pub id: String,
    pub control: String,
    /// AK501/IK501.
    pub code: String,
    /// AK502–AK506 / IK502–IK506.
    pub errors: Vec<String>,
    /// The AK3/AK4 (IK3/IK4) notes, as text.
    pub notes: Vec<String>,
}

/// A received 997 or 999 for one group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GroupAck {
    pub kind: AckKind,
    /// AK101 and AK102: the group acknowledged.
    pub functional_id: String,
    pub group_control: String,
    /// AK901.
    pub code: String,
    /// AK905–AK909.
    pub errors: Vec<String>,
    pub sets: Vec<SetAck>,
    /// ISA13 of the interchange that carried the acknowledgement.
    pub ack_interchange: String,
    pub received_at: DateTime<Utc>,
}

/// A received TA1.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Ta1Ack {
    /// TA101, TA104 and TA105.
    pub control: String,
    pub code: String,
    pub note: String,
    pub received_at: DateTime<Utc>,
}

/// A received acknowledgement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "level", rename_all = "snake_case")]
pub enum Received {
    Interchange(Ta1Ack),
    Group(GroupAck),
}

/// Where a sent interchange, group or set stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AckStatus {
    /// Acknowledged as accepted (A).
    Accepted,
    /// Accepted, with errors noted (E).
    AcceptedWithErrors,
    /// Some sets accepted, some rejected (P, groups only).
    Partial,
    /// Rejected (R, M, W, X).
    Rejected,
    /// Expected and not received within its window.
    Overdue,
    /// Expected, not received, still within its window.
    Pending,
    /// No acknowledgement is expected and none was received.
    NotExpected,
}

impl AckStatus {
    fn from_code(code: &str) -> AckStatus {
        match code {
            "A" => AckStatus::Accepted,
            "E" => AckStatus::AcceptedWithErrors,
            "P" => AckStatus::Partial,
            _ => AckStatus::Rejected,
        }
    }
}

/// The status of one sent set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SetStatus {
    pub id: String,
    pub control: String,
    pub status: AckStatus,
    /// Why, for sets with errors: AK5 codes and AK3/AK4 notes.
    pub errors: Vec<String>,
}

/// The status of one sent group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GroupStatus {
    pub functional_id: String,
    pub control: String,
    pub status: AckStatus,
    /// When the acknowledgement was due, when one is expected.
    pub due: Option<DateTime<Utc>>,
    pub acknowledged_at: Option<DateTime<Utc>>,
    /// The acknowledgement arrived after it was due.
    pub late: bool,
    pub kind: Option<AckKind>,
    pub sets: Vec<SetStatus>,
}

/// The status of one sent interchange (from its TA1) and of its groups.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InterchangeStatus {
    pub control: String,
    pub status: AckStatus,
    pub due: Option<DateTime<Utc>>,
    pub note: Option<String>,
    pub groups: Vec<GroupStatus>,
}

/// Status when nothing was received: overdue after `due`, pending before, or not expected.
fn waiting(due: Option<DateTime<Utc>>, now: DateTime<Utc>) -> AckStatus {
    match due {
        Some(due) if now > due => AckStatus::Overdue,
        Some(_) => AckStatus::Pending,
        None => AckStatus::NotExpected,
    }
}

/// When an acknowledgement sent at `sent_at` is due; windows are capped at ten years.
fn due(sent_at: DateTime<Utc>, within: Option<u64>) -> Option<DateTime<Utc>> {
    let seconds = i64::try_from(within?).unwrap_or(i64::MAX).min(10 * 365 * 86_400);
    Some(sent_at.checked_add_signed(Duration::seconds(seconds)).unwrap_or(DateTime::<Utc>::MAX_UTC))
}

/// Two control numbers are the same when equal as text or, both numeric, as numbers.
fn same_control(a: &str, b: &str) -> bool {
    let (a, b) = (a.trim(), b.trim());
    a == b || matches!((a.parse::<u64>(), b.parse::<u64>()), (Ok(x), Ok(y)) if x == y)
}

/// Classifies every sent interchange, group and set against the acknowledgements received, at
/// time `now`. When a group was acknowledged more than once, the latest acknowledgement counts.
pub fn reconcile(sent: &[SentInterchange], received: &[Received], now: DateTime<Utc>) -> Vec<InterchangeStatus> {
    sent.iter()
        .map(|i| {
            let ta1 = received
                .iter()
                .filter_map(|r| match r {
                    Received::Interchange(t) if same_control(&t.control, &i.control) => Some(t),
                    _ => None,
                })
                .max_by_key(|t| t.received_at);
            let due_ta1 = due(i.sent_at, i.ta1_within_seconds);
            let (status, note) = match ta1 {
                Some(t) => (AckStatus::from_code(&t.code), Some(t.note.clone()).filter(|n| !n.is_empty())),
                None => (waiting(due_ta1, now), None),
            };
            let groups = i.groups.iter().map(|g| group_status(i, g, received, now)).collect();
            InterchangeStatus { control: i.control.clone(), status, due: due_ta1, note, groups }
        })
        .collect()
}

fn group_status(i: &SentInterchange, g: &SentGroup, received: &[Received], now: DateTime<Utc>) -> GroupStatus {
    let ack = received
        .iter()
        .filter_map(|r| match r {
            Received::Group(a) if a.functional_id == g.functional_id && same_control(&a.group_control, &g.control) => {
                Some(a)
            }
            _ => None,
        })
        .max_by_key(|a| a.received_at);
    let due = due(i.sent_at, g.ack_within_seconds);
    let Some(ack) = ack else {
        let status = waiting(due, now);
        let sets = g
            .sets
            .iter()
            .map(|s| SetStatus { id: s.id.clone(), control: s.control.clone(), status, errors: Vec::new() })
            .collect();
        return GroupStatus {
            functional_id: g.functional_id.clone(),
            control: g.control.clone(),
            status,
            due,
            acknowledged_at: None,
            late: false,
            kind: None,
            sets,
        };
    };
    let group = AckStatus::from_code(&ack.code);
    let sets = g
        .sets
        .iter()
        .map(|s| {
            let response = ack.sets.iter().find(|r| r.id == s.id && same_control(&r.control, &s.control));
            let (status, errors) = match response {
                Some(r) => {
                    let mut errors: Vec<String> = r.errors.iter().map(|c| format!("AK5 code {c}")).collect();
                    errors.extend(r.notes.iter().cloned());
                    (AckStatus::from_code(&r.code), errors)
                }
                // A set the acknowledgement does not list shares an accepting group's status; in a
                // rejected or partial group it was not accepted.
                None => match group {
                    AckStatus::Accepted | AckStatus::AcceptedWithErrors => (group, Vec::new()),
                    _ => (AckStatus::Rejected, vec!["not listed in the acknowledgement".to_string()]),
                },
            };
            SetStatus { id: s.id.clone(), control: s.control.clone(), status, errors }
        })
        .collect();
    GroupStatus {
        functional_id: g.functional_id.clone(),
        control: g.control.clone(),
        status: group,
        due,
        acknowledged_at: Some(ack.received_at),
        late: due.is_some_and(|d| ack.received_at > d),
        kind: Some(ack.kind),
        sets,
    }
}
