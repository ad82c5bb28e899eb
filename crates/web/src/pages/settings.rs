//! Settings: `tegoed.toml` with a preview on real customers, and the
//! message templates with a live preview.

use super::*;
use tegoed_app::audit::{Detail, Label};
use tegoed_app::dunning;

pub(super) fn config_text(state: &S) -> String {
    state
        .config_path
        .as_ref()
        .and_then(|p| std::fs::read_to_string(p).ok())
        .unwrap_or_else(|| tegoed_app::config::DEFAULT_CONFIG.to_string())
}

/// The settings page's view-model (`settings.html`): the segments with how
/// many customers each holds, the strategies with their steps, the message
/// texts by what people call them, the credit policy in words, the TOML
/// for experts, and a preview of edited settings when one was asked.
#[derive(Serialize)]
pub(super) struct SettingsPage {
    segments: Vec<SegmentLine>,
    strategies: Vec<StrategyLine>,
    templates: Vec<TemplateGroup>,
    policy: tegoed_app::policy::PolicyText,
    toml: String,
    path: Option<String>,
    may_edit: bool,
    preview: Option<SettingsPreview>,
    preview_error: Option<String>,
}

#[derive(Serialize)]
struct SegmentLine {
    id: String,
    name: String,
    strategy: String,
    customers: usize,
}

#[derive(Serialize)]
struct StrategyLine {
    id: String,
    name: String,
    tone: String,
    steps: Vec<StepLine>,
}

#[derive(Serialize)]
struct StepLine {
    id: String,
    kind: &'static str,
    offset: i32,
    channel: &'static str,
    template: String,
    min: i64,
    effects: Vec<String>,
}

/// A message text with its language versions.
#[derive(Serialize)]
struct TemplateGroup {
    base: String,
    label: String,
    kind: &'static str,
    versions: Vec<TemplateVersion>,
}

#[derive(Serialize)]
struct TemplateVersion {
    name: String,
    language: String,
    custom: bool,
}

/// What a customer would get today under edited settings.
#[derive(Serialize)]
struct SettingsPreview {
    customer: String,
    messages: Vec<dunning::Planned>,
    segment: String,
}

pub(super) fn settings_context(state: &S, visit: &Visit, text: &str) -> Result<SettingsPage, Fail> {
    let lang = visit.user.language;
    let live = state.live();
    let book = portfolio(state, false)?;
    // Texts by what people call them ("Licht · laatste aanmaning"), not by
    // their file names.
    let labels: HashMap<String, String> = step_templates(state, lang)?.into_iter().collect();
    let label = |name: &str| match labels.get(name) {
        Some(label) => label.clone(),
        None if name.starts_with("appreciation/") => format!(
            "{} · {}",
            i18n::t(lang, "Appreciation"),
            i18n::t(lang, "Thank-you message")
        ),
        None => name.replace('_', " "),
    };
    let mut counts = vec![0usize; live.config.segments.len()];
    for row in &book.rows {
        if let Some(c) = counts.get_mut(row.segment) {
            *c += 1;
        }
    }
    let segments = live
        .config
        .segments
        .iter()
        .zip(&counts)
        .map(|(s, n)| SegmentLine {
            id: s.id.clone(),
            name: s.name(lang).to_string(),
            strategy: strategy_label(&live.config, &s.strategy, lang),
            customers: *n,
        })
        .collect();
    let strategies = live
        .config
        .strategies
        .iter()
        .map(|s| StrategyLine {
            id: s.id.clone(),
            name: s.name(lang).to_string(),
            tone: s.tone.clone(),
            steps: s
                .steps
                .iter()
                .map(|st| StepLine {
                    id: st.id.clone(),
                    kind: st.kind.as_str(),
                    offset: st.offset_days,
                    channel: st.channel.as_str(),
                    template: label(&st.template),
                    min: st.min_overdue_minor,
                    effects: st
                        .effects
                        .iter()
                        .map(|e| i18n::t(lang, e.as_str()).to_string())
                        .collect(),
                })
                .collect(),
        })
        .collect();
    let mut groups: Vec<TemplateGroup> = Vec::new();
    for info in templates::catalogue(live.config.delivery.templates.as_deref())? {
        let version = TemplateVersion {
            name: info.name,
            language: info.language,
            custom: info.custom,
        };
        match groups.last_mut() {
            Some(last) if last.base == info.base && last.kind == info.kind => {
                last.versions.push(version)
            }
            _ => groups.push(TemplateGroup {
                label: label(&info.base),
                base: info.base,
                kind: info.kind,
                versions: vec![version],
            }),
        }
    }
    Ok(SettingsPage {
        segments,
        strategies,
        templates: groups,
        policy: tegoed_app::policy::explain(&live.config, lang),
        toml: text.to_string(),
        path: state.config_path.as_ref().map(|p| p.display().to_string()),
        may_edit: visit.user.role.may(Action::EditSettings),
        preview: None,
        preview_error: None,
    })
}

pub(super) fn settings(state: &S, visit: &Visit, _: &Params, _: &Params) -> Result<Response, Fail> {
    let context = settings_context(state, visit, &config_text(state))?;
    render(state, visit, "settings.html", "Settings", context)
}

pub(super) fn parse_config(state: &S, text: &str) -> Result<tegoed_app::config::Config, Fail> {
    let base = state
        .config_path
        .as_ref()
        .and_then(|p| p.parent().map(|d| d.to_path_buf()))
        .unwrap_or_else(|| std::path::PathBuf::from("."));
    tegoed_app::config::Config::parse(
        text,
        "tegoed.toml (edited)",
        &base,
        state.config_path.clone(),
    )
    .map_err(|e| Fail::Invalid(e.to_string()))
}

/// What customer `number` gets today under `config` worded by `templates`:
/// a preview of settings or texts not (yet) in force; nothing is saved.
fn plan_for(
    state: &S,
    config: &tegoed_app::config::Config,
    templates: &templates::Templates,
    number: &str,
) -> Result<dunning::Preview, Fail> {
    Ok(dunning::plan(
        state.store.as_ref(),
        config,
        templates,
        state.as_of(),
        &dunning::Options {
            customer: Some(number.to_string()),
            ..dunning::Options::default()
        },
        &tegoed_app::Silent,
    )?)
}

/// The settings as TOML (the experts' editor), and the customer to preview
/// them on.
#[derive(Deserialize)]
pub(super) struct TomlForm {
    #[serde(default, deserialize_with = "forms::optional")]
    toml: Option<forms::Document>,
    #[serde(default, deserialize_with = "forms::optional")]
    customer: Option<Text>,
}

/// A live preview of edited settings on a real customer, before saving.
pub(super) fn settings_preview(
    state: &S,
    visit: &Visit,
    _: &Params,
    form: TomlForm,
) -> Result<Response, Fail> {
    require(&visit.user, Action::EditSettings, None)?;
    let text = form.toml.map(|t| t.0).unwrap_or_default();
    let number = form.customer.ok_or_else(|| missing("customer"))?;
    let number = number.as_str();
    let mut context = settings_context(state, visit, &text)?;
    let outcome = parse_config(state, &text).and_then(|config| {
        let templates =
            tegoed_app::dunning::templates::Templates::load(config.delivery.templates.as_deref())?;
        let preview = plan_for(state, &config, &templates, number)?;
        let as_of = state.as_of();
        let why = tegoed_app::read_tx(state.store.as_ref(), |tx| {
            let ledger = CustomerLedger::load(tx, number, as_of)?;
            segments::explain(tx, &config, &ledger.stored, &ledger.rows, None, as_of)
        })?;
        Ok((preview, why))
    });
    match outcome {
        Ok((preview, why)) => {
            context.preview = Some(SettingsPreview {
                customer: number.to_string(),
                messages: preview.messages,
                segment: why.segment_name(visit.user.language).to_string(),
            });
        }
        Err(f) => context.preview_error = Some(preview_error(&f, visit.user.language)),
    }
    render(state, visit, "settings.html", "Settings", context)
}

pub(super) fn settings_save(
    state: &S,
    visit: &Visit,
    _: &Params,
    form: TomlForm,
) -> Result<String, Fail> {
    require(&visit.user, Action::EditSettings, None)?;
    let text = form.toml.ok_or_else(|| missing("toml"))?;
    save_settings(state, visit, &text.0)?;
    Ok(with_done("/settings", "settings", &[]))
}

/// Checks `text` as settings, writes it to the settings file (whole or not
/// at all), puts it in force and writes the audit line.
fn save_settings(state: &S, visit: &Visit, text: &str) -> Result<(), Fail> {
    let config = parse_config(state, text)?;
    let templates =
        tegoed_app::dunning::templates::Templates::load(config.delivery.templates.as_deref())?;
    let path = state.config_path.clone().ok_or_else(|| {
        Fail::Invalid(
            "the server runs on the shipped settings; start it with --config FILE to edit them"
                .into(),
        )
    })?;
    let tmp = path.with_extension("toml.saving");
    std::fs::write(&tmp, text)
        .and_then(|()| std::fs::rename(&tmp, &path))
        .map_err(|e| Fail::Internal(format!("cannot save {}: {e}", path.display())))?;
    state.replace_config(crate::Live { config, templates });
    let target = path.display().to_string();
    let detail = Detail::none().number(Label::Size, text.len());
    state.write(|tx| visit.actor().audit(tx, "settings.save", &target, detail))?;
    Ok(())
}

/// The template page's view-model (`template.html`): the text (edited or
/// as it stands), which steps use it, the merge fields, customers who get
/// it today, and a preview on one of them when asked.
#[derive(Serialize)]
pub(super) struct TemplatePage {
    tpl: templates::TemplateInfo,
    source: String,
    used_by: Vec<UsedBy>,
    suggestions: Vec<String>,
    dir: Option<String>,
    may_edit: bool,
    fields: Vec<MergeField>,
    saved: bool,
    customer: Option<String>,
    preview: Option<MessagesPreview>,
    preview_error: Option<String>,
}

/// A strategy step that words its message with the template.
#[derive(Serialize)]
struct UsedBy {
    strategy: String,
    step: String,
    channel: &'static str,
}

/// A merge field, as set in the text, with what it is.
#[derive(Serialize)]
struct MergeField {
    field: &'static str,
    label: &'static str,
}

/// A customer's messages of today under edited settings or texts.
#[derive(Serialize)]
pub(super) struct MessagesPreview {
    customer: String,
    messages: Vec<PreviewMessage>,
}

#[derive(Serialize)]
struct PreviewMessage {
    strategy: String,
    step: String,
    language: String,
    /// About what the page edits: worded by its template, or sent under
    /// its strategy.
    marked: bool,
    subject: String,
    text: String,
}

impl PreviewMessage {
    fn of(
        config: &tegoed_app::config::Config,
        m: &dunning::Planned,
        lang: Language,
        marked: bool,
    ) -> PreviewMessage {
        PreviewMessage {
            strategy: strategy_label(config, &m.strategy, lang),
            step: i18n::t(lang, m.kind).to_string(),
            language: m.language.to_string(),
            marked,
            subject: m.message.subject.clone(),
            text: m.message.text.clone(),
        }
    }
}

/// The template page: the text (edited or as it stands), which steps use
/// it, and customers who get it today.
pub(super) fn template_context(
    state: &S,
    visit: &Visit,
    name: &str,
    source: Option<&str>,
) -> Result<(TemplatePage, templates::TemplateInfo), Fail> {
    let live = state.live();
    let dir = live.config.delivery.templates.as_deref();
    let info = templates::find(dir, name)?;
    let source = match source {
        Some(text) => text.to_string(),
        None => templates::source_of(dir, &info)?,
    };
    let used_by = live
        .config
        .strategies
        .iter()
        .flat_map(|s| {
            s.steps
                .iter()
                .filter(|st| st.template == info.base)
                .map(|st| UsedBy {
                    strategy: s.name(visit.user.language).to_string(),
                    step: i18n::t(visit.user.language, st.kind.as_str()).to_string(),
                    channel: st.channel.as_str(),
                })
        })
        .collect();
    // Customers today's run sends this text to (when the preview is built).
    let suggestions: Vec<String> = state
        .cache
        .preview_if_ready(state)
        .map(|preview| {
            preview
                .messages
                .iter()
                .filter(|m| written_with(&live.config, m, &info))
                .take(8)
                .map(|m| m.customer.clone())
                .collect()
        })
        .unwrap_or_default();
    let context = TemplatePage {
        tpl: info.clone(),
        source,
        used_by,
        suggestions,
        dir: dir.map(|d| d.display().to_string()),
        may_edit: visit.user.role.may(Action::EditSettings),
        fields: templates::MERGE_FIELDS
            .iter()
            .map(|&(field, nl, en)| MergeField {
                field,
                label: if visit.user.language == Language::Nl {
                    nl
                } else {
                    en
                },
            })
            .collect(),
        saved: false,
        customer: None,
        preview: None,
        preview_error: None,
    };
    Ok((context, info))
}

/// Whether planned message `m` is worded by template `info`: its step
/// names the template's base and it is in the template's language.
pub(super) fn written_with(
    config: &tegoed_app::config::Config,
    m: &dunning::Planned,
    info: &templates::TemplateInfo,
) -> bool {
    m.language == info.language
        && config
            .strategies
            .iter()
            .find(|s| s.id == m.strategy)
            .and_then(|s| s.steps.iter().find(|st| st.id == m.step))
            .is_some_and(|st| st.template == info.base)
}

/// The customer's messages of today with `templates` in place, marked
/// whether they are worded by template `info`.
pub(super) fn template_preview_of(
    state: &S,
    info: &templates::TemplateInfo,
    number: &str,
    templates: &templates::Templates,
    lang: Language,
) -> Result<MessagesPreview, Fail> {
    let live = state.live();
    let preview = plan_for(state, &live.config, templates, number)?;
    let messages = preview
        .messages
        .iter()
        .map(|m| PreviewMessage::of(&live.config, m, lang, written_with(&live.config, m, info)))
        .collect();
    Ok(MessagesPreview {
        customer: number.to_string(),
        messages,
    })
}

pub(super) fn template_page(
    state: &S,
    visit: &Visit,
    _: &Params,
    query: &Params,
) -> Result<Response, Fail> {
    let name = field(query, "name")?;
    let (mut context, info) = template_context(state, visit, name, None)?;
    context.saved = query.contains_key("saved");
    if let Some(number) = opt(query, "customer") {
        context.customer = Some(number.to_string());
        let live = state.live();
        match template_preview_of(state, &info, number, &live.templates, visit.user.language) {
            Ok(preview) => context.preview = Some(preview),
            Err(f) => context.preview_error = Some(preview_error(&f, visit.user.language)),
        }
    }
    render(state, visit, "template.html", "Message template", context)
}

/// A message template: its name, the text (empty for a preview of nothing)
/// and the customer to preview it on.
#[derive(Deserialize)]
pub(super) struct TemplateForm {
    name: Text,
    #[serde(default, deserialize_with = "forms::optional")]
    source: Option<forms::Document>,
    #[serde(default, deserialize_with = "forms::optional")]
    customer: Option<Text>,
}

/// A live preview of an edited template on a real customer, before saving.
pub(super) fn template_preview(
    state: &S,
    visit: &Visit,
    _: &Params,
    form: TemplateForm,
) -> Result<Response, Fail> {
    require(&visit.user, Action::EditSettings, None)?;
    let name = form.name.as_str();
    let source = form.source.as_ref().map_or("", |s| s.0.as_str());
    let number = form.customer.as_ref().ok_or_else(|| missing("customer"))?;
    let number = number.as_str();
    let (mut context, info) = template_context(state, visit, name, Some(source))?;
    context.customer = Some(number.to_string());
    let dir = state.live().config.delivery.templates.clone();
    let outcome = templates::check_source(dir.as_deref(), name, source)
        .map_err(Fail::from)
        .and_then(|edited| template_preview_of(state, &info, number, &edited, visit.user.language));
    match outcome {
        Ok(preview) => context.preview = Some(preview),
        Err(f) => context.preview_error = Some(preview_error(&f, visit.user.language)),
    }
    render(state, visit, "template.html", "Message template", context)
}

pub(super) fn templates_folder(state: &S) -> Result<std::path::PathBuf, Fail> {
    state
        .live()
        .config
        .delivery
        .templates
        .clone()
        .ok_or_else(|| {
            Fail::Invalid(
                "no templates folder: set templates = \"FOLDER\" under [delivery] in the settings"
                    .into(),
            )
        })
}

pub(super) fn template_save(
    state: &S,
    visit: &Visit,
    _: &Params,
    form: TemplateForm,
) -> Result<String, Fail> {
    require(&visit.user, Action::EditSettings, None)?;
    let name = form.name.as_str();
    let source = form.source.as_ref().ok_or_else(|| missing("source"))?;
    let source = source.0.as_str();
    let dir = templates_folder(state)?;
    let loaded = templates::save_override(&dir, name, source)?;
    let detail = Detail::none()
        .number(Label::Size, source.len())
        .text(Label::Folder, &dir.display().to_string());
    use_templates(state, visit, loaded, "template.save", name, detail)?;
    Ok(format!(
        "/settings/template?name={}&saved=1",
        auth::encode(name)
    ))
}

pub(super) fn template_reset(
    state: &S,
    visit: &Visit,
    _: &Params,
    form: TemplateForm,
) -> Result<String, Fail> {
    require(&visit.user, Action::EditSettings, None)?;
    let name = form.name.as_str();
    let dir = templates_folder(state)?;
    let loaded = templates::remove_override(&dir, name)?;
    let detail = Detail::none().both(
        Label::Outcome,
        "terug naar de meegeleverde tekst".into(),
        "back to the shipped text".into(),
    );
    use_templates(state, visit, loaded, "template.reset", name, detail)?;
    Ok(format!("/settings/template?name={}", auth::encode(name)))
}

/// Puts changed templates in use and writes the change to the audit log.
pub(super) fn use_templates(
    state: &S,
    visit: &Visit,
    loaded: templates::Templates,
    action: &str,
    name: &str,
    detail: Detail,
) -> Result<(), Fail> {
    let config = state.live().config.clone();
    state.replace_config(crate::Live {
        config,
        templates: loaded,
    });
    state.write(|tx| visit.actor().audit(tx, action, name, detail.clone()))
}

// --- a segment as a form ----------------------------------------------------

use tegoed_app::config::segment_form::{self, FACTS, FormError, Op, Row, SegmentForm};

/// At most this many alternatives and rows per alternative are read from a
/// form (a hostile form cannot make the server build a huge table).
const MAX_ALTERNATIVES: usize = 10;
const MAX_ROWS: usize = 20;

/// The form's fields: `name_nl`, `name_en`, `strategy` and per row
/// `a{alternative}r{row}_fact|_op|_value`.
fn segment_form_of(id: &str, form: &Params) -> SegmentForm {
    SegmentForm {
        id: id.to_string(),
        name_nl: form.get("name_nl").cloned().unwrap_or_default(),
        name_en: form.get("name_en").cloned().unwrap_or_default(),
        strategy: form.get("strategy").cloned().unwrap_or_default(),
        alternatives: alternatives_of(form),
    }
}

/// The condition rows of a form (`a{alternative}r{row}_fact|_op|_value`),
/// a segment's or a policy rule's.
fn alternatives_of(form: &Params) -> Vec<Vec<Row>> {
    let mut alternatives = Vec::new();
    for a in 0..MAX_ALTERNATIVES {
        let mut rows = Vec::new();
        for r in 0..MAX_ROWS {
            let get = |part: &str| form.get(&format!("a{a}r{r}_{part}")).cloned();
            match (get("fact"), get("op"), get("value")) {
                (None, None, None) => continue,
                (fact, op, value) => rows.push(Row {
                    fact: fact.unwrap_or_default(),
                    op: op.unwrap_or_default(),
                    value: value.unwrap_or_default(),
                }),
            }
        }
        alternatives.push(rows);
    }
    while alternatives.last().is_some_and(|rows| rows.is_empty()) {
        alternatives.pop();
    }
    alternatives
}

/// The numbers of rows read from the settings (`1000.00`, `12.5`) as a
/// Dutch reader writes them (`1000,00`, `12,5`); the forms read either.
fn in_readers_numbers(alternatives: &mut [Vec<Row>], lang: Language) {
    if lang != Language::Nl {
        return;
    }
    for row in alternatives.iter_mut().flatten() {
        let decimal = row.value.matches('.').count() == 1
            && row
                .value
                .chars()
                .all(|c| c.is_ascii_digit() || c == '.' || c == '-');
        if decimal {
            row.value = row.value.replace('.', ",");
        }
    }
}

/// What the condition rows of a form need: the alternatives with a spare
/// row each and a spare alternative, the facts and the comparisons in the
/// reader's language, and the mistake at its row.
#[derive(Serialize)]
struct Conditions {
    alternatives: Vec<Vec<Row>>,
    facts: Vec<FactChoice>,
    ops: Vec<Choice>,
    error: Option<RowError>,
}

/// A fact a condition row can test, in the reader's words.
#[derive(Serialize)]
struct FactChoice {
    key: &'static str,
    kind: segment_form::FactKind,
    label: &'static str,
}

/// One choice of a list: its code and what the reader reads.
#[derive(Serialize)]
struct Choice {
    code: String,
    label: String,
}

/// What is wrong with a form, at the row it is about (or the whole form).
#[derive(Serialize)]
struct RowError {
    alternative: Option<usize>,
    row: Option<usize>,
    text: String,
}

impl RowError {
    fn of(e: &FormError, lang: Language) -> RowError {
        RowError {
            alternative: e.alternative,
            row: e.row,
            text: match lang {
                Language::Nl => e.nl.clone(),
                Language::En => e.en.clone(),
            },
        }
    }
}

fn conditions_context(
    alternatives: &[Vec<Row>],
    facts: &[segment_form::Fact],
    error: Option<&FormError>,
    lang: Language,
) -> Conditions {
    let mut alternatives: Vec<Vec<Row>> = alternatives.to_vec();
    for rows in &mut alternatives {
        rows.retain(|r| !r.fact.trim().is_empty() || !r.value.trim().is_empty());
        rows.push(Row::default());
    }
    alternatives.push(vec![Row::default()]);
    let op_label = |op: Op| match (op, lang) {
        (Op::AtLeast, Language::Nl) => "ten minste",
        (Op::AtLeast, Language::En) => "at least",
        (Op::AtMost, Language::Nl) => "hoogstens",
        (Op::AtMost, Language::En) => "at most",
        (Op::Is, Language::Nl) => "is",
        (Op::Is, Language::En) => "is",
        (Op::OneOf, Language::Nl) => "een van",
        (Op::OneOf, Language::En) => "one of",
    };
    let facts = facts
        .iter()
        .map(|f| FactChoice {
            key: f.key,
            kind: f.kind,
            label: if lang == Language::Nl {
                f.label_nl
            } else {
                f.label_en
            },
        })
        .collect();
    let ops = [Op::AtLeast, Op::AtMost, Op::Is, Op::OneOf]
        .into_iter()
        .map(|op| Choice {
            code: op.code().to_string(),
            label: op_label(op).to_string(),
        })
        .collect();
    Conditions {
        alternatives,
        facts,
        ops,
        error: error.map(|e| RowError::of(e, lang)),
    }
}

/// The page of segment `id`: the form (with a spare row per alternative and
/// a spare alternative), and a preview or the mistake when there is one.
fn segment_context(
    state: &S,
    visit: &Visit,
    form: &SegmentForm,
    error: Option<&FormError>,
) -> SegmentPage {
    let lang = visit.user.language;
    let live = state.live();
    SegmentPage {
        conditions: conditions_context(&form.alternatives, FACTS, error, lang),
        form: form.clone(),
        strategies: strategy_choices(&live.config, lang),
        may_save: state.config_path.is_some(),
        customer: None,
        preview: None,
        preview_error: None,
    }
}

/// The strategies to choose from, by name.
fn strategy_choices(config: &tegoed_app::config::Config, lang: Language) -> Vec<Named> {
    config
        .strategies
        .iter()
        .map(|s| Named {
            id: s.id.clone(),
            name: s.name(lang).to_string(),
        })
        .collect()
}

/// The segment page's view-model (`segment.html`): the form with its
/// condition rows, the strategies to choose from, and a preview of the
/// edited segment on a customer when asked.
#[derive(Serialize)]
struct SegmentPage {
    #[serde(flatten)]
    conditions: Conditions,
    form: SegmentForm,
    strategies: Vec<Named>,
    may_save: bool,
    customer: Option<String>,
    preview: Option<SegmentPreview>,
    preview_error: Option<String>,
}

/// Where a customer lands under the edited segment, and why.
#[derive(Serialize)]
struct SegmentPreview {
    customer: String,
    name: String,
    segment: String,
    in_this: bool,
    why: Vec<String>,
}

fn segment_of(state: &S, id: &str) -> Result<SegmentForm, Fail> {
    state
        .live()
        .config
        .segments
        .iter()
        .find(|s| s.id == id)
        .map(segment_form::form_of)
        .ok_or_else(|| Fail::NotFound(format!("no segment '{id}'")))
}

pub(super) fn segment_page(
    state: &S,
    visit: &Visit,
    path: &Params,
    _: &Params,
) -> Result<Response, Fail> {
    require(&visit.user, Action::EditSettings, None)?;
    let form = segment_of(state, field(path, "id")?)?;
    let mut form = form;
    in_readers_numbers(&mut form.alternatives, visit.user.language);
    let context = segment_context(state, visit, &form, None);
    render(state, visit, "segment.html", "Segment", context)
}

/// The form applied to the settings in force and checked as a whole: the
/// new settings text and the parsed settings, or the mistake.
fn segment_settings(
    state: &S,
    form: &SegmentForm,
) -> Result<(String, tegoed_app::config::Config), FormError> {
    checked(state, segment_form::apply(&config_text(state), form)?)
}

/// Saves the settings a form produced and goes back to `back` with the
/// confirmation, or refuses with the form's mistake in the reader's
/// language (the plumbing shows the form again, as typed).
fn save_checked(
    state: &S,
    visit: &Visit,
    checked: Result<(String, tegoed_app::config::Config), FormError>,
    back: &str,
) -> Result<String, Fail> {
    let (text, _) = checked.map_err(|e| {
        Fail::Invalid(match visit.user.language {
            Language::Nl => e.nl,
            Language::En => e.en,
        })
    })?;
    save_settings(state, visit, &text)?;
    Ok(with_done(back, "settings", &[]))
}

/// `text` checked as settings, as a hand-edited file is: the text and the
/// parsed settings, or what is wrong as the form's mistake.
fn checked(state: &S, text: String) -> Result<(String, tegoed_app::config::Config), FormError> {
    let config = parse_config(state, &text).map_err(|f| FormError {
        alternative: None,
        row: None,
        nl: format!("Deze instellingen kloppen niet: {}", f.message()),
        en: format!("These settings are not valid: {}", f.message()),
    })?;
    Ok((text, config))
}

/// A preview of the edited segment on a real customer: which segment they
/// land in, why, and what they get today.
pub(super) fn segment_preview(
    state: &S,
    visit: &Visit,
    path: &Params,
    form: Params,
) -> Result<Response, Fail> {
    let form = &form;
    require(&visit.user, Action::EditSettings, None)?;
    let id = field(path, "id")?;
    segment_of(state, id)?;
    let edited = segment_form_of(id, form);
    let lang = visit.user.language;
    let mut context;
    match segment_settings(state, &edited) {
        Err(e) => {
            context = segment_context(state, visit, &edited, Some(&e));
        }
        Ok((_, config)) => {
            context = segment_context(state, visit, &edited, None);
            if let Some(number) = opt(form, "customer") {
                let as_of = state.as_of();
                let outcome = tegoed_app::read_tx(state.store.as_ref(), |tx| {
                    let ledger = CustomerLedger::load(tx, number, as_of)?;
                    segments::explain(tx, &config, &ledger.stored, &ledger.rows, None, as_of)
                });
                match outcome {
                    Ok(why) => {
                        let reasons: Vec<String> = why
                            .tried
                            .iter()
                            .find(|t| t.matched)
                            .and_then(|t| t.matched_alternative.and_then(|i| t.alternatives.get(i)))
                            .map(|checks| checks.iter().map(|c| c.text(lang).to_string()).collect())
                            .unwrap_or_default();
                        context.preview = Some(SegmentPreview {
                            customer: number.to_string(),
                            segment: why.segment_name(lang).to_string(),
                            in_this: why.segment == id,
                            name: why.name,
                            why: reasons,
                        });
                    }
                    Err(e) => {
                        context.preview_error =
                            Some(preview_error(&Fail::from(e), visit.user.language))
                    }
                }
                context.customer = Some(number.to_string());
            }
        }
    }
    render(state, visit, "segment.html", "Segment", context)
}

/// Saves the edited segment into the settings file (the rest of the file,
/// comments included, as it was) and puts the settings in force.
pub(super) fn segment_save(
    state: &S,
    visit: &Visit,
    path: &Params,
    form: Params,
) -> Result<String, Fail> {
    let form = &form;
    require(&visit.user, Action::EditSettings, None)?;
    let id = field(path, "id")?;
    segment_of(state, id)?;
    let edited = segment_form_of(id, form);
    save_checked(
        state,
        visit,
        segment_settings(state, &edited),
        &format!("/settings/segments/{}", auth::encode(id)),
    )
}

// --- a strategy as a form ---------------------------------------------------

use tegoed_app::config::strategy_form::{self, StepRow, StrategyForm};

/// The form's fields: `name_nl`, `name_en`, `tone` and per step
/// `s{row}_id|_kind|_offset|_channel|_template|_sender|_min_overdue` and
/// one `s{row}_effect_{effect}` per effect ticked.
fn strategy_form_of(id: &str, form: &Params) -> StrategyForm {
    let mut steps = Vec::new();
    for r in 0..=strategy_form::MAX_STEPS {
        let get = |part: &str| form.get(&format!("s{r}_{part}")).cloned();
        let Some(kind) = get("kind") else { continue };
        steps.push(StepRow {
            id: get("id").unwrap_or_default(),
            kind,
            offset: get("offset").unwrap_or_default(),
            channel: get("channel").unwrap_or_default(),
            template: get("template").unwrap_or_default(),
            sender: get("sender").unwrap_or_default(),
            min_overdue: get("min_overdue").unwrap_or_default(),
            effects: strategy_form::EFFECTS
                .iter()
                .filter(|e| form.contains_key(&format!("s{r}_effect_{}", e.as_str())))
                .map(|e| e.as_str().to_string())
                .collect(),
        });
    }
    StrategyForm {
        id: id.to_string(),
        name_nl: form.get("name_nl").cloned().unwrap_or_default(),
        name_en: form.get("name_en").cloned().unwrap_or_default(),
        tone: form.get("tone").cloned().unwrap_or_default(),
        steps,
    }
}

/// The templates a step may use, as (name, what people read): a step's
/// words named after their strategy and kind ("Licht · laatste
/// aanmaning"), the file name only to tell two apart.
fn step_templates(state: &S, lang: Language) -> Result<Vec<(String, String)>, Fail> {
    let live = state.live();
    let used: Vec<&str> = live
        .config
        .strategies
        .iter()
        .flat_map(|s| s.steps.iter().map(|st| st.template.as_str()))
        .collect();
    let mut names: Vec<String> = templates::catalogue(live.config.delivery.templates.as_deref())?
        .into_iter()
        .map(|info| info.base)
        .collect();
    names.sort();
    names.dedup();
    let mut out: Vec<(String, String)> = Vec::new();
    for name in names {
        let (folder, stem) = name.rsplit_once('/').unwrap_or(("", name.as_str()));
        let kind = tegoed_core::strategy::StepKind::from_step_id(stem)
            .or_else(|| tegoed_core::strategy::StepKind::parse(stem));
        if kind.is_none() && !used.contains(&name.as_str()) {
            continue;
        }
        let what = match kind {
            Some(kind) => i18n::t(lang, kind.as_str()).to_string(),
            None => stem.replace('_', " "),
        };
        let label = match live.config.strategy(folder) {
            Some(strategy) => format!("{} · {what}", strategy.name(lang)),
            None if folder.is_empty() => what,
            None => format!("{} · {what}", folder.replace('_', " ")),
        };
        out.push((name, label));
    }
    // Two texts of one kind in one folder: number the second one on.
    let mut seen: Vec<String> = Vec::new();
    for (_, label) in &mut out {
        let n = seen.iter().filter(|l| *l == label).count();
        seen.push(label.clone());
        if n > 0 {
            label.push_str(&format!(" ({})", n + 1));
        }
    }
    Ok(out)
}

/// The page of strategy `id`: the form with a spare row, and a preview or
/// the mistake when there is one.
/// The strategy page's view-model (`strategy.html`): the form with its step
/// rows (and a spare one), the choices of each column in the reader's
/// words, the segments that use the strategy, and a preview when asked.
#[derive(Serialize)]
struct StrategyPage {
    form: StrategyForm,
    steps: Vec<StepRow>,
    kinds: Vec<Choice>,
    channels: Vec<Choice>,
    effects: Vec<Choice>,
    senders: Vec<Choice>,
    tones: Vec<Choice>,
    templates: Vec<TemplateChoice>,
    used_by: Vec<String>,
    error: Option<RowError>,
    may_save: bool,
    customer: Option<String>,
    preview: Option<MessagesPreview>,
    preview_error: Option<String>,
}

/// A message text a step can use, by what people call it.
#[derive(Serialize)]
struct TemplateChoice {
    name: String,
    label: String,
}

fn strategy_context(
    state: &S,
    visit: &Visit,
    form: &StrategyForm,
    error: Option<&segment_form::FormError>,
) -> Result<StrategyPage, Fail> {
    let lang = visit.user.language;
    let mut steps = form.steps.clone();
    steps.retain(|s| !s.is_blank());
    if lang == Language::Nl {
        // Amounts as a Dutch reader writes them (the form reads both).
        for step in &mut steps {
            step.min_overdue = step.min_overdue.replace('.', ",");
        }
    }
    steps.push(StepRow {
        sender: "collector".into(),
        ..StepRow::default()
    });
    let choices = |codes: &[&str]| -> Vec<Choice> {
        codes
            .iter()
            .map(|c| Choice {
                code: c.to_string(),
                label: i18n::t(lang, c).to_string(),
            })
            .collect()
    };
    let kinds: Vec<&str> = strategy_form::KINDS.iter().map(|k| k.as_str()).collect();
    let channels: Vec<&str> = strategy_form::CHANNELS.iter().map(|c| c.as_str()).collect();
    let effects: Vec<&str> = strategy_form::EFFECTS.iter().map(|e| e.as_str()).collect();
    let mut tones: Vec<&str> = strategy_form::TONES.to_vec();
    if !form.tone.is_empty() && !tones.contains(&form.tone.as_str()) {
        tones.push(form.tone.as_str());
    }
    let tones = tones
        .iter()
        .map(|c| Choice {
            code: c.to_string(),
            label: i18n::t(lang, &format!("tone {c}")).to_string(),
        })
        .collect();
    let used_by: Vec<String> = state
        .live()
        .config
        .segments
        .iter()
        .filter(|s| s.strategy == form.id)
        .map(|s| s.name(lang).to_string())
        .collect();
    Ok(StrategyPage {
        form: form.clone(),
        steps,
        kinds: choices(&kinds),
        channels: choices(&channels),
        effects: choices(&effects),
        senders: choices(&["collector", "account_manager"]),
        tones,
        templates: step_templates(state, lang)?
            .into_iter()
            .map(|(name, label)| TemplateChoice { name, label })
            .collect(),
        used_by,
        error: error.map(|e| RowError::of(e, lang)),
        may_save: state.config_path.is_some(),
        customer: None,
        preview: None,
        preview_error: None,
    })
}

fn strategy_of(state: &S, id: &str) -> Result<StrategyForm, Fail> {
    state
        .live()
        .config
        .strategy(id)
        .map(strategy_form::form_of)
        .ok_or_else(|| Fail::NotFound(format!("no strategy '{id}'")))
}

/// The strategy's page; after a refused save, the form as it was sent with
/// the mistake at its row.
pub(super) fn strategy_page(
    state: &S,
    visit: &Visit,
    path: &Params,
    _: &Params,
) -> Result<Response, Fail> {
    require(&visit.user, Action::EditSettings, None)?;
    let id = field(path, "id")?;
    let stored = strategy_of(state, id)?;
    let context = match &visit.form_error {
        Some(sent) => {
            let edited = strategy_form_of(id, &sent.values);
            let mistake = strategy_settings(state, &edited)?.err();
            strategy_context(state, visit, &edited, mistake.as_ref())?
        }
        None => strategy_context(state, visit, &stored, None)?,
    };
    render(state, visit, "strategy.html", "Strategy", context)
}

/// The form applied to the settings in force and checked as a whole.
fn strategy_settings(
    state: &S,
    form: &StrategyForm,
) -> Result<Result<(String, tegoed_app::config::Config), segment_form::FormError>, Fail> {
    let names: Vec<String> = step_templates(state, Language::En)?
        .into_iter()
        .map(|(name, _)| name)
        .collect();
    Ok(strategy_form::apply(&config_text(state), form, &names)
        .and_then(|text| checked(state, text)))
}

/// A preview of the edited strategy: what a real customer gets today with
/// it (whichever segment they are in, the edited settings decide).
pub(super) fn strategy_preview(
    state: &S,
    visit: &Visit,
    path: &Params,
    form: Params,
) -> Result<Response, Fail> {
    let form = &form;
    require(&visit.user, Action::EditSettings, None)?;
    let id = field(path, "id")?;
    strategy_of(state, id)?;
    let edited = strategy_form_of(id, form);
    let lang = visit.user.language;
    let context = match strategy_settings(state, &edited)? {
        Err(e) => strategy_context(state, visit, &edited, Some(&e))?,
        Ok((_, config)) => {
            let mut context = strategy_context(state, visit, &edited, None)?;
            if let Some(number) = opt(form, "customer") {
                context.customer = Some(number.to_string());
                let outcome = tegoed_app::dunning::templates::Templates::load(
                    config.delivery.templates.as_deref(),
                )
                .map_err(Fail::from)
                .and_then(|templates| plan_for(state, &config, &templates, number));
                match outcome {
                    Ok(preview) => {
                        let messages = preview
                            .messages
                            .iter()
                            .map(|m| PreviewMessage::of(&config, m, lang, m.strategy == id))
                            .collect();
                        context.preview = Some(MessagesPreview {
                            customer: number.to_string(),
                            messages,
                        });
                    }
                    Err(f) => context.preview_error = Some(preview_error(&f, visit.user.language)),
                }
            }
            context
        }
    };
    render(state, visit, "strategy.html", "Strategy", context)
}

/// Saves the edited strategy into the settings file (the rest of the file,
/// comments included, as it was) and puts the settings in force.
pub(super) fn strategy_save(
    state: &S,
    visit: &Visit,
    path: &Params,
    form: Params,
) -> Result<String, Fail> {
    let form = &form;
    require(&visit.user, Action::EditSettings, None)?;
    let id = field(path, "id")?;
    strategy_of(state, id)?;
    let edited = strategy_form_of(id, form);
    save_checked(
        state,
        visit,
        strategy_settings(state, &edited)?,
        &format!("/settings/strategies/{}", auth::encode(id)),
    )
}

// --- a credit policy rule as a form -----------------------------------------

use tegoed_app::config::policy_form::{self, RuleForm};

/// The form's fields: `verdict`, the condition rows (as a segment's),
/// `terms_days`, `prepayment_pct`, one `flag_{code}` per condition of sale
/// ticked, `reason_nl`, `reason_en`.
fn rule_form_of(id: &str, form: &Params) -> RuleForm {
    let text = |name: &str| form.get(name).cloned().unwrap_or_default();
    RuleForm {
        id: id.to_string(),
        verdict: text("verdict"),
        alternatives: alternatives_of(form),
        terms_days: text("terms_days"),
        prepayment_pct: text("prepayment_pct"),
        flags: policy_form::FLAGS
            .iter()
            .map(|f| f.code())
            .filter(|code| form.contains_key(&format!("flag_{code}")))
            .map(str::to_string)
            .collect(),
        reason_nl: text("reason_nl"),
        reason_en: text("reason_en"),
    }
}

fn rule_of(state: &S, id: &str) -> Result<RuleForm, Fail> {
    state
        .live()
        .config
        .policy
        .rules
        .iter()
        .find(|r| r.id == id)
        .map(policy_form::form_of)
        .ok_or_else(|| Fail::NotFound(format!("no policy rule '{id}'")))
}

/// The policy rule page's view-model (`policy_rule.html`): the form with
/// its condition rows, the rule's place in the policy, the conditions and
/// decisions to choose from, and a pre-sale check under the edited rule
/// when asked.
#[derive(Serialize)]
struct RulePage {
    #[serde(flatten)]
    conditions: Conditions,
    form: RuleForm,
    /// The rule's place in the policy (from 1; the first that applies
    /// decides).
    position: usize,
    rules: usize,
    flags: Vec<Flag>,
    verdicts: Vec<Choice>,
    may_save: bool,
    customer: Option<String>,
    amount: Option<String>,
    preview: Option<RulePreview>,
    preview_error: Option<String>,
}

/// A condition the rule can set on a sale, and whether it does.
#[derive(Serialize)]
struct Flag {
    code: &'static str,
    label: String,
    checked: bool,
}

/// The pre-sale check of a customer and an amount under the edited policy.
#[derive(Serialize)]
struct RulePreview {
    customer: String,
    name: String,
    verdict: &'static str,
    this_rule: bool,
    decided_by: Option<String>,
    conditions: Vec<String>,
    reasons: Vec<String>,
}

fn rule_context(state: &S, visit: &Visit, form: &RuleForm, error: Option<&FormError>) -> RulePage {
    let lang = visit.user.language;
    let live = state.live();
    let conditions = conditions_context(&form.alternatives, policy_form::FACTS, error, lang);
    let position = live
        .config
        .policy
        .rules
        .iter()
        .position(|r| r.id == form.id)
        .map_or(0, |p| p + 1);
    let flags = policy_form::FLAGS
        .iter()
        .map(|f| Flag {
            code: f.code(),
            label: f.text(lang).to_string(),
            checked: form.flags.iter().any(|c| c == f.code()),
        })
        .collect();
    let verdicts = ["approve", "conditions", "prepay"]
        .into_iter()
        .map(|v| Choice {
            code: v.to_string(),
            label: i18n::t(lang, v).to_string(),
        })
        .collect();
    RulePage {
        conditions,
        form: form.clone(),
        position,
        rules: live.config.policy.rules.len(),
        flags,
        verdicts,
        may_save: state.config_path.is_some(),
        customer: None,
        amount: None,
        preview: None,
        preview_error: None,
    }
}

/// The rule's page; after a refused save, the form as it was sent with the
/// mistake at its place.
pub(super) fn rule_page(
    state: &S,
    visit: &Visit,
    path: &Params,
    _: &Params,
) -> Result<Response, Fail> {
    require(&visit.user, Action::EditSettings, None)?;
    let id = field(path, "id")?;
    let stored = rule_of(state, id)?;
    let context = match &visit.form_error {
        Some(sent) => {
            let edited = rule_form_of(id, &sent.values);
            let mistake = rule_settings(state, &edited).err();
            rule_context(state, visit, &edited, mistake.as_ref())
        }
        None => {
            let mut stored = stored;
            in_readers_numbers(&mut stored.alternatives, visit.user.language);
            rule_context(state, visit, &stored, None)
        }
    };
    render(state, visit, "policy_rule.html", "Policy rule", context)
}

/// The form applied to the settings in force and checked as a whole.
fn rule_settings(
    state: &S,
    form: &RuleForm,
) -> Result<(String, tegoed_app::config::Config), FormError> {
    checked(state, policy_form::apply(&config_text(state), form)?)
}

/// A preview of the edited rule: the pre-sale check of a real customer and
/// order amount under the edited policy, and whether this rule decided it.
pub(super) fn rule_preview(
    state: &S,
    visit: &Visit,
    path: &Params,
    form: Params,
) -> Result<Response, Fail> {
    let form = &form;
    require(&visit.user, Action::EditSettings, None)?;
    let id = field(path, "id")?;
    rule_of(state, id)?;
    let edited = rule_form_of(id, form);
    let lang = visit.user.language;
    let context = match rule_settings(state, &edited) {
        Err(e) => rule_context(state, visit, &edited, Some(&e)),
        Ok((_, config)) => {
            let mut context = rule_context(state, visit, &edited, None);
            if let Some(number) = opt(form, "customer") {
                context.customer = Some(number.to_string());
                context.amount = Some(opt(form, "amount").unwrap_or("").to_string());
                let outcome = rule_check(state, &config, number, form, lang);
                match outcome {
                    Ok(result) => {
                        let decided_by = config
                            .policy
                            .rules
                            .iter()
                            .find(|r| r.id == result.rule)
                            .map(|r| r.reason(lang).to_string());
                        context.preview = Some(RulePreview {
                            customer: number.to_string(),
                            verdict: result.verdict,
                            this_rule: result.rule == id,
                            decided_by,
                            conditions: result.conditions.iter().map(|c| c.text.clone()).collect(),
                            name: result.subject.name,
                            reasons: result.reasons,
                        });
                    }
                    Err(e) => context.preview_error = Some(preview_error(&e, visit.user.language)),
                }
            }
            context
        }
    };
    render(state, visit, "policy_rule.html", "Policy rule", context)
}

/// The pre-sale check of customer `number` and the form's order amount
/// under `config`, in one read; a wrong amount or an unknown customer said
/// in the reader's language.
fn rule_check(
    state: &S,
    config: &tegoed_app::config::Config,
    number: &str,
    form: &Params,
    lang: Language,
) -> Result<tegoed_app::policy::CheckResult, Fail> {
    let nl = lang == Language::Nl;
    let typed = opt(form, "amount").unwrap_or("");
    let amount = money_field(form, "amount").map_err(|_| {
        Fail::Invalid(if nl {
            format!(
                "Orderbedrag: '{typed}' is geen bedrag in euro's (bijvoorbeeld 5000 of 5.000,00)"
            )
        } else {
            format!("Order amount: '{typed}' is not an amount in euros (e.g. 5000 or 5,000.00)")
        })
    })?;
    let request = CheckRequest {
        subject: Subject::Customer(number.to_string()),
        amount,
        terms_days: None,
        language: lang,
    };
    let as_of = state.as_of();
    tegoed_app::read_tx(state.store.as_ref(), |tx| {
        Checker::new(tx, config)?.check(tx, &request, as_of)
    })
    .map_err(|e| match Fail::from(e) {
        Fail::NotFound(_) => Fail::Invalid(if nl {
            format!("Klant '{number}' bestaat niet: vul een klantnummer in")
        } else {
            format!("There is no customer '{number}': enter a customer number")
        }),
        other => other,
    })
}

/// Saves the edited rule into the settings file (its place in the order,
/// the rest of the file and its comments as they were) and puts the
/// settings in force.
pub(super) fn rule_save(
    state: &S,
    visit: &Visit,
    path: &Params,
    form: Params,
) -> Result<String, Fail> {
    let form = &form;
    require(&visit.user, Action::EditSettings, None)?;
    let id = field(path, "id")?;
    rule_of(state, id)?;
    let edited = rule_form_of(id, form);
    save_checked(
        state,
        visit,
        rule_settings(state, &edited),
        &format!("/settings/policy/{}", auth::encode(id)),
    )
}

// --- company, legal and dunning settings as a form --------------------------

use tegoed_app::config::company_form::{self, CompanyForm, FieldError};

fn company_form_of(form: &Params) -> CompanyForm {
    let text = |name: &str| form.get(name).cloned().unwrap_or_default();
    CompanyForm {
        name: text("name"),
        address: text("address"),
        iban: text("iban"),
        bic: text("bic"),
        phone: text("phone"),
        email: text("email"),
        website: text("website"),
        kvk: text("kvk"),
        language: text("language"),
        collector_name: text("collector_name"),
        collector_email: text("collector_email"),
        collector_phone: text("collector_phone"),
        vat_uplift: form.contains_key("vat_uplift"),
        vat_rate: text("vat_rate"),
        email_receipt_working_days: text("email_receipt_working_days"),
        letter_receipt_working_days: text("letter_receipt_working_days"),
        pay_within_days: text("pay_within_days"),
        plan_grace_days: text("plan_grace_days"),
        min_amount: text("min_amount"),
        call_due_working_days: text("call_due_working_days"),
    }
}

/// The form applied to the settings file and checked as a whole: the new
/// text, or the mistakes at their fields.
fn company_settings(state: &S, form: &CompanyForm) -> Result<String, Vec<FieldError>> {
    let text = company_form::apply(&config_text(state), form)?;
    checked(state, text).map(|(text, _)| text).map_err(|e| {
        vec![FieldError {
            field: "",
            nl: e.nl,
            en: e.en,
        }]
    })
}

/// The page: the settings in force, or after a refused save the form as it
/// was sent with every mistake at its field.
pub(super) fn company_page(
    state: &S,
    visit: &Visit,
    _: &Params,
    _: &Params,
) -> Result<Response, Fail> {
    require(&visit.user, Action::EditSettings, None)?;
    let lang = visit.user.language;
    let (form, errors) = match &visit.form_error {
        Some(sent) => {
            let form = company_form_of(&sent.values);
            let errors = company_settings(state, &form).err().unwrap_or_default();
            (form, errors)
        }
        None => (company_form::form_of(&state.live().config), Vec::new()),
    };
    let at: HashMap<&str, &str> = errors
        .iter()
        .filter(|e| !e.field.is_empty())
        .map(|e| (e.field, e.text(lang)))
        .collect();
    let whole: Vec<&str> = errors
        .iter()
        .filter(|e| e.field.is_empty())
        .map(|e| e.text(lang))
        .collect();
    // (section title, its help, [(field, label, help, kind, input mode)])
    type Spec = (
        &'static str,
        &'static str,
        &'static str,
        &'static str,
        &'static str,
    );
    let sections: &[(&str, &str, &[Spec])] = &[
        (
            "Who sends the messages",
            "",
            &[
                ("name", "Company name", "", "text", ""),
                (
                    "address",
                    "Address",
                    "One line per line, as on a letter.",
                    "textarea",
                    "",
                ),
                (
                    "iban",
                    "IBAN",
                    "Customers pay to this account; the messages and their payment QR code show it.",
                    "text",
                    "",
                ),
                ("bic", "BIC", "", "text", ""),
                ("kvk", "Chamber of Commerce number", "", "text", "numeric"),
                ("phone", "Phone", "", "text", "tel"),
                ("email", "E-mail", "", "text", "email"),
                ("website", "Website", "", "text", "url"),
                (
                    "language",
                    "Language of the claim files for the agency",
                    "",
                    "language",
                    "",
                ),
            ],
        ),
        (
            "The credit team's collector",
            "Signs the messages of steps sent by the collector, and those of customers without an account manager.",
            &[
                ("collector_name", "Name", "", "text", ""),
                ("collector_email", "E-mail", "", "text", "email"),
                ("collector_phone", "Phone", "", "text", "tel"),
            ],
        ),
        (
            "Legal",
            "",
            &[
                (
                    "vat_uplift",
                    "Raise collection costs by VAT (only when you cannot deduct VAT on collection services; the 14-day letter then says so)",
                    "",
                    "check",
                    "",
                ),
                ("vat_rate", "VAT rate (%)", "", "text", "decimal"),
                (
                    "email_receipt_working_days",
                    "A 14-day letter by e-mail counts as received after (working days)",
                    "",
                    "text",
                    "numeric",
                ),
                (
                    "letter_receipt_working_days",
                    "A 14-day letter by post counts as received after (working days)",
                    "",
                    "text",
                    "numeric",
                ),
            ],
        ),
        (
            "Dunning",
            "",
            &[
                (
                    "pay_within_days",
                    "Messages ask to pay within (days)",
                    "",
                    "text",
                    "numeric",
                ),
                (
                    "plan_grace_days",
                    "A payment plan instalment may be late (days)",
                    "",
                    "text",
                    "numeric",
                ),
                (
                    "min_amount",
                    "No message below this overdue amount (€)",
                    "",
                    "text",
                    "decimal",
                ),
                (
                    "call_due_working_days",
                    "Calls are due after (working days; 0 = the same day)",
                    "",
                    "text",
                    "numeric",
                ),
            ],
        ),
    ];
    let mut form = form;
    if lang == Language::Nl && visit.form_error.is_none() {
        // Amounts and rates as a Dutch reader writes them (either is read).
        form.min_amount = form.min_amount.replace('.', ",");
        form.vat_rate = form.vat_rate.replace('.', ",");
    }
    let sections = sections
        .iter()
        .map(|&(title, help, fields)| CompanySection {
            title,
            help,
            fields: fields
                .iter()
                .map(|&(name, label, help, kind, mode)| CompanyField {
                    name,
                    label,
                    help,
                    kind,
                    mode,
                    value: form.field(name),
                    error: at.get(name).copied(),
                })
                .collect(),
        })
        .collect();
    render(
        state,
        visit,
        "company.html",
        "Company and legal",
        CompanyPage {
            sections,
            whole,
            may_save: state.config_path.is_some(),
        },
    )
}

/// The company page's view-model (`company.html`): the settings in
/// sections of fields, each with its value and its mistake, and the
/// mistakes about the form as a whole.
#[derive(Serialize)]
struct CompanyPage<'a> {
    sections: Vec<CompanySection<'a>>,
    whole: Vec<&'a str>,
    may_save: bool,
}

/// A titled group of fields; title, labels and help are vocabulary keys
/// (translated by the template).
#[derive(Serialize)]
struct CompanySection<'a> {
    title: &'static str,
    help: &'static str,
    fields: Vec<CompanyField<'a>>,
}

#[derive(Serialize)]
struct CompanyField<'a> {
    name: &'static str,
    label: &'static str,
    help: &'static str,
    /// `text`, `textarea`, `check` or `language`.
    kind: &'static str,
    /// The input mode a phone keyboard opens with (`numeric`, `email`).
    mode: &'static str,
    value: Option<company_form::FieldValue<'a>>,
    error: Option<&'a str>,
}

pub(super) fn company_save(
    state: &S,
    visit: &Visit,
    _: &Params,
    form: Params,
) -> Result<String, Fail> {
    let form = &form;
    require(&visit.user, Action::EditSettings, None)?;
    let edited = company_form_of(form);
    let text = company_settings(state, &edited).map_err(|errors| {
        let lang = visit.user.language;
        Fail::Invalid(
            errors
                .iter()
                .map(|e| e.text(lang).to_string())
                .collect::<Vec<_>>()
                .join("; "),
        )
    })?;
    save_settings(state, visit, &text)?;
    Ok(with_done("/settings/company", "settings", &[]))
}

/// Why a preview could not be shown, in the reader's language: a customer
/// number that finds nobody, or a refusal, said for people; a template or
/// settings mistake in the words of the checker (the experts' editor shows
/// the file as it is, and so its mistakes).
fn preview_error(fail: &Fail, lang: Language) -> String {
    match fail {
        Fail::NotFound(_) if lang == Language::Nl => {
            "Geen klant gevonden met dit nummer; zoek het op bij Klanten.".into()
        }
        Fail::Refused(_) | Fail::Field(_) => error_words(fail, lang).0,
        // What the settings or template check found is technical (a key,
        // a line and column, a block name) and comes from the parser in
        // English; a Dutch reader gets what it means first.
        Fail::Invalid(detail) if lang == Language::Nl => format!(
            "Dit klopt nog niet, er is niets veranderd. Wat de controle vond (regel en kolom tellen in de tekst): {detail}"
        ),
        other => other.message(),
    }
}
