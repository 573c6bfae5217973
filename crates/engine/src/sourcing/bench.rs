//! The sourcing benchmark: allocation throughput on one thread over a generated workload, cost against the
//! exact optimum on a sample, saving against the baseline policy, split and backorder rates. It reads the
//! clock (the only thing here that is not pure) and prints nothing; the CLI prints the report.

use super::generate::generate_workload;
use super::plan::apply_plan;
use super::request::SourcingConfig;
use super::solve::{nearest_with_everything_else_nearest_per_line, source_order};
use super::{SolverBudget, SolverKind};
use serde::{Deserialize, Serialize};
use std::time::Instant;

/// Orders compared with the exact optimum (spread evenly over the run).
const SAMPLE: usize = 2_000;

/// The figures of one run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SourcingBenchReport {
    pub locations: usize,
    pub skus: usize,
    pub orders: usize,
    pub seed: u64,
    pub lines: u64,
    /// Wall time of the timed pass (source + apply to ATP and capacity, every order), in seconds.
    pub elapsed_secs: f64,
    /// Orders sourced per second on one thread.
    pub allocations_per_sec: f64,
    /// Orders the exact solver decided (proved optimal), and those the heuristic decided.
    pub exact_decided: u64,
    pub heuristic_decided: u64,
    /// Orders refused (unknown destination and the like).
    pub errors: u64,
    /// Share of orders with at least one shipment that ship from more than one location.
    pub split_rate: f64,
    pub baseline_split_rate: f64,
    /// Share of orders with some unit backordered.
    pub backorder_rate: f64,
    pub allocated_units: u64,
    pub backordered_units: u64,
    /// Total cost of every plan, and of the baseline's plan for the same order on the same stock.
    pub total_cost_minor: i64,
    pub baseline_cost_minor: i64,
    /// (baseline − chosen) / baseline, in percent.
    pub saving_vs_baseline_pct: f64,
    pub sample_orders: usize,
    /// Chosen cost / exact optimum (unbounded search) over the sample.
    pub cost_vs_optimum: f64,
    /// The greedy heuristic alone / exact optimum over the sample.
    pub heuristic_vs_optimum: f64,
}

/// Generates a workload and sources every order in turn, keeping ATP and capacity updated as orders consume
/// them. A second, untimed pass over the same orders (deterministic, so the same decisions) compares each
/// decision with the baseline and, on a sample, with the exact optimum and the heuristic alone.
pub fn bench_sourcing(locations: usize, skus: usize, orders: usize, seed: u64) -> SourcingBenchReport {
    let work = generate_workload(locations, skus, orders, seed);
    let lines = work.orders.iter().map(|o| o.lines.len() as u64).sum();

    let (mut network, mut atp) = (work.network.clone(), work.atp.clone());
    let started = Instant::now();
    for order in &work.orders {
        if let Ok(decision) = source_order(order, &network, &atp, &work.config) {
            apply_plan(&decision.plan, &mut atp, &mut network);
        }
    }
    let elapsed_secs = started.elapsed().as_secs_f64();

    let unbounded = SourcingConfig {
        budget: SolverBudget { exact_max_skus: super::EXACT_MAX_SKUS, exact_max_nodes: 50_000_000 },
        ..work.config.clone()
    };
    let heuristic_only =
        SourcingConfig { budget: SolverBudget { exact_max_skus: 0, exact_max_nodes: 0 }, ..work.config.clone() };
    let every = (work.orders.len() / SAMPLE).max(1);
    let mut r = SourcingBenchReport {
        locations,
        skus,
        orders,
        seed,
        lines,
        elapsed_secs,
        allocations_per_sec: if elapsed_secs > 0.0 { work.orders.len() as f64 / elapsed_secs } else { 0.0 },
        exact_decided: 0,
        heuristic_decided: 0,
        errors: 0,
        split_rate: 0.0,
        baseline_split_rate: 0.0,
        backorder_rate: 0.0,
        allocated_units: 0,
        backordered_units: 0,
        total_cost_minor: 0,
        baseline_cost_minor: 0,
        saving_vs_baseline_pct: 0.0,
        sample_orders: 0,
        cost_vs_optimum: 1.0,
        heuristic_vs_optimum: 1.0,
    };
    let (mut shipped, mut split, mut baseline_shipped, mut baseline_split, mut backordered) =
        (0u64, 0u64, 0u64, 0u64, 0u64);
    let (mut sample_chosen, mut sample_optimum, mut sample_heuristic) = (0i64, 0i64, 0i64);
    let (mut network, mut atp) = (work.network.clone(), work.atp.clone());
    for (n, order) in work.orders.iter().enumerate() {
        let Ok(decision) = source_order(order, &network, &atp, &work.config) else {
            r.errors += 1;
            continue;
        };
        let plan = &decision.plan;
        match decision.explanation.solver.kind {
            SolverKind::Exact => r.exact_decided += 1,
            _ => r.heuristic_decided += 1,
        }
        shipped += u64::from(!plan.shipments.is_empty());
        split += u64::from(plan.is_split());
        backordered += u64::from(plan.backordered_units > 0);
        r.allocated_units += plan.allocated_units;
        r.backordered_units += plan.backordered_units;
        r.total_cost_minor += plan.cost.total_minor;
        if let Ok(baseline) = nearest_with_everything_else_nearest_per_line(order, &network, &atp, &work.config) {
            r.baseline_cost_minor += baseline.plan.cost.total_minor;
            baseline_shipped += u64::from(!baseline.plan.shipments.is_empty());
            baseline_split += u64::from(baseline.plan.is_split());
        }
        if n % every == 0 {
            let exact = source_order(order, &network, &atp, &unbounded);
            let greedy = source_order(order, &network, &atp, &heuristic_only);
            if let (Ok(exact), Ok(greedy)) = (exact, greedy) {
                r.sample_orders += 1;
                sample_chosen += plan.cost.total_minor;
                sample_optimum += exact.plan.cost.total_minor;
                sample_heuristic += greedy.plan.cost.total_minor;
            }
        }
        apply_plan(plan, &mut atp, &mut network);
    }
    let ratio = |a: i64, b: i64| if b > 0 { a as f64 / b as f64 } else { 1.0 };
    r.split_rate = ratio(split as i64, shipped as i64);
    r.baseline_split_rate = ratio(baseline_split as i64, baseline_shipped as i64);
    r.backorder_rate = ratio(backordered as i64, (work.orders.len() as u64).saturating_sub(r.errors) as i64);
    r.saving_vs_baseline_pct = 100.0 * (1.0 - ratio(r.total_cost_minor, r.baseline_cost_minor));
    r.cost_vs_optimum = ratio(sample_chosen, sample_optimum);
    r.heuristic_vs_optimum = ratio(sample_heuristic, sample_optimum);
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_small_run_reports_consistent_figures() {
        let r = bench_sourcing(20, 300, 2_000, 11);
        assert_eq!(r.orders, 2_000);
        assert_eq!(r.errors, 0);
        assert_eq!(r.exact_decided + r.heuristic_decided, 2_000);
        assert!(r.allocations_per_sec > 0.0);
        assert!(r.cost_vs_optimum >= 1.0 - 1e-12 && r.heuristic_vs_optimum >= 1.0 - 1e-12);
        assert!(r.total_cost_minor <= r.baseline_cost_minor);
        assert!((0.0..=1.0).contains(&r.split_rate));
        assert!(r.sample_orders > 0);
    }

    #[test]
    fn degenerate_runs_report_errors_instead_of_panicking() {
        let r = bench_sourcing(0, 0, 10, 1);
        assert_eq!((r.orders, r.errors, r.allocated_units), (10, 10, 0));
        assert_eq!(bench_sourcing(3, 5, 0, 1).lines, 0);
    }
}
