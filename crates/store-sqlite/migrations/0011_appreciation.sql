-- Appreciation: suggestions to thank a customer who kept a deal (raised
-- once per customer, reason, day and plan or promise), and relationship
-- gifts against the account manager's quarterly budget.
CREATE TABLE appreciation (
    id          INTEGER PRIMARY KEY,
    customer_id INTEGER NOT NULL REFERENCES customer (id),
    reason      TEXT NOT NULL CHECK (reason IN ('plan_completed', 'promise_kept', 'back_on_time', 'on_time_year')),
    since       INTEGER NOT NULL,
    ref_id      INTEGER NOT NULL DEFAULT 0,
    suggested   TEXT NOT NULL CHECK (suggested IN ('thank_you', 'gift')),
    evidence    TEXT NOT NULL,
    evidence_nl TEXT NOT NULL,
    raised_on   INTEGER NOT NULL,
    status      TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'thanked', 'gifted', 'dismissed', 'lapsed')),
    decided_on  INTEGER,
    decided_by  TEXT,
    message_id  INTEGER REFERENCES dunning_message (id),
    UNIQUE (customer_id, reason, since, ref_id)
);
CREATE INDEX appreciation_open ON appreciation (status) WHERE status = 'open';

CREATE TABLE gift (
    id                 INTEGER PRIMARY KEY,
    customer_id        INTEGER NOT NULL REFERENCES customer (id),
    account_manager_id INTEGER REFERENCES account_manager (id),
    appreciation_id    INTEGER REFERENCES appreciation (id),
    given_on           INTEGER NOT NULL,
    item               TEXT NOT NULL,
    value_minor        INTEGER NOT NULL CHECK (value_minor > 0),
    currency           TEXT NOT NULL,
    logged_by          TEXT NOT NULL,
    status             TEXT NOT NULL CHECK (status IN ('given', 'awaiting_approval', 'refused')),
    decided_by         TEXT,
    decided_on         INTEGER
);
CREATE INDEX gift_customer ON gift (customer_id);
