//! Seeded generation of a sourcing workload: a network on US ZIP3 centroids, skus with demand-shaped stock
//! (most skus at a few locations, popular ones widely), a rate model, and orders of 1–5 lines whose ship-to
//! addresses follow ZIP density. Deterministic for a seed; used by the benchmark and by tests.

use super::cost::{CarrierService, DistanceBand, RateBasis, RateModel};
use super::network::{AtpTable, Network, NetworkLocation};
use super::request::{Fulfilment, SourcingConfig, SourcingLine, SourcingOrder, SourcingRules};
use super::zip3::{Zip3, zip3_table};
use crossdock_model::{Country, Currency, LineId, LocationId, LocationKind, OrderId, Sku};

/// Everything a sourcing run needs.
#[derive(Debug, Clone)]
pub struct GeneratedWorkload {
    pub network: Network,
    pub atp: AtpTable,
    pub config: SourcingConfig,
    pub orders: Vec<SourcingOrder>,
}

/// SplitMix64: small, fast, and good enough for workload generation.
pub(crate) struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (0 when `n` is 0).
    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 { 0 } else { ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64 }
    }

    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    pub fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    /// An index drawn with probability proportional to the gaps of a cumulative weight table.
    pub fn pick(&mut self, cumulative: &[f64]) -> usize {
        let total = cumulative.last().copied().unwrap_or(0.0);
        let x = self.unit() * total;
        cumulative.partition_point(|&c| c <= x).min(cumulative.len().saturating_sub(1))
    }
}

fn cumulative(weights: impl Iterator<Item = f64>) -> Vec<f64> {
    weights
        .scan(0.0, |sum, w| {
            *sum += w;
            Some(*sum)
        })
        .collect()
}

const LINE_COUNTS: [f64; 5] = [0.45, 0.25, 0.15, 0.10, 0.05];
const MEAN_UNITS_PER_ORDER: f64 = 2.05 * 1.25;

/// The rate model of generated workloads: two national zone-rated ground services and a local courier.
pub fn bench_rates() -> RateModel {
    let zone = |carrier: &str, service: &str, costs: [i64; 8]| CarrierService {
        carrier: carrier.into(),
        service: service.into(),
        rates: RateBasis::Zone { costs_minor: costs.to_vec() },
    };
    let courier = CarrierService {
        carrier: "Metro".into(),
        service: "Same Day".into(),
        rates: RateBasis::Distance {
            bands: vec![
                DistanceBand { up_to_miles: 25, cost_minor: 550 },
                DistanceBand { up_to_miles: 60, cost_minor: 780 },
            ],
        },
    };
    let services = vec![
        zone("UPS", "Ground", [825, 860, 905, 960, 1010, 1080, 1150, 1230]),
        zone("FedEx", "Home Delivery", [850, 850, 890, 945, 1000, 1095, 1170, 1260]),
        courier,
    ];
    RateModel::checked_by_caller(services)
}

fn id<T: std::str::FromStr>(text: String) -> Option<T> {
    text.parse().ok()
}

/// Generates a workload: `locations` sites (about 12% warehouses, 8% 3PL, the rest stores; one store inactive
/// and one excluded when there are enough), `skus` skus with Zipf(0.9) popularity, stock of about 0.8–1.6 ×
/// expected demand (3% of skus out of stock), and `orders` orders (3% pickup, 4% ship-complete).
pub fn generate_workload(locations: usize, skus: usize, orders: usize, seed: u64) -> GeneratedWorkload {
    let mut rng = Rng::new(seed);
    let zips = zip3_table();
    let mainland = |z: &&Zip3| !matches!(z.state(), "AK" | "HI" | "PR" | "VI" | "GU" | "AP" | "AE" | "AA");
    let sites: Vec<&Zip3> = zips.iter().filter(mainland).collect();
    let site_weights = cumulative(sites.iter().map(|z| f64::from(z.zip_count)));
    let ship_weights = cumulative(zips.iter().map(|z| f64::from(z.zip_count)));

    let warehouses = (locations * 12 / 100).max(1);
    let third_party = locations * 8 / 100;
    let mut taken = vec![false; sites.len()];
    let mut network = Vec::with_capacity(locations);
    for n in 0..locations {
        let mut at = rng.pick(&site_weights);
        for _ in 0..20 {
            if !taken[at] {
                break;
            }
            at = rng.pick(&site_weights);
        }
        taken[at] = true;
        let (kind, prefix, handling, capacity) = match n {
            n if n < warehouses => (LocationKind::Warehouse, "DC", 175, 20_000),
            n if n < warehouses + third_party => (LocationKind::ThirdParty, "3PL", 225, 10_000),
            _ => (LocationKind::Store, "ST", 350, 1_500),
        };
        let Some(location_id) = id::<LocationId>(format!("{prefix}-{n:03}-{}", sites[at].code())) else { continue };
        network.push(NetworkLocation {
            id: location_id,
            kind,
            coordinates: sites[at].centroid,
            handling_minor: handling,
            capacity_today: capacity,
            active: !(locations >= 20 && n == locations - 1),
            excluded: locations >= 20 && n == locations - 2,
        });
    }

    let popularity: Vec<f64> = (1..=skus).map(|rank| 1.0 / (rank as f64).powf(0.9)).collect();
    let total_popularity: f64 = popularity.iter().sum();
    let sku_weights = cumulative(popularity.iter().copied());
    let sku_ids: Vec<Option<Sku>> = (0..skus).map(|k| id(format!("SKU-{k:05}"))).collect();
    let dcs: Vec<usize> = (0..network.len()).filter(|&i| network[i].kind != LocationKind::Store).collect();
    let stores: Vec<usize> = (0..network.len()).filter(|&i| network[i].kind == LocationKind::Store).collect();
    let mut atp = AtpTable::new();
    for (k, sku) in sku_ids.iter().enumerate() {
        let Some(sku) = sku else { continue };
        if rng.chance(0.03) {
            continue;
        }
        let share = popularity[k] / total_popularity;
        let expected = orders as f64 * MEAN_UNITS_PER_ORDER * share;
        let total = (expected * (0.8 + 0.8 * rng.unit())).ceil().max(1.0) as i64;
        let popular = k < skus / 10;
        let in_stores: Vec<usize> =
            stores.iter().copied().filter(|_| rng.chance(if popular { 0.5 } else { 0.05 })).collect();
        let dc_count = if k < skus / 100 { dcs.len() } else { 1 + rng.below(3) as usize };
        let mut in_dcs: Vec<usize> = Vec::new();
        while in_dcs.len() < dc_count.min(dcs.len()) {
            let d = dcs[rng.below(dcs.len() as u64) as usize];
            if !in_dcs.contains(&d) {
                in_dcs.push(d);
            }
        }
        let store_total = if in_stores.is_empty() || in_dcs.is_empty() { 0 } else { total / 4 };
        let mut place = |holders: &[usize], units: i64, rng: &mut Rng| {
            for (n, &i) in holders.iter().enumerate() {
                let even = units / holders.len() as i64;
                let extra = if n == 0 { units % holders.len() as i64 } else { 0 };
                let jitter = if even > 2 { rng.below(even as u64 / 2) as i64 } else { 0 };
                atp.set(sku, &network[i].id, (even + extra + jitter).max(1));
            }
        };
        place(&in_dcs, total - store_total, &mut rng);
        place(&in_stores, store_total, &mut rng);
    }

    let line_weights = cumulative(LINE_COUNTS.iter().copied());
    let mut generated = Vec::with_capacity(orders);
    for n in 0..orders {
        let zip = &zips[rng.pick(&ship_weights)];
        let mut lines: Vec<SourcingLine> = Vec::new();
        let count = rng.pick(&line_weights) + 1;
        for l in 0..count {
            let mut k = rng.pick(&sku_weights);
            for _ in 0..10 {
                if !lines.iter().any(|line| Some(&line.sku) == sku_ids.get(k).and_then(Option::as_ref)) {
                    break;
                }
                k = rng.pick(&sku_weights);
            }
            let quantity = match rng.unit() {
                u if u < 0.80 => 1,
                u if u < 0.95 => 2,
                _ => 3,
            };
            let (Some(sku), Some(line_id)) = (sku_ids.get(k).cloned().flatten(), id::<LineId>(format!("{}", l + 1)))
            else {
                continue;
            };
            if !lines.iter().any(|line| line.sku == sku) {
                lines.push(SourcingLine { line_id, sku, quantity });
            }
        }
        let Some(order_id) = id::<OrderId>(format!("B-{n:07}")) else { continue };
        let fulfilment = if rng.chance(0.03) { Fulfilment::Pickup { store: None } } else { Fulfilment::Ship };
        generated.push(SourcingOrder {
            order_id,
            postal_code: format!("{}{:02}", zip.code(), rng.below(100)),
            region: Some(zip.state().to_string()),
            country: Country::US,
            lines,
            fulfilment,
            ship_complete: rng.chance(0.04),
        });
    }

    let config = SourcingConfig {
        currency: Currency::USD,
        rates: bench_rates(),
        split_penalty_minor: 300,
        rules: SourcingRules::default(),
        budget: Default::default(),
    };
    GeneratedWorkload { network: Network::checked_by_caller(network), atp, config, orders: generated }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_inputs_pass_validation_and_are_deterministic() {
        let a = generate_workload(50, 200, 300, 7);
        assert!(Network::new(a.network.locations().to_vec()).is_ok());
        assert!(RateModel::new(a.config.rates.services().to_vec()).is_ok());
        assert_eq!(a.network.locations().len(), 50);
        assert_eq!(a.orders.len(), 300);
        assert!(a.orders.iter().all(|o| (1..=5).contains(&o.lines.len())));
        let b = generate_workload(50, 200, 300, 7);
        assert_eq!(a.orders, b.orders);
        assert_eq!(a.network, b.network);
    }

    #[test]
    fn degenerate_sizes_generate_without_panicking() {
        for (locations, skus, orders) in [(0, 0, 5), (0, 10, 5), (3, 0, 5), (1, 1, 0), (1, 1, 5)] {
            let w = generate_workload(locations, skus, orders, 1);
            assert_eq!(w.network.locations().len(), locations);
        }
    }
}
