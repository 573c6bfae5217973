//! Realistic generated orders for benchmarks: 1–5 lines, Zipf-popular skus, ship-to addresses across US states.

use rand::{Rng, SeedableRng, rngs::StdRng};
use serde_json::{Value, json};

/// One US ZIP3 area: its state, centroid and how many ZIP codes it holds.
pub struct Zip3 {
    pub zip3: String,
    pub state: String,
    pub weight: u32,
}

/// The ZIP3 table shipped in `data/us-zip3.csv` (credit in `data/README.md`).
pub fn zip3_table() -> Vec<Zip3> {
    include_str!("../../../data/us-zip3.csv")
        .lines()
        .skip(1)
        .filter_map(|line| {
            let f: Vec<&str> = line.split(',').collect();
            Some(Zip3 { zip3: f.first()?.to_string(), state: f.get(1)?.to_string(), weight: f.get(4)?.parse().ok()? })
        })
        .filter(|z| z.weight > 0)
        .collect()
}

const FIRST: &[&str] = &["Ada", "Grace", "Alan", "Edsger", "Barbara", "Donald", "Frances", "Ken", "Margaret", "Linus"];
const LAST: &[&str] = &["Lovelace", "Hopper", "Turing", "Dijkstra", "Liskov", "Knuth", "Allen", "Thompson", "Hamilton"];
const STREETS: &[&str] = &["Main St", "Oak Ave", "Maple Dr", "Cedar Ln", "Pine St", "Elm St", "Washington Blvd"];
const CHANNELS: &[&str] = &["web", "marketplace", "pos"];

/// Generates order request bodies for `POST /v1/orders`, deterministic for a seed.
pub struct OrderGenerator {
    rng: StdRng,
    zips: Vec<Zip3>,
    zip_total: u64,
    sku_weights: Vec<f64>,
    sku_total: f64,
    run: String,
}

impl OrderGenerator {
    pub fn new(seed: u64, skus: usize, run: &str) -> Self {
        let zips = zip3_table();
        let zip_total = zips.iter().map(|z| u64::from(z.weight)).sum();
        // Zipf with exponent 1: the k-th sku is ordered in proportion to 1/k.
        let sku_weights: Vec<f64> = (1..=skus.max(1)).map(|k| 1.0 / k as f64).collect();
        let sku_total = sku_weights.iter().sum();
        Self { rng: StdRng::seed_from_u64(seed), zips, zip_total, sku_weights, sku_total, run: run.to_string() }
    }

    fn sku(&mut self) -> String {
        let mut pick = self.rng.random::<f64>() * self.sku_total;
        for (i, w) in self.sku_weights.iter().enumerate() {
            if pick < *w {
                return format!("SKU-{:05}", i + 1);
            }
            pick -= w;
        }
        format!("SKU-{:05}", self.sku_weights.len())
    }

    fn zip(&mut self) -> (String, String) {
        let mut pick = self.rng.random_range(0..self.zip_total.max(1));
        for z in &self.zips {
            if pick < u64::from(z.weight) {
                return (format!("{}{:02}", z.zip3, self.rng.random_range(0..100)), z.state.clone());
            }
            pick -= u64::from(z.weight);
        }
        ("10001".into(), "NY".into())
    }

    /// The `n`-th order body.
    pub fn order(&mut self, n: usize) -> Value {
        let first = FIRST[self.rng.random_range(0..FIRST.len())];
        let last = LAST[self.rng.random_range(0..LAST.len())];
        let (postal_code, state) = self.zip();
        let line_count = self.rng.random_range(1..=5);
        let lines: Vec<Value> = (0..line_count)
            .map(|i| {
                json!({
                    "id": format!("{}", i + 1),
                    "sku": self.sku(),
                    "quantity": self.rng.random_range(1..=3),
                    "unit_price": {"amount_minor": self.rng.random_range(199..=19999), "currency": "USD"},
                })
            })
            .collect();
        let channel = CHANNELS[self.rng.random_range(0..CHANNELS.len())];
        json!({
            "id": format!("{}-{n}", self.run),
            "channel": channel,
            "external_id": format!("{}-{channel}-{n}", self.run),
            "customer": {"email": format!("{}.{}{n}@example.com", first.to_lowercase(), last.to_lowercase()), "name": format!("{first} {last}")},
            "ship_to": {
                "name": format!("{first} {last}"),
                "line1": format!("{} {}", self.rng.random_range(1..9999), STREETS[self.rng.random_range(0..STREETS.len())]),
                "city": "Springfield",
                "region": state,
                "postal_code": postal_code,
                "country": "US",
            },
            "currency": "USD",
            "shipping": {"amount_minor": 599, "currency": "USD"},
            "lines": lines,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn orders_are_realistic_and_deterministic() {
        assert!(zip3_table().len() > 800);
        let a: Vec<Value> = {
            let mut g = OrderGenerator::new(7, 1000, "r");
            (0..50).map(|n| g.order(n)).collect()
        };
        let b: Vec<Value> = {
            let mut g = OrderGenerator::new(7, 1000, "r");
            (0..50).map(|n| g.order(n)).collect()
        };
        assert_eq!(a, b);
        for o in &a {
            let lines = o["lines"].as_array().unwrap().len();
            assert!((1..=5).contains(&lines));
            assert_eq!(o["ship_to"]["region"].as_str().unwrap().len(), 2);
        }
        let states: std::collections::HashSet<_> = a.iter().map(|o| o["ship_to"]["region"].clone()).collect();
        assert!(states.len() > 5, "addresses spread across states: {states:?}");
    }
}
