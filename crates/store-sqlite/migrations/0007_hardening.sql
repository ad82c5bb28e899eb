-- At most one dunning run at a time, and every message delivered once.
--
-- A run holds the lease while it plans and delivers; a second run finds it
-- and reports who holds it. The holder renews it while it works; a lease
-- that has expired, or whose process is gone (same host, pid not running),
-- may be taken over. Times are Unix seconds.
CREATE TABLE run_lease (
    name       TEXT PRIMARY KEY,
    -- Random per run: whoever holds this token holds the lease.
    token      TEXT NOT NULL,
    -- Who started it, for the "a run is in progress" message.
    holder     TEXT NOT NULL,
    host       TEXT NOT NULL,
    pid        INTEGER NOT NULL,
    started_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);

-- A deliverer claims a queued message (a conditional update) before it
-- delivers it, so two deliverers can never both send one message.
ALTER TABLE dunning_message ADD COLUMN claimed_by TEXT;

-- Secrets the servers of one database share (the key that signs the login
-- form's token), created on first use.
CREATE TABLE server_secret (
    name  TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
