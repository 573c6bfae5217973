//! Why a sourcing decision came out as it did: the destination, every location holding stock of the order
//! with its status and package cost, the solver that decided, and the reason, in serde-serialisable form
//! (shown at `GET /v1/orders/{id}/sourcing`).

use super::plan::SourcingPlan;
use crossdock_model::{Coordinates, LocationId, LocationKind, OrderId};
use serde::{Deserialize, Serialize};

/// A decision: the plan and its explanation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SourcingDecision {
    pub order_id: OrderId,
    pub plan: SourcingPlan,
    pub explanation: SourcingExplanation,
}

/// Where the packages go.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Destination {
    pub coordinates: Coordinates,
    /// How the position was found.
    pub resolved_by: DestinationSource,
    /// The ship-to's ZIP3, when it was known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zip3: Option<String>,
    /// For pickup orders, the store the customer collects at.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pickup_store: Option<LocationId>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DestinationSource {
    /// The centroid of the postal code's ZIP3.
    Zip3Centroid,
    /// The postal code was unknown; the centroid of the ship-to state.
    StateCentroid,
    /// A pickup order: the pickup store's coordinates.
    PickupStore,
}

/// What sourcing made of a location holding stock of at least one of the order's skus.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CandidateStatus {
    /// Considered by the solver.
    Candidate,
    Inactive,
    /// Excluded by the network's configuration.
    ExcludedByNetwork,
    /// Excluded by the sourcing rules.
    ExcludedByRule,
    /// No orders left in today's capacity.
    NoCapacity,
    /// No carrier service covers the lane to the destination.
    NoService,
    /// A pickup order whose stores can supply it, and this is not a store.
    NotAStoreForPickup,
    /// A ship-complete order, and this location cannot supply every line in full.
    CannotShipComplete,
}

/// One location holding stock of the order, its cost to ship one package, and what became of it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CandidateReport {
    pub location: LocationId,
    pub kind: LocationKind,
    pub status: CandidateStatus,
    pub distance_miles: u32,
    pub zone: u8,
    /// The cheapest carrier service for the lane (none from the pickup store itself, or when no service goes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub carrier: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,
    /// Shipping of one package to the destination; `None` when no service covers the lane.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shipping_minor: Option<i64>,
    pub handling_minor: i64,
    /// Units of the order the location could supply (each sku capped at the order's demand).
    pub units_available: u64,
    /// The location can supply every unit of every line.
    pub has_everything: bool,
    /// The chosen plan ships from here.
    pub used: bool,
}

/// Which algorithm produced the plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SolverKind {
    /// Exhaustive search (branch and bound over sets of locations); optimal when `proved_optimal`.
    Exact,
    /// The greedy heuristic: the order was too large for the exact solver, or it ran out of budget.
    Heuristic,
    /// The comparison policy: nearest location with everything, else nearest per line.
    Baseline,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SolverReport {
    pub kind: SolverKind,
    /// No plan with a lower cost exists (given the rules and the maximal number of units served).
    pub proved_optimal: bool,
    /// Branch-and-bound nodes expanded.
    pub nodes: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// The reason for the chosen plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum Reason {
    /// One location supplies everything it can and is the cheapest such location.
    CheapestSingleLocation,
    /// The pickup store itself holds everything.
    PickupStoreHasEverything,
    /// A location has everything, yet splitting is cheaper than the cheapest of them.
    SplitCheaperThanSingle { single_location: LocationId, single_cost_minor: i64 },
    /// No single location has every line, so the order ships in several packages.
    SplitNoLocationHasEverything,
    /// Ship-complete order, and no location can ship all of it: nothing is allocated, the order waits.
    ShipCompleteUnavailable,
    /// None of the order's units is available at any usable location.
    NothingAvailable,
    /// Baseline policy: the nearest location with everything.
    NearestWithEverything,
    /// Baseline policy: no location has everything; each line from the nearest locations holding it.
    NearestPerLine,
}

/// The explanation kept with every decision.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SourcingExplanation {
    pub destination: Destination,
    pub solver: SolverReport,
    pub reason: Reason,
    /// One sentence for people.
    pub summary: String,
    /// Locations holding stock of at least one of the order's skus, cheapest package first.
    pub candidates: Vec<CandidateReport>,
    /// Locations of the network holding none of the order's skus (not listed).
    pub locations_without_stock: usize,
    /// The cheapest location that could supply everything available on its own, and its total cost.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub best_single_location: Option<(LocationId, i64)>,
}
