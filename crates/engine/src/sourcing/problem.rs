//! Turns an order, the network, ATP and the policy into a small dense problem: the order's skus with their
//! demand and the units that can be served at most, and the usable locations with their package cost and
//! stock, cheapest first. Rules are applied here, in order: inactive, excluded, no capacity and unserved
//! lanes are dropped; ship-complete keeps locations with every unit; pickup orders keep stores only when
//! stores can serve as many units as all the locations left.

use super::cost::{whole_miles, zone_of};
use super::explain::{CandidateReport, CandidateStatus, Destination, DestinationSource};
use super::network::{AtpTable, Network};
use super::request::{Fulfilment, SourcingConfig, SourcingError, SourcingOrder};
use super::zip3::{distance_miles, state_centroid, zip3_of};
use crossdock_model::{Coordinates, LocationKind};
use std::collections::HashSet;

/// A usable location.
#[derive(Debug, Clone)]
pub(crate) struct Candidate {
    /// Index into [`Problem::report`].
    pub report: usize,
    /// Index into the network's locations.
    pub network: usize,
    pub shipping: i64,
    pub handling: i64,
    pub miles: u32,
    pub zone: u8,
    /// Units per sku of the problem, capped at the sku's demand.
    pub atp: Vec<u32>,
}

impl Candidate {
    /// Shipping and handling of the package from here.
    pub fn package_cost(&self) -> i64 {
        self.shipping + self.handling
    }
}

#[derive(Debug, Clone)]
pub(crate) struct Problem {
    /// For each order line, the index of its sku in `demand`.
    pub line_sku: Vec<usize>,
    /// Units ordered per distinct sku.
    pub demand: Vec<u32>,
    /// Units that can be served per sku: demand capped at the usable stock.
    pub target: Vec<u32>,
    /// Usable locations, by package cost then network order.
    pub cands: Vec<Candidate>,
    pub penalty: i64,
    pub report: Vec<CandidateReport>,
    pub destination: Destination,
    pub without_stock: usize,
}

impl Problem {
    pub fn build(
        order: &SourcingOrder,
        network: &Network,
        atp: &AtpTable,
        config: &SourcingConfig,
    ) -> Result<Self, SourcingError> {
        config.check()?;
        let (line_sku, demand, skus) = skus_of(order)?;
        let (destination, pickup) = destination(order, network)?;
        let locations = network.locations();
        let mut slot: Vec<usize> = vec![usize::MAX; locations.len()];
        let mut report = Vec::new();
        let mut stock: Vec<Vec<u32>> = Vec::new();
        let mut net_index = Vec::new();
        for (k, sku) in skus.iter().enumerate() {
            for s in atp.stock_of(sku) {
                let Some(i) = network.index_of(&s.location) else { continue };
                if slot[i] == usize::MAX {
                    slot[i] = report.len();
                    report.push(reported(config, network, i, &destination.coordinates, pickup));
                    stock.push(vec![0; skus.len()]);
                    net_index.push(i);
                }
                let units = &mut stock[slot[i]][k];
                *units = (*units).saturating_add(s.available).min(demand[k]);
            }
        }
        let mut cands = Vec::new();
        for (r, units) in stock.into_iter().enumerate() {
            let entry = &mut report[r];
            entry.units_available = units.iter().map(|&u| u64::from(u)).sum();
            entry.has_everything = units.iter().zip(&demand).all(|(u, d)| u >= d);
            if entry.status != CandidateStatus::Candidate {
                continue;
            }
            cands.push(Candidate {
                report: r,
                network: net_index[r],
                shipping: entry.shipping_minor.unwrap_or(0),
                handling: entry.handling_minor,
                miles: entry.distance_miles,
                zone: entry.zone,
                atp: units,
            });
        }
        let target = reachable(&cands, &demand);
        let mut problem = Self {
            line_sku,
            demand,
            target,
            cands,
            penalty: config.split_penalty_minor,
            report,
            destination,
            without_stock: locations.len() - net_index.len(),
        };
        if order.ship_complete {
            problem.keep_complete();
        }
        if pickup.is_some() && config.rules.prefer_stores_for_pickup {
            problem.prefer_stores(network);
        }
        problem.cands.sort_by_key(|c| (c.package_cost(), c.network));
        Ok(problem)
    }

    /// Keeps only stores when they alone can serve as many units as every candidate together.
    fn prefer_stores(&mut self, network: &Network) {
        let is_store = |c: &Candidate| network.locations()[c.network].kind == LocationKind::Store;
        let stores: Vec<Candidate> = self.cands.iter().filter(|c| is_store(c)).cloned().collect();
        if stores.len() == self.cands.len() || reachable(&stores, &self.demand) != self.target {
            return;
        }
        for c in self.cands.iter().filter(|c| !is_store(c)) {
            self.report[c.report].status = CandidateStatus::NotAStoreForPickup;
        }
        self.cands = stores;
    }

    /// Keeps only candidates that can supply the whole order on their own (ship-complete).
    fn keep_complete(&mut self) {
        let demand = &self.demand;
        for c in self.cands.iter().filter(|c| c.atp.iter().zip(demand).any(|(a, d)| a < d)) {
            self.report[c.report].status = CandidateStatus::CannotShipComplete;
        }
        self.cands.retain(|c| c.atp.iter().zip(demand).all(|(a, d)| a >= d));
        self.target = reachable(&self.cands, demand);
    }

    /// Total cost of shipping from a set of candidates: packages, handling, and the split penalty.
    pub fn cost_of(&self, set: &[usize]) -> i64 {
        let packages: i64 = set.iter().map(|&j| self.cands[j].package_cost()).sum();
        packages + self.penalty * (set.len() as i64 - 1).max(0)
    }

    /// Whether a set of candidates serves every sku up to its target.
    pub fn covers(&self, set: &[usize]) -> bool {
        (0..self.demand.len()).all(|k| {
            let units: u64 = set.iter().map(|&j| u64::from(self.cands[j].atp[k])).sum();
            units >= u64::from(self.target[k])
        })
    }
}

/// Units per sku the candidates can serve together, capped at the demand.
fn reachable(cands: &[Candidate], demand: &[u32]) -> Vec<u32> {
    let mut target = vec![0u32; demand.len()];
    for c in cands {
        for (t, a) in target.iter_mut().zip(&c.atp) {
            *t = t.saturating_add(*a);
        }
    }
    target.iter().zip(demand).map(|(t, d)| (*t).min(*d)).collect()
}

type Skus<'a> = (Vec<usize>, Vec<u32>, Vec<&'a crossdock_model::Sku>);

/// Checks the lines and groups them by sku: the sku index of each line, the demand and the sku of each index.
fn skus_of(order: &SourcingOrder) -> Result<Skus<'_>, SourcingError> {
    if order.lines.is_empty() {
        return Err(SourcingError::NoLines);
    }
    if order.lines.len() > crate::MAX_LINES {
        return Err(SourcingError::TooManyLines(order.lines.len()));
    }
    let mut seen = HashSet::with_capacity(order.lines.len());
    let (mut line_sku, mut demand, mut skus) = (Vec::new(), Vec::<u32>::new(), Vec::new());
    for line in &order.lines {
        if line.quantity == 0 {
            return Err(SourcingError::EmptyLine(line.line_id.clone()));
        }
        if !seen.insert(&line.line_id) {
            return Err(SourcingError::DuplicateLine(line.line_id.clone()));
        }
        let k = match skus.iter().position(|s| *s == &line.sku) {
            Some(k) => k,
            None => {
                skus.push(&line.sku);
                demand.push(0);
                skus.len() - 1
            }
        };
        demand[k] = demand[k].saturating_add(line.quantity);
        line_sku.push(k);
    }
    Ok((line_sku, demand, skus))
}

/// Where packages go, and the pickup store's network index for pickup orders.
fn destination(order: &SourcingOrder, network: &Network) -> Result<(Destination, Option<usize>), SourcingError> {
    let pickup_at = |i: usize| {
        let store = &network.locations()[i];
        let destination = Destination {
            coordinates: store.coordinates,
            resolved_by: DestinationSource::PickupStore,
            zip3: None,
            pickup_store: Some(store.id.clone()),
        };
        (destination, Some(i))
    };
    if let Fulfilment::Pickup { store: Some(id) } = &order.fulfilment {
        return match network.index_of(id) {
            Some(i) if network.locations()[i].kind == LocationKind::Store => Ok(pickup_at(i)),
            _ => Err(SourcingError::UnknownPickupStore(id.clone())),
        };
    }
    let ship_to = ship_to(order)?;
    if let Fulfilment::Pickup { store: None } = &order.fulfilment {
        let nearest = network
            .locations()
            .iter()
            .enumerate()
            .filter(|(_, l)| l.kind == LocationKind::Store && l.active && !l.excluded)
            .map(|(i, l)| (distance_miles(l.coordinates, ship_to.coordinates), i))
            .min_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        return nearest.map(|(_, i)| pickup_at(i)).ok_or(SourcingError::NoPickupStore);
    }
    Ok((ship_to, None))
}

fn ship_to(order: &SourcingOrder) -> Result<Destination, SourcingError> {
    let unknown = || SourcingError::UnknownDestination {
        postal_code: order.postal_code.clone(),
        region: order.region.clone(),
        country: order.country.as_str().to_string(),
    };
    if order.country.as_str() != "US" {
        return Err(unknown());
    }
    if let Some(z) = zip3_of(&order.postal_code) {
        let zip3 = Some(z.code());
        return Ok(Destination {
            coordinates: z.centroid,
            resolved_by: DestinationSource::Zip3Centroid,
            zip3,
            pickup_store: None,
        });
    }
    let coordinates = order.region.as_deref().and_then(state_centroid).ok_or_else(unknown)?;
    Ok(Destination { coordinates, resolved_by: DestinationSource::StateCentroid, zip3: None, pickup_store: None })
}

/// The report of a location holding stock: its status under the rules and its package cost (no carrier
/// from the pickup store itself).
fn reported(
    config: &SourcingConfig,
    network: &Network,
    i: usize,
    to: &Coordinates,
    pickup: Option<usize>,
) -> CandidateReport {
    let l = &network.locations()[i];
    let miles = whole_miles(distance_miles(l.coordinates, *to));
    let at_pickup = pickup == Some(i);
    let quote = config.rates.quote_miles(miles).filter(|_| !at_pickup);
    let service = quote.and_then(|q| config.rates.services().get(q.service));
    let status = if !l.active {
        CandidateStatus::Inactive
    } else if l.excluded {
        CandidateStatus::ExcludedByNetwork
    } else if config.rules.excluded.contains(&l.id) {
        CandidateStatus::ExcludedByRule
    } else if l.capacity_today == 0 {
        CandidateStatus::NoCapacity
    } else if quote.is_none() && !at_pickup {
        CandidateStatus::NoService
    } else {
        CandidateStatus::Candidate
    };
    CandidateReport {
        location: l.id.clone(),
        kind: l.kind,
        status,
        distance_miles: miles,
        zone: zone_of(miles),
        carrier: service.map(|s| s.carrier.clone()),
        service: service.map(|s| s.service.clone()),
        shipping_minor: if at_pickup { Some(0) } else { quote.map(|q| q.cost_minor) },
        handling_minor: l.handling_minor,
        units_available: 0,
        has_everything: false,
        used: false,
    }
}
