//! Connections and their credentials. The credential `fields` are AES-256-GCM ciphertext bound
//! to the connection id; only [`credentials`] ever decrypts them.

use credport_model::{
    Connection, ConnectionPage, ConnectionStatus, CreateConnectionParams, CredentialsInput,
    CredentialsStatus, ListConnectionsParams, ProviderCredentials, UpdateConnectionParams,
};
use rusqlite::{params, Connection as Db, OptionalExtension, Row};
use serde_json::{Map, Value};

use super::{instant, json_column, opt_input_instant, opt_instant, to_json};
use crate::crypto::{self, Keys};
use crate::error::ApiError;

const COLUMNS: &str = "id, provider, provider_config_key, root_resource_id, root_resource_name, \
    scopes, status, token_expires_at, credential_type, credential_expires_at, metadata, \
    created_at, updated_at";

fn from_row(row: &Row<'_>) -> rusqlite::Result<Connection> {
    Ok(Connection {
        id: row.get(0)?,
        provider: row.get(1)?,
        provider_config_key: row.get(2)?,
        root_resource_id: row.get(3)?,
        root_resource_name: row.get(4)?,
        scopes: json_column(row, 5)?,
        status: ConnectionStatus::from(row.get_ref(6)?.as_str()?),
        token_expires_at: opt_instant(row, 7)?,
        credentials: CredentialsStatus {
            kind: row.get_ref(8)?.as_str()?.into(),
            expires_at: opt_instant(row, 9)?,
        },
        metadata: json_column(row, 10)?,
        created_at: instant(row, 11)?,
        updated_at: instant(row, 12)?,
    })
}

/// What the credential fields of connection `id` are bound to.
fn fields_aad(id: &str) -> String {
    format!("connections.credential_fields:{id}")
}

/// A credentials input as its stored columns: type, expiry, encrypted fields.
fn sealed_credentials(
    keys: &Keys,
    id: &str,
    credentials: &CredentialsInput,
) -> Result<(String, Option<i64>, Vec<u8>), ApiError> {
    let expires_at =
        opt_input_instant("credentials.expires_at", credentials.expires_at.as_deref())?;
    let fields = serde_json::to_vec(&credentials.fields)?;
    let sealed = keys.encrypt(&fields_aad(id), &fields)?;
    Ok((credentials.kind.as_str().to_owned(), expires_at, sealed))
}

pub fn create(
    conn: &Db,
    keys: &Keys,
    site_id: &str,
    params: &CreateConnectionParams,
    now: i64,
) -> Result<Connection, ApiError> {
    let id = crypto::new_id("conn_")?;
    let token_expires_at =
        opt_input_instant("token_expires_at", params.token_expires_at.as_deref())?;
    let (kind, credential_expires_at, fields) = sealed_credentials(keys, &id, &params.credentials)?;
    let status = params.status.as_ref().unwrap_or(&ConnectionStatus::Active);
    conn.execute(
        &format!(
            "INSERT INTO connections (site_id, {COLUMNS}, credential_fields)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?13, ?14)"
        ),
        params![
            site_id,
            id,
            params.provider,
            params.provider_config_key,
            params.root_resource_id,
            params.root_resource_name,
            to_json(&params.scopes)?,
            status.as_str(),
            token_expires_at,
            kind,
            credential_expires_at,
            to_json(&params.metadata)?,
            now,
            fields,
        ],
    )?;
    get(conn, site_id, &id)
}

/// Changes the fields present in `params`; new `credentials` replace the old ones whole.
pub fn update(
    conn: &Db,
    keys: &Keys,
    site_id: &str,
    id: &str,
    params: &UpdateConnectionParams,
    now: i64,
) -> Result<Connection, ApiError> {
    if params == &UpdateConnectionParams::default() {
        return get(conn, site_id, id);
    }
    let token_expires_at =
        opt_input_instant("token_expires_at", params.token_expires_at.as_deref())?;
    let credentials = params
        .credentials
        .as_ref()
        .map(|c| sealed_credentials(keys, id, c))
        .transpose()?;
    let (kind, credential_expires_at, fields) = match credentials {
        Some((kind, expires_at, fields)) => (Some(kind), expires_at, Some(fields)),
        None => (None, None, None),
    };
    let changed = conn.execute(
        "UPDATE connections SET
            provider_config_key = COALESCE(?3, provider_config_key),
            root_resource_id = COALESCE(?4, root_resource_id),
            root_resource_name = COALESCE(?5, root_resource_name),
            scopes = COALESCE(?6, scopes),
            status = COALESCE(?7, status),
            token_expires_at = COALESCE(?8, token_expires_at),
            metadata = COALESCE(?9, metadata),
            credential_type = COALESCE(?10, credential_type),
            credential_expires_at = CASE WHEN ?10 IS NULL THEN credential_expires_at ELSE ?11 END,
            credential_fields = COALESCE(?12, credential_fields),
            updated_at = ?13
         WHERE site_id = ?1 AND id = ?2",
        params![
            site_id,
            id,
            params.provider_config_key,
            params.root_resource_id,
            params.root_resource_name,
            params.scopes.as_ref().map(to_json).transpose()?,
            params.status.as_ref().map(ConnectionStatus::as_str),
            token_expires_at,
            params.metadata.as_ref().map(to_json).transpose()?,
            kind,
            credential_expires_at,
            fields,
            now,
        ],
    )?;
    if changed == 0 {
        return Err(ApiError::not_found("connection"));
    }
    get(conn, site_id, id)
}

pub fn delete(conn: &Db, site_id: &str, id: &str) -> Result<(), ApiError> {
    let deleted = conn.execute(
        "DELETE FROM connections WHERE site_id = ?1 AND id = ?2",
        params![site_id, id],
    )?;
    if deleted == 0 {
        return Err(ApiError::not_found("connection"));
    }
    Ok(())
}

pub fn get(conn: &Db, site_id: &str, id: &str) -> Result<Connection, ApiError> {
    conn.query_row(
        &format!("SELECT {COLUMNS} FROM connections WHERE site_id = ?1 AND id = ?2"),
        params![site_id, id],
        from_row,
    )
    .optional()?
    .ok_or_else(|| ApiError::not_found("connection"))
}

/// One page, oldest first (creation time, then id, so pages never overlap).
pub fn list(
    conn: &Db,
    site_id: &str,
    params: &ListConnectionsParams,
) -> Result<ConnectionPage, ApiError> {
    let page = params.page.unwrap_or(1);
    let page_size = params
        .page_size
        .unwrap_or(ListConnectionsParams::DEFAULT_PAGE_SIZE);
    let offset = (i64::from(page) - 1) * i64::from(page_size);
    let provider = params.provider.as_deref();
    let status = params.status.as_ref().map(ConnectionStatus::as_str);
    let filter = "site_id = ?1 AND (?2 IS NULL OR provider = ?2) AND (?3 IS NULL OR status = ?3)";
    let count: i64 = conn.query_row(
        &format!("SELECT COUNT(*) FROM connections WHERE {filter}"),
        params![site_id, provider, status],
        |row| row.get(0),
    )?;
    let payload = conn
        .prepare(&format!(
            "SELECT {COLUMNS} FROM connections WHERE {filter}
             ORDER BY created_at, id LIMIT ?4 OFFSET ?5"
        ))?
        .query_map(
            params![site_id, provider, status, page_size, offset],
            from_row,
        )?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(ConnectionPage {
        count: u64::try_from(count).unwrap_or_default(),
        page,
        page_size,
        next: (offset + i64::from(page_size) < count).then(|| page + 1),
        previous: (page > 1).then(|| page - 1),
        payload,
    })
}

/// The credentials of the site's active connection for `provider` that changed last.
pub fn credentials(
    conn: &Db,
    keys: &Keys,
    site_id: &str,
    provider: &str,
) -> Result<ProviderCredentials, ApiError> {
    let found: Option<(String, String, Option<i64>, Vec<u8>)> = conn
        .query_row(
            "SELECT id, credential_type, credential_expires_at, credential_fields
             FROM connections WHERE site_id = ?1 AND provider = ?2 AND status = 'active'
             ORDER BY updated_at DESC, id DESC LIMIT 1",
            params![site_id, provider],
            |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?)),
        )
        .optional()?;
    let Some((id, kind, expires_at, sealed)) = found else {
        let inactive: i64 = conn.query_row(
            "SELECT COUNT(*) FROM connections WHERE site_id = ?1 AND provider = ?2",
            params![site_id, provider],
            |row| row.get(0),
        )?;
        return Err(ApiError::not_found_because(if inactive > 0 {
            "the site's connections for this provider are not active"
        } else {
            "the site has no connection for this provider"
        }));
    };
    let fields: Map<String, Value> =
        serde_json::from_slice(&keys.decrypt(&fields_aad(&id), &sealed)?)?;
    Ok(ProviderCredentials {
        provider: provider.to_owned(),
        kind: kind.as_str().into(),
        expires_at: crate::clock::format_opt(expires_at),
        fields,
    })
}
