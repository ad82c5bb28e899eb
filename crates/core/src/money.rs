//! Money as integer minor units with a currency; never a float.
//!
//! Amounts are read from text once, at the edge (CSV, bank files, the CLI),
//! into [`Money`]; arithmetic is checked; they become text again only for
//! output. Rates (interest, VAT, margins) are a different type, see
//! [`crate::rate`].

use std::fmt;

use crate::customer::Language;

/// An ISO 4217 currency code, such as `EUR`.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Currency([u8; 3]);

impl Currency {
    pub const EUR: Currency = Currency(*b"EUR");

    /// Reads a three-letter code (case-insensitive).
    pub fn parse(text: &str) -> Result<Currency, MoneyError> {
        let trimmed = text.trim();
        let bytes = trimmed.as_bytes();
        if bytes.len() != 3 || !bytes.iter().all(u8::is_ascii_alphabetic) {
            return Err(MoneyError::Currency(text.to_string()));
        }
        Ok(Currency([
            bytes[0].to_ascii_uppercase(),
            bytes[1].to_ascii_uppercase(),
            bytes[2].to_ascii_uppercase(),
        ]))
    }

    pub fn code(&self) -> &str {
        // Only ASCII letters are ever stored.
        std::str::from_utf8(&self.0).unwrap_or("XXX")
    }

    /// Number of decimals of the minor unit (ISO 4217), 2 for most currencies.
    pub fn exponent(self) -> u32 {
        match &self.0 {
            b"JPY" | b"KRW" | b"ISK" | b"CLP" | b"VND" | b"XOF" | b"XAF" | b"UGX" | b"PYG" => 0,
            b"BHD" | b"KWD" | b"OMR" | b"JOD" | b"TND" | b"LYD" | b"IQD" => 3,
            _ => 2,
        }
    }

    /// `€`, `$`, `£` for the common ones, else the code.
    pub fn symbol(&self) -> &str {
        match &self.0 {
            b"EUR" => "€",
            b"USD" => "$",
            b"GBP" => "£",
            _ => self.code(),
        }
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl fmt::Debug for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// Why an amount or currency could not be read or computed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MoneyError {
    Currency(String),
    Amount { input: String, reason: &'static str },
    CurrencyMismatch(Currency, Currency),
    Overflow,
}

impl fmt::Display for MoneyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MoneyError::Currency(input) => {
                write!(
                    f,
                    "invalid currency '{input}': expected a three-letter code such as EUR"
                )
            }
            MoneyError::Amount { input, reason } => write!(f, "invalid amount '{input}': {reason}"),
            MoneyError::CurrencyMismatch(a, b) => write!(f, "cannot combine {a} and {b} amounts"),
            MoneyError::Overflow => f.write_str(
                "a total is too large to compute (more than 92 million billion); check the amounts imported",
            ),
        }
    }
}

impl std::error::Error for MoneyError {}

/// The largest amount Tegoed accepts on any one document, payment or
/// setting, in minor units: 10^11, which is 1,000,000,000.00 of a
/// two-decimal currency (one billion euros).
///
/// Why this bound: no single invoice or payment of a Tegoed user comes near
/// it, while the sum of 92 million such amounts still fits in an `i64`, so
/// the totals of a real ledger cannot overflow. Totals are checked all the
/// same ([`add_minor`], [`sum_minor`]): an overflow is an error, never a
/// wrong number.
pub const MAX_MINOR: i64 = 100_000_000_000;

/// `a + b`, or [`MoneyError::Overflow`]: every total of money is checked.
pub fn add_minor(a: i64, b: i64) -> Result<i64, MoneyError> {
    a.checked_add(b).ok_or(MoneyError::Overflow)
}

/// The sum of `amounts`, or [`MoneyError::Overflow`].
pub fn sum_minor(amounts: impl IntoIterator<Item = i64>) -> Result<i64, MoneyError> {
    amounts.into_iter().try_fold(0i64, add_minor)
}

/// A running total of minor units that remembers an overflow instead of
/// wrapping: for totals built inside visitors, read once with
/// [`Total::get`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Total {
    minor: i64,
    overflowed: bool,
}

impl Total {
    pub fn add(&mut self, minor: i64) {
        match self.minor.checked_add(minor) {
            Some(sum) => self.minor = sum,
            None => self.overflowed = true,
        }
    }

    pub fn get(self) -> Result<i64, MoneyError> {
        if self.overflowed {
            Err(MoneyError::Overflow)
        } else {
            Ok(self.minor)
        }
    }
}

/// An amount in minor units (cents) of a currency.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct Money {
    pub minor: i64,
    pub currency: Currency,
}

impl Money {
    pub fn new(minor: i64, currency: Currency) -> Money {
        Money { minor, currency }
    }

    pub fn zero(currency: Currency) -> Money {
        Money { minor: 0, currency }
    }

    pub fn eur(minor: i64) -> Money {
        Money::new(minor, Currency::EUR)
    }

    /// Reads an amount in this currency; see [`parse_amount`] for the forms.
    pub fn parse(text: &str, currency: Currency) -> Result<Money, MoneyError> {
        Ok(Money::new(
            parse_amount(text, currency.exponent())?,
            currency,
        ))
    }

    pub fn checked_add(self, other: Money) -> Result<Money, MoneyError> {
        self.same_currency(other)?;
        let minor = self
            .minor
            .checked_add(other.minor)
            .ok_or(MoneyError::Overflow)?;
        Ok(Money::new(minor, self.currency))
    }

    pub fn checked_sub(self, other: Money) -> Result<Money, MoneyError> {
        self.same_currency(other)?;
        let minor = self
            .minor
            .checked_sub(other.minor)
            .ok_or(MoneyError::Overflow)?;
        Ok(Money::new(minor, self.currency))
    }

    pub fn is_zero(self) -> bool {
        self.minor == 0
    }

    pub fn is_negative(self) -> bool {
        self.minor < 0
    }

    pub fn abs(self) -> Money {
        Money::new(self.minor.abs(), self.currency)
    }

    /// The canonical decimal form, `1234.56` (no grouping, `.` as separator):
    /// what JSON output and CSV export use.
    pub fn to_decimal_string(self) -> String {
        format_minor(self.minor, self.currency.exponent())
    }

    /// Money for people in their language: `€ 1.234,56` in Dutch,
    /// `€ 1,234.56` in English (`$1,234.56` for a one-character sign), with
    /// a no-break space, so the symbol never ends a line without its
    /// amount. What messages, the web app and reasons show.
    pub fn display_in(self, language: Language) -> String {
        let exponent = self.currency.exponent();
        let plain = format_minor(self.minor.abs(), exponent);
        let (int_part, frac) = plain.split_once('.').unwrap_or((&plain, ""));
        let (group, decimal) = match language {
            Language::Nl => ('.', ','),
            Language::En => (',', '.'),
        };
        let mut grouped = String::with_capacity(int_part.len() + int_part.len() / 3 + 4);
        for (idx, ch) in int_part.chars().enumerate() {
            if idx > 0 && (int_part.len() - idx) % 3 == 0 {
                grouped.push(group);
            }
            grouped.push(ch);
        }
        if !frac.is_empty() {
            grouped.push(decimal);
            grouped.push_str(frac);
        }
        let sign = if self.minor < 0 { "-" } else { "" };
        let symbol = self.currency.symbol();
        // The sign goes before the symbol in both languages (`-€ 36,53`,
        // `-€1,234.56`): a minus between `€` and the digits reads as a dash.
        match language {
            Language::Nl => format!("{sign}{symbol}\u{a0}{grouped}"),
            // `€` (three bytes) and codes (`CHF`) get the space, `$` and `£` not.
            Language::En if symbol.len() > 2 => format!("{sign}{symbol}\u{a0}{grouped}"),
            Language::En => format!("{sign}{symbol}{grouped}"),
        }
    }

    /// A human form with grouping, `€ 1,234.56`.
    pub fn display(self) -> String {
        format!(
            "{} {}",
            self.currency.symbol(),
            format_grouped(self.minor, self.currency.exponent())
        )
    }

    fn same_currency(self, other: Money) -> Result<(), MoneyError> {
        if self.currency == other.currency {
            Ok(())
        } else {
            Err(MoneyError::CurrencyMismatch(self.currency, other.currency))
        }
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.to_decimal_string(), self.currency)
    }
}

/// Formats minor units as a plain decimal: `-1234.50`.
pub fn format_minor(minor: i64, exponent: u32) -> String {
    if exponent == 0 {
        return minor.to_string();
    }
    let scale = 10u64.pow(exponent);
    let sign = if minor < 0 { "-" } else { "" };
    let abs = minor.unsigned_abs();
    format!(
        "{sign}{}.{:0width$}",
        abs / scale,
        abs % scale,
        width = exponent as usize
    )
}

/// Formats minor units with thousands grouping: `-1,234.50`.
pub fn format_grouped(minor: i64, exponent: u32) -> String {
    let plain = format_minor(minor.abs(), exponent);
    let (int_part, frac) = match plain.split_once('.') {
        Some((i, f)) => (i.to_string(), Some(f.to_string())),
        None => (plain.clone(), None),
    };
    let mut grouped = String::with_capacity(int_part.len() + int_part.len() / 3 + 4);
    for (idx, ch) in int_part.chars().enumerate() {
        if idx > 0 && (int_part.len() - idx) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(ch);
    }
    let sign = if minor < 0 { "-" } else { "" };
    match frac {
        Some(f) => format!("{sign}{grouped}.{f}"),
        None => format!("{sign}{grouped}"),
    }
}

/// Reads an amount a person typed into a form: as [`parse_amount`], and
/// also `50.000` or `50,000` (one separator followed by exactly three
/// digits, which cannot be decimals of a currency with fewer) as thousands,
/// which is what people mean by it. Files keep the strict reading: there a
/// third decimal is a mistake to report, not a guess to make.
pub fn parse_typed_amount(text: &str, exponent: u32) -> Result<i64, MoneyError> {
    let strict = parse_amount(text, exponent);
    if strict.is_ok() || exponent >= 3 {
        return strict;
    }
    let mut separators = text.match_indices(['.', ',']);
    match (separators.next(), separators.next()) {
        (Some((at, _)), None)
            if text[at + 1..].len() == 3 && text[at + 1..].bytes().all(|b| b.is_ascii_digit()) =>
        {
            let grouped = format!("{}{}", &text[..at], &text[at + 1..]);
            parse_amount(&grouped, exponent).or(strict)
        }
        _ => strict,
    }
}

/// Reads an amount written the way accounting exports write them, into minor
/// units with `exponent` decimals.
///
/// Accepted: `1234.56`, `1234,56`, `1.234,56`, `1,234.56`, `-12.5`, `+3`,
/// `1 234,56`, `€ 12,50`. When both `.` and `,` occur, the last one is the
/// decimal separator and the other groups thousands (in groups of three). When
/// only one of them occurs once, it is the decimal separator; when one occurs
/// several times, it groups thousands. An amount with more decimals than the
/// currency has is an error, not a rounding.
pub fn parse_amount(text: &str, exponent: u32) -> Result<i64, MoneyError> {
    const TOO_LARGE: &str =
        "too large: Tegoed accepts amounts up to one billion (100,000,000,000 minor units)";
    let err = |reason| MoneyError::Amount {
        input: text.to_string(),
        reason,
    };
    let mut s = text.trim();
    for symbol in ["€", "EUR", "$", "£"] {
        if let Some(rest) = s.strip_prefix(symbol) {
            s = rest.trim_start();
        }
    }
    let (negative, s) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    // Trailing minus, as some Dutch exports write it: "12,50-".
    let (negative, s) = match s.strip_suffix('-') {
        Some(rest) if !negative => (true, rest),
        _ => (negative, s),
    };
    let s: String = s.chars().filter(|c| *c != ' ' && *c != '\u{a0}').collect();
    if s.is_empty() {
        return Err(err("expected a number"));
    }
    if !s
        .bytes()
        .all(|b| b.is_ascii_digit() || b == b'.' || b == b',')
    {
        return Err(err("expected digits with '.' or ',' as decimal separator"));
    }
    let dots = s.matches('.').count();
    let commas = s.matches(',').count();
    let decimal_sep = match (dots, commas) {
        (0, 0) => None,
        (1, 0) => Some('.'),
        (0, 1) => Some(','),
        (_, 0) | (0, _) => None, // several of one kind: thousands separators only
        _ => {
            let last_dot = s.rfind('.').unwrap_or(0);
            let last_comma = s.rfind(',').unwrap_or(0);
            Some(if last_dot > last_comma { '.' } else { ',' })
        }
    };
    let (int_text, frac_text) = match decimal_sep {
        Some(sep) => {
            let idx = s.rfind(sep).unwrap_or(0);
            (&s[..idx], &s[idx + 1..])
        }
        None => (s.as_str(), ""),
    };
    if frac_text.contains(['.', ',']) {
        return Err(err("separators in the wrong places"));
    }
    // Thousands groups: every group after the first has exactly three digits.
    let groups: Vec<&str> = int_text.split(['.', ',']).collect();
    if groups.len() > 1 {
        let group_sep_ok = groups[0].len() <= 3
            && !groups[0].is_empty()
            && groups[1..].iter().all(|g| g.len() == 3);
        let one_kind = !(int_text.contains('.') && int_text.contains(','));
        if !group_sep_ok || !one_kind {
            return Err(err("thousands separators must group three digits"));
        }
    }
    let int_digits: String = groups.concat();
    if int_digits.is_empty() && frac_text.is_empty() {
        return Err(err("expected a number"));
    }
    if frac_text.len() > exponent as usize {
        return Err(err("more decimals than the currency has"));
    }
    let mut minor: i64 = 0;
    for b in int_digits.bytes() {
        minor = minor
            .checked_mul(10)
            .and_then(|m| m.checked_add(i64::from(b - b'0')))
            .ok_or_else(|| err(TOO_LARGE))?;
    }
    for _ in 0..exponent {
        minor = minor.checked_mul(10).ok_or_else(|| err(TOO_LARGE))?;
    }
    let mut frac_value: i64 = 0;
    for b in frac_text.bytes() {
        frac_value = frac_value * 10 + i64::from(b - b'0');
    }
    for _ in frac_text.len()..exponent as usize {
        frac_value *= 10;
    }
    minor = minor
        .checked_add(frac_value)
        .ok_or_else(|| err(TOO_LARGE))?;
    if minor > MAX_MINOR {
        return Err(err(TOO_LARGE));
    }
    Ok(if negative { -minor } else { minor })
}

#[cfg(test)]
mod tests {

    #[test]
    fn a_typed_amount_with_one_separator_and_three_digits_is_thousands() {
        assert_eq!(parse_typed_amount("50.000", 2), Ok(5_000_000));
        assert_eq!(parse_typed_amount("50,000", 2), Ok(5_000_000));
        assert_eq!(parse_typed_amount("€ 1.250", 2), Ok(125_000));
        assert_eq!(parse_typed_amount("50.000,00", 2), Ok(5_000_000));
        assert_eq!(parse_typed_amount("12,50", 2), Ok(1_250));
        assert_eq!(parse_typed_amount("12.5", 2), Ok(1_250));
        assert!(parse_typed_amount("1.2345", 2).is_err());
        // Files keep the strict reading; a currency with three decimals
        // reads three decimals.
        assert!(parse_amount("50.000", 2).is_err());
        assert_eq!(parse_typed_amount("50.000", 3), Ok(50_000));
    }

    use super::*;
    use proptest::prelude::*;

    fn check(input: &str, expected: Result<i64, &str>) {
        let got = parse_amount(input, 2).map_err(|e| e.to_string());
        match expected {
            Ok(minor) => assert_eq!(got, Ok(minor), "input {input:?}"),
            Err(fragment) => {
                let message = got.expect_err(input);
                assert!(message.contains(fragment), "{input:?}: {message}");
            }
        }
    }

    #[test]
    fn amount_forms() {
        check("1234.56", Ok(123_456));
        check("1234,56", Ok(123_456));
        check("1.234,56", Ok(123_456));
        check("1,234.56", Ok(123_456));
        check("1.234.567,8", Ok(123_456_780));
        check("1,234,567", Ok(123_456_700));
        check("-12.5", Ok(-1250));
        check("12,50-", Ok(-1250));
        check("+3", Ok(300));
        check("€ 1 234,56", Ok(123_456));
        check(" 0.07 ", Ok(7));
        check(",5", Ok(50));
        check("12.345", Err("more decimals"));
        check("1.23.4", Err("three digits"));
        check("12a", Err("expected digits"));
        check("", Err("expected a number"));
        check("-", Err("expected a number"));
        check("1,234.567,89", Err("three digits"));
        check("99999999999999999999", Err("too large"));
        // The bound (regression: amounts up to i64::MAX cents were accepted
        // and their totals wrapped).
        check("1000000000.00", Ok(MAX_MINOR));
        check("-1.000.000.000,00", Ok(-MAX_MINOR));
        check("1000000000.01", Err("up to one billion"));
        check("92233720368547758.07", Err("up to one billion"));
    }

    #[test]
    fn formatting() {
        assert_eq!(format_minor(-123_450, 2), "-1234.50");
        assert_eq!(format_minor(5, 2), "0.05");
        assert_eq!(format_minor(5, 0), "5");
        assert_eq!(format_grouped(123_456_789, 2), "1,234,567.89");
        assert_eq!(format_grouped(-99, 2), "-0.99");
        assert_eq!(Money::eur(150_000).display(), "€ 1,500.00");
        assert_eq!(
            Money::eur(123_456).display_in(Language::Nl),
            "€\u{a0}1.234,56"
        );
        assert_eq!(Money::eur(-5).display_in(Language::Nl), "-€\u{a0}0,05");
        assert_eq!(
            Money::eur(123_456).display_in(Language::En),
            "€\u{a0}1,234.56"
        );
        assert_eq!(
            Money::eur(-123_456).display_in(Language::En),
            "-€\u{a0}1,234.56"
        );
        let usd = Currency::parse("USD").unwrap();
        assert_eq!(
            Money::new(-123_456, usd).display_in(Language::En),
            "-$1,234.56"
        );
        let jpy = Currency::parse("JPY").unwrap();
        assert_eq!(
            Money::new(1_234_567, jpy).display_in(Language::Nl),
            "JPY\u{a0}1.234.567"
        );
        let chf = Currency::parse("CHF").unwrap();
        assert_eq!(
            Money::new(99_900, chf).display_in(Language::En),
            "CHF\u{a0}999.00"
        );
        assert_eq!(Currency::parse("jpy").unwrap().exponent(), 0);
        assert!(Currency::parse("EURO").is_err());
    }

    #[test]
    fn checked_arithmetic() {
        let usd = Currency::parse("USD").unwrap();
        assert_eq!(
            Money::eur(1).checked_add(Money::new(1, usd)),
            Err(MoneyError::CurrencyMismatch(Currency::EUR, usd))
        );
        assert_eq!(
            Money::eur(i64::MAX).checked_add(Money::eur(1)),
            Err(MoneyError::Overflow)
        );
    }

    proptest! {
        #[test]
        fn decimal_round_trip(minor in -MAX_MINOR..=MAX_MINOR) {
            prop_assert_eq!(parse_amount(&format_minor(minor, 2), 2), Ok(minor));
            prop_assert_eq!(parse_amount(&format_grouped(minor, 2), 2), Ok(minor));
            let dutch = format_grouped(minor, 2).replace(',', "_").replace('.', ",").replace('_', ".");
            prop_assert_eq!(parse_amount(&dutch, 2), Ok(minor));
        }

        #[test]
        fn never_panics(text in "\\PC{0,24}") {
            let _ = parse_amount(&text, 2);
        }
    }
}
