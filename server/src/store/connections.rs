//! Connections and their credentials. The credential `fields` are AES-256-GCM ciphertext bound
//! to the connection id; only [`refreshes`] ever decrypts them.

use credport_model::{
    Connection, ConnectionPage, ConnectionStatus, CreateConnectionParams, CredentialsInput,
    CredentialsStatus, ListConnectionsParams, UpdateConnectionParams,
};

use super::refreshes::{self, Stored};
use super::{
    fields_aad, instant, json_column, opt_input_instant, opt_instant, opt_json_column, to_json,
};
use crate::crypto::{self, Keys};
use crate::db::sql::{Conn as Db, Row, Value};
use crate::error::ApiError;

const COLUMNS: &str = "id, provider, provider_config_key, root_resource_id, root_resource_name, \
    scopes, status, token_expires_at, credential_type, credential_expires_at, metadata, \
    created_at, updated_at";
/// What a connection shows of its refreshes, read after [`COLUMNS`] (the server writes them).
const REFRESH_COLUMNS: &str = "last_refreshed_at, refresh_error";

fn from_row(row: &Row) -> Result<Connection, ApiError> {
    Ok(Connection {
        id: row.text(0)?,
        provider: row.text(1)?,
        provider_config_key: row.text(2)?,
        root_resource_id: row.opt_text(3)?,
        root_resource_name: row.opt_text(4)?,
        scopes: json_column(row, 5)?,
        status: ConnectionStatus::from(row.str(6)?),
        token_expires_at: opt_instant(row, 7)?,
        credentials: CredentialsStatus {
            kind: row.str(8)?.into(),
            expires_at: opt_instant(row, 9)?,
        },
        metadata: json_column(row, 10)?,
        created_at: instant(row, 11)?,
        updated_at: instant(row, 12)?,
        last_refreshed_at: opt_instant(row, 13)?,
        refresh_error: opt_json_column(row, 14)?,
    })
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

pub async fn create(
    conn: &Db<'_>,
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
        &[
            site_id.into(),
            id.as_str().into(),
            params.provider.as_str().into(),
            params.provider_config_key.as_str().into(),
            params.root_resource_id.as_deref().into(),
            params.root_resource_name.as_deref().into(),
            to_json(&params.scopes)?.into(),
            status.as_str().into(),
            token_expires_at.into(),
            kind.into(),
            credential_expires_at.into(),
            to_json(&params.metadata)?.into(),
            now.into(),
            fields.into(),
        ],
    )
    .await?;
    get(conn, site_id, &id).await
}

/// Changes the fields present in `params`; new `credentials` replace the old ones whole, clear
/// a refresh error and the refresh cooldown, and make a connection the refresh had marked
/// `invalid` active again (unless `status` says otherwise). A change of what a refresh writes or
/// uses (the credentials, the token's expiry, the provider configuration) moves `version`, so a
/// refresh in flight does not write over it; any other (metadata, names, scopes, status) leaves
/// it, so that the refresh's new tokens are not thrown away for it (a provider that rotates its
/// refresh token would then refuse the old one, and the connection would turn `invalid`).
/// `updated_at` moves only when a value does ([`super::set_touching`]), or when credentials are
/// given: they are sealed with a fresh nonce, so the stored ones cannot be compared with them.
pub async fn update(
    conn: &Db<'_>,
    keys: &Keys,
    site_id: &str,
    id: &str,
    params: &UpdateConnectionParams,
    now: i64,
) -> Result<Connection, ApiError> {
    if params == &UpdateConnectionParams::default() {
        return get(conn, site_id, id).await;
    }
    let token_expires_at =
        opt_input_instant("token_expires_at", params.token_expires_at.as_deref())?;
    let credentials = params
        .credentials
        .as_ref()
        .map(|c| sealed_credentials(keys, id, c))
        .transpose()?;
    let new_credentials = credentials.is_some();
    let (kind, credential_expires_at, fields) = match credentials {
        Some((kind, expires_at, fields)) => (Some(kind), expires_at, Some(fields)),
        None => (None, None, None),
    };
    let set = super::set_touching(
        &[
            ("provider_config_key", "COALESCE(?3, provider_config_key)"),
            ("root_resource_id", "COALESCE(?4, root_resource_id)"),
            ("root_resource_name", "COALESCE(?5, root_resource_name)"),
            ("scopes", "COALESCE(?6, scopes)"),
            (
                "status",
                "COALESCE(?7, CASE WHEN ?14 AND refresh_error IS NOT NULL
                THEN 'active' ELSE status END)",
            ),
            ("token_expires_at", "COALESCE(?8, token_expires_at)"),
            ("metadata", "COALESCE(?9, metadata)"),
        ],
        &[
            "credential_type = COALESCE(?10, credential_type)",
            "credential_expires_at = CASE WHEN ?10 IS NULL THEN credential_expires_at ELSE ?11 END",
            "credential_fields = COALESCE(?12, credential_fields)",
            "refresh_error = CASE WHEN ?14 THEN NULL ELSE refresh_error END",
            "refresh_retry_at_ms = CASE WHEN ?14 THEN NULL ELSE refresh_retry_at_ms END",
            "version = version + CASE WHEN ?14 OR ?3 IS NOT NULL OR ?8 IS NOT NULL
                THEN 1 ELSE 0 END",
        ],
        Some("?14"),
        "?13",
    );
    // The row as it is after the update comes back with it (`RETURNING`): no second read.
    let updated = conn
        .query_opt(
            &format!(
                "UPDATE connections SET {set} WHERE site_id = ?1 AND id = ?2
         RETURNING {COLUMNS}, {REFRESH_COLUMNS}"
            ),
            &[
                site_id.into(),
                id.into(),
                params.provider_config_key.as_deref().into(),
                params.root_resource_id.as_deref().into(),
                params.root_resource_name.as_deref().into(),
                params.scopes.as_ref().map(to_json).transpose()?.into(),
                params.status.as_ref().map(ConnectionStatus::as_str).into(),
                token_expires_at.into(),
                params.metadata.as_ref().map(to_json).transpose()?.into(),
                kind.into(),
                credential_expires_at.into(),
                fields.into(),
                now.into(),
                new_credentials.into(),
            ],
            from_row,
        )
        .await?;
    updated.ok_or_else(|| ApiError::not_found("connection"))
}

/// New credentials from a re-authorization (a connect session with `connection_id`): they
/// replace the old ones whole, with their expiry (none when the provider gave none) and
/// scopes; the connection is `active` again, its refresh error and cooldown cleared, and
/// `metadata` replaced when given. Moves `version`, so a refresh in flight does not write over
/// it.
pub async fn renew(
    conn: &Db<'_>,
    keys: &Keys,
    site_id: &str,
    id: &str,
    renewed: &Renewed<'_>,
    now: i64,
) -> Result<Connection, ApiError> {
    let token_expires_at = opt_input_instant(
        "credentials.expires_at",
        renewed.credentials.expires_at.as_deref(),
    )?;
    let (kind, credential_expires_at, fields) = sealed_credentials(keys, id, renewed.credentials)?;
    let changed = conn
        .execute(
            "UPDATE connections SET
            scopes = ?3,
            status = 'active',
            token_expires_at = ?4,
            metadata = COALESCE(?5, metadata),
            credential_type = ?6,
            credential_expires_at = ?7,
            credential_fields = ?8,
            refresh_error = NULL,
            refresh_retry_at_ms = NULL,
            updated_at = ?9,
            version = version + 1
         WHERE site_id = ?1 AND id = ?2",
            &[
                site_id.into(),
                id.into(),
                to_json(renewed.scopes)?.into(),
                token_expires_at.into(),
                renewed.metadata.map(to_json).transpose()?.into(),
                kind.into(),
                credential_expires_at.into(),
                fields.into(),
                now.into(),
            ],
        )
        .await?;
    if changed == 0 {
        return Err(ApiError::not_found("connection"));
    }
    get(conn, site_id, id).await
}

/// What a re-authorization writes ([`renew`]).
pub struct Renewed<'a> {
    pub credentials: &'a CredentialsInput,
    pub scopes: &'a [String],
    pub metadata: Option<&'a serde_json::Map<String, serde_json::Value>>,
}

pub async fn delete(conn: &Db<'_>, site_id: &str, id: &str) -> Result<(), ApiError> {
    let deleted = conn
        .execute(
            "DELETE FROM connections WHERE site_id = ?1 AND id = ?2",
            &[site_id.into(), id.into()],
        )
        .await?;
    if deleted == 0 {
        return Err(ApiError::not_found("connection"));
    }
    Ok(())
}

pub async fn get(conn: &Db<'_>, site_id: &str, id: &str) -> Result<Connection, ApiError> {
    conn.query_opt(
        &format!(
            "SELECT {COLUMNS}, {REFRESH_COLUMNS} FROM connections WHERE site_id = ?1 AND id = ?2"
        ),
        &[site_id.into(), id.into()],
        from_row,
    )
    .await?
    .ok_or_else(|| ApiError::not_found("connection"))
}

/// One page, oldest first (creation time, then id, so pages never overlap), and the count of
/// all that match, both from one snapshot ([`Db::counted_page`]: one statement on PostgreSQL).
pub async fn list(
    conn: &Db<'_>,
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
    let args: [Value; 5] = [
        site_id.into(),
        provider.into(),
        status.into(),
        page_size.into(),
        offset.into(),
    ];
    let (count, payload) = conn
        .counted_page(
            &format!("{COLUMNS}, {REFRESH_COLUMNS}"),
            // The casts tell PostgreSQL the parameters' type, which `IS NULL` alone does not.
            "connections WHERE site_id = ?1 AND (CAST(?2 AS TEXT) IS NULL OR provider = ?2)
             AND (CAST(?3 AS TEXT) IS NULL OR status = ?3)",
            "created_at, id",
            "LIMIT ?4 OFFSET ?5",
            (&args, 3),
            from_row,
        )
        .await?;
    Ok(ConnectionPage {
        count: u64::try_from(count).unwrap_or_default(),
        page,
        page_size,
        next: (offset + i64::from(page_size) < count).then(|| page + 1),
        previous: (page > 1).then(|| page - 1),
        payload,
    })
}

/// The credentials of the site's active connection for `provider` that changed last; 404 when
/// it has none.
pub async fn credentials(
    conn: &Db<'_>,
    keys: &Keys,
    site_id: &str,
    provider: &str,
) -> Result<Stored, ApiError> {
    if let Some(stored) = refreshes::active_for_provider(conn, keys, site_id, provider).await? {
        return Ok(stored);
    }
    let inactive = conn
        .query_one(
            "SELECT COUNT(*) FROM connections WHERE site_id = ?1 AND provider = ?2",
            &[site_id.into(), provider.into()],
            |row| row.int(0),
        )
        .await?;
    Err(ApiError::not_found_because(if inactive > 0 {
        "the site's connections for this provider are not active"
    } else {
        "the site has no connection for this provider"
    }))
}
