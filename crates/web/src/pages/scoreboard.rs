//! The Scoreboard: sales that were paid on time, per salesperson, for a
//! month (default: the last full one) with the last 12 months as a trend,
//! the cost of their late payers, and the customers behind the late money.
//! Everyone may look; a salesperson sees their own customers first.

use super::*;
use tegoed_app::scoreboard::{self, ScoreLine};
use tegoed_core::scoreboard::Period;

/// The table's columns for the payroll export.
const SCORES: &[Column] = &[
    column("rank", "Rank"),
    column("account_manager", "Account manager"),
    column("invoices", "Invoices"),
    totalled("invoiced", "Invoiced"),
    totalled("paid_on_time", "Paid on time"),
    totalled("paid_late", "Paid late"),
    totalled("open_overdue", "Still open"),
    totalled("written_off", "To the agency"),
    column("share_on_time", "Share on time"),
    totalled("cost", "Cost of late payment"),
    totalled("extra_revenue", "Sales to earn it back"),
];

fn cost_minor(row: &ScoreLine) -> i64 {
    let c = &row.cost_of_late_payment;
    c.financing.minor + c.collection.minor + c.written_off.minor
}

fn manager_label(row: &ScoreLine, lang: Language) -> String {
    row.account_manager
        .clone()
        .unwrap_or_else(|| i18n::t(lang, "no account manager").to_string())
}

pub(super) fn scoreboard_page(
    state: &S,
    visit: &Visit,
    _: &Params,
    query: &Params,
) -> Result<Response, Fail> {
    let lang = visit.user.language;
    let as_of = state.as_of();
    let trend = state
        .cache
        .scoreboard_months(state)
        .map_err(Fail::Internal)?;
    let period = scoreboard::period_of(opt(query, "period"), as_of)?;
    let report = state
        .cache
        .scoreboard(state, period)
        .map_err(Fail::Internal)?;
    let rows: Vec<(Vec<Cell>, usize)> = report
        .rows
        .iter()
        .enumerate()
        .map(|(i, r)| {
            (
                vec![
                    r.rank
                        .map_or(Cell::Text(String::new()), |n| Cell::Count(i64::from(n))),
                    Cell::Text(manager_label(r, lang)),
                    Cell::Count(r.invoices as i64),
                    Cell::Money(r.invoiced.minor),
                    Cell::Money(r.paid_on_time.minor),
                    Cell::Money(r.paid_late.minor),
                    Cell::Money(r.open_overdue.minor),
                    Cell::Money(r.written_off.minor),
                    Cell::Text(
                        r.share_on_time
                            .map(|s| tegoed_app::format::percent(s, lang))
                            .unwrap_or_default(),
                    ),
                    Cell::Money(cost_minor(r)),
                    Cell::Money(
                        r.cost_of_late_payment
                            .extra_revenue_needed
                            .map_or(0, |m| m.minor),
                    ),
                ],
                i,
            )
        })
        .collect();
    let list = Listing::new(SCORES, rows).sort(query);
    let file = format!(
        "{}-{}",
        if lang == Language::Nl {
            "scorebord"
        } else {
            "scoreboard"
        },
        report.period.from
    );
    if let Some(file) = list.export(query, lang, &file) {
        return Ok(file);
    }
    // Each salesperson's share on time over the 12 months, for the trend.
    let trend_of = |manager: Option<AccountManagerId>| -> Vec<(String, Option<f64>)> {
        trend
            .iter()
            .map(|month| {
                let (y, m, _) = month.period.from.ymd();
                let share = month
                    .rows
                    .iter()
                    .find(|r| r.account_manager_id == manager)
                    .and_then(|r| r.share_on_time);
                (tegoed_app::format::month(y, m, lang), share)
            })
            .collect()
    };
    // Whose customers to show: the one asked for, or the salesperson's own.
    let chosen: Option<usize> = match opt(query, "manager") {
        Some("none") => report
            .rows
            .iter()
            .position(|r| r.account_manager_id.is_none()),
        Some(id) => id.parse::<i64>().ok().and_then(|id| {
            report
                .rows
                .iter()
                .position(|r| r.account_manager_id == Some(AccountManagerId(id)))
        }),
        None => visit.user.account_manager.and_then(|mine| {
            report
                .rows
                .iter()
                .position(|r| r.account_manager_id == Some(mine))
        }),
    };
    let out: Vec<ScoreRow> = list
        .items()
        .into_iter()
        .map(|&i| {
            let r = &report.rows[i];
            ScoreRow {
                row: r,
                name: manager_label(r, lang),
                manager: r
                    .account_manager_id
                    .map_or("none".to_string(), |m| m.0.to_string()),
                cost: cost_minor(r),
                leader: r.rank == Some(1),
                own: r.account_manager_id.is_some()
                    && r.account_manager_id == visit.user.account_manager,
                trend: view::sparkline(&trend_of(r.account_manager_id), lang),
            }
        })
        .collect();
    let (y, m, _) = report.period.from.ymd();
    let single_month = Period::parse(&format!("{y}-{m:02}")) == Some(period);
    let periods = trend
        .iter()
        .rev()
        .map(|month| {
            let (y, m, _) = month.period.from.ymd();
            Month {
                value: format!("{y}-{m:02}"),
                label: tegoed_app::format::month(y, m, lang),
            }
        })
        .collect();
    let page = ScoreboardPage {
        report: &report,
        rows: out,
        list: list.head(&listing::base_of("/scoreboard", query), lang),
        total_cost: cost_minor(&report.total),
        period_label: if single_month {
            tegoed_app::format::month(y, m, lang)
        } else {
            format!(
                "{} – {}",
                tegoed_app::format::short_date(report.period.from, lang),
                tegoed_app::format::short_date(report.period.to, lang)
            )
        },
        periods,
        chosen: chosen.map(|i| Chosen {
            name: manager_label(&report.rows[i], lang),
            row: &report.rows[i],
            cost: cost_minor(&report.rows[i]),
            customers: report.customers[i].iter().take(50).collect(),
        }),
        query_period: opt(query, "period"),
    };
    render(state, visit, "scoreboard.html", "Scoreboard", page)
}

/// The scoreboard's view-model (`scoreboard.html`): sales that were paid
/// on time, per account manager, for a period.
#[derive(Serialize)]
struct ScoreboardPage<'a> {
    report: &'a tegoed_app::scoreboard::PaidOnTime,
    rows: Vec<ScoreRow<'a>>,
    list: listing::Head,
    /// What late payment cost in all, in minor units (euros).
    total_cost: i64,
    period_label: String,
    /// The months to choose from, newest first.
    periods: Vec<Month>,
    /// The account manager opened, with their customers.
    chosen: Option<Chosen<'a>>,
    query_period: Option<&'a str>,
}

/// One account manager's line.
#[derive(Serialize)]
struct ScoreRow<'a> {
    row: &'a tegoed_app::scoreboard::ScoreLine,
    name: String,
    /// The account manager's id for the link (`none` for customers
    /// without one).
    manager: String,
    cost: i64,
    leader: bool,
    /// The reader's own line.
    own: bool,
    /// The share paid on time per month, as an SVG sparkline.
    trend: String,
}

/// A month to choose.
#[derive(Serialize)]
struct Month {
    value: String,
    label: String,
}

/// The account manager opened, and their customers (at most 50).
#[derive(Serialize)]
struct Chosen<'a> {
    name: String,
    row: &'a tegoed_app::scoreboard::ScoreLine,
    cost: i64,
    customers: Vec<&'a tegoed_app::scoreboard::CustomerLine>,
}
