//! A segment as a form: its names, its strategy and its conditions as rows
//! of a fact, a comparison and a value, grouped in alternatives (the
//! segment matches when every row of one alternative holds). The form is
//! read from the settings in force ([`form_of`]) and written back into the
//! settings file's text ([`apply`]) with `toml_edit`, so the rest of the
//! file, comments included, stays as it was. Whether the result is valid
//! settings is for [`super::Config::parse`] to say, as for a file edited
//! by hand.

use serde::Serialize;
use tegoed_core::customer::CustomerKind;
use tegoed_core::money::{format_minor, parse_typed_amount};
use tegoed_core::segment::{Conditions, Segment, Trend};
use toml_edit::{Array, DocumentMut, InlineTable, Item, Value};

/// What a value is, which decides how the form asks for it and how it is
/// written in the settings.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FactKind {
    /// Euros, written as a decimal string.
    Money,
    /// A number of days.
    Days,
    /// A share, asked as a percentage (20 = 20 %), written as 0.2.
    Percent,
    Count,
    /// b2b or b2c.
    Kind,
    /// worsening, stable or improving.
    Trend,
    /// Codes separated by commas: SBI sections or codes, tags, risk classes.
    List,
    /// Yes or no (the credit policy's flags).
    YesNo,
    /// A rating on the 0–100 scale.
    Score,
}

/// A comparison a row makes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Op {
    AtLeast,
    AtMost,
    Is,
    OneOf,
}

impl Op {
    pub fn code(self) -> &'static str {
        match self {
            Op::AtLeast => "min",
            Op::AtMost => "max",
            Op::Is => "is",
            Op::OneOf => "in",
        }
    }

    fn parse(code: &str) -> Option<Op> {
        [Op::AtLeast, Op::AtMost, Op::Is, Op::OneOf]
            .into_iter()
            .find(|o| o.code() == code)
    }
}

/// A fact a segment can look at, with what people read for it.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct Fact {
    pub key: &'static str,
    pub kind: FactKind,
    pub ops: &'static [Op],
    pub label_nl: &'static str,
    pub label_en: &'static str,
}

impl Fact {
    /// The largest percentage a row may give (a limit may be used beyond
    /// 100 %).
    fn percent_max(&self) -> f64 {
        if self.key == "limit_use_after" {
            1000.0
        } else {
            100.0
        }
    }
}

pub(super) const MIN_MAX: &[Op] = &[Op::AtLeast, Op::AtMost];

/// Every fact of [`Conditions`], in the order the form lists them.
pub const FACTS: &[Fact] = &[
    Fact {
        key: "kind",
        kind: FactKind::Kind,
        ops: &[Op::Is],
        label_nl: "soort klant",
        label_en: "kind of customer",
    },
    Fact {
        key: "avg_days_late",
        kind: FactKind::Days,
        ops: MIN_MAX,
        label_nl: "gemiddeld aantal dagen te laat",
        label_en: "average days late",
    },
    Fact {
        key: "share_late",
        kind: FactKind::Percent,
        ops: MIN_MAX,
        label_nl: "deel van de facturen te laat (%)",
        label_en: "share of invoices paid late (%)",
    },
    Fact {
        key: "max_days_overdue",
        kind: FactKind::Days,
        ops: &[Op::AtLeast],
        label_nl: "dagen over de vervaldatum (oudste factuur)",
        label_en: "days past due (oldest invoice)",
    },
    Fact {
        key: "trend",
        kind: FactKind::Trend,
        ops: &[Op::Is],
        label_nl: "betaalgedrag",
        label_en: "payment behaviour",
    },
    Fact {
        key: "revenue_12m",
        kind: FactKind::Money,
        ops: MIN_MAX,
        label_nl: "omzet in 12 maanden (€)",
        label_en: "revenue over 12 months (€)",
    },
    Fact {
        key: "open",
        kind: FactKind::Money,
        ops: MIN_MAX,
        label_nl: "openstaand (€)",
        label_en: "open (€)",
    },
    Fact {
        key: "overdue",
        kind: FactKind::Money,
        ops: MIN_MAX,
        label_nl: "vervallen (€)",
        label_en: "overdue (€)",
    },
    Fact {
        key: "customer_age_days",
        kind: FactKind::Days,
        ops: MIN_MAX,
        label_nl: "dagen klant",
        label_en: "days a customer",
    },
    Fact {
        key: "paid_invoices",
        kind: FactKind::Count,
        ops: &[Op::AtLeast],
        label_nl: "betaalde facturen in 12 maanden",
        label_en: "invoices paid in 12 months",
    },
    Fact {
        key: "risk_classes",
        kind: FactKind::List,
        ops: &[Op::OneOf],
        label_nl: "risicoklasse",
        label_en: "risk class",
    },
    Fact {
        key: "tags",
        kind: FactKind::List,
        ops: &[Op::OneOf],
        label_nl: "labels",
        label_en: "tags",
    },
    Fact {
        key: "industry_sections",
        kind: FactKind::List,
        ops: &[Op::OneOf],
        label_nl: "branche (SBI-sectie)",
        label_en: "industry (SBI section)",
    },
    Fact {
        key: "industry_codes",
        kind: FactKind::List,
        ops: &[Op::OneOf],
        label_nl: "branche (SBI-code begint met)",
        label_en: "industry (SBI code starts with)",
    },
];

/// The settings key of `fact` compared by `op`.
fn settings_key(fact: &Fact, op: Op) -> String {
    match (fact.key, op) {
        ("tags", _) => "tags_any".into(),
        (key, Op::AtLeast) => format!("{key}_min"),
        (key, Op::AtMost) => format!("{key}_max"),
        (key, _) => key.into(),
    }
}

/// One row of the form, as typed.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Row {
    pub fact: String,
    pub op: String,
    pub value: String,
}

/// A segment as the form shows and sends it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct SegmentForm {
    pub id: String,
    pub name_nl: String,
    pub name_en: String,
    pub strategy: String,
    pub alternatives: Vec<Vec<Row>>,
}

/// A mistake in the form, with where it is (alternative and row, from 0)
/// and what to do, in Dutch and English.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FormError {
    pub alternative: Option<usize>,
    pub row: Option<usize>,
    pub nl: String,
    pub en: String,
}

impl std::fmt::Display for FormError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.en)
    }
}

pub(super) fn euros(minor: i64) -> String {
    format_minor(minor, 2)
}

pub(super) fn number(value: f64) -> String {
    let text = format!("{value}");
    text.strip_suffix(".0").map(str::to_string).unwrap_or(text)
}

/// The form of `segment` as the settings have it.
pub fn form_of(segment: &Segment) -> SegmentForm {
    let rows = |c: &Conditions| -> Vec<Row> {
        let mut rows = Vec::new();
        let mut add = |fact: &str, op: Op, value: String| {
            rows.push(Row {
                fact: fact.into(),
                op: op.code().into(),
                value,
            })
        };
        if let Some(kind) = c.kind {
            add("kind", Op::Is, kind.as_str().into());
        }
        if let Some(v) = c.avg_days_late_min {
            add("avg_days_late", Op::AtLeast, number(v));
        }
        if let Some(v) = c.avg_days_late_max {
            add("avg_days_late", Op::AtMost, number(v));
        }
        if let Some(v) = c.share_late_min {
            add(
                "share_late",
                Op::AtLeast,
                number((v * 1000.0).round() / 10.0),
            );
        }
        if let Some(v) = c.share_late_max {
            add(
                "share_late",
                Op::AtMost,
                number((v * 1000.0).round() / 10.0),
            );
        }
        if let Some(v) = c.max_days_overdue_min {
            add("max_days_overdue", Op::AtLeast, v.to_string());
        }
        if let Some(t) = c.trend {
            add("trend", Op::Is, t.as_str().into());
        }
        for (key, min, max) in [
            ("revenue_12m", c.revenue_12m_min, c.revenue_12m_max),
            ("open", c.open_min, c.open_max),
            ("overdue", c.overdue_min, c.overdue_max),
        ] {
            if let Some(v) = min {
                add(key, Op::AtLeast, euros(v));
            }
            if let Some(v) = max {
                add(key, Op::AtMost, euros(v));
            }
        }
        if let Some(v) = c.customer_age_days_min {
            add("customer_age_days", Op::AtLeast, v.to_string());
        }
        if let Some(v) = c.customer_age_days_max {
            add("customer_age_days", Op::AtMost, v.to_string());
        }
        if let Some(v) = c.paid_invoices_min {
            add("paid_invoices", Op::AtLeast, v.to_string());
        }
        let join = |list: &mut dyn Iterator<Item = String>| list.collect::<Vec<_>>().join(", ");
        if !c.risk_classes.is_empty() {
            add(
                "risk_classes",
                Op::OneOf,
                join(&mut c.risk_classes.iter().map(|c| c.to_string())),
            );
        }
        if !c.tags_any.is_empty() {
            add("tags", Op::OneOf, c.tags_any.join(", "));
        }
        if !c.industry_sections.is_empty() {
            add(
                "industry_sections",
                Op::OneOf,
                join(&mut c.industry_sections.iter().map(|c| c.to_string())),
            );
        }
        if !c.industry_codes.is_empty() {
            add("industry_codes", Op::OneOf, c.industry_codes.join(", "));
        }
        rows
    };
    SegmentForm {
        id: segment.id.clone(),
        name_nl: segment.name_nl.clone(),
        name_en: segment.name_en.clone(),
        strategy: segment.strategy.clone(),
        alternatives: segment.when.iter().map(rows).collect(),
    }
}

/// The settings value of one row, or what is wrong with it.
fn value_of(fact: &Fact, text: &str) -> Result<Value, (String, String)> {
    let text = text.trim();
    let wrong = |nl: String, en: String| Err((nl, en));
    if text.is_empty() {
        return wrong("vul een waarde in".into(), "enter a value".into());
    }
    match fact.kind {
        FactKind::Money => match parse_typed_amount(&text.replace(['€', ' '], ""), 2) {
            Ok(minor) if minor >= 0 => Ok(Value::from(euros(minor))),
            _ => wrong(
                format!("'{text}' is geen bedrag in euro's (bijvoorbeeld 1000 of 1000,50)"),
                format!("'{text}' is not an amount in euros (e.g. 1000 or 1000.50)"),
            ),
        },
        FactKind::Days | FactKind::Count => {
            let decimal = fact.key == "avg_days_late";
            let parsed =
                text.replace(',', ".").parse::<f64>().ok().filter(|v| {
                    v.is_finite() && v.abs() <= 100_000.0 && (decimal || v.fract() == 0.0)
                });
            match parsed {
                Some(v) if fact.kind == FactKind::Count && v < 0.0 => wrong(
                    format!("'{text}' is geen aantal"),
                    format!("'{text}' is not a count"),
                ),
                Some(v) if decimal => Ok(Value::from(v)),
                Some(v) => Ok(Value::from(v as i64)),
                None if decimal => wrong(
                    format!("'{text}' is geen aantal dagen (bijvoorbeeld 30 of 30,5)"),
                    format!("'{text}' is not a number of days (e.g. 30 or 30.5)"),
                ),
                None => wrong(
                    format!("'{text}' is geen heel getal"),
                    format!("'{text}' is not a whole number"),
                ),
            }
        }
        FactKind::Percent => match text
            .trim_end_matches('%')
            .trim()
            .replace(',', ".")
            .parse::<f64>()
        {
            Ok(v) if v >= 0.0 && v <= fact.percent_max() => {
                Ok(Value::from((v * 10.0).round() / 1000.0))
            }
            _ => wrong(
                format!(
                    "'{text}' is geen percentage van 0 tot {}",
                    fact.percent_max()
                ),
                format!(
                    "'{text}' is not a percentage from 0 to {}",
                    fact.percent_max()
                ),
            ),
        },
        FactKind::Kind => {
            match CustomerKind::parse(text).or_else(|| match text.to_lowercase().as_str() {
                "zakelijk" | "business" => Some(CustomerKind::B2b),
                "consument" | "consumer" => Some(CustomerKind::B2c),
                _ => None,
            }) {
                Some(kind) => Ok(Value::from(kind.as_str())),
                None => wrong(
                    "kies zakelijk of consument".into(),
                    "choose business or consumer".into(),
                ),
            }
        }
        FactKind::Trend => match Trend::parse(text).or_else(|| match text.to_lowercase().as_str() {
            "verslechtert" | "slechter" | "later" => Some(Trend::Worsening),
            "gelijk" | "steady" => Some(Trend::Stable),
            "verbetert" | "beter" | "sooner" => Some(Trend::Improving),
            _ => None,
        }) {
            Some(trend) => Ok(Value::from(trend.as_str())),
            None => wrong("kies een betaalgedrag".into(), "choose a behaviour".into()),
        },
        FactKind::YesNo => match text.to_lowercase().as_str() {
            "ja" | "yes" | "true" => Ok(Value::from(true)),
            "nee" | "no" | "false" => Ok(Value::from(false)),
            _ => wrong("kies ja of nee".into(), "choose yes or no".into()),
        },
        FactKind::Score => match text.replace(',', ".").parse::<f64>() {
            Ok(v) if (0.0..=100.0).contains(&v) => Ok(Value::from(v)),
            _ => wrong(
                format!("'{text}' is geen score van 0 tot 100"),
                format!("'{text}' is not a score from 0 to 100"),
            ),
        },
        FactKind::List => {
            let items: Vec<String> = text
                .split([',', ' ', ';'])
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(|s| {
                    if matches!(fact.key, "risk_classes" | "industry_sections") {
                        s.to_uppercase()
                    } else if fact.key == "industry_groups" {
                        match s.to_lowercase().as_str() {
                            "laag" => "low".into(),
                            "gemiddeld" | "midden" => "medium".into(),
                            "hoog" => "high".into(),
                            other => other.to_string(),
                        }
                    } else {
                        s.to_string()
                    }
                })
                .collect();
            let mut array = Array::new();
            for item in items {
                array.push(item);
            }
            Ok(Value::Array(array))
        }
    }
}

/// The conditions of the form as settings values: one inline table per
/// alternative that has rows. Rows without a fact are left out (that is how
/// the form removes one).
fn conditions(form: &SegmentForm) -> Result<Vec<InlineTable>, FormError> {
    conditions_of(&form.alternatives, FACTS)
}

/// The alternatives of rows as settings values, for a form whose facts are
/// `facts` (a segment's, or a credit policy rule's).
pub(super) fn conditions_of(
    alternatives: &[Vec<Row>],
    facts: &[Fact],
) -> Result<Vec<InlineTable>, FormError> {
    let mut out = Vec::new();
    for (a, rows) in alternatives.iter().enumerate() {
        let mut table = InlineTable::new();
        for (r, row) in rows.iter().enumerate() {
            if row.fact.trim().is_empty() {
                continue;
            }
            let at = |nl: String, en: String| FormError {
                alternative: Some(a),
                row: Some(r),
                nl,
                en,
            };
            let fact = facts.iter().find(|f| f.key == row.fact).ok_or_else(|| {
                at(
                    format!("onbekend gegeven '{}'", row.fact),
                    format!("unknown fact '{}'", row.fact),
                )
            })?;
            let op = Op::parse(&row.op)
                .filter(|op| fact.ops.contains(op))
                .or_else(|| (fact.ops.len() == 1).then_some(fact.ops[0]))
                .ok_or_else(|| {
                    at(
                        format!("kies een vergelijking bij '{}'", fact.label_nl),
                        format!("choose a comparison for '{}'", fact.label_en),
                    )
                })?;
            let value = value_of(fact, &row.value).map_err(|(nl, en)| {
                at(
                    format!("{}: {nl}", fact.label_nl),
                    format!("{}: {en}", fact.label_en),
                )
            })?;
            let key = settings_key(fact, op);
            if table.contains_key(&key) {
                return Err(at(
                    format!("'{}' staat twee keer in dit alternatief", fact.label_nl),
                    format!("'{}' appears twice in this alternative", fact.label_en),
                ));
            }
            table.insert(&key, value);
        }
        if !table.is_empty() {
            out.push(table);
        }
    }
    Ok(out)
}

/// A mistake about the form as a whole.
pub(super) fn whole(nl: String, en: String) -> FormError {
    FormError {
        alternative: None,
        row: None,
        nl,
        en,
    }
}

/// The settings file's text as a document to edit.
pub(super) fn settings_document(source: &str) -> Result<DocumentMut, FormError> {
    source.parse().map_err(|e| {
        whole(
            format!("het instellingenbestand is geen geldige TOML: {e}"),
            format!("the settings file is not valid TOML: {e}"),
        )
    })
}

/// Which `[[key]]` table a form edits, and what people call it.
pub(super) struct Entry<'a> {
    pub key: &'a str,
    pub id: &'a str,
    pub nl: &'a str,
    pub en: &'a str,
    pub plural_nl: &'a str,
    pub plural_en: &'a str,
}

/// The `[[entry.key]]` table with id `entry.id`, its `name_nl` and
/// `name_en` set from the form (both required).
pub(super) fn named_entry<'d>(
    doc: &'d mut DocumentMut,
    entry: Entry<'_>,
    name_nl: &str,
    name_en: &str,
) -> Result<&'d mut toml_edit::Table, FormError> {
    let (name_nl, name_en) = (name_nl.trim(), name_en.trim());
    if name_nl.is_empty() || name_en.is_empty() {
        return Err(whole(
            format!("geef de {} een Nederlandse en een Engelse naam", entry.nl),
            format!("give the {} a Dutch and an English name", entry.en),
        ));
    }
    let list = doc
        .get_mut(entry.key)
        .and_then(Item::as_array_of_tables_mut)
        .ok_or_else(|| {
            whole(
                format!(
                    "het instellingenbestand heeft geen {} ([[{}]])",
                    entry.plural_nl, entry.key
                ),
                format!(
                    "the settings file has no {} ([[{}]])",
                    entry.plural_en, entry.key
                ),
            )
        })?;
    let table = list
        .iter_mut()
        .find(|t| t.get("id").and_then(Item::as_str) == Some(entry.id))
        .ok_or_else(|| {
            whole(
                format!(
                    "{} '{}' staat niet in het instellingenbestand",
                    entry.nl, entry.id
                ),
                format!("{} '{}' is not in the settings file", entry.en, entry.id),
            )
        })?;
    table["name_nl"] = toml_edit::value(name_nl);
    table["name_en"] = toml_edit::value(name_en);
    Ok(table)
}

/// `source` (the settings file's text) with segment `form.id` replaced by
/// the form: names, strategy and conditions; everything else as it was.
pub fn apply(source: &str, form: &SegmentForm) -> Result<String, FormError> {
    let mut doc = settings_document(source)?;
    let when = conditions(form)?;
    let table = named_entry(
        &mut doc,
        Entry {
            key: "segment",
            id: &form.id,
            nl: "doelgroep",
            en: "segment",
            plural_nl: "doelgroepen",
            plural_en: "segments",
        },
        &form.name_nl,
        &form.name_en,
    )?;
    table["strategy"] = toml_edit::value(form.strategy.trim());
    set_when(table, when);
    Ok(doc.to_string())
}

/// `when` of a settings table: left out without alternatives, a table for
/// one, a list of tables for more.
pub(super) fn set_when(table: &mut toml_edit::Table, when: Vec<InlineTable>) {
    match when.len() {
        0 => {
            table.remove("when");
        }
        1 => {
            let only = when.into_iter().next().unwrap_or_default();
            table["when"] = toml_edit::value(only);
        }
        _ => {
            let mut list = Array::new();
            for alternative in when {
                list.push(alternative);
            }
            list.set_trailing_comma(false);
            table["when"] = toml_edit::value(list);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    use crate::config::parse_for_test as parse;

    fn shipped() -> Config {
        parse(crate::config::DEFAULT_CONFIG)
    }

    #[test]
    fn every_shipped_segment_survives_the_round_trip_through_the_form() {
        let config = shipped();
        for segment in &config.segments {
            let text = apply(crate::config::DEFAULT_CONFIG, &form_of(segment)).unwrap();
            let again = parse(&text);
            let back = again.segments.iter().find(|s| s.id == segment.id).unwrap();
            assert_eq!(back, segment, "{}", segment.id);
        }
    }

    #[test]
    fn a_changed_threshold_is_written_and_the_comments_stay() {
        let config = shipped();
        let watch = config
            .segments
            .iter()
            .find(|s| s.id == "watch_list")
            .unwrap();
        let mut form = form_of(watch);
        let row = form.alternatives[0]
            .iter_mut()
            .find(|r| r.fact == "avg_days_late")
            .unwrap();
        row.value = "45".into();
        form.alternatives.push(vec![Row {
            fact: "tags".into(),
            op: "in".into(),
            value: "vip, watch".into(),
        }]);
        let text = apply(crate::config::DEFAULT_CONFIG, &form).unwrap();
        assert!(text.contains("# --- Strategies"), "comments stay");
        let again = parse(&text);
        let back = again
            .segments
            .iter()
            .find(|s| s.id == "watch_list")
            .unwrap();
        assert_eq!(back.when[0].avg_days_late_min, Some(45.0));
        assert_eq!(back.when.last().unwrap().tags_any, vec!["vip", "watch"]);
    }

    #[test]
    fn a_wrong_value_is_named_at_its_row() {
        let form = SegmentForm {
            id: "standard".into(),
            name_nl: "Overige klanten".into(),
            name_en: "Other customers".into(),
            strategy: "standard".into(),
            alternatives: vec![vec![
                Row::default(),
                Row {
                    fact: "open".into(),
                    op: "min".into(),
                    value: "veel".into(),
                },
            ]],
        };
        let e = apply(crate::config::DEFAULT_CONFIG, &form).unwrap_err();
        assert_eq!((e.alternative, e.row), (Some(0), Some(1)));
        assert!(e.nl.contains("'veel' is geen bedrag"), "{}", e.nl);
        let mut form = form;
        form.alternatives[0][1].value = "12,5%".into();
        form.alternatives[0][1].fact = "share_late".into();
        let text = apply(crate::config::DEFAULT_CONFIG, &form).unwrap();
        assert!(text.contains("share_late_min = 0.125"), "{text}");
    }
}
