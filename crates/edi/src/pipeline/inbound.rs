//! Planning a received interchange without IO: who sent it, what validation found, which sets map to
//! which canonical commands under which idempotency keys, which acknowledgements it carries for what we
//! sent, and the 997/999 (with TA1 on envelope faults) to send back.

use super::Stage;
use crate::ack::{AckKind, AckOptions, acknowledge};
use crate::envelope::{Acceptance, Mode, Report, validate_with_schemas};
use crate::error::Issue;
use crate::map::{MapError, map_set};
use crate::partner::{EdiConfig, PartnerConfig};
use crate::reconcile::{Received, read_acks};
use crate::tree::parse;
use crate::writer::ControlNumbers;
use chrono::{DateTime, Utc};
use crossdock_model::Command;
use serde::Serialize;

/// Why a received input could not be planned at all (nothing is recorded or submitted).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InboundError {
    #[error("the input has no readable ISA segment: {0}")]
    NoInterchange(String),
    #[error("ISA sender {qualifier}/{id} is not a configured partner")]
    UnknownSender { qualifier: String, id: String },
    #[error("ISA sender {qualifier}/{id} is partner {actual:?}, not {expected:?}")]
    WrongPartner { qualifier: String, id: String, expected: String, actual: String },
    #[error("no partner {0:?} is configured")]
    UnknownPartner(String),
}

/// One problem found while receiving, as stored with the interchange and returned by the API.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "stage", rename_all = "snake_case")]
pub enum InboundIssue {
    /// Envelope or schema validation (errors and warnings, with position and X12 code).
    Validation(Issue),
    /// Mapping a valid set to canonical commands.
    Mapping(MapError),
    /// The store refused a command (rejected by the engine, key reused, storage failure).
    Submission { set: String, control: String, key: String, message: String },
}

impl InboundIssue {
    pub fn stage(&self) -> Stage {
        match self {
            InboundIssue::Validation(_) => Stage::Validation,
            InboundIssue::Mapping(_) => Stage::Mapping,
            InboundIssue::Submission { .. } => Stage::Submission,
        }
    }
}

/// A received set and what became of it so far.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlannedSet {
    pub id: String,
    pub control: String,
    /// Validation accepted it (possibly with errors noted) and, for sets with a mapping, it mapped.
    pub accepted: bool,
}

/// A received group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlannedGroup {
    pub functional_id: String,
    pub control: String,
    pub sets: Vec<PlannedSet>,
}

/// A canonical command to submit, with the key that makes a resubmitted file change nothing.
#[derive(Debug, Clone, PartialEq)]
pub struct PlannedCommand {
    /// `edi:<partner>:<ISA13>:<GS06>:<ST02>`, with `:<n>` after it when a set yields several commands;
    /// an ISA13, GS06 or ST02 that repeats an earlier one of the input, interchange or group (accepted
    /// only from a lenient partner) is written `<control>.<position>`, except that a byte-identical copy
    /// of an earlier interchange has that interchange's keys.
    pub idempotency_key: String,
    /// ST01 and ST02 of the set it came from.
    pub set: String,
    pub control: String,
    /// Where that set is: its group's index in [`InboundPlan::groups`] and its index in the group
    /// (ST01/ST02 may repeat in an input, so they do not tell sets apart).
    pub at: (usize, usize),
    pub command: Command,
}

/// What to do with one received input.
#[derive(Debug, Clone)]
pub struct InboundPlan {
    pub partner: PartnerConfig,
    /// ISA13 of the first interchange (as received).
    pub isa_control: String,
    pub report: Report,
    pub groups: Vec<PlannedGroup>,
    pub commands: Vec<PlannedCommand>,
    /// Acknowledgements (997/999 groups, TA1s) it carries for interchanges we sent.
    pub acks: Vec<Received>,
    pub issues: Vec<InboundIssue>,
}

/// The key under which a set's `n`-th command (of `count`) is submitted.
pub fn idempotency_key(partner: &str, isa: &str, gs: &str, st: &str, n: usize, count: usize) -> String {
    let base = format!("edi:{partner}:{}:{}:{}", isa.trim(), gs.trim(), st.trim());
    if count > 1 { format!("{base}:{}", n + 1) } else { base }
}

/// The partner that sent `input`: the one named (from the HTTP path or the inbox folder), which must
/// match the ISA sender, or else the one whose ISA qualifier and id the sender has.
pub fn identify_partner<'c>(
    input: &[u8],
    config: &'c EdiConfig,
    named: Option<&str>,
) -> Result<&'c PartnerConfig, InboundError> {
    let named = match named {
        Some(id) => Some(config.partner(id).ok_or_else(|| InboundError::UnknownPartner(id.to_string()))?),
        None => None,
    };
    let isa = match crate::tokenizer::Segments::new(input).next() {
        Some(Ok(seg)) if seg.is(b"ISA") => seg,
        Some(Err(e)) => return Err(InboundError::NoInterchange(e.to_string())),
        _ => return Err(InboundError::NoInterchange("the input does not start with an ISA segment".into())),
    };
    let (qualifier, id) = (isa.element_str(5).trim().to_string(), isa.element_str(6).trim().to_string());
    let by_isa = config.partner_by_isa(&qualifier, &id);
    match (named, by_isa) {
        (Some(n), Some(s)) if n.id != s.id => {
            Err(InboundError::WrongPartner { qualifier, id, expected: n.id.clone(), actual: s.id.clone() })
        }
        (Some(n), Some(_)) => Ok(n),
        (Some(n), None) => {
            Err(InboundError::WrongPartner { qualifier, id, expected: n.id.clone(), actual: "none".into() })
        }
        (None, Some(s)) => Ok(s),
        (None, None) => Err(InboundError::UnknownSender { qualifier, id }),
    }
}

/// Validates `input` for `partner` (strictly unless the partner is lenient, with schemas), maps every
/// accepted set that has a mapping, and reads the acknowledgements it carries.
pub fn plan_inbound(input: &[u8], partner: &PartnerConfig, received_at: DateTime<Utc>) -> InboundPlan {
    let mode = if partner.lenient { Mode::Lenient } else { Mode::Strict };
    let report = validate_with_schemas(input, mode);
    let mut issues: Vec<InboundIssue> = report.issues.iter().cloned().map(InboundIssue::Validation).collect();
    let isa_control = report.interchanges.first().map(|i| i.control.trim().to_string()).unwrap_or_default();
    // Planned groups by position: (interchange, group) index in the input, as the parse below sees them.
    let mut groups: Vec<((usize, usize), PlannedGroup)> = Vec::new();
    for (ii, i) in report.interchanges.iter().enumerate() {
        for (gi, g) in i.groups.iter().enumerate() {
            let sets = g
                .sets
                .iter()
                .map(|s| PlannedSet {
                    id: s.id.clone(),
                    control: s.control.clone(),
                    accepted: s.closed
                        && s.acceptance() != Acceptance::Rejected
                        && g.acceptance() != Acceptance::Rejected,
                })
                .collect();
            groups.push((
                (ii, gi),
                PlannedGroup { functional_id: g.functional_id.clone(), control: g.control.clone(), sets },
            ));
        }
    }
    // An interchange with an envelope error (a TA1 rejection: a repeated ISA13, a wrong IEA) is refused
    // whole; the others in the same input are taken as usual.
    let refused: Vec<bool> =
        report.interchanges.iter().map(|i| i.codes.iter().any(|c| c.1 == crate::Severity::Error)).collect();
    for ((ii, _), g) in &mut groups {
        if refused.get(*ii).copied().unwrap_or(true) {
            g.sets.iter_mut().for_each(|s| s.accepted = false);
        }
    }
    let isa_keys = isa_key_controls(&report, input);
    let mut commands = Vec::new();
    if let Ok(doc) = parse(input) {
        let opts = partner.inbound_options();
        for (ii, i) in doc.interchanges.iter().enumerate() {
            if refused.get(ii).copied().unwrap_or(false) {
                continue;
            }
            for (gi, g) in i.groups.iter().enumerate() {
                for (si, set) in g.sets.iter().enumerate() {
                    if matches!(set.id.as_str(), "997" | "999") {
                        continue;
                    }
                    // Matched by position, not by control numbers: those may repeat (validation reports
                    // that) or be padded differently in the report and the parse.
                    let lined_up = planned_set(&mut groups, ii, gi, si)
                        .is_some_and(|ps| ps.id.trim() == set.id && ps.control.trim() == set.control);
                    if !lined_up {
                        // Validation and parsing read envelopes alike; if they ever disagree the set is
                        // refused with a reason rather than mapped under another set's verdict.
                        if let Some(ps) = planned_set(&mut groups, ii, gi, si) {
                            ps.accepted = false;
                        }
                        issues.push(InboundIssue::Mapping(MapError {
                            set: set.id.clone(),
                            control: set.control.clone(),
                            segment_index: Some(set.header.index),
                            segment_id: Some("ST".into()),
                            element: None,
                            message: "the set does not line up with the validated one and was not mapped".into(),
                        }));
                        continue;
                    }
                    let Some(at) = groups.iter().position(|(at, _)| *at == (ii, gi)).map(|g| (g, si)) else {
                        continue;
                    };
                    let Some(ps) = planned_set(&mut groups, ii, gi, si) else { continue };
                    if !ps.accepted {
                        continue;
                    }
                    // A repeated GS06 or ST02 (tolerated in lenient mode) is told apart by its position, so
                    // the repeat gets keys of its own, the same on every resubmission; ISA13: see isa_key_controls.
                    let isa = isa_keys.get(ii).cloned().unwrap_or_else(|| i.control.clone());
                    let gs = unique_control(&g.control, i.groups[..gi].iter().any(|e| e.control == g.control), gi);
                    let st = unique_control(&set.control, g.sets[..si].iter().any(|e| e.control == set.control), si);
                    match map_set(set, &opts) {
                        Ok(canonical) => {
                            let cmds = canonical.commands();
                            let count = cmds.len();
                            for (n, command) in cmds.into_iter().enumerate() {
                                commands.push(PlannedCommand {
                                    idempotency_key: idempotency_key(&partner.id, &isa, &gs, &st, n, count),
                                    set: set.id.clone(),
                                    control: set.control.clone(),
                                    at,
                                    command,
                                });
                            }
                        }
                        Err(errs) => {
                            ps.accepted = false;
                            issues.extend(errs.0.into_iter().map(InboundIssue::Mapping));
                        }
                    }
                }
            }
        }
    } else {
        for (_, g) in &mut groups {
            for s in &mut g.sets {
                s.accepted = false;
            }
        }
    }
    let acks = read_acks(input, received_at).unwrap_or_default();
    InboundPlan {
        partner: partner.clone(),
        isa_control,
        report,
        groups: groups.into_iter().map(|(_, g)| g).collect(),
        commands,
        acks,
        issues,
    }
}

/// A control number for an idempotency key: itself, or `<control>.<n>` (1-based position `index`)
/// when it repeats an earlier one of its input, interchange or group.
fn unique_control(control: &str, repeated: bool, index: usize) -> String {
    if repeated { format!("{}.{}", control.trim(), index + 1) } else { control.to_string() }
}

/// The ISA13 part of the keys of each interchange of the report: ISA13 itself, unless validation found
/// the interchange repeats the ISA13 of an earlier one from the same sender. Such a repeat that is a
/// byte-identical copy of an earlier one (a file sent with its interchange twice) takes that one's keys,
/// so its commands replay harmlessly; another repeat (tolerated from a lenient partner only) is told
/// apart as `<ISA13>.<position>`. Interchanges of other senders are no repeat and keep plain keys.
fn isa_key_controls(report: &Report, input: &[u8]) -> Vec<String> {
    let bytes = |r: &std::ops::Range<u64>| input.get(usize::try_from(r.start).ok()?..usize::try_from(r.end).ok()?);
    let mut keys: Vec<String> = Vec::with_capacity(report.interchanges.len());
    for (ii, i) in report.interchanges.iter().enumerate() {
        let key = match i.repeats {
            None => i.control.clone(),
            Some(first) => {
                let same = |(j, e): &(usize, &crate::envelope::InterchangeSummary)| {
                    (*j == first || e.repeats == Some(first))
                        && bytes(&e.bytes).is_some_and(|b| Some(b) == bytes(&i.bytes))
                };
                match report.interchanges[..ii].iter().enumerate().find(same) {
                    Some((j, _)) => keys[j].clone(),
                    None => unique_control(&i.control, true, ii),
                }
            }
        };
        keys.push(key);
    }
    keys
}

/// The planned set at input position (interchange, group, set).
fn planned_set(
    groups: &mut [((usize, usize), PlannedGroup)],
    ii: usize,
    gi: usize,
    si: usize,
) -> Option<&mut PlannedSet> {
    groups.iter_mut().find(|(at, _)| *at == (ii, gi)).and_then(|(_, g)| g.sets.get_mut(si))
}

impl InboundPlan {
    /// The acknowledgement kind the partner gets back, if any.
    pub fn ack_kind(&self) -> Option<AckKind> {
        match self.partner.acks.send.as_str() {
            "997" => Some(AckKind::Fa997),
            "999" => Some(AckKind::Fa999),
            _ => None,
        }
    }

    /// How many reply interchanges and groups [`InboundPlan::acknowledgement`] writes (to allocate control
    /// numbers for): one interchange per received one, one group in each that had groups.
    pub fn ack_numbers_needed(&self) -> (u32, u32) {
        if self.ack_kind().is_none() {
            return (0, 0);
        }
        let n = self.report.interchanges.len() as u32;
        let groups = self.report.interchanges.iter().filter(|i| i.groups.iter().any(|g| g.has_header)).count() as u32;
        (n, groups)
    }

    /// The 997/999 reply (with a TA1 when asked for or on envelope faults) written with `numbers`;
    /// `None` when the partner gets none or there is nothing to acknowledge. Acknowledgements are never
    /// acknowledged themselves.
    pub fn acknowledgement(&self, numbers: &mut ControlNumbers, at: DateTime<Utc>) -> Option<Vec<u8>> {
        let kind = self.ack_kind()?;
        if self.report.interchanges.is_empty() || self.carries_only_acks() {
            return None;
        }
        let opts = AckOptions {
            kind,
            date: at.format("%y%m%d").to_string(),
            time: at.format("%H%M").to_string(),
            delimiters: None,
            always_ta1: false,
        };
        acknowledge(&self.report, &opts, numbers).ok().filter(|b| !b.is_empty())
    }

    /// True when every set is a 997/999 (or there are only TA1s).
    pub fn carries_only_acks(&self) -> bool {
        let sets: Vec<&PlannedSet> = self.groups.iter().flat_map(|g| &g.sets).collect();
        !self.acks.is_empty() && sets.iter().all(|s| matches!(s.id.as_str(), "997" | "999"))
    }

    /// Sets received, and how many of them were accepted and mapped.
    pub fn set_counts(&self) -> (usize, usize) {
        let sets = self.groups.iter().flat_map(|g| &g.sets);
        let (mut total, mut accepted) = (0, 0);
        for s in sets {
            total += 1;
            accepted += usize::from(s.accepted);
        }
        (total, accepted)
    }
}
