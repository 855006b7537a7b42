//! Settings: from flags or `CREDPORT_*` variables (a flag wins), checked before anything
//! starts. A bad one is reported in one line naming it, never echoing a secret value.

use std::net::{SocketAddr, ToSocketAddrs};
use std::path::PathBuf;
use std::time::Duration;

use axum::http::HeaderValue;
use clap::{Args, Parser, Subcommand};

use crate::crypto;
use crate::db::Database;

#[derive(Parser)]
#[command(
    name = "credport-server",
    version,
    about = "The reference HTTP server of the credport API",
    after_help = "Every setting can also be given as its CREDPORT_* environment variable; a flag wins.\n\
                  Logs go to stderr; CREDPORT_LOG (or RUST_LOG) sets their level, default info."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub settings: SettingArgs,
}

#[derive(Clone, Copy, Subcommand)]
pub enum Command {
    /// Run the server (the default).
    Serve,
    /// Add a demo site with connections and a token to the database, print its ids as one JSON
    /// line and exit.
    Demo,
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
    #[arg(long, env = "CREDPORT_DATABASE", global = true)]
    database: Option<PathBuf>,
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
    /// Requests per second allowed to each token [default: no limit].
    #[arg(long, env = "CREDPORT_RATE_LIMIT", global = true)]
    rate_limit: Option<String>,
    /// Origins allowed by CORS: `*` or a comma-separated list [default: CORS off].
    #[arg(long, env = "CREDPORT_CORS_ORIGINS", global = true)]
    cors_origins: Option<String>,
    /// The server's address as browsers reach it, e.g. https://credport.example.com behind a
    /// proxy; connect's redirect URI is this plus /oauth/callback [default: http:// and the
    /// listen address].
    #[arg(long, env = "CREDPORT_PUBLIC_URL", global = true)]
    public_url: Option<String>,
    /// Seconds allowed for one call to a provider's token endpoint [default: 10].
    #[arg(long, env = "CREDPORT_REFRESH_TIMEOUT", global = true)]
    refresh_timeout: Option<String>,
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

/// Where the data is and the key that protects it.
pub struct Storage {
    pub database: Database,
    /// A `--dev` database, removed when the server stops.
    pub temporary: bool,
    pub encryption_key: [u8; 32],
}

/// Everything `serve` needs.
pub struct ServerConfig {
    pub listen: SocketAddr,
    pub storage: Storage,
    pub admin_token: String,
    /// Set when `--dev` made the admin token up: it is printed once.
    pub generated_admin_token: bool,
    pub rate_limit: Option<u32>,
    pub cors: Option<CorsOrigins>,
    pub refresh_timeout: Duration,
    /// `CREDPORT_PUBLIC_URL`, checked; `None` for the default made from the bound address.
    pub public_url: Option<String>,
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
        let listen = listen(&self.listen)?;
        let rate_limit = self.rate_limit.as_deref().map(rate_limit).transpose()?;
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
        Ok(ServerConfig {
            listen,
            storage: self.storage_with(self.dev)?,
            admin_token,
            generated_admin_token,
            rate_limit,
            cors,
            refresh_timeout,
            public_url,
        })
    }

    /// Where the server that will serve `demo`'s data is reached: `CREDPORT_PUBLIC_URL`, or the
    /// default made from `CREDPORT_LISTEN`.
    pub fn demo_public_url(&self) -> Result<String, ConfigError> {
        match &self.public_url {
            Some(url) => public_url(url),
            None => Ok(default_public_url(listen(&self.listen)?)),
        }
    }

    /// The settings of `demo`, which writes data meant to be read later: no `--dev`.
    pub fn storage(&self) -> Result<Storage, ConfigError> {
        if self.dev {
            return Err(bad(
                "--dev cannot be used with demo: its throwaway key would make the data unreadable",
            ));
        }
        self.storage_with(false)
    }

    fn storage_with(&self, dev: bool) -> Result<Storage, ConfigError> {
        let encryption_key =
            match (&self.encryption_key, dev) {
                (Some(key), _) => encryption_key(key)?,
                (None, true) => crypto::random_key().map_err(|_| random_failed())?,
                (None, false) => return Err(bad(
                    "CREDPORT_ENCRYPTION_KEY is required: 64 hex characters (32 random bytes), \
                     e.g. from `openssl rand -hex 32` (or run with --dev)",
                )),
            };
        let (database, temporary) = match &self.database {
            Some(path) if path.as_os_str().is_empty() => {
                return Err(bad("CREDPORT_DATABASE must not be empty"))
            }
            Some(path) => (
                Database::parse(path).map_err(|why| bad(format!("CREDPORT_DATABASE {why}")))?,
                false,
            ),
            None if dev => {
                let suffix = crypto::random_base62(12).map_err(|_| random_failed())?;
                let name = format!("credport-dev-{suffix}.db");
                (Database::Sqlite(std::env::temp_dir().join(name)), true)
            }
            None => (Database::Sqlite(PathBuf::from(DEFAULT_DATABASE)), false),
        };
        Ok(Storage {
            database,
            temporary,
            encryption_key,
        })
    }
}

fn random_failed() -> ConfigError {
    bad("--dev needs the system random source, which failed")
}

fn listen(value: &str) -> Result<SocketAddr, ConfigError> {
    value
        .to_socket_addrs()
        .ok()
        .and_then(|mut addrs| addrs.next())
        .ok_or_else(|| bad("CREDPORT_LISTEN must be HOST:PORT, such as 127.0.0.1:8787"))
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
    let mut key = [0u8; 32];
    if hex::decode_to_slice(value, &mut key).is_err() {
        return Err(bad(
            "CREDPORT_ENCRYPTION_KEY must be 64 hex characters (32 bytes)",
        ));
    }
    // All zeros and the like: a placeholder, not a key.
    if one_repeated(&key) {
        return Err(bad(
            "CREDPORT_ENCRYPTION_KEY must not be one byte repeated; use 32 random bytes, e.g. from `openssl rand -hex 32`",
        ));
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

fn refresh_timeout(value: &str) -> Result<Duration, ConfigError> {
    match value.trim().parse::<u64>() {
        Ok(n) if (1..=120).contains(&n) => Ok(Duration::from_secs(n)),
        _ => Err(bad(
            "CREDPORT_REFRESH_TIMEOUT must be a whole number of seconds from 1 to 120",
        )),
    }
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

fn cors_origins(value: &str) -> Result<CorsOrigins, ConfigError> {
    if value.trim() == "*" {
        return Ok(CorsOrigins::Any);
    }
    let invalid = || {
        bad("CREDPORT_CORS_ORIGINS must be * or comma-separated origins such as https://app.example.com")
    };
    let origins = value
        .split(',')
        .map(str::trim)
        .map(|origin| {
            let rest = origin
                .strip_prefix("https://")
                .or_else(|| origin.strip_prefix("http://"))
                .ok_or_else(invalid)?;
            if rest.is_empty() || rest.contains('/') {
                return Err(invalid());
            }
            HeaderValue::from_str(origin).map_err(|_| invalid())
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(CorsOrigins::List(origins))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_are_checked() {
        assert!(listen("127.0.0.1:0").is_ok());
        assert!(listen("nonsense").is_err());
        assert!(encryption_key(&"0123456789abcdef".repeat(4)).is_ok());
        assert!(encryption_key(&"ab".repeat(31)).is_err());
        assert!(encryption_key(&"zz".repeat(32)).is_err());
        assert!(encryption_key(&"00".repeat(32)).is_err());
        assert!(encryption_key(&"ab".repeat(32)).is_err());
        assert!(admin_token("short").is_err());
        assert!(admin_token("a token with spaces! and more than 32 of them").is_err());
        assert!(admin_token("0123456789abcdef").is_err());
        assert!(admin_token(&"a".repeat(40)).is_err());
        assert!(admin_token("0123456789abcdef0123456789abcdef").is_ok());
        assert!(rate_limit("0").is_err());
        assert_eq!(rate_limit("5").unwrap(), 5);
        assert!(refresh_timeout("0").is_err());
        assert_eq!(refresh_timeout("3").unwrap(), Duration::from_secs(3));
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
        assert!(cors_origins("a.example").is_err());
        assert!(cors_origins("https://a.example/path").is_err());
    }
}
