//! The joint sales/credit meeting: the pack that prepares it (per account
//! manager open and overdue, DSO per month, the paid-on-time scoreboard and
//! the cost of late payment, credit holds and hand-offs, open disputes with
//! their age, pause requests and how they were decided, appreciation given,
//! the customers to discuss, the risk groups per industry, what changed
//! since the previous period, and last time's decisions with whether they
//! were done) — as JSON, a self-contained HTML file and a PDF — and the
//! decisions taken at it (a task for the owner and a timeline line).

use crate::audit::Detail;
use crate::refusal::{Needed, Refusal};
use rustc_hash::FxHashMap;
use serde::Serialize;
use tegoed_core::scoreboard::Period;
use tegoed_core::{Currency, CustomerId, Date, Language, Money};
use tegoed_store::{ReadTx, StoredTask, Task, TimelineEvent, WriteTx};

use crate::access::{Action, Actor};
use crate::config::Config;
use crate::format::{money, percent, short_date};
use crate::reports::{self, AgingGroup};
use crate::{AppError, Result, appreciation, risk, scoreboard};

/// The customers to discuss.
const DISCUSS: usize = 10;

#[derive(Debug, Clone, Serialize)]
pub struct PeriodOut {
    /// `2026-Q4`: the period as a code (links, file names, `--period`).
    pub label: String,
    /// The period in words of the pack's language: `4e kwartaal 2026`,
    /// `november 2026`, `Q4 2026`.
    pub name: String,
    #[serde(serialize_with = "crate::ser::date")]
    pub from: Date,
    #[serde(serialize_with = "crate::ser::date")]
    pub to: Date,
}

#[derive(Debug, Clone, Serialize)]
pub struct ManagerOut {
    pub account_manager: String,
    /// Decimal strings, euros.
    pub open: String,
    pub overdue: String,
    #[serde(skip)]
    pub open_minor: i64,
    #[serde(skip)]
    pub overdue_minor: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct DsoPoint {
    #[serde(serialize_with = "crate::ser::date")]
    pub date: Date,
    pub countback: Option<f64>,
    pub simple: Option<f64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct CustomerOut {
    pub customer: String,
    pub name: String,
    pub account_manager: Option<String>,
    /// Since when (credit hold) or on which day (hand-off).
    #[serde(serialize_with = "crate::ser::opt_date")]
    pub since: Option<Date>,
    pub open: String,
    pub overdue: String,
    /// Why it is on the list, in the pack's language.
    pub reason: String,
    #[serde(skip)]
    pub overdue_minor: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct DisputeOut {
    pub customer: String,
    pub name: String,
    pub invoice: String,
    #[serde(serialize_with = "crate::ser::date")]
    pub opened_on: Date,
    pub age_days: i32,
    pub reason: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct DiscussOut {
    pub customer: String,
    pub name: String,
    pub account_manager: Option<String>,
    pub overdue: String,
    pub max_days_overdue: i32,
    pub risk_class: Option<String>,
    /// Overdue × the risk class weight (core `priority`), in minor units.
    pub priority: i64,
    pub reason: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Change {
    pub before: Option<f64>,
    pub now: Option<f64>,
}

/// An amount then and now, as decimal strings (euros).
#[derive(Debug, Clone, Serialize)]
pub struct MoneyChange {
    pub before: String,
    pub now: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Changes {
    /// Decimal strings in euros; DSO in days; share on time 0–1.
    pub open: MoneyChange,
    pub overdue: MoneyChange,
    pub dso: Change,
    pub share_on_time: Change,
}

#[derive(Debug, Clone, Serialize)]
pub struct AppreciationOut {
    pub thank_yous: u64,
    pub gifts: Vec<appreciation::GiftLine>,
    pub gifts_value: String,
}

/// A decision taken at a meeting.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct DecisionLine {
    pub id: i64,
    pub customer: String,
    pub name: String,
    pub text: String,
    pub owner: Option<String>,
    #[serde(serialize_with = "crate::ser::date")]
    pub made_on: Date,
    #[serde(serialize_with = "crate::ser::date")]
    pub due_on: Date,
    #[serde(serialize_with = "crate::ser::opt_date")]
    pub done_on: Option<Date>,
    pub outcome: Option<String>,
    pub done: bool,
}

/// The meeting pack.
#[derive(Debug, Clone, Serialize)]
pub struct MeetingPack {
    #[serde(serialize_with = "crate::ser::date")]
    pub as_of: Date,
    pub lang: &'static str,
    pub period: PeriodOut,
    pub previous: PeriodOut,
    pub account_managers: Vec<ManagerOut>,
    /// The last 12 month-ends and the day of the pack.
    pub dso: Vec<DsoPoint>,
    pub scoreboard: scoreboard::PaidOnTime,
    pub credit_hold: Vec<CustomerOut>,
    pub handed_off: Vec<CustomerOut>,
    pub disputes: Vec<DisputeOut>,
    pub pause_requests: Vec<crate::access::PauseRequestLine>,
    pub appreciation: AppreciationOut,
    pub discuss: Vec<DiscussOut>,
    pub risk_groups: Vec<risk::RiskGroupRow>,
    /// The KPIs of the period's months, as `tegoed report kpi` gives them.
    pub kpi: Vec<crate::kpi::KpiMonth>,
    pub changes: Changes,
    /// Decisions since the previous period began, and older ones still
    /// open.
    pub decisions: Vec<DecisionLine>,
    /// Who did the policy quiz in the period, and how well.
    pub training: Vec<crate::quiz::Score>,
}

/// The period in words: a month by name, a quarter, or a year.
fn name_of(period: Period, language: Language) -> String {
    let (y, m, _) = period.from.ymd();
    let months = period.from.days_until(period.to) / 28;
    match (months, language) {
        (0..=1, _) => crate::format::month(y, m, language),
        (2..=4, Language::Nl) => format!("{}e kwartaal {y}", (m - 1) / 3 + 1),
        (2..=4, Language::En) => format!("Q{} {y}", (m - 1) / 3 + 1),
        _ => y.to_string(),
    }
}

/// The last `count` quarters up to the one `as_of` is in, newest first:
/// each as its code (`2026-Q4`, for `--period` and links) and its name in
/// `language` (`4e kwartaal 2026`).
pub fn recent_quarters(as_of: Date, count: usize, language: Language) -> Vec<(String, String)> {
    let mut quarters = Vec::with_capacity(count);
    let (mut from, _) = tegoed_core::appreciation::quarter_of(as_of);
    for _ in 0..count {
        let (_, to) = tegoed_core::appreciation::quarter_of(from);
        let quarter = Period { from, to };
        quarters.push((label_of(quarter), name_of(quarter, language)));
        from = from.add_months(-3);
    }
    quarters
}

/// A KPI month (`2026-10`) in words of `language` (`oktober 2026`).
fn month_name_of(month: &str, language: Language) -> String {
    match year_month(month) {
        Some((y, m)) => crate::format::month(y, m, language),
        None => month.to_string(),
    }
}

/// A KPI month in short words (`okt 2026`), for a narrow column.
fn month_short_of(month: &str, language: Language) -> String {
    match year_month(month) {
        Some((y, m)) => format!("{} {y}", crate::format::month_short(m, language)),
        None => month.to_string(),
    }
}

fn year_month(month: &str) -> Option<(i32, u32)> {
    let (y, m) = month.split_once('-')?;
    Some((y.parse().ok()?, m.parse().ok()?))
}

fn label_of(period: Period) -> String {
    let (y, m, _) = period.from.ymd();
    let months = period.from.days_until(period.to) / 28;
    match months {
        0..=1 => format!("{y}-{m:02}"),
        2..=4 => format!("{y}-Q{}", (m - 1) / 3 + 1),
        _ => format!("{y}"),
    }
}

/// The period of `text` (`2026Q4`, `2026-Q4`, `2026-11`, `2026`), or the
/// quarter `as_of` is in; and the period of the same length before it.
pub fn periods(text: Option<&str>, as_of: Date) -> Result<(Period, Period)> {
    let period = match text {
        Some(t) => Period::parse(t).ok_or_else(|| {
            AppError::Invalid(format!(
                "--period '{t}': a quarter (2026Q4), a month (2026-11) or a year (2026)"
            ))
        })?,
        None => {
            let (from, to) = tegoed_core::appreciation::quarter_of(as_of);
            Period { from, to }
        }
    };
    let months = {
        let (fy, fm, _) = period.from.ymd();
        let (ty, tm, _) = period.to.ymd();
        (ty - fy) * 12 + tm as i32 - fm as i32 + 1
    };
    let from = period.from.add_months(-months);
    let previous = Period {
        from,
        to: period.from.add_days(-1),
    };
    Ok((period, previous))
}

fn decimal(minor: i64) -> String {
    Money::eur(minor).to_decimal_string()
}

/// Gathers the pack for `period` on `as_of`, in `language`.
pub fn pack(
    tx: &mut dyn ReadTx,
    config: &Config,
    as_of: Date,
    period_text: Option<&str>,
    language: Language,
) -> Result<MeetingPack> {
    let (period, previous) = periods(period_text, as_of)?;
    if period.from > as_of {
        return Err(AppError::Invalid(format!(
            "--period {}: it starts after today ({as_of})",
            label_of(period)
        )));
    }
    let nl = language == Language::Nl;
    let end = period.to.min(as_of);

    // Per account manager: open and overdue today.
    let aging = reports::aging(tx, as_of, Currency::EUR, Some(AgingGroup::AccountManager))?;
    let account_managers = aging
        .rows
        .unwrap_or_default()
        .into_iter()
        .map(|r| ManagerOut {
            // The row of customers without one (`-`), in the pack's words.
            account_manager: if r.key == "-" || r.name.is_empty() {
                if nl {
                    "(geen accountmanager)"
                } else {
                    "(no account manager)"
                }
                .into()
            } else {
                r.name
            },
            open: r.total.to_decimal_string(),
            overdue: r.overdue.to_decimal_string(),
            open_minor: r.total.minor,
            overdue_minor: r.overdue.minor,
        })
        .collect();

    // DSO: 12 month-ends and today.
    let mut dso: Vec<DsoPoint> = reports::dso_history(tx, as_of, Currency::EUR, 12)?
        .into_iter()
        .map(|r| DsoPoint {
            date: r.as_of,
            countback: r.countback.days.map(|d| (d * 10.0).round() / 10.0),
            simple: r.simple.days.map(|d| (d * 10.0).round() / 10.0),
        })
        .collect();
    let today = reports::dso(tx, as_of, Currency::EUR, 90)?;
    dso.push(DsoPoint {
        date: as_of,
        countback: today.countback.days.map(|d| (d * 10.0).round() / 10.0),
        simple: today.simple.days.map(|d| (d * 10.0).round() / 10.0),
    });

    let board = scoreboard::paid_on_time(tx, config, as_of, period, None)?;
    let board_before = scoreboard::paid_on_time(tx, config, as_of, previous, None)?;

    // Customers: names, managers, the book of today.
    let names: FxHashMap<tegoed_core::AccountManagerId, String> = tx
        .account_managers()?
        .into_iter()
        .map(|(id, m)| (id, m.name))
        .collect();
    let book = crate::portfolio::build(tx, config, as_of)?;
    let states: FxHashMap<CustomerId, tegoed_store::CollectionState> =
        tx.collection_states()?.into_iter().collect();
    let manager_of =
        |m: Option<tegoed_core::AccountManagerId>| m.and_then(|m| names.get(&m).cloned());
    let mut credit_hold = Vec::new();
    let mut handed_off = Vec::new();
    for row in &book.rows {
        let Some(state) = states.get(&row.id) else {
            continue;
        };
        let out = |since: Option<Date>, reason: String| CustomerOut {
            customer: row.number.clone(),
            name: row.name.clone(),
            account_manager: manager_of(row.account_manager),
            since,
            open: decimal(row.open_minor),
            overdue: decimal(row.overdue_minor),
            reason,
            overdue_minor: row.overdue_minor,
        };
        if let Some(on) = state.handed_off_on {
            handed_off.push(out(
                Some(on),
                if nl {
                    "bij het incassobureau"
                } else {
                    "at the collection agency"
                }
                .into(),
            ));
        } else if let Some(since) = state.credit_hold_since {
            credit_hold.push(out(
                Some(since),
                if nl { "kredietstop" } else { "credit hold" }.into(),
            ));
        }
    }
    credit_hold.sort_by_key(|c| std::cmp::Reverse(c.overdue_minor));
    handed_off.sort_by_key(|c| std::cmp::Reverse(c.since));

    // Open disputes, oldest first.
    let directory: FxHashMap<CustomerId, (String, String)> = book
        .rows
        .iter()
        .map(|r| (r.id, (r.number.clone(), r.name.clone())))
        .collect();
    let open_disputes = tx.disputes(None, true)?;
    let mut disputes = Vec::with_capacity(open_disputes.len());
    for d in open_disputes {
        let (customer, name) = directory
            .get(&d.dispute.customer)
            .cloned()
            .unwrap_or_default();
        let invoice = tx
            .invoice(d.dispute.invoice)?
            .map(|i| i.invoice.number)
            .unwrap_or_default();
        disputes.push(DisputeOut {
            customer,
            name,
            invoice,
            opened_on: d.dispute.opened_on,
            age_days: d.dispute.opened_on.days_until(as_of),
            reason: d.dispute.reason,
        });
    }
    disputes.sort_by_key(|d| d.opened_on);

    // Pause requests made in the period, and how they were decided.
    let pause_requests: Vec<_> = crate::access::pause_requests(tx, None, false)?
        .into_iter()
        .filter(|r| period.from <= r.requested_on && r.requested_on <= end)
        .collect();

    // Appreciation given in the period.
    let thank_yous = tx
        .messages(tegoed_store::MessageFilter {
            status: Some(tegoed_store::MessageStatus::Sent),
            ..tegoed_store::MessageFilter::default()
        })?
        .into_iter()
        .filter(|m| {
            m.message.step_id == appreciation::THANK_YOU
                && period.from <= m.message.as_of
                && m.message.as_of <= end
        })
        .count() as u64;
    let gifts: Vec<appreciation::GiftLine> = appreciation::gifts(tx, None)?
        .into_iter()
        .filter(|g| g.status == "given" && period.from <= g.given_on && g.given_on <= end)
        .collect();
    let gifts_value = decimal(gifts.iter().map(|g| g.value_minor).sum());

    // The customers to discuss: overdue × risk (core `priority`), not those
    // already with the agency.
    let mut ranked: Vec<&crate::portfolio::PortfolioRow> = book
        .rows
        .iter()
        .filter(|r| r.overdue_minor > 0 && !r.handed_off)
        .collect();
    ranked.sort_by(|a, b| {
        tegoed_core::priority::priority(b.overdue_minor, b.risk_class)
            .cmp(&tegoed_core::priority::priority(
                a.overdue_minor,
                a.risk_class,
            ))
            .then(a.number.cmp(&b.number))
    });
    let discuss = ranked
        .into_iter()
        .take(DISCUSS)
        .map(|r| {
            let mut why = vec![if nl {
                format!("tot {} dagen vervallen", r.max_days_overdue)
            } else {
                format!("up to {} days overdue", r.max_days_overdue)
            }];
            match r.risk_class {
                Some(c) => why.push(if nl {
                    format!("risicoklasse {c}")
                } else {
                    format!("risk class {c}")
                }),
                None => why.push(
                    if nl {
                        "geen risicoklasse"
                    } else {
                        "no risk class"
                    }
                    .into(),
                ),
            }
            if r.on_hold {
                why.push(if nl { "kredietstop" } else { "credit hold" }.into());
            }
            if r.in_plan {
                why.push(
                    if nl {
                        "in een betalingsregeling"
                    } else {
                        "in a payment plan"
                    }
                    .into(),
                );
            }
            if r.paused {
                why.push(
                    if nl {
                        "aanmanen gepauzeerd"
                    } else {
                        "dunning paused"
                    }
                    .into(),
                );
            }
            DiscussOut {
                customer: r.number.clone(),
                name: r.name.clone(),
                account_manager: manager_of(r.account_manager),
                overdue: decimal(r.overdue_minor),
                max_days_overdue: r.max_days_overdue,
                risk_class: r.risk_class.map(|c| c.to_string()),
                priority: tegoed_core::priority::priority(r.overdue_minor, r.risk_class),
                reason: why.join(", "),
            }
        })
        .collect();

    let risk_groups = risk::risk_groups(tx, config, as_of, risk::GroupBy::Industry, language)?.rows;
    // The same figures as the KPI report, for the period's months so far.
    let (py, pm, _) = period.from.ymd();
    let (ey, em, _) = end.ymd();
    let period_months = ((ey - py) * 12 + em as i32 - pm as i32 + 1).clamp(1, 12) as u32;
    let kpi = crate::kpi::report(tx, config, end, period_months, None)?.months;

    // What changed since the end of the previous period.
    let before = reports::aging(tx, previous.to, Currency::EUR, None)?;
    let dso_before = reports::dso(tx, previous.to, Currency::EUR, 90)?;
    let round = |v: Option<f64>, places: i32| {
        let f = 10f64.powi(places);
        v.map(|v| (v * f).round() / f)
    };
    let changes = Changes {
        open: MoneyChange {
            before: before.total.to_decimal_string(),
            now: aging.total.to_decimal_string(),
        },
        overdue: MoneyChange {
            before: before.overdue.to_decimal_string(),
            now: aging.overdue.to_decimal_string(),
        },
        dso: Change {
            before: round(dso_before.countback.days, 1),
            now: round(today.countback.days, 1),
        },
        share_on_time: Change {
            before: round(board_before.total.share_on_time, 4),
            now: round(board.total.share_on_time, 4),
        },
    };

    // Decisions: since the previous period began, and older ones still open.
    let mut decisions = Vec::new();
    for t in tx.tasks(None, false)? {
        if t.task.kind != "decision" || t.task.created_on > as_of {
            continue;
        }
        if t.task.created_on < previous.from && t.done_on.is_some() {
            continue;
        }
        decisions.push(decision_line(&directory, t));
    }
    decisions.sort_by(|a, b| a.made_on.cmp(&b.made_on).then(a.id.cmp(&b.id)));
    let training = crate::quiz::scores(tx, period.from, end)?;

    Ok(MeetingPack {
        as_of,
        lang: language.as_str(),
        period: PeriodOut {
            label: label_of(period),
            name: name_of(period, language),
            from: period.from,
            to: period.to,
        },
        previous: PeriodOut {
            label: label_of(previous),
            name: name_of(previous, language),
            from: previous.from,
            to: previous.to,
        },
        account_managers,
        dso,
        scoreboard: board,
        credit_hold,
        handed_off,
        disputes,
        pause_requests,
        appreciation: AppreciationOut {
            thank_yous,
            gifts,
            gifts_value,
        },
        discuss,
        risk_groups,
        kpi,
        changes,
        decisions,
        training,
    })
}

fn decision_line(
    directory: &FxHashMap<CustomerId, (String, String)>,
    t: StoredTask,
) -> DecisionLine {
    let (customer, name) = directory.get(&t.task.customer).cloned().unwrap_or_default();
    DecisionLine {
        id: t.id,
        customer,
        name,
        text: t.task.title,
        owner: t.task.assignee,
        made_on: t.task.created_on,
        due_on: t.task.due_on,
        done_on: t.done_on,
        outcome: t.outcome,
        done: t.done_on.is_some(),
    }
}

/// Records a decision taken at the meeting about customer `number`: a task
/// for `owner` (an e-mail address or name; default the customer's account
/// manager) due on `due` (default in two weeks), and a line on the
/// timeline. Credit managers decide (the meeting's minutes-taker).
pub fn decide(
    tx: &mut dyn WriteTx,
    actor: &Actor,
    number: &str,
    text: &str,
    owner: Option<&str>,
    due: Option<Date>,
    as_of: Date,
) -> Result<DecisionLine> {
    actor.require(Action::DecidePause, None)?;
    // As typed, or in capitals (`c000290` is meant as `C000290`).
    let number = number.trim();
    let stored = match tx.customer_by_number(number)? {
        Some(found) => Some(found),
        None => tx.customer_by_number(&number.to_uppercase())?,
    }
    .ok_or_else(|| AppError::NotFound(format!("no customer with number '{number}'")))?;
    let text = text.trim();
    if text.is_empty() {
        return Err(Refusal::Missing(Needed::Decision).into());
    }
    if text.chars().count() > 2000 {
        return Err(Refusal::TooLong {
            field: "text",
            max: 2000,
            said: "--text: at most 2,000 characters",
        }
        .into());
    }
    let due_on = due.unwrap_or_else(|| as_of.add_days(14));
    if due_on < as_of {
        return Err(Refusal::DecisionDueBeforeToday {
            due: due_on,
            today: as_of,
        }
        .into());
    }
    let owner = match owner.map(str::trim).filter(|o| !o.is_empty()) {
        Some(o) if o.chars().count() > 200 => {
            return Err(Refusal::TooLong {
                field: "owner",
                max: 200,
                said: "--owner: at most 200 characters",
            }
            .into());
        }
        Some(o) => {
            // Someone who will see it: a user, or an account manager.
            let known = tx
                .user_by_email(o)?
                .map(|u| u.user.name)
                .or_else(|| crate::managers::find(tx, o).ok().map(|(_, m)| m.name));
            Some(known.ok_or_else(|| Refusal::OwnerUnknown {
                owner: o.to_string(),
            })?)
        }
        None => match stored.customer.account_manager {
            Some(m) => tx
                .account_managers()?
                .into_iter()
                .find(|(id, _)| *id == m)
                .map(|(_, m)| m.name),
            None => None,
        },
    };
    let overdue: i64 = tx
        .customer_documents(stored.id, as_of)?
        .iter()
        .filter(|d| d.invoice.due_date < as_of && d.open_minor > 0)
        .map(|d| d.open_minor)
        .sum();
    let id = tx.insert_task(&Task {
        customer: stored.id,
        message: None,
        kind: "decision".into(),
        created_on: as_of,
        due_on,
        assignee: owner.clone(),
        title: text.to_string(),
        talking_points: format!("Decided at the sales and credit meeting of {as_of}"),
        amount: Money::eur(overdue),
    })?;
    let who = owner.clone().unwrap_or_else(|| actor.id.clone());
    tx.add_event(&TimelineEvent {
        customer: stored.id,
        date: as_of,
        kind: "meeting_decision".into(),
        invoice: None,
        ref_id: Some(id),
        text: format!(
            "Decided at the sales and credit meeting: {text} ({who}, by {})",
            short_date(due_on, Language::En)
        ),
        text_nl: Some(format!(
            "Besluit van het overleg van sales en credit: {text} ({who}, uiterlijk {})",
            short_date(due_on, Language::Nl)
        )),
        author: Some(actor.id.clone()),
    })?;
    actor.audit(
        tx,
        "meeting.decide",
        &stored.customer.number,
        Detail::said(text),
    )?;
    let directory: FxHashMap<CustomerId, (String, String)> = [(
        stored.id,
        (stored.customer.number.clone(), stored.customer.name.clone()),
    )]
    .into_iter()
    .collect();
    let task = tx
        .task(id)?
        .ok_or_else(|| AppError::NotFound(format!("task {id}")))?;
    Ok(decision_line(&directory, task))
}

// --- laying it out ------------------------------------------------------------

/// The words of the pack, per language.
fn labels(language: Language) -> serde_json::Value {
    let pairs: &[(&str, &str, &str)] = &[
        (
            "title",
            "Overleg sales en credit",
            "Sales and credit meeting",
        ),
        ("period", "Periode", "Period"),
        ("previous", "vorige periode", "previous period"),
        ("as_of", "Stand per", "As of"),
        ("changes", "Wat veranderde", "What changed"),
        ("open", "Openstaand", "Open"),
        ("overdue", "Vervallen", "Overdue"),
        ("dso", "DSO (dagen)", "DSO (days)"),
        ("share_on_time", "Op tijd betaald", "Paid on time"),
        ("before", "Einde vorige periode", "End of previous period"),
        ("now", "Nu", "Now"),
        ("managers", "Per accountmanager", "Per account manager"),
        ("account_manager", "Accountmanager", "Account manager"),
        ("dso_month", "DSO per maand", "DSO per month"),
        ("kpi", "Kerncijfers per maand", "Key figures per month"),
        ("month", "Maand", "Month"),
        ("best", "Best mogelijke DSO", "Best possible DSO"),
        ("promises_kept", "Beloftes nagekomen", "Promises kept"),
        (
            "scoreboard",
            "Scorebord: op tijd betaald",
            "Scoreboard: paid on time",
        ),
        ("invoiced", "Gefactureerd", "Invoiced"),
        ("paid_late", "Te laat betaald", "Paid late"),
        ("open_overdue", "Nog open", "Still open"),
        ("written_off", "Afgeschreven", "Written off"),
        ("cost", "Kosten van laat betalen", "Cost of late payment"),
        ("extra", "Extra omzet nodig", "Extra sales needed"),
        ("discuss", "Te bespreken klanten", "Customers to discuss"),
        ("customer", "Klant", "Customer"),
        ("risk", "Risico", "Risk"),
        ("why", "Waarom", "Why"),
        (
            "hold",
            "Kredietstop en incassobureau",
            "Credit hold and collection agency",
        ),
        ("since", "Sinds", "Since"),
        ("disputes", "Open geschillen", "Open disputes"),
        ("invoice", "Factuur", "Invoice"),
        ("age", "Dagen open", "Days open"),
        ("reason", "Reden", "Reason"),
        ("pauses", "Pauzeverzoeken", "Pause requests"),
        ("requested_by", "Gevraagd door", "Requested by"),
        ("until", "Tot en met", "Until"),
        ("decision", "Besluit", "Decision"),
        ("appreciation", "Waardering gegeven", "Appreciation given"),
        ("thank_yous", "Bedankjes verstuurd", "Thank-yous sent"),
        ("gifts", "Cadeaus", "Gifts"),
        (
            "risk_groups",
            "Risicogroepen per branche",
            "Risk groups per industry",
        ),
        ("industry", "Branche", "Industry"),
        ("customers", "Klanten", "Customers"),
        ("receivables", "Openstaand", "Receivables"),
        ("late_share", "Aandeel te laat", "Share paid late"),
        (
            "decisions",
            "Besluiten en of ze zijn uitgevoerd",
            "Decisions and whether they were carried out",
        ),
        ("owner", "Wie", "Owner"),
        ("due", "Uiterlijk", "Due"),
        ("done", "Gedaan", "Done"),
        ("not_done", "Nog niet gedaan", "Not done yet"),
        ("none", "Niets te melden.", "Nothing to report."),
        (
            "no_manager",
            "(geen accountmanager)",
            "(no account manager)",
        ),
        (
            "training",
            "Wie deed de beleidsquiz",
            "Who did the policy quiz",
        ),
        ("who", "Wie", "Who"),
        ("answered", "Vragen", "Questions"),
        ("correct", "Goed", "Correct"),
        ("status", "Stand", "Status"),
        ("total", "Totaal", "Total"),
        ("cost_short", "Kosten", "Cost"),
        ("extra_short", "Omzet nodig", "Sales needed"),
        ("approved", "goedgekeurd", "approved"),
        ("rejected", "afgewezen", "refused"),
        ("pending", "wacht op besluit", "waiting for a decision"),
    ];
    let nl = language == Language::Nl;
    serde_json::Value::Object(
        pairs
            .iter()
            .map(|(key, n, e)| (key.to_string(), serde_json::json!(if nl { n } else { e })))
            .collect(),
    )
}

/// DSO per month as a bar chart (inline SVG, labelled).
fn dso_svg(points: &[DsoPoint], language: Language) -> String {
    let width = 640.0;
    let height = 200.0;
    let top = 16.0;
    let bottom = 36.0;
    let max = points
        .iter()
        .filter_map(|p| p.countback)
        .fold(10.0_f64, f64::max)
        .ceil();
    let slot = width / points.len().max(1) as f64;
    let mut out = format!(
        "<svg viewBox=\"0 0 {width} {height}\" width=\"100%\" role=\"img\" aria-label=\"DSO\" xmlns=\"http://www.w3.org/2000/svg\">"
    );
    for (i, p) in points.iter().enumerate() {
        let x = i as f64 * slot + slot * 0.15;
        let w = slot * 0.7;
        let label = if i + 1 == points.len() {
            match language {
                Language::Nl => "nu".to_string(),
                Language::En => "now".to_string(),
            }
        } else {
            let (y, m, _) = p.date.ymd();
            format!("{} {}", crate::format::month_short(m, language), y % 100)
        };
        if let Some(days) = p.countback {
            let h = (height - top - bottom) * days / max;
            let y = height - bottom - h;
            out.push_str(&format!(
                "<rect x=\"{x:.1}\" y=\"{y:.1}\" width=\"{w:.1}\" height=\"{h:.1}\" fill=\"#4a6fa5\"><title>{label}: {}</title></rect>\
                 <text x=\"{:.1}\" y=\"{:.1}\" font-size=\"10\" text-anchor=\"middle\">{}</text>",
                crate::format::number(days, 1, language),
                x + w / 2.0,
                y - 3.0,
                crate::format::number(days, 0, language)
            ));
        }
        out.push_str(&format!(
            "<text x=\"{:.1}\" y=\"{:.1}\" font-size=\"10\" text-anchor=\"middle\">{}</text>",
            x + w / 2.0,
            height - bottom + 14.0,
            html_escape(&label)
        ));
    }
    out.push_str("</svg>");
    out
}

fn html_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

const TEMPLATE: &str = include_str!("../reports/meeting.html");

/// What late payment cost in all: financing, collection and write-off.
fn cost_of(line: &scoreboard::ScoreLine) -> i64 {
    let c = &line.cost_of_late_payment;
    c.financing
        .minor
        .saturating_add(c.collection.minor)
        .saturating_add(c.written_off.minor)
}

/// The pack as HTML: the whole self-contained file (`standalone`), or the
/// part inside a page of the web app.
pub fn html(pack: &MeetingPack, standalone: bool) -> Result<String> {
    let language = Language::parse(pack.lang).unwrap_or(Language::Nl);
    let mut env = minijinja::Environment::new();
    env.set_auto_escape_callback(|_| minijinja::AutoEscape::Html);
    env.add_filter("money", move |value: minijinja::Value| -> String {
        let minor = value
            .as_str()
            .and_then(|s| tegoed_core::money::parse_amount(s, 2).ok())
            .or_else(|| i64::try_from(value.clone()).ok());
        minor.map_or(String::new(), |m| money(m, "EUR", language))
    });
    env.add_filter("date", move |value: String| -> String {
        Date::parse_iso(&value).map_or(value.clone(), |d| short_date(d, language))
    });
    env.add_filter("pct", move |value: Option<f64>| -> String {
        value.map_or("–".into(), |v| percent(v, language))
    });
    env.add_filter("month", move |value: String| -> String {
        month_name_of(&value, language)
    });
    env.add_filter(
        "num",
        move |value: Option<f64>, digits: Option<u32>| -> String {
            value.map_or("–".into(), |v| {
                crate::format::number(v, digits.unwrap_or(1) as usize, language)
            })
        },
    );
    env.add_template("meeting.html", TEMPLATE)
        .map_err(|e| AppError::Invalid(format!("meeting template: {e}")))?;
    let ctx = serde_json::json!({
        "pack": pack,
        "l": labels(language),
        "standalone": standalone,
        "chart": dso_svg(&pack.dso, language),
        "total_cost": cost_of(&pack.scoreboard.total),
        "costs": pack.scoreboard.rows.iter().map(cost_of).collect::<Vec<i64>>(),
    });
    env.get_template("meeting.html")
        .and_then(|t| t.render(ctx))
        .map_err(|e| AppError::Invalid(format!("meeting template: {e}")))
}

/// The pack as a PDF: the same sections as tables of text, for those who
/// bring paper.
pub fn pdf(pack: &MeetingPack) -> Vec<u8> {
    use tegoed_formats::pdf::{Font, PAGE_HEIGHT, PAGE_WIDTH, Pdf, text_width};
    let language = Language::parse(pack.lang).unwrap_or(Language::Nl);
    let l = labels(language);
    let t = |key: &str| l[key].as_str().unwrap_or(key).to_string();
    let m = |text: &str| {
        tegoed_core::money::parse_amount(text, 2)
            .map_or(text.to_string(), |v| money(v, "EUR", language))
    };
    let left = 40.0;
    let right = PAGE_WIDTH - 40.0;
    let mut pdf = Pdf::new(&format!("{} {}", t("title"), pack.period.name));
    pdf.page();
    let fit = |text: &str, width: f32, size: f32| -> String {
        let mut out = text.to_string();
        while !out.is_empty() && text_width(&out, Font::Regular, size) > width {
            out.pop();
        }
        if out.len() < text.len() {
            out.pop();
            out.push('…');
        }
        out
    };
    struct Sheet {
        y: f32,
    }
    let mut sheet = Sheet {
        y: PAGE_HEIGHT - 50.0,
    };
    let mut need = |pdf: &mut Pdf, sheet: &mut Sheet, height: f32| {
        if sheet.y - height < 50.0 {
            pdf.page();
            sheet.y = PAGE_HEIGHT - 50.0;
        }
    };
    let heading = |pdf: &mut Pdf,
                   sheet: &mut Sheet,
                   text: &str,
                   need: &mut dyn FnMut(&mut Pdf, &mut Sheet, f32)| {
        need(pdf, sheet, 40.0);
        sheet.y -= 10.0;
        pdf.current_page()
            .text(left, sheet.y, 12.0, Font::Bold, text);
        sheet.y -= 16.0;
    };
    // A row of cells: (x of the column, text, right-aligned).
    let row = |pdf: &mut Pdf,
               sheet: &mut Sheet,
               cells: &[(f32, f32, String, bool)],
               bold: bool,
               need: &mut dyn FnMut(&mut Pdf, &mut Sheet, f32)| {
        need(pdf, sheet, 13.0);
        let font = if bold { Font::Bold } else { Font::Regular };
        let page = pdf.current_page();
        for (x, width, text, right_aligned) in cells {
            let text = fit(text, *width - 4.0, 8.5);
            if *right_aligned {
                page.text_right(*x + *width - 4.0, sheet.y, 8.5, font, &text);
            } else {
                page.text(*x, sheet.y, 8.5, font, &text);
            }
        }
        sheet.y -= 12.0;
    };
    pdf.current_page().text(
        left,
        sheet.y,
        16.0,
        Font::Bold,
        &format!("{} — {}", t("title"), pack.period.name),
    );
    sheet.y -= 18.0;
    pdf.current_page().text(
        left,
        sheet.y,
        9.0,
        Font::Regular,
        &format!(
            "{} {} – {} · {} {}",
            t("period"),
            short_date(pack.period.from, language),
            short_date(pack.period.to, language),
            t("as_of"),
            short_date(pack.as_of, language)
        ),
    );
    sheet.y -= 10.0;
    let w = right - left;
    let col = |fractions: &[f32]| -> Vec<(f32, f32)> {
        let mut x = left;
        fractions
            .iter()
            .map(|f| {
                let out = (x, w * f);
                x += w * f;
                out
            })
            .collect()
    };
    let num = |v: Option<f64>, digits: usize| {
        v.map_or("–".to_string(), |v| {
            crate::format::number(v, digits, language)
        })
    };
    let pct = |v: Option<f64>| v.map_or("–".to_string(), |v| percent(v, language));

    heading(&mut pdf, &mut sheet, &t("changes"), &mut need);
    let c = col(&[0.4, 0.3, 0.3]);
    row(
        &mut pdf,
        &mut sheet,
        &[
            (c[0].0, c[0].1, String::new(), false),
            (c[1].0, c[1].1, t("before"), true),
            (c[2].0, c[2].1, t("now"), true),
        ],
        true,
        &mut need,
    );
    for (label, before, now) in [
        (
            t("open"),
            m(&pack.changes.open.before),
            m(&pack.changes.open.now),
        ),
        (
            t("overdue"),
            m(&pack.changes.overdue.before),
            m(&pack.changes.overdue.now),
        ),
        (
            t("dso"),
            num(pack.changes.dso.before, 1),
            num(pack.changes.dso.now, 1),
        ),
        (
            t("share_on_time"),
            pct(pack.changes.share_on_time.before),
            pct(pack.changes.share_on_time.now),
        ),
    ] {
        row(
            &mut pdf,
            &mut sheet,
            &[
                (c[0].0, c[0].1, label, false),
                (c[1].0, c[1].1, before, true),
                (c[2].0, c[2].1, now, true),
            ],
            false,
            &mut need,
        );
    }

    heading(&mut pdf, &mut sheet, &t("dso_month"), &mut need);
    need(&mut pdf, &mut sheet, 90.0);
    {
        let max = pack
            .dso
            .iter()
            .filter_map(|p| p.countback)
            .fold(10.0_f64, f64::max) as f32;
        let slot = w / pack.dso.len().max(1) as f32;
        let base = sheet.y - 70.0;
        let mut rects = Vec::new();
        for (i, p) in pack.dso.iter().enumerate() {
            if let Some(days) = p.countback {
                let h = 60.0 * days as f32 / max;
                rects.push((left + i as f32 * slot + slot * 0.15, base, slot * 0.7, h));
            }
        }
        let page = pdf.current_page();
        page.fill_rects(&rects, 0.55);
        for (i, p) in pack.dso.iter().enumerate() {
            let x = left + i as f32 * slot + slot * 0.5;
            let (yy, mm, _) = p.date.ymd();
            let label = if i + 1 == pack.dso.len() {
                t("now").to_lowercase()
            } else {
                format!("{} {}", crate::format::month_short(mm, language), yy % 100)
            };
            let lw = text_width(&label, Font::Regular, 7.0);
            page.text(x - lw / 2.0, base - 10.0, 7.0, Font::Regular, &label);
            if let Some(days) = p.countback {
                let text = crate::format::number(days, 0, language);
                let tw = text_width(&text, Font::Regular, 7.0);
                page.text(
                    x - tw / 2.0,
                    base + 62.0 * days as f32 / max + 2.0,
                    7.0,
                    Font::Regular,
                    &text,
                );
            }
        }
        sheet.y = base - 22.0;
    }

    // The KPI report's figures per month, as on the page.
    heading(&mut pdf, &mut sheet, &t("kpi"), &mut need);
    let c = col(&[0.10, 0.10, 0.18, 0.10, 0.12, 0.20, 0.20]);
    let head = [
        t("month"),
        "DSO".to_string(),
        t("best"),
        "ADD".to_string(),
        "CEI".to_string(),
        t("share_on_time"),
        t("promises_kept"),
    ];
    let cells = |texts: [String; 7]| -> Vec<(f32, f32, String, bool)> {
        texts
            .into_iter()
            .enumerate()
            .map(|(i, text)| (c[i].0, c[i].1, text, i > 0))
            .collect()
    };
    row(&mut pdf, &mut sheet, &cells(head), true, &mut need);
    let share = |v: Option<f64>| v.map_or("–".to_string(), |v| format!("{}%", num(Some(v), 1)));
    for k in &pack.kpi {
        let texts = [
            month_short_of(&k.month, language),
            num(k.dso_countback, 1),
            num(k.best_possible_dso, 1),
            num(k.add, 1),
            share(k.cei),
            share(k.share_paid_on_time),
            share(k.promise_kept_rate),
        ];
        row(&mut pdf, &mut sheet, &cells(texts), false, &mut need);
    }

    heading(&mut pdf, &mut sheet, &t("managers"), &mut need);
    let c = col(&[0.5, 0.25, 0.25]);
    row(
        &mut pdf,
        &mut sheet,
        &[
            (c[0].0, c[0].1, t("account_manager"), false),
            (c[1].0, c[1].1, t("open"), true),
            (c[2].0, c[2].1, t("overdue"), true),
        ],
        true,
        &mut need,
    );
    for a in &pack.account_managers {
        row(
            &mut pdf,
            &mut sheet,
            &[
                (c[0].0, c[0].1, a.account_manager.clone(), false),
                (c[1].0, c[1].1, m(&a.open), true),
                (c[2].0, c[2].1, m(&a.overdue), true),
            ],
            false,
            &mut need,
        );
    }

    heading(&mut pdf, &mut sheet, &t("scoreboard"), &mut need);
    let c = col(&[0.22, 0.13, 0.13, 0.13, 0.13, 0.13, 0.13]);
    let head = [
        t("account_manager"),
        t("invoiced"),
        t("share_on_time"),
        t("paid_late"),
        t("open_overdue"),
        t("cost_short"),
        t("extra_short"),
    ];
    row(
        &mut pdf,
        &mut sheet,
        &c.iter()
            .zip(head)
            .enumerate()
            .map(|(i, ((x, w), h))| (*x, *w, h, i > 0))
            .collect::<Vec<_>>(),
        true,
        &mut need,
    );
    let rows = pack.scoreboard.rows.len();
    for (i, r) in pack
        .scoreboard
        .rows
        .iter()
        .chain(std::iter::once(&pack.scoreboard.total))
        .enumerate()
    {
        let cost = &r.cost_of_late_payment;
        let total_cost = cost.financing.minor + cost.collection.minor + cost.written_off.minor;
        let cells = [
            if i == rows {
                t("total")
            } else {
                r.account_manager.clone().unwrap_or_else(|| t("no_manager"))
            },
            r.invoiced.display_in(language),
            pct(r.share_on_time),
            r.paid_late.display_in(language),
            r.open_overdue.display_in(language),
            money(total_cost, "EUR", language),
            cost.extra_revenue_needed
                .map_or("–".into(), |e| e.display_in(language)),
        ];
        row(
            &mut pdf,
            &mut sheet,
            &c.iter()
                .zip(cells)
                .enumerate()
                .map(|(i, ((x, w), h))| (*x, *w, h, i > 0))
                .collect::<Vec<_>>(),
            false,
            &mut need,
        );
    }

    heading(&mut pdf, &mut sheet, &t("discuss"), &mut need);
    let c = col(&[0.3, 0.18, 0.12, 0.4]);
    row(
        &mut pdf,
        &mut sheet,
        &[
            (c[0].0, c[0].1, t("customer"), false),
            (c[1].0, c[1].1, t("account_manager"), false),
            (c[2].0, c[2].1, t("overdue"), true),
            (c[3].0, c[3].1, t("why"), false),
        ],
        true,
        &mut need,
    );
    for d in &pack.discuss {
        row(
            &mut pdf,
            &mut sheet,
            &[
                (
                    c[0].0,
                    c[0].1,
                    format!("{} ({})", d.name, d.customer),
                    false,
                ),
                (
                    c[1].0,
                    c[1].1,
                    d.account_manager.clone().unwrap_or_default(),
                    false,
                ),
                (c[2].0, c[2].1, m(&d.overdue), true),
                (c[3].0 + 6.0, c[3].1 - 6.0, d.reason.clone(), false),
            ],
            false,
            &mut need,
        );
    }

    heading(&mut pdf, &mut sheet, &t("hold"), &mut need);
    let c = col(&[0.35, 0.2, 0.15, 0.15, 0.15]);
    for h in pack.credit_hold.iter().chain(&pack.handed_off) {
        row(
            &mut pdf,
            &mut sheet,
            &[
                (
                    c[0].0,
                    c[0].1,
                    format!("{} ({})", h.name, h.customer),
                    false,
                ),
                (
                    c[1].0,
                    c[1].1,
                    h.account_manager.clone().unwrap_or_default(),
                    false,
                ),
                (c[2].0, c[2].1, h.reason.clone(), false),
                (
                    c[3].0,
                    c[3].1,
                    h.since.map_or(String::new(), |d| short_date(d, language)),
                    false,
                ),
                (c[4].0, c[4].1, m(&h.overdue), true),
            ],
            false,
            &mut need,
        );
    }
    if pack.credit_hold.is_empty() && pack.handed_off.is_empty() {
        row(
            &mut pdf,
            &mut sheet,
            &[(left, w, t("none"), false)],
            false,
            &mut need,
        );
    }

    heading(&mut pdf, &mut sheet, &t("disputes"), &mut need);
    let c = col(&[0.3, 0.15, 0.1, 0.45]);
    for d in &pack.disputes {
        row(
            &mut pdf,
            &mut sheet,
            &[
                (
                    c[0].0,
                    c[0].1,
                    format!("{} ({})", d.name, d.customer),
                    false,
                ),
                (c[1].0, c[1].1, d.invoice.clone(), false),
                (c[2].0, c[2].1, d.age_days.to_string(), true),
                (c[3].0 + 6.0, c[3].1 - 6.0, d.reason.clone(), false),
            ],
            false,
            &mut need,
        );
    }
    if pack.disputes.is_empty() {
        row(
            &mut pdf,
            &mut sheet,
            &[(left, w, t("none"), false)],
            false,
            &mut need,
        );
    }

    heading(&mut pdf, &mut sheet, &t("pauses"), &mut need);
    let c = col(&[0.3, 0.2, 0.12, 0.38]);
    for p in &pack.pause_requests {
        row(
            &mut pdf,
            &mut sheet,
            &[
                (c[0].0, c[0].1, p.name.clone(), false),
                (c[1].0, c[1].1, p.requested_by.clone(), false),
                (c[2].0, c[2].1, short_date(p.until, language), false),
                (
                    c[3].0,
                    c[3].1,
                    format!("{}: {}", t(&p.status), p.reason),
                    false,
                ),
            ],
            false,
            &mut need,
        );
    }
    if pack.pause_requests.is_empty() {
        row(
            &mut pdf,
            &mut sheet,
            &[(left, w, t("none"), false)],
            false,
            &mut need,
        );
    }

    heading(&mut pdf, &mut sheet, &t("appreciation"), &mut need);
    row(
        &mut pdf,
        &mut sheet,
        &[(
            left,
            w,
            format!(
                "{}: {} · {}: {} ({})",
                t("thank_yous"),
                pack.appreciation.thank_yous,
                t("gifts"),
                pack.appreciation.gifts.len(),
                m(&pack.appreciation.gifts_value)
            ),
            false,
        )],
        false,
        &mut need,
    );

    heading(&mut pdf, &mut sheet, &t("risk_groups"), &mut need);
    let c = col(&[0.4, 0.12, 0.18, 0.12, 0.18]);
    row(
        &mut pdf,
        &mut sheet,
        &[
            (c[0].0, c[0].1, t("industry"), false),
            (c[1].0, c[1].1, t("customers"), true),
            (c[2].0, c[2].1, t("receivables"), true),
            (c[3].0, c[3].1, "DSO".into(), true),
            (c[4].0, c[4].1, t("late_share"), true),
        ],
        true,
        &mut need,
    );
    for g in &pack.risk_groups {
        row(
            &mut pdf,
            &mut sheet,
            &[
                (c[0].0, c[0].1, g.name.clone(), false),
                (c[1].0, c[1].1, g.customers.to_string(), true),
                (c[2].0, c[2].1, g.receivables.display_in(language), true),
                (c[3].0, c[3].1, num(g.dso, 1), true),
                (c[4].0, c[4].1, pct(g.share_paid_late), true),
            ],
            false,
            &mut need,
        );
    }

    heading(&mut pdf, &mut sheet, &t("training"), &mut need);
    let c = col(&[0.5, 0.17, 0.17, 0.16]);
    row(
        &mut pdf,
        &mut sheet,
        &[
            (c[0].0, c[0].1, t("who"), false),
            (c[1].0, c[1].1, t("answered"), true),
            (c[2].0, c[2].1, t("correct"), true),
            (c[3].0, c[3].1, String::new(), true),
        ],
        true,
        &mut need,
    );
    for s in &pack.training {
        row(
            &mut pdf,
            &mut sheet,
            &[
                (c[0].0, c[0].1, s.name.clone(), false),
                (c[1].0, c[1].1, s.answered.to_string(), true),
                (c[2].0, c[2].1, s.correct.to_string(), true),
                (c[3].0, c[3].1, pct(Some(s.share_correct)), true),
            ],
            false,
            &mut need,
        );
    }
    if pack.training.is_empty() {
        row(
            &mut pdf,
            &mut sheet,
            &[(left, w, t("none"), false)],
            false,
            &mut need,
        );
    }

    heading(&mut pdf, &mut sheet, &t("decisions"), &mut need);
    let c = col(&[0.25, 0.35, 0.15, 0.1, 0.15]);
    for d in &pack.decisions {
        row(
            &mut pdf,
            &mut sheet,
            &[
                (c[0].0, c[0].1, d.name.clone(), false),
                (c[1].0, c[1].1, d.text.clone(), false),
                (c[2].0, c[2].1, d.owner.clone().unwrap_or_default(), false),
                (c[3].0, c[3].1, short_date(d.due_on, language), false),
                (
                    c[4].0,
                    c[4].1,
                    if d.done { t("done") } else { t("not_done") },
                    false,
                ),
            ],
            false,
            &mut need,
        );
    }
    if pack.decisions.is_empty() {
        row(
            &mut pdf,
            &mut sheet,
            &[(left, w, t("none"), false)],
            false,
            &mut need,
        );
    }
    pdf.finish()
}
