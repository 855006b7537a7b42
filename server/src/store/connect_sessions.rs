//! Connect sessions (API.md "Connect"). The link token and the OAuth2 state are found by their
//! keyed hashes ([`Keys::lookup_hash`]) and never stored; the PKCE verifier is AES-256-GCM
//! ciphertext bound to the session id, wiped when the session ends. Each step of a session
//! happens once: opening the link and taking the state are conditional `UPDATE`s, so of two
//! requests racing (on one instance or several sharing PostgreSQL) exactly one wins.

use credport_model::{ConnectError, ConnectSession, ConnectSessionStatus};
use serde_json::{Map, Value};

use super::{instant, json_column, opt_json_column, to_json};
use crate::crypto::Keys;
use crate::db::sql::{Conn, Row};
use crate::error::ApiError;

const COLUMNS: &str = "id, status, provider_config_key, connection_id, return_url, metadata, \
    error, expires_at, created_at, updated_at";

fn from_row(row: &Row, now: i64) -> Result<ConnectSession, ApiError> {
    let expires_at = row.int(7)?;
    let status = match ConnectSessionStatus::from(row.str(1)?) {
        ConnectSessionStatus::Pending if expires_at <= now => ConnectSessionStatus::Expired,
        status => status,
    };
    Ok(ConnectSession {
        id: row.text(0)?,
        status,
        provider_config_key: row.text(2)?,
        connection_id: row.opt_text(3)?,
        return_url: row.opt_text(4)?,
        metadata: json_column(row, 5)?,
        error: opt_json_column(row, 6)?,
        expires_at: crate::clock::format(expires_at),
        created_at: instant(row, 8)?,
        updated_at: instant(row, 9)?,
    })
}

/// What the PKCE verifier of session `id` is bound to.
pub(super) fn verifier_aad(id: &str) -> String {
    format!("connect_sessions.code_verifier:{id}")
}

/// A session to store.
pub struct NewSession<'a> {
    pub id: &'a str,
    pub site_id: &'a str,
    pub provider_config_key: &'a str,
    pub connection_id: Option<&'a str>,
    pub return_url: Option<&'a str>,
    pub metadata: &'a Map<String, Value>,
    pub link_hash: &'a [u8],
    pub expires_at: i64,
}

pub async fn create(
    conn: &Conn<'_>,
    new: &NewSession<'_>,
    now: i64,
) -> Result<ConnectSession, ApiError> {
    conn.execute(
        "INSERT INTO connect_sessions (id, site_id, provider_config_key, connection_id,
            return_url, metadata, status, link_hash, expires_at, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'pending', ?7, ?8, ?9, ?9)",
        &[
            new.id.into(),
            new.site_id.into(),
            new.provider_config_key.into(),
            new.connection_id.into(),
            new.return_url.into(),
            to_json(new.metadata)?.into(),
            new.link_hash.into(),
            new.expires_at.into(),
            now.into(),
        ],
    )
    .await?;
    get(conn, new.site_id, new.id, now).await
}

pub async fn get(
    conn: &Conn<'_>,
    site_id: &str,
    id: &str,
    now: i64,
) -> Result<ConnectSession, ApiError> {
    conn.query_opt(
        &format!("SELECT {COLUMNS} FROM connect_sessions WHERE site_id = ?1 AND id = ?2"),
        &[site_id.into(), id.into()],
        |row| from_row(row, now),
    )
    .await?
    .ok_or_else(|| ApiError::not_found("connect session"))
}

/// Why a link or a state was not taken.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    Unknown,
    Used,
    Expired,
}

/// A session whose link was just opened.
pub struct Opened {
    pub id: String,
    pub site_id: String,
    pub provider_config_key: String,
}

/// Opens the link whose hash is `link_hash`, once: binds `state_hash` and the encrypted
/// `verifier` to the session and gives the person until `expires_at` to come back.
pub async fn open_link(
    conn: &Conn<'_>,
    keys: &Keys,
    link_hash: &[u8],
    state_hash: &[u8],
    verifier: &str,
    now: i64,
    expires_at: i64,
) -> Result<Result<Opened, Refusal>, ApiError> {
    let Some((opened, pending, session_expires_at)) = conn
        .query_opt(
            "SELECT id, site_id, provider_config_key, status, link_used_at, expires_at
         FROM connect_sessions WHERE link_hash = ?1",
            &[link_hash.into()],
            |row| {
                let opened = Opened {
                    id: row.text(0)?,
                    site_id: row.text(1)?,
                    provider_config_key: row.text(2)?,
                };
                let pending = row.str(3)? == "pending" && row.opt_int(4)?.is_none();
                Ok((opened, pending, row.int(5)?))
            },
        )
        .await?
    else {
        return Ok(Err(Refusal::Unknown));
    };
    if !pending {
        return Ok(Err(Refusal::Used));
    }
    if session_expires_at <= now {
        return Ok(Err(Refusal::Expired));
    }
    let sealed = keys.encrypt(&verifier_aad(&opened.id), verifier.as_bytes())?;
    let taken = conn
        .execute(
            "UPDATE connect_sessions SET link_used_at = ?2, state_hash = ?3, code_verifier = ?4,
            expires_at = ?5, updated_at = ?2
         WHERE id = ?1 AND link_used_at IS NULL AND status = 'pending' AND expires_at > ?2",
            &[
                opened.id.as_str().into(),
                now.into(),
                state_hash.into(),
                sealed.into(),
                expires_at.into(),
            ],
        )
        .await?;
    if taken == 0 {
        return Ok(Err(Refusal::Used));
    }
    Ok(Ok(opened))
}

/// A session whose state a callback just took. Not `Debug`: it holds the verifier.
pub struct Taken {
    pub id: String,
    pub site_id: String,
    pub provider_config_key: String,
    pub connection_id: Option<String>,
    pub return_url: Option<String>,
    pub metadata: Map<String, Value>,
    pub code_verifier: credport_model::Secret,
}

/// Takes the state whose hash is `state_hash`, once: the callback that gets `Ok` is the only
/// one that may exchange the session's code.
pub async fn take_state(
    conn: &Conn<'_>,
    keys: &Keys,
    state_hash: &[u8],
    now: i64,
) -> Result<Result<Taken, Refusal>, ApiError> {
    let Some((pending, session_expires_at, session)) = conn
        .query_opt(
            "SELECT id, site_id, provider_config_key, connection_id, return_url, metadata,
                status, state_used_at, expires_at, code_verifier
         FROM connect_sessions WHERE state_hash = ?1",
            &[state_hash.into()],
            |row| {
                let pending = row.str(6)? == "pending" && row.opt_int(7)?.is_none();
                let session = (
                    row.text(0)?,
                    row.text(1)?,
                    row.text(2)?,
                    row.opt_text(3)?,
                    row.opt_text(4)?,
                    json_column(row, 5)?,
                    row.opt_blob(9)?,
                );
                Ok((pending, row.int(8)?, session))
            },
        )
        .await?
    else {
        return Ok(Err(Refusal::Unknown));
    };
    if !pending {
        return Ok(Err(Refusal::Used));
    }
    if session_expires_at <= now {
        return Ok(Err(Refusal::Expired));
    }
    let (id, site_id, provider_config_key, connection_id, return_url, metadata, sealed) = session;
    let taken = conn
        .execute(
            "UPDATE connect_sessions SET state_used_at = ?2, updated_at = ?2
         WHERE id = ?1 AND state_used_at IS NULL AND status = 'pending' AND expires_at > ?2",
            &[id.as_str().into(), now.into()],
        )
        .await?;
    if taken == 0 {
        return Ok(Err(Refusal::Used));
    }
    // A pending session whose link was opened holds its verifier.
    let sealed = sealed.ok_or_else(|| ApiError::internal("a taken state has no PKCE verifier"))?;
    let verifier = keys.decrypt(&verifier_aad(&id), &sealed)?;
    let verifier = String::from_utf8(verifier)
        .map_err(|_| ApiError::internal("a stored PKCE verifier is not UTF-8"))?;
    Ok(Ok(Taken {
        site_id,
        provider_config_key,
        connection_id,
        return_url,
        metadata,
        code_verifier: credport_model::Secret::new(verifier),
        id,
    }))
}

/// Ends a pending session: succeeded with `connection_id`, or failed with `error`. The
/// verifier is wiped either way. A session that has ended already stays as it is. Whether it
/// ended it.
pub async fn finish(
    conn: &Conn<'_>,
    id: &str,
    outcome: Result<&str, &ConnectError>,
    now: i64,
) -> Result<bool, ApiError> {
    let (status, connection_id, error) = match outcome {
        Ok(connection_id) => ("succeeded", Some(connection_id), None),
        Err(error) => ("failed", None, Some(to_json(error)?)),
    };
    conn.execute(
        "UPDATE connect_sessions SET status = ?2, connection_id = COALESCE(?3, connection_id),
            error = ?4, code_verifier = NULL, updated_at = ?5
         WHERE id = ?1 AND status = 'pending'",
        &[
            id.into(),
            status.into(),
            connection_id.into(),
            error.into(),
            now.into(),
        ],
    )
    .await
    .map(|ended| ended == 1)
}

/// Wipes the PKCE verifiers of sessions that expired without ending (the link opened, the
/// person never back from the provider): once the state has expired the verifier can serve no
/// exchange, and like an ended session's it is not kept. How many it wiped.
pub async fn wipe_expired_verifiers(conn: &Conn<'_>, now: i64) -> Result<u64, ApiError> {
    conn.execute(
        "UPDATE connect_sessions SET code_verifier = NULL
         WHERE code_verifier IS NOT NULL AND expires_at <= ?1",
        &[now.into()],
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::Db;

    #[tokio::test]
    async fn only_expired_sessions_lose_their_verifier() {
        let (_dir, db) = Db::temporary().await;
        let left = db
            .write(|conn| {
                Box::pin(async move {
                    conn.execute("INSERT INTO sites VALUES ('site_1', 's', 0)", &[])
                        .await?;
                    for (id, expires_at) in [("cs_expired", 100_i64), ("cs_open", 101)] {
                        conn.execute(
                            "INSERT INTO connect_sessions (id, site_id, provider_config_key,
                                metadata, status, link_hash, code_verifier, expires_at,
                                created_at, updated_at)
                             VALUES (?1, 'site_1', 'k', '{}', 'pending', randomblob(16), X'01', ?2, 0, 0)",
                            &[id.into(), expires_at.into()],
                        )
                        .await?;
                    }
                    assert_eq!(wipe_expired_verifiers(conn, 100).await?, 1);
                    let sql = "SELECT id FROM connect_sessions WHERE code_verifier IS NOT NULL";
                    conn.query(sql, &[], |row| row.text(0)).await
                })
            })
            .await
            .unwrap();
        assert_eq!(left, ["cs_open"]);
    }
}
