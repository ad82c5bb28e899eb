//! The payments queue: money that could not be matched on its own.

use super::*;

/// The queue's columns (sortable, exportable; the amount totalled).
const QUEUE: &[Column] = &[
    column("date", "Date"),
    totalled("amount", "Amount"),
    column("from", "From"),
    column("description", "Description"),
    column("suggestion", "Suggestion"),
];

pub(super) fn payments(
    state: &S,
    visit: &Visit,
    _: &Params,
    query: &Params,
) -> Result<Response, Fail> {
    require(&visit.user, Action::Collect, None)?;
    let lang = visit.user.language;
    let queue = state.read(review::unmatched)?;
    let rows = queue
        .into_iter()
        .map(|line| {
            let invoices: Vec<&str> = line
                .suggestion
                .as_ref()
                .map(|s| {
                    s.allocations
                        .iter()
                        .map(|a| a.invoice_number.as_str())
                        .collect()
                })
                .unwrap_or_default();
            let joined = invoices.join(",");
            let cells = vec![
                Cell::Date(Some(line.date)),
                Cell::Money(line.unallocated.minor),
                Cell::Text(line.counterparty_name.clone().unwrap_or_default()),
                Cell::Text(line.reference.clone().unwrap_or_default()),
                Cell::Text(
                    line.suggestion
                        .as_ref()
                        .map(|s| s.name.clone())
                        .unwrap_or_default(),
                ),
            ];
            let note = line.typed_note.as_ref().map(|n| n.text(lang));
            (
                cells,
                QueueRow {
                    p: line,
                    note,
                    suggested_invoices: joined,
                },
            )
        })
        .collect();
    let list = Listing::new(QUEUE, rows).sort(query);
    let file = if lang == Language::Nl {
        "te-koppelen-betalingen"
    } else {
        "payments-to-match"
    };
    if let Some(file) = list.export(query, lang, file) {
        return Ok(file);
    }
    let head = list.head(&listing::base_of("/payments", query), lang);
    let rows: Vec<&QueueRow> = list.items().into_iter().take(200).collect();
    // Customers who said on their own page that they paid: the payment to
    // look for among these (open until someone marks it done).
    let said_paid: Vec<_> = state
        .read(|tx| tegoed_app::portal::recent(tx, None, None, 60, lang, state.as_of()))?
        .into_iter()
        .filter(|r| r.kind == "paid" && r.open)
        .collect();
    let page = PaymentsPage {
        total: head.count,
        rows,
        list: head,
        said_paid,
    };
    render(state, visit, "payments.html", "Payments to match", page)
}

/// The payments queue's view-model (`payments.html`).
#[derive(Serialize)]
struct PaymentsPage<'a> {
    /// The first 200 payments in the list's order.
    rows: Vec<&'a QueueRow>,
    /// How many payments wait (all, not only the rows shown).
    total: usize,
    list: listing::Head,
    /// Customers who said on their own page that they paid.
    said_paid: Vec<tegoed_app::portal::TeamLine>,
}

/// A payment waiting to be matched, with the matcher's note in the
/// reader's language and the invoices it suggests.
#[derive(Serialize)]
struct QueueRow {
    p: review::UnmatchedLine,
    note: Option<String>,
    suggested_invoices: String,
}

#[derive(Deserialize)]
pub(super) struct MatchForm {
    /// The invoices the payment pays, as typed (commas or spaces between).
    invoices: Numbers,
}

/// A payment matched by hand to the invoices named.
pub(super) fn payment_match(
    state: &S,
    visit: &Visit,
    path: &Params,
    form: MatchForm,
) -> Result<String, Fail> {
    let id = field(path, "id")?;
    let invoices = form.invoices.0;
    let outcome = state.write(|tx| review::match_payment(tx, &visit.actor(), id, &invoices))?;
    Ok(decided("/payments", &outcome, &invoices.join(", ")))
}

#[derive(Deserialize)]
pub(super) struct AssignForm {
    customer: Text,
}

/// A payment given to a customer: it pays their open invoices, oldest
/// first, and what is left stays as their credit.
pub(super) fn payment_assign(
    state: &S,
    visit: &Visit,
    path: &Params,
    form: AssignForm,
) -> Result<String, Fail> {
    let id = field(path, "id")?;
    let customer = form.customer.as_str();
    let outcome = state.write(|tx| review::assign_payment(tx, &visit.actor(), id, customer))?;
    let code = if outcome.applied.is_empty() {
        "payment_assigned_credit"
    } else {
        "payment_assigned"
    };
    Ok(with_done("/payments", code, &[id, customer]))
}

/// A match or assignment taken back: the payment is on the queue again.
pub(super) fn payment_undo(
    state: &S,
    visit: &Visit,
    path: &Params,
    _: Empty,
) -> Result<String, Fail> {
    let id = field(path, "id")?;
    let as_of = state.as_of();
    let outcome = state.write(|tx| review::unmatch_payment(tx, &visit.actor(), id, as_of))?;
    let invoices: Vec<&str> = outcome
        .reopened
        .iter()
        .map(|a| a.invoice_number.as_str())
        .collect();
    Ok(if invoices.is_empty() {
        with_done("/payments", "payment_undone_credit", &[id])
    } else {
        with_done("/payments", "payment_undone", &[id, &invoices.join(", ")])
    })
}

/// The confirmation of a match that says what it did: the invoices it
/// paid, and what stays as the customer's credit (an invoice named that was
/// paid already takes nothing).
fn decided(url: &str, outcome: &review::DecisionOutcome, named: &str) -> String {
    let id = outcome.payment_id.as_str();
    let paid: Vec<&str> = outcome
        .applied
        .iter()
        .map(|a| a.invoice_number.as_str())
        .collect();
    let credit = format!("€:{}", outcome.credit.minor);
    match (paid.is_empty(), outcome.credit.minor > 0) {
        (true, _) => with_done(url, "payment_credit_only", &[id, named]),
        (false, true) => with_done(
            url,
            "payment_matched_credit",
            &[id, &paid.join(", "), &credit],
        ),
        (false, false) => with_done(url, "payment_matched", &[id, &paid.join(", ")]),
    }
}
