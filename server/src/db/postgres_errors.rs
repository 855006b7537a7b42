//! PostgreSQL's and its pool's errors as [`ApiError`]s and log texts: retryable ones as 503,
//! unique violations as 409, the rest as 500; texts that never quote a bound value.

use crate::error::ApiError;

/// A PostgreSQL error for a log line: its SQLSTATE and message, which name constraints and
/// tables but never bound values (the `DETAIL` that may quote a value is left out).
pub fn postgres_error_text(e: &tokio_postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => format!("database: {} {}", db.code().code(), db.message()),
        None => format!("database: {e}"),
    }
}

impl From<tokio_postgres::Error> for ApiError {
    fn from(e: tokio_postgres::Error) -> Self {
        use tokio_postgres::error::SqlState;
        let detail = postgres_error_text(&e);
        let Some(code) = e.code() else {
            // No SQLSTATE: the connection broke or could not be made. Nothing acknowledged was
            // lost, and another try may well reach a healthy connection.
            return Self::unavailable("the database could not be reached; retry after 1 s", detail);
        };
        if *code == SqlState::UNIQUE_VIOLATION {
            return Self::already_exists();
        }
        let transient = [
            SqlState::T_R_SERIALIZATION_FAILURE,
            SqlState::T_R_DEADLOCK_DETECTED,
            SqlState::LOCK_NOT_AVAILABLE,
            SqlState::QUERY_CANCELED,
            SqlState::ADMIN_SHUTDOWN,
            SqlState::CANNOT_CONNECT_NOW,
            SqlState::TOO_MANY_CONNECTIONS,
        ];
        if transient.contains(code) {
            Self::unavailable("the database is busy; retry after 1 s", detail)
        } else {
            Self::internal(detail)
        }
    }
}

impl From<deadpool_postgres::PoolError> for ApiError {
    /// No connection free within the pool's wait, or none could be made: retry soon.
    fn from(e: deadpool_postgres::PoolError) -> Self {
        Self::unavailable(
            "the database is busy; retry after 1 s",
            format!("database pool: {}", pool_error_text(&e)),
        )
    }
}

/// A pool error without the connection details.
pub fn pool_error_text(e: &deadpool_postgres::PoolError) -> String {
    match e {
        deadpool_postgres::PoolError::Backend(e) => e.to_string(),
        other => other.to_string(),
    }
}
