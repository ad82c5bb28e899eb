//! Lists people work with: a table of typed cells that sorts by any column
//! (`?sort=KEY&dir=asc|desc`), totals its money columns over the whole
//! filtered set, and exports exactly what is listed (`?format=csv|xlsx`) in
//! the reader's language. The page keeps its own row markup (forms and
//! links per row) and walks the rows in the listing's order.
//!
//! CSV: Dutch files use `;` and a decimal comma, as Dutch spreadsheet
//! programs read them; amounts are plain numbers, dates ISO; a cell that
//! starts like a formula gets a leading `'`. Excel: real numbers with a
//! money format, real dates, the header row frozen. (An Excel number is a
//! binary float by the file format; amounts are written from integer cents
//! and are exact to the cent in any sum Excel shows with two decimals.)

use axum::http::header;
use axum::response::{IntoResponse, Response};
use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};
use serde::Serialize;
use tegoed_app::format;
use tegoed_core::{Date, Language};

use crate::i18n;

/// One cell, typed, so it sorts, totals and exports as what it is.
#[derive(Clone, Debug, PartialEq)]
pub enum Cell {
    Text(String),
    /// Cents.
    Money(i64),
    Count(i64),
    Date(Option<Date>),
    /// Unix seconds (the audit log).
    Moment(i64),
}

impl Cell {
    fn order(&self, other: &Cell) -> std::cmp::Ordering {
        use Cell::*;
        match (self, other) {
            (Text(a), Text(b)) => a.to_lowercase().cmp(&b.to_lowercase()),
            (Money(a), Money(b)) | (Count(a), Count(b)) | (Moment(a), Moment(b)) => a.cmp(b),
            (Date(a), Date(b)) => a.cmp(b),
            _ => std::cmp::Ordering::Equal,
        }
    }
}

/// A column: its key in `?sort=`, its heading (an English text of the
/// `i18n` table), and whether the list shows its total.
#[derive(Clone, Copy, Debug)]
pub struct Column {
    pub key: &'static str,
    pub label: &'static str,
    pub total: bool,
}

pub const fn column(key: &'static str, label: &'static str) -> Column {
    Column {
        key,
        label,
        total: false,
    }
}

pub const fn totalled(key: &'static str, label: &'static str) -> Column {
    Column {
        key,
        label,
        total: true,
    }
}

/// What a list's table head shows: the headings with their sort links,
/// the totals of the whole filtered list, how many rows it has, and the
/// links that export exactly it.
#[derive(Serialize)]
pub struct Head {
    pub headings: Vec<Heading>,
    /// Per column, its total as text (money columns that total).
    pub totals: Vec<Option<String>>,
    pub any_total: bool,
    pub count: usize,
    pub csv: String,
    pub xlsx: String,
}

/// A column heading: its label, the link that sorts by it, how it is
/// sorted now (for screen readers), and whether it holds numbers.
#[derive(Serialize)]
pub struct Heading {
    pub label: String,
    pub href: String,
    pub aria: Option<&'static str>,
    pub num: bool,
}

/// Rows of cells with what the page needs to draw each (`T`).
pub struct Listing<T> {
    pub columns: &'static [Column],
    pub rows: Vec<(Vec<Cell>, T)>,
    /// The column sorted by and whether descending.
    pub sorted: Option<(usize, bool)>,
}

type Params = std::collections::HashMap<String, String>;

/// The filters of the customer list (`q`, `segment`, `risk`,
/// `account_manager`, `overdue`, `hold`), as the Customers page and the
/// API's `GET /customers` both take them; a filter they cannot read is
/// left out.
pub fn customer_filter(
    config: &tegoed_app::config::Config,
    query: &Params,
) -> tegoed_app::portfolio::Filter {
    let get = |name: &str| query.get(name).map(|v| v.trim()).filter(|v| !v.is_empty());
    tegoed_app::portfolio::Filter {
        query: get("q").map(str::to_string),
        segment: get("segment").and_then(|s| config.segments.iter().position(|x| x.id == s)),
        risk_class: get("risk")
            .and_then(|r| r.chars().next())
            .map(|c| c.to_ascii_uppercase()),
        account_manager: get("account_manager")
            .and_then(|m| m.parse().ok())
            .map(tegoed_core::AccountManagerId),
        overdue_only: get("overdue").is_some(),
        on_hold_only: get("hold").is_some(),
    }
}

impl<T> Listing<T> {
    pub fn new(columns: &'static [Column], rows: Vec<(Vec<Cell>, T)>) -> Listing<T> {
        Listing {
            columns,
            rows,
            sorted: None,
        }
    }

    /// Sorts by `?sort=KEY&dir=…` when the query asks (amounts, counts and
    /// dates start with the largest, text from A); ties keep their order.
    pub fn sort(mut self, query: &Params) -> Listing<T> {
        let Some(index) = query
            .get("sort")
            .and_then(|key| self.columns.iter().position(|c| c.key == key))
        else {
            return self;
        };
        let first_desc = self
            .rows
            .first()
            .is_some_and(|(cells, _)| !matches!(cells.get(index), Some(Cell::Text(_))));
        let descending = match query.get("dir").map(String::as_str) {
            Some("desc") => true,
            Some("asc") => false,
            _ => first_desc,
        };
        self.rows.sort_by(|(a, _), (b, _)| {
            let order = match (a.get(index), b.get(index)) {
                (Some(x), Some(y)) => x.order(y),
                _ => std::cmp::Ordering::Equal,
            };
            if descending { order.reverse() } else { order }
        });
        self.sorted = Some((index, descending));
        self
    }

    /// The totals of the totalled columns, over every row.
    pub fn totals(&self) -> Vec<Option<i64>> {
        self.columns
            .iter()
            .enumerate()
            .map(|(i, c)| {
                c.total.then(|| {
                    self.rows
                        .iter()
                        .map(|(cells, _)| match cells.get(i) {
                            Some(Cell::Money(m)) | Some(Cell::Count(m)) => *m,
                            _ => 0,
                        })
                        .fold(0i64, i64::saturating_add)
                })
            })
            .collect()
    }

    /// Headings with the link that sorts by each (the other way round when
    /// the list is already sorted by it), and the totals as text, for the
    /// page. `base`: the page's path and query without sort and format.
    pub fn head(&self, base: &str, lang: Language) -> Head {
        let join = if base.contains('?') { '&' } else { '?' };
        let headings: Vec<Heading> = self
            .columns
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let current = self.sorted.filter(|(s, _)| *s == i).map(|(_, d)| d);
                let dir = match current {
                    Some(true) => "asc",
                    Some(false) => "desc",
                    None => "",
                };
                let href = if dir.is_empty() {
                    format!("{base}{join}sort={}", c.key)
                } else {
                    format!("{base}{join}sort={}&dir={dir}", c.key)
                };
                Heading {
                    label: i18n::t(lang, c.label).to_string(),
                    href,
                    aria: current.map(|d| if d { "descending" } else { "ascending" }),
                    num: self.rows.first().is_some_and(|(cells, _)| {
                        matches!(cells.get(i), Some(Cell::Money(_)) | Some(Cell::Count(_)))
                    }),
                }
            })
            .collect();
        let totals: Vec<Option<String>> = self
            .totals()
            .into_iter()
            .zip(self.columns)
            .map(|(t, _)| t.map(|minor| format::money(minor, "EUR", lang)))
            .collect();
        let order = match self.sorted {
            Some((i, d)) => format!(
                "sort={}&dir={}&",
                self.columns[i].key,
                if d { "desc" } else { "asc" }
            ),
            None => String::new(),
        };
        Head {
            headings,
            totals,
            any_total: self.columns.iter().any(|c| c.total) && !self.rows.is_empty(),
            count: self.rows.len(),
            csv: format!("{base}{join}{order}format=csv"),
            xlsx: format!("{base}{join}{order}format=xlsx"),
        }
    }

    /// The list as a file when the query asks for one (`?format=csv|xlsx`).
    pub fn export(&self, query: &Params, lang: Language, name: &str) -> Option<Response> {
        let (body, kind, extension) = match query.get("format").map(String::as_str) {
            // With a byte-order mark: Excel then reads the file as UTF-8
            // (€, ë) instead of the system's code page.
            Some("csv") => (
                format!("\u{feff}{}", self.csv(lang)).into_bytes(),
                "text/csv; charset=utf-8",
                "csv",
            ),
            Some("xlsx") => (
                self.xlsx(lang, name).ok()?,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                "xlsx",
            ),
            _ => return None,
        };
        let file = format!("{name}.{extension}");
        Some(
            (
                [
                    (header::CONTENT_TYPE, kind.to_string()),
                    (
                        header::CONTENT_DISPOSITION,
                        format!("attachment; filename=\"{file}\""),
                    ),
                    (header::CACHE_CONTROL, "no-store".to_string()),
                ],
                body,
            )
                .into_response(),
        )
    }

    pub fn csv(&self, lang: Language) -> String {
        let (separator, decimal) = match lang {
            Language::Nl => (';', ','),
            Language::En => (',', '.'),
        };
        let quote = |text: &str| -> String {
            let text = if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
                format!("'{text}")
            } else {
                text.to_string()
            };
            if text.contains([separator, '"', '\n', '\r']) {
                format!("\"{}\"", text.replace('"', "\"\""))
            } else {
                text
            }
        };
        let mut out = String::new();
        let head: Vec<String> = self
            .columns
            .iter()
            .map(|c| quote(i18n::t(lang, c.label)))
            .collect();
        out.push_str(&head.join(&separator.to_string()));
        out.push_str("\r\n");
        for (cells, _) in &self.rows {
            let line: Vec<String> = cells
                .iter()
                .map(|cell| match cell {
                    Cell::Text(t) => quote(t),
                    Cell::Money(m) => {
                        let sign = if *m < 0 { "-" } else { "" };
                        let abs = m.unsigned_abs();
                        format!("{sign}{}{decimal}{:02}", abs / 100, abs % 100)
                    }
                    Cell::Count(n) => n.to_string(),
                    Cell::Date(d) => d.map(|d| d.to_string()).unwrap_or_default(),
                    Cell::Moment(s) => {
                        let day = Date::from_days_since_epoch(s.div_euclid(86_400) as i32);
                        let t = s.rem_euclid(86_400);
                        format!("{day} {:02}:{:02}", t / 3600, t % 3600 / 60)
                    }
                })
                .collect();
            out.push_str(&line.join(&separator.to_string()));
            out.push_str("\r\n");
        }
        out
    }

    /// The list as an Excel workbook whose sheet is called `sheet` (as the
    /// file, up to Excel's 31 characters).
    pub fn xlsx(&self, lang: Language, sheet: &str) -> Result<Vec<u8>, String> {
        let err = |e: rust_xlsxwriter::XlsxError| e.to_string();
        let mut workbook = Workbook::new();
        let name: String = sheet
            .chars()
            .filter(|c| !matches!(c, '[' | ']' | ':' | '*' | '?' | '/' | '\\'))
            .take(31)
            .collect();
        let sheet = workbook.add_worksheet();
        if !name.is_empty() {
            sheet.set_name(&name).map_err(err)?;
        }
        let bold = Format::new().set_bold();
        let money = Format::new().set_num_format("#,##0.00");
        let date = Format::new().set_num_format(match lang {
            Language::Nl => "dd-mm-yyyy",
            Language::En => "d mmm yyyy",
        });
        let moment = Format::new().set_num_format(match lang {
            Language::Nl => "dd-mm-yyyy hh:mm",
            Language::En => "d mmm yyyy hh:mm",
        });
        for (col, c) in self.columns.iter().enumerate() {
            sheet
                .write_string_with_format(0, col as u16, i18n::t(lang, c.label), &bold)
                .map_err(err)?;
        }
        for (r, (cells, _)) in self.rows.iter().enumerate() {
            let row = r as u32 + 1;
            for (c, cell) in cells.iter().enumerate() {
                let col = c as u16;
                match cell {
                    Cell::Text(t) => {
                        sheet.write_string(row, col, t).map_err(err)?;
                    }
                    Cell::Money(m) => {
                        sheet
                            .write_number_with_format(row, col, *m as f64 / 100.0, &money)
                            .map_err(err)?;
                    }
                    Cell::Count(n) => {
                        sheet.write_number(row, col, *n as f64).map_err(err)?;
                    }
                    Cell::Date(Some(d)) => {
                        let (y, m, dd) = d.ymd();
                        let value =
                            ExcelDateTime::from_ymd(y as u16, m as u8, dd as u8).map_err(err)?;
                        sheet
                            .write_datetime_with_format(row, col, &value, &date)
                            .map_err(err)?;
                    }
                    Cell::Date(None) => {}
                    Cell::Moment(s) => {
                        let value = ExcelDateTime::from_timestamp(*s).map_err(err)?;
                        sheet
                            .write_datetime_with_format(row, col, &value, &moment)
                            .map_err(err)?;
                    }
                }
            }
        }
        sheet.set_freeze_panes(1, 0).map_err(err)?;
        sheet.autofit();
        workbook.save_to_buffer().map_err(err)
    }

    /// The rows' own values, in the listing's order.
    pub fn items(&self) -> Vec<&T> {
        self.rows.iter().map(|(_, t)| t).collect()
    }
}

/// `path?query` without `sort`, `dir`, `format` and `page`: the base of the
/// listing's links.
pub fn base_of(path: &str, query: &Params) -> String {
    let mut keep: Vec<(&String, &String)> = query
        .iter()
        .filter(|(k, v)| !matches!(k.as_str(), "sort" | "dir" | "format" | "page") && !v.is_empty())
        .collect();
    keep.sort();
    if keep.is_empty() {
        return path.to_string();
    }
    let pairs: Vec<String> = keep
        .iter()
        .map(|(k, v)| format!("{}={}", crate::auth::encode(k), crate::auth::encode(v)))
        .collect();
    format!("{path}?{}", pairs.join("&"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const COLUMNS: &[Column] = &[column("name", "Name"), totalled("open", "Open")];

    fn listing() -> Listing<u8> {
        Listing::new(
            COLUMNS,
            vec![
                (vec![Cell::Text("b".into()), Cell::Money(150)], 1),
                (vec![Cell::Text("=A1".into()), Cell::Money(-5)], 2),
                (
                    vec![Cell::Text("a; \"x\"".into()), Cell::Money(1_000_000)],
                    3,
                ),
            ],
        )
    }

    #[test]
    fn sorts_totals_and_exports_in_the_readers_format() {
        let mut query = Params::new();
        query.insert("sort".into(), "open".into());
        let sorted = listing().sort(&query);
        assert_eq!(sorted.items(), vec![&3, &1, &2], "amounts: largest first");
        assert_eq!(sorted.totals(), vec![None, Some(1_000_145)]);
        let csv = sorted.csv(Language::Nl);
        let lines: Vec<&str> = csv.lines().collect();
        assert_eq!(lines[0], "Naam;Openstaand");
        assert_eq!(lines[1], "\"a; \"\"x\"\"\";10000,00");
        assert_eq!(lines[3], "'=A1;-0,05", "a formula is never a formula");
        assert!(sorted.csv(Language::En).contains("b,1.50"));
        let xlsx = sorted.xlsx(Language::Nl, "klanten").unwrap();
        assert_eq!(&xlsx[..2], b"PK", "an xlsx is a zip");
        query.insert("dir".into(), "asc".into());
        query.insert("sort".into(), "name".into());
        let by_name = listing().sort(&query);
        assert_eq!(by_name.items(), vec![&2, &3, &1]);
        let head = serde_json::to_value(by_name.head("/payments?q=x", Language::Nl)).unwrap();
        assert_eq!(head["headings"][0]["aria"], "ascending");
        assert_eq!(
            head["headings"][0]["href"],
            "/payments?q=x&sort=name&dir=desc"
        );
        assert_eq!(head["csv"], "/payments?q=x&sort=name&dir=asc&format=csv");
    }
}
