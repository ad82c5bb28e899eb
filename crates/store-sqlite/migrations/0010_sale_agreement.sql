-- The payment agreement made at the sale: the terms the customer heard
-- and agreed to, with whom, on what day (reminders quote the latest).
CREATE TABLE sale_agreement (
    id              INTEGER PRIMARY KEY,
    customer_id     INTEGER NOT NULL REFERENCES customer (id),
    agreed_on       INTEGER NOT NULL,
    terms_days      INTEGER NOT NULL CHECK (terms_days BETWEEN 0 AND 365),
    method          TEXT NOT NULL CHECK (method IN ('transfer', 'direct_debit')),
    invoice_contact TEXT,
    agreed_with     TEXT NOT NULL,
    agreed_by       TEXT NOT NULL,
    note            TEXT
);
CREATE INDEX sale_agreement_customer ON sale_agreement (customer_id, agreed_on);
