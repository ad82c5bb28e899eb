//! How Tegoed writes money, numbers, percentages and dates for people, in
//! one place, per language (ARCHITECTURE.md, "Formats"). Files and the
//! JSON API keep ISO dates and decimal strings; pages, letters, e-mails and
//! the timeline use these.
//!
//! | what | Dutch | English |
//! |---|---|---|
//! | money | `€ 1.234,56`, `-€ 36,53` | `€1,234.56`, `-€36.53` |
//! | number | `2.000`, `60,3` | `2,000`, `60.3` |
//! | percentage | `30%` | `30%` |
//! | date in a table or list | `02-12-2026` | `2 Dec 2026` |
//! | date in a sentence or letter | `2 december 2026` | `2 December 2026` |
//! | moment (audit log) | `02-12-2026 14:05` | `2 Dec 2026 14:05` (UTC) |

use tegoed_core::{Currency, Date, Language, Money};

/// Money for people in `language` from a currency code: [`Money::display_in`].
pub fn money(minor: i64, currency: &str, language: Language) -> String {
    let currency = Currency::parse(currency).unwrap_or(Currency::EUR);
    Money::new(minor, currency).display_in(language)
}

const MONTHS_NL: [&str; 12] = [
    "januari",
    "februari",
    "maart",
    "april",
    "mei",
    "juni",
    "juli",
    "augustus",
    "september",
    "oktober",
    "november",
    "december",
];
const MONTHS_EN: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// The name of a month (1–12): `november` / `November`.
pub fn month_name(month: u32, language: Language) -> &'static str {
    let months = match language {
        Language::Nl => &MONTHS_NL,
        Language::En => &MONTHS_EN,
    };
    months[(month.clamp(1, 12) - 1) as usize]
}

/// A month in a chart's label: `mrt` / `Mar`.
pub fn month_short(month: u32, language: Language) -> &'static str {
    const NL: [&str; 12] = [
        "jan", "feb", "mrt", "apr", "mei", "jun", "jul", "aug", "sep", "okt", "nov", "dec",
    ];
    const EN: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let i = (month.clamp(1, 12) - 1) as usize;
    match language {
        Language::Nl => NL[i],
        Language::En => EN[i],
    }
}

/// A date in a sentence: `25 november 2026` / `25 November 2026`.
pub fn long_date(date: Date, language: Language) -> String {
    let (y, m, d) = date.ymd();
    let months = match language {
        Language::Nl => &MONTHS_NL,
        Language::En => &MONTHS_EN,
    };
    format!("{d} {} {y}", months[(m - 1) as usize])
}

/// A date in a table or list: `25-11-2026` / `25 Nov 2026`.
pub fn short_date(date: Date, language: Language) -> String {
    let (y, m, d) = date.ymd();
    match language {
        Language::Nl => format!("{d:02}-{m:02}-{y}"),
        Language::En => format!("{d} {} {y}", &MONTHS_EN[(m - 1) as usize][..3]),
    }
}

/// A month: `november 2026` / `November 2026`.
pub fn month(year: i32, month: u32, language: Language) -> String {
    format!("{} {year}", month_name(month, language))
}

/// A moment given in Unix seconds, in UTC: `02-12-2026 14:05`.
pub fn moment(unix_seconds: i64, language: Language) -> String {
    let days = unix_seconds.div_euclid(86_400);
    let seconds = unix_seconds.rem_euclid(86_400);
    let day = i32::try_from(days).map_or(Date::from_days_since_epoch(0), |d| {
        Date::from_days_since_epoch(d)
    });
    format!(
        "{} {:02}:{:02}",
        short_date(day, language),
        seconds / 3600,
        seconds % 3600 / 60
    )
}

/// A whole number with thousands grouped: `2.000` / `2,000`.
pub fn integer(value: i64, language: Language) -> String {
    let digits = value.unsigned_abs().to_string();
    let group = match language {
        Language::Nl => '.',
        Language::En => ',',
    };
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 1);
    if value < 0 {
        out.push('-');
    }
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(group);
        }
        out.push(c);
    }
    out
}

/// A number with `decimals` places (rounded half away from zero), grouped:
/// `60,3` / `60.3`, `1.234,5`. Not for money (that is [`money`]).
pub fn number(value: f64, decimals: usize, language: Language) -> String {
    if !value.is_finite() {
        return "–".into();
    }
    let decimals = decimals.min(6);
    let scale = 10f64.powi(decimals as i32);
    let scaled = (value.abs() * scale).round();
    if scaled >= 9.0e15 {
        return "–".into();
    }
    let scaled = scaled as i64;
    let scale = scale as i64;
    let whole = scaled / scale;
    let fraction = scaled % scale;
    let mut out = String::new();
    if value < 0.0 && scaled != 0 {
        out.push('-');
    }
    out.push_str(&integer(whole, language));
    if decimals > 0 {
        out.push(match language {
            Language::Nl => ',',
            Language::En => '.',
        });
        out.push_str(&format!("{fraction:0decimals$}"));
    }
    out
}

/// A share (0.3) as a percentage with no decimals: `30%`.
pub fn percent(share: f64, language: Language) -> String {
    format!("{}%", number(share * 100.0, 0, language))
}

/// `n` with the singular or plural noun: `1 factuur`, `2 facturen`.
pub fn count(n: i64, one: &str, many: &str, language: Language) -> String {
    format!(
        "{} {}",
        integer(n, language),
        if n == 1 { one } else { many }
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use Language::{En, Nl};

    #[test]
    fn numbers_follow_the_language() {
        assert_eq!(integer(2000, Nl), "2.000");
        assert_eq!(integer(2000, En), "2,000");
        assert_eq!(integer(-1_234_567, Nl), "-1.234.567");
        assert_eq!(integer(999, Nl), "999");
        assert_eq!(number(60.34, 1, Nl), "60,3");
        assert_eq!(number(60.35, 1, En), "60.4");
        assert_eq!(number(1234.5, 1, Nl), "1.234,5");
        assert_eq!(number(-0.04, 1, Nl), "0,0");
        assert_eq!(number(68.1, 0, Nl), "68");
        assert_eq!(number(f64::NAN, 1, Nl), "–");
        assert_eq!(percent(0.304, Nl), "30%");
        assert_eq!(count(1, "factuur", "facturen", Nl), "1 factuur");
        assert_eq!(count(2000, "factuur", "facturen", Nl), "2.000 facturen");
    }

    #[test]
    fn dates_follow_the_language() {
        let d = Date::from_ymd(2026, 12, 2).unwrap();
        assert_eq!(short_date(d, Nl), "02-12-2026");
        assert_eq!(short_date(d, En), "2 Dec 2026");
        assert_eq!(long_date(d, Nl), "2 december 2026");
        assert_eq!(long_date(d, En), "2 December 2026");
        assert_eq!(month(2026, 11, Nl), "november 2026");
        // 2026-12-02 14:05:09 UTC
        assert_eq!(moment(1_796_220_309, Nl), "02-12-2026 14:05");
    }

    #[test]
    fn money_puts_the_sign_before_the_symbol() {
        assert_eq!(money(-3653, "EUR", Nl), "-€\u{a0}36,53");
        assert_eq!(money(123_456, "EUR", Nl), "€\u{a0}1.234,56");
    }
}
