//! US geography for the simulation: the ZIP3 table of `data/us-zip3.csv` (derived from the `zipcodes`
//! package, MIT; coordinates from GeoNames, CC BY 4.0, credit: GeoNames, geonames.org; ZIP list from the
//! USPS), great-circle distances, and carrier zones by distance.

use rand::Rng;
use std::sync::OnceLock;

const ZIP3_CSV: &str = include_str!("../../../data/us-zip3.csv");

/// One US 3-digit ZIP prefix: its main state, centroid, and how many ZIP codes it holds.
#[derive(Debug, Clone, PartialEq)]
pub struct Zip3 {
    pub zip3: String,
    pub state: String,
    pub lat: f64,
    pub lon: f64,
    pub zip_count: u32,
}

/// The embedded ZIP3 table, parsed once. Rows that do not parse are skipped.
pub fn zip3_table() -> &'static [Zip3] {
    static TABLE: OnceLock<Vec<Zip3>> = OnceLock::new();
    TABLE.get_or_init(|| ZIP3_CSV.lines().skip(1).filter_map(parse_row).collect())
}

fn parse_row(line: &str) -> Option<Zip3> {
    let mut fields = line.trim().split(',');
    let zip3 = fields.next()?.trim();
    let state = fields.next()?.trim();
    let lat: f64 = fields.next()?.trim().parse().ok()?;
    let lon: f64 = fields.next()?.trim().parse().ok()?;
    let zip_count: u32 = fields.next()?.trim().parse().ok()?;
    let valid = zip3.len() == 3
        && zip3.bytes().all(|b| b.is_ascii_digit())
        && state.len() == 2
        && (-90.0..=90.0).contains(&lat)
        && (-180.0..=180.0).contains(&lon)
        && zip_count > 0;
    valid.then(|| Zip3 { zip3: zip3.to_string(), state: state.to_string(), lat, lon, zip_count })
}

/// The row of a postal code's first three digits.
pub fn zip3_of(postal_code: &str) -> Option<&'static Zip3> {
    let prefix = postal_code.get(..3)?;
    zip3_table().iter().find(|z| z.zip3 == prefix)
}

/// Picks a ZIP3 with probability proportional to its number of ZIP codes (a stand-in for population).
pub fn weighted_zip3(rng: &mut impl Rng) -> Option<&'static Zip3> {
    let table = zip3_table();
    let total: u64 = table.iter().map(|z| u64::from(z.zip_count)).sum();
    if total == 0 {
        return None;
    }
    let mut pick = rng.random_range(0..total);
    for row in table {
        let weight = u64::from(row.zip_count);
        if pick < weight {
            return Some(row);
        }
        pick -= weight;
    }
    table.last()
}

/// Great-circle distance in kilometres between two (latitude, longitude) points.
pub fn distance_km(a: (f64, f64), b: (f64, f64)) -> f64 {
    const EARTH_RADIUS_KM: f64 = 6371.0;
    let (lat1, lon1) = (a.0.to_radians(), a.1.to_radians());
    let (lat2, lon2) = (b.0.to_radians(), b.1.to_radians());
    let h = ((lat2 - lat1) / 2.0).sin().powi(2) + lat1.cos() * lat2.cos() * ((lon2 - lon1) / 2.0).sin().powi(2);
    2.0 * EARTH_RADIUS_KM * h.sqrt().min(1.0).asin()
}

/// Ground shipping zone (2 to 8, as US parcel carriers count them) for a distance.
pub fn zone_for_km(km: f64) -> u8 {
    match km {
        d if !d.is_finite() => 8,
        d if d < 240.0 => 2,
        d if d < 480.0 => 3,
        d if d < 965.0 => 4,
        d if d < 1450.0 => 5,
        d if d < 2250.0 => 6,
        d if d < 2900.0 => 7,
        _ => 8,
    }
}

/// Business days in transit by ground for a zone.
pub fn ground_transit_days(zone: u8) -> u32 {
    match zone {
        0..=2 => 1,
        3 => 2,
        4 => 3,
        5 => 3,
        6 => 4,
        _ => 5,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn table_parses_and_bad_rows_are_skipped() {
        assert!(zip3_table().len() > 800, "{}", zip3_table().len());
        assert_eq!(zip3_of("10001").map(|z| z.state.as_str()), Some("NY"));
        assert!(zip3_of("1").is_none());
        assert!(parse_row("abc,NY,1,2,3").is_none());
        assert!(parse_row("123,NY,100,2,3").is_none());
        assert!(parse_row("123,NY,1,2").is_none());
    }

    #[test]
    fn distances_and_zones() {
        let nyc = (40.71, -74.01);
        let la = (34.05, -118.24);
        let d = distance_km(nyc, la);
        assert!((3900.0..4000.0).contains(&d), "{d}");
        assert_eq!(zone_for_km(d), 8);
        assert_eq!(zone_for_km(10.0), 2);
        assert_eq!(zone_for_km(f64::NAN), 8);
        assert_eq!(ground_transit_days(8), 5);
    }

    #[test]
    fn weighted_pick_covers_many_states() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        let states: std::collections::BTreeSet<_> =
            (0..2000).filter_map(|_| weighted_zip3(&mut rng)).map(|z| z.state.clone()).collect();
        assert!(states.len() > 40, "{states:?}");
    }
}
