//! Progress bars on a terminal (indicatif); silent in pipes and with --json.

use std::cell::RefCell;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressState, ProgressStyle};

/// A progress reporter that draws only when `enabled`.
pub struct Bar {
    enabled: bool,
    current: RefCell<Option<ProgressBar>>,
}

impl Bar {
    pub fn new(enabled: bool) -> Bar {
        Bar {
            enabled,
            current: RefCell::new(None),
        }
    }
}

impl tegoed_app::Progress for Bar {
    fn start(&self, what: &str, total: u64) {
        if !self.enabled {
            return;
        }
        let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
        let style = ProgressStyle::with_template(
            "{msg:>10} [{bar:40}] {human_pos}/{human_len} ({rate}, {eta})",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .with_key(
            "rate",
            |state: &ProgressState, w: &mut dyn std::fmt::Write| {
                let _ = w.write_str(&rate_text(state.per_sec()));
            },
        )
        .progress_chars("=> ");
        bar.set_style(style);
        bar.set_message(what.to_string());
        if let Some(old) = self.current.replace(Some(bar)) {
            old.finish_and_clear();
        }
    }

    fn advance(&self, units: u64) {
        if let Some(bar) = self.current.borrow().as_ref() {
            bar.inc(units);
        }
    }

    fn finish(&self) {
        if let Some(bar) = self.current.borrow_mut().take() {
            bar.finish_and_clear();
        }
    }
}

/// A rate for people: whole units with thousands grouped (`69,672/s`), one
/// decimal below ten (`2.5/s`); indicatif's own `{per_sec}` prints four
/// decimals (`69,671.5614/s`).
fn rate_text(per_sec: f64) -> String {
    if !per_sec.is_finite() || per_sec <= 0.0 {
        return "-/s".into();
    }
    if per_sec < 10.0 {
        return format!("{per_sec:.1}/s");
    }
    let whole = per_sec.round() as u64;
    let digits = whole.to_string();
    let mut grouped = String::with_capacity(digits.len() + digits.len() / 3);
    for (idx, ch) in digits.chars().enumerate() {
        if idx > 0 && (digits.len() - idx).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(ch);
    }
    format!("{grouped}/s")
}

#[cfg(test)]
mod tests {
    use super::rate_text;

    #[test]
    fn progress_rates_are_rounded_not_four_decimals() {
        assert_eq!(rate_text(69_671.561_4), "69,672/s");
        assert_eq!(rate_text(1_234_567.4), "1,234,567/s");
        assert_eq!(rate_text(812.49), "812/s");
        assert_eq!(rate_text(2.54), "2.5/s");
        assert_eq!(rate_text(0.0), "-/s");
        assert_eq!(rate_text(f64::NAN), "-/s");
    }
}
