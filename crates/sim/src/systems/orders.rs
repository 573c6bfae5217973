//! Order generation for the sales channels: a deterministic stream of orders for a seed, with 1–5 lines,
//! Zipf-popular skus, returning customers with ship-to addresses spread over US ZIP3 areas by how many
//! ZIP codes each holds, and a share of pickup-in-store orders addressed to the customer's nearest store.

use crate::catalog::{Catalog, Site, SiteKind, nearest};
use crate::geo::{Zip3, weighted_zip3, zip3_table};
use chrono::{DateTime, Utc};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};
use std::sync::Arc;

const FIRST_NAMES: &[&str] = &[
    "Ada",
    "Grace",
    "Alan",
    "Edsger",
    "Barbara",
    "Donald",
    "Frances",
    "John",
    "Katherine",
    "Linus",
    "Margaret",
    "Niklaus",
    "Radia",
    "Ken",
    "Dennis",
    "Hedy",
    "Tim",
    "Shafi",
    "Leslie",
    "Sophie",
];
const LAST_NAMES: &[&str] = &[
    "Lovelace",
    "Hopper",
    "Turing",
    "Dijkstra",
    "Liskov",
    "Knuth",
    "Allen",
    "Backus",
    "Johnson",
    "Torvalds",
    "Hamilton",
    "Wirth",
    "Perlman",
    "Thompson",
    "Ritchie",
    "Lamarr",
    "Berners-Lee",
    "Goldwasser",
    "Lamport",
    "Wilson",
];
const STREETS: &[&str] =
    &["Main St", "Oak Ave", "Maple Dr", "Cedar Ln", "Park Rd", "Elm St", "Washington Ave", "Lake View Dr", "Hill St"];
const TOWNS: &[&str] = &[
    "Springfield",
    "Franklin",
    "Greenville",
    "Clinton",
    "Fairview",
    "Madison",
    "Georgetown",
    "Salem",
    "Arlington",
    "Riverside",
    "Ashland",
    "Milton",
    "Oxford",
    "Burlington",
    "Jackson",
];
/// Share of orders with 1, 2, 3, 4 and 5 lines.
const LINE_COUNT_WEIGHTS: [f64; 5] = [0.45, 0.25, 0.15, 0.10, 0.05];
/// Orders with at least this subtotal (cents) ship free; others pay [`SHIPPING_FEE`].
const FREE_SHIPPING_FROM: i64 = 5_000;
const SHIPPING_FEE: i64 = 599;

/// One order to place: the request body and what the sim keeps about it.
#[derive(Debug, Clone, PartialEq)]
pub struct GeneratedOrder {
    pub id: String,
    pub external_id: String,
    pub idempotency_key: String,
    /// The body of `POST /v1/orders`.
    pub body: Value,
    /// The store the customer collects from, for pickup-in-store orders.
    pub pickup_store: Option<String>,
}

/// A deterministic stream of orders for one channel.
pub struct OrderGenerator {
    rng: StdRng,
    seed: u64,
    channel: String,
    id_prefix: String,
    catalog: Arc<Catalog>,
    sites: Arc<Vec<Site>>,
    pickup_share: f64,
    customers: u32,
    next: u32,
}

/// A returning customer: the same index always gives the same person and address.
struct Customer {
    id: String,
    name: String,
    email: String,
    line1: String,
    city: String,
    zip3: &'static Zip3,
    postal_code: String,
}

impl OrderGenerator {
    /// Orders of `channel` with ids `{id_prefix}-000001`…, `customers` distinct customers, and `pickup_share`
    /// (0 to 1) of them for pickup in store.
    pub fn new(
        channel: &str,
        id_prefix: &str,
        seed: u64,
        catalog: Arc<Catalog>,
        sites: Arc<Vec<Site>>,
        pickup_share: f64,
        customers: u32,
    ) -> Self {
        Self {
            rng: StdRng::seed_from_u64(seed),
            seed,
            channel: channel.to_string(),
            id_prefix: id_prefix.to_string(),
            catalog,
            sites,
            pickup_share: if pickup_share.is_finite() { pickup_share.clamp(0.0, 1.0) } else { 0.0 },
            customers: customers.max(1),
            next: 0,
        }
    }

    /// Orders made so far.
    pub fn generated(&self) -> u32 {
        self.next
    }

    fn customer(&self, index: u32) -> Option<Customer> {
        let mut rng = StdRng::seed_from_u64(self.seed.rotate_left(17) ^ u64::from(index).wrapping_mul(0x9E37_79B9));
        let first = FIRST_NAMES[rng.random_range(0..FIRST_NAMES.len())];
        let last = LAST_NAMES[rng.random_range(0..LAST_NAMES.len())];
        let zip3 = weighted_zip3(&mut rng).or_else(|| zip3_table().first())?;
        Some(Customer {
            id: format!("cust-{index:06}"),
            name: format!("{first} {last}"),
            email: format!("{}.{}{index}@example.com", first.to_lowercase(), last.to_lowercase().replace('-', "")),
            line1: format!("{} {}", rng.random_range(1..9999), STREETS[rng.random_range(0..STREETS.len())]),
            city: TOWNS[rng.random_range(0..TOWNS.len())].to_string(),
            zip3,
            postal_code: format!("{}{:02}", zip3.zip3, rng.random_range(0..100)),
        })
    }

    fn line_count(&mut self) -> usize {
        let roll: f64 = self.rng.random();
        let mut cumulative = 0.0;
        for (i, weight) in LINE_COUNT_WEIGHTS.iter().enumerate() {
            cumulative += weight;
            if roll < cumulative {
                return i + 1;
            }
        }
        LINE_COUNT_WEIGHTS.len()
    }

    /// The next order, placed at simulated time `placed_at`; `None` only if the ZIP3 table is empty.
    pub fn next_order(&mut self, placed_at: DateTime<Utc>) -> Option<GeneratedOrder> {
        self.next = self.next.saturating_add(1);
        let n = self.next;
        let customer_index = self.rng.random_range(0..self.customers);
        let customer = self.customer(customer_index)?;
        let mut lines = Vec::new();
        let mut skus = Vec::new();
        let mut subtotal = 0i64;
        for _ in 0..self.line_count() {
            let Some(product) = self.catalog.pick(&mut self.rng) else { continue };
            if skus.contains(&product.sku) {
                continue;
            }
            skus.push(product.sku.clone());
            let quantity: u32 = match self.rng.random::<f64>() {
                r if r < 0.75 => 1,
                r if r < 0.93 => 2,
                _ => 3,
            };
            subtotal += product.price_minor * i64::from(quantity);
            lines.push(json!({
                "id": (lines.len() + 1).to_string(),
                "sku": product.sku,
                "quantity": quantity,
                "unit_price": {"amount_minor": product.price_minor, "currency": "USD"},
            }));
        }
        let pickup = self.rng.random::<f64>() < self.pickup_share;
        let store =
            if pickup { nearest(&self.sites, SiteKind::Store, (customer.zip3.lat, customer.zip3.lon)) } else { None };
        let ship_to = match store {
            Some(store) => json!({
                "name": customer.name, "line1": store.line1, "line2": format!("Pickup at {}", store.name),
                "city": store.city, "region": store.region, "postal_code": store.postal_code, "country": "US",
            }),
            None => json!({
                "name": customer.name, "line1": customer.line1, "city": customer.city,
                "region": customer.zip3.state, "postal_code": customer.postal_code, "country": "US",
            }),
        };
        let shipping = if store.is_some() || subtotal >= FREE_SHIPPING_FROM { 0 } else { SHIPPING_FEE };
        let id = format!("{}-{n:06}", self.id_prefix);
        let external_id = format!("{}{n:06}", self.channel.to_uppercase().chars().next().unwrap_or('X'));
        let body = json!({
            "id": id,
            "channel": self.channel,
            "external_id": external_id,
            "customer": {"id": customer.id, "email": customer.email, "name": customer.name},
            "ship_to": ship_to,
            "currency": "USD",
            "shipping": {"amount_minor": shipping, "currency": "USD"},
            "lines": lines,
            "placed_at": placed_at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        });
        Some(GeneratedOrder {
            idempotency_key: format!("{}:order:{external_id}:1", self.channel),
            id,
            external_id,
            body,
            pickup_store: store.map(|s| s.id.clone()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::{CatalogConfig, default_sites};

    fn generator(seed: u64, pickup_share: f64) -> OrderGenerator {
        let catalog = Arc::new(Catalog::generate(&CatalogConfig::default(), seed).unwrap());
        OrderGenerator::new("web", "web", seed, catalog, Arc::new(default_sites()), pickup_share, 1000)
    }

    fn strip_time(mut order: GeneratedOrder) -> GeneratedOrder {
        order.body["placed_at"] = Value::Null;
        order
    }

    #[test]
    fn the_same_seed_gives_the_same_orders() {
        let (mut a, mut b, mut c) = (generator(5, 0.1), generator(5, 0.1), generator(6, 0.1));
        let t = DateTime::UNIX_EPOCH;
        let run = |g: &mut OrderGenerator| (0..50).map(|_| strip_time(g.next_order(t).unwrap())).collect::<Vec<_>>();
        let (ra, rb, rc) = (run(&mut a), run(&mut b), run(&mut c));
        assert_eq!(ra, rb);
        assert_ne!(ra, rc);
        assert_eq!(ra[0].id, "web-000001");
        assert_eq!(ra[0].idempotency_key, "web:order:W000001:1");
    }

    #[test]
    fn the_mix_is_realistic() {
        let mut g = generator(9, 0.1);
        let orders: Vec<_> = (0..1000).filter_map(|_| g.next_order(DateTime::UNIX_EPOCH)).collect();
        let lines: Vec<usize> = orders.iter().map(|o| o.body["lines"].as_array().map_or(0, Vec::len)).collect();
        assert!(lines.iter().all(|n| (1..=5).contains(n)));
        assert!(lines.iter().filter(|n| **n == 1).count() > 400);
        assert!(lines.iter().any(|n| *n >= 4));
        let pickups = orders.iter().filter(|o| o.pickup_store.is_some()).count();
        assert!((50..160).contains(&pickups), "{pickups}");
        let states: std::collections::BTreeSet<_> =
            orders.iter().filter_map(|o| o.body["ship_to"]["region"].as_str()).collect();
        assert!(states.len() > 35, "{states:?}");
        for order in &orders {
            let postal = order.body["ship_to"]["postal_code"].as_str().unwrap();
            assert!(postal.len() == 5 && postal.bytes().all(|b| b.is_ascii_digit()), "{postal}");
        }
    }
}
