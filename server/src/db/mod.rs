//! The store the routes call: SQLite (a file, one instance) or PostgreSQL (shared by any number
//! of instances), chosen by `CREDPORT_DATABASE`. Both run the same store code through
//! [`crate::sql::Conn`], in one transaction per call: [`Db::read`] sees one snapshot,
//! [`Db::write`] commits all or nothing.

use std::sync::Arc;

use crate::config::Database;
use crate::crypto::{self, Keys};
use crate::error::ApiError;
use crate::sql::{Conn, Dialect};

pub mod postgres;
pub mod sqlite;

/// Why the database could not be opened; [`crate::cli`] reports it against a setting.
#[derive(Debug)]
pub enum OpenError {
    /// It cannot be opened or reached, or is not a credport database.
    Database(String),
    /// It was made with another `CREDPORT_ENCRYPTION_KEY`.
    WrongKey,
}

pub enum Db {
    Sqlite(Arc<sqlite::SqliteDb>),
    Postgres(postgres::PgDb),
}

impl Db {
    /// Opens the database (creating a SQLite file if needed), brings its schema up to date and
    /// checks that it was made with `keys`.
    pub async fn open(database: &Database, keys: &Keys) -> Result<Arc<Db>, OpenError> {
        let db = Arc::new(match database {
            Database::Sqlite(path) => Db::Sqlite(Arc::new(sqlite::SqliteDb::open(path)?)),
            Database::Postgres(location) => Db::Postgres(postgres::PgDb::open(location).await?),
        });
        let expected = keys.check_value();
        let stored = db
            .write(move |conn| {
                conn.execute(
                    "INSERT INTO meta (key, value) VALUES ('key_check', ?1) ON CONFLICT (key) DO NOTHING",
                    &[expected[..].into()],
                )?;
                conn.query_one("SELECT value FROM meta WHERE key = 'key_check'", &[])?
                    .blob(0)
            })
            .await
            .map_err(|e| OpenError::Database(e.to_string()))?;
        if crypto::hashes_equal(&stored, &keys.check_value()) {
            Ok(db)
        } else {
            Err(OpenError::WrongKey)
        }
    }

    pub fn dialect(&self) -> Dialect {
        match self {
            Self::Sqlite(_) => Dialect::Sqlite,
            Self::Postgres(_) => Dialect::Postgres,
        }
    }

    /// Runs `f` inside one read-only transaction, so that everything it reads (a page and its
    /// count) comes from one snapshot.
    pub async fn read<T, F>(&self, f: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&Conn<'_>) -> Result<T, ApiError> + Send + 'static,
    {
        self.transaction(true, f).await
    }

    /// [`Db::read`] for a closure that runs one statement: on PostgreSQL without `BEGIN` and
    /// `COMMIT` around it (see [`postgres::PgDb::single_read`]).
    pub async fn read_single<T, F>(&self, f: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&Conn<'_>) -> Result<T, ApiError> + Send + 'static,
    {
        match self {
            Self::Sqlite(_) => self.read(f).await,
            Self::Postgres(pg) => pg.single_read(f).await,
        }
    }

    /// Runs `f` in one write transaction: committed if it returns `Ok`, rolled back otherwise,
    /// so a request never leaves half its writes behind.
    pub async fn write<T, F>(&self, f: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&Conn<'_>) -> Result<T, ApiError> + Send + 'static,
    {
        self.transaction(false, f).await
    }

    /// [`Db::read`] or [`Db::write`] on whichever store this is.
    async fn transaction<T, F>(&self, read_only: bool, f: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&Conn<'_>) -> Result<T, ApiError> + Send + 'static,
    {
        match self {
            Self::Sqlite(db) => {
                let db = Arc::clone(db);
                blocking(move || if read_only { db.read_blocking(f) } else { db.write_blocking(f) }).await
            }
            Self::Postgres(pg) => pg.transaction(read_only, f).await,
        }
    }
}

/// Runs blocking database work on tokio's blocking pool.
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| ApiError::internal(format!("database task failed: {e}")))?
}
