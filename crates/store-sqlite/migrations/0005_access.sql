-- The web app: users with roles, sessions, API tokens, the audit log, and
-- dunning pause requests from sales waiting for a credit manager.
-- Dates are days since 1970-01-01; moments (`*_at`) are Unix seconds.

CREATE TABLE app_user (
    id                 INTEGER PRIMARY KEY,
    email              TEXT NOT NULL UNIQUE,
    name               TEXT NOT NULL,
    role               TEXT NOT NULL CHECK (role IN ('admin', 'credit_manager', 'collector', 'sales')),
    language           TEXT NOT NULL CHECK (language IN ('nl', 'en')),
    password_hash      TEXT NOT NULL,
    account_manager_id INTEGER REFERENCES account_manager (id),
    disabled           INTEGER NOT NULL DEFAULT 0,
    created_at         INTEGER NOT NULL
);

-- A login session; only a hash of the cookie's token is kept.
CREATE TABLE session (
    token_hash TEXT PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES app_user (id),
    csrf       TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX session_expires ON session (expires_at);

-- A token for integrations (Authorization: Bearer); only its hash is kept.
CREATE TABLE api_token (
    id         INTEGER PRIMARY KEY,
    token_hash TEXT NOT NULL UNIQUE,
    user_id    INTEGER NOT NULL REFERENCES app_user (id),
    name       TEXT NOT NULL,
    created_at INTEGER NOT NULL
);

-- Every state-changing action: who, what, when.
CREATE TABLE audit_log (
    id      INTEGER PRIMARY KEY,
    at      INTEGER NOT NULL,
    actor   TEXT NOT NULL,
    action  TEXT NOT NULL,
    subject TEXT NOT NULL,
    detail  TEXT NOT NULL
);

-- A salesperson asks for a dunning pause; a credit manager decides.
CREATE TABLE pause_request (
    id           INTEGER PRIMARY KEY,
    customer_id  INTEGER NOT NULL REFERENCES customer (id),
    requested_by TEXT NOT NULL,
    requested_on INTEGER NOT NULL,
    until        INTEGER NOT NULL,
    reason       TEXT NOT NULL,
    status       TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'rejected')),
    decided_by   TEXT,
    decided_on   INTEGER
);
CREATE INDEX pause_request_status ON pause_request (status);
