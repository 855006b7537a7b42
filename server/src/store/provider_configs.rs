//! Provider configurations: a site's OAuth2 clients. The client secret is AES-256-GCM
//! ciphertext bound to (site, key); only [`client`] decrypts it, for a refresh or a connect.
//!
//! A [`ProviderConfig`] also answers the server's redirect URI, which is not stored (it follows
//! `CREDPORT_PUBLIC_URL`): the functions that build one take it from the caller, which has it
//! from the connect service (`Connector::redirect_uri`).

use std::collections::BTreeMap;

use credport_model::{
    validate, ClientAuthMethod, CreateProviderConfigParams, ProviderConfig, ProviderConfigList,
    Secret, UpdateProviderConfigParams, DEFAULT_REFRESH_MARGIN_SECONDS,
};

use super::{instant, json_column, to_json};
use crate::crypto::Keys;
use crate::db::sql::{Conn, Row};
use crate::error::ApiError;

const COLUMNS: &str = "key, provider, token_url, client_id, auth_method, scopes, \
    refresh_margin_seconds, created_at, updated_at, authorization_url, authorization_params";

fn from_row(row: &Row, redirect_uri: &str) -> Result<ProviderConfig, ApiError> {
    Ok(ProviderConfig {
        key: row.text(0)?,
        provider: row.text(1)?,
        token_url: row.text(2)?,
        client_id: row.text(3)?,
        auth_method: row.str(4)?.into(),
        scopes: json_column(row, 5)?,
        refresh_margin_seconds: u32::try_from(row.int(6)?).unwrap_or_default(),
        created_at: instant(row, 7)?,
        updated_at: instant(row, 8)?,
        authorization_url: row.opt_text(9)?,
        authorization_params: json_column(row, 10)?,
        redirect_uri: redirect_uri.to_owned(),
    })
}

/// What the client secret of `key` in `site_id` is bound to.
pub(super) fn secret_aad(site_id: &str, key: &str) -> String {
    format!("provider_configs.client_secret:{site_id}/{key}")
}

fn not_found() -> ApiError {
    ApiError::not_found("provider configuration")
}

pub async fn create(
    conn: &Conn<'_>,
    keys: &Keys,
    site_id: &str,
    params: &CreateProviderConfigParams,
    redirect_uri: &str,
    now: i64,
) -> Result<ProviderConfig, ApiError> {
    let secret = keys.encrypt(
        &secret_aad(site_id, &params.key),
        params.client_secret.expose().as_bytes(),
    )?;
    let auth_method = params
        .auth_method
        .as_ref()
        .unwrap_or(&ClientAuthMethod::ClientSecretBasic);
    let inserted = conn
        .execute(
            &format!(
                "INSERT INTO provider_configs (site_id, {COLUMNS}, client_secret)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9, ?10, ?11, ?12)
             ON CONFLICT (site_id, key) DO NOTHING"
            ),
            &[
                site_id.into(),
                params.key.as_str().into(),
                params.provider.as_str().into(),
                params.token_url.as_str().into(),
                params.client_id.as_str().into(),
                auth_method.as_str().into(),
                to_json(&params.scopes)?.into(),
                params
                    .refresh_margin_seconds
                    .unwrap_or(DEFAULT_REFRESH_MARGIN_SECONDS)
                    .into(),
                now.into(),
                params.authorization_url.as_deref().into(),
                to_json(&params.authorization_params)?.into(),
                secret.into(),
            ],
        )
        .await?;
    if inserted == 0 {
        return Err(ApiError::conflict(
            "the site already has a provider configuration with this key",
        ));
    }
    get(conn, site_id, &params.key, redirect_uri).await
}

/// Configuration `key` of the site, answering `redirect_uri` as the server's.
pub async fn get(
    conn: &Conn<'_>,
    site_id: &str,
    key: &str,
    redirect_uri: &str,
) -> Result<ProviderConfig, ApiError> {
    conn.query_opt(
        &format!("SELECT {COLUMNS} FROM provider_configs WHERE site_id = ?1 AND key = ?2"),
        &[site_id.into(), key.into()],
        |row| from_row(row, redirect_uri),
    )
    .await?
    .ok_or_else(not_found)
}

/// Every configuration of the site, by key, each answering `redirect_uri` as the server's.
pub async fn list(
    conn: &Conn<'_>,
    site_id: &str,
    redirect_uri: &str,
) -> Result<ProviderConfigList, ApiError> {
    let data = conn
        .query(
            &format!("SELECT {COLUMNS} FROM provider_configs WHERE site_id = ?1 ORDER BY key"),
            &[site_id.into()],
            |row| from_row(row, redirect_uri),
        )
        .await?;
    Ok(ProviderConfigList {
        total_count: data.len() as u64,
        data,
    })
}

/// 400 naming `client_secret` when `params` move the configuration `before` to a `token_url`
/// on another origin (scheme, host, port) without a new secret. The stored secret was given for
/// the old token endpoint: kept, the next refresh would send it, and every connection's refresh
/// token, to a host it was never meant for (a typo, or a stolen admin token). A new path on the
/// same origin keeps it.
pub fn require_secret_for_new_origin(
    before: &ProviderConfig,
    params: &UpdateProviderConfigParams,
) -> Result<(), ApiError> {
    let moved = params
        .token_url
        .as_deref()
        .is_some_and(|url| validate::origin(url) != validate::origin(&before.token_url));
    if moved && params.client_secret.is_none() {
        return Err(ApiError::invalid(
            "client_secret",
            "client_secret: required with a token_url on another origin (scheme, host or port): \
             the stored secret is not sent to a new host; give the secret for that endpoint",
        ));
    }
    Ok(())
}

/// Changes the fields present in `params`; answers as [`get`]. `updated_at` moves only when a
/// value does ([`super::set_touching`]), or when a `client_secret` is given: it is write-only,
/// and sealed anew, so the stored one cannot be compared with it.
pub async fn update(
    conn: &Conn<'_>,
    keys: &Keys,
    site_id: &str,
    key: &str,
    params: &UpdateProviderConfigParams,
    redirect_uri: &str,
    now: i64,
) -> Result<ProviderConfig, ApiError> {
    if params == &UpdateProviderConfigParams::default() {
        return get(conn, site_id, key, redirect_uri).await;
    }
    let secret = params
        .client_secret
        .as_ref()
        .map(|s| keys.encrypt(&secret_aad(site_id, key), s.expose().as_bytes()))
        .transpose()?;
    let set = super::set_touching(
        &[
            ("provider", "COALESCE(?3, provider)"),
            ("token_url", "COALESCE(?4, token_url)"),
            ("client_id", "COALESCE(?5, client_id)"),
            ("auth_method", "COALESCE(?7, auth_method)"),
            ("scopes", "COALESCE(?8, scopes)"),
            (
                "refresh_margin_seconds",
                "COALESCE(?9, refresh_margin_seconds)",
            ),
            ("authorization_url", "COALESCE(?11, authorization_url)"),
            (
                "authorization_params",
                "COALESCE(?12, authorization_params)",
            ),
        ],
        &["client_secret = COALESCE(?6, client_secret)"],
        Some("?6 IS NOT NULL"),
        "?10",
    );
    let changed = conn
        .execute(
            &format!("UPDATE provider_configs SET {set} WHERE site_id = ?1 AND key = ?2"),
            &[
                site_id.into(),
                key.into(),
                params.provider.as_deref().into(),
                params.token_url.as_deref().into(),
                params.client_id.as_deref().into(),
                secret.into(),
                params
                    .auth_method
                    .as_ref()
                    .map(ClientAuthMethod::as_str)
                    .into(),
                params.scopes.as_ref().map(to_json).transpose()?.into(),
                params.refresh_margin_seconds.into(),
                now.into(),
                params.authorization_url.as_deref().into(),
                params
                    .authorization_params
                    .as_ref()
                    .map(to_json)
                    .transpose()?
                    .into(),
            ],
        )
        .await?;
    if changed == 0 {
        return Err(not_found());
    }
    get(conn, site_id, key, redirect_uri).await
}

pub async fn delete(conn: &Conn<'_>, site_id: &str, key: &str) -> Result<(), ApiError> {
    let deleted = conn
        .execute(
            "DELETE FROM provider_configs WHERE site_id = ?1 AND key = ?2",
            &[site_id.into(), key.into()],
        )
        .await?;
    if deleted == 0 {
        return Err(not_found());
    }
    Ok(())
}

/// What a refresh or a connect needs to call a provider: the configuration and its secret.
#[derive(Clone, Debug)]
pub struct Client {
    pub provider: String,
    pub token_url: String,
    pub authorization_url: Option<String>,
    pub authorization_params: BTreeMap<String, String>,
    pub client_id: String,
    pub client_secret: Secret,
    pub auth_method: ClientAuthMethod,
    pub scopes: Vec<String>,
    pub refresh_margin_seconds: i64,
}

/// The columns [`client_from_row`] reads, of `provider_configs` as `pc`: a query that has the
/// configuration's row at hand (a connection's, joined) reads its client in the same trip.
pub(super) const CLIENT_COLUMNS: &str = "pc.token_url, pc.client_id, pc.client_secret, \
    pc.auth_method, pc.scopes, pc.refresh_margin_seconds, pc.provider, pc.authorization_url, \
    pc.authorization_params";

/// The OAuth2 client of configuration `key` of the site, if it has one.
pub async fn client(
    conn: &Conn<'_>,
    keys: &Keys,
    site_id: &str,
    key: &str,
) -> Result<Option<Client>, ApiError> {
    Ok(conn
        .query_opt(
            &format!(
                "SELECT {CLIENT_COLUMNS} FROM provider_configs pc WHERE site_id = ?1 AND key = ?2"
            ),
            &[site_id.into(), key.into()],
            |row| client_from_row(keys, site_id, key, row, 0),
        )
        .await?
        .flatten())
}

/// The client of configuration `key` from [`CLIENT_COLUMNS`] at `at` in `row`; none if they are
/// null (a left join that found no configuration).
pub(super) fn client_from_row(
    keys: &Keys,
    site_id: &str,
    key: &str,
    row: &Row,
    at: usize,
) -> Result<Option<Client>, ApiError> {
    let Some(token_url) = row.opt_text(at)? else {
        return Ok(None);
    };
    let secret = keys.decrypt(&secret_aad(site_id, key), row.bytes(at + 2)?)?;
    let secret = String::from_utf8(secret)
        .map_err(|_| ApiError::internal("a stored client secret is not UTF-8"))?;
    Ok(Some(Client {
        token_url,
        client_id: row.text(at + 1)?,
        client_secret: Secret::new(secret),
        auth_method: row.str(at + 3)?.into(),
        scopes: json_column(row, at + 4)?,
        refresh_margin_seconds: row.int(at + 5)?,
        provider: row.text(at + 6)?,
        authorization_url: row.opt_text(at + 7)?,
        authorization_params: json_column(row, at + 8)?,
    }))
}
