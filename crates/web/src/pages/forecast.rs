//! Forecast: the cash expected in each of the next 13 weeks, with its band,
//! and the backtest of the method on the company's own past.

use super::*;

pub(super) fn forecast_page(
    state: &S,
    visit: &Visit,
    _: &Params,
    _: &Params,
) -> Result<Response, Fail> {
    let lang = visit.user.language;
    let as_of = state.as_of();
    let forecast = state.read(|tx| tegoed_app::forecast::forecast(tx, as_of, 13))?;
    let bars: Vec<(String, i64, i64, i64)> = forecast
        .weeks
        .iter()
        .map(|w| {
            (
                tegoed_app::format::short_date(w.week_start, lang),
                w.expected.minor,
                w.low.minor,
                w.high.minor,
            )
        })
        .collect();
    let mut total: i64 = 0;
    for week in &forecast.weeks {
        total = total
            .checked_add(week.expected.minor)
            .ok_or_else(|| Fail::Internal("the forecast's total is too large".into()))?;
    }
    let page = ForecastPage {
        chart: view::forecast_svg(&bars, lang),
        total,
        pooled_median: forecast.model.pooled_median_days_late,
        f: &forecast,
    };
    render(state, visit, "forecast.html", "Forecast", page)
}

/// The forecast's view-model (`forecast.html`).
#[derive(Serialize)]
struct ForecastPage<'a> {
    /// The 13 weeks, the method and its backtest.
    f: &'a tegoed_app::forecast::Forecast,
    /// The expected cash per week with its band, as an SVG chart.
    chart: String,
    /// Expected over the 13 weeks, in minor units (euros).
    total: i64,
    pooled_median: f64,
}
