//! The embedded SQLite database: one writer connection behind a mutex (so writers queue in the
//! server instead of failing with "database is locked") and a few reader connections, which WAL
//! lets read while the writer writes. Blocking database work runs on tokio's blocking pool.

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use rusqlite::functions::FunctionFlags;
use rusqlite::{Connection, OpenFlags, OptionalExtension, TransactionBehavior};

use crate::crypto::{self, Keys};
use crate::error::ApiError;
use crate::migrations::{self, MigrationError};

/// Reader connections. Two cores: a few readers are plenty and keep file handles low.
const READERS: usize = 4;
/// How long a connection waits for a lock held by another process before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);
/// SQL function for case-insensitive search beyond ASCII (SQLite's `lower` folds ASCII only).
pub const FOLD_FUNCTION: &str = "credport_fold";

/// Why the database could not be opened; [`crate::cli`] reports it against a setting.
#[derive(Debug)]
pub enum OpenError {
    /// The file cannot be opened or is not a credport database.
    Database(String),
    /// The file was made with another `CREDPORT_ENCRYPTION_KEY`.
    WrongKey,
}

pub struct Db {
    writer: Mutex<Connection>,
    readers: Vec<Mutex<Connection>>,
    next_reader: AtomicUsize,
}

impl Db {
    /// Opens (creating it if needed) the database at `path`, brings its schema up to date and
    /// checks that it was made with `keys`.
    pub fn open(path: &Path, keys: &Keys) -> Result<Arc<Db>, OpenError> {
        create_private_file(path)?;
        let mut writer = connect(path, OpenFlags::default())?;
        writer
            .pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get::<_, String>(0))
            .map_err(database)?;
        migrations::apply(&mut writer)
            .map_err(|e: MigrationError| OpenError::Database(e.to_string()))?;
        check_key(&writer, keys)?;
        let readers = (0..READERS)
            .map(|_| {
                connect(
                    path,
                    OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
                )
                .map(Mutex::new)
            })
            .collect::<Result<_, _>>()?;
        Ok(Arc::new(Db {
            writer: Mutex::new(writer),
            readers,
            next_reader: AtomicUsize::new(0),
        }))
    }

    /// Runs `f` on a reader connection, inside one read transaction so that everything it
    /// reads (a page and its count) comes from one snapshot.
    pub async fn read<T, F>(self: &Arc<Self>, f: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, ApiError> + Send + 'static,
    {
        let db = Arc::clone(self);
        blocking(move || db.read_blocking(f)).await
    }

    /// Runs `f` in one write transaction: committed if it returns `Ok`, rolled back otherwise,
    /// so a request never leaves half its writes behind.
    pub async fn write<T, F>(self: &Arc<Self>, f: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, ApiError> + Send + 'static,
    {
        let db = Arc::clone(self);
        blocking(move || db.write_blocking(f)).await
    }

    pub fn read_blocking<T>(
        &self,
        f: impl FnOnce(&Connection) -> Result<T, ApiError>,
    ) -> Result<T, ApiError> {
        let index = self.next_reader.fetch_add(1, Ordering::Relaxed) % READERS;
        let mut conn = lock(self.readers.get(index).unwrap_or(&self.writer));
        let tx = conn.transaction_with_behavior(TransactionBehavior::Deferred)?;
        let out = f(&tx)?;
        tx.commit()?;
        Ok(out)
    }

    pub fn write_blocking<T>(
        &self,
        f: impl FnOnce(&Connection) -> Result<T, ApiError>,
    ) -> Result<T, ApiError> {
        let mut conn = lock(&self.writer);
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let out = f(&tx)?;
        tx.commit()?;
        Ok(out)
    }
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| ApiError::internal(format!("database task failed: {e}")))?
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

/// Stores the key's check value on first start; refuses any other key later.
fn check_key(conn: &Connection, keys: &Keys) -> Result<(), OpenError> {
    let expected = keys.check_value();
    let stored: Option<Vec<u8>> = conn
        .query_row(
            "SELECT value FROM meta WHERE key = 'key_check'",
            [],
            |row| row.get(0),
        )
        .optional()
        .map_err(database)?;
    match stored {
        Some(stored) if crypto::hashes_equal(&stored, &expected) => Ok(()),
        Some(_) => Err(OpenError::WrongKey),
        None => conn
            .execute(
                "INSERT INTO meta (key, value) VALUES ('key_check', ?1)",
                [&expected[..]],
            )
            .map(drop)
            .map_err(database),
    }
}
