-- Risk and credit policy: fitted risk models and external credit ratings.
-- Dates are days since 1970-01-01.

-- A fitted risk model with its date, features, coefficients and metrics
-- (JSON written and read by the app); the newest one is in use.
CREATE TABLE risk_model (
    id            INTEGER PRIMARY KEY,
    trained_as_of INTEGER NOT NULL,
    body          TEXT NOT NULL
);

-- External credit ratings (Graydon, Creditsafe, …), for a customer or for
-- a prospect known only by KvK number. `subject` is 'customer:ID' or
-- 'kvk:NUMBER', so one rating per subject, provider and date.
CREATE TABLE rating (
    id                      INTEGER PRIMARY KEY,
    subject                 TEXT NOT NULL,
    customer_id             INTEGER REFERENCES customer (id),
    kvk                     TEXT,
    provider                TEXT NOT NULL,
    score                   REAL NOT NULL,
    recommended_limit_minor INTEGER,
    rated_on                INTEGER NOT NULL,
    UNIQUE (subject, provider, rated_on)
);
CREATE INDEX rating_customer ON rating (customer_id);
CREATE INDEX rating_kvk ON rating (kvk);
