//! The joint sales/credit meeting: the pack as a page (with a print
//! stylesheet), as a PDF, and the form to record what was decided.

use super::*;

fn pack_of(
    state: &S,
    visit: &Visit,
    query: &Params,
) -> Result<tegoed_app::meeting::MeetingPack, Fail> {
    let live = state.live();
    let period = opt(query, "period");
    let as_of = state.as_of();
    let lang = visit.user.language;
    state.read(|tx| tegoed_app::meeting::pack(tx, &live.config, as_of, period, lang))
}

pub(super) fn meeting_page(
    state: &S,
    visit: &Visit,
    _: &Params,
    query: &Params,
) -> Result<Response, Fail> {
    let pack = pack_of(state, visit, query)?;
    let body = tegoed_app::meeting::html(&pack, false)?;
    let quarters = tegoed_app::meeting::recent_quarters(state.as_of(), 8, visit.user.language);
    let page = MeetingPage {
        body,
        period: &pack.period.label,
        quarters,
        may_decide: visit.user.role.may(Action::DecidePause),
    };
    render(
        state,
        visit,
        "meeting.html",
        "Sales and credit meeting",
        page,
    )
}

/// The meeting page's view-model (`meeting.html`).
#[derive(Serialize)]
struct MeetingPage<'a> {
    /// The pack as HTML (the same document as its PDF).
    body: String,
    period: &'a str,
    /// The last eight quarters to choose from: code (`2026-Q4`) and name
    /// (`4e kwartaal 2026`).
    quarters: Vec<(String, String)>,
    /// The reader may record decisions.
    may_decide: bool,
}

/// The pack as the PDF for those who bring paper.
pub(super) fn meeting_pdf(
    state: &S,
    visit: &Visit,
    _: &Params,
    query: &Params,
) -> Result<Response, Fail> {
    let pack = pack_of(state, visit, query)?;
    let bytes = tegoed_app::meeting::pdf(&pack);
    Ok((
        [
            (header::CONTENT_TYPE, "application/pdf".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"meeting-{}.pdf\"", pack.period.label),
            ),
            (header::CACHE_CONTROL, "no-store".to_string()),
        ],
        bytes,
    )
        .into_response())
}

/// A decision: about which customer, what, who does it and by when.
#[derive(Deserialize)]
pub(super) struct DecisionForm {
    customer: Text,
    text: Text,
    #[serde(default, deserialize_with = "forms::optional")]
    owner: Option<Text>,
    #[serde(default, deserialize_with = "forms::optional")]
    due: Option<Day>,
    #[serde(default)]
    back: Back,
}

/// A decision taken at the meeting (credit managers).
pub(super) fn meeting_decide(
    state: &S,
    visit: &Visit,
    _: &Params,
    form: DecisionForm,
) -> Result<String, Fail> {
    let owner = form.owner.as_ref().map(Text::as_str);
    let due = form.due.map(|d| d.0);
    let as_of = state.as_of();
    let line = state.write(|tx| {
        tegoed_app::meeting::decide(
            tx,
            &visit.actor(),
            form.customer.as_str(),
            form.text.as_str(),
            owner,
            due,
            as_of,
        )
    })?;
    Ok(with_done(
        &form.back.or("/meeting"),
        "decision",
        &[&line.name],
    ))
}
