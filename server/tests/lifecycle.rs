//! The server as a process: persistence across restarts, graceful shutdown, concurrency, and
//! what the database (the SQLite file, or a `pg_dump` of PostgreSQL) and the log hold (no secret
//! in either).

mod common;

use std::time::Duration;

use common::{connection_body, on_postgres, stored_bytes, Options, Server};
use serde_json::json;

/// Everything secret a test made, to look for in files and logs.
struct Secrets(Vec<String>);

impl Secrets {
    fn assert_absent_from(&self, what: &str, haystack: &[u8]) {
        for secret in &self.0 {
            let found = haystack
                .windows(secret.len())
                .any(|w| w == secret.as_bytes());
            assert!(!found, "{what} holds a secret in plaintext: {secret}");
        }
    }
}

#[tokio::test]
async fn data_survives_a_restart_and_no_secret_is_stored_in_plaintext() {
    let server = Server::start();
    let api = server.api();
    let site = api.site().await;
    let mut secrets = Secrets(vec![
        site.token.clone(),
        server.admin_token.clone(),
        server.key.clone(),
    ]);

    let mut google = connection_body("google");
    let access_token = format!("ya29.PLAINTEXT-{}", common::random_hex(16));
    let refresh_token = format!("1//REFRESH-{}", common::random_hex(16));
    google["credentials"] = json!({
        "type": "oauth2",
        "expires_at": "2031-01-01T00:00:00Z",
        "fields": { "access_token": access_token, "refresh_token": refresh_token }
    });
    let connection = api.connection(&site.id, google).await;
    secrets
        .0
        .extend([access_token.clone(), refresh_token.clone()]);

    // Create with an Idempotency-Key: the stored replay holds the secret too.
    let key = api
        .request(
            "POST",
            "/v1/api_keys",
            Some(&site.token),
            Some(&json!({ "name": "Persistent 🔑", "subject": "s", "claims": { "tier": "gold" } })),
            &[("idempotency-key", "persist-1")],
        )
        .await;
    let key = key.ok(201).clone();
    let key_secret = key["secret"].as_str().unwrap().to_owned();
    secrets.0.push(key_secret.clone());
    let pat = api
        .post(
            &site.token,
            "/v1/personal_access_tokens",
            json!({ "name": "second" }),
        )
        .await;
    let pat = pat.ok(201).clone();
    let pat_token = pat["token"].as_str().unwrap().to_owned();
    secrets.0.push(pat_token.clone());
    let verified = api
        .post(
            &site.token,
            "/v1/api_keys/verify",
            json!({ "secret": key_secret }),
        )
        .await;
    assert_eq!(verified.ok(200)["code"], "VALID");

    // While running: the database (with SQLite's WAL) holds no secret.
    secrets.assert_absent_from("the running database", &stored_bytes(&server.database));
    #[cfg(unix)]
    if !on_postgres() {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&server.database)
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o077, 0, "the database is private to its owner");
    }

    let status = server.stop();
    assert!(status.success(), "SIGTERM is a clean stop: {status:?}");
    let all_files = stored_bytes(&server.database);
    secrets.assert_absent_from("the stopped database", &all_files);
    // The scan does find what is stored in plaintext, so it would find a leaked secret.
    let name = "Persistent 🔑".as_bytes();
    assert!(all_files.windows(name.len()).any(|w| w == name));
    secrets.assert_absent_from("the log", server.logs().as_bytes());

    let restarted = Server::start_with(server.same_data());
    let api = restarted.api();
    let fetched = api
        .get(
            &site.token,
            &format!("/v1/api_keys/{}", key["id"].as_str().unwrap()),
        )
        .await;
    let fetched = fetched.ok(200);
    assert_eq!(fetched["name"], "Persistent 🔑");
    assert_eq!(fetched["claims"], json!({ "tier": "gold" }));
    assert!(fetched["last_used_at"].is_string());
    let shown = api
        .get(
            &site.token,
            &format!("/v1/api_keys/{}/secret", key["id"].as_str().unwrap()),
        )
        .await;
    assert_eq!(shown.ok(200)["secret"], key_secret.as_str());
    let credentials = api
        .get(&site.token, "/v1/connections/credentials/google")
        .await;
    assert_eq!(
        credentials.ok(200)["fields"],
        json!({ "access_token": access_token, "refresh_token": refresh_token })
    );
    let listed = api.get(&site.token, "/v1/connections").await;
    assert_eq!(listed.ok(200)["payload"][0]["id"], connection["id"]);
    api.get(&pat_token, "/v1/personal_access_tokens")
        .await
        .ok(200);
    let replay = api
        .request(
            "POST",
            "/v1/api_keys",
            Some(&site.token),
            Some(&json!({ "name": "Persistent 🔑", "subject": "s", "claims": { "tier": "gold" } })),
            &[("idempotency-key", "persist-1")],
        )
        .await;
    assert_eq!(replay.ok(201), &key, "replays survive a restart");
    assert_eq!(replay.header("idempotent-replayed"), Some("true"));
    let verified = api
        .post(
            &site.token,
            "/v1/api_keys/verify",
            json!({ "secret": key_secret }),
        )
        .await;
    assert_eq!(verified.ok(200)["code"], "VALID");
    assert!(restarted.stop().success());
}

#[tokio::test]
async fn two_hundred_concurrent_creates_all_land() {
    let server = Server::shared();
    let api = server.api();
    let site = api.site().await;
    let mut tasks = tokio::task::JoinSet::new();
    for n in 0..200 {
        let api = api.clone();
        let token = site.token.clone();
        tasks.spawn(async move {
            api.post(
                &token,
                "/v1/api_keys",
                json!({ "name": format!("key {n}"), "subject": "load" }),
            )
            .await
        });
    }
    let answers = tasks.join_all().await;
    let mut ids: Vec<String> = answers
        .iter()
        .map(|res| res.ok(201)["id"].as_str().unwrap().to_owned())
        .collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 200);
    let listed = api
        .get(&site.token, "/v1/api_keys?subject=load&limit=1")
        .await;
    assert_eq!(listed.ok(200)["total_count"], 200);
    assert!(!server.logs().contains("database is locked"));
}

#[tokio::test]
async fn reads_and_writes_mix_under_load() {
    let server = Server::shared();
    let api = server.api();
    let site = api.site().await;
    api.connection(&site.id, connection_body("shopify")).await;
    let mut tasks = tokio::task::JoinSet::new();
    for n in 0..60 {
        let api = api.clone();
        let token = site.token.clone();
        tasks.spawn(async move {
            match n % 3 {
                0 => api.get(&token, "/v1/connections").await.status,
                1 => {
                    api.get(&token, "/v1/connections/credentials/shopify")
                        .await
                        .status
                }
                _ => {
                    api.post(
                        &token,
                        "/v1/api_keys",
                        json!({ "name": format!("m{n}"), "subject": "mix" }),
                    )
                    .await
                    .status
                }
            }
        });
    }
    let statuses = tasks.join_all().await;
    assert!(
        statuses.iter().all(|s| *s == 200 || *s == 201),
        "{statuses:?}"
    );
}

#[tokio::test]
async fn shutdown_lets_requests_in_flight_finish() {
    use std::io::{Read, Write};
    let server = Server::start();
    let api = server.api();
    let site = api.site().await;
    let body = br#"{"name":"in flight","subject":"s"}"#;
    // `Expect: 100-continue`: the server answers `100 Continue` once the handler reads the
    // body, which tells the test that the request is in flight, not a guess at how long that takes.
    let head = format!(
        "POST /v1/api_keys HTTP/1.1\r\nhost: x\r\nauthorization: Bearer {}\r\n\
         content-type: application/json\r\ncontent-length: {}\r\nexpect: 100-continue\r\n\
         connection: close\r\n\r\n",
        site.token,
        body.len()
    );
    let mut stream =
        std::net::TcpStream::connect(server.url.trim_start_matches("http://")).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    stream.write_all(head.as_bytes()).unwrap();
    let mut interim = [0u8; 25];
    stream.read_exact(&mut interim).unwrap();
    assert_eq!(&interim, b"HTTP/1.1 100 Continue\r\n\r\n");
    let (first, rest) = body.split_at(10);
    stream.write_all(first).unwrap();
    // SIGTERM lands while the body is half sent; the rest follows once the server says it is
    // shutting down.
    server.send_signal(libc::SIGTERM);
    let logs = server
        .logs_when(|logs| logs.contains("shutting down"))
        .await;
    assert!(logs.contains("shutting down"), "{logs}");
    stream.write_all(rest).unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 201"), "{answer}");
    let status = server.wait();
    assert!(status.success(), "{status:?}");
}

#[tokio::test]
async fn one_log_line_per_request_without_secrets_or_queries() {
    // The most verbose level: nothing secret at any level.
    let server = Server::start_with(Options::default().env("CREDPORT_LOG", "trace"));
    let api = server.api();
    let site = api.site().await;
    let created = api.create_key(&site.token, "logged").await;
    let secret = created["secret"].as_str().unwrap().to_owned();
    let listed = api.get(&site.token, "/v1/api_keys?query=SEARCH-TERM").await;
    let request_id = listed.header("x-request-id").unwrap().to_owned();
    api.get(&site.token, "/v1/nothing").await;
    let logs = server
        .logs_when(|logs| logs.contains(&request_id) && logs.contains("status=404"))
        .await;
    let lines: Vec<&str> = logs.lines().filter(|l| l.contains(&request_id)).collect();
    assert_eq!(lines.len(), 1, "one line per request: {logs}");
    let line = lines[0];
    for part in ["GET", "path=\"/v1/api_keys\"", "status=200", "latency_ms="] {
        assert!(line.contains(part), "{part} missing from {line}");
    }
    assert!(
        !logs.contains("SEARCH-TERM"),
        "the query string is not logged"
    );
    assert!(logs.contains("status=404"));
    for secret in [&site.token, &secret, &server.admin_token, &server.key] {
        assert!(!logs.contains(secret.as_str()), "the log holds a secret");
    }
    assert!(server.stop().success());
}

#[tokio::test]
async fn sigint_also_stops_cleanly() {
    let server = Server::start();
    let api = server.api();
    api.request("GET", "/v1/nothing", None, None, &[])
        .await
        .error(404, "not_found");
    let status = server.signal(libc::SIGINT);
    assert!(status.success(), "{status:?}");
    // The last lines reach the test's reader of stderr a moment after the exit.
    let logs = server.logs_when(|logs| logs.contains("SIGINT")).await;
    assert!(logs.contains("SIGINT"), "{logs}");
}

#[tokio::test]
async fn a_database_locked_past_the_busy_timeout_is_a_retryable_503_and_nothing_is_written() {
    let server = Server::start();
    let api = server.api();
    let site = api.site().await;
    // Another process holds a lock, until the server has answered, for longer than the server
    // waits for one: SQLite's busy timeout (10 s), PostgreSQL's lock_timeout (5 s). The request
    // goes once the lock is held, not after a guess at how long that takes.
    let create = json!({ "name": "during the lock", "subject": "locked" });
    let refused = if on_postgres() {
        let held =
            common::Held::begin(&server, "LOCK TABLE api_keys IN ACCESS EXCLUSIVE MODE;").await;
        let refused = api.post(&site.token, "/v1/api_keys", create.clone()).await;
        held.commit();
        refused
    } else {
        let database = server.database.clone();
        let (locked, taken) = std::sync::mpsc::channel();
        let (release, released) = std::sync::mpsc::channel::<()>();
        let holder = std::thread::spawn(move || {
            let conn = rusqlite::Connection::open(&database).unwrap();
            conn.execute_batch("BEGIN EXCLUSIVE").unwrap();
            locked.send(()).unwrap();
            let _ = released.recv();
            conn.execute_batch("ROLLBACK").unwrap();
        });
        tokio::task::spawn_blocking(move || taken.recv().unwrap())
            .await
            .unwrap();
        let refused = api.post(&site.token, "/v1/api_keys", create.clone()).await;
        drop(release);
        holder.join().unwrap();
        refused
    };
    refused.error(503, "unavailable");
    assert_eq!(refused.header("retry-after"), Some("1"));

    api.post(&site.token, "/v1/api_keys", create).await.ok(201);
    let listed = api.get(&site.token, "/v1/api_keys?subject=locked").await;
    assert_eq!(
        listed.ok(200)["total_count"],
        1,
        "the refused create left nothing behind"
    );
}

#[tokio::test]
async fn the_log_names_the_route_and_ids_never_other_path_parts() {
    let server = Server::start_with(Options::default().env("CREDPORT_LOG", "trace"));
    let api = server.api();
    let site = api.site().await;
    // A careless client puts secrets into paths.
    let in_path = format!("cpk_{}", "P".repeat(40));
    let unrouted = format!("cpat_{}", "U".repeat(40));
    let res = api
        .get(&site.token, &format!("/v1/api_keys/{in_path}"))
        .await;
    res.error(404, "not_found");
    let request_id = res.header("x-request-id").unwrap().to_owned();
    api.get(&site.token, &format!("/v1/{unrouted}/x")).await;
    let logs = server
        .logs_when(|logs| logs.contains(&request_id) && logs.contains(r#"path="(no route)""#))
        .await;
    let line = logs
        .lines()
        .find(|l| l.contains(&request_id))
        .unwrap_or_else(|| panic!("no line for {request_id}: {logs}"));
    assert!(line.contains(r#"path="/v1/api_keys/{id}""#), "{line}");
    assert!(logs.contains(r#"path="(no route)""#), "{logs}");
    // An id is no secret: it is kept, so that a request can be traced to its object.
    let created = api.create_key(&site.token, "traced").await;
    let id = created["id"].as_str().unwrap().to_owned();
    api.get(&site.token, &format!("/v1/api_keys/{id}/secret"))
        .await
        .ok(200);
    let traced = format!(r#"path="/v1/api_keys/{id}/secret""#);
    let logs = server.logs_when(|logs| logs.contains(&traced)).await;
    assert!(logs.contains(&traced), "{logs}");
    for secret in [&in_path, &unrouted] {
        assert!(
            !logs.contains(secret.as_str()),
            "the log holds a path's secret"
        );
    }
    assert!(server.stop().success());
}
