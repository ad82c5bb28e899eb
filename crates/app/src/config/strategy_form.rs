//! A strategy as a form: its names, its tone and its steps as rows (when,
//! what kind of step, how it is sent, which words, who signs it, from what
//! amount, and what happens with it). Read from the settings in force
//! ([`form_of`]) and written back into the settings file's text
//! ([`apply`]) with `toml_edit`: the strategy's own keys and its steps are
//! replaced, the rest of the file, comments included, stays as it was
//! (comments between this strategy's steps are not kept). A step keeps its
//! id, which the collection history refers to; a new row gets one from its
//! kind. Mistakes a person can make in the form are reported at the row,
//! in Dutch and English; whether the result is valid settings as a whole
//! (the ladder's order, for one) is then for [`super::Config::parse`] to
//! say, as for a file edited by hand.

use serde::Serialize;
use tegoed_core::money::{format_minor, parse_typed_amount};
use tegoed_core::strategy::{Channel, Effect, Sender, StepKind, Strategy};
use toml_edit::{Array, ArrayOfTables, Item, Table};

use super::segment_form::{Entry, FormError, named_entry, settings_document, whole};

/// Every kind of step, in ladder order.
pub const KINDS: [StepKind; 8] = StepKind::ALL;
/// Every channel.
pub const CHANNELS: [Channel; 4] = [
    Channel::Email,
    Channel::Letter,
    Channel::Call,
    Channel::Handoff,
];
/// Every effect a step can have.
pub const EFFECTS: [Effect; 4] = [
    Effect::CreditHold,
    Effect::Interest,
    Effect::CollectionCosts,
    Effect::FourteenDayLetter,
];
/// The tones of the shipped strategies (a template may read the tone; a
/// settings file may use another word).
pub const TONES: [&str; 6] = ["warm", "friendly", "light", "neutral", "firm", "consumer"];
/// The most steps a strategy form takes.
pub const MAX_STEPS: usize = 20;

/// One step as the form shows and sends it. `id` is empty for a new row.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct StepRow {
    pub id: String,
    pub kind: String,
    pub offset: String,
    pub channel: String,
    pub template: String,
    pub sender: String,
    pub min_overdue: String,
    pub effects: Vec<String>,
}

impl StepRow {
    /// A row left empty (no kind and no template) is not a step.
    pub fn is_blank(&self) -> bool {
        self.kind.trim().is_empty() && self.template.trim().is_empty()
    }
}

/// A strategy as the form shows and sends it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct StrategyForm {
    pub id: String,
    pub name_nl: String,
    pub name_en: String,
    pub tone: String,
    pub steps: Vec<StepRow>,
}

/// The form of `strategy` as the settings have it.
pub fn form_of(strategy: &Strategy) -> StrategyForm {
    StrategyForm {
        id: strategy.id.clone(),
        name_nl: strategy.name_nl.clone(),
        name_en: strategy.name_en.clone(),
        tone: strategy.tone.clone(),
        steps: strategy
            .steps
            .iter()
            .map(|s| StepRow {
                id: s.id.clone(),
                kind: s.kind.as_str().into(),
                offset: s.offset_days.to_string(),
                channel: s.channel.as_str().into(),
                template: s.template.clone(),
                sender: s.sender.as_str().into(),
                min_overdue: if s.min_overdue_minor == 0 {
                    String::new()
                } else {
                    format_minor(s.min_overdue_minor, 2)
                },
                effects: s.effects.iter().map(|e| e.as_str().to_string()).collect(),
            })
            .collect(),
    }
}

fn at_row(row: usize, nl: String, en: String) -> FormError {
    FormError {
        alternative: None,
        row: Some(row),
        nl,
        en,
    }
}

/// A step checked: what the settings file gets.
struct Checked {
    id: String,
    kind: StepKind,
    offset: i32,
    channel: Channel,
    template: String,
    sender: Sender,
    min_overdue: Option<String>,
    effects: Vec<Effect>,
}

/// Checks row `i`; `templates` are the template names there are.
fn check(i: usize, row: &StepRow, templates: &[String]) -> Result<Checked, FormError> {
    let n = i + 1;
    let kind = StepKind::parse(row.kind.trim()).ok_or_else(|| {
        at_row(
            i,
            format!("stap {n}: kies wat voor stap het is"),
            format!("step {n}: choose what kind of step it is"),
        )
    })?;
    let offset: i32 = row
        .offset
        .trim()
        .parse()
        .ok()
        .filter(|d| (-60..=365).contains(d))
        .ok_or_else(|| {
            at_row(
                i,
                format!(
                    "stap {n}: '{}' is geen aantal dagen; vul een heel getal in van -60 (vóór de vervaldatum) tot 365",
                    row.offset.trim()
                ),
                format!(
                    "step {n}: '{}' is not a number of days; enter a whole number from -60 (before the due date) to 365",
                    row.offset.trim()
                ),
            )
        })?;
    let channel = Channel::parse(row.channel.trim()).ok_or_else(|| {
        at_row(
            i,
            format!("stap {n}: kies hoe de stap gaat (e-mail, brief, bellen of incassobureau)"),
            format!(
                "step {n}: choose how the step goes (e-mail, letter, call or collection agency)"
            ),
        )
    })?;
    let fits = match kind {
        StepKind::Call => channel == Channel::Call,
        StepKind::Handoff => channel == Channel::Handoff,
        _ => matches!(channel, Channel::Email | Channel::Letter),
    };
    if !fits {
        return Err(at_row(
            i,
            format!(
                "stap {n}: een belstap gaat als telefoontje, een overdracht naar het incassobureau als overdracht, en elke andere stap als e-mail of brief"
            ),
            format!(
                "step {n}: a call goes as a call, a hand-off to the agency as a hand-off, and every other step as an e-mail or a letter"
            ),
        ));
    }
    let template = row.template.trim().to_string();
    if !templates.contains(&template) {
        return Err(at_row(
            i,
            format!("stap {n}: kies de tekst die de klant krijgt"),
            format!("step {n}: choose the words the customer gets"),
        ));
    }
    let sender = Sender::parse(row.sender.trim()).ok_or_else(|| {
        at_row(
            i,
            format!("stap {n}: kies wie de stap ondertekent"),
            format!("step {n}: choose who signs the step"),
        )
    })?;
    let min_overdue = match row.min_overdue.trim() {
        "" => None,
        text => {
            let minor = parse_typed_amount(text, 2)
                .ok()
                .filter(|m| *m >= 0)
                .ok_or_else(|| {
                    at_row(
                        i,
                        format!(
                            "stap {n}: '{text}' is geen bedrag; schrijf bijvoorbeeld 250 of 250,00"
                        ),
                        format!(
                            "step {n}: '{text}' is not an amount; write for instance 250 or 250.00"
                        ),
                    )
                })?;
            (minor > 0).then(|| format_minor(minor, 2))
        }
    };
    let mut effects = Vec::new();
    for code in &row.effects {
        let effect = Effect::parse(code.trim()).ok_or_else(|| {
            at_row(
                i,
                format!("stap {n}: onbekend gevolg"),
                format!("step {n}: unknown effect"),
            )
        })?;
        if !effects.contains(&effect) {
            effects.push(effect);
        }
    }
    if effects.contains(&Effect::FourteenDayLetter) && kind != StepKind::FourteenDayLetter {
        return Err(at_row(
            i,
            format!("stap {n}: alleen een veertiendagenbrief start de termijn van veertien dagen"),
            format!("step {n}: only a 14-day letter starts the fourteen-day term"),
        ));
    }
    Ok(Checked {
        id: row.id.trim().to_string(),
        kind,
        offset,
        channel,
        template,
        sender,
        min_overdue,
        effects,
    })
}

/// Writes `form` into the settings text `source`: the strategy with the
/// form's id gets the form's names, tone and steps. `templates` are the
/// template names there are (a step must use one of them).
pub fn apply(source: &str, form: &StrategyForm, templates: &[String]) -> Result<String, FormError> {
    let mut doc = settings_document(source)?;
    let tone = form.tone.trim();
    if tone.is_empty() || !tone.chars().all(|c| c.is_ascii_lowercase() || c == '_') {
        return Err(whole(
            "kies de toon van de berichten".into(),
            "choose the tone of the messages".into(),
        ));
    }
    let rows: Vec<(usize, &StepRow)> = form
        .steps
        .iter()
        .enumerate()
        .filter(|(_, r)| !r.is_blank())
        .collect();
    if rows.is_empty() {
        return Err(whole(
            "een strategie heeft ten minste één stap".into(),
            "a strategy has at least one step".into(),
        ));
    }
    if rows.len() > MAX_STEPS {
        return Err(whole(
            format!("een strategie heeft hoogstens {MAX_STEPS} stappen"),
            format!("a strategy has at most {MAX_STEPS} steps"),
        ));
    }
    let mut steps = Vec::new();
    for (i, row) in rows {
        steps.push((i, check(i, row, templates)?));
    }
    // New rows get an id from their kind, unique within the strategy.
    let mut taken: Vec<String> = steps
        .iter()
        .map(|(_, s)| s.id.clone())
        .filter(|id| !id.is_empty())
        .collect();
    for (i, step) in &steps {
        if taken.iter().filter(|id| **id == step.id).count() > 1 {
            return Err(at_row(
                *i,
                format!("stap {}: deze stap staat er twee keer in", i + 1),
                format!("step {}: this step is in twice", i + 1),
            ));
        }
    }
    for (_, step) in &mut steps {
        if step.id.is_empty() {
            let base = step.kind.as_str();
            let mut id = base.to_string();
            let mut k = 2;
            while taken.contains(&id) {
                id = format!("{base}_{k}");
                k += 1;
            }
            taken.push(id.clone());
            step.id = id;
        }
    }
    steps.sort_by_key(|(_, s)| s.offset);
    let handoffs: Vec<usize> = steps
        .iter()
        .enumerate()
        .filter(|(_, (_, s))| s.kind == StepKind::Handoff)
        .map(|(k, _)| k)
        .collect();
    if handoffs.len() > 1 {
        return Err(whole(
            "een strategie draagt hoogstens één keer over aan het incassobureau".into(),
            "a strategy hands over to the collection agency once at most".into(),
        ));
    }
    if let Some(&k) = handoffs.first()
        && (k == 0 || steps[k - 1].1.kind != StepKind::FinalNotice)
    {
        return Err(at_row(
            steps[k].0,
            format!(
                "stap {}: de overdracht aan het incassobureau komt direct na de laatste aanmaning; geef haar meer dagen dan de laatste aanmaning en zet er geen andere stap tussen",
                steps[k].0 + 1
            ),
            format!(
                "step {}: the hand-off to the collection agency comes right after the final notice; give it more days than the final notice and no step in between",
                steps[k].0 + 1
            ),
        ));
    }
    let table = named_entry(
        &mut doc,
        Entry {
            key: "strategy",
            id: &form.id,
            nl: "strategie",
            en: "strategy",
            plural_nl: "strategieën",
            plural_en: "strategies",
        },
        &form.name_nl,
        &form.name_en,
    )?;
    table["tone"] = toml_edit::value(form.tone.trim());
    let mut list = ArrayOfTables::new();
    for (_, step) in steps {
        let mut t = Table::new();
        t["id"] = toml_edit::value(step.id);
        t["kind"] = toml_edit::value(step.kind.as_str());
        t["offset"] = toml_edit::value(i64::from(step.offset));
        t["channel"] = toml_edit::value(step.channel.as_str());
        t["template"] = toml_edit::value(step.template);
        t["sender"] = toml_edit::value(step.sender.as_str());
        if let Some(amount) = step.min_overdue {
            t["min_overdue"] = toml_edit::value(amount);
        }
        if !step.effects.is_empty() {
            let mut effects = Array::new();
            for e in step.effects {
                effects.push(e.as_str());
            }
            t["effects"] = toml_edit::value(effects);
        }
        list.push(t);
    }
    table.insert("step", Item::ArrayOfTables(list));
    Ok(doc.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Config, DEFAULT_CONFIG};

    use crate::config::parse_for_test as parse;

    fn templates(config: &Config) -> Vec<String> {
        let mut names: Vec<String> = config
            .strategies
            .iter()
            .flat_map(|s| s.steps.iter().map(|st| st.template.clone()))
            .collect();
        names.sort();
        names.dedup();
        names
    }

    #[test]
    fn the_form_of_a_strategy_saves_back_to_the_same_strategy() {
        let config = parse(DEFAULT_CONFIG);
        let names = templates(&config);
        for strategy in &config.strategies {
            let text = apply(DEFAULT_CONFIG, &form_of(strategy), &names).unwrap();
            let again = parse(&text);
            assert_eq!(
                again.strategy(&strategy.id),
                Some(strategy),
                "{}",
                strategy.id
            );
            assert_eq!(again.segments, config.segments);
        }
    }

    #[test]
    fn a_changed_step_a_new_one_and_a_removed_one_are_saved_and_comments_stay() {
        let config = parse(DEFAULT_CONFIG);
        let names = templates(&config);
        let light = config.strategy("light").unwrap();
        let mut form = form_of(light);
        form.name_nl = "Licht en vriendelijk".into();
        // Later reminder, the second reminder gone, a heads-up added.
        form.steps[0].offset = "7".into();
        form.steps.remove(1);
        form.steps.push(StepRow {
            kind: "heads_up".into(),
            offset: "-3".into(),
            channel: "email".into(),
            template: "pamper/heads_up".into(),
            sender: "collector".into(),
            ..StepRow::default()
        });
        form.steps.push(StepRow::default());
        form.steps[3].min_overdue = "300,00".into();
        let text = apply(DEFAULT_CONFIG, &form, &names).unwrap();
        assert!(
            text.contains("# Reliable payers: a light touch"),
            "comments stay"
        );
        let saved = parse(&text);
        let light = saved.strategy("light").unwrap();
        assert_eq!(light.name_nl, "Licht en vriendelijk");
        let steps: Vec<(&str, i32)> = light
            .steps
            .iter()
            .map(|s| (s.id.as_str(), s.offset_days))
            .collect();
        assert_eq!(
            steps,
            [
                ("heads_up", -3),
                ("reminder", 7),
                ("call", 28),
                ("final_notice", 40),
                ("handoff", 70)
            ]
        );
        assert_eq!(light.steps[4].min_overdue_minor, 30_000, "a Dutch amount");
        assert_eq!(saved.strategies.len(), config.strategies.len());
    }

    #[test]
    fn mistakes_are_named_at_their_row_in_both_languages() {
        let config = parse(DEFAULT_CONFIG);
        let names = templates(&config);
        let form = form_of(config.strategy("light").unwrap());
        let wrong = |edit: &dyn Fn(&mut StrategyForm)| {
            let mut f = form.clone();
            edit(&mut f);
            apply(DEFAULT_CONFIG, &f, &names).unwrap_err()
        };
        let e = wrong(&|f| f.steps[1].offset = "twee weken".into());
        assert_eq!(e.row, Some(1));
        assert!(
            e.nl.contains("'twee weken' is geen aantal dagen"),
            "{}",
            e.nl
        );
        let e = wrong(&|f| f.steps[2].channel = "email".into());
        assert_eq!(e.row, Some(2));
        assert!(e.en.contains("a call goes as a call"), "{}", e.en);
        let e = wrong(&|f| f.steps[0].template = "nonexistent".into());
        assert!(e.nl.contains("kies de tekst"), "{}", e.nl);
        let e = wrong(&|f| f.steps[4].min_overdue = "-5".into());
        assert_eq!(e.row, Some(4));
        let e = wrong(&|f| f.steps[3].id = "reminder".into());
        assert!(e.en.contains("in twice"), "{}", e.en);
        let e = wrong(&|f| f.steps.iter_mut().for_each(|s| *s = StepRow::default()));
        assert_eq!(e.row, None);
        let e = wrong(&|f| f.name_en = " ".into());
        assert!(e.nl.contains("Engelse naam"));
    }

    #[test]
    fn the_hand_off_comes_right_after_the_final_notice() {
        let config = parse(DEFAULT_CONFIG);
        let names = templates(&config);
        let mut form = form_of(config.strategy("light").unwrap());
        form.steps[4].offset = "30".into();
        let e = apply(DEFAULT_CONFIG, &form, &names).unwrap_err();
        assert_eq!(e.row, Some(4));
        assert!(e.nl.contains("direct na de laatste aanmaning"), "{}", e.nl);
        let mut form = form_of(config.strategy("light").unwrap());
        form.steps.push(form.steps[4].clone());
        form.steps[5].id = String::new();
        form.steps[5].offset = "80".into();
        let e = apply(DEFAULT_CONFIG, &form, &names).unwrap_err();
        assert!(e.en.contains("once at most"), "{}", e.en);
    }
}
