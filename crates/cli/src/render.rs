//! Text output for people: aligned tables and money with thousands
//! separators. JSON output does not come through here.

use tegoed_core::Money;

/// How a column is aligned.
#[derive(Clone, Copy)]
pub enum Align {
    Left,
    Right,
}

/// A plain-text table with a header row and aligned columns.
pub struct Table {
    headers: Vec<(String, Align)>,
    rows: Vec<Vec<String>>,
}

impl Table {
    pub fn new(headers: &[(&str, Align)]) -> Table {
        Table {
            headers: headers.iter().map(|(h, a)| (h.to_string(), *a)).collect(),
            rows: Vec::new(),
        }
    }

    pub fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells);
    }

    pub fn render(&self) -> String {
        let mut widths: Vec<usize> = self
            .headers
            .iter()
            .map(|(h, _)| h.chars().count())
            .collect();
        for row in &self.rows {
            for (idx, cell) in row.iter().enumerate() {
                if idx < widths.len() {
                    widths[idx] = widths[idx].max(cell.chars().count());
                }
            }
        }
        let line = |cells: &[String]| -> String {
            let mut out = String::new();
            for (idx, cell) in cells.iter().enumerate() {
                let width = widths.get(idx).copied().unwrap_or(0);
                let pad = width.saturating_sub(cell.chars().count());
                if idx > 0 {
                    out.push_str("  ");
                }
                match self.headers.get(idx).map(|h| h.1).unwrap_or(Align::Left) {
                    Align::Left => {
                        out.push_str(cell);
                        if idx + 1 < cells.len() {
                            out.push_str(&" ".repeat(pad));
                        }
                    }
                    Align::Right => {
                        out.push_str(&" ".repeat(pad));
                        out.push_str(cell);
                    }
                }
            }
            out.trim_end().to_string()
        };
        let header: Vec<String> = self.headers.iter().map(|(h, _)| h.clone()).collect();
        let mut out = line(&header);
        out.push('\n');
        let rule: usize = widths.iter().sum::<usize>() + 2 * widths.len().saturating_sub(1);
        out.push_str(&"-".repeat(rule));
        out.push('\n');
        for row in &self.rows {
            out.push_str(&line(row));
            out.push('\n');
        }
        out
    }
}

/// `€ 1,234.56`.
pub fn money(value: Money) -> String {
    value.display()
}

/// Days with one decimal, or "n/a".
pub fn days(value: Option<f64>) -> String {
    match value {
        Some(v) => format!("{v:.1} days"),
        None => "n/a (no revenue in the period)".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aligns_columns() {
        let mut table = Table::new(&[("name", Align::Left), ("amount", Align::Right)]);
        table.row(vec!["a".into(), "€ 1.00".into()]);
        table.row(vec!["longer".into(), "€ 1,000.00".into()]);
        assert_eq!(
            table.render(),
            "name        amount\n------------------\na           € 1.00\nlonger  € 1,000.00\n"
        );
    }
}
