-- credport-server schema on PostgreSQL, version 1: the same tables as SQLite's 0001_init.sql.
-- Instants are whole seconds since the Unix epoch (UTC). Lists (scopes) and free-form JSON
-- (claims, metadata) are JSON text, as the server writes and reads them whole. Secrets are never
-- stored as they are: tokens and API-key secrets are found by `lookup_hash` (HMAC-SHA256 under a
-- key derived from CREDPORT_ENCRYPTION_KEY), and whatever must be shown again (API-key secrets,
-- credential fields, replayed responses) is AES-256-GCM ciphertext bound to its row.

-- Server-wide facts, such as the check value of the encryption key the database was made with.
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value BYTEA NOT NULL
);

CREATE TABLE sites (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE connections (
    id                    TEXT PRIMARY KEY,
    site_id               TEXT NOT NULL REFERENCES sites (id),
    provider              TEXT NOT NULL,
    provider_config_key   TEXT NOT NULL,
    root_resource_id      TEXT,
    root_resource_name    TEXT,
    scopes                TEXT NOT NULL,
    status                TEXT NOT NULL,
    token_expires_at      BIGINT,
    credential_type       TEXT NOT NULL,
    credential_expires_at BIGINT,
    credential_fields     BYTEA NOT NULL,
    metadata              TEXT NOT NULL,
    created_at            BIGINT NOT NULL,
    updated_at            BIGINT NOT NULL
);

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
    revoked           BOOLEAN NOT NULL DEFAULT FALSE,
    revocation_reason TEXT,
    expiration        BIGINT,
    last_used_at      BIGINT,
    created_at        BIGINT NOT NULL,
    updated_at        BIGINT NOT NULL,
    lookup_hash       BYTEA NOT NULL UNIQUE,
    secret            BYTEA NOT NULL,
    -- Two instances creating one name at once: the second insert fails here, and answers 409.
    CONSTRAINT api_keys_name_taken UNIQUE (site_id, subject, name)
);

CREATE INDEX api_keys_by_site ON api_keys (site_id, created_at, id);

CREATE TABLE personal_access_tokens (
    id           TEXT PRIMARY KEY,
    site_id      TEXT NOT NULL REFERENCES sites (id),
    user_id      TEXT NOT NULL,
    name         TEXT NOT NULL,
    scopes       TEXT NOT NULL,
    lookup_hash  BYTEA NOT NULL UNIQUE,
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL,
    last_used_at BIGINT,
    expires_at   BIGINT,
    revoked_at   BIGINT,
    revoked_by   TEXT
);

CREATE INDEX personal_access_tokens_by_site ON personal_access_tokens (site_id, created_at, id);

-- The first response to each (token, Idempotency-Key), kept 24 hours for replays.
CREATE TABLE idempotency_keys (
    principal    TEXT NOT NULL,
    key          TEXT NOT NULL,
    request_hash BYTEA NOT NULL,
    status       INTEGER NOT NULL,
    response     BYTEA NOT NULL,
    created_at   BIGINT NOT NULL,
    PRIMARY KEY (principal, key)
);

CREATE INDEX idempotency_keys_by_age ON idempotency_keys (created_at);

-- The rate limit's token buckets, shared by every instance: thousandths of a request left, and
-- when they were counted (milliseconds since the epoch). `allowed` is the last request's verdict,
-- which the one upsert per request hands back.
CREATE TABLE rate_limits (
    caller       TEXT PRIMARY KEY,
    milli_tokens BIGINT NOT NULL,
    updated_ms   BIGINT NOT NULL,
    allowed      BOOLEAN NOT NULL
);

CREATE INDEX rate_limits_by_age ON rate_limits (updated_ms);
