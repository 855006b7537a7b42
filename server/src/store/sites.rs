//! Sites: the tenants.

use credport_model::{CreateSiteParams, Site};
use rusqlite::{params, Connection, OptionalExtension};

use crate::clock;
use crate::crypto;
use crate::error::ApiError;

pub fn create(conn: &Connection, params: &CreateSiteParams, now: i64) -> Result<Site, ApiError> {
    let id = crypto::new_id("site_")?;
    conn.execute(
        "INSERT INTO sites (id, name, created_at) VALUES (?1, ?2, ?3)",
        params![id, params.name, now],
    )?;
    Ok(Site {
        id,
        name: params.name.clone(),
        created_at: clock::format(now),
    })
}

/// 404 unless the site exists.
pub fn require(conn: &Connection, site_id: &str) -> Result<(), ApiError> {
    conn.query_row("SELECT 1 FROM sites WHERE id = ?1", [site_id], |_| Ok(()))
        .optional()?
        .ok_or_else(|| ApiError::not_found("site"))
}
