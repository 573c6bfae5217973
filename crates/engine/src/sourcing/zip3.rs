//! US ZIP3 centroids, embedded from `data/us-zip3.csv` and parsed once: where a ship-to postal code is,
//! for distance and zone based shipping rates.

use crossdock_model::Coordinates;
use serde::{Deserialize, Serialize};
use std::sync::OnceLock;

const CSV: &str = include_str!("../../../../data/us-zip3.csv");

/// One 3-digit ZIP prefix: its main state, its centroid and how many ZIP codes it holds.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Zip3 {
    /// The prefix as a number, 0..=999 (`"005"` is 5).
    pub prefix: u16,
    /// Two-letter state (or territory, or military) code.
    pub state: [u8; 2],
    pub centroid: Coordinates,
    /// ZIP codes under the prefix: a rough population weight.
    pub zip_count: u32,
}

impl Zip3 {
    /// The prefix as three digits, e.g. `"005"`.
    pub fn code(&self) -> String {
        format!("{:03}", self.prefix)
    }

    pub fn state(&self) -> &str {
        std::str::from_utf8(&self.state).unwrap_or("??")
    }
}

struct Table {
    by_prefix: Vec<Option<Zip3>>,
    all: Vec<Zip3>,
}

fn table() -> &'static Table {
    static TABLE: OnceLock<Table> = OnceLock::new();
    TABLE.get_or_init(|| {
        let all: Vec<Zip3> = CSV.lines().skip(1).filter_map(parse_row).collect();
        let mut by_prefix = vec![None; 1000];
        for row in &all {
            by_prefix[usize::from(row.prefix)] = Some(*row);
        }
        Table { by_prefix, all }
    })
}

fn parse_row(line: &str) -> Option<Zip3> {
    let mut fields = line.trim().split(',');
    let prefix = fields.next()?;
    let state = fields.next()?.as_bytes();
    let lat = fields.next()?.parse().ok()?;
    let lon = fields.next()?.parse().ok()?;
    let zip_count = fields.next()?.parse().ok()?;
    if prefix.len() != 3 || state.len() != 2 {
        return None;
    }
    Some(Zip3 {
        prefix: prefix.parse().ok()?,
        state: [state[0], state[1]],
        centroid: Coordinates::new(lat, lon).ok()?,
        zip_count,
    })
}

/// Every ZIP3 row of the embedded table, in prefix order.
pub fn zip3_table() -> &'static [Zip3] {
    &table().all
}

/// The ZIP3 of a US postal code (`"62701"`, `"62701-1234"`, `"627"`); `None` when the first three
/// characters are not digits or the prefix is not in use.
pub fn zip3_of(postal_code: &str) -> Option<Zip3> {
    let digits = postal_code.trim().as_bytes().get(..3)?;
    if !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let prefix = digits.iter().fold(0usize, |n, d| n * 10 + usize::from(d - b'0'));
    table().by_prefix.get(prefix).copied().flatten()
}

/// The centroid of a state: the mean of its ZIP3 centroids weighted by their ZIP counts.
pub fn state_centroid(state: &str) -> Option<Coordinates> {
    let state = state.trim().as_bytes();
    let (mut lat, mut lon, mut weight) = (0.0, 0.0, 0.0);
    for row in table().all.iter().filter(|r| r.state.eq_ignore_ascii_case(state)) {
        let w = f64::from(row.zip_count.max(1));
        lat += row.centroid.lat * w;
        lon += row.centroid.lon * w;
        weight += w;
    }
    if weight == 0.0 {
        return None;
    }
    Coordinates::new(lat / weight, lon / weight).ok()
}

/// Great-circle distance in statute miles (haversine, mean earth radius 3958.8 mi).
pub fn distance_miles(a: Coordinates, b: Coordinates) -> f64 {
    let (lat1, lat2) = (a.lat.to_radians(), b.lat.to_radians());
    let dlat = lat2 - lat1;
    let dlon = (b.lon - a.lon).to_radians();
    let h = (dlat / 2.0).sin().powi(2) + lat1.cos() * lat2.cos() * (dlon / 2.0).sin().powi(2);
    2.0 * 3958.8 * h.sqrt().min(1.0).asin()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_row_of_the_embedded_table_parses() {
        assert_eq!(zip3_table().len(), CSV.lines().count() - 1);
        let springfield = zip3_of("62701-1234").map(|z| (z.code(), z.state().to_string()));
        assert_eq!(springfield, Some(("627".to_string(), "IL".to_string())));
        assert_eq!(zip3_of("005").map(|z| z.prefix), Some(5));
        assert!(zip3_of("000").is_none() && zip3_of("AB1").is_none() && zip3_of("1").is_none());
        assert!(zip3_of("ÿÿÿ").is_none());
    }

    #[test]
    fn distances_are_plausible() {
        let (ny, la) = (zip3_of("100").map(|z| z.centroid), zip3_of("900").map(|z| z.centroid));
        let d = ny.zip(la).map(|(a, b)| distance_miles(a, b)).unwrap_or_default();
        assert!((2400.0..2500.0).contains(&d), "{d}");
        assert!(state_centroid("il").is_some() && state_centroid("ZZ").is_none());
    }
}
