//! Message templates (minijinja): the words of every step, per strategy and
//! language, shipped with Tegoed and overridable from a folder without a
//! rebuild.
//!
//! A message template `<name>.<nl|en>.txt` defines the blocks `subject`,
//! `opening` (greeting and what this is about) and `closing` (what happens
//! next, sign-off); the invoice table, totals, how to pay and the signature
//! are laid out around them (see `document`). A call template defines
//! `title` and `talking_points`. The hand-off template `<name>.<nl|en>.html`
//! is the readable claim summary for the collection agency.
//!
//! Filters: `money` (minor units → `€ 1.234,56` in the message's language),
//! `amount` (the same from a decimal text such as `1234.56`), `date`
//! (`25 november 2026`), `short_date`.

use std::path::Path;

use minijinja::{AutoEscape, Environment, Error, ErrorKind, State, UndefinedBehavior};

/// Instructions one rendering may execute. A shipped message takes a few
/// hundred and a claim summary about forty per invoice or history line;
/// this leaves room for claims of tens of thousands of lines while stopping
/// a loop in an edited template (ten thousand times ten thousand) within a
/// fraction of a second.
const FUEL: u64 = 2_000_000;

/// The most text one rendering may produce: far above any real message or
/// claim summary, far below what would hurt the server.
const MAX_OUTPUT: usize = 4 << 20;

/// A writer that refuses to grow beyond [`MAX_OUTPUT`], so a template that
/// writes too much stops with an error instead of filling memory.
struct Capped {
    text: Vec<u8>,
}

impl std::io::Write for Capped {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.text.len() + buf.len() > MAX_OUTPUT {
            return Err(std::io::Error::other(format!(
                "the text is longer than {} MB; a template must not repeat without end",
                MAX_OUTPUT >> 20
            )));
        }
        self.text.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
use serde::Serialize;
use tegoed_core::{Date, Language};

use super::document::{long_date, money, short_date};
use crate::{AppError, Result};

macro_rules! shipped {
    ($($name:literal),* $(,)?) => {
        &[$(($name, include_str!(concat!("../../templates/", $name)))),*]
    };
}

/// The templates that ship with Tegoed: (name, source).
pub const SHIPPED: &[(&str, &str)] = shipped!(
    "pamper/heads_up.nl.txt",
    "pamper/heads_up.en.txt",
    "pamper/reminder.nl.txt",
    "pamper/reminder.en.txt",
    "pamper/call.nl.txt",
    "pamper/call.en.txt",
    "pamper/second_reminder.nl.txt",
    "pamper/second_reminder.en.txt",
    "pamper/collector_call.nl.txt",
    "pamper/collector_call.en.txt",
    "pamper/final_notice.nl.txt",
    "pamper/final_notice.en.txt",
    "light/reminder.nl.txt",
    "light/reminder.en.txt",
    "light/second_reminder.nl.txt",
    "light/second_reminder.en.txt",
    "light/call.nl.txt",
    "light/call.en.txt",
    "light/final_notice.nl.txt",
    "light/final_notice.en.txt",
    "welcome/heads_up.nl.txt",
    "welcome/heads_up.en.txt",
    "welcome/reminder.nl.txt",
    "welcome/reminder.en.txt",
    "welcome/call.nl.txt",
    "welcome/call.en.txt",
    "welcome/second_reminder.nl.txt",
    "welcome/second_reminder.en.txt",
    "welcome/final_notice.nl.txt",
    "welcome/final_notice.en.txt",
    "critical/heads_up.nl.txt",
    "critical/heads_up.en.txt",
    "critical/reminder.nl.txt",
    "critical/reminder.en.txt",
    "critical/call.nl.txt",
    "critical/call.en.txt",
    "critical/demand.nl.txt",
    "critical/demand.en.txt",
    "critical/final_notice.nl.txt",
    "critical/final_notice.en.txt",
    "consumer/reminder.nl.txt",
    "consumer/reminder.en.txt",
    "consumer/second_reminder.nl.txt",
    "consumer/second_reminder.en.txt",
    "consumer/fourteen_day_letter.nl.txt",
    "consumer/fourteen_day_letter.en.txt",
    "consumer/call.nl.txt",
    "consumer/call.en.txt",
    "consumer/final_notice.nl.txt",
    "consumer/final_notice.en.txt",
    "standard/reminder.nl.txt",
    "standard/reminder.en.txt",
    "standard/second_reminder.nl.txt",
    "standard/second_reminder.en.txt",
    "standard/call.nl.txt",
    "standard/call.en.txt",
    "standard/demand.nl.txt",
    "standard/demand.en.txt",
    "standard/final_notice.nl.txt",
    "standard/final_notice.en.txt",
    "handoff.nl.html",
    "handoff.en.html",
    "appreciation/thank_you.nl.txt",
    "appreciation/thank_you.en.txt",
);

/// The words of a message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rendered {
    pub subject: String,
    pub opening: String,
    pub closing: String,
}

/// The words of a call task.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CallText {
    pub title: String,
    pub talking_points: String,
}

/// All templates, ready to render.
pub struct Templates {
    env: Environment<'static>,
}

fn language_of(state: &State<'_, '_>) -> Language {
    state
        .lookup("lang")
        .and_then(|v| v.as_str().and_then(Language::parse))
        .unwrap_or(Language::Nl)
}

fn parse_date(text: &str) -> Result<Date, Error> {
    Date::parse_iso(text).map_err(|e| Error::new(ErrorKind::InvalidOperation, e.to_string()))
}

impl Templates {
    /// The shipped templates, with the files under `overrides` (if given)
    /// in place of shipped ones of the same name, or added.
    pub fn load(overrides: Option<&Path>) -> Result<Templates> {
        Templates::load_with(overrides, None)
    }

    /// As [`Templates::load`], with `edited` (name, source) in place of the
    /// template of that name: a preview of an edit before it is saved.
    pub fn load_with(overrides: Option<&Path>, edited: Option<(&str, &str)>) -> Result<Templates> {
        let mut env = Environment::new();
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        env.set_fuel(Some(FUEL));
        env.set_trim_blocks(true);
        env.set_auto_escape_callback(|name| {
            if name.ends_with(".html") {
                AutoEscape::Html
            } else {
                AutoEscape::None
            }
        });
        env.add_filter("money", |state: &State<'_, '_>, minor: i64| -> String {
            let currency = state
                .lookup("currency")
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_else(|| "EUR".into());
            money(minor, &currency, language_of(state))
        });
        env.add_filter(
            "date",
            |state: &State<'_, '_>, text: &str| -> Result<String, Error> {
                Ok(long_date(parse_date(text)?, language_of(state)))
            },
        );
        env.add_filter(
            "amount",
            |state: &State<'_, '_>, text: &str| -> Result<String, Error> {
                let minor = tegoed_core::money::parse_amount(text, 2)
                    .map_err(|e| Error::new(ErrorKind::InvalidOperation, e.to_string()))?;
                let currency = state
                    .lookup("currency")
                    .and_then(|v| v.as_str().map(str::to_string))
                    .unwrap_or_else(|| "EUR".into());
                Ok(money(minor, &currency, language_of(state)))
            },
        );
        env.add_filter(
            "short_date",
            |state: &State<'_, '_>, text: &str| -> Result<String, Error> {
                Ok(short_date(parse_date(text)?, language_of(state)))
            },
        );
        let mut sources: Vec<(String, String)> = SHIPPED
            .iter()
            .map(|(name, source)| (name.to_string(), source.to_string()))
            .collect();
        if let Some(dir) = overrides
            && dir.exists()
        {
            let mut files = Vec::new();
            collect_files(dir, dir, &mut files)?;
            for (name, source) in files {
                match sources.iter_mut().find(|(n, _)| *n == name) {
                    Some(slot) => slot.1 = source,
                    None => sources.push((name, source)),
                }
            }
        }
        if let Some((name, source)) = edited {
            match sources.iter_mut().find(|(n, _)| n == name) {
                Some(slot) => slot.1 = source.to_string(),
                None => sources.push((name.to_string(), source.to_string())),
            }
        }
        for (name, source) in sources {
            let dir = if edited.is_some_and(|(n, _)| n == name) {
                None
            } else {
                overrides
            };
            env.add_template_owned(name.clone(), source)
                .map_err(|e| template_error(&name, dir, &e))?;
        }
        Ok(Templates { env })
    }

    fn resolve(&self, template: &str, language: Language, extension: &str) -> Result<String> {
        for lang in [language, Language::Nl, Language::En] {
            let name = format!("{template}.{}.{extension}", lang.as_str());
            if self.env.get_template(&name).is_ok() {
                return Ok(name);
            }
        }
        Err(AppError::Config {
            file: format!("{template}.{}.{extension}", language.as_str()),
            message: "no such template (shipped or in the templates folder)".into(),
        })
    }

    /// Checks that `template` exists as a message (or call) template.
    pub fn has(&self, template: &str, extension: &str) -> bool {
        self.resolve(template, Language::Nl, extension).is_ok()
    }

    fn blocks<S: Serialize>(&self, name: &str, ctx: &S, blocks: &[&str]) -> Result<Vec<String>> {
        let template = self
            .env
            .get_template(name)
            .map_err(|e| template_error(name, None, &e))?;
        // Evaluated once with its output kept only to bound its size; then
        // each block.
        let mut captured = template
            .render_captured_to(ctx, Capped { text: Vec::new() })
            .map_err(|e| template_error(name, None, &e))?;
        captured.with_state_mut(|state| {
            blocks
                .iter()
                .map(|block| {
                    state
                        .render_block(block)
                        .map(|text| tidy(&text))
                        .map_err(|e| template_error(name, None, &e))
                })
                .collect()
        })
    }

    /// The subject, opening and closing of a message.
    pub fn message<S: Serialize>(
        &self,
        template: &str,
        language: Language,
        ctx: &S,
    ) -> Result<Rendered> {
        let name = self.resolve(template, language, "txt")?;
        let mut parts = self
            .blocks(&name, ctx, &["subject", "opening", "closing"])?
            .into_iter();
        Ok(Rendered {
            subject: parts.next().unwrap_or_default().replace('\n', " "),
            opening: parts.next().unwrap_or_default(),
            closing: parts.next().unwrap_or_default(),
        })
    }

    /// The title and talking points of a call.
    pub fn call<S: Serialize>(
        &self,
        template: &str,
        language: Language,
        ctx: &S,
    ) -> Result<CallText> {
        let name = self.resolve(template, language, "txt")?;
        let mut parts = self
            .blocks(&name, ctx, &["title", "talking_points"])?
            .into_iter();
        Ok(CallText {
            title: parts.next().unwrap_or_default().replace('\n', " "),
            talking_points: parts.next().unwrap_or_default(),
        })
    }

    /// A whole HTML document (the claim summary).
    pub fn html<S: Serialize>(
        &self,
        template: &str,
        language: Language,
        ctx: &S,
    ) -> Result<String> {
        let name = self.resolve(template, language, "html")?;
        let template = self
            .env
            .get_template(&name)
            .map_err(|e| template_error(&name, None, &e))?;
        let mut out = Capped { text: Vec::new() };
        template
            .render_captured_to(ctx, &mut out)
            .map_err(|e| template_error(&name, None, &e))?;
        String::from_utf8(out.text).map_err(|e| AppError::Invalid(format!("template {name}: {e}")))
    }
}

/// Trims each line's end and the whole; at most one blank line in a row.
fn tidy(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut blank = 0;
    for line in text.trim().lines() {
        let line = line.trim_end();
        if line.is_empty() {
            blank += 1;
            if blank > 1 {
                continue;
            }
        } else {
            blank = 0;
        }
        out.push_str(line);
        out.push('\n');
    }
    out.trim_end().to_string()
}

fn template_error(name: &str, dir: Option<&Path>, error: &Error) -> AppError {
    let file = match dir {
        Some(dir) if dir.join(name).exists() => dir.join(name).display().to_string(),
        _ => format!("template {name}"),
    };
    let mut message = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        message.push_str(&format!(": {cause}"));
        source = cause.source();
    }
    AppError::Config { file, message }
}

fn collect_files(root: &Path, dir: &Path, out: &mut Vec<(String, String)>) -> Result<()> {
    let entries = std::fs::read_dir(dir).map_err(|e| AppError::Config {
        file: dir.display().to_string(),
        message: format!("cannot read the templates folder: {e}"),
    })?;
    let mut paths: Vec<_> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    for path in paths {
        if path.is_dir() {
            collect_files(root, &path, out)?;
        } else if matches!(
            path.extension().and_then(|e| e.to_str()),
            Some("txt" | "html")
        ) {
            let source = std::fs::read_to_string(&path).map_err(|e| AppError::Config {
                file: path.display().to_string(),
                message: format!("cannot read the template: {e}"),
            })?;
            let name = path
                .strip_prefix(root)
                .expect("under the root")
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect::<Vec<_>>()
                .join("/");
            out.push((name, source));
        }
    }
    Ok(())
}

/// One template as the settings show it.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct TemplateInfo {
    /// `standard/reminder.nl.txt`.
    pub name: String,
    /// `standard/reminder`: what a strategy step names.
    pub base: String,
    pub language: String,
    /// `message` (subject, opening, closing), `call` (title, talking
    /// points) or `claim` (the hand-off summary, HTML).
    pub kind: &'static str,
    /// Replaced by a file in the templates folder.
    pub custom: bool,
    /// Shipped with Tegoed (so there is a text to go back to).
    pub shipped: bool,
}

/// Splits `standard/reminder.nl.txt` into its base, language and extension.
fn split_name(name: &str) -> Option<(&str, &str, &str)> {
    let (rest, extension) = name.rsplit_once('.')?;
    let (base, language) = rest.rsplit_once('.')?;
    Language::parse(language)?;
    Some((base, language, extension))
}

/// What kind of template `name` is: `claim` (HTML), `call` when the
/// shipped template of its base defines a title, else `message`.
fn kind_of(name: &str) -> &'static str {
    let Some((base, _, extension)) = split_name(name) else {
        return "message";
    };
    if extension == "html" {
        return "claim";
    }
    let shipped = SHIPPED
        .iter()
        .find(|(n, _)| split_name(n).is_some_and(|(b, _, e)| b == base && e == extension));
    match shipped {
        Some((_, source)) if block_names(source).contains(&"title") => "call",
        _ => "message",
    }
}

/// The blocks a template of `kind` must define.
fn required_blocks(kind: &str) -> &'static [&'static str] {
    match kind {
        "claim" => &[],
        "call" => &["title", "talking_points"],
        _ => &["subject", "opening", "closing"],
    }
}

/// The names in `{% block NAME %}` tags.
fn block_names(source: &str) -> Vec<&str> {
    let mut names = Vec::new();
    let mut rest = source;
    while let Some(at) = rest.find("{%") {
        rest = &rest[at + 2..];
        let tag = rest.trim_start_matches(['-', '+']).trim_start();
        if let Some(after) = tag.strip_prefix("block")
            && after.starts_with(char::is_whitespace)
        {
            let name = after.trim_start();
            let end = name
                .find(|c: char| !(c.is_alphanumeric() || c == '_'))
                .unwrap_or(name.len());
            names.push(&name[..end]);
        }
    }
    names
}

/// Every template: the shipped ones and those in `overrides`, by name.
pub fn catalogue(overrides: Option<&Path>) -> Result<Vec<TemplateInfo>> {
    let mut custom = Vec::new();
    if let Some(dir) = overrides
        && dir.exists()
    {
        collect_files(dir, dir, &mut custom)?;
    }
    let mut names: Vec<String> = SHIPPED.iter().map(|(n, _)| n.to_string()).collect();
    for (name, _) in &custom {
        if !names.contains(name) {
            names.push(name.clone());
        }
    }
    names.sort();
    Ok(names
        .into_iter()
        .filter_map(|name| {
            let (base, language, _) = split_name(&name)?;
            Some(TemplateInfo {
                base: base.to_string(),
                language: language.to_string(),
                kind: kind_of(&name),
                custom: custom.iter().any(|(n, _)| *n == name),
                shipped: SHIPPED.iter().any(|(n, _)| *n == name),
                name: name.clone(),
            })
        })
        .collect())
}

/// Template `name` from the [`catalogue`], or not found.
pub fn find(overrides: Option<&Path>, name: &str) -> Result<TemplateInfo> {
    catalogue(overrides)?
        .into_iter()
        .find(|t| t.name == name)
        .ok_or_else(|| AppError::NotFound(format!("no template '{name}'")))
}

/// The text of a template: the folder's version if there is one, else the
/// shipped one.
pub fn source_of(overrides: Option<&Path>, info: &TemplateInfo) -> Result<String> {
    if info.custom
        && let Some(dir) = overrides
    {
        let path = dir.join(&info.name);
        return std::fs::read_to_string(&path).map_err(|e| AppError::Config {
            file: path.display().to_string(),
            message: format!("cannot read the template: {e}"),
        });
    }
    SHIPPED
        .iter()
        .find(|(n, _)| *n == info.name)
        .map(|(_, s)| s.to_string())
        .ok_or_else(|| AppError::NotFound(format!("no template '{}'", info.name)))
}

/// Checks an edited template: it must parse (with every other template in
/// place) and define the blocks its kind needs.
pub fn check_source(overrides: Option<&Path>, name: &str, source: &str) -> Result<Templates> {
    let templates = Templates::load_with(overrides, Some((name, source)))?;
    let found = block_names(source);
    let missing: Vec<&str> = required_blocks(kind_of(name))
        .iter()
        .copied()
        .filter(|b| !found.contains(b))
        .collect();
    if !missing.is_empty() {
        return Err(AppError::Config {
            file: format!("template {name}"),
            message: format!(
                "needs the block(s) {} ({{% block {} %}}…{{% endblock %}})",
                missing.join(", "),
                missing[0]
            ),
        });
    }
    Ok(templates)
}

/// Saves an edited template into the templates folder (replacing the
/// shipped one of the same name) after [`check_source`]; written to a
/// temporary file and renamed, so a crash leaves the old or the new text.
/// Returns the templates with it.
pub fn save_override(dir: &Path, name: &str, source: &str) -> Result<Templates> {
    find(Some(dir), name)?;
    let templates = check_source(Some(dir), name, source)?;
    let path = dir.join(name);
    let parent = path.parent().unwrap_or(dir);
    std::fs::create_dir_all(parent)
        .map_err(|e| AppError::Invalid(format!("cannot create {}: {e}", parent.display())))?;
    let tmp = path.with_extension("saving");
    std::fs::write(&tmp, source)
        .and_then(|()| std::fs::rename(&tmp, &path))
        .map_err(|e| AppError::Invalid(format!("cannot write {}: {e}", path.display())))?;
    Ok(templates)
}

/// Removes the folder's version of `name`, so the shipped text applies
/// again. Returns the templates without it.
pub fn remove_override(dir: &Path, name: &str) -> Result<Templates> {
    let info = find(Some(dir), name)?;
    if !info.custom {
        return Err(AppError::Invalid(format!(
            "template '{name}' is the shipped text already"
        )));
    }
    if !info.shipped {
        return Err(AppError::Invalid(format!(
            "template '{name}' has no shipped text to go back to; remove the file {} instead",
            dir.join(name).display()
        )));
    }
    let path = dir.join(name);
    std::fs::remove_file(&path)
        .map_err(|e| AppError::Invalid(format!("cannot remove {}: {e}", path.display())))?;
    Templates::load(Some(dir))
}

/// Writes the shipped templates to `dir` (to edit and use as overrides);
/// existing files are left alone. Returns the files written.
pub fn export(dir: &Path) -> Result<Vec<String>> {
    let mut written = Vec::new();
    for (name, source) in SHIPPED {
        let path = dir.join(name);
        if path.exists() {
            continue;
        }
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| {
                AppError::Invalid(format!("cannot create {}: {e}", parent.display()))
            })?;
        }
        std::fs::write(&path, source)
            .map_err(|e| AppError::Invalid(format!("cannot write {}: {e}", path.display())))?;
        written.push(path.display().to_string());
    }
    Ok(written)
}

/// The merge fields a message template can use, as written in a template,
/// with what each is in Dutch and English (the template page lists them
/// and inserts one where the cursor is). Every one is in the context a
/// message is written with; a test renders them all.
pub const MERGE_FIELDS: &[(&str, &str, &str)] = &[
    (
        "{{ customer.name }}",
        "naam van de klant",
        "the customer's name",
    ),
    ("{{ customer.number }}", "klantnummer", "customer number"),
    (
        "{{ sender.name }}",
        "naam van de afzender",
        "the sender's name",
    ),
    (
        "{{ sender.first_name }}",
        "voornaam van de afzender",
        "the sender's first name",
    ),
    (
        "{{ sender.phone }}",
        "telefoon van de afzender",
        "the sender's phone",
    ),
    (
        "{{ sender.email }}",
        "e-mail van de afzender",
        "the sender's e-mail",
    ),
    (
        "{{ company.name }}",
        "naam van het bedrijf",
        "the company's name",
    ),
    (
        "{{ company.phone }}",
        "telefoon van het bedrijf",
        "the company's phone",
    ),
    (
        "{{ count }}",
        "aantal facturen in het bericht",
        "invoices in the message",
    ),
    (
        "{{ invoices[0].number }}",
        "nummer van de oudste factuur",
        "the oldest invoice's number",
    ),
    (
        "{{ invoices[0].due_date | date }}",
        "vervaldatum van de oudste factuur",
        "the oldest invoice's due date",
    ),
    (
        "{{ oldest_days }}",
        "dagen over de vervaldatum (oudste)",
        "days past due (oldest)",
    ),
    (
        "{{ open_total | money }}",
        "openstaand totaal",
        "open in total",
    ),
    (
        "{{ credit | money }}",
        "al ontvangen, nog niet verwerkt",
        "received, not yet applied",
    ),
    ("{{ interest | money }}", "rente", "interest"),
    ("{{ costs | money }}", "incassokosten", "collection costs"),
    ("{{ total | money }}", "te betalen", "to pay"),
    ("{{ pay_by | date }}", "uiterlijk betalen op", "pay by"),
    ("{{ reference }}", "betalingskenmerk", "payment reference"),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_templates_avoid_the_stock_phrases() {
        for (name, source) in SHIPPED {
            let lower = source.to_lowercase();
            for phrase in [
                "uit onze administratie is gebleken",
                "indien deze brief uw betaling heeft gekruist",
                "indien",
            ] {
                assert!(!lower.contains(phrase), "{name} uses '{phrase}'");
            }
        }
    }

    #[test]
    fn every_template_file_ships_and_parses() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("templates");
        let mut on_disk = Vec::new();
        collect_files(&dir, &dir, &mut on_disk).unwrap();
        let mut names: Vec<&str> = on_disk.iter().map(|(n, _)| n.as_str()).collect();
        names.sort();
        let mut shipped: Vec<&str> = SHIPPED.iter().map(|(n, _)| *n).collect();
        shipped.sort();
        assert_eq!(names, shipped, "templates/ and SHIPPED list the same files");
        Templates::load(None).unwrap();
        // Both languages of every message template.
        for (name, _) in SHIPPED {
            let other = if name.contains(".nl.") {
                name.replace(".nl.", ".en.")
            } else {
                name.replace(".en.", ".nl.")
            };
            assert!(
                SHIPPED.iter().any(|(n, _)| *n == other),
                "{name} has no {other}"
            );
        }
    }

    #[test]
    fn an_override_replaces_a_shipped_template() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("standard")).unwrap();
        std::fs::write(
            dir.path().join("standard/reminder.nl.txt"),
            "{% block subject %}Eigen tekst {{ principal | money }}{% endblock %}{% block opening %}Hoi{% endblock %}{% block closing %}Doei{% endblock %}",
        )
        .unwrap();
        let templates = Templates::load(Some(dir.path())).unwrap();
        let ctx = serde_json::json!({ "principal": 123456, "lang": "nl", "currency": "EUR" });
        let rendered = templates
            .message("standard/reminder", Language::Nl, &ctx)
            .unwrap();
        assert_eq!(rendered.subject, "Eigen tekst €\u{a0}1.234,56");
        assert_eq!(rendered.opening, "Hoi");
        std::fs::write(
            dir.path().join("standard/reminder.en.txt"),
            "{% block subject %}{{ oops(}}{% endblock %}",
        )
        .unwrap();
        let error = Templates::load(Some(dir.path())).err().unwrap().to_string();
        assert!(error.contains("reminder.en.txt"), "{error}");
    }

    #[test]
    fn the_catalogue_knows_every_template_and_its_kind() {
        let dir = tempfile::tempdir().unwrap();
        let all = catalogue(Some(dir.path())).unwrap();
        assert_eq!(all.len(), SHIPPED.len());
        let find = |name: &str| all.iter().find(|t| t.name == name).unwrap().clone();
        let reminder = find("standard/reminder.nl.txt");
        assert_eq!(
            (
                reminder.base.as_str(),
                reminder.language.as_str(),
                reminder.kind,
                reminder.custom,
                reminder.shipped
            ),
            ("standard/reminder", "nl", "message", false, true)
        );
        assert_eq!(find("standard/call.en.txt").kind, "call");
        assert_eq!(find("handoff.nl.html").kind, "claim");
        assert_eq!(
            block_names("{% block subject %}x{% endblock %}{%- block  opening -%}{% endblock %}"),
            vec!["subject", "opening"]
        );
    }

    #[test]
    fn an_edit_is_checked_saved_and_undone() {
        let dir = tempfile::tempdir().unwrap();
        let name = "standard/reminder.nl.txt";
        let edited = "{% block subject %}Even checken: {{ principal | money }}{% endblock %}\n\
                      {% block opening %}Beste {{ customer.name }},{% endblock %}\n\
                      {% block closing %}Groet, {{ sender.name }}{% endblock %}";
        // Broken syntax, a missing block and an unknown name are refused.
        let broken = check_source(
            Some(dir.path()),
            name,
            "{% block subject %}{{ oops(}}{% endblock %}",
        )
        .err()
        .unwrap()
        .to_string();
        assert!(broken.contains(name), "{broken}");
        let missing = check_source(
            Some(dir.path()),
            name,
            "{% block subject %}Hoi{% endblock %}",
        )
        .err()
        .unwrap()
        .to_string();
        assert!(missing.contains("opening, closing"), "{missing}");
        assert!(save_override(dir.path(), "../../etc/passwd.nl.txt", edited).is_err());
        assert!(
            !dir.path().join(name).exists(),
            "nothing written on a refusal"
        );

        let templates = save_override(dir.path(), name, edited).unwrap();
        let ctx = serde_json::json!({
            "principal": 12345, "lang": "nl", "currency": "EUR",
            "customer": {"name": "Bakkerij De Vries"}, "sender": {"name": "Eva"},
        });
        let rendered = templates
            .message("standard/reminder", Language::Nl, &ctx)
            .unwrap();
        assert_eq!(rendered.subject, "Even checken: €\u{a0}123,45");
        let saved = find(Some(dir.path()), name).unwrap();
        assert!(saved.custom);
        assert_eq!(source_of(Some(dir.path()), &saved).unwrap(), edited);

        remove_override(dir.path(), name).unwrap();
        assert!(!dir.path().join(name).exists());
        let back = find(Some(dir.path()), name).unwrap();
        assert!(!back.custom);
        let shipped = SHIPPED.iter().find(|(n, _)| *n == name).unwrap().1;
        assert_eq!(source_of(Some(dir.path()), &back).unwrap(), shipped);
        assert!(
            remove_override(dir.path(), name).is_err(),
            "already the shipped text"
        );
    }

    #[test]
    fn a_template_loop_is_stopped_not_rendered_to_100_mb() {
        // Regression: an edited template with a loop rendered a 100 MB
        // preview in 9.5 s.
        let dir = tempfile::tempdir().unwrap();
        let ctx = serde_json::json!({"lang": "nl", "currency": "EUR"});
        let endless = "{% block subject %}Hoi{% endblock %}\n\
             {% block opening %}{% for i in range(10000) %}{% for j in range(10000) %}\
             xxxxxxxxxx{% endfor %}{% endfor %}{% endblock %}\n\
             {% block closing %}Groet{% endblock %}";
        let wide = "{% block subject %}Hoi{% endblock %}\n\
             {% block opening %}{{ 'x' * 50000000 }}{% endblock %}\n\
             {% block closing %}Groet{% endblock %}";
        for source in [endless, wide] {
            let started = std::time::Instant::now();
            let templates =
                Templates::load_with(Some(dir.path()), Some(("standard/reminder.nl.txt", source)))
                    .unwrap();
            let error = templates
                .message("standard/reminder", Language::Nl, &ctx)
                .expect_err("refused")
                .to_string();
            assert!(
                error.contains("fuel") || error.contains("longer than"),
                "{error}"
            );
            assert!(
                started.elapsed() < std::time::Duration::from_secs(3),
                "stopped fast: {:?}",
                started.elapsed()
            );
        }
    }
}
