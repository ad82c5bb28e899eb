//! Matching incoming bank payments to open invoices, strongest evidence
//! first:
//!
//! 1. **reference** — a betalingskenmerk or RF reference that equals an
//!    invoice's payment reference (also when the check digit fails: test
//!    files and some banks carry references that do not validate);
//! 2. **invoice number** — one or more invoice numbers in the remittance
//!    text, tolerating prefixes ("F", "INV"), spaces and leading zeros;
//! 3. **IBAN + amount** — the paying account belongs to a known customer and
//!    the amount equals one open invoice, or the sum of several;
//! 4. otherwise a **suggestion** (customer by IBAN or a close name match,
//!    amount applied oldest-first) that a person confirms.
//!
//! Rules 1–3 allocate automatically; rule 4 goes to the review queue. The
//! index holds what is needed in memory, so a hundred thousand bank entries
//! are matched against a million invoices without a query each.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use crate::date::Date;
use crate::ids::{CustomerId, InvoiceId};
use crate::money::{Currency, Money};
use crate::reference::{compact_reference, is_valid_betalingskenmerk, is_valid_rf};

/// Which rule decided a payment.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MatchRule {
    Reference,
    InvoiceNumber,
    IbanAmount,
    /// A person matched or assigned it.
    Manual,
    /// Booked as the CSV file said.
    Csv,
    /// Money back to a customer from their credit.
    Refund,
    /// A returned payment that undoes an earlier one.
    Reversal,
}

impl MatchRule {
    pub fn as_str(self) -> &'static str {
        match self {
            MatchRule::Reference => "reference",
            MatchRule::InvoiceNumber => "invoice_number",
            MatchRule::IbanAmount => "iban_amount",
            MatchRule::Manual => "manual",
            MatchRule::Csv => "csv",
            MatchRule::Refund => "refund",
            MatchRule::Reversal => "reversal",
        }
    }

    pub fn parse(text: &str) -> Option<MatchRule> {
        Some(match text {
            "reference" => MatchRule::Reference,
            "invoice_number" => MatchRule::InvoiceNumber,
            "iban_amount" => MatchRule::IbanAmount,
            "manual" => MatchRule::Manual,
            "csv" => MatchRule::Csv,
            "refund" => MatchRule::Refund,
            "reversal" => MatchRule::Reversal,
            _ => return None,
        })
    }
}

/// An invoice as the matcher knows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IndexedInvoice {
    pub id: InvoiceId,
    pub customer: CustomerId,
    pub number: String,
    pub issue_date: Date,
    pub due_date: Date,
    pub currency: Currency,
    /// What is still open (minor units); 0 when paid.
    pub open_minor: i64,
}

/// A payment to match.
#[derive(Clone, Copy, Debug)]
pub struct Incoming<'a> {
    pub amount: Money,
    /// From `Strd/CdtrRefInf/Ref` or `/REMI/STRD/CUR/`.
    pub structured_reference: Option<&'a str>,
    /// Remittance and other free text.
    pub text: &'a str,
    pub counterparty_iban: Option<&'a str>,
    pub counterparty_name: Option<&'a str>,
}

/// What to do with a payment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Decision {
    /// Allocate to these invoices of this customer, in this order.
    Allocate {
        rule: MatchRule,
        confidence: u8,
        customer: CustomerId,
        invoices: Vec<InvoiceId>,
    },
    /// The payment names invoices of this customer that are already paid:
    /// book it as the customer's credit and flag it for a person.
    AlreadyPaid {
        rule: MatchRule,
        confidence: u8,
        customer: CustomerId,
        invoices: Vec<InvoiceId>,
    },
    /// Not sure: a person decides; maybe with a suggestion.
    Review {
        suggestion: Option<Suggestion>,
        reason: ReviewReason,
    },
}

/// Why a payment waits for a person.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReviewReason {
    /// No reference, invoice number or known account.
    NothingKnown,
    /// A known account, but the amount fits no combination of open invoices.
    AmountFitsNothing,
    /// The paying account belongs to this many customers.
    SharedAccount(usize),
}

/// Why a customer is suggested for a payment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Basis {
    /// The paying account belongs to this customer.
    OwnAccount,
    /// The payer's name is close to this customer's.
    SimilarName,
}

/// A proposed customer, with how the amount would be applied oldest-first.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Suggestion {
    pub customer: CustomerId,
    pub confidence: u8,
    pub basis: Basis,
    pub allocations: Vec<(InvoiceId, i64)>,
}

/// A 64-bit FNV-1a hash; keys in the index are hashes of normalized text,
/// checked against the invoice on a hit.
fn hash(text: &str) -> u64 {
    let mut h: u64 = FNV_OFFSET;
    for b in text.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(FNV_PRIME);
    }
    h
}

/// A hasher for keys that are already hashes.
#[derive(Default)]
struct PassThrough(u64);

impl Hasher for PassThrough {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(*b);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

type PassMap<V> = HashMap<u64, V, BuildHasherDefault<PassThrough>>;

/// Invoice positions by key hash. Almost every key belongs to one invoice,
/// so those live in a flat map; only shared keys get a list. Keys added in
/// bulk wait in `pending` and go in sorted by their low bits, which are the
/// map's bucket index: the table is then filled front to back instead of
/// at random, several times faster for a million invoices.
#[derive(Default)]
struct HashIndex {
    single: PassMap<u32>,
    many: PassMap<Vec<u32>>,
    pending: Vec<(u64, u32)>,
}

impl HashIndex {
    fn with_capacity(n: usize) -> HashIndex {
        HashIndex {
            single: PassMap::with_capacity_and_hasher(n, Default::default()),
            many: PassMap::default(),
            pending: Vec::with_capacity(n),
        }
    }

    /// Queues a key for [`Self::flush`].
    fn add(&mut self, key: u64, idx: u32) {
        self.pending.push((key, idx));
    }

    fn flush(&mut self) {
        let mut pending = std::mem::take(&mut self.pending);
        pending.sort_unstable_by_key(|(key, idx)| (*key as u32, *idx));
        self.single.reserve(pending.len());
        for (key, idx) in pending {
            self.insert(key, idx);
        }
    }

    fn insert(&mut self, key: u64, idx: u32) {
        if let Some(list) = self.many.get_mut(&key) {
            if !list.contains(&idx) {
                list.push(idx);
            }
            return;
        }
        match self.single.entry(key) {
            std::collections::hash_map::Entry::Vacant(entry) => {
                entry.insert(idx);
            }
            std::collections::hash_map::Entry::Occupied(entry) => {
                if *entry.get() != idx {
                    let first = entry.remove();
                    self.many.insert(key, vec![first, idx]);
                }
            }
        }
    }

    fn get(&self, key: u64) -> Vec<u32> {
        match self.single.get(&key) {
            Some(idx) => vec![*idx],
            None => self.many.get(&key).cloned().unwrap_or_default(),
        }
    }
}

/// Splits an invoice number into runs of letters and of digits, digits
/// without leading zeros: "INV-2025/0007" → ["INV", "2025", "7"].
fn runs(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut current = String::new();
    let mut digits = false;
    for ch in text.chars() {
        let is_digit = ch.is_ascii_digit();
        let is_alpha = ch.is_alphanumeric() && !is_digit;
        if !(is_digit || is_alpha) {
            if !current.is_empty() {
                out.push(std::mem::take(&mut current));
            }
            continue;
        }
        if !current.is_empty() && is_digit != digits {
            out.push(std::mem::take(&mut current));
        }
        digits = is_digit;
        current.extend(ch.to_uppercase());
    }
    if !current.is_empty() {
        out.push(current);
    }
    out.into_iter()
        .map(|run| {
            if run.bytes().all(|b| b.is_ascii_digit()) {
                let stripped = run.trim_start_matches('0');
                if stripped.is_empty() {
                    "0".to_string()
                } else {
                    stripped.to_string()
                }
            } else {
                run
            }
        })
        .collect()
}

/// The lookup keys of an invoice number: its runs joined, and its letters
/// and digits run together ("2025-0001234" → "2025-1234", "20250001234").
fn number_keys(number: &str) -> [String; 2] {
    let compact: String = number
        .chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(|c| c.to_uppercase())
        .collect();
    let compact = compact.trim_start_matches('0').to_string();
    [runs(number).join("-"), compact]
}

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0100_0000_01b3;

fn feed(h: &mut u64, ch: char) {
    let mut buf = [0u8; 4];
    for b in ch.encode_utf8(&mut buf).bytes() {
        *h ^= u64::from(b);
        *h = h.wrapping_mul(FNV_PRIME);
    }
}

/// `hash(&compact_reference(text))` without building the string.
fn compact_hash(text: &str) -> u64 {
    let mut h = FNV_OFFSET;
    for ch in text.chars() {
        if !ch.is_whitespace() && !matches!(ch, '.' | '-' | '/') {
            feed(&mut h, ch.to_ascii_uppercase());
        }
    }
    h
}

/// The hashes of [`number_keys`], computed without building the strings
/// (a million invoices are indexed on every statement import).
fn number_key_hashes(number: &str) -> (u64, u64) {
    let (mut runs_hash, mut compact_hash) = (FNV_OFFSET, FNV_OFFSET);
    // Runs: kind of the current run (Some(true) digits), whether it has put
    // out a non-zero digit, whether it held zeros only.
    let mut run: Option<bool> = None;
    let mut started = false;
    let mut zeros = false;
    let mut first_run = true;
    let mut compact_started = false;
    let end_run = |h: &mut u64, run: Option<bool>, started: bool, zeros: bool| {
        if run == Some(true) && !started && zeros {
            feed(h, '0');
        }
    };
    for ch in number.chars() {
        let digit = ch.is_ascii_digit();
        let alpha = ch.is_alphanumeric() && !digit;
        if !(digit || alpha) {
            end_run(&mut runs_hash, run, started, zeros);
            run = None;
            continue;
        }
        // The compact key: letters and digits, without leading zeros.
        for upper in ch.to_uppercase() {
            if compact_started || upper != '0' {
                compact_started = true;
                feed(&mut compact_hash, upper);
            }
        }
        if run != Some(digit) {
            end_run(&mut runs_hash, run, started, zeros);
            if !first_run {
                feed(&mut runs_hash, '-');
            }
            first_run = false;
            run = Some(digit);
            started = false;
            zeros = false;
        }
        if digit {
            if !started && ch == '0' {
                zeros = true;
            } else {
                started = true;
                feed(&mut runs_hash, ch);
            }
        } else {
            for upper in ch.to_uppercase() {
                feed(&mut runs_hash, upper);
            }
        }
    }
    end_run(&mut runs_hash, run, started, zeros);
    (runs_hash, compact_hash)
}

/// Whether a candidate from the remittance text is specific enough to be an
/// invoice number (not "12" or "EUR").
fn specific(key: &str) -> bool {
    let digits = key.bytes().filter(u8::is_ascii_digit).count();
    let letters = key.chars().filter(|c| c.is_alphabetic()).count();
    (digits >= 3 && key.len() >= 4) || (digits >= 2 && letters >= 2 && digits + letters >= 5)
}

/// Normalizes a company or person name for comparison: lower case, words
/// only, without legal forms and filler words.
pub fn name_tokens(name: &str) -> Vec<String> {
    const SKIP: &[&str] = &[
        "bv",
        "b",
        "v",
        "nv",
        "n",
        "vof",
        "cv",
        "holding",
        "de",
        "het",
        "en",
        "van",
        "der",
        "den",
        "the",
        "and",
        "ltd",
        "gmbh",
        "inc",
        "co",
        "zn",
        "zonen",
        "bvba",
        "sa",
        "ag",
        "llc",
        "limited",
        "stichting",
    ];
    let lower = name.to_lowercase();
    let mut tokens: Vec<String> = lower
        .split(|c: char| !c.is_alphanumeric())
        .filter(|t| !t.is_empty() && !SKIP.contains(t))
        .map(str::to_string)
        .collect();
    tokens.sort();
    tokens.dedup();
    tokens
}

fn similarity(a: &[String], b: &[String]) -> f64 {
    if a.is_empty() || b.is_empty() {
        return 0.0;
    }
    let common = a.iter().filter(|t| b.contains(t)).count();
    common as f64 / (a.len() + b.len() - common) as f64
}

/// Everything the matcher looks things up in.
#[derive(Default)]
pub struct MatchIndex {
    invoices: Vec<IndexedInvoice>,
    /// The invoices' ids, in the same order (ascending when loaded in order).
    ids: Vec<InvoiceId>,
    /// Positions by id, kept only once ids arrived out of order.
    out_of_order: HashMap<InvoiceId, u32>,
    by_reference: HashIndex,
    by_number: HashIndex,
    open_by_customer: HashMap<CustomerId, Vec<u32>>,
    customers_by_iban: HashMap<String, Vec<CustomerId>>,
    names: HashMap<CustomerId, Vec<String>>,
    by_name_token: HashMap<String, Vec<CustomerId>>,
}

impl MatchIndex {
    pub fn new() -> MatchIndex {
        MatchIndex::default()
    }

    /// An index sized for about `invoices` invoices and `customers`
    /// customers, so loading a large ledger does not rehash as it grows.
    pub fn with_capacity(invoices: usize, customers: usize) -> MatchIndex {
        MatchIndex {
            invoices: Vec::with_capacity(invoices),
            ids: Vec::with_capacity(invoices),
            out_of_order: HashMap::new(),
            by_reference: HashIndex::with_capacity(invoices),
            by_number: HashIndex::with_capacity(invoices * 2),
            open_by_customer: HashMap::with_capacity(customers),
            customers_by_iban: HashMap::with_capacity(customers),
            names: HashMap::with_capacity(customers),
            by_name_token: HashMap::new(),
        }
    }

    /// Adds an invoice (credit notes are not matched against).
    pub fn add_invoice(&mut self, invoice: IndexedInvoice, payment_reference: Option<&str>) {
        let idx = self.invoices.len() as u32;
        if let Some(reference) = payment_reference {
            self.by_reference.add(compact_hash(reference), idx);
        }
        let (ha, hb) = number_key_hashes(&invoice.number);
        self.by_number.add(ha, idx);
        self.by_number.add(hb, idx);
        if invoice.open_minor > 0 {
            self.open_by_customer
                .entry(invoice.customer)
                .or_default()
                .push(idx);
        }
        let in_order = self.ids.last().is_none_or(|last| *last < invoice.id);
        if !in_order && self.out_of_order.is_empty() {
            self.out_of_order = self
                .ids
                .iter()
                .enumerate()
                .map(|(i, id)| (*id, i as u32))
                .collect();
        }
        if !self.out_of_order.is_empty() || !in_order {
            self.out_of_order.insert(invoice.id, idx);
        }
        self.ids.push(invoice.id);
        self.invoices.push(invoice);
    }

    /// Puts the invoices added so far into the lookup tables; call after
    /// adding and before deciding.
    pub fn finish_loading(&mut self) {
        self.by_reference.flush();
        self.by_number.flush();
    }

    pub fn add_customer_iban(&mut self, iban: &str, customer: CustomerId) {
        let list = self.customers_by_iban.entry(iban.to_string()).or_default();
        if !list.contains(&customer) {
            list.push(customer);
        }
    }

    pub fn add_customer_name(&mut self, customer: CustomerId, name: &str) {
        let tokens = name_tokens(name);
        for token in &tokens {
            self.by_name_token
                .entry(token.clone())
                .or_default()
                .push(customer);
        }
        self.names.insert(customer, tokens);
    }

    pub fn invoice_count(&self) -> usize {
        self.invoices.len()
    }

    fn find(&self, id: InvoiceId) -> Option<u32> {
        // Loaders add invoices in id order: a binary search over the dense
        // id list (cache-friendly); otherwise the position map.
        if self.out_of_order.is_empty() {
            self.ids.binary_search(&id).ok().map(|idx| idx as u32)
        } else {
            self.out_of_order.get(&id).copied()
        }
    }

    pub fn invoice(&self, id: InvoiceId) -> Option<&IndexedInvoice> {
        self.find(id).map(|idx| &self.invoices[idx as usize])
    }

    /// Lowers open amounts after money was applied.
    pub fn record(&mut self, allocations: &[(InvoiceId, i64)]) {
        for (id, amount) in allocations {
            if let Some(idx) = self.find(*id) {
                let invoice = &mut self.invoices[idx as usize];
                invoice.open_minor -= amount;
                if invoice.open_minor <= 0
                    && let Some(list) = self.open_by_customer.get_mut(&invoice.customer)
                {
                    list.retain(|i| *i != idx);
                }
            }
        }
    }

    /// Raises open amounts after allocations were undone (a reversal).
    pub fn unrecord(&mut self, allocations: &[(InvoiceId, i64)]) {
        for (id, amount) in allocations {
            if let Some(idx) = self.find(*id) {
                let invoice = &mut self.invoices[idx as usize];
                let was_open = invoice.open_minor > 0;
                invoice.open_minor += amount;
                if !was_open && invoice.open_minor > 0 {
                    self.open_by_customer
                        .entry(invoice.customer)
                        .or_default()
                        .push(idx);
                }
            }
        }
    }

    /// Open invoices of a customer, oldest due first.
    pub fn open_items(&self, customer: CustomerId, currency: Currency) -> Vec<&IndexedInvoice> {
        let mut items: Vec<&IndexedInvoice> = self
            .open_by_customer
            .get(&customer)
            .map(|list| {
                list.iter()
                    .map(|idx| &self.invoices[*idx as usize])
                    .collect()
            })
            .unwrap_or_default();
        items.retain(|i| i.currency == currency && i.open_minor > 0);
        items.sort_by_key(|i| (i.due_date, i.issue_date, i.id));
        items
    }

    pub fn customers_for_iban(&self, iban: &str) -> &[CustomerId] {
        self.customers_by_iban
            .get(iban)
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }

    /// The customer whose name is closest to `name`, if close enough and
    /// clearly closer than the next. Candidates come from the query's rare
    /// words only: a word hundreds of customers share ("bouwbedrijf",
    /// "jansen") cannot tell them apart, and comparing against all of them
    /// would make matching a large base slow.
    pub fn customer_by_name(&self, name: &str) -> Option<(CustomerId, f64)> {
        const RARE: usize = 200;
        let tokens = name_tokens(name);
        let mut candidates: Vec<CustomerId> = Vec::new();
        for token in &tokens {
            if let Some(list) = self.by_name_token.get(token)
                && list.len() <= RARE
            {
                candidates.extend(list);
            }
        }
        candidates.sort();
        candidates.dedup();
        let mut scored: Vec<(CustomerId, f64)> = candidates
            .into_iter()
            .filter_map(|c| self.names.get(&c).map(|n| (c, similarity(&tokens, n))))
            .collect();
        scored.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        match scored.as_slice() {
            [best, second, ..] if best.1 >= 0.6 && best.1 - second.1 >= 0.15 => Some(*best),
            [best] if best.1 >= 0.6 => Some(*best),
            _ => None,
        }
    }

    fn lookup(&self, map: &HashIndex, key: &str) -> Vec<u32> {
        map.get(hash(key))
    }

    /// Invoices whose payment reference equals a reference in the payment.
    fn by_reference(&self, payment: &Incoming<'_>) -> (Vec<u32>, bool) {
        let mut candidates: Vec<(String, bool)> = Vec::new();
        if let Some(reference) = payment.structured_reference {
            let compact = compact_reference(reference);
            let valid = is_valid_betalingskenmerk(&compact) || is_valid_rf(&compact);
            candidates.push((compact, valid));
        }
        // References typed into the description: digit runs of the lengths a
        // betalingskenmerk has, and RF references.
        for word in payment.text.split(|c: char| !c.is_ascii_alphanumeric()) {
            let upper = word.to_ascii_uppercase();
            let digits = word.bytes().all(|b| b.is_ascii_digit());
            if (digits && matches!(word.len(), 7 | 9..=14 | 16))
                || (upper.starts_with("RF") && upper.len() >= 5)
            {
                let valid = is_valid_betalingskenmerk(&upper) || is_valid_rf(&upper);
                candidates.push((upper, valid));
            }
        }
        // A betalingskenmerk written in groups ("5000 0567 8901 2345").
        let digits_only: String = payment
            .text
            .chars()
            .filter(|c| c.is_ascii_digit() || c.is_whitespace())
            .collect();
        for group in digits_only.split("  ") {
            let joined: String = group.chars().filter(char::is_ascii_digit).collect();
            if joined.len() == 16 && group.trim().contains(' ') {
                let valid = is_valid_betalingskenmerk(&joined);
                candidates.push((joined, valid));
            }
        }
        let mut found = Vec::new();
        let mut all_valid = true;
        for (candidate, valid) in candidates {
            for idx in self.lookup(&self.by_reference, &candidate) {
                if !found.contains(&idx) {
                    found.push(idx);
                    all_valid &= valid;
                }
            }
        }
        (found, all_valid)
    }

    /// Invoices whose number appears in the remittance text.
    fn by_number(&self, text: &str) -> Vec<u32> {
        let tokens: Vec<&str> = text
            .split(|c: char| {
                c.is_whitespace() || matches!(c, ',' | ';' | ':' | '(' | ')' | '+' | '&' | '#')
            })
            .map(|t| t.trim_matches(|c: char| !c.is_alphanumeric()))
            .filter(|t| !t.is_empty())
            .collect();
        let mut candidates: Vec<String> = Vec::new();
        for (i, token) in tokens.iter().enumerate() {
            candidates.push(token.to_string());
            // Without a letter prefix: "F2025-0001", "INV-0042" → "2025-0001", "0042".
            let stripped = token
                .trim_start_matches(|c: char| c.is_alphabetic())
                .trim_start_matches(['-', '.', '/', '_']);
            if stripped.len() != token.len() && !stripped.is_empty() {
                candidates.push(stripped.to_string());
            }
            // Split by spaces: "2025 0001234".
            if let Some(next) = tokens.get(i + 1)
                && next.bytes().all(|b| b.is_ascii_digit())
            {
                candidates.push(format!("{token}-{next}"));
                if stripped.len() != token.len() && !stripped.is_empty() {
                    candidates.push(format!("{stripped}-{next}"));
                }
            }
        }
        let mut found = Vec::new();
        for candidate in candidates {
            let [a, b] = number_keys(&candidate);
            for key in [a, b] {
                if !specific(&key) {
                    continue;
                }
                for idx in self.lookup(&self.by_number, &key) {
                    let invoice = &self.invoices[idx as usize];
                    let keys = number_keys(&invoice.number);
                    if (keys[0] == key || keys[1] == key) && !found.contains(&idx) {
                        found.push(idx);
                    }
                }
            }
        }
        found
    }

    /// Decides what to do with an incoming payment (money in, amount > 0).
    pub fn decide(&self, payment: &Incoming<'_>) -> Decision {
        assert!(
            self.by_number.pending.is_empty() && self.by_reference.pending.is_empty(),
            "MatchIndex::finish_loading must be called after adding invoices"
        );
        let iban_customers: Vec<CustomerId> = payment
            .counterparty_iban
            .map(|iban| self.customers_for_iban(iban).to_vec())
            .unwrap_or_default();
        // 1. Structured reference.
        let (found, valid) = self.by_reference(payment);
        let found: Vec<u32> = found
            .into_iter()
            .filter(|idx| self.invoices[*idx as usize].currency == payment.amount.currency)
            .collect();
        if let Some(decision) = self.decide_named(
            &found,
            MatchRule::Reference,
            if valid { 100 } else { 90 },
            &iban_customers,
        ) {
            return decision;
        }
        // 2. Invoice numbers in the text.
        let found: Vec<u32> = self
            .by_number(payment.text)
            .into_iter()
            .filter(|idx| self.invoices[*idx as usize].currency == payment.amount.currency)
            .collect();
        let found: Vec<u32> = if iban_customers.is_empty() {
            found
        } else {
            // The payer's account is known: numbers of other customers'
            // invoices are coincidences.
            found
                .into_iter()
                .filter(|idx| iban_customers.contains(&self.invoices[*idx as usize].customer))
                .collect()
        };
        let confidence = if iban_customers.is_empty() { 80 } else { 90 };
        if let Some(decision) = self.decide_named(&found, MatchRule::InvoiceNumber, confidence, &[])
        {
            return decision;
        }
        // 3. Known IBAN and an amount that fits open invoices exactly.
        let mut fits: Vec<(CustomerId, Vec<InvoiceId>, u8)> = Vec::new();
        for customer in &iban_customers {
            if let Some((invoices, confidence)) = self.amount_fit(*customer, payment.amount) {
                fits.push((*customer, invoices, confidence));
            }
        }
        if fits.len() == 1 {
            let (customer, invoices, confidence) = fits.remove(0);
            return Decision::Allocate {
                rule: MatchRule::IbanAmount,
                confidence,
                customer,
                invoices,
            };
        }
        // 4. A suggestion for a person.
        let (customer, basis, confidence) = match iban_customers.as_slice() {
            [only] => (Some(*only), Basis::OwnAccount, 60),
            [] => match payment
                .counterparty_name
                .and_then(|n| self.customer_by_name(n))
            {
                Some((customer, score)) => {
                    (Some(customer), Basis::SimilarName, (score * 50.0) as u8)
                }
                None => (None, Basis::OwnAccount, 0),
            },
            _ => (None, Basis::OwnAccount, 0),
        };
        let suggestion = customer.map(|customer| {
            let mut left = payment.amount.minor;
            let mut allocations = Vec::new();
            for item in self.open_items(customer, payment.amount.currency) {
                if left == 0 {
                    break;
                }
                let take = left.min(item.open_minor);
                allocations.push((item.id, take));
                left -= take;
            }
            Suggestion {
                customer,
                confidence,
                basis,
                allocations,
            }
        });
        let reason = match iban_customers.len() {
            0 => ReviewReason::NothingKnown,
            1 => ReviewReason::AmountFitsNothing,
            n => ReviewReason::SharedAccount(n),
        };
        Decision::Review { suggestion, reason }
    }

    /// Allocation (or an already-paid flag) to named invoices, if they all
    /// belong to one customer.
    fn decide_named(
        &self,
        found: &[u32],
        rule: MatchRule,
        confidence: u8,
        iban_customers: &[CustomerId],
    ) -> Option<Decision> {
        if found.is_empty() {
            return None;
        }
        let customer = self.invoices[found[0] as usize].customer;
        if found
            .iter()
            .any(|idx| self.invoices[*idx as usize].customer != customer)
        {
            return None;
        }
        // A reference is strong evidence even from an unknown account; from
        // an account of another customer it is weaker (paid on behalf?).
        let confidence = if !iban_customers.is_empty() && !iban_customers.contains(&customer) {
            confidence.saturating_sub(15)
        } else {
            confidence
        };
        let invoices: Vec<InvoiceId> = found
            .iter()
            .map(|idx| self.invoices[*idx as usize].id)
            .collect();
        let any_open = found
            .iter()
            .any(|idx| self.invoices[*idx as usize].open_minor > 0);
        Some(if any_open {
            Decision::Allocate {
                rule,
                confidence,
                customer,
                invoices,
            }
        } else {
            Decision::AlreadyPaid {
                rule,
                confidence,
                customer,
                invoices,
            }
        })
    }

    /// Open invoices of `customer` whose open amounts add up to `amount`:
    /// one invoice, the oldest few in a row, or (for up to 16 open items)
    /// any combination.
    fn amount_fit(&self, customer: CustomerId, amount: Money) -> Option<(Vec<InvoiceId>, u8)> {
        let items = self.open_items(customer, amount.currency);
        let exact: Vec<&&IndexedInvoice> = items
            .iter()
            .filter(|i| i.open_minor == amount.minor)
            .collect();
        match exact.len() {
            1 => return Some((vec![exact[0].id], 85)),
            n if n > 1 => return Some((vec![exact[0].id], 70)),
            _ => {}
        }
        let mut sum = 0;
        for (n, item) in items.iter().enumerate() {
            sum += item.open_minor;
            if sum == amount.minor && n > 0 {
                return Some((items[..=n].iter().map(|i| i.id).collect(), 80));
            }
            if sum > amount.minor {
                break;
            }
        }
        if items.len() <= 16 {
            for mask in 1u32..(1 << items.len()) {
                let total: i64 = (0..items.len())
                    .filter(|b| mask & (1 << b) != 0)
                    .map(|b| items[b].open_minor)
                    .sum();
                if total == amount.minor {
                    let chosen = (0..items.len())
                        .filter(|b| mask & (1 << b) != 0)
                        .map(|b| items[b].id)
                        .collect();
                    return Some((chosen, 75));
                }
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reference::PaymentReference;

    fn d(days: i32) -> Date {
        Date::from_days_since_epoch(20_000 + days)
    }

    fn index() -> MatchIndex {
        let mut index = MatchIndex::new();
        let invoices = [
            (
                1,
                10,
                "2026-0001234",
                10_000,
                Some(PaymentReference::betalingskenmerk_for(1234)),
            ),
            (2, 10, "2026-0001235", 5_000, None),
            (3, 10, "2026-0001236", 2_500, None),
            (4, 20, "INV-0042", 7_000, None),
            (
                5,
                20,
                "INV-0043",
                0,
                Some(PaymentReference::betalingskenmerk_for(43)),
            ),
        ];
        for (id, customer, number, open, reference) in invoices {
            index.add_invoice(
                IndexedInvoice {
                    id: InvoiceId(id),
                    customer: CustomerId(customer),
                    number: number.to_string(),
                    issue_date: d(id as i32),
                    due_date: d(30 + id as i32),
                    currency: Currency::EUR,
                    open_minor: open,
                },
                reference.as_ref().map(|r| r.as_str()),
            );
        }
        index.finish_loading();
        index.add_customer_iban("NL91ABNA0417164300", CustomerId(10));
        index.add_customer_name(CustomerId(10), "Bakkerij De Vries B.V.");
        index.add_customer_name(CustomerId(20), "Jansen Installatietechniek");
        index
    }

    fn pay<'a>(
        minor: i64,
        reference: Option<&'a str>,
        text: &'a str,
        iban: Option<&'a str>,
        name: Option<&'a str>,
    ) -> Incoming<'a> {
        Incoming {
            amount: Money::eur(minor),
            structured_reference: reference,
            text,
            counterparty_iban: iban,
            counterparty_name: name,
        }
    }

    fn rule_of(decision: &Decision) -> Option<(MatchRule, Vec<i64>)> {
        match decision {
            Decision::Allocate { rule, invoices, .. } => {
                Some((*rule, invoices.iter().map(|i| i.0).collect()))
            }
            _ => None,
        }
    }

    #[test]
    fn structured_reference_wins() {
        let index = index();
        let reference = PaymentReference::betalingskenmerk_for(1234);
        let decision = index.decide(&pay(10_000, Some(reference.as_str()), "", None, None));
        assert_eq!(rule_of(&decision), Some((MatchRule::Reference, vec![1])));
        // Typed into the description, in groups.
        let text = format!("betaling {}", reference.display());
        let decision = index.decide(&pay(10_000, None, &text, None, None));
        assert_eq!(rule_of(&decision), Some((MatchRule::Reference, vec![1])));
    }

    #[test]
    fn invoice_numbers_with_prefixes_spaces_and_leading_zeros() {
        let index = index();
        for text in [
            "Factuur 2026-0001234",
            "F2026-1234",
            "inv 20260001234",
            "fact. 2026 0001234",
        ] {
            let decision = index.decide(&pay(10_000, None, text, None, None));
            assert_eq!(
                rule_of(&decision),
                Some((MatchRule::InvoiceNumber, vec![1])),
                "{text}"
            );
        }
        let decision = index.decide(&pay(
            17_500,
            None,
            "facturen 2026-0001234, 2026-0001235 en 2026-0001236",
            None,
            None,
        ));
        assert_eq!(
            rule_of(&decision),
            Some((MatchRule::InvoiceNumber, vec![1, 2, 3]))
        );
        assert_eq!(
            rule_of(&index.decide(&pay(7_000, None, "INV42", None, None))),
            Some((MatchRule::InvoiceNumber, vec![4]))
        );
    }

    #[test]
    fn iban_and_amount() {
        let index = index();
        let iban = Some("NL91ABNA0417164300");
        assert_eq!(
            rule_of(&index.decide(&pay(5_000, None, "", iban, None))),
            Some((MatchRule::IbanAmount, vec![2]))
        );
        // Oldest two in a row.
        assert_eq!(
            rule_of(&index.decide(&pay(15_000, None, "", iban, None))),
            Some((MatchRule::IbanAmount, vec![1, 2]))
        );
        // Any combination.
        assert_eq!(
            rule_of(&index.decide(&pay(12_500, None, "", iban, None))),
            Some((MatchRule::IbanAmount, vec![1, 3]))
        );
    }

    #[test]
    fn weaker_evidence_is_a_suggestion() {
        let index = index();
        match index.decide(&pay(3_000, None, "", Some("NL91ABNA0417164300"), None)) {
            Decision::Review {
                suggestion: Some(s),
                ..
            } => {
                assert_eq!(s.customer, CustomerId(10));
                assert_eq!(s.allocations, vec![(InvoiceId(1), 3_000)]);
            }
            other => panic!("{other:?}"),
        }
        match index.decide(&pay(3_000, None, "", None, Some("BAKKERIJ DE VRIES"))) {
            Decision::Review {
                suggestion: Some(s),
                ..
            } => assert_eq!(s.customer, CustomerId(10)),
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            index.decide(&pay(3_000, None, "", None, Some("Someone Else"))),
            Decision::Review {
                suggestion: None,
                ..
            }
        ));
    }

    #[test]
    fn a_paid_invoice_is_flagged() {
        let index = index();
        let reference = PaymentReference::betalingskenmerk_for(43);
        assert!(matches!(
            index.decide(&pay(1_000, Some(reference.as_str()), "", None, None)),
            Decision::AlreadyPaid {
                customer: CustomerId(20),
                ..
            }
        ));
    }

    proptest::proptest! {
        /// The allocation-free key hashes equal the hashes of the keys.
        #[test]
        fn key_hashes_agree(number in "[A-Za-z0-9 ./_-]{0,20}|[0-9-]{0,14}|\\PC{0,8}") {
            let [a, b] = number_keys(&number);
            proptest::prop_assert_eq!(number_key_hashes(&number), (hash(&a), hash(&b)));
            proptest::prop_assert_eq!(compact_hash(&number), hash(&compact_reference(&number)));
        }
    }

    #[test]
    fn invoices_added_out_of_order_are_found() {
        let mut index = MatchIndex::new();
        for id in [5, 3, 9] {
            index.add_invoice(
                IndexedInvoice {
                    id: InvoiceId(id),
                    customer: CustomerId(1),
                    number: format!("N-{id:04}"),
                    issue_date: d(0),
                    due_date: d(30),
                    currency: Currency::EUR,
                    open_minor: 100,
                },
                None,
            );
        }
        assert_eq!(
            index.invoice(InvoiceId(3)).map(|i| i.number.as_str()),
            Some("N-0003")
        );
        assert_eq!(
            index.invoice(InvoiceId(9)).map(|i| i.number.as_str()),
            Some("N-0009")
        );
        assert!(index.invoice(InvoiceId(4)).is_none());
    }

    #[test]
    fn recording_keeps_open_amounts_current() {
        let mut index = index();
        index.record(&[(InvoiceId(2), 5_000)]);
        assert_eq!(index.open_items(CustomerId(10), Currency::EUR).len(), 2);
        index.unrecord(&[(InvoiceId(2), 5_000)]);
        assert_eq!(index.open_items(CustomerId(10), Currency::EUR).len(), 3);
    }
}
