-- credport-server schema, version 1.
-- Instants are whole seconds since the Unix epoch (UTC). Lists (scopes) and free-form JSON
-- (claims, metadata) are JSON text. Secrets are never stored as they are: tokens and API-key
-- secrets are found by `lookup_hash` (HMAC-SHA256 under a key derived from
-- CREDPORT_ENCRYPTION_KEY), and whatever must be shown again (API-key secrets, credential fields,
-- replayed responses) is AES-256-GCM ciphertext bound to its row.

-- Server-wide facts, such as the check value of the encryption key the database was made with.
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value BLOB NOT NULL
) STRICT;

CREATE TABLE sites (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    created_at INTEGER NOT NULL
) STRICT;

CREATE TABLE connections (
    id                    TEXT PRIMARY KEY,
    site_id               TEXT NOT NULL REFERENCES sites (id),
    provider              TEXT NOT NULL,
    provider_config_key   TEXT NOT NULL,
    root_resource_id      TEXT,
    root_resource_name    TEXT,
    scopes                TEXT NOT NULL,
    status                TEXT NOT NULL,
    token_expires_at      INTEGER,
    credential_type       TEXT NOT NULL,
    credential_expires_at INTEGER,
    credential_fields     BLOB NOT NULL,
    metadata              TEXT NOT NULL,
    created_at            INTEGER NOT NULL,
    updated_at            INTEGER NOT NULL
) STRICT;

CREATE INDEX connections_by_site ON connections (site_id, created_at, id);
CREATE INDEX connections_by_provider ON connections (site_id, provider, status, updated_at);

CREATE TABLE api_keys (
    id                TEXT PRIMARY KEY,
    site_id           TEXT NOT NULL REFERENCES sites (id),
    type              TEXT NOT NULL,
    name              TEXT NOT NULL,
    subject           TEXT NOT NULL,
    description       TEXT,
    claims            TEXT,
    scopes            TEXT NOT NULL,
    created_by        TEXT,
    revoked           INTEGER NOT NULL DEFAULT 0,
    revocation_reason TEXT,
    expiration        INTEGER,
    last_used_at      INTEGER,
    created_at        INTEGER NOT NULL,
    updated_at        INTEGER NOT NULL,
    lookup_hash       BLOB NOT NULL UNIQUE,
    secret            BLOB NOT NULL,
    UNIQUE (site_id, subject, name)
) STRICT;

CREATE INDEX api_keys_by_site ON api_keys (site_id, created_at, id);

CREATE TABLE personal_access_tokens (
    id           TEXT PRIMARY KEY,
    site_id      TEXT NOT NULL REFERENCES sites (id),
    user_id      TEXT NOT NULL,
    name         TEXT NOT NULL,
    scopes       TEXT NOT NULL,
    lookup_hash  BLOB NOT NULL UNIQUE,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL,
    last_used_at INTEGER,
    expires_at   INTEGER,
    revoked_at   INTEGER,
    revoked_by   TEXT
) STRICT;

CREATE INDEX personal_access_tokens_by_site ON personal_access_tokens (site_id, created_at, id);

-- The first response to each (token, Idempotency-Key), kept 24 hours for replays.
CREATE TABLE idempotency_keys (
    principal    TEXT NOT NULL,
    key          TEXT NOT NULL,
    request_hash BLOB NOT NULL,
    status       INTEGER NOT NULL,
    response     BLOB NOT NULL,
    created_at   INTEGER NOT NULL,
    PRIMARY KEY (principal, key)
) STRICT;

CREATE INDEX idempotency_keys_by_age ON idempotency_keys (created_at);
