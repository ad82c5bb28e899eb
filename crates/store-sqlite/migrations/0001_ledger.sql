-- The receivables ledger: account managers, customers, invoices and credit
-- notes, payments, and the allocations between them.
-- Dates are days since 1970-01-01 (INTEGER); money is integer minor units
-- with a currency column. Open amounts are never stored: they are derived
-- from allocations.

CREATE TABLE account_manager (
    id    INTEGER PRIMARY KEY,
    name  TEXT NOT NULL,
    email TEXT
);
CREATE UNIQUE INDEX account_manager_name ON account_manager (name COLLATE NOCASE);
CREATE UNIQUE INDEX account_manager_email ON account_manager (email COLLATE NOCASE) WHERE email IS NOT NULL;

CREATE TABLE customer (
    id                 INTEGER PRIMARY KEY,
    number             TEXT NOT NULL UNIQUE,
    name               TEXT NOT NULL,
    kind               TEXT NOT NULL CHECK (kind IN ('b2b', 'b2c')),
    email              TEXT,
    phone              TEXT,
    language           TEXT NOT NULL CHECK (language IN ('nl', 'en')),
    industry           TEXT,
    account_manager_id INTEGER REFERENCES account_manager (id),
    credit_limit_minor INTEGER,
    payment_terms_days INTEGER NOT NULL CHECK (payment_terms_days >= 0),
    kvk                TEXT,
    vat_number         TEXT,
    street             TEXT,
    postal_code        TEXT,
    city               TEXT,
    country            TEXT NOT NULL
);
CREATE INDEX customer_account_manager ON customer (account_manager_id);
CREATE INDEX customer_kvk ON customer (kvk) WHERE kvk IS NOT NULL;
CREATE INDEX customer_vat ON customer (vat_number) WHERE vat_number IS NOT NULL;

-- IBANs a customer pays from. `source` is 'customer' for IBANs from the
-- customer record (replaced on re-import) and 'learned' for IBANs a user
-- confirmed when matching a payment (kept).
CREATE TABLE customer_iban (
    iban        TEXT NOT NULL,
    customer_id INTEGER NOT NULL REFERENCES customer (id),
    source      TEXT NOT NULL DEFAULT 'customer' CHECK (source IN ('customer', 'learned')),
    UNIQUE (iban, customer_id)
);
CREATE INDEX customer_iban_customer ON customer_iban (customer_id);

-- Invoices (amount > 0) and credit notes (amount < 0), including VAT.
-- Unique keys are named indexes rather than column constraints so a bulk
-- load into an empty table can build them after the rows are in.
CREATE TABLE invoice (
    id                INTEGER PRIMARY KEY,
    number            TEXT NOT NULL,
    customer_id       INTEGER NOT NULL REFERENCES customer (id),
    issue_date        INTEGER NOT NULL,
    due_date          INTEGER NOT NULL,
    amount_minor      INTEGER NOT NULL,
    currency          TEXT NOT NULL,
    payment_reference TEXT,
    description       TEXT,
    credits_invoice   TEXT
);
CREATE UNIQUE INDEX invoice_number ON invoice (number);
CREATE INDEX invoice_customer ON invoice (customer_id, due_date);
CREATE INDEX invoice_payment_reference ON invoice (payment_reference) WHERE payment_reference IS NOT NULL;

-- Money in (amount > 0) or refunded (amount < 0).
CREATE TABLE payment (
    id                INTEGER PRIMARY KEY,
    external_id       TEXT NOT NULL,
    date              INTEGER NOT NULL,
    amount_minor      INTEGER NOT NULL,
    currency          TEXT NOT NULL,
    customer_id       INTEGER REFERENCES customer (id),
    invoice_id        INTEGER REFERENCES invoice (id),
    reference         TEXT,
    counterparty_iban TEXT,
    counterparty_name TEXT,
    source            TEXT NOT NULL
);
CREATE UNIQUE INDEX payment_external_id ON payment (external_id);
CREATE INDEX payment_customer ON payment (customer_id, date);

-- A part of a payment or of a credit note applied to an invoice.
CREATE TABLE allocation (
    id             INTEGER PRIMARY KEY,
    invoice_id     INTEGER NOT NULL REFERENCES invoice (id),
    payment_id     INTEGER REFERENCES payment (id),
    credit_note_id INTEGER REFERENCES invoice (id),
    date           INTEGER NOT NULL,
    amount_minor   INTEGER NOT NULL CHECK (amount_minor > 0),
    CHECK ((payment_id IS NULL) <> (credit_note_id IS NULL))
);
CREATE INDEX allocation_invoice ON allocation (invoice_id, date, amount_minor);
CREATE INDEX allocation_payment ON allocation (payment_id) WHERE payment_id IS NOT NULL;
CREATE INDEX allocation_credit_note ON allocation (credit_note_id) WHERE credit_note_id IS NOT NULL;
