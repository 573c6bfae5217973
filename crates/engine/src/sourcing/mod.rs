//! Sourcing: choosing the locations an order's units ship from at the least total cost (shipping per
//! package, handling, split penalty) under ATP, capacity and rules, with an explanation of every decision.
//! Pure: the caller loads the network, ATP and policy; nothing here does IO.

mod bench;
mod cost;
mod exact;
mod explain;
mod generate;
mod heuristic;
mod network;
mod plan;
mod problem;
mod request;
mod solve;
mod zip3;

pub use bench::{SourcingBenchReport, bench_sourcing};
pub use cost::{
    CarrierService, DistanceBand, MAX_COST_MINOR, Quote, RateBasis, RateModel, ZONE_UPPER_MILES, whole_miles, zone_of,
};
pub use exact::{EXACT_MAX_CANDIDATES, EXACT_MAX_SKUS};
pub use explain::{
    CandidateReport, CandidateStatus, Destination, DestinationSource, Reason, SolverKind, SolverReport,
    SourcingDecision, SourcingExplanation,
};
pub use generate::{GeneratedWorkload, generate_workload};
pub use network::{AtpTable, Network, NetworkLocation, StockAt};
pub use plan::{PlanCost, PlannedLine, PlannedShipment, SourcingPlan, apply_plan};
pub use request::{
    Fulfilment, SolverBudget, SourcingConfig, SourcingError, SourcingLine, SourcingOrder, SourcingRules,
};
pub use solve::{nearest_with_everything_else_nearest_per_line, source_order};
pub use zip3::{Zip3, distance_miles, state_centroid, zip3_of, zip3_table};
