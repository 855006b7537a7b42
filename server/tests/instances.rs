//! Two credport-server instances on one PostgreSQL database behave as one server: an
//! `Idempotency-Key` acts once and replays on the other instance, a unique name is won once, the
//! rate limit is counted once per user, a `kill -9` of one instance loses no acknowledged write
//! (the other serves it), and both restart on their data without migrating again. PostgreSQL
//! only: on SQLite (one instance per file) these tests say so and pass; `npm test` runs
//! them on PostgreSQL.

mod common;

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{on_postgres, psql, Options, Server};
use serde_json::{json, Value};

/// Two instances on one fresh database, started at the same moment (so that they race to
/// migrate it), with `env` on both.
fn two_instances(env: &[(&str, &str)]) -> Option<(Server, Server)> {
    if !on_postgres() {
        eprintln!("two instances share PostgreSQL only: run with CREDPORT_TEST_STORE=postgres");
        return None;
    }
    let mut options = Options {
        database: Some(common::new_postgres_database().into()),
        key: Some(common::random_hex(32)),
        admin_token: Some(format!("admin_{}", common::random_hex(16))),
        ..Options::default()
    };
    for (name, value) in env {
        options = options.env(name, value);
    }
    let other = options.clone();
    let first = std::thread::spawn(move || Server::start_with(options));
    let second = Server::start_with(other);
    Some((first.join().unwrap(), second))
}

/// Migrations are logged before "database ready", which is read from the server's stderr a
/// moment after it listens.
async fn migrations_applied(server: &Server) -> usize {
    server
        .logs_when(|logs| logs.contains("database ready"))
        .await
        .matches("applied migration")
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_idempotency_key_sent_to_both_instances_acts_once() {
    let Some((a, b)) = two_instances(&[]) else {
        return;
    };
    let migrations = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations/postgres"))
        .unwrap()
        .count();
    let mut applied = [migrations_applied(&a).await, migrations_applied(&b).await];
    applied.sort_unstable();
    assert_eq!(
        applied,
        [0, migrations],
        "instances starting together migrate once: one applies every migration"
    );
    let apis = [a.api(), b.api()];
    let site = apis[0].site().await;
    let body = json!({ "name": "raced", "subject": "race", "claims": { "n": 1 } });
    let sends = (0..20).map(|i| {
        let api = apis[i % 2].clone();
        let (token, body) = (site.token.clone(), body.clone());
        tokio::spawn(async move {
            api.request(
                "POST",
                "/v1/api_keys",
                Some(&token),
                Some(&body),
                &[("idempotency-key", "one-key")],
            )
            .await
        })
    });
    let mut answers = Vec::new();
    for send in sends.collect::<Vec<_>>() {
        answers.push(send.await.unwrap());
    }
    let first = answers[0].ok(201).clone();
    for answer in &answers {
        assert_eq!(answer.ok(201), &first, "every answer is the first one");
    }
    let replays = answers
        .iter()
        .filter(|r| r.header("idempotent-replayed") == Some("true"))
        .count();
    assert_eq!(replays, 19, "one request acted, the others replayed");
    for api in &apis {
        let listed = api.get(&site.token, "/v1/api_keys?subject=race").await;
        assert_eq!(listed.ok(200)["total_count"], 1, "one key stored");
    }
    let url = a.database.to_str().unwrap();
    assert_eq!(
        psql(
            url,
            "SELECT COUNT(*) FROM idempotency_keys WHERE key = 'one-key'"
        )
        .trim(),
        "1"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_name_raced_on_both_instances_is_created_once_and_409_elsewhere() {
    let Some((a, b)) = two_instances(&[]) else {
        return;
    };
    let apis = [a.api(), b.api()];
    let site = apis[0].site().await;
    for round in 0..5 {
        let body = json!({ "name": format!("unique {round}"), "subject": "race" });
        let sends: Vec<_> = (0..10)
            .map(|i| {
                let api = apis[i % 2].clone();
                let (token, body) = (site.token.clone(), body.clone());
                tokio::spawn(async move { api.post(&token, "/v1/api_keys", body).await })
            })
            .collect();
        let mut created = 0;
        for send in sends {
            let answer = send.await.unwrap();
            match answer.status {
                201 => created += 1,
                _ => {
                    answer.error(409, "conflict");
                    let message = answer.body["error"]["message"].as_str().unwrap();
                    assert!(message.contains("name"), "{message}");
                }
            }
        }
        assert_eq!(created, 1, "round {round}: one 201, the rest 409");
    }
    let listed = apis[1].get(&site.token, "/v1/api_keys?subject=race").await;
    assert_eq!(listed.ok(200)["total_count"], 5);
    for server in [&a, &b] {
        assert!(!server.logs().contains("status=500"), "{}", server.logs());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_rate_limit_is_counted_once_per_user_across_instances() {
    let Some((a, b)) = two_instances(&[("CREDPORT_RATE_LIMIT", "5")]) else {
        return;
    };
    let apis = [a.api(), b.api()];
    let site = apis[0].site().await;
    // A second token of the same user: the limit is the user's, whichever token and instance.
    let second = apis[1]
        .token_for(&site.id, &site.user, "second token")
        .await;
    let tokens = [site.token.clone(), second];
    // Let the bucket the set-up used refill.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let started = std::time::Instant::now();
    let sends: Vec<_> = (0..30)
        .map(|i| {
            let api = apis[i % 2].clone();
            let token = tokens[i / 2 % 2].clone();
            tokio::spawn(async move { api.get(&token, "/v1/api_keys").await })
        })
        .collect();
    let (mut allowed, mut limited) = (0, 0);
    for send in sends {
        let answer = send.await.unwrap();
        if answer.status == 429 {
            answer.error(429, "rate_limited");
            assert!(answer.header("retry-after").is_some());
            limited += 1;
        } else {
            answer.ok(200);
            allowed += 1;
        }
    }
    // One bucket of 5 a second for the user, refilling while the burst runs (at most one more
    // per fifth of a second it took): two instances (or two tokens) counting apart would allow
    // twice that.
    let refills = (5.0 * started.elapsed().as_secs_f64()).ceil() as usize;
    assert!(
        (5..=5 + refills).contains(&allowed),
        "{allowed} allowed, {limited} limited, {refills} refills"
    );
}

/// One write of the burst and its answer, if one came.
struct Acked {
    name: String,
    id: String,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sigkill_of_one_instance_loses_no_acknowledged_write() {
    let Some((a, b)) = two_instances(&[]) else {
        return;
    };
    let apis = [a.api(), b.api()];
    let site = apis[0].site().await;
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(20))
        .build()
        .unwrap();
    let acked: Arc<Mutex<Vec<Acked>>> = Arc::default();
    let count = Arc::new(AtomicUsize::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let mut workers = Vec::new();
    for w in 0..8 {
        let base = apis[w % 2].base.clone();
        let (client, token) = (client.clone(), site.token.clone());
        let (acked, count, stop) = (acked.clone(), count.clone(), stop.clone());
        workers.push(tokio::spawn(async move {
            let mut i = 0;
            while !stop.load(Ordering::SeqCst) {
                i += 1;
                let name = format!("w{w}-{i}");
                let sent = client
                    .post(format!("{base}/v1/api_keys"))
                    .bearer_auth(&token)
                    .json(&json!({ "name": name, "subject": "burst" }))
                    .send()
                    .await;
                let Ok(response) = sent else {
                    // Instance A is gone: this worker's writes were cut off.
                    return;
                };
                if response.status().as_u16() != 201 {
                    continue;
                }
                let Ok(body) = response.json::<Value>().await else {
                    return;
                };
                let id = body["id"].as_str().unwrap().to_owned();
                acked.lock().unwrap().push(Acked { name, id });
                count.fetch_add(1, Ordering::SeqCst);
            }
        }));
    }
    while count.load(Ordering::SeqCst) < 80 {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let killed = a.signal(libc::SIGKILL);
    assert!(!killed.success());
    // B keeps taking writes after A is gone: 20 more acknowledged.
    let at_kill = count.load(Ordering::SeqCst);
    common::wait_until(
        "B taking 20 more writes after A's SIGKILL",
        Duration::from_secs(20),
        || count.load(Ordering::SeqCst) >= at_kill + 20,
    )
    .await;
    stop.store(true, Ordering::SeqCst);
    for worker in workers {
        worker.await.unwrap();
    }
    let acked = std::mem::take(&mut *acked.lock().unwrap());
    let on_b = apis[1].clone();
    let mut seen = HashSet::new();
    for write in &acked {
        let fetched = on_b
            .get(&site.token, &format!("/v1/api_keys/{}", write.id))
            .await;
        assert_eq!(fetched.ok(200)["name"], write.name.as_str());
        seen.insert(write.id.clone());
    }
    assert_eq!(seen.len(), acked.len());
    let listed = on_b
        .get(&site.token, "/v1/api_keys?subject=burst&limit=1")
        .await;
    let total = listed.ok(200)["total_count"].as_u64().unwrap() as usize;
    assert!(
        total >= acked.len(),
        "{total} stored, {} acknowledged",
        acked.len()
    );
    println!(
        "{} writes acknowledged by both instances, all readable on B after A's SIGKILL",
        acked.len()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn both_restart_on_their_data_without_migrating_again() {
    let Some((a, b)) = two_instances(&[]) else {
        return;
    };
    let site = a.api().site().await;
    let created = b
        .api()
        .post(
            &site.token,
            "/v1/api_keys",
            json!({ "name": "kept", "subject": "restart" }),
        )
        .await;
    let created = created.ok(201).clone();
    let secret = created["secret"].as_str().unwrap().to_owned();
    let url = a.database.to_str().unwrap().to_owned();
    let migrated = psql(&url, "SELECT version, applied_at FROM schema_migrations");
    assert!(a.stop().success() && b.stop().success());

    // The dump of the shared database holds neither the key's secret nor the token.
    let dump = common::stored_bytes(&a.database);
    for secret in [&secret, &site.token] {
        assert!(
            !dump.windows(secret.len()).any(|w| w == secret.as_bytes()),
            "pg_dump holds a secret in plaintext"
        );
    }
    assert!(
        dump.windows(4).any(|w| w == b"kept"),
        "the dump is readable"
    );

    let options = a.same_data();
    let other = options.clone();
    let first = std::thread::spawn(move || Server::start_with(options));
    let b = Server::start_with(other);
    let a = first.join().unwrap();
    assert_eq!(
        migrations_applied(&a).await + migrations_applied(&b).await,
        0
    );
    assert_eq!(
        psql(&url, "SELECT version, applied_at FROM schema_migrations"),
        migrated
    );
    for server in [&a, &b] {
        let id = created["id"].as_str().unwrap();
        let shown = server
            .api()
            .get(&site.token, &format!("/v1/api_keys/{id}/secret"))
            .await;
        assert_eq!(shown.ok(200)["secret"], secret.as_str());
    }
}

/// An instance remembers which site a token it has seen is of, to check the token in the round
/// trip of the read; whether the token may still be used is asked of the database every time,
/// so a revocation through the other instance holds at once on this one.
#[tokio::test]
async fn a_token_revoked_on_one_instance_is_refused_at_once_by_the_other() {
    let Some((a, b)) = two_instances(&[]) else {
        return;
    };
    let apis = [a.api(), b.api()];
    let site = apis[0].site().await;
    apis[0]
        .connection(&site.id, common::connection_body("github"))
        .await;
    let reads = [
        ("GET", "/v1/connections", None),
        ("GET", "/v1/connections/credentials/github", None),
        (
            "POST",
            "/v1/api_keys/verify",
            Some(json!({ "secret": "sk_x" })),
        ),
    ];
    for (method, path, body) in &reads {
        apis[0]
            .request(method, path, Some(&site.token), body.as_ref(), &[])
            .await
            .ok(200);
    }
    apis[1].revoke_own_token(&site).await.ok(200);
    for (method, path, body) in &reads {
        apis[0]
            .request(method, path, Some(&site.token), body.as_ref(), &[])
            .await
            .error(401, "unauthenticated");
    }
}
