//! Risk: training the model on the company's own payment history, scoring
//! customers with reason codes, external ratings, and risk groups.
//!
//! Training uses a time split: invoices due before the cut-off (as-of minus
//! the hold-out months) whose outcome was known by the cut-off train the
//! model; invoices due after it whose outcome is known by the as-of date test
//! it. Every invoice's features are computed as of its issue date.

use std::collections::BTreeMap;

use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};
use tegoed_core::agreements::PromiseStatus;
use tegoed_core::customer::CustomerKind;
use tegoed_core::policy::IndustryGroup;
use tegoed_core::risk::{
    self, Doc, FEATURES, Features, History, Model, class_of, features_at, late_label,
};
use tegoed_core::segment;
use tegoed_core::{Currency, CustomerId, Date, Language, Money};
use tegoed_formats::ledger_csv;
use tegoed_store::{CustomerBrief, LedgerRow, Rating, ReadTx, Store, Upsert, WriteTx};

use crate::audit::{Detail, Label};
use crate::config::{Config, RiskSettings};
use crate::{AppError, Result};

/// The invoice amount assumed when scoring a customer without a deal in
/// view and without invoices of their own in the last year.
const STANDARD_INVOICE_MINOR: i64 = 100_000;
/// Smoothing of industry late shares towards the overall share (invoices).
const INDUSTRY_PRIOR: f64 = 20.0;
/// Ridge penalty of the logistic regression.
const LAMBDA: f64 = 1.0;

/// An industry's (or everyone's) payment behaviour in the training data.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct IndustryStat {
    pub invoices: u64,
    /// Share of invoices paid late, smoothed towards the overall share.
    pub late_rate: f64,
    pub avg_days_late: f64,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct CalibrationRow {
    pub from: f64,
    pub to: f64,
    pub n: usize,
    pub predicted: f64,
    pub observed: f64,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Metrics {
    pub auc: Option<f64>,
    pub brier: f64,
    pub n_train: usize,
    pub n_test: usize,
    pub late_share_train: f64,
    pub late_share_test: f64,
    pub calibration: Vec<CalibrationRow>,
}

/// The stored model (JSON in the store).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct ModelFile {
    pub version: u32,
    pub trained_as_of: String,
    pub cutoff: String,
    pub late_days: i32,
    pub features: Vec<String>,
    pub means: Vec<f64>,
    pub scales: Vec<f64>,
    pub intercept: f64,
    pub weights: Vec<f64>,
    pub metrics: Metrics,
    /// Per SBI section letter (`-` for customers without an industry).
    pub industries: BTreeMap<String, IndustryStat>,
    pub overall: IndustryStat,
    /// Of invoices paid more than `late_days` late (and due 180+ days ago),
    /// the share never paid: late → lost.
    pub loss_share: f64,
}

/// A model ready to score.
#[derive(Clone, Debug)]
pub struct LoadedModel {
    pub id: i64,
    pub trained_as_of: Date,
    pub file: ModelFile,
    pub model: Model,
}

impl LoadedModel {
    pub fn industry(&self, key: &str) -> &IndustryStat {
        self.file.industries.get(key).unwrap_or(&self.file.overall)
    }

    pub fn industry_group(&self, key: &str) -> IndustryGroup {
        IndustryGroup::of(self.industry(key).late_rate, self.file.overall.late_rate)
    }
}

fn to_array(values: &[f64]) -> Option<Features> {
    values.try_into().ok()
}

/// The newest stored model, if any.
pub fn load_model(tx: &mut dyn ReadTx) -> Result<Option<LoadedModel>> {
    let Some((id, trained_as_of, body)) = tx.latest_risk_model()? else {
        return Ok(None);
    };
    let file: ModelFile = serde_json::from_str(&body).map_err(|e| {
        AppError::Invalid(format!("the stored risk model {id} cannot be read: {e}"))
    })?;
    let same_features = file
        .features
        .iter()
        .map(String::as_str)
        .eq(FEATURES.iter().copied());
    let (Some(means), Some(scales), Some(weights), true) = (
        to_array(&file.means),
        to_array(&file.scales),
        to_array(&file.weights),
        same_features,
    ) else {
        return Err(AppError::Invalid(format!(
            "the stored risk model {id} has other features than this version of Tegoed; run `tegoed risk train` again"
        )));
    };
    let model = Model {
        means,
        scales,
        intercept: file.intercept,
        weights,
    };
    Ok(Some(LoadedModel {
        id,
        trained_as_of,
        file,
        model,
    }))
}

/// The key of a customer's industry group: the SBI section letter, or `-`.
pub fn industry_key(industry: Option<&tegoed_core::party::SbiCode>) -> String {
    industry
        .and_then(|i| i.section())
        .map_or_else(|| "-".to_string(), |s| s.0.to_string())
}

/// A customer's invoices, disputes and broken promises, as risk sees them.
#[derive(Clone, Debug, Default)]
pub struct CustomerHistory {
    pub docs: Vec<Doc>,
    pub disputes: Vec<Date>,
    pub broken_promises: Vec<Date>,
    /// (due date, open amount) of documents with money open, in euros
    /// (credit notes negative).
    pub open: Vec<(Date, i64)>,
}

impl CustomerHistory {
    pub fn add_row(&mut self, row: &LedgerRow) {
        if row.currency == Currency::EUR && row.open_minor != 0 {
            self.open.push((row.due_date, row.open_minor));
        }
        if row.currency == Currency::EUR && row.amount_minor > 0 {
            self.docs.push(Doc {
                issue: row.issue_date,
                due: row.due_date,
                amount_minor: row.amount_minor,
                settled: if row.open_minor == 0 {
                    row.last_paid_on
                } else {
                    None
                },
            });
        }
    }

    fn history<'a>(&'a self, consumer: bool, industry_late_rate: f64) -> History<'a> {
        History {
            docs: &self.docs,
            disputes: &self.disputes,
            broken_promises: &self.broken_promises,
            consumer,
            industry_late_rate,
        }
    }

    /// The median invoice of the last year, or a standard invoice.
    pub fn typical_amount(&self, as_of: Date) -> i64 {
        let year_ago = as_of.add_years(-1);
        let mut amounts: Vec<i64> = self
            .docs
            .iter()
            .filter(|d| d.issue > year_ago && d.issue <= as_of)
            .map(|d| d.amount_minor)
            .collect();
        if amounts.is_empty() {
            return STANDARD_INVOICE_MINOR;
        }
        amounts.sort_unstable();
        amounts[amounts.len() / 2]
    }
}

/// Every customer's history on `as_of`, from one scan of the ledger.
pub struct Histories {
    pub customers: Vec<CustomerBrief>,
    pub histories: Vec<CustomerHistory>,
}

pub fn load_histories(tx: &mut dyn ReadTx, as_of: Date) -> Result<Histories> {
    let customers = tx.customer_directory()?;
    let index: FxHashMap<CustomerId, usize> = customers
        .iter()
        .enumerate()
        .map(|(i, c)| (c.id, i))
        .collect();
    let mut histories = vec![CustomerHistory::default(); customers.len()];
    tx.scan_ledger(as_of, &mut |row| {
        if let Some(&i) = index.get(&row.customer) {
            histories[i].add_row(row);
        }
    })?;
    add_agreements(tx, &|c| index.get(&c).copied(), &mut histories, as_of)?;
    Ok(Histories {
        customers,
        histories,
    })
}

/// Adds disputes and broken promises (dated) to histories.
/// `position` finds a customer's history.
fn add_agreements(
    tx: &mut dyn ReadTx,
    position: &dyn Fn(CustomerId) -> Option<usize>,
    histories: &mut [CustomerHistory],
    as_of: Date,
) -> Result<()> {
    for dispute in tx.disputes(None, false)? {
        if let Some(i) = position(dispute.dispute.customer)
            && dispute.dispute.opened_on <= as_of
        {
            histories[i].disputes.push(dispute.dispute.opened_on);
        }
    }
    for promise in tx.promises(None, false)? {
        if promise.promise.status == PromiseStatus::Broken
            && let (Some(i), Some(on)) = (
                position(promise.promise.customer),
                promise.promise.status_on,
            )
            && on <= as_of
        {
            histories[i].broken_promises.push(on);
        }
    }
    Ok(())
}

/// One customer's history on `as_of` (for a single check or score).
pub fn customer_history(
    tx: &mut dyn ReadTx,
    customer: CustomerId,
    rows: &[LedgerRow],
    as_of: Date,
) -> Result<CustomerHistory> {
    let mut history = CustomerHistory::default();
    for row in rows {
        history.add_row(row);
    }
    for dispute in tx.disputes(Some(customer), false)? {
        if dispute.dispute.opened_on <= as_of {
            history.disputes.push(dispute.dispute.opened_on);
        }
    }
    for promise in tx.promises(Some(customer), false)? {
        if promise.promise.status == PromiseStatus::Broken
            && let Some(on) = promise.promise.status_on
            && on <= as_of
        {
            history.broken_promises.push(on);
        }
    }
    Ok(history)
}

/// What `risk train` reports (`--json`).
#[derive(Clone, Debug, Serialize)]
pub struct TrainReport {
    pub auc: Option<f64>,
    pub brier: f64,
    pub n_train: usize,
    pub n_test: usize,
    #[serde(serialize_with = "crate::ser::date")]
    pub cutoff: Date,
    pub late_days: i32,
    pub calibration: Vec<CalibrationRow>,
    pub model_id: i64,
    #[serde(serialize_with = "crate::ser::date")]
    pub trained_as_of: Date,
    pub late_share_train: f64,
    pub late_share_test: f64,
    pub loss_share: f64,
    /// Standardized weights: how strongly each feature moves the odds.
    pub weights: Vec<FeatureWeight>,
    pub industries: BTreeMap<String, IndustryStat>,
}

#[derive(Clone, Debug, Serialize)]
pub struct FeatureWeight {
    pub feature: &'static str,
    pub weight: f64,
}

fn round(v: f64, decimals: i32) -> f64 {
    let f = 10f64.powi(decimals);
    (v * f).round() / f
}

/// Fits the model on the store's history as of `as_of` and stores it.
///
/// A job, not a single transaction: the history is read in one read
/// transaction, the fitting runs outside any, and the model is stored with
/// its audit line in a short write transaction.
pub fn train(
    store: &dyn Store,
    actor: &crate::access::Actor,
    settings: &RiskSettings,
    as_of: Date,
    holdout_months: Option<i32>,
    late_days: Option<i32>,
) -> Result<TrainReport> {
    let holdout = holdout_months.unwrap_or(settings.holdout_months);
    let late_days = late_days.unwrap_or(settings.late_days);
    if !(1..=60).contains(&holdout) {
        return Err(AppError::Invalid(format!(
            "--holdout-months {holdout}: choose 1 to 60"
        )));
    }
    // 0 is the most common definition of late: paid after the due date.
    if !(0..=365).contains(&late_days) {
        return Err(AppError::Invalid(format!(
            "--late-days {late_days}: choose 0 (paid after the due date at all) to 365"
        )));
    }
    actor.require(crate::access::Action::EditSettings, None)?;
    let cutoff = as_of.add_months(-holdout);
    let all = {
        let mut tx = store.read()?;
        load_histories(tx.as_mut(), as_of)?
    };

    // Which invoices train and which test, with their outcome.
    struct Row {
        customer: usize,
        doc: usize,
        late: bool,
        test: bool,
    }
    let mut rows = Vec::new();
    for (c, history) in all.histories.iter().enumerate() {
        for (d, doc) in history.docs.iter().enumerate() {
            if doc.due < cutoff {
                if let Some(late) = late_label(doc, late_days, cutoff) {
                    rows.push(Row {
                        customer: c,
                        doc: d,
                        late,
                        test: false,
                    });
                }
            } else if let Some(late) = late_label(doc, late_days, as_of) {
                rows.push(Row {
                    customer: c,
                    doc: d,
                    late,
                    test: true,
                });
            }
        }
    }

    // Industry behaviour from the training invoices only.
    let mut counts: BTreeMap<String, (u64, u64, i64, u64)> = BTreeMap::new();
    let keys: Vec<String> = all
        .customers
        .iter()
        .map(|c| industry_key(c.industry.as_ref()))
        .collect();
    let mut overall = (0u64, 0u64, 0i64, 0u64);
    for row in rows.iter().filter(|r| !r.test) {
        let doc = &all.histories[row.customer].docs[row.doc];
        let entry = counts.entry(keys[row.customer].clone()).or_default();
        for e in [&mut *entry, &mut overall] {
            e.0 += 1;
            e.1 += u64::from(row.late);
            if let Some(s) = doc.settled.filter(|s| *s < cutoff) {
                e.2 += i64::from(doc.due.days_until(s).max(0));
                e.3 += 1;
            }
        }
    }
    let overall_rate = if overall.0 == 0 {
        0.0
    } else {
        overall.1 as f64 / overall.0 as f64
    };
    let stat = |c: &(u64, u64, i64, u64)| IndustryStat {
        invoices: c.0,
        late_rate: round(
            (c.1 as f64 + INDUSTRY_PRIOR * overall_rate) / (c.0 as f64 + INDUSTRY_PRIOR),
            4,
        ),
        avg_days_late: if c.3 == 0 {
            0.0
        } else {
            round(c.2 as f64 / c.3 as f64, 1)
        },
    };
    let industries: BTreeMap<String, IndustryStat> =
        counts.iter().map(|(k, c)| (k.clone(), stat(c))).collect();
    let overall_stat = stat(&overall);
    let industry_rate = |c: usize| {
        industries
            .get(&keys[c])
            .map_or(overall_stat.late_rate, |s| s.late_rate)
    };

    // Features as of each invoice's issue date, on two threads.
    let features: Vec<Features> = {
        let compute = |part: &[Row]| -> Vec<Features> {
            part.iter()
                .map(|r| {
                    let h = &all.histories[r.customer];
                    let consumer = all.customers[r.customer].kind == CustomerKind::B2c;
                    let doc = &h.docs[r.doc];
                    features_at(
                        &h.history(consumer, industry_rate(r.customer)),
                        doc.issue,
                        doc.amount_minor,
                    )
                })
                .collect()
        };
        let (a, b) = rows.split_at(rows.len() / 2);
        std::thread::scope(|s| {
            let first = s.spawn(|| compute(a));
            let mut second = compute(b);
            let mut out = first.join().expect("feature thread");
            out.append(&mut second);
            out
        })
    };

    let mut train_x = Vec::new();
    let mut train_y = Vec::new();
    let mut test_x = Vec::new();
    let mut test_y = Vec::new();
    for (row, x) in rows.iter().zip(features) {
        if row.test {
            test_x.push(x);
            test_y.push(row.late);
        } else {
            train_x.push(x);
            train_y.push(row.late);
        }
    }
    let model = risk::fit(&train_x, &train_y, LAMBDA).map_err(|e| {
        AppError::Invalid(format!(
            "cannot train the risk model with the cut-off {cutoff}: {e}"
        ))
    })?;
    let scores: Vec<f64> = test_x.iter().map(|x| model.probability(x)).collect();
    let share = |y: &[bool]| {
        if y.is_empty() {
            0.0
        } else {
            round(y.iter().filter(|l| **l).count() as f64 / y.len() as f64, 4)
        }
    };
    let calibration: Vec<CalibrationRow> = risk::calibration(&scores, &test_y, 10)
        .into_iter()
        .map(|b| CalibrationRow {
            from: round(b.from, 4),
            to: round(b.to, 4),
            n: b.n,
            predicted: round(b.predicted, 4),
            observed: round(b.observed, 4),
        })
        .collect();
    let metrics = Metrics {
        auc: risk::auc(&scores, &test_y).map(|a| round(a, 4)),
        brier: round(risk::brier(&scores, &test_y), 4),
        n_train: train_x.len(),
        n_test: test_x.len(),
        late_share_train: share(&train_y),
        late_share_test: share(&test_y),
        calibration,
    };

    // Late → lost: of late invoices due 180+ days ago, the share still unpaid.
    let settled_after = as_of.add_days(-180);
    let (mut late_old, mut lost) = (0u64, 0u64);
    for row in rows.iter().filter(|r| r.late) {
        let doc = &all.histories[row.customer].docs[row.doc];
        if doc.due < settled_after {
            late_old += 1;
            lost += u64::from(doc.settled.is_none());
        }
    }
    let loss_share = if late_old == 0 {
        0.0
    } else {
        round(lost as f64 / late_old as f64, 4)
    };

    let file = ModelFile {
        version: 1,
        trained_as_of: as_of.to_string(),
        cutoff: cutoff.to_string(),
        late_days,
        features: FEATURES.iter().map(|f| f.to_string()).collect(),
        means: model.means.to_vec(),
        scales: model.scales.to_vec(),
        intercept: model.intercept,
        weights: model.weights.to_vec(),
        metrics: metrics.clone(),
        industries: industries.clone(),
        overall: overall_stat,
        loss_share,
    };
    let body = serde_json::to_string(&file).expect("a model serializes");
    let mut tx = store.write()?;
    let model_id = tx.insert_risk_model(as_of, &body)?;
    actor.audit(tx.as_mut(), "risk.train", &format!("model {model_id}"), {
        let detail = Detail::none().date(Label::AsOf, as_of);
        let detail = match metrics.auc {
            Some(auc) => detail.decimal(Label::Auc, auc, 3),
            None => detail.word(Label::Auc, "unknown"),
        };
        detail
            .number(Label::Train, metrics.n_train)
            .number(Label::Test, metrics.n_test)
    })?;
    tx.commit()?;
    Ok(TrainReport {
        auc: metrics.auc,
        brier: metrics.brier,
        n_train: metrics.n_train,
        n_test: metrics.n_test,
        cutoff,
        late_days,
        calibration: metrics.calibration,
        model_id,
        trained_as_of: as_of,
        late_share_train: metrics.late_share_train,
        late_share_test: metrics.late_share_test,
        loss_share,
        weights: FEATURES
            .iter()
            .zip(model.weights)
            .map(|(feature, w)| FeatureWeight {
                feature,
                weight: round(w, 4),
            })
            .collect(),
        industries,
    })
}

/// An external rating as the check and the score see it.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct RatingView {
    pub provider: String,
    pub score: f64,
    /// On 0–100, 100 best.
    pub score_100: f64,
    #[serde(serialize_with = "crate::ser::date")]
    pub rated_on: Date,
    pub age_days: i32,
    pub stale: bool,
    #[serde(serialize_with = "crate::ser::opt_money")]
    pub recommended_limit: Option<Money>,
}

/// The newest rating (of any provider), as a view.
pub fn newest_rating(
    ratings: &[Rating],
    settings: &RiskSettings,
    as_of: Date,
) -> Option<RatingView> {
    let r = ratings
        .iter()
        .filter(|r| r.rated_on <= as_of)
        .max_by_key(|r| r.rated_on)?;
    let age_days = r.rated_on.days_until(as_of);
    Some(RatingView {
        provider: r.provider.clone(),
        score: r.score,
        score_100: round(settings.normalize(&r.provider, r.score), 1),
        rated_on: r.rated_on,
        age_days,
        stale: age_days > settings.rating_max_age_days,
        recommended_limit: r.recommended_limit_minor.map(Money::eur),
    })
}

/// The class an external rating alone suggests.
pub fn rating_class(score_100: f64) -> char {
    match score_100 {
        s if s >= 80.0 => 'A',
        s if s >= 60.0 => 'B',
        s if s >= 40.0 => 'C',
        s if s >= 20.0 => 'D',
        _ => 'E',
    }
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct ReasonOut {
    pub code: &'static str,
    pub text: String,
    pub contribution: f64,
}

/// A customer's (or prospect's) risk on a date.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct RiskScore {
    /// The model's probability of paying more than `late_days` late.
    pub probability: Option<f64>,
    pub class: Option<char>,
    /// `history` (own payments), `industry` (no history: industry and
    /// model), `rating` (no history: the external rating), or `none`.
    pub basis: &'static str,
    pub late_days: Option<i32>,
    pub reasons: Vec<ReasonOut>,
    /// What the class rests on, when it is not the customer's own history.
    pub note: Option<String>,
    pub features: BTreeMap<&'static str, f64>,
}

/// Scores a history for an invoice of `amount_minor` issued on `as_of`.
#[allow(clippy::too_many_arguments)]
pub fn score(
    model: Option<&LoadedModel>,
    settings: &RiskSettings,
    history: &CustomerHistory,
    consumer: bool,
    industry: &str,
    rating: Option<&RatingView>,
    as_of: Date,
    amount_minor: i64,
    language: Language,
) -> RiskScore {
    let nl = language == Language::Nl;
    let fresh = rating.filter(|r| !r.stale);
    let Some(model) = model else {
        return RiskScore {
            probability: None,
            class: fresh.map(|r| rating_class(r.score_100)),
            basis: if fresh.is_some() { "rating" } else { "none" },
            late_days: None,
            reasons: Vec::new(),
            note: Some(if nl {
                "er is nog geen risicomodel getraind (`tegoed risk train`)".into()
            } else {
                "no risk model has been trained yet (`tegoed risk train`)".into()
            }),
            features: BTreeMap::new(),
        };
    };
    let stat = model.industry(industry);
    let x = features_at(
        &history.history(consumer, stat.late_rate),
        as_of,
        amount_minor,
    );
    let probability = model.model.probability(&x);
    let model_class = class_of(probability, &settings.class_bounds);
    let reasons: Vec<ReasonOut> = risk::reasons(&model.model, &x, language, 4)
        .into_iter()
        .map(|r| ReasonOut {
            code: r.code,
            text: r.text,
            contribution: round(r.contribution, 3),
        })
        .collect();
    let no_history = x[6] > 0.0;
    let industry_text = if industry == "-" {
        if nl {
            "klanten zonder branche".to_string()
        } else {
            "customers without an industry".to_string()
        }
    } else if nl {
        format!("branche {industry}")
    } else {
        format!("industry {industry}")
    };
    let pct = (stat.late_rate * 100.0).round();
    let (class, basis, note) = match (no_history, fresh) {
        (false, _) => (model_class, "history", None),
        (true, Some(r)) => (
            rating_class(r.score_100),
            "rating",
            Some(if nl {
                format!(
                    "nog geen betaalgeschiedenis: klasse uit de rating van {} ({}/100, {}) en de {industry_text} ({pct}% te laat)",
                    r.provider, r.score_100, r.rated_on
                )
            } else {
                format!(
                    "no payment history yet: class from the {} rating ({}/100, {}) and the {industry_text} ({pct}% paid late)",
                    r.provider, r.score_100, r.rated_on
                )
            }),
        ),
        (true, None) => (
            model_class,
            "industry",
            Some(if nl {
                format!(
                    "nog geen betaalgeschiedenis: klasse uit de {industry_text} ({pct}% te laat) en het model"
                )
            } else {
                format!(
                    "no payment history yet: class from the {industry_text} ({pct}% paid late) and the model"
                )
            }),
        ),
    };
    RiskScore {
        probability: Some(round(probability, 4)),
        class: Some(class),
        basis,
        late_days: Some(model.file.late_days),
        reasons,
        note,
        features: FEATURES
            .iter()
            .zip(x)
            .map(|(f, v)| (*f, round(v, 3)))
            .collect(),
    }
}

/// `risk show`: a customer's score with reasons.
#[derive(Clone, Debug, Serialize)]
pub struct RiskShow {
    pub customer: String,
    pub name: String,
    #[serde(serialize_with = "crate::ser::date")]
    pub as_of: Date,
    #[serde(flatten)]
    pub score: RiskScore,
    pub rating: Option<RatingView>,
    pub model: Option<ModelInfo>,
}

#[derive(Clone, Debug, Serialize)]
pub struct ModelInfo {
    pub id: i64,
    #[serde(serialize_with = "crate::ser::date")]
    pub trained_as_of: Date,
    pub cutoff: String,
    pub auc: Option<f64>,
}

impl ModelInfo {
    pub fn of(model: &LoadedModel) -> ModelInfo {
        ModelInfo {
            id: model.id,
            trained_as_of: model.trained_as_of,
            cutoff: model.file.cutoff.clone(),
            auc: model.file.metrics.auc,
        }
    }
}

/// The risk of a customer, from their ledger rows (see
/// [`crate::facts::CustomerLedger`]), scored with `model` ([`load_model`];
/// the web app keeps it loaded).
pub fn show(
    tx: &mut dyn ReadTx,
    config: &Config,
    model: Option<&LoadedModel>,
    customer: &tegoed_store::StoredCustomer,
    rows: &[LedgerRow],
    as_of: Date,
    language: Language,
) -> Result<RiskShow> {
    let scored = score_customer(tx, config, model, customer, rows, as_of, None, language)?;
    let (score, rating) = (scored.score, scored.rating);
    Ok(RiskShow {
        customer: customer.customer.number.clone(),
        name: customer.customer.name.clone(),
        as_of,
        score,
        rating,
        model: model.map(ModelInfo::of),
    })
}

/// What scoring a stored customer found: the score, their newest rating and
/// their history.
pub struct CustomerScore {
    pub score: RiskScore,
    pub rating: Option<RatingView>,
    pub history: CustomerHistory,
}

/// Scores a stored customer for an invoice of `amount_minor` (default: a
/// typical invoice of theirs).
#[allow(clippy::too_many_arguments)]
pub fn score_customer(
    tx: &mut dyn ReadTx,
    config: &Config,
    model: Option<&LoadedModel>,
    customer: &tegoed_store::StoredCustomer,
    rows: &[LedgerRow],
    as_of: Date,
    amount_minor: Option<i64>,
    language: Language,
) -> Result<CustomerScore> {
    let history = customer_history(tx, customer.id, rows, as_of)?;
    let c = &customer.customer;
    let kvk = c.kvk.as_ref().map(|k| k.as_str().to_string());
    let ratings = tx.ratings_for(Some(customer.id), kvk.as_deref())?;
    let rating = newest_rating(&ratings, &config.risk, as_of);
    let score = score(
        model,
        &config.risk,
        &history,
        c.kind == CustomerKind::B2c,
        &industry_key(c.industry.as_ref()),
        rating.as_ref(),
        as_of,
        amount_minor.unwrap_or_else(|| history.typical_amount(as_of)),
        language,
    );
    Ok(CustomerScore {
        score,
        rating,
        history,
    })
}

/// Every customer's class on `as_of` (None without a model).
pub fn classes(
    model: Option<&LoadedModel>,
    settings: &RiskSettings,
    customers: &[CustomerBrief],
    histories: &[CustomerHistory],
    ratings: &FxHashMap<CustomerId, RatingView>,
    as_of: Date,
) -> Vec<Option<char>> {
    if model.is_none() {
        return vec![None; customers.len()];
    }
    customers
        .iter()
        .zip(histories)
        .map(|(c, h)| {
            score(
                model,
                settings,
                h,
                c.kind == CustomerKind::B2c,
                &industry_key(c.industry.as_ref()),
                ratings.get(&c.id),
                as_of,
                h.typical_amount(as_of),
                Language::En,
            )
            .class
        })
        .collect()
}

/// The newest rating of every customer.
pub fn rating_views(
    tx: &mut dyn ReadTx,
    settings: &RiskSettings,
    as_of: Date,
) -> Result<FxHashMap<CustomerId, RatingView>> {
    let mut by_customer: FxHashMap<CustomerId, Vec<Rating>> = FxHashMap::default();
    for rating in tx.all_customer_ratings()? {
        if let Some(c) = rating.customer {
            by_customer.entry(c).or_default().push(rating);
        }
    }
    Ok(by_customer
        .into_iter()
        .filter_map(|(c, list)| newest_rating(&list, settings, as_of).map(|v| (c, v)))
        .collect())
}

/// What `import ratings` did.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct RatingsSummary {
    pub file: String,
    pub kind: &'static str,
    pub rows: u64,
    pub inserted: u64,
    pub updated: u64,
    pub unchanged: u64,
    /// Rows for a KvK number that is not (yet) a customer: kept for the
    /// pre-sale check of that prospect.
    pub prospects: u64,
    pub warnings: Vec<String>,
}

/// Imports a ratings CSV in one transaction (all or nothing).
pub fn import_ratings(
    tx: &mut dyn WriteTx,
    actor: &crate::access::Actor,
    file: &str,
    bytes: &[u8],
) -> Result<RatingsSummary> {
    actor.require(crate::access::Action::Import, None)?;
    let parsed = ledger_csv::parse_ratings(bytes).map_err(|error| AppError::Input {
        file: file.to_string(),
        error,
    })?;
    let mut summary = RatingsSummary {
        file: file.to_string(),
        kind: "ratings",
        rows: parsed.rows.len() as u64,
        inserted: 0,
        updated: 0,
        unchanged: 0,
        prospects: 0,
        warnings: parsed.warnings,
    };
    for row in parsed.rows {
        let customer = match (&row.customer_number, &row.kvk) {
            (Some(number), _) => {
                Some(
                    tx.customer_by_number(number)?
                        .ok_or_else(|| AppError::Input {
                            file: file.to_string(),
                            error: tegoed_formats::ledger_csv::CsvError {
                                line: row.line,
                                column: Some("customer_id".into()),
                                value: Some(number.clone()),
                                reason: "no customer with this number".into(),
                            },
                        })?,
                )
            }
            (None, Some(kvk)) => tx.find_customer(tegoed_store::CustomerKey::Kvk(kvk.as_str()))?,
            (None, None) => None,
        };
        if customer.is_none() {
            summary.prospects += 1;
        }
        let rating = Rating {
            customer: customer.as_ref().map(|c| c.id),
            kvk: row
                .kvk
                .as_ref()
                .map(|k| k.as_str().to_string())
                .or_else(|| {
                    customer
                        .as_ref()
                        .and_then(|c| c.customer.kvk.as_ref().map(|k| k.as_str().to_string()))
                }),
            provider: row.provider,
            score: row.score,
            recommended_limit_minor: row.recommended_limit.map(|m| m.minor),
            rated_on: row.date,
        };
        match tx.upsert_rating(&rating)? {
            Upsert::Inserted => summary.inserted += 1,
            Upsert::Updated => summary.updated += 1,
            Upsert::Unchanged => summary.unchanged += 1,
        }
    }
    actor.audit(
        tx,
        "ratings.import",
        file,
        Detail::row_counts(
            summary.rows,
            summary.inserted,
            summary.updated,
            summary.unchanged,
        ),
    )?;
    Ok(summary)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rating_classes() {
        assert_eq!(rating_class(80.0), 'A');
        assert_eq!(rating_class(79.9), 'B');
        assert_eq!(rating_class(40.0), 'C');
        assert_eq!(rating_class(19.9), 'E');
    }
}

/// How `report risk-groups` groups customers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GroupBy {
    Industry,
    Segment,
    AccountManager,
}

impl GroupBy {
    pub fn as_str(self) -> &'static str {
        match self {
            GroupBy::Industry => "industry",
            GroupBy::Segment => "segment",
            GroupBy::AccountManager => "account-manager",
        }
    }
}

/// One group's payment behaviour and risk.
#[derive(Clone, Debug, Serialize)]
pub struct RiskGroupRow {
    pub key: String,
    pub name: String,
    pub customers: u64,
    /// Invoiced in the last 12 months (EUR).
    #[serde(serialize_with = "crate::ser::money")]
    pub revenue_12m: Money,
    #[serde(serialize_with = "crate::ser::money")]
    pub receivables: Money,
    /// Receivables ÷ revenue of 12 months × 365.
    pub dso: Option<f64>,
    /// Of invoices paid in the last 12 months, the share paid more than
    /// seven days late.
    pub share_paid_late: Option<f64>,
    pub avg_days_late: Option<f64>,
    /// Customers handed to the collection agency.
    pub handed_off: u64,
    /// Open on invoices 180+ days overdue or at the agency, ÷ invoiced in
    /// 24 months: what is lost or nearly so.
    pub share_lost: Option<f64>,
    /// Customers per risk class (`none`: not scored).
    pub classes: BTreeMap<String, u64>,
}

#[derive(Default)]
struct GroupAcc {
    customers: u64,
    revenue_12m: i64,
    revenue_24m: i64,
    receivables: i64,
    paid: u64,
    paid_late: u64,
    days_late: i64,
    handed_off: u64,
    lost: i64,
    classes: BTreeMap<String, u64>,
}

impl GroupAcc {
    fn row(&self, key: String, name: String) -> RiskGroupRow {
        let ratio = |a: f64, b: f64| (b > 0.0).then(|| round(a / b, 4));
        RiskGroupRow {
            key,
            name,
            customers: self.customers,
            revenue_12m: Money::eur(self.revenue_12m),
            receivables: Money::eur(self.receivables),
            dso: ratio(self.receivables as f64 * 365.0, self.revenue_12m as f64)
                .map(|d| round(d, 1)),
            share_paid_late: ratio(self.paid_late as f64, self.paid as f64),
            avg_days_late: ratio(self.days_late as f64, self.paid as f64).map(|d| round(d, 1)),
            handed_off: self.handed_off,
            share_lost: ratio(self.lost as f64, self.revenue_24m as f64),
            classes: self.classes.clone(),
        }
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct RiskGroupsReport {
    #[serde(serialize_with = "crate::ser::date")]
    pub as_of: Date,
    pub by: &'static str,
    pub rows: Vec<RiskGroupRow>,
    pub total: RiskGroupRow,
    /// The model that gave the classes (none: classes are all `none`).
    pub model: Option<ModelInfo>,
}

/// `report risk-groups`: per industry (SBI section), segment or account
/// manager, how customers pay and how risky they are.
pub fn risk_groups(
    tx: &mut dyn ReadTx,
    config: &Config,
    as_of: Date,
    by: GroupBy,
    language: Language,
) -> Result<RiskGroupsReport> {
    let (all, model, ratings, states, managers) = {
        let all = load_histories(tx, as_of)?;
        let index: FxHashMap<CustomerId, usize> = all
            .customers
            .iter()
            .enumerate()
            .map(|(i, c)| (c.id, i))
            .collect();
        let model = load_model(tx)?;
        let ratings = rating_views(tx, &config.risk, as_of)?;
        let mut states = vec![false; all.customers.len()];
        for (c, state) in tx.collection_states()? {
            if let Some(&i) = index.get(&c) {
                states[i] = state.handed_off_on.is_some();
            }
        }
        let managers: FxHashMap<_, String> = tx
            .account_managers()?
            .into_iter()
            .map(|(id, m)| (id, m.name))
            .collect();
        (all, model, ratings, states, managers)
    };
    let classes = classes(
        model.as_ref(),
        &config.risk,
        &all.customers,
        &all.histories,
        &ratings,
        as_of,
    );
    let segment_of: Vec<Option<usize>> = if by == GroupBy::Segment {
        let snapshot = crate::facts::snapshot(tx, as_of)?;
        (0..all.customers.len())
            .map(|i| {
                let p = snapshot.position(all.customers[i].id)?;
                let mut facts = snapshot.facts[p].clone();
                facts.risk_class = classes[i];
                segment::assign(&config.segments, &facts)
            })
            .collect()
    } else {
        Vec::new()
    };
    let nl = language == Language::Nl;
    let year_ago = as_of.add_years(-1);
    let two_years_ago = as_of.add_years(-2);
    let long_ago = as_of.add_days(-180);
    let mut groups: BTreeMap<String, (String, GroupAcc)> = BTreeMap::new();
    let mut total = GroupAcc::default();
    for (i, customer) in all.customers.iter().enumerate() {
        let (key, name) = match by {
            GroupBy::Industry => match customer.industry.as_ref().and_then(|s| s.section()) {
                Some(section) => (
                    section.0.to_string(),
                    section.name(if nl { "nl" } else { "en" }).to_string(),
                ),
                None => (
                    "-".to_string(),
                    if nl { "Geen branche" } else { "No industry" }.to_string(),
                ),
            },
            GroupBy::Segment => match segment_of[i] {
                Some(s) => {
                    let seg = &config.segments[s];
                    (
                        seg.id.clone(),
                        if nl {
                            seg.name_nl.clone()
                        } else {
                            seg.name_en.clone()
                        },
                    )
                }
                None => ("-".to_string(), "-".to_string()),
            },
            GroupBy::AccountManager => match customer.account_manager {
                Some(m) => (
                    managers.get(&m).cloned().unwrap_or_else(|| m.0.to_string()),
                    managers.get(&m).cloned().unwrap_or_default(),
                ),
                None => (
                    "-".to_string(),
                    if nl {
                        "Geen accountmanager"
                    } else {
                        "No account manager"
                    }
                    .to_string(),
                ),
            },
        };
        let entry = groups
            .entry(key)
            .or_insert_with(|| (name, GroupAcc::default()));
        let history = &all.histories[i];
        let handed_off = states[i];
        for acc in [&mut entry.1, &mut total] {
            acc.customers += 1;
            acc.handed_off += u64::from(handed_off);
            *acc.classes
                .entry(classes[i].map_or_else(|| "none".to_string(), |c| c.to_string()))
                .or_default() += 1;
            for doc in &history.docs {
                if doc.issue > year_ago && doc.issue <= as_of {
                    acc.revenue_12m += doc.amount_minor;
                }
                if doc.issue > two_years_ago && doc.issue <= as_of {
                    acc.revenue_24m += doc.amount_minor;
                }
                if let Some(s) = doc.settled.filter(|s| *s > year_ago && *s <= as_of) {
                    let late = doc.due.days_until(s).max(0);
                    acc.paid += 1;
                    acc.paid_late += u64::from(late > risk::LATE_SHARE_DAYS);
                    acc.days_late += i64::from(late);
                }
            }
            for &(due, open_minor) in &history.open {
                acc.receivables += open_minor;
                if open_minor > 0 && (handed_off || due < long_ago) {
                    acc.lost += open_minor;
                }
            }
        }
    }
    let mut rows: Vec<RiskGroupRow> = groups
        .into_iter()
        .map(|(key, (name, acc))| acc.row(key, name))
        .collect();
    if by != GroupBy::Industry {
        rows.sort_by_key(|r| std::cmp::Reverse(r.revenue_12m.minor));
    }
    Ok(RiskGroupsReport {
        as_of,
        by: by.as_str(),
        rows,
        total: total.row(
            "total".into(),
            if nl { "Totaal" } else { "Total" }.to_string(),
        ),
        model: model.as_ref().map(ModelInfo::of),
    })
}

/// Whether any segment rule looks at the risk class.
pub fn segments_use_risk(config: &Config) -> bool {
    config
        .segments
        .iter()
        .any(|s| s.when.iter().any(|w| !w.risk_classes.is_empty()))
}

/// Every customer's facts on `as_of` as the segments are assigned from
/// them: with risk classes when a segment looks at them.
pub fn segment_snapshot(
    tx: &mut dyn ReadTx,
    config: &Config,
    as_of: Date,
) -> Result<crate::facts::Snapshot> {
    Ok(classified_snapshot(tx, config, as_of, segments_use_risk(config))?.0)
}

/// Every customer's facts on `as_of` (see [`crate::facts::snapshot`]),
/// with their risk class filled in when `classes` is asked for and a model
/// is trained, and that model. The ledger is read once for both: the
/// dunning plan and the web app's book used to read it a second time for
/// the risk histories (2.4 s of a million rows on PostgreSQL).
pub fn classified_snapshot(
    tx: &mut dyn ReadTx,
    config: &Config,
    as_of: Date,
    classes_wanted: bool,
) -> Result<(crate::facts::Snapshot, Option<LoadedModel>)> {
    let model = match classes_wanted {
        true => load_model(tx)?,
        false => None,
    };
    let Some(model) = model else {
        return Ok((crate::facts::snapshot(tx, as_of)?, None));
    };
    let mut histories: Vec<CustomerHistory> = Vec::new();
    let mut snapshot = crate::facts::snapshot_visiting(tx, as_of, &mut |idx, row| {
        if idx >= histories.len() {
            histories.resize_with(idx + 1, CustomerHistory::default);
        }
        histories[idx].add_row(row);
    })?;
    histories.resize_with(snapshot.customers.len(), CustomerHistory::default);
    add_agreements(tx, &|c| snapshot.position(c), &mut histories, as_of)?;
    let ratings = rating_views(tx, &config.risk, as_of)?;
    let found = classes(
        Some(&model),
        &config.risk,
        &snapshot.customers,
        &histories,
        &ratings,
        as_of,
    );
    for (facts, class) in snapshot.facts.iter_mut().zip(found) {
        facts.risk_class = class;
    }
    Ok((snapshot, Some(model)))
}

/// One customer's risk class on `as_of` (None without a model).
pub fn customer_class(
    tx: &mut dyn ReadTx,
    config: &Config,
    customer: &tegoed_store::StoredCustomer,
    rows: &[LedgerRow],
    as_of: Date,
) -> Result<Option<char>> {
    let Some(model) = load_model(tx)? else {
        return Ok(None);
    };
    let scored = score_customer(
        tx,
        config,
        Some(&model),
        customer,
        rows,
        as_of,
        None,
        Language::En,
    )?;
    Ok(scored.score.class)
}
