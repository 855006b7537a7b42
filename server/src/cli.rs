//! The command line: settings, logging, and which command runs: `serve` (the default), `demo`
//! or `reencrypt`; each command's work is in its own module. Exit codes: 0 done, 2 a bad setting
//! (one line on stderr naming it; keys that cannot read the stored secrets count as one), 1
//! anything else that stopped the server.

use std::io::IsTerminal;
use std::process::ExitCode;
use std::sync::Arc;

use clap::Parser;
use tokio_util::sync::CancellationToken;
use tracing_subscriber::filter::LevelFilter;
use tracing_subscriber::EnvFilter;

use crate::app::{App, Handles};
use crate::auth::ratelimit::{self, RateLimiter};
use crate::auth::Authenticator;
use crate::config::{self, Cli, Command, ConfigError, ServerConfig, Storage};
use crate::connect::{self, Connector};
use crate::crypto::Keys;
use crate::db::migrations::Schema;
use crate::db::{idle, Database, Db, OpenError};
use crate::events::deliverer::Deliverer;
use crate::http::listener;
use crate::ops::backup::BackupError;
use crate::ops::keys::Refusal;
use crate::refresh::Refresher;
use crate::routes::idempotency;
use crate::{demo, events, ops, server};

/// Why the program stops early.
struct Failure {
    code: u8,
    message: String,
}

impl From<ConfigError> for Failure {
    fn from(e: ConfigError) -> Self {
        Self {
            code: 2,
            message: e.0,
        }
    }
}

fn runtime_failure(message: impl Into<String>) -> Failure {
    Failure {
        code: 1,
        message: message.into(),
    }
}

pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) if !e.use_stderr() => {
            // --help and --version.
            let _ = e.print();
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            // clap's first paragraph, as one line: it names what is wrong, sometimes on the
            // lines after its first ("not provided:" and then `<FILE>`).
            let rendered = e.to_string();
            let said: Vec<&str> = rendered
                .lines()
                .take_while(|line| !line.trim().is_empty())
                .map(str::trim)
                .collect();
            let line = said.join(" ");
            eprintln!("credport-server: {}", line.trim_start_matches("error: "));
            return ExitCode::from(2);
        }
    };
    let result = init_logging().and_then(|()| match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => {
            let config = cli.settings.server()?;
            let workers = cli.settings.worker_threads(&config.storage.database)?;
            serve(config, workers)
        }
        Command::Demo => {
            let storage = cli.settings.storage("demo")?;
            let workers = cli.settings.worker_threads(&storage.database)?;
            run_demo(storage, &cli.settings.demo_public_url()?, workers)
        }
        Command::Backup { file } => run_backup(&cli.settings.database()?, &file),
        Command::Reencrypt { batch } => {
            let storage = cli.settings.storage("reencrypt")?;
            let workers = cli.settings.worker_threads(&storage.database)?;
            run_reencrypt(storage, batch, workers)
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            eprintln!("credport-server: {}", failure.message);
            ExitCode::from(failure.code)
        }
    }
}

/// Logs to stderr at the level of `CREDPORT_LOG`, else `RUST_LOG`, else `info`.
fn init_logging() -> Result<(), Failure> {
    let (variable, filter) = ["CREDPORT_LOG", "RUST_LOG"]
        .into_iter()
        .find_map(|name| {
            std::env::var(name)
                .ok()
                .filter(|v| !v.is_empty())
                .map(|v| (name, v))
        })
        .unwrap_or(("CREDPORT_LOG", "info".to_owned()));
    if !bare_words_are_levels(&filter) {
        return Err(Failure::from(ConfigError(format!(
            "{variable} holds a word that is not a level (trace, debug, info, warn, error, off): \
             name a target's level as target=level, such as credport_server=debug"
        ))));
    }
    let filter = EnvFilter::try_new(&filter).map_err(|_| {
        ConfigError(format!(
            "{variable} is not a valid log filter such as info or credport_server=debug"
        ))
    })?;
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .try_init()
        .map_err(|e| runtime_failure(format!("logging could not start: {e}")))
}

/// Whether every directive of the log filter `filter` without `=` (or a span's `[…]`) is a
/// level. `EnvFilter` reads any other bare word as a target: a mistyped level such as `warning`
/// would show only the lines of a target that logs nothing, and silence the server.
fn bare_words_are_levels(filter: &str) -> bool {
    filter
        .split(',')
        .map(str::trim)
        .filter(|directive| !directive.is_empty() && !directive.contains(['=', '[']))
        .all(|word| word.parse::<LevelFilter>().is_ok())
}

/// The async runtime the server (and PostgreSQL's connections) run on, with `workers` threads
/// ([`config::default_worker_threads`]).
fn runtime(workers: usize) -> Result<tokio::runtime::Runtime, Failure> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(workers)
        .enable_all()
        .on_thread_park(idle::worker_parked)
        .on_thread_unpark(idle::worker_unparked)
        .build()
        .map_err(|e| runtime_failure(format!("cannot start the runtime: {e}")))?;
    idle::count_workers(runtime.metrics().num_workers());
    Ok(runtime)
}

/// Opens the database of `storage`, doing to its schema what `schema` allows, and unlocks it
/// with its keys.
async fn open(storage: &Storage, schema: Schema) -> Result<(Arc<Db>, Arc<Keys>), Failure> {
    let db = Db::open(&storage.database, storage.connections, schema)
        .await
        .map_err(|OpenError::Database(reason)| {
            ConfigError(format!(
                "CREDPORT_DATABASE {} cannot be used: {reason}",
                storage.database.describe()
            ))
        })?;
    let keys = ops::keys::unlock(&db, &storage.keys)
        .await
        .map_err(|refusal| match refusal {
            Refusal::Unreadable { .. } => Failure::from(ConfigError(refusal.to_string())),
            Refusal::Database(_) => runtime_failure(refusal.to_string()),
        })?;
    Ok((db, Arc::new(keys)))
}

/// Binds, opens the database, then serves; every setting is judged before the first log line,
/// so that a refusal is the only line on stderr.
fn serve(config: ServerConfig, workers: usize) -> Result<(), Failure> {
    let listener = std::net::TcpListener::bind(config.listen)
        .and_then(|l| l.set_nonblocking(true).map(|()| l))
        .map_err(|e| {
            ConfigError(format!(
                "CREDPORT_LISTEN {} cannot be listened on: {e}",
                config.listen
            ))
        })?;
    let metrics_listener = config
        .metrics_listen
        .map(|address| {
            ops::metrics::bind(address).map_err(|e| {
                ConfigError(format!(
                    "CREDPORT_METRICS_LISTEN {address} cannot be listened on: {e}"
                ))
            })
        })
        .transpose()?;
    let runtime = runtime(workers)?;
    let served = runtime.block_on(async {
        let (db, keys) = open(&config.storage, Schema::Migrate).await?;
        if let Some(listener) = metrics_listener {
            let handle = ops::metrics::install().map_err(runtime_failure)?;
            let listener = tokio::net::TcpListener::from_std(listener)
                .map_err(|e| runtime_failure(format!("metrics failed: {e}")))?;
            if let Ok(address) = listener.local_addr() {
                tracing::info!(%address, "metrics listening");
            }
            tokio::spawn(ops::metrics::serve(listener, handle, Arc::clone(&db)));
        }
        let max_connections = listener::connection_cap(listener::raise_file_limit());
        if config.generated_admin_token {
            eprintln!(
                "credport-server: --dev admin token (shown once): {}",
                config.admin_token
            );
        }
        tracing::info!(database = %config.storage.database.describe(), "database ready");
        let workers = tokio::runtime::Handle::current().metrics().num_workers();
        tracing::info!(workers, "request threads ready");
        let rate_limiter = config
            .rate_limit
            .map(|n| Arc::new(RateLimiter::new(&db, n)));
        if matches!(rate_limiter.as_deref(), Some(RateLimiter::Shared { .. })) {
            tokio::spawn(ratelimit::purge_periodically(Arc::clone(&db)));
        }
        tokio::spawn(idempotency::purge_periodically(Arc::clone(&db)));
        tokio::spawn(connect::wipe_expired_verifiers_periodically(Arc::clone(
            &db,
        )));
        tokio::spawn(events::log::purge_periodically(
            Arc::clone(&db),
            config.event_retention_days,
        ));
        let deliverer = Deliverer::new(Arc::clone(&db), Arc::clone(&keys), config.webhooks.clone())
            .map_err(runtime_failure)?;
        let stopping = CancellationToken::new();
        let delivering = tokio::spawn(deliverer.run(stopping.clone()));
        let refresher = Refresher::new(Arc::clone(&db), Arc::clone(&keys), config.refresh_timeout)
            .map(Arc::new)
            .map_err(runtime_failure)?;
        let auth = Authenticator::new(
            Arc::clone(&db),
            Arc::clone(&keys),
            &config.admin_token,
            rate_limiter,
            config.auth_failure_burst,
        );
        let public_url = match &config.public_url {
            Some(url) => url.clone(),
            None => config::default_public_url(
                listener
                    .local_addr()
                    .map_err(|e| runtime_failure(format!("server failed: {e}")))?,
            ),
        };
        let cors_origins = config.cors.as_ref().map(|c| c.listed()).unwrap_or_default();
        let connector = Connector::new(
            Arc::clone(&db),
            Arc::clone(&keys),
            &public_url,
            &cors_origins,
            config.refresh_timeout,
        )
        .map(Arc::new)
        .map_err(runtime_failure)?;
        let app = App::new(Handles {
            db,
            keys,
            auth: Arc::new(auth),
            refresher: Arc::clone(&refresher),
            connector: Arc::clone(&connector),
            webhook_allow_private: config.webhooks.allow_private,
        });
        let service = server::service(app, config.cors.as_ref()).map_err(runtime_failure)?;
        let listener = tokio::net::TcpListener::from_std(listener)
            .map_err(|e| runtime_failure(format!("server failed: {e}")))?;
        let detached = async move {
            tokio::join!(refresher.landed(), connector.landed());
            // It stopped taking deliveries at the signal and ends once its attempts in flight
            // have; ended otherwise (a panic), it has nothing left to wait for.
            let _ = delivering.await;
        };
        let grace = server::shutdown_grace(config.refresh_timeout);
        server::serve(
            listener,
            service,
            max_connections,
            grace,
            stopping,
            detached,
        )
        .await
        .map_err(|e| runtime_failure(format!("server failed: {e}")))
    });
    if let (true, Database::Sqlite(path)) = (config.storage.temporary, &config.storage.database) {
        crate::db::sqlite::remove_files(path);
    }
    served
}

fn run_demo(storage: Storage, public_url: &str, workers: usize) -> Result<(), Failure> {
    let seeded = runtime(workers)?.block_on(async {
        // A database of its own, or one servers use (PostgreSQL's, shared): never moved to
        // another release's schema under them.
        let (db, keys) = open(&storage, Schema::CreateIfNew).await?;
        let connector = Connector::new(
            Arc::clone(&db),
            Arc::clone(&keys),
            public_url,
            &[],
            config::DEFAULT_REFRESH_TIMEOUT,
        )
        .map_err(runtime_failure)?;
        demo::seed(&db, &keys, Arc::new(connector))
            .await
            .map_err(|e| runtime_failure(format!("demo data could not be written: {e}")))
    })?;
    eprintln!(
        "credport-server demo: to connect google by hand, run `node scripts/demo-provider.mjs` (the \
         stand-in provider) and credport-server on this database at {public_url}, then open this \
         link in a browser within 10 minutes (it works once):\n  {}",
        seeded.connect_url
    );
    println!("{}", seeded.line);
    Ok(())
}

fn run_reencrypt(storage: Storage, batch: u32, workers: usize) -> Result<(), Failure> {
    // Opening a missing file would make an empty database, and its "0 secrets under the old
    // key" would read as a rotation finished: a mistyped path must say so instead.
    if let Database::Sqlite(path) = &storage.database {
        if std::fs::metadata(path).is_err_and(|e| e.kind() == std::io::ErrorKind::NotFound) {
            return Err(Failure::from(ConfigError(format!(
                "CREDPORT_DATABASE {} does not exist: reencrypt works on an existing database",
                path.display()
            ))));
        }
    }
    let printer = ops::reencrypt::Printer {
        terminal: std::io::stderr().is_terminal(),
    };
    let lines = runtime(workers)?.block_on(async {
        // Run from any machine while the servers serve: a newer binary that migrated the
        // database would have every older instance refuse to start again.
        let (db, keys) = open(&storage, Schema::AsFound).await?;
        let outcome = ops::reencrypt::run(&db, Arc::clone(&keys), batch, &mut |p| printer.show(p))
            .await
            .map_err(|e| {
                runtime_failure(format!("reencrypt stopped: {e}; run it again to resume"))
            })?;
        printer.finish();
        Ok::<_, Failure>(ops::reencrypt::summary(&keys, &outcome))
    })?;
    for line in lines {
        println!("{line}");
    }
    Ok(())
}

fn run_backup(database: &Database, target: &std::path::Path) -> Result<(), Failure> {
    let starting = |size| {
        eprintln!(
            "credport-server: backing up {} ({size} bytes) to {}…",
            database.describe(),
            target.display()
        )
    };
    let bytes = ops::backup::run(database, target, starting).map_err(|e| match e {
        BackupError::Failed(_) => runtime_failure(e.to_string()),
        refused => Failure::from(ConfigError(refused.to_string())),
    })?;
    println!(
        "backed up {} to {} ({bytes} bytes)",
        database.describe(),
        target.display()
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_log_filters_bare_words_are_levels() {
        for kept in [
            "info",
            "WARN",
            "off",
            "warn,credport_server=debug",
            "credport_server::http=trace, info",
            "[request]",
            "",
        ] {
            assert!(bare_words_are_levels(kept), "{kept}");
        }
        for refused in ["warning", "infp", "info,credport_server", "errors"] {
            assert!(!bare_words_are_levels(refused), "{refused}");
        }
    }
}
