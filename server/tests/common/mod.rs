//! Test support: the real credport-server binary on 127.0.0.1:0 with its own database, and an
//! HTTP client with helpers for the admin setup every test needs.
//!
//! The store is SQLite (a file in a temporary folder) unless `CREDPORT_TEST_STORE=postgres`:
//! then each server gets a fresh database on the PostgreSQL cluster that `PGHOST` (its unix
//! socket directory) and `PGUSER` point at, as `scripts/with-postgres.sh` sets them.
//! `scripts/test.mjs` (`npm test`) runs every suite that reaches the store both ways.
#![allow(dead_code)] // each test file uses its own part of this module

pub mod gate;
pub mod provider;
pub mod receiver;

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex, Once, OnceLock};
use std::time::Duration;

use reqwest::header::HeaderMap;
use serde_json::{json, Value};
use tempfile::TempDir;

pub const BIN: &str = env!("CARGO_BIN_EXE_credport-server");

/// Servers still running, killed when the test binary exits (tests share servers through
/// statics, which are never dropped).
static RUNNING: Mutex<Vec<i32>> = Mutex::new(Vec::new());

extern "C" fn kill_running() {
    if let Ok(pids) = RUNNING.lock() {
        for pid in pids.iter() {
            unsafe { libc::kill(*pid, libc::SIGKILL) };
        }
    }
}

fn track(pid: i32) {
    static REGISTER: Once = Once::new();
    REGISTER.call_once(|| unsafe {
        libc::atexit(kill_running);
    });
    RUNNING.lock().unwrap().push(pid);
}

fn untrack(pid: i32) {
    RUNNING.lock().unwrap().retain(|p| *p != pid);
}

/// Waits until `ready` holds ([`eventually`] of a condition that shows no value).
pub async fn wait_until(what: &str, within: Duration, mut ready: impl FnMut() -> bool) {
    eventually(what, within, || {
        std::future::ready(if ready() {
            Ok(())
        } else {
            Err("not yet".into())
        })
    })
    .await;
}

/// Asks `probe` again every 10 ms until it answers `Ok`, and gives that value; fails the test,
/// naming `what` and the last state `probe` described (its `Err`), if that does not come within
/// `within`: for a condition, where a sleep would be a guess.
pub async fn eventually<T, Asked>(
    what: &str,
    within: Duration,
    mut probe: impl FnMut() -> Asked,
) -> T
where
    Asked: std::future::Future<Output = Result<T, String>>,
{
    let deadline = std::time::Instant::now() + within;
    loop {
        match probe().await {
            Ok(value) => return value,
            Err(seen) => assert!(
                std::time::Instant::now() < deadline,
                "{what}: not within {within:?}; last seen: {seen}"
            ),
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

pub fn random_hex(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    std::fs::File::open("/dev/urandom")
        .unwrap()
        .read_exact(&mut buf)
        .unwrap();
    buf.iter().map(|b| format!("{b:02x}")).collect()
}

/// True when the tests run on PostgreSQL (`CREDPORT_TEST_STORE=postgres`).
pub fn on_postgres() -> bool {
    match std::env::var("CREDPORT_TEST_STORE").as_deref() {
        Ok("postgres") => true,
        Ok("sqlite") | Err(_) => false,
        Ok(other) => panic!("CREDPORT_TEST_STORE must be sqlite or postgres, not {other}"),
    }
}

fn pg_env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| {
        panic!("{name} is not set: run PostgreSQL tests under scripts/with-postgres.sh")
    })
}

/// A new, empty PostgreSQL database on the test cluster: its `postgres://` URL (unix socket).
pub fn new_postgres_database() -> String {
    let name = format!("credport_test_{}", random_hex(8));
    let created = Command::new("createdb").arg(&name).output().unwrap();
    assert!(
        created.status.success(),
        "createdb: {}",
        String::from_utf8_lossy(&created.stderr)
    );
    format!(
        "postgres://{}@/{name}?host={}&port={}",
        pg_env("PGUSER"),
        pg_env("PGHOST"),
        pg_env("PGPORT")
    )
}

/// The name of the PostgreSQL database of a `postgres://` URL made by [`new_postgres_database`].
pub fn postgres_name(url: &str) -> String {
    let path = url.split_once("@/").unwrap().1;
    path.split('?').next().unwrap().to_owned()
}

/// Runs `psql` on the test database of `url` and returns its unaligned output.
pub fn psql(url: &str, sql: &str) -> String {
    psql_on(&postgres_name(url), sql)
}

/// Runs `psql` on the database named `database` of the test cluster (`postgres` for statements
/// about a database that refuses connections).
pub fn psql_on(database: &str, sql: &str) -> String {
    let output = Command::new("psql")
        .args(["-X", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d"])
        .arg(database)
        .args(["-c", sql])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "psql: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

/// A transaction of another PostgreSQL client, held open on the test database of `url` after
/// `sql` (its row locks, its uncommitted changes) until [`Held::commit`]: a race between the
/// server's transactions and this one, run the same way every time.
pub struct Held {
    psql: Child,
    url: String,
}

impl Held {
    /// Runs `BEGIN; {sql}` in a `psql` of its own on `server`'s database; returns once the
    /// transaction is open.
    pub async fn begin(server: &Server, sql: &str) -> Held {
        use std::io::Write as _;
        let url = server.database.to_str().unwrap();
        let name = format!("credport-test-{}", random_hex(6));
        let mut psql = Command::new("psql")
            .args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "-d"])
            .arg(postgres_name(url))
            .env("PGAPPNAME", &name)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        let stdin = psql.stdin.as_mut().unwrap();
        writeln!(stdin, "BEGIN; {sql}").unwrap();
        let open = format!(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = '{name}' \
             AND state = 'idle in transaction'"
        );
        until_psql_counts(
            "the transaction open",
            Duration::from_secs(5),
            url,
            &open,
            1,
        )
        .await;
        Held {
            psql,
            url: url.to_owned(),
        }
    }

    /// Waits until `n` sessions of the database wait on a lock (the server's, behind this one).
    pub async fn wait_for_waiters(&self, n: u32) {
        let waiting = "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() \
                       AND wait_event_type = 'Lock'";
        until_psql_counts(
            "sessions waiting on a lock",
            Duration::from_secs(4),
            &self.url,
            waiting,
            n,
        )
        .await;
    }

    /// Commits, letting the waiting sessions go on.
    pub fn commit(mut self) {
        use std::io::Write as _;
        let mut stdin = self.psql.stdin.take().unwrap();
        writeln!(stdin, "COMMIT;").unwrap();
        drop(stdin);
        assert!(self.psql.wait().unwrap().success(), "psql failed");
    }
}

/// Waits until the one number a `psql` query of `url`'s database answers is `n`. Each `psql`
/// runs on a blocking thread: a test's runtime (one thread) also serves its provider and
/// receiver, which must keep answering while it waits.
async fn until_psql_counts(what: &str, within: Duration, url: &str, sql: &str, n: u32) {
    eventually(what, within, || {
        let (url, sql) = (url.to_owned(), sql.to_owned());
        async move {
            let count: u32 = tokio::task::spawn_blocking(move || psql(&url, &sql))
                .await
                .unwrap()
                .trim()
                .parse()
                .unwrap();
            if count == n {
                Ok(())
            } else {
                Err(format!("{count}, not {n}"))
            }
        }
    })
    .await;
}

/// A fresh database for the store under test, and the folder that holds it (SQLite), which
/// must live as long as it is used.
pub fn fresh_database() -> (Option<TempDir>, PathBuf) {
    if on_postgres() {
        return (None, PathBuf::from(new_postgres_database()));
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("credport.db");
    (Some(dir), path)
}

/// Everything the store holds, as bytes to search: the SQLite file and its WAL companions, or
/// a `pg_dump` of the PostgreSQL database (schema and data, as text).
pub fn stored_bytes(database: &Path) -> Vec<u8> {
    let Some(url) = database.to_str().filter(|_| on_postgres()) else {
        let files = database_files(database);
        assert!(!files.is_empty(), "no database files at {database:?}");
        return files
            .iter()
            .flat_map(|file| std::fs::read(file).unwrap())
            .collect();
    };
    let dump = Command::new("pg_dump")
        .arg(postgres_name(url))
        .output()
        .unwrap();
    assert!(
        dump.status.success(),
        "pg_dump: {}",
        String::from_utf8_lossy(&dump.stderr)
    );
    dump.stdout
}

/// reqwest is built with `rustls-no-provider` for the server's token endpoint client (which
/// brings its own configuration); the tests' clients, the same crate, use ring by default.
/// Every test starts a server before it makes a client, so this runs first.
fn use_ring_for_tls() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// How to start a server.
#[derive(Clone, Default)]
pub struct Options {
    pub env: Vec<(String, String)>,
    pub args: Vec<String>,
    /// Reuse this database and key (restarts); otherwise a fresh one ([`fresh_database`]).
    pub database: Option<PathBuf>,
    pub key: Option<String>,
    pub admin_token: Option<String>,
    /// The server's open-file limit at start, soft and hard.
    pub file_limit: Option<(u64, u64)>,
}

impl Options {
    pub fn env(mut self, name: &str, value: &str) -> Self {
        self.env.push((name.into(), value.into()));
        self
    }
}

pub struct Server {
    pub url: String,
    pub admin_token: String,
    pub key: String,
    /// `CREDPORT_DATABASE`: a file path, or a `postgres://` URL.
    pub database: PathBuf,
    pid: i32,
    child: Mutex<Option<Child>>,
    stderr: Arc<Mutex<String>>,
    _dir: Option<TempDir>,
}

impl Server {
    pub fn start() -> Server {
        Self::start_with(Options::default())
    }

    /// One server per test binary, for tests that keep to their own sites. Its throttle of
    /// wrong tokens allows many: every test comes from 127.0.0.1, and the wrong tokens of a
    /// binary's tests add up (the throttle's tests start servers of their own).
    pub fn shared() -> &'static Server {
        static SHARED: OnceLock<Server> = OnceLock::new();
        SHARED.get_or_init(|| {
            Server::start_with(Options::default().env("CREDPORT_AUTH_FAILURE_BURST", "100000"))
        })
    }

    pub fn start_with(options: Options) -> Server {
        use_ring_for_tls();
        let (dir, database) = match &options.database {
            Some(path) => (None, path.clone()),
            None => fresh_database(),
        };
        let key = options.key.clone().unwrap_or_else(|| random_hex(32));
        let admin_token = options
            .admin_token
            .clone()
            .unwrap_or_else(|| format!("admin_{}", random_hex(16)));
        let mut command = server_command();
        command
            .args(&options.args)
            .env("CREDPORT_LISTEN", "127.0.0.1:0")
            .env("CREDPORT_DATABASE", &database)
            .env("CREDPORT_ADMIN_TOKEN", &admin_token)
            .env("CREDPORT_ENCRYPTION_KEY", &key)
            .env("CREDPORT_LOG", "info")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (name, value) in &options.env {
            command.env(name, value);
        }
        if let Some((soft, hard)) = options.file_limit {
            use std::os::unix::process::CommandExt;
            let limit = libc::rlimit {
                rlim_cur: soft as libc::rlim_t,
                rlim_max: hard as libc::rlim_t,
            };
            // SAFETY: setrlimit is async-signal-safe; it runs in the child before exec.
            unsafe {
                command.pre_exec(move || {
                    if libc::setrlimit(libc::RLIMIT_NOFILE, &limit) == 0 {
                        Ok(())
                    } else {
                        Err(std::io::Error::last_os_error())
                    }
                });
            }
        }
        let mut child = command.spawn().unwrap();
        let pid = child.id() as i32;
        track(pid);
        let stderr = Arc::new(Mutex::new(String::new()));
        let sink = Arc::clone(&stderr);
        let mut err = child.stderr.take().unwrap();
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = err.read(&mut buf) {
                if n == 0 {
                    break;
                }
                sink.lock()
                    .unwrap()
                    .push_str(&String::from_utf8_lossy(&buf[..n]));
            }
        });
        let (tx, rx) = mpsc::channel();
        let out = child.stdout.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines() {
                let Ok(line) = line else { break };
                let _ = tx.send(line);
            }
        });
        let line = rx
            .recv_timeout(Duration::from_secs(30))
            .unwrap_or_else(|_| {
                panic!("credport-server did not start: {}", stderr.lock().unwrap())
            });
        let url = line
            .strip_prefix("credport-server listening on ")
            .unwrap_or_else(|| panic!("unexpected first stdout line: {line}"))
            .to_owned();
        assert!(url.starts_with("http://127.0.0.1:"), "{url}");
        Server {
            url,
            admin_token,
            key,
            database,
            pid,
            child: Mutex::new(Some(child)),
            stderr,
            _dir: dir,
        }
    }

    pub fn api(&self) -> Api {
        Api {
            client: reqwest::Client::new(),
            base: self.url.clone(),
            admin_token: self.admin_token.clone(),
        }
    }

    pub fn pid(&self) -> i32 {
        self.pid
    }

    /// Everything the server wrote to stderr so far.
    pub fn logs(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    /// The server's log once `seen` holds of it (a request's line reaches the pipe a moment
    /// after its answer); the test fails, showing the log, if it does not within 10 seconds.
    pub async fn logs_when(&self, seen: impl Fn(&str) -> bool) -> String {
        eventually("the expected log lines", Duration::from_secs(10), || {
            let logs = self.logs();
            std::future::ready(if seen(&logs) { Ok(logs) } else { Err(logs) })
        })
        .await
    }

    /// Sends SIGTERM and waits for the exit.
    pub fn stop(&self) -> ExitStatus {
        self.signal(libc::SIGTERM)
    }

    /// Sends `signal` and waits for the exit.
    pub fn signal(&self, signal: i32) -> ExitStatus {
        self.send_signal(signal);
        self.wait()
    }

    /// Sends `signal` and goes on: for what a test does while the server shuts down.
    pub fn send_signal(&self, signal: i32) {
        unsafe { libc::kill(self.pid, signal) };
    }

    /// Waits for the server to exit (after [`Server::send_signal`]).
    pub fn wait(&self) -> ExitStatus {
        let mut child = self.child.lock().unwrap().take().expect("already stopped");
        let status = child.wait().unwrap();
        untrack(self.pid);
        status
    }

    /// Options that start another server on this one's database and key.
    pub fn same_data(&self) -> Options {
        Options {
            database: Some(self.database.clone()),
            key: Some(self.key.clone()),
            admin_token: Some(self.admin_token.clone()),
            ..Options::default()
        }
    }
}

/// The server binary with none of the settings of the environment the tests run in (a
/// developer's `CREDPORT_RATE_LIMIT` or `RUST_LOG` would change what a test sees): each test
/// gives the ones it means.
fn server_command() -> Command {
    let mut command = Command::new(BIN);
    command.env_remove("RUST_LOG");
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("CREDPORT_") {
            command.env_remove(name);
        }
    }
    command
}

/// Runs the binary to completion (for start-up failures and `demo`).
pub fn run(args: &[&str], env: &[(&str, &str)]) -> std::process::Output {
    let mut command = server_command();
    command.args(args);
    for (name, value) in env {
        command.env(name, value);
    }
    command.output().unwrap()
}

/// An answer.
#[derive(Debug)]
pub struct Res {
    pub status: u16,
    pub headers: HeaderMap,
    pub text: String,
    pub body: Value,
}

impl Res {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Asserts a success status and returns the body.
    #[track_caller]
    pub fn ok(&self, status: u16) -> &Value {
        assert_eq!(self.status, status, "unexpected answer: {}", self.text);
        assert!(self.header("x-request-id").is_some());
        &self.body
    }

    /// Asserts the error body of `status`/`code` and returns its `details`.
    #[track_caller]
    pub fn error(&self, status: u16, code: &str) -> &Value {
        assert_eq!(self.status, status, "unexpected answer: {}", self.text);
        let error = &self.body["error"];
        assert_eq!(error["code"], code, "{}", self.text);
        assert!(error["message"].as_str().is_some_and(|m| !m.is_empty()));
        let id = self.header("x-request-id").expect("x-request-id");
        assert_eq!(error["request_id"], id);
        &error["details"]
    }

    /// Asserts a 400 `invalid_request` naming `field` (in details and in the message).
    #[track_caller]
    pub fn invalid(&self, field: &str) {
        let details = self.error(400, "invalid_request");
        assert_eq!(details["field"], field, "{}", self.text);
        let message = self.body["error"]["message"].as_str().unwrap();
        assert!(
            message.contains(field),
            "message does not name {field}: {message}"
        );
    }
}

/// A `GET` as a browser makes it: no token, no cookies, redirects not followed.
pub async fn browse(url: &str) -> Res {
    browse_in(&BROWSER, url).await
}

/// The cookies of one browser: name and value (every test's connect sets its own, under a name
/// of its own; paths and lifetimes are not the tests' concern).
pub type Cookies = Mutex<HashMap<String, String>>;

/// The browser [`browse`] is: one for the whole test binary.
static BROWSER: std::sync::LazyLock<Cookies> = std::sync::LazyLock::new(Cookies::default);

/// A GET by the browser `cookies` keeps: it sends them, and keeps what the answer sets.
pub async fn browse_in(cookies: &Cookies, url: &str) -> Res {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let sent: Vec<String> = cookies
        .lock()
        .unwrap()
        .iter()
        .map(|(name, value)| format!("{name}={value}"))
        .collect();
    let mut request = client.get(url);
    if !sent.is_empty() {
        request = request.header("cookie", sent.join("; "));
    }
    let response = request.send().await.unwrap();
    for set in response.headers().get_all("set-cookie") {
        let pair = set.to_str().unwrap().split(';').next().unwrap();
        if let Some((name, value)) = pair.split_once('=') {
            cookies
                .lock()
                .unwrap()
                .insert(name.to_owned(), value.to_owned());
        }
    }
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let text = response.text().await.unwrap();
    Res {
        status,
        headers,
        body: serde_json::from_str(&text).unwrap_or(Value::Null),
        text,
    }
}

#[derive(Clone)]
pub struct Api {
    pub client: reqwest::Client,
    pub base: String,
    pub admin_token: String,
}

/// A site with a token carrying every scope.
pub struct Site {
    pub id: String,
    pub token: String,
    pub token_id: String,
    pub user: String,
}

impl Api {
    pub async fn request(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<&Value>,
        headers: &[(&str, &str)],
    ) -> Res {
        let mut request = self
            .client
            .request(method.parse().unwrap(), format!("{}{path}", self.base));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(body);
        }
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let text = response.text().await.unwrap();
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Res {
            status,
            headers,
            text,
            body,
        }
    }

    pub async fn get(&self, token: &str, path: &str) -> Res {
        self.request("GET", path, Some(token), None, &[]).await
    }

    pub async fn post(&self, token: &str, path: &str, body: Value) -> Res {
        self.request("POST", path, Some(token), Some(&body), &[])
            .await
    }

    /// A `POST` with an `Idempotency-Key`.
    pub async fn post_once(&self, token: &str, path: &str, body: Value, key: &str) -> Res {
        let headers = [("idempotency-key", key)];
        self.request("POST", path, Some(token), Some(&body), &headers)
            .await
    }

    pub async fn patch(&self, token: &str, path: &str, body: Value) -> Res {
        self.request("PATCH", path, Some(token), Some(&body), &[])
            .await
    }

    pub async fn delete(&self, token: &str, path: &str) -> Res {
        self.request("DELETE", path, Some(token), None, &[]).await
    }

    pub async fn admin(&self, method: &str, path: &str, body: Option<Value>) -> Res {
        self.request(
            method,
            path,
            Some(&self.admin_token.clone()),
            body.as_ref(),
            &[],
        )
        .await
    }

    /// A new site and a token for `user` with `scopes` (all when `None`).
    pub async fn site_with(&self, user: &str, scopes: Option<&[&str]>) -> Site {
        let site = self
            .admin(
                "POST",
                "/v1/admin/sites",
                Some(json!({ "name": "Test site" })),
            )
            .await;
        let id = site.ok(201)["id"].as_str().unwrap().to_owned();
        let mut body = json!({ "user_id": user, "name": format!("{user} token") });
        if let Some(scopes) = scopes {
            body["scopes"] = json!(scopes);
        }
        let token = self
            .admin(
                "POST",
                &format!("/v1/admin/sites/{id}/personal_access_tokens"),
                Some(body),
            )
            .await;
        let token = token.ok(201);
        Site {
            id,
            token: token["token"].as_str().unwrap().to_owned(),
            token_id: token["id"].as_str().unwrap().to_owned(),
            user: user.to_owned(),
        }
    }

    /// Another token, made by the admin, for `user` of site `site_id`: its secret.
    pub async fn token_for(&self, site_id: &str, user: &str, name: &str) -> String {
        let made = self
            .admin(
                "POST",
                &format!("/v1/admin/sites/{site_id}/personal_access_tokens"),
                Some(json!({ "user_id": user, "name": name })),
            )
            .await;
        made.ok(201)["token"].as_str().unwrap().to_owned()
    }

    pub async fn site(&self) -> Site {
        self.site_with("user-1", None).await
    }

    /// The admin revokes the site's token.
    pub async fn admin_revokes_token(&self, site: &Site) {
        let path = format!(
            "/v1/admin/sites/{}/personal_access_tokens/{}/revoke",
            site.id, site.token_id
        );
        self.admin("POST", &path, None).await.ok(200);
    }

    /// The site's token revokes itself.
    pub async fn revoke_own_token(&self, site: &Site) -> Res {
        self.post(
            &site.token,
            &format!("/v1/personal_access_tokens/{}/revoke", site.token_id),
            json!({}),
        )
        .await
    }

    /// Adds a provider configuration to `site` through the admin API.
    pub async fn provider_config(&self, site: &str, body: Value) -> Value {
        self.admin(
            "POST",
            &format!("/v1/admin/sites/{site}/provider_configs"),
            Some(body),
        )
        .await
        .ok(201)
        .clone()
    }

    /// A new API key named `name` for subject `s`, made with `token`: its body (with the secret).
    pub async fn create_key(&self, token: &str, name: &str) -> Value {
        let body = json!({ "name": name, "subject": "s" });
        self.post(token, "/v1/api_keys", body).await.ok(201).clone()
    }

    /// Adds a connection to `site` through the admin API.
    pub async fn connection(&self, site: &str, body: Value) -> Value {
        self.admin(
            "POST",
            &format!("/v1/admin/sites/{site}/connections"),
            Some(body),
        )
        .await
        .ok(201)
        .clone()
    }
}

/// Every event of the site, newest first, through the cursor.
pub async fn all_events(api: &Api, site: &str, query: &str) -> Vec<Value> {
    let mut events = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut path = format!("/v1/admin/sites/{site}/events?limit=100{query}");
        if let Some(c) = &cursor {
            path.push_str(&format!("&cursor={c}"));
        }
        let page = api.admin("GET", &path, None).await;
        let page = page.ok(200);
        events.extend(page["data"].as_array().unwrap().iter().cloned());
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => return events,
        }
    }
}

/// A connection body for the admin API, with a random secret.
pub fn connection_body(provider: &str) -> Value {
    json!({
        "provider": provider,
        "provider_config_key": format!("{provider}-prod"),
        "root_resource_id": format!("acct-{provider}"),
        "root_resource_name": format!("{provider} account"),
        "scopes": ["read"],
        "status": "active",
        "credentials": {
            "type": "api_key",
            "fields": { "api_key": format!("secret-{provider}-{}", random_hex(12)) }
        },
        "metadata": { "tenant": "t-1" }
    })
}

/// Sends raw bytes on a new connection and reads the whole answer (the server closes it:
/// callers send `connection: close`). For what reqwest will not send: chunked uploads, slow
/// bodies.
pub fn raw_http(url: &str, parts: Vec<Vec<u8>>, pause: Duration) -> String {
    use std::io::Write;
    let address = url.trim_start_matches("http://");
    let mut stream = std::net::TcpStream::connect(address).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    for (i, part) in parts.into_iter().enumerate() {
        if i > 0 {
            std::thread::sleep(pause);
        }
        // The server may answer (413) and close before the rest is sent.
        if stream.write_all(&part).is_err() {
            break;
        }
    }
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    String::from_utf8_lossy(&answer).into_owned()
}

/// Every file of an SQLite database: the file itself and its WAL companions.
pub fn database_files(database: &Path) -> Vec<PathBuf> {
    ["", "-wal", "-shm"]
        .iter()
        .map(|suffix| {
            let mut name = database.as_os_str().to_owned();
            name.push(suffix);
            PathBuf::from(name)
        })
        .filter(|p| p.exists())
        .collect()
}

/// Runs SQL on the store of `database` (a SQLite file or a `postgres://` URL), for tests that
/// must set up what the API cannot (an event 100 days old, a row's clock moved).
pub fn execute_sql(database: &Path, statement: &str) {
    match database.to_str().filter(|_| on_postgres()) {
        Some(url) => {
            psql(url, statement);
        }
        None => {
            let conn = rusqlite::Connection::open(database).unwrap();
            conn.busy_timeout(Duration::from_secs(10)).unwrap();
            conn.execute_batch(statement).unwrap();
        }
    }
}

/// Moves `updated_at` of the rows of `table` that `filter` finds a day back, and answers that
/// instant as the API shows it: an update that should leave `updated_at` is then seen to, where
/// one made in the second of the write before would leave the same value by chance.
pub fn updated_a_day_ago(database: &Path, table: &str, filter: &str) -> String {
    let day_ago = credport_server::clock::now() - 86_400;
    execute_sql(
        database,
        &format!("UPDATE {table} SET updated_at = {day_ago} WHERE {filter}"),
    );
    credport_server::clock::format(day_ago)
}
