//! Worklists across customers: calls and other tasks, messages, disputes,
//! payment agreements (promises) and payment plans. Each list filters by
//! status and by customer, sorts by any column, totals its amounts over the
//! whole filtered set, pages with its filters kept, and exports exactly what
//! it lists to CSV and Excel (see [`crate::listing`]).

use super::*;

/// The lists, in the order of their tabs: (path segment, heading).
const LISTS: &[(&str, &str)] = &[
    ("tasks", "Tasks"),
    ("messages", "Messages"),
    ("disputes", "Disputes"),
    ("promises", "Payment agreements"),
    ("plans", "Payment plans"),
];

/// The periods the message list offers: (value, days back, label).
const PERIODS: &[(&str, Option<i32>, &str)] = &[
    ("30", Some(30), "last 30 days"),
    ("90", Some(90), "last 90 days"),
    ("365", Some(365), "last 12 months"),
    ("all", None, "all"),
];

/// Rows per page (the export has them all).
const PAGE_SIZE: usize = 100;

const TASKS: &[Column] = &[
    column("due", "Due"),
    column("customer", "Customer"),
    column("task", "Task"),
    totalled("amount", "Amount"),
    column("assignee", "Assigned to"),
    column("status", "Status"),
    column("outcome", "Outcome"),
];

const MESSAGES: &[Column] = &[
    column("date", "Date"),
    column("customer", "Customer"),
    column("step", "Step"),
    column("channel", "Channel"),
    totalled("amount", "Amount"),
    column("status", "Status"),
    column("delivered", "Delivered"),
];

const DISPUTES: &[Column] = &[
    column("opened", "Opened"),
    column("customer", "Customer"),
    column("invoice", "Invoice"),
    column("reason", "Reason"),
    column("status", "Status"),
    column("resolved", "Resolved"),
];

const PROMISES: &[Column] = &[
    column("promised", "Pays by"),
    column("customer", "Customer"),
    totalled("amount", "Amount"),
    totalled("paid", "Paid"),
    column("status", "Status"),
    column("made", "Made on"),
    column("note", "Note"),
];

const PLANS: &[Column] = &[
    column("made", "Made on"),
    column("customer", "Customer"),
    totalled("total", "Total"),
    totalled("paid", "Paid"),
    column("instalments", "Instalments"),
    column("status", "Status"),
    column("missed", "Missed instalment"),
];

/// What a row links to and what can be done on it, beside its cells.
#[derive(Default)]
struct RowExtra {
    customer: String,
    /// The message page (messages).
    href: Option<String>,
    /// An open task that can be marked done here.
    task: Option<i64>,
    talking_points: Option<String>,
}

/// The status filter of a list: (value, label); `all` keeps every row.
fn statuses(list: &str) -> &'static [(&'static str, &'static str)] {
    match list {
        "tasks" => &[("open", "open"), ("done", "done"), ("all", "all")],
        "messages" => &[
            ("all", "all"),
            ("queued", "queued"),
            ("sent", "sent"),
            ("failed", "failed"),
            ("cancelled", "cancelled"),
        ],
        "disputes" => &[("open", "open"), ("resolved", "resolved"), ("all", "all")],
        "promises" => &[
            ("all", "all"),
            ("pending", "not yet due"),
            ("kept", "kept"),
            ("broken", "broken"),
        ],
        _ => &[
            ("all", "all"),
            ("active", "active"),
            ("completed", "completed"),
            ("broken", "broken"),
        ],
    }
}

fn status_label(list: &str, status: &str, lang: Language) -> String {
    let label = statuses(list)
        .iter()
        .find(|(value, _)| *value == status)
        .map_or(status, |(_, label)| label);
    i18n::t(lang, label).to_string()
}

pub(super) fn worklist(
    state: &S,
    visit: &Visit,
    path: &Params,
    query: &Params,
) -> Result<Response, Fail> {
    require(&visit.user, Action::View, None)?;
    let list = field(path, "list")?;
    let Some(&(list, heading)) = LISTS.iter().find(|(l, _)| *l == list) else {
        return Err(Fail::NotFound(format!("no list '{list}'")));
    };
    let lang = visit.user.language;
    let as_of = state.as_of();
    let live = state.live();
    let status = opt(query, "status")
        .filter(|s| statuses(list).iter().any(|(v, _)| v == s))
        .unwrap_or(statuses(list)[0].0);
    let keep = |s: &str| status == "all" || s == status;
    let period_key = opt(query, "period")
        .filter(|p| PERIODS.iter().any(|(v, _, _)| v == p))
        .unwrap_or(PERIODS[0].0);
    let period = PERIODS
        .iter()
        .find(|(v, _, _)| *v == period_key)
        .and_then(|(_, days, _)| *days);
    let wanted = opt(query, "q").map(str::to_lowercase);
    // Names from the book in memory (every customer), not another read.
    let book = portfolio(state, false)?;
    let names: HashMap<&str, &str> = book
        .rows
        .iter()
        .map(|r| (r.number.as_str(), r.name.as_str()))
        .collect();
    let name_of = |number: &str| names.get(number).copied().unwrap_or_default().to_string();
    let who = |number: &str| Cell::Text(format!("{number} · {}", name_of(number)));
    let date = |d: Date| Cell::Date(Some(d));
    let extra = |customer: &str| RowExtra {
        customer: customer.to_string(),
        ..RowExtra::default()
    };
    let (columns, rows): (&'static [Column], Vec<(Vec<Cell>, RowExtra)>) = match list {
        "tasks" => {
            let lines = state.read(|tx| agreements::tasks(tx, true))?;
            // What a customer asked on their own page is titled in the
            // company's language when it is stored; the request says it
            // again in the reader's.
            let asked: HashMap<i64, String> = state
                .read(|tx| tegoed_app::portal::recent(tx, None, None, 3660, lang, as_of))?
                .into_iter()
                .filter_map(|r| Some((r.task?, r.text)))
                .collect();
            let rows = lines
                .into_iter()
                .filter(|t| keep(t.status))
                .map(|t| {
                    let cells = vec![
                        date(t.due_on),
                        who(&t.customer),
                        Cell::Text(asked.get(&t.id).unwrap_or(&t.title).clone()),
                        Cell::Money(t.amount.minor),
                        Cell::Text(t.assignee.clone().unwrap_or_default()),
                        Cell::Text(status_label(list, t.status, lang)),
                        Cell::Text(t.outcome.clone().unwrap_or_default()),
                    ];
                    let mut row = extra(&t.customer);
                    if t.done_on.is_none() && visit.user.role.may(Action::Collect) {
                        row.task = Some(t.id);
                        row.talking_points =
                            Some(t.talking_points_in(lang)).filter(|p| !p.trim().is_empty());
                    }
                    (cells, row)
                })
                .collect();
            (TASKS, rows)
        }
        "messages" => {
            // Of a period (a large book sends thousands a day): the last
            // 30 days unless asked otherwise.
            let since = match period {
                Some(days) => as_of.add_days(-days),
                None => Date::from_days_since_epoch(0),
            };
            let lines = state.read(|tx| tegoed_app::dunning::messages_since(tx, since))?;
            let rows = lines
                .into_iter()
                .filter(|m| keep(m.status))
                .map(|m| {
                    let cells = vec![
                        date(m.as_of),
                        who(&m.customer),
                        Cell::Text(step_label(&live.config, &m.segment, &m.step, lang)),
                        Cell::Text(i18n::t(lang, m.channel).to_string()),
                        Cell::Money(m.total_minor),
                        Cell::Text(status_label(list, m.status, lang)),
                        Cell::Date(m.delivered_on),
                    ];
                    let mut row = extra(&m.customer);
                    row.href = Some(format!(
                        "/customers/{}/messages/{}",
                        auth::encode(&m.customer),
                        m.id
                    ));
                    (cells, row)
                })
                .collect();
            (MESSAGES, rows)
        }
        "disputes" => {
            let lines = state.read(|tx| agreements::disputes(tx, true))?;
            let rows = lines
                .into_iter()
                .filter(|d| {
                    keep(if d.resolved_on.is_some() {
                        "resolved"
                    } else {
                        "open"
                    })
                })
                .map(|d| {
                    let status = if d.resolved_on.is_some() {
                        "resolved"
                    } else {
                        "open"
                    };
                    let cells = vec![
                        date(d.opened_on),
                        who(&d.customer),
                        Cell::Text(d.invoice.clone()),
                        Cell::Text(d.reason.clone()),
                        Cell::Text(status_label(list, status, lang)),
                        Cell::Date(d.resolved_on),
                    ];
                    (cells, extra(&d.customer))
                })
                .collect();
            (DISPUTES, rows)
        }
        "promises" => {
            let lines = state.read(|tx| agreements::promises(tx, false, as_of))?;
            let rows = lines
                .into_iter()
                .filter(|p| keep(p.status))
                .map(|p| {
                    let cells = vec![
                        date(p.promised_on),
                        who(&p.customer),
                        Cell::Money(p.amount.minor),
                        Cell::Money(p.paid.minor),
                        Cell::Text(status_label(list, p.status, lang)),
                        date(p.created_on),
                        Cell::Text(p.note.clone().unwrap_or_default()),
                    ];
                    (cells, extra(&p.customer))
                })
                .collect();
            (PROMISES, rows)
        }
        _ => {
            let grace = live.config.dunning.plan_grace_days;
            let lines = state.read(|tx| agreements::plans(tx, as_of, grace))?;
            let rows = lines
                .into_iter()
                .filter(|p| keep(p.status))
                .map(|p| {
                    let cells = vec![
                        date(p.created_on),
                        who(&p.customer),
                        Cell::Money(p.total.minor),
                        Cell::Money(p.paid.minor),
                        Cell::Count(p.instalments.len() as i64),
                        Cell::Text(status_label(list, p.status, lang)),
                        Cell::Date(p.missed),
                    ];
                    (cells, extra(&p.customer))
                })
                .collect();
            (PLANS, rows)
        }
    };
    let rows: Vec<_> = match &wanted {
        Some(q) => rows
            .into_iter()
            .filter(|(_, row)| {
                row.customer.to_lowercase().contains(q.as_str())
                    || name_of(&row.customer).to_lowercase().contains(q.as_str())
            })
            .collect(),
        None => rows,
    };
    let listed = Listing::new(columns, rows).sort(query);
    let file = format!("{}-{as_of}", file_name(list, lang));
    if let Some(file) = listed.export(query, lang, &file) {
        return Ok(file);
    }
    let here = format!("/lists/{list}");
    let base = listing::base_of(&here, query);
    let head = listed.head(&base, lang);
    let count = listed.rows.len();
    let pages = count.div_ceil(PAGE_SIZE).max(1);
    let page: usize = opt(query, "page")
        .and_then(|p| p.parse().ok())
        .unwrap_or(1)
        .clamp(1, pages);
    let shown: Vec<ListRow> = listed
        .rows
        .iter()
        .skip((page - 1) * PAGE_SIZE)
        .take(PAGE_SIZE)
        .map(|(cells, row)| {
            let cells: Vec<ListCell> = cells
                .iter()
                .enumerate()
                .map(|(i, cell)| {
                    let href = match (columns[i].key, &row.href) {
                        ("customer", _) => {
                            Some(format!("/customers/{}", auth::encode(&row.customer)))
                        }
                        ("step", Some(href)) => Some(href.clone()),
                        _ => None,
                    };
                    ListCell {
                        text: cell_text(cell, lang),
                        num: matches!(cell, Cell::Money(_) | Cell::Count(_)),
                        href,
                    }
                })
                .collect();
            ListRow {
                cells,
                task: row.task,
                talking_points: row.talking_points.clone(),
            }
        })
        .collect();
    // The page's own address with its filters, order and page: where a
    // form on a row comes back to.
    let order = match listed.sorted {
        Some((i, d)) => format!(
            "sort={}&dir={}&",
            columns[i].key,
            if d { "desc" } else { "asc" }
        ),
        None => String::new(),
    };
    let join = if base.contains('?') { '&' } else { '?' };
    let paged = format!("{base}{join}{order}");
    let tabs = LISTS
        .iter()
        .map(|(l, h)| Tab {
            href: format!("/lists/{l}"),
            label: i18n::t(lang, h),
            current: *l == list,
        })
        .collect();
    let option = |value: &'static str, label: &'static str, selected: bool| Choice {
        value,
        label: i18n::t(lang, label),
        selected,
    };
    let options = statuses(list)
        .iter()
        .map(|(v, label)| option(v, label, *v == status))
        .collect();
    let actions = shown.iter().any(|r| r.task.is_some());
    let periods = if list == "messages" {
        PERIODS
            .iter()
            .map(|(v, _, label)| option(v, label, *v == period_key))
            .collect()
    } else {
        Vec::new()
    };
    let view = ListPage {
        heading,
        list: head,
        list_name: list,
        rows: shown,
        columns: columns.len(),
        actions,
        tabs,
        statuses: options,
        periods,
        q: opt(query, "q").unwrap_or(""),
        page,
        pages,
        back: format!("{paged}page={page}"),
        paged,
    };
    render(state, visit, "lists.html", heading, view)
}

/// A worklist's view-model (`lists.html`): one page of the list as cells
/// in the reader's format, with its tabs, filters and paging.
#[derive(Serialize)]
struct ListPage<'a> {
    heading: &'a str,
    list: listing::Head,
    list_name: &'a str,
    rows: Vec<ListRow>,
    /// How many columns the rows have.
    columns: usize,
    /// Some row has a task to complete (the action column is shown).
    actions: bool,
    tabs: Vec<Tab>,
    statuses: Vec<Choice>,
    /// The periods to filter messages on (messages only).
    periods: Vec<Choice>,
    q: &'a str,
    page: usize,
    pages: usize,
    /// The page's address with its filters and order, for the paging.
    paged: String,
    /// Where a form on a row comes back to.
    back: String,
}

#[derive(Serialize)]
struct ListRow {
    cells: Vec<ListCell>,
    task: Option<i64>,
    talking_points: Option<String>,
}

#[derive(Serialize)]
struct ListCell {
    text: String,
    /// A number (right-aligned).
    num: bool,
    href: Option<String>,
}

/// One worklist among the tabs.
#[derive(Serialize)]
struct Tab {
    href: String,
    label: &'static str,
    current: bool,
}

/// A status or period to filter on.
#[derive(Serialize)]
struct Choice {
    value: &'static str,
    label: &'static str,
    selected: bool,
}

/// A cell as the page shows it (the export keeps its type).
fn cell_text(cell: &Cell, lang: Language) -> String {
    match cell {
        Cell::Text(t) => t.clone(),
        Cell::Money(m) => tegoed_app::format::money(*m, "EUR", lang),
        Cell::Count(n) => tegoed_app::format::integer(*n, lang),
        Cell::Date(Some(d)) => tegoed_app::format::short_date(*d, lang),
        Cell::Date(None) => String::new(),
        Cell::Moment(s) => tegoed_app::format::moment(*s, lang),
    }
}

fn file_name(list: &str, lang: Language) -> &'static str {
    match (list, lang) {
        ("tasks", Language::Nl) => "taken",
        ("tasks", _) => "tasks",
        ("messages", Language::Nl) => "berichten",
        ("messages", _) => "messages",
        ("disputes", Language::Nl) => "geschillen",
        ("disputes", _) => "disputes",
        ("promises", Language::Nl) => "betaalafspraken",
        ("promises", _) => "payment-agreements",
        (_, Language::Nl) => "betalingsregelingen",
        _ => "payment-plans",
    }
}
