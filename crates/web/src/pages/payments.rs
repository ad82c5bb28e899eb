//! The payments queue: money that could not be matched on its own.

use super::*;

pub(super) fn payments(state: &S, visit: &Visit, _: &Params, _: &Params) -> Result<Response, Fail> {
    require(&visit.user, Action::Collect, None)?;
    let queue = state.read(review::unmatched)?;
    let total = queue.len();
    let rows: Vec<serde_json::Value> = queue
        .into_iter()
        .take(200)
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
            json!({"p": line, "suggested_invoices": joined})
        })
        .collect();
    render(
        state,
        visit,
        "payments.html",
        "Payments to match",
        json!({"rows": rows, "total": total}),
    )
}

pub(super) fn payment_action(
    state: &S,
    visit: &Visit,
    path: &Params,
    form: &Params,
) -> Result<String, Fail> {
    let id = field(path, "id")?;
    let actor = visit.actor();
    match field(path, "action")? {
        "match" => {
            let invoices: Vec<String> = field(form, "invoices")?
                .split([',', ' '])
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect();
            state.write(|tx| review::match_payment(tx, &actor, id, &invoices).map(drop))?;
            Ok(with_done(
                "/payments",
                "payment_matched",
                &[id, &invoices.join(", ")],
            ))
        }
        "assign" => {
            let customer = field(form, "customer")?;
            state.write(|tx| review::assign_payment(tx, &actor, id, customer).map(drop))?;
            Ok(with_done("/payments", "payment_assigned", &[id, customer]))
        }
        other => Err(Fail::NotFound(format!("no action '{other}'"))),
    }
}
