//! Cross-training, after the sale: the story of one of a salesperson's own
//! invoices that went wrong, stage by stage with what each cost.

use super::*;

pub(super) fn training_story(
    state: &S,
    visit: &Visit,
    _: &Params,
    query: &Params,
) -> Result<Response, Fail> {
    let lang = visit.user.language;
    let live = state.live();
    let managers = managers(state)?;
    // A salesperson sees their own; others choose (default: the first).
    let chosen: Option<String> = opt(query, "account_manager")
        .and_then(|id| id.parse::<i64>().ok())
        .and_then(|id| managers.iter().find(|(m, _)| m.0 == id))
        .or_else(|| {
            visit
                .user
                .account_manager
                .and_then(|mine| managers.iter().find(|(m, _)| *m == mine))
        })
        .or_else(|| managers.first())
        .map(|(_, name)| name.clone());
    let story = match &chosen {
        Some(name) => {
            let outcome = state.read(|tx| {
                tegoed_app::training::story(
                    tx,
                    &live.config,
                    state.as_of(),
                    name,
                    opt(query, "invoice"),
                    lang,
                )
            });
            match outcome {
                Ok(story) => Some(Ok(story)),
                Err(Fail::NotFound(_)) => Some(Err(())),
                Err(e) => return Err(e),
            }
        }
        None => None,
    };
    let picker: Vec<serde_json::Value> = managers
        .iter()
        .map(|(id, name)| json!({"id": id.0, "name": name, "selected": Some(name) == chosen.as_ref()}))
        .collect();
    render(
        state,
        visit,
        "training.html",
        "After the sale",
        json!({
            "story": story.as_ref().and_then(|s| s.as_ref().ok()),
            "nothing": story.as_ref().is_some_and(|s| s.is_err()),
            "managers": picker,
            "may_choose": visit.user.role != Role::Sales,
        }),
    )
}
