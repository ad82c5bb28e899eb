//! Page rendering: minijinja templates compiled into the binary (HTML
//! auto-escaped), the `t` function for Dutch and English, money and
//! percentage filters, and the server-side SVG aging chart.

use minijinja::value::Value;
use minijinja::{Environment, State};
use tegoed_app::format;
use tegoed_core::{Date, Language};

use crate::i18n;

const TEMPLATES: &[(&str, &str)] = &[
    ("base.html", include_str!("../templates/base.html")),
    ("login.html", include_str!("../templates/login.html")),
    ("error.html", include_str!("../templates/error.html")),
    (
        "error_bare.html",
        include_str!("../templates/error_bare.html"),
    ),
    ("today.html", include_str!("../templates/today.html")),
    (
        "customers.html",
        include_str!("../templates/customers.html"),
    ),
    ("customer.html", include_str!("../templates/customer.html")),
    ("message.html", include_str!("../templates/message.html")),
    ("check.html", include_str!("../templates/check.html")),
    ("dunning.html", include_str!("../templates/dunning.html")),
    (
        "dunning_confirm.html",
        include_str!("../templates/dunning_confirm.html"),
    ),
    ("payments.html", include_str!("../templates/payments.html")),
    ("settings.html", include_str!("../templates/settings.html")),
    ("template.html", include_str!("../templates/template.html")),
    ("users.html", include_str!("../templates/users.html")),
];

pub struct Views {
    env: Environment<'static>,
}

impl Views {
    pub fn new() -> Views {
        let mut env = Environment::new();
        for (name, source) in TEMPLATES {
            env.add_template(name, source)
                .unwrap_or_else(|e| panic!("template {name}: {e}"));
        }
        env.add_function("t", |state: &State, text: String| -> String {
            i18n::t(lang_of(state), &text).to_string()
        });
        env.add_filter("money", |state: &State, value: Value| -> String {
            money_text(&value, lang_of(state))
        });
        env.add_filter("pct", |state: &State, value: Value| -> String {
            f64::try_from(value)
                .map(|v| format::percent(v, lang_of(state)))
                .unwrap_or_default()
        });
        // Dates: `date` for tables and lists, `longdate` for sentences; both
        // take an ISO date (`2026-12-02`, or the start of a longer text).
        env.add_filter("date", |state: &State, value: Value| -> String {
            date_text(&value, lang_of(state), format::short_date)
        });
        env.add_filter("longdate", |state: &State, value: Value| -> String {
            date_text(&value, lang_of(state), format::long_date)
        });
        // Numbers: `num` with a number of decimals (default 0), `moment` for
        // Unix seconds (the audit log).
        env.add_filter(
            "num",
            |state: &State, value: Value, decimals: Option<usize>| -> String {
                number_text(&value, decimals.unwrap_or(0), lang_of(state))
            },
        );
        env.add_filter("moment", |state: &State, value: Value| -> String {
            i64::try_from(value)
                .map(|v| format::moment(v, lang_of(state)))
                .unwrap_or_default()
        });
        Views { env }
    }

    pub fn render(&self, name: &str, context: Value) -> Result<String, String> {
        self.env
            .get_template(name)
            .and_then(|t| t.render(context))
            .map_err(|e| format!("template {name}: {e:#}"))
    }
}

fn date_text(value: &Value, language: Language, show: fn(Date, Language) -> String) -> String {
    let Some(text) = value.as_str() else {
        return String::new();
    };
    match text.get(..10).map(Date::parse_iso) {
        Some(Ok(date)) => show(date, language),
        _ => text.to_string(),
    }
}

fn number_text(value: &Value, decimals: usize, language: Language) -> String {
    if let (Ok(n), 0) = (i64::try_from(value.clone()), decimals) {
        return format::integer(n, language);
    }
    if let Ok(v) = f64::try_from(value.clone()) {
        return format::number(v, decimals, language);
    }
    match value.as_str().map(str::parse::<f64>) {
        Some(Ok(v)) => format::number(v, decimals, language),
        _ => value.to_string(),
    }
}

fn lang_of(state: &State) -> Language {
    match state.lookup("lang").as_ref().and_then(|v| v.as_str()) {
        Some("en") => Language::En,
        _ => Language::Nl,
    }
}

/// Money for people: `€ 1.234,56` in Dutch, `€ 1,234.56` in English. Takes
/// minor units (integers) or decimal strings (`"1234.56"`, as the JSON
/// shapes carry them).
pub fn money_text(value: &Value, language: Language) -> String {
    let minor = if let Some(text) = value.as_str() {
        match parse_decimal(text) {
            Some(m) => m,
            None => return text.to_string(),
        }
    } else if let Ok(n) = i64::try_from(value.clone()) {
        n
    } else {
        return String::new();
    };
    format::money(minor, "EUR", language)
}

fn parse_decimal(text: &str) -> Option<i64> {
    let (neg, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (int, frac) = digits.split_once('.').unwrap_or((digits, ""));
    if int.is_empty()
        || frac.len() > 2
        || !int.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let value = int.parse::<i64>().ok()? * 100 + format!("{frac:0<2}").parse::<i64>().ok()?;
    Some(if neg { -value } else { value })
}

/// A bar chart of the aging buckets as inline SVG (no script, scales with
/// the page). `bars`: (label, minor units).
pub fn aging_svg(bars: &[(String, i64)], language: Language) -> String {
    let max = bars.iter().map(|b| b.1).max().unwrap_or(0).max(1);
    let width = 640;
    let bar_w = 100;
    let gap = (width - bar_w * bars.len() as i64) / (bars.len() as i64 + 1);
    let chart_h = 180;
    let mut svg = format!(
        "<svg class=\"chart\" viewBox=\"0 0 {width} 250\" role=\"img\" aria-label=\"{}\" xmlns=\"http://www.w3.org/2000/svg\">",
        escape(i18n::t(language, "Open amount by days overdue"))
    );
    for (i, (label, minor)) in bars.iter().enumerate() {
        let h = ((*minor).max(0) as f64 / max as f64 * chart_h as f64).round() as i64;
        let x = gap + i as i64 * (bar_w + gap);
        let y = 200 - h;
        let class = if i == 0 { "bar due" } else { "bar late" };
        svg.push_str(&format!(
            "<rect class=\"{class}\" x=\"{x}\" y=\"{y}\" width=\"{bar_w}\" height=\"{h}\"><title>{}: {}</title></rect>\
             <text x=\"{}\" y=\"{}\" text-anchor=\"middle\" class=\"amount\">{}</text>\
             <text x=\"{}\" y=\"222\" text-anchor=\"middle\">{}</text>",
            escape(label),
            escape(&tegoed_app::dunning::document::money(*minor, "EUR", language)),
            x + bar_w / 2,
            (y - 6).max(12),
            escape(&short_money(*minor, language)),
            x + bar_w / 2,
            escape(label),
        ));
    }
    svg.push_str("<line x1=\"0\" y1=\"200\" x2=\"640\" y2=\"200\" class=\"axis\"/></svg>");
    svg
}

/// `€ 12k`, `€ 1,2 mln`: short labels over the bars.
fn short_money(minor: i64, language: Language) -> String {
    let euros = minor as f64 / 100.0;
    let (value, unit) = if euros.abs() >= 1_000_000.0 {
        (
            euros / 1_000_000.0,
            if language == Language::Nl {
                " mln"
            } else {
                "M"
            },
        )
    } else if euros.abs() >= 1_000.0 {
        (euros / 1_000.0, "k")
    } else {
        (euros, "")
    };
    let text = format!("€ {value:.1}{unit}");
    if language == Language::Nl {
        text.replace('.', ",")
    } else {
        text
    }
}

pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_parse_to_minor_units() {
        assert_eq!(parse_decimal("1234.56"), Some(123_456));
        assert_eq!(parse_decimal("-0.5"), Some(-50));
        assert_eq!(parse_decimal("12"), Some(1200));
        assert_eq!(parse_decimal("1.234"), None);
        assert_eq!(parse_decimal("abc"), None);
    }

    #[test]
    fn every_template_compiles() {
        let views = Views::new();
        for (name, _) in TEMPLATES {
            assert!(views.env.get_template(name).is_ok(), "{name}");
        }
    }

    #[test]
    fn chart_escapes_its_labels() {
        let svg = aging_svg(&[("<b>".into(), 100), ("x".into(), 50)], Language::En);
        assert!(svg.contains("&lt;b&gt;") && !svg.contains("<b>"));
    }
}
