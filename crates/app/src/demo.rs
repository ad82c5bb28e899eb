//! Realistic, deterministic demo data: the same seed and date give the same
//! ledger on every machine.
//!
//! Customers are B2B and B2C across several SBI industries and pay according
//! to a behaviour profile — punctual, slow but steady, chaotic, deteriorating,
//! or defaulting — shifted by what is typical for their industry. About two
//! years of invoices are generated up to the as-of date, with payments
//! (some partial, some overpaid, some without an invoice number), and credit
//! notes. Payments are posted with the same allocation rules as imports.
//!
//! The generator writes through a [`Sink`]: straight into the store, or into
//! the canonical CSV files (for the import benchmark).

use std::io::Write;

use tegoed_core::allocation::{self, OpenItem, Target};
use tegoed_core::customer::{Address, CustomerKind, Language};
use tegoed_core::party::{Email, KvkNumber, SbiCode, VatNumber};
use tegoed_core::{
    AccountManager, AccountManagerId, Allocation, AllocationSource, Customer, CustomerId, Date,
    Iban, Invoice, InvoiceId, Money, Payment, PaymentId, PaymentReference, PaymentSource,
};
use tegoed_formats::ledger_csv::{CUSTOMER_COLUMNS, CsvWriter, INVOICE_COLUMNS, PAYMENT_COLUMNS};
use tegoed_store::{BulkTable, WriteTx};

use crate::audit::{Detail, Label};
use crate::error::Result;
use crate::progress::Progress;
use crate::rng::Rng;

/// What to generate.
#[derive(Clone, Copy, Debug)]
pub struct DemoConfig {
    pub customers: u32,
    pub seed: u64,
    /// The last day of history; nothing is dated after it.
    pub as_of: Date,
}

impl DemoConfig {
    pub const DEFAULT_CUSTOMERS: u32 = 2_000;
    pub const DEFAULT_SEED: u64 = 2026;
    /// Months of history before the as-of date.
    const HISTORY_MONTHS: i32 = 24;

    /// The default demo on `as_of`: what both `tegoed demo` and
    /// `tegoed serve --demo` build, so a customer number means the same
    /// company in both.
    pub fn default_on(as_of: Date) -> DemoConfig {
        DemoConfig {
            customers: Self::DEFAULT_CUSTOMERS,
            seed: Self::DEFAULT_SEED,
            as_of,
        }
    }
}

/// How a customer pays. The mix is what the credit team sees in practice:
/// most pay, some pay late but always, a few are unpredictable, some get
/// worse, and a handful stop paying.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Behaviour {
    Punctual,
    SlowButSteady,
    Chaotic,
    Deteriorating,
    Defaulter,
}

impl Behaviour {
    pub fn as_str(self) -> &'static str {
        match self {
            Behaviour::Punctual => "punctual",
            Behaviour::SlowButSteady => "slow-but-steady",
            Behaviour::Chaotic => "chaotic",
            Behaviour::Deteriorating => "deteriorating",
            Behaviour::Defaulter => "defaulter",
        }
    }
}

/// Industry: SBI code, words for company names, and how late the industry
/// typically pays (days) and how erratic it is.
struct Industry {
    sbi: &'static str,
    trades: &'static [&'static str],
    extra_days: f64,
    spread: f64,
    weight: u32,
}

const INDUSTRIES: &[Industry] = &[
    Industry {
        sbi: "4120",
        trades: &["Bouwbedrijf", "Aannemersbedrijf", "Bouwgroep"],
        extra_days: 9.0,
        spread: 1.4,
        weight: 12,
    },
    Industry {
        sbi: "4321",
        trades: &[
            "Elektrotechniek",
            "Installatietechniek",
            "Installatiebedrijf",
        ],
        extra_days: 6.0,
        spread: 1.2,
        weight: 9,
    },
    Industry {
        sbi: "4690",
        trades: &["Groothandel", "Handelsonderneming", "Import & Export"],
        extra_days: 3.0,
        spread: 1.0,
        weight: 12,
    },
    Industry {
        sbi: "4711",
        trades: &["Supermarkt", "Winkel", "Versmarkt"],
        extra_days: 1.0,
        spread: 0.8,
        weight: 7,
    },
    Industry {
        sbi: "5610",
        trades: &["Restaurant", "Eetcafé", "Brasserie", "Hotel"],
        extra_days: 6.0,
        spread: 1.8,
        weight: 9,
    },
    Industry {
        sbi: "6201",
        trades: &["Software", "IT Solutions", "Digital"],
        extra_days: 0.0,
        spread: 0.8,
        weight: 9,
    },
    Industry {
        sbi: "6920",
        trades: &["Accountants", "Administratiekantoor", "Belastingadvies"],
        extra_days: -1.0,
        spread: 0.6,
        weight: 6,
    },
    Industry {
        sbi: "4941",
        trades: &["Transport", "Logistiek", "Koeriersdienst"],
        extra_days: 7.0,
        spread: 1.3,
        weight: 9,
    },
    Industry {
        sbi: "8621",
        trades: &["Huisartsenpraktijk", "Gezondheidscentrum", "Fysiotherapie"],
        extra_days: 2.0,
        spread: 0.7,
        weight: 5,
    },
    Industry {
        sbi: "2511",
        trades: &["Metaalbewerking", "Constructiebedrijf", "Staalbouw"],
        extra_days: 5.0,
        spread: 1.0,
        weight: 7,
    },
    Industry {
        sbi: "7022",
        trades: &["Consultancy", "Adviesgroep", "Management Partners"],
        extra_days: 2.0,
        spread: 1.0,
        weight: 7,
    },
    Industry {
        sbi: "8411",
        trades: &["Gemeente", "Waterschap", "Omgevingsdienst"],
        extra_days: 14.0,
        spread: 0.5,
        weight: 3,
    },
    Industry {
        sbi: "0113",
        trades: &["Kwekerij", "Tuinderij", "Agrarisch Bedrijf"],
        extra_days: 4.0,
        spread: 1.1,
        weight: 5,
    },
];

const SURNAMES: &[&str] = &[
    "De Vries",
    "Jansen",
    "Van den Berg",
    "Bakker",
    "Visser",
    "Smit",
    "Meijer",
    "De Boer",
    "Mulder",
    "De Groot",
    "Bos",
    "Vos",
    "Peters",
    "Hendriks",
    "Van Leeuwen",
    "Dekker",
    "Brouwer",
    "De Wit",
    "Dijkstra",
    "Smits",
    "De Graaf",
    "Van der Meer",
    "Van der Linden",
    "Kok",
    "Jacobs",
    "De Haan",
    "Vermeulen",
    "Van den Heuvel",
    "Van der Veen",
    "Van den Broek",
    "De Bruijn",
    "De Jong",
    "Van Dijk",
    "Janssen",
    "Willems",
    "Schouten",
    "Hoekstra",
    "Koster",
    "Prins",
    "Huisman",
    "Kuipers",
    "Van Beek",
    "Postma",
    "Verbeek",
    "Van Vliet",
];
const FIRST_NAMES: &[&str] = &[
    "Anna", "Bram", "Daan", "Emma", "Fleur", "Gijs", "Hanna", "Iris", "Jesse", "Julia", "Lars",
    "Lotte", "Maarten", "Noor", "Pieter", "Roos", "Sanne", "Sem", "Tess", "Thijs", "Vera",
    "Wouter", "Yara", "Zoë", "Ahmed", "Fatima", "Mohamed", "Priya", "Chen", "Ilse",
];
const STREETS: &[&str] = &[
    "Hoofdstraat",
    "Kerkstraat",
    "Dorpsstraat",
    "Stationsweg",
    "Molenweg",
    "Industrieweg",
    "Schoolstraat",
    "Nieuwstraat",
    "Marktplein",
    "Havenweg",
    "Kanaalweg",
    "Beatrixlaan",
    "Julianastraat",
    "Parallelweg",
];
const CITIES: &[(&str, &str)] = &[
    ("1011", "Amsterdam"),
    ("3011", "Rotterdam"),
    ("2511", "Den Haag"),
    ("3511", "Utrecht"),
    ("5611", "Eindhoven"),
    ("9711", "Groningen"),
    ("5011", "Tilburg"),
    ("1311", "Almere"),
    ("4811", "Breda"),
    ("6511", "Nijmegen"),
    ("6811", "Arnhem"),
    ("2011", "Haarlem"),
    ("7511", "Enschede"),
    ("8011", "Zwolle"),
    ("3811", "Amersfoort"),
    ("5211", "'s-Hertogenbosch"),
    ("6211", "Maastricht"),
    ("2311", "Leiden"),
    ("7411", "Deventer"),
    ("8911", "Leeuwarden"),
];
const BANKS: &[&str] = &[
    "ABNA", "INGB", "RABO", "TRIO", "SNSB", "KNAB", "BUNQ", "ASNB",
];
const MANAGERS: &[&str] = &[
    "Sanne de Boer",
    "Mark Visser",
    "Eva Jansen",
    "Tim Hendriks",
    "Laura Bakker",
    "Joost Mulder",
    "Nina Smit",
    "Rick de Groot",
    "Femke Dekker",
    "Bas van Dijk",
    "Ilse Kok",
    "Koen Willems",
];

/// One invoice of a generated history, with how and when it gets paid.
struct DemoInvoice {
    invoice: Invoice,
    payments: Vec<DemoPayment>,
    credit_note: Option<Invoice>,
    with_reference: bool,
}

struct DemoPayment {
    date: Date,
    amount: Money,
    /// Whether the payer named the invoice.
    named: bool,
}

/// Receives generated records.
pub trait Sink {
    fn account_manager(&mut self, manager: &AccountManager) -> Result<AccountManagerId>;
    fn customer(
        &mut self,
        customer: &Customer,
        manager: Option<&AccountManager>,
    ) -> Result<CustomerId>;
    fn invoice(&mut self, invoice: &Invoice, customer_number: &str) -> Result<InvoiceId>;
    fn payment(
        &mut self,
        payment: &Payment,
        customer_number: &str,
        invoice_number: Option<&str>,
    ) -> Result<PaymentId>;
    /// Whether the sink wants allocations (a store does; CSV files do not:
    /// the importer will make them).
    fn wants_allocations(&self) -> bool;
    fn allocation(&mut self, allocation: &Allocation) -> Result<()>;
}

/// Counts of what was generated.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct DemoCounts {
    pub account_managers: u64,
    pub customers: u64,
    pub invoices: u64,
    pub credit_notes: u64,
    pub payments: u64,
    /// Collection the demo set up on the database (not in CSV exports).
    #[serde(skip_serializing_if = "is_default")]
    pub agreements: AgreementCounts,
}

fn is_default(counts: &AgreementCounts) -> bool {
    *counts == AgreementCounts::default()
}

/// One generated customer with their history.
struct Generated {
    customer: Customer,
    manager: Option<usize>,
    history: Vec<DemoInvoice>,
}

/// Generates the demo ledger into `sink`. Documents are numbered in date
/// order (as an accounting package numbers them) and written in date order,
/// like a real export.
pub fn generate(
    config: &DemoConfig,
    sink: &mut dyn Sink,
    progress: &dyn Progress,
) -> Result<DemoCounts> {
    let root = Rng::new(config.seed);
    let mut counts = DemoCounts::default();
    let n_managers = match config.customers {
        0..=500 => 4,
        501..=5_000 => 8,
        _ => MANAGERS.len(),
    };
    let mut managers = Vec::new();
    for name in &MANAGERS[..n_managers] {
        let manager = AccountManager {
            name: name.to_string(),
            email: Email::parse(&format!(
                "{}@tegoed-demo.example",
                name.to_lowercase().replace(' ', ".")
            ))
            .ok(),
        };
        let id = sink.account_manager(&manager)?;
        managers.push((id, manager));
        counts.account_managers += 1;
    }
    let history_start = config.as_of.add_months(-DemoConfig::HISTORY_MONTHS);
    let mut generated: Vec<Generated> = Vec::with_capacity(config.customers as usize);
    for idx in 0..config.customers {
        let mut rng = root.fork(u64::from(idx) + 1);
        let (mut customer, profile) = make_customer(&mut rng, idx);
        let manager = (customer.kind == CustomerKind::B2b || rng.chance(0.3))
            .then(|| rng.range(0, managers.len() as i64 - 1) as usize);
        customer.account_manager = manager.map(|m| managers[m].0);
        let history = make_history(&mut rng, &customer, &profile, history_start, config.as_of);
        generated.push(Generated {
            customer,
            manager,
            history,
        });
    }
    number_documents(&mut generated);

    progress.start("customers", generated.len() as u64);
    let mut customer_ids = Vec::with_capacity(generated.len());
    for g in &generated {
        let manager = g.manager.map(|m| &managers[m].1);
        customer_ids.push(sink.customer(&g.customer, manager)?);
        counts.customers += 1;
        progress.advance(1);
    }
    progress.finish();
    write_events(sink, &generated, &customer_ids, &mut counts, progress)?;
    Ok(counts)
}

/// Numbers invoices and credit notes in issue-date order: invoices
/// `YYYY-NNNNNNN`, credit notes `CN-YYYY-NNNNN`, with a betalingskenmerk on
/// most invoices; credit notes then name their invoice by its number.
fn number_documents(generated: &mut [Generated]) {
    let mut order: Vec<(Date, u32, u32)> = Vec::new();
    for (c, g) in generated.iter().enumerate() {
        for (i, item) in g.history.iter().enumerate() {
            order.push((item.invoice.issue_date, c as u32, i as u32));
        }
    }
    order.sort_unstable();
    for (seq, (date, c, i)) in order.iter().enumerate() {
        let seq = seq as u64 + 1;
        let item = &mut generated[*c as usize].history[*i as usize];
        item.invoice.number = format!("{}-{seq:07}", date.year());
        if item.with_reference {
            item.invoice.payment_reference =
                Some(PaymentReference::betalingskenmerk_for(seq * 10 + 7));
        }
        if let Some(cn) = &mut item.credit_note {
            cn.credits_invoice = Some(item.invoice.number.clone());
            cn.description = Some(format!("Creditnota bij factuur {}", item.invoice.number));
        }
    }
    let mut credit_order: Vec<(Date, u32, u32)> = Vec::new();
    for (c, g) in generated.iter().enumerate() {
        for (i, item) in g.history.iter().enumerate() {
            if let Some(cn) = &item.credit_note {
                credit_order.push((cn.issue_date, c as u32, i as u32));
            }
        }
    }
    credit_order.sort_unstable();
    for (seq, (date, c, i)) in credit_order.iter().enumerate() {
        if let Some(cn) = &mut generated[*c as usize].history[*i as usize].credit_note {
            cn.number = format!("CN-{}-{:05}", date.year(), seq + 1);
        }
    }
}

fn make_customer(rng: &mut Rng, idx: u32) -> (Customer, Profile) {
    let number = format!("C{:06}", idx + 1);
    let b2c = rng.chance(0.2);
    let behaviour = *rng.weighted(&[
        (46, Behaviour::Punctual),
        (26, Behaviour::SlowButSteady),
        (14, Behaviour::Chaotic),
        (10, Behaviour::Deteriorating),
        (4, Behaviour::Defaulter),
    ]);
    let surname = *rng.pick(SURNAMES);
    let first = *rng.pick(FIRST_NAMES);
    let (postal, city) = *rng.pick(CITIES);
    let mut customer;
    let industry;
    if b2c {
        industry = None;
        customer = Customer::new(number, format!("{first} {surname}"));
        customer.kind = CustomerKind::B2c;
        customer.payment_terms_days = 14;
        customer.email = Email::parse(&format!(
            "{}.{}{}@mail.example",
            first.to_lowercase(),
            slug(surname),
            idx % 100
        ))
        .ok();
        customer.phone = Some(format!(
            "+31 6 {:04} {:04}",
            rng.range(1000, 9999),
            rng.range(0, 9999)
        ));
    } else {
        let weights: Vec<(u32, usize)> = INDUSTRIES
            .iter()
            .enumerate()
            .map(|(i, ind)| (ind.weight, i))
            .collect();
        let ind = &INDUSTRIES[*rng.weighted(&weights)];
        industry = Some(ind);
        let trade = *rng.pick(ind.trades);
        let form = *rng.pick(&["B.V.", "B.V.", "", "V.O.F.", "& Zn."]);
        let name = if rng.chance(0.5) {
            format!("{trade} {surname} {form}")
        } else {
            format!("{surname} {trade} {form}")
        };
        customer = Customer::new(number, name.trim().to_string());
        customer.industry = SbiCode::parse(ind.sbi).ok();
        customer.payment_terms_days = *rng.weighted(&[(60, 30), (25, 14), (10, 60), (5, 45)]);
        let domain = format!("{}-{}.example", slug(surname), slug(trade));
        customer.email = Email::parse(&format!(
            "{}@{domain}",
            rng.pick(&["administratie", "crediteuren", "finance", "info"])
        ))
        .ok();
        customer.phone = Some(format!(
            "+31 {} {:03} {:04}",
            rng.range(10, 79),
            rng.range(100, 999),
            rng.range(0, 9999)
        ));
        customer.kvk = KvkNumber::parse(&format!("{:08}", rng.range(10_000_000, 99_999_999))).ok();
        customer.vat_number =
            VatNumber::parse(&format!("NL{:09}B01", rng.range(100_000_000, 999_999_999))).ok();
    }
    customer.language = if rng.chance(0.9) {
        Language::Nl
    } else {
        Language::En
    };
    customer.address = Address {
        street: Some(format!("{} {}", rng.pick(STREETS), rng.range(1, 250))),
        postal_code: Some(format!(
            "{} {}{}",
            postal,
            char::from(b'A' + rng.range(0, 25) as u8),
            char::from(b'A' + rng.range(0, 25) as u8)
        )),
        city: Some(city.to_string()),
        country: "NL".to_string(),
    };
    let bban = format!(
        "{}{:010}",
        rng.pick(BANKS),
        rng.range(100_000_000, 9_999_999_999)
    );
    if let Ok(iban) = Iban::from_bban("NL", &bban) {
        customer.ibans.push(iban);
    }
    let base_amount: f64 = if b2c {
        (4.0 + 1.0 * rng.normal()).exp().clamp(25.0, 2_500.0)
    } else {
        (7.0 + 1.1 * rng.normal()).exp().clamp(150.0, 60_000.0)
    };
    // Limits are set for businesses, roughly three months of invoices,
    // rounded to a thousand; consumers have none.
    if !b2c {
        let limit = ((base_amount * 3.5 / 1_000.0).ceil() * 1_000.0) as i64;
        customer.credit_limit = Some(Money::eur(limit.max(1_000) * 100));
    }
    (
        customer,
        Profile {
            behaviour,
            industry,
            base_amount,
        },
    )
}

/// How a generated customer buys and pays.
struct Profile {
    behaviour: Behaviour,
    industry: Option<&'static Industry>,
    /// Typical invoice amount in euros.
    base_amount: f64,
}

fn slug(text: &str) -> String {
    text.to_lowercase()
        .chars()
        .filter_map(|c| match c {
            'a'..='z' | '0'..='9' => Some(c),
            'é' | 'ë' => Some('e'),
            ' ' | '-' => Some('-'),
            _ => None,
        })
        .collect::<String>()
        .trim_matches('-')
        .to_string()
}

/// Days after the due date this invoice gets paid, or `None` if never.
fn lateness(
    rng: &mut Rng,
    behaviour: Behaviour,
    industry: Option<&Industry>,
    kind: CustomerKind,
    due: Date,
    turn: Date,
) -> Option<i32> {
    let (extra, spread) = industry.map_or((0.0, 1.0), |i| (i.extra_days, i.spread));
    let days = match behaviour {
        Behaviour::Punctual => {
            if rng.chance(0.06) {
                rng.range(5, 25) as f64
            } else {
                -2.0 + 3.0 * rng.normal()
            }
        }
        Behaviour::SlowButSteady => 22.0 + 7.0 * spread * rng.normal(),
        Behaviour::Chaotic => match rng.unit() {
            u if u < 0.40 => 4.0 * rng.normal(),
            u if u < 0.75 => rng.range(10, 45) as f64,
            _ => rng.range(45, 150) as f64,
        },
        Behaviour::Deteriorating => {
            if due < turn {
                -1.0 + 4.0 * rng.normal()
            } else {
                let weeks = f64::from(turn.days_until(due)) / 7.0;
                if weeks > 26.0 && rng.chance(0.35) {
                    return None;
                }
                5.0 + 2.2 * weeks + 10.0 * rng.normal()
            }
        }
        Behaviour::Defaulter => {
            if due >= turn {
                return None;
            }
            12.0 + 12.0 * rng.normal().abs()
        }
    };
    let consumer_forgets = kind == CustomerKind::B2c && rng.chance(0.12);
    let days = days
        + extra * spread.max(0.5)
        + if consumer_forgets {
            rng.range(15, 60) as f64
        } else {
            0.0
        };
    Some(days.round().clamp(-14.0, 400.0) as i32)
}

fn make_history(
    rng: &mut Rng,
    customer: &Customer,
    profile: &Profile,
    history_start: Date,
    as_of: Date,
) -> Vec<DemoInvoice> {
    let (behaviour, industry, base_amount) =
        (profile.behaviour, profile.industry, profile.base_amount);
    let window = history_start.days_until(as_of);
    // Half the customers were already there; the others arrived later, some
    // only in the last months ("new customers").
    let start = if rng.chance(0.5) {
        history_start.add_days(rng.range(0, 20) as i32)
    } else {
        history_start.add_days(rng.range(20, i64::from(window) - 10) as i32)
    };
    let b2c = customer.kind == CustomerKind::B2c;
    let (step_days, jitter, max_count) = if b2c {
        (rng.range(90, 240) as i32, 30, rng.range(1, 4) as usize)
    } else {
        *rng.weighted(&[
            (35, (30, 3, usize::MAX)),
            (5, (14, 2, usize::MAX)),
            (35, (91, 10, usize::MAX)),
            (25, (70, 35, usize::MAX)),
        ])
    };
    // A deteriorating customer turns somewhere in the last 40–80% of the
    // window; a defaulter stops paying in the last year.
    let turn = match behaviour {
        Behaviour::Deteriorating => {
            as_of.add_days(-(rng.range(i64::from(window) / 5, i64::from(window) * 3 / 5) as i32))
        }
        Behaviour::Defaulter => as_of.add_days(-(rng.range(30, 240) as i32)),
        _ => as_of.add_days(1),
    };
    let mut history = Vec::new();
    let mut date = start;
    while date <= as_of && history.len() < max_count {
        let amount_minor = ((base_amount * (0.7 + 0.6 * rng.unit())) * 100.0).round() as i64;
        let due = date.add_days(customer.payment_terms_days as i32);
        let with_reference = rng.chance(0.7);
        // Numbers, references and customer ids are filled in when written.
        let invoice = Invoice {
            number: String::new(),
            customer: CustomerId(0),
            issue_date: date,
            due_date: due,
            amount: Money::eur(amount_minor.max(1_000)),
            payment_reference: None,
            description: Some(if b2c {
                format!("Bestelling {}", rng.range(10_000, 99_999))
            } else {
                format!("Levering en diensten {}", month_name(date.month()))
            }),
            credits_invoice: None,
        };
        let mut open = invoice.amount.minor;
        // Some invoices get a credit note: a return, a price correction.
        let credit_note = if rng.chance(0.03) {
            let credit_date = date.add_days(rng.range(3, 20) as i32);
            let share = if rng.chance(0.3) {
                1.0
            } else {
                0.1 + 0.5 * rng.unit()
            };
            let credit_minor = ((invoice.amount.minor as f64) * share).round() as i64;
            (credit_date <= as_of && credit_minor > 0).then(|| {
                open -= credit_minor;
                Invoice {
                    number: String::new(),
                    customer: CustomerId(0),
                    issue_date: credit_date,
                    due_date: credit_date,
                    amount: Money::eur(-credit_minor),
                    payment_reference: None,
                    description: None,
                    credits_invoice: None,
                }
            })
        } else {
            None
        };
        let mut payments = Vec::new();
        if open > 0
            && let Some(late) = lateness(rng, behaviour, industry, customer.kind, due, turn)
        {
            let pay_date = due.add_days(late).max(date.add_days(1));
            let pay_date = match &credit_note {
                Some(cn) => pay_date.max(cn.issue_date),
                None => pay_date,
            };
            // Customers who pay in order may leave the invoice number out;
            // the importer then applies the money oldest-first, as intended.
            let in_order = matches!(behaviour, Behaviour::Punctual | Behaviour::SlowButSteady);
            let named = !(in_order && rng.chance(0.15));
            if rng.chance(0.05) && open > 2_000 {
                // Paid in two parts.
                let first = (open as f64 * (0.4 + 0.2 * rng.unit())).round() as i64;
                payments.push(DemoPayment {
                    date: pay_date,
                    amount: Money::eur(first),
                    named,
                });
                let second_date = pay_date.add_days(rng.range(10, 45) as i32);
                payments.push(DemoPayment {
                    date: second_date,
                    amount: Money::eur(open - first),
                    named,
                });
            } else if rng.chance(0.01) {
                // Paid twice, or rounded up: the rest is credit.
                let extra = if rng.chance(0.3) {
                    open
                } else {
                    rng.range(1, 5_000)
                };
                payments.push(DemoPayment {
                    date: pay_date,
                    amount: Money::eur(open + extra),
                    named: true,
                });
            } else {
                payments.push(DemoPayment {
                    date: pay_date,
                    amount: Money::eur(open),
                    named,
                });
            }
            payments.retain(|p| p.date <= as_of);
        }
        history.push(DemoInvoice {
            invoice,
            payments,
            credit_note,
            with_reference,
        });
        date = date
            .add_days(step_days + rng.range(-i64::from(jitter), i64::from(jitter)) as i32)
            .max(date.add_days(7));
    }
    history
}

/// The Dutch name of a month (the demo's invoice descriptions).
fn month_name(month: u32) -> &'static str {
    crate::format::month_name(month, tegoed_core::Language::Nl)
}

/// Writes all documents and payments in date order (invoices before credit
/// notes before payments on the same day), posting credit notes and payments
/// per customer with the core allocation rules.
fn write_events(
    sink: &mut dyn Sink,
    generated: &[Generated],
    customer_ids: &[CustomerId],
    counts: &mut DemoCounts,
    progress: &dyn Progress,
) -> Result<()> {
    #[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
    enum Kind {
        Invoice,
        CreditNote,
        Payment(u32),
    }
    let mut events: Vec<(Date, Kind, u32, u32)> = Vec::new();
    for (c, g) in generated.iter().enumerate() {
        for (i, item) in g.history.iter().enumerate() {
            events.push((item.invoice.issue_date, Kind::Invoice, c as u32, i as u32));
            if let Some(cn) = &item.credit_note {
                events.push((cn.issue_date, Kind::CreditNote, c as u32, i as u32));
            }
            for (p, payment) in item.payments.iter().enumerate() {
                events.push((payment.date, Kind::Payment(p as u32), c as u32, i as u32));
            }
        }
    }
    events.sort_unstable_by_key(|(date, kind, c, i)| {
        let rank = match kind {
            Kind::Invoice => 0,
            Kind::CreditNote => 1,
            Kind::Payment(_) => 2,
        };
        (*date, rank, *c, *i, *kind)
    });
    let mut ids: Vec<Vec<Option<InvoiceId>>> = generated
        .iter()
        .map(|g| vec![None; g.history.len()])
        .collect();
    let mut open: Vec<Vec<OpenItem>> = vec![Vec::new(); generated.len()];
    let posting = sink.wants_allocations();
    let mut payment_seq = 0u64;
    progress.start("documents", events.len() as u64);
    for (date, kind, c, i) in events {
        let (c, i) = (c as usize, i as usize);
        let g = &generated[c];
        let customer = &g.customer;
        let customer_id = customer_ids[c];
        let item = &g.history[i];
        let open = &mut open[c];
        match kind {
            Kind::Invoice => {
                let invoice = Invoice {
                    customer: customer_id,
                    ..item.invoice.clone()
                };
                let id = sink.invoice(&invoice, &customer.number)?;
                ids[c][i] = Some(id);
                counts.invoices += 1;
                open.push(OpenItem {
                    invoice: id,
                    issue_date: invoice.issue_date,
                    due_date: invoice.due_date,
                    open: invoice.amount,
                });
            }
            Kind::CreditNote => {
                let cn = item
                    .credit_note
                    .as_ref()
                    .expect("event only for credit notes");
                let cn = Invoice {
                    customer: customer_id,
                    ..cn.clone()
                };
                let cn_id = sink.invoice(&cn, &customer.number)?;
                counts.credit_notes += 1;
                if posting && let Some(target) = ids[c][i] {
                    let plan =
                        allocation::allocate(open, cn.amount.abs(), Target::Invoices(&[target]));
                    allocation::apply(open, &plan);
                    for (invoice, amount_minor) in plan.parts {
                        sink.allocation(&Allocation {
                            invoice,
                            source: AllocationSource::CreditNote(cn_id),
                            amount_minor,
                            date,
                        })?;
                    }
                }
            }
            Kind::Payment(p) => {
                let demo = &item.payments[p as usize];
                payment_seq += 1;
                let invoice_id = ids[c][i].filter(|_| demo.named);
                let payment = Payment {
                    external_id: format!("PAY-{payment_seq:08}"),
                    date: demo.date,
                    amount: demo.amount,
                    customer: Some(customer_id),
                    invoice: invoice_id,
                    reference: Some(if demo.named {
                        item.invoice
                            .payment_reference
                            .as_ref()
                            .map(|r| r.as_str().to_string())
                            .unwrap_or_else(|| format!("Factuur {}", item.invoice.number))
                    } else {
                        format!("Betaling {}", customer.name)
                    }),
                    counterparty_iban: customer.ibans.first().cloned(),
                    counterparty_name: Some(customer.name.clone()),
                    source: PaymentSource::Csv,
                    end_to_end_id: None,
                    bank_account: None,
                };
                let invoice_number = demo.named.then_some(item.invoice.number.as_str());
                let payment_id = sink.payment(&payment, &customer.number, invoice_number)?;
                counts.payments += 1;
                if posting {
                    let named: Vec<InvoiceId> = invoice_id.into_iter().collect();
                    let target = if named.is_empty() {
                        Target::OldestFirst
                    } else {
                        Target::Invoices(&named)
                    };
                    let plan = allocation::allocate(open, demo.amount, target);
                    let dates: Vec<Date> = plan
                        .parts
                        .iter()
                        .map(|(id, _)| {
                            open.iter()
                                .find(|o| o.invoice == *id)
                                .map_or(date, |o| o.issue_date.max(date))
                        })
                        .collect();
                    allocation::apply(open, &plan);
                    for ((invoice, amount_minor), date) in plan.parts.into_iter().zip(dates) {
                        sink.allocation(&Allocation {
                            invoice,
                            source: AllocationSource::Payment(payment_id),
                            amount_minor,
                            date,
                        })?;
                    }
                }
            }
        }
        progress.advance(1);
    }
    progress.finish();
    Ok(())
}

/// Writes straight into a store, inside the caller's transaction.
pub struct StoreSink<'a> {
    tx: &'a mut dyn WriteTx,
}

impl<'a> StoreSink<'a> {
    pub fn new(tx: &'a mut dyn WriteTx) -> StoreSink<'a> {
        StoreSink { tx }
    }
}

impl Sink for StoreSink<'_> {
    fn account_manager(&mut self, manager: &AccountManager) -> Result<AccountManagerId> {
        Ok(self.tx.insert_account_manager(manager)?)
    }

    fn customer(
        &mut self,
        customer: &Customer,
        _manager: Option<&AccountManager>,
    ) -> Result<CustomerId> {
        Ok(self.tx.insert_customer(customer)?)
    }

    fn invoice(&mut self, invoice: &Invoice, _customer_number: &str) -> Result<InvoiceId> {
        Ok(self.tx.insert_invoice(invoice)?)
    }

    fn payment(
        &mut self,
        payment: &Payment,
        _customer: &str,
        _invoice: Option<&str>,
    ) -> Result<PaymentId> {
        Ok(self.tx.insert_payment(payment)?)
    }

    fn wants_allocations(&self) -> bool {
        true
    }

    fn allocation(&mut self, allocation: &Allocation) -> Result<()> {
        Ok(self.tx.insert_allocation(allocation)?)
    }
}

/// Writes the canonical CSV files `customers.csv`, `invoices.csv` and
/// `payments.csv`.
pub struct CsvSink<W: Write> {
    customers: CsvWriter<W>,
    invoices: CsvWriter<W>,
    payments: CsvWriter<W>,
    next_customer: i64,
    next_invoice: i64,
    next_payment: i64,
}

/// Required then optional columns: the header the writer uses.
fn header(cols: (&'static [&'static str], &'static [&'static str])) -> Vec<&'static str> {
    cols.0.iter().chain(cols.1).copied().collect()
}

impl<W: Write> CsvSink<W> {
    pub fn new(customers: W, invoices: W, payments: W) -> std::io::Result<CsvSink<W>> {
        Ok(CsvSink {
            customers: CsvWriter::new(customers, &header(CUSTOMER_COLUMNS))?,
            invoices: CsvWriter::new(invoices, &header(INVOICE_COLUMNS))?,
            payments: CsvWriter::new(payments, &header(PAYMENT_COLUMNS))?,
            next_customer: 0,
            next_invoice: 0,
            next_payment: 0,
        })
    }

    pub fn finish(self) -> std::io::Result<()> {
        self.customers.finish()?;
        self.invoices.finish()?;
        self.payments.finish()
    }
}

fn io(e: std::io::Error) -> crate::error::AppError {
    crate::error::AppError::Invalid(format!("cannot write the CSV files: {e}"))
}

impl<W: Write> Sink for CsvSink<W> {
    fn account_manager(&mut self, _manager: &AccountManager) -> Result<AccountManagerId> {
        // Account managers travel in the customers file, by e-mail.
        Ok(AccountManagerId(0))
    }

    fn customer(&mut self, c: &Customer, manager: Option<&AccountManager>) -> Result<CustomerId> {
        let opt = |v: Option<&str>| v.unwrap_or("").to_string();
        let ibans: Vec<&str> = c.ibans.iter().map(Iban::as_str).collect();
        self.customers
            .row([
                c.number.clone(),
                c.name.clone(),
                c.kind.as_str().to_string(),
                opt(c.email.as_ref().map(|e| e.as_str())),
                opt(c.phone.as_deref()),
                c.language.as_str().to_string(),
                opt(c.industry.as_ref().map(|s| s.as_str())),
                opt(manager.and_then(|m| m.email.as_ref()).map(|e| e.as_str())),
                c.credit_limit
                    .map(|m| m.to_decimal_string())
                    .unwrap_or_default(),
                c.payment_terms_days.to_string(),
                ibans.join("|"),
                opt(c.kvk.as_ref().map(|k| k.as_str())),
                opt(c.vat_number.as_ref().map(|v| v.as_str())),
                opt(c.address.street.as_deref()),
                opt(c.address.postal_code.as_deref()),
                opt(c.address.city.as_deref()),
                c.address.country.clone(),
            ])
            .map_err(io)?;
        self.next_customer += 1;
        Ok(CustomerId(self.next_customer))
    }

    fn invoice(&mut self, i: &Invoice, customer_number: &str) -> Result<InvoiceId> {
        self.invoices
            .row([
                i.number.as_str(),
                customer_number,
                &i.issue_date.to_string(),
                &i.amount.to_decimal_string(),
                &i.due_date.to_string(),
                i.amount.currency.code(),
                i.payment_reference
                    .as_ref()
                    .map(|r| r.as_str())
                    .unwrap_or(""),
                i.description.as_deref().unwrap_or(""),
                i.credits_invoice.as_deref().unwrap_or(""),
            ])
            .map_err(io)?;
        self.next_invoice += 1;
        Ok(InvoiceId(self.next_invoice))
    }

    fn payment(
        &mut self,
        p: &Payment,
        customer_number: &str,
        invoice_number: Option<&str>,
    ) -> Result<PaymentId> {
        self.next_payment += 1;
        self.payments
            .row([
                p.external_id.as_str(),
                &p.date.to_string(),
                &p.amount.to_decimal_string(),
                p.amount.currency.code(),
                customer_number,
                invoice_number.unwrap_or(""),
                p.reference.as_deref().unwrap_or(""),
                p.counterparty_iban
                    .as_ref()
                    .map(|i| i.as_str())
                    .unwrap_or(""),
                p.counterparty_name.as_deref().unwrap_or(""),
            ])
            .map_err(io)?;
        Ok(PaymentId(self.next_payment))
    }

    fn wants_allocations(&self) -> bool {
        false
    }

    fn allocation(&mut self, _allocation: &Allocation) -> Result<()> {
        Ok(())
    }
}

/// What `fill` did.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum DemoOutcome {
    Generated(DemoCounts),
    /// The database already held customers; nothing was added, so running
    /// the demo twice never duplicates anything.
    AlreadyFilled {
        customers: u64,
    },
}

/// Fills an empty store with demo data in one transaction: a crash halfway
/// leaves the store empty, not half-filled.
///
/// All in `tx`: the ledger, the agreements and the audit line, so a demo is
/// there completely or not at all.
pub fn fill(
    tx: &mut dyn WriteTx,
    actor: &crate::access::Actor,
    config: &DemoConfig,
    progress: &dyn Progress,
) -> Result<DemoOutcome> {
    actor.require(crate::access::Action::Import, None)?;
    let existing = tx.customer_count()?;
    if existing > 0 {
        return Ok(DemoOutcome::AlreadyFilled {
            customers: existing,
        });
    }
    // Nothing is read back while the ledger is generated: every row goes
    // in as one bulk load (COPY on PostgreSQL, indexes built once at the
    // end on SQLite).
    tx.begin_bulk_load(&BulkTable::ALL)?;
    let mut counts = generate(config, &mut StoreSink::new(tx), progress)?;
    tx.end_bulk_load()?;
    counts.agreements = seed_collection(tx, config)?;
    let kept = seed_kept_deals(tx, config)?;
    counts.agreements.promises += kept.promises;
    counts.agreements.plans += kept.plans;
    seed_portal(tx, config)?;
    // Who kept their deal: the suggestions a team would see today.
    crate::appreciation::refresh(
        tx,
        &tegoed_core::appreciation::Rules::default(),
        config.as_of,
    )?;
    actor.audit(
        tx,
        "demo.fill",
        &config.as_of.to_string(),
        Detail::none()
            .number(Label::Customers, counts.customers)
            .number(Label::Invoices, counts.invoices)
            .number(Label::Payments, counts.payments),
    )?;
    Ok(DemoOutcome::Generated(counts))
}

/// What customers did on their own page in the last two days: one says
/// they paid, two promise a date (one within the limits, one beyond), one
/// reports a problem, one asks for a plan and one to be called — through
/// the portal's own use case, so the demo shows the feature on day one as
/// it works. Deterministic: the first customers (by number) with something
/// overdue and nothing agreed or disputed yet.
fn seed_portal(tx: &mut dyn WriteTx, demo: &DemoConfig) -> Result<()> {
    use crate::portal::{self, Ask};
    use tegoed_core::portal::{Contact, DayPart, Problem};
    let config = crate::config::Config::default_in(std::path::Path::new("."));
    let as_of = demo.as_of;
    let mut busy: rustc_hash::FxHashSet<CustomerId> = rustc_hash::FxHashSet::default();
    busy.extend(
        tx.disputes(None, true)?
            .into_iter()
            .map(|d| d.dispute.customer),
    );
    busy.extend(
        tx.promises(None, true)?
            .into_iter()
            .map(|p| p.promise.customer),
    );
    busy.extend(tx.plans(None, true)?.into_iter().map(|p| p.plan.customer));
    let mut directory = tx.customer_directory()?;
    directory.sort_by(|a, b| a.number.cmp(&b.number));
    let mut candidates = Vec::new();
    for brief in directory {
        if candidates.len() == 6 {
            break;
        }
        let Some(stored) = tx.customer_by_number(&brief.number)? else {
            continue;
        };
        if busy.contains(&stored.id) || tx.collection_state(stored.id)?.handed_off_on.is_some() {
            continue;
        }
        let overdue: Vec<_> = tx
            .customer_documents(stored.id, as_of)?
            .into_iter()
            .filter(|d| {
                d.invoice.amount.minor > 0
                    && d.open_minor > 0
                    // Overdue on both days the requests are made.
                    && d.invoice.due_date < as_of.add_days(-1)
                    && d.invoice.amount.currency == tegoed_core::Currency::EUR
            })
            .collect();
        let total: i64 = overdue.iter().map(|d| d.open_minor).sum();
        if let Some(first) = overdue.first()
            && total <= config.portal.limits.plan_max_total_minor
        {
            candidates.push((stored, first.invoice.number.clone(), total));
        }
    }
    let note = |text: &str| Some(text.to_string());
    for (i, (stored, invoice, total)) in candidates.into_iter().enumerate() {
        let day = as_of.add_days(-((i % 2) as i32));
        let ask = match i {
            0 => Ask::Paid {
                on: day.add_days(-1),
                amount_minor: total,
                note: note("Betaald vanaf de rekening van onze holding."),
            },
            1 => Ask::Promise {
                on: day.add_days(10),
                amount_minor: total,
                note: None,
            },
            2 => Ask::Problem {
                invoice,
                problem: Problem::DeliveryIncomplete,
                note: note("Twee dozen ontbreken nog."),
            },
            3 => Ask::Contact {
                how: Contact::Phone,
                when: DayPart::Morning,
                phone: stored.customer.phone.clone(),
                note: note("Graag even bellen over de laatste factuur."),
            },
            4 => Ask::Promise {
                on: day.add_days(45),
                amount_minor: total,
                note: note("Na de uitbetaling van de subsidie."),
            },
            _ => Ask::Plan {
                instalments: 3,
                first: day.add_days(14),
                note: None,
            },
        };
        let at = i64::from(day.days_since_epoch()) * 86_400 + 9 * 3_600 + i as i64 * 1_800;
        let language = stored.customer.language;
        if let Err(e) = portal::act(tx, &config, &stored, &ask, None, language, day, at)? {
            return Err(crate::AppError::Invalid(format!(
                "demo portal request for {}: {}",
                stored.customer.number, e.message
            )));
        }
    }
    Ok(())
}

/// Disputes, promises, payment plans, pauses and tags made by the demo.
#[derive(Debug, Clone, Copy, Default, serde::Serialize, PartialEq, Eq)]
pub struct AgreementCounts {
    pub disputes: u64,
    pub promises: u64,
    pub plans: u64,
    pub pauses: u64,
    pub tags: u64,
}

const DISPUTE_REASONS: &[&str] = &[
    "Levering onvolledig ontvangen",
    "Prijs wijkt af van de offerte",
    "Werk nog niet afgerond volgens klant",
    "Factuur dubbel ontvangen",
    "Kwaliteit niet akkoord",
];
const PAUSE_REASONS: &[&str] = &[
    "Overname door nieuwe eigenaar; accountmanager in gesprek",
    "Klant in gesprek over nieuwe grote order",
    "Afspraak met de directeur na zijn vakantie",
];

/// What a credit team has going at any moment: a few disputes, promises to
/// pay, payment plans and pauses, and tags on some customers — so the demo
/// shows every part of collection. Deterministic for the seed.
fn seed_collection(tx: &mut dyn WriteTx, config: &DemoConfig) -> Result<AgreementCounts> {
    use tegoed_core::agreements::{PlanStatus, PromiseStatus};
    use tegoed_store::{CollectionState, Dispute, PaymentPlan, Promise, TimelineEvent};

    let as_of = config.as_of;
    let snapshot = crate::facts::snapshot(tx, as_of)?;
    let mut rng = Rng::new(config.seed).fork(0xC011);
    let mut counts = AgreementCounts::default();
    let event = |customer, kind: &str, ref_id, texts: (String, String)| TimelineEvent {
        author: Some("demo".into()),
        ..crate::agreements::event(customer, as_of, kind, None, ref_id, texts)
    };
    let nl = crate::agreements::date_nl;
    let eur_nl = |minor: i64| crate::agreements::eur_nl(minor, tegoed_core::Currency::EUR);
    for (idx, brief) in snapshot.customers.iter().enumerate() {
        let overdue: Vec<&crate::facts::OpenDoc> = snapshot.open[idx]
            .iter()
            .filter(|d| {
                d.amount_minor > 0
                    && d.open_minor > 0
                    && d.due_date < as_of
                    && d.currency == tegoed_core::Currency::EUR
            })
            .collect();
        let facts = &snapshot.facts[idx];
        if facts.revenue_12m_minor > 2_000_000 && rng.chance(0.08) {
            tx.add_tag(brief.id, "key_account")?;
            counts.tags += 1;
        }
        if overdue.is_empty() {
            continue;
        }
        let roll = rng.unit();
        let total: i64 = overdue.iter().map(|d| d.open_minor).sum();
        let created = as_of.add_days(-(rng.range(1, 6) as i32));
        if roll < 0.012 {
            let invoice = overdue[rng.range(0, overdue.len() as i64 - 1) as usize];
            let reason = *rng.pick(DISPUTE_REASONS);
            let id = tx.insert_dispute(&Dispute {
                invoice: invoice.invoice,
                customer: brief.id,
                opened_on: created,
                reason: reason.into(),
                resolved_on: None,
                resolution: None,
            })?;
            tx.add_event(&TimelineEvent {
                invoice: Some(invoice.invoice),
                ..event(
                    brief.id,
                    "dispute_opened",
                    Some(id),
                    (format!("Dispute: {reason}"), format!("Betwist: {reason}")),
                )
            })?;
            counts.disputes += 1;
        } else if roll < 0.024 {
            let promised_on = as_of.add_days(rng.range(2, 10) as i32);
            let id = tx.insert_promise(&Promise {
                customer: brief.id,
                created_on: created,
                amount: Money::eur(total),
                promised_on,
                status: PromiseStatus::Pending,
                status_on: None,
                note: Some("Toegezegd aan de telefoon".into()),
                invoices: overdue.iter().map(|d| d.invoice).collect(),
            })?;
            tx.add_event(&event(
                brief.id,
                "promise_made",
                Some(id),
                (
                    format!(
                        "Promised to pay {} by {promised_on}",
                        Money::eur(total).display()
                    ),
                    format!(
                        "Toegezegd: {} betalen uiterlijk {}",
                        eur_nl(total),
                        nl(promised_on)
                    ),
                ),
            ))?;
            counts.promises += 1;
        } else if roll < 0.030 && total >= 50_000 {
            let instalments = rng.range(3, 6) as u32;
            let first_due = as_of.add_days(rng.range(3, 14) as i32);
            let id = tx.insert_plan(&PaymentPlan {
                customer: brief.id,
                created_on: created,
                total: Money::eur(total),
                instalments,
                first_due,
                interval: "1m".into(),
                status: PlanStatus::Active,
                status_on: None,
                invoices: overdue.iter().map(|d| d.invoice).collect(),
            })?;
            tx.add_event(&event(
                brief.id,
                "plan_created",
                Some(id),
                (
                    format!(
                        "Payment plan: {} in {instalments} monthly instalments from {}",
                        Money::eur(total).display(),
                        crate::agreements::date_en(first_due)
                    ),
                    format!(
                        "Betalingsregeling: {} in {instalments} maandelijkse termijnen vanaf {}",
                        eur_nl(total),
                        nl(first_due)
                    ),
                ),
            ))?;
            counts.plans += 1;
        } else if roll < 0.034 {
            let reason = *rng.pick(PAUSE_REASONS);
            let until = as_of.add_days(rng.range(7, 21) as i32);
            tx.set_collection_state(
                brief.id,
                &CollectionState {
                    pause_until: Some(until),
                    pause_reason: Some(reason.into()),
                    ..CollectionState::default()
                },
            )?;
            tx.add_event(&event(
                brief.id,
                "pause",
                None,
                (
                    format!(
                        "Dunning paused until {}: {reason}",
                        crate::agreements::date_en(until)
                    ),
                    format!("Aanmaningen gepauzeerd tot en met {}: {reason}", nl(until)),
                ),
            ))?;
            counts.pauses += 1;
        } else if roll < 0.040 {
            tx.add_tag(brief.id, "watch")?;
            counts.tags += 1;
        }
    }
    Ok(counts)
}

/// Deals customers kept in the last weeks, true to the ledger: a promise
/// to pay an invoice that was late, kept on the day the money came; a
/// payment plan over two late invoices, completed when the second was paid.
/// (The appreciation suggestions and the thank-you have something real to
/// show.)
fn seed_kept_deals(tx: &mut dyn WriteTx, config: &DemoConfig) -> Result<AgreementCounts> {
    use tegoed_core::agreements::{PlanStatus, PromiseStatus};
    use tegoed_store::{PaymentPlan, Promise, TimelineEvent};

    let as_of = config.as_of;
    // Invoices paid in full, late, in the last 70 days, per customer; and
    // who has anything open past its due date.
    let mut late_paid: rustc_hash::FxHashMap<CustomerId, Vec<(InvoiceId, Date, Date, i64)>> =
        rustc_hash::FxHashMap::default();
    let mut overdue: rustc_hash::FxHashSet<CustomerId> = rustc_hash::FxHashSet::default();
    tx.scan_ledger(as_of, &mut |row| {
        if row.amount_minor <= 0 || row.currency != tegoed_core::Currency::EUR {
            return;
        }
        if row.open_minor > 0 && row.due_date < as_of {
            overdue.insert(row.customer);
        }
        if let (0, Some(paid_on)) = (row.open_minor, row.last_paid_on)
            && paid_on > row.due_date.add_days(5)
            && paid_on > as_of.add_days(-70)
        {
            late_paid.entry(row.customer).or_default().push((
                row.invoice,
                row.due_date,
                paid_on,
                row.amount_minor,
            ));
        }
    })?;
    let mut customers: Vec<CustomerId> = late_paid
        .keys()
        .copied()
        .filter(|c| !overdue.contains(c))
        .collect();
    customers.sort_unstable();
    let mut rng = Rng::new(config.seed).fork(0x7A4C);
    let mut counts = AgreementCounts::default();
    let event = |customer, date, kind: &str, ref_id, texts: (String, String)| TimelineEvent {
        author: Some("demo".into()),
        ..crate::agreements::event(customer, date, kind, None, ref_id, texts)
    };
    let nl = crate::agreements::date_nl;
    let en = crate::agreements::date_en;
    let eur_nl = |minor: i64| crate::agreements::eur_nl(minor, tegoed_core::Currency::EUR);
    let eur_en = |minor: i64| Money::eur(minor).display();
    for customer in customers {
        let mut paid = late_paid.remove(&customer).unwrap_or_default();
        paid.sort_by_key(|p| p.2);
        let pair = paid
            .windows(2)
            .rev()
            .find(|w| w[0].2 < w[1].2 && w[1].2 > as_of.add_days(-25))
            .map(|w| (w[0], w[1]));
        if let Some((first, second)) = pair
            && rng.chance(0.08)
        {
            // A plan in two instalments, agreed a week after the first
            // invoice fell due and paid on the days the money came.
            let created = first.1.add_days(7).min(first.2.add_days(-1));
            let total = first.3 + second.3;
            let gap = first.2.days_until(second.2).max(1);
            let id = tx.insert_plan(&PaymentPlan {
                customer,
                created_on: created,
                total: Money::eur(total),
                instalments: 2,
                first_due: first.2,
                interval: format!("{gap}d"),
                status: PlanStatus::Completed,
                status_on: Some(second.2),
                invoices: vec![first.0, second.0],
            })?;
            tx.add_event(&event(
                customer,
                created,
                "plan_created",
                Some(id),
                (
                    format!(
                        "Payment plan: {} in 2 instalments from {}",
                        eur_en(total),
                        en(first.2)
                    ),
                    format!(
                        "Betalingsregeling: {} in 2 termijnen vanaf {}",
                        eur_nl(total),
                        nl(first.2)
                    ),
                ),
            ))?;
            tx.add_event(&event(
                customer,
                second.2,
                "plan_completed",
                Some(id),
                (
                    format!("Payment plan completed: {} paid in full", eur_en(total)),
                    format!(
                        "Betalingsregeling afgerond: {} helemaal betaald",
                        eur_nl(total)
                    ),
                ),
            ))?;
            counts.plans += 1;
            continue;
        }
        let last = *paid.last().expect("a late payment");
        if last.2 > as_of.add_days(-25) && rng.chance(0.06) {
            // A promise made a few days before the money came, kept.
            let created = last.2.add_days(-(rng.range(2, 6) as i32)).max(last.1);
            let promised_on = last.2.add_days(rng.range(0, 3) as i32);
            // The promise is for what was still to pay when it was made
            // (part may have come before), so "kept" is true to the ledger.
            let promised = tx.allocated_between(&[last.0], created, last.2)?;
            if promised <= 0 {
                continue;
            }
            let id = tx.insert_promise(&Promise {
                customer,
                created_on: created,
                amount: Money::eur(promised),
                promised_on,
                status: PromiseStatus::Kept,
                status_on: Some(last.2),
                note: Some("Toegezegd aan de telefoon".into()),
                invoices: vec![last.0],
            })?;
            tx.add_event(&event(
                customer,
                created,
                "promise_made",
                Some(id),
                (
                    format!(
                        "Promised to pay {} by {}",
                        eur_en(promised),
                        en(promised_on)
                    ),
                    format!(
                        "Toegezegd: {} betalen uiterlijk {}",
                        eur_nl(promised),
                        nl(promised_on)
                    ),
                ),
            ))?;
            tx.add_event(&event(
                customer,
                last.2,
                "promise_kept",
                Some(id),
                (
                    format!(
                        "Promise kept: {} paid by {}",
                        eur_en(promised),
                        en(promised_on)
                    ),
                    format!(
                        "Toezegging nagekomen: {} betaald uiterlijk {}",
                        eur_nl(promised),
                        nl(promised_on)
                    ),
                ),
            ))?;
            counts.promises += 1;
        }
    }
    Ok(counts)
}

/// How a generated bank entry pays, for the matching benchmark.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PaymentStyle {
    Reference,
    InvoiceNumber,
    IbanAmount,
    NameOnly,
    Unknown,
}

/// A bank statement (camt.053) paying open invoices of the ledger in
/// `store` with a realistic mix: structured references, invoice numbers in
/// the description (with prefixes and without leading zeros), a known IBAN
/// with the exact amount, a customer's name from an unknown account, and
/// payments nobody can place. Deterministic for a seed.
pub fn statement(
    tx: &mut dyn tegoed_store::ReadTx,
    as_of: Date,
    entries: u32,
    seed: u64,
) -> Result<String> {
    use tegoed_formats::statement::{
        BankEntry, Direction, EntryStatus, Statement, StatementFormat, TxDetail,
    };
    struct Open {
        customer: CustomerId,
        number: String,
        reference: Option<String>,
        open: Money,
    }

    let mut open: Vec<Open> = Vec::new();
    tx.scan_invoice_keys(&mut |row| {
        if row.ledger.amount_minor > 0
            && row.ledger.open_minor > 0
            && row.ledger.issue_date <= as_of
        {
            open.push(Open {
                customer: row.ledger.customer,
                number: row.number.to_string(),
                reference: row.payment_reference.map(str::to_string),
                open: Money::new(row.ledger.open_minor, row.ledger.currency),
            });
        }
    })?;
    let mut ibans: std::collections::HashMap<CustomerId, String> = std::collections::HashMap::new();
    for (iban, customer) in tx.all_customer_ibans()? {
        ibans.entry(customer).or_insert(iban);
    }
    let names: std::collections::HashMap<CustomerId, String> = tx
        .customer_directory()?
        .into_iter()
        .map(|c| (c.id, c.name))
        .collect();
    let mut rng = Rng::new(seed);
    // Shuffle (Fisher–Yates) so each open invoice is paid at most once.
    for i in (1..open.len()).rev() {
        let j = rng.range(0, i as i64) as usize;
        open.swap(i, j);
    }
    let mut next = open.into_iter();
    let mut statement_entries = Vec::with_capacity(entries as usize);
    for n in 0..entries {
        let style = *rng.weighted(&[
            (40, PaymentStyle::Reference),
            (25, PaymentStyle::InvoiceNumber),
            (20, PaymentStyle::IbanAmount),
            (5, PaymentStyle::NameOnly),
            (10, PaymentStyle::Unknown),
        ]);
        let mut detail = TxDetail::default();
        let amount;
        match (style, next.next()) {
            (PaymentStyle::Unknown, _) | (_, None) => {
                amount = Money::eur(rng.range(500, 250_000));
                detail.counterparty_name =
                    Some(format!("{} {}", rng.pick(FIRST_NAMES), rng.pick(SURNAMES)));
                detail.counterparty_account = Iban::from_bban(
                    "NL",
                    &format!("{}{:010}", rng.pick(BANKS), rng.range(0, 9_999_999_999)),
                )
                .ok()
                .map(|i| i.as_str().to_string());
                detail.remittance = Some(format!("Bestelling {}", rng.range(1000, 99_999)));
            }
            (style, Some(invoice)) => {
                amount = invoice.open;
                let name = names.get(&invoice.customer).cloned();
                let iban = ibans.get(&invoice.customer).cloned();
                detail.counterparty_name = name;
                detail.counterparty_account = iban;
                match style {
                    PaymentStyle::Reference if invoice.reference.is_some() => {
                        detail.structured_reference = invoice.reference;
                    }
                    PaymentStyle::Reference | PaymentStyle::InvoiceNumber => {
                        // Payers write numbers their own way.
                        let digits = invoice.number.replace('-', "");
                        let short = invoice
                            .number
                            .split_once('-')
                            .map(|(y, s)| format!("{y}-{}", s.trim_start_matches('0')));
                        detail.remittance = Some(match rng.range(0, 3) {
                            0 => format!("Factuur {}", invoice.number),
                            1 => format!("F{}", short.unwrap_or_else(|| invoice.number.clone())),
                            2 => format!("inv {digits} dank u"),
                            _ => format!("betaling factuurnr. {}", invoice.number),
                        });
                    }
                    PaymentStyle::IbanAmount => {
                        detail.remittance = Some("Betaling".into());
                    }
                    PaymentStyle::NameOnly | PaymentStyle::Unknown => {
                        detail.counterparty_account = Iban::from_bban(
                            "NL",
                            &format!("{}{:010}", rng.pick(BANKS), rng.range(0, 9_999_999_999)),
                        )
                        .ok()
                        .map(|i| i.as_str().to_string());
                    }
                }
            }
        }
        detail.amount = Some(amount);
        detail.end_to_end_id = Some(format!("E2E-{seed}-{n:07}"));
        statement_entries.push(BankEntry {
            line: 0,
            booking_date: as_of,
            value_date: Some(as_of),
            direction: Direction::Credit,
            reversal: false,
            status: EntryStatus::Booked,
            amount,
            entry_ref: None,
            servicer_ref: Some(format!("DEMO-{seed}-{n:07}")),
            bank_code: None,
            additional_info: None,
            details: vec![detail],
        });
    }
    let statement = Statement {
        format: StatementFormat::Camt {
            message: "053.001.02".into(),
        },
        id: Some(format!("DEMO-{as_of}")),
        account: Some("NL02ABNA0123456789".into()),
        account_name: Some("Tegoed demo".into()),
        currency: Some(tegoed_core::Currency::EUR),
        opening: None,
        closing: None,
        entries: statement_entries,
    };
    Ok(tegoed_formats::camt::write_statement(
        &statement,
        &format!("DEMO-{as_of}-{seed}"),
    ))
}
