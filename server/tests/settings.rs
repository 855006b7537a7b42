//! Start-up settings: refusals with exit code 2 and one line, `--dev`, `demo`, the rate limit
//! and CORS.

mod common;

use std::time::Duration;

use common::{random_hex, run, Options, Server};
use serde_json::Value;

#[test]
fn bad_settings_stop_the_start_with_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let database = dir.path().join("settings.db");
    let database = database.to_str().unwrap();
    let key = random_hex(32);
    let admin = "admin-token-0123456789-0123456789-abc";
    let secret_key_value = "not-hex-SECRETVALUE";
    let repeated_token = "S".repeat(48);
    let zero_key = "00".repeat(32);
    let repeated_key = "5e".repeat(32);
    let missing = dir.path().join("missing.db");
    let missing = missing.to_str().unwrap().to_owned();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let taken = taken.local_addr().unwrap().to_string();
    // (arguments, environment, the setting the one line must name)
    type Case<'a> = (Vec<&'a str>, Vec<(&'a str, &'a str)>, &'a str);
    let cases: Vec<Case> = vec![
        (
            vec![],
            vec![("CREDPORT_ENCRYPTION_KEY", &key)],
            "CREDPORT_ADMIN_TOKEN",
        ),
        (
            vec![],
            vec![("CREDPORT_ADMIN_TOKEN", admin)],
            "CREDPORT_ENCRYPTION_KEY",
        ),
        (
            vec![],
            vec![
                ("CREDPORT_ADMIN_TOKEN", admin),
                ("CREDPORT_ENCRYPTION_KEY", secret_key_value),
            ],
            "CREDPORT_ENCRYPTION_KEY",
        ),
        (
            vec!["--encryption-key", &key[..62]],
            vec![("CREDPORT_ADMIN_TOKEN", admin)],
            "CREDPORT_ENCRYPTION_KEY",
        ),
        (
            vec![],
            vec![
                ("CREDPORT_ADMIN_TOKEN", "short-SECRET"),
                ("CREDPORT_ENCRYPTION_KEY", &key),
            ],
            "CREDPORT_ADMIN_TOKEN",
        ),
        (
            vec![],
            vec![
                ("CREDPORT_ADMIN_TOKEN", "SECRET-0123456789abcdef-0123456"),
                ("CREDPORT_ENCRYPTION_KEY", &key),
            ],
            "at least 32",
        ),
        (
            vec![],
            vec![
                ("CREDPORT_ADMIN_TOKEN", &repeated_token),
                ("CREDPORT_ENCRYPTION_KEY", &key),
            ],
            "CREDPORT_ADMIN_TOKEN must not be one character repeated",
        ),
        (
            vec![],
            vec![
                ("CREDPORT_ADMIN_TOKEN", admin),
                ("CREDPORT_ENCRYPTION_KEY", &zero_key),
            ],
            "CREDPORT_ENCRYPTION_KEY must not be one byte repeated",
        ),
        (
            vec!["--encryption-key", &repeated_key],
            vec![("CREDPORT_ADMIN_TOKEN", admin)],
            "CREDPORT_ENCRYPTION_KEY must not be one byte repeated",
        ),
        (
            vec!["--listen", "nowhere"],
            vec![
                ("CREDPORT_ADMIN_TOKEN", admin),
                ("CREDPORT_ENCRYPTION_KEY", &key),
            ],
            "CREDPORT_LISTEN",
        ),
        (
            vec!["--listen", &taken, "--database", database],
            vec![
                ("CREDPORT_ADMIN_TOKEN", admin),
                ("CREDPORT_ENCRYPTION_KEY", &key),
            ],
            "CREDPORT_LISTEN",
        ),
        (
            vec![],
            vec![
                ("CREDPORT_ADMIN_TOKEN", admin),
                ("CREDPORT_ENCRYPTION_KEY", &key),
                ("CREDPORT_RATE_LIMIT", "fast"),
            ],
            "CREDPORT_RATE_LIMIT",
        ),
        (
            vec!["--cors-origins", "example.com"],
            vec![
                ("CREDPORT_ADMIN_TOKEN", admin),
                ("CREDPORT_ENCRYPTION_KEY", &key),
            ],
            "CREDPORT_CORS_ORIGINS",
        ),
        (
            vec!["--database", "/nonexistent-dir/x/credport.db"],
            vec![
                ("CREDPORT_ADMIN_TOKEN", admin),
                ("CREDPORT_ENCRYPTION_KEY", &key),
            ],
            "CREDPORT_DATABASE",
        ),
        (
            vec![],
            vec![
                ("CREDPORT_ADMIN_TOKEN", admin),
                ("CREDPORT_ENCRYPTION_KEY", &key),
                ("CREDPORT_LOG", "[[[not a filter"),
            ],
            "CREDPORT_LOG",
        ),
        (
            // Read as a target, a mistyped level would silence every log line.
            vec![],
            vec![
                ("CREDPORT_ADMIN_TOKEN", admin),
                ("CREDPORT_ENCRYPTION_KEY", &key),
                ("CREDPORT_LOG", "warning"),
            ],
            "CREDPORT_LOG holds a word that is not a level",
        ),
        (
            vec![],
            vec![
                ("CREDPORT_ADMIN_TOKEN", admin),
                ("CREDPORT_ENCRYPTION_KEY", &key),
                ("RUST_LOG", "credport_server=debug,infp"),
            ],
            "RUST_LOG holds a word that is not a level",
        ),
        (
            // Nothing listens there: the start stops, without echoing the password.
            vec![
                "--database",
                "postgres://u:SECRET@/credport?host=/nonexistent-dir",
            ],
            vec![
                ("CREDPORT_ADMIN_TOKEN", admin),
                ("CREDPORT_ENCRYPTION_KEY", &key),
            ],
            "CREDPORT_DATABASE",
        ),
        (
            vec![
                "--database",
                "postgres://u:SECRET@db/credport?sslmode=sometimes",
            ],
            vec![
                ("CREDPORT_ADMIN_TOKEN", admin),
                ("CREDPORT_ENCRYPTION_KEY", &key),
            ],
            "CREDPORT_DATABASE",
        ),
        (
            vec!["--database", database],
            vec![
                ("CREDPORT_ADMIN_TOKEN", admin),
                ("CREDPORT_ENCRYPTION_KEY", &key),
                ("CREDPORT_DATABASE_POOL_SIZE", "0"),
            ],
            "CREDPORT_DATABASE_POOL_SIZE",
        ),
        (
            vec!["--database", database],
            vec![
                ("CREDPORT_ADMIN_TOKEN", admin),
                ("CREDPORT_ENCRYPTION_KEY", &key),
                ("CREDPORT_SQLITE_READERS", "many"),
            ],
            "CREDPORT_SQLITE_READERS",
        ),
        (
            vec!["--database", database],
            vec![
                ("CREDPORT_ADMIN_TOKEN", admin),
                ("CREDPORT_ENCRYPTION_KEY", &key),
                ("CREDPORT_WORKER_THREADS", "0"),
            ],
            "CREDPORT_WORKER_THREADS",
        ),
        (
            vec![],
            vec![
                ("CREDPORT_ADMIN_TOKEN", admin),
                ("CREDPORT_ENCRYPTION_KEY", &key),
                ("CREDPORT_DATABASE", ""),
            ],
            "CREDPORT_DATABASE must not be empty",
        ),
        (
            // A mistyped scheme is not taken for a file's path, and its password not echoed.
            vec![],
            vec![
                ("CREDPORT_ADMIN_TOKEN", admin),
                ("CREDPORT_ENCRYPTION_KEY", &key),
                ("CREDPORT_DATABASE", "postgress://u:SECRET@127.0.0.1:1/db"),
            ],
            "CREDPORT_DATABASE is a URL but not a PostgreSQL one",
        ),
        (
            // The quotes `docker --env-file` keeps: not a file named after the URL.
            vec!["--listen", &taken],
            vec![
                ("CREDPORT_ADMIN_TOKEN", admin),
                ("CREDPORT_ENCRYPTION_KEY", &key),
                ("CREDPORT_DATABASE", r#""postgres://u:SECRET@db/x""#),
            ],
            "CREDPORT_DATABASE starts or ends with a quote or a space",
        ),
        (
            vec!["--listen", &taken],
            vec![
                ("CREDPORT_ADMIN_TOKEN", admin),
                ("CREDPORT_ENCRYPTION_KEY", &key),
                ("CREDPORT_DATABASE", " postgres://u:SECRET@db/x"),
            ],
            "CREDPORT_DATABASE starts or ends with a quote or a space",
        ),
        (
            vec!["--listen", &taken],
            vec![
                ("CREDPORT_ADMIN_TOKEN", admin),
                ("CREDPORT_ENCRYPTION_KEY", &key),
                ("CREDPORT_DATABASE", "postgres:/u:SECRET@db/x"),
            ],
            "CREDPORT_DATABASE looks like a URL but does not start with scheme://",
        ),
        (
            // libpq's form would otherwise be an SQLite file named after it, password and all.
            vec!["--listen", &taken],
            vec![
                ("CREDPORT_ADMIN_TOKEN", admin),
                ("CREDPORT_ENCRYPTION_KEY", &key),
                (
                    "CREDPORT_DATABASE",
                    "host=db user=u password=SECRET dbname=x",
                ),
            ],
            "CREDPORT_DATABASE looks like a libpq key=value connection string",
        ),
        (
            vec!["reencrypt", "--database", "host=db password=SECRET"],
            vec![("CREDPORT_ENCRYPTION_KEY", &key)],
            "postgres://user:password@host:port/database",
        ),
        (
            // An upper-case scheme is PostgreSQL's too: the start stops at the connection.
            vec![
                "--database",
                "POSTGRES://u:SECRET@/credport?host=/nonexistent-dir",
            ],
            vec![
                ("CREDPORT_ADMIN_TOKEN", admin),
                ("CREDPORT_ENCRYPTION_KEY", &key),
            ],
            "CREDPORT_DATABASE postgres:///nonexistent-dir",
        ),
        (
            vec!["demo"],
            vec![
                ("CREDPORT_ENCRYPTION_KEY", &key),
                ("CREDPORT_PUBLIC_URL", "https://credport.example:abc"),
            ],
            "CREDPORT_PUBLIC_URL",
        ),
        (
            vec![],
            vec![
                ("CREDPORT_ADMIN_TOKEN", admin),
                ("CREDPORT_ENCRYPTION_KEY", &key),
                ("CREDPORT_PUBLIC_URL", "https://-_!$&.example"),
            ],
            "CREDPORT_PUBLIC_URL",
        ),
        (
            vec![],
            vec![
                ("CREDPORT_ADMIN_TOKEN", admin),
                ("CREDPORT_ENCRYPTION_KEY", &key),
                ("CREDPORT_EVENT_RETENTION_DAYS", "0"),
            ],
            "CREDPORT_EVENT_RETENTION_DAYS",
        ),
        (
            vec![],
            vec![
                ("CREDPORT_ADMIN_TOKEN", admin),
                ("CREDPORT_ENCRYPTION_KEY", &key),
                ("CREDPORT_WEBHOOK_ALLOW_PRIVATE", "yes"),
            ],
            "CREDPORT_WEBHOOK_ALLOW_PRIVATE",
        ),
        (
            vec![],
            vec![
                ("CREDPORT_ADMIN_TOKEN", admin),
                ("CREDPORT_ENCRYPTION_KEY", &key),
                ("CREDPORT_WEBHOOK_RETRY_SCHEDULE", "5,,60"),
            ],
            "CREDPORT_WEBHOOK_RETRY_SCHEDULE",
        ),
        (
            // reencrypt would otherwise make an empty database and report 0 secrets to rewrite.
            vec!["reencrypt", "--database", &missing],
            vec![("CREDPORT_ENCRYPTION_KEY", &key)],
            "does not exist",
        ),
        (vec!["--no-such-flag"], vec![], "--no-such-flag"),
        (vec!["demo", "--dev"], vec![], "--dev"),
        (
            vec!["demo", "--database", database],
            vec![],
            "CREDPORT_ENCRYPTION_KEY",
        ),
    ];
    for (args, env, named) in cases {
        let output = run(&args, &env);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{args:?} {env:?}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
        assert!(stderr.starts_with("credport-server: "), "{stderr}");
        assert!(stderr.contains(named), "{named} not named: {stderr}");
        assert!(
            !stderr.contains("SECRET") && !stderr.contains("SSSS") && !stderr.contains("5e5e"),
            "a secret value was echoed: {stderr}"
        );
        assert!(output.stdout.is_empty());
        if args
            .first()
            .is_some_and(|a| ["demo", "reencrypt"].contains(a))
            && named != "--dev"
        {
            assert!(
                !stderr.contains("--dev"),
                "{args:?} refuses --dev: {stderr}"
            );
        }
    }
    assert!(
        !std::path::Path::new(&missing).exists(),
        "reencrypt made the database it was pointed at"
    );
}

/// Requests are served by a thread per core (on PostgreSQL one fewer, at least one), or by
/// `CREDPORT_WORKER_THREADS`: the start-up line counts the runtime's own workers.
#[tokio::test]
async fn requests_are_served_by_the_threads_it_is_told() {
    let cores = std::thread::available_parallelism().unwrap().get();
    let default_workers = if common::on_postgres() {
        cores.saturating_sub(1).max(1)
    } else {
        cores
    };
    let default = Server::start();
    let told = Server::start_with(Options::default().env("CREDPORT_WORKER_THREADS", "3"));
    for (server, workers) in [(&default, default_workers), (&told, 3)] {
        // Logged before the server listens, but read from its stderr a moment later.
        let logs = server
            .logs_when(|logs| logs.contains("request threads ready"))
            .await;
        let line = logs
            .lines()
            .find(|line| line.contains("request threads ready"))
            .unwrap_or_else(|| panic!("no start-up line for the threads: {logs}"));
        assert!(line.contains(&format!("workers={workers}")), "{line}");
    }
}

#[test]
fn a_database_refuses_another_key() {
    let (_dir, database) = common::fresh_database();
    let database = database.to_str().unwrap();
    let key = random_hex(32);
    let seeded = run(
        &["demo"],
        &[
            ("CREDPORT_DATABASE", database),
            ("CREDPORT_ENCRYPTION_KEY", &key),
        ],
    );
    assert!(seeded.status.success());
    let other = random_hex(32);
    let output = run(
        &["demo"],
        &[
            ("CREDPORT_DATABASE", database),
            ("CREDPORT_ENCRYPTION_KEY", &other),
        ],
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("CREDPORT_ENCRYPTION_KEY"), "{stderr}");
    assert!(!stderr.contains(&other));
}

/// The schema's version, as the store records it.
fn schema_version(database: &std::path::Path) -> i64 {
    if common::on_postgres() {
        let url = database.to_str().unwrap();
        let version = common::psql(url, "SELECT max(version) FROM schema_migrations");
        return version.trim().parse().unwrap();
    }
    let conn = rusqlite::Connection::open(database).unwrap();
    conn.pragma_query_value(None, "user_version", |row| row.get(0))
        .unwrap()
}

/// `reencrypt` and `demo` run beside the servers on their database, from any machine: they
/// never move its schema to their own release's (every instance of the servers' release would
/// then refuse to start again). Another release's schema, older or newer, is refused in one
/// line and left as it was.
#[test]
fn commands_run_beside_the_servers_never_migrate() {
    let server = Server::start();
    let database = server.database.clone();
    assert!(server.stop().success());
    let known = i64::try_from(credport_server::db::migrations::KNOWN).unwrap();
    assert_eq!(schema_version(&database), known);
    let env = [
        ("CREDPORT_DATABASE", database.to_str().unwrap()),
        ("CREDPORT_ENCRYPTION_KEY", server.key.as_str()),
    ];
    for (found, recorded) in [
        (
            known - 1,
            format!("DELETE FROM schema_migrations WHERE version = {known}"),
        ),
        (
            known + 1,
            format!(
                "INSERT INTO schema_migrations (version, name) VALUES ({}, 'next')",
                known + 1
            ),
        ),
    ] {
        common::execute_sql(
            &database,
            &if common::on_postgres() {
                recorded
            } else {
                format!("PRAGMA user_version = {found}")
            },
        );
        for command in ["reencrypt", "demo"] {
            let output = run(&[command], &env);
            let stderr = String::from_utf8_lossy(&output.stderr);
            assert_eq!(
                output.status.code(),
                Some(2),
                "{command} at {found}: {stderr}"
            );
            assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
            assert!(stderr.contains("CREDPORT_DATABASE"), "{stderr}");
            assert!(
                stderr.contains(&format!("schema version {found}"))
                    && stderr.contains("run it with the release the servers run"),
                "{stderr}"
            );
            assert_eq!(
                found < known,
                stderr.contains("start a server of this release once"),
                "{stderr}"
            );
            assert!(output.stdout.is_empty());
            assert_eq!(
                schema_version(&database),
                found,
                "{command} left it as it was"
            );
        }
    }
}

#[test]
fn help_and_version_exit_zero() {
    // Help shows which variable each setting reads, never the value a secret one holds.
    let url = "postgres://credport:db-password-in-help@db/credport";
    let secrets = [
        ("CREDPORT_DATABASE", url),
        ("CREDPORT_ADMIN_TOKEN", "admin-token-in-help"),
        ("CREDPORT_ENCRYPTION_KEY", "encryption-key-in-help"),
    ];
    let help = run(&["--help"], &secrets);
    assert!(help.status.success());
    let text = String::from_utf8_lossy(&help.stdout);
    assert!(!text.contains("-in-help"), "{text}");
    let backup = run(&["backup", "--help"], &secrets);
    let backup = String::from_utf8_lossy(&backup.stdout);
    assert!(backup.starts_with("Copy the SQLite database"), "{backup}");
    assert!(!backup.contains("-in-help"), "{backup}");
    for flag in [
        "--listen",
        "--database",
        "--admin-token",
        "--encryption-key",
        "--rate-limit",
        "--cors-origins",
        "--dev",
        "demo",
        "serve",
    ] {
        assert!(text.contains(flag), "--help does not mention {flag}");
    }
    assert!(run(&["--version"], &[]).status.success());
}

#[tokio::test]
async fn demo_seeds_a_site_the_server_then_serves() {
    let (_dir, database) = common::fresh_database();
    let key = random_hex(32);
    let db = database.to_str().unwrap();
    let output = run(
        &["demo"],
        &[("CREDPORT_DATABASE", db), ("CREDPORT_ENCRYPTION_KEY", &key)],
    );
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert_eq!(stdout.lines().count(), 1, "{stdout}");
    assert!(stdout.starts_with(r#"{"site_id":"site_"#), "{stdout}");
    let seeded: Value = serde_json::from_str(stdout.trim()).unwrap();
    assert_eq!(seeded["user_id"], "demo-user");
    let token = seeded["token"].as_str().unwrap().to_owned();
    assert!(token.starts_with("cpat_"));
    // A connect link for the stand-in provider, on the default address.
    let connect_url = seeded["connect_url"].as_str().unwrap().to_owned();
    let link = connect_url
        .strip_prefix("http://127.0.0.1:8787")
        .unwrap_or_else(|| panic!("{connect_url}"))
        .to_owned();
    assert!(link.starts_with("/oauth/connect/"), "{link}");
    assert!(String::from_utf8_lossy(&output.stderr).contains(&connect_url));

    let again = run(
        &["demo"],
        &[("CREDPORT_DATABASE", db), ("CREDPORT_ENCRYPTION_KEY", &key)],
    );
    let again: Value = serde_json::from_slice(&again.stdout).unwrap();
    assert_ne!(
        again["site_id"], seeded["site_id"],
        "a second run adds another site"
    );

    let server = Server::start_with(Options {
        database: Some(database.clone()),
        key: Some(key),
        args: vec!["serve".into()],
        ..Options::default()
    });
    let api = server.api();
    let listed = api.get(&token, "/v1/connections").await;
    let listed = listed.ok(200);
    assert_eq!(listed["count"], 4);
    // Everything demo wrote is in the site's audit log, as the API would have recorded it, by
    // the server (no token made it).
    let site = seeded["site_id"].as_str().unwrap();
    let events = api
        .admin(
            "GET",
            &format!("/v1/admin/sites/{site}/events?limit=100"),
            None,
        )
        .await;
    let mut kinds: Vec<&str> = events.ok(200)["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            assert_eq!(e["actor"]["type"], "server", "{e}");
            e["type"].as_str().unwrap()
        })
        .collect();
    kinds.reverse();
    assert_eq!(
        kinds,
        [
            "site.created",
            "connection.created",
            "connection.created",
            "connection.created",
            "connection.created",
            "token.created",
            "provider_config.created",
            "connect.created",
        ]
    );
    let mut by_provider: Vec<(String, String, String)> = listed["payload"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["provider"].as_str().unwrap().to_owned(),
                c["credentials"]["type"].as_str().unwrap().to_owned(),
                c["status"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    by_provider.sort();
    let expected = [
        ("google", "oauth2", "active"),
        ("konigle_pay", "custom", "active"),
        ("shopify", "api_key", "active"),
        ("slack", "oauth2", "inactive"),
    ];
    assert_eq!(
        by_provider,
        expected.map(|(a, b, c)| (a.to_owned(), b.to_owned(), c.to_owned()))
    );
    // The server on that database follows the link to the stand-in provider.
    let opened = common::browse(&format!("{}{link}", server.url)).await;
    assert_eq!(opened.status, 302, "{}", opened.text);
    assert!(opened
        .header("location")
        .unwrap()
        .starts_with("http://127.0.0.1:8788/authorize?response_type=code&client_id=demo-client"));
    let google = api.get(&token, "/v1/connections/credentials/google").await;
    let google = google.ok(200);
    assert!(google["fields"]["access_token"].is_string());
    assert!(google["fields"]["refresh_token"].is_string());
    let created_at = listed["payload"][0]["created_at"].as_str().unwrap();
    assert!(
        google["expires_at"].as_str().unwrap() > created_at,
        "the token is not yet expired"
    );
    let shopify = api.get(&token, "/v1/connections/credentials/shopify").await;
    assert!(shopify.ok(200)["fields"]["api_key"].is_string());
    let konigle = api
        .get(&token, "/v1/connections/credentials/konigle_pay")
        .await;
    assert!(konigle.ok(200)["fields"]["merchant_id"].is_string());
    api.get(&token, "/v1/connections/credentials/slack")
        .await
        .error(404, "not_found");
    let me = api.get(&token, "/v1/personal_access_tokens").await;
    assert_eq!(me.ok(200)["data"][0]["scopes"].as_array().unwrap().len(), 5);
    assert!(server.stop().success());
}

#[tokio::test]
async fn dev_mode_makes_throwaway_settings() {
    let mut child = std::process::Command::new(common::BIN)
        .args(["--dev", "--listen", "127.0.0.1:0"])
        .env_remove("CREDPORT_ADMIN_TOKEN")
        .env_remove("CREDPORT_ENCRYPTION_KEY")
        .env_remove("CREDPORT_DATABASE")
        .env("CREDPORT_LOG", "info")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id() as i32;
    let stdout = child.stdout.take().unwrap();
    let stderr = child.stderr.take().unwrap();
    // stderr: the admin token line, then the log line naming the temporary database.
    let (url, admin_token, database) = tokio::task::spawn_blocking(move || {
        use std::io::BufRead;
        let mut errors = std::io::BufReader::new(stderr).lines().map(Result::unwrap);
        let token_line = errors.by_ref().find(|l| l.contains("admin token")).unwrap();
        let db_line = errors
            .by_ref()
            .find(|l| l.contains("database ready"))
            .unwrap();
        std::thread::spawn(move || errors.for_each(drop));
        let database = db_line
            .rsplit("database=")
            .next()
            .unwrap()
            .trim()
            .to_owned();
        let url = std::io::BufReader::new(stdout)
            .lines()
            .next()
            .unwrap()
            .unwrap();
        (
            url,
            token_line.rsplit(' ').next().unwrap().to_owned(),
            database,
        )
    })
    .await
    .unwrap();
    let url = url
        .strip_prefix("credport-server listening on ")
        .unwrap()
        .to_owned();
    assert!(std::path::Path::new(&database).exists(), "{database}");
    let api = common::Api {
        client: reqwest::Client::new(),
        base: url,
        admin_token,
    };
    let site = api.site().await;
    api.get(&site.token, "/v1/connections").await.ok(200);
    unsafe { libc::kill(pid, libc::SIGTERM) };
    assert!(child.wait().unwrap().success());
    assert!(
        !std::path::Path::new(&database).exists(),
        "the throwaway database is removed"
    );
}

#[tokio::test]
async fn the_rate_limit_answers_429_with_retry_after() {
    let server = Server::start_with(Options::default().env("CREDPORT_RATE_LIMIT", "5"));
    let api = server.api();
    let site = api.site().await;
    let other = api.site().await;
    // Site creation above used the admin token's own bucket; this token's is full. Twenty at
    // once: more than it holds, however slow the machine.
    let mut requests = tokio::task::JoinSet::new();
    for _ in 0..20 {
        let (api, token) = (api.clone(), site.token.clone());
        requests.spawn(async move { api.get(&token, "/v1/connections").await });
    }
    let answers = requests.join_all().await;
    for res in answers.iter().filter(|res| res.status != 429) {
        res.ok(200);
    }
    let limited = answers
        .iter()
        .find(|res| res.status == 429)
        .expect("no 429 among 20 requests at once at 5/s");
    limited.error(429, "rate_limited");
    let retry_after: u64 = limited.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=2).contains(&retry_after), "{retry_after}");
    // Per user: another user is not limited by this one.
    api.get(&other.token, "/v1/connections").await.ok(200);
    tokio::time::sleep(Duration::from_secs(retry_after)).await;
    api.get(&site.token, "/v1/connections").await.ok(200);
    assert!(server.stop().success());
}

/// A token revoked after it was used is refused as any wrong token is, and spends nothing of its
/// user's budget: its requests never answer 429 for the user, and the user's other tokens go on.
#[tokio::test]
async fn a_revoked_token_spends_nothing_of_its_users_rate_limit() {
    let server = Server::start_with(Options::default().env("CREDPORT_RATE_LIMIT", "5"));
    let api = server.api();
    let site = api.site_with("revoked-user", None).await;
    let other = api.token_for(&site.id, "revoked-user", "other").await;
    // Used once, so the server knows whose it is; then revoked.
    api.get(&site.token, "/v1/api_keys").await.ok(200);
    api.admin_revokes_token(&site).await;
    // Twice the user's budget of writes with the dead token: each one a 401.
    for _ in 0..10 {
        api.post(
            &site.token,
            "/v1/api_keys",
            serde_json::json!({ "name": "k", "subject": "s" }),
        )
        .await
        .error(401, "unauthenticated");
    }
    api.get(&other, "/v1/connections").await.ok(200);
    assert!(server.stop().success());
}

/// A revoked token the server knew is answered 401 even while its user's budget is spent by
/// another of their tokens: a 429 would say whose it was, and that they are active now.
#[tokio::test]
async fn a_dead_token_is_refused_as_dead_while_its_users_budget_is_spent() {
    // (The admin token's calls below count against a budget of their own.)
    let server = Server::start_with(Options::default().env("CREDPORT_RATE_LIMIT", "10"));
    let api = server.api();
    let site = api.site_with("spent-user", None).await;
    let other = api.token_for(&site.id, "spent-user", "other").await;
    let key = serde_json::json!({ "name": "k", "subject": "s" });
    api.post(&site.token, "/v1/api_keys", key.clone())
        .await
        .ok(201);
    api.admin_revokes_token(&site).await;
    // The user's budget, spent by their other token: more requests at once than it holds.
    let statuses = at_once(&api, vec![other; 30]).await;
    assert!(statuses.contains(&429), "{statuses:?}");
    api.post(&site.token, "/v1/api_keys", key)
        .await
        .error(401, "unauthenticated");
    assert!(server.stop().success());
}

/// The statuses of `GET /v1/connections` with each of `tokens`, all sent at once.
async fn at_once(api: &common::Api, tokens: Vec<String>) -> Vec<u16> {
    let mut requests = tokio::task::JoinSet::new();
    for token in tokens {
        let api = api.clone();
        requests.spawn(async move { api.get(&token, "/v1/connections").await.status });
    }
    requests.join_all().await
}

#[tokio::test]
async fn a_users_tokens_share_one_rate_limit() {
    let server = Server::start_with(Options::default().env("CREDPORT_RATE_LIMIT", "10"));
    let api = server.api();
    let site = api.site_with("many-tokens", None).await;
    let mut tokens = vec![site.token.clone()];
    for name in ["second", "third", "fourth", "fifth"] {
        tokens.push(api.token_for(&site.id, "many-tokens", name).await);
    }
    let neighbour = api.token_for(&site.id, "neighbour", "n").await;
    // Twenty requests at once over five tokens: four each, within a per-token budget of ten,
    // but twenty for the one user. The bucket refills ten a second while they run: at most
    // that many more pass (counted per token, all twenty would).
    let started = std::time::Instant::now();
    let statuses = at_once(&api, tokens.iter().cycle().take(20).cloned().collect()).await;
    let refills = (10.0 * started.elapsed().as_secs_f64()).ceil() as usize;
    let allowed = statuses.iter().filter(|s| **s == 200).count();
    assert!(allowed <= 10 + refills, "{refills} refills: {statuses:?}");
    assert!(allowed >= 10, "{statuses:?}");
    assert!(
        statuses.iter().all(|s| *s == 200 || *s == 429),
        "{statuses:?}"
    );
    api.get(&neighbour, "/v1/connections").await.ok(200);
    assert!(server.stop().success());
}

/// The first 429 of `send` (a wrong token), sent again after each 401: the address's bucket
/// earns a try a second, which a request may spend; five 401s in a row would mean no throttle.
async fn once_throttled<F: std::future::Future<Output = common::Res>>(
    mut send: impl FnMut() -> F,
) -> common::Res {
    for _ in 0..5 {
        let answer = send().await;
        if answer.status != 401 {
            return answer;
        }
    }
    panic!("five wrong tokens in a row were answered 401: no throttle");
}

#[tokio::test]
async fn failed_authentications_are_throttled_per_client_address() {
    let server = Server::start();
    let api = server.api();
    let site = api.site().await;
    let wrong = format!("cpat_{}", "W".repeat(40));
    // Forty wrong tokens at once: thirty are told 401, the rest 429.
    let statuses = at_once(&api, vec![wrong.clone(); 40]).await;
    let unauthenticated = statuses.iter().filter(|s| **s == 401).count();
    let limited = statuses.iter().filter(|s| **s == 429).count();
    assert_eq!(unauthenticated + limited, 40, "{statuses:?}");
    assert!(unauthenticated >= 30, "a burst of 30: {statuses:?}");
    assert!(limited >= 1, "{statuses:?}");
    let throttled = once_throttled(|| api.get(&wrong, "/v1/connections")).await;
    throttled.error(429, "rate_limited");
    let retry_after: u64 = throttled.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=2).contains(&retry_after), "{retry_after}");
    // While throttled, wrong admin tokens are throttled too; a right token is still served
    // (one guesser must not lock out everyone behind the same proxy), and a request with no
    // token is no attempt.
    once_throttled(|| {
        api.request(
            "POST",
            "/v1/admin/sites",
            Some("wrong-admin-token"),
            None,
            &[],
        )
    })
    .await
    .error(429, "rate_limited");
    api.get(&site.token, "/v1/connections").await.ok(200);
    api.request("GET", "/v1/connections", None, None, &[])
        .await
        .error(401, "unauthenticated");
    // After Retry-After, a wrong token is told 401 again.
    tokio::time::sleep(Duration::from_secs(retry_after)).await;
    api.get(&wrong, "/v1/connections")
        .await
        .error(401, "unauthenticated");
    assert!(server.stop().success());
}

#[tokio::test]
async fn cors_answers_allowed_origins_only() {
    // Written as an operator might: matched as a browser writes it (lower case, no :443).
    let server = Server::start_with(Options::default().env(
        "CREDPORT_CORS_ORIGINS",
        "https://App.Example:443, http://localhost:3000",
    ));
    let api = server.api();
    let site = api.site().await;
    let preflight = api
        .request(
            "OPTIONS",
            "/v1/api_keys",
            None,
            None,
            &[
                ("origin", "https://app.example"),
                ("access-control-request-method", "POST"),
                (
                    "access-control-request-headers",
                    "authorization, content-type, idempotency-key",
                ),
            ],
        )
        .await;
    assert!(preflight.status < 300, "{}", preflight.status);
    assert_eq!(
        preflight.header("access-control-allow-origin"),
        Some("https://app.example")
    );
    let allowed_headers = preflight
        .header("access-control-allow-headers")
        .unwrap()
        .to_lowercase();
    for h in ["authorization", "content-type", "idempotency-key"] {
        assert!(allowed_headers.contains(h), "{allowed_headers}");
    }
    let methods = preflight.header("access-control-allow-methods").unwrap();
    for m in ["GET", "POST", "PATCH", "DELETE"] {
        assert!(methods.contains(m), "{methods}");
    }
    assert!(preflight.header("x-request-id").is_some());

    let actual = api
        .request(
            "GET",
            "/v1/connections",
            Some(&site.token),
            None,
            &[("origin", "http://localhost:3000")],
        )
        .await;
    actual.ok(200);
    assert_eq!(
        actual.header("access-control-allow-origin"),
        Some("http://localhost:3000")
    );
    let exposed = actual
        .header("access-control-expose-headers")
        .unwrap()
        .to_lowercase();
    for h in ["x-request-id", "retry-after", "idempotent-replayed"] {
        assert!(exposed.contains(h), "{exposed}");
    }
    let denied = api
        .request(
            "GET",
            "/v1/connections",
            Some(&site.token),
            None,
            &[("origin", "https://evil.example")],
        )
        .await;
    assert_eq!(denied.header("access-control-allow-origin"), None);
    // Errors carry the CORS headers too, so a page can read them.
    let error = api
        .request(
            "GET",
            "/v1/connections",
            None,
            None,
            &[("origin", "https://app.example")],
        )
        .await;
    error.error(401, "unauthenticated");
    assert_eq!(
        error.header("access-control-allow-origin"),
        Some("https://app.example")
    );
    // The request head's limits too.
    let long = format!("/v1/connections?q={}", "a".repeat(9000));
    let too_long = api
        .request(
            "GET",
            &long,
            None,
            None,
            &[("origin", "https://app.example")],
        )
        .await;
    too_long.error(414, "uri_too_long");
    assert_eq!(
        too_long.header("access-control-allow-origin"),
        Some("https://app.example")
    );
    assert!(server.stop().success());

    // Off by default.
    let plain = Server::shared();
    let res = plain
        .api()
        .request(
            "GET",
            "/v1/nothing",
            None,
            None,
            &[("origin", "https://app.example")],
        )
        .await;
    assert_eq!(res.header("access-control-allow-origin"), None);
}

/// A "remote" PostgreSQL over TLS (the test cluster on a loopback port, with a certificate from
/// its own authority): used with `sslrootcert`, refused without (the certificate is verified).
#[tokio::test]
async fn postgres_over_tls_verifies_the_server_certificate() {
    if !common::on_postgres() {
        return;
    }
    let socket_url = common::new_postgres_database();
    let name = common::postgres_name(&socket_url);
    let port = std::env::var("PGPORT").unwrap();
    let ca = std::env::var("CREDPORT_TEST_PG_CA").unwrap();
    let remote = format!("postgres://postgres@localhost:{port}/{name}?sslmode=require");
    let key = random_hex(32);
    let untrusted = run(
        &["demo"],
        &[
            ("CREDPORT_DATABASE", remote.as_str()),
            ("CREDPORT_ENCRYPTION_KEY", key.as_str()),
        ],
    );
    let stderr = String::from_utf8_lossy(&untrusted.stderr);
    assert_eq!(untrusted.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("CREDPORT_DATABASE"), "{stderr}");

    let trusted = format!("{remote}&sslrootcert={ca}");
    let server = Server::start_with(Options {
        database: Some(trusted.into()),
        key: Some(key),
        ..Options::default()
    });
    server.api().site().await;
    let encrypted = common::psql(
        &socket_url,
        &format!(
            "SELECT bool_and(s.ssl) FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid)
             WHERE a.application_name = 'credport-server' AND a.datname = '{name}'"
        ),
    );
    assert_eq!(encrypted.trim(), "t", "the server's connections use TLS");
    assert!(server.stop().success());
}
