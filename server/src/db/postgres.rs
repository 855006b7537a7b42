//! PostgreSQL: a pool of tokio-postgres connections (deadpool-postgres), shared by any number of
//! credport-server instances. A transaction runs on the request's own task, each statement
//! awaited there (no blocking pool, no thread handing work to another); statements are
//! prepared once per connection.
//!
//! Reads of several statements run in one `REPEATABLE READ READ ONLY` transaction (a page and its
//! count see one snapshot); reads of single statements run without one, on connections they share
//! ([`crate::db::postgres_shared`]); writes in `READ COMMITTED`, where unique constraints and
//! `ON CONFLICT` settle races between instances. Every connection has `statement_timeout` and
//! `lock_timeout`, so a stuck lock answers a retryable 503 instead of hanging the request.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use deadpool::Runtime;
use deadpool_postgres::{Manager, ManagerConfig, RecyclingMethod};
use tokio_postgres::config::{Host, SslMode};
use tokio_postgres_rustls::MakeRustlsConnect;

use crate::db::migrations::{self, Schema};
use crate::db::postgres_errors::pool_error_text;
use crate::db::postgres_pool::{Connections, Object, Pool};
use crate::db::postgres_shared::{self, Shared};
use crate::db::sql::{Conn, PgConn, TxFuture};
use crate::error::ApiError;

use super::OpenError;

/// How long a request waits for a free connection before answering 503.
const POOL_WAIT: Duration = Duration::from_secs(5);
/// Connecting to the database, and checking a pooled connection before reuse.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Session settings of every connection: a statement may run 15 s, wait 5 s for a lock, and a
/// transaction left open (a crashed request) is ended after 60 s.
const SESSION_OPTIONS: &str = "-c statement_timeout=15000 -c lock_timeout=5000 \
    -c idle_in_transaction_session_timeout=60000";

/// A `postgres://` URL, checked: what to connect to, and the extra trust anchor, if any.
#[derive(Clone)]
pub struct PgLocation {
    config: tokio_postgres::Config,
    /// `sslrootcert=PATH`: a PEM file of certificates to trust besides the system's.
    root_cert: Option<PathBuf>,
}

impl PgLocation {
    /// Parses a `postgres://` or `postgresql://` URL. libpq's `sslmode=verify-ca|verify-full`
    /// and `sslrootcert` are understood too: TLS here always verifies the server's certificate.
    /// The error never quotes the URL, which may hold a password.
    pub fn parse(url: &str) -> Result<Self, String> {
        let (base, query) = url.split_once('?').unwrap_or((url, ""));
        let mut root_cert = None;
        let mut kept = Vec::new();
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            match pair.split_once('=') {
                Some(("sslrootcert", path)) => {
                    let path: String = form_urlencoded::parse(format!("p={path}").as_bytes())
                        .map(|(_, v)| v.into_owned())
                        .collect();
                    root_cert = Some(PathBuf::from(path));
                }
                Some(("sslmode", "verify-ca" | "verify-full")) => kept.push("sslmode=require"),
                _ => kept.push(pair),
            }
        }
        let url = if kept.is_empty() {
            base.to_owned()
        } else {
            format!("{base}?{}", kept.join("&"))
        };
        let mut config: tokio_postgres::Config = url
            .parse()
            .map_err(|e| format!("is not a usable PostgreSQL URL ({e})"))?;
        if config.get_hosts().is_empty() {
            return Err(
                "names no host: add one, or ?host=/run/postgresql for a unix socket".into(),
            );
        }
        let options = match config.get_options() {
            Some(theirs) => format!("{theirs} {SESSION_OPTIONS}"),
            None => SESSION_OPTIONS.to_owned(),
        };
        config
            .options(&options)
            .application_name("credport-server")
            .connect_timeout(CONNECT_TIMEOUT);
        Ok(Self { config, root_cert })
    }

    /// Where it points, without user or password: for logs and error messages.
    pub fn describe(&self) -> String {
        let hosts: Vec<String> = self
            .config
            .get_hosts()
            .iter()
            .map(|host| match host {
                Host::Tcp(name) => name.clone(),
                Host::Unix(dir) => dir.display().to_string(),
            })
            .collect();
        let port = self.config.get_ports().first().copied().unwrap_or(5432);
        let dbname = self.config.get_dbname().unwrap_or("(the user's database)");
        format!("postgres://{}:{port}/{dbname}", hosts.join(","))
    }

    /// TLS for TCP hosts unless `sslmode=disable`, verified against the system's trust store
    /// and `sslrootcert` ([`crate::db::tls`]).
    fn tls(&self) -> Result<MakeRustlsConnect, String> {
        let mut extra = Vec::new();
        if let Some(path) = self
            .root_cert
            .as_ref()
            .filter(|_| self.config.get_ssl_mode() != SslMode::Disable)
        {
            let pem = std::fs::read(path)
                .map_err(|e| format!("sslrootcert {} cannot be read: {e}", path.display()))?;
            extra = rustls_pemfile_certs(&pem)?;
        }
        let config =
            crate::db::tls::client_config(extra).map_err(|e| format!("sslrootcert: {e}"))?;
        Ok(MakeRustlsConnect::new(config))
    }
}

/// The certificates of a PEM file.
fn rustls_pemfile_certs(
    pem: &[u8],
) -> Result<Vec<rustls::pki_types::CertificateDer<'static>>, String> {
    use rustls::pki_types::pem::PemObject;
    rustls::pki_types::CertificateDer::pem_slice_iter(pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("sslrootcert is not PEM certificates: {e}"))
}

pub struct PgDb {
    pool: Pool,
    /// The connections single-statement reads share ([`PgDb::single_read`]).
    shared: Shared,
}

impl PgDb {
    /// Connects, then brings the schema up to date as far as `schema` lets it (under an
    /// advisory lock, so instances starting together migrate once).
    /// `pool_size` connections at most: each in-flight request holds one for its transaction.
    pub async fn open(
        location: &PgLocation,
        pool_size: usize,
        schema: Schema,
    ) -> Result<Self, OpenError> {
        let manager = Manager::from_config(
            location.config.clone(),
            location.tls().map_err(OpenError::Database)?,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(Connections(manager))
            .max_size(pool_size)
            .runtime(Runtime::Tokio1)
            .wait_timeout(Some(POOL_WAIT))
            .create_timeout(Some(CONNECT_TIMEOUT))
            .recycle_timeout(Some(CONNECT_TIMEOUT))
            .build()
            .map_err(|e| OpenError::Database(e.to_string()))?;
        let mut client = pool
            .get()
            .await
            .map_err(|e| OpenError::Database(pool_error_text(&e)))?;
        migrations::postgres::apply(&mut client, schema)
            .await
            .map_err(|e| OpenError::Database(e.to_string()))?;
        drop(client);
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        Ok(Self {
            pool,
            shared: Shared::new(postgres_shared::count(pool_size, cores)),
        })
    }

    /// The pooled connections in use and idle now, and the requests waiting for one.
    pub fn pool_state(&self) -> (usize, usize, usize) {
        let status = self.pool.status();
        (
            status.size.saturating_sub(status.available),
            status.available,
            status.waiting,
        )
    }

    /// Runs `f` in one transaction on a pooled connection, on the request's own task:
    /// committed if it returns `Ok`, rolled back otherwise. `BEGIN` goes out with the first
    /// statement, and statements `f` defers (events) with the next one or the `COMMIT`
    /// ([`PgConn`]): a transaction costs no more round trips than the statements whose answers
    /// it waits for. A read-only transaction's `COMMIT` is not waited for ([`PgConn::end_read`]).
    pub async fn transaction<T, F>(&self, read_only: bool, f: F) -> Result<T, ApiError>
    where
        F: for<'c> FnOnce(&'c Conn<'c>) -> TxFuture<'c, T>,
    {
        let mut lent = Lent {
            client: Some(self.pool.get().await?),
            ended: false,
        };
        let begin = if read_only {
            "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"
        } else {
            "BEGIN ISOLATION LEVEL READ COMMITTED"
        };
        let Some(client) = lent.client.as_ref() else {
            return Err(ApiError::internal("database: no connection"));
        };
        let pg = PgConn::transaction(client, begin);
        let out = match f(&Conn::Postgres(&pg)).await {
            Ok(out) if read_only => {
                pg.end_read();
                Ok(out)
            }
            Ok(out) => pg.commit().await.map(|()| out),
            Err(e) => Err(e),
        };
        // A failed `ROLLBACK` leaves the transaction's state unknown: `lent` closes it.
        lent.ended = out.is_ok() || pg.rollback().await.is_ok();
        out
    }

    /// Runs `f`, whose statements each stand alone, without a transaction around it: one
    /// statement sees one snapshot anyway, and `BEGIN` and `COMMIT` would be two more round trips
    /// on the path of every request (authentication). It runs on a connection that such reads
    /// share, pipelined with theirs ([`postgres_shared`]), or on one of its own from the pool
    /// when the pool is too small to share any.
    pub async fn single_read<T, F>(&self, f: F) -> Result<T, ApiError>
    where
        F: for<'c> FnOnce(&'c Conn<'c>) -> TxFuture<'c, T>,
    {
        let client = match self.shared.client(&self.pool).await {
            Some(shared) => shared?,
            None => Arc::new(self.pool.get().await?),
        };
        let pg = PgConn::autocommit(&client);
        f(&Conn::Postgres(&pg)).await
    }
}

/// A pooled connection lent to one transaction. Dropped before the transaction ended (the
/// request's future dropped mid-way because its client went away, a panic, a failed
/// `ROLLBACK`), it leaves the pool closed, which ends its session and rolls the transaction
/// back: no later request inherits a transaction left open. The pool opens another in its place.
struct Lent {
    client: Option<Object>,
    ended: bool,
}

impl Drop for Lent {
    fn drop(&mut self) {
        if let Some(client) = self.client.take().filter(|_| !self.ended) {
            drop(Object::take(client));
        }
    }
}
