//! Property tests on small generated networks: the chosen plan costs exactly the optimum found by brute
//! force over every assignment of units to locations; it serves as many units as possible, backorders the
//! rest, never exceeds ATP, and respects exclusions, capacity, ship-complete and the pickup preference.
//! The heuristic and the baseline serve the same units at no lower cost.

use crate::sourcing_support::{centroid, rates};
use crate::support::{line_id, loc, sku};
use crossdock_engine::sourcing::{
    AtpTable, CandidateStatus, Fulfilment, Network, NetworkLocation, SolverBudget, SolverKind, SourcingConfig,
    SourcingDecision, SourcingLine, SourcingOrder, SourcingRules, apply_plan,
    nearest_with_everything_else_nearest_per_line, source_order,
};
use crossdock_model::{Country, Currency, LocationKind, OrderId};
use proptest::prelude::*;
use std::collections::BTreeMap;

const ZIPS: [&str; 10] = ["100", "071", "191", "606", "900", "303", "752", "981", "021", "331"];
const POSTAL: [&str; 10] = ["10001", "07102", "19103", "60601", "90001", "30303", "75201", "98101", "02108", "33101"];
const KINDS: [LocationKind; 3] = [LocationKind::Store, LocationKind::Warehouse, LocationKind::ThirdParty];
const SKUS: [&str; 3] = ["A", "B", "C"];

#[derive(Debug, Clone)]
struct Site {
    kind: usize,
    zip: usize,
    handling: i64,
    capacity: u32,
    active: bool,
    excluded: bool,
    excluded_by_rule: bool,
}

#[derive(Debug, Clone)]
struct Case {
    sites: Vec<Site>,
    lines: Vec<(usize, u32)>,
    stock: Vec<u32>,
    penalty: i64,
    destination: usize,
    ship_complete: bool,
    pickup: Option<usize>,
    prefer_stores: bool,
}

fn site() -> impl Strategy<Value = Site> {
    (
        0usize..3,
        0usize..10,
        0i64..600,
        prop_oneof![1 => Just(0u32), 9 => 1u32..3],
        prop::bool::weighted(0.92),
        prop::bool::weighted(0.08),
        prop::bool::weighted(0.08),
    )
        .prop_map(|(kind, zip, handling, capacity, active, excluded, excluded_by_rule)| Site {
            kind,
            zip,
            handling,
            capacity,
            active,
            excluded,
            excluded_by_rule,
        })
}

fn case() -> impl Strategy<Value = Case> {
    let stock = prop::collection::vec(prop_oneof![2 => Just(0u32), 3 => 1u32..4], 18);
    (
        prop::collection::vec(site(), 1..=6),
        prop::collection::vec((0usize..3, 1u32..=3), 1..=3),
        stock,
        0i64..600,
        0usize..10,
        prop::bool::weighted(0.15),
        prop::option::weighted(0.25, 0usize..6),
        prop::bool::weighted(0.8),
    )
        .prop_map(|(sites, lines, stock, penalty, destination, ship_complete, pickup, prefer_stores)| {
            let stores: Vec<usize> = (0..sites.len()).filter(|&i| sites[i].kind == 0).collect();
            let pickup = pickup.and_then(|p| stores.get(p % stores.len().max(1)).copied());
            Case { sites, lines, stock, penalty, destination, ship_complete, pickup, prefer_stores }
        })
}

fn id(i: usize) -> String {
    format!("S{i}")
}

struct Inputs {
    order: SourcingOrder,
    network: Network,
    atp: AtpTable,
    config: SourcingConfig,
}

fn inputs(c: &Case) -> Inputs {
    let locations = c.sites.iter().enumerate().map(|(i, s)| NetworkLocation {
        id: loc(&id(i)),
        kind: KINDS[s.kind],
        coordinates: centroid(ZIPS[s.zip]),
        handling_minor: s.handling,
        capacity_today: s.capacity,
        active: s.active,
        excluded: s.excluded,
    });
    let mut atp = AtpTable::new();
    for (k, name) in SKUS.iter().enumerate() {
        for i in 0..c.sites.len() {
            atp.set(&sku(name), &loc(&id(i)), i64::from(c.stock[k * 6 + i]));
        }
    }
    let rules = SourcingRules {
        excluded: (0..c.sites.len()).filter(|&i| c.sites[i].excluded_by_rule).map(|i| loc(&id(i))).collect(),
        prefer_stores_for_pickup: c.prefer_stores,
    };
    let order = SourcingOrder {
        order_id: OrderId::new("o-1").expect("id"),
        postal_code: POSTAL[c.destination].into(),
        region: None,
        country: Country::US,
        lines: c
            .lines
            .iter()
            .enumerate()
            .map(|(n, (k, q))| SourcingLine { line_id: line_id(&format!("L{n}")), sku: sku(SKUS[*k]), quantity: *q })
            .collect(),
        fulfilment: match c.pickup {
            Some(p) => Fulfilment::Pickup { store: Some(loc(&id(p))) },
            None => Fulfilment::Ship,
        },
        ship_complete: c.ship_complete,
    };
    let config = SourcingConfig {
        currency: Currency::USD,
        rates: rates(),
        split_penalty_minor: c.penalty,
        rules,
        budget: SolverBudget::default(),
    };
    Inputs { order, network: Network::new(locations.collect()).expect("valid"), atp, config }
}

/// The best (units served, uses stores only, cost) over every assignment of every line's units to locations.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Best {
    units: u32,
    stores_only: bool,
    cost: i64,
}

fn brute_force(c: &Case) -> Best {
    let n = c.sites.len();
    let to = match c.pickup {
        Some(p) => centroid(ZIPS[c.sites[p].zip]),
        None => centroid(ZIPS[c.destination]),
    };
    let package = (0..n)
        .map(|j| {
            let s = &c.sites[j];
            if !s.active || s.excluded || s.excluded_by_rule || s.capacity == 0 {
                return None;
            }
            let from = centroid(ZIPS[s.zip]);
            let shipping = if c.pickup == Some(j) { Some(0) } else { rates().quote(from, to).map(|q| q.cost_minor) };
            shipping.map(|cost| cost + s.handling)
        })
        .collect();
    let mut search = Brute { c, package, left: c.stock.clone(), at: vec![0; n], line_units: 0, best: None };
    search.assign(0, 0);
    search.best.unwrap_or(Best { units: 0, stores_only: true, cost: 0 })
}

/// Exhaustive enumeration: every line's units spread over every usable location, within ATP.
struct Brute<'c> {
    c: &'c Case,
    /// Package cost (shipping + handling) of each usable location.
    package: Vec<Option<i64>>,
    /// ATP left, indexed sku × 6 + location.
    left: Vec<u32>,
    /// Units assigned to each location so far.
    at: Vec<u32>,
    /// Units of the current line assigned so far.
    line_units: u32,
    best: Option<Best>,
}

impl Brute<'_> {
    fn assign(&mut self, line: usize, j: usize) {
        let c = self.c;
        if line == c.lines.len() {
            self.score();
            return;
        }
        if j == c.sites.len() {
            let units = std::mem::replace(&mut self.line_units, 0);
            self.assign(line + 1, 0);
            self.line_units = units;
            return;
        }
        let (k, quantity) = c.lines[line];
        let most = if self.package[j].is_some() { self.left[k * 6 + j].min(quantity - self.line_units) } else { 0 };
        for x in 0..=most {
            self.left[k * 6 + j] -= x;
            self.at[j] += x;
            self.line_units += x;
            self.assign(line, j + 1);
            self.left[k * 6 + j] += x;
            self.at[j] -= x;
            self.line_units -= x;
        }
    }

    fn score(&mut self) {
        let c = self.c;
        let units: u32 = self.at.iter().sum();
        let demand: u32 = c.lines.iter().map(|l| l.1).sum();
        let used: Vec<usize> = (0..c.sites.len()).filter(|&j| self.at[j] > 0).collect();
        if c.ship_complete && (used.len() > 1 || (units != 0 && units != demand)) {
            return;
        }
        let packages: i64 = used.iter().map(|&j| self.package[j].unwrap_or(0)).sum();
        let cost = packages + c.penalty * (used.len() as i64 - 1).max(0);
        let stores_only = used.iter().all(|&j| c.sites[j].kind == 0);
        let prefer = c.pickup.is_some() && c.prefer_stores;
        let key = |b: &Best| (b.units, prefer && b.stores_only, -b.cost);
        let candidate = Best { units, stores_only, cost };
        if self.best.is_none_or(|b| key(&candidate) > key(&b)) {
            self.best = Some(candidate);
        }
    }
}

/// Units per (sku, location) a decision ships.
fn shipped(d: &SourcingDecision) -> BTreeMap<(String, String), u32> {
    let mut out = BTreeMap::new();
    for s in &d.plan.shipments {
        for l in &s.lines {
            *out.entry((l.sku.to_string(), s.location.to_string())).or_default() += l.quantity;
        }
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2048))]

    #[test]
    fn the_chosen_plan_is_optimal_and_respects_every_rule(c in case()) {
        let i = inputs(&c);
        let best = brute_force(&c);
        let d = source_order(&i.order, &i.network, &i.atp, &i.config).expect("sourced");
        let plan = &d.plan;
        prop_assert_eq!(plan.allocated_units, u64::from(best.units));
        prop_assert_eq!(plan.cost.total_minor, best.cost, "{}", d.explanation.summary);
        prop_assert_eq!(d.explanation.solver.kind, SolverKind::Exact);
        prop_assert!(d.explanation.solver.proved_optimal);
        prop_assert!(!d.explanation.summary.is_empty());

        for ((s, at), units) in shipped(&d) {
            prop_assert!(units <= i.atp.available(&sku(&s), &loc(&at)), "{} of {} at {}", units, s, at);
        }
        for shipment in &plan.shipments {
            let site = &c.sites[shipment.location.as_str()[1..].parse::<usize>().expect("S<n>")];
            prop_assert!(site.active && !site.excluded && !site.excluded_by_rule && site.capacity > 0);
            let reported = d.explanation.candidates.iter().find(|r| r.location == shipment.location);
            prop_assert!(reported.is_some_and(|r| r.used && r.status == CandidateStatus::Candidate));
        }
        for (n, (_, quantity)) in c.lines.iter().enumerate() {
            let id = line_id(&format!("L{n}"));
            let out: u32 = plan.shipments.iter().flat_map(|s| &s.lines).filter(|l| l.line_id == id).map(|l| l.quantity).sum();
            let back: u32 = plan.backorders.iter().filter(|l| l.line_id == id).map(|l| l.quantity).sum();
            prop_assert_eq!(out + back, *quantity);
        }
        if c.ship_complete {
            prop_assert!(plan.shipments.len() <= 1);
            prop_assert!(plan.allocated_units == 0 || plan.backordered_units == 0);
        }
        if c.pickup.is_some() && c.prefer_stores && best.stores_only {
            prop_assert!(plan.shipments.iter().all(|s| s.kind == LocationKind::Store));
        }

        let greedy_only = SourcingConfig { budget: SolverBudget { exact_max_skus: 0, exact_max_nodes: 0 }, ..i.config.clone() };
        let h = source_order(&i.order, &i.network, &i.atp, &greedy_only).expect("sourced");
        if h.plan.allocated_units > 0 && !c.ship_complete {
            prop_assert_eq!(h.explanation.solver.kind, SolverKind::Heuristic);
        }
        prop_assert_eq!(h.plan.allocated_units, plan.allocated_units);
        prop_assert!(h.plan.cost.total_minor >= best.cost);
        let b = nearest_with_everything_else_nearest_per_line(&i.order, &i.network, &i.atp, &i.config).expect("sourced");
        prop_assert_eq!(b.plan.allocated_units, plan.allocated_units);
        prop_assert!(b.plan.cost.total_minor >= best.cost);

        let (mut atp, mut network) = (i.atp.clone(), i.network.clone());
        apply_plan(plan, &mut atp, &mut network);
        for ((s, at), units) in shipped(&d) {
            prop_assert_eq!(atp.available(&sku(&s), &loc(&at)) + units, i.atp.available(&sku(&s), &loc(&at)));
            let before = i.network.get(&loc(&at)).map(|l| l.capacity_today);
            prop_assert_eq!(network.get(&loc(&at)).map(|l| l.capacity_today + 1), before);
        }
    }
}
