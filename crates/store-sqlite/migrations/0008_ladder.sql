-- The dunning ladder per invoice.
--
-- A message item records the step the message gave that invoice (its rung)
-- and the step's kind, which orders steps across strategies; an item
-- without a step was only listed as also open. Items from before this
-- migration took the message's step where they moved the invoice.
ALTER TABLE dunning_item ADD COLUMN step TEXT;
ALTER TABLE dunning_item ADD COLUMN kind TEXT;
UPDATE dunning_item
   SET step = (SELECT m.step_id FROM dunning_message m WHERE m.id = dunning_item.message_id)
 WHERE step_offset IS NOT NULL;
DROP INDEX dunning_item_invoice;
CREATE INDEX dunning_item_rung ON dunning_item (invoice_id) WHERE step IS NOT NULL;

-- What an earlier system already sent, imported at go-live
-- (`tegoed import dunning-history`), so invoices continue from there.
-- Keyed by invoice, day and step: importing a file again changes nothing.
CREATE TABLE dunning_history (
    invoice_id INTEGER NOT NULL REFERENCES invoice (id),
    date       INTEGER NOT NULL,
    step       TEXT NOT NULL,
    kind       TEXT NOT NULL,
    channel    TEXT,
    strategy   TEXT,
    PRIMARY KEY (invoice_id, date, step)
) WITHOUT ROWID;
