//! Explainable risk: the chance that a customer's next invoice is paid more
//! than N days late (or not at all), from their own payment behaviour.
//!
//! An invoice's features use only what was known on its issue date: invoices
//! settled before that day, invoices overdue on that day, disputes opened and
//! promises broken before it. The model is a logistic regression over
//! standardized features, fitted with Newton's method and a small ridge
//! penalty, so every prediction splits into per-feature contributions —
//! the reason codes.

use crate::Date;
use crate::customer::Language;

/// The features, in model order.
pub const FEATURES: [&str; 13] = [
    "avg_days_late",
    "max_days_late",
    "share_late",
    "trend_days",
    "overdue_now_days",
    "overdue_share",
    "no_history",
    "tenure_years",
    "log_amount",
    "industry_late_rate",
    "disputes_12m",
    "broken_promises_12m",
    "consumer",
];
pub const N_FEATURES: usize = FEATURES.len();

/// Days after the due date that count as "paid late" for `share_late`.
pub const LATE_SHARE_DAYS: i32 = 7;
/// Day figures are capped here, so one ancient invoice does not dominate.
const DAY_CAP: i32 = 365;

/// One invoice of a customer (credit notes left out), with the day its last
/// money arrived when it is fully settled.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Doc {
    pub issue: Date,
    pub due: Date,
    pub amount_minor: i64,
    pub settled: Option<Date>,
}

/// What else is known about the customer, with dates.
#[derive(Clone, Debug, Default)]
pub struct History<'a> {
    pub docs: &'a [Doc],
    /// Days disputes were opened.
    pub disputes: &'a [Date],
    /// Days promises were broken.
    pub broken_promises: &'a [Date],
    pub consumer: bool,
    /// The share of invoices paid late in the customer's industry.
    pub industry_late_rate: f64,
}

pub type Features = [f64; N_FEATURES];

/// The features of an invoice of `amount_minor` issued on `t`.
pub fn features_at(history: &History<'_>, t: Date, amount_minor: i64) -> Features {
    let year_ago = t.add_years(-1);
    let mut settled: Vec<(Date, i32)> = Vec::new();
    let mut first_issue: Option<Date> = None;
    let mut overdue_days = 0;
    let mut overdue_minor = 0i64;
    let mut revenue_minor = 0i64;
    for doc in history.docs {
        if doc.issue >= t {
            continue;
        }
        first_issue = Some(first_issue.map_or(doc.issue, |d| d.min(doc.issue)));
        if doc.issue >= year_ago {
            revenue_minor += doc.amount_minor;
        }
        match doc.settled {
            Some(s) if s < t => {
                if s >= year_ago {
                    settled.push((s, doc.due.days_until(s).clamp(0, DAY_CAP)));
                }
            }
            _ => {
                if doc.due < t {
                    overdue_days = overdue_days.max(doc.due.days_until(t).min(DAY_CAP));
                    overdue_minor += doc.amount_minor;
                }
            }
        }
    }
    let n = settled.len();
    let (avg, max, share, trend) = if n == 0 {
        (0.0, 0.0, 0.0, 0.0)
    } else {
        let total: i64 = settled.iter().map(|s| i64::from(s.1)).sum();
        let max = settled.iter().map(|s| s.1).max().unwrap_or(0);
        let late = settled.iter().filter(|s| s.1 > LATE_SHARE_DAYS).count();
        let trend = if n >= 6 {
            settled.sort_unstable();
            let mean = |part: &[(Date, i32)]| {
                part.iter().map(|s| f64::from(s.1)).sum::<f64>() / part.len() as f64
            };
            mean(&settled[n - 3..]) - mean(&settled[n - 6..n - 3])
        } else {
            0.0
        };
        (
            total as f64 / n as f64,
            f64::from(max),
            late as f64 / n as f64,
            trend,
        )
    };
    let count_since = |dates: &[Date]| dates.iter().filter(|d| **d < t && **d >= year_ago).count();
    let overdue_share = if overdue_minor > 0 {
        overdue_minor as f64 / (revenue_minor.max(overdue_minor)) as f64
    } else {
        0.0
    };
    [
        avg,
        max,
        share,
        trend,
        f64::from(overdue_days),
        overdue_share,
        if n == 0 { 1.0 } else { 0.0 },
        first_issue.map_or(0.0, |d| f64::from(d.days_until(t)) / 365.0),
        ((amount_minor.max(100)) as f64 / 100.0).ln(),
        history.industry_late_rate,
        count_since(history.disputes) as f64,
        count_since(history.broken_promises) as f64,
        if history.consumer { 1.0 } else { 0.0 },
    ]
}

/// Whether an invoice was paid more than `late_days` late (or not at all),
/// as far as can be told on `known_on`: `None` while it cannot be told yet.
pub fn late_label(doc: &Doc, late_days: i32, known_on: Date) -> Option<bool> {
    let deadline = doc.due.add_days(late_days);
    if deadline >= known_on {
        return None;
    }
    Some(doc.settled.is_none_or(|s| s > deadline))
}

/// A fitted model: standardization and coefficients.
#[derive(Clone, Debug, PartialEq)]
pub struct Model {
    pub means: Features,
    pub scales: Features,
    pub intercept: f64,
    pub weights: Features,
}

impl Model {
    fn standardize(&self, x: &Features) -> Features {
        let mut z = [0.0; N_FEATURES];
        for k in 0..N_FEATURES {
            z[k] = (x[k] - self.means[k]) / self.scales[k];
        }
        z
    }

    pub fn probability(&self, x: &Features) -> f64 {
        let z = self.standardize(x);
        let score = self.intercept + z.iter().zip(&self.weights).map(|(a, b)| a * b).sum::<f64>();
        sigmoid(score)
    }

    /// Each feature's push on the log-odds, against an average invoice.
    pub fn contributions(&self, x: &Features) -> Features {
        let z = self.standardize(x);
        let mut c = [0.0; N_FEATURES];
        for k in 0..N_FEATURES {
            c[k] = z[k] * self.weights[k];
        }
        c
    }
}

fn sigmoid(x: f64) -> f64 {
    if x >= 0.0 {
        1.0 / (1.0 + (-x).exp())
    } else {
        let e = x.exp();
        e / (1.0 + e)
    }
}

/// Why a model could not be fitted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FitError {
    TooFewRows(usize),
    OneClass { late: bool },
}

impl std::fmt::Display for FitError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FitError::TooFewRows(n) => write!(
                f,
                "only {n} invoices to learn from before the cut-off (at least 50 are needed)"
            ),
            FitError::OneClass { late } => write!(
                f,
                "every invoice before the cut-off was paid {}; there is nothing to learn",
                if *late { "late" } else { "on time" }
            ),
        }
    }
}

// Matrix code reads best with indices.
#[allow(clippy::needless_range_loop)]
/// Fits a logistic regression with a ridge penalty `lambda` (on the
/// standardized weights, not the intercept) by Newton's method.
pub fn fit(rows: &[Features], labels: &[bool], lambda: f64) -> Result<Model, FitError> {
    let n = rows.len();
    if n < 50 {
        return Err(FitError::TooFewRows(n));
    }
    let positives = labels.iter().filter(|l| **l).count();
    if positives == 0 || positives == n {
        return Err(FitError::OneClass {
            late: positives == n,
        });
    }
    let mut means = [0.0; N_FEATURES];
    for x in rows {
        for k in 0..N_FEATURES {
            means[k] += x[k];
        }
    }
    for m in &mut means {
        *m /= n as f64;
    }
    let mut scales = [0.0; N_FEATURES];
    for x in rows {
        for k in 0..N_FEATURES {
            scales[k] += (x[k] - means[k]).powi(2);
        }
    }
    for s in &mut scales {
        *s = (*s / n as f64).sqrt();
        if *s < 1e-9 {
            *s = 1.0;
        }
    }
    let mut model = Model {
        means,
        scales,
        intercept: (positives as f64 / (n - positives) as f64).ln(),
        weights: [0.0; N_FEATURES],
    };
    const D: usize = N_FEATURES + 1;
    let z: Vec<Features> = rows.iter().map(|x| model.standardize(x)).collect();
    for _ in 0..50 {
        let mut grad = [0.0; D];
        let mut hess = [[0.0; D]; D];
        for (x, &y) in z.iter().zip(labels) {
            let mut v = [1.0; D];
            v[1..].copy_from_slice(x);
            let s = model.intercept
                + x.iter()
                    .zip(&model.weights)
                    .map(|(a, b)| a * b)
                    .sum::<f64>();
            let p = sigmoid(s);
            let r = p - if y { 1.0 } else { 0.0 };
            let w = (p * (1.0 - p)).max(1e-12);
            for i in 0..D {
                grad[i] += r * v[i];
                let wv = w * v[i];
                for j in i..D {
                    hess[i][j] += wv * v[j];
                }
            }
        }
        for i in 0..D {
            for j in 0..i {
                hess[i][j] = hess[j][i];
            }
        }
        for k in 1..D {
            grad[k] += lambda * model.weights[k - 1];
            hess[k][k] += lambda;
        }
        let Some(step) = solve(hess, grad) else {
            break;
        };
        model.intercept -= step[0];
        let mut biggest = step[0].abs();
        for k in 1..D {
            model.weights[k - 1] -= step[k];
            biggest = biggest.max(step[k].abs());
        }
        if biggest < 1e-8 {
            break;
        }
    }
    Ok(model)
}

/// Solves `a x = b` by Gaussian elimination with partial pivoting.
#[allow(clippy::needless_range_loop)]
fn solve<const D: usize>(mut a: [[f64; D]; D], mut b: [f64; D]) -> Option<[f64; D]> {
    for col in 0..D {
        let pivot = (col..D).max_by(|&i, &j| a[i][col].abs().total_cmp(&a[j][col].abs()))?;
        if a[pivot][col].abs() < 1e-12 {
            return None;
        }
        a.swap(col, pivot);
        b.swap(col, pivot);
        for row in col + 1..D {
            let f = a[row][col] / a[col][col];
            for k in col..D {
                a[row][k] -= f * a[col][k];
            }
            b[row] -= f * b[col];
        }
    }
    let mut x = [0.0; D];
    for row in (0..D).rev() {
        let mut s = b[row];
        for k in row + 1..D {
            s -= a[row][k] * x[k];
        }
        x[row] = s / a[row][row];
    }
    Some(x)
}

/// Area under the ROC curve (the chance a late invoice scores above an
/// on-time one; ties count half). `None` without both classes.
pub fn auc(scores: &[f64], labels: &[bool]) -> Option<f64> {
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_by(|&a, &b| scores[a].total_cmp(&scores[b]));
    let positives = labels.iter().filter(|l| **l).count() as f64;
    let negatives = labels.len() as f64 - positives;
    if positives == 0.0 || negatives == 0.0 {
        return None;
    }
    // Rank sum of the positives, with average ranks for ties.
    let mut rank_sum = 0.0;
    let mut i = 0;
    while i < order.len() {
        let mut j = i;
        while j + 1 < order.len() && scores[order[j + 1]] == scores[order[i]] {
            j += 1;
        }
        let rank = (i + j) as f64 / 2.0 + 1.0;
        for &k in &order[i..=j] {
            if labels[k] {
                rank_sum += rank;
            }
        }
        i = j + 1;
    }
    Some((rank_sum - positives * (positives + 1.0) / 2.0) / (positives * negatives))
}

/// Mean squared difference between probability and outcome.
pub fn brier(scores: &[f64], labels: &[bool]) -> f64 {
    if scores.is_empty() {
        return 0.0;
    }
    scores
        .iter()
        .zip(labels)
        .map(|(p, &y)| (p - if y { 1.0 } else { 0.0 }).powi(2))
        .sum::<f64>()
        / scores.len() as f64
}

/// One row of a calibration table: invoices whose predicted probability
/// fell in `from..to`, the mean prediction and the share actually late.
#[derive(Clone, Debug, PartialEq)]
pub struct CalibrationBin {
    pub from: f64,
    pub to: f64,
    pub n: usize,
    pub predicted: f64,
    pub observed: f64,
}

/// Calibration over `bins` groups of (nearly) equal size, lowest first.
pub fn calibration(scores: &[f64], labels: &[bool], bins: usize) -> Vec<CalibrationBin> {
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_by(|&a, &b| scores[a].total_cmp(&scores[b]));
    let n = order.len();
    let bins = bins.max(1).min(n.max(1));
    (0..bins)
        .filter_map(|b| {
            let part = &order[b * n / bins..(b + 1) * n / bins];
            if part.is_empty() {
                return None;
            }
            let predicted = part.iter().map(|&i| scores[i]).sum::<f64>() / part.len() as f64;
            let observed = part.iter().filter(|&&i| labels[i]).count() as f64 / part.len() as f64;
            Some(CalibrationBin {
                from: scores[part[0]],
                to: scores[part[part.len() - 1]],
                n: part.len(),
                predicted,
                observed,
            })
        })
        .collect()
}

/// Upper probability bounds of classes A to D; above the last is E.
pub const DEFAULT_CLASS_BOUNDS: [f64; 4] = [0.05, 0.12, 0.25, 0.45];

/// The risk class (A lowest) of a probability.
pub fn class_of(probability: f64, bounds: &[f64; 4]) -> char {
    for (i, bound) in bounds.iter().enumerate() {
        if probability < *bound {
            return (b'A' + i as u8) as char;
        }
    }
    'E'
}

/// A reason code: a feature that raises the risk, in words.
#[derive(Clone, Debug, PartialEq)]
pub struct Reason {
    pub code: &'static str,
    pub contribution: f64,
    pub text: String,
}

/// The features that push the probability up the most (at most `max`,
/// each adding at least 0.05 to the log-odds), in words.
pub fn reasons(model: &Model, x: &Features, language: Language, max: usize) -> Vec<Reason> {
    let contributions = model.contributions(x);
    let mut order: Vec<usize> = (0..N_FEATURES)
        .filter(|&k| contributions[k] > 0.05 && describable(k, x, model.means[k]))
        .collect();
    order.sort_by(|&a, &b| contributions[b].total_cmp(&contributions[a]));
    order
        .into_iter()
        .take(max)
        .map(|k| Reason {
            code: FEATURES[k],
            contribution: contributions[k],
            text: describe(k, x, language),
        })
        .collect()
}

/// A feature is a reason only when its value points the way its words do:
/// more lateness, disputes or size than the average invoice, or a shorter
/// tenure. (When a fitted weight runs the other way, a positive contribution
/// would otherwise read as "pays 2 days late" for a prompt payer.)
fn describable(k: usize, x: &Features, mean: f64) -> bool {
    match FEATURES[k] {
        "tenure_years" => x[k] < mean,
        _ => x[k] > 0.0 && x[k] > mean,
    }
}

/// Whole euros as people write them: `€ 12.493` / `€ 12,493`.
fn whole_euros(euros: f64, language: Language) -> String {
    let minor = if euros.is_finite() && euros.abs() < 1e15 {
        euros.round() as i64 * 100
    } else {
        0
    };
    let text = crate::Money::eur(minor).display_in(language);
    text.strip_suffix(",00")
        .or_else(|| text.strip_suffix(".00"))
        .unwrap_or(&text)
        .to_string()
}

fn describe(k: usize, x: &Features, language: Language) -> String {
    let v = x[k];
    let nl = language == Language::Nl;
    let pct = (v * 100.0).round();
    let days = v.round();
    match (FEATURES[k], nl) {
        ("avg_days_late", true) => format!("betaalt gemiddeld {days} dagen te laat"),
        ("avg_days_late", false) => format!("pays {days} days late on average"),
        ("max_days_late", true) => format!("betaalde dit jaar een factuur {days} dagen te laat"),
        ("max_days_late", false) => format!("paid an invoice {days} days late this year"),
        ("share_late", true) => format!("{pct}% van de facturen te laat betaald"),
        ("share_late", false) => format!("{pct}% of invoices paid late"),
        ("trend_days", true) => format!("betaalt later dan voorheen (+{days} dagen)"),
        ("trend_days", false) => format!("paying later than before (+{days} days)"),
        ("overdue_now_days", true) => {
            format!("er staat nu een factuur {days} dagen open na de vervaldatum")
        }
        ("overdue_now_days", false) => format!("an invoice is {days} days overdue now"),
        ("overdue_share", true) => format!("{pct}% van de omzet staat over de vervaldatum open"),
        ("overdue_share", false) => format!("{pct}% of revenue is overdue"),
        ("no_history", true) => "nog geen betaalgeschiedenis".to_string(),
        ("no_history", false) => "no payment history yet".to_string(),
        ("tenure_years", true) if v <= 0.0 => "nieuwe klant".to_string(),
        ("tenure_years", false) if v <= 0.0 => "a new customer".to_string(),
        ("tenure_years", true) => format!("pas {} dagen klant", (v * 365.0).round()),
        ("tenure_years", false) => format!("a customer for only {} days", (v * 365.0).round()),
        ("log_amount", true) => format!("grote factuur ({})", whole_euros(v.exp(), language)),
        ("log_amount", false) => format!("a large invoice ({})", whole_euros(v.exp(), language)),
        ("industry_late_rate", true) => format!("branche met veel late betalers ({pct}% te laat)"),
        ("industry_late_rate", false) => format!("an industry with many late payers ({pct}% late)"),
        ("disputes_12m", true) => format!("{days} geschil(len) dit jaar"),
        ("disputes_12m", false) => format!("{days} dispute(s) this year"),
        ("broken_promises_12m", true) => format!("{days} niet nagekomen betaalbelofte(n) dit jaar"),
        ("broken_promises_12m", false) => format!("{days} broken promise(s) to pay this year"),
        ("consumer", true) => "consument".to_string(),
        (_, _) => "consumer".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tenure_reads_as_a_new_customer_before_the_first_day() {
        let tenure = FEATURES.iter().position(|f| *f == "tenure_years").unwrap();
        let mut x: Features = [0.0; N_FEATURES];
        assert_eq!(describe(tenure, &x, Language::Nl), "nieuwe klant");
        assert_eq!(describe(tenure, &x, Language::En), "a new customer");
        x[tenure] = 40.0 / 365.0;
        assert_eq!(describe(tenure, &x, Language::Nl), "pas 40 dagen klant");
    }

    fn d(s: &str) -> Date {
        Date::parse_iso(s).unwrap()
    }

    fn doc(issue: &str, due: &str, settled: Option<&str>) -> Doc {
        Doc {
            issue: d(issue),
            due: d(due),
            amount_minor: 100_000,
            settled: settled.map(d),
        }
    }

    #[test]
    fn features_use_only_what_was_known_on_the_issue_date() {
        let docs = [
            doc("2026-01-01", "2026-01-31", Some("2026-03-02")), // 30 days late
            doc("2026-02-01", "2026-03-03", Some("2026-03-03")), // on time
            doc("2026-03-01", "2026-03-31", Some("2026-06-30")), // settled later
        ];
        let h = History {
            docs: &docs,
            industry_late_rate: 0.2,
            ..History::default()
        };
        let x = features_at(&h, d("2026-04-15"), 50_000);
        assert_eq!(x[0], 15.0, "average of 30 and 0");
        assert_eq!(x[1], 30.0);
        assert_eq!(x[2], 0.5);
        assert_eq!(
            x[4], 15.0,
            "the March invoice is 15 days overdue on 15 April"
        );
        assert_eq!(x[6], 0.0);
        // On the first invoice's issue date nothing was known yet.
        let first = features_at(&h, d("2026-01-01"), 50_000);
        assert_eq!(first[6], 1.0);
        assert_eq!(first[0], 0.0);
        assert_eq!(first[7], 0.0);
    }

    #[test]
    fn labels_wait_until_they_can_be_told() {
        let late = doc("2026-01-01", "2026-01-31", Some("2026-03-15"));
        assert_eq!(late_label(&late, 30, d("2026-03-01")), None);
        assert_eq!(late_label(&late, 30, d("2026-03-05")), Some(true));
        let paid = doc("2026-01-01", "2026-01-31", Some("2026-02-20"));
        assert_eq!(late_label(&paid, 30, d("2026-06-01")), Some(false));
        let unpaid = doc("2026-01-01", "2026-01-31", None);
        assert_eq!(late_label(&unpaid, 30, d("2026-06-01")), Some(true));
    }

    #[test]
    fn auc_brier_and_calibration() {
        assert_eq!(
            auc(&[0.1, 0.2, 0.8, 0.9], &[false, false, true, true]),
            Some(1.0)
        );
        assert_eq!(auc(&[0.5, 0.5], &[false, true]), Some(0.5));
        assert_eq!(auc(&[0.9, 0.1], &[false, true]), Some(0.0));
        assert_eq!(auc(&[0.2], &[true]), None);
        assert!((brier(&[1.0, 0.0, 0.5], &[true, false, true]) - 0.25 / 3.0).abs() < 1e-12);
        let bins = calibration(&[0.1, 0.2, 0.3, 0.4], &[false, false, true, true], 2);
        assert_eq!(bins.len(), 2);
        assert_eq!(bins[0].n, 2);
        assert!((bins[0].predicted - 0.15).abs() < 1e-12);
        assert_eq!(bins[1].observed, 1.0);
    }

    #[test]
    fn fit_learns_a_signal_and_explains_it() {
        // Lateness drives the outcome; tenure is noise.
        let mut rows = Vec::new();
        let mut labels = Vec::new();
        let mut seed = 7u64;
        for i in 0..2000 {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let noise = (seed >> 33) as f64 / (1u64 << 31) as f64;
            let unrelated = ((seed >> 11) & 0xFFFF) as f64 / 65_536.0;
            let late = (i % 50) as f64;
            let mut x = [0.0; N_FEATURES];
            x[0] = late;
            x[7] = unrelated * 3.0;
            rows.push(x);
            labels.push(late + noise * 20.0 > 35.0);
        }
        let model = fit(&rows, &labels, 1.0).unwrap();
        assert!(model.weights[0] > 1.0, "{:?}", model.weights);
        assert!(model.weights[7].abs() < model.weights[0] / 5.0);
        let scores: Vec<f64> = rows.iter().map(|x| model.probability(x)).collect();
        assert!(auc(&scores, &labels).unwrap() > 0.95);
        let mut bad = [0.0; N_FEATURES];
        bad[0] = 45.0;
        let reasons = reasons(&model, &bad, Language::En, 3);
        assert_eq!(reasons[0].code, "avg_days_late");
        assert_eq!(reasons[0].text, "pays 45 days late on average");
        assert_eq!(
            class_of(model.probability(&bad), &DEFAULT_CLASS_BOUNDS),
            'E'
        );
    }

    #[test]
    fn fit_refuses_what_cannot_be_learned() {
        let rows = vec![[0.0; N_FEATURES]; 10];
        assert_eq!(fit(&rows, &[false; 10], 1.0), Err(FitError::TooFewRows(10)));
        let rows = vec![[0.0; N_FEATURES]; 60];
        assert_eq!(
            fit(&rows, &[true; 60], 1.0),
            Err(FitError::OneClass { late: true })
        );
    }

    #[test]
    fn classes_follow_the_bounds() {
        let b = DEFAULT_CLASS_BOUNDS;
        assert_eq!(class_of(0.0, &b), 'A');
        assert_eq!(class_of(0.05, &b), 'B', "a bound belongs to the next class");
        assert_eq!(class_of(0.2, &b), 'C');
        assert_eq!(class_of(0.3, &b), 'D');
        assert_eq!(class_of(0.9, &b), 'E');
    }
}
