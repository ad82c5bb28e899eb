//! Configuration: `tegoed.toml` — the company, the legal settings, the
//! target groups (segments) and their collection strategies, and where
//! messages go.
//!
//! The shipped default (`data/tegoed.toml`, documented line by line) is
//! always the base; a user file replaces the sections it has. Everything is
//! checked once here, so a use case gets a [`Config`] that is known to be
//! consistent: every segment points at a strategy, the last segment takes
//! everyone, steps are in offset order with unique ids.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use tegoed_core::customer::CustomerKind;
use tegoed_core::legal::{InterestKind, RateEntry, RateTable};
use tegoed_core::money::parse_amount;
use tegoed_core::party::Email;
use tegoed_core::rate::Rate;
use tegoed_core::segment::{Conditions, Segment, Trend};
use tegoed_core::strategy::{Channel, Effect, Sender, Step, StepKind, Strategy};
use tegoed_core::{Date, Iban, Language};

use crate::{AppError, Result};

pub mod company_form;
mod policy;
pub mod policy_form;
pub mod segment_form;
pub mod strategy_form;
pub use policy::{PolicySettings, RiskSettings};

/// The shipped configuration, documented.
pub const DEFAULT_CONFIG: &str = include_str!("../data/tegoed.toml");
/// The shipped statutory interest rates.
pub const DEFAULT_RATES: &str = include_str!("../data/rates.toml");

/// A person who signs messages or makes calls.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Person {
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
}

/// The company that sends the messages (the creditor).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Company {
    pub name: String,
    pub address: Vec<String>,
    pub iban: Option<Iban>,
    pub bic: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub website: Option<String>,
    pub kvk: Option<String>,
    pub language: Language,
    pub collector: Person,
}

/// Legal settings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Legal {
    pub vat_uplift: bool,
    pub vat_rate: Rate,
    pub email_receipt_working_days: u32,
    pub letter_receipt_working_days: u32,
    pub commercial_rates: RateTable,
    pub consumer_rates: RateTable,
}

impl Legal {
    pub fn rates(&self, kind: InterestKind) -> &RateTable {
        match kind {
            InterestKind::Commercial => &self.commercial_rates,
            InterestKind::Consumer => &self.consumer_rates,
        }
    }

    /// The VAT uplift rate on collection costs, when it applies.
    pub fn uplift(&self) -> Option<Rate> {
        self.vat_uplift.then_some(self.vat_rate)
    }
}

/// Dunning settings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Dunning {
    pub pay_within_days: i32,
    pub plan_grace_days: i32,
    pub min_amount_minor: i64,
    pub call_due_working_days: u32,
}

/// How SMTP connections are secured.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SmtpTls {
    StartTls,
    Tls,
    None,
}

/// An SMTP server to send e-mail through.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Smtp {
    pub host: String,
    pub port: u16,
    pub tls: SmtpTls,
    pub username: Option<String>,
    /// The environment variable holding the password (never the password
    /// itself in the file).
    pub password_env: Option<String>,
    pub from: String,
}

/// Where messages go.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Delivery {
    pub outbox: PathBuf,
    pub letters: PathBuf,
    pub claims: PathBuf,
    pub templates: Option<PathBuf>,
    pub smtp: Option<Smtp>,
}

/// The checked configuration.
#[derive(Clone, Debug)]
pub struct Config {
    /// The file it came from (`None`: the shipped default only).
    pub source: Option<PathBuf>,
    pub company: Company,
    pub legal: Legal,
    pub dunning: Dunning,
    pub delivery: Delivery,
    pub segments: Vec<Segment>,
    pub strategies: Vec<Strategy>,
    pub risk: RiskSettings,
    pub policy: PolicySettings,
    pub scoreboard: ScoreboardSettings,
    pub appreciation: AppreciationSettings,
    pub portal: PortalSettings,
    /// Targets of `tegoed report kpi` (`[kpi]`).
    pub kpi: tegoed_core::kpi::Targets,
}

/// Settings text as the forms' tests read it back (paths relative to the
/// working folder); panics with the text when it is not valid.
#[cfg(test)]
pub(crate) fn parse_for_test(text: &str) -> Config {
    Config::parse(text, "tegoed.toml", Path::new("."), None)
        .unwrap_or_else(|e| panic!("{e}\n{text}"))
}

impl Config {
    /// The shipped default, with paths relative to `base`.
    pub fn default_in(base: &Path) -> Config {
        Config::parse(DEFAULT_CONFIG, "tegoed.toml (shipped default)", base, None)
            .expect("the shipped configuration is valid")
    }

    /// Reads `path`, on top of the shipped default; relative paths in it are
    /// relative to its folder.
    pub fn load(path: &Path) -> Result<Config> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            AppError::Invalid(format!(
                "cannot read the configuration {}: {e}",
                path.display()
            ))
        })?;
        let base = path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        Config::parse(
            &text,
            &path.display().to_string(),
            base,
            Some(path.to_path_buf()),
        )
    }

    /// `text` (a user file or the default) on top of the shipped default.
    pub fn parse(text: &str, name: &str, base: &Path, source: Option<PathBuf>) -> Result<Config> {
        let err = |message: String| AppError::Config {
            file: name.to_string(),
            message,
        };
        let default: RawConfig =
            basic_toml::from_str(DEFAULT_CONFIG).expect("the shipped configuration parses");
        let user: RawConfig = basic_toml::from_str(text).map_err(|e| err(e.to_string()))?;
        let raw = RawConfig {
            company: user.company.or(default.company),
            legal: user.legal.or(default.legal),
            dunning: user.dunning.or(default.dunning),
            delivery: user.delivery.or(default.delivery),
            segment: user.segment.or(default.segment),
            strategy: user.strategy.or(default.strategy),
            risk: user.risk.or(default.risk),
            policy: user.policy.or(default.policy),
            scoreboard: user.scoreboard.or(default.scoreboard),
            appreciation: user.appreciation.or(default.appreciation),
            portal: user.portal.or(default.portal),
            kpi: user.kpi.or(default.kpi),
        };
        raw.check(base, source).map_err(err)
    }

    pub fn strategy(&self, id: &str) -> Option<&Strategy> {
        self.strategies.iter().find(|s| s.id == id)
    }

    pub fn segment(&self, id: &str) -> Option<&Segment> {
        self.segments.iter().find(|s| s.id == id)
    }
}

// --- the file as written ---------------------------------------------------

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    company: Option<RawCompany>,
    legal: Option<RawLegal>,
    dunning: Option<RawDunning>,
    delivery: Option<RawDelivery>,
    segment: Option<Vec<RawSegment>>,
    strategy: Option<Vec<RawStrategy>>,
    risk: Option<policy::RawRisk>,
    policy: Option<policy::RawPolicy>,
    scoreboard: Option<RawScoreboard>,
    appreciation: Option<RawAppreciation>,
    portal: Option<RawPortal>,
    kpi: Option<RawKpi>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawKpi {
    cei_min: Option<f64>,
    dso_max: Option<f64>,
    add_max: Option<f64>,
    bad_debt_ratio_max: Option<f64>,
    promise_kept_rate_min: Option<f64>,
    share_paid_on_time_min: Option<f64>,
}

fn check_kpi(raw: RawKpi) -> Result<tegoed_core::kpi::Targets, String> {
    let check = |value: Option<f64>, what: &str, high: f64| -> Result<Option<f64>, String> {
        match value {
            Some(v) if !(0.0..=high).contains(&v) || v.is_nan() => {
                Err(format!("[kpi] {what}: {v} is not between 0 and {high}"))
            }
            other => Ok(other),
        }
    };
    Ok(tegoed_core::kpi::Targets {
        cei_min: check(raw.cei_min, "cei_min", 100.0)?,
        dso_max: check(raw.dso_max, "dso_max", 3650.0)?,
        add_max: check(raw.add_max, "add_max", 3650.0)?,
        bad_debt_ratio_max: check(raw.bad_debt_ratio_max, "bad_debt_ratio_max", 100.0)?,
        promise_kept_rate_min: check(raw.promise_kept_rate_min, "promise_kept_rate_min", 100.0)?,
        share_paid_on_time_min: check(raw.share_paid_on_time_min, "share_paid_on_time_min", 100.0)?,
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPortal {
    enabled: Option<bool>,
    public_url: Option<String>,
    link_days: Option<i32>,
    pay_url: Option<String>,
    promise_max_days: Option<i32>,
    promise_broken_lookback_days: Option<i32>,
    plan_max_instalments: Option<u32>,
    plan_max_total: Option<Amount>,
    plan_first_max_days: Option<i32>,
    plan_classes: Option<Vec<String>>,
    plan_unrated: Option<bool>,
    paid_pause_days: Option<i32>,
}

/// The customer's own page (`[portal]`).
#[derive(Clone, Debug, PartialEq)]
pub struct PortalSettings {
    /// Messages carry the link and `/p/…` answers (default: on).
    pub enabled: bool,
    /// The address customers reach the server at, without a trailing
    /// slash; `None`: the address `tegoed serve` listens on (the serve
    /// command fills it in; elsewhere [`PortalSettings::DEFAULT_URL`]).
    pub public_url: Option<String>,
    /// A link opens the page this many days after it was issued.
    pub link_days: i32,
    /// A "pay now" address with `{amount}` (e.g. 123.45) and
    /// `{reference}` in it, when the company has a payment-link provider.
    pub pay_url: Option<String>,
    pub limits: tegoed_core::portal::Limits,
}

impl PortalSettings {
    /// Where `tegoed serve` listens by default.
    pub const DEFAULT_URL: &'static str = "http://127.0.0.1:8080";

    /// The base of every link, without a trailing slash.
    pub fn base_url(&self) -> &str {
        self.public_url
            .as_deref()
            .unwrap_or(Self::DEFAULT_URL)
            .trim_end_matches('/')
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAppreciation {
    back_on_time_invoices: Option<u32>,
    on_time_year_invoices: Option<u32>,
    grace_days: Option<i32>,
    max_age_days: Option<i32>,
    gift_for: Option<Vec<String>>,
    gift_budget_per_quarter: Option<Amount>,
    thank_you: Option<String>,
}

/// Appreciation for customers who keep their deal (`[appreciation]`).
#[derive(Clone, Debug, PartialEq)]
pub struct AppreciationSettings {
    pub rules: tegoed_core::appreciation::Rules,
    /// What gifts each account manager may give per quarter, in cents.
    pub gift_budget_per_quarter_minor: i64,
    /// The dunning run thanks a customer itself when a plan is completed.
    pub thank_you_auto: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawScoreboard {
    grace_days: Option<i32>,
    message_cost: Option<Amount>,
    call_cost: Option<Amount>,
    handoff_cost: Option<Amount>,
}

/// The paid-on-time scoreboard's settings (`[scoreboard]`).
#[derive(Clone, Debug, PartialEq)]
pub struct ScoreboardSettings {
    /// Days after the due date a payment still counts as on time.
    pub grace_days: i32,
    /// What one message (e-mail or letter), one call and one hand-off to
    /// the collection agency cost in effort, in cents.
    pub message_cost_minor: i64,
    pub call_cost_minor: i64,
    pub handoff_cost_minor: i64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPerson {
    name: String,
    email: Option<String>,
    phone: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCompany {
    name: String,
    #[serde(default)]
    address: Vec<String>,
    iban: Option<String>,
    bic: Option<String>,
    phone: Option<String>,
    email: Option<String>,
    website: Option<String>,
    kvk: Option<String>,
    language: Option<String>,
    collector: RawPerson,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLegal {
    #[serde(default)]
    vat_uplift: bool,
    vat_rate: Option<String>,
    email_receipt_working_days: Option<u32>,
    letter_receipt_working_days: Option<u32>,
    rates_file: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDunning {
    pay_within_days: Option<i32>,
    plan_grace_days: Option<i32>,
    min_amount: Option<Amount>,
    call_due_working_days: Option<u32>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSmtp {
    host: String,
    port: Option<u16>,
    tls: Option<String>,
    username: Option<String>,
    password_env: Option<String>,
    from: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDelivery {
    outbox: Option<String>,
    letters: Option<String>,
    claims: Option<String>,
    templates: Option<String>,
    smtp: Option<RawSmtp>,
}

/// An amount in euros, written as a number or a text.
#[derive(Deserialize, Clone)]
#[serde(untagged)]
enum Amount {
    Whole(i64),
    Text(String),
}

impl Amount {
    fn minor(&self, what: &str) -> Result<i64, String> {
        match self {
            Amount::Whole(n) => n
                .checked_mul(100)
                .ok_or_else(|| format!("{what}: {n} is too large")),
            Amount::Text(text) => parse_amount(text, 2)
                .map_err(|e| format!("{what}: '{text}' is not an amount ({e})")),
        }
    }
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawConditions {
    kind: Option<String>,
    #[serde(default)]
    industry_sections: Vec<String>,
    #[serde(default)]
    industry_codes: Vec<String>,
    revenue_12m_min: Option<Amount>,
    revenue_12m_max: Option<Amount>,
    open_min: Option<Amount>,
    open_max: Option<Amount>,
    overdue_min: Option<Amount>,
    overdue_max: Option<Amount>,
    max_days_overdue_min: Option<i32>,
    avg_days_late_min: Option<f64>,
    avg_days_late_max: Option<f64>,
    share_late_min: Option<f64>,
    share_late_max: Option<f64>,
    trend: Option<String>,
    customer_age_days_min: Option<i32>,
    customer_age_days_max: Option<i32>,
    paid_invoices_min: Option<u32>,
    #[serde(default)]
    tags_any: Vec<String>,
    #[serde(default)]
    risk_classes: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSegment {
    id: String,
    name_nl: Option<String>,
    name_en: Option<String>,
    strategy: String,
    /// A table of conditions or a list of them; read through JSON values so
    /// a misspelt condition is named in the error.
    when: Option<serde_json::Value>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStep {
    id: String,
    /// heads_up, reminder, second_reminder, call, demand,
    /// fourteen_day_letter, final_notice or handoff; read from the id when
    /// left out.
    kind: Option<String>,
    offset: i32,
    channel: String,
    template: String,
    sender: Option<String>,
    min_overdue: Option<Amount>,
    #[serde(default)]
    effects: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStrategy {
    id: String,
    name_nl: Option<String>,
    name_en: Option<String>,
    tone: Option<String>,
    #[serde(default)]
    step: Vec<RawStep>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRates {
    #[serde(default)]
    commercial: Vec<RawRate>,
    #[serde(default)]
    consumer: Vec<RawRate>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRate {
    from: String,
    rate: String,
    #[serde(default = "yes")]
    verified: bool,
}

fn yes() -> bool {
    true
}

fn opt_amount(value: &Option<Amount>, what: &str) -> Result<Option<i64>, String> {
    value.as_ref().map(|a| a.minor(what)).transpose()
}

fn share(value: Option<f64>, what: &str) -> Result<Option<f64>, String> {
    match value {
        Some(v) if !(0.0..=1.0).contains(&v) => Err(format!(
            "{what}: {v} is not a share between 0 and 1 (0.5 = 50 %)"
        )),
        other => Ok(other),
    }
}

impl RawConditions {
    fn check(self, segment: &str) -> Result<Conditions, String> {
        let at = |field: &str| format!("segment '{segment}', {field}");
        let kind = self
            .kind
            .map(|k| {
                CustomerKind::parse(&k)
                    .ok_or_else(|| format!("{}: '{k}' is not b2b or b2c", at("kind")))
            })
            .transpose()?;
        let mut sections = Vec::new();
        for section in &self.industry_sections {
            let mut chars = section.trim().chars();
            match (chars.next(), chars.next()) {
                (Some(c), None) if c.is_ascii_uppercase() && c <= 'U' => sections.push(c),
                _ => {
                    return Err(format!(
                        "{}: '{section}' is not an SBI section letter A to U",
                        at("industry_sections")
                    ));
                }
            }
        }
        for code in &self.industry_codes {
            if code.is_empty() || !code.bytes().all(|b| b.is_ascii_digit()) {
                return Err(format!(
                    "{}: '{code}' is not an SBI code prefix",
                    at("industry_codes")
                ));
            }
        }
        let trend = self
            .trend
            .map(|t| {
                Trend::parse(&t).ok_or_else(|| {
                    format!(
                        "{}: '{t}' is not worsening, stable or improving",
                        at("trend")
                    )
                })
            })
            .transpose()?;
        let mut risk_classes = Vec::new();
        for class in &self.risk_classes {
            let mut chars = class.trim().chars();
            match (chars.next(), chars.next()) {
                (Some(c @ 'A'..='E'), None) => risk_classes.push(c),
                _ => {
                    return Err(format!(
                        "{}: '{class}' is not a risk class A to E",
                        at("risk_classes")
                    ));
                }
            }
        }
        Ok(Conditions {
            kind,
            industry_sections: sections,
            industry_codes: self.industry_codes,
            revenue_12m_min: opt_amount(&self.revenue_12m_min, &at("revenue_12m_min"))?,
            revenue_12m_max: opt_amount(&self.revenue_12m_max, &at("revenue_12m_max"))?,
            open_min: opt_amount(&self.open_min, &at("open_min"))?,
            open_max: opt_amount(&self.open_max, &at("open_max"))?,
            overdue_min: opt_amount(&self.overdue_min, &at("overdue_min"))?,
            overdue_max: opt_amount(&self.overdue_max, &at("overdue_max"))?,
            max_days_overdue_min: self.max_days_overdue_min,
            avg_days_late_min: self.avg_days_late_min,
            avg_days_late_max: self.avg_days_late_max,
            share_late_min: share(self.share_late_min, &at("share_late_min"))?,
            share_late_max: share(self.share_late_max, &at("share_late_max"))?,
            trend,
            customer_age_days_min: self.customer_age_days_min,
            customer_age_days_max: self.customer_age_days_max,
            paid_invoices_min: self.paid_invoices_min,
            tags_any: self.tags_any,
            risk_classes,
        })
    }
}

/// A `when`: a table of conditions (all must hold) or a list of such tables
/// (any one), each read as `R` and checked into `T`. Read through JSON values
/// so that a misspelt condition is named in the error.
fn read_when<R: serde::de::DeserializeOwned, T>(
    value: Option<serde_json::Value>,
    at: &str,
    check: impl Fn(R) -> Result<T, String>,
) -> Result<Vec<T>, String> {
    let read = |value: serde_json::Value| -> Result<T, String> {
        check(serde_json::from_value(value).map_err(|e| format!("{at}, when: {e}"))?)
    };
    match value {
        None => Ok(Vec::new()),
        Some(serde_json::Value::Array(list)) => list.into_iter().map(read).collect(),
        Some(value @ serde_json::Value::Object(_)) => Ok(vec![read(value)?]),
        Some(other) => Err(format!(
            "{at}, when: expected a table of conditions or a list of them, found {other}"
        )),
    }
}

/// A folder or file setting, kept inside `base` (the settings file's own
/// folder): relative to it, or absolute but under it, and never leaving it
/// through `..`. Settings can be edited in the web app by a credit manager,
/// who must not be able to point Tegoed at `/etc` to write templates there
/// or to learn whether some file exists. (An administrator who wants files
/// elsewhere places a symbolic link in the folder.)
fn inside(base: &Path, setting: &str, value: &str) -> Result<PathBuf, String> {
    use std::path::Component;
    let outside = || {
        format!(
            "{setting}: '{value}' is outside the folder of the settings file ({}); give a path inside it, such as 'message-templates'",
            base.display()
        )
    };
    let path = Path::new(value);
    let relative = if path.is_absolute() {
        let absolute = |p: &Path| std::path::absolute(p).map_err(|_| outside());
        let (base_abs, path_abs) = (absolute(base)?, absolute(path)?);
        normalized(&path_abs)
            .strip_prefix(normalized(&base_abs))
            .map_err(|_| outside())?
            .to_path_buf()
    } else {
        path.to_path_buf()
    };
    let mut depth = 0i32;
    for component in relative.components() {
        match component {
            Component::Normal(_) => depth += 1,
            Component::CurDir => {}
            Component::ParentDir if depth > 0 => depth -= 1,
            _ => return Err(outside()),
        }
    }
    Ok(base.join(relative))
}

/// `path` with `.` and `..` taken out, without asking the file system.
fn normalized(path: &Path) -> PathBuf {
    use std::path::Component;
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

fn read_rates(text: &str, name: &str) -> Result<(Vec<RateEntry>, Vec<RateEntry>), String> {
    let raw: RawRates = basic_toml::from_str(text).map_err(|e| format!("{name}: {e}"))?;
    let convert = |rows: Vec<RawRate>, kind: &str| -> Result<Vec<RateEntry>, String> {
        rows.into_iter()
            .map(|row| {
                Ok(RateEntry {
                    from: Date::parse_iso(&row.from)
                        .map_err(|e| format!("{name}: {kind} rate from '{}': {e}", row.from))?,
                    rate: Rate::parse_percent(&row.rate)
                        .map_err(|e| format!("{name}: {kind} rate from {}: {e}", row.from))?,
                    verified: row.verified,
                })
            })
            .collect()
    };
    Ok((
        convert(raw.commercial, "commercial")?,
        convert(raw.consumer, "consumer")?,
    ))
}

impl RawConfig {
    fn check(self, base: &Path, source: Option<PathBuf>) -> Result<Config, String> {
        let company = self.company.ok_or("the [company] section is missing")?;
        let iban = company
            .iban
            .as_deref()
            .map(|i| Iban::parse(i).map_err(|e| format!("company.iban: '{i}': {e}")))
            .transpose()?;
        if let Some(email) = &company.email {
            Email::parse(email).map_err(|e| format!("company.email: '{email}': {e}"))?;
        }
        if let Some(email) = &company.collector.email {
            Email::parse(email).map_err(|e| format!("company.collector.email: '{email}': {e}"))?;
        }
        let language = match company.language.as_deref() {
            None => Language::Nl,
            Some(l) => Language::parse(l)
                .ok_or_else(|| format!("company.language: '{l}' is not nl or en"))?,
        };
        let company = Company {
            name: company.name,
            address: company.address,
            iban,
            bic: company.bic,
            phone: company.phone,
            email: company.email,
            website: company.website,
            kvk: company.kvk,
            language,
            collector: Person {
                name: company.collector.name,
                email: company.collector.email,
                phone: company.collector.phone,
            },
        };

        let legal = self.legal.ok_or("the [legal] section is missing")?;
        let (mut commercial, mut consumer) = read_rates(DEFAULT_RATES, "shipped rates")?;
        if let Some(file) = &legal.rates_file {
            let path = inside(base, "legal.rates_file", file)?;
            let text = std::fs::read_to_string(&path)
                .map_err(|e| format!("legal.rates_file: cannot read {}: {e}", path.display()))?;
            let (more_commercial, more_consumer) = read_rates(&text, &path.display().to_string())?;
            commercial.extend(more_commercial);
            consumer.extend(more_consumer);
        }
        let vat_rate = legal.vat_rate.as_deref().unwrap_or("21");
        let legal = Legal {
            vat_uplift: legal.vat_uplift,
            vat_rate: Rate::parse_percent(vat_rate).map_err(|e| format!("legal.vat_rate: {e}"))?,
            email_receipt_working_days: legal.email_receipt_working_days.unwrap_or(1),
            letter_receipt_working_days: legal.letter_receipt_working_days.unwrap_or(2),
            commercial_rates: RateTable::new(commercial),
            consumer_rates: RateTable::new(consumer),
        };

        let dunning = self.dunning.ok_or("the [dunning] section is missing")?;
        let dunning = Dunning {
            pay_within_days: dunning.pay_within_days.unwrap_or(5).max(0),
            plan_grace_days: dunning.plan_grace_days.unwrap_or(5).max(0),
            min_amount_minor: opt_amount(&dunning.min_amount, "dunning.min_amount")?.unwrap_or(500),
            call_due_working_days: dunning.call_due_working_days.unwrap_or(0),
        };

        let delivery = self.delivery.ok_or("the [delivery] section is missing")?;
        let smtp = delivery
            .smtp
            .map(|smtp| -> Result<Smtp, String> {
                let tls = match smtp.tls.as_deref().unwrap_or("starttls") {
                    "starttls" => SmtpTls::StartTls,
                    "tls" => SmtpTls::Tls,
                    "none" => SmtpTls::None,
                    other => {
                        return Err(format!(
                            "delivery.smtp.tls: '{other}' is not starttls, tls or none"
                        ));
                    }
                };
                Email::parse(&smtp.from)
                    .map_err(|e| format!("delivery.smtp.from: '{}': {e}", smtp.from))?;
                Ok(Smtp {
                    port: smtp.port.unwrap_or(match tls {
                        SmtpTls::Tls => 465,
                        SmtpTls::StartTls => 587,
                        SmtpTls::None => 25,
                    }),
                    host: smtp.host,
                    tls,
                    username: smtp.username,
                    password_env: smtp.password_env,
                    from: smtp.from,
                })
            })
            .transpose()?;
        let delivery = Delivery {
            outbox: inside(
                base,
                "delivery.outbox",
                delivery.outbox.as_deref().unwrap_or("outbox"),
            )?,
            letters: inside(
                base,
                "delivery.letters",
                delivery.letters.as_deref().unwrap_or("letters"),
            )?,
            claims: inside(
                base,
                "delivery.claims",
                delivery.claims.as_deref().unwrap_or("claims"),
            )?,
            templates: delivery
                .templates
                .as_deref()
                .map(|t| inside(base, "delivery.templates", t))
                .transpose()?,
            smtp,
        };

        let mut strategies = Vec::new();
        let mut strategy_ids = HashSet::new();
        for raw in self.strategy.unwrap_or_default() {
            if !strategy_ids.insert(raw.id.clone()) {
                return Err(format!("strategy '{}' is defined twice", raw.id));
            }
            let mut steps = Vec::new();
            let mut step_ids = HashSet::new();
            for step in raw.step {
                let at = format!("strategy '{}', step '{}'", raw.id, step.id);
                if !step_ids.insert(step.id.clone()) {
                    return Err(format!("{at}: the step id is used twice"));
                }
                let channel = Channel::parse(&step.channel).ok_or_else(|| {
                    format!(
                        "{at}: channel '{}' is not email, letter, call or handoff",
                        step.channel
                    )
                })?;
                let sender = match step.sender.as_deref() {
                    None => Sender::Collector,
                    Some(s) => Sender::parse(s).ok_or_else(|| {
                        format!("{at}: sender '{s}' is not account_manager or collector")
                    })?,
                };
                let effects = step
                    .effects
                    .iter()
                    .map(|e| {
                        Effect::parse(e).ok_or_else(|| {
                            format!(
                                "{at}: effect '{e}' is not credit_hold, interest, collection_costs or fourteen_day_letter"
                            )
                        })
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                if effects.contains(&Effect::FourteenDayLetter)
                    && !matches!(channel, Channel::Email | Channel::Letter)
                {
                    return Err(format!(
                        "{at}: a 14-day letter must be an email or a letter"
                    ));
                }
                let kind = match step.kind.as_deref() {
                    Some(kind) => StepKind::parse(kind).ok_or_else(|| {
                        format!(
                            "{at}: kind '{kind}' is not heads_up, reminder, second_reminder, call, demand, fourteen_day_letter, final_notice or handoff"
                        )
                    })?,
                    None if effects.contains(&Effect::FourteenDayLetter) => {
                        StepKind::FourteenDayLetter
                    }
                    None => match channel {
                        Channel::Call => StepKind::Call,
                        Channel::Handoff => StepKind::Handoff,
                        _ => StepKind::from_step_id(&step.id).ok_or_else(|| {
                            format!(
                                "{at}: say what kind of step this is (kind = \"reminder\", \"demand\", \"final_notice\", …): it orders the steps of every ladder"
                            )
                        })?,
                    },
                };
                if (kind == StepKind::Handoff) != (channel == Channel::Handoff) {
                    return Err(format!(
                        "{at}: a hand-off step has channel \"handoff\", and only it"
                    ));
                }
                if (kind == StepKind::Call) != (channel == Channel::Call) {
                    return Err(format!(
                        "{at}: a call step has channel \"call\", and only it"
                    ));
                }
                if step.template.is_empty()
                    || step.template.contains("..")
                    || step.template.starts_with('/')
                {
                    return Err(format!(
                        "{at}: template '{}' is not a template name",
                        step.template
                    ));
                }
                steps.push(Step {
                    id: step.id,
                    kind,
                    offset_days: step.offset,
                    channel,
                    template: step.template,
                    min_overdue_minor: opt_amount(
                        &step.min_overdue,
                        &format!("{at}, min_overdue"),
                    )?
                    .unwrap_or(0),
                    effects,
                    sender,
                });
            }
            if steps.is_empty() {
                return Err(format!("strategy '{}' has no steps", raw.id));
            }
            steps.sort_by_key(|s| s.offset_days);
            // The agency gets only what had a final notice first.
            if let Some(handoff) = steps.iter().position(|s| s.kind == StepKind::Handoff)
                && (handoff == 0 || steps[handoff - 1].kind != StepKind::FinalNotice)
            {
                return Err(format!(
                    "strategy '{}': the hand-off must come right after a final_notice step",
                    raw.id
                ));
            }
            if steps.iter().filter(|s| s.kind == StepKind::Handoff).count() > 1 {
                return Err(format!("strategy '{}' has more than one hand-off", raw.id));
            }
            strategies.push(Strategy {
                name_nl: raw.name_nl.unwrap_or_else(|| readable_id(&raw.id)),
                name_en: raw.name_en.unwrap_or_else(|| readable_id(&raw.id)),
                id: raw.id,
                tone: raw.tone.unwrap_or_else(|| "neutral".into()),
                steps,
            });
        }

        let mut segments = Vec::new();
        let mut segment_ids = HashSet::new();
        for raw in self.segment.unwrap_or_default() {
            if !segment_ids.insert(raw.id.clone()) {
                return Err(format!("segment '{}' is defined twice", raw.id));
            }
            if !strategy_ids.contains(&raw.strategy) {
                return Err(format!(
                    "segment '{}': strategy '{}' is not defined",
                    raw.id, raw.strategy
                ));
            }
            let when = read_when(
                raw.when,
                &format!("segment '{}'", raw.id),
                |c: RawConditions| c.check(&raw.id),
            )?;
            segments.push(Segment {
                name_nl: raw.name_nl.unwrap_or_else(|| readable_id(&raw.id)),
                name_en: raw.name_en.unwrap_or_else(|| readable_id(&raw.id)),
                id: raw.id,
                strategy: raw.strategy,
                when,
            });
        }
        match segments.last() {
            None => return Err("no segments are defined".into()),
            Some(last) if !last.is_catch_all() => {
                return Err(format!(
                    "the last segment ('{}') must have no conditions, so every customer lands in a segment",
                    last.id
                ));
            }
            _ => {}
        }
        let risk = policy::check_risk(self.risk.ok_or("the [risk] section is missing")?)?;
        let policy = policy::check_policy(
            self.policy.ok_or("the [policy] section is missing")?,
            &segment_ids,
        )?;
        let raw = self
            .scoreboard
            .ok_or("the [scoreboard] section is missing")?;
        let cost = |amount: Option<Amount>, what: &str| -> Result<i64, String> {
            let minor = amount
                .ok_or_else(|| format!("[scoreboard] {what} is missing"))?
                .minor(&format!("[scoreboard] {what}"))?;
            if minor < 0 {
                return Err(format!("[scoreboard] {what} cannot be negative"));
            }
            Ok(minor)
        };
        let grace_days = raw.grace_days.unwrap_or(0);
        if !(0..=90).contains(&grace_days) {
            return Err(format!(
                "[scoreboard] grace_days: {grace_days} is not between 0 and 90"
            ));
        }
        let scoreboard = ScoreboardSettings {
            grace_days,
            message_cost_minor: cost(raw.message_cost, "message_cost")?,
            call_cost_minor: cost(raw.call_cost, "call_cost")?,
            handoff_cost_minor: cost(raw.handoff_cost, "handoff_cost")?,
        };
        let appreciation = check_appreciation(
            self.appreciation
                .ok_or("the [appreciation] section is missing")?,
        )?;
        let portal = check_portal(self.portal.ok_or("the [portal] section is missing")?)?;
        let kpi = check_kpi(self.kpi.unwrap_or_default())?;
        Ok(Config {
            source,
            company,
            legal,
            dunning,
            delivery,
            segments,
            strategies,
            risk,
            policy,
            scoreboard,
            appreciation,
            portal,
            kpi,
        })
    }
}

fn check_portal(raw: RawPortal) -> Result<PortalSettings, String> {
    let shipped = tegoed_core::portal::Limits::default();
    let within = |value: i64, what: &str, low: i64, high: i64| -> Result<(), String> {
        if (low..=high).contains(&value) {
            Ok(())
        } else {
            Err(format!(
                "[portal] {what}: {value} is not between {low} and {high}"
            ))
        }
    };
    let public_url = match raw
        .public_url
        .map(|u| u.trim().trim_end_matches('/').to_string())
    {
        Some(url) if url.is_empty() => None,
        Some(url) => {
            if !(url.starts_with("https://") || url.starts_with("http://"))
                || url.contains(char::is_whitespace)
            {
                return Err(format!(
                    "[portal] public_url: '{url}' is not an http:// or https:// address"
                ));
            }
            Some(url)
        }
        None => None,
    };
    let link_days = raw.link_days.unwrap_or(90);
    within(i64::from(link_days), "link_days", 1, 730)?;
    let pay_url = raw
        .pay_url
        .map(|u| u.trim().to_string())
        .filter(|u| !u.is_empty());
    if let Some(url) = &pay_url
        && (!url.starts_with("https://")
            || !url.contains("{amount}") && !url.contains("{reference}"))
    {
        return Err(format!(
            "[portal] pay_url: '{url}' must be an https:// address with {{amount}} or {{reference}} in it"
        ));
    }
    let promise_max_days = raw.promise_max_days.unwrap_or(shipped.promise_max_days);
    within(i64::from(promise_max_days), "promise_max_days", 0, 365)?;
    let lookback = raw
        .promise_broken_lookback_days
        .unwrap_or(shipped.promise_broken_lookback_days);
    within(i64::from(lookback), "promise_broken_lookback_days", 0, 3650)?;
    let plan_max_instalments = raw
        .plan_max_instalments
        .unwrap_or(shipped.plan_max_instalments);
    within(
        i64::from(plan_max_instalments),
        "plan_max_instalments",
        0,
        24,
    )?;
    let plan_max_total_minor = match raw.plan_max_total {
        Some(amount) => amount.minor("[portal] plan_max_total")?,
        None => shipped.plan_max_total_minor,
    };
    if plan_max_total_minor < 0 {
        return Err("[portal] plan_max_total cannot be negative".into());
    }
    let plan_first_max_days = raw
        .plan_first_max_days
        .unwrap_or(shipped.plan_first_max_days);
    within(
        i64::from(plan_first_max_days),
        "plan_first_max_days",
        0,
        365,
    )?;
    let plan_classes = match raw.plan_classes {
        None => shipped.plan_classes,
        Some(list) => list
            .iter()
            .map(|c| match c.trim().to_ascii_uppercase().as_str() {
                one @ ("A" | "B" | "C" | "D" | "E") => Ok(one.chars().next().unwrap_or('A')),
                _ => Err(format!(
                    "[portal] plan_classes: '{c}' is not a risk class (A to E)"
                )),
            })
            .collect::<Result<Vec<char>, String>>()?,
    };
    let paid_pause_days = raw.paid_pause_days.unwrap_or(shipped.paid_pause_days);
    within(i64::from(paid_pause_days), "paid_pause_days", 0, 60)?;
    Ok(PortalSettings {
        enabled: raw.enabled.unwrap_or(true),
        public_url,
        link_days,
        pay_url,
        limits: tegoed_core::portal::Limits {
            promise_max_days,
            promise_broken_lookback_days: lookback,
            plan_max_instalments,
            plan_max_total_minor,
            plan_first_max_days,
            plan_classes,
            plan_unrated_allowed: raw.plan_unrated.unwrap_or(shipped.plan_unrated_allowed),
            paid_pause_days,
        },
    })
}

fn check_appreciation(raw: RawAppreciation) -> Result<AppreciationSettings, String> {
    use tegoed_core::appreciation::{Reason, Rules};
    let shipped = Rules::default();
    let within = |value: i64, what: &str, low: i64, high: i64| -> Result<(), String> {
        if (low..=high).contains(&value) {
            Ok(())
        } else {
            Err(format!(
                "[appreciation] {what}: {value} is not between {low} and {high}"
            ))
        }
    };
    let back = raw
        .back_on_time_invoices
        .unwrap_or(shipped.back_on_time_invoices);
    within(i64::from(back), "back_on_time_invoices", 1, 24)?;
    let year = raw
        .on_time_year_invoices
        .unwrap_or(shipped.on_time_year_invoices);
    within(i64::from(year), "on_time_year_invoices", 1, 366)?;
    let grace_days = raw.grace_days.unwrap_or(shipped.grace_days);
    within(i64::from(grace_days), "grace_days", 0, 30)?;
    let max_age_days = raw.max_age_days.unwrap_or(shipped.max_age_days);
    within(i64::from(max_age_days), "max_age_days", 1, 365)?;
    let gift_for = match raw.gift_for {
        None => shipped.gift_for,
        Some(list) => list
            .iter()
            .map(|text| {
                Reason::parse(text).ok_or_else(|| {
                    format!(
                        "[appreciation] gift_for: '{text}' is not one of plan_completed, \
                         promise_kept, back_on_time, on_time_year"
                    )
                })
            })
            .collect::<Result<Vec<_>, String>>()?,
    };
    let budget = match raw.gift_budget_per_quarter {
        Some(amount) => amount.minor("[appreciation] gift_budget_per_quarter")?,
        None => 0,
    };
    if budget < 0 {
        return Err("[appreciation] gift_budget_per_quarter cannot be negative".into());
    }
    let thank_you_auto = match raw.thank_you.as_deref().map(str::trim) {
        None | Some("manual") => false,
        Some("auto") => true,
        Some(other) => {
            return Err(format!(
                "[appreciation] thank_you: '{other}' is not manual or auto"
            ));
        }
    };
    Ok(AppreciationSettings {
        rules: Rules {
            back_on_time_invoices: back,
            on_time_year_invoices: year,
            grace_days,
            max_age_days,
            gift_for,
        },
        gift_budget_per_quarter_minor: budget,
        thank_you_auto,
    })
}

/// A name for people when the settings give none: `key_accounts` reads
/// `Key accounts`.
fn readable_id(id: &str) -> String {
    let text = id.replace(['_', '-'], " ");
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Config> {
        Config::parse(text, "test.toml", Path::new("/base"), None)
    }

    #[test]
    fn the_default_is_complete() {
        let config = Config::default_in(Path::new("."));
        assert_eq!(config.segments.len(), 6);
        assert_eq!(config.segments.last().unwrap().id, "standard");
        assert!(
            config
                .segments
                .iter()
                .all(|s| config.strategy(&s.strategy).is_some())
        );
        assert_eq!(config.legal.commercial_rates.entries().len(), 15);
        assert_eq!(config.dunning.min_amount_minor, 500);
        let consumer = config.strategy("consumer").unwrap();
        assert!(
            consumer
                .steps
                .iter()
                .any(|s| s.has(Effect::FourteenDayLetter))
        );
    }

    #[test]
    fn a_user_file_replaces_sections() {
        let config = parse(
            r#"
[delivery]
outbox = "mail"

[[strategy]]
id = "only"
[[strategy.step]]
id = "reminder"
offset = 3
channel = "email"
template = "standard/reminder"

[[segment]]
id = "everyone"
strategy = "only"
"#,
        )
        .unwrap();
        assert_eq!(config.delivery.outbox, PathBuf::from("/base/mail"));
        assert_eq!(
            config.company.name, "Tegoed Demo B.V.",
            "default company kept"
        );
        assert_eq!(config.segments.len(), 1);
    }

    #[test]
    fn settings_keep_templates_rates_and_output_inside_their_folder() {
        // Regression: a credit manager could point the templates folder at
        // /etc (and write files there) and rates_file at any file (the error
        // told whether it existed).
        let message = |text: &str| parse(text).unwrap_err().to_string();
        for (text, setting) in [
            ("[delivery]\ntemplates = \"/etc\"\n", "delivery.templates"),
            (
                "[delivery]\ntemplates = \"../../etc\"\n",
                "delivery.templates",
            ),
            (
                "[delivery]\noutbox = \"mail/../../tmp\"\n",
                "delivery.outbox",
            ),
            (
                "[delivery]\nletters = \"/base/../etc\"\n",
                "delivery.letters",
            ),
            ("[delivery]\nclaims = \"/tmp/claims\"\n", "delivery.claims"),
        ] {
            let error = message(text);
            assert!(
                error.contains(setting)
                    && error.contains("outside the folder of the settings file"),
                "{text}: {error}"
            );
        }
        let exists = message("[legal]\nrates_file = \"/etc/passwd\"\n");
        let missing = message("[legal]\nrates_file = \"/etc/no-such-file\"\n");
        assert!(exists.contains("outside the folder"), "{exists}");
        assert_eq!(
            exists.replace("/etc/passwd", "X"),
            missing.replace("/etc/no-such-file", "X"),
            "the error does not tell whether the file exists"
        );
        // Inside the folder, relative or absolute, is fine.
        let config =
            parse("[delivery]\ntemplates = \"mine/../texts\"\nletters = \"/base/post\"\n").unwrap();
        assert_eq!(
            config.delivery.templates,
            Some(PathBuf::from("/base/mine/../texts"))
        );
        assert_eq!(config.delivery.letters, PathBuf::from("/base/post"));
    }

    #[test]
    fn mistakes_are_named() {
        let message = |text: &str| parse(text).unwrap_err().to_string();
        let last_not_catch_all = message(
            r#"
[[strategy]]
id = "s"
[[strategy.step]]
id = "reminder"
offset = 3
channel = "email"
template = "standard/reminder"
[[segment]]
id = "b2c"
strategy = "s"
when = { kind = "b2c" }
"#,
        );
        // Every step has a kind (read from its id when it says it), and the
        // hand-off comes right after a final notice.
        let ladder = |steps: &str| {
            message(&format!(
                "[[strategy]]\nid = \"s\"\n{steps}\n[[segment]]\nid = \"all\"\nstrategy = \"s\"\n"
            ))
        };
        let nameless = ladder(
            "[[strategy.step]]\nid = \"nudge\"\noffset = 3\nchannel = \"email\"\ntemplate = \"standard/reminder\"\n",
        );
        assert!(
            nameless.contains("step 'nudge': say what kind of step this is"),
            "{nameless}"
        );
        let early_handoff = ladder(
            "[[strategy.step]]\nid = \"reminder\"\noffset = 3\nchannel = \"email\"\ntemplate = \"standard/reminder\"\n\
             [[strategy.step]]\nid = \"handoff\"\noffset = 30\nchannel = \"handoff\"\ntemplate = \"handoff\"\n",
        );
        assert!(
            early_handoff.contains("the hand-off must come right after a final_notice step"),
            "{early_handoff}"
        );
        let kind = ladder(
            "[[strategy.step]]\nid = \"r\"\nkind = \"nag\"\noffset = 3\nchannel = \"email\"\ntemplate = \"standard/reminder\"\n",
        );
        assert!(kind.contains("kind 'nag' is not heads_up"), "{kind}");
        assert!(
            last_not_catch_all.contains("the last segment ('b2c') must have no conditions"),
            "{last_not_catch_all}"
        );
        let unknown_strategy = message("[[segment]]\nid = \"x\"\nstrategy = \"nope\"\n");
        assert!(
            unknown_strategy.contains("strategy 'nope' is not defined"),
            "{unknown_strategy}"
        );
        let typo = message(
            "[[segment]]\nid = \"x\"\nstrategy = \"standard\"\nwhen = { revenu_12m_min = 5 }\n",
        );
        assert!(
            typo.contains("test.toml") && typo.contains("revenu_12m_min"),
            "{typo}"
        );
        let bad_channel = message(
            "[[strategy]]\nid = \"s\"\n[[strategy.step]]\nid = \"r\"\noffset = 3\nchannel = \"fax\"\ntemplate = \"t\"\n",
        );
        assert!(bad_channel.contains("channel 'fax'"), "{bad_channel}");
    }
}
