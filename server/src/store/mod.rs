//! The SQL of each resource. Functions take a connection inside a transaction opened by
//! [`crate::db::Db`] (so a request's reads share one snapshot and its writes commit together),
//! the caller's site (every query is scoped to it: another site's object is simply not found),
//! and `now`. They answer in the model's wire types.

use rusqlite::Row;
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::error::ApiError;

pub mod api_keys;
pub mod connections;
pub mod sites;
pub mod tokens;

/// A JSON text column as `T`.
fn json_column<T: DeserializeOwned>(row: &Row<'_>, index: usize) -> rusqlite::Result<T> {
    let text: String = row.get(index)?;
    serde_json::from_str(&text).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(
            index,
            rusqlite::types::Type::Text,
            // The category only: serde's message could quote the stored value.
            format!("stored JSON: {:?} error", e.classify()).into(),
        )
    })
}

/// A nullable JSON text column as `Option<T>`.
fn opt_json_column<T: DeserializeOwned>(
    row: &Row<'_>,
    index: usize,
) -> rusqlite::Result<Option<T>> {
    match row.get_ref(index)? {
        rusqlite::types::ValueRef::Null => Ok(None),
        _ => json_column(row, index).map(Some),
    }
}

/// A value as JSON text for a column.
fn to_json<T: Serialize + ?Sized>(value: &T) -> Result<String, ApiError> {
    Ok(serde_json::to_string(value)?)
}

/// A column read as a [`crate::clock::format`]ted instant.
fn instant(row: &Row<'_>, index: usize) -> rusqlite::Result<String> {
    row.get::<_, i64>(index).map(crate::clock::format)
}

/// A nullable column read as an optional formatted instant.
fn opt_instant(row: &Row<'_>, index: usize) -> rusqlite::Result<Option<String>> {
    row.get::<_, Option<i64>>(index)
        .map(crate::clock::format_opt)
}

/// An input timestamp the model already validated, as seconds. `field` names it in the 400 the
/// model's rules would have given, should a caller skip them.
fn input_instant(field: &str, value: &str) -> Result<i64, ApiError> {
    crate::clock::parse(value)
        .ok_or_else(|| ApiError::invalid(field, format!("{field}: must be an RFC 3339 timestamp")))
}

/// [`input_instant`] of an optional field.
fn opt_input_instant(field: &str, value: Option<&str>) -> Result<Option<i64>, ApiError> {
    value.map(|v| input_instant(field, v)).transpose()
}
