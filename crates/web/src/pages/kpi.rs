//! KPIs: the figures a credit manager reports, per month over 24 months,
//! each as a chart with its target, and the last twelve months as a table.
//! Computed once a day in the background (two ledger reads per month).

use super::*;

pub(super) fn kpi_page(state: &S, visit: &Visit, _: &Params, _: &Params) -> Result<Response, Fail> {
    let lang = visit.user.language;
    let Some(page) = state.cache.kpi(state) else {
        return render(state, visit, "kpi.html", "KPIs", KpiPage::default());
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
    let charts: Vec<KpiChart> = [
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
        KpiChart {
            id,
            title,
            svg: view::line_svg(&points, title, unit, target, lang),
        }
    })
    .collect();
    let months = report
        .months
        .iter()
        .rev()
        .take(12)
        .map(|m| KpiMonthRow {
            label: label(&m.month),
            m,
        })
        .collect();
    fn group<'a>(
        id: &'static str,
        title: &'static str,
        rows: &'a [tegoed_app::kpi::KpiRow],
        lang: Language,
    ) -> KpiGroup<'a> {
        KpiGroup {
            id,
            title: i18n::t(lang, title),
            rows,
        }
    }
    let view = KpiPage {
        ready: true,
        charts,
        months,
        targets: Some(t),
        as_of: Some(report.as_of.to_string()),
        groups: vec![
            group("collector", "Per collector", &page.collector, lang),
            group(
                "account-manager",
                "Per account manager",
                &page.account_manager,
                lang,
            ),
            group("segment", "Per segment", &page.segment, lang),
        ],
        partial: report.as_of.add_days(1).first_of_month() != report.as_of.add_days(1),
    };
    render(state, visit, "kpi.html", "KPIs", view)
}

/// The KPI page's view-model (`kpi.html`); not `ready` until the figures
/// have been computed in the background.
#[derive(Serialize, Default)]
struct KpiPage<'a> {
    ready: bool,
    charts: Vec<KpiChart>,
    /// The last twelve months, newest first.
    months: Vec<KpiMonthRow<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    targets: Option<&'a tegoed_app::kpi::TargetsLine>,
    /// The day the figures were computed for (the page's own as-of; the
    /// layout's until they are ready).
    #[serde(skip_serializing_if = "Option::is_none")]
    as_of: Option<String>,
    groups: Vec<KpiGroup<'a>>,
    /// The last month is not over yet.
    partial: bool,
}

/// One KPI over 24 months as an SVG chart with its target.
#[derive(Serialize)]
struct KpiChart {
    id: &'static str,
    title: &'static str,
    svg: String,
}

#[derive(Serialize)]
struct KpiMonthRow<'a> {
    label: String,
    m: &'a tegoed_app::kpi::KpiMonth,
}

/// The figures per collector, account manager or segment.
#[derive(Serialize)]
struct KpiGroup<'a> {
    id: &'static str,
    title: &'static str,
    rows: &'a [tegoed_app::kpi::KpiRow],
}
