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
    /// Transactions waiting for their connection's lock, for the pool metrics.
    waiting: AtomicUsize,
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
            waiting: AtomicUsize::new(0),
        })
    }

    /// Runs `f` on a reader connection, inside one read transaction so that everything it
    /// reads (a page and its count) comes from one snapshot.
    pub fn read_blocking<T>(
        &self,
        f: impl FnOnce(&Conn<'_>) -> Result<T, ApiError>,
    ) -> Result<T, ApiError> {
        let index = self.next_reader.fetch_add(1, Ordering::Relaxed) % READERS;
        let mut conn = self.lock(self.readers.get(index).unwrap_or(&self.writer));
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
        let mut conn = self.lock(&self.writer);
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let out = f(&Conn::Sqlite(&tx))?;
        tx.commit()?;
        Ok(out)
    }
}

impl SqliteDb {
    /// A poisoned lock only means a request panicked while holding it; its transaction was
    /// rolled back when the panic dropped it, so the connection is fine to use.
    fn lock<'a>(&self, mutex: &'a Mutex<Connection>) -> MutexGuard<'a, Connection> {
        self.waiting.fetch_add(1, Ordering::Relaxed);
        let guard = mutex.lock().unwrap_or_else(PoisonError::into_inner);
        self.waiting.fetch_sub(1, Ordering::Relaxed);
        guard
    }

    /// The connections (writer and readers) in use now, and the transactions waiting for one.
    pub fn pool_state(&self) -> (usize, usize, usize) {
        let all = std::iter::once(&self.writer).chain(&self.readers);
        let in_use = all
            .clone()
            .filter(|m| matches!(m.try_lock(), Err(std::sync::TryLockError::WouldBlock)))
            .count();
        let total = all.count();
        (in_use, total - in_use, self.waiting.load(Ordering::Relaxed))
    }
}

/// Copies the live database at `source` into a new file at `target` with SQLite's online
/// backup, in one step: one read transaction, so the copy is one consistent snapshot, and (in
/// WAL mode) writers are never blocked meanwhile. The copy is checked with `integrity_check`;
/// on any failure it is removed.
pub fn backup(source: &Path, target: &Path) -> Result<(), String> {
    let from = connect(source, OpenFlags::SQLITE_OPEN_READ_ONLY).map_err(open_error_text)?;
    let version: i64 = from
        .pragma_query_value(None, "user_version", |row| row.get(0))
        .map_err(|e| e.to_string())?;
    if version < 1 {
        return Err("it is not a credport database".to_owned());
    }
    create_private_file(target).map_err(open_error_text)?;
    let copied = copy_into(&from, target);
    if copied.is_err() {
        for suffix in ["", "-wal", "-shm", "-journal"] {
            let mut file = target.as_os_str().to_owned();
            file.push(suffix);
            let _ = std::fs::remove_file(file);
        }
    }
    copied
}

fn copy_into(from: &Connection, target: &Path) -> Result<(), String> {
    use rusqlite::backup::{Backup, StepResult};
    let mut to = Connection::open(target).map_err(|e| e.to_string())?;
    {
        let backup = Backup::new(from, &mut to).map_err(|e| e.to_string())?;
        // Busy or locked: another connection holds a lock SQLite's backup cannot wait on
        // itself; a moment later it is gone.
        let mut tries = 0;
        loop {
            match backup.step(-1).map_err(|e| e.to_string())? {
                StepResult::Done => break,
                _ if tries < 100 => {
                    tries += 1;
                    std::thread::sleep(std::time::Duration::from_millis(50));
                }
                _ => return Err("the database stayed locked for 5 seconds".to_owned()),
            }
        }
    }
    let check: String = to
        .query_row("PRAGMA integrity_check", [], |row| row.get(0))
        .map_err(|e| e.to_string())?;
    if check != "ok" {
        return Err(format!("the copy failed its integrity check: {check}"));
    }
    Ok(())
}

fn open_error_text(OpenError::Database(text): OpenError) -> String {
    text
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
