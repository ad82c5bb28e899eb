//! The whole debtor book on one day, in memory: every customer with their
//! segment, risk class, open and overdue amounts and collection state, the
//! aging totals and DSO. The web app builds it in the background and
//! answers the Today page, customer search and "my customers" from it, so
//! those pages cost a filter over memory, not a scan of a million invoices.

use serde::Serialize;
use tegoed_core::aging::{Bucket, BucketTotals};
use tegoed_core::customer::CustomerKind;
use tegoed_core::segment::assign;
use tegoed_core::{AccountManagerId, Currency, CustomerId, Date, InvoiceId};
use tegoed_store::ReadTx;

use crate::Result;
use crate::config::Config;
use crate::reports::{self, DsoReport};

/// One customer as lists show them.
#[derive(Clone, Debug, Serialize)]
pub struct PortfolioRow {
    #[serde(skip)]
    pub id: CustomerId,
    pub number: String,
    pub name: String,
    pub kind: &'static str,
    #[serde(skip)]
    pub account_manager: Option<AccountManagerId>,
    /// Index into the configuration's segments.
    #[serde(skip)]
    pub segment: usize,
    pub risk_class: Option<char>,
    /// Open in euros (invoices less credit notes with credit left).
    pub open_minor: i64,
    pub overdue_minor: i64,
    pub max_days_overdue: i32,
    pub on_hold: bool,
    pub paused: bool,
    pub handed_off: bool,
    pub in_plan: bool,
}

/// A column the customer list can be sorted by.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SortKey {
    Number,
    Name,
    Risk,
    Open,
    Overdue,
    Days,
}

impl SortKey {
    pub const ALL: [SortKey; 6] = [
        SortKey::Number,
        SortKey::Name,
        SortKey::Risk,
        SortKey::Open,
        SortKey::Overdue,
        SortKey::Days,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            SortKey::Number => "number",
            SortKey::Name => "name",
            SortKey::Risk => "risk",
            SortKey::Open => "open",
            SortKey::Overdue => "overdue",
            SortKey::Days => "days",
        }
    }

    pub fn parse(text: &str) -> Option<SortKey> {
        SortKey::ALL.into_iter().find(|k| k.as_str() == text)
    }
}

/// How to sort the customer list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Sort {
    pub key: SortKey,
    pub descending: bool,
}

/// The size and money of a filtered set of customers.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Totals {
    pub customers: usize,
    pub open_minor: i64,
    pub overdue_minor: i64,
}

/// An invoice that went overdue in the last week.
#[derive(Clone, Copy, Debug)]
pub struct NewlyOverdue {
    pub row: usize,
    pub invoice: InvoiceId,
    pub due_date: Date,
    pub open_minor: i64,
}

pub struct Portfolio {
    pub as_of: Date,
    /// Most overdue first, then most open, then by number: the order lists
    /// show.
    pub rows: Vec<PortfolioRow>,
    /// Euro aging of open invoices.
    pub aging: BucketTotals,
    pub dso: DsoReport,
    pub invoices: u64,
    pub newly_overdue: Vec<NewlyOverdue>,
    /// Whether risk classes come from a fitted model (else none are set).
    pub has_model: bool,
    /// The risk model the book was scored with (shared with checks).
    pub model: Option<std::sync::Arc<crate::risk::LoadedModel>>,
    /// The worklists that read every agreement (built with the book).
    pub worklists: Worklists,
    /// Every row's number and name, for search.
    names: NameIndex,
    /// Row index by customer id.
    by_id: rustc_hash::FxHashMap<CustomerId, usize>,
    /// Row index by customer number (Today names disputes by it).
    by_number: rustc_hash::FxHashMap<String, usize>,
}

/// Customer numbers and names in lower case, one line per row in one
/// string, so a search is one SIMD substring scan instead of a string
/// comparison per customer.
#[derive(Default)]
struct NameIndex {
    text: String,
    /// Where each row's line starts in `text`.
    starts: Vec<usize>,
}

impl NameIndex {
    fn new(rows: &[PortfolioRow]) -> NameIndex {
        let mut index = NameIndex {
            text: String::with_capacity(rows.len() * 40),
            starts: Vec::with_capacity(rows.len()),
        };
        for row in rows {
            index.starts.push(index.text.len());
            for part in [&row.number, &row.name] {
                // The same lower-casing as the query's.
                let lower = part.to_lowercase();
                index
                    .text
                    .extend(lower.chars().map(|c| if c.is_control() { ' ' } else { c }));
                index.text.push(' ');
            }
            index.text.push('\n');
        }
        index
    }

    /// The rows whose number or name contains `query` (lower case, no line
    /// breaks), in row order.
    fn rows_containing(&self, query: &str) -> Vec<usize> {
        let finder = memchr::memmem::Finder::new(query.as_bytes());
        let text = self.text.as_bytes();
        let mut found: Vec<usize> = Vec::new();
        let (mut row, mut from) = (0, 0);
        while let Some(hit) = finder.find(&text[from..]) {
            let at = from + hit;
            // Rows only move forward: walk to the one holding `at`.
            while row + 1 < self.starts.len() && self.starts[row + 1] <= at {
                row += 1;
            }
            found.push(row);
            // The rest of this row cannot add it again.
            match self.starts.get(row + 1) {
                Some(next) => from = *next,
                None => break,
            }
        }
        found
    }
}

/// Today's worklists that cost a pass over all agreements.
#[derive(Clone, Debug, Default)]
pub struct Worklists {
    /// Broken promises, newest promised date first.
    pub broken: Vec<crate::agreements::PromiseLine>,
    /// Disputes opened in the last 14 days, still open.
    pub new_disputes: Vec<crate::agreements::DisputeLine>,
    /// Payments waiting for a person.
    pub to_match: usize,
}

/// Builds the worklists of `as_of`.
pub fn worklists(tx: &mut dyn ReadTx, as_of: Date) -> Result<Worklists> {
    let mut broken = crate::agreements::promises(tx, true, as_of)?;
    broken.sort_by_key(|p| std::cmp::Reverse(p.promised_on));
    let new_disputes = crate::agreements::disputes(tx, false)?
        .into_iter()
        .filter(|d| d.opened_on.add_days(14) >= as_of)
        .collect();
    Ok(Worklists {
        broken,
        new_disputes,
        to_match: crate::review::queue_size(tx)?,
    })
}

/// How to narrow the customer list.
#[derive(Clone, Debug, Default)]
pub struct Filter {
    /// Part of the number or name (any case).
    pub query: Option<String>,
    pub segment: Option<usize>,
    pub risk_class: Option<char>,
    pub account_manager: Option<AccountManagerId>,
    pub overdue_only: bool,
    pub on_hold_only: bool,
}

impl Filter {
    fn keeps(&self, row: &PortfolioRow) -> bool {
        self.segment.is_none_or(|s| row.segment == s)
            && self.risk_class.is_none_or(|c| row.risk_class == Some(c))
            && self
                .account_manager
                .is_none_or(|m| row.account_manager == Some(m))
            && (!self.overdue_only || row.overdue_minor > 0)
            && (!self.on_hold_only || row.on_hold)
    }
}

impl Portfolio {
    /// Customers passing `filter`, most overdue first, then by number: the
    /// total and one page of them.
    /// The customers `filter` keeps, sorted by `sort` (list order when
    /// none; ties keep list order), with the totals of that whole set.
    pub fn list(&self, filter: &Filter, sort: Option<Sort>) -> (Totals, Vec<&PortfolioRow>) {
        let (_, mut rows) = self.search(filter, 0, usize::MAX);
        if let Some(sort) = sort {
            rows.sort_by(|a, b| {
                let order = match sort.key {
                    SortKey::Number => a.number.cmp(&b.number),
                    SortKey::Name => a.name.to_lowercase().cmp(&b.name.to_lowercase()),
                    SortKey::Open => a.open_minor.cmp(&b.open_minor),
                    SortKey::Overdue => a.overdue_minor.cmp(&b.overdue_minor),
                    SortKey::Days => a.max_days_overdue.cmp(&b.max_days_overdue),
                    // Unscored customers last, whichever way.
                    SortKey::Risk => match (a.risk_class, b.risk_class) {
                        (Some(x), Some(y)) => x.cmp(&y),
                        (Some(_), None) => return std::cmp::Ordering::Less,
                        (None, Some(_)) => return std::cmp::Ordering::Greater,
                        (None, None) => std::cmp::Ordering::Equal,
                    },
                };
                if sort.descending {
                    order.reverse()
                } else {
                    order
                }
            });
        }
        let mut totals = Totals {
            customers: rows.len(),
            ..Totals::default()
        };
        for row in &rows {
            // A total is for reading; it stops at the largest amount
            // rather than wrapping.
            totals.open_minor = totals.open_minor.saturating_add(row.open_minor);
            totals.overdue_minor = totals.overdue_minor.saturating_add(row.overdue_minor);
        }
        (totals, rows)
    }

    pub fn search(
        &self,
        filter: &Filter,
        offset: usize,
        limit: usize,
    ) -> (usize, Vec<&PortfolioRow>) {
        let query = filter
            .query
            .as_deref()
            .map(|q| q.trim().to_lowercase())
            .filter(|q| !q.is_empty());
        // Rows are kept in list order, so the hits come out in it.
        let hits: Vec<&PortfolioRow> = match query {
            // A line break cannot be part of a number or name.
            Some(q) if q.chars().any(char::is_control) => Vec::new(),
            Some(q) => self
                .names
                .rows_containing(&q)
                .into_iter()
                .map(|i| &self.rows[i])
                .filter(|r| filter.keeps(r))
                .collect(),
            None => self.rows.iter().filter(|r| filter.keeps(r)).collect(),
        };
        let total = hits.len();
        let page = hits.into_iter().skip(offset).take(limit).collect();
        (total, page)
    }

    pub fn row_by_id(&self, id: CustomerId) -> Option<&PortfolioRow> {
        self.by_id.get(&id).map(|&i| &self.rows[i])
    }

    pub fn row_of(&self, number: &str) -> Option<&PortfolioRow> {
        self.by_number.get(number).map(|&i| &self.rows[i])
    }
}

/// Builds the portfolio of `as_of`.
pub fn build(tx: &mut dyn ReadTx, config: &Config, as_of: Date) -> Result<Portfolio> {
    // Every customer's risk class is shown, whether a segment uses it or not.
    let (snapshot, model) = crate::risk::classified_snapshot(tx, config, as_of, true)?;
    let model = model.map(std::sync::Arc::new);
    let has_model = model.is_some();
    let in_plan: rustc_hash::FxHashSet<CustomerId> = tx
        .plans(None, true)?
        .into_iter()
        .map(|p| p.plan.customer)
        .collect();
    let invoices = tx.invoice_count()?;
    let mut aging = BucketTotals::default();
    let mut newly_overdue = Vec::new();
    let today = as_of.days_since_epoch();
    let mut rows = Vec::with_capacity(snapshot.customers.len());
    for (i, brief) in snapshot.customers.iter().enumerate() {
        let facts = &snapshot.facts[i];
        let state = &snapshot.states[i];
        for doc in &snapshot.open[i] {
            if doc.currency != Currency::EUR {
                continue;
            }
            let days = today - doc.due_date.days_since_epoch();
            aging.add(days, doc.open_minor)?;
            if doc.open_minor > 0 && (1..=7).contains(&days) {
                newly_overdue.push(NewlyOverdue {
                    row: i,
                    invoice: doc.invoice,
                    due_date: doc.due_date,
                    open_minor: doc.open_minor,
                });
            }
        }
        rows.push(PortfolioRow {
            id: brief.id,
            number: brief.number.clone(),
            name: brief.name.clone(),
            kind: match brief.kind {
                CustomerKind::B2b => "b2b",
                CustomerKind::B2c => "b2c",
            },
            account_manager: brief.account_manager,
            segment: assign(&config.segments, facts).expect("the last segment takes everyone"),
            risk_class: facts.risk_class,
            open_minor: facts.open_minor,
            overdue_minor: facts.overdue_minor,
            max_days_overdue: facts.max_days_overdue,
            on_hold: state.credit_hold_since.is_some(),
            paused: state.is_paused_on(as_of),
            handed_off: state.handed_off_on.is_some(),
            in_plan: in_plan.contains(&brief.id),
        });
    }
    let rows = in_list_order(rows, &mut newly_overdue);
    let dso = reports::dso(tx, as_of, Currency::EUR, 90)?;
    let worklists = worklists(tx, as_of)?;
    let names = NameIndex::new(&rows);
    let by_id = rows.iter().enumerate().map(|(i, r)| (r.id, i)).collect();
    let by_number = rows
        .iter()
        .enumerate()
        .map(|(i, r)| (r.number.clone(), i))
        .collect();
    Ok(Portfolio {
        as_of,
        rows,
        aging,
        dso,
        invoices,
        newly_overdue,
        has_model,
        model,
        worklists,
        names,
        by_id,
        by_number,
    })
}

/// Sorts the rows the way lists show them — most overdue first, then most
/// open, then by number — once, so a search needs no sorting; `newly_overdue`
/// follows its rows.
fn in_list_order(rows: Vec<PortfolioRow>, newly_overdue: &mut [NewlyOverdue]) -> Vec<PortfolioRow> {
    let key = |r: &PortfolioRow| {
        (
            std::cmp::Reverse(r.overdue_minor),
            std::cmp::Reverse(r.open_minor),
        )
    };
    let mut order: Vec<usize> = (0..rows.len()).collect();
    order.sort_by(|a, b| {
        let (a, b) = (&rows[*a], &rows[*b]);
        key(a).cmp(&key(b)).then_with(|| a.number.cmp(&b.number))
    });
    let mut position = vec![0; rows.len()];
    for (to, from) in order.iter().enumerate() {
        position[*from] = to;
    }
    let mut slots: Vec<Option<PortfolioRow>> = rows.into_iter().map(Some).collect();
    let sorted = order
        .iter()
        .map(|from| slots[*from].take().expect("each row is moved once"))
        .collect();
    for n in newly_overdue {
        n.row = position[n.row];
    }
    sorted
}

/// The bucket labels, in order, with their euro amounts.
pub fn aging_lines(aging: &BucketTotals) -> Vec<(&'static str, i64, u64)> {
    Bucket::ALL
        .iter()
        .map(|b| (b.key(), aging.amounts[b.index()], aging.counts[b.index()]))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(number: &str, name: &str) -> PortfolioRow {
        PortfolioRow {
            id: CustomerId(0),
            number: number.into(),
            name: name.into(),
            kind: "b2b",
            account_manager: None,
            segment: 0,
            risk_class: None,
            open_minor: 0,
            overdue_minor: 0,
            max_days_overdue: 0,
            on_hold: false,
            paused: false,
            handed_off: false,
            in_plan: false,
        }
    }

    #[test]
    fn lists_show_the_most_overdue_first_and_notices_follow_their_rows() {
        let with = |number: &str, overdue: i64, open: i64| PortfolioRow {
            overdue_minor: overdue,
            open_minor: open,
            ..row(number, "x")
        };
        let rows = vec![
            with("C3", 0, 500),
            with("C2", 100, 100),
            with("C1", 100, 100),
            with("C4", 100, 900),
        ];
        let mut notices = vec![NewlyOverdue {
            row: 0,
            invoice: InvoiceId(7),
            due_date: Date::from_days_since_epoch(0),
            open_minor: 500,
        }];
        let sorted = in_list_order(rows, &mut notices);
        let numbers: Vec<&str> = sorted.iter().map(|r| r.number.as_str()).collect();
        assert_eq!(numbers, ["C4", "C1", "C2", "C3"]);
        assert_eq!(sorted[notices[0].row].number, "C3");
    }

    #[test]
    fn the_name_index_finds_numbers_and_names_in_any_case() {
        let rows = vec![
            row("C000001", "Bakkerij De Vries"),
            row("C000010", "Vries & Zonen\nB.V."),
            row("C000100", "ÉCOLE Dupont"),
        ];
        let index = NameIndex::new(&rows);
        assert_eq!(index.rows_containing("vries"), vec![0, 1]);
        assert_eq!(index.rows_containing("0001"), vec![0, 1, 2]);
        assert_eq!(
            index.rows_containing("c000001 bak"),
            vec![0],
            "number and name"
        );
        assert_eq!(index.rows_containing("école"), vec![2]);
        assert_eq!(
            index.rows_containing("zonen b.v."),
            vec![1],
            "a line break in a name"
        );
        assert!(
            index.rows_containing("vries c0").is_empty(),
            "never across rows"
        );
        assert!(index.rows_containing("nobody").is_empty());
    }
}
