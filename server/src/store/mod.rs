//! The SQL of each resource, for both stores. Functions take a [`crate::db::sql::Conn`] inside a
//! transaction opened by [`crate::db::Db`] (so a request's reads share one snapshot and its writes commit together),
//! the caller's site (every query is scoped to it: another site's object is simply not found),
//! and `now`. They answer in the model's wire types.

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::db::sql::{self, Conn, Dialect, Row};
use crate::error::ApiError;

pub mod api_keys;
pub mod connect_sessions;
pub mod connections;
pub mod idempotency_keys;
pub mod provider_configs;
pub mod rate_limits;
pub mod refreshes;
pub mod secrets;
pub mod sites;
pub mod tokens;
pub mod webhook_endpoints;

/// An object an update reads before it changes it ([`lock_row`]).
#[derive(Clone, Copy)]
pub enum Updated {
    Connection,
    ProviderConfig,
    WebhookEndpoint,
    ApiKey,
}

/// Takes the write lock of one object's row on PostgreSQL, before an update reads it, so that
/// the `before` its event is told from is the row it changes. Read without the lock, a change
/// another transaction committed in between (PostgreSQL runs writes side by side, at READ
/// COMMITTED) went into this update's event as this update's own. The lock is the one an
/// `UPDATE` of no key takes (`FOR NO KEY UPDATE`), which leaves the row to the foreign-key
/// checks of other transactions (`FOR KEY SHARE`): with `FOR UPDATE`, two updates of two
/// webhook endpoints, each queueing its event for the other endpoint, waited on each other.
/// SQLite's one writer runs writes one after another: nothing to lock. A missing row locks
/// nothing; the read after it answers 404.
pub async fn lock_row(
    conn: &Conn<'_>,
    row: Updated,
    site_id: &str,
    key: &str,
) -> Result<(), ApiError> {
    let (table, key_column) = match row {
        Updated::Connection => ("connections", "id"),
        Updated::ProviderConfig => ("provider_configs", "key"),
        Updated::WebhookEndpoint => ("webhook_endpoints", "id"),
        Updated::ApiKey => ("api_keys", "id"),
    };
    let found = format!("{table} WHERE site_id = ?1 AND {key_column} = ?2");
    lock_rows(conn, &found, &[site_id.into(), key.into()]).await
}

/// Locks the rows of `SELECT 1 FROM {found}` as an `UPDATE` of no key would, on PostgreSQL;
/// nothing on SQLite, whose one writer runs writes one after another.
async fn lock_rows(conn: &Conn<'_>, found: &str, args: &[sql::Value]) -> Result<(), ApiError> {
    if conn.dialect() == Dialect::Sqlite {
        return Ok(());
    }
    let lock = conn.dialect().update_lock();
    conn.query(&format!("SELECT 1 FROM {found}{lock}"), args, |_| Ok(()))
        .await
        .map(drop)
}

/// The `SET` list of an update: each `(column, new value)` of `compared`, then the assignments
/// of `others` as they are, then `updated_at = now` only if a compared column changes, or if
/// `written` holds (something that cannot be compared, such as a secret sealed with a fresh
/// nonce). An update that sends the stored values records no event (docs/events.md); left
/// alone, `updated_at` would still say the object changed.
///
/// Every right-hand side reads the row as it was, so each column is compared with its old
/// value. The comparison is null-safe, `(a IS NULL) <> (b IS NULL) OR a <> b`, and JSON columns
/// are compared as text: [`to_json`] writes a value the same way every time (an object's keys
/// in order), so the same value sent again is the same text. `updated_at` comes last so that
/// each parameter in `written` has been seen in an assignment: PostgreSQL takes a parameter's
/// type from where it first meets it, and `?n IS NULL` alone gives none.
fn set_touching(
    compared: &[(&str, &str)],
    others: &[&str],
    written: Option<&str>,
    now: &str,
) -> String {
    let mut changed: Vec<String> = written.into_iter().map(str::to_owned).collect();
    let mut set = Vec::new();
    for (column, value) in compared {
        changed.push(format!(
            "({column} IS NULL) <> ({value} IS NULL) OR {column} <> {value}"
        ));
        set.push(format!("{column} = {value}"));
    }
    set.extend(others.iter().map(|other| (*other).to_owned()));
    set.push(format!(
        "updated_at = CASE WHEN {} THEN {now} ELSE updated_at END",
        changed.join(" OR ")
    ));
    set.join(",\n            ")
}

/// What the credential fields of connection `id` are bound to (written by [`connections`], read
/// and rewritten by [`refreshes`]).
fn fields_aad(id: &str) -> String {
    format!("connections.credential_fields:{id}")
}

/// A JSON text column as `T`.
fn json_column<T: DeserializeOwned>(row: &Row, index: usize) -> Result<T, ApiError> {
    serde_json::from_str(row.str(index)?).map_err(ApiError::from)
}

/// A nullable JSON text column as `Option<T>`.
fn opt_json_column<T: DeserializeOwned>(row: &Row, index: usize) -> Result<Option<T>, ApiError> {
    row.opt_str(index)?
        .map(|text| serde_json::from_str(text).map_err(ApiError::from))
        .transpose()
}

/// A value as JSON text for a column.
fn to_json<T: Serialize + ?Sized>(value: &T) -> Result<String, ApiError> {
    Ok(serde_json::to_string(value)?)
}

/// A column read as a [`crate::clock::format`]ted instant.
fn instant(row: &Row, index: usize) -> Result<String, ApiError> {
    row.int(index).map(crate::clock::format)
}

/// A nullable column read as an optional formatted instant.
fn opt_instant(row: &Row, index: usize) -> Result<Option<String>, ApiError> {
    row.opt_int(index).map(crate::clock::format_opt)
}

/// An input timestamp the model already validated, as seconds. `field` names it in the 400 the
/// model's rules would have given, should a caller skip them.
fn input_instant(field: &str, value: &str) -> Result<i64, ApiError> {
    crate::clock::parse(value)
        .ok_or_else(|| ApiError::invalid(field, format!("{field}: must be an RFC 3339 timestamp")))
}

/// [`input_instant`] of an optional field.
pub fn opt_input_instant(field: &str, value: Option<&str>) -> Result<Option<i64>, ApiError> {
    value.map(|v| input_instant(field, v)).transpose()
}
