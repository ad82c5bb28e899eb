-- Bank statements and e-invoices: payments from statement files carry the
-- bank's references and the matching decision; customers can be found by
-- their Peppol endpoint; every statement file imported is logged.

ALTER TABLE payment ADD COLUMN end_to_end_id TEXT;
ALTER TABLE payment ADD COLUMN bank_account TEXT;
-- How the payment was matched: reference, invoice_number, iban_amount,
-- manual, csv, refund, reversal; NULL when not matched.
ALTER TABLE payment ADD COLUMN match_rule TEXT;
ALTER TABLE payment ADD COLUMN match_confidence INTEGER;
-- 1 while a person has to look at it (the review queue).
ALTER TABLE payment ADD COLUMN needs_review INTEGER NOT NULL DEFAULT 0;
ALTER TABLE payment ADD COLUMN suggested_customer_id INTEGER REFERENCES customer (id);
ALTER TABLE payment ADD COLUMN note TEXT;
-- A reversal (a returned direct debit) points at the payment it undoes.
ALTER TABLE payment ADD COLUMN reverses_payment_id INTEGER REFERENCES payment (id);
CREATE INDEX payment_review ON payment (needs_review) WHERE needs_review = 1;
CREATE INDEX payment_end_to_end ON payment (end_to_end_id) WHERE end_to_end_id IS NOT NULL;

ALTER TABLE customer ADD COLUMN peppol_id TEXT;
CREATE INDEX customer_peppol ON customer (peppol_id) WHERE peppol_id IS NOT NULL;

CREATE TABLE statement_import (
    id          INTEGER PRIMARY KEY,
    file_name   TEXT NOT NULL,
    file_hash   TEXT NOT NULL,
    format      TEXT NOT NULL,
    accounts    TEXT,
    statements  INTEGER NOT NULL,
    entries     INTEGER NOT NULL,
    booked      INTEGER NOT NULL,
    duplicates  INTEGER NOT NULL,
    debits      INTEGER NOT NULL,
    imported_at TEXT NOT NULL DEFAULT (datetime('now'))
);
