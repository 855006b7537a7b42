//! Settings: from flags or `CREDPORT_*` variables (a flag wins), checked before anything
//! starts. A bad one is reported in one line naming it, never echoing a secret value.

use std::net::{SocketAddr, ToSocketAddrs};
use std::path::PathBuf;
use std::time::Duration;

use axum::http::HeaderValue;
use clap::{Args, Parser, Subcommand};

use crate::crypto::{self, KeyRing};
use crate::db::{Connections, Database};

#[derive(Parser)]
#[command(
    name = "credport-server",
    version,
    about = "The reference HTTP server of the credport API",
    after_help = "Every setting can also be given as its CREDPORT_* environment variable; a flag wins.\n\
                  Give secrets (the admin token, the encryption keys, a database URL with a password)\n\
                  as variables: a flag is shown to every user of the machine in its process list.\n\
                  Logs go to stderr; CREDPORT_LOG (or RUST_LOG) sets their level, default info."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub settings: SettingArgs,
}

#[derive(Clone, Subcommand)]
pub enum Command {
    /// Run the server (the default).
    Serve,
    /// Add a demo site with connections and a token to the database, print its ids as one JSON
    /// line and exit.
    Demo,
    /// Copy the SQLite database, while the server runs, into a new file FILE (start on the
    /// copy to restore it; its secrets stay encrypted). For PostgreSQL use pg_dump.
    Backup {
        /// The copy to make; it must not exist yet.
        file: PathBuf,
    },
    /// Rewrite every stored secret under CREDPORT_ENCRYPTION_KEY (online, resumable), then print
    /// how many secrets each key id still holds.
    Reencrypt {
        /// Rows rewritten per transaction.
        #[arg(long, default_value_t = crate::ops::reencrypt::DEFAULT_BATCH,
              value_parser = clap::value_parser!(u32).range(1..=10_000))]
        batch: u32,
    },
}

/// The raw settings; [`SettingArgs::server`] and [`SettingArgs::storage`] check them.
#[derive(Args)]
pub struct SettingArgs {
    /// Address to listen on; port 0 picks a free port.
    #[arg(
        long,
        env = "CREDPORT_LISTEN",
        default_value = "127.0.0.1:8787",
        global = true
    )]
    listen: String,
    /// SQLite database file, created on first start, or a postgres:// URL [default:
    /// ./credport.db; with --dev a temporary file].
    /// (Read as an `OsString`, not a `PathBuf`: clap refuses an empty path in its own words,
    /// naming the flag, before [`SettingArgs::database`] can name the setting.)
    #[arg(long, env = "CREDPORT_DATABASE", hide_env_values = true, global = true)]
    database: Option<std::ffi::OsString>,
    /// Bearer token of the /v1/admin routes, at least 32 characters (required unless --dev).
    #[arg(
        long,
        env = "CREDPORT_ADMIN_TOKEN",
        hide_env_values = true,
        global = true
    )]
    admin_token: Option<String>,
    /// At-rest encryption key: 32 random bytes as 64 hex characters (required unless --dev).
    #[arg(
        long,
        env = "CREDPORT_ENCRYPTION_KEY",
        hide_env_values = true,
        global = true
    )]
    encryption_key: Option<String>,
    /// Earlier encryption keys, comma-separated, same form: they decrypt, never encrypt (for
    /// rotating the key: see `credport-server reencrypt`).
    #[arg(
        long,
        env = "CREDPORT_ENCRYPTION_KEYS_OLD",
        hide_env_values = true,
        global = true
    )]
    encryption_keys_old: Option<String>,
    /// Address of the Prometheus metrics listener (GET /metrics) [default: off].
    #[arg(long, env = "CREDPORT_METRICS_LISTEN", global = true)]
    metrics_listen: Option<String>,
    /// Requests per second allowed to each user (all of its tokens together) and to the admin
    /// token [default: no limit].
    #[arg(long, env = "CREDPORT_RATE_LIMIT", global = true)]
    rate_limit: Option<String>,
    /// Wrong tokens one client address may present in a burst before it is throttled (one
    /// more a second after that) [default: 30].
    #[arg(long, env = "CREDPORT_AUTH_FAILURE_BURST", global = true)]
    auth_failure_burst: Option<String>,
    /// Origins allowed by CORS: `*` or a comma-separated list [default: CORS off].
    #[arg(long, env = "CREDPORT_CORS_ORIGINS", global = true)]
    cors_origins: Option<String>,
    /// The server's address as browsers reach it, e.g. `https://credport.example.com` behind a
    /// proxy; connect's redirect URI is this plus /oauth/callback [default: http:// and the
    /// listen address].
    #[arg(long, env = "CREDPORT_PUBLIC_URL", global = true)]
    public_url: Option<String>,
    /// Seconds allowed for one call to a provider's token endpoint [default: 10].
    #[arg(long, env = "CREDPORT_REFRESH_TIMEOUT", global = true)]
    refresh_timeout: Option<String>,
    /// PostgreSQL connections per instance, 1 to 1000 [default: 4 per core, 16 to 32].
    #[arg(long, env = "CREDPORT_DATABASE_POOL_SIZE", global = true)]
    database_pool_size: Option<String>,
    /// SQLite read-only connections, 1 to 256 [default: one per core, at least 4].
    #[arg(long, env = "CREDPORT_SQLITE_READERS", global = true)]
    sqlite_readers: Option<String>,
    /// Threads that serve requests, 1 to 1024 [default: the cores on SQLite; on PostgreSQL one
    /// fewer, at least 1].
    #[arg(long, env = "CREDPORT_WORKER_THREADS", global = true)]
    worker_threads: Option<String>,
    /// Days events are kept before the server removes them [default: 90].
    #[arg(long, env = "CREDPORT_EVENT_RETENTION_DAYS", global = true)]
    event_retention_days: Option<String>,
    /// `true` allows webhook endpoints on loopback and private addresses, and `http://` (a
    /// receiver on your own machine; --dev allows them too) [default: false].
    #[arg(long, env = "CREDPORT_WEBHOOK_ALLOW_PRIVATE", global = true)]
    webhook_allow_private: Option<String>,
    /// Seconds to wait after each failed webhook delivery, comma-separated; the delivery fails
    /// after the last [default: 5,60,300,1800,7200,18000,36000,36000]. For tests: e.g. 1,1,1.
    #[arg(long, env = "CREDPORT_WEBHOOK_RETRY_SCHEDULE", global = true)]
    webhook_retry_schedule: Option<String>,
    /// Development mode: a throwaway admin token (printed once to stderr), encryption key and,
    /// unless --database is given, database.
    #[arg(long, global = true)]
    dev: bool,
}

/// A setting that stops the start, in one line.
#[derive(Debug)]
pub struct ConfigError(pub String);

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

fn bad(message: impl Into<String>) -> ConfigError {
    ConfigError(message.into())
}

/// Where the data is and the keys that protect it.
pub struct Storage {
    pub database: Database,
    /// A `--dev` database, removed when the server stops.
    pub temporary: bool,
    pub keys: KeyRing,
    pub connections: Connections,
}

/// Everything `serve` needs.
pub struct ServerConfig {
    pub listen: SocketAddr,
    pub storage: Storage,
    pub admin_token: String,
    /// Set when `--dev` made the admin token up: it is printed once.
    pub generated_admin_token: bool,
    pub rate_limit: Option<u32>,
    /// `CREDPORT_AUTH_FAILURE_BURST`.
    pub auth_failure_burst: u32,
    pub cors: Option<CorsOrigins>,
    pub refresh_timeout: Duration,
    /// `CREDPORT_PUBLIC_URL`, checked; `None` for the default made from the bound address.
    pub public_url: Option<String>,
    /// Where Prometheus metrics are served; `None`: not at all.
    pub metrics_listen: Option<SocketAddr>,
    pub event_retention_days: u32,
    pub webhooks: crate::events::deliverer::Settings,
}

pub enum CorsOrigins {
    Any,
    List(Vec<HeaderValue>),
}

const DEFAULT_DATABASE: &str = "./credport.db";
/// The default time allowed for one call to a token endpoint (`CREDPORT_REFRESH_TIMEOUT`).
pub const DEFAULT_REFRESH_TIMEOUT: Duration = Duration::from_secs(10);
/// Shortest admin token: 32 characters, so that even a token of letters and digits only holds
/// about 190 bits.
const MIN_ADMIN_TOKEN: usize = 32;

impl SettingArgs {
    pub fn server(&self) -> Result<ServerConfig, ConfigError> {
        let listen = address("CREDPORT_LISTEN", &self.listen)?;
        let metrics_listen = self
            .metrics_listen
            .as_deref()
            .map(|v| address("CREDPORT_METRICS_LISTEN", v))
            .transpose()?;
        let rate_limit = self.rate_limit.as_deref().map(rate_limit).transpose()?;
        let auth_failure_burst = self
            .auth_failure_burst
            .as_deref()
            .map(auth_failure_burst)
            .transpose()?
            .unwrap_or(DEFAULT_AUTH_FAILURE_BURST);
        let cors = self.cors_origins.as_deref().map(cors_origins).transpose()?;
        let public_url = self.public_url.as_deref().map(public_url).transpose()?;
        let refresh_timeout = self
            .refresh_timeout
            .as_deref()
            .map(refresh_timeout)
            .transpose()?
            .unwrap_or(DEFAULT_REFRESH_TIMEOUT);
        let (admin_token, generated_admin_token) =
            match (&self.admin_token, self.dev) {
                (Some(token), _) => (admin_token(token)?, false),
                (None, true) => (
                    crypto::random_base62(40).map_err(|_| random_failed())?,
                    true,
                ),
                (None, false) => return Err(bad(
                    "CREDPORT_ADMIN_TOKEN is required (or run with --dev for a throwaway server)",
                )),
            };
        let event_retention_days = self
            .event_retention_days
            .as_deref()
            .map(retention_days)
            .transpose()?
            .unwrap_or(crate::events::log::DEFAULT_RETENTION_DAYS);
        let allow_private = match self.webhook_allow_private.as_deref().map(str::trim) {
            None | Some("false") => false,
            Some("true") => true,
            Some(_) => return Err(bad("CREDPORT_WEBHOOK_ALLOW_PRIVATE must be true or false")),
        };
        let schedule = self
            .webhook_retry_schedule
            .as_deref()
            .map(retry_schedule)
            .transpose()?
            .unwrap_or_else(|| {
                crate::events::deliverer::DEFAULT_SCHEDULE
                    .map(Duration::from_secs)
                    .to_vec()
            });
        Ok(ServerConfig {
            event_retention_days,
            webhooks: crate::events::deliverer::Settings {
                allow_private: allow_private || self.dev,
                schedule,
            },
            listen,
            storage: self.storage_with(match self.dev {
                true => Dev::On,
                false => Dev::Off,
            })?,
            admin_token,
            generated_admin_token,
            rate_limit,
            auth_failure_burst,
            cors,
            refresh_timeout,
            public_url,
            metrics_listen,
        })
    }

    /// `CREDPORT_WORKER_THREADS`, else [`default_worker_threads`] for this machine's cores and
    /// the `database`.
    pub fn worker_threads(&self, database: &Database) -> Result<usize, ConfigError> {
        match &self.worker_threads {
            Some(value) => count("CREDPORT_WORKER_THREADS", value, 1024, "threads"),
            None => Ok(default_worker_threads(
                std::thread::available_parallelism().map_or(1, |n| n.get()),
                database,
            )),
        }
    }

    /// Where the server that will serve `demo`'s data is reached: `CREDPORT_PUBLIC_URL`, or the
    /// default made from `CREDPORT_LISTEN`.
    pub fn demo_public_url(&self) -> Result<String, ConfigError> {
        match &self.public_url {
            Some(url) => public_url(url),
            None => Ok(default_public_url(address(
                "CREDPORT_LISTEN",
                &self.listen,
            )?)),
        }
    }

    /// The settings of `demo` and `reencrypt`, which work on data meant to be read later: no
    /// `--dev`.
    pub fn storage(&self, command: &str) -> Result<Storage, ConfigError> {
        if self.dev {
            return Err(bad(format!(
                "--dev cannot be used with {command}: its throwaway key would make the data unreadable"
            )));
        }
        self.storage_with(Dev::Refused)
    }

    /// `CREDPORT_DATABASE` alone, for `backup`, which needs no key: the copy stays encrypted.
    pub fn database(&self) -> Result<Database, ConfigError> {
        match &self.database {
            Some(path) if path.is_empty() => Err(bad("CREDPORT_DATABASE must not be empty")),
            Some(path) => Database::parse(std::path::Path::new(path))
                .map_err(|why| bad(format!("CREDPORT_DATABASE {why}"))),
            None => Ok(Database::Sqlite(PathBuf::from(DEFAULT_DATABASE))),
        }
    }

    fn storage_with(&self, mode: Dev) -> Result<Storage, ConfigError> {
        let dev = mode == Dev::On;
        let encryption_key = match (&self.encryption_key, mode) {
            (Some(key), _) => encryption_key(key)?,
            (None, Dev::On) => crypto::random_key().map_err(|_| random_failed())?,
            (None, _) => {
                let or_dev = match mode {
                    Dev::Off => " (or run with --dev)",
                    _ => "",
                };
                return Err(bad(format!(
                    "CREDPORT_ENCRYPTION_KEY is required: 64 hex characters (32 random bytes), \
                     e.g. from `openssl rand -hex 32`{or_dev}"
                )));
            }
        };
        let (database, temporary) = match &self.database {
            Some(_) => (self.database()?, false),
            None if dev => {
                let suffix = crypto::random_base62(12).map_err(|_| random_failed())?;
                let name = format!("credport-dev-{suffix}.db");
                (Database::Sqlite(std::env::temp_dir().join(name)), true)
            }
            None => (Database::Sqlite(PathBuf::from(DEFAULT_DATABASE)), false),
        };
        let old = match &self.encryption_keys_old {
            Some(list) => old_keys(list)?,
            None => Vec::new(),
        };
        let defaults = Connections::for_this_machine();
        let connections = Connections {
            pool_size: match &self.database_pool_size {
                Some(value) => count("CREDPORT_DATABASE_POOL_SIZE", value, 1000, "connections")?,
                None => defaults.pool_size,
            },
            sqlite_readers: match &self.sqlite_readers {
                Some(value) => count("CREDPORT_SQLITE_READERS", value, 256, "connections")?,
                None => defaults.sqlite_readers,
            },
        };
        Ok(Storage {
            database,
            temporary,
            connections,
            keys: KeyRing {
                current: encryption_key,
                old,
            },
        })
    }
}

/// A thread per core serves requests on SQLite, whose reads run on them. On PostgreSQL one
/// fewer (at least one): there a request spends most of its time waiting for the database's
/// answer, a worker left without a task parks and is woken through the kernel for the next
/// answer, and the fewer the workers, the more answers each finds waiting when it wakes. Measured
/// on 2 cores (PostgreSQL and the load on the same machine, docs/performance.md): one worker
/// against two, 25-37 % less CPU per request and 30-60 % more requests a second on PostgreSQL; on
/// SQLite no difference beyond the noise, and fewer requests a second in some runs.
pub fn default_worker_threads(cores: usize, database: &Database) -> usize {
    match database {
        Database::Sqlite(_) => cores.max(1),
        Database::Postgres(_) => cores.saturating_sub(1).max(1),
    }
}

fn random_failed() -> ConfigError {
    bad("--dev needs the system random source, which failed")
}

/// The address of the listener setting `name`.
fn address(name: &str, value: &str) -> Result<SocketAddr, ConfigError> {
    value
        .to_socket_addrs()
        .ok()
        .and_then(|mut addrs| addrs.next())
        .ok_or_else(|| bad(format!("{name} must be HOST:PORT, such as 127.0.0.1:8787")))
}

fn admin_token(value: &str) -> Result<String, ConfigError> {
    let visible = value.bytes().all(|b| b.is_ascii_graphic());
    if value.len() < MIN_ADMIN_TOKEN || !visible {
        return Err(bad(format!(
            "CREDPORT_ADMIN_TOKEN must be at least {MIN_ADMIN_TOKEN} printable ASCII characters without spaces"
        )));
    }
    if one_repeated(value.as_bytes()) {
        return Err(bad(
            "CREDPORT_ADMIN_TOKEN must not be one character repeated; use a random one, e.g. from `openssl rand -hex 24`",
        ));
    }
    Ok(value.to_owned())
}

fn encryption_key(value: &str) -> Result<[u8; 32], ConfigError> {
    key_named("CREDPORT_ENCRYPTION_KEY", value)
}

/// `CREDPORT_ENCRYPTION_KEYS_OLD`: keys in the same form, separated by commas (blank entries,
/// as a trailing comma makes, are ignored).
fn old_keys(list: &str) -> Result<Vec<[u8; 32]>, ConfigError> {
    list.split(',')
        .map(str::trim)
        .filter(|entry| !entry.is_empty())
        .enumerate()
        .map(|(i, entry)| {
            key_named(
                &format!("CREDPORT_ENCRYPTION_KEYS_OLD entry {}", i + 1),
                entry,
            )
        })
        .collect()
}

fn key_named(name: &str, value: &str) -> Result<[u8; 32], ConfigError> {
    let mut key = [0u8; 32];
    if hex::decode_to_slice(value, &mut key).is_err() {
        return Err(bad(format!("{name} must be 64 hex characters (32 bytes)")));
    }
    // All zeros and the like: a placeholder, not a key.
    if one_repeated(&key) {
        return Err(bad(format!(
            "{name} must not be one byte repeated; use 32 random bytes, e.g. from `openssl rand -hex 32`"
        )));
    }
    Ok(key)
}

/// Whether every byte equals the first: a placeholder (`0000…`, `aaaa…`) rather than a secret.
fn one_repeated(bytes: &[u8]) -> bool {
    bytes.windows(2).all(|pair| pair[0] == pair[1])
}

fn rate_limit(value: &str) -> Result<u32, ConfigError> {
    match value.trim().parse::<u32>() {
        Ok(n) if n >= 1 => Ok(n),
        _ => Err(bad(
            "CREDPORT_RATE_LIMIT must be a whole number of requests per second, 1 or more",
        )),
    }
}

/// Wrong tokens one address may present before it is throttled: tokens are 40 random
/// characters and the admin token at least 32, so this is about load and noise, not about making
/// a guess likely. (A test tool that sends many wrong tokens on purpose raises it.)
const DEFAULT_AUTH_FAILURE_BURST: u32 = 30;

/// A whole number from 1 to `most`.
fn count(name: &str, value: &str, most: usize, what: &str) -> Result<usize, ConfigError> {
    match value.trim().parse::<usize>() {
        Ok(n) if (1..=most).contains(&n) => Ok(n),
        _ => Err(bad(format!(
            "{name} must be a whole number of {what} from 1 to {most}"
        ))),
    }
}

fn auth_failure_burst(value: &str) -> Result<u32, ConfigError> {
    match value.trim().parse::<u32>() {
        Ok(n) if (1..=1_000_000).contains(&n) => Ok(n),
        _ => Err(bad(
            "CREDPORT_AUTH_FAILURE_BURST must be a whole number of wrong tokens from 1 to 1000000",
        )),
    }
}

fn refresh_timeout(value: &str) -> Result<Duration, ConfigError> {
    match value.trim().parse::<u64>() {
        Ok(n) if (1..=120).contains(&n) => Ok(Duration::from_secs(n)),
        _ => Err(bad(
            "CREDPORT_REFRESH_TIMEOUT must be a whole number of seconds from 1 to 120",
        )),
    }
}

/// Whether `--dev` is on, off, or not allowed by the command (whose data outlives the run): a
/// missing key's message suggests `--dev` only where it would help.
#[derive(Clone, Copy, PartialEq)]
enum Dev {
    On,
    Off,
    Refused,
}

/// `https://host[:port][/path]` (or `http://` on a loopback host), without a query: the
/// redirect URI registered at providers is made from it. A trailing `/` is dropped.
fn public_url(value: &str) -> Result<String, ConfigError> {
    let invalid = || {
        bad("CREDPORT_PUBLIC_URL must be the https:// address browsers reach the server at (http:// on a loopback host), without a query, such as https://credport.example.com")
    };
    credport_model::validate::secure_url("public_url", value).map_err(|_| invalid())?;
    if value.contains('?') {
        return Err(invalid());
    }
    Ok(value.trim_end_matches('/').to_owned())
}

/// The default `CREDPORT_PUBLIC_URL`: `http://` and the address the server listens on, with
/// an unspecified address (`0.0.0.0`, `[::]`) read as this machine's loopback one.
pub fn default_public_url(listening: SocketAddr) -> String {
    let mut address = listening;
    if address.ip().is_unspecified() {
        address.set_ip(match address.ip() {
            std::net::IpAddr::V4(_) => std::net::Ipv4Addr::LOCALHOST.into(),
            std::net::IpAddr::V6(_) => std::net::Ipv6Addr::LOCALHOST.into(),
        });
    }
    format!("http://{address}")
}

impl CorsOrigins {
    /// The listed origins (none for `*`).
    pub fn listed(&self) -> Vec<String> {
        match self {
            Self::Any => Vec::new(),
            Self::List(list) => list
                .iter()
                .filter_map(|o| o.to_str().ok().map(str::to_owned))
                .collect(),
        }
    }
}

fn retention_days(value: &str) -> Result<u32, ConfigError> {
    match value.trim().parse::<u32>() {
        Ok(n) if (1..=36_500).contains(&n) => Ok(n),
        _ => Err(bad(
            "CREDPORT_EVENT_RETENTION_DAYS must be a whole number of days from 1 to 36500",
        )),
    }
}

/// Whole seconds, comma-separated: 1 to 20 waits of 1 s to a day each.
fn retry_schedule(value: &str) -> Result<Vec<Duration>, ConfigError> {
    let waits = value
        .split(',')
        .map(|part| match part.trim().parse::<u64>() {
            Ok(n) if (1..=86_400).contains(&n) => Some(Duration::from_secs(n)),
            _ => None,
        })
        .collect::<Option<Vec<_>>>()
        .filter(|waits| (1..=20).contains(&waits.len()));
    waits.ok_or_else(|| {
        bad("CREDPORT_WEBHOOK_RETRY_SCHEDULE must be 1 to 20 comma-separated whole numbers of seconds from 1 to 86400")
    })
}

/// `*`, or origins as a browser writes them in `Origin` (the scheme and host in lower case, no
/// default port), which is how they are compared, byte for byte: `https://App.example.com:443`
/// is kept as `https://app.example.com`. What a browser never sends (a path, a query, user
/// info, a wildcard, a host not in ASCII) is refused, naming it, rather than never matching.
fn cors_origins(value: &str) -> Result<CorsOrigins, ConfigError> {
    if value.trim() == "*" {
        return Ok(CorsOrigins::Any);
    }
    let origins = value
        .split(',')
        .map(str::trim)
        .map(|origin| {
            let invalid = || {
                bad(format!(
                    "CREDPORT_CORS_ORIGINS must be * or comma-separated origins such as \
                     https://app.example.com (scheme://host[:port]), not {origin:?}"
                ))
            };
            let lower = origin.to_ascii_lowercase();
            let authority = lower
                .strip_prefix("https://")
                .or_else(|| lower.strip_prefix("http://"))
                .ok_or_else(invalid)?;
            let (host, port) = match authority.rsplit_once(':') {
                Some((host, port)) if !port.contains(']') => (host, Some(port)),
                _ => (authority, None),
            };
            let host_ok = match host.strip_prefix('[') {
                Some(v6) => v6
                    .strip_suffix(']')
                    .is_some_and(|ip| ip.parse::<std::net::Ipv6Addr>().is_ok()),
                None => {
                    !host.is_empty()
                        && host
                            .bytes()
                            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
                }
            };
            let port_ok = port.is_none_or(|p| p.parse::<u16>().is_ok_and(|p| p > 0));
            if !host_ok || !port_ok {
                return Err(invalid());
            }
            HeaderValue::from_str(&credport_model::validate::origin(origin)).map_err(|_| invalid())
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(CorsOrigins::List(origins))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connection_counts_follow_the_cores_within_bounds() {
        let two = Connections::for_cores(2);
        assert_eq!((two.pool_size, two.sqlite_readers), (16, 4));
        let sixteen = Connections::for_cores(16);
        assert_eq!((sixteen.pool_size, sixteen.sqlite_readers), (32, 16));
        assert_eq!(count("X", " 32 ", 1000, "connections").unwrap(), 32);
        let sqlite = Database::parse(std::path::Path::new("data.db")).unwrap();
        let postgres = Database::parse(std::path::Path::new("postgres://u@db/credport")).unwrap();
        let workers = |database| [1, 2, 16].map(|cores| default_worker_threads(cores, database));
        assert_eq!(workers(&sqlite), [1, 2, 16], "the cores");
        assert_eq!(workers(&postgres), [1, 1, 15], "one fewer, at least one");
        for refused in ["0", "1001", "-1", "4.5", ""] {
            let why = count("X", refused, 1000, "connections").unwrap_err().0;
            assert_eq!(
                why,
                "X must be a whole number of connections from 1 to 1000"
            );
        }
    }

    #[test]
    fn settings_are_checked() {
        assert!(address("CREDPORT_LISTEN", "127.0.0.1:0").is_ok());
        assert!(address("CREDPORT_LISTEN", "nonsense").is_err());
        assert!(encryption_key(&"0123456789abcdef".repeat(4)).is_ok());
        assert!(encryption_key(&"ab".repeat(31)).is_err());
        assert!(encryption_key(&"zz".repeat(32)).is_err());
        assert!(encryption_key(&"00".repeat(32)).is_err());
        assert!(encryption_key(&"ab".repeat(32)).is_err());
        let (a, b) = ("0123456789abcdef".repeat(4), "fedcba9876543210".repeat(4));
        assert_eq!(old_keys(&format!("{a}, {b},")).unwrap().len(), 2);
        let refused = old_keys(&format!("{a},{}", "00".repeat(32))).unwrap_err().0;
        assert!(
            refused.starts_with("CREDPORT_ENCRYPTION_KEYS_OLD entry 2 "),
            "{refused}"
        );
        assert!(!refused.contains(&a), "no key in the message");
        assert!(admin_token("short").is_err());
        assert!(admin_token("a token with spaces! and more than 32 of them").is_err());
        assert!(admin_token("0123456789abcdef").is_err());
        assert!(admin_token(&"a".repeat(40)).is_err());
        assert!(admin_token("0123456789abcdef0123456789abcdef").is_ok());
        assert!(rate_limit("0").is_err());
        assert!(auth_failure_burst("0").is_err());
        assert!(auth_failure_burst("ten").is_err());
        assert_eq!(auth_failure_burst(" 500 ").unwrap(), 500);
        assert_eq!(rate_limit("5").unwrap(), 5);
        assert!(refresh_timeout("0").is_err());
        assert_eq!(refresh_timeout("3").unwrap(), Duration::from_secs(3));
        assert!(retention_days("0").is_err());
        assert_eq!(retention_days("90").unwrap(), 90);
        assert_eq!(retry_schedule("1, 2").unwrap().len(), 2);
        assert!(retry_schedule("1,,2").is_err());
        assert!(retry_schedule("0").is_err());
        assert!(matches!(cors_origins("*"), Ok(CorsOrigins::Any)));
        assert_eq!(
            public_url("https://credport.example.com/").unwrap(),
            "https://credport.example.com"
        );
        assert!(public_url("http://credport.example.com").is_err());
        assert!(public_url("https://credport.example.com/?x=1").is_err());
        assert_eq!(
            default_public_url("0.0.0.0:8787".parse().unwrap()),
            "http://127.0.0.1:8787"
        );
        assert!(cors_origins("https://a.example, http://localhost:3000").is_ok());
        let Ok(CorsOrigins::List(kept)) =
            cors_origins("https://App.Example.com:443, HTTP://[::1]:80, http://a.example:8080")
        else {
            panic!("refused")
        };
        assert_eq!(
            kept,
            [
                "https://app.example.com",
                "http://[::1]",
                "http://a.example:8080"
            ]
        );
        for never_sent in [
            "a.example",
            "https://a.example/path",
            "https://a.example?x",
            "https://u@a.example",
            "https://*.example.com",
            "https://bücher.example",
            "https://a.example:0",
            "https://a.example:99999",
            "https://",
        ] {
            let refused = cors_origins(never_sent).err().map(|e| e.to_string());
            assert!(
                refused.is_some_and(|e| e.contains(never_sent)),
                "{never_sent}"
            );
        }
    }
}
