//! The SQL of OAuth2 token refreshes ([`crate::refresh`]): a connection's stored credentials with
//! its provider configuration, the refresh lease in the connection's row, and the conditional
//! write-back of a refresh's result. Each function is one short transaction: none is held open
//! while a token endpoint is called.

use credport_model::{ConnectionStatus, CredentialType, ProviderCredentials, RefreshError};
use serde_json::{Map, Value};

use super::provider_configs::{self, Client, CLIENT_COLUMNS};
use super::{fields_aad, to_json};
use crate::crypto::Keys;
use crate::db::sql::{Conn, Row};
use crate::error::ApiError;

/// A connection's credentials, decrypted, and what a refresh needs to know about them.
pub struct Stored {
    pub connection_id: String,
    pub provider: String,
    pub status: ConnectionStatus,
    pub kind: CredentialType,
    pub expires_at: Option<i64>,
    pub fields: Map<String, Value>,
    /// Moves with every change of the row's content: a refresh writes back only onto the
    /// version it started from.
    pub version: i64,
    /// Until when (ms) a refresh in flight holds the lease, if one does.
    pub lease_until_ms: Option<i64>,
    /// No call to the token endpoint before this instant (ms), after a passing failure.
    pub retry_at_ms: Option<i64>,
    /// The site's provider configuration under the connection's `provider_config_key`.
    pub client: Option<Client>,
    /// The connection's scopes as stored (a JSON array): read only by a refresh.
    scopes: String,
}

impl Stored {
    /// The answer of `GET /v1/connections/credentials/{provider}`.
    pub fn answer(&self) -> Result<ProviderCredentials, ApiError> {
        Ok(ProviderCredentials {
            provider: self.provider.clone(),
            kind: self.kind.clone(),
            expires_at: crate::clock::format_opt(self.expires_at),
            fields: (&self.fields).try_into()?,
        })
    }

    /// The scopes a refresh asks for: the connection's own (RFC 6749 §6: no scope it was not
    /// granted; a configuration's scopes may have grown since, or the person granted fewer),
    /// else, for a connection stored without any, its configuration's.
    pub fn refresh_scopes(&self, client: &Client) -> Vec<String> {
        serde_json::from_str::<Vec<String>>(&self.scopes)
            .ok()
            .filter(|granted| !granted.is_empty())
            .unwrap_or_else(|| client.scopes.clone())
    }

    pub fn refresh_token(&self) -> Option<&str> {
        self.fields.get("refresh_token").and_then(Value::as_str)
    }

    /// OAuth2 credentials with a refresh token, and a provider configuration to refresh with.
    pub fn refreshable(&self) -> Option<&Client> {
        let ok = self.kind == CredentialType::OAuth2 && self.refresh_token().is_some();
        self.client.as_ref().filter(|_| ok)
    }

    /// The token has expired at `now` (seconds).
    pub fn expired(&self, now: i64) -> bool {
        self.expires_at.is_some_and(|at| at <= now)
    }

    /// The token expires within its configuration's margin of `now` (seconds).
    pub fn expiring(&self, now: i64) -> bool {
        let margin = self.client.as_ref().map_or(0, |c| c.refresh_margin_seconds);
        self.expires_at.is_some_and(|at| at - margin <= now)
    }
}

/// A connection as a refresh needs it, with its provider configuration's client (the columns
/// of [`provider_configs::CLIENT_COLUMNS`] from 11 on), in one statement: `FROM` [`STORED_FROM`].
const STORED_COLUMNS: &str = "c.id, c.provider, c.status, c.credential_type, \
    COALESCE(c.credential_expires_at, c.token_expires_at), c.credential_fields, c.version, \
    c.refresh_lease_until_ms, c.refresh_retry_at_ms, c.provider_config_key, c.scopes";
const STORED_FROM: &str = "connections c LEFT JOIN provider_configs pc \
    ON pc.site_id = c.site_id AND pc.key = c.provider_config_key";

fn stored_from_row(keys: &Keys, site_id: &str, row: &Row) -> Result<Stored, ApiError> {
    let connection_id = row.text(0)?;
    let fields =
        serde_json::from_slice(&keys.decrypt(&fields_aad(&connection_id), row.bytes(5)?)?)?;
    let config_key = row.text(9)?;
    Ok(Stored {
        provider: row.text(1)?,
        status: row.str(2)?.into(),
        kind: row.str(3)?.into(),
        expires_at: row.opt_int(4)?,
        fields,
        version: row.int(6)?,
        lease_until_ms: row.opt_int(7)?,
        retry_at_ms: row.opt_int(8)?,
        client: provider_configs::client_from_row(keys, site_id, &config_key, row, 11)?,
        scopes: row.text(10)?,
        connection_id,
    })
}

/// The site's active connection for `provider` that changed last, if any.
pub async fn active_for_provider(
    conn: &Conn<'_>,
    keys: &Keys,
    site_id: &str,
    provider: &str,
) -> Result<Option<Stored>, ApiError> {
    conn.query_opt(
        &format!(
            "SELECT {STORED_COLUMNS}, {CLIENT_COLUMNS} FROM {STORED_FROM}
             WHERE c.site_id = ?1 AND c.provider = ?2 AND c.status = 'active'
             ORDER BY c.updated_at DESC, c.id DESC LIMIT 1"
        ),
        &[site_id.into(), provider.into()],
        |row| stored_from_row(keys, site_id, row),
    )
    .await
}

/// Connection `id` of the site, whatever its status, if it exists.
pub async fn by_id(
    conn: &Conn<'_>,
    keys: &Keys,
    site_id: &str,
    id: &str,
) -> Result<Option<Stored>, ApiError> {
    conn.query_opt(
        &format!(
            "SELECT {STORED_COLUMNS}, {CLIENT_COLUMNS} FROM {STORED_FROM}
             WHERE c.site_id = ?1 AND c.id = ?2"
        ),
        &[site_id.into(), id.into()],
        |row| stored_from_row(keys, site_id, row),
    )
    .await
}

/// Takes the refresh lease of connection `id` for `holder` until `until_ms`, if the row is still
/// at `version`, no other refresh holds an unexpired lease, and no cooldown (a failure moments
/// ago, which another instance may have just written) holds calls off. Whether it was taken.
pub async fn take_lease(
    conn: &Conn<'_>,
    id: &str,
    version: i64,
    holder: &str,
    now_ms: i64,
    until_ms: i64,
) -> Result<bool, ApiError> {
    let taken = conn
        .execute(
            "UPDATE connections SET refresh_lease_until_ms = ?4, refresh_lease_holder = ?3
         WHERE id = ?1 AND version = ?2
           AND (refresh_lease_until_ms IS NULL OR refresh_lease_until_ms <= ?5)
           AND (refresh_retry_at_ms IS NULL OR refresh_retry_at_ms <= ?5)",
            &[
                id.into(),
                version.into(),
                holder.into(),
                until_ms.into(),
                now_ms.into(),
            ],
        )
        .await?;
    Ok(taken == 1)
}

/// Gives the lease back and, after a passing failure, holds further calls off until
/// `retry_at_ms`. Nothing else of the connection changes.
pub async fn release_lease(
    conn: &Conn<'_>,
    id: &str,
    holder: &str,
    retry_at_ms: Option<i64>,
) -> Result<(), ApiError> {
    conn.execute(
        "UPDATE connections SET refresh_lease_until_ms = NULL, refresh_lease_holder = NULL,
            refresh_retry_at_ms = COALESCE(?3, refresh_retry_at_ms)
         WHERE id = ?1 AND refresh_lease_holder = ?2",
        &[id.into(), holder.into(), retry_at_ms.into()],
    )
    .await?;
    Ok(())
}

/// A refreshed token, as it is written back.
pub struct Refreshed<'a> {
    pub fields: &'a Map<String, Value>,
    pub expires_at: Option<i64>,
    pub now: i64,
}

/// Stores a refresh's result and gives the lease back, if the row is still at `version` (an
/// admin's change made meanwhile wins). Whether it was stored. Whoever holds the lease now: new
/// tokens onto the credentials they were refreshed from are never wrong, and a refresh whose
/// lease ran out (a slow write, another instance's clock ahead) would otherwise drop tokens the
/// provider may already have rotated, leaving the next refresh an `invalid_grant`.
pub async fn store_refreshed(
    conn: &Conn<'_>,
    keys: &Keys,
    id: &str,
    version: i64,
    refreshed: &Refreshed<'_>,
) -> Result<bool, ApiError> {
    let sealed = keys.encrypt(&fields_aad(id), &serde_json::to_vec(refreshed.fields)?)?;
    let stored = conn
        .execute(
            "UPDATE connections SET credential_fields = ?3, credential_expires_at = ?4,
            token_expires_at = ?4, last_refreshed_at = ?5, updated_at = ?5,
            refresh_retry_at_ms = NULL, refresh_lease_until_ms = NULL,
            refresh_lease_holder = NULL, version = version + 1
         WHERE id = ?1 AND version = ?2",
            &[
                id.into(),
                version.into(),
                sealed.into(),
                refreshed.expires_at.into(),
                refreshed.now.into(),
            ],
        )
        .await?;
    Ok(stored == 1)
}

/// Marks the connection `invalid` with `error` and gives the lease back, if the row is still at
/// `version`: the status it had (an admin may have changed it during the call, which moves no
/// version), read under the row's lock; `None` if it was not marked.
pub async fn mark_invalid(
    conn: &Conn<'_>,
    id: &str,
    version: i64,
    holder: &str,
    error: &RefreshError,
    now: i64,
) -> Result<Option<String>, ApiError> {
    let lock = conn.dialect().update_lock();
    let args = [id.into(), version.into(), holder.into()];
    let Some(status) = conn
        .query_opt(
            &format!(
                "SELECT status FROM connections
                 WHERE id = ?1 AND version = ?2 AND refresh_lease_holder = ?3{lock}"
            ),
            &args,
            |row| row.text(0),
        )
        .await?
    else {
        return Ok(None);
    };
    let marked = conn
        .execute(
            "UPDATE connections SET status = 'invalid', refresh_error = ?4, updated_at = ?5,
            refresh_lease_until_ms = NULL, refresh_lease_holder = NULL, version = version + 1
         WHERE id = ?1 AND version = ?2 AND refresh_lease_holder = ?3",
            &[
                id.into(),
                version.into(),
                holder.into(),
                to_json(error)?.into(),
                now.into(),
            ],
        )
        .await?;
    Ok((marked == 1).then_some(status))
}
