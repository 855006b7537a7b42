//! Webhook endpoints: where a site's events are delivered. The signing secret is AES-256-GCM
//! ciphertext bound to the endpoint id, made with the server's [`Keys`] like every other secret
//! (so key rotation covers it); only [`target`] decrypts it, for a delivery.

use credport_model::{
    CreateWebhookEndpointParams, CreatedWebhookEndpoint, Secret, UpdateWebhookEndpointParams,
    WebhookEndpoint, WebhookEndpointList, WebhookEndpointStatus,
};

use super::{instant, json_column, to_json};
use crate::crypto::{self, Keys};
use crate::db::sql::{Conn, Row};
use crate::error::ApiError;

const COLUMNS: &str = "id, url, types, description, status, created_at, updated_at";

fn from_row(row: &Row) -> Result<WebhookEndpoint, ApiError> {
    Ok(WebhookEndpoint {
        id: row.text(0)?,
        url: row.text(1)?,
        types: json_column(row, 2)?,
        description: row.opt_text(3)?,
        status: WebhookEndpointStatus::from(row.str(4)?),
        created_at: instant(row, 5)?,
        updated_at: instant(row, 6)?,
    })
}

/// What the signing secret of endpoint `id` is bound to.
pub(super) fn secret_aad(id: &str) -> String {
    format!("webhook_endpoints.secret:{id}")
}

fn not_found() -> ApiError {
    ApiError::not_found("webhook endpoint")
}

/// A new endpoint with its new signing `secret`, shown this once.
pub async fn create(
    conn: &Conn<'_>,
    keys: &Keys,
    site_id: &str,
    params: &CreateWebhookEndpointParams,
    secret: String,
    now: i64,
) -> Result<CreatedWebhookEndpoint, ApiError> {
    let id = crypto::new_id("we_")?;
    conn.execute(
        "INSERT INTO webhook_endpoints (id, site_id, url, types, description, status, secret,
            created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, 'enabled', ?6, ?7, ?7)",
        &[
            id.as_str().into(),
            site_id.into(),
            params.url.as_str().into(),
            to_json(params.types.as_deref().unwrap_or_default())?.into(),
            params.description.as_deref().into(),
            keys.encrypt(&secret_aad(&id), secret.as_bytes())?.into(),
            now.into(),
        ],
    )
    .await?;
    Ok(CreatedWebhookEndpoint {
        endpoint: get(conn, site_id, &id).await?,
        secret: Secret::new(secret),
    })
}

pub async fn get(conn: &Conn<'_>, site_id: &str, id: &str) -> Result<WebhookEndpoint, ApiError> {
    conn.query_opt(
        &format!("SELECT {COLUMNS} FROM webhook_endpoints WHERE site_id = ?1 AND id = ?2"),
        &[site_id.into(), id.into()],
        from_row,
    )
    .await?
    .ok_or_else(not_found)
}

/// Every endpoint of the site, oldest first.
pub async fn list(conn: &Conn<'_>, site_id: &str) -> Result<WebhookEndpointList, ApiError> {
    let data = conn
        .query(
            &format!(
                "SELECT {COLUMNS} FROM webhook_endpoints WHERE site_id = ?1
                 ORDER BY created_at, id"
            ),
            &[site_id.into()],
            from_row,
        )
        .await?;
    Ok(WebhookEndpointList {
        total_count: data.len() as u64,
        data,
    })
}

/// Changes the fields present in `params`; `updated_at` moves only when a value does
/// ([`super::set_touching`]). Enabling a disabled endpoint starts its failure clock anew;
/// `enabled` sent to an endpoint already enabled leaves the clock running, or a client that
/// sends the status with every edit would keep a failing endpoint from ever being disabled.
pub async fn update(
    conn: &Conn<'_>,
    site_id: &str,
    id: &str,
    params: &UpdateWebhookEndpointParams,
    now: i64,
) -> Result<WebhookEndpoint, ApiError> {
    if params.is_empty() {
        return get(conn, site_id, id).await;
    }
    let set = super::set_touching(
        &[
            ("url", "COALESCE(?3, url)"),
            ("types", "COALESCE(?4, types)"),
            ("description", "COALESCE(?5, description)"),
            ("status", "COALESCE(?6, status)"),
        ],
        &[
            "failing_since = CASE WHEN ?6 = 'enabled' AND status <> 'enabled' THEN NULL
                ELSE failing_since END",
        ],
        None,
        "?7",
    );
    let changed = conn
        .execute(
            &format!("UPDATE webhook_endpoints SET {set} WHERE site_id = ?1 AND id = ?2"),
            &[
                site_id.into(),
                id.into(),
                params.url.as_deref().into(),
                params.types.as_ref().map(to_json).transpose()?.into(),
                params.description.as_deref().into(),
                params
                    .status
                    .as_ref()
                    .map(WebhookEndpointStatus::as_str)
                    .into(),
                now.into(),
            ],
        )
        .await?;
    if changed == 0 {
        return Err(not_found());
    }
    get(conn, site_id, id).await
}

/// Deletes the endpoint and its deliveries.
pub async fn delete(conn: &Conn<'_>, site_id: &str, id: &str) -> Result<(), ApiError> {
    let deleted = conn
        .execute(
            "DELETE FROM webhook_endpoints WHERE site_id = ?1 AND id = ?2",
            &[site_id.into(), id.into()],
        )
        .await?;
    if deleted == 0 {
        return Err(not_found());
    }
    Ok(())
}

/// Locks endpoint `id`'s row as an update of it would (PostgreSQL; nothing to do on SQLite),
/// before a delivery's outcome is written ([`crate::events::outbox::finish`]).
pub async fn lock(conn: &Conn<'_>, id: &str) -> Result<(), ApiError> {
    super::lock_rows(conn, "webhook_endpoints WHERE id = ?1", &[id.into()]).await
}

/// The site's enabled endpoints and the types each wants.
pub async fn enabled(
    conn: &Conn<'_>,
    site_id: &str,
) -> Result<Vec<(String, Vec<String>)>, ApiError> {
    conn.query(
        "SELECT id, types FROM webhook_endpoints WHERE site_id = ?1 AND status = 'enabled'",
        &[site_id.into()],
        |row| Ok((row.text(0)?, json_column(row, 1)?)),
    )
    .await
}

/// Where to deliver for endpoint `id`, and its signing secret, decrypted; `None` when this
/// instance cannot read the secret.
pub async fn target(
    conn: &Conn<'_>,
    keys: &Keys,
    id: &str,
) -> Result<Option<(String, String)>, ApiError> {
    // A secret under a key this instance does not hold (a new key being rolled out to the
    // instances), or that cannot be read, is not this instance's to send.
    let readable = |sealed: &[u8]| {
        let secret = keys.decrypt(&secret_aad(id), sealed).ok()?;
        String::from_utf8(secret).ok()
    };
    let (url, secret) = conn
        .query_opt(
            "SELECT url, secret FROM webhook_endpoints WHERE id = ?1",
            &[id.into()],
            |row| Ok((row.text(0)?, readable(row.bytes(1)?))),
        )
        .await?
        .ok_or_else(not_found)?;
    Ok(secret.map(|secret| (url, secret)))
}

/// A delivery succeeded: the endpoint is not failing.
pub async fn succeeded(conn: &Conn<'_>, id: &str) -> Result<(), ApiError> {
    conn.execute(
        "UPDATE webhook_endpoints SET failing_since = NULL WHERE id = ?1 AND failing_since IS NOT NULL",
        &[id.into()],
    ).await?;
    Ok(())
}

/// A delivery failed at `now`: the endpoint's site and since when it has been failing, if it
/// is still enabled.
pub async fn failed(
    conn: &Conn<'_>,
    id: &str,
    now: i64,
) -> Result<Option<(String, i64)>, ApiError> {
    conn.query_opt(
        "UPDATE webhook_endpoints SET failing_since = COALESCE(failing_since, ?2)
         WHERE id = ?1 AND status = 'enabled' RETURNING site_id, failing_since",
        &[id.into(), now.into()],
        |row| Ok((row.text(0)?, row.int(1)?)),
    )
    .await
}

/// Switches the endpoint off (the server's doing: it kept failing).
pub async fn disable(conn: &Conn<'_>, id: &str, now: i64) -> Result<(), ApiError> {
    conn.execute(
        "UPDATE webhook_endpoints SET status = 'disabled', updated_at = ?2 WHERE id = ?1",
        &[id.into(), now.into()],
    )
    .await?;
    Ok(())
}
