//! Reading and writing X12 values exactly: decimals (R) to integer minor units and back without
//! floating point, N2 amounts, whole quantities, CCYYMMDD dates and HHMM times.

use chrono::{DateTime, NaiveDate, NaiveTime, TimeZone, Utc};

/// Why a decimal could not become an integer amount.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DecimalError {
    /// Not a decimal number (`12a`, `1.2.3`, empty).
    Syntax,
    /// Non-zero digits beyond the places the amount can carry.
    TooPrecise,
    /// Does not fit in an `i64`.
    Overflow,
}

impl std::fmt::Display for DecimalError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            DecimalError::Syntax => "is not a decimal number",
            DecimalError::TooPrecise => "has more decimal places than the amount can carry",
            DecimalError::Overflow => "is too large",
        })
    }
}

/// `text` (an X12 R value such as `9.25`, `-3`, `.5`) as an integer count of `10^-places`:
/// `("9.25", 2)` is 925. Extra decimal places must be zeros.
pub fn decimal_to_scaled(text: &str, places: u8) -> Result<i64, DecimalError> {
    let t = text.trim();
    let (negative, body) = match t.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, t),
    };
    let (int, frac) = body.split_once('.').unwrap_or((body, ""));
    let digits_ok = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if (int.is_empty() && frac.is_empty()) || !digits_ok(int) || !digits_ok(frac) {
        return Err(DecimalError::Syntax);
    }
    let places = usize::from(places);
    let (kept, extra) = if frac.len() > places { frac.split_at(places) } else { (frac, "") };
    if extra.bytes().any(|b| b != b'0') {
        return Err(DecimalError::TooPrecise);
    }
    let mut value: i64 = 0;
    for b in int.bytes().chain(kept.bytes()).chain(std::iter::repeat_n(b'0', places - kept.len())) {
        value = value.checked_mul(10).and_then(|v| v.checked_add(i64::from(b - b'0'))).ok_or(DecimalError::Overflow)?;
    }
    Ok(if negative { -value } else { value })
}

/// Like [`decimal_to_scaled`], but digits beyond `places` round half away from zero instead of
/// being an error: `("9.255", 2)` is 926, `("-1.005", 2)` is -101, at any number of decimals.
pub fn decimal_to_scaled_rounded(text: &str, places: u8) -> Result<i64, DecimalError> {
    let t = text.trim();
    let Some((int, frac)) = t.split_once('.') else { return decimal_to_scaled(t, places) };
    if frac.len() <= usize::from(places) {
        return decimal_to_scaled(t, places);
    }
    // Checked before splitting: a byte index inside a multi-byte character would panic.
    if !frac.bytes().all(|b| b.is_ascii_digit()) {
        return Err(DecimalError::Syntax);
    }
    let (kept, dropped) = frac.split_at(usize::from(places));
    // `int` may be empty (".5") or only a sign ("-.5").
    let int = if int.is_empty() || int == "-" { format!("{int}0") } else { int.to_string() };
    let truncated = decimal_to_scaled(&format!("{int}.{kept}"), places)?;
    if dropped.as_bytes()[0] < b'5' {
        return Ok(truncated);
    }
    let away = if int.starts_with('-') { truncated.checked_sub(1) } else { truncated.checked_add(1) };
    away.ok_or(DecimalError::Overflow)
}

/// An integer count of `10^-places` as an X12 R value, without trailing zeros: `(925, 2)` is
/// `9.25`, `(900, 2)` is `9`.
pub fn scaled_to_decimal(value: i64, places: u8) -> String {
    let sign = if value < 0 { "-" } else { "" };
    let abs = value.unsigned_abs();
    let scale = 10u64.pow(u32::from(places));
    let (int, frac) = (abs / scale, abs % scale);
    if frac == 0 {
        return format!("{sign}{int}");
    }
    let frac = format!("{frac:0w$}", w = usize::from(places));
    format!("{sign}{int}.{}", frac.trim_end_matches('0'))
}

/// Minor units of a currency with `digits` minor digits as an N2 value (two implied decimals).
pub fn minor_to_n2(amount_minor: i64, digits: u8) -> Option<i64> {
    match digits {
        0 => amount_minor.checked_mul(100),
        1 => amount_minor.checked_mul(10),
        2 => Some(amount_minor),
        d => {
            let div = 10i64.checked_pow(u32::from(d) - 2)?;
            (amount_minor % div == 0).then_some(amount_minor / div)
        }
    }
}

/// A whole, non-negative quantity from an R value (`12`, `12.000`); `None` for fractions.
pub fn whole_quantity(text: &str) -> Option<u64> {
    let v = decimal_to_scaled(text, 0).ok()?;
    u64::try_from(v).ok()
}

/// A CCYYMMDD (or YYMMDD, taken as 20YY) date.
pub fn date(text: &str) -> Option<NaiveDate> {
    let t = text.trim();
    let full = match t.len() {
        8 => t.to_string(),
        6 => format!("20{t}"),
        _ => return None,
    };
    NaiveDate::parse_from_str(&full, "%Y%m%d").ok()
}

/// An HHMM or HHMMSS time (fractions of seconds ignored).
pub fn time(text: &str) -> Option<NaiveTime> {
    let t = text.trim();
    if !t.is_ascii() {
        return None;
    }
    match t.len() {
        4 => NaiveTime::parse_from_str(t, "%H%M").ok(),
        n if n >= 6 => NaiveTime::parse_from_str(&t[..6], "%H%M%S").ok(),
        _ => None,
    }
}

/// A date and optional time as a UTC instant (X12 dates carry no zone; UTC is assumed).
pub fn instant(date: NaiveDate, time: Option<NaiveTime>) -> DateTime<Utc> {
    Utc.from_utc_datetime(&date.and_time(time.unwrap_or(NaiveTime::MIN)))
}

/// CCYYMMDD and HHMM for an instant.
pub fn date_time_text(at: DateTime<Utc>) -> (String, String) {
    (at.format("%Y%m%d").to_string(), at.format("%H%M").to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_to_minor_units_exactly() {
        let cases: &[(&str, u8, Result<i64, DecimalError>)] = &[
            ("9.25", 2, Ok(925)),
            ("13.79", 2, Ok(1379)),
            ("0.1", 2, Ok(10)),
            (".5", 2, Ok(50)),
            ("7", 2, Ok(700)),
            ("-3.5", 2, Ok(-350)),
            ("1.2300", 2, Ok(123)),
            ("500", 0, Ok(500)),
            ("1.005", 3, Ok(1005)),
            ("9.255", 2, Err(DecimalError::TooPrecise)),
            ("0.29", 2, Ok(29)),
            ("1.1.1", 2, Err(DecimalError::Syntax)),
            ("", 2, Err(DecimalError::Syntax)),
            ("-", 2, Err(DecimalError::Syntax)),
            ("12a", 2, Err(DecimalError::Syntax)),
            ("99999999999999999999", 2, Err(DecimalError::Overflow)),
        ];
        for (text, places, expected) in cases {
            assert_eq!(decimal_to_scaled(text, *places), *expected, "{text} at {places}");
        }
        // 0.1 + 0.2 style sums stay exact: 0.07 * 100 lines is 7.00.
        let sum: i64 = (0..100).map(|_| decimal_to_scaled("0.07", 2).unwrap_or_default()).sum();
        assert_eq!(sum, 700);
    }

    #[test]
    fn decimals_rounded_half_away_from_zero() {
        let cases: &[(&str, u8, Result<i64, DecimalError>)] = &[
            ("9.255", 2, Ok(926)),
            ("9.254999", 2, Ok(925)),
            ("-1.005", 2, Ok(-101)),
            ("1.123456789", 2, Ok(112)),
            (".5", 0, Ok(1)),
            ("-.5", 0, Ok(-1)),
            ("9.25", 2, Ok(925)),
            ("99999999999.999", 2, Ok(10_000_000_000_000)),
            ("92233720368547758.075", 2, Err(DecimalError::Overflow)),
            ("1.2é", 0, Err(DecimalError::Syntax)),
            ("1a.555", 2, Err(DecimalError::Syntax)),
        ];
        for (text, places, expected) in cases {
            assert_eq!(decimal_to_scaled_rounded(text, *places), *expected, "{text} at {places}");
        }
    }

    #[test]
    fn minor_units_to_text() {
        assert_eq!(scaled_to_decimal(925, 2), "9.25");
        assert_eq!(scaled_to_decimal(900, 2), "9");
        assert_eq!(scaled_to_decimal(905, 2), "9.05");
        assert_eq!(scaled_to_decimal(-5, 2), "-0.05");
        assert_eq!(scaled_to_decimal(1234, 0), "1234");
        assert_eq!(minor_to_n2(1234, 2), Some(1234));
        assert_eq!(minor_to_n2(5, 0), Some(500));
        assert_eq!(minor_to_n2(1230, 3), Some(123));
        assert_eq!(minor_to_n2(1234, 3), None);
    }

    #[test]
    fn quantities_dates_and_times() {
        assert_eq!(whole_quantity("12.000"), Some(12));
        assert_eq!(whole_quantity("1.5"), None);
        assert_eq!(whole_quantity("-1"), None);
        assert_eq!(date("20260709").map(|d| d.to_string()), Some("2026-07-09".into()));
        assert_eq!(date("260709").map(|d| d.to_string()), Some("2026-07-09".into()));
        assert_eq!(date("20260230"), None);
        assert_eq!(time("1719").map(|t| t.to_string()), Some("17:19:00".into()));
        assert_eq!(time("17193045").map(|t| t.to_string()), Some("17:19:30".into()));
        assert_eq!(time("17193é"), None);
    }
}
