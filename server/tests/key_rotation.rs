//! Rotating `CREDPORT_ENCRYPTION_KEY`: old keys still read, `reencrypt` moves every secret to
//! the current key (resumably), a start whose keys cannot read a stored secret refuses, and a
//! rolling rotation over two instances sharing PostgreSQL fails no request.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use common::{connection_body, on_postgres, random_hex, run, wait_until, Options, Server, BIN};
use credport_server::crypto::KeyId;
use serde_json::json;
use tokio::sync::RwLock;

/// The key id `credport-server` prints for a key given as hex.
fn key_id(hex_key: &str) -> String {
    let mut key = [0u8; 32];
    hex::decode_to_slice(hex_key, &mut key).unwrap();
    KeyId::of(&key).to_string()
}

/// The environment of a command on `server`'s database with `current` and `old` keys.
fn env_for<'a>(server: &'a Server, current: &'a str, old: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("CREDPORT_DATABASE", server.database.to_str().unwrap()),
        ("CREDPORT_ADMIN_TOKEN", &server.admin_token),
        ("CREDPORT_ENCRYPTION_KEY", current),
        ("CREDPORT_ENCRYPTION_KEYS_OLD", old),
        ("CREDPORT_LISTEN", "127.0.0.1:0"),
    ]
}

/// Options that start a server on `server`'s data with `current` and `old` keys.
fn rotated(server_options: &Options, current: &str, old: &str) -> Options {
    Options {
        key: Some(current.to_owned()),
        ..server_options.clone()
    }
    .env("CREDPORT_ENCRYPTION_KEYS_OLD", old)
}

#[tokio::test]
async fn a_start_whose_keys_cannot_read_a_stored_secret_refuses_in_one_line() {
    let first = Server::start();
    let api = first.api();
    let site = api.site().await;
    api.connection(&site.id, connection_body("google")).await;
    let data = first.same_data();
    assert!(first.stop().success());

    let other = random_hex(32);
    let refused = run(&[], &env_for(&first, &other, ""));
    assert_eq!(refused.status.code(), Some(2));
    let stderr = String::from_utf8(refused.stderr).unwrap();
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("cannot read"), "{stderr}");
    assert!(
        stderr.contains(&key_id(&first.key)),
        "names the key id: {stderr}"
    );
    assert!(
        !stderr.contains(&first.key) && !stderr.contains(&other),
        "prints no key"
    );
    // The count: the connection's credentials, the admin's replayable answers are none (no
    // Idempotency-Key), the database's lookup key.
    assert!(stderr.contains(" 2 stored secrets"), "{stderr}");

    // The old key as an old key: it starts, and reads what the old key wrote.
    let second = Server::start_with(rotated(&data, &other, &first.key));
    let listed = second
        .api()
        .get(&site.token, "/v1/connections/credentials/google")
        .await;
    listed.ok(200);
    assert!(second.stop().success());
}

/// Starts `reencrypt` with piped output.
fn spawn_reencrypt(env: &[(&str, &str)], batch: u32) -> std::process::Child {
    let mut command = Command::new(BIN);
    command
        .args(["reencrypt", "--batch", &batch.to_string()])
        .env_remove("RUST_LOG")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (name, value) in env {
        command.env(name, value);
    }
    command.spawn().unwrap()
}

#[tokio::test]
async fn reencrypt_resumes_after_a_kill_and_ends_with_each_keys_count() {
    let server = Server::start();
    let api = server.api();
    let site = api.site().await;
    let mut secrets = Vec::new();
    for i in 0..200 {
        let key = api
            .post(
                &site.token,
                "/v1/api_keys",
                json!({ "name": format!("k{i}"), "subject": "s" }),
            )
            .await;
        secrets.push(key.ok(201)["secret"].as_str().unwrap().to_owned());
    }
    assert!(server.stop().success());
    let new = random_hex(32);
    let env = env_for(&server, &new, &server.key);

    // One row per transaction; killed once some are done. Its progress pipe is made one page
    // small, so that it cannot run far ahead of this reader: the kill lands mid-way.
    let mut child = spawn_reencrypt(&env, 1);
    let stderr = child.stderr.take().unwrap();
    // SAFETY: fcntl only resizes the pipe this process holds.
    unsafe {
        libc::fcntl(
            std::os::fd::AsRawFd::as_raw_fd(&stderr),
            libc::F_SETPIPE_SZ,
            4096,
        )
    };
    let mut lines = BufReader::new(stderr).lines();
    let progressed = lines.by_ref().map_while(Result::ok).find(|line| {
        line.strip_prefix("reencrypt: ")
            .and_then(|rest| rest.split('/').next())
            .and_then(|done| done.parse::<u64>().ok())
            .is_some_and(|done| done >= 5)
    });
    assert!(progressed.is_some(), "no progress line");
    child.kill().unwrap();
    let killed = child.wait().unwrap();
    assert!(!killed.success(), "killed before the end");

    let finished = run(&["reencrypt"], &env);
    let stdout = String::from_utf8(finished.stdout).unwrap();
    assert!(
        finished.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&finished.stderr)
    );
    let rewritten: u64 = stdout
        .lines()
        .find_map(|l| {
            l.strip_prefix("reencrypted ")?
                .strip_suffix(" secrets")?
                .parse()
                .ok()
        })
        .unwrap_or_else(|| panic!("{stdout}"));
    assert!(
        rewritten > 0 && rewritten < 200,
        "resumed where the kill left it: {stdout}"
    );
    let current = format!("key {} (current): ", key_id(&new));
    let old = format!("key {} (old): 0 secrets", key_id(&server.key));
    assert!(stdout.lines().any(|l| l.starts_with(&current)), "{stdout}");
    assert!(stdout.lines().any(|l| l == old), "{stdout}");
    // Not a terminal: progress came as lines, and no key was printed.
    let stderr = String::from_utf8(finished.stderr).unwrap();
    assert!(
        stderr.lines().all(|l| l.starts_with("reencrypt: ")),
        "{stderr}"
    );
    assert!(!stdout.contains(&new) && !stderr.contains(&server.key));

    // The old key dropped: every secret is readable, every token and secret still found.
    let after = Server::start_with(Options {
        key: Some(new.clone()),
        ..server.same_data()
    });
    let api = after.api();
    let page = api.get(&site.token, "/v1/api_keys?limit=1").await;
    let id = page.ok(200)["data"][0]["id"].as_str().unwrap().to_owned();
    api.get(&site.token, &format!("/v1/api_keys/{id}/secret"))
        .await
        .ok(200);
    let verified = api
        .post(
            &site.token,
            "/v1/api_keys/verify",
            json!({ "secret": secrets[7] }),
        )
        .await;
    assert_eq!(verified.ok(200)["code"], "VALID", "{}", verified.text);
    assert!(after.stop().success());
}

/// The instances a client may use: an instance is taken out (waiting for the requests it is
/// answering) before it stops, as a load balancer drains it.
type Pool = Arc<RwLock<Vec<String>>>;

/// One round of work on the instances in `pool`: writes on one (a new API key, encrypted), reads
/// on the other (its secret, decrypted; a lookup by hash; a connection's credentials).
async fn round(client: &reqwest::Client, pool: &Pool, token: &str, i: usize) -> Vec<String> {
    let urls = pool.read().await;
    let (a, b) = (&urls[i % urls.len()], &urls[(i + 1) % urls.len()]);
    let mut failures = Vec::new();
    let mut check = |what: &str, res: reqwest::Result<reqwest::Response>| match res {
        Ok(r) if r.status().is_success() => Some(r),
        Ok(r) => {
            failures.push(format!("{what}: {}", r.status()));
            None
        }
        Err(e) => {
            failures.push(format!("{what}: {e}"));
            None
        }
    };
    let created = client
        .post(format!("{a}/v1/api_keys"))
        .bearer_auth(token)
        .json(&json!({ "name": format!("rolling {i}"), "subject": "s" }))
        .send()
        .await;
    let Some(created) = check("create", created) else {
        return failures;
    };
    let created: serde_json::Value = created.json().await.unwrap();
    let id = created["id"].as_str().unwrap();
    let secret = client
        .get(format!("{b}/v1/api_keys/{id}/secret"))
        .bearer_auth(token)
        .send()
        .await;
    check("secret", secret);
    let verified = client
        .post(format!("{b}/v1/api_keys/verify"))
        .bearer_auth(token)
        .json(&json!({ "secret": created["secret"] }))
        .send()
        .await;
    check("verify", verified);
    let credentials = client
        .get(format!("{b}/v1/connections/credentials/google"))
        .bearer_auth(token)
        .send()
        .await;
    check("credentials", credentials);
    failures
}

/// Replaces `slot`'s instance with one started with `options`: drained, stopped, started, put
/// back.
async fn restart(pool: &Pool, servers: &mut [Server; 2], slot: usize, options: Options) {
    let url = servers[slot].url.clone();
    pool.write().await.retain(|u| *u != url);
    assert!(servers[slot].stop().success());
    let started = tokio::task::spawn_blocking(move || Server::start_with(options))
        .await
        .unwrap();
    pool.write().await.push(started.url.clone());
    servers[slot] = started;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_rolling_rotation_over_two_instances_fails_no_request() {
    if !on_postgres() {
        eprintln!("two instances share PostgreSQL only: run with CREDPORT_TEST_STORE=postgres");
        return;
    }
    let (k1, k2) = (random_hex(32), random_hex(32));
    let base = Options {
        database: Some(common::new_postgres_database().into()),
        key: Some(k1.clone()),
        admin_token: Some(format!("admin_{}", random_hex(16))),
        ..Options::default()
    };
    let mut servers = [
        Server::start_with(base.clone()),
        Server::start_with(base.clone()),
    ];
    let api = servers[0].api();
    let site = api.site().await;
    api.connection(&site.id, connection_body("google")).await;
    let pool: Pool = Arc::new(RwLock::new(servers.iter().map(|s| s.url.clone()).collect()));

    // Requests go on, on both instances, the whole time.
    let stop = Arc::new(AtomicBool::new(false));
    let rounds = Arc::new(AtomicUsize::new(0));
    let load = {
        let (pool, stop, token) = (Arc::clone(&pool), Arc::clone(&stop), site.token.clone());
        let rounds = Arc::clone(&rounds);
        tokio::spawn(async move {
            let client = reqwest::Client::new();
            let mut failures = Vec::new();
            while !stop.load(Ordering::Relaxed) {
                let i = rounds.load(Ordering::Relaxed);
                failures.extend(round(&client, &pool, &token, i).await);
                rounds.fetch_add(1, Ordering::Relaxed);
            }
            failures
        })
    };

    // 1. The new key as an old key everywhere.
    for slot in 0..2 {
        restart(&pool, &mut servers, slot, rotated(&base, &k1, &k2)).await;
    }
    // 2. The new key current everywhere, the old one still read.
    for slot in 0..2 {
        restart(&pool, &mut servers, slot, rotated(&base, &k2, &k1)).await;
    }
    // 3. Everything rewritten under the new key, while requests go on.
    let env = env_for(&servers[0], &k2, &k1);
    let env: Vec<(String, String)> = env
        .iter()
        .map(|(n, v)| (n.to_string(), v.to_string()))
        .collect();
    let reencrypted = tokio::task::spawn_blocking(move || {
        let env: Vec<(&str, &str)> = env.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
        run(&["reencrypt", "--batch", "10"], &env)
    })
    .await
    .unwrap();
    let summary = String::from_utf8(reencrypted.stdout).unwrap();
    assert!(reencrypted.status.success(), "{summary}");
    let old_line = format!("key {} (old): 0 secrets", key_id(&k1));
    assert!(summary.lines().any(|l| l == old_line), "{summary}");
    // 4. The old key dropped.
    for slot in 0..2 {
        restart(&pool, &mut servers, slot, rotated(&base, &k2, "")).await;
    }
    // Some more rounds on the final pair, then the tally.
    let settled = rounds.load(Ordering::Relaxed) + 10;
    wait_until(
        "ten more rounds of the load",
        Duration::from_secs(30),
        || rounds.load(Ordering::Relaxed) >= settled,
    )
    .await;
    stop.store(true, Ordering::Relaxed);
    let failures = load.await.unwrap();
    let rounds = rounds.load(Ordering::Relaxed);
    assert!(
        failures.is_empty(),
        "{} of {rounds} rounds failed: {failures:?}",
        failures.len()
    );
    assert!(rounds >= 20, "only {rounds} rounds ran");
    for server in &servers {
        assert!(server.stop().success());
    }
}
