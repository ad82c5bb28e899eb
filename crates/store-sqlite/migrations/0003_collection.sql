-- Collection: target groups and strategies act on customers through
-- dunning messages, call tasks and claims; customers make promises, get
-- payment plans and dispute invoices; sales and credit staff share one
-- timeline per customer. Dates are days since 1970-01-01.

-- Tags users set on customers (segment rules can test them).
CREATE TABLE customer_tag (
    customer_id INTEGER NOT NULL REFERENCES customer (id),
    tag         TEXT NOT NULL,
    PRIMARY KEY (customer_id, tag)
) WITHOUT ROWID;

-- Where a customer stands in collection, besides their invoices.
CREATE TABLE collection_state (
    customer_id        INTEGER PRIMARY KEY REFERENCES customer (id),
    -- Credit hold: sales sees it before the next deal.
    credit_hold_since  INTEGER,
    credit_hold_reason TEXT,
    -- A dunning pause with its reason and last day.
    pause_until        INTEGER,
    pause_reason       TEXT,
    -- Handed to the collection agency: internal dunning stops.
    handed_off_on      INTEGER
);

-- A customer contests an invoice: no dunning on it while open.
CREATE TABLE dispute (
    id          INTEGER PRIMARY KEY,
    invoice_id  INTEGER NOT NULL REFERENCES invoice (id),
    customer_id INTEGER NOT NULL REFERENCES customer (id),
    opened_on   INTEGER NOT NULL,
    reason      TEXT NOT NULL,
    resolved_on INTEGER,
    resolution  TEXT
);
CREATE UNIQUE INDEX dispute_open ON dispute (invoice_id) WHERE resolved_on IS NULL;
CREATE INDEX dispute_customer ON dispute (customer_id);

-- A promise to pay an amount by a date, covering invoices.
CREATE TABLE promise (
    id           INTEGER PRIMARY KEY,
    customer_id  INTEGER NOT NULL REFERENCES customer (id),
    created_on   INTEGER NOT NULL,
    amount_minor INTEGER NOT NULL CHECK (amount_minor > 0),
    currency     TEXT NOT NULL,
    promised_on  INTEGER NOT NULL,
    status       TEXT NOT NULL CHECK (status IN ('pending', 'kept', 'broken')),
    -- The day the status became kept or broken.
    status_on    INTEGER,
    note         TEXT
);
CREATE INDEX promise_customer ON promise (customer_id);
CREATE TABLE promise_invoice (
    promise_id INTEGER NOT NULL REFERENCES promise (id),
    invoice_id INTEGER NOT NULL REFERENCES invoice (id),
    PRIMARY KEY (promise_id, invoice_id)
) WITHOUT ROWID;

-- A payment plan (betalingsregeling) over invoices; the instalments follow
-- from total, count, first due date and interval.
CREATE TABLE payment_plan (
    id           INTEGER PRIMARY KEY,
    customer_id  INTEGER NOT NULL REFERENCES customer (id),
    created_on   INTEGER NOT NULL,
    total_minor  INTEGER NOT NULL CHECK (total_minor > 0),
    currency     TEXT NOT NULL,
    instalments  INTEGER NOT NULL CHECK (instalments > 0),
    first_due    INTEGER NOT NULL,
    interval     TEXT NOT NULL,
    status       TEXT NOT NULL CHECK (status IN ('active', 'completed', 'broken')),
    status_on    INTEGER,
    -- For a broken plan: the due date of the instalment that was missed.
    missed_due   INTEGER
);
CREATE INDEX payment_plan_customer ON payment_plan (customer_id);
CREATE TABLE plan_invoice (
    plan_id    INTEGER NOT NULL REFERENCES payment_plan (id),
    invoice_id INTEGER NOT NULL REFERENCES invoice (id),
    PRIMARY KEY (plan_id, invoice_id)
) WITHOUT ROWID;

-- One dunning run.
CREATE TABLE dunning_run (
    id         INTEGER PRIMARY KEY,
    as_of      INTEGER NOT NULL,
    messages   INTEGER NOT NULL,
    started_at TEXT NOT NULL DEFAULT (datetime('now'))
);

-- A message of a run: recorded (queued) with its rendered text before it is
-- delivered, marked sent after. Channel 'call' is a task, 'handoff' a claim
-- file for the agency.
CREATE TABLE dunning_message (
    id                      INTEGER PRIMARY KEY,
    run_id                  INTEGER NOT NULL REFERENCES dunning_run (id),
    customer_id             INTEGER NOT NULL REFERENCES customer (id),
    as_of                   INTEGER NOT NULL,
    segment                 TEXT NOT NULL,
    strategy                TEXT NOT NULL,
    step_id                 TEXT NOT NULL,
    step_offset             INTEGER NOT NULL,
    channel                 TEXT NOT NULL CHECK (channel IN ('email', 'letter', 'call', 'handoff')),
    language                TEXT NOT NULL,
    recipient               TEXT,
    sender_name             TEXT NOT NULL,
    sender_email            TEXT,
    subject                 TEXT NOT NULL,
    body_text               TEXT NOT NULL,
    -- The structured message (JSON) that text, HTML and PDF are laid out from.
    document                TEXT NOT NULL,
    currency                TEXT NOT NULL,
    principal_minor         INTEGER NOT NULL,
    interest_minor          INTEGER NOT NULL,
    costs_minor             INTEGER NOT NULL,
    vat_uplift_minor        INTEGER NOT NULL,
    credit_minor            INTEGER NOT NULL,
    -- The deadline the message gives; the next step waits until it passed.
    pay_by                  INTEGER,
    effects                 TEXT NOT NULL,
    status                  TEXT NOT NULL CHECK (status IN ('queued', 'sent', 'failed', 'cancelled')),
    delivered_on            INTEGER,
    file_path               TEXT,
    error                   TEXT,
    -- A consumer's 14-day letter: when it counts as received, the last day
    -- to pay without costs, and the costs it announced.
    fourteen_day            INTEGER NOT NULL DEFAULT 0,
    received_on             INTEGER,
    pay_without_costs_until INTEGER,
    stated_costs_minor      INTEGER
);
CREATE INDEX dunning_message_customer ON dunning_message (customer_id);
CREATE INDEX dunning_message_queued ON dunning_message (status) WHERE status = 'queued';

-- The invoices a message covers. `step_offset` is set where the message
-- moved the invoice to its step (each invoice passes each step once).
CREATE TABLE dunning_item (
    message_id     INTEGER NOT NULL REFERENCES dunning_message (id),
    invoice_id     INTEGER NOT NULL REFERENCES invoice (id),
    open_minor     INTEGER NOT NULL,
    interest_minor INTEGER NOT NULL,
    days_overdue   INTEGER NOT NULL,
    step_offset    INTEGER,
    PRIMARY KEY (message_id, invoice_id)
) WITHOUT ROWID;
CREATE INDEX dunning_item_invoice ON dunning_item (invoice_id, step_offset);

-- Work for a person: a call with talking points.
CREATE TABLE task (
    id            INTEGER PRIMARY KEY,
    customer_id   INTEGER NOT NULL REFERENCES customer (id),
    message_id    INTEGER UNIQUE REFERENCES dunning_message (id),
    kind          TEXT NOT NULL,
    created_on    INTEGER NOT NULL,
    due_on        INTEGER NOT NULL,
    assignee      TEXT,
    title         TEXT NOT NULL,
    talking_points TEXT NOT NULL,
    amount_minor  INTEGER NOT NULL,
    currency      TEXT NOT NULL,
    status        TEXT NOT NULL CHECK (status IN ('open', 'done')),
    done_on       INTEGER,
    outcome       TEXT
);
CREATE INDEX task_open ON task (status) WHERE status = 'open';
CREATE INDEX task_customer ON task (customer_id);

-- What happened with a customer, besides invoices and payments (which the
-- timeline reads from the ledger).
CREATE TABLE timeline_event (
    id          INTEGER PRIMARY KEY,
    customer_id INTEGER NOT NULL REFERENCES customer (id),
    date        INTEGER NOT NULL,
    kind        TEXT NOT NULL,
    invoice_id  INTEGER REFERENCES invoice (id),
    ref_id      INTEGER,
    text        TEXT NOT NULL,
    author      TEXT
);
CREATE INDEX timeline_customer ON timeline_event (customer_id, date);

-- Credit balances scan allocations in payment order: a covering index.
DROP INDEX allocation_payment;
CREATE INDEX allocation_payment_cover ON allocation (payment_id, date, amount_minor) WHERE payment_id IS NOT NULL;
