//! Sites: the tenants.

use credport_model::{CreateSiteParams, Site, SiteList};

use crate::clock;
use crate::crypto;
use crate::db::sql::Conn;
use crate::error::ApiError;

pub async fn create(
    conn: &Conn<'_>,
    params: &CreateSiteParams,
    now: i64,
) -> Result<Site, ApiError> {
    let id = crypto::new_id("site_")?;
    conn.execute(
        "INSERT INTO sites (id, name, created_at) VALUES (?1, ?2, ?3)",
        &[id.as_str().into(), params.name.as_str().into(), now.into()],
    )
    .await?;
    Ok(Site {
        id,
        name: params.name.clone(),
        created_at: clock::format(now),
    })
}

/// Every site, oldest first (creation time, then id). Sites are few (one per tenant), so the
/// list is not paged, as provider configurations are not.
pub async fn list(conn: &Conn<'_>) -> Result<SiteList, ApiError> {
    let data = conn
        .query(
            "SELECT id, name, created_at FROM sites ORDER BY created_at, id",
            &[],
            |row| {
                Ok(Site {
                    id: row.text(0)?,
                    name: row.text(1)?,
                    created_at: clock::format(row.int(2)?),
                })
            },
        )
        .await?;
    Ok(SiteList {
        total_count: data.len() as u64,
        data,
    })
}

/// 404 unless the site exists.
pub async fn require(conn: &Conn<'_>, site_id: &str) -> Result<(), ApiError> {
    conn.query_opt(
        "SELECT 1 FROM sites WHERE id = ?1",
        &[site_id.into()],
        |_| Ok(()),
    )
    .await?
    .ok_or_else(|| ApiError::not_found("site"))
}
