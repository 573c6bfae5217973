//! A WMS count snapshot against the hub's on-hand at one location: one count per sku the snapshot names,
//! plus — for a complete snapshot — a count of zero for every sku the hub holds there that the snapshot
//! does not name. The counts become `CountInventory` commands (the adjustments, recorded as
//! `inventory.counted` events with the previous on-hand); the report gives the differences and the
//! snapshot's inventory accuracy as the brief defines it: the share of sku-locations where the hub's
//! on-hand equals the count, and `1 − Σ|hub − count| / Σ count` for units.

use crossdock_model::{Command, InventoryPosition, LocationId, Sku};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// One counted sku.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SnapshotLine {
    pub sku: Sku,
    pub counted: i64,
}

/// A sku whose count differs from the hub's on-hand.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CountAdjustment {
    pub sku: Sku,
    pub on_hand: i64,
    pub counted: i64,
    /// `counted − on_hand`.
    pub difference: i64,
    /// True when the snapshot did not name the sku and it was counted as zero.
    pub absent_from_snapshot: bool,
}

/// What a snapshot found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SnapshotReport {
    pub location: LocationId,
    /// Sku-locations compared.
    pub skus: u64,
    /// Of them, where the hub's on-hand equalled the count.
    pub matched: u64,
    pub adjustments: Vec<CountAdjustment>,
    /// `matched / skus`; null when nothing was compared.
    pub sku_accuracy: Option<f64>,
    /// `1 − Σ|hub − count| / Σ count`; null when nothing was counted.
    pub unit_accuracy: Option<f64>,
}

/// Why a snapshot was refused (nothing of it is applied).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SnapshotError {
    #[error("/counts/{index}/counted: {counted} is below zero")]
    Negative { index: usize, counted: i64 },
    #[error("/counts/{index}/sku: {sku} is counted twice (first at /counts/{first})")]
    Duplicate { index: usize, first: usize, sku: Sku },
}

impl SnapshotError {
    /// The JSON pointer of the fault.
    pub fn pointer(&self) -> String {
        match self {
            Self::Negative { index, .. } => format!("/counts/{index}/counted"),
            Self::Duplicate { index, .. } => format!("/counts/{index}/sku"),
        }
    }
}

/// Compares `counts` with the hub's `positions` at `location` (positions elsewhere are ignored) and
/// returns the commands that record every count, and the report.
pub fn reconcile_snapshot(
    location: &LocationId,
    positions: &[InventoryPosition],
    counts: &[SnapshotLine],
    complete: bool,
) -> Result<(Vec<Command>, SnapshotReport), SnapshotError> {
    let mut counted: BTreeMap<&Sku, (usize, i64)> = BTreeMap::new();
    for (index, line) in counts.iter().enumerate() {
        if line.counted < 0 {
            return Err(SnapshotError::Negative { index, counted: line.counted });
        }
        if let Some((first, _)) = counted.insert(&line.sku, (index, line.counted)) {
            return Err(SnapshotError::Duplicate { index, first, sku: line.sku.clone() });
        }
    }
    let on_hand: BTreeMap<&Sku, i64> =
        positions.iter().filter(|p| &p.location == location).map(|p| (&p.sku, p.on_hand)).collect();
    let mut rows: BTreeMap<&Sku, (i64, i64, bool)> = BTreeMap::new();
    for (sku, (_, count)) in &counted {
        rows.insert(sku, (on_hand.get(sku).copied().unwrap_or(0), *count, false));
    }
    if complete {
        for (sku, hub) in &on_hand {
            if !counted.contains_key(sku) && *hub != 0 {
                rows.insert(sku, (*hub, 0, true));
            }
        }
    }
    let (mut matched, mut off_units, mut counted_units) = (0u64, 0i128, 0i128);
    let mut adjustments = Vec::new();
    let mut commands = Vec::with_capacity(rows.len());
    for (sku, (hub, count, absent)) in &rows {
        off_units += i128::from((hub - count).abs());
        counted_units += i128::from(*count);
        if hub == count {
            matched += 1;
        } else {
            adjustments.push(CountAdjustment {
                sku: (*sku).clone(),
                on_hand: *hub,
                counted: *count,
                difference: count - hub,
                absent_from_snapshot: *absent,
            });
        }
        commands.push(Command::CountInventory { sku: (*sku).clone(), location: location.clone(), counted: *count });
    }
    let skus = rows.len() as u64;
    let report = SnapshotReport {
        location: location.clone(),
        skus,
        matched,
        adjustments,
        sku_accuracy: (skus > 0).then(|| matched as f64 / skus as f64),
        unit_accuracy: (counted_units > 0).then(|| 1.0 - off_units as f64 / counted_units as f64),
    };
    Ok((commands, report))
}
