//! SWIFT MT940 (and MT942) as Dutch, German and other banks write it.
//!
//! The file is split into fields (`:20:`, `:25:`, `:60F:`, `:61:`, `:86:`…)
//! inside messages (with or without `{1:}{2:}{4:` envelopes, `-}` or `-`
//! terminators, ING and Rabobank header lines). Then the `:86:` information
//! is read in whichever dialect it is written:
//! - slash codes (`/EREF/…/CNTP/…/REMI/…`: ING, Rabobank, ABN AMRO, Knab),
//! - German `?20`…`?32` subfields (Sparkasse, Deutsche Bank, …),
//! - Triodos `>20`…`>31` subfields,
//! - keywords (`IBAN:`, `NAAM:`, `BETALINGSKENM.:`, `OMSCHRIJVING:`),
//! - free text with an IBAN in it (SNS, ASN, old ING, ABN AMRO).
//!
//! Defects real files have are tolerated: DOS or old Mac line endings, a
//! missing final newline, odd characters, an empty `:86:`, lines wrapped in
//! the middle of a word, and the DOS end-of-file character (0x1A, Ctrl-Z)
//! between messages, as older ABN AMRO exports have it.
//!
//! Every scan is linear in the length of the file: the text of a field is
//! read word by word or keyword by keyword, never rescanned from every
//! position (a 1 MB `:86:` reads in milliseconds).

use tegoed_core::money::{MoneyError, parse_amount};
use tegoed_core::{Currency, Date, Iban, Money};

use crate::statement::{
    Balance, BankEntry, Direction, EntryStatus, Statement, StatementError, StatementFile,
    StatementFormat, TxDetail, clean,
};

/// One field: its tag, its lines, and where it starts.
#[derive(Debug)]
struct Field {
    tag: String,
    lines: Vec<String>,
    line: u64,
}

fn error(line: u64, field: &str, message: impl Into<String>) -> StatementError {
    StatementError::new(line, Some(format!(":{field}:")), message)
}

/// Whether `tag` is a field tag we know (or may safely skip).
fn known_tag(tag: &str) -> bool {
    let bytes = tag.as_bytes();
    tag == "NS"
        || tag == "940"
        || tag == "942"
        || (bytes.len() == 2 && bytes.iter().all(u8::is_ascii_digit))
        || (bytes.len() == 3
            && bytes[..2].iter().all(u8::is_ascii_digit)
            && bytes[2].is_ascii_uppercase())
}

/// `:TAG:rest` at the start of a line.
fn split_tag(line: &str) -> Option<(&str, &str)> {
    let rest = line.strip_prefix(':')?;
    let end = rest.find(':')?;
    let tag = &rest[..end];
    if tag.is_empty() || tag.len() > 5 || !tag.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return None;
    }
    Some((tag, &rest[end + 1..]))
}

/// A message: its fields, and whether it was closed properly.
#[derive(Default)]
struct Message {
    fields: Vec<Field>,
    /// Opened with a `{4:` envelope.
    enveloped: bool,
    /// Ended by `-}` or `-` (rather than by the next message or the file end).
    terminated: bool,
    /// Has a `:20:` field (so the next `:20:` starts a new message).
    has_reference: bool,
    /// Has a closing balance `:62F:` or `:62M:`.
    has_closing: bool,
}

impl Message {
    fn push(&mut self, field: Field) {
        match field.tag.as_str() {
            "20" => self.has_reference = true,
            "62F" | "62M" => self.has_closing = true,
            _ => {}
        }
        self.fields.push(field);
    }
}

/// The DOS end-of-file character (Ctrl-Z). Older ABN AMRO exports separate
/// messages with it (often before a `:940:` header line); it ends a message
/// wherever it is on a line.
const DOS_EOF: char = '\u{1a}';

/// Stands for a [`DOS_EOF`] in the list of lines: a line of its own.
const EOF_LINE: &str = "\u{1a}";

/// Splits the file into messages of fields.
fn messages(source: &str) -> Result<Vec<Message>, StatementError> {
    let normalized = source.replace("\r\n", "\n").replace('\r', "\n");
    // The lines with their line numbers; a DOS end-of-file character splits
    // its line and becomes an `EOF_LINE` of its own.
    let mut raw_lines: Vec<(&str, u64)> = Vec::new();
    for (idx, line) in normalized.split('\n').enumerate() {
        let line_no = idx as u64 + 1;
        if !line.contains(DOS_EOF) {
            raw_lines.push((line.trim_end_matches('\u{0}'), line_no));
            continue;
        }
        for (part_idx, part) in line.split(DOS_EOF).enumerate() {
            if part_idx > 0 {
                raw_lines.push((EOF_LINE, line_no));
            }
            let part = part.trim_end_matches('\u{0}');
            if !part.is_empty() {
                raw_lines.push((part, line_no));
            }
        }
    }
    let mut lines: Vec<String> = Vec::new();
    let mut origin: Vec<u64> = Vec::new();
    let mut idx = 0;
    while idx < raw_lines.len() {
        let (line, line_no) = raw_lines[idx];
        // A field tag broken over two lines (":" then "86:…").
        if line.trim() == ":"
            && let Some((next, _)) = raw_lines.get(idx + 1)
            && *next != EOF_LINE
            && split_tag(&format!(":{next}")).is_some()
        {
            lines.push(format!(":{next}"));
            origin.push(line_no);
            idx += 2;
            continue;
        }
        lines.push(line.to_string());
        origin.push(line_no);
        idx += 1;
    }
    let mut messages: Vec<Message> = Vec::new();
    let mut current = Message::default();
    let finish = |current: &mut Message, messages: &mut Vec<Message>, terminated: bool| {
        current.terminated = terminated;
        let enveloped = current.enveloped;
        let done = std::mem::take(current);
        if !done.fields.is_empty() {
            messages.push(done);
        } else {
            current.enveloped = enveloped && !terminated;
        }
    };
    for (idx, owned) in lines.iter().enumerate() {
        let line_no = origin[idx];
        let mut line = owned.as_str();
        if line == EOF_LINE {
            finish(&mut current, &mut messages, false);
            continue;
        }
        // SWIFT envelope: `{1:…}{2:…}{4:` opens a message, `-}` closes it.
        if line.starts_with('{') {
            if !current.fields.is_empty() && current.enveloped {
                return Err(error(
                    current.fields[0].line,
                    "20",
                    format!(
                        "the message is not closed with -}} before the next message starts at line {line_no}"
                    ),
                ));
            }
            finish(&mut current, &mut messages, false);
            match line.find("{4:") {
                Some(at) => {
                    current.enveloped = true;
                    line = &line[at + 3..];
                }
                None => continue,
            }
            if line.trim().is_empty() {
                continue;
            }
        }
        let trimmed = line.trim();
        if trimmed == "-}" || trimmed == "}" || trimmed.starts_with("-}{") || trimmed == "-XXX" {
            finish(&mut current, &mut messages, true);
            continue;
        }
        if trimmed == "-" {
            // A lone dash ends a message, unless the message goes on after
            // it (some banks wrap a dash onto a line of its own).
            let next = lines[idx + 1..]
                .iter()
                .map(|l| l.trim())
                .find(|l| !l.is_empty());
            let continues = !current.has_closing
                && next.is_some_and(|n| {
                    !(n.starts_with('{')
                        || n.starts_with('}')
                        || n.starts_with("-}")
                        || n == EOF_LINE
                        || split_tag(n).is_some_and(|(tag, _)| matches!(tag, "20" | "940" | "942")))
                });
            if continues {
                if let Some(field) = current.fields.last_mut() {
                    field.lines.push("-".to_string());
                }
            } else {
                finish(&mut current, &mut messages, true);
            }
            continue;
        }
        match split_tag(line) {
            Some((tag, rest)) => {
                if !known_tag(tag) {
                    if tag.bytes().all(|b| b.is_ascii_digit()) {
                        return Err(error(
                            line_no,
                            tag,
                            format!("unknown field :{tag}: (not an MT940 field tag)"),
                        ));
                    }
                    // Other bank-specific fields are kept as continuation text.
                    if let Some(field) = current.fields.last_mut() {
                        field.lines.push(line.to_string());
                    }
                    continue;
                }
                if tag == "940" || tag == "942" {
                    finish(&mut current, &mut messages, false);
                    continue;
                }
                if tag == "20" && current.has_reference {
                    finish(&mut current, &mut messages, false);
                }
                current.push(Field {
                    tag: tag.to_string(),
                    lines: vec![rest.to_string()],
                    line: line_no,
                });
            }
            None => {
                if let Some(field) = current.fields.last_mut() {
                    field.lines.push(line.to_string());
                }
                // Header lines before the first field (ING: "0000 01INGBNL2AXXXX00001") are skipped.
            }
        }
    }
    finish(&mut current, &mut messages, false);
    Ok(messages)
}

/// Joins the lines of a field: lines cut at the field width (about 65
/// characters, some banks 62) continue mid-word; shorter lines end a phrase.
fn join_lines(lines: &[String]) -> String {
    let mut out = String::new();
    for (idx, line) in lines.iter().enumerate() {
        let content = line.trim_end();
        if idx > 0 {
            let previous = lines[idx - 1].trim_end();
            if previous.chars().count() < 60 {
                out.push(' ');
            }
        }
        out.push_str(content);
    }
    out
}

fn year_from_yy(yy: u32) -> i32 {
    if yy < 80 {
        2000 + yy as i32
    } else {
        1900 + yy as i32
    }
}

fn parse_yymmdd(text: &str) -> Option<Date> {
    let digits = text.get(..6)?;
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let yy: u32 = digits[0..2].parse().ok()?;
    let mm: u32 = digits[2..4].parse().ok()?;
    let dd: u32 = digits[4..6].parse().ok()?;
    let year = year_from_yy(yy);
    // Some German banks date value days on a 30-day calendar ("30 February"):
    // read as the last day of that month.
    if (1..=12).contains(&mm) && (29..=31).contains(&dd) {
        return Date::from_ymd(year, mm, dd.min(tegoed_core::date::days_in_month(year, mm)));
    }
    Date::from_ymd(year, mm, dd)
}

/// `:60F:`/`:62F:` `C131007EUR1000,00` (some banks leave out the currency;
/// then `fallback` is used).
fn parse_balance(
    text: &str,
    line: u64,
    tag: &str,
    fallback: Option<Currency>,
) -> Result<Balance, StatementError> {
    let text = text.trim();
    let bad = |what: &str| error(line, tag, format!("invalid balance '{text}': {what}"));
    let sign = match text.get(..1) {
        Some("C") => 1,
        Some("D") => -1,
        _ => return Err(bad("expected C or D first")),
    };
    let date = text
        .get(1..7)
        .and_then(parse_yymmdd)
        .ok_or_else(|| bad("expected a date YYMMDD"))?;
    let (currency, amount_text) = match text.get(7..10).and_then(|c| Currency::parse(c).ok()) {
        Some(currency) => (currency, text.get(10..).unwrap_or("")),
        None => (
            fallback.ok_or_else(|| bad("expected a currency code"))?,
            text.get(7..).unwrap_or(""),
        ),
    };
    let minor = parse_amount(amount_text, currency.exponent())
        .map_err(|e| bad(too_large(&e).unwrap_or("expected an amount such as 1234,56")))?;
    Ok(Balance {
        amount: Money::new(sign * minor, currency),
        date,
    })
}

/// The reason when an amount was refused for its size (the core bounds
/// every amount), which says more than "expected an amount".
fn too_large(error: &MoneyError) -> Option<&'static str> {
    match error {
        MoneyError::Amount { reason, .. } if reason.starts_with("too large") => Some(reason),
        _ => None,
    }
}

/// What `:61:` says.
struct Line61 {
    value_date: Date,
    booking_date: Date,
    direction: Direction,
    reversal: bool,
    minor: i64,
    code: String,
    customer_ref: Option<String>,
    bank_ref: Option<String>,
    supplementary: Option<String>,
}

fn parse_61(field: &Field, currency: Currency) -> Result<Line61, StatementError> {
    match parse_61_lines(field, 1, currency) {
        // The line may be wrapped before the amount ("…CR" / "30,00NTRF").
        Err(e) if field.lines.len() > 1 && e.message.contains("amount") => {
            parse_61_lines(field, 2, currency).map_err(|_| e)
        }
        result => result,
    }
}

/// Reads `:61:` taking its first `header_lines` lines as the statement line.
fn parse_61_lines(
    field: &Field,
    header_lines: usize,
    currency: Currency,
) -> Result<Line61, StatementError> {
    let joined: String = field
        .lines
        .iter()
        .take(header_lines)
        .map(|l| l.trim())
        .collect();
    let first = joined.as_str();
    let bad = |what: &str| {
        error(
            field.line,
            "61",
            format!("invalid statement line '{first}': {what}"),
        )
    };
    let value_date = parse_yymmdd(first).ok_or_else(|| bad("expected a value date YYMMDD"))?;
    let mut rest = first.get(6..).unwrap_or("");
    // Optional entry date MMDD.
    let mut booking_date = value_date;
    if rest.len() >= 4 && rest.as_bytes()[..4].iter().all(u8::is_ascii_digit) {
        let mm: u32 = rest[0..2].parse().unwrap_or(0);
        let dd: u32 = rest[2..4].parse().unwrap_or(0);
        let (vy, vm, _) = value_date.ymd();
        let year = match (vm, mm) {
            (12, 1) => vy + 1,
            (1, 12) => vy - 1,
            _ => vy,
        };
        if let Some(date) = Date::from_ymd(year, mm, dd) {
            booking_date = date;
        }
        rest = &rest[4..];
    }
    let (direction, reversal, after) = if let Some(r) = rest.strip_prefix("RC") {
        (Direction::Credit, true, r)
    } else if let Some(r) = rest.strip_prefix("RD") {
        (Direction::Debit, true, r)
    } else if let Some(r) = rest.strip_prefix("EC").or_else(|| rest.strip_prefix("C")) {
        (Direction::Credit, false, r)
    } else if let Some(r) = rest.strip_prefix("ED").or_else(|| rest.strip_prefix("D")) {
        (Direction::Debit, false, r)
    } else {
        return Err(bad("expected C, D, RC or RD after the date"));
    };
    // Optional funds code: a letter before the amount's digits.
    let after = match after.as_bytes().first() {
        Some(b) if b.is_ascii_alphabetic() => &after[1..],
        _ => after,
    };
    let amount_len = after
        .bytes()
        .take_while(|b| b.is_ascii_digit() || *b == b',' || *b == b'.')
        .count();
    let amount_text = &after[..amount_len];
    let minor = parse_amount(amount_text, currency.exponent()).map_err(|e| {
        bad(&match too_large(&e) {
            Some(reason) => format!("the amount '{amount_text}' is {reason}"),
            None => format!("expected an amount such as 1234,56, found '{amount_text}'"),
        })
    })?;
    let rest = &after[amount_len..];
    let code: String = rest.chars().take(4).collect();
    let rest = rest.get(code.len()..).unwrap_or("");
    let (customer_ref, bank_ref) = match rest.find("//") {
        Some(at) => (&rest[..at], Some(&rest[at + 2..])),
        None => (rest, None),
    };
    let clean_ref = |r: &str| {
        let r = r.trim();
        (!r.is_empty() && r != "NONREF").then(|| r.to_string())
    };
    let supplementary = clean(&field.lines[header_lines.min(field.lines.len())..].join(" "));
    Ok(Line61 {
        value_date,
        booking_date,
        direction,
        reversal,
        minor,
        code: code.trim().to_string(),
        customer_ref: clean_ref(customer_ref),
        bank_ref: bank_ref.and_then(clean_ref),
        supplementary,
    })
}

/// Finds the first IBAN in `text`: one that passes mod-97, or else one that
/// only has the shape of an IBAN (test files are full of made-up ones; the
/// matcher checks an account before trusting it).
fn find_iban(text: &str) -> Option<(String, usize, usize)> {
    find_valid_iban(text).or_else(|| find_iban_shape(text))
}

/// The words of `text` (maximal runs of ASCII letters and digits) as byte
/// ranges, in one pass: each byte is looked at once.
fn words(text: &str) -> impl Iterator<Item = (usize, usize)> + '_ {
    let bytes = text.as_bytes();
    let mut idx = 0;
    std::iter::from_fn(move || {
        while idx < bytes.len() && !bytes[idx].is_ascii_alphanumeric() {
            idx += 1;
        }
        if idx >= bytes.len() {
            return None;
        }
        let start = idx;
        while idx < bytes.len() && bytes[idx].is_ascii_alphanumeric() {
            idx += 1;
        }
        Some((start, idx))
    })
}

/// A whole word with the shape of an IBAN (two letters, two digits, four
/// letters, digits; 15 to 34 characters).
fn find_iban_shape(text: &str) -> Option<(String, usize, usize)> {
    let bytes = text.as_bytes();
    words(text).find_map(|(start, end)| {
        let word = &bytes[start..end];
        let shaped = (15..=34).contains(&word.len())
            && word[..2].iter().all(u8::is_ascii_uppercase)
            && word[2..4].iter().all(u8::is_ascii_digit)
            && word[4..8].iter().all(u8::is_ascii_uppercase)
            && word[8..].iter().all(u8::is_ascii_digit);
        shaped.then(|| (String::from_utf8_lossy(word).into_owned(), start, end))
    })
}

/// The first word that starts with an IBAN passing mod-97 (the longest
/// such prefix of the word, at most 34 characters).
fn find_valid_iban(text: &str) -> Option<(String, usize, usize)> {
    let bytes = text.as_bytes();
    words(text).find_map(|(start, end)| {
        let word = &bytes[start..end];
        if word.len() < 15
            || !word[..2].iter().all(u8::is_ascii_uppercase)
            || !word[2..4].iter().all(u8::is_ascii_digit)
        {
            return None;
        }
        (15..=word.len().min(34)).rev().find_map(|len| {
            let iban = Iban::parse(text.get(start..start + len)?).ok()?;
            Some((iban.as_str().to_string(), start, start + len))
        })
    })
}

const SLASH_CODES: &[&str] = &[
    "EREF",
    "PREF",
    "MARF",
    "CSID",
    "CNTP",
    "REMI",
    "PURP",
    "ORDP",
    "BENM",
    "NAME",
    "ADDR",
    "IBAN",
    "BIC",
    "TRTP",
    "ISDT",
    "RTRN",
    "ULTD",
    "ULTC",
    "ULTB",
    "TRCD",
    "CHGS",
    "EXCH",
    "OCMT",
    "BUSP",
    "SVCL",
    "CDTRREFTP",
];

/// Splits `/CODE/value/CODE/value` on the known codes only, so values may
/// hold slashes.
fn slash_fields(text: &str) -> Vec<(&'static str, String)> {
    let mut marks: Vec<(usize, usize, &'static str)> = Vec::new();
    let bytes = text.as_bytes();
    for (at, _) in text.match_indices('/') {
        for code in SLASH_CODES {
            let end = at + 1 + code.len();
            if text.get(at + 1..end) == Some(code) && bytes.get(end) == Some(&b'/') {
                marks.push((at, end + 1, code));
                break;
            }
        }
    }
    let mut fields = Vec::new();
    for (idx, (_, value_start, code)) in marks.iter().enumerate() {
        let value_end = marks.get(idx + 1).map_or(text.len(), |m| m.0);
        if *value_start > value_end {
            continue;
        }
        let value = text[*value_start..value_end]
            .trim()
            .trim_end_matches('/')
            .trim()
            .to_string();
        fields.push((*code, value));
    }
    fields
}

/// What an `:86:` field tells about the payment.
#[derive(Default)]
struct Info86 {
    name: Option<String>,
    account: Option<String>,
    bic: Option<String>,
    remittance: Vec<String>,
    structured_reference: Option<String>,
    end_to_end_id: Option<String>,
    mandate_id: Option<String>,
    return_reason: Option<String>,
}

fn parse_86(text: &str) -> Info86 {
    let mut info = Info86::default();
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return info;
    }
    let looks_slash = SLASH_CODES
        .iter()
        .any(|c| trimmed.starts_with(&format!("/{c}/")) || trimmed.contains(&format!("//{c}/")));
    if looks_slash {
        for (code, value) in slash_fields(trimmed) {
            match code {
                "EREF" if !value.is_empty() && value != "NOTPROVIDED" => {
                    info.end_to_end_id = Some(value)
                }
                "MARF" if !value.is_empty() => info.mandate_id = Some(value),
                "CNTP" => {
                    // IBAN/BIC/NAME/CITY
                    let parts: Vec<&str> = value.split('/').collect();
                    if let Some(account) = parts.first().filter(|a| !a.is_empty()) {
                        info.account = Some(account.to_string());
                    }
                    if let Some(bic) = parts.get(1).filter(|b| !b.is_empty()) {
                        info.bic = Some(bic.to_string());
                    }
                    if let Some(name) = parts.get(2).filter(|n| !n.is_empty()) {
                        info.name = Some(name.to_string());
                    }
                }
                "IBAN" if !value.is_empty() => info.account = Some(value),
                "BIC" if !value.is_empty() => info.bic = Some(value),
                "NAME" if !value.is_empty() => info.name = Some(value),
                "REMI" => {
                    if let Some(reference) = value
                        .strip_prefix("STRD/CUR/")
                        .or_else(|| value.strip_prefix("STRD/ISO/"))
                    {
                        info.structured_reference = Some(reference.trim_matches('/').to_string());
                    } else if let Some(text) = value
                        .strip_prefix("USTD//")
                        .or_else(|| value.strip_prefix("USTD/"))
                    {
                        info.remittance.push(text.to_string());
                    } else {
                        info.remittance.push(value);
                    }
                }
                "RTRN" if !value.is_empty() => info.return_reason = Some(value),
                "PREF" | "ORDP" | "BENM" | "PURP" | "ULTD" | "ULTC" | "ULTB"
                    if !value.is_empty() =>
                {
                    info.remittance.push(value)
                }
                _ => {}
            }
        }
        return info;
    }
    if trimmed.contains("?20") || trimmed.contains("?00") || trimmed.contains("?32") {
        // German subfields: ?00 posting text, ?20-?29 and ?60-?63 purpose,
        // ?30 BIC, ?31 account, ?32-?33 name.
        let mut purpose = String::new();
        let mut name = String::new();
        for part in trimmed.split('?').skip(1) {
            let (code, value) = (part.get(..2).unwrap_or(""), part.get(2..).unwrap_or(""));
            match code {
                "20" | "21" | "22" | "23" | "24" | "25" | "26" | "27" | "28" | "29" | "60"
                | "61" | "62" | "63" => purpose.push_str(value),
                "30" if !value.is_empty() => info.bic = Some(value.trim().to_string()),
                "31" if !value.is_empty() => info.account = Some(value.trim().to_string()),
                "32" | "33" => name.push_str(value),
                _ => {}
            }
        }
        info.name = clean(&name);
        // SEPA keywords inside the purpose: EREF+ KREF+ MREF+ CRED+ SVWZ+ ABWA+.
        // All are found in one pass per keyword (they cannot overlap: each
        // is four letters and a '+'); each value runs to the next one.
        let mut marks: Vec<(usize, &str)> = [
            "EREF+", "KREF+", "MREF+", "CRED+", "DEBT+", "SVWZ+", "ABWA+", "ABWE+",
        ]
        .iter()
        .flat_map(|k| purpose.match_indices(k))
        .collect();
        marks.sort_unstable();
        let mut text = String::new();
        text.push_str(&purpose[..marks.first().map_or(purpose.len(), |m| m.0)]);
        for (idx, (at, keyword)) in marks.iter().enumerate() {
            let end = marks.get(idx + 1).map_or(purpose.len(), |m| m.0);
            let value = purpose[at + keyword.len()..end].trim().to_string();
            match *keyword {
                "EREF+" if value != "NOTPROVIDED" => info.end_to_end_id = Some(value),
                "MREF+" => info.mandate_id = Some(value),
                "SVWZ+" => text.push_str(&format!(" {value} ")),
                _ => {}
            }
        }
        if let Some(t) = clean(&text) {
            info.remittance.push(t);
        }
        return info;
    }
    if trimmed.contains(">20") || trimmed.contains(">21") {
        // Triodos: >20 … >29 text (the counterparty IBAN among them), >31 own account.
        let mut texts = Vec::new();
        for part in trimmed.split('>').skip(1) {
            let (code, value) = (
                part.get(..2).unwrap_or(""),
                part.get(2..).unwrap_or("").trim(),
            );
            if code == "31" || value.is_empty() {
                continue;
            }
            if info.account.is_none()
                && let Some((iban, _, _)) = find_iban(value)
                && value.len() == iban.len()
            {
                info.account = Some(iban);
                continue;
            }
            texts.push(value.to_string());
        }
        if let Some(t) = clean(&texts.join(" ")) {
            info.remittance.push(t);
        }
        return info;
    }
    // Keyword dialect (ABN AMRO SEPA, Knab): "IBAN: … BIC: … NAAM: … OMSCHRIJVING: …".
    const KEYS: &[&str] = &[
        "IBAN:",
        "BIC:",
        "NAAM:",
        "NAME:",
        "OMSCHRIJVING:",
        "KENMERK:",
        "BETALINGSKENM.:",
        "MACHTIGING:",
        "INCASSANT:",
        "REK:",
        "BETREFT:",
    ];
    if trimmed.contains("NAAM:") || trimmed.contains("IBAN:") || trimmed.contains("REK:") {
        let mut marks: Vec<(usize, &str)> = KEYS
            .iter()
            .flat_map(|k| {
                trimmed
                    .match_indices(k)
                    .map(|(at, _)| (at, *k))
                    .collect::<Vec<_>>()
            })
            .collect();
        marks.sort();
        if let Some((first, _)) = marks.first()
            && *first > 0
        {
            info.remittance.push(trimmed[..*first].to_string());
        }
        for (idx, (at, key)) in marks.iter().enumerate() {
            let start = at + key.len();
            let end = marks.get(idx + 1).map_or(trimmed.len(), |m| m.0);
            if start > end {
                continue;
            }
            let value = trimmed[start..end]
                .trim()
                .trim_end_matches('/')
                .trim()
                .to_string();
            if value.is_empty() {
                continue;
            }
            match *key {
                "IBAN:" | "REK:" => info.account = Some(value),
                "BIC:" => info.bic = Some(value),
                "NAAM:" | "NAME:" => info.name = Some(value),
                "BETALINGSKENM.:" => info.structured_reference = Some(value.replace(' ', "")),
                _ => info.remittance.push(value),
            }
        }
        return info;
    }
    // Free text: an IBAN, then (often) the name on the same line.
    match find_iban(trimmed) {
        Some((iban, start, end)) => {
            info.account = Some(iban);
            let before = trimmed[..start].trim();
            let after = trimmed[end..].trim_start();
            // A BIC may follow the IBAN.
            let after = match after.split_whitespace().next() {
                Some(word)
                    if (word.len() == 8 || word.len() == 11)
                        && word.bytes().all(|b| b.is_ascii_alphanumeric())
                        && word.bytes().take(6).all(|b| b.is_ascii_uppercase()) =>
                {
                    info.bic = Some(word.to_string());
                    after[word.len()..].trim_start()
                }
                _ => after,
            };
            // The name runs to a double space, or to ING's "NOTPROVIDED"
            // end-to-end placeholder, or to the end of the line.
            let name_end = [after.find("  "), after.find(" NOTPROVIDED")]
                .into_iter()
                .flatten()
                .min()
                .unwrap_or(after.len());
            let name = after[..name_end].trim();
            if !name.is_empty() {
                info.name = Some(name.to_string());
            }
            let mut texts = Vec::new();
            if !before.is_empty() {
                texts.push(before.to_string());
            }
            texts.push(
                after[name_end..]
                    .trim_start()
                    .trim_start_matches("NOTPROVIDED")
                    .to_string(),
            );
            if let Some(t) = clean(&texts.join(" ")) {
                info.remittance.push(t);
            }
        }
        None => info.remittance.push(trimmed.to_string()),
    }
    info
}

/// Reads every statement in the (decoded) file.
pub fn parse(source: &str) -> Result<StatementFile, StatementError> {
    let messages = messages(source)?;
    let mut file = StatementFile::default();
    for message in messages {
        let fields = message.fields;
        if fields.iter().all(|f| f.tag == "NS") {
            continue;
        }
        let start_line = fields.first().map_or(1, |f| f.line);
        let interim = fields
            .iter()
            .any(|f| matches!(f.tag.as_str(), "34F" | "13D" | "90D" | "90C"));
        let mut statement = Statement {
            format: StatementFormat::Mt94x,
            id: None,
            account: None,
            account_name: None,
            currency: None,
            opening: None,
            closing: None,
            entries: Vec::new(),
        };
        let mut statement_number = None;
        let mut pending: Option<(Line61, u64)> = None;
        let mut info: Option<String> = None;
        let flush = |pending: &mut Option<(Line61, u64)>,
                     info: &mut Option<String>,
                     statement: &mut Statement,
                     currency: Currency| {
            if let Some((line61, line)) = pending.take() {
                let details = info.take().map(|t| parse_86(&t)).unwrap_or_default();
                statement
                    .entries
                    .push(entry(line61, line, details, currency));
            }
        };
        for field in &fields {
            let content = join_lines(&field.lines);
            match field.tag.as_str() {
                "20" => statement.id = clean(&content),
                "25" => {
                    let text = content.trim();
                    statement.account = Some(match find_iban(text) {
                        Some((iban, _, _)) => iban,
                        None => text
                            .trim_end_matches(|c: char| c.is_ascii_uppercase() || c == ' ')
                            .to_string(),
                    });
                    if statement.currency.is_none() {
                        let tail: String = text
                            .chars()
                            .rev()
                            .take(3)
                            .collect::<Vec<_>>()
                            .into_iter()
                            .rev()
                            .collect();
                        if tail.bytes().all(|b| b.is_ascii_uppercase()) && tail.len() == 3 {
                            statement.currency = Currency::parse(&tail).ok();
                        }
                    }
                }
                "28" | "28C" => statement_number = clean(&content),
                "60F" | "60M" => {
                    let balance =
                        parse_balance(&content, field.line, &field.tag, statement.currency)?;
                    statement.currency = Some(balance.amount.currency);
                    statement.opening = Some(balance);
                }
                "61" => {
                    let currency = statement.currency.unwrap_or(Currency::EUR);
                    flush(&mut pending, &mut info, &mut statement, currency);
                    pending = Some((parse_61(field, currency)?, field.line));
                }
                "86" if pending.is_some() => info = Some(content),
                "62F" | "62M" => {
                    let currency = statement.currency.unwrap_or(Currency::EUR);
                    flush(&mut pending, &mut info, &mut statement, currency);
                    statement.closing = Some(parse_balance(
                        &content,
                        field.line,
                        &field.tag,
                        statement.currency,
                    )?);
                }
                _ => {}
            }
        }
        let currency = statement.currency.unwrap_or(Currency::EUR);
        flush(&mut pending, &mut info, &mut statement, currency);
        if statement.currency.is_none() {
            if statement.entries.is_empty() && statement.id.is_none() {
                continue;
            }
            file.warnings.push(format!(
                "line {start_line}: no currency in :60F: or :25:; amounts read as EUR"
            ));
            statement.currency = Some(Currency::EUR);
        }
        if statement.id.is_none() {
            // The first dozen tags say enough (a fragment may have thousands).
            const SHOWN: usize = 12;
            let mut tags: Vec<String> = fields
                .iter()
                .take(SHOWN)
                .map(|f| format!(":{}:", f.tag))
                .collect();
            if fields.len() > SHOWN {
                tags.push(format!("… {} fields in all", fields.len()));
            }
            return Err(error(
                start_line,
                "20",
                format!(
                    "no :20: reference field: this is a fragment of an MT940 message ({}), not a statement",
                    tags.join(" ")
                ),
            ));
        }
        if !interim && statement.closing.is_none() {
            file.warnings.push(format!(
                "line {start_line}: statement {} has no closing balance :62F:{}",
                statement.id.as_deref().unwrap_or(""),
                if message.enveloped && !message.terminated {
                    " and is not closed with -}"
                } else {
                    ""
                }
            ));
        }
        if let (Some(id), Some(number)) = (&statement.id, statement_number) {
            statement.id = Some(format!("{id}/{number}"));
        }
        file.statements.push(statement);
    }
    if file.statements.is_empty() {
        return Err(StatementError::new(
            1,
            None,
            "no MT940 statement found: expected fields such as :20:, :25:, :60F:, :61:, :62F:",
        ));
    }
    Ok(file)
}

fn entry(line61: Line61, line: u64, info: Info86, currency: Currency) -> BankEntry {
    let mut account = info.account;
    let mut name = info.name;
    // Rabobank (old) and others put the counter account in :61:.
    for text in [&line61.supplementary, &line61.customer_ref]
        .into_iter()
        .flatten()
    {
        if account.is_none()
            && let Some((iban, _, _)) = find_iban(text)
        {
            account = Some(iban);
        }
    }
    if name.is_none()
        && let Some(reference) = &line61.customer_ref
        && let Some((_, tail)) = reference.split_once("  ")
    {
        name = clean(tail);
    }
    let reversal = line61.reversal || info.return_reason.is_some();
    let amount = Money::new(line61.minor, currency);
    BankEntry {
        line,
        booking_date: line61.booking_date,
        value_date: Some(line61.value_date),
        direction: line61.direction,
        reversal,
        status: EntryStatus::Booked,
        amount,
        entry_ref: line61.customer_ref.clone(),
        servicer_ref: line61.bank_ref.clone(),
        bank_code: (!line61.code.is_empty()).then(|| line61.code.clone()),
        additional_info: None,
        details: vec![TxDetail {
            amount: Some(amount),
            end_to_end_id: info.end_to_end_id,
            instruction_id: None,
            mandate_id: info.mandate_id,
            servicer_ref: None,
            counterparty_name: name,
            counterparty_account: account,
            counterparty_bic: info.bic,
            structured_reference: info.structured_reference,
            remittance: clean(&info.remittance.join(" ")),
            return_reason: info.return_reason,
        }],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn ing_structured_with_envelope_and_wrapping() {
        let file = "{1:F01INGBNL2ABXXX0000000000}\r\n{2:I940INGBNL2AXXXN}\r\n{4:\r\n:20:P140220000000001\r\n:25:NL77INGB0574908765EUR\r\n:28C:0000\r\n:60F:C140219EUR662,23\r\n:61:1402200220C1,56NTRFEREF//00000000001005\r\n/TRCD/00100/\r\n:86:/EREF/EV12341REP1231456T1234//CNTP/NL32INGB0000012345/INGBNL2\r\nA/ING BANK NV INZAKE WEB///REMI/USTD//EV10001REP1000000T1000/\r\n:62F:C140220EUR663,79\r\n-}";
        let parsed = parse(file).unwrap();
        let statement = &parsed.statements[0];
        assert_eq!(statement.account.as_deref(), Some("NL77INGB0574908765"));
        let entry = &statement.entries[0];
        assert_eq!(entry.amount, Money::eur(156));
        assert_eq!(entry.direction, Direction::Credit);
        let detail = &entry.details[0];
        assert_eq!(
            detail.counterparty_account.as_deref(),
            Some("NL32INGB0000012345")
        );
        assert_eq!(
            detail.counterparty_name.as_deref(),
            Some("ING BANK NV INZAKE WEB")
        );
        assert_eq!(detail.remittance.as_deref(), Some("EV10001REP1000000T1000"));
        assert_eq!(
            detail.end_to_end_id.as_deref(),
            Some("EV12341REP1231456T1234")
        );
    }

    #[test]
    fn german_subfields() {
        let info = parse_86(
            "166?00SEPA-GUTSCHRIFT?109310?20EREF+E2E-77?21SVWZ+Rechnung 2026-0?22017?30GENODEF1?31DE89370400440532013000?32Max Muster?33mann",
        );
        assert_eq!(info.end_to_end_id.as_deref(), Some("E2E-77"));
        assert_eq!(info.account.as_deref(), Some("DE89370400440532013000"));
        assert_eq!(info.name.as_deref(), Some("Max Mustermann"));
        assert_eq!(info.remittance, vec!["Rechnung 2026-0017".to_string()]);
    }

    #[test]
    fn free_text_and_keywords() {
        let info = parse_86("NL11RABO0987654321 f. spark bedrijf n.v.  factuur 2026-0017");
        assert_eq!(info.account.as_deref(), Some("NL11RABO0987654321"));
        assert_eq!(info.name.as_deref(), Some("f. spark bedrijf n.v."));
        assert_eq!(info.remittance, vec!["factuur 2026-0017".to_string()]);
        let info = parse_86(
            "SEPA OVERBOEKING IBAN: NL91ABNA0417164300 BIC: ABNANL2A NAAM: J JANSEN OMSCHRIJVING: Factuur 12 BETALINGSKENM.: 5000 0567 8901 2345",
        );
        assert_eq!(info.name.as_deref(), Some("J JANSEN"));
        assert_eq!(
            info.structured_reference.as_deref(),
            Some("5000056789012345")
        );
    }

    /// ASN Bank and bunq have no public sample files; these statements are
    /// written in the dialects their exports use (ASN: de Volksbank free
    /// text with the IBAN first, as SNS; bunq: slash codes).
    #[test]
    fn asn_and_bunq_dialects() {
        let asn = ":20:0000000000\r\n:25:NL24ASNB0707070707\r\n:28C:12/1\r\n:60F:C260301EUR100,00\r\n:61:2603020302C242,00NOVBNL20INGB0001234567\r\nbakkerij de vries\r\n:86:NL20INGB0001234567 bakkerij de vries\r\n                                                                 \r\nfactuur 2026-0042\r\n:62F:C260302EUR342,00\r\n-";
        let parsed = parse(asn).unwrap();
        let detail = &parsed.statements[0].entries[0].details[0];
        assert_eq!(
            detail.counterparty_account.as_deref(),
            Some("NL20INGB0001234567")
        );
        assert_eq!(
            detail.counterparty_name.as_deref(),
            Some("bakkerij de vries")
        );
        assert_eq!(detail.remittance.as_deref(), Some("factuur 2026-0042"));

        let bunq = ":20:BUNQ\n:25:NL75BUNQ2025118451\n:28C:1\n:60F:C260301EUR0,00\n:61:260303C100,00NTRFNONREF\n:86:/EREF/NOTPROVIDED/IBAN/NL91ABNA0417164300/NAME/J. Jansen/REMI/Factuur 2026-0043\n:62F:C260303EUR100,00";
        let parsed = parse(bunq).unwrap();
        let detail = &parsed.statements[0].entries[0].details[0];
        assert_eq!(
            detail.counterparty_account.as_deref(),
            Some("NL91ABNA0417164300")
        );
        assert_eq!(detail.counterparty_name.as_deref(), Some("J. Jansen"));
        assert_eq!(detail.remittance.as_deref(), Some("Factuur 2026-0043"));
        assert_eq!(detail.end_to_end_id, None);
    }

    #[test]
    fn bad_fields_are_named() {
        let err = parse(":20:X\n:25:NL91ABNA0417164300\n:60F:C260101EUR1,00\n:61:2601XXC1,00NTRF\n:62F:C260101EUR2,00\n").unwrap_err();
        assert_eq!(err.line, 4);
        assert_eq!(err.element.as_deref(), Some(":61:"));
        let err = parse("1\n2\n3\n").unwrap_err();
        assert!(err.message.contains("no MT940 statement"), "{err}");
    }

    proptest! {
        #[test]
        fn never_panics(text in "\\PC{0,400}") {
            let _ = parse(&text);
        }

        #[test]
        fn never_panics_on_field_soup(lines in proptest::collection::vec(
            "(:20:|:25:|:28C:|:60F:|:61:|:86:|:62F:|-|-}|\\{4:|)[A-Z0-9,/ ?>:+-]{0,40}", 0..20)) {
            let _ = parse(&lines.join("\n"));
        }
    }
}
