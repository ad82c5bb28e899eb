//! The ledger: [`ReadTx`] and [`WriteTx`] for PostgreSQL, with the same
//! results, in the same order, as the SQLite backend.
//!
//! Sums of `bigint` are `numeric` in PostgreSQL; every sum is cast back to
//! `bigint` (money totals are bounded, see `money::MAX_MINOR`).

use std::collections::HashMap;

use postgres::Row;
use tegoed_core::allocation::OpenItem;
use tegoed_core::customer::{Address, CustomerKind, Language};
use tegoed_core::party::{Email, KvkNumber, SbiCode, VatNumber};
use tegoed_core::{
    AccountManager, AccountManagerId, Allocation, AllocationSource, Currency, Customer, CustomerId,
    Date, Iban, Invoice, InvoiceId, MatchInfo, Money, Payment, PaymentId, PaymentReference,
    PaymentSource, matching::MatchRule,
};
use tegoed_store::schema::{Cell, Table};
use tegoed_store::{
    BulkTable, CreditBalance, CustomerBrief, CustomerKey, DocumentState, InvoiceKeyRow, InvoiceRef,
    LedgerRow, OpenByDue, PaymentState, ReadTx, Result, ReviewItem, StatementImportRecord,
    StoredAllocation, StoredCustomer, StoredInvoice, StoredPayment, WriteTx,
};

use crate::types::{Day, day};
use crate::{PgTx, corrupt, get};

// --- statements --------------------------------------------------------------

/// Customer columns, and the customer's own IBANs (in the order written) as
/// an array: a customer is one row, one round trip.
const CUSTOMER_SELECT: &str = "SELECT c.id, c.number, c.name, c.kind, c.email, c.phone, c.language, \
     c.industry, c.account_manager_id, c.credit_limit_minor, c.payment_terms_days, c.kvk, \
     c.vat_number, c.street, c.postal_code, c.city, c.country, \
     ARRAY(SELECT ci.iban FROM customer_iban ci WHERE ci.customer_id = c.id \
           AND ci.source = 'customer' ORDER BY ci.row_order) \
     FROM customer c";

const INVOICE_COLUMNS: &str = "i.id, i.number, i.customer_id, i.issue_date, i.due_date, \
     i.amount_minor, i.currency, i.payment_reference, i.description, i.credits_invoice";

const PAYMENT_COLUMNS: &str = "p.id, p.external_id, p.date, p.amount_minor, p.currency, \
     p.customer_id, p.invoice_id, p.reference, p.counterparty_iban, p.counterparty_name, p.source, \
     p.end_to_end_id, p.bank_account";

const MATCH_COLUMNS: &str = "p.match_rule, p.match_confidence, p.needs_review, \
     p.suggested_customer_id, p.note, p.reverses_payment_id";

const SQL_OPEN_ITEMS: &str = "SELECT i.id, i.issue_date, i.due_date, i.amount_minor - COALESCE(\
     (SELECT SUM(a.amount_minor) FROM allocation a WHERE a.invoice_id = i.id), 0)::bigint, i.currency \
     FROM invoice i WHERE i.customer_id = $1 AND i.amount_minor > 0";
const SQL_OPEN_ITEM: &str = "SELECT i.id, i.issue_date, i.due_date, i.amount_minor - COALESCE(\
     (SELECT SUM(a.amount_minor) FROM allocation a WHERE a.invoice_id = i.id), 0)::bigint, i.currency \
     FROM invoice i WHERE i.id = $1 AND i.amount_minor > 0";
const SQL_CREDIT_NOTE_REMAINING: &str = "SELECT -i.amount_minor - COALESCE((SELECT SUM(a.amount_minor) \
     FROM allocation a WHERE a.credit_note_id = i.id), 0)::bigint FROM invoice i WHERE i.id = $1";

// Row locks taken first in a write transaction (see the crate docs), in id
// order so two lockers of overlapping sets queue instead of deadlocking.
const LOCK_CUSTOMER_INVOICES: &str = "SELECT id FROM invoice WHERE customer_id = $1 \
     AND amount_minor > 0 ORDER BY id FOR NO KEY UPDATE";
const LOCK_INVOICE: &str = "SELECT id FROM invoice WHERE id = $1 FOR NO KEY UPDATE";
const LOCK_PAYMENT: &str = "SELECT id FROM payment WHERE id = $1 FOR NO KEY UPDATE";
const LOCK_CUSTOMER_PAYMENTS: &str = "SELECT id FROM payment WHERE customer_id = $1 \
     AND currency = $2 ORDER BY id FOR NO KEY UPDATE";
const LOCK_CUSTOMER_CREDIT_NOTES: &str = "SELECT id FROM invoice WHERE customer_id = $1 \
     AND currency = $2 AND amount_minor < 0 ORDER BY id FOR NO KEY UPDATE";

const ALLOCATION_SELECT: &str =
    "SELECT id, invoice_id, payment_id, credit_note_id, date, amount_minor FROM allocation";

const SQL_CUSTOMER_CREDIT: &str = "SELECT \
     COALESCE((SELECT SUM(p.amount_minor - COALESCE((SELECT SUM(a.amount_minor) FROM allocation a \
         WHERE a.payment_id = p.id), 0)) FROM payment p WHERE p.customer_id = $1 AND p.currency = $2), 0)::bigint + \
     COALESCE((SELECT SUM(-i.amount_minor - COALESCE((SELECT SUM(a.amount_minor) FROM allocation a \
         WHERE a.credit_note_id = i.id), 0)) FROM invoice i WHERE i.customer_id = $1 AND i.currency = $2 \
         AND i.amount_minor < 0), 0)::bigint";

/// The credit left on payments dated on or before `$1`, per customer: from
/// what each payment has allocated (kept by the database: migration 9);
/// only a payment with an allocation dated after `$1` has its allocations
/// read, to count those up to `$1`. Fully allocated payments stay out.
const SQL_CREDIT_PAYMENTS: &str = "SELECT p.customer_id, p.currency, \
     SUM(p.amount_minor - CASE WHEN p.last_allocated > $1 \
         THEN COALESCE((SELECT SUM(a.amount_minor) FROM allocation a \
                        WHERE a.payment_id = p.id AND a.date <= $1), 0) \
         ELSE p.allocated_minor END)::bigint FROM payment p \
     WHERE p.date <= $1 AND (p.amount_minor <> p.allocated_minor OR p.last_allocated > $1) \
     GROUP BY p.customer_id, p.currency";
const SQL_CREDIT_NOTES_LEFT: &str = "SELECT i.customer_id, i.currency, \
     SUM(-i.amount_minor - COALESCE(c.used, 0))::bigint FROM invoice i \
     LEFT JOIN (SELECT credit_note_id, SUM(amount_minor) AS used FROM allocation \
                WHERE credit_note_id IS NOT NULL AND date <= $1 GROUP BY credit_note_id) c \
           ON c.credit_note_id = i.id \
     WHERE i.amount_minor < 0 AND i.issue_date <= $1 GROUP BY i.customer_id, i.currency";

/// The ledger scan: every document with what was allocated to it (and, for
/// a credit note, what it paid) as of `$1`, in id order. What an invoice
/// has allocated is kept by the database (migration 6); only an invoice
/// with an allocation dated after `$1`, and each credit note, has its
/// allocations read.
const SQL_SCAN_LEDGER: &str = "SELECT i.id, i.customer_id, i.issue_date, i.due_date, i.amount_minor, \
     i.currency, \
     CASE WHEN i.last_allocated > $1 \
          THEN (SELECT SUM(x.amount_minor)::bigint FROM allocation x \
                WHERE x.invoice_id = i.id AND x.date <= $1) \
          ELSE i.allocated_minor END, \
     CASE WHEN i.last_allocated > $1 \
          THEN (SELECT MAX(x.date) FROM allocation x WHERE x.invoice_id = i.id AND x.date <= $1) \
          ELSE i.last_allocated END, \
     CASE WHEN i.amount_minor < 0 \
          THEN (SELECT SUM(x.amount_minor)::bigint FROM allocation x \
                WHERE x.credit_note_id = i.id AND x.date <= $1) END \
     FROM invoice i WHERE i.issue_date <= $1 ORDER BY i.id";
/// The open invoices of [`SQL_SCAN_LEDGER`] (credit notes and paid invoices
/// stay on the server; `used` only matters to credit notes).
/// What is open on each invoice with something open on `$1`, from what it
/// has allocated (kept by the database: migration 6): one pass over the
/// invoices. Only an invoice with an allocation dated after `$1` has its
/// allocations read, to count those up to `$1`.
const SQL_OPEN_INVOICES: &str = "SELECT customer_id, currency, due_date, amount_minor - paid AS open \
     FROM (SELECT i.customer_id, i.currency, i.due_date, i.amount_minor, \
             CASE WHEN i.last_allocated > $1 \
                  THEN COALESCE((SELECT SUM(x.amount_minor)::bigint FROM allocation x \
                                 WHERE x.invoice_id = i.id AND x.date <= $1), 0) \
                  ELSE i.allocated_minor END AS paid \
           FROM invoice i WHERE i.issue_date <= $1 AND i.amount_minor > 0 \
             AND (i.amount_minor > i.allocated_minor OR i.last_allocated > $1)) o \
     WHERE amount_minor > paid";
/// The matcher's scan: every document, all allocations, with its keys.
const SQL_SCAN_INVOICE_KEYS: &str = "SELECT i.id, i.customer_id, i.issue_date, i.due_date, \
     i.amount_minor, i.currency, a.paid, a.last_paid, c.used, i.number, i.payment_reference \
     FROM invoice i \
     LEFT JOIN (SELECT invoice_id, SUM(amount_minor)::bigint AS paid, MAX(date) AS last_paid \
                FROM allocation GROUP BY invoice_id) a ON a.invoice_id = i.id \
     LEFT JOIN (SELECT credit_note_id, SUM(amount_minor)::bigint AS used FROM allocation \
                WHERE credit_note_id IS NOT NULL GROUP BY credit_note_id) c \
           ON c.credit_note_id = i.id \
     ORDER BY i.id";

// --- row mapping -----------------------------------------------------------

fn currency(text: &str) -> Result<Currency> {
    Currency::parse(text).map_err(|_| corrupt("currency", text))
}

fn kind_from(text: &str) -> Result<CustomerKind> {
    CustomerKind::parse(text).ok_or_else(|| corrupt("customer kind", text))
}

fn opt_parse<T, E>(
    value: Option<String>,
    parse: impl Fn(&str) -> Result<T, E>,
    what: &str,
) -> Result<Option<T>> {
    value
        .map(|v| parse(&v).map_err(|_| corrupt(what, &v)))
        .transpose()
}

fn terms(value: i64) -> Result<u32> {
    u32::try_from(value).map_err(|_| corrupt("payment terms", value))
}

fn customer_from_row(row: &Row) -> Result<StoredCustomer> {
    let ibans: Vec<String> = get(row, 17)?;
    let ibans = ibans
        .iter()
        .map(|iban| Iban::parse(iban).map_err(|_| corrupt("IBAN", iban)))
        .collect::<Result<Vec<_>>>()?;
    let kind: String = get(row, 3)?;
    let language: String = get(row, 6)?;
    Ok(StoredCustomer {
        id: CustomerId(get(row, 0)?),
        customer: Customer {
            number: get(row, 1)?,
            name: get(row, 2)?,
            kind: kind_from(&kind)?,
            email: opt_parse(get(row, 4)?, Email::parse, "email")?,
            phone: get(row, 5)?,
            language: Language::parse(&language).ok_or_else(|| corrupt("language", &language))?,
            industry: opt_parse(get(row, 7)?, SbiCode::parse, "SBI code")?,
            account_manager: get::<Option<i64>>(row, 8)?.map(AccountManagerId),
            credit_limit: get::<Option<i64>>(row, 9)?.map(Money::eur),
            payment_terms_days: terms(get(row, 10)?)?,
            ibans,
            kvk: opt_parse(get(row, 11)?, KvkNumber::parse, "KvK number")?,
            vat_number: opt_parse(get(row, 12)?, VatNumber::parse, "VAT number")?,
            address: Address {
                street: get(row, 13)?,
                postal_code: get(row, 14)?,
                city: get(row, 15)?,
                country: get(row, 16)?,
            },
        },
    })
}

/// An invoice from the first ten columns of `row` ([`INVOICE_COLUMNS`]).
fn invoice_from_row(row: &Row) -> Result<StoredInvoice> {
    let code: &str = get(row, 6)?;
    Ok(StoredInvoice {
        id: InvoiceId(get(row, 0)?),
        invoice: Invoice {
            number: get(row, 1)?,
            customer: CustomerId(get(row, 2)?),
            issue_date: get::<Day>(row, 3)?.0,
            due_date: get::<Day>(row, 4)?.0,
            amount: Money::new(get(row, 5)?, currency(code)?),
            payment_reference: opt_parse(
                get(row, 7)?,
                PaymentReference::parse,
                "payment reference",
            )?,
            description: get(row, 8)?,
            credits_invoice: get(row, 9)?,
        },
    })
}

/// A payment from the first thirteen columns of `row` ([`PAYMENT_COLUMNS`]).
fn payment_from_row(row: &Row) -> Result<StoredPayment> {
    let code: &str = get(row, 4)?;
    let source: &str = get(row, 10)?;
    Ok(StoredPayment {
        id: PaymentId(get(row, 0)?),
        payment: Payment {
            external_id: get(row, 1)?,
            date: get::<Day>(row, 2)?.0,
            amount: Money::new(get(row, 3)?, currency(code)?),
            customer: get::<Option<i64>>(row, 5)?.map(CustomerId),
            invoice: get::<Option<i64>>(row, 6)?.map(InvoiceId),
            reference: get(row, 7)?,
            counterparty_iban: opt_parse(get(row, 8)?, Iban::parse, "IBAN")?,
            counterparty_name: get(row, 9)?,
            source: PaymentSource::parse(source)
                .ok_or_else(|| corrupt("payment source", source))?,
            end_to_end_id: get(row, 11)?,
            bank_account: get(row, 12)?,
        },
    })
}

/// Match information from six columns starting at `at` ([`MATCH_COLUMNS`]).
fn match_from_row(row: &Row, at: usize) -> Result<MatchInfo> {
    let rule: Option<String> = get(row, at)?;
    let confidence: Option<i64> = get(row, at + 1)?;
    Ok(MatchInfo {
        rule: rule
            .map(|r| MatchRule::parse(&r).ok_or_else(|| corrupt("match rule", &r)))
            .transpose()?,
        confidence: confidence.unwrap_or(0).clamp(0, 100) as u8,
        needs_review: get(row, at + 2)?,
        suggested_customer: get::<Option<i64>>(row, at + 3)?.map(CustomerId),
        note: get(row, at + 4)?,
        reverses: get::<Option<i64>>(row, at + 5)?.map(PaymentId),
    })
}

fn allocation_from_row(row: &Row) -> Result<StoredAllocation> {
    let payment: Option<i64> = get(row, 2)?;
    let credit_note: Option<i64> = get(row, 3)?;
    // The check constraint makes exactly one of the two present.
    let source = match (payment, credit_note) {
        (Some(p), _) => AllocationSource::Payment(PaymentId(p)),
        (None, Some(c)) => AllocationSource::CreditNote(InvoiceId(c)),
        (None, None) => AllocationSource::CreditNote(InvoiceId(0)),
    };
    Ok(StoredAllocation {
        row: get(row, 0)?,
        allocation: Allocation {
            invoice: InvoiceId(get(row, 1)?),
            source,
            date: get::<Day>(row, 4)?.0,
            amount_minor: get(row, 5)?,
        },
    })
}

fn open_item_from_row(row: &Row) -> Result<OpenItem> {
    let code: &str = get(row, 4)?;
    Ok(OpenItem {
        invoice: InvoiceId(get(row, 0)?),
        issue_date: get::<Day>(row, 1)?.0,
        due_date: get::<Day>(row, 2)?.0,
        open: Money::new(get(row, 3)?, currency(code)?),
    })
}

/// Parses currency codes of a scan, remembering the last one (a ledger is
/// nearly always in one currency).
#[derive(Default)]
struct Currencies {
    last: Option<(String, Currency)>,
}

impl Currencies {
    fn get(&mut self, code: &str) -> Result<Currency> {
        if let Some((last, cur)) = &self.last
            && last == code
        {
            return Ok(*cur);
        }
        let cur = currency(code)?;
        self.last = Some((code.to_string(), cur));
        Ok(cur)
    }
}

/// A row of [`SQL_SCAN_LEDGER`] / [`SQL_SCAN_INVOICE_KEYS`].
fn ledger_row(row: &Row, currencies: &mut Currencies) -> Result<LedgerRow> {
    let amount: i64 = get(row, 4)?;
    let paid: Option<i64> = get(row, 6)?;
    let last_paid: Option<Day> = get(row, 7)?;
    let used: Option<i64> = get(row, 8)?;
    let open = if amount >= 0 {
        amount - paid.unwrap_or(0)
    } else {
        amount + used.unwrap_or(0)
    };
    Ok(LedgerRow {
        invoice: InvoiceId(get(row, 0)?),
        customer: CustomerId(get(row, 1)?),
        issue_date: get::<Day>(row, 2)?.0,
        due_date: get::<Day>(row, 3)?.0,
        amount_minor: amount,
        open_minor: open,
        currency: currencies.get(get(row, 5)?)?,
        last_paid_on: last_paid.map(|d| d.0),
    })
}

impl PgTx<'_> {
    fn load_customer(
        &mut self,
        sql_where: &str,
        param: &(dyn postgres::types::ToSql + Sync),
    ) -> Result<Option<StoredCustomer>> {
        let sql = format!("{CUSTOMER_SELECT} WHERE {sql_where} ORDER BY c.id LIMIT 1");
        self.query_opt(&sql, &[param])?
            .map(|row| customer_from_row(&row))
            .transpose()
    }

    fn load_invoice(
        &mut self,
        sql_where: &str,
        param: &(dyn postgres::types::ToSql + Sync),
    ) -> Result<Option<StoredInvoice>> {
        let sql = format!("SELECT {INVOICE_COLUMNS} FROM invoice i WHERE {sql_where}");
        self.query_opt(&sql, &[param])?
            .map(|row| invoice_from_row(&row))
            .transpose()
    }

    fn load_payment(
        &mut self,
        sql_where: &str,
        param: &(dyn postgres::types::ToSql + Sync),
    ) -> Result<Option<StoredPayment>> {
        let sql = format!("SELECT {PAYMENT_COLUMNS} FROM payment p WHERE {sql_where}");
        self.query_opt(&sql, &[param])?
            .map(|row| payment_from_row(&row))
            .transpose()
    }

    /// In a write transaction, locks the rows a statement selects (see
    /// the crate documentation); in a read transaction, nothing.
    fn lock(&mut self, sql: &str, params: crate::Params<'_>) -> Result<()> {
        if self.locking() {
            self.query(sql, params)?;
        }
        Ok(())
    }

    /// Writes the customer's own IBANs; `replace` drops the ones written
    /// before (a new customer has none: a foreign key guards the table).
    fn write_ibans(&mut self, customer: i64, ibans: &[Iban], replace: bool) -> Result<()> {
        if replace {
            self.execute(
                "DELETE FROM customer_iban WHERE customer_id = $1 AND source = 'customer'",
                &[&customer],
            )?;
        }
        for iban in ibans {
            self.execute(
                "INSERT INTO customer_iban (iban, customer_id, source) VALUES ($1, $2, 'customer') \
                 ON CONFLICT (iban, customer_id) DO UPDATE SET source = 'customer'",
                &[&iban.as_str(), &customer],
            )?;
        }
        Ok(())
    }

    fn count(&mut self, sql: &str) -> Result<u64> {
        let n: i64 = get(&self.query_one(sql, &[])?, 0)?;
        u64::try_from(n).map_err(|_| corrupt("count", n))
    }

    fn scan(
        &mut self,
        sql: &str,
        as_of: Option<Day>,
        visit: &mut dyn FnMut(&LedgerRow, &Row) -> Result<()>,
    ) -> Result<()> {
        let mut currencies = Currencies::default();
        let mut each = |row: &Row| -> Result<()> {
            let ledger = ledger_row(row, &mut currencies)?;
            visit(&ledger, row)
        };
        match as_of {
            Some(as_of) => self.stream(sql, &[&as_of], &mut each)?,
            None => self.stream(sql, &[], &mut each)?,
        };
        Ok(())
    }
}

/// A column value to send; the `*_values` functions give a row's values
/// in the order of its table's insert columns (without the id), shared by
/// the single inserts, the updates and the bulk load's small flushes.
pub(crate) type Value<'a> = Box<dyn postgres::types::ToSql + Sync + 'a>;

/// `params` of values, with `first` (an id) in front when given.
pub(crate) fn params<'a>(
    first: Option<&'a (dyn postgres::types::ToSql + Sync)>,
    values: &'a [Value<'_>],
) -> Vec<&'a (dyn postgres::types::ToSql + Sync)> {
    first
        .into_iter()
        .chain(
            values
                .iter()
                .map(|v| v.as_ref() as &(dyn postgres::types::ToSql + Sync)),
        )
        .collect()
}

pub(crate) fn customer_values(customer: &Customer) -> [Value<'_>; 16] {
    [
        Box::new(customer.number.as_str()),
        Box::new(customer.name.as_str()),
        Box::new(customer.kind.as_str()),
        Box::new(customer.email.as_ref().map(|e| e.as_str())),
        Box::new(customer.phone.as_deref()),
        Box::new(customer.language.as_str()),
        Box::new(customer.industry.as_ref().map(|s| s.as_str())),
        Box::new(customer.account_manager.map(|a| a.0)),
        Box::new(customer.credit_limit.map(|m| m.minor)),
        Box::new(i64::from(customer.payment_terms_days)),
        Box::new(customer.kvk.as_ref().map(|k| k.as_str())),
        Box::new(customer.vat_number.as_ref().map(|v| v.as_str())),
        Box::new(customer.address.street.as_deref()),
        Box::new(customer.address.postal_code.as_deref()),
        Box::new(customer.address.city.as_deref()),
        Box::new(customer.address.country.as_str()),
    ]
}

/// An invoice's values in `INVOICE` insert order (number … credits_invoice).
pub(crate) fn invoice_values(invoice: &Invoice) -> [Value<'_>; 9] {
    [
        Box::new(invoice.number.as_str()),
        Box::new(invoice.customer.0),
        Box::new(day(invoice.issue_date)),
        Box::new(day(invoice.due_date)),
        Box::new(invoice.amount.minor),
        Box::new(invoice.amount.currency.code()),
        Box::new(invoice.payment_reference.as_ref().map(|r| r.as_str())),
        Box::new(invoice.description.as_deref()),
        Box::new(invoice.credits_invoice.as_deref()),
    ]
}

/// A payment's values with its match, in insert order (external_id …
/// reverses_payment_id).
pub(crate) fn payment_values<'a>(payment: &'a Payment, info: &'a MatchInfo) -> [Value<'a>; 18] {
    [
        Box::new(payment.external_id.as_str()),
        Box::new(day(payment.date)),
        Box::new(payment.amount.minor),
        Box::new(payment.amount.currency.code()),
        Box::new(payment.customer.map(|c| c.0)),
        Box::new(payment.invoice.map(|i| i.0)),
        Box::new(payment.reference.as_deref()),
        Box::new(payment.counterparty_iban.as_ref().map(|i| i.as_str())),
        Box::new(payment.counterparty_name.as_deref()),
        Box::new(payment.source.as_str()),
        Box::new(payment.end_to_end_id.as_deref()),
        Box::new(payment.bank_account.as_deref()),
        Box::new(info.rule.map(MatchRule::as_str)),
        Box::new(i64::from(info.confidence)),
        Box::new(info.needs_review),
        Box::new(info.suggested_customer.map(|c| c.0)),
        Box::new(info.note.as_deref()),
        Box::new(info.reverses.map(|p| p.0)),
    ]
}

impl ReadTx for PgTx<'_> {
    fn account_managers(&mut self) -> Result<Vec<(AccountManagerId, AccountManager)>> {
        let rows = self.query(
            "SELECT id, name, email FROM account_manager ORDER BY id",
            &[],
        )?;
        rows.iter()
            .map(|row| {
                Ok((
                    AccountManagerId(get(row, 0)?),
                    AccountManager {
                        name: get(row, 1)?,
                        email: opt_parse(get(row, 2)?, Email::parse, "email")?,
                    },
                ))
            })
            .collect()
    }

    fn customer_count(&mut self) -> Result<u64> {
        self.count("SELECT count(*) FROM customer")
    }

    fn customer_by_number(&mut self, number: &str) -> Result<Option<StoredCustomer>> {
        self.load_customer("c.number = $1", &number)
    }

    fn customer(&mut self, id: CustomerId) -> Result<Option<StoredCustomer>> {
        self.load_customer("c.id = $1", &id.0)
    }

    fn customers(&mut self, ids: &[CustomerId]) -> Result<Vec<StoredCustomer>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let wanted: Vec<i64> = ids.iter().map(|c| c.0).collect();
        let sql = format!("{CUSTOMER_SELECT} WHERE c.id = ANY($1)");
        let mut found = HashMap::new();
        for row in self.query(&sql, &[&wanted])? {
            let customer = customer_from_row(&row)?;
            found.insert(customer.id, customer);
        }
        Ok(ids.iter().filter_map(|id| found.get(id).cloned()).collect())
    }

    fn customer_directory(&mut self) -> Result<Vec<CustomerBrief>> {
        let mut out = Vec::new();
        self.stream(
            "SELECT id, number, name, kind, account_manager_id, industry, payment_terms_days \
             FROM customer ORDER BY id",
            &[],
            &mut |row| {
                out.push(CustomerBrief {
                    id: CustomerId(get(row, 0)?),
                    number: get(row, 1)?,
                    name: get(row, 2)?,
                    kind: kind_from(get(row, 3)?)?,
                    account_manager: get::<Option<i64>>(row, 4)?.map(AccountManagerId),
                    industry: opt_parse(get(row, 5)?, SbiCode::parse, "SBI code")?,
                    payment_terms_days: terms(get(row, 6)?)?,
                });
                Ok(())
            },
        )?;
        Ok(out)
    }

    fn customers_by_iban(&mut self, iban: &Iban) -> Result<Vec<CustomerId>> {
        self.query(
            "SELECT customer_id FROM customer_iban WHERE iban = $1 ORDER BY customer_id",
            &[&iban.as_str()],
        )?
        .iter()
        .map(|row| Ok(CustomerId(get(row, 0)?)))
        .collect()
    }

    fn invoice_count(&mut self) -> Result<u64> {
        self.count("SELECT count(*) FROM invoice")
    }

    fn invoice_by_number(&mut self, number: &str) -> Result<Option<StoredInvoice>> {
        self.load_invoice("i.number = $1", &number)
    }

    fn invoice(&mut self, id: InvoiceId) -> Result<Option<StoredInvoice>> {
        self.load_invoice("i.id = $1", &id.0)
    }

    fn allocations_of(&mut self, invoices: &[InvoiceId]) -> Result<Vec<Allocation>> {
        if invoices.is_empty() {
            return Ok(Vec::new());
        }
        let wanted: Vec<i64> = invoices.iter().map(|i| i.0).collect();
        let sql = format!("{ALLOCATION_SELECT} WHERE invoice_id = ANY($1) ORDER BY id");
        let mut by_invoice: HashMap<i64, Vec<Allocation>> = HashMap::new();
        for row in self.query(&sql, &[&wanted])? {
            let a = allocation_from_row(&row)?.allocation;
            by_invoice.entry(a.invoice.0).or_default().push(a);
        }
        // In the order asked, each invoice's allocations as they were made.
        Ok(wanted
            .iter()
            .flat_map(|id| by_invoice.remove(id).unwrap_or_default())
            .collect())
    }

    fn invoices(&mut self, ids: &[InvoiceId]) -> Result<Vec<StoredInvoice>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let wanted: Vec<i64> = ids.iter().map(|i| i.0).collect();
        let sql = format!("SELECT {INVOICE_COLUMNS} FROM invoice i WHERE i.id = ANY($1)");
        let mut found = HashMap::new();
        for row in self.query(&sql, &[&wanted])? {
            let invoice = invoice_from_row(&row)?;
            found.insert(invoice.id, invoice);
        }
        Ok(ids.iter().filter_map(|id| found.get(id).cloned()).collect())
    }

    fn invoice_ref(&mut self, number: &str) -> Result<Option<InvoiceRef>> {
        let Some(row) = self.query_opt(
            "SELECT id, customer_id, currency FROM invoice WHERE number = $1",
            &[&number],
        )?
        else {
            return Ok(None);
        };
        Ok(Some(InvoiceRef {
            id: InvoiceId(get(&row, 0)?),
            customer: CustomerId(get(&row, 1)?),
            currency: currency(get(&row, 2)?)?,
        }))
    }

    fn open_items(&mut self, customer: CustomerId) -> Result<Vec<OpenItem>> {
        self.lock(LOCK_CUSTOMER_INVOICES, &[&customer.0])?;
        let mut items = Vec::new();
        for row in self.query(SQL_OPEN_ITEMS, &[&customer.0])? {
            let open: i64 = get(&row, 3)?;
            if open > 0 {
                items.push(open_item_from_row(&row)?);
            }
        }
        items.sort_unstable_by_key(|item| (item.due_date, item.issue_date, item.invoice));
        Ok(items)
    }

    fn open_item(&mut self, invoice: InvoiceId) -> Result<Option<OpenItem>> {
        self.lock(LOCK_INVOICE, &[&invoice.0])?;
        self.query_opt(SQL_OPEN_ITEM, &[&invoice.0])?
            .map(|row| open_item_from_row(&row))
            .transpose()
    }

    fn credit_note_remaining(&mut self, credit_note: InvoiceId) -> Result<i64> {
        self.lock(LOCK_INVOICE, &[&credit_note.0])?;
        match self.query_opt(SQL_CREDIT_NOTE_REMAINING, &[&credit_note.0])? {
            Some(row) => get(&row, 0),
            None => Ok(0),
        }
    }

    fn customer_documents(
        &mut self,
        customer: CustomerId,
        as_of: Date,
    ) -> Result<Vec<DocumentState>> {
        let sql = format!(
            "SELECT {INVOICE_COLUMNS}, \
               COALESCE((SELECT SUM(a.amount_minor) FROM allocation a \
                         WHERE a.invoice_id = i.id AND a.date <= $2), 0)::bigint, \
               CASE WHEN i.amount_minor < 0 THEN \
                 COALESCE((SELECT SUM(a.amount_minor) FROM allocation a \
                           WHERE a.credit_note_id = i.id AND a.date <= $2), 0)::bigint \
               ELSE 0::bigint END, \
               (SELECT MAX(a.date) FROM allocation a WHERE a.invoice_id = i.id AND a.date <= $2) \
             FROM invoice i WHERE i.customer_id = $1 AND i.issue_date <= $2"
        );
        let mut out = Vec::new();
        for row in self.query(&sql, &[&customer.0, &day(as_of)])? {
            let stored = invoice_from_row(&row)?;
            let paid: i64 = get(&row, 10)?;
            let used: i64 = get(&row, 11)?;
            let last_paid_on: Option<Day> = get(&row, 12)?;
            let amount = stored.invoice.amount.minor;
            let open = if amount >= 0 {
                amount - paid
            } else {
                amount + used
            };
            out.push(DocumentState {
                id: stored.id,
                invoice: stored.invoice,
                open_minor: open,
                last_paid_on: last_paid_on.map(|d| d.0),
            });
        }
        out.sort_unstable_by_key(|d| (d.invoice.due_date, d.invoice.issue_date, d.id));
        Ok(out)
    }

    fn scan_ledger(&mut self, as_of: Date, visit: &mut dyn FnMut(&LedgerRow)) -> Result<()> {
        self.scan(SQL_SCAN_LEDGER, Some(day(as_of)), &mut |ledger, _| {
            visit(ledger);
            Ok(())
        })
    }

    fn open_by_due(&mut self, as_of: Date, by_customer: bool) -> Result<Vec<OpenByDue>> {
        // The sum as text: it may not fit a bigint (the report says so).
        let sql = format!(
            "SELECT CASE WHEN $2 THEN customer_id END, currency, due_date, \
             SUM(open)::text, count(*) FROM ({SQL_OPEN_INVOICES}) o GROUP BY 1, 2, 3"
        );
        let mut currencies = Currencies::default();
        let mut out = Vec::new();
        // A few hundred groups from a million rows: hashed, not compiled.
        // Misled by the cost of the per-invoice subqueries it rarely runs,
        // the planner sorted the million rows on disk instead (1.6 s, not
        // 0.66 s) and spent 350 ms compiling the 200 ms scan (JIT; left on
        // for the other statements: the dunning preview's scans gain 2 s).
        self.batch("SET LOCAL enable_sort = off; SET LOCAL jit = off")?;
        self.stream(&sql, &[&day(as_of), &by_customer], &mut |row| {
            let sum: String = get(row, 3)?;
            out.push(OpenByDue {
                customer: get::<Option<i64>>(row, 0)?.map(CustomerId),
                currency: currencies.get(get(row, 1)?)?,
                due_date: get::<Day>(row, 2)?.0,
                open_minor: sum
                    .parse()
                    .map_err(|_| corrupt("sum of open amounts", &sum))?,
                count: u64::try_from(get::<i64>(row, 4)?).unwrap_or(0),
            });
            Ok(())
        })?;
        self.batch("SET LOCAL enable_sort TO DEFAULT; SET LOCAL jit TO DEFAULT")?;
        Ok(out)
    }

    fn scan_invoice_keys(&mut self, visit: &mut dyn FnMut(&InvoiceKeyRow<'_>)) -> Result<()> {
        self.scan(SQL_SCAN_INVOICE_KEYS, None, &mut |ledger, row| {
            visit(&InvoiceKeyRow {
                ledger: *ledger,
                number: get(row, 9)?,
                payment_reference: get(row, 10)?,
            });
            Ok(())
        })
    }

    fn payment_count(&mut self) -> Result<u64> {
        self.count("SELECT count(*) FROM payment")
    }

    fn payment_by_external_id(&mut self, external_id: &str) -> Result<Option<StoredPayment>> {
        self.load_payment("p.external_id = $1", &external_id)
    }

    fn payment(&mut self, id: PaymentId) -> Result<Option<StoredPayment>> {
        self.load_payment("p.id = $1", &id.0)
    }

    fn payment_exists(&mut self, external_id: &str) -> Result<bool> {
        get(
            &self.query_one(
                "SELECT EXISTS (SELECT 1 FROM payment WHERE external_id = $1)",
                &[&external_id],
            )?,
            0,
        )
    }

    fn customer_payments(
        &mut self,
        customer: CustomerId,
        as_of: Date,
    ) -> Result<Vec<PaymentState>> {
        let as_of = day(as_of);
        let sql = format!(
            "SELECT {PAYMENT_COLUMNS} FROM payment p WHERE p.customer_id = $1 AND p.date <= $2"
        );
        let mut payments = self
            .query(&sql, &[&customer.0, &as_of])?
            .iter()
            .map(payment_from_row)
            .collect::<Result<Vec<_>>>()?;
        payments.sort_unstable_by_key(|p| std::cmp::Reverse((p.payment.date, p.id)));
        // What every payment paid, in one query: (payment, allocation, number, amount).
        let mut applied: Vec<(i64, i64, String, i64)> = self
            .query(
                "SELECT a.payment_id, a.id, i.number, a.amount_minor \
                 FROM payment p JOIN allocation a ON a.payment_id = p.id \
                 JOIN invoice i ON i.id = a.invoice_id \
                 WHERE p.customer_id = $1 AND p.date <= $2 AND a.date <= $2",
                &[&customer.0, &as_of],
            )?
            .iter()
            .map(|row| Ok((get(row, 0)?, get(row, 1)?, get(row, 2)?, get(row, 3)?)))
            .collect::<Result<_>>()?;
        applied.sort_unstable_by_key(|(payment, id, ..)| (*payment, *id));
        let mut out = Vec::with_capacity(payments.len());
        for stored in payments {
            let start = applied.partition_point(|(payment, ..)| *payment < stored.id.0);
            let applied_to: Vec<(String, i64)> = applied[start..]
                .iter()
                .take_while(|(payment, ..)| *payment == stored.id.0)
                .map(|(_, _, number, amount)| (number.clone(), *amount))
                .collect();
            out.push(PaymentState {
                id: stored.id,
                payment: stored.payment,
                allocated_minor: applied_to.iter().map(|(_, a)| a).sum(),
                applied_to,
            });
        }
        Ok(out)
    }

    fn unallocated_payments(&mut self, as_of: Date) -> Result<Vec<(StoredPayment, i64)>> {
        let sql = format!(
            "SELECT {PAYMENT_COLUMNS}, p.amount_minor - CASE WHEN p.last_allocated > $1 \
                 THEN COALESCE((SELECT SUM(a.amount_minor) FROM allocation a \
                                WHERE a.payment_id = p.id AND a.date <= $1), 0) \
                 ELSE p.allocated_minor END::bigint \
             FROM payment p WHERE p.date <= $1 AND p.amount_minor > 0 \
               AND (p.amount_minor > p.allocated_minor OR p.last_allocated > $1)"
        );
        let mut out = Vec::new();
        for row in self.query(&sql, &[&day(as_of)])? {
            let left: i64 = get(&row, 13)?;
            if left > 0 {
                out.push((payment_from_row(&row)?, left));
            }
        }
        out.sort_unstable_by_key(|(p, _)| (p.payment.date, p.id));
        Ok(out)
    }

    fn customer_credit(&mut self, customer: CustomerId, currency: Currency) -> Result<i64> {
        let code = currency.code();
        self.lock(LOCK_CUSTOMER_PAYMENTS, &[&customer.0, &code])?;
        self.lock(LOCK_CUSTOMER_CREDIT_NOTES, &[&customer.0, &code])?;
        get(
            &self.query_one(SQL_CUSTOMER_CREDIT, &[&customer.0, &code])?,
            0,
        )
    }

    fn credit_balances(&mut self, as_of: Date) -> Result<Vec<CreditBalance>> {
        let as_of = day(as_of);
        let mut totals: HashMap<(Option<i64>, String), i64> = HashMap::new();
        for sql in [SQL_CREDIT_PAYMENTS, SQL_CREDIT_NOTES_LEFT] {
            for row in self.query(sql, &[&as_of])? {
                let left: i64 = get(&row, 2)?;
                if left != 0 {
                    *totals.entry((get(&row, 0)?, get(&row, 1)?)).or_default() += left;
                }
            }
        }
        let mut out = Vec::with_capacity(totals.len());
        for ((customer, code), minor) in totals {
            if minor != 0 {
                out.push(CreditBalance {
                    customer: customer.map(CustomerId),
                    currency: currency(&code)?,
                    minor,
                });
            }
        }
        out.sort_unstable_by_key(|b| (b.customer, b.currency));
        Ok(out)
    }

    fn all_customer_ibans(&mut self) -> Result<Vec<(String, CustomerId)>> {
        self.query(
            "SELECT iban, customer_id FROM customer_iban ORDER BY row_order",
            &[],
        )?
        .iter()
        .map(|row| Ok((get(row, 0)?, CustomerId(get(row, 1)?))))
        .collect()
    }

    fn find_customer(&mut self, key: CustomerKey<'_>) -> Result<Option<StoredCustomer>> {
        match key {
            CustomerKey::Kvk(kvk) => self.load_customer("c.kvk = $1", &kvk),
            CustomerKey::Vat(vat) => self.load_customer("c.vat_number = $1", &vat),
            CustomerKey::Peppol(id) => self.load_customer("c.peppol_id = $1", &id),
        }
    }

    fn payment_match(&mut self, id: PaymentId) -> Result<MatchInfo> {
        let sql = format!("SELECT {MATCH_COLUMNS} FROM payment p WHERE p.id = $1");
        match self.query_opt(&sql, &[&id.0])? {
            Some(row) => match_from_row(&row, 0),
            None => Ok(MatchInfo::default()),
        }
    }

    fn payments_by_end_to_end(&mut self, end_to_end_id: &str) -> Result<Vec<StoredPayment>> {
        let sql = format!(
            "SELECT {PAYMENT_COLUMNS} FROM payment p WHERE p.end_to_end_id = $1 ORDER BY p.id"
        );
        self.query(&sql, &[&end_to_end_id])?
            .iter()
            .map(payment_from_row)
            .collect()
    }

    fn review_queue(&mut self) -> Result<Vec<ReviewItem>> {
        let sql = format!(
            "SELECT {PAYMENT_COLUMNS}, p.amount_minor - COALESCE((SELECT SUM(a.amount_minor) \
                 FROM allocation a WHERE a.payment_id = p.id), 0)::bigint, {MATCH_COLUMNS} \
             FROM payment p WHERE p.needs_review"
        );
        let mut out = Vec::new();
        for row in self.query(&sql, &[])? {
            out.push(ReviewItem {
                payment: payment_from_row(&row)?,
                unallocated_minor: get(&row, 13)?,
                info: match_from_row(&row, 14)?,
            });
        }
        out.sort_unstable_by_key(|r| (r.payment.payment.date, r.payment.id));
        Ok(out)
    }

    fn allocations_to(&mut self, invoice: InvoiceId) -> Result<Vec<StoredAllocation>> {
        // What is given back when an invoice shrinks is computed from these.
        self.lock(LOCK_INVOICE, &[&invoice.0])?;
        let sql = format!("{ALLOCATION_SELECT} WHERE invoice_id = $1 ORDER BY id");
        self.query(&sql, &[&invoice.0])?
            .iter()
            .map(allocation_from_row)
            .collect()
    }

    fn allocations_from(&mut self, source: AllocationSource) -> Result<Vec<StoredAllocation>> {
        let (lock, column, id) = match source {
            AllocationSource::Payment(p) => (LOCK_PAYMENT, "payment_id", p.0),
            AllocationSource::CreditNote(c) => (LOCK_INVOICE, "credit_note_id", c.0),
        };
        self.lock(lock, &[&id])?;
        let sql = format!("{ALLOCATION_SELECT} WHERE {column} = $1 ORDER BY id");
        self.query(&sql, &[&id])?
            .iter()
            .map(allocation_from_row)
            .collect()
    }

    fn revision(&mut self) -> Result<i64> {
        self.read_revision()
    }

    fn copy_out(
        &mut self,
        table: &Table,
        visit: &mut dyn FnMut(&[Cell]) -> Result<()>,
    ) -> Result<u64> {
        self.copy_table_out(table, visit)
    }
}

impl WriteTx for PgTx<'_> {
    fn commit(mut self: Box<Self>) -> Result<()> {
        self.finish_commit()
    }

    fn begin_bulk_load(&mut self, tables: &[BulkTable]) -> Result<()> {
        self.begin_bulk(tables)
    }

    fn end_bulk_load(&mut self) -> Result<()> {
        self.end_bulk()
    }

    fn insert_account_manager(&mut self, manager: &AccountManager) -> Result<AccountManagerId> {
        let row = self.query_one(
            "INSERT INTO account_manager (name, email) VALUES ($1, $2) RETURNING id",
            &[&manager.name, &manager.email.as_ref().map(|e| e.as_str())],
        )?;
        Ok(AccountManagerId(get(&row, 0)?))
    }

    fn update_account_manager(
        &mut self,
        id: AccountManagerId,
        manager: &AccountManager,
    ) -> Result<()> {
        self.execute(
            "UPDATE account_manager SET name = $2, email = $3 WHERE id = $1",
            &[
                &id.0,
                &manager.name,
                &manager.email.as_ref().map(|e| e.as_str()),
            ],
        )?;
        Ok(())
    }

    fn insert_customer(&mut self, customer: &Customer) -> Result<CustomerId> {
        if let Some(id) = self.bulk_customer(customer)? {
            return Ok(CustomerId(id));
        }
        let values = customer_values(customer);
        let row = self.query_one(
            "INSERT INTO customer (number, name, kind, email, phone, language, industry, \
             account_manager_id, credit_limit_minor, payment_terms_days, kvk, vat_number, street, \
             postal_code, city, country) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16) RETURNING id",
            &params(None, &values),
        )?;
        let id: i64 = get(&row, 0)?;
        self.write_ibans(id, &customer.ibans, false)?;
        Ok(CustomerId(id))
    }

    fn update_customer(&mut self, id: CustomerId, customer: &Customer) -> Result<()> {
        let values = customer_values(customer);
        let mut params = params(None, &values);
        params.push(&id.0);
        self.execute(
            "UPDATE customer SET number = $1, name = $2, kind = $3, email = $4, phone = $5, \
             language = $6, industry = $7, account_manager_id = $8, credit_limit_minor = $9, \
             payment_terms_days = $10, kvk = $11, vat_number = $12, street = $13, \
             postal_code = $14, city = $15, country = $16 WHERE id = $17",
            &params,
        )?;
        self.write_ibans(id.0, &customer.ibans, true)
    }

    fn insert_invoice(&mut self, invoice: &Invoice) -> Result<InvoiceId> {
        if let Some(id) = self.bulk_invoice(invoice)? {
            return Ok(InvoiceId(id));
        }
        let row = self.query_one(
            "INSERT INTO invoice (number, customer_id, issue_date, due_date, amount_minor, currency, \
             payment_reference, description, credits_invoice) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
            &params(None, &invoice_values(invoice)),
        )?;
        Ok(InvoiceId(get(&row, 0)?))
    }

    fn update_invoice(&mut self, id: InvoiceId, invoice: &Invoice) -> Result<()> {
        self.execute(
            "UPDATE invoice SET number = $2, customer_id = $3, issue_date = $4, due_date = $5, \
             amount_minor = $6, currency = $7, payment_reference = $8, description = $9, \
             credits_invoice = $10 WHERE id = $1",
            &params(Some(&id.0), &invoice_values(invoice)),
        )?;
        Ok(())
    }

    fn insert_payment(&mut self, payment: &Payment) -> Result<PaymentId> {
        self.insert_matched_payment(payment, &MatchInfo::default())
    }

    fn insert_matched_payment(&mut self, payment: &Payment, info: &MatchInfo) -> Result<PaymentId> {
        if let Some(id) = self.bulk_payment(payment, info)? {
            return Ok(PaymentId(id));
        }
        let row = self.query_one(
            "INSERT INTO payment (external_id, date, amount_minor, currency, customer_id, invoice_id, \
             reference, counterparty_iban, counterparty_name, source, end_to_end_id, bank_account, \
             match_rule, match_confidence, needs_review, suggested_customer_id, note, \
             reverses_payment_id) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18) \
             RETURNING id",
            &params(None, &payment_values(payment, info)),
        )?;
        Ok(PaymentId(get(&row, 0)?))
    }

    fn update_payment(&mut self, id: PaymentId, payment: &Payment) -> Result<()> {
        self.execute(
            "UPDATE payment SET external_id = $2, date = $3, amount_minor = $4, currency = $5, \
             customer_id = $6, invoice_id = $7, reference = $8, counterparty_iban = $9, \
             counterparty_name = $10, source = $11, end_to_end_id = $12, bank_account = $13 \
             WHERE id = $1",
            &[
                &id.0,
                &payment.external_id,
                &day(payment.date),
                &payment.amount.minor,
                &payment.amount.currency.code(),
                &payment.customer.map(|c| c.0),
                &payment.invoice.map(|i| i.0),
                &payment.reference,
                &payment.counterparty_iban.as_ref().map(|i| i.as_str()),
                &payment.counterparty_name,
                &payment.source.as_str(),
                &payment.end_to_end_id,
                &payment.bank_account,
            ],
        )?;
        Ok(())
    }

    fn learn_iban(&mut self, customer: CustomerId, iban: &Iban) -> Result<bool> {
        let added = self.execute(
            "INSERT INTO customer_iban (iban, customer_id, source) VALUES ($1, $2, 'learned') \
             ON CONFLICT (iban, customer_id) DO NOTHING",
            &[&iban.as_str(), &customer.0],
        )?;
        Ok(added > 0)
    }

    fn forget_learned_iban(&mut self, customer: CustomerId, iban: &Iban) -> Result<bool> {
        let removed = self.execute(
            "DELETE FROM customer_iban WHERE iban = $1 AND customer_id = $2 AND source = 'learned'",
            &[&iban.as_str(), &customer.0],
        )?;
        Ok(removed > 0)
    }

    fn set_customer_peppol(&mut self, customer: CustomerId, peppol_id: &str) -> Result<()> {
        self.execute(
            "UPDATE customer SET peppol_id = $2 WHERE id = $1",
            &[&customer.0, &peppol_id],
        )?;
        Ok(())
    }

    fn set_payment_match(&mut self, id: PaymentId, info: &MatchInfo) -> Result<()> {
        self.execute(
            "UPDATE payment SET match_rule = $2, match_confidence = $3, needs_review = $4, \
             suggested_customer_id = $5, note = $6, reverses_payment_id = $7 WHERE id = $1",
            &[
                &id.0,
                &info.rule.map(MatchRule::as_str),
                &i64::from(info.confidence),
                &info.needs_review,
                &info.suggested_customer.map(|c| c.0),
                &info.note,
                &info.reverses.map(|p| p.0),
            ],
        )?;
        Ok(())
    }

    fn record_statement_import(&mut self, record: &StatementImportRecord) -> Result<()> {
        let count = |n: u64| i64::try_from(n).map_err(|_| corrupt("count", n));
        let (statements, entries, booked, duplicates, debits) = (
            count(record.statements)?,
            count(record.entries)?,
            count(record.booked)?,
            count(record.duplicates)?,
            count(record.debits)?,
        );
        self.execute(
            "INSERT INTO statement_import (file_name, file_hash, format, accounts, statements, \
             entries, booked, duplicates, debits) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            &[
                &record.file_name,
                &record.file_hash,
                &record.format,
                &record.accounts,
                &statements,
                &entries,
                &booked,
                &duplicates,
                &debits,
            ],
        )?;
        Ok(())
    }

    fn insert_allocation(&mut self, allocation: &Allocation) -> Result<()> {
        if self.bulk_allocation(allocation)? {
            return Ok(());
        }
        self.ready()?;
        self.insert_allocation_unflushed(allocation)
    }

    fn set_allocation_amount(&mut self, row: i64, amount_minor: i64) -> Result<()> {
        self.execute(
            "UPDATE allocation SET amount_minor = $2 WHERE id = $1",
            &[&row, &amount_minor],
        )?;
        Ok(())
    }

    fn delete_allocation(&mut self, row: i64) -> Result<()> {
        self.execute("DELETE FROM allocation WHERE id = $1", &[&row])?;
        Ok(())
    }

    fn copy_in(&mut self, table: &Table, rows: &[Vec<Cell>]) -> Result<()> {
        self.copy_table_in(table, rows)
    }
}
