//! Every shipped template must read well, on real customers: each strategy ×
//! step × language is rendered for demo customers that cover one overdue
//! invoice, several, unapplied credit, a consumer and a business, and
//! invoices not yet due (for the heads-ups) — and again on made-up facts
//! that switch on every optional sentence (earlier messages, a call made, a
//! broken promise, interest, costs, credit, invoices also open, each next
//! step). Each text must be fully rendered, start its sentences with a
//! capital, get singular and plural right, stay in its own language, use
//! only the message's own amounts, and score at least 60 on readability
//! (Flesch–Douma for Dutch, Flesch reading ease for English). The hand-off
//! claim summaries render on a real claim and on one with every part.

use std::collections::BTreeMap;

use serde_json::{Value, json};
use tegoed_app::config::Config;
use tegoed_app::demo::{self, DemoConfig};
use tegoed_app::dunning::templates::{SHIPPED, Templates};
use tegoed_app::dunning::{self, Planned};
use tegoed_core::customer::CustomerKind;
use tegoed_core::{Currency, Date, Language};
use tegoed_store::Store;

mod common;

const AS_OF: &str = "2026-11-25";
const MIN_SCORE: f64 = 60.0;

fn as_of() -> Date {
    Date::parse_iso(AS_OF).unwrap()
}

// --- readability -------------------------------------------------------------

/// A period that ends an abbreviation, not a sentence: `B.V.`, `o.a.`,
/// `e.g.`, an initial, `bijv.`.
fn is_abbreviation(before: &str) -> bool {
    let token = before
        .rsplit(char::is_whitespace)
        .next()
        .unwrap_or("")
        .trim_start_matches(|c: char| !c.is_alphanumeric());
    if token.contains('.') {
        return token.split('.').all(|part| part.chars().count() <= 2);
    }
    let lower = token.to_lowercase();
    (token.chars().count() == 1 && token.chars().all(char::is_uppercase))
        || ["bijv", "nr", "ca", "incl", "excl", "etc", "vs", "art"].contains(&lower.as_str())
}

/// The sentences of a text: a line (paragraph, list item) is split after
/// `.`, `!` or `?` followed by a space; list bullets are dropped.
fn sentences(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for line in text.lines() {
        let line = line.trim().trim_start_matches(['-', '*', '•']).trim_start();
        if line.is_empty() {
            continue;
        }
        let chars: Vec<(usize, char)> = line.char_indices().collect();
        let mut start = 0;
        for (k, &(at, c)) in chars.iter().enumerate() {
            let ends = matches!(c, '.' | '!' | '?')
                && chars
                    .get(k + 1)
                    .is_none_or(|(_, next)| next.is_whitespace());
            if ends && !(c == '.' && is_abbreviation(&line[start..at])) {
                let end = at + c.len_utf8();
                let sentence = line[start..end].trim();
                if !sentence.is_empty() {
                    out.push(sentence.to_string());
                }
                start = end;
            }
        }
        let rest = line[start..].trim();
        if !rest.is_empty() {
            out.push(rest.to_string());
        }
    }
    out
}

/// The words of a sentence: tokens with letters and no digits (amounts,
/// dates, numbers and invoice numbers are left out).
fn words(sentence: &str) -> Vec<String> {
    sentence
        .split_whitespace()
        .map(|t| t.trim_matches(|c: char| !c.is_alphanumeric()).to_string())
        .filter(|t| t.chars().any(char::is_alphabetic) && !t.chars().any(|c| c.is_ascii_digit()))
        .collect()
}

fn is_vowel(c: char) -> bool {
    "aeiouyáéíóúàèìòùâêîôûäëïöü".contains(c)
}

/// Dutch syllables: vowel groups, with the common diphthongs and long
/// vowels (ij, ei, ui, ou, au, oe, ie, eu, aa, ee, oo, uu, and aai, ooi,
/// oei, eeu, ieu) as one; a vowel with a diaeresis starts a new one.
fn syllables_nl(word: &str) -> usize {
    const THREE: [&str; 6] = ["aai", "ooi", "oei", "eeu", "ieu", "eau"];
    const TWO: [&str; 12] = [
        "ei", "ui", "ou", "au", "oe", "ie", "eu", "aa", "ee", "oo", "uu", "ij",
    ];
    let chars: Vec<char> = word.to_lowercase().chars().collect();
    let vowel = |k: usize| is_vowel(chars[k]) || (chars[k] == 'j' && k > 0 && chars[k - 1] == 'i');
    let mut count = 0;
    let mut k = 0;
    while k < chars.len() {
        if !vowel(k) || (chars[k] == 'j') {
            k += 1;
            continue;
        }
        let mut end = k;
        while end < chars.len() && vowel(end) {
            end += 1;
        }
        let run: String = chars[k..end].iter().collect();
        let run: Vec<char> = run.chars().collect();
        let mut i = 0;
        while i < run.len() {
            let take = |n: usize| -> Option<String> {
                (i + n <= run.len()).then(|| run[i..i + n].iter().collect())
            };
            if take(3).is_some_and(|s| THREE.contains(&s.as_str())) {
                i += 3;
            } else if take(2).is_some_and(|s| TWO.contains(&s.as_str())) {
                i += 2;
            } else {
                i += 1;
            }
            count += 1;
        }
        k = end;
    }
    count.max(1)
}

/// English syllables: vowel groups, less a silent final `e` (and the `e`
/// of `-es` and `-ed` endings).
fn syllables_en(word: &str) -> usize {
    let mut w: String = word
        .to_lowercase()
        .chars()
        .filter(|c| c.is_alphabetic())
        .collect();
    if w.chars().count() <= 3 {
        return 1;
    }
    let sounded_es = ["ces", "ses", "xes", "zes", "ges", "ches", "shes"]
        .iter()
        .any(|end| w.ends_with(end));
    if sounded_es {
        // invoices, pages: the e is heard.
    } else if (w.ends_with("es") || w.ends_with("ed")) && !w.ends_with("ted") && !w.ends_with("ded")
    {
        w.truncate(w.len() - 2);
    } else if w.ends_with('e') && !w.ends_with("le") {
        w.pop();
    }
    let mut count = 0;
    let mut previous = false;
    for (k, c) in w.chars().enumerate() {
        let vowel = is_vowel(c) && !(c == 'y' && k == 0);
        if vowel && !previous {
            count += 1;
        }
        previous = vowel;
    }
    count.max(1)
}

/// Flesch–Douma (Dutch) or Flesch reading ease (English), with the counts.
fn readability(text: &str, language: Language) -> (f64, usize, usize, usize) {
    let mut sentence_count = 0;
    let mut word_count = 0;
    let mut syllable_count = 0;
    for sentence in sentences(text) {
        let words = words(&sentence);
        if words.is_empty() {
            continue;
        }
        sentence_count += 1;
        word_count += words.len();
        syllable_count += words
            .iter()
            .map(|w| match language {
                Language::Nl => syllables_nl(w),
                Language::En => syllables_en(w),
            })
            .sum::<usize>();
    }
    let per_sentence = word_count as f64 / sentence_count.max(1) as f64;
    let per_word = syllable_count as f64 / word_count.max(1) as f64;
    let score = match language {
        Language::Nl => 206.835 - 0.93 * per_sentence - 77.0 * per_word,
        Language::En => 206.835 - 1.015 * per_sentence - 84.6 * per_word,
    };
    (score, sentence_count, word_count, syllable_count)
}

// --- the checks ----------------------------------------------------------------

/// `€ 1.234,56` (Dutch) or `€ 1,234.56` (English) as minor units, or why not.
fn parse_money(text: &str, language: Language) -> Result<i64, String> {
    let (group, decimal) = match language {
        Language::Nl => ('.', ','),
        Language::En => (',', '.'),
    };
    let digits = text.strip_prefix('-').unwrap_or(text);
    let (whole, cents) = digits
        .split_once(decimal)
        .ok_or_else(|| format!("'{text}' has no decimal '{decimal}'"))?;
    let groups: Vec<&str> = whole.split(group).collect();
    let well_grouped = groups.iter().enumerate().all(|(k, g)| {
        g.chars().all(|c| c.is_ascii_digit())
            && if k == 0 {
                (1..=3).contains(&g.len())
            } else {
                g.len() == 3
            }
    });
    if !well_grouped || cents.len() != 2 || !cents.chars().all(|c| c.is_ascii_digit()) {
        return Err(format!("'{text}' is not written the {language:?} way"));
    }
    let value: i64 = format!("{}{cents}", groups.concat()).parse().unwrap();
    Ok(if text.starts_with('-') { -value } else { value })
}

/// The amounts written in a text, as minor units (or an error for one
/// written the wrong way).
fn amounts_in(text: &str, language: Language) -> Vec<Result<i64, String>> {
    let mut out = Vec::new();
    for (at, _) in text.match_indices('€') {
        let rest = &text[at + '€'.len_utf8()..];
        let space = rest.starts_with(['\u{a0}', ' ']);
        let rest = rest.trim_start_matches(['\u{a0}', ' ']);
        let token: String = rest
            .chars()
            .take_while(|c| c.is_ascii_digit() || matches!(c, '.' | ',' | '-'))
            .collect();
        let token = token.trim_end_matches(['.', ',']);
        if !space {
            out.push(Err(format!("'€{token}' has no space after the euro sign")));
        } else {
            out.push(parse_money(token, language));
        }
    }
    out
}

fn minor(decimal: &str) -> i64 {
    let (whole, cents) = decimal.split_once('.').unwrap_or((decimal, "00"));
    let negative = whole.starts_with('-');
    let value = whole.trim_start_matches('-').parse::<i64>().unwrap() * 100
        + format!("{cents:0<2}")[..2].parse::<i64>().unwrap();
    if negative { -value } else { value }
}

/// Whether `phrase` occurs as whole words in `text` (lower case).
fn has_words(text: &str, phrase: &str) -> bool {
    text.match_indices(phrase).any(|(at, _)| {
        let before = text[..at].chars().next_back();
        let after = text[at + phrase.len()..].chars().next();
        before.is_none_or(|c| !c.is_alphanumeric()) && after.is_none_or(|c| !c.is_alphanumeric())
    })
}

const ENGLISH_WORDS: &[&str] = &[
    "the", "invoice", "invoices", "please", "payment", "days", "due", "you", "your", "dear",
    "regards", "amount", "reminder", "and",
];
const DUTCH_WORDS: &[&str] = &[
    "de",
    "het",
    "een",
    "factuur",
    "facturen",
    "betaal",
    "betalen",
    "niet",
    "wij",
    "uw",
    "bedrag",
    "herinnering",
    "groet",
    "beste",
    "dagen",
    "vervaldatum",
    "incassokosten",
];
const STOCK_PHRASES: &[&str] = &[
    "uit onze administratie is gebleken",
    "indien deze brief uw betaling heeft gekruist",
    "if this letter has crossed your payment",
    "according to our records",
];

/// One rendered text to check: its words (the parts written by the
/// template) and the whole message as sent.
struct Sample {
    template: String,
    language: Language,
    /// Subject or title.
    subject: String,
    /// Opening and closing, or the talking points.
    words: String,
    /// Everything the customer (or the collector) sees.
    whole: String,
    /// The amounts the words may state.
    amounts: Vec<i64>,
    /// Names to leave out of the language check.
    names: Vec<String>,
    /// Heads-ups speak only of invoices not yet due.
    heads_up: bool,
    /// Talking points (a list), not a letter (paragraphs).
    call: bool,
    /// Made-up facts may state earlier messages, calls and promises; the
    /// demo has none of them.
    history: bool,
    label: String,
}

fn check(sample: &Sample, problems: &mut Vec<String>) {
    let mut fail = |what: String| {
        problems.push(format!(
            "{} ({:?}, {}): {what}\n    subject: {}\n    text: {}",
            sample.template,
            sample.language,
            sample.label,
            sample.subject,
            sample.words.replace('\n', "\n          ")
        ))
    };
    let whole = format!("{}\n{}", sample.subject, sample.whole);
    let words = format!("{}\n{}", sample.subject, sample.words);
    for marker in ["{{", "}}", "{%", "%}", "undefined"] {
        if whole.contains(marker) {
            fail(format!("'{marker}' left in the text"));
        }
    }
    let lower = whole.to_lowercase();
    if has_words(&lower, "none") {
        fail("'none' in the text".into());
    }
    for phrase in STOCK_PHRASES {
        if lower.contains(phrase) {
            fail(format!("stock phrase '{phrase}'"));
        }
    }
    if whole.contains("tegoed ") || whole.contains(" --") {
        fail("a command in the text".into());
    }
    for (at, _) in whole.match_indices('-') {
        let bytes = whole.as_bytes();
        let digits = |from: usize, n: usize| {
            from + n <= bytes.len() && bytes[from..from + n].iter().all(u8::is_ascii_digit)
        };
        if at >= 4
            && digits(at - 4, 4)
            && digits(at + 1, 2)
            && bytes.get(at + 3) == Some(&b'-')
            && digits(at + 4, 2)
            && (at == 4 || !bytes[at - 5].is_ascii_digit())
        {
            fail(format!("ISO date '{}'", &whole[at - 4..at + 6]));
        }
    }
    for phrase in [
        "1 facturen",
        "1 invoices",
        "1 dagen",
        "1 days",
        "1 berichten",
        "1 messages",
    ] {
        if whole
            .match_indices(phrase)
            .any(|(at, _)| !whole[..at].ends_with(|c: char| c.is_ascii_digit()))
        {
            fail(format!("'{phrase}'"));
        }
    }
    // Capitals: the subject and every sentence.
    for sentence in sentences(&words) {
        let first = sentence.chars().find(|c| c.is_alphanumeric());
        if first.is_some_and(|c| c.is_lowercase()) {
            fail(format!("sentence starts in lower case: '{sentence}'"));
        }
    }
    // The language: without the names in it.
    let mut plain = words.to_lowercase();
    for name in &sample.names {
        plain = plain.replace(&name.to_lowercase(), " ");
    }
    let foreign = match sample.language {
        Language::Nl => ENGLISH_WORDS,
        Language::En => DUTCH_WORDS,
    };
    for word in foreign {
        if has_words(&plain, word) {
            fail(format!("'{word}' is not {:?}", sample.language));
        }
    }
    // Amounts: written the language's way, and each one of the message's.
    for amount in amounts_in(&words, sample.language) {
        match amount {
            Err(e) => fail(e),
            Ok(minor) if !sample.amounts.contains(&minor) => fail(format!(
                "amount {minor} is none of the message's amounts {:?}",
                sample.amounts
            )),
            Ok(_) => {}
        }
    }
    if sample.heads_up {
        for late in [
            " te laat",
            "over tijd",
            " late",
            "overdue",
            "voorbij",
            "was due",
        ] {
            if plain.contains(late) {
                fail(format!("a heads-up says '{late}'"));
            }
        }
    }
    if !sample.history {
        for claim in [
            "gebeld",
            "called you",
            "beloofde",
            "promised",
            "eerder over geschreven",
            "written to you",
        ] {
            if plain.contains(claim) {
                fail(format!("'{claim}' without it having happened"));
            }
        }
    }
    // A letter is made of paragraphs: no line breaks within one.
    if !sample.call {
        let lines: Vec<&str> = sample.words.lines().collect();
        for pair in lines.windows(2) {
            if !pair[0].is_empty() && !pair[1].is_empty() {
                fail(format!("a line break within a paragraph: '{}'", pair[1]));
            }
        }
    }
    let (score, ..) = readability(&sample.words, sample.language);
    if score < MIN_SCORE {
        fail(format!("readability {score:.0} below {MIN_SCORE}"));
    }
}

// --- the demo ------------------------------------------------------------------

/// A message's words as the template wrote them: the opening (before the
/// invoice table) and the closing (after how to pay, before the signature).
fn split_message(planned: &Planned, language: Language) -> String {
    let text = &planned.message.text;
    let (header, days, pay) = match language {
        Language::Nl => ("Factuur", "Dagen te laat", "Zo betaalt u"),
        Language::En => ("Invoice", "Days late", "How to pay"),
    };
    let lines: Vec<&str> = text.lines().collect();
    let table = lines
        .iter()
        .position(|l| l.starts_with(header) && l.contains(days))
        .expect("the invoice table");
    let opening = lines[..table].join("\n");
    // After the table's totals, or after how to pay.
    let mut k = table;
    while k < lines.len() && !lines[k].is_empty() {
        k += 1;
    }
    if lines.get(k + 1) == Some(&pay) {
        k += 2;
        while k < lines.len() && !lines[k].is_empty() {
            k += 1;
        }
    }
    let rest = lines[k..].join("\n");
    let signature = format!("\n\n{}", planned.sender.name);
    let closing = rest
        .rfind(&signature)
        .map_or(rest.as_str(), |at| &rest[..at]);
    format!("{}\n\n{}", opening.trim(), closing.trim())
}

struct Demo {
    store: common::TestDb,
    config: Config,
    templates: Templates,
    _dir: tempfile::TempDir,
}

/// Demo customers that together cover what the words depend on.
#[derive(Debug)]
struct Picked {
    /// (what, customer number, has overdue invoices)
    customers: Vec<(&'static str, String, bool)>,
}

fn demo() -> Demo {
    let dir = tempfile::tempdir().unwrap();
    let store = common::database(dir.path(), "t");
    tegoed_app::write_tx(&*store, |tx| {
        demo::fill(
            tx,
            &tegoed_app::access::Actor::system("test", 0),
            &DemoConfig {
                customers: 300,
                seed: 7,
                as_of: as_of(),
            },
            &tegoed_app::Silent,
        )
    })
    .unwrap();
    let config = Config::default_in(dir.path());
    let templates = Templates::load(None).unwrap();
    Demo {
        store,
        config,
        templates,
        _dir: dir,
    }
}

fn pick(store: &dyn Store) -> Picked {
    let snapshot =
        tegoed_app::read_tx(store, |tx| tegoed_app::facts::snapshot(tx, as_of())).unwrap();
    let mut found: BTreeMap<&'static str, (String, bool)> = BTreeMap::new();
    for (idx, customer) in snapshot.customers.iter().enumerate() {
        let open: Vec<_> = snapshot.open[idx]
            .iter()
            .filter(|d| d.currency == Currency::EUR && d.amount_minor > 0 && d.open_minor > 0)
            .collect();
        let overdue: Vec<_> = open.iter().filter(|d| d.due_date < as_of()).collect();
        let not_due = open.len() - overdue.len();
        let overdue_minor: i64 = overdue.iter().map(|d| d.open_minor).sum();
        let credit = snapshot.credit_minor[idx];
        let business = customer.kind == CustomerKind::B2b;
        let mut take = |what: &'static str, when: bool, overdue: bool| {
            if when && !found.contains_key(what) {
                found.insert(what, (customer.number.clone(), overdue));
            }
        };
        take(
            "business, one overdue invoice",
            business && overdue.len() == 1 && credit == 0,
            true,
        );
        take(
            "business, several overdue invoices",
            business && overdue.len() >= 3 && credit == 0,
            true,
        );
        take(
            "business, credit not yet applied",
            business && !overdue.is_empty() && credit > 0 && credit < overdue_minor,
            true,
        );
        take(
            "consumer, one overdue invoice",
            !business && overdue.len() == 1,
            true,
        );
        take(
            "consumer, several overdue invoices",
            !business && overdue.len() >= 2,
            true,
        );
        take(
            "business, one invoice not yet due",
            business && not_due == 1,
            false,
        );
        take(
            "business, several invoices not yet due",
            business && not_due >= 2,
            false,
        );
        take(
            "consumer, invoice not yet due",
            !business && not_due >= 1,
            false,
        );
    }
    for needed in [
        "business, one overdue invoice",
        "business, several overdue invoices",
        "business, credit not yet applied",
        "business, one invoice not yet due",
        "business, several invoices not yet due",
        "consumer, one overdue invoice",
    ] {
        assert!(
            found.contains_key(needed),
            "the demo has no customer for '{needed}' (found {:?})",
            found.keys()
        );
    }
    Picked {
        customers: found
            .into_iter()
            .map(|(what, (number, overdue))| (what, number, overdue))
            .collect(),
    }
}

fn set_language(store: &dyn Store, number: &str, language: Language) {
    let mut tx = store.write().unwrap();
    let stored = tx.customer_by_number(number).unwrap().unwrap();
    let mut customer = stored.customer;
    customer.language = language;
    tx.update_customer(stored.id, &customer).unwrap();
    tx.commit().unwrap();
}

/// Scores per template and language: the lowest of its renders (demo
/// customers and made-up facts).
type Scores = BTreeMap<String, BTreeMap<&'static str, f64>>;

fn record(scores: &mut Scores, template: &str, language: Language, text: &str) {
    let (score, ..) = readability(text, language);
    let slot = scores
        .entry(template.to_string())
        .or_default()
        .entry(language.as_str())
        .or_insert(f64::MAX);
    *slot = slot.min(score);
}

/// The names a text may hold in any language: the customer's, the
/// company's, the collector's and the account managers'.
fn names(store: &dyn Store, config: &Config, customer: &str) -> Vec<String> {
    let mut names = vec![
        customer.to_string(),
        config.company.name.clone(),
        config.company.collector.name.clone(),
    ];
    let mut tx = store.read().unwrap();
    names.extend(
        tx.account_managers()
            .unwrap()
            .into_iter()
            .map(|(_, manager)| manager.name),
    );
    names
}

// --- made-up facts ---------------------------------------------------------------

const STEP_KINDS: [&str; 7] = [
    "reminder",
    "second_reminder",
    "call",
    "demand",
    "fourteen_day_letter",
    "final_notice",
    "handoff",
];

fn kind_of_step(step: &str) -> &'static str {
    match step {
        "heads_up" => "heads_up",
        "reminder" => "reminder",
        "second_reminder" => "second_reminder",
        "call" | "collector_call" => "call",
        "demand" => "demand",
        "fourteen_day_letter" => "fourteen_day_letter",
        "final_notice" => "final_notice",
        other => panic!("unknown step {other}"),
    }
}

/// A made-up invoice: open amount (cents), days overdue (negative: not yet
/// due), and whether this step is about it (else it is listed as also open).
type Line = (i64, i32, bool);

/// A made-up message: a label, its invoices and the credit not yet applied.
type Shape = (&'static str, Vec<Line>, i64);

/// A message context as `compose` builds it, with every optional fact
/// switched on or off.
#[allow(clippy::too_many_arguments)]
fn context(
    language: Language,
    step: &str,
    consumer: bool,
    invoices: &[Line],
    credit: i64,
    history: bool,
    next: Option<&str>,
    account_manager: bool,
) -> (Value, Vec<i64>) {
    let heads_up = step == "heads_up";
    let kind = kind_of_step(step);
    let channel = match kind {
        "call" => "call",
        "final_notice" | "fourteen_day_letter" => "letter",
        _ => "email",
    };
    let open_total: i64 = invoices.iter().map(|(open, ..)| open).sum();
    let late = !heads_up && matches!(kind, "demand" | "final_notice");
    let interest = if late { 1_234 } else { 0 };
    let costs = if late { 15_000 } else { 0 };
    let vat_uplift = if late && history { 2_604 } else { 0 };
    let costs = costs + vat_uplift;
    let principal = open_total - credit;
    let total = principal + interest + costs;
    let invoice_list: Vec<Value> = invoices
        .iter()
        .enumerate()
        .map(|(k, (open, days, this_step))| {
            let due = as_of().add_days(-*days);
            json!({
                "number": format!("2026-00{}", 18177 + k),
                "issue_date": due.add_days(-30).to_string(),
                "due_date": due.to_string(),
                "open": open,
                "days_overdue": days,
                "interest": if late && *this_step { interest / invoices.len() as i64 } else { 0 },
                "overdue": *days > 0,
                "this_step": this_step,
            })
        })
        .collect();
    let step_count = invoices.iter().filter(|(_, _, s)| *s).count();
    let fourteen = (kind == "fourteen_day_letter").then(|| {
        json!({
            "costs": 4_000,
            "vat_uplift": if history { 840 } else { 0 },
            "total_costs": if history { 4_840 } else { 4_000 },
            "received_on": "2026-11-27",
            "pay_without_costs_until": "2026-12-11",
        })
    });
    let person = |name: &str, first: &str| json!({"name": name, "first_name": first, "email": null, "phone": null});
    let (nl, name) = (
        language == Language::Nl,
        if consumer {
            "Jan Jansen"
        } else {
            "Bakkerij De Vries B.V."
        },
    );
    // The payment agreement made at the sale, quoted by the reminders.
    let agreement = if history {
        json!({"agreed_on": "2026-03-03", "terms_days": 30, "method": "direct_debit",
               "direct_debit": true, "by": "Sanne de Boer", "with": "J. de Vries"})
    } else {
        Value::Null
    };
    let ctx = json!({
        "lang": language.as_str(),
        "currency": "EUR",
        "tone": "neutral",
        "segment": {"id": "standard", "name": if nl { "Overige klanten" } else { "Other customers" }},
        "step": {"id": step, "kind": kind, "channel": channel},
        "customer": {"number": "C000123", "name": name, "kind": if consumer { "b2c" } else { "b2b" }, "consumer": consumer},
        "sender": person("Eva Jansen", "Eva"),
        "collector": person("Eva Jansen", "Eva"),
        "account_manager": if account_manager { person("Sanne de Boer", "Sanne") } else { Value::Null },
        "company": {"name": "Tegoed Demo B.V.", "phone": "020 123 45 67", "email": null, "website": null, "iban": "NL91 ABNA 0417 1643 00", "bic": null},
        "as_of": AS_OF,
        "pay_by": if channel == "call" { String::new() } else { as_of().add_days(5).to_string() },
        "invoices": invoice_list,
        "count": invoices.len(),
        "step_count": step_count,
        "also_open_count": invoices.len() - step_count,
        "oldest_days": invoices.iter().map(|(_, d, _)| *d).max().unwrap_or(0).max(0),
        "open_total": open_total,
        "credit": credit,
        "principal": principal,
        "interest": interest,
        "costs": costs,
        "vat_uplift": vat_uplift,
        "total": total,
        "claims_interest": interest > 0,
        "claims_costs": costs > 0,
        "interest_name": match (consumer, nl) {
            (false, true) => "wettelijke handelsrente",
            (true, true) => "wettelijke rente",
            (false, false) => "statutory commercial interest",
            (true, false) => "statutory interest",
        },
        "credit_hold": history,
        "fourteen_day": fourteen,
        "next": next.map(|kind| json!({"step": kind, "kind": kind, "channel": "email", "date": "2026-12-07"})),
        "reference": "Klant C000123 2026-0018177",
        "earlier": {"written": if history { 2 } else { 0 }},
        "called": if history { json!({"date": "2026-11-20", "by": "Eva Jansen", "outcome": "Betaalt volgende week"}) } else { Value::Null },
        "promise_broken": if history { json!({"made_on": "2026-11-10", "amount": 50_000, "date": "2026-11-18"}) } else { Value::Null },
        "agreement": agreement,
    });
    let mut amounts = vec![open_total, total, interest, costs, credit];
    amounts.extend(invoices.iter().map(|(open, ..)| *open));
    if let Some(f) = ctx["fourteen_day"]["total_costs"].as_i64() {
        amounts.push(f);
    }
    (ctx, amounts)
}

// --- the test --------------------------------------------------------------------

fn message_templates() -> Vec<(String, String, String)> {
    // (template base, strategy, step) for every shipped message and call
    // template.
    let mut out: Vec<(String, String, String)> = SHIPPED
        .iter()
        .filter(|(name, _)| name.ends_with(".nl.txt") && !name.starts_with("appreciation/"))
        .map(|(name, _)| {
            let base = name.trim_end_matches(".nl.txt");
            let (strategy, step) = base.split_once('/').unwrap();
            (base.to_string(), strategy.to_string(), step.to_string())
        })
        .collect();
    out.sort();
    out
}

#[test]
fn every_shipped_template_reads_well() {
    let demo = demo();
    let store: &dyn Store = &*demo.store;
    let picked = pick(store);
    let config = &demo.config;
    let templates = &demo.templates;
    let mut problems = Vec::new();
    let mut scores = Scores::new();
    let mut rendered = 0;
    let mut covered: BTreeMap<String, usize> = BTreeMap::new();

    // The demo customers, through the real composing.
    for language in [Language::Nl, Language::En] {
        for (_, number, _) in &picked.customers {
            set_language(store, number, language);
        }
        for strategy in &config.strategies {
            for step in &strategy.steps {
                if step.channel.as_str() == "handoff" {
                    continue;
                }
                let heads_up = step.offset_days < 0;
                for (what, number, overdue) in &picked.customers {
                    if *overdue == heads_up {
                        continue;
                    }
                    let planned = dunning::sample(
                        store.read().unwrap().as_mut(),
                        config,
                        templates,
                        number,
                        &strategy.id,
                        &step.id,
                        as_of(),
                    )
                    .unwrap_or_else(|e| panic!("{number} {}/{}: {e}", strategy.id, step.id));
                    assert_eq!(planned.language, language.as_str());
                    let call = planned.channel == "call";
                    let words = if call {
                        planned.message.text.clone()
                    } else {
                        split_message(&planned, language)
                    };
                    if !call {
                        let pay_by = planned.pay_by.expect("a message asks to pay by a date");
                        assert!(pay_by >= as_of(), "{number}: pay by {pay_by} is past");
                    }
                    let mut amounts: Vec<i64> = [
                        &planned.amounts.open,
                        &planned.amounts.total,
                        &planned.amounts.interest,
                        &planned.amounts.costs,
                        &planned.amounts.credit,
                    ]
                    .into_iter()
                    .map(|a| minor(a))
                    .collect();
                    amounts.extend(planned.items.iter().map(|i| minor(&i.open_amount)));
                    if let Some(letter) = &planned.fourteen_day_letter {
                        amounts.push(minor(&letter.stated_costs));
                    }
                    let sample = Sample {
                        template: step.template.clone(),
                        language,
                        subject: planned.message.subject.clone(),
                        words: words.clone(),
                        whole: planned.message.text.clone(),
                        amounts,
                        names: names(store, config, &planned.name),
                        heads_up,
                        call,
                        history: false,
                        label: format!("{what} {number}"),
                    };
                    check(&sample, &mut problems);
                    record(&mut scores, &step.template, language, &words);
                    *covered.entry(step.template.clone()).or_default() += 1;
                    rendered += 1;
                }
            }
        }
    }

    // Made-up facts: every optional sentence, every next step.
    for (base, _, step) in message_templates() {
        let heads_up = step == "heads_up";
        let call = SHIPPED
            .iter()
            .any(|(n, s)| *n == format!("{base}.nl.txt") && s.contains("block title"));
        let shapes: Vec<Shape> = if heads_up {
            vec![
                ("one invoice", vec![(35_803, -4, true)], 0),
                (
                    "several, with credit",
                    vec![(35_803, -4, true), (120_000, -20, true)],
                    2_573,
                ),
            ]
        } else {
            vec![
                ("one invoice", vec![(35_803, 1, true)], 0),
                (
                    "several, one also open, credit",
                    vec![(35_803, 46, true), (120_000, 31, true), (9_950, 8, false)],
                    2_573,
                ),
                (
                    "two, one also open",
                    vec![(35_803, 46, true), (9_950, 1, false)],
                    0,
                ),
            ]
        };
        for language in [Language::Nl, Language::En] {
            for (label, invoices, credit) in &shapes {
                for consumer in [false, true] {
                    for history in [false, true] {
                        let nexts = std::iter::once(None).chain(STEP_KINDS.iter().map(Some));
                        for next in nexts {
                            let (ctx, amounts) = context(
                                language,
                                &step,
                                consumer,
                                invoices,
                                *credit,
                                history,
                                next.copied(),
                                history,
                            );
                            let (subject, words) = if call {
                                let text = templates.call(&base, language, &ctx).unwrap();
                                (text.title, text.talking_points)
                            } else {
                                let text = templates.message(&base, language, &ctx).unwrap();
                                (
                                    text.subject,
                                    format!("{}\n\n{}", text.opening, text.closing),
                                )
                            };
                            let customer = ctx["customer"]["name"].as_str().unwrap().to_string();
                            let sample = Sample {
                                template: base.clone(),
                                language,
                                subject,
                                whole: words.clone(),
                                words,
                                amounts,
                                names: vec![
                                    customer,
                                    "Tegoed Demo B.V.".into(),
                                    "Eva Jansen".into(),
                                    "Sanne de Boer".into(),
                                ],
                                heads_up,
                                call,
                                history,
                                label: format!(
                                    "made up: {label}, {}, {}, next {}",
                                    if consumer { "consumer" } else { "business" },
                                    if history {
                                        "with history"
                                    } else {
                                        "no history"
                                    },
                                    next.copied().unwrap_or("none")
                                ),
                            };
                            check(&sample, &mut problems);
                            record(&mut scores, &base, language, &sample.words);
                            rendered += 1;
                        }
                    }
                }
            }
        }
    }

    // Every template rendered on the demo.
    for (base, _, _) in message_templates() {
        assert!(
            covered.get(&base).is_some_and(|n| *n > 0),
            "{base} was not rendered on a demo customer"
        );
    }

    eprintln!("\n| template | Dutch (Flesch–Douma) | English (Flesch) |");
    eprintln!("|---|---:|---:|");
    for (template, by_language) in &scores {
        eprintln!(
            "| `{template}` | {:.0} | {:.0} |",
            by_language["nl"], by_language["en"]
        );
    }
    eprintln!("{rendered} renders checked");
    if !problems.is_empty() {
        let shown: Vec<&String> = problems.iter().take(40).collect();
        panic!(
            "{} problems, the first {}:\n{}",
            problems.len(),
            shown.len(),
            shown
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join("\n")
        );
    }
}

/// The thank-you with every combination of what the customer did: true,
/// plain, in the customer's language, asking for nothing.
#[test]
fn the_thank_you_reads_well() {
    let templates = Templates::load(None).unwrap();
    let mut problems = Vec::new();
    let mut scores = Scores::new();
    for language in [Language::Nl, Language::En] {
        for mask in 1u8..16 {
            let plan = mask & 1 != 0;
            let promise = mask & 2 != 0;
            let ctx = serde_json::json!({
                "lang": language.as_str(),
                "customer": {"name": "Bakkerij Jansen B.V."},
                "sender": {"name": "Sanne de Boer", "first_name": "Sanne",
                           "email": "sanne@tegoed-demo.example", "phone": null},
                "company": {"name": "Tegoed Demo B.V."},
                "plan": plan.then(|| serde_json::json!({"amount": 470_118, "on": "2026-11-19"})),
                "promise": promise.then(|| serde_json::json!({"amount": 28_435, "on": "2026-11-08"})),
                "back_on_time": (mask & 4 != 0).then(|| serde_json::json!({"invoices": 3})),
                "on_time_year": (mask & 8 != 0).then(|| serde_json::json!({"invoices": 4})),
            });
            let text = templates
                .message("appreciation/thank_you", language, &ctx)
                .unwrap();
            let words = format!("{}\n\n{}", text.opening, text.closing);
            let sample = Sample {
                template: "appreciation/thank_you".into(),
                language,
                subject: text.subject,
                whole: words.clone(),
                words,
                amounts: vec![470_118, 28_435],
                names: vec![
                    "Bakkerij Jansen B.V.".into(),
                    "Tegoed Demo B.V.".into(),
                    "Sanne de Boer".into(),
                ],
                heads_up: false,
                call: false,
                // It may say the customer promised: only when they did.
                history: promise,
                label: format!("facts {mask:04b}"),
            };
            check(&sample, &mut problems);
            // A thank-you asks for nothing.
            let lower = sample.words.to_lowercase();
            for asked in [
                "iban",
                "graag uiterlijk",
                "please pay",
                "could you pay",
                "wilt u",
            ] {
                if lower.contains(asked) {
                    problems.push(format!("{}: asks '{asked}'", sample.label));
                }
            }
            let plan_said = sample.words.contains("4.701,18") || sample.words.contains("4,701.18");
            if plan_said != plan {
                problems.push(format!("{}: the plan said {plan_said}", sample.label));
            }
            record(
                &mut scores,
                "appreciation/thank_you",
                language,
                &sample.words,
            );
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn the_syllable_counters_count_sensibly() {
    for (word, n) in [
        ("factuur", 2),
        ("betalingsregeling", 6),
        ("herinnering", 4),
        ("vriendelijke", 4),
        ("groet", 1),
        ("dagen", 2),
        ("januari", 4),
        ("financiële", 5),
        ("uiterlijk", 3),
        ("leeuw", 1),
    ] {
        assert_eq!(syllables_nl(word), n, "{word}");
    }
    for (word, n) in [
        ("invoice", 2),
        ("invoices", 3),
        ("payment", 2),
        ("reminder", 3),
        ("regards", 2),
        ("the", 1),
        ("agency", 3),
        ("charged", 1),
        ("collection", 3),
        ("table", 2),
    ] {
        assert_eq!(syllables_en(word), n, "{word}");
    }
    let (score, sentences, words, _) = readability(
        "Beste Jan,\n\nFactuur 2026-0018177 is nog niet betaald. Wilt u € 358,03 betalen?",
        Language::Nl,
    );
    assert_eq!((sentences, words), (3, 10), "{score}");
    assert_eq!(
        self::sentences("Bij Tegoed Demo B.V. werkt het zo. Dat is fijn! Of niet?"),
        vec![
            "Bij Tegoed Demo B.V. werkt het zo.",
            "Dat is fijn!",
            "Of niet?"
        ]
    );
}

// --- the hand-off claim summary ---------------------------------------------------

fn claim_file(claim: Value, language: Language, debtor_kind: &str) -> Value {
    let mut file = json!({
        "lang": language.as_str(),
        "handed_off_on": AS_OF,
        "creditor": {
            "name": "Tegoed Demo B.V.",
            "address": ["Keizersgracht 100", "1015 AA Amsterdam"],
            "kvk": "12345678",
            "iban": "NL91 ABNA 0417 1643 00",
            "contact": "Eva Jansen, 020 123 45 60, eva.jansen@tegoed.example",
        },
        "debtor": {
            "number": claim["customer"],
            "name": claim["name"],
            "kind": debtor_kind,
            "kvk": if debtor_kind == "b2b" { json!("87654321") } else { Value::Null },
            "vat_number": Value::Null,
            "email": "info@example.nl",
            "phone": Value::Null,
            "language": language.as_str(),
            "address": ["Dorpsstraat 1", "1234 AB Ergens", "NL"],
        },
        "not_claimed": [
            {"number": "2026-0019001", "due_date": "2026-11-20", "open": "250.00", "days_overdue": 5},
            {"number": "2026-0019002", "due_date": "2026-12-10", "open": "99.95", "days_overdue": -15},
        ],
        "history": [
            {"date": "2026-10-01", "what": if language == Language::Nl { "bericht verstuurd" } else { "message sent" }, "text": "Herinnering <1>"},
            {"date": "2026-10-20", "what": if language == Language::Nl { "gebeld" } else { "called" }, "text": "Betaalt volgende week"},
        ],
    });
    for (key, value) in claim.as_object().unwrap() {
        file[key] = value.clone();
    }
    file
}

#[test]
fn the_claim_summaries_render_every_part() {
    let demo = demo();
    let store: &dyn Store = &*demo.store;
    let picked = pick(store);
    let mut files = Vec::new();
    for (what, number, overdue) in &picked.customers {
        if !overdue {
            continue;
        }
        let claim = tegoed_app::read_tx(store, |tx| {
            tegoed_app::legal::claim(tx, &demo.config, number, Currency::EUR, as_of())
        })
        .unwrap();
        let kind = if what.starts_with("consumer") {
            "b2c"
        } else {
            "b2b"
        };
        files.push((
            serde_json::to_value(&claim).unwrap(),
            kind,
            claim.costs_basis,
            false,
        ));
    }
    // One with every part: costs with the minimum, a 14-day letter, a
    // dispute, an unconfirmed rate.
    let mut full = files[0].0.clone();
    full["kind"] = json!("b2c");
    full["interest_kind"] = json!("consumer");
    full["costs"] = json!({
        "principal": "200.00", "costs": "40.00", "vat_uplift": "8.40", "total_costs": "48.40",
        "bands": [{"from": "0.00", "to": "2500.00", "rate": "15", "part": "200.00", "costs": "30.00"}],
        "minimum_applied": true, "maximum_applied": false,
    });
    full["costs_basis"] = json!("consumer: WIK staffel over the invoices of the 14-day letter");
    full["fourteen_day_letter"] = json!({
        "message_id": 7, "sent_on": "2026-10-10", "channel": "letter", "received_on": "2026-10-13",
        "pay_without_costs_until": "2026-10-27", "stated_costs": "48.40",
    });
    full["disputed"] = json!(["2026-0018000"]);
    full["rates_verified"] = json!(false);
    let basis = full["costs_basis"].as_str().unwrap().to_string();
    files.push((full, "b2c", basis, true));

    for (claim, kind, basis, full) in &files {
        for language in [Language::Nl, Language::En] {
            let file = claim_file(claim.clone(), language, kind);
            let html = demo.templates.html("handoff", language, &file).unwrap();
            for marker in ["{{", "{%", "undefined", "None", "claim."] {
                assert!(!html.contains(marker), "'{marker}' in\n{html}");
            }
            assert!(!has_words(&html.to_lowercase(), "none"), "{html}");
            let number = claim["invoices"][0]["number"].as_str().unwrap();
            assert!(html.contains(number), "{html}");
            assert!(html.contains("2026-0019001"), "not claimed listed: {html}");
            assert!(html.contains("Herinnering &lt;1&gt;"), "escaped: {html}");
            if language == Language::Nl {
                assert!(html.contains("Niet overgedragen"), "{html}");
                assert!(html.contains("gebeld"), "{html}");
                if !basis.is_empty() {
                    assert!(
                        !html.contains(basis.as_str()),
                        "English basis in Dutch: {html}"
                    );
                }
                for word in [" the ", " invoice", " costs", " principal", " interest "] {
                    assert!(!html.contains(word), "'{word}' in Dutch: {html}");
                }
            } else {
                assert!(html.contains("Not handed off"), "{html}");
            }
            if *full {
                for part in ["Veertiendagenbrief", "Fourteen-day letter"] {
                    assert_eq!(
                        html.contains(part),
                        part.starts_with('V') == (language == Language::Nl),
                        "{part}: {html}"
                    );
                }
                assert!(
                    html.contains("2026-0018000"),
                    "the disputed invoice: {html}"
                );
            }
            if *full {
                assert!(
                    html.contains(if language == Language::Nl {
                        "€\u{a0}48,40"
                    } else {
                        "€\u{a0}48.40"
                    }),
                    "{html}"
                );
            }
        }
    }
}

/// Every merge field the template page offers (`MERGE_FIELDS`) exists in
/// the context a message is written with: a reminder made of all of them
/// renders for a real overdue customer, each field with a value.
#[test]
fn every_merge_field_the_template_page_offers_renders() {
    use tegoed_app::dunning::templates::MERGE_FIELDS;
    let demo = demo();
    let picked = pick(&*demo.store);
    let (_, number, _) = picked
        .customers
        .iter()
        .find(|(_, _, overdue)| *overdue)
        .expect("an overdue customer");
    set_language(&*demo.store, number, Language::Nl);
    let body: Vec<String> = MERGE_FIELDS
        .iter()
        .map(|(f, _, _)| format!("[{f}]"))
        .collect();
    let source = format!(
        "{{% block subject %}}Alle velden{{% endblock %}}\n{{% block opening %}}\n{}\n{{% endblock %}}\n{{% block closing %}}Groet{{% endblock %}}\n",
        body.join("\n")
    );
    let templates =
        Templates::load_with(None, Some(("standard/reminder.nl.txt", &source))).unwrap();
    let planned = dunning::sample(
        demo.store.read().unwrap().as_mut(),
        &demo.config,
        &templates,
        number,
        "standard",
        "reminder",
        as_of(),
    )
    .unwrap_or_else(|e| panic!("a merge field is not in the context: {e}"));
    let text = &planned.message.text;
    assert!(!text.contains("{{"), "{text}");
    assert!(!text.contains("[]"), "a field rendered empty: {text}");
    assert!(!text.contains("[none]"), "a field rendered as none: {text}");
    assert_eq!(text.matches('[').count(), MERGE_FIELDS.len(), "{text}");
}
