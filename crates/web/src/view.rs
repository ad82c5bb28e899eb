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
    (
        "listing_head.html",
        include_str!("../templates/listing_head.html"),
    ),
    (
        "listing_foot.html",
        include_str!("../templates/listing_foot.html"),
    ),
    (
        "listing_export.html",
        include_str!("../templates/listing_export.html"),
    ),
    ("login.html", include_str!("../templates/login.html")),
    ("error.html", include_str!("../templates/error.html")),
    (
        "error_bare.html",
        include_str!("../templates/error_bare.html"),
    ),
    ("today.html", include_str!("../templates/today.html")),
    ("meeting.html", include_str!("../templates/meeting.html")),
    ("quiz.html", include_str!("../templates/quiz.html")),
    (
        "appreciation.html",
        include_str!("../templates/appreciation.html"),
    ),
    (
        "appreciation_card.html",
        include_str!("../templates/appreciation_card.html"),
    ),
    (
        "today_book.html",
        include_str!("../templates/today_book.html"),
    ),
    (
        "today_work.html",
        include_str!("../templates/today_work.html"),
    ),
    (
        "today_decide.html",
        include_str!("../templates/today_decide.html"),
    ),
    (
        "customers.html",
        include_str!("../templates/customers.html"),
    ),
    ("customer.html", include_str!("../templates/customer.html")),
    ("message.html", include_str!("../templates/message.html")),
    ("check.html", include_str!("../templates/check.html")),
    ("dunning.html", include_str!("../templates/dunning.html")),
    (
        "dunning_progress.html",
        include_str!("../templates/dunning_progress.html"),
    ),
    (
        "dunning_confirm.html",
        include_str!("../templates/dunning_confirm.html"),
    ),
    ("payments.html", include_str!("../templates/payments.html")),
    ("settings.html", include_str!("../templates/settings.html")),
    ("training.html", include_str!("../templates/training.html")),
    (
        "scoreboard.html",
        include_str!("../templates/scoreboard.html"),
    ),
    ("segment.html", include_str!("../templates/segment.html")),
    ("strategy.html", include_str!("../templates/strategy.html")),
    ("template.html", include_str!("../templates/template.html")),
    ("users.html", include_str!("../templates/users.html")),
    ("kpi.html", include_str!("../templates/kpi.html")),
    ("lists.html", include_str!("../templates/lists.html")),
    ("company.html", include_str!("../templates/company.html")),
    (
        "policy_rule.html",
        include_str!("../templates/policy_rule.html"),
    ),
    (
        "condition_rows.html",
        include_str!("../templates/condition_rows.html"),
    ),
    ("forecast.html", include_str!("../templates/forecast.html")),
    ("portal.html", include_str!("../templates/portal.html")),
    (
        "portal_card.html",
        include_str!("../templates/portal_card.html"),
    ),
    (
        "portal_done.html",
        include_str!("../templates/portal_done.html"),
    ),
    (
        "portal_gone.html",
        include_str!("../templates/portal_gone.html"),
    ),
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

/// Payment behaviour as inline SVG: one dot per invoice paid in full in
/// the 24 months before `as_of` (x: the day it was paid; y: days after its
/// due date, the line at 0 is the due date). `paid`: (paid on, days late).
pub fn behaviour_svg(paid: &[(Date, i32)], as_of: Date, language: Language) -> String {
    let nl = language == Language::Nl;
    let (width, height) = (640i64, 220i64);
    let (left, right, top, bottom) = (44i64, 12i64, 12i64, 190i64);
    let from = as_of.add_days(-730).days_since_epoch() as i64;
    let to = as_of.days_since_epoch() as i64;
    let step = 15i64;
    let lowest = paid
        .iter()
        .map(|p| p.1 as i64)
        .min()
        .unwrap_or(0)
        .min(-step);
    let highest = paid
        .iter()
        .map(|p| p.1 as i64)
        .max()
        .unwrap_or(0)
        .max(2 * step);
    let low = lowest.div_euclid(step) * step;
    let high = (highest + step - 1).div_euclid(step) * step;
    // Keep the axis readable when one payment was very late.
    let high = high.min(low + 12 * step).max(step);
    let x = |day: i64| left + (day - from) * (width - left - right) / (to - from).max(1);
    let y = |days: i64| top + (high - days.clamp(low, high)) * (bottom - top) / (high - low).max(1);
    let title = if nl {
        "Dagen te laat per betaalde factuur, laatste 24 maanden"
    } else {
        "Days late per paid invoice, last 24 months"
    };
    let mut svg = format!(
        "<svg class=\"chart behaviour\" viewBox=\"0 0 {width} {height}\" role=\"img\" aria-label=\"{}\" xmlns=\"http://www.w3.org/2000/svg\">",
        escape(title)
    );
    // Horizontal grid lines with their day counts.
    let mut days = low;
    while days <= high {
        let class = if days == 0 { "axis" } else { "grid" };
        svg.push_str(&format!(
            "<line x1=\"{left}\" y1=\"{0}\" x2=\"{1}\" y2=\"{0}\" class=\"{class}\"/><text x=\"{2}\" y=\"{3}\" text-anchor=\"end\">{4}</text>",
            y(days),
            width - right,
            left - 6,
            y(days) + 4,
            days
        ));
        days += if high - low > 8 * step {
            2 * step
        } else {
            step
        };
    }
    svg.push_str(&format!(
        "<text x=\"{}\" y=\"{}\" class=\"note\">{}</text><text x=\"{}\" y=\"{}\" class=\"note\">{}</text>",
        width - right - 4,
        y(0) - 4,
        if nl { "vervaldatum" } else { "due date" },
        width - right - 4,
        top + 10,
        if nl { "dagen te laat" } else { "days late" }
    ));
    // A month label every six months, at the first of the month.
    let (ay, am, _) = as_of.ymd();
    for back in (0..24).rev().filter(|b| b % 6 == 0) {
        let months = ay * 12 + am as i32 - 1 - back;
        let (year, month) = (months.div_euclid(12), months.rem_euclid(12) as u32 + 1);
        if let Some(first) = Date::from_ymd(year, month, 1) {
            let day = first.days_since_epoch() as i64;
            if day >= from {
                // `nov 2026`; the label nearest the right edge ends there.
                let label = format::month(year, month, language);
                let (name, year_text) = label.split_once(' ').unwrap_or((&label, ""));
                let short: String = name.chars().take(3).collect();
                let anchor = if x(day) > width - right - 40 {
                    "end"
                } else {
                    "middle"
                };
                svg.push_str(&format!(
                    "<text x=\"{}\" y=\"{}\" text-anchor=\"{anchor}\">{} {}</text>",
                    x(day).min(width - right),
                    height - 8,
                    escape(&short),
                    year_text
                ));
            }
        }
    }
    for (paid_on, late) in paid {
        let class = if *late > 0 { "dot late" } else { "dot" };
        let words = if nl {
            format!(
                "betaald op {}: {}",
                format::short_date(*paid_on, language),
                match late {
                    0 => "op de vervaldatum".to_string(),
                    1 => "1 dag te laat".to_string(),
                    -1 => "1 dag te vroeg".to_string(),
                    d if *d > 0 => format!("{d} dagen te laat"),
                    d => format!("{} dagen te vroeg", -d),
                }
            )
        } else {
            format!(
                "paid on {}: {}",
                format::short_date(*paid_on, language),
                match late {
                    0 => "on the due date".to_string(),
                    1 => "1 day late".to_string(),
                    -1 => "1 day early".to_string(),
                    d if *d > 0 => format!("{d} days late"),
                    d => format!("{} days early", -d),
                }
            )
        };
        svg.push_str(&format!(
            "<circle class=\"{class}\" cx=\"{}\" cy=\"{}\" r=\"4\"><title>{}</title></circle>",
            x(paid_on.days_since_epoch() as i64),
            y(*late as i64),
            escape(&words)
        ));
    }
    svg.push_str("</svg>");
    svg
}

/// DSO per month as a line chart: (month label, days), the last point
/// today's. Points without a DSO (no sales) are left out of the line.
pub fn dso_svg(points: &[(String, Option<f64>)], language: Language) -> String {
    let label = if language == Language::Nl {
        "DSO per maand (countback), laatste 24 maanden"
    } else {
        "DSO per month (countback), last 24 months"
    };
    let unit = if language == Language::Nl {
        "dagen"
    } else {
        "days"
    };
    line_svg(points, label, unit, None, language)
}

/// A line over months with its values (a dot with a title per known
/// value), a scale from zero, and a dashed line at `target` when there is
/// one; `unit` is written in the corner and in each dot's title.
pub fn line_svg(
    points: &[(String, Option<f64>)],
    label: &str,
    unit: &str,
    target: Option<f64>,
    language: Language,
) -> String {
    let (width, height) = (640i64, 220i64);
    let (left, right, top, bottom) = (44i64, 12i64, 14i64, 190i64);
    let n = points.len().max(2) as i64;
    let known: Vec<(usize, f64)> = points
        .iter()
        .enumerate()
        .filter_map(|(i, (_, d))| d.filter(|d| d.is_finite()).map(|d| (i, d)))
        .collect();
    let max = known
        .iter()
        .map(|(_, d)| *d)
        .chain(target)
        .fold(0.0f64, f64::max);
    let step = if max > 150.0 {
        50.0
    } else if max > 60.0 {
        20.0
    } else {
        10.0
    };
    let high = ((max / step).ceil() * step).max(step);
    let x = |i: usize| left + i as i64 * (width - left - right) / (n - 1);
    let y =
        |d: f64| top + ((1.0 - (d / high).clamp(0.0, 1.0)) * (bottom - top) as f64).round() as i64;
    let mut svg = format!(
        "<svg class=\"chart dso\" viewBox=\"0 0 {width} {height}\" role=\"img\" aria-label=\"{}\" xmlns=\"http://www.w3.org/2000/svg\">",
        escape(label)
    );
    let mut days = 0.0;
    while days <= high {
        svg.push_str(&format!(
            "<line x1=\"{left}\" y1=\"{0}\" x2=\"{1}\" y2=\"{0}\" class=\"{2}\"/><text x=\"{3}\" y=\"{4}\" text-anchor=\"end\">{5}</text>",
            y(days),
            width - right,
            if days == 0.0 { "axis" } else { "grid" },
            left - 6,
            y(days) + 4,
            format::number(days, 0, language)
        ));
        days += step;
    }
    svg.push_str(&format!(
        "<text x=\"{}\" y=\"{}\" class=\"note\">{}</text>",
        width - right - 4,
        top + 10,
        escape(unit)
    ));
    if let Some(target) = target {
        svg.push_str(&format!(
            "<line x1=\"{left}\" y1=\"{0}\" x2=\"{1}\" y2=\"{0}\" class=\"target\"/><text x=\"{2}\" y=\"{3}\" class=\"note target-label\">{4} {5}</text>",
            y(target),
            width - right,
            width - right - 4,
            y(target) - 4,
            if language == Language::Nl { "doel" } else { "target" },
            format::number(target, 0, language)
        ));
    }
    for (i, (month, _)) in points.iter().enumerate() {
        if i % 6 == 5 || i + 1 == points.len() {
            let anchor = if i + 1 == points.len() {
                "end"
            } else {
                "middle"
            };
            svg.push_str(&format!(
                "<text x=\"{}\" y=\"{}\" text-anchor=\"{anchor}\">{}</text>",
                x(i),
                height - 8,
                escape(month)
            ));
        }
    }
    if known.len() > 1 {
        let line: Vec<String> = known
            .iter()
            .map(|(i, d)| format!("{},{}", x(*i), y(*d)))
            .collect();
        svg.push_str(&format!(
            "<polyline class=\"trend\" points=\"{}\"/>",
            line.join(" ")
        ));
    }
    for (i, d) in &known {
        svg.push_str(&format!(
            "<circle class=\"dot\" cx=\"{}\" cy=\"{}\" r=\"3\"><title>{}: {} {}</title></circle>",
            x(*i),
            y(*d),
            escape(&points[*i].0),
            format::number(*d, 1, language),
            escape(unit)
        ));
    }
    svg.push_str("</svg>");
    svg
}

/// A small line of shares (0.0–1.0) over months, for a table row: the
/// points joined where known, each with its month and value as a title.
pub fn sparkline(points: &[(String, Option<f64>)], language: Language) -> String {
    let (width, height) = (120i64, 28i64);
    let n = points.len().max(2) as i64;
    let x = |i: usize| 2 + i as i64 * (width - 4) / (n - 1);
    let y = |share: f64| 2 + ((1.0 - share.clamp(0.0, 1.0)) * (height - 4) as f64).round() as i64;
    let label = if language == Language::Nl {
        "Deel op tijd betaald per maand"
    } else {
        "Share paid on time per month"
    };
    let mut svg = format!(
        "<svg class=\"spark\" viewBox=\"0 0 {width} {height}\" width=\"{width}\" height=\"{height}\" role=\"img\" aria-label=\"{}\" xmlns=\"http://www.w3.org/2000/svg\">",
        escape(label)
    );
    let known: Vec<(usize, f64)> = points
        .iter()
        .enumerate()
        .filter_map(|(i, (_, s))| s.map(|s| (i, s)))
        .collect();
    if known.len() > 1 {
        let line: Vec<String> = known
            .iter()
            .map(|(i, s)| format!("{},{}", x(*i), y(*s)))
            .collect();
        svg.push_str(&format!(
            "<polyline class=\"line\" points=\"{}\"/>",
            line.join(" ")
        ));
    }
    for (i, s) in &known {
        svg.push_str(&format!(
            "<circle cx=\"{}\" cy=\"{}\" r=\"2\"><title>{}: {}</title></circle>",
            x(*i),
            y(*s),
            escape(&points[*i].0),
            format::percent(*s, language)
        ));
    }
    svg.push_str("</svg>");
    svg
}

/// Short labels over the bars: `€ 1,2 mln`, `€ 468.100` (Dutch writes no
/// `k`), `€1.2M`, `€468.1k`.
fn short_money(minor: i64, language: Language) -> String {
    if language == Language::Nl && minor.unsigned_abs() < 100_000_000 {
        // Whole euros, in hundreds from a thousand up (half away from zero).
        let step: i64 = if minor.unsigned_abs() >= 100_000 {
            10_000
        } else {
            100
        };
        let half = if minor < 0 { -step / 2 } else { step / 2 };
        let rounded = (minor + half) / step * (step / 100);
        return format!("€ {}", tegoed_app::format::integer(rounded, language));
    }
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

/// The cash-in forecast as bars per week (`expected`) with the band from
/// `low` to `high` as a line over each bar; amounts in minor units, each
/// bar with its week and figures as a title.
pub fn forecast_svg(weeks: &[(String, i64, i64, i64)], language: Language) -> String {
    let (width, height) = (700i64, 250i64);
    let (left, right, top, bottom) = (40i64, 40i64, 16i64, 210i64);
    let max = weeks.iter().map(|w| w.1.max(w.3)).max().unwrap_or(0).max(1);
    let n = weeks.len().max(1) as i64;
    let slot = (width - left - right) / n;
    let bar = (slot * 2 / 3).max(2);
    let y = |minor: i64| {
        bottom - (minor.max(0) as f64 / max as f64 * (bottom - top) as f64).round() as i64
    };
    let mut svg = format!(
        "<svg class=\"chart forecast\" viewBox=\"0 0 {width} {height}\" role=\"img\" aria-label=\"{}\" xmlns=\"http://www.w3.org/2000/svg\">",
        escape(i18n::t(language, "Cash expected per week"))
    );
    svg.push_str(&format!(
        "<line x1=\"{left}\" y1=\"{bottom}\" x2=\"{}\" y2=\"{bottom}\" class=\"axis\"/>",
        width - right
    ));
    for (i, (week, expected, low, high)) in weeks.iter().enumerate() {
        let x = left + i as i64 * slot + (slot - bar) / 2;
        let title = format!(
            "{week}: {} ({} – {})",
            format::money(*expected, "EUR", language),
            format::money(*low, "EUR", language),
            format::money(*high, "EUR", language)
        );
        let (top_y, low_y, high_y, mid) = (y(*expected), y(*low), y(*high), x + bar / 2);
        let bar_h = bottom - top_y;
        svg.push_str(&format!(
            "<g><title>{}</title><rect class=\"bar due\" x=\"{x}\" y=\"{top_y}\" width=\"{bar}\" height=\"{bar_h}\"/>\
             <line class=\"band\" x1=\"{mid}\" y1=\"{low_y}\" x2=\"{mid}\" y2=\"{high_y}\"/></g>",
            escape(&title),
        ));
        if i % 2 == 0 {
            svg.push_str(&format!(
                "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>",
                x + bar / 2,
                height - 20,
                escape(week)
            ));
        }
    }
    svg.push_str("</svg>");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_labels_over_bars_read_in_the_language() {
        assert_eq!(short_money(46_812_345, Language::Nl), "€ 468.100");
        assert_eq!(short_money(46_812_345, Language::En), "€ 468.1k");
        assert_eq!(short_money(210_000_000, Language::Nl), "€ 2,1 mln");
        assert_eq!(short_money(91_250, Language::Nl), "€ 913");
    }

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
    fn the_behaviour_chart_places_early_and_late_payments() {
        let as_of = Date::from_ymd(2026, 11, 25).unwrap();
        let paid = [
            (Date::from_ymd(2025, 3, 1).unwrap(), -3),
            (Date::from_ymd(2026, 10, 1).unwrap(), 45),
        ];
        let svg = behaviour_svg(&paid, as_of, Language::Nl);
        assert_eq!(svg.matches("<circle").count(), 2);
        assert!(svg.contains("3 dagen te vroeg") && svg.contains("45 dagen te laat"));
        assert!(svg.contains("vervaldatum") && svg.contains("nov 2026"));
        // The late one sits above the due-date line, the early one below.
        let cy = |i: usize| -> i64 {
            let at = svg.match_indices("cy=\"").nth(i).unwrap().0 + 4;
            svg[at..].split('"').next().unwrap().parse().unwrap()
        };
        assert!(cy(1) < cy(0));
        assert!(behaviour_svg(&[], as_of, Language::En).contains("due date"));
    }

    #[test]
    fn chart_escapes_its_labels() {
        let svg = aging_svg(&[("<b>".into(), 100), ("x".into(), 50)], Language::En);
        assert!(svg.contains("&lt;b&gt;") && !svg.contains("<b>"));
    }
}
