//! Customers: the list, My customers, one customer's page, a message
//! as sent, and what people do on a customer (notes, promises, plans,
//! disputes, pauses, tasks).

use super::*;
use tegoed_app::dunning;

pub(super) const PAGE_SIZE: usize = 50;

pub(super) fn my_customers(
    state: &S,
    visit: &Visit,
    _: &Params,
    _: &Params,
) -> Result<Response, Fail> {
    let lang = visit.user.language;
    let Some(manager) = visit.user.account_manager else {
        return render(
            state,
            visit,
            "customers.html",
            "My customers",
            MinePage {
                mine: true,
                unlinked: true,
                ..MinePage::default()
            },
        );
    };
    let book = portfolio(state, false)?;
    let filter = Filter {
        account_manager: Some(manager),
        ..Filter::default()
    };
    let (total, rows) = book.search(&filter, 0, 500);
    let rows = rows_out(state, &rows, lang)?;
    let notes = notifications(state, &book, manager, lang)?;
    // The calls this account manager is to make (the key accounts' calls).
    let as_of = state.as_of();
    let (name, (_, calls), portal) = state.read(|tx| {
        let name = tx
            .account_managers()?
            .into_iter()
            .find(|(id, _)| *id == manager)
            .map(|(_, m)| m.name);
        Ok((
            name,
            agreements::call_list(tx, &book, as_of, 500)?,
            tegoed_app::portal::recent(tx, None, Some(manager), 14, lang, as_of)?,
        ))
    })?;
    let calls: Vec<_> = calls
        .into_iter()
        .filter(|c| c.task.assignee.is_some() && c.task.assignee == name)
        .collect();
    // What this salesperson's late payers cost this quarter so far.
    let (y, m, _) = as_of.ymd();
    let quarter = format!("{y}-Q{}", (m - 1) / 3 + 1);
    let period = tegoed_app::scoreboard::period_of(Some(&quarter), as_of)?;
    let report = state
        .cache
        .scoreboard(state, period)
        .map_err(Fail::Internal)?;
    let cost = report
        .rows
        .iter()
        .find(|r| r.account_manager_id == Some(manager))
        .map(|r| {
            let c = &r.cost_of_late_payment;
            let total = c
                .financing
                .minor
                .checked_add(c.collection.minor)
                .and_then(|t| t.checked_add(c.written_off.minor))
                .ok_or_else(|| Fail::Internal("the cost of late payment is too large".into()))?;
            Ok::<_, Fail>(LateCost {
                total,
                extra: c.extra_revenue_needed.map(|m| m.minor),
                share: r.share_on_time,
            })
        })
        .transpose()?;
    let page = MinePage {
        mine: true,
        unlinked: false,
        card: Some(super::appreciation::card(state, visit, 8)?),
        portal: super::today::portal_first(portal, 15),
        cost,
        calls,
        overdue_count: rows.iter().filter(|r| r.row.overdue_minor > 0).count(),
        hold_count: rows.iter().filter(|r| r.row.on_hold).count(),
        plan_count: rows.iter().filter(|r| r.row.in_plan).count(),
        rows,
        total,
        notifications: notes,
    };
    render(state, visit, "customers.html", "My customers", page)
}

/// My customers' view-model (`customers.html` with `mine`): a
/// salesperson's own customers, their calls, news and what late payment
/// cost this quarter.
#[derive(Serialize, Default)]
struct MinePage<'a> {
    mine: bool,
    /// The user is linked to no account manager: nothing to show.
    unlinked: bool,
    card: Option<super::appreciation::Card>,
    portal: Vec<tegoed_app::portal::TeamLine>,
    cost: Option<LateCost>,
    calls: Vec<agreements::CallLine>,
    rows: Vec<RowOut<'a>>,
    total: usize,
    overdue_count: usize,
    hold_count: usize,
    plan_count: usize,
    notifications: Vec<NewsLine>,
}

/// What this salesperson's late payers cost this quarter so far.
#[derive(Serialize)]
struct LateCost {
    /// Financing, collection and write-offs, in minor units (euros).
    total: i64,
    /// The extra sales needed to earn it back.
    extra: Option<i64>,
    share: Option<f64>,
}

/// A piece of news on My customers, in the reader's words.
#[derive(Serialize)]
pub(super) struct NewsLine {
    /// The kind of news (the page shows its name).
    kind: &'static str,
    date: String,
    customer: String,
    name: String,
    text: String,
    amount: Option<i64>,
}

/// What a salesperson should know about their customers this week
/// ([`tegoed_app::news`] decides; this says it in the reader's language).
pub(super) fn notifications(
    state: &S,
    book: &Portfolio,
    manager: AccountManagerId,
    lang: Language,
) -> Result<Vec<NewsLine>, Fail> {
    let config = &state.live().config;
    let news = state.read(|tx| tegoed_app::news::for_account_manager(tx, book, config, manager))?;
    Ok(news.into_iter().map(|n| news_line(n, lang)).collect())
}

/// A piece of news in `lang`.
fn news_line(n: tegoed_app::news::News, lang: Language) -> NewsLine {
    use tegoed_app::news::Detail;
    NewsLine {
        kind: n.kind,
        date: n.date.to_string(),
        text: match n.detail {
            Detail::Invoice { number } => number,
            // A hand-off says it all in its kind.
            Detail::Channel { .. } if n.kind == "handoff" => String::new(),
            Detail::Channel { channel } => i18n::t(lang, &channel).to_string(),
            Detail::HoldReason { reason } => hold_reason(&reason, lang),
            Detail::Pause { until, decided_by } => {
                let until = tegoed_app::format::long_date(until, lang);
                match lang {
                    Language::Nl => format!("tot en met {until}, besloten door {decided_by}"),
                    Language::En => format!("until {until}, decided by {decided_by}"),
                }
            }
        },
        customer: n.customer,
        name: n.name,
        amount: n.amount,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tegoed_app::news::{Detail, News};

    /// My customers told of a final notice by the step's id ("laatste
    /// aanmaning: final_notice"); it says the channel in words.
    #[test]
    fn news_of_a_final_notice_is_said_in_words() {
        let news = |kind, detail| News {
            kind,
            date: Date::parse_iso("2026-12-01").expect("date"),
            customer: "C1".into(),
            name: "Bakkerij Jansen".into(),
            detail,
            amount: Some(12_345),
        };
        let letter = Detail::Channel {
            channel: "letter".into(),
        };
        assert_eq!(
            news_line(news("final_notice", letter.clone()), Language::Nl).text,
            "brief"
        );
        assert_eq!(
            news_line(news("final_notice", letter), Language::En).text,
            "letter"
        );
        let handoff = Detail::Channel {
            channel: "handoff".into(),
        };
        assert_eq!(news_line(news("handoff", handoff), Language::Nl).text, "");
        let hold = Detail::HoldReason {
            reason: "dunning step final_notice (standard)".into(),
        };
        let text = news_line(news("blocked", hold), Language::Nl).text;
        assert_eq!(
            text,
            "gezet door de aanmaanrun bij de stap laatste aanmaning"
        );
        let pause = Detail::Pause {
            until: Date::parse_iso("2026-12-20").expect("date"),
            decided_by: "Carla Krediet".into(),
        };
        let text = news_line(news("pause_approved", pause), Language::Nl).text;
        assert_eq!(
            text,
            "tot en met 20 december 2026, besloten door Carla Krediet"
        );
    }
}

pub(super) fn customers(
    state: &S,
    visit: &Visit,
    _: &Params,
    query: &Params,
) -> Result<Response, Fail> {
    let lang = visit.user.language;
    let book = portfolio(state, false)?;
    let filter = listing::customer_filter(&state.live().config, query);
    let page: usize = opt(query, "page")
        .and_then(|p| p.parse().ok())
        .unwrap_or(1)
        .max(1);
    let sort = parse_sort(query);
    let (totals, all) = book.list(&filter, sort);
    if query.contains_key("format") {
        // Every customer the filters keep, in the list's order.
        let names: HashMap<AccountManagerId, String> = managers(state)?.into_iter().collect();
        let rows = all
            .iter()
            .map(|row| {
                let mut status = Vec::new();
                for (on, word) in [
                    (row.on_hold, "on hold"),
                    (row.in_plan, "plan"),
                    (row.paused, "paused"),
                    (row.handed_off, "agency"),
                ] {
                    if on {
                        status.push(i18n::t(lang, word));
                    }
                }
                let cells = vec![
                    Cell::Text(row.number.clone()),
                    Cell::Text(row.name.clone()),
                    Cell::Text(segment_name(state, row.segment, lang)),
                    Cell::Text(row.risk_class.map(String::from).unwrap_or_default()),
                    Cell::Money(row.open_minor),
                    Cell::Money(row.overdue_minor),
                    Cell::Count(i64::from(row.max_days_overdue.max(0))),
                    Cell::Text(status.join(", ")),
                    Cell::Text(
                        row.account_manager
                            .and_then(|m| names.get(&m).cloned())
                            .unwrap_or_default(),
                    ),
                ];
                (cells, ())
            })
            .collect();
        let file = if lang == Language::Nl {
            "klanten"
        } else {
            "customers"
        };
        if let Some(file) = Listing::new(CUSTOMER_EXPORT, rows).export(query, lang, file) {
            return Ok(file);
        }
    }
    let total = totals.customers;
    let shown: Vec<&PortfolioRow> = all
        .into_iter()
        .skip((page - 1) * PAGE_SIZE)
        .take(PAGE_SIZE)
        .collect();
    let rows = rows_out(state, &shown, lang)?;
    let live = state.live();
    let segments = live
        .config
        .segments
        .iter()
        .map(|s| Named {
            id: s.id.clone(),
            name: s.name(lang).to_string(),
        })
        .collect();
    let managers = managers(state)?
        .into_iter()
        .map(|(id, n)| Named {
            id: id.0.to_string(),
            name: n,
        })
        .collect();
    let mut keep: Vec<(String, String)> = query
        .iter()
        .filter(|(k, v)| !matches!(k.as_str(), "page" | "sort" | "dir") && !v.is_empty())
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    keep.sort();
    let base: String = keep
        .iter()
        .map(|(k, v)| format!("{}={}&", auth::encode(k), auth::encode(v)))
        .collect();
    let view = CustomersPage {
        mine: false,
        rows,
        total,
        page,
        pages: total.div_ceil(PAGE_SIZE).max(1),
        base,
        q: query,
        segments,
        managers,
        has_model: book.has_model,
        totals,
        columns: sort_columns(sort),
        sort: sort.map(|s| s.key.as_str()),
        descending: sort.is_some_and(|s| s.descending),
        order: sort
            .map(|s| {
                let dir = if s.descending { "desc" } else { "asc" };
                format!("sort={}&dir={dir}&", s.key.as_str())
            })
            .unwrap_or_default(),
    };
    render(state, visit, "customers.html", "Customers", view)
}

/// The customer list's view-model (`customers.html`, not `mine`): one page
/// of the filtered, sorted book, its totals and the filters.
#[derive(Serialize)]
struct CustomersPage<'a> {
    mine: bool,
    rows: Vec<RowOut<'a>>,
    total: usize,
    page: usize,
    pages: usize,
    /// The filters as a query, for the paging links.
    base: String,
    q: &'a Params,
    segments: Vec<Named>,
    managers: Vec<Named>,
    /// A risk model is trained (the risk column has classes).
    has_model: bool,
    /// Of the whole filtered set, not only this page.
    totals: tegoed_app::portfolio::Totals,
    columns: Vec<SortColumn>,
    sort: Option<&'static str>,
    descending: bool,
    /// The sort as a query, for the paging links.
    order: String,
}

/// A column header: sortable ones carry the key and the direction their
/// link sorts in.
#[derive(Serialize)]
struct SortColumn {
    key: Option<&'static str>,
    label: &'static str,
    class: &'static str,
    dir: Option<&'static str>,
    /// `aria-sort` of the column the list is sorted by.
    aria: Option<&'static str>,
}

/// The customer list as a file: the page's columns, the number split out.
const CUSTOMER_EXPORT: &[Column] = &[
    column("number", "Customer number"),
    column("name", "Name"),
    column("segment", "Segment"),
    column("risk", "Risk class"),
    totalled("open", "Open"),
    totalled("overdue", "Overdue"),
    column("days", "Days overdue"),
    column("status", "Status"),
    column("account_manager", "Account manager"),
];

/// The list's column headers: the sortable ones with the link that sorts
/// by them (the other way round when they already do).
fn sort_columns(sort: Option<Sort>) -> Vec<SortColumn> {
    let column = |key: Option<SortKey>, label: &'static str, class: &'static str| {
        let Some(key) = key else {
            return SortColumn {
                key: None,
                label,
                class,
                dir: None,
                aria: None,
            };
        };
        let current = sort.filter(|s| s.key == key);
        let first_desc = matches!(key, SortKey::Open | SortKey::Overdue | SortKey::Days);
        let dir = match current {
            Some(s) if s.descending => "asc",
            Some(_) => "desc",
            None if first_desc => "desc",
            None => "asc",
        };
        SortColumn {
            key: Some(key.as_str()),
            label,
            class,
            dir: Some(dir),
            aria: current.map(|s| {
                if s.descending {
                    "descending"
                } else {
                    "ascending"
                }
            }),
        }
    };
    vec![
        column(Some(SortKey::Name), "Customer", ""),
        column(None, "Segment", ""),
        column(Some(SortKey::Risk), "Risk", ""),
        column(Some(SortKey::Open), "Open", "num"),
        column(Some(SortKey::Overdue), "Overdue", "num"),
        column(Some(SortKey::Days), "Days", "num"),
        column(None, "Status", ""),
        column(None, "Account manager", ""),
    ]
}

/// `sort=open&dir=desc`: the column and the direction (amounts and days
/// start with the largest, names and numbers from A).
fn parse_sort(query: &Params) -> Option<Sort> {
    let key = SortKey::parse(opt(query, "sort")?)?;
    let descending = match opt(query, "dir") {
        Some("desc") => true,
        Some("asc") => false,
        _ => matches!(key, SortKey::Open | SortKey::Overdue | SortKey::Days),
    };
    Some(Sort { key, descending })
}

/// The open items' columns on the customer page (sortable, exportable,
/// amounts totalled).
const OPEN_ITEMS: &[Column] = &[
    column("invoice", "Invoice"),
    column("due", "Due"),
    totalled("amount", "Amount"),
    totalled("open", "Open"),
    column("days", "Days overdue"),
];

pub(super) fn customer(
    state: &S,
    visit: &Visit,
    path: &Params,
    query: &Params,
) -> Result<Response, Fail> {
    let number = field(path, "number")?;
    let lang = visit.user.language;
    let as_of = state.as_of();
    let live = state.live();
    // The model comes with the cached book (loaded once, not per page);
    // the rest is one read of the customer.
    let book = portfolio(state, false)?;
    // The customer's page requests in the same read: on PostgreSQL the
    // customer is then found again from the transaction's memory.
    let (view, portal) = state.read(|tx| {
        let view = customer::view(tx, &live.config, book.model.clone(), number, as_of, lang)?;
        let portal = match tx.customer_by_number(number)? {
            Some(c) => tegoed_app::portal::recent(tx, Some(c.id), None, 366, lang, as_of)?,
            None => Vec::new(),
        };
        Ok((view, portal))
    })?;
    let CustomerView {
        statement,
        owner,
        risk,
        segment: why,
        verdict,
        mut timeline,
        disputes,
        promises,
        plans,
        requests,
        mut tasks,
        state: state_line,
        paid,
        sale_agreements,
        relationship,
    } = view;
    timeline.reverse();
    // What the customer asked on their page is listed (and done) there,
    // in the reader's language, not again among the calls.
    let from_portal: Vec<i64> = portal.iter().filter_map(|r| r.task).collect();
    tasks.retain(|t| !from_portal.contains(&t.id));
    for task in &mut tasks {
        task.talking_points = task.talking_points_in(lang);
    }
    let all = query.contains_key("all");
    let items = Listing::new(
        OPEN_ITEMS,
        statement
            .open_items
            .iter()
            .map(|i| {
                (
                    vec![
                        Cell::Text(i.invoice_number.clone()),
                        Cell::Date(Some(i.due_date)),
                        Cell::Money(i.amount.minor),
                        Cell::Money(i.open_amount.minor),
                        Cell::Count(i64::from(i.days_overdue.max(0))),
                    ],
                    i,
                )
            })
            .collect(),
    )
    .sort(query);
    let file = format!(
        "{}-{number}",
        if lang == Language::Nl {
            "openstaande-posten"
        } else {
            "open-items"
        }
    );
    if let Some(file) = items.export(query, lang, &file) {
        return Ok(file);
    }
    let items_head = items.head(
        &listing::base_of(&format!("/customers/{}", auth::encode(number)), query),
        lang,
    );
    let open_items: Vec<&&tegoed_app::reports::OpenItemLine> = items.items();
    let timeline_total = timeline.len();
    timeline.truncate(if all { usize::MAX } else { 100 });
    let matched = why
        .tried
        .iter()
        .find(|t| t.matched)
        .and_then(|t| t.matched_alternative.and_then(|i| t.alternatives.get(i)))
        .cloned()
        .unwrap_or_default();
    let user = &visit.user;
    let title = statement.name.clone();
    let page = CustomerPage {
        segment: why.segment_name(lang),
        segment_id: &why.segment,
        strategy: live
            .config
            .strategy(&why.strategy)
            .map_or(why.strategy.as_str(), |s| s.name(lang)),
        why: matched.iter().map(|c| c.text(lang).to_string()).collect(),
        facts: &why.facts,
        c: &statement,
        open_items,
        list: items_head,
        risk: &risk,
        verdict: &verdict,
        timeline: &timeline,
        timeline_total,
        disputed: disputes
            .iter()
            .filter(|d| d.resolved_on.is_none())
            .map(|d| d.invoice.as_str())
            .collect(),
        disputes: &disputes,
        promises: &promises,
        plans: &plans,
        requests: &requests,
        tasks: &tasks,
        portal: &portal,
        portal_on: live.config.portal.enabled,
        state: &state_line,
        behaviour: view::behaviour_svg(
            &paid
                .iter()
                .map(|p| (p.paid_on, p.days_late))
                .collect::<Vec<_>>(),
            as_of,
            lang,
        ),
        paid_count: paid.len(),
        sale_agreements: &sale_agreements,
        relationship: &relationship,
        may: CustomerMay {
            note: user.may(Action::Note, owner),
            agreement: user.may(Action::Agreement, owner),
            request_pause: user.role == Role::Sales && user.may(Action::RequestPause, owner),
            collect: user.may(Action::Collect, owner),
            decide: user.may(Action::DecidePause, owner),
            limit: user.may(Action::SetLimit, owner),
            revoke_links: user.may(Action::RevokeLinks, owner),
        },
        own: owner.is_some() && owner == user.account_manager,
        today: as_of.to_string(),
    };
    render(state, visit, "customer.html", &title, page)
}

/// The customer page's view-model (`customer.html`): the shared view of
/// sales and credit, as the use case `customer::view` gathered it, with
/// what the reader's role may do here.
#[derive(Serialize)]
struct CustomerPage<'a> {
    /// The statement: the customer, their balance and open items.
    c: &'a tegoed_app::reports::Statement,
    /// The open items in the list's order (sortable, exportable).
    open_items: Vec<&'a &'a tegoed_app::reports::OpenItemLine>,
    list: listing::Head,
    /// The segment's name, id (for the settings link) and strategy's name.
    segment: &'a str,
    segment_id: &'a str,
    strategy: &'a str,
    /// Why the customer is in the segment: the conditions that held.
    why: Vec<String>,
    facts: &'a tegoed_app::segments::FactsLine,
    risk: &'a tegoed_app::risk::RiskShow,
    verdict: &'a Option<tegoed_app::policy::CheckResult>,
    /// Newest first; at most 100 unless all were asked for.
    timeline: &'a [tegoed_app::agreements::TimelineEntry],
    timeline_total: usize,
    disputes: &'a [tegoed_app::agreements::DisputeLine],
    /// The invoices with a dispute open (no second one is offered).
    disputed: Vec<&'a str>,
    promises: &'a [tegoed_app::agreements::PromiseLine],
    plans: &'a [tegoed_app::agreements::PlanLine],
    requests: &'a [tegoed_app::access::PauseRequestLine],
    tasks: &'a [tegoed_app::agreements::TaskLine],
    /// What the customer did on their own page.
    portal: &'a [tegoed_app::portal::TeamLine],
    portal_on: bool,
    state: &'a tegoed_app::agreements::StateLine,
    /// Days late per paid invoice over two years, as an SVG chart.
    behaviour: String,
    paid_count: usize,
    sale_agreements: &'a [tegoed_app::agreements::SaleAgreementLine],
    relationship: &'a tegoed_app::customer::Relationship,
    may: CustomerMay,
    /// The account manager reading is this customer's own.
    own: bool,
    today: String,
}

/// What the reader may do on this customer's page.
#[derive(Serialize)]
struct CustomerMay {
    note: bool,
    agreement: bool,
    request_pause: bool,
    collect: bool,
    decide: bool,
    limit: bool,
    revoke_links: bool,
}

pub(super) fn message(
    state: &S,
    visit: &Visit,
    path: &Params,
    _: &Params,
) -> Result<Response, Fail> {
    let number = field(path, "number")?;
    let id: i64 = field(path, "id")?
        .parse()
        .map_err(|_| Fail::NotFound("no such message".into()))?;
    let found = state
        .read(|tx| dunning::messages(tx, Some(number), None))?
        .into_iter()
        .find(|m| m.id == id)
        .ok_or_else(|| Fail::NotFound(format!("no message {id} for customer {number}")))?;
    let live = state.live();
    let lang = visit.user.language;
    let page = MessagePage {
        view: format!("/customers/{}/messages/{id}/", auth::encode(number)),
        segment: segment_label(&live.config, &found.segment, lang),
        step: step_label(&live.config, &found.segment, &found.step, lang),
        number,
        m: found,
    };
    render(state, visit, "message.html", "Message", page)
}

/// One message's page (`message.html`): what was sent, and links to it as
/// the customer got it.
#[derive(Serialize)]
struct MessagePage<'a> {
    m: dunning::MessageLine,
    number: &'a str,
    /// The start of the links to the e-mail and the PDF as sent.
    view: String,
    /// The segment's and the step's names in the reader's language.
    segment: String,
    step: String,
}

/// A message as the customer got it: the e-mail's HTML (`…/email`, the QR
/// code inline) or the letter as PDF (`…/pdf`). The e-mail is shown
/// in a sandboxed frame with a policy of its own: no scripts, no requests,
/// only its inline styles and the QR code's data.
pub(super) fn message_as_sent(
    state: &S,
    visit: &Visit,
    path: &Params,
    _: &Params,
) -> Result<Response, Fail> {
    use base64::Engine;
    let number = field(path, "number")?;
    let id: i64 = field(path, "id")?
        .parse()
        .map_err(|_| Fail::NotFound("no such message".into()))?;
    let (owner, _, document) = state.read(|tx| dunning::message_document(tx, number, id))?;
    require(&visit.user, Action::View, owner)?;
    let mut response = match field(path, "part")? {
        "email" => {
            let mut html_text = document.html();
            if let Some(qr) = document.qr() {
                let png = base64::engine::general_purpose::STANDARD.encode(qr.to_png(4));
                html_text =
                    html_text.replace("cid:epc-qr", &format!("data:image/png;base64,{png}"));
            }
            let mut response = html(html_text);
            let h = response.headers_mut();
            h.insert(
                header::CONTENT_SECURITY_POLICY,
                "default-src 'none'; img-src data:; style-src 'unsafe-inline'; frame-ancestors 'self'; sandbox"
                    .parse()
                    .expect("static"),
            );
            h.insert(
                header::X_FRAME_OPTIONS,
                "SAMEORIGIN".parse().expect("static"),
            );
            response
        }
        // Without a policy of its own: the browser's PDF viewer shows it
        // inside the message page.
        "pdf" => (
            [
                (header::CONTENT_TYPE, "application/pdf".to_string()),
                (header::X_FRAME_OPTIONS, "SAMEORIGIN".to_string()),
                (
                    header::CONTENT_DISPOSITION,
                    format!("inline; filename=\"{}-{id}.pdf\"", auth::encode(number)),
                ),
            ],
            document.pdf(),
        )
            .into_response(),
        other => return Err(Fail::NotFound(format!("no view '{other}' of a message"))),
    };
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, "no-store".parse().expect("static"));
    Ok(response)
}

// --- the customer page's forms ---------------------------------------------
//
// One handler and one typed form per action. Each use case checks what the
// user may do and writes its audit line in the same transaction as the
// change; the handler answers with the customer page and its confirmation.

/// The customer page with the confirmation `code` and its references.
fn done_on_customer(number: &str, code: &str, refs: &[&str]) -> String {
    with_done(&format!("/customers/{}", auth::encode(number)), code, refs)
}

/// The customer number of the page the form was posted from.
fn number_of(path: &Params) -> Result<&str, Fail> {
    field(path, "number")
}

pub(super) fn portal_revoke(
    state: &S,
    visit: &Visit,
    path: &Params,
    _: Empty,
) -> Result<String, Fail> {
    let number = number_of(path)?;
    let as_of = state.as_of();
    let done = state.write(|tx| tegoed_app::portal::revoke(tx, &visit.actor(), number, as_of))?;
    Ok(done_on_customer(
        number,
        "portal_revoked",
        &[&done.revoked.to_string()],
    ))
}

#[derive(Deserialize)]
pub(super) struct NoteForm {
    text: Text,
}

pub(super) fn note(
    state: &S,
    visit: &Visit,
    path: &Params,
    form: NoteForm,
) -> Result<String, Fail> {
    let number = number_of(path)?;
    let as_of = state.as_of();
    state.write(|tx| {
        agreements::add_note(tx, &visit.actor(), number, form.text.as_str(), as_of).map(drop)
    })?;
    Ok(done_on_customer(number, "note", &[]))
}

#[derive(Deserialize)]
pub(super) struct PromiseForm {
    amount: Text,
    date: Day,
    #[serde(default, deserialize_with = "forms::optional")]
    invoices: Option<Numbers>,
    #[serde(default, deserialize_with = "forms::optional")]
    note: Option<Text>,
}

pub(super) fn promise(
    state: &S,
    visit: &Visit,
    path: &Params,
    form: PromiseForm,
) -> Result<String, Fail> {
    let number = number_of(path)?;
    let as_of = state.as_of();
    let date = form.date.0;
    let invoices = form.invoices.map(|n| n.0).unwrap_or_default();
    let note = form.note.as_ref().map(Text::as_str);
    // The amount as typed: it is read in the currency of the invoices it
    // covers, which only the use case knows.
    let amount = form.amount.as_str();
    state.write(|tx| {
        agreements::add_promise(
            tx,
            &visit.actor(),
            number,
            amount,
            date,
            &invoices,
            note,
            as_of,
        )
        .map(drop)
    })?;
    Ok(done_on_customer(number, "promise", &[&date.to_string()]))
}

/// A pause (or a request for one): until when, and why.
#[derive(Deserialize)]
pub(super) struct PauseForm {
    until: Day,
    reason: Text,
}

pub(super) fn pause_request(
    state: &S,
    visit: &Visit,
    path: &Params,
    form: PauseForm,
) -> Result<String, Fail> {
    let number = number_of(path)?;
    let as_of = state.as_of();
    state.write(|tx| {
        access::request_pause(
            tx,
            &visit.actor(),
            number,
            form.until.0,
            form.reason.as_str(),
            as_of,
        )
        .map(drop)
    })?;
    Ok(done_on_customer(number, "pause_request", &[]))
}

pub(super) fn pause(
    state: &S,
    visit: &Visit,
    path: &Params,
    form: PauseForm,
) -> Result<String, Fail> {
    let number = number_of(path)?;
    let as_of = state.as_of();
    let until = form.until.0;
    // A pause that replaced one still running cannot be undone by ending it
    // (that would end the earlier one too): its confirmation offers no undo.
    let replaced = state.write(|tx| {
        let before = agreements::state_of(tx, number)?;
        agreements::pause(
            tx,
            &visit.actor(),
            number,
            until,
            form.reason.as_str(),
            as_of,
        )?;
        Ok(before.pause_until.is_some_and(|d| d >= as_of))
    })?;
    let code = if replaced { "pause_changed" } else { "pause" };
    Ok(done_on_customer(number, code, &[&until.to_string()]))
}

#[derive(Deserialize)]
pub(super) struct DisputeForm {
    invoice: Text,
    reason: Text,
}

pub(super) fn dispute(
    state: &S,
    visit: &Visit,
    path: &Params,
    form: DisputeForm,
) -> Result<String, Fail> {
    let number = number_of(path)?;
    let as_of = state.as_of();
    let invoice = form.invoice.as_str();
    state.write(|tx| {
        invoice_of(tx, invoice, number)?;
        agreements::open_dispute(tx, &visit.actor(), invoice, form.reason.as_str(), as_of).map(drop)
    })?;
    Ok(done_on_customer(number, "dispute", &[invoice]))
}

#[derive(Deserialize)]
pub(super) struct ResolveForm {
    invoice: Text,
    #[serde(default, deserialize_with = "forms::optional")]
    resolution: Option<Text>,
}

pub(super) fn resolve(
    state: &S,
    visit: &Visit,
    path: &Params,
    form: ResolveForm,
) -> Result<String, Fail> {
    let number = number_of(path)?;
    let as_of = state.as_of();
    let invoice = form.invoice.as_str();
    let resolution = form.resolution.as_ref().map(Text::as_str);
    state.write(|tx| {
        invoice_of(tx, invoice, number)?;
        agreements::resolve_dispute(tx, &visit.actor(), invoice, resolution, as_of).map(drop)
    })?;
    Ok(done_on_customer(number, "resolved", &[invoice]))
}

#[derive(Deserialize)]
pub(super) struct PlanForm {
    instalments: Whole<1, 120>,
    first: Day,
    /// `1m`, `2w`, `14d`; a month when left empty.
    #[serde(default, deserialize_with = "forms::optional")]
    interval: Option<Text>,
}

pub(super) fn plan(
    state: &S,
    visit: &Visit,
    path: &Params,
    form: PlanForm,
) -> Result<String, Fail> {
    let number = number_of(path)?;
    let as_of = state.as_of();
    let grace_days = state.live().config.dunning.plan_grace_days;
    let interval = form.interval.as_ref().map_or("1m", Text::as_str);
    state.write(|tx| {
        agreements::create_plan(
            tx,
            &visit.actor(),
            number,
            form.instalments.0,
            form.first.0,
            interval,
            grace_days,
            as_of,
        )
        .map(drop)
    })?;
    Ok(done_on_customer(number, "plan", &[]))
}

#[derive(Deserialize)]
pub(super) struct EndPauseForm {
    #[serde(default, deserialize_with = "forms::optional")]
    reason: Option<Text>,
    /// Sent by the confirmation's undo button, which says why by itself.
    #[serde(default, deserialize_with = "forms::optional")]
    undo: Option<Text>,
}

pub(super) fn end_pause(
    state: &S,
    visit: &Visit,
    path: &Params,
    form: EndPauseForm,
) -> Result<String, Fail> {
    let number = number_of(path)?;
    let as_of = state.as_of();
    let reason = match (&form.undo, &form.reason) {
        (Some(_), _) => i18n::t(visit.user.language, "Paused by mistake; undone."),
        (None, Some(reason)) => reason.as_str(),
        (None, None) => {
            return Err(forms::FieldError::new("reason", forms::Problem::Missing).into());
        }
    };
    state.write(|tx| agreements::end_pause(tx, &visit.actor(), number, reason, as_of).map(drop))?;
    Ok(done_on_customer(number, "pause_ended", &[]))
}

#[derive(Deserialize)]
pub(super) struct ReasonForm {
    reason: Text,
}

pub(super) fn lift_hold(
    state: &S,
    visit: &Visit,
    path: &Params,
    form: ReasonForm,
) -> Result<String, Fail> {
    let number = number_of(path)?;
    let as_of = state.as_of();
    state.write(|tx| {
        agreements::lift_credit_hold(tx, &visit.actor(), number, form.reason.as_str(), as_of)
            .map(drop)
    })?;
    Ok(done_on_customer(number, "hold_lifted", &[]))
}

#[derive(Deserialize)]
pub(super) struct SaleAgreementForm {
    terms: Whole<0, 365>,
    date: Day,
    #[serde(default, deserialize_with = "forms::optional")]
    method: Option<Text>,
    #[serde(default, deserialize_with = "forms::optional")]
    invoice_contact: Option<Text>,
    #[serde(default, deserialize_with = "forms::optional")]
    agreed_with: Option<Text>,
    #[serde(default, deserialize_with = "forms::optional")]
    note: Option<Text>,
}

pub(super) fn sale_agreement(
    state: &S,
    visit: &Visit,
    path: &Params,
    form: SaleAgreementForm,
) -> Result<String, Fail> {
    let number = number_of(path)?;
    let as_of = state.as_of();
    let terms = form.terms.0;
    state.write(|tx| {
        agreements::record_sale_agreement(
            tx,
            &visit.actor(),
            number,
            &agreements::NewSaleAgreement {
                terms_days: terms,
                method: form.method.as_ref().map(Text::as_str),
                invoice_contact: form.invoice_contact.as_ref().map(Text::as_str),
                agreed_with: form.agreed_with.as_ref().map_or("", Text::as_str),
                agreed_on: form.date.0,
                note: form.note.as_ref().map(Text::as_str),
            },
            as_of,
        )
        .map(drop)
    })?;
    Ok(done_on_customer(
        number,
        "sale_agreement",
        &[&terms.to_string()],
    ))
}

#[derive(Deserialize)]
pub(super) struct LimitForm {
    /// No limit when left empty.
    #[serde(default, deserialize_with = "forms::optional")]
    limit: Option<Amount>,
}

pub(super) fn limit(
    state: &S,
    visit: &Visit,
    path: &Params,
    form: LimitForm,
) -> Result<String, Fail> {
    let number = number_of(path)?;
    let as_of = state.as_of();
    let limit = form.limit.map(|a| a.0);
    state.write(|tx| agreements::set_credit_limit(tx, &visit.actor(), number, limit, as_of))?;
    Ok(done_on_customer(number, "limit", &[]))
}

/// The invoice must belong to the customer of the page.
pub(super) fn invoice_of(
    tx: &mut dyn tegoed_store::ReadTx,
    invoice: &str,
    number: &str,
) -> tegoed_app::Result<()> {
    let found = tx.invoice_by_number(invoice)?;
    let customer = tx.customer_by_number(number)?;
    match (found, customer) {
        (Some(i), Some(c)) if i.invoice.customer == c.id => Ok(()),
        _ => Err(AppError::NotFound(format!(
            "customer {number} has no invoice '{invoice}'"
        ))),
    }
}

/// A call done, and what came of it.
#[derive(Deserialize)]
pub(super) struct CallForm {
    /// What came of the call.
    outcome: Text,
    #[serde(default)]
    back: Back,
}

/// Collectors complete any call, account managers the calls about their
/// own customers (the use case decides).
pub(super) fn task_done(
    state: &S,
    visit: &Visit,
    path: &Params,
    form: CallForm,
) -> Result<String, Fail> {
    let id: i64 = field(path, "id")?
        .parse()
        .map_err(|_| Fail::NotFound("no such task".into()))?;
    let as_of = state.as_of();
    let line = state.write(|tx| {
        agreements::complete_task(tx, &visit.actor(), id, form.outcome.as_str(), as_of)
    })?;
    let page = format!("/customers/{}", auth::encode(&line.customer));
    let done = if line.kind == "call" { "call" } else { "task" };
    Ok(with_done(&form.back.or(&page), done, &[]))
}

pub(super) fn decide_pause(
    state: &S,
    visit: &Visit,
    path: &Params,
    form: BackForm,
) -> Result<String, Fail> {
    let id: i64 = field(path, "id")?
        .parse()
        .map_err(|_| Fail::NotFound("no such request".into()))?;
    let approve = match field(path, "decision")? {
        "approve" => true,
        "reject" => false,
        other => return Err(Fail::NotFound(format!("no decision '{other}'"))),
    };
    let as_of = state.as_of();
    state.write(|tx| access::decide_pause(tx, &visit.actor(), id, approve, as_of).map(drop))?;
    let code = if approve {
        "pause_approved"
    } else {
        "pause_rejected"
    };
    Ok(with_done(&form.back.or("/today"), code, &[]))
}

/// Why a customer is on credit hold, for people: the dunning run writes
/// `dunning step STEP (STRATEGY)`; that reads as the step's kind.
fn hold_reason(reason: &str, lang: Language) -> String {
    let Some(rest) = reason.strip_prefix("dunning step ") else {
        return reason.to_string();
    };
    let step = rest.split(" (").next().unwrap_or(rest);
    let kind = step_kind_label(step, lang);
    match lang {
        Language::Nl => format!("gezet door de aanmaanrun bij de stap {kind}"),
        Language::En => format!("set by the dunning run at the step {kind}"),
    }
}

/// A step id of the shipped kinds (`reminder`, `final_notice`, …) in
/// words; another id with spaces.
fn step_kind_label(step: &str, lang: Language) -> String {
    match tegoed_core::strategy::StepKind::ALL
        .iter()
        .find(|k| k.as_str() == step)
    {
        Some(kind) => i18n::t(lang, kind.as_str()).to_string(),
        None => step.replace('_', " "),
    }
}
