//! API keys a site issues. The secret is stored twice, never in plaintext: as a keyed hash
//! (`lookup_hash`) to verify it and as AES-256-GCM ciphertext bound to the key id, because the
//! API hands it back (`GET /v1/api_keys/{id}/secret`).

use credport_model::{
    ApiKey, ApiKeyList, ApiKeySecret, CreateApiKeyParams, CreatedApiKey, DeletedApiKey,
    ListApiKeysParams, RevokeApiKeyParams, Secret, UpdateApiKeyParams, VerifyApiKeyResult,
    VerifyCode, DEFAULT_API_KEY_TYPE,
};
use serde_json::Value;

use super::{instant, json_column, opt_instant, opt_json_column, to_json};
use crate::crypto::{self, Keys, API_KEY_PREFIX};
use crate::db::sql::{self, Conn, Row};
use crate::error::ApiError;

const OBJECT: &str = "api_key";

const COLUMNS: &str = "id, type, name, subject, description, claims, scopes, created_by, \
    revoked, revocation_reason, expiration, last_used_at, created_at, updated_at";

fn from_row(row: &Row, now: i64) -> Result<ApiKey, ApiError> {
    let expiration = row.opt_int(10)?;
    Ok(ApiKey {
        id: row.text(0)?,
        object: OBJECT.to_owned(),
        kind: row.text(1)?,
        name: row.text(2)?,
        subject: row.text(3)?,
        description: row.opt_text(4)?,
        claims: opt_json_column(row, 5)?,
        scopes: json_column(row, 6)?,
        created_by: row.opt_text(7)?,
        revoked: row.bool(8)?,
        revocation_reason: row.opt_text(9)?,
        expired: expiration.is_some_and(|at| at <= now),
        expiration: crate::clock::format_opt(expiration),
        last_used_at: opt_instant(row, 11)?,
        created_at: instant(row, 12)?,
        updated_at: instant(row, 13)?,
    })
}

pub(super) fn secret_aad(id: &str) -> String {
    format!("api_keys.secret:{id}")
}

/// `claims` as its column: JSON text, or NULL for none.
fn claims_column(claims: Option<&Value>) -> Result<Option<String>, ApiError> {
    claims.map(to_json).transpose()
}

/// An expiry `seconds` from `now`, as its column.
fn expiration_column(seconds: Option<u64>, now: i64) -> Option<i64> {
    seconds.map(|s| now.saturating_add(i64::try_from(s).unwrap_or(i64::MAX)))
}

/// The 409 of a name and subject another key of the site has. Names stay taken while a key
/// exists, revoked or expired; deleting it frees them.
fn name_taken() -> ApiError {
    ApiError::conflict("the site already has an API key with this name for this subject")
}

/// [`name_taken`] when another key of the site (`except` aside) has this name and subject.
/// Two requests racing past this check (two instances on one PostgreSQL) meet the unique
/// constraint instead, which [`unique_is_name_taken`] turns into the same answer.
async fn ensure_name_free(
    conn: &Conn<'_>,
    site_id: &str,
    subject: &str,
    name: &str,
    except: &str,
) -> Result<(), ApiError> {
    let taken = conn
        .query_opt(
            "SELECT 1 FROM api_keys WHERE site_id = ?1 AND subject = ?2 AND name = ?3 AND id <> ?4",
            &[site_id.into(), subject.into(), name.into(), except.into()],
            |_| Ok(()),
        )
        .await?;
    match taken {
        Some(_) => Err(name_taken()),
        None => Ok(()),
    }
}

/// A unique violation of a statement that sets a key's name or subject: the name was taken.
fn unique_is_name_taken(e: ApiError) -> ApiError {
    if e.status().as_u16() == 409 {
        name_taken()
    } else {
        e
    }
}

pub async fn create(
    conn: &Conn<'_>,
    keys: &Keys,
    site_id: &str,
    params: &CreateApiKeyParams,
    now: i64,
) -> Result<CreatedApiKey, ApiError> {
    ensure_name_free(conn, site_id, &params.subject, &params.name, "").await?;
    let id = crypto::new_id("ak_")?;
    let secret = crypto::new_secret(API_KEY_PREFIX)?;
    conn.execute(
        "INSERT INTO api_keys (id, site_id, type, name, subject, description, claims, scopes,
            created_by, expiration, created_at, updated_at, lookup_hash, secret)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?11, ?12, ?13)",
        &[
            id.as_str().into(),
            site_id.into(),
            params
                .kind
                .as_deref()
                .unwrap_or(DEFAULT_API_KEY_TYPE)
                .into(),
            params.name.as_str().into(),
            params.subject.as_str().into(),
            params.description.as_deref().into(),
            claims_column(params.claims.as_ref())?.into(),
            to_json(params.scopes.as_deref().unwrap_or_default())?.into(),
            params.created_by.as_deref().into(),
            expiration_column(params.seconds_until_expiration, now).into(),
            now.into(),
            keys.lookup_hash(&secret)[..].into(),
            keys.encrypt(&secret_aad(&id), secret.as_bytes())?.into(),
        ],
    )
    .await
    .map_err(unique_is_name_taken)?;
    Ok(CreatedApiKey {
        api_key: get(conn, site_id, &id, now).await?,
        secret: Secret::new(secret),
    })
}

/// Newest first. Without `include_invalid`, revoked and expired keys are left out; `query` is a
/// case-insensitive substring of the name or the description.
pub async fn list(
    conn: &Conn<'_>,
    site_id: &str,
    params: &ListApiKeysParams,
    now: i64,
) -> Result<ApiKeyList, ApiError> {
    // The casts tell PostgreSQL the parameters' type, which `IS NULL` alone does not.
    let query_matches = format!(
        "({} OR {})",
        conn.dialect().folded_contains("name", "?6"),
        conn.dialect()
            .folded_contains("COALESCE(description, '')", "?6")
    );
    let from = format!(
        "api_keys WHERE site_id = ?1 AND (CAST(?2 AS TEXT) IS NULL OR subject = ?2)
         AND (CAST(?3 AS TEXT) IS NULL OR type = ?3)
         AND (?4 OR (revoked = FALSE AND (expiration IS NULL OR expiration > ?5)))
         AND (CAST(?6 AS TEXT) IS NULL OR {query_matches})"
    );
    let query = params.query.as_deref();
    let include_invalid = params.include_invalid.unwrap_or(false);
    let mut args: Vec<sql::Value> = vec![
        site_id.into(),
        params.subject.as_deref().into(),
        params.kind.as_deref().into(),
        include_invalid.into(),
        now.into(),
        query.into(),
    ];
    let filter_args = args.len();
    let limit = params.limit.unwrap_or(ListApiKeysParams::DEFAULT_LIMIT);
    let offset = params.offset.unwrap_or(0);
    args.extend([limit.into(), offset.into()]);
    let (total, data) = conn
        .counted_page(
            COLUMNS,
            &from,
            "created_at DESC, id DESC",
            "LIMIT ?7 OFFSET ?8",
            (&args, filter_args),
            |row| from_row(row, now),
        )
        .await?;
    Ok(ApiKeyList {
        data,
        total_count: u64::try_from(total).unwrap_or_default(),
    })
}

pub async fn get(conn: &Conn<'_>, site_id: &str, id: &str, now: i64) -> Result<ApiKey, ApiError> {
    conn.query_opt(
        &format!("SELECT {COLUMNS} FROM api_keys WHERE site_id = ?1 AND id = ?2"),
        &[site_id.into(), id.into()],
        |row| from_row(row, now),
    )
    .await?
    .ok_or_else(|| ApiError::not_found("API key"))
}

/// Changes the fields present in `params`; `null` clears `claims`, `description` and the expiry.
/// `updated_at` moves only when a value does ([`super::set_touching`]): a new expiry, counted
/// from now, is a change unless it lands on the stored one.
pub async fn update(
    conn: &Conn<'_>,
    site_id: &str,
    id: &str,
    params: &UpdateApiKeyParams,
    now: i64,
) -> Result<ApiKey, ApiError> {
    let current = get(conn, site_id, id, now).await?;
    if params.is_empty() {
        return Ok(current);
    }
    if let Some(subject) = &params.subject {
        ensure_name_free(conn, site_id, subject, &current.name, id).await?;
    }
    let claims = params
        .claims
        .as_ref()
        .map(|c| claims_column(c.as_ref()))
        .transpose()?;
    let description = params.description.as_ref();
    let expiration = params
        .seconds_until_expiration
        .map(|seconds| expiration_column(seconds, now));
    let set = super::set_touching(
        &[
            ("claims", "CASE WHEN ?3 THEN ?4 ELSE claims END"),
            ("scopes", "COALESCE(?5, scopes)"),
            ("description", "CASE WHEN ?6 THEN ?7 ELSE description END"),
            ("subject", "COALESCE(?8, subject)"),
            ("expiration", "CASE WHEN ?9 THEN ?10 ELSE expiration END"),
        ],
        &[],
        None,
        "?11",
    );
    conn.execute(
        &format!("UPDATE api_keys SET {set} WHERE site_id = ?1 AND id = ?2"),
        &[
            site_id.into(),
            id.into(),
            claims.is_some().into(),
            claims.flatten().into(),
            params.scopes.as_ref().map(to_json).transpose()?.into(),
            description.is_some().into(),
            description.cloned().flatten().into(),
            params.subject.as_deref().into(),
            expiration.is_some().into(),
            expiration.flatten().into(),
            now.into(),
        ],
    )
    .await
    .map_err(unique_is_name_taken)?;
    get(conn, site_id, id, now).await
}

/// Removes the key and its secret for good.
pub async fn delete(conn: &Conn<'_>, site_id: &str, id: &str) -> Result<DeletedApiKey, ApiError> {
    let deleted = conn
        .execute(
            "DELETE FROM api_keys WHERE site_id = ?1 AND id = ?2",
            &[site_id.into(), id.into()],
        )
        .await?;
    if deleted == 0 {
        return Err(ApiError::not_found("API key"));
    }
    Ok(DeletedApiKey {
        id: id.to_owned(),
        object: OBJECT.to_owned(),
        deleted: true,
    })
}

pub async fn secret(
    conn: &Conn<'_>,
    keys: &Keys,
    site_id: &str,
    id: &str,
) -> Result<ApiKeySecret, ApiError> {
    let sealed = conn
        .query_opt(
            "SELECT secret FROM api_keys WHERE site_id = ?1 AND id = ?2",
            &[site_id.into(), id.into()],
            |row| row.blob(0),
        )
        .await?
        .ok_or_else(|| ApiError::not_found("API key"))?;
    let secret = String::from_utf8(keys.decrypt(&secret_aad(id), &sealed)?)
        .map_err(|_| ApiError::internal("a stored API-key secret is not UTF-8"))?;
    Ok(ApiKeySecret {
        secret: Secret::new(secret),
    })
}

/// Revokes the key; the key, and whether this call revoked it. Revoking it again changes
/// nothing (the first reason stays): on PostgreSQL a second revoke that read the key before the
/// first committed finds it revoked here, in its `UPDATE`, and only here.
pub async fn revoke(
    conn: &Conn<'_>,
    site_id: &str,
    id: &str,
    params: &RevokeApiKeyParams,
    now: i64,
) -> Result<(ApiKey, bool), ApiError> {
    let revoked = conn
        .execute(
            "UPDATE api_keys SET revoked = TRUE, revocation_reason = ?3, updated_at = ?4
         WHERE site_id = ?1 AND id = ?2 AND revoked = FALSE",
            &[
                site_id.into(),
                id.into(),
                params.revocation_reason.as_deref().into(),
                now.into(),
            ],
        )
        .await?;
    Ok((get(conn, site_id, id, now).await?, revoked == 1))
}

/// What a presented secret is worth to this site, read with one statement (the key found by
/// its secret's lookup hash, with every column the answer shows). A verdict is a read: the
/// key's `last_used_at` is the caller's to record, with [`record_use`], when this answers
/// `Some(id)` beside the verdict.
pub async fn verify(
    conn: &Conn<'_>,
    keys: &Keys,
    site_id: &str,
    secret: &str,
    now: i64,
) -> Result<(VerifyApiKeyResult, Option<String>), ApiError> {
    let hash = keys.lookup_hash(secret);
    // The key and when it was last used (seconds), if the secret is one of this site's keys.
    let owned = conn
        .query_opt(
            &format!("SELECT {COLUMNS}, site_id, lookup_hash FROM api_keys WHERE lookup_hash = ?1"),
            &[hash[..].into()],
            |row| {
                let owned = row.str(14)? == site_id && crypto::hashes_equal(row.bytes(15)?, &hash);
                if !owned {
                    return Ok(None);
                }
                Ok(Some((from_row(row, now)?, row.opt_int(11)?)))
            },
        )
        .await?
        .flatten();
    let Some((key, last_used_at)) = owned else {
        let verdict = VerifyApiKeyResult {
            valid: false,
            code: VerifyCode::NotFound,
            api_key: None,
        };
        return Ok((verdict, None));
    };
    let code = if key.revoked {
        VerifyCode::Revoked
    } else if key.expired {
        VerifyCode::Expired
    } else {
        VerifyCode::Valid
    };
    // `last_used_at` counts whole seconds: recorded once a second at most, so that a key
    // verified many times a second does not make every verification a write (on PostgreSQL, a
    // row lock and a WAL flush each, queued behind one another).
    let stale = last_used_at.is_none_or(|at| at < now);
    let used = (code == VerifyCode::Valid && stale).then(|| key.id.clone());
    let verdict = VerifyApiKeyResult {
        valid: code == VerifyCode::Valid,
        code,
        api_key: Some(key),
    };
    Ok((verdict, used))
}

/// Records that key `id` was used at `now` (whole seconds), unless a later or equal use is
/// recorded already (another verification in the same second, on any instance).
pub async fn record_use(conn: &Conn<'_>, id: &str, now: i64) -> Result<(), ApiError> {
    conn.execute(
        "UPDATE api_keys SET last_used_at = ?2
         WHERE id = ?1 AND (last_used_at IS NULL OR last_used_at < ?2)",
        &[id.into(), now.into()],
    )
    .await
    .map(drop)
}
