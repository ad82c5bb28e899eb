-- The customer portal: the links handed out, only as hashes of their
-- random tokens, and what customers did on their own page.
CREATE TABLE portal_token (
    hash        TEXT PRIMARY KEY,
    customer_id INTEGER NOT NULL REFERENCES customer (id),
    issued_on   INTEGER NOT NULL,
    expires_on  INTEGER NOT NULL,
    revoked_on  INTEGER
);
CREATE INDEX portal_token_customer ON portal_token (customer_id);

CREATE TABLE portal_request (
    id           INTEGER PRIMARY KEY,
    customer_id  INTEGER NOT NULL REFERENCES customer (id),
    kind         TEXT NOT NULL CHECK (kind IN ('paid', 'promise', 'plan', 'problem', 'contact')),
    created_on   INTEGER NOT NULL,
    created_at   INTEGER NOT NULL,
    on_date      INTEGER,
    amount_minor INTEGER,
    currency     TEXT,
    instalments  INTEGER,
    invoice_id   INTEGER REFERENCES invoice (id),
    reason       TEXT,
    text         TEXT,
    outcome      TEXT NOT NULL CHECK (outcome IN ('accepted', 'request', 'noted')),
    why          TEXT,
    ref_id       INTEGER,
    task_id      INTEGER,
    fingerprint  TEXT NOT NULL,
    UNIQUE (customer_id, fingerprint)
);
CREATE INDEX portal_request_on ON portal_request (created_on);
