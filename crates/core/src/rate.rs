//! Rates (interest, VAT, margins) as fixed-point decimals: parts per million
//! of one, so 10.15 % is exactly 101,500. Never a float, so an interest
//! calculation gives the same cents on every machine.

use std::fmt;

/// A rate: 1,000,000 = 100 %.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Default)]
pub struct Rate(pub i64);

/// Why a text is not a percentage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RateError(pub String);

impl fmt::Display for RateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "invalid percentage '{}': expected a number such as 10.15",
            self.0
        )
    }
}

impl std::error::Error for RateError {}

impl Rate {
    pub const ZERO: Rate = Rate(0);

    /// Reads a percentage: "10.15", "10,15", "21", "0.5%".
    pub fn parse_percent(text: &str) -> Result<Rate, RateError> {
        let err = || RateError(text.to_string());
        let t = text.trim().trim_end_matches('%').trim().replace(',', ".");
        let (negative, t) = match t.strip_prefix('-') {
            Some(rest) => (true, rest.to_string()),
            None => (false, t),
        };
        let (int, frac) = t.split_once('.').unwrap_or((&t, ""));
        if int.is_empty() && frac.is_empty() {
            return Err(err());
        }
        if !int.bytes().all(|b| b.is_ascii_digit())
            || !frac.bytes().all(|b| b.is_ascii_digit())
            || frac.len() > 4
        {
            return Err(err());
        }
        let int: i64 = if int.is_empty() {
            0
        } else {
            int.parse().map_err(|_| err())?
        };
        let mut frac_value: i64 = if frac.is_empty() {
            0
        } else {
            frac.parse().map_err(|_| err())?
        };
        for _ in frac.len()..4 {
            frac_value *= 10;
        }
        // percent with 4 decimals → ppm: 1 % = 10,000 ppm.
        let ppm = int
            .checked_mul(10_000)
            .and_then(|v| v.checked_add(frac_value))
            .ok_or_else(err)?;
        Ok(Rate(if negative { -ppm } else { ppm }))
    }

    pub fn from_percent_hundredths(hundredths: i64) -> Rate {
        Rate(hundredths * 100)
    }

    /// `amount_minor × rate`, rounded half away from zero.
    pub fn apply(self, amount_minor: i64) -> i64 {
        round_div(i128::from(amount_minor) * i128::from(self.0), 1_000_000)
    }

    /// The rate as a percentage text with up to four decimals: "10.15".
    pub fn percent_string(self) -> String {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        let int = abs / 10_000;
        let frac = abs % 10_000;
        if frac == 0 {
            return format!("{sign}{int}");
        }
        let frac = format!("{frac:04}");
        format!("{sign}{int}.{}", frac.trim_end_matches('0'))
    }
}

/// `numerator / denominator` rounded half away from zero.
pub fn round_div(numerator: i128, denominator: i128) -> i64 {
    let q = numerator / denominator;
    let r = numerator % denominator;
    let adjust = if 2 * r.abs() >= denominator.abs() {
        numerator.signum() * denominator.signum()
    } else {
        0
    };
    (q + adjust) as i64
}

impl fmt::Display for Rate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} %", self.percent_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentages() {
        assert_eq!(Rate::parse_percent("10.15").unwrap(), Rate(101_500));
        assert_eq!(Rate::parse_percent("21").unwrap(), Rate(210_000));
        assert_eq!(Rate::parse_percent("0,5%").unwrap(), Rate(5_000));
        assert!(Rate::parse_percent("ten").is_err());
        assert!(Rate::parse_percent("1.23456").is_err());
        assert_eq!(Rate(101_500).percent_string(), "10.15");
        assert_eq!(Rate(210_000).percent_string(), "21");
        assert_eq!(Rate(210_000).apply(37_500), 7_875);
        assert_eq!(round_div(5, 2), 3);
        assert_eq!(round_div(-5, 2), -3);
        assert_eq!(round_div(4, 3), 1);
    }
}
