//! People and places: addresses, countries, e-mail addresses, customers, fulfilment locations.

use crate::{CustomerId, LocationId, ValidationError, codes::COUNTRIES};
use serde::{Deserialize, Serialize};

/// An ISO 3166-1 alpha-2 country code, upper case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(try_from = "String", into = "String")]
#[schema(value_type = String, example = "US")]
pub struct Country([u8; 2]);

impl Country {
    pub const US: Country = Country(*b"US");

    pub fn new(code: &str) -> Result<Self, ValidationError> {
        if COUNTRIES.contains(&code) {
            Ok(Self(code.as_bytes().try_into().expect("table codes are two bytes")))
        } else {
            Err(ValidationError::new("invalid_country", format!("{code:?} is not an ISO 3166-1 alpha-2 country code")))
        }
    }

    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).expect("country codes are ascii")
    }
}

impl TryFrom<String> for Country {
    type Error = ValidationError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::new(&value)
    }
}

impl From<Country> for String {
    fn from(value: Country) -> String {
        value.as_str().to_string()
    }
}

/// An e-mail address, checked for plausible syntax (local@domain.tld, no spaces, at most 254 bytes).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(try_from = "String", into = "String")]
#[schema(value_type = String, example = "ada@example.com")]
pub struct Email(String);

impl Email {
    pub fn new(value: impl Into<String>) -> Result<Self, ValidationError> {
        let value = value.into();
        let bad = |why: &str| {
            Err(ValidationError::new("invalid_email", format!("{value:?} is not an e-mail address: {why}")))
        };
        if value.len() > 254 {
            return bad("longer than 254 bytes");
        }
        if value.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return bad("it contains whitespace");
        }
        let Some((local, domain)) = value.rsplit_once('@') else {
            return bad("no @");
        };
        if local.is_empty() || local.len() > 64 || local.contains('@') {
            return bad("the part before @ is empty, too long or has another @");
        }
        let labels: Vec<&str> = domain.split('.').collect();
        if labels.len() < 2 || labels.iter().any(|l| l.is_empty() || l.starts_with('-') || l.ends_with('-')) {
            return bad("the domain needs at least two non-empty labels");
        }
        if !domain.chars().all(|c| c.is_alphanumeric() || c == '-' || c == '.') {
            return bad("the domain has characters other than letters, digits, '-' and '.'");
        }
        Ok(Self(value))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The sealed (encrypted) form of an address, unchecked: only for the copy of an order that the store
    /// serializes into its tables, where PII is kept sealed. What is read back is opened before it is parsed,
    /// so a value made here never reaches anything that treats it as an address.
    #[doc(hidden)]
    pub fn sealed(text: String) -> Self {
        Self(text)
    }
}

impl TryFrom<String> for Email {
    type Error = ValidationError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::new(value)
    }
}

impl From<Email> for String {
    fn from(value: Email) -> String {
        value.0
    }
}

/// A postal address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Address {
    pub name: String,
    pub line1: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line2: Option<String>,
    pub city: String,
    /// State, province or region code (for the US, the two-letter state).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    pub postal_code: String,
    pub country: Country,
}

/// Where each text field of an address must stay within, in bytes.
pub const MAX_TEXT_LEN: usize = 512;

impl Address {
    /// The first three digits of a US ZIP code (`62701-4477` → `627`); `None` for other countries and
    /// postal codes that do not start with three digits.
    pub fn us_zip3(&self) -> Option<String> {
        let zip3 = self.postal_code.trim().get(..3)?;
        (self.country == Country::US && zip3.bytes().all(|b| b.is_ascii_digit())).then(|| zip3.to_string())
    }

    /// Checks the free-text fields; returns the name of the first bad field with the error.
    pub fn validate(&self) -> Result<(), (&'static str, ValidationError)> {
        let required =
            [("name", &self.name), ("line1", &self.line1), ("city", &self.city), ("postal_code", &self.postal_code)];
        for (field, value) in required {
            if value.trim().is_empty() {
                return Err((field, ValidationError::new("required", format!("address {field} must not be empty"))));
            }
        }
        let all = [
            ("name", Some(&self.name)),
            ("line1", Some(&self.line1)),
            ("line2", self.line2.as_ref()),
            ("city", Some(&self.city)),
            ("region", self.region.as_ref()),
            ("postal_code", Some(&self.postal_code)),
        ];
        for (field, value) in all {
            if let Some(v) = value
                && v.len() > MAX_TEXT_LEN
            {
                return Err((
                    field,
                    ValidationError::new("too_long", format!("address {field} is longer than {MAX_TEXT_LEN} bytes")),
                ));
            }
        }
        Ok(())
    }
}

/// A customer as known to the hub.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Customer {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<CustomerId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<Email>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
}

/// What kind of place a location is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum LocationKind {
    Warehouse,
    Store,
    ThirdParty,
}

/// Latitude and longitude in degrees.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(try_from = "RawCoordinates")]
pub struct Coordinates {
    pub lat: f64,
    pub lon: f64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCoordinates {
    lat: f64,
    lon: f64,
}

impl TryFrom<RawCoordinates> for Coordinates {
    type Error = ValidationError;
    fn try_from(raw: RawCoordinates) -> Result<Self, Self::Error> {
        Coordinates::new(raw.lat, raw.lon)
    }
}

impl Coordinates {
    pub fn new(lat: f64, lon: f64) -> Result<Self, ValidationError> {
        if !(-90.0..=90.0).contains(&lat) || !(-180.0..=180.0).contains(&lon) {
            return Err(ValidationError::new(
                "invalid_coordinates",
                format!("({lat}, {lon}) is not a latitude in [-90, 90] and a longitude in [-180, 180]"),
            ));
        }
        Ok(Self { lat, lon })
    }
}

/// A fulfilment location: a warehouse, a store or a third-party logistics site.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Location {
    pub id: LocationId,
    pub name: String,
    pub kind: LocationKind,
    pub coordinates: Coordinates,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<Address>,
    #[serde(default = "default_true")]
    pub active: bool,
    /// Ships orders to customers (a location that does not is never a sourcing candidate).
    #[serde(default = "default_true")]
    pub ships: bool,
    /// Customers can collect orders here (stores always can): it serves pickup orders.
    #[serde(default)]
    pub pickup: bool,
    /// Orders the location can fulfil per day; unlimited when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capacity_per_day: Option<u32>,
    /// Cost of picking and packing one order here, in minor units of the sourcing currency.
    #[serde(default)]
    pub handling_minor: i64,
}

fn default_true() -> bool {
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn email_syntax() {
        for good in ["a@b.co", "first.last+tag@example.com", "x@sub.domain.org"] {
            assert!(Email::new(good).is_ok(), "{good}");
        }
        for bad in ["", "a", "@b.co", "a@", "a@b", "a b@c.de", "a@-b.com", "a@b..com", "a@b_c.com"] {
            assert_eq!(Email::new(bad).unwrap_err().code, "invalid_email", "{bad}");
        }
    }

    #[test]
    fn country_and_coordinates() {
        assert!(Country::new("DE").is_ok());
        assert_eq!(Country::new("XX").unwrap_err().code, "invalid_country");
        assert!(Coordinates::new(40.7, -74.0).is_ok());
        assert!(Coordinates::new(91.0, 0.0).is_err());
        assert!(Coordinates::new(0.0, f64::NAN).is_err());
    }

    #[test]
    fn us_zip3_is_the_first_three_digits_of_a_us_zip_code() {
        let at = |postal_code: &str, country: Country| {
            let address = Address {
                name: "A".into(),
                line1: "1".into(),
                line2: None,
                city: "C".into(),
                region: None,
                postal_code: postal_code.into(),
                country,
            };
            address.us_zip3()
        };
        assert_eq!(at("62701-4477", Country::US).as_deref(), Some("627"));
        assert_eq!(at(" 606", Country::US).as_deref(), Some("606"));
        for (postal_code, country) in
            [("[erased]", Country::US), ("60", Country::US), ("10115", Country::new("DE").unwrap())]
        {
            assert_eq!(at(postal_code, country), None, "{postal_code}");
        }
    }
}
