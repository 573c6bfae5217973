//! Sourcing fixtures: a five-location network around New York City with a simple rate model, an order
//! builder, and a compact rendering of decisions for data-driven expectations.

use crate::support::{line_id, loc, sku};
use crossdock_engine::sourcing::{
    AtpTable, CarrierService, DistanceBand, Fulfilment, Network, NetworkLocation, RateBasis, RateModel, SourcingConfig,
    SourcingDecision, SourcingLine, SourcingOrder, SourcingRules, zip3_of,
};
use crossdock_model::{Coordinates, Country, Currency, LocationKind, OrderId};

pub fn centroid(zip3: &str) -> Coordinates {
    zip3_of(zip3).map(|z| z.centroid).expect("a known ZIP3")
}

pub fn site(id: &str, kind: LocationKind, zip3: &str, handling_minor: i64) -> NetworkLocation {
    NetworkLocation {
        id: loc(id),
        kind,
        coordinates: centroid(zip3),
        handling_minor,
        capacity_today: 100,
        active: true,
        excluded: false,
    }
}

/// Ground by distance band (≤100 mi 6.00, ≤1000 mi 9.00, ≤3500 mi 12.00) and a courier (≤30 mi 4.00).
pub fn rates() -> RateModel {
    let band = |up_to_miles, cost_minor| DistanceBand { up_to_miles, cost_minor };
    RateModel::new(vec![
        CarrierService {
            carrier: "Test".into(),
            service: "Ground".into(),
            rates: RateBasis::Distance { bands: vec![band(100, 600), band(1000, 900), band(3500, 1200)] },
        },
        CarrierService {
            carrier: "Metro".into(),
            service: "Courier".into(),
            rates: RateBasis::Distance { bands: vec![band(30, 400)] },
        },
    ])
    .expect("valid rates")
}

/// BKN store (Brooklyn, 112) and NWK store (Newark, 071): courier 4.00 + handling 4.00 to New York;
/// PHL warehouse (191): 6.00 + 1.50; CHI warehouse (606): 9.00 + 1.50; LAX warehouse (900): 12.00 + 1.50.
pub fn sites() -> Vec<NetworkLocation> {
    vec![
        site("BKN", LocationKind::Store, "112", 400),
        site("NWK", LocationKind::Store, "071", 400),
        site("PHL", LocationKind::Warehouse, "191", 150),
        site("CHI", LocationKind::Warehouse, "606", 150),
        site("LAX", LocationKind::Warehouse, "900", 150),
    ]
}

pub fn network() -> Network {
    Network::new(sites()).expect("valid network")
}

pub fn config() -> SourcingConfig {
    SourcingConfig {
        currency: Currency::USD,
        rates: rates(),
        split_penalty_minor: 300,
        rules: SourcingRules::default(),
        budget: Default::default(),
    }
}

/// ATP from (sku, location, units).
pub fn atp(stock: &[(&str, &str, i64)]) -> AtpTable {
    let mut table = AtpTable::new();
    for (s, at, units) in stock {
        table.set(&sku(s), &loc(at), *units);
    }
    table
}

/// An order to New York 10001 with lines (id, sku, units).
pub fn order(lines: &[(&str, &str, u32)]) -> SourcingOrder {
    SourcingOrder {
        order_id: OrderId::new("o-1").expect("id"),
        postal_code: "10001".into(),
        region: Some("NY".into()),
        country: Country::US,
        lines: lines.iter().map(|(l, s, q)| SourcingLine { line_id: line_id(l), sku: sku(s), quantity: *q }).collect(),
        fulfilment: Fulfilment::Ship,
        ship_complete: false,
    }
}

/// The plan and the reason, one fact a line.
pub fn render(d: &SourcingDecision) -> String {
    let mut out = Vec::new();
    for s in &d.plan.shipments {
        let lines: Vec<String> = s.lines.iter().map(|l| format!("{}×{}", l.line_id, l.quantity)).collect();
        out.push(format!("ship {}: {} ({}+{})", s.location, lines.join(" "), s.shipping_minor, s.handling_minor));
    }
    for b in &d.plan.backorders {
        out.push(format!("backorder {}×{}", b.line_id, b.quantity));
    }
    let c = &d.plan.cost;
    out.push(format!("cost {} = {}+{}+{}", c.total_minor, c.shipping_minor, c.handling_minor, c.split_penalty_minor));
    let reason = serde_json::to_value(&d.explanation.reason).expect("serializable");
    let code = reason["code"].as_str().unwrap_or("?").to_string();
    let solver = serde_json::to_value(d.explanation.solver.kind).expect("serializable");
    out.push(format!("{code} ({})", solver.as_str().unwrap_or("?")));
    out.join("\n")
}

/// Every candidate of the explanation: location, status, miles, package cost, units, and whether it is used.
pub fn render_candidates(d: &SourcingDecision) -> String {
    d.explanation
        .candidates
        .iter()
        .map(|c| {
            let status = serde_json::to_value(c.status).expect("serializable");
            let ship = c.shipping_minor.map_or("-".to_string(), |s| s.to_string());
            let everything = if c.has_everything { " all" } else { "" };
            let used = if c.used { " used" } else { "" };
            format!(
                "{} {} {}mi {}+{} units {}{everything}{used}",
                c.location,
                status.as_str().unwrap_or("?"),
                c.distance_miles,
                ship,
                c.handling_minor,
                c.units_available
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}
