//! Shipping rates: per carrier service, a cost per package by USPS-style distance zone or by distance
//! band, in integer minor units. A package is one shipment from one location.

use super::SourcingError;
use super::zip3::distance_miles;
use crossdock_model::Coordinates;
use serde::{Deserialize, Serialize};

/// Highest cost accepted for one package, handling or split penalty, in minor units (1,000,000.00).
pub const MAX_COST_MINOR: i64 = 100_000_000;

/// Upper bounds (inclusive, miles) of USPS-style zones 1–8 between origin and destination ZIP3 centroids;
/// anything beyond the last bound is zone 8.
pub const ZONE_UPPER_MILES: [u32; 7] = [50, 150, 300, 600, 1000, 1400, 1800];

/// The zone (1–8) of a distance in miles.
pub fn zone_of(miles: u32) -> u8 {
    let below = ZONE_UPPER_MILES.iter().take_while(|&&bound| miles > bound).count();
    u8::try_from(below + 1).unwrap_or(8)
}

/// A cost for packages travelling at most `up_to_miles`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DistanceBand {
    pub up_to_miles: u32,
    pub cost_minor: i64,
}

/// How a service prices a package.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "basis", rename_all = "snake_case")]
pub enum RateBasis {
    /// `costs_minor[z - 1]` is the cost of a package to zone `z`, for the 8 zones of [`zone_of`].
    Zone { costs_minor: Vec<i64> },
    /// The first band whose `up_to_miles` covers the distance; beyond the last band the service does not go.
    Distance { bands: Vec<DistanceBand> },
}

/// One carrier service and its rates.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CarrierService {
    pub carrier: String,
    pub service: String,
    pub rates: RateBasis,
}

impl CarrierService {
    /// The cost of one package over `miles`, if the service covers that distance.
    pub fn package_cost(&self, miles: u32) -> Option<i64> {
        match &self.rates {
            RateBasis::Zone { costs_minor } => costs_minor.get(usize::from(zone_of(miles)) - 1).copied(),
            RateBasis::Distance { bands } => bands.iter().find(|b| miles <= b.up_to_miles).map(|b| b.cost_minor),
        }
    }
}

/// The services a network ships with; each package goes with the cheapest service covering its lane.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "Vec<CarrierService>", into = "Vec<CarrierService>")]
pub struct RateModel {
    services: Vec<CarrierService>,
}

/// The price of one package on one lane.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quote {
    /// Index of the service in the rate model.
    pub service: usize,
    pub cost_minor: i64,
    pub miles: u32,
    pub zone: u8,
}

impl RateModel {
    /// Checks the services: at least one; zone tables with 8 costs; distance bands non-empty and increasing;
    /// costs between 0 and [`MAX_COST_MINOR`].
    pub fn new(services: Vec<CarrierService>) -> Result<Self, SourcingError> {
        if services.is_empty() {
            return Err(SourcingError::InvalidRates("a rate model needs at least one carrier service".into()));
        }
        for s in &services {
            let name = format!("{} {}", s.carrier, s.service);
            let costs: Vec<i64> = match &s.rates {
                RateBasis::Zone { costs_minor } if costs_minor.len() == 8 => costs_minor.clone(),
                RateBasis::Zone { costs_minor } => {
                    let n = costs_minor.len();
                    return Err(SourcingError::InvalidRates(format!("{name}: {n} zone costs given; 8 are needed")));
                }
                RateBasis::Distance { bands } => {
                    if bands.is_empty() || bands.windows(2).any(|w| w[0].up_to_miles >= w[1].up_to_miles) {
                        let why = "distance bands must be non-empty with increasing up_to_miles";
                        return Err(SourcingError::InvalidRates(format!("{name}: {why}")));
                    }
                    bands.iter().map(|b| b.cost_minor).collect()
                }
            };
            if costs.iter().any(|c| !(0..=MAX_COST_MINOR).contains(c)) {
                return Err(SourcingError::InvalidRates(format!(
                    "{name}: costs must be between 0 and {MAX_COST_MINOR}"
                )));
            }
        }
        Ok(Self { services })
    }

    /// A model whose services the caller built valid (the generator's constant tables).
    pub(crate) fn checked_by_caller(services: Vec<CarrierService>) -> Self {
        Self { services }
    }

    pub fn services(&self) -> &[CarrierService] {
        &self.services
    }

    /// The cheapest service for a package from `from` to `to` (ties: the first listed), or `None` when no
    /// service covers the distance.
    pub fn quote(&self, from: Coordinates, to: Coordinates) -> Option<Quote> {
        self.quote_miles(whole_miles(distance_miles(from, to)))
    }

    /// The cheapest service for a package travelling `miles` (ties: the first listed).
    pub fn quote_miles(&self, miles: u32) -> Option<Quote> {
        let zone = zone_of(miles);
        let mut best: Option<Quote> = None;
        for (service, s) in self.services.iter().enumerate() {
            if let Some(cost_minor) = s.package_cost(miles)
                && best.is_none_or(|b| cost_minor < b.cost_minor)
            {
                best = Some(Quote { service, cost_minor, miles, zone });
            }
        }
        best
    }
}

/// A distance rounded to the nearest whole mile.
pub fn whole_miles(miles: f64) -> u32 {
    if miles.is_finite() && miles > 0.0 { miles.round().min(f64::from(u32::MAX)) as u32 } else { 0 }
}

impl TryFrom<Vec<CarrierService>> for RateModel {
    type Error = SourcingError;
    fn try_from(services: Vec<CarrierService>) -> Result<Self, Self::Error> {
        Self::new(services)
    }
}

impl From<RateModel> for Vec<CarrierService> {
    fn from(model: RateModel) -> Self {
        model.services
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn service(name: &str, rates: RateBasis) -> CarrierService {
        CarrierService { carrier: "C".into(), service: name.into(), rates }
    }

    #[test]
    fn zones_follow_the_distance_chart() {
        let zones: Vec<u8> = [0, 50, 51, 150, 151, 300, 600, 601, 1000, 1400, 1800, 1801, 5000].map(zone_of).to_vec();
        assert_eq!(zones, [1, 1, 2, 2, 3, 3, 4, 5, 5, 6, 7, 8, 8]);
    }

    #[test]
    fn the_cheapest_service_covering_the_lane_wins() {
        let ground =
            service("ground", RateBasis::Zone { costs_minor: vec![800, 850, 900, 950, 1000, 1100, 1200, 1300] });
        let courier =
            service("local", RateBasis::Distance { bands: vec![DistanceBand { up_to_miles: 60, cost_minor: 500 }] });
        let model = RateModel::new(vec![ground, courier]).expect("valid");
        let here = Coordinates { lat: 40.0, lon: -75.0 };
        let near = Coordinates { lat: 40.5, lon: -75.0 };
        let far = Coordinates { lat: 34.0, lon: -118.0 };
        assert_eq!(model.quote(here, near).map(|q| (q.service, q.cost_minor, q.zone)), Some((1, 500, 1)));
        assert_eq!(model.quote(here, far).map(|q| (q.service, q.cost_minor, q.zone)), Some((0, 1300, 8)));
        assert_eq!(model.quote(here, here).map(|q| (q.miles, q.zone)), Some((0, 1)));
    }

    #[test]
    fn bad_rate_tables_are_refused() {
        let bad = [
            vec![],
            vec![service("z", RateBasis::Zone { costs_minor: vec![1; 7] })],
            vec![service("d", RateBasis::Distance { bands: vec![] })],
            vec![service("d", RateBasis::Zone { costs_minor: vec![-1; 8] })],
            vec![service(
                "d",
                RateBasis::Distance {
                    bands: vec![
                        DistanceBand { up_to_miles: 5, cost_minor: 1 },
                        DistanceBand { up_to_miles: 5, cost_minor: 2 },
                    ],
                },
            )],
        ];
        for services in bad {
            assert!(RateModel::new(services).is_err());
        }
        let json = r#"[{"carrier":"C","service":"s","rates":{"basis":"zone","costs_minor":[1,2,3]}}]"#;
        assert!(serde_json::from_str::<RateModel>(json).is_err());
    }
}
