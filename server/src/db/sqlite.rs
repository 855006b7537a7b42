//! The embedded SQLite database: one writer connection behind a mutex (so writers queue in the
//! server instead of failing with "database is locked") and a few reader connections, which WAL
//! lets read while the writer writes. Blocking database work runs on tokio's blocking pool.

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use rusqlite::functions::FunctionFlags;
use rusqlite::{Connection, OpenFlags, TransactionBehavior};

use super::OpenError;
use crate::db::migrations;
use crate::db::sql::{Conn, FOLD_FUNCTION};
use crate::error::ApiError;

/// Reader connections. Two cores: a few readers are plenty and keep file handles low.
const READERS: usize = 4;
/// How long a connection waits for a lock held by another process before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);
/// Statements kept prepared per connection: more than the store has.
const STATEMENT_CACHE: usize = 64;

pub struct SqliteDb {
    writer: Mutex<Connection>,
    readers: Vec<Mutex<Connection>>,
    next_reader: AtomicUsize,
}

impl SqliteDb {
    /// Opens (creating it if needed) the database at `path` and brings its schema up to date.
    pub fn open(path: &Path) -> Result<Self, OpenError> {
        create_private_file(path)?;
        let mut writer = connect(path, OpenFlags::default())?;
        writer
            .pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get::<_, String>(0))
            .map_err(database)?;
        migrations::sqlite::apply(&mut writer).map_err(|e| OpenError::Database(e.to_string()))?;
        let readers = (0..READERS)
            .map(|_| {
                connect(
                    path,
                    OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
                )
                .map(Mutex::new)
            })
            .collect::<Result<_, _>>()?;
        Ok(Self {
            writer: Mutex::new(writer),
            readers,
            next_reader: AtomicUsize::new(0),
        })
    }

    /// Runs `f` on a reader connection, inside one read transaction so that everything it
    /// reads (a page and its count) comes from one snapshot.
    pub fn read_blocking<T>(
        &self,
        f: impl FnOnce(&Conn<'_>) -> Result<T, ApiError>,
    ) -> Result<T, ApiError> {
        let index = self.next_reader.fetch_add(1, Ordering::Relaxed) % READERS;
        let mut conn = lock(self.readers.get(index).unwrap_or(&self.writer));
        let tx = conn.transaction_with_behavior(TransactionBehavior::Deferred)?;
        let out = f(&Conn::Sqlite(&tx))?;
        tx.commit()?;
        Ok(out)
    }

    /// Runs `f` in one write transaction: committed if it returns `Ok`, rolled back otherwise,
    /// so a request never leaves half its writes behind.
    pub fn write_blocking<T>(
        &self,
        f: impl FnOnce(&Conn<'_>) -> Result<T, ApiError>,
    ) -> Result<T, ApiError> {
        let mut conn = lock(&self.writer);
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let out = f(&Conn::Sqlite(&tx))?;
        tx.commit()?;
        Ok(out)
    }
}

/// A poisoned lock only means a request panicked while holding it; its transaction was rolled
/// back when the panic dropped it, so the connection is fine to use.
fn lock(mutex: &Mutex<Connection>) -> MutexGuard<'_, Connection> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

fn database(e: rusqlite::Error) -> OpenError {
    OpenError::Database(e.to_string())
}

fn connect(path: &Path, flags: OpenFlags) -> Result<Connection, OpenError> {
    let conn = Connection::open_with_flags(path, flags).map_err(database)?;
    conn.busy_timeout(BUSY_TIMEOUT).map_err(database)?;
    // Every statement of the store, prepared once per connection.
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    // WAL with synchronous=NORMAL survives any crash of the process; only a power cut may lose
    // the last commits, never corrupt the file.
    conn.pragma_update(None, "synchronous", "NORMAL")
        .map_err(database)?;
    conn.pragma_update(None, "foreign_keys", true)
        .map_err(database)?;
    conn.create_scalar_function(
        FOLD_FUNCTION,
        1,
        FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC,
        |ctx| Ok(ctx.get::<Option<String>>(0)?.map(|s| s.to_lowercase())),
    )
    .map_err(database)?;
    Ok(conn)
}

/// Creates the database file readable by its owner only (SQLite gives its -wal and -shm files
/// the same permissions). An existing file is left as it is.
fn create_private_file(path: &Path) -> Result<(), OpenError> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(path) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(OpenError::Database(e.to_string())),
    }
}
