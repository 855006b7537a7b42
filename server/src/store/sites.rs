//! Sites: the tenants.

use credport_model::{CreateSiteParams, Site};

use crate::clock;
use crate::crypto;
use crate::db::sql::Conn;
use crate::error::ApiError;

pub fn create(conn: &Conn<'_>, params: &CreateSiteParams, now: i64) -> Result<Site, ApiError> {
    let id = crypto::new_id("site_")?;
    conn.execute(
        "INSERT INTO sites (id, name, created_at) VALUES (?1, ?2, ?3)",
        &[id.as_str().into(), params.name.as_str().into(), now.into()],
    )?;
    Ok(Site {
        id,
        name: params.name.clone(),
        created_at: clock::format(now),
    })
}

/// 404 unless the site exists.
pub fn require(conn: &Conn<'_>, site_id: &str) -> Result<(), ApiError> {
    conn.query_opt("SELECT 1 FROM sites WHERE id = ?1", &[site_id.into()])?
        .map(drop)
        .ok_or_else(|| ApiError::not_found("site"))
}
