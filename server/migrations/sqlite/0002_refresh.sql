-- credport-server schema, version 2: OAuth2 token refresh.

-- A site's OAuth2 clients, found by a connection's provider_config_key. The client secret is
-- AES-256-GCM ciphertext bound to (site, key).
CREATE TABLE provider_configs (
    site_id                TEXT NOT NULL REFERENCES sites (id),
    key                    TEXT NOT NULL,
    provider               TEXT NOT NULL,
    token_url              TEXT NOT NULL,
    client_id              TEXT NOT NULL,
    client_secret          BLOB NOT NULL,
    auth_method            TEXT NOT NULL,
    scopes                 TEXT NOT NULL,
    refresh_margin_seconds INTEGER NOT NULL,
    created_at             INTEGER NOT NULL,
    updated_at             INTEGER NOT NULL,
    PRIMARY KEY (site_id, key)
) STRICT;

-- What a connection shows of its refreshes.
ALTER TABLE connections ADD COLUMN last_refreshed_at INTEGER;
-- {"code", "message", "at"} as JSON text, or NULL.
ALTER TABLE connections ADD COLUMN refresh_error TEXT;
-- Bumped by every change of the row's content (admin writes, refreshes): a refresh writes its
-- result back only if the row is still the one it started from.
ALTER TABLE connections ADD COLUMN version INTEGER NOT NULL DEFAULT 0;
-- The refresh lease (milliseconds since the epoch): the one refresh in flight, whichever
-- instance runs it, and who holds it.
ALTER TABLE connections ADD COLUMN refresh_lease_until_ms INTEGER;
ALTER TABLE connections ADD COLUMN refresh_lease_holder TEXT;
-- After a passing failure of the token endpoint, no new call before this instant (ms).
ALTER TABLE connections ADD COLUMN refresh_retry_at_ms INTEGER;
