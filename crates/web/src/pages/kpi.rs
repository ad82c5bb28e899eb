//! KPIs: the figures a credit manager reports, per month over 24 months,
//! each as a chart with its target, and the last twelve months as a table.
//! Computed once a day in the background (two ledger reads per month).

use super::*;

pub(super) fn kpi_page(state: &S, visit: &Visit, _: &Params, _: &Params) -> Result<Response, Fail> {
    let lang = visit.user.language;
    let Some(page) = state.cache.kpi(state) else {
        return render(state, visit, "kpi.html", "KPIs", json!({"ready": false}));
    };
    let report = &page.report;
    let label = |month: &str| -> String {
        let (y, m) = month.split_once('-').unwrap_or((month, "1"));
        let m: u32 = m.parse().unwrap_or(1);
        format!("{} {y}", tegoed_app::format::month_short(m, lang))
    };
    let series =
        |pick: fn(&tegoed_app::kpi::KpiMonth) -> Option<f64>| -> Vec<(String, Option<f64>)> {
            report
                .months
                .iter()
                .map(|m| (label(&m.month), pick(m)))
                .collect()
        };
    let t = &report.targets;
    let (days, percent) = (i18n::t(lang, "days"), "%");
    let charts: Vec<serde_json::Value> = [
        (
            "dso",
            "DSO (countback)",
            series(|m| m.dso_countback),
            days,
            t.dso_max,
        ),
        (
            "add",
            "ADD: days late beyond the terms",
            series(|m| m.add),
            days,
            t.add_max,
        ),
        (
            "cei",
            "CEI: collection effectiveness",
            series(|m| m.cei),
            percent,
            t.cei_min,
        ),
        (
            "on-time",
            "Paid on time",
            series(|m| m.share_paid_on_time),
            percent,
            t.share_paid_on_time_min,
        ),
        (
            "promises",
            "Promises kept",
            series(|m| m.promise_kept_rate),
            percent,
            t.promise_kept_rate_min,
        ),
        (
            "bad-debt",
            "Bad-debt ratio",
            series(|m| m.bad_debt_ratio),
            percent,
            t.bad_debt_ratio_max,
        ),
        (
            "late",
            "Average days late",
            series(|m| m.avg_days_late),
            days,
            None,
        ),
    ]
    .into_iter()
    .map(|(id, title, points, unit, target)| {
        let title = i18n::t(lang, title);
        json!({"id": id, "title": title, "svg": view::line_svg(&points, title, unit, target, lang)})
    })
    .collect();
    let months: Vec<serde_json::Value> = report
        .months
        .iter()
        .rev()
        .take(12)
        .map(|m| json!({"label": label(&m.month), "m": m}))
        .collect();
    render(
        state,
        visit,
        "kpi.html",
        "KPIs",
        json!({"ready": true, "charts": charts, "months": months, "targets": t, "as_of": report.as_of.to_string(),
               "groups": [
                   {"id": "collector", "title": i18n::t(lang, "Per collector"), "rows": page.collector},
                   {"id": "account-manager", "title": i18n::t(lang, "Per account manager"), "rows": page.account_manager},
                   {"id": "segment", "title": i18n::t(lang, "Per segment"), "rows": page.segment},
               ],
               "partial": report.as_of.add_days(1).first_of_month() != report.as_of.add_days(1)}),
    )
}
