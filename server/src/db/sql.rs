//! SQL that runs on either store. The store modules are written once against [`Conn`]: each
//! statement is written with SQLite's numbered parameters (`?1`), which [`Conn`] rewrites to
//! PostgreSQL's (`$1`); where the dialects really differ, [`Conn::dialect`] says which one to
//! write. Parameters cross the boundary as [`Value`]s, and each result row is read as a [`Row`]
//! by the closure the query is given, so neither rusqlite's nor tokio-postgres' types leak into
//! the store code.

use std::error::Error as StdError;

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, PoisonError};

use bytes::BytesMut;
use futures_util::future::{join, join_all};
use futures_util::FutureExt;
use parking_lot::{ReentrantMutex, ReentrantMutexGuard};
use tokio_postgres::types::{to_sql_checked, FromSql, IsNull, ToSql, Type};
use tokio_postgres::Statement;

use crate::db::postgres_pool::Object;
use crate::error::ApiError;

/// SQL function for case-insensitive search beyond ASCII (SQLite's `lower` folds ASCII only),
/// registered on each connection by [`crate::db::sqlite`].
pub const FOLD_FUNCTION: &str = "credport_fold";

/// Which SQL a statement must be written in, where the two differ.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
}

impl Dialect {
    /// What ends a `SELECT` that locks its rows as an `UPDATE` of no key would: PostgreSQL's
    /// `FOR NO KEY UPDATE` (it leaves other transactions' foreign-key checks alone); nothing on
    /// SQLite, whose one writer runs writes one after another.
    pub fn update_lock(self) -> &'static str {
        match self {
            Self::Sqlite => "",
            Self::Postgres => " FOR NO KEY UPDATE",
        }
    }

    /// A condition: the case-folded text of `column` contains the case-folded `needle`, both
    /// folded by one function, so that a text always contains itself. SQLite's `lower` folds
    /// ASCII only, so it calls [`FOLD_FUNCTION`]; PostgreSQL's `lower` folds by the database's
    /// locale.
    pub fn folded_contains(self, column: &str, needle: &str) -> String {
        match self {
            Self::Sqlite => {
                format!("instr({FOLD_FUNCTION}({column}), {FOLD_FUNCTION}({needle})) > 0")
            }
            Self::Postgres => format!("strpos(lower({column}), lower({needle})) > 0"),
        }
    }
}

/// A bound parameter.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Null,
    Int(i64),
    Bool(bool),
    Text(String),
    Blob(Vec<u8>),
}

impl From<i64> for Value {
    fn from(v: i64) -> Self {
        Self::Int(v)
    }
}

impl From<u32> for Value {
    fn from(v: u32) -> Self {
        Self::Int(i64::from(v))
    }
}

impl From<u16> for Value {
    fn from(v: u16) -> Self {
        Self::Int(i64::from(v))
    }
}

impl From<bool> for Value {
    fn from(v: bool) -> Self {
        Self::Bool(v)
    }
}

impl From<&str> for Value {
    fn from(v: &str) -> Self {
        Self::Text(v.to_owned())
    }
}

impl From<String> for Value {
    fn from(v: String) -> Self {
        Self::Text(v)
    }
}

impl From<&String> for Value {
    fn from(v: &String) -> Self {
        Self::Text(v.clone())
    }
}

impl From<&[u8]> for Value {
    fn from(v: &[u8]) -> Self {
        Self::Blob(v.to_vec())
    }
}

impl From<Vec<u8>> for Value {
    fn from(v: Vec<u8>) -> Self {
        Self::Blob(v)
    }
}

impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(v: Option<T>) -> Self {
        v.map_or(Self::Null, Into::into)
    }
}

/// One result row, read where the driver holds it: by the closure a query is given
/// ([`Conn::query`]), so that no column is copied before it is read, and only what the store
/// keeps (a name, an id) is copied at all. A column of an unexpected type is an internal error
/// naming the column's index, never its value.
#[derive(Debug)]
pub struct Row<'r>(Columns<'r>);

#[derive(Debug)]
enum Columns<'r> {
    /// SQLite's, borrowed from the statement while it stands on this row (its next step
    /// overwrites them). Copying every column out first, as the rows once were, was a tenth of
    /// a list's instructions (docs/performance.md).
    Sqlite(&'r rusqlite::Row<'r>),
    /// PostgreSQL's, as the driver received them. `width` hides a page's count column
    /// ([`Conn::counted_page`]).
    Postgres {
        row: tokio_postgres::Row,
        width: usize,
    },
}

/// One column as read, borrowed from its row.
enum Cell<'a> {
    Null,
    Int(i64),
    Bool(bool),
    Text(&'a str),
    Blob(&'a [u8]),
}

/// PostgreSQL's columns by their type, so that one integer read serves `smallint`, `integer`
/// and `bigint` alike.
impl<'a> FromSql<'a> for Cell<'a> {
    fn from_sql(ty: &Type, raw: &'a [u8]) -> Result<Self, BoxError> {
        Ok(match *ty {
            Type::INT8 => Self::Int(i64::from_sql(ty, raw)?),
            Type::INT4 => Self::Int(i64::from(i32::from_sql(ty, raw)?)),
            Type::INT2 => Self::Int(i64::from(i16::from_sql(ty, raw)?)),
            Type::BOOL => Self::Bool(bool::from_sql(ty, raw)?),
            Type::BYTEA => Self::Blob(raw),
            _ => Self::Text(<&str>::from_sql(ty, raw)?),
        })
    }

    fn from_sql_null(_: &Type) -> Result<Self, BoxError> {
        Ok(Self::Null)
    }

    fn accepts(ty: &Type) -> bool {
        matches!(
            *ty,
            Type::INT8 | Type::INT4 | Type::INT2 | Type::BOOL | Type::BYTEA
        ) || <&str as FromSql>::accepts(ty)
    }
}

fn wrong_type(index: usize, wanted: &str) -> ApiError {
    ApiError::internal(format!("database: column {index} is not {wanted}"))
}

fn no_column(index: usize) -> ApiError {
    ApiError::internal(format!("database: no column {index}"))
}

impl Row<'static> {
    /// A PostgreSQL row, every column shown.
    fn postgres(row: tokio_postgres::Row) -> Self {
        let width = row.len();
        Row(Columns::Postgres { row, width })
    }
}

impl Row<'_> {
    fn cell(&self, index: usize) -> Result<Cell<'_>, ApiError> {
        use rusqlite::types::ValueRef;
        match &self.0 {
            Columns::Sqlite(row) => Ok(match row.get_ref(index).map_err(|_| no_column(index))? {
                ValueRef::Null => Cell::Null,
                ValueRef::Integer(n) => Cell::Int(n),
                // The store writes text from Rust strings only.
                ValueRef::Text(t) => {
                    Cell::Text(std::str::from_utf8(t).map_err(|_| wrong_type(index, "UTF-8 text"))?)
                }
                ValueRef::Blob(b) => Cell::Blob(b),
                // The schema has no REAL column.
                ValueRef::Real(_) => return Err(wrong_type(index, "an integer, text or a blob")),
            }),
            Columns::Postgres { row, width } if index < *width => {
                Ok(row.try_get::<_, Cell<'_>>(index)?)
            }
            Columns::Postgres { .. } => Err(no_column(index)),
        }
    }

    /// How many columns the row shows.
    fn width(&self) -> usize {
        match &self.0 {
            Columns::Sqlite(row) => row.as_ref().column_count(),
            Columns::Postgres { width, .. } => *width,
        }
    }

    /// Hides a PostgreSQL row's columns from `width` on (a page's count column).
    fn hide_from(&mut self, width: usize) {
        if let Columns::Postgres { width: shown, .. } = &mut self.0 {
            *shown = width.min(*shown);
        }
    }

    /// Whether every column it shows is NULL.
    fn is_all_null(&self) -> Result<bool, ApiError> {
        for index in 0..self.width() {
            if !matches!(self.cell(index)?, Cell::Null) {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// A text column, borrowed (for JSON to parse).
    pub fn opt_str(&self, index: usize) -> Result<Option<&str>, ApiError> {
        match self.cell(index)? {
            Cell::Null => Ok(None),
            Cell::Text(s) => Ok(Some(s)),
            _ => Err(wrong_type(index, "text")),
        }
    }

    pub fn str(&self, index: usize) -> Result<&str, ApiError> {
        self.opt_str(index)?
            .ok_or_else(|| wrong_type(index, "non-null text"))
    }

    pub fn opt_text(&self, index: usize) -> Result<Option<String>, ApiError> {
        Ok(self.opt_str(index)?.map(str::to_owned))
    }

    pub fn text(&self, index: usize) -> Result<String, ApiError> {
        self.str(index).map(str::to_owned)
    }

    pub fn opt_int(&self, index: usize) -> Result<Option<i64>, ApiError> {
        match self.cell(index)? {
            Cell::Null => Ok(None),
            Cell::Int(n) => Ok(Some(n)),
            _ => Err(wrong_type(index, "an integer")),
        }
    }

    pub fn int(&self, index: usize) -> Result<i64, ApiError> {
        self.opt_int(index)?
            .ok_or_else(|| wrong_type(index, "a non-null integer"))
    }

    /// A boolean: SQLite stores it as an integer, PostgreSQL as `boolean`.
    pub fn bool(&self, index: usize) -> Result<bool, ApiError> {
        match self.cell(index)? {
            Cell::Bool(b) => Ok(b),
            Cell::Int(n) => Ok(n != 0),
            _ => Err(wrong_type(index, "a boolean")),
        }
    }

    /// A blob column, borrowed.
    pub fn bytes(&self, index: usize) -> Result<&[u8], ApiError> {
        match self.cell(index)? {
            Cell::Blob(b) => Ok(b),
            _ => Err(wrong_type(index, "a blob")),
        }
    }

    pub fn blob(&self, index: usize) -> Result<Vec<u8>, ApiError> {
        self.bytes(index).map(<[u8]>::to_vec)
    }

    pub fn opt_blob(&self, index: usize) -> Result<Option<Vec<u8>>, ApiError> {
        match self.cell(index)? {
            Cell::Null => Ok(None),
            Cell::Blob(b) => Ok(Some(b.to_vec())),
            _ => Err(wrong_type(index, "a blob")),
        }
    }
}

/// A connection inside a transaction opened by [`crate::db::Db`], on either store.
///
/// Its statements are `async`: on PostgreSQL each one is awaited on the request's own task (no
/// thread in between); on SQLite they run at once, and the transaction's future is driven by
/// [`crate::db::sqlite`] on the thread that holds the connection.
pub enum Conn<'a> {
    Sqlite(&'a SqliteConn),
    Postgres(&'a PgConn<'a>),
}

/// What a transaction's work gets back from [`crate::db::Db`]: a boxed future borrowing the
/// connection, `Send` so that a request's future stays `Send` on PostgreSQL.
pub type TxFuture<'c, T> = Pin<Box<dyn Future<Output = Result<T, ApiError>> + Send + 'c>>;

/// A SQLite connection as [`Conn`] lends it: behind a re-entrant lock, which the thread that
/// runs the transaction holds for the whole of it (so each statement's own lock is a counter
/// increment), and which makes the connection `Sync`, as the futures of the store code need.
pub struct SqliteConn(ReentrantMutex<rusqlite::Connection>);

impl SqliteConn {
    pub fn new(conn: rusqlite::Connection) -> Self {
        Self(ReentrantMutex::new(conn))
    }

    /// The connection, for this thread until the guard is dropped.
    pub fn lock(&self) -> ReentrantMutexGuard<'_, rusqlite::Connection> {
        self.0.lock()
    }

    /// The connection if no thread holds it now.
    pub fn try_lock(&self) -> Option<ReentrantMutexGuard<'_, rusqlite::Connection>> {
        self.0.try_lock()
    }

    fn execute(&self, sql: &str, args: &[Value]) -> Result<u64, ApiError> {
        let conn = self.lock();
        let changed = conn
            .prepare_cached(sql)?
            .execute(rusqlite::params_from_iter(args))?;
        Ok(changed as u64)
    }

    /// Runs a query and hands its rows to `each`, in order, until `each` answers `false`.
    /// Not generic, so that the stepping is compiled once for every caller.
    fn rows(
        &self,
        sql: &str,
        args: &[Value],
        each: &mut dyn FnMut(&Row<'_>) -> Result<bool, ApiError>,
    ) -> Result<(), ApiError> {
        let conn = self.lock();
        let mut statement = conn.prepare_cached(sql)?;
        let mut rows = statement.query(rusqlite::params_from_iter(args))?;
        while let Some(row) = rows.next()? {
            if !each(&Row(Columns::Sqlite(row)))? {
                break;
            }
        }
        Ok(())
    }
}

impl Conn<'_> {
    pub fn dialect(&self) -> Dialect {
        match self {
            Self::Sqlite(_) => Dialect::Sqlite,
            Self::Postgres(_) => Dialect::Postgres,
        }
    }

    /// Runs a statement; the number of rows it changed.
    pub async fn execute(&self, sql: &str, args: &[Value]) -> Result<u64, ApiError> {
        match self {
            Self::Sqlite(conn) => conn.execute(sql, args),
            Self::Postgres(conn) => conn.execute(sql, args).await,
        }
    }

    /// Every row of a query, each read by `read` (see [`Row`]).
    pub async fn query<T>(
        &self,
        sql: &str,
        args: &[Value],
        mut read: impl FnMut(&Row<'_>) -> Result<T, ApiError> + Send,
    ) -> Result<Vec<T>, ApiError> {
        match self {
            Self::Sqlite(conn) => {
                let mut read_all = Vec::new();
                conn.rows(sql, args, &mut |row| {
                    read_all.push(read(row)?);
                    Ok(true)
                })?;
                Ok(read_all)
            }
            Self::Postgres(conn) => conn
                .query(sql, args)
                .await?
                .into_iter()
                .map(|row| read(&Row::postgres(row)))
                .collect(),
        }
    }

    /// Runs a statement whose outcome (beyond success) the caller does not need: an event's
    /// insert. On PostgreSQL, in a transaction, it goes out with the next statement or the
    /// `COMMIT`, in one round trip ([`PgConn`]); if it fails, that statement fails and the
    /// transaction with it. On SQLite it runs at once.
    pub async fn execute_deferred(&self, sql: &str, args: &[Value]) -> Result<(), ApiError> {
        match self {
            Self::Sqlite(conn) => conn.execute(sql, args).map(drop),
            Self::Postgres(conn) => conn.execute_deferred(sql, args).await,
        }
    }

    /// The first row of a query, if any, read by `read`; SQLite steps no further.
    pub async fn query_opt<T>(
        &self,
        sql: &str,
        args: &[Value],
        read: impl FnOnce(&Row<'_>) -> Result<T, ApiError> + Send,
    ) -> Result<Option<T>, ApiError> {
        match self {
            Self::Sqlite(conn) => {
                // `rows` takes a closure it may call again; this one reads a row once.
                let mut read = Some(read);
                let mut first = None;
                conn.rows(sql, args, &mut |row| {
                    if let Some(read) = read.take() {
                        first = Some(read(row)?);
                    }
                    Ok(false)
                })?;
                Ok(first)
            }
            Self::Postgres(conn) => conn
                .query(sql, args)
                .await?
                .into_iter()
                .next()
                .map(|row| read(&Row::postgres(row)))
                .transpose(),
        }
    }

    /// A page of a list and the count of everything the list matches, from one snapshot: the
    /// rows of `SELECT {columns} FROM {from} ORDER BY {order} {page}` and `COUNT(*)` of `FROM
    /// {from}`. `from` is a table and its `WHERE` clause, whose parameters are the first
    /// `filter_args` of `args`; `page` is the `LIMIT` and `OFFSET` clause, whose parameters follow.
    ///
    /// On PostgreSQL one statement, so that a read with no transaction around it (a
    /// single-statement read shares its connection, [`crate::db::Db::read_single`]) makes one
    /// trip and sees one snapshot: the count is added to every row as its last column, and a page
    /// past the end is one row holding only the count. On SQLite every read is a transaction, and
    /// the two plain statements cost less than that one, which SQLite answers by copying the page
    /// into a table of its own and sorting it again (measured: docs/performance.md).
    pub async fn counted_page<T>(
        &self,
        columns: &str,
        from: &str,
        order: &str,
        page: &str,
        (args, filter_args): (&[Value], usize),
        mut read: impl FnMut(&Row<'_>) -> Result<T, ApiError> + Send,
    ) -> Result<(i64, Vec<T>), ApiError> {
        let count = format!("SELECT COUNT(*) AS total FROM {from}");
        let rows = format!("SELECT {columns} FROM {from} ORDER BY {order} {page}");
        match self {
            Self::Postgres(conn) => {
                let sql = format!(
                    "WITH matching AS ({count})
                     SELECT page.*, matching.total FROM matching LEFT JOIN ({rows}) AS page ON TRUE
                     ORDER BY {order}"
                );
                let mut total = None;
                let mut page = Vec::new();
                for row in conn.query(&sql, args).await? {
                    let mut row = Row::postgres(row);
                    let last = row.width().saturating_sub(1);
                    total = Some(row.int(last)?);
                    row.hide_from(last);
                    // The page's columns are left; a page past the end has none but NULLs.
                    if !row.is_all_null()? {
                        page.push(read(&row)?);
                    }
                }
                let total =
                    total.ok_or_else(|| ApiError::internal("database: a count answered no row"))?;
                Ok((total, page))
            }
            Self::Sqlite(_) => {
                let filter = args.get(..filter_args).unwrap_or(args);
                let total = self.query_one(&count, filter, |row| row.int(0)).await?;
                Ok((total, self.query(&rows, args, read).await?))
            }
        }
    }

    /// The first row of a query that always has one (`COUNT(*)`), read by `read`.
    pub async fn query_one<T>(
        &self,
        sql: &str,
        args: &[Value],
        read: impl FnOnce(&Row<'_>) -> Result<T, ApiError> + Send,
    ) -> Result<T, ApiError> {
        self.query_opt(sql, args, read)
            .await?
            .ok_or_else(|| ApiError::internal("database: a query answered no row"))
    }
}

impl rusqlite::ToSql for Value {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        use rusqlite::types::{ToSqlOutput, ValueRef};
        Ok(ToSqlOutput::Borrowed(match self {
            Self::Null => ValueRef::Null,
            Self::Int(n) => ValueRef::Integer(*n),
            Self::Bool(b) => ValueRef::Integer(i64::from(*b)),
            Self::Text(s) => ValueRef::Text(s.as_bytes()),
            Self::Blob(b) => ValueRef::Blob(b),
        }))
    }
}

type BoxError = Box<dyn StdError + Sync + Send>;

/// Binds by the type PostgreSQL inferred for the parameter, so one [`Value::Int`] serves
/// `integer` and `bigint` columns alike.
impl ToSql for Value {
    fn to_sql(&self, ty: &Type, out: &mut BytesMut) -> Result<IsNull, BoxError> {
        match self {
            Self::Null => Ok(IsNull::Yes),
            Self::Int(n) => match *ty {
                Type::INT8 => n.to_sql(ty, out),
                Type::INT4 => i32::try_from(*n)?.to_sql(ty, out),
                Type::INT2 => i16::try_from(*n)?.to_sql(ty, out),
                Type::BOOL => (*n != 0).to_sql(ty, out),
                _ => Err(format!("an integer cannot be bound as {ty}").into()),
            },
            Self::Bool(b) => b.to_sql(ty, out),
            Self::Text(s) => s.to_sql(ty, out),
            Self::Blob(b) => b.as_slice().to_sql(ty, out),
        }
    }

    fn accepts(_: &Type) -> bool {
        true
    }

    to_sql_checked!();
}

/// A statement sent ahead of the next one, in the same round trip ([`PgConn::execute_deferred`]).
enum Deferred {
    /// A statement of the simple protocol (`BEGIN …`).
    Simple(&'static str),
    /// A prepared statement and its parameters.
    Statement(Statement, Vec<Value>),
}

/// A pooled connection in use by a request's task: in a transaction that
/// [`crate::db::postgres::PgDb`] opens and ends, or with each statement on its own
/// ([`crate::db::postgres::PgDb::single_read`]).
///
/// Each statement is a round trip. Statements whose outcome the caller does not look at (the
/// transaction's `BEGIN`, an event's insert) therefore wait in `deferred` and go out in one
/// write with the next statement that is awaited (or the `COMMIT`): PostgreSQL answers them in
/// order, and the first error among them fails that statement, so a transaction never commits
/// over a deferred statement that failed.
pub struct PgConn<'a> {
    client: &'a Object,
    in_transaction: bool,
    /// Only the request's task uses it, one statement at a time: the lock is never contended.
    deferred: Mutex<Vec<Deferred>>,
    /// Whether anything was sent since `BEGIN` was queued (then a failure needs `ROLLBACK`).
    sent: AtomicBool,
}

impl<'a> PgConn<'a> {
    /// A transaction begun with `begin` (sent with the first statement).
    pub(super) fn transaction(client: &'a Object, begin: &'static str) -> Self {
        Self {
            client,
            in_transaction: true,
            deferred: Mutex::new(vec![Deferred::Simple(begin)]),
            sent: AtomicBool::new(false),
        }
    }

    /// Each statement on its own.
    pub(super) fn autocommit(client: &'a Object) -> Self {
        Self {
            client,
            in_transaction: false,
            deferred: Mutex::default(),
            sent: AtomicBool::new(false),
        }
    }

    pub async fn execute(&self, sql: &str, args: &[Value]) -> Result<u64, ApiError> {
        let statement = self.client.statement(sql).await?;
        self.after_deferred(self.client.execute(&statement, &bound(args)))
            .await
    }

    pub async fn query(
        &self,
        sql: &str,
        args: &[Value],
    ) -> Result<Vec<tokio_postgres::Row>, ApiError> {
        let statement = self.client.statement(sql).await?;
        self.after_deferred(self.client.query(&statement, &bound(args)))
            .await
    }

    /// Runs a statement whose outcome the caller does not look at: in a transaction it is
    /// sent with the next statement or the `COMMIT`, whose error its own failure becomes.
    pub async fn execute_deferred(&self, sql: &str, args: &[Value]) -> Result<(), ApiError> {
        if !self.in_transaction {
            return self.execute(sql, args).await.map(drop);
        }
        // Prepared now (once per connection: a cache hit after that), so that the deferred
        // statements go out in the order they were queued.
        let statement = self.client.statement(sql).await?;
        self.queue()
            .push(Deferred::Statement(statement, args.to_vec()));
        Ok(())
    }

    /// Commits, in the round trip of what was deferred.
    pub(super) async fn commit(&self) -> Result<(), ApiError> {
        self.after_deferred(self.client.batch_execute("COMMIT"))
            .await
    }

    /// Ends a read-only transaction without waiting for its `COMMIT`'s answer: a read-only
    /// transaction's reads were answered already and its commit has nothing left to fail, and
    /// PostgreSQL answers a connection's statements in order, so whatever the connection sends
    /// next (the next transaction's `BEGIN`) comes after it. The connection's task reads the
    /// answer and drops it. A round trip fewer for every read.
    pub(super) fn end_read(&self) {
        if !self.sent.load(Ordering::Relaxed) {
            // `BEGIN` never went out: there is nothing to end.
            return;
        }
        // Its first poll sends it; the answer is not waited for.
        let _ = self.client.batch_execute("COMMIT").now_or_never();
    }

    /// Ends a transaction that failed: drops what was never sent, rolls back the rest.
    pub(super) async fn rollback(&self) -> Result<(), ApiError> {
        std::mem::take(&mut *self.queue());
        if self.sent.load(Ordering::Relaxed) {
            self.client.batch_execute("ROLLBACK").await?;
        }
        Ok(())
    }

    /// The deferred statements. A poisoned lock only means a panic while pushing; the list is
    /// whole either way.
    fn queue(&self) -> std::sync::MutexGuard<'_, Vec<Deferred>> {
        self.deferred.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Sends the deferred statements, then `last`, without waiting in between, and answers
    /// `last`'s result unless one of them failed (the first failure, in order).
    async fn after_deferred<T>(
        &self,
        last: impl Future<Output = Result<T, tokio_postgres::Error>>,
    ) -> Result<T, ApiError> {
        self.sent.store(true, Ordering::Relaxed);
        let deferred = std::mem::take(&mut *self.queue());
        if deferred.is_empty() {
            return Ok(last.await?);
        }
        // `join_all` polls them in order, and each sends its messages when first polled.
        let sent = join_all(deferred.iter().map(|d| async move {
            match d {
                Deferred::Simple(sql) => self.client.batch_execute(sql).await,
                Deferred::Statement(statement, args) => {
                    self.client.execute(statement, &bound(args)).await.map(drop)
                }
            }
        }));
        let (earlier, last) = join(sent, last).await;
        earlier.into_iter().collect::<Result<Vec<()>, _>>()?;
        Ok(last?)
    }
}

fn bound(args: &[Value]) -> Vec<&(dyn tokio_postgres::types::ToSql + Sync)> {
    args.iter()
        .map(|a| a as &(dyn tokio_postgres::types::ToSql + Sync))
        .collect()
}
