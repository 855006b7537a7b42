//! The store the routes call: SQLite (a file, one instance) or PostgreSQL (shared by any number
//! of instances), chosen by `CREDPORT_DATABASE`. Both run the same store code through
//! [`crate::db::sql::Conn`], in one transaction per call: [`Db::read`] sees one snapshot,
//! [`Db::write`] commits all or nothing.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::db::migrations::Schema;
use crate::db::postgres::PgLocation;
use crate::db::sql::{Conn, Dialect, TxFuture};
use crate::error::ApiError;

pub mod idle;
pub mod migrations;
pub mod postgres;
pub mod postgres_errors;
pub mod postgres_pool;
pub mod postgres_shared;
pub mod sql;
pub mod sqlite;
pub mod tls;

/// Which store, and where.
pub enum Database {
    /// An SQLite file.
    Sqlite(PathBuf),
    /// A PostgreSQL database, possibly shared with other instances.
    Postgres(Box<PgLocation>),
}

impl Database {
    /// `CREDPORT_DATABASE`'s value: a PostgreSQL URL, or else a SQLite file's path. The error
    /// says what is wrong with the URL, without its password. A value that is meant as a
    /// connection string but is no `scheme://` URL is refused ([`mistaken_connection_string`]):
    /// taken for a path, it would name a new, empty SQLite file, and log a password as its name.
    pub fn parse(value: &Path) -> Result<Self, String> {
        let Some(text) = value.to_str() else {
            return Ok(Self::Sqlite(value.to_path_buf()));
        };
        if let Some(why) = mistaken_connection_string(text) {
            return Err(why.into());
        }
        match url_scheme(text) {
            // `postgres://` or `postgresql://`, in any case: PostgreSQL's driver reads it lower.
            Some(scheme)
                if ["postgres", "postgresql"]
                    .iter()
                    .any(|p| scheme.eq_ignore_ascii_case(p)) =>
            {
                let url = [scheme.to_ascii_lowercase().as_str(), &text[scheme.len()..]].concat();
                Ok(Self::Postgres(Box::new(PgLocation::parse(&url)?)))
            }
            // Not quoted: a mistyped PostgreSQL URL holds its password.
            Some(_) => Err(
                "is a URL but not a PostgreSQL one: give a postgres:// or postgresql:// URL, \
                 or an SQLite file's path"
                    .into(),
            ),
            None => Ok(Self::Sqlite(value.to_path_buf())),
        }
    }

    /// Where the data is, for logs and messages: a PostgreSQL URL without user and password.
    pub fn describe(&self) -> String {
        match self {
            Self::Sqlite(path) => path.display().to_string(),
            Self::Postgres(location) => location.describe(),
        }
    }
}

/// The scheme of the `scheme://` that `value` starts with (RFC 3986's: a letter, then letters,
/// digits, `+`, `-` and `.`), if any: a value that has one is a URL, not a file path.
fn url_scheme(value: &str) -> Option<&str> {
    let (scheme, _) = value.split_once("://")?;
    let mut chars = scheme.chars();
    let valid = chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    valid.then_some(scheme)
}

/// The keywords of libpq's `key=value` connection strings that say where and as whom to connect
/// (PostgreSQL's manual, "Connection Strings").
const LIBPQ_KEYWORDS: [&str; 13] = [
    "host",
    "hostaddr",
    "port",
    "dbname",
    "user",
    "password",
    "passfile",
    "sslmode",
    "sslrootcert",
    "connect_timeout",
    "application_name",
    "options",
    "service",
];

/// Why `value` is refused as a connection string gone wrong, if it is one: quotes or spaces
/// around it (`docker --env-file` keeps the quotes of `"postgres://…"` as part of the value), a
/// `://` after something that is no scheme, `postgres:` without `//`, or libpq's `key=value`
/// form (`host=db user=u password=…`). Each would otherwise be read as an SQLite file's path.
/// The reason never quotes the value, which may hold a password.
fn mistaken_connection_string(value: &str) -> Option<&'static str> {
    let quoted = |c: char| c.is_whitespace() || matches!(c, '"' | '\'');
    if value.starts_with(quoted) || value.ends_with(quoted) {
        return Some(
            "starts or ends with a quote or a space (an env file keeps quotes as part of the \
             value): give the postgres:// URL or the SQLite file's path without them",
        );
    }
    let postgres_without_slashes = ["postgres:", "postgresql:"].iter().any(|prefix| {
        value
            .get(..prefix.len())
            .is_some_and(|start| start.eq_ignore_ascii_case(prefix))
            && !value[prefix.len()..].starts_with("//")
    });
    if postgres_without_slashes || (value.contains("://") && url_scheme(value).is_none()) {
        return Some(
            "looks like a URL but does not start with scheme://: give a \
             postgres://user:password@host:port/database URL, or an SQLite file's path",
        );
    }
    let libpq = value.split_whitespace().any(|pair| {
        pair.split_once('=')
            .is_some_and(|(key, _)| LIBPQ_KEYWORDS.contains(&key.to_ascii_lowercase().as_str()))
    });
    if libpq {
        return Some(
            "looks like a libpq key=value connection string, which is not read: give a \
             postgres://user:password@host:port/database URL (with ?sslmode=… as needed), or an \
             SQLite file's path",
        );
    }
    None
}

/// Why the database could not be opened; [`crate::cli`] reports it against a setting.
#[derive(Debug)]
pub enum OpenError {
    /// It cannot be opened or reached, or is not a credport database.
    Database(String),
}

/// A snapshot of [`Db::pool_state`].
pub struct PoolState {
    pub in_use: usize,
    pub idle: usize,
    pub waiting: usize,
}

/// How many database connections an instance keeps (`CREDPORT_DATABASE_POOL_SIZE`,
/// `CREDPORT_SQLITE_READERS`): more cores serve more requests at once, and each request in
/// flight holds one connection while it works.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Connections {
    /// PostgreSQL connections per instance.
    pub pool_size: usize,
    /// SQLite's read-only connections (its one writer comes on top).
    pub sqlite_readers: usize,
}

impl Connections {
    /// From the cores: four PostgreSQL connections each (a request waits on the database most of
    /// its time), at least 16 and at most 32 (`max_connections` is 100 by default: mind it with
    /// several instances); a SQLite reader each, at least 4.
    pub fn for_cores(cores: usize) -> Self {
        Self {
            pool_size: (cores * 4).clamp(16, 32),
            sqlite_readers: cores.clamp(4, 256),
        }
    }

    /// For this machine's cores.
    pub fn for_this_machine() -> Self {
        Self::for_cores(std::thread::available_parallelism().map_or(1, |n| n.get()))
    }
}

/// The store's calls are `async` on both stores, and a PostgreSQL transaction's state (the pool's
/// checkout, the statements in flight) is 2–3 KB. It is boxed ([`Db::read`], [`Db::read_single`],
/// [`Db::write`]): inline, every future that awaits one carried it, on SQLite too where it is
/// never used, and a future is copied whole each time it is moved into the one that awaits it
/// and into axum's box (`perf`: 2–4 % of a request's CPU in those copies; docs/performance.md).
pub enum Db {
    Sqlite(Arc<sqlite::SqliteDb>),
    Postgres(postgres::PgDb),
}

impl Db {
    /// Opens the database (creating a SQLite file if needed) and brings its schema up to date,
    /// as far as `schema` lets it. The keys are checked against it by
    /// [`crate::ops::keys::unlock`].
    pub async fn open(
        database: &Database,
        connections: Connections,
        schema: Schema,
    ) -> Result<Arc<Db>, OpenError> {
        Ok(Arc::new(match database {
            Database::Sqlite(path) => Db::Sqlite(Arc::new(sqlite::SqliteDb::open(
                path,
                connections.sqlite_readers,
                schema,
            )?)),
            Database::Postgres(location) => {
                Db::Postgres(postgres::PgDb::open(location, connections.pool_size, schema).await?)
            }
        }))
    }

    /// How many migrations the schema has had, as recorded by the store's migration runner.
    pub async fn schema_version(&self) -> Result<i64, ApiError> {
        let sql = match self.dialect() {
            Dialect::Sqlite => "PRAGMA user_version",
            Dialect::Postgres => "SELECT COALESCE(MAX(version), 0)::BIGINT FROM schema_migrations",
        };
        self.read_single(move |conn| {
            Box::pin(async move { conn.query_one(sql, &[], |row| row.int(0)).await })
        })
        .await
    }

    /// The database connections in use and idle now, and the transactions waiting for one
    /// (PostgreSQL's pool; SQLite's writer and reader connections).
    pub fn pool_state(&self) -> PoolState {
        let (in_use, idle, waiting) = match self {
            Self::Sqlite(db) => db.pool_state(),
            Self::Postgres(pg) => pg.pool_state(),
        };
        PoolState {
            in_use,
            idle,
            waiting,
        }
    }

    pub fn dialect(&self) -> Dialect {
        match self {
            Self::Sqlite(_) => Dialect::Sqlite,
            Self::Postgres(_) => Dialect::Postgres,
        }
    }

    /// Runs `f` inside one read-only transaction, so that everything it reads (a page and its
    /// count) comes from one snapshot. `f` is the transaction's work: a closure that lends the
    /// connection to an `async` block, `|conn| Box::pin(async move { … })`.
    pub async fn read<T, F>(&self, f: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: for<'c> FnOnce(&'c Conn<'c>) -> TxFuture<'c, T> + Send + 'static,
    {
        match self {
            Self::Sqlite(db) => db.read(f),
            Self::Postgres(pg) => Box::pin(pg.transaction(true, f)).await,
        }
    }

    /// [`Db::read`] for work whose statements need no snapshot in common (one statement, or
    /// several that each stand alone): on PostgreSQL without `BEGIN` and `COMMIT` around them
    /// (see [`postgres::PgDb::single_read`]); on SQLite, where a transaction costs less than a
    /// statement's own read lock each, as [`Db::read`].
    pub async fn read_single<T, F>(&self, f: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: for<'c> FnOnce(&'c Conn<'c>) -> TxFuture<'c, T> + Send + 'static,
    {
        match self {
            Self::Sqlite(db) => db.read(f),
            Self::Postgres(pg) => Box::pin(pg.single_read(f)).await,
        }
    }

    /// Runs `f` in one write transaction: committed if it returns `Ok`, rolled back otherwise,
    /// so a request never leaves half its writes behind. On SQLite the transaction is a
    /// savepoint of one that commits the writes of the moment together
    /// ([`sqlite`]); `f`'s result is answered once they are committed.
    pub async fn write<T, F>(&self, f: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: for<'c> FnOnce(&'c Conn<'c>) -> TxFuture<'c, T> + Send + 'static,
    {
        match self {
            // Writes go to the writer thread, which commits them in groups.
            Self::Sqlite(db) => db.write(f).await,
            Self::Postgres(pg) => Box::pin(pg.transaction(false, f)).await,
        }
    }
}

#[cfg(test)]
impl Db {
    /// A new SQLite database, one reader, in a temporary folder that lives as long as the folder
    /// returned: for unit tests of the store's SQL.
    pub async fn temporary() -> (tempfile::TempDir, Arc<Db>) {
        let dir = tempfile::tempdir().unwrap();
        let database = Database::Sqlite(dir.path().join("t.db"));
        let db = Db::open(&database, Connections::for_cores(1), Schema::Migrate)
            .await
            .unwrap();
        (dir, db)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What a store call adds to the future of each request that awaits it, on SQLite: its own
    /// state and a box for PostgreSQL's (3 KB inline, before it was boxed).
    #[tokio::test]
    async fn a_store_call_adds_little_to_a_request_future() {
        let (_dir, db) = Db::temporary().await;
        let write = db.write(|_| Box::pin(async { Ok(()) }));
        let read = db.read_single(|_| Box::pin(async { Ok(()) }));
        let snapshot = db.read(|_| Box::pin(async { Ok(()) }));
        for (call, size) in [
            ("write", std::mem::size_of_val(&write)),
            ("read_single", std::mem::size_of_val(&read)),
            ("read", std::mem::size_of_val(&snapshot)),
        ] {
            assert!(size <= 1024, "Db::{call}'s future is {size} bytes");
        }
        drop((write, read, snapshot));
    }

    #[test]
    fn database_settings_are_parsed() {
        let parse = |value: &str| Database::parse(Path::new(value));
        assert!(matches!(
            parse("postgres://db/credport"),
            Ok(Database::Postgres(_))
        ));
        assert!(matches!(
            parse("PostgreSQL://u@/credport?host=/run/postgresql"),
            Ok(Database::Postgres(_))
        ));
        assert!(matches!(parse("./postgres.db"), Ok(Database::Sqlite(_))));
        assert!(matches!(parse("data/a:b.db"), Ok(Database::Sqlite(_))));
        let mistyped = parse("postgress://u:secret@db/x").err().unwrap();
        assert!(!mistyped.contains("secret"), "{mistyped}");
        // Connection strings gone wrong are refused, not taken for a file's path.
        for (value, said) in [
            (r#""postgres://u:secret@db/x""#, "quote"),
            ("'postgres://u:secret@db/x'", "quote"),
            (" postgres://u:secret@db/x", "space"),
            ("postgres://u:secret@db/x\n", "space"),
            ("postgres:/u:secret@db/x", "scheme://"),
            ("PostgreSQL:u:secret@db", "scheme://"),
            ("jdbc:postgresql://db/x?password=secret", "scheme://"),
            ("host=db user=u password=secret dbname=x", "libpq"),
            ("dbname=x", "libpq"),
        ] {
            let refused = parse(value).err().unwrap_or_else(|| panic!("{value:?}"));
            assert!(refused.contains(said), "{value:?}: {refused}");
            assert!(!refused.contains("secret"), "{refused}");
        }
        for path in [
            "data/user_name=x/credport.db",
            "./postgres-data.db",
            "a b.db",
        ] {
            assert!(matches!(parse(path), Ok(Database::Sqlite(_))), "{path}");
        }
        let socket =
            PgLocation::parse("postgres://credport:pw@/credport?host=/run/postgresql").unwrap();
        assert_eq!(
            socket.describe(),
            "postgres:///run/postgresql:5432/credport"
        );
        assert!(PgLocation::parse("postgres://db/x?sslmode=verify-full").is_ok());
        let refused = PgLocation::parse("postgres://u:secret@db/x?nonsense=1")
            .err()
            .unwrap();
        assert!(!refused.contains("secret"), "{refused}");
    }
}
