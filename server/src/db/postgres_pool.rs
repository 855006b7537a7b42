//! The pool's PostgreSQL connections, each with the statements prepared on it.
//!
//! deadpool-postgres's connections keep a statement cache of their own, but finding a statement
//! in it hashes the statement's whole text with SipHash under a lock, and the store's text
//! (written with SQLite's `?1`) had to be rewritten to PostgreSQL's `$1` first, on every call:
//! together 5 % of the instructions of a credentials read (docs/performance.md). Here each
//! connection maps the store's own text to its prepared statement with a fast hash, so a
//! statement is rewritten and prepared once per connection, and found again for the cost of
//! hashing a few hundred bytes.

use std::ops::{Deref, DerefMut};

use deadpool::managed::{self, Metrics, RecycleResult};
use deadpool_postgres::{ClientWrapper, Manager};
use parking_lot::Mutex;
use tokio_postgres::Statement;

/// Makes and checks the pool's connections: deadpool-postgres's [`Manager`], with
/// [`Connection`]s around its clients.
pub struct Connections(pub Manager);

pub type Pool = managed::Pool<Connections>;
pub type Object = managed::Object<Connections>;

/// A pooled connection and the statements prepared on it, which live and die with it.
pub struct Connection {
    client: ClientWrapper,
    /// By the store's text of each statement (SQLite's numbered parameters).
    statements: Mutex<hashbrown::HashMap<Box<str>, Statement>>,
}

impl Connection {
    /// The statement of `sql` (the store's text), prepared on this connection the first time.
    /// Two tasks sharing the connection may both prepare a new one; the second is kept, and the
    /// first is closed when its last user is done with it.
    pub async fn statement(&self, sql: &str) -> Result<Statement, tokio_postgres::Error> {
        if let Some(statement) = self.statements.lock().get(sql) {
            return Ok(statement.clone());
        }
        let statement = self.client.prepare(&numbered_for_postgres(sql)).await?;
        self.statements.lock().insert(sql.into(), statement.clone());
        Ok(statement)
    }
}

impl Deref for Connection {
    type Target = ClientWrapper;

    fn deref(&self) -> &ClientWrapper {
        &self.client
    }
}

impl DerefMut for Connection {
    fn deref_mut(&mut self) -> &mut ClientWrapper {
        &mut self.client
    }
}

impl managed::Manager for Connections {
    type Type = Connection;
    type Error = tokio_postgres::Error;

    async fn create(&self) -> Result<Connection, tokio_postgres::Error> {
        Ok(Connection {
            client: self.0.create().await?,
            statements: Mutex::default(),
        })
    }

    /// deadpool-postgres's check ([`crate::db::postgres`] recycles `Fast`: the session, and
    /// its prepared statements, stay as they are).
    async fn recycle(
        &self,
        connection: &mut Connection,
        metrics: &Metrics,
    ) -> RecycleResult<tokio_postgres::Error> {
        self.0.recycle(&mut connection.client, metrics).await
    }

    fn detach(&self, connection: &mut Connection) {
        self.0.detach(&mut connection.client);
    }
}

/// `?N` parameters as PostgreSQL's `$N`. The store's SQL has no `?` inside string literals.
/// Once per statement and connection ([`Connection::statement`]).
fn numbered_for_postgres(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut copied = 0;
    for (at, _) in sql.match_indices('?') {
        if sql.as_bytes().get(at + 1).is_some_and(u8::is_ascii_digit) {
            out.push_str(sql.get(copied..at).unwrap_or_default());
            out.push('$');
            copied = at + 1;
        }
    }
    out.push_str(sql.get(copied..).unwrap_or_default());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_are_renumbered_for_postgres() {
        assert_eq!(
            numbered_for_postgres("SELECT 1 WHERE a = ?1 AND b = ?12 OR ?1 IS NULL"),
            "SELECT 1 WHERE a = $1 AND b = $12 OR $1 IS NULL"
        );
        // A `?` not followed by a digit stays, and text beyond ASCII is copied as it is.
        assert_eq!(
            numbered_for_postgres("SELECT 'é?' || ?2, ? FROM t WHERE x = ?3?"),
            "SELECT 'é?' || $2, ? FROM t WHERE x = $3?"
        );
    }
}
