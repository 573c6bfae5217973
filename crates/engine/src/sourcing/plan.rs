//! A sourcing plan: which units of which line ship from which location, what is backordered, and what it
//! costs; built from an assignment of units to candidates, and applied to ATP and capacity.

use super::network::{AtpTable, Network};
use super::problem::Problem;
use super::request::SourcingOrder;
use crossdock_model::{Allocation, Currency, LineId, LocationId, LocationKind, Quantity, Sku};
use serde::{Deserialize, Serialize};

/// Units of one line in a shipment or a backorder.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlannedLine {
    pub line_id: LineId,
    pub sku: Sku,
    pub quantity: u32,
}

/// One package: what ships from one location, and what it costs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlannedShipment {
    pub location: LocationId,
    pub kind: LocationKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub carrier: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,
    pub distance_miles: u32,
    pub zone: u8,
    pub shipping_minor: i64,
    pub handling_minor: i64,
    pub lines: Vec<PlannedLine>,
}

/// What a plan costs, in minor units of the plan's currency.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanCost {
    pub shipping_minor: i64,
    pub handling_minor: i64,
    /// The split penalty times (locations used − 1).
    pub split_penalty_minor: i64,
    pub total_minor: i64,
}

/// Where every open unit of the order goes: a shipment from a location, or the backorder.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourcingPlan {
    pub currency: Currency,
    /// Cheapest package first.
    pub shipments: Vec<PlannedShipment>,
    /// Units that no usable location can supply now.
    pub backorders: Vec<PlannedLine>,
    pub allocated_units: u64,
    pub backordered_units: u64,
    pub cost: PlanCost,
}

impl SourcingPlan {
    /// The plan as the allocations of an `AllocateLines` command.
    pub fn allocations(&self) -> Vec<Allocation> {
        self.shipments
            .iter()
            .flat_map(|s| {
                s.lines.iter().filter_map(|l| {
                    let quantity = Quantity::new(l.quantity).ok()?;
                    Some(Allocation { line_id: l.line_id.clone(), location: s.location.clone(), quantity })
                })
            })
            .collect()
    }

    /// More than one location ships.
    pub fn is_split(&self) -> bool {
        self.shipments.len() > 1
    }
}

/// Takes the plan's units from ATP and one order of capacity from each location it ships from, as the
/// reservations will once the allocation is recorded. Lets a caller source many orders in a row.
pub fn apply_plan(plan: &SourcingPlan, atp: &mut AtpTable, network: &mut Network) {
    for shipment in &plan.shipments {
        for line in &shipment.lines {
            atp.consume(&line.sku, &shipment.location, line.quantity);
        }
        network.use_capacity(&shipment.location);
    }
}

/// Units per candidate and sku that serve every sku up to its target from the candidates of `set`, taking
/// from the cheapest first.
pub(crate) fn fill(p: &Problem, set: &[usize]) -> Vec<Vec<u32>> {
    let mut sorted = set.to_vec();
    sorted.sort_unstable();
    let mut units = vec![vec![0u32; p.demand.len()]; p.cands.len()];
    for (k, &target) in p.target.iter().enumerate() {
        let mut left = target;
        for &j in &sorted {
            let take = left.min(p.cands[j].atp[k]);
            units[j][k] = take;
            left -= take;
        }
    }
    units
}

/// The plan of an assignment (units per candidate and sku): each sku's units go to its lines in line order.
pub(crate) fn build_plan(p: &Problem, order: &SourcingOrder, units: &[Vec<u32>], currency: Currency) -> SourcingPlan {
    let used: Vec<usize> = (0..p.cands.len()).filter(|&j| units[j].iter().any(|&u| u > 0)).collect();
    let mut shipments: Vec<PlannedShipment> = used
        .iter()
        .map(|&j| {
            let c = &p.cands[j];
            let r = &p.report[c.report];
            PlannedShipment {
                location: r.location.clone(),
                kind: r.kind,
                carrier: r.carrier.clone(),
                service: r.service.clone(),
                distance_miles: c.miles,
                zone: c.zone,
                shipping_minor: c.shipping,
                handling_minor: c.handling,
                lines: Vec::new(),
            }
        })
        .collect();
    let mut left: Vec<Vec<u32>> = used.iter().map(|&j| units[j].clone()).collect();
    let mut backorders = Vec::new();
    let (mut allocated, mut backordered) = (0u64, 0u64);
    for (line, &k) in order.lines.iter().zip(&p.line_sku) {
        let mut want = line.quantity;
        for (s, shipment) in shipments.iter_mut().enumerate() {
            let take = want.min(left[s][k]);
            if take > 0 {
                left[s][k] -= take;
                want -= take;
                shipment.lines.push(PlannedLine {
                    line_id: line.line_id.clone(),
                    sku: line.sku.clone(),
                    quantity: take,
                });
            }
        }
        allocated += u64::from(line.quantity - want);
        backordered += u64::from(want);
        if want > 0 {
            backorders.push(PlannedLine { line_id: line.line_id.clone(), sku: line.sku.clone(), quantity: want });
        }
    }
    let shipping_minor = shipments.iter().map(|s| s.shipping_minor).sum();
    let handling_minor = shipments.iter().map(|s| s.handling_minor).sum();
    let split_penalty_minor = p.penalty * (shipments.len() as i64 - 1).max(0);
    let cost = PlanCost {
        shipping_minor,
        handling_minor,
        split_penalty_minor,
        total_minor: shipping_minor + handling_minor + split_penalty_minor,
    };
    SourcingPlan { currency, shipments, backorders, allocated_units: allocated, backordered_units: backordered, cost }
}
