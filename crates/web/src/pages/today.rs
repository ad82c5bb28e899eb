//! Today: the worklist and the book at a glance.

use super::*;

pub(super) fn today(state: &S, visit: &Visit, _: &Params, _: &Params) -> Result<Response, Fail> {
    if visit.user.role == Role::Sales {
        return Ok(Redirect::to("/my").into_response());
    }
    let lang = visit.user.language;
    let book = portfolio(state, false)?;
    let as_of = state.as_of();
    let labels = [
        i18n::t(lang, "Not yet due"),
        "1–30",
        "31–60",
        "61–90",
        "> 90",
    ];
    let bars: Vec<(String, i64)> = tegoed_app::portfolio::aging_lines(&book.aging)
        .iter()
        .zip(labels)
        .map(|((_, minor, _), label)| (label.to_string(), *minor))
        .collect();
    // Broken promises, new disputes and the review queue come with the
    // book (a pass over all agreements); calls and requests are read live.
    let (calls, requests, portal) = state.read(|tx| {
        Ok((
            agreements::call_list(tx, &book, as_of, 15)?,
            access::pause_requests(tx, None, true)?,
            tegoed_app::portal::recent(tx, None, None, 14, lang, as_of)?,
        ))
    })?;
    let lists = &book.worklists;
    let (broken, disputes, to_match) = (&lists.broken, &lists.new_disputes, lists.to_match);
    let handoffs: Vec<Handoff> = state
        .cache
        .preview_if_ready(state)
        .map(|p| {
            p.messages
                .iter()
                .filter(|m| m.channel == "handoff")
                .take(20)
                .map(|m| Handoff {
                    customer: m.customer.clone(),
                    name: m.name.clone(),
                    total: m.amounts.total.clone(),
                    segment: m.segment.clone(),
                })
                .collect()
        })
        .unwrap_or_default();
    // DSO per month: the last 23 month-ends (computed in the background)
    // and today's, as the headline above shows it.
    let dso_chart = state.cache.dso_history(state).map(|history| {
        let mut points: Vec<(String, Option<f64>)> = history
            .iter()
            .map(|report| {
                let (y, m, _) = report.as_of.ymd();
                let short = tegoed_app::format::month_short(m, lang);
                (format!("{short} {y}"), report.countback.days)
            })
            .collect();
        points.push((
            tegoed_app::format::short_date(as_of, lang),
            book.dso.countback.days,
        ));
        view::dso_svg(&points, lang)
    });
    let internal = |e: tegoed_core::MoneyError| Fail::Internal(e.to_string());
    let page = TodayPage {
        card: appreciation::card(state, visit, 8)?,
        open: book.aging.total().map_err(internal)?,
        overdue: book.aging.overdue().map_err(internal)?,
        dso_countback: book.dso.countback.days,
        dso_simple: book.dso.simple.days,
        customers: book.rows.len(),
        invoices: book.invoices,
        chart: view::aging_svg(&bars, lang),
        dso_chart,
        calls_total: calls.0,
        calls: calls.1,
        broken: broken.iter().take(15).collect(),
        broken_total: broken.len(),
        disputes: disputes
            .iter()
            .take(15)
            .map(|d| NewDispute {
                customer: &d.customer,
                invoice: &d.invoice,
                reason: &d.reason,
                name: book
                    .row_of(&d.customer)
                    .map_or(d.customer.as_str(), |r| r.name.as_str()),
            })
            .collect(),
        disputes_total: disputes.len(),
        requests,
        to_match,
        handoffs,
        plan_requests: portal
            .iter()
            .filter(|r| r.kind == "plan" && r.open)
            .cloned()
            .collect(),
        portal: portal_first(portal, 15),
        may_decide: visit.user.role.may(Action::DecidePause),
    };
    render(state, visit, "today.html", "Today", page)
}

/// Today's view-model (`today.html`): the worklist first (calls due,
/// broken promises, new disputes, pause and plan requests, payments to
/// match, hand-offs to the agency), then the book at a glance.
#[derive(Serialize)]
struct TodayPage<'a> {
    /// Customers who kept their agreements: thanks and gifts to consider.
    card: appreciation::Card,
    /// Open and overdue in minor units (euros).
    open: i64,
    overdue: i64,
    dso_countback: Option<f64>,
    dso_simple: Option<f64>,
    customers: usize,
    invoices: u64,
    /// The aging buckets and the DSO per month, as SVG charts.
    chart: String,
    dso_chart: Option<String>,
    calls: Vec<agreements::CallLine>,
    calls_total: usize,
    broken: Vec<&'a agreements::PromiseLine>,
    broken_total: usize,
    disputes: Vec<NewDispute<'a>>,
    disputes_total: usize,
    requests: Vec<access::PauseRequestLine>,
    to_match: usize,
    handoffs: Vec<Handoff>,
    plan_requests: Vec<tegoed_app::portal::TeamLine>,
    portal: Vec<tegoed_app::portal::TeamLine>,
    may_decide: bool,
}

/// A dispute opened in the last days, with the customer's name.
#[derive(Serialize)]
struct NewDispute<'a> {
    customer: &'a str,
    name: &'a str,
    invoice: &'a str,
    reason: &'a str,
}

/// A customer the next dunning run hands to the collection agency.
#[derive(Serialize)]
struct Handoff {
    customer: String,
    name: String,
    /// A decimal in euros (`1234.56`); the page formats it.
    total: String,
    segment: String,
}

/// Portal requests for a card: the open ones first (newest first within
/// each), at most `limit`.
pub(super) fn portal_first(
    mut list: Vec<tegoed_app::portal::TeamLine>,
    limit: usize,
) -> Vec<tegoed_app::portal::TeamLine> {
    list.sort_by_key(|r| !r.open);
    list.truncate(limit);
    list
}
