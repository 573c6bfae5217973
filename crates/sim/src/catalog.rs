//! What the simulated business sells and where it keeps it: a seeded product catalog with Zipf-distributed
//! popularity, and the sites (warehouses and stores) with their coordinates and addresses.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};

/// A product: its sku, unit price in cents (USD) and shipping weight.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Product {
    pub sku: String,
    pub price_minor: i64,
    pub weight_grams: u32,
}

/// Samples ranks 0..n with probability proportional to 1 / (rank + 1)^s.
#[derive(Debug, Clone)]
pub struct Zipf {
    cumulative: Vec<f64>,
}

impl Zipf {
    /// `n` ranks (at least one) and exponent `s` (finite, 0 to 5; 0 is uniform).
    pub fn new(n: usize, s: f64) -> Result<Self, String> {
        if n == 0 {
            return Err("a Zipf distribution needs at least one rank".into());
        }
        if !s.is_finite() || !(0.0..=5.0).contains(&s) {
            return Err(format!("Zipf exponent {s} is not a number from 0 to 5"));
        }
        let mut total = 0.0;
        let cumulative = (1..=n)
            .map(|k| {
                total += 1.0 / (k as f64).powf(s);
                total
            })
            .collect();
        Ok(Self { cumulative })
    }

    /// The share of draws that fall on `rank`.
    pub fn weight(&self, rank: usize) -> f64 {
        let total = self.cumulative.last().copied().unwrap_or(1.0);
        let below = if rank == 0 { 0.0 } else { self.cumulative.get(rank - 1).copied().unwrap_or(total) };
        (self.cumulative.get(rank).copied().unwrap_or(below) - below) / total
    }

    pub fn sample(&self, rng: &mut impl Rng) -> usize {
        let total = self.cumulative.last().copied().unwrap_or(1.0);
        let target = rng.random::<f64>() * total;
        self.cumulative.partition_point(|c| *c < target).min(self.cumulative.len().saturating_sub(1))
    }
}

/// The catalog: products ordered by popularity (rank 0 sells most); never empty.
#[derive(Debug, Clone)]
pub struct Catalog {
    products: Vec<Product>,
    popularity: Zipf,
}

/// How the catalog is generated.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CatalogConfig {
    /// Number of skus (1 to 100,000).
    pub skus: usize,
    /// Zipf exponent of sku popularity.
    pub zipf_exponent: f64,
    /// Units on hand at each warehouse at the start, spread over skus by popularity.
    pub warehouse_units: u32,
    /// Units on hand at each store at the start, spread the same way.
    pub store_units: u32,
}

impl Default for CatalogConfig {
    fn default() -> Self {
        Self { skus: 200, zipf_exponent: 1.0, warehouse_units: 4000, store_units: 400 }
    }
}

impl Catalog {
    /// A catalog for `seed`: the same seed gives the same skus and prices.
    pub fn generate(config: &CatalogConfig, seed: u64) -> Result<Self, String> {
        if !(1..=100_000).contains(&config.skus) {
            return Err(format!("catalog.skus is {}; 1 to 100000 are allowed", config.skus));
        }
        let popularity = Zipf::new(config.skus, config.zipf_exponent)?;
        let mut rng = StdRng::seed_from_u64(seed ^ 0xC0FF_EE00);
        let products = (0..config.skus)
            .map(|i| {
                // Log-uniform between 4.99 and 199.99 USD, rounded to end in .99.
                let dollars = (4.99f64.ln() + rng.random::<f64>() * (199.99f64 / 4.99).ln()).exp();
                let price_minor = (dollars.floor() as i64) * 100 + 99;
                Product { sku: format!("SKU-{:05}", i + 1), price_minor, weight_grams: rng.random_range(100..=5000) }
            })
            .collect();
        Ok(Self { products, popularity })
    }

    /// Every product, most popular first.
    pub fn products(&self) -> &[Product] {
        &self.products
    }

    /// A product drawn by popularity.
    pub fn pick(&self, rng: &mut impl Rng) -> Option<&Product> {
        self.products.get(self.popularity.sample(rng))
    }

    /// Starting stock of each sku for a site holding `units` in all, by popularity (at least 1 each).
    pub fn initial_stock(&self, units: u32) -> Vec<(&Product, u32)> {
        self.products
            .iter()
            .enumerate()
            .map(|(rank, p)| (p, ((f64::from(units) * self.popularity.weight(rank)).round() as u32).max(1)))
            .collect()
    }

    pub fn product(&self, sku: &str) -> Option<&Product> {
        self.products.iter().find(|p| p.sku == sku)
    }
}

/// Whether a site ships parcels (warehouse) or serves shoppers (store).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SiteKind {
    Warehouse,
    Store,
}

/// A warehouse or store of the simulated business.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Site {
    pub id: String,
    pub name: String,
    pub kind: SiteKind,
    pub lat: f64,
    pub lon: f64,
    pub line1: String,
    pub city: String,
    pub region: String,
    pub postal_code: String,
}

impl Site {
    pub fn coordinates(&self) -> (f64, f64) {
        (self.lat, self.lon)
    }

    /// The site as the body of `PUT /v1/locations/{id}`.
    pub fn location_body(&self) -> serde_json::Value {
        serde_json::json!({
            "name": self.name,
            "kind": self.kind,
            "coordinates": {"lat": self.lat, "lon": self.lon},
            "address": {
                "name": self.name, "line1": self.line1, "city": self.city, "region": self.region,
                "postal_code": self.postal_code, "country": "US",
            },
        })
    }
}

#[allow(clippy::too_many_arguments)]
fn site(
    id: &str,
    name: &str,
    kind: SiteKind,
    lat: f64,
    lon: f64,
    line1: &str,
    city: &str,
    region: &str,
    zip: &str,
) -> Site {
    Site {
        id: id.into(),
        name: name.into(),
        kind,
        lat,
        lon,
        line1: line1.into(),
        city: city.into(),
        region: region.into(),
        postal_code: zip.into(),
    }
}

/// Three warehouses (east, central, west) and six stores in large US cities.
pub fn default_sites() -> Vec<Site> {
    use SiteKind::{Store, Warehouse};
    vec![
        site("wh-east", "East DC", Warehouse, 40.20, -77.19, "100 Logistics Way", "Carlisle", "PA", "17013"),
        site("wh-central", "Central DC", Warehouse, 35.15, -90.05, "200 Distribution Dr", "Memphis", "TN", "38118"),
        site("wh-west", "West DC", Warehouse, 39.53, -119.81, "300 Fulfilment Ave", "Reno", "NV", "89502"),
        site("store-nyc", "New York Store", Store, 40.75, -73.99, "1 Herald Sq", "New York", "NY", "10001"),
        site("store-chi", "Chicago Store", Store, 41.88, -87.63, "2 State St", "Chicago", "IL", "60601"),
        site("store-dal", "Dallas Store", Store, 32.78, -96.80, "3 Main St", "Dallas", "TX", "75201"),
        site("store-atl", "Atlanta Store", Store, 33.75, -84.39, "4 Peachtree St", "Atlanta", "GA", "30303"),
        site("store-sf", "San Francisco Store", Store, 37.77, -122.41, "5 Market St", "San Francisco", "CA", "94103"),
        site("store-sea", "Seattle Store", Store, 47.61, -122.33, "6 Pike St", "Seattle", "WA", "98101"),
    ]
}

/// The site nearest to a point among those of `kind`.
pub fn nearest(sites: &[Site], kind: SiteKind, point: (f64, f64)) -> Option<&Site> {
    sites.iter().filter(|s| s.kind == kind).min_by(|a, b| {
        crate::geo::distance_km(a.coordinates(), point).total_cmp(&crate::geo::distance_km(b.coordinates(), point))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zipf_is_skewed_and_validated() {
        let zipf = Zipf::new(100, 1.0).unwrap();
        assert!(zipf.weight(0) > 5.0 * zipf.weight(10));
        let total: f64 = (0..100).map(|r| zipf.weight(r)).sum();
        assert!((total - 1.0).abs() < 1e-9);
        let mut rng = StdRng::seed_from_u64(1);
        let top = (0..10_000).filter(|_| zipf.sample(&mut rng) == 0).count();
        assert!((1500..2800).contains(&top), "{top}");
        assert!(Zipf::new(0, 1.0).is_err());
        assert!(Zipf::new(3, f64::NAN).is_err());
        assert_eq!(Zipf::new(1, 0.0).unwrap().sample(&mut rng), 0);
    }

    #[test]
    fn catalog_is_deterministic_per_seed() {
        let config = CatalogConfig::default();
        let a = Catalog::generate(&config, 42).unwrap();
        let b = Catalog::generate(&config, 42).unwrap();
        let c = Catalog::generate(&config, 43).unwrap();
        assert_eq!(a.products, b.products);
        assert_ne!(a.products, c.products);
        assert!(a.products.iter().all(|p| (499..=19999).contains(&p.price_minor)));
        assert!(Catalog::generate(&CatalogConfig { skus: 0, ..config }, 1).is_err());
    }

    #[test]
    fn stock_follows_popularity() {
        let catalog = Catalog::generate(&CatalogConfig::default(), 1).unwrap();
        let stock = catalog.initial_stock(1000);
        assert!(stock[0].1 > stock[150].1);
        assert!(stock.iter().all(|(_, units)| *units >= 1));
    }

    #[test]
    fn nearest_store() {
        let sites = default_sites();
        let boston = (42.36, -71.06);
        assert_eq!(nearest(&sites, SiteKind::Store, boston).map(|s| s.id.as_str()), Some("store-nyc"));
        assert_eq!(nearest(&sites, SiteKind::Warehouse, (36.0, -115.0)).map(|s| s.id.as_str()), Some("wh-west"));
    }
}
