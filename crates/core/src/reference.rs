//! Structured payment references: the Dutch betalingskenmerk and the ISO 11649
//! RF creditor reference.
//!
//! An invoice that carries one of these is matched to its payment with near
//! certainty, because the bank passes it on unchanged and a check digit
//! catches typing errors.

use std::fmt;

use crate::iban::mod97;

/// A validated structured payment reference.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PaymentReference {
    /// Betalingskenmerk: 7 digits (no check), 9–14 digits (check digit and a
    /// length code), or 16 digits (a check digit and 15 digits).
    Betalingskenmerk(String),
    /// RF creditor reference (ISO 11649): `RF`, two check digits, up to 21
    /// letters or digits.
    Rf(String),
}

/// Why a text is not a valid payment reference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReferenceError {
    pub input: String,
    pub reason: &'static str,
}

impl fmt::Display for ReferenceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "invalid payment reference '{}': {}",
            self.input, self.reason
        )
    }
}

impl std::error::Error for ReferenceError {}

/// Weighted modulo-11 check digit over `digits` (weights 2,4,8,5,10,9,7,3,6,1
/// from the right, repeating): 11 − (sum mod 11), where 10 becomes 1 and 11
/// becomes 0.
pub fn betalingskenmerk_check_digit(digits: &[u8]) -> u8 {
    const WEIGHTS: [u32; 10] = [2, 4, 8, 5, 10, 9, 7, 3, 6, 1];
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(idx, d)| u32::from(d - b'0') * WEIGHTS[idx % 10])
        .sum();
    match 11 - (sum % 11) {
        10 => 1,
        11 => 0,
        c => c as u8,
    }
}

/// True when `digits` (ASCII digits only) is a betalingskenmerk whose check
/// digit and length code are right.
pub fn is_valid_betalingskenmerk(digits: &str) -> bool {
    let bytes = digits.as_bytes();
    if !bytes.iter().all(u8::is_ascii_digit) {
        return false;
    }
    match bytes.len() {
        7 => true,
        9..=14 => {
            let length_code = bytes[1] - b'0';
            let follows = (bytes.len() - 2) as u8;
            length_code == follows % 10
                && bytes[0] - b'0' == betalingskenmerk_check_digit(&bytes[1..])
        }
        16 => bytes[0] - b'0' == betalingskenmerk_check_digit(&bytes[1..]),
        _ => false,
    }
}

/// True when `compact` is a valid RF creditor reference.
pub fn is_valid_rf(compact: &str) -> bool {
    let bytes = compact.as_bytes();
    bytes.len() >= 5
        && bytes.len() <= 25
        && bytes[..2].eq_ignore_ascii_case(b"RF")
        && bytes[2..4].iter().all(u8::is_ascii_digit)
        && bytes.iter().all(u8::is_ascii_alphanumeric)
        && mod97(bytes[4..].iter().chain(&bytes[..4])) == 1
}

impl PaymentReference {
    /// Reads a reference, ignoring spaces, dots and dashes as people type them
    /// ("5000 0567 8901 2345", "RF18 5390 0754 7034").
    pub fn parse(text: &str) -> Result<PaymentReference, ReferenceError> {
        let err = |reason| ReferenceError {
            input: text.to_string(),
            reason,
        };
        let compact = compact_reference(text);
        if compact.is_empty() {
            return Err(err("empty"));
        }
        if compact.starts_with("RF") {
            return if is_valid_rf(&compact) {
                Ok(PaymentReference::Rf(compact))
            } else {
                Err(err("RF reference check digits do not match (ISO 11649)"))
            };
        }
        if !compact.bytes().all(|b| b.is_ascii_digit()) {
            return Err(err(
                "expected a betalingskenmerk (7, 9–14 or 16 digits) or an RF reference",
            ));
        }
        match compact.len() {
            7 | 9..=14 | 16 => {}
            _ => return Err(err("a betalingskenmerk has 7, 9 to 14, or 16 digits")),
        }
        if is_valid_betalingskenmerk(&compact) {
            Ok(PaymentReference::Betalingskenmerk(compact))
        } else {
            Err(err("betalingskenmerk check digit does not match"))
        }
    }

    /// A 16-digit betalingskenmerk for `base` (the last 15 digits are used).
    pub fn betalingskenmerk_for(base: u64) -> PaymentReference {
        let body = format!("{:015}", base % 1_000_000_000_000_000);
        let check = betalingskenmerk_check_digit(body.as_bytes());
        PaymentReference::Betalingskenmerk(format!("{check}{body}"))
    }

    /// An RF creditor reference for the alphanumeric `base` (at most 21 chars).
    pub fn rf_for(base: &str) -> Result<PaymentReference, ReferenceError> {
        let body: String = compact_reference(base);
        if body.is_empty() || body.len() > 21 || !body.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(ReferenceError {
                input: base.to_string(),
                reason: "an RF reference body has 1 to 21 letters or digits",
            });
        }
        let probe = format!("{body}RF00");
        let check = 98 - mod97(probe.as_bytes().iter());
        Ok(PaymentReference::Rf(format!("RF{check:02}{body}")))
    }

    /// Electronic form, as the bank carries it.
    pub fn as_str(&self) -> &str {
        match self {
            PaymentReference::Betalingskenmerk(s) | PaymentReference::Rf(s) => s,
        }
    }

    /// Groups of four for printing on a message.
    pub fn display(&self) -> String {
        let s = self.as_str();
        let mut out = String::with_capacity(s.len() + s.len() / 4);
        for (idx, ch) in s.chars().enumerate() {
            if idx > 0 && idx % 4 == 0 {
                out.push(' ');
            }
            out.push(ch);
        }
        out
    }
}

/// Strips the separators people and banks put in references and upper-cases
/// letters; used both when storing and when matching.
pub fn compact_reference(text: &str) -> String {
    text.chars()
        .filter(|c| !c.is_whitespace() && !matches!(c, '.' | '-' | '/'))
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

impl fmt::Display for PaymentReference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for PaymentReference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PaymentReference({})", self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn betalingskenmerk_examples() {
        // Example from the Betaalvereniging specification.
        assert!(is_valid_betalingskenmerk("5000056789012345"));
        assert!(!is_valid_betalingskenmerk("4000056789012345"));
        assert!(is_valid_betalingskenmerk("1234567"));
        // 14 digits: check digit 1, length code 2, twelve digits.
        assert!(is_valid_betalingskenmerk("12234534622567"));
        assert!(!is_valid_betalingskenmerk("13234534622567"));
        let parsed = PaymentReference::parse("5000 0567 8901 2345").unwrap();
        assert_eq!(
            parsed,
            PaymentReference::Betalingskenmerk("5000056789012345".into())
        );
        assert_eq!(parsed.display(), "5000 0567 8901 2345");
        assert!(PaymentReference::parse("4000056789012345").is_err());
        assert!(PaymentReference::parse("12345").is_err());
        assert!(PaymentReference::parse("INV-2024-001").is_err());
    }

    #[test]
    fn rf_examples() {
        assert!(PaymentReference::parse("RF18 5390 0754 7034").is_ok());
        assert!(PaymentReference::parse("RF18539007547034").is_ok());
        assert!(PaymentReference::parse("RF19539007547034").is_err());
        let made = PaymentReference::rf_for("INV2024001").unwrap();
        assert!(PaymentReference::parse(made.as_str()).is_ok());
    }

    proptest! {
        #[test]
        fn generated_betalingskenmerk_validates(base in 0u64..1_000_000_000_000_000) {
            let reference = PaymentReference::betalingskenmerk_for(base);
            prop_assert_eq!(PaymentReference::parse(reference.as_str()), Ok(reference));
        }

        #[test]
        fn never_panics(text in "\\PC{0,30}") {
            let _ = PaymentReference::parse(&text);
        }
    }
}
