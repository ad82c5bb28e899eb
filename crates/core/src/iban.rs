//! IBAN: International Bank Account Number, validated by ISO 13616 mod-97.

use std::fmt;

/// A validated IBAN in electronic form (no spaces, upper case).
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Iban(String);

/// Why a text is not a valid IBAN.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IbanError {
    pub input: String,
    pub reason: &'static str,
}

impl fmt::Display for IbanError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid IBAN '{}': {}", self.input, self.reason)
    }
}

impl std::error::Error for IbanError {}

/// IBAN lengths per country for the SEPA area and common trading partners.
/// Countries not listed get the generic 15–34 bound.
fn expected_length(country: &str) -> Option<usize> {
    Some(match country {
        "NL" => 18,
        "BE" => 16,
        "DE" => 22,
        "FR" | "MC" | "IT" | "SM" => 27,
        "GB" | "IE" => 22,
        "LU" => 20,
        "AT" => 20,
        "CH" | "LI" => 21,
        "ES" => 24,
        "PT" => 25,
        "DK" | "FI" | "FO" | "GL" => 18,
        "SE" => 24,
        "NO" => 15,
        "PL" => 28,
        "CZ" | "SK" => 24,
        "HU" => 28,
        "GR" => 27,
        "EE" => 20,
        "LV" => 21,
        "LT" => 20,
        "SI" => 19,
        "HR" => 21,
        "RO" => 24,
        "BG" => 22,
        "CY" => 28,
        "MT" => 31,
        "IS" => 26,
        _ => return None,
    })
}

impl Iban {
    /// Reads an IBAN, tolerating spaces and lower case ("nl91 abna 0417 1643 00").
    pub fn parse(text: &str) -> Result<Iban, IbanError> {
        let err = |reason| IbanError {
            input: text.to_string(),
            reason,
        };
        let compact: String = text
            .chars()
            .filter(|c| !c.is_whitespace())
            .map(|c| c.to_ascii_uppercase())
            .collect();
        let bytes = compact.as_bytes();
        if bytes.len() < 15 || bytes.len() > 34 {
            return Err(err("length must be 15 to 34 characters"));
        }
        if !bytes[..2].iter().all(u8::is_ascii_uppercase) {
            return Err(err("must start with a two-letter country code"));
        }
        if !bytes[2..4].iter().all(u8::is_ascii_digit) {
            return Err(err("the check digits (positions 3 and 4) must be digits"));
        }
        if !bytes.iter().all(u8::is_ascii_alphanumeric) {
            return Err(err("only letters and digits are allowed"));
        }
        if let Some(len) = expected_length(&compact[..2])
            && len != bytes.len()
        {
            return Err(err("wrong length for this country"));
        }
        if mod97(bytes[4..].iter().chain(&bytes[..4])) != 1 {
            return Err(err("check digits do not match (mod-97)"));
        }
        Ok(Iban(compact))
    }

    /// Builds a valid IBAN from a country code and the national account part
    /// (BBAN) by computing the check digits.
    pub fn from_bban(country: &str, bban: &str) -> Result<Iban, IbanError> {
        let probe = format!("{bban}{country}00");
        let check = 98 - mod97(probe.as_bytes().iter());
        Iban::parse(&format!("{country}{check:02}{bban}"))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn country(&self) -> &str {
        &self.0[..2]
    }

    /// Groups of four for display: `NL91 ABNA 0417 1643 00`.
    pub fn display(&self) -> String {
        let mut out = String::with_capacity(self.0.len() + self.0.len() / 4);
        for (idx, ch) in self.0.chars().enumerate() {
            if idx > 0 && idx % 4 == 0 {
                out.push(' ');
            }
            out.push(ch);
        }
        out
    }
}

/// ISO 7064 mod 97-10 over letters (A=10 … Z=35) and digits.
pub(crate) fn mod97<'a>(chars: impl Iterator<Item = &'a u8>) -> u32 {
    let mut rem: u32 = 0;
    for &b in chars {
        let value = match b {
            b'0'..=b'9' => u32::from(b - b'0'),
            b'A'..=b'Z' => u32::from(b - b'A') + 10,
            b'a'..=b'z' => u32::from(b - b'a') + 10,
            _ => 0,
        };
        rem = if value >= 10 {
            (rem * 100 + value) % 97
        } else {
            (rem * 10 + value) % 97
        };
    }
    rem
}

impl fmt::Display for Iban {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Iban {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Iban({})", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn valid_and_invalid() {
        let iban = Iban::parse("nl91 abna 0417 1643 00").unwrap();
        assert_eq!(iban.as_str(), "NL91ABNA0417164300");
        assert_eq!(iban.display(), "NL91 ABNA 0417 1643 00");
        assert!(Iban::parse("DE89370400440532013000").is_ok());
        assert!(Iban::parse("BE68539007547034").is_ok());
        assert!(Iban::parse("GB82WEST12345698765432").is_ok());
        let err = Iban::parse("NL91ABNA0417164301").unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid IBAN 'NL91ABNA0417164301': check digits do not match (mod-97)"
        );
        assert!(Iban::parse("NL91ABNA04171643").is_err());
        assert!(Iban::parse("1234").is_err());
        assert!(Iban::parse("NL91-ABNA-0417-1643-00").is_err());
    }

    #[test]
    fn check_digits_are_computed() {
        assert_eq!(
            Iban::from_bban("NL", "ABNA0417164300").unwrap().as_str(),
            "NL91ABNA0417164300"
        );
    }

    proptest! {
        #[test]
        fn never_panics(text in "\\PC{0,40}") {
            let _ = Iban::parse(&text);
        }

        #[test]
        fn generated_ibans_validate(account in 0u64..10_000_000_000) {
            let bban = format!("INGB{account:010}");
            prop_assert!(Iban::from_bban("NL", &bban).is_ok());
        }
    }
}
