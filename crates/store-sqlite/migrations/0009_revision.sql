-- A counter every committed write transaction moves (see
-- `ReadTx::revision`): how a second process (another `tegoed serve`, a CLI
-- import) tells the web app's in-memory book that the data changed.
CREATE TABLE store_revision (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    n  INTEGER NOT NULL
);
INSERT INTO store_revision (id, n) VALUES (1, 0);
