//! Sourcing decisions: [`source_order`] (exact for small orders, the heuristic beyond) and the baseline
//! policy [`nearest_with_everything_else_nearest_per_line`], each with its explanation.
//!
//! The objective, lexicographically: serve as many units as the usable stock allows (the rest is
//! backordered); then, for pickup orders with the rule on, use stores only if they can serve as many; then
//! minimise Σ package shipping + Σ handling + split penalty × (locations used − 1). Ship-complete orders
//! ship from one location that has every unit, or wait with everything backordered.

use super::exact::search;
use super::explain::{CandidateStatus, Reason, SolverKind, SolverReport, SourcingDecision, SourcingExplanation};
use super::heuristic::{cheapest_single, greedy, nearest};
use super::network::{AtpTable, Network};
use super::plan::{build_plan, fill};
use super::problem::Problem;
use super::request::{SourcingConfig, SourcingError, SourcingOrder};

/// Chooses where each open unit of the order ships from, at the least total cost, and explains why.
pub fn source_order(
    order: &SourcingOrder,
    network: &Network,
    atp: &AtpTable,
    config: &SourcingConfig,
) -> Result<SourcingDecision, SourcingError> {
    let p = Problem::build(order, network, atp, config)?;
    let nothing = p.target.iter().all(|&t| t == 0);
    let (set, solver) = if nothing {
        (Vec::new(), report(SolverKind::Exact, true, 0, None))
    } else if order.ship_complete {
        let single = cheapest_single(&p).map_or_else(Vec::new, |j| vec![j]);
        (single, report(SolverKind::Exact, true, 0, None))
    } else {
        solve(&p, config)
    };
    let units = fill(&p, &set);
    let plan = build_plan(&p, order, &units, config.currency);
    let single = cheapest_single(&p);
    let reason = if nothing && order.ship_complete {
        Reason::ShipCompleteUnavailable
    } else if nothing {
        Reason::NothingAvailable
    } else if plan.shipments.len() == 1 && p.destination.pickup_store.as_ref() == Some(&plan.shipments[0].location) {
        Reason::PickupStoreHasEverything
    } else if plan.shipments.len() == 1 {
        Reason::CheapestSingleLocation
    } else if let Some(j) = single {
        let location = p.report[p.cands[j].report].location.clone();
        Reason::SplitCheaperThanSingle { single_location: location, single_cost_minor: p.cost_of(&[j]) }
    } else {
        Reason::SplitNoLocationHasEverything
    };
    Ok(decide(order, p, units, plan, solver, reason, single))
}

/// The baseline policy: the nearest usable location that has everything available, else each line from the
/// nearest locations holding its sku. Same rules, destination and cost model as [`source_order`].
pub fn nearest_with_everything_else_nearest_per_line(
    order: &SourcingOrder,
    network: &Network,
    atp: &AtpTable,
    config: &SourcingConfig,
) -> Result<SourcingDecision, SourcingError> {
    let p = Problem::build(order, network, atp, config)?;
    let (units, whole) = nearest(&p);
    let plan = build_plan(&p, order, &units, config.currency);
    let reason = match (plan.shipments.is_empty(), whole, order.ship_complete) {
        (true, _, true) => Reason::ShipCompleteUnavailable,
        (true, _, false) => Reason::NothingAvailable,
        (false, true, _) => Reason::NearestWithEverything,
        (false, false, _) => Reason::NearestPerLine,
    };
    let single = cheapest_single(&p);
    Ok(decide(order, p, units, plan, report(SolverKind::Baseline, false, 0, None), reason, single))
}

/// Exact search within the budget, seeded with the heuristic; the heuristic alone for wide orders.
fn solve(p: &Problem, config: &SourcingConfig) -> (Vec<usize>, SolverReport) {
    let heuristic = greedy(p);
    let budget = config.budget;
    if p.demand.len() > budget.exact_max_skus {
        let note =
            format!("{} distinct skus; the exact solver takes at most {}", p.demand.len(), budget.exact_max_skus);
        return (heuristic, report(SolverKind::Heuristic, false, 0, Some(note)));
    }
    match search(p, &heuristic, budget.exact_max_nodes) {
        Some(exact) if exact.complete => {
            (exact.better.unwrap_or(heuristic), report(SolverKind::Exact, true, exact.nodes, None))
        }
        Some(exact) => {
            let note = format!("node budget of {} exhausted; best plan found kept", budget.exact_max_nodes);
            (exact.better.unwrap_or(heuristic), report(SolverKind::Heuristic, false, exact.nodes, Some(note)))
        }
        None => {
            let note = format!("{} candidate locations; too many for the exact solver", p.cands.len());
            (heuristic, report(SolverKind::Heuristic, false, 0, Some(note)))
        }
    }
}

fn report(kind: SolverKind, proved_optimal: bool, nodes: u64, note: Option<String>) -> SolverReport {
    SolverReport { kind, proved_optimal, nodes, note }
}

fn decide(
    order: &SourcingOrder,
    mut p: Problem,
    units: Vec<Vec<u32>>,
    plan: super::plan::SourcingPlan,
    solver: SolverReport,
    reason: Reason,
    single: Option<usize>,
) -> SourcingDecision {
    for (j, c) in p.cands.iter().enumerate() {
        p.report[c.report].used = units[j].iter().any(|&u| u > 0);
    }
    let best_single_location = single.map(|j| (p.report[p.cands[j].report].location.clone(), p.cost_of(&[j])));
    let summary = summary(&reason, &plan, &solver);
    let mut candidates = p.report;
    candidates.sort_by_key(|c| {
        let usable = c.status == CandidateStatus::Candidate;
        (!usable, c.shipping_minor.map(|s| s + c.handling_minor).unwrap_or(i64::MAX))
    });
    let explanation = SourcingExplanation {
        destination: p.destination,
        solver,
        reason,
        summary,
        candidates,
        locations_without_stock: p.without_stock,
        best_single_location,
    };
    SourcingDecision { order_id: order.order_id.clone(), plan, explanation }
}

fn summary(reason: &Reason, plan: &super::plan::SourcingPlan, solver: &SolverReport) -> String {
    let cost = plan.cost.total_minor;
    let how = match reason {
        Reason::CheapestSingleLocation => "cheapest single location".to_string(),
        Reason::PickupStoreHasEverything => "the pickup store has everything".to_string(),
        Reason::SplitCheaperThanSingle { single_location, single_cost_minor } => {
            format!("split: cheaper than the best single location {single_location} ({single_cost_minor})")
        }
        Reason::SplitNoLocationHasEverything => "split: no location has all lines".to_string(),
        Reason::ShipCompleteUnavailable => "ship-complete: no location has every line in full; the order waits".into(),
        Reason::NothingAvailable => "nothing available at any usable location".to_string(),
        Reason::NearestWithEverything => "nearest location with everything".to_string(),
        Reason::NearestPerLine => "no location has everything: nearest per line".to_string(),
    };
    let solver = match solver.kind {
        SolverKind::Exact => "exact",
        SolverKind::Heuristic => "heuristic",
        SolverKind::Baseline => "baseline",
    };
    let backorder = match plan.backordered_units {
        0 => String::new(),
        n => format!("; {n} units backordered"),
    };
    let locations = plan.shipments.len();
    format!("{how}: {locations} location(s), total cost {cost} minor units ({solver}){backorder}")
}
