//! The embedded SQLite database: one writer connection, owned by a thread of its own, and
//! reader connections (as many as cores, or `CREDPORT_SQLITE_READERS`), which WAL lets read
//! while the writer writes. Reads run on the request's own thread ([`SqliteDb::read`]); a
//! write makes one trip to the writer thread and back.
//!
//! Writes are committed in groups. SQLite has one writer; with a mutex around it, every write
//! paid for a commit of its own (its pages written to the WAL again, the same pages as the last
//! write's more often than not) and for handing the lock from thread to thread, and on two cores
//! that handing-over, not the writing, set the pace. Now every write is queued for the writer
//! thread, which takes all that are waiting, runs each in a savepoint of one transaction (a
//! write that fails is rolled back to its savepoint and leaves nothing, the others go on), and
//! commits them together: only then is any of them answered, so a write answered is committed
//! (and survives a `kill -9`: a commit is in the WAL file). When the commit fails, every write
//! of the group gets the error and none is committed.
//!
//! A group starts no sooner than [`COMMIT_INTERVAL`] after the last commit: under load, the
//! writes of that moment gather into one group. Committed one or a few at a time (3,000 commits
//! a second under the benchmark's mix, groups of 3.7), each commit appended the same hot pages
//! (the event log's last leaves) to the WAL again and changed the database under every reader,
//! whose page cache SQLite then drops whole: the next read of each reader read its pages again.
//! Paced, the same load commits 1,000 times a second and costs 11 % less CPU per request
//! (docs/performance.md), for at most a millisecond more before a write under load is answered.
//! A write that comes after a quiet moment is committed at once: the interval has passed. So is
//! the group when every worker of the runtime has parked before the interval is over
//! ([`crate::db::idle`]): no request is then at work that could add a write to it.
//! Readers are never held: they read the last commit meanwhile.
//!
//! Checkpoints (the WAL's pages copied into the database file, so that the WAL can start over)
//! run on a thread of their own ([`checkpoint_apart`]), not in the commit that fills the WAL.

use std::ffi::c_int;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

use futures_util::FutureExt;
use rusqlite::config::DbConfig;
use rusqlite::functions::FunctionFlags;
use rusqlite::hooks::Wal;
use rusqlite::{Connection, OpenFlags};
use tokio::sync::oneshot;

use super::OpenError;
use crate::db::idle::Pause;
use crate::db::migrations::{self, Schema};
use crate::db::sql::{Conn, SqliteConn, TxFuture, FOLD_FUNCTION};
use crate::error::ApiError;

/// How long a connection waits for a lock held by another process before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);
/// Statements kept prepared per connection: more than the store has.
const STATEMENT_CACHE: usize = 64;
/// The most writes committed together: a bound on how long one group holds the writer.
const MAX_GROUP: usize = 128;
/// The least time from one commit to the next group (see the module's documentation).
const COMMIT_INTERVAL: Duration = Duration::from_millis(1);
/// WAL pages after which a checkpoint is due ([`checkpoint_apart`]).
const CHECKPOINT_PAGES: c_int = 10_000;

pub struct SqliteDb {
    /// Writes for the writer thread.
    writes: mpsc::Sender<Box<dyn Write>>,
    writer: Arc<WriterState>,
    readers: Vec<SqliteConn>,
    /// Which reader a read waits for when none is free: each in turn.
    next_reader: AtomicUsize,
    /// Read transactions waiting for a reader connection, for the pool metrics.
    waiting: AtomicUsize,
}

/// What the pool metrics see of the writer thread.
#[derive(Default)]
struct WriterState {
    /// Writes sent and not yet taken into a group.
    queued: AtomicUsize,
    /// A group is being written.
    busy: AtomicBool,
}

impl SqliteDb {
    /// Opens (creating it if needed) the database at `path`, brings its schema up to date as
    /// far as `schema` lets it, and starts the writer thread; `readers` read-only connections
    /// (at least one) serve reads.
    pub fn open(path: &Path, readers: usize, schema: Schema) -> Result<Self, OpenError> {
        create_private_file(path)?;
        let mut writer = connect(path, OpenFlags::default())?;
        writer
            .pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get::<_, String>(0))
            .map_err(database)?;
        migrations::sqlite::apply(&mut writer, schema)
            .map_err(|e| OpenError::Database(e.to_string()))?;
        checkpoint_apart(path, &mut writer)?;
        let readers = (0..readers.max(1))
            .map(|_| {
                connect(
                    path,
                    OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
                )
                .map(SqliteConn::new)
            })
            .collect::<Result<_, _>>()?;
        let (writes, queue) = mpsc::channel();
        let state = Arc::new(WriterState::default());
        let shared = Arc::clone(&state);
        let writer = SqliteConn::new(writer);
        std::thread::Builder::new()
            .name("sqlite-writer".into())
            .spawn(move || write_groups(&writer, &queue, &shared))
            .map_err(|e| OpenError::Database(format!("the writer thread cannot start: {e}")))?;
        Ok(Self {
            writes,
            writer: state,
            readers,
            next_reader: AtomicUsize::new(0),
            waiting: AtomicUsize::new(0),
        })
    }

    /// Runs `f` on a reader connection, inside one read transaction so that everything it
    /// reads (a page and its count) comes from one snapshot.
    ///
    /// It runs right here, on the request's thread: a read is a few index look-ups in pages
    /// the operating system has cached, shorter than handing it to another thread and back
    /// (which cost more than the reading, measured). The first free reader is taken, in a
    /// fixed order, so that reads go to as few connections as the moment needs: each
    /// connection's page cache is dropped whole when it finds the database changed, and one
    /// that reads often keeps its pages between commits, where readers taken in turn each
    /// read their pages again after every commit (docs/performance.md). Only when every reader
    /// is busy does the read wait for one, in turn.
    ///
    /// Work whose statements need no snapshot in common is read this way too
    /// ([`crate::db::Db::read_single`]): on SQLite a statement outside a transaction is one of
    /// its own, which takes and gives back the WAL's read lock (a mutex of the process, shared
    /// by every connection, and `fcntl` calls), so two statements in one transaction cost less
    /// than two alone (a `verify`, its token and its key: 25 % less CPU, measured).
    pub fn read<T, F>(&self, f: F) -> Result<T, ApiError>
    where
        F: for<'c> FnOnce(&'c Conn<'c>) -> TxFuture<'c, T>,
    {
        let count = self.readers.len();
        let free = self
            .readers
            .iter()
            .find_map(|reader| reader.try_lock().map(|guard| (reader, guard)));
        let (reader, conn) = match free {
            Some(taken) => taken,
            None => {
                let reader = self
                    .next_reader
                    .fetch_add(1, Ordering::Relaxed)
                    .checked_rem(count)
                    .and_then(|i| self.readers.get(i))
                    .ok_or_else(|| ApiError::internal("database: no reader connection"))?;
                self.waiting.fetch_add(1, Ordering::Relaxed);
                let guard = reader.lock();
                self.waiting.fetch_sub(1, Ordering::Relaxed);
                (reader, guard)
            }
        };
        // `conn` holds the reader for this thread until the read is over; the statements of
        // `f` lock it again through `reader` (re-entrant: a counter).
        if !conn.is_autocommit() {
            // A read whose `ROLLBACK` failed left its transaction open: not this one's.
            conn.execute_batch("ROLLBACK")?;
        }
        conn.prepare_cached("BEGIN DEFERRED")?.execute([])?;
        let out = run_now(f, reader);
        let end = if out.is_ok() { "COMMIT" } else { "ROLLBACK" };
        conn.prepare_cached(end)?.execute([])?;
        out
    }

    /// Runs `f` on the writer thread, in a savepoint of the next group's transaction: its
    /// result once the group is committed; an error, and nothing written, if `f` fails or the
    /// group cannot be committed.
    pub async fn write<T, F>(&self, f: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: for<'c> FnOnce(&'c Conn<'c>) -> TxFuture<'c, T> + Send + 'static,
    {
        let (answer, answered) = oneshot::channel();
        self.writer.queued.fetch_add(1, Ordering::Relaxed);
        let write = Box::new(Queued {
            run: Some(f),
            out: None,
            answer,
        });
        if self.writes.send(write).is_err() {
            self.writer.queued.fetch_sub(1, Ordering::Relaxed);
            return Err(writer_gone());
        }
        // The writer answers every write it takes; no answer means its thread is gone.
        answered.await.unwrap_or_else(|_| Err(writer_gone()))
    }
}

/// Runs a transaction's work on `conn`, on this thread, to its end. On SQLite every statement
/// is done when its future is first polled, so the work's future finishes in one poll; should
/// it wait for anything else, it is an error rather than a thread blocked. A panic is one
/// failed transaction, not the end of the thread.
fn run_now<T, F>(f: F, conn: &SqliteConn) -> Result<T, ApiError>
where
    F: for<'c> FnOnce(&'c Conn<'c>) -> TxFuture<'c, T>,
{
    catch_unwind(AssertUnwindSafe(|| f(&Conn::Sqlite(conn)).now_or_never()))
        .unwrap_or_else(|_| Some(Err(ApiError::internal("database: a transaction panicked"))))
        .unwrap_or_else(|| {
            Err(ApiError::internal(
                "database: a SQLite transaction waited on something else",
            ))
        })
}

fn writer_gone() -> ApiError {
    ApiError::internal("database: the writer thread has stopped")
}

/// A write waiting for the writer thread, its type erased so that writes of any result queue
/// together.
trait Write: Send {
    /// Runs the write where it stands in the group's transaction; whether it succeeded.
    fn run(&mut self, conn: &SqliteConn) -> bool;
    /// Answers the caller once the group's fate is known: its own error if it failed, else
    /// its result if the group `committed`, else why not.
    fn answer(self: Box<Self>, committed: Result<(), ApiError>);
}

struct Queued<T, F> {
    run: Option<F>,
    out: Option<Result<T, ApiError>>,
    answer: oneshot::Sender<Result<T, ApiError>>,
}

impl<T, F> Write for Queued<T, F>
where
    T: Send,
    F: for<'c> FnOnce(&'c Conn<'c>) -> TxFuture<'c, T> + Send,
{
    fn run(&mut self, conn: &SqliteConn) -> bool {
        let Some(f) = self.run.take() else {
            return false;
        };
        let out = run_now(f, conn);
        let ok = out.is_ok();
        self.out = Some(out);
        ok
    }

    fn answer(self: Box<Self>, committed: Result<(), ApiError>) {
        let result = match self.out {
            Some(Err(e)) => Err(e),
            Some(Ok(out)) => committed.map(|()| out),
            None => Err(committed
                .err()
                .unwrap_or_else(|| ApiError::internal("database: the write was not run"))),
        };
        // A caller that has gone away (its request was dropped) needs no answer.
        let _ = self.answer.send(result);
    }
}

/// The writer thread: one transaction per group of the writes waiting, until the store is
/// dropped.
fn write_groups(writer: &SqliteConn, queue: &mpsc::Receiver<Box<dyn Write>>, state: &WriterState) {
    // The thread holds its connection for good: each statement's own lock is then a counter.
    let conn = writer.lock();
    let pause = Pause::of_this_thread();
    let mut committed_at = Instant::now();
    while let Ok(first) = queue.recv() {
        // Paused, the thread is not woken by each write sent meanwhile: they wait in the queue.
        pause.until(committed_at + COMMIT_INTERVAL);
        let mut group = vec![first];
        group.extend(queue.try_iter().take(MAX_GROUP - 1));
        state.queued.fetch_sub(group.len(), Ordering::Relaxed);
        state.busy.store(true, Ordering::Relaxed);
        let committed = write_group(writer, &conn, &mut group);
        if committed.is_err() && !conn.is_autocommit() {
            // Nothing of the group may stay for the next one.
            let _ = conn.execute_batch("ROLLBACK");
        }
        committed_at = Instant::now();
        for write in group {
            write.answer(committed.clone());
        }
        state.busy.store(false, Ordering::Relaxed);
    }
}

/// Checkpoints on a thread of their own, with a connection of their own, once the writer's
/// commits have put [`CHECKPOINT_PAGES`] pages in the WAL. SQLite's default checkpoints every
/// 1,000 pages in the commit that passes them, on the writer thread, and every write queued
/// meanwhile waited for it: under the mixed load a tenth of the writer's CPU was checkpoints.
/// Apart, a checkpoint holds no write (it is `PASSIVE`: it copies what no reader still needs
/// and waits for no one), so it can be ten times rarer, and each copies a hot page (the event
/// log's last leaves, written by every group) once for ten times as many commits
/// (docs/performance.md). The WAL grows to about 40 MB before the next writer starts it over.
fn checkpoint_apart(path: &Path, writer: &mut Connection) -> Result<(), OpenError> {
    let checkpointer = connect(path, OpenFlags::default())?;
    let (due, wake) = mpsc::sync_channel::<()>(1);
    // Setting a WAL hook turns SQLite's own automatic checkpoints off.
    writer
        .wal_hook(Some(move |_: &mut Wal, pages: c_int| {
            if pages >= CHECKPOINT_PAGES {
                // Full: a checkpoint is already due.
                let _ = due.try_send(());
            }
            Ok(())
        }))
        .map_err(database)?;
    std::thread::Builder::new()
        .name("sqlite-checkpoint".into())
        .spawn(move || {
            // Until the writer's connection, and its hook with the other end, is gone.
            while wake.recv().is_ok() {
                let done = checkpointer.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()));
                if let Err(e) = done {
                    tracing::warn!(error = %e, "SQLite checkpoint failed; tried again after the next commit");
                }
            }
        })
        .map_err(|e| OpenError::Database(format!("the checkpoint thread cannot start: {e}")))?;
    Ok(())
}

/// Runs each write of `group` in a savepoint of one transaction and commits them.
fn write_group(
    writer: &SqliteConn,
    conn: &Connection,
    group: &mut [Box<dyn Write>],
) -> Result<(), ApiError> {
    conn.prepare_cached("BEGIN IMMEDIATE")?.execute([])?;
    for write in group.iter_mut() {
        conn.prepare_cached("SAVEPOINT write")?.execute([])?;
        let ok = write.run(writer);
        if conn.is_autocommit() {
            // SQLite rolled the whole transaction back (an I/O error, a full disk): the
            // writes before this one are gone with it.
            return Err(ApiError::internal(
                "database: the transaction was rolled back by an error",
            ));
        }
        if !ok {
            conn.prepare_cached("ROLLBACK TO write")?.execute([])?;
        }
        conn.prepare_cached("RELEASE write")?.execute([])?;
    }
    conn.prepare_cached("COMMIT")?.execute([])?;
    Ok(())
}

impl SqliteDb {
    /// The connections (writer and readers) in use now, and the transactions waiting for one
    /// (writes queued for the writer thread included).
    pub fn pool_state(&self) -> (usize, usize, usize) {
        let readers_in_use = self
            .readers
            .iter()
            .filter(|reader| reader.try_lock().is_none())
            .count();
        let in_use = readers_in_use + usize::from(self.writer.busy.load(Ordering::Relaxed));
        let total = self.readers.len() + 1;
        let waiting =
            self.waiting.load(Ordering::Relaxed) + self.writer.queued.load(Ordering::Relaxed);
        (in_use, total - in_use, waiting)
    }
}

/// Why [`backup`] made no copy.
pub enum BackupFailure {
    /// The source cannot be opened, or is not a credport database.
    Source(String),
    /// Something is at the target already (a file, or a link: never followed).
    TargetExists,
    /// The copy failed; nothing is left at the target, nor beside it.
    Copy(String),
}

/// Copies the live database at `source` into a new file at `target` with SQLite's online
/// backup, in one step: one read transaction, so the copy is one consistent snapshot, and (in
/// WAL mode) writers are never blocked meanwhile. (Steps of a few pages each could report
/// progress, but a write by the server between two steps restarts SQLite's copy from the
/// start: under load it might never end.) The copy is made beside the target under a hidden
/// name of its own, readable by its owner only, checked with `integrity_check`, and only then
/// put at the target, which it never replaces: a file at the target is always a whole, checked
/// copy, even after a crash or Ctrl-C in the middle (which leaves the hidden file, named
/// `.{target}.partial-{pid}`, and nothing at the target). `starting` is called with the
/// source's size once the copy can begin.
pub fn backup(
    source: &Path,
    target: &Path,
    starting: impl FnOnce(u64),
) -> Result<(), BackupFailure> {
    let from = connect(source, OpenFlags::SQLITE_OPEN_READ_ONLY)
        .map_err(|e| BackupFailure::Source(open_error_text(e)))?;
    let version: i64 = from
        .pragma_query_value(None, "user_version", |row| row.get(0))
        .map_err(|e| BackupFailure::Source(e.to_string()))?;
    if version < 1 {
        return Err(BackupFailure::Source(
            "it is not a credport database".to_owned(),
        ));
    }
    if std::fs::symlink_metadata(target).is_ok() {
        return Err(BackupFailure::TargetExists);
    }
    let partial = partial_path(target);
    new_private_file(&partial)
        .map_err(|e| BackupFailure::Copy(format!("{}: {e}", partial.display())))?;
    // What there is to copy: the database file and the writes its WAL holds yet.
    let size = |path: &Path| std::fs::metadata(path).map_or(0, |m| m.len());
    let mut wal = source.as_os_str().to_owned();
    wal.push("-wal");
    starting(size(source) + size(Path::new(&wal)));
    let done = copy_into(&from, &partial)
        .map_err(BackupFailure::Copy)
        .and_then(|()| publish(&partial, target));
    // Linked into place, the copy keeps only the target's name; failed, it goes altogether.
    remove_files(&partial);
    done
}

/// Where a copy is made until it is whole: beside the target (one file system, so that it can be
/// linked into place), hidden, named after the target and this process.
fn partial_path(target: &Path) -> PathBuf {
    let mut name = std::ffi::OsString::from(".");
    name.push(target.file_name().unwrap_or_default());
    name.push(format!(".partial-{}", std::process::id()));
    target.with_file_name(name)
}

/// Puts the finished copy at `target` with a hard link, which fails rather than replace what may
/// have appeared there meanwhile. A file system without hard links gets a rename, after a last
/// look that nothing is there.
fn publish(partial: &Path, target: &Path) -> Result<(), BackupFailure> {
    match std::fs::hard_link(partial, target) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Err(BackupFailure::TargetExists),
        Err(_) if std::fs::symlink_metadata(target).is_err() => {
            std::fs::rename(partial, target).map_err(|e| BackupFailure::Copy(e.to_string()))
        }
        Err(e) => Err(BackupFailure::Copy(e.to_string())),
    }
}

/// Removes the database file at `path` and the files SQLite keeps beside it (its WAL, its
/// shared memory, a rollback journal), whichever exist.
pub fn remove_files(path: &Path) {
    for suffix in ["", "-wal", "-shm", "-journal"] {
        let mut file = path.as_os_str().to_owned();
        file.push(suffix);
        let _ = std::fs::remove_file(file);
    }
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
    // ... and kept: without the query planner stability guarantee, SQLite marks a statement with
    // a `column = ?` term to be planned again for its values, and clearing its bindings (rusqlite
    // does, on every return to the cache) then expires it: each run was parsed and planned anew,
    // over a quarter of the server's CPU under load (a `perf` profile, docs/performance.md).
    conn.set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true)
        .map_err(database)?;
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
        |ctx| Ok(ctx.get::<Option<String>>(0)?.map(|s| fold(&s))),
    )
    .map_err(database)?;
    Ok(conn)
}

/// [`FOLD_FUNCTION`]: each character lowercased on its own, as PostgreSQL's `lower` does.
/// `str::to_lowercase` looks at a character's neighbours (a capital sigma ending a word becomes
/// a final sigma), so a part of a text folded alone could differ from the same part folded in
/// its text, and a search would miss it.
fn fold(text: &str) -> String {
    text.chars().flat_map(char::to_lowercase).collect()
}

/// Creates the database file readable by its owner only (SQLite gives its -wal and -shm files
/// the same permissions). An existing file is left as it is.
fn create_private_file(path: &Path) -> Result<(), OpenError> {
    match new_private_file(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(OpenError::Database(e.to_string())),
    }
}

/// Creates an empty file readable by its owner only; `AlreadyExists` if anything is at `path`,
/// a link included (it is not followed).
fn new_private_file(path: &Path) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path).map(drop)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rusqlite::StatementStatus;

    /// The names in `dir`.
    fn names(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    /// While the copy is made nothing is at the target, only the hidden partial copy; once
    /// done, the target is the whole copy and the partial one is gone. A second backup to the
    /// same target is refused and leaves nothing behind.
    #[test]
    fn a_backup_appears_at_its_target_only_whole() {
        let dir = tempfile::tempdir().unwrap();
        let source = dir.path().join("source.db");
        let conn = connect(&source, OpenFlags::default()).unwrap();
        conn.execute_batch(
            "PRAGMA journal_mode = WAL; PRAGMA user_version = 1;
             CREATE TABLE t (n INTEGER); INSERT INTO t VALUES (42);",
        )
        .unwrap();
        let out = tempfile::tempdir().unwrap();
        let target = out.path().join("copy.db");
        let mut during = None;
        let made = backup(&source, &target, |_| during = Some(names(out.path())));
        assert!(made.is_ok());
        let partial = format!(".copy.db.partial-{}", std::process::id());
        assert_eq!(during, Some(vec![partial]));
        assert_eq!(names(out.path()), ["copy.db"]);
        let copy = Connection::open(&target).unwrap();
        let n: i64 = copy.query_row("SELECT n FROM t", [], |r| r.get(0)).unwrap();
        assert_eq!(n, 42);
        drop(copy);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&target).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let again = backup(&source, &target, |_| panic!("no copy is started"));
        assert!(matches!(again, Err(BackupFailure::TargetExists)));
        assert_eq!(names(out.path()), ["copy.db"]);
    }

    /// A cached statement runs as prepared, whatever it is bound to: never parsed again. (A
    /// page of a list: a term its index leaves out, and `LIMIT` and `OFFSET` bound.)
    #[test]
    fn a_cached_statement_is_prepared_once() {
        let dir = tempfile::tempdir().unwrap();
        let conn = connect(&dir.path().join("t.db"), OpenFlags::default()).unwrap();
        conn.execute_batch(
            "CREATE TABLE t (a TEXT, b TEXT, n INTEGER);
             CREATE INDEX t_a ON t (a, n);
             INSERT INTO t VALUES ('x', 'y', 1), ('x', 'w', 0), ('z', 'y', 2);",
        )
        .unwrap();
        let sql = "SELECT n FROM t WHERE a = ?1 AND b = ?2 ORDER BY n LIMIT ?3 OFFSET ?4";
        let pages = [
            (("x", "y", 10, 0), vec![1]),
            (("z", "y", 1, 0), vec![2]),
            (("x", "w", 5, 1), vec![]),
        ];
        for ((a, b, limit, offset), expected) in pages {
            let mut statement = conn.prepare_cached(sql).unwrap();
            let rows: Vec<i64> = statement
                .query_map(rusqlite::params![a, b, limit, offset], |row| row.get(0))
                .unwrap()
                .collect::<Result<_, _>>()
                .unwrap();
            assert_eq!(rows, expected);
            assert_eq!(statement.get_status(StatementStatus::RePrepare), 0);
        }
    }

    type Boxed = Box<dyn for<'c> FnOnce(&'c Conn<'c>) -> TxFuture<'c, ()> + Send>;

    /// A store with tables `parent` and `child`, whose reference to `parent` is checked only at
    /// commit (so that a group can fail to commit after every write of it succeeded).
    async fn store(dir: &tempfile::TempDir) -> Arc<SqliteDb> {
        let db = Arc::new(SqliteDb::open(&dir.path().join("t.db"), 2, Schema::Migrate).unwrap());
        db.write(move |conn| {
            Box::pin(async move {
                conn.execute("CREATE TABLE parent (id INTEGER PRIMARY KEY)", &[])
                    .await?;
                conn.execute(
                    "CREATE TABLE child (parent INTEGER REFERENCES parent (id)
                     DEFERRABLE INITIALLY DEFERRED)",
                    &[],
                )
                .await?;
                Ok(())
            })
        })
        .await
        .unwrap();
        db
    }

    /// Runs `writes` in one group: a first write holds the writer thread until they are all
    /// queued behind it. Their answers, in order.
    async fn in_one_group(db: &Arc<SqliteDb>, writes: Vec<Boxed>) -> Vec<Result<(), ApiError>> {
        let (release, held) = mpsc::channel::<()>();
        let (running, started) = oneshot::channel();
        let holder = tokio::spawn({
            let db = Arc::clone(db);
            async move {
                db.write(move |_| {
                    Box::pin(async move {
                        let _ = running.send(());
                        held.recv().unwrap();
                        Ok(())
                    })
                })
                .await
            }
        });
        started.await.unwrap();
        let count = writes.len();
        let tasks: Vec<_> = writes
            .into_iter()
            .map(|f| {
                let db = Arc::clone(db);
                tokio::spawn(async move { db.write(f).await })
            })
            .collect();
        while db.writer.queued.load(Ordering::SeqCst) < count {
            tokio::task::yield_now().await;
        }
        release.send(()).unwrap();
        holder.await.unwrap().unwrap();
        let mut answers = Vec::new();
        for task in tasks {
            answers.push(task.await.unwrap());
        }
        answers
    }

    #[test]
    fn a_transaction_that_waits_on_anything_but_the_database_fails_instead_of_blocking() {
        let dir = tempfile::tempdir().unwrap();
        let db = SqliteDb::open(&dir.path().join("t.db"), 1, Schema::Migrate).unwrap();
        let (_never, pending) = oneshot::channel::<()>();
        let answer = db.read(move |_| {
            Box::pin(async move {
                let _ = pending.await;
                Ok(())
            })
        });
        assert_eq!(answer.unwrap_err().status(), 500);
        // The reader is whole: its transaction was ended.
        assert_eq!(
            db.read(|conn| Box::pin(async move {
                conn.query_one("SELECT 1", &[], |row| row.int(0)).await
            }))
            .unwrap(),
            1
        );
    }

    /// The writer's commits fill the WAL; the checkpoint thread, not the writer, copies it into
    /// the database file once it holds [`CHECKPOINT_PAGES`] pages.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_full_wal_is_checkpointed_by_the_checkpoint_thread() {
        let dir = tempfile::tempdir().unwrap();
        let db = store(&dir).await;
        let file = dir.path().join("t.db");
        let size = || std::fs::metadata(&file).unwrap().len();
        let before = size();
        // One commit of more than CHECKPOINT_PAGES pages: rows of nearly a page each.
        let rows = i64::from(CHECKPOINT_PAGES) + 100;
        db.write(move |conn| {
            Box::pin(async move {
                conn.execute("CREATE TABLE big (body BLOB)", &[]).await?;
                for _ in 0..rows {
                    conn.execute("INSERT INTO big (body) VALUES (zeroblob(4000))", &[])
                        .await?;
                }
                Ok(())
            })
        })
        .await
        .unwrap();
        let copied = i64::from(CHECKPOINT_PAGES) * 4000;
        let started = std::time::Instant::now();
        while i64::try_from(size()).unwrap() < copied {
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "the database file stayed at {} bytes (from {before})",
                size()
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    async fn parents(db: &SqliteDb) -> i64 {
        db.read(move |conn| {
            Box::pin(async move {
                conn.query_one("SELECT COUNT(*) FROM parent", &[], |row| row.int(0))
                    .await
            })
        })
        .unwrap()
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_failed_write_leaves_nothing_and_the_others_of_its_group_commit() {
        let dir = tempfile::tempdir().unwrap();
        let db = store(&dir).await;
        let answers = in_one_group(
            &db,
            vec![
                Box::new(|conn| {
                    Box::pin(async move {
                        conn.execute("INSERT INTO parent (id) VALUES (1)", &[])
                            .await?;
                        Ok(())
                    })
                }),
                Box::new(|conn| {
                    Box::pin(async move {
                        conn.execute("INSERT INTO parent (id) VALUES (2)", &[])
                            .await?;
                        Err(ApiError::conflict("refused after a write"))
                    })
                }),
                Box::new(|conn| {
                    Box::pin(async move {
                        conn.execute("INSERT INTO parent (id) VALUES (3)", &[])
                            .await?;
                        Ok(())
                    })
                }),
            ],
        )
        .await;
        assert!(answers[0].is_ok() && answers[2].is_ok());
        assert_eq!(answers[1].as_ref().unwrap_err().status(), 409);
        let ids = db
            .read(move |conn| {
                Box::pin(async move {
                    conn.query("SELECT id FROM parent ORDER BY id", &[], |row| row.int(0))
                        .await
                })
            })
            .unwrap();
        assert_eq!(ids, [1, 3]);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_group_that_cannot_commit_answers_every_write_with_an_error_and_keeps_none() {
        let dir = tempfile::tempdir().unwrap();
        let db = store(&dir).await;
        let answers = in_one_group(
            &db,
            vec![
                Box::new(|conn| {
                    Box::pin(async move {
                        conn.execute("INSERT INTO parent (id) VALUES (1)", &[])
                            .await?;
                        Ok(())
                    })
                }),
                // Fine until the commit, which the dangling reference fails.
                Box::new(|conn| {
                    Box::pin(async move {
                        conn.execute("INSERT INTO child (parent) VALUES (99)", &[])
                            .await?;
                        Ok(())
                    })
                }),
            ],
        )
        .await;
        for answer in &answers {
            assert_eq!(answer.as_ref().unwrap_err().status(), 500);
        }
        assert_eq!(parents(&db).await, 0);
        // The writer goes on with the next group.
        db.write(move |conn| {
            Box::pin(async move {
                conn.execute("INSERT INTO parent (id) VALUES (1)", &[])
                    .await?;
                Ok(())
            })
        })
        .await
        .unwrap();
        assert_eq!(parents(&db).await, 1);
    }
}
