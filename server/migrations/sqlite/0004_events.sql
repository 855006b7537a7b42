-- credport-server schema: events (the audit log) and webhooks.

-- Every change and every read of a secret, written in the transaction of the change. `seq`
-- orders them (newest first in the log, and the cursor is a seq; the rowid only grows while the
-- newest row is kept, and retention removes the oldest); `data` is JSON text naming what changed,
-- never a secret. Few indexes: each one is another page written by every change.
CREATE TABLE events (
    seq            INTEGER PRIMARY KEY,
    id             TEXT NOT NULL,
    site_id        TEXT NOT NULL,
    type           TEXT NOT NULL,
    at             INTEGER NOT NULL,
    actor_type     TEXT NOT NULL,
    actor_token_id TEXT,
    actor_user_id  TEXT,
    target_type    TEXT NOT NULL,
    target_id      TEXT NOT NULL,
    request_id     TEXT,
    client_address TEXT,
    user_agent     TEXT,
    data           TEXT
) STRICT;
CREATE INDEX events_by_site ON events (site_id, seq);
CREATE INDEX events_by_target ON events (site_id, target_id, seq);

-- Where a site's events are delivered. The signing secret is AES-256-GCM ciphertext bound to
-- the endpoint id. `failing_since`: the first failed attempt since the last success.
CREATE TABLE webhook_endpoints (
    id            TEXT PRIMARY KEY,
    site_id       TEXT NOT NULL REFERENCES sites (id),
    url           TEXT NOT NULL,
    types         TEXT NOT NULL,
    description   TEXT,
    status        TEXT NOT NULL,
    secret        BLOB NOT NULL,
    failing_since INTEGER,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
) STRICT;
CREATE INDEX webhook_endpoints_by_site ON webhook_endpoints (site_id, created_at);

-- The outbox: one row per event and endpoint, written with the event. A deliverer takes a due
-- row by its lease (ms since the epoch), posts `payload`, and writes the outcome back.
CREATE TABLE webhook_deliveries (
    seq                INTEGER PRIMARY KEY AUTOINCREMENT,
    id                 TEXT NOT NULL UNIQUE,
    endpoint_id        TEXT NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
    event_id           TEXT NOT NULL,
    event_type         TEXT NOT NULL,
    payload            TEXT NOT NULL,
    status             TEXT NOT NULL,
    attempts           INTEGER NOT NULL DEFAULT 0,
    next_attempt_at_ms INTEGER,
    lease_until_ms     INTEGER,
    lease_holder       TEXT,
    last_attempt_at    INTEGER,
    last_status_code   INTEGER,
    last_error         TEXT,
    created_at         INTEGER NOT NULL
) STRICT;
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at_ms)
    WHERE status = 'pending';
CREATE INDEX webhook_deliveries_by_endpoint ON webhook_deliveries (endpoint_id, seq);
CREATE INDEX webhook_deliveries_by_age ON webhook_deliveries (created_at);
