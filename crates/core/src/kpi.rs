//! The figures a credit manager reports each month, as formulas over
//! amounts in minor units (the app gathers the amounts from the ledger).
//!
//! Sources for the definitions: the collection effectiveness index and
//! best-possible DSO as in the Credit Research Foundation's and NACM's
//! credit-management literature; ADD (average days delinquent) is DSO minus
//! best-possible DSO. Every ratio is `None` when its denominator is zero:
//! no sales means no DSO, not a DSO of zero.

/// Best-possible DSO: the receivables not yet due ÷ credit sales over the
/// period × the days in the period (the DSO if every customer paid on the
/// due date).
pub fn best_possible_dso(current_minor: i64, sales_minor: i64, days: u32) -> Option<f64> {
    (sales_minor > 0).then(|| current_minor.max(0) as f64 / sales_minor as f64 * f64::from(days))
}

/// Collection effectiveness index, in percent: what was collected of what
/// could be collected in the month —
/// (opening receivables + credit sales − closing receivables) ÷
/// (opening receivables + credit sales − closing current receivables) × 100.
pub fn cei(
    opening_minor: i64,
    sales_minor: i64,
    closing_minor: i64,
    closing_current_minor: i64,
) -> Option<f64> {
    let collectable =
        i128::from(opening_minor) + i128::from(sales_minor) - i128::from(closing_current_minor);
    let collected = i128::from(opening_minor) + i128::from(sales_minor) - i128::from(closing_minor);
    (collectable > 0).then(|| collected as f64 / collectable as f64 * 100.0)
}

/// `part` ÷ `whole` × 100; `None` when `whole` is zero or less.
pub fn percent(part: i64, whole: i64) -> Option<f64> {
    (whole > 0).then(|| part as f64 / whole as f64 * 100.0)
}

/// Targets per figure (`[kpi]` in `tegoed.toml`); `None`: no target.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Targets {
    pub cei_min: Option<f64>,
    pub dso_max: Option<f64>,
    pub add_max: Option<f64>,
    pub bad_debt_ratio_max: Option<f64>,
    pub promise_kept_rate_min: Option<f64>,
    pub share_paid_on_time_min: Option<f64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cei_is_what_was_collected_of_what_could_be() {
        // Opening 10,000; sales 5,000; closing 6,000 of which 4,000 not yet
        // due: collected 9,000 of 11,000 collectable.
        let cei = cei(1_000_000, 500_000, 600_000, 400_000).unwrap();
        assert!((cei - 81.818_181).abs() < 1e-4, "{cei}");
        assert_eq!(super::cei(0, 0, 0, 0), None);
    }

    #[test]
    fn best_possible_dso_counts_only_what_is_not_yet_due() {
        // 3,000 not yet due against 9,000 of sales in 90 days: 30 days.
        assert_eq!(best_possible_dso(300_000, 900_000, 90), Some(30.0));
        assert_eq!(best_possible_dso(300_000, 0, 90), None);
    }

    #[test]
    fn percent_of_nothing_is_no_figure() {
        assert_eq!(percent(1, 4), Some(25.0));
        assert_eq!(percent(1, 0), None);
    }
}
