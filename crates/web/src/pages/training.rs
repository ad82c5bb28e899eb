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
    let picker = managers
        .iter()
        .map(|(id, name)| Choice {
            id: id.0,
            name,
            selected: Some(name) == chosen.as_ref(),
        })
        .collect();
    let page = StoryPage {
        story: story.as_ref().and_then(|s| s.as_ref().ok()),
        nothing: story.as_ref().is_some_and(|s| s.is_err()),
        managers: picker,
        may_choose: visit.user.role != Role::Sales,
    };
    render(state, visit, "training.html", "After the sale", page)
}

/// *After the sale* (`training.html`): one invoice's story, or that the
/// account manager has none to tell.
#[derive(Serialize)]
struct StoryPage<'a> {
    story: Option<&'a tegoed_app::training::Story>,
    nothing: bool,
    /// The account managers to choose from (not for a salesperson).
    managers: Vec<Choice<'a>>,
    may_choose: bool,
}

/// One account manager in the picker.
#[derive(Serialize)]
struct Choice<'a> {
    id: i64,
    name: &'a str,
    selected: bool,
}

/// The policy quiz: a question about a real customer and deal, and after
/// an answer (`?result=ID`) whether it was right and the rule behind it;
/// the scores of this quarter.
pub(super) fn quiz_page(
    state: &S,
    visit: &Visit,
    _: &Params,
    query: &Params,
) -> Result<Response, Fail> {
    use tegoed_app::quiz;
    let lang = visit.user.language;
    let live = state.live();
    let as_of = state.as_of();
    let actor = visit.actor();
    let result = match opt(query, "result") {
        Some(id) => {
            let id: i64 = id
                .parse()
                .map_err(|_| Fail::NotFound("no such answer".into()))?;
            Some(state.read(|tx| quiz::answered(tx, &actor, &live.config, id, lang))?)
        }
        None => None,
    };
    // A new question each visit (the clock is the edge's).
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64);
    let question = state.read(|tx| quiz::question(tx, &live.config, seed, as_of, lang))?;
    let (from, _) = tegoed_core::appreciation::quarter_of(as_of);
    let scores = state.read(|tx| quiz::scores(tx, from, as_of))?;
    let mine = scores.iter().find(|s| s.user == actor.id).cloned();
    let choices = quiz::VERDICTS
        .iter()
        .map(|v| VerdictChoice {
            value: v,
            text: quiz::verdict_text(v, lang),
        })
        .collect();
    let page = QuizPage {
        question,
        choices,
        result: result.map(|r| QuizResult {
            correct: r.correct,
            answer: quiz::verdict_text(&r.answer, lang),
            verdict: quiz::verdict_text(&r.verdict, lang),
            name: r.name,
            amount: r.amount,
            terms_days: r.terms_days,
            explanation: r.explanation,
            conditions: r.conditions,
        }),
        mine,
        scores,
    };
    render(state, visit, "quiz.html", "Policy quiz", page)
}

/// The policy quiz's view-model (`quiz.html`).
#[derive(Serialize)]
struct QuizPage {
    question: tegoed_app::quiz::Question,
    choices: Vec<VerdictChoice>,
    /// The answer just given, checked.
    result: Option<QuizResult>,
    /// The reader's score this quarter.
    mine: Option<tegoed_app::quiz::Score>,
    scores: Vec<tegoed_app::quiz::Score>,
}

/// A verdict to choose, in words.
#[derive(Serialize)]
struct VerdictChoice {
    value: &'static str,
    text: &'static str,
}

/// An answer checked against the policy's own verdict.
#[derive(Serialize)]
struct QuizResult {
    correct: bool,
    answer: &'static str,
    verdict: &'static str,
    name: String,
    amount: String,
    terms_days: i32,
    explanation: Vec<String>,
    conditions: Vec<String>,
}

/// An answer to a quiz question.
#[derive(Deserialize)]
pub(super) struct AnswerForm {
    /// The question (its seed), as the quiz page put it in the form.
    seed: Text,
    answer: Text,
}

/// An answer to a quiz question: checked, kept, and shown.
pub(super) fn quiz_answer(
    state: &S,
    visit: &Visit,
    _: &Params,
    form: AnswerForm,
) -> Result<String, Fail> {
    let seed: u64 = form
        .seed
        .as_str()
        .parse()
        .map_err(|_| Fail::Invalid("the question is not known; take a new one".into()))?;
    let answer = form.answer.as_str();
    let live = state.live();
    let as_of = state.as_of();
    let lang = visit.user.language;
    let checked = state.write(|tx| {
        tegoed_app::quiz::answer(tx, &visit.actor(), &live.config, seed, answer, as_of, lang)
    })?;
    Ok(format!("/training/quiz?result={}", checked.id))
}
