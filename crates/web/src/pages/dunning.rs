//! Dunning: the preview, the check before sending, and the run.

use super::*;
use tegoed_app::dunning;

use crate::background::Outcome;

pub(super) fn dunning_page(
    state: &S,
    visit: &Visit,
    _: &Params,
    _: &Params,
) -> Result<Response, Fail> {
    require(&visit.user, Action::Collect, None)?;
    let preview = state.cache.preview(state, true).map_err(Fail::Internal)?;
    let live = state.live();
    let lang = visit.user.language;
    let groups = preview
        .by_step
        .iter()
        .map(|step| StepGroup {
            segment: segment_label(&live.config, &step.segment, lang),
            step: step_label(&live.config, &step.segment, &step.step, lang),
            channel: step.channel,
            count: step.messages,
            messages: preview
                .messages
                .iter()
                .filter(|m| m.segment == step.segment && m.step == step.step)
                .take(50)
                .collect(),
        })
        .collect();
    let page = DunningPage {
        p: PreviewCounts {
            customers: preview.messages.len(),
            skipped: &preview.skipped,
            agreements: preview.agreements.len(),
            holds_released: preview.holds_released.len(),
        },
        groups,
        running: state
            .runs
            .latest()
            .is_some_and(|run| run.outcome().is_none()),
    };
    render(state, visit, "dunning.html", "Dunning", page)
}

/// The Dunning page's view-model (`dunning.html`): what today's run would
/// send, per segment and step, with the first 50 messages of each.
#[derive(Serialize)]
struct DunningPage<'a> {
    p: PreviewCounts<'a>,
    groups: Vec<StepGroup<'a>>,
    /// A run started from this server is still going.
    running: bool,
}

#[derive(Serialize)]
struct PreviewCounts<'a> {
    customers: usize,
    /// Customers not written to today, and why.
    skipped: &'a dunning::Skipped,
    agreements: usize,
    holds_released: usize,
}

/// One step of one segment's strategy in today's run.
#[derive(Serialize)]
struct StepGroup<'a> {
    /// The segment's and the step's names in the reader's language.
    segment: String,
    step: String,
    channel: &'a str,
    count: u64,
    messages: Vec<&'a dunning::Planned>,
}

/// Before anything is sent: per segment, step and channel the messages and
/// their amounts, the costs that will be charged, and every customer who
/// gets a final notice or goes to the agency, each of whom can be left out
/// of this run (with a reason, on their timeline).
pub(super) fn dunning_confirm(
    state: &S,
    visit: &Visit,
    _: &Params,
    _: &Params,
) -> Result<Response, Fail> {
    require(&visit.user, Action::Collect, None)?;
    let preview = state.cache.preview(state, true).map_err(Fail::Internal)?;
    let live = state.live();
    let lang = visit.user.language;
    let segment_name = |id: &str| segment_label(&live.config, id, lang);
    let minor = |text: &str| tegoed_core::money::parse_amount(text, 2).unwrap_or(0);
    let mut groups = Vec::new();
    let (mut all_total, mut all_costs) = (0i64, 0i64);
    let overflow = || Fail::Internal("the run's total is too large to add up".into());
    for step in &preview.by_step {
        let of_group: Vec<&dunning::Planned> = preview
            .messages
            .iter()
            .filter(|m| {
                m.segment == step.segment && m.step == step.step && m.channel == step.channel
            })
            .collect();
        let (mut total, mut costs) = (0i64, 0i64);
        for m in &of_group {
            total = total
                .checked_add(minor(&m.amounts.total))
                .ok_or_else(overflow)?;
            costs = costs
                .checked_add(minor(&m.amounts.costs))
                .ok_or_else(overflow)?;
        }
        all_total = all_total.checked_add(total).ok_or_else(overflow)?;
        all_costs = all_costs.checked_add(costs).ok_or_else(overflow)?;
        groups.push(ConfirmGroup {
            segment: segment_name(&step.segment),
            kind: of_group.first().map_or("reminder", |m| m.kind),
            channel: step.channel,
            count: step.messages,
            total,
            costs,
        });
    }
    let serious = preview
        .messages
        .iter()
        .filter(|m| matches!(m.kind, "final_notice" | "handoff"))
        .map(|m| Serious {
            customer: &m.customer,
            name: &m.name,
            kind: m.kind,
            total: minor(&m.amounts.total),
            costs: minor(&m.amounts.costs),
            segment: segment_name(&m.segment),
        })
        .collect();
    let page = ConfirmPage {
        groups,
        serious,
        count: preview.messages.len(),
        total: all_total,
        costs: all_costs,
    };
    render(
        state,
        visit,
        "dunning_confirm.html",
        "Check before sending",
        page,
    )
}

/// The check before sending (`dunning_confirm.html`). Amounts in minor
/// units (euros); the page formats them.
#[derive(Serialize)]
struct ConfirmPage<'a> {
    groups: Vec<ConfirmGroup<'a>>,
    /// Every final notice and hand-off to the agency, each of which can be
    /// left out of this run.
    serious: Vec<Serious<'a>>,
    count: usize,
    total: i64,
    costs: i64,
}

/// One segment, step kind and channel of the run.
#[derive(Serialize)]
struct ConfirmGroup<'a> {
    segment: String,
    /// The step's kind (the page shows its name).
    kind: &'a str,
    channel: &'a str,
    count: u64,
    total: i64,
    costs: i64,
}

/// A customer who gets a final notice or goes to the agency.
#[derive(Serialize)]
struct Serious<'a> {
    customer: &'a str,
    name: &'a str,
    kind: &'a str,
    total: i64,
    costs: i64,
    segment: String,
}

/// The confirmation page's form: a `leave_out_<customer>` box per customer
/// (a form of rows, so read as a map) and the `reason`.
pub(super) fn dunning_run(
    state: &S,
    visit: &Visit,
    _: &Params,
    form: Params,
) -> Result<String, Fail> {
    let form = &form;
    let live = state.live();
    // Customers ticked on the confirmation page stay out of this run.
    let mut leave_out: Vec<String> = form
        .iter()
        .filter(|(k, v)| k.starts_with("leave_out_") && !v.is_empty())
        .map(|(k, _)| k["leave_out_".len()..].to_string())
        .collect();
    leave_out.sort();
    let options = dunning::RunOptions {
        only: dunning::Options {
            leave_out,
            leave_out_reason: opt(form, "reason").map(str::to_string),
            ..dunning::Options::default()
        },
        ..dunning::RunOptions::new(crate::now)
    };
    // The run goes on in the background; the page shows its progress.
    let actor = visit.actor();
    actor.require(Action::Collect, None)?;
    let run = state.runs.begin(&visit.user.email).ok_or_else(|| {
        Fail::Conflict(
            "a dunning run started from this server is in progress; its progress is on the Dunning page"
                .into(),
        )
    })?;
    let background = state.clone();
    let spawned = std::thread::Builder::new()
        .name("dunning-run".into())
        .spawn(move || {
            let outcome = match dunning::run(
                background.store.as_ref(),
                &actor,
                &live.config,
                &live.templates,
                background.as_of(),
                &options,
                run.as_ref(),
            ) {
                Ok(report) => Outcome::Done(Arc::new(report)),
                Err(e) => {
                    let fail = Fail::from(e);
                    fail.log();
                    Outcome::Failed {
                        code: fail.code(),
                        message: fail.message(),
                    }
                }
            };
            run.finish_with(outcome);
            background.cache.invalidate(&background);
        });
    if let Err(e) = spawned {
        return Err(Fail::Internal(format!("cannot start the dunning run: {e}")));
    }
    Ok("/dunning/progress".into())
}

/// The run started from this server: its progress while it runs (the page
/// reloads itself every second, no script), and how it ended.
pub(super) fn dunning_progress(
    state: &S,
    visit: &Visit,
    _: &Params,
    _: &Params,
) -> Result<Response, Fail> {
    require(&visit.user, Action::Collect, None)?;
    let lang = visit.user.language;
    let Some(run) = state.runs.latest() else {
        return Ok(Redirect::to("/dunning").into_response());
    };
    let (phase, done, total) = run.progress();
    let started_by = run.started_by.as_str();
    let page = match run.outcome() {
        None => Progress::Running {
            refresh: 1,
            started_by,
            phase: i18n::t(lang, &phase).to_string(),
            done,
            total,
        },
        Some(Outcome::Done(report)) => {
            let d = &report.delivered;
            Progress::Done {
                started_by,
                sent: d.email + d.letter + d.call + d.handoff,
                email: d.email,
                letter: d.letter,
                call: d.call,
                handoff: d.handoff,
                failed: report.failed.len(),
            }
        }
        Some(Outcome::Failed { code, message }) => {
            let (message, todo) = error_words_of(code, &message, lang);
            Progress::Failed {
                started_by,
                message,
                todo,
            }
        }
    };
    render(state, visit, "dunning_progress.html", "Dunning", page)
}

/// The run's progress page (`dunning_progress.html`), by `state`.
#[derive(Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
enum Progress<'a> {
    /// Still going: the page reloads itself every `refresh` seconds.
    Running {
        refresh: u32,
        started_by: &'a str,
        phase: String,
        done: u64,
        total: u64,
    },
    /// Ended: what was delivered, per channel, and how many failed.
    Done {
        started_by: &'a str,
        sent: u64,
        email: u64,
        letter: u64,
        call: u64,
        handoff: u64,
        failed: usize,
    },
    /// Stopped: why, and what to do, in the reader's language.
    Failed {
        started_by: &'a str,
        message: String,
        todo: String,
    },
}
