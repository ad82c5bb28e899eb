-- Migration 6's recount of an invoice's allocations (after an allocation
-- is changed or removed) computed the sums, then wrote them over the row.
-- A transaction that had just added an allocation to the same invoice
-- holds that row: the recount waited for it to commit and then wrote sums
-- computed before, without the new allocation, for good. The recount now
-- first locks the invoices concerned (in id order) and only then counts,
-- in a second statement that sees everything committed before the lock
-- was granted, as the allocating use cases do.
--
-- A correction to migration 6's note: unposting (an undone match, a
-- released credit) locks the payment or credit note and, through this
-- trigger, then the invoices; posting locks invoices first. Two such
-- transactions on the same rows at the same moment can deadlock;
-- PostgreSQL then fails one of them with an error (nothing half-done is
-- kept) and the person tries again.
CREATE OR REPLACE FUNCTION allocation_recount(invoices bigint[]) RETURNS void LANGUAGE plpgsql
    SET enable_hashjoin = off SET enable_mergejoin = off AS $$
BEGIN
    PERFORM 1 FROM invoice WHERE id = ANY (invoices) ORDER BY id FOR NO KEY UPDATE;
    UPDATE invoice i
       SET allocated_minor = COALESCE(s.allocated, 0), last_allocated = s.last
      FROM (SELECT t.id,
                   (SELECT sum(a.amount_minor)::bigint FROM allocation a WHERE a.invoice_id = t.id) AS allocated,
                   (SELECT max(a.date) FROM allocation a WHERE a.invoice_id = t.id) AS last
              FROM (SELECT DISTINCT unnest(invoices) AS id) t) s
     WHERE i.id = s.id;
END
$$;
