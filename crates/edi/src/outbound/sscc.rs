//! SSCC-18 serial shipping container codes for 856 pack ids: extension digit, GS1 company prefix
//! and serial reference (17 digits) followed by the GS1 mod-10 check digit.

use std::fmt;

/// The GS1 mod-10 check digit of a digit string: from the right, digits are weighted 3, 1, 3, …;
/// the check digit brings the weighted sum to a multiple of 10. `None` for non-digits or empty.
pub fn gs1_check_digit(digits: &str) -> Option<u8> {
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let sum: u32 =
        digits.bytes().rev().enumerate().map(|(i, b)| u32::from(b - b'0') * if i % 2 == 0 { 3 } else { 1 }).sum();
    Some(((10 - sum % 10) % 10) as u8)
}

/// Why an SSCC could not be built or read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SsccError {
    #[error("the extension digit must be 0 to 9, not {0}")]
    Extension(u8),
    #[error("the GS1 company prefix must be 6 to 12 digits, not {0:?}")]
    CompanyPrefix(String),
    #[error("serial {serial} does not fit the {digits} digits the company prefix leaves")]
    Serial { serial: u64, digits: usize },
    #[error("{0:?} is not 18 digits (or 20 with application identifier 00)")]
    Length(String),
    #[error("check digit of {code:?} is {found}, expected {expected}")]
    CheckDigit { code: String, found: u8, expected: u8 },
}

/// A valid SSCC-18.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Sscc(String);

impl Sscc {
    /// The SSCC for `serial` under `company_prefix`, with extension digit `extension`.
    pub fn new(extension: u8, company_prefix: &str, serial: u64) -> Result<Sscc, SsccError> {
        if extension > 9 {
            return Err(SsccError::Extension(extension));
        }
        let prefix_ok = (6..=12).contains(&company_prefix.len()) && company_prefix.bytes().all(|b| b.is_ascii_digit());
        if !prefix_ok {
            return Err(SsccError::CompanyPrefix(company_prefix.to_string()));
        }
        let digits = 16 - company_prefix.len();
        let serial_text = format!("{serial:0digits$}");
        if serial_text.len() > digits {
            return Err(SsccError::Serial { serial, digits });
        }
        let body = format!("{extension}{company_prefix}{serial_text}");
        let check = gs1_check_digit(&body).unwrap_or(0);
        Ok(Sscc(format!("{body}{check}")))
    }

    /// Reads an SSCC of 18 digits, or 20 with the `00` application identifier, checking its check digit.
    pub fn parse(text: &str) -> Result<Sscc, SsccError> {
        let t = text.trim();
        let code = match t.len() {
            20 if t.starts_with("00") => &t[2..],
            _ => t,
        };
        if code.len() != 18 || !code.bytes().all(|b| b.is_ascii_digit()) {
            return Err(SsccError::Length(t.to_string()));
        }
        let expected = gs1_check_digit(&code[..17]).unwrap_or(0);
        let found = code.as_bytes()[17] - b'0';
        if found != expected {
            return Err(SsccError::CheckDigit { code: code.to_string(), found, expected });
        }
        Ok(Sscc(code.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Sscc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for Sscc {
    type Error = SsccError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Sscc::parse(&value)
    }
}

impl From<Sscc> for String {
    fn from(value: Sscc) -> String {
        value.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gs1_check_digits() {
        // GS1's published SSCC example (00)106141411234567897, the UPC-A 036000291452 and the
        // EAN-13 4006381333931.
        assert_eq!(gs1_check_digit("10614141123456789"), Some(7));
        assert_eq!(gs1_check_digit("03600029145"), Some(2));
        assert_eq!(gs1_check_digit("400638133393"), Some(1));
        assert_eq!(gs1_check_digit("0"), Some(0));
        assert_eq!(gs1_check_digit("1"), Some(7));
        assert_eq!(gs1_check_digit(""), None);
        assert_eq!(gs1_check_digit("12a"), None);
    }

    #[test]
    fn build_and_read_ssccs() {
        let s = Sscc::new(1, "0614141", 123_456_789).expect("valid");
        assert_eq!(s.as_str(), "106141411234567897");
        assert_eq!(Sscc::parse("00106141411234567897"), Ok(s.clone()));
        assert_eq!(Sscc::new(0, "0614141", 1).map(|s| s.0), Ok("006141410000000012".to_string()));
        assert!(matches!(Sscc::parse("106141411234567890"), Err(SsccError::CheckDigit { expected: 7, found: 0, .. })));
        assert!(matches!(Sscc::new(10, "0614141", 1), Err(SsccError::Extension(10))));
        assert!(matches!(Sscc::new(0, "12345", 1), Err(SsccError::CompanyPrefix(_))));
        assert!(matches!(Sscc::new(0, "123456789012", 12_345), Err(SsccError::Serial { digits: 4, .. })));
        // Every single-digit error in the body changes the check digit.
        let body = "10614141123456789";
        for i in 0..body.len() {
            for d in b'0'..=b'9' {
                let mut b = body.as_bytes().to_vec();
                if b[i] == d {
                    continue;
                }
                b[i] = d;
                assert_ne!(gs1_check_digit(std::str::from_utf8(&b).unwrap_or_default()), Some(7), "{i} {d}");
            }
        }
    }
}
