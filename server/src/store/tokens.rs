//! Personal access tokens. A token is stored only as its keyed hash; `state` is derived:
//! `REVOKED` once revoked, else `EXPIRED` once `expires_at` has passed, else `ACTIVE`.

use credport_model::{
    CreatedPersonalAccessToken, PersonalAccessToken, Scope, Secret, TokenList, TokenState,
};

use super::{instant, json_column, opt_instant, to_json};
use crate::crypto::{self, Keys, TOKEN_PREFIX};
use crate::db::sql::{Conn, Dialect, Row};
use crate::error::ApiError;

const COLUMNS: &str = "id, user_id, name, scopes, revoked_by, created_at, updated_at, \
    last_used_at, expires_at, revoked_at";

fn from_row(row: &Row, now: i64) -> Result<PersonalAccessToken, ApiError> {
    let expires_at = row.opt_int(8)?;
    let revoked_at = row.opt_int(9)?;
    let state = match (revoked_at, expires_at) {
        (Some(_), _) => TokenState::Revoked,
        (None, Some(at)) if at <= now => TokenState::Expired,
        _ => TokenState::Active,
    };
    Ok(PersonalAccessToken {
        id: row.text(0)?,
        user_id: row.text(1)?,
        name: row.text(2)?,
        state,
        scopes: json_column(row, 3)?,
        revoked_by: row.opt_text(4)?,
        created_at: instant(row, 5)?,
        updated_at: instant(row, 6)?,
        last_used_at: opt_instant(row, 7)?,
        expires_at: crate::clock::format_opt(expires_at),
        revoked_at: crate::clock::format_opt(revoked_at),
    })
}

/// A token to create; its owner and scopes are decided by the route.
pub struct NewToken<'a> {
    pub site_id: &'a str,
    pub user_id: &'a str,
    pub name: &'a str,
    pub scopes: &'a [Scope],
    /// Seconds since the epoch, after `now` ([`crate::routes::tokens::expiry`] decides it).
    pub expires_at: Option<i64>,
}

pub async fn create(
    conn: &Conn<'_>,
    keys: &Keys,
    new: &NewToken<'_>,
    now: i64,
) -> Result<CreatedPersonalAccessToken, ApiError> {
    let id = crypto::new_id("pat_")?;
    let token = crypto::new_secret(TOKEN_PREFIX)?;
    let scopes: Vec<&str> = new.scopes.iter().map(|s| s.as_str()).collect();
    conn.execute(
        "INSERT INTO personal_access_tokens (id, site_id, user_id, name, scopes, lookup_hash,
            created_at, updated_at, expires_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7, ?8)",
        &[
            id.as_str().into(),
            new.site_id.into(),
            new.user_id.into(),
            new.name.into(),
            to_json(&scopes)?.into(),
            keys.lookup_hash(&token)[..].into(),
            now.into(),
            new.expires_at.into(),
        ],
    )
    .await?;
    Ok(CreatedPersonalAccessToken {
        personal_access_token: get(conn, new.site_id, &id, now).await?,
        token: Secret::new(token),
    })
}

/// The tokens of the site, of one user when `user_id` is given, newest first.
pub async fn list(
    conn: &Conn<'_>,
    site_id: &str,
    user_id: Option<&str>,
    now: i64,
) -> Result<TokenList, ApiError> {
    let data = conn
        .query(
            &format!(
                "SELECT {COLUMNS} FROM personal_access_tokens
                 WHERE site_id = ?1 AND (CAST(?2 AS TEXT) IS NULL OR user_id = ?2)
                 ORDER BY created_at DESC, id DESC"
            ),
            &[site_id.into(), user_id.into()],
            |row| from_row(row, now),
        )
        .await?;
    Ok(TokenList {
        total_count: data.len() as u64,
        data,
    })
}

pub async fn get(
    conn: &Conn<'_>,
    site_id: &str,
    id: &str,
    now: i64,
) -> Result<PersonalAccessToken, ApiError> {
    conn.query_opt(
        &format!("SELECT {COLUMNS} FROM personal_access_tokens WHERE site_id = ?1 AND id = ?2"),
        &[site_id.into(), id.into()],
        |row| from_row(row, now),
    )
    .await?
    .ok_or_else(|| ApiError::not_found("personal access token"))
}

/// Revokes the token on behalf of `revoked_by`; the token, and whether this call revoked it
/// (revoking it again changes nothing; see [`super::api_keys::revoke`]).
pub async fn revoke(
    conn: &Conn<'_>,
    site_id: &str,
    id: &str,
    revoked_by: &str,
    now: i64,
) -> Result<(PersonalAccessToken, bool), ApiError> {
    let revoked = conn
        .execute(
            "UPDATE personal_access_tokens SET revoked_at = ?3, revoked_by = ?4, updated_at = ?3
         WHERE site_id = ?1 AND id = ?2 AND revoked_at IS NULL",
            &[site_id.into(), id.into(), now.into(), revoked_by.into()],
        )
        .await?;
    Ok((get(conn, site_id, id, now).await?, revoked == 1))
}

/// The owner of a usable token.
pub struct TokenOwner {
    pub token_id: String,
    pub site_id: String,
    pub user_id: String,
    pub scopes: Vec<Scope>,
    pub last_used_at: Option<i64>,
    pub expires_at: Option<i64>,
}

/// The owner of the token with this lookup hash, if it is neither revoked nor expired. One
/// statement, so that it may run through [`crate::db::Db::read_single`].
pub async fn authenticate(
    conn: &Conn<'_>,
    hash: &[u8; 32],
    now: i64,
) -> Result<Option<TokenOwner>, ApiError> {
    let owner = conn
        .query_opt(
            "SELECT id, site_id, user_id, scopes, lookup_hash, last_used_at, expires_at, revoked_at
         FROM personal_access_tokens WHERE lookup_hash = ?1",
            &[hash[..].into()],
            |row| {
                let usable = crypto::hashes_equal(row.bytes(4)?, hash)
                    && row.opt_int(7)?.is_none()
                    && row.opt_int(6)?.is_none_or(|at| at > now);
                if !usable {
                    return Ok(None);
                }
                let scopes: Vec<String> = json_column(row, 3)?;
                Ok(Some(TokenOwner {
                    token_id: row.text(0)?,
                    site_id: row.text(1)?,
                    user_id: row.text(2)?,
                    scopes: scopes.iter().filter_map(|s| Scope::parse(s)).collect(),
                    last_used_at: row.opt_int(5)?,
                    expires_at: row.opt_int(6)?,
                }))
            },
        )
        .await?;
    Ok(owner.flatten())
}

/// Records a use of the token at `now`; a no-op if one was recorded this second already, or
/// (PostgreSQL) if another transaction holds the token's row.
pub async fn touch(conn: &Conn<'_>, token_id: &str, now: i64) -> Result<(), ApiError> {
    let sql = match conn.dialect() {
        Dialect::Sqlite => {
            "UPDATE personal_access_tokens SET last_used_at = ?2
             WHERE id = ?1 AND (last_used_at IS NULL OR last_used_at < ?2)"
        }
        // Bookkeeping never waits: a row another transaction holds (revoking the token, or
        // touching it for a request of its own) is left for the next request.
        Dialect::Postgres => {
            "UPDATE personal_access_tokens SET last_used_at = ?2
             WHERE id = (SELECT id FROM personal_access_tokens
                 WHERE id = ?1 AND (last_used_at IS NULL OR last_used_at < ?2)
                 FOR NO KEY UPDATE SKIP LOCKED)"
        }
    };
    conn.execute(sql, &[token_id.into(), now.into()]).await?;
    Ok(())
}
