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
    let total: i64 = forecast.weeks.iter().map(|w| w.expected.minor).sum();
    render(
        state,
        visit,
        "forecast.html",
        "Forecast",
        json!({
            "f": forecast,
            "chart": view::forecast_svg(&bars, lang),
            "total": total,
            "pooled_median": forecast.model.pooled_median_days_late,
        }),
    )
}
