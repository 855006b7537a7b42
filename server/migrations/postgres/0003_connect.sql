-- credport-server schema on PostgreSQL, version 3 (as SQLite's 0003_connect.sql): connect (a connection made by authorizing at the provider).

-- Where a person is sent to authorize, and the extra query parameters (JSON object text).
-- Existing configurations keep refreshing; they gain no authorization URL.
ALTER TABLE provider_configs ADD COLUMN authorization_url TEXT;
ALTER TABLE provider_configs ADD COLUMN authorization_params TEXT NOT NULL DEFAULT '{}';

-- One attempt of a person to connect a provider. The link token and the OAuth2 state are kept
-- only as keyed hashes; the PKCE verifier is AES-256-GCM ciphertext bound to the session id and
-- is wiped when the session ends. status is 'pending', 'succeeded' or 'failed' ('expired' is
-- derived from expires_at).
CREATE TABLE connect_sessions (
    id                  TEXT PRIMARY KEY,
    site_id             TEXT NOT NULL REFERENCES sites (id),
    provider_config_key TEXT NOT NULL,
    connection_id       TEXT,
    return_url          TEXT,
    metadata            TEXT NOT NULL,
    status              TEXT NOT NULL,
    error               TEXT,
    link_hash           BYTEA NOT NULL UNIQUE,
    link_used_at        BIGINT,
    state_hash          BYTEA UNIQUE,
    state_used_at       BIGINT,
    code_verifier       BYTEA,
    expires_at          BIGINT NOT NULL,
    created_at          BIGINT NOT NULL,
    updated_at          BIGINT NOT NULL
);
CREATE INDEX connect_sessions_site ON connect_sessions (site_id, created_at);
