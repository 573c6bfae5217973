//! Money in integer minor units with an ISO 4217 currency; never floats.

use crate::{ValidationError, codes::CURRENCIES};
use serde::{Deserialize, Serialize};

/// An ISO 4217 currency code, upper case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(try_from = "String", into = "String")]
#[schema(value_type = String, example = "USD")]
pub struct Currency([u8; 3]);

impl Currency {
    pub const USD: Currency = Currency(*b"USD");

    pub fn new(code: &str) -> Result<Self, ValidationError> {
        match CURRENCIES.iter().find(|(c, _)| *c == code) {
            Some(_) => Ok(Self(code.as_bytes().try_into().expect("table codes are three bytes"))),
            None => Err(ValidationError::new("invalid_currency", format!("{code:?} is not an ISO 4217 currency code"))),
        }
    }

    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).expect("currency codes are ascii")
    }

    /// Digits after the decimal point in this currency (2 for USD, 0 for JPY).
    pub fn minor_digits(&self) -> u8 {
        CURRENCIES.iter().find(|(c, _)| *c == self.as_str()).map(|(_, d)| *d).unwrap_or(2)
    }
}

impl TryFrom<String> for Currency {
    type Error = ValidationError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::new(&value)
    }
}

impl From<Currency> for String {
    fn from(value: Currency) -> String {
        value.as_str().to_string()
    }
}

impl std::fmt::Display for Currency {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An amount of money: integer minor units (cents) and a currency.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Money {
    /// Amount in minor units of the currency (cents for USD).
    pub amount_minor: i64,
    pub currency: Currency,
}

impl Money {
    pub fn new(amount_minor: i64, currency: Currency) -> Self {
        Self { amount_minor, currency }
    }

    pub fn zero(currency: Currency) -> Self {
        Self { amount_minor: 0, currency }
    }

    /// Adds two amounts of the same currency; `None` on a currency mismatch or overflow.
    pub fn checked_add(self, other: Money) -> Option<Money> {
        if self.currency != other.currency {
            return None;
        }
        Some(Money::new(self.amount_minor.checked_add(other.amount_minor)?, self.currency))
    }

    /// Multiplies by a quantity; `None` on overflow.
    pub fn checked_mul(self, quantity: u32) -> Option<Money> {
        Some(Money::new(self.amount_minor.checked_mul(i64::from(quantity))?, self.currency))
    }
}

impl std::fmt::Display for Money {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let digits = u32::from(self.currency.minor_digits());
        let scale = 10i64.pow(digits);
        let sign = if self.amount_minor < 0 { "-" } else { "" };
        let abs = self.amount_minor.unsigned_abs();
        if digits == 0 {
            write!(f, "{sign}{abs} {}", self.currency)
        } else {
            let scale = scale as u64;
            write!(f, "{sign}{}.{:0w$} {}", abs / scale, abs % scale, self.currency, w = digits as usize)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn currency_is_validated() {
        assert!(Currency::new("USD").is_ok());
        assert_eq!(Currency::new("usd").unwrap_err().code, "invalid_currency");
        assert_eq!(Currency::new("XXQ").unwrap_err().code, "invalid_currency");
        assert!(serde_json::from_str::<Money>(r#"{"amount_minor":1,"currency":"ZZZ"}"#).is_err());
        assert!(serde_json::from_str::<Money>(r#"{"amount_minor":1.5,"currency":"USD"}"#).is_err());
    }

    #[test]
    fn money_displays_in_major_units() {
        assert_eq!(Money::new(12345, Currency::USD).to_string(), "123.45 USD");
        assert_eq!(Money::new(-5, Currency::USD).to_string(), "-0.05 USD");
        assert_eq!(Money::new(500, Currency::new("JPY").unwrap()).to_string(), "500 JPY");
    }

    #[test]
    fn money_arithmetic_checks_currency_and_overflow() {
        let usd = Money::new(100, Currency::USD);
        let eur = Money::new(100, Currency::new("EUR").unwrap());
        assert_eq!(usd.checked_add(usd).unwrap().amount_minor, 200);
        assert!(usd.checked_add(eur).is_none());
        assert!(Money::new(i64::MAX, Currency::USD).checked_mul(2).is_none());
    }
}
