//! Durability: `kill -9` in the middle of a burst of concurrent writes. After a restart on the
//! same database every write that got a 2xx answer is there, complete (every field as answered,
//! the secret decryptable), its idempotency record committed with it; nothing is half-written;
//! and every write that got no answer, retried under its `Idempotency-Key`, lands exactly once.

mod common;

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::{database_files, on_postgres, Server};
use serde_json::{json, Value};

const WORKERS: usize = 8;
/// Acknowledged writes to wait for before the kill; the workers keep sending through it.
const ACKED_BEFORE_KILL: usize = 120;
const SUBJECT: &str = "durable-subject";

/// One write sent during the burst, and what came of it.
#[derive(Clone, Debug)]
struct Write {
    /// `create` or `patch`.
    kind: &'static str,
    /// The key's name: unique per create, the patched key's name for a patch.
    name: String,
    idempotency_key: String,
    path: String,
    method: &'static str,
    body: Value,
    /// The 2xx answer, or `None` when the connection died first.
    answer: Option<Value>,
}

async fn send(
    client: &reqwest::Client,
    base: &str,
    token: &str,
    write: &Write,
) -> Result<(u16, Value), String> {
    let mut request = client
        .request(
            write.method.parse().unwrap(),
            format!("{base}{}", write.path),
        )
        .bearer_auth(token)
        .json(&write.body);
    if write.method == "POST" {
        request = request.header("idempotency-key", &write.idempotency_key);
    }
    let response = request.send().await.map_err(|e| e.to_string())?;
    let status = response.status().as_u16();
    let text = response.text().await.map_err(|e| e.to_string())?;
    Ok((status, serde_json::from_str(&text).unwrap_or(Value::Null)))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sigkill_during_a_burst_of_writes_loses_no_acknowledged_write() {
    let server = Server::start();
    let api = server.api();
    let site = api.site().await;
    let base = server.url.clone();
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(20))
        .build()
        .unwrap();

    let writes: Arc<Mutex<Vec<Write>>> = Arc::default();
    let acked = Arc::new(AtomicUsize::new(0));
    let dead = Arc::new(AtomicBool::new(false));
    let mut workers = Vec::new();
    for w in 0..WORKERS {
        let (client, base, token) = (client.clone(), base.clone(), site.token.clone());
        let (writes, acked, dead) = (writes.clone(), acked.clone(), dead.clone());
        workers.push(tokio::spawn(async move {
            // The keys this worker made, to patch: only this worker writes to them.
            let mut mine: Vec<(String, String)> = Vec::new();
            for i in 0.. {
                let write = match mine.last() {
                    Some((id, name)) if i % 3 == 2 => Write {
                        kind: "patch",
                        name: name.clone(),
                        idempotency_key: String::new(),
                        path: format!("/v1/api_keys/{id}"),
                        method: "PATCH",
                        body: json!({ "claims": { "worker": w, "version": i }, "description": format!("patched at {i}") }),
                        answer: None,
                    },
                    _ => {
                        let name = format!("w{w}-k{i}");
                        Write {
                            kind: "create",
                            idempotency_key: format!("durable-{w}-{i}"),
                            path: "/v1/api_keys".into(),
                            method: "POST",
                            body: json!({
                                "name": name,
                                "subject": SUBJECT,
                                "description": "x".repeat(300),
                                "claims": { "worker": w, "version": i, "tags": ["a", "b", "c"] },
                                "scopes": ["read", "write"],
                            }),
                            name,
                            answer: None,
                        }
                    }
                };
                let mut write = write;
                let outcome = send(&client, &base, &token, &write).await;
                match outcome {
                    Ok((status, body)) if (200..300).contains(&status) => {
                        if write.kind == "create" {
                            mine.push((body["id"].as_str().unwrap().to_owned(), write.name.clone()));
                        }
                        write.answer = Some(body);
                        acked.fetch_add(1, Ordering::SeqCst);
                        writes.lock().unwrap().push(write);
                    }
                    Ok((status, body)) => panic!("{} answered {status}: {body}", write.path),
                    Err(_) => {
                        // No answer: the server is gone. The write may or may not have landed.
                        assert!(dead.load(Ordering::SeqCst), "a write failed before the kill");
                        writes.lock().unwrap().push(write);
                        return;
                    }
                }
            }
        }));
    }

    let started = Instant::now();
    while acked.load(Ordering::SeqCst) < ACKED_BEFORE_KILL {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the burst is too slow"
        );
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    dead.store(true, Ordering::SeqCst);
    let status = server.signal(libc::SIGKILL);
    assert!(!status.success());
    for worker in workers {
        worker.await.unwrap();
    }
    let writes = writes.lock().unwrap().clone();
    let acked_writes: Vec<&Write> = writes.iter().filter(|w| w.answer.is_some()).collect();
    let unanswered: Vec<&Write> = writes.iter().filter(|w| w.answer.is_none()).collect();
    assert_eq!(
        unanswered.len(),
        WORKERS,
        "every worker was cut off mid-write"
    );
    if !on_postgres() {
        assert!(database_files(&server.database)
            .iter()
            .any(|f| f.to_string_lossy().ends_with("-wal")));
    }

    let restarted = Server::start_with(server.same_data());
    let api = restarted.api();
    let token = site.token.as_str();

    // Every key on the server: complete, its secret decryptable, and one of the names sent.
    let mut listed: HashMap<String, Value> = HashMap::new();
    let mut offset = 0;
    loop {
        let page = api
            .get(
                token,
                &format!(
                    "/v1/api_keys?subject={SUBJECT}&include_invalid=true&limit=100&offset={offset}"
                ),
            )
            .await;
        let page = page.ok(200).clone();
        let data = page["data"].as_array().unwrap().clone();
        for key in &data {
            listed.insert(key["name"].as_str().unwrap().to_owned(), key.clone());
        }
        offset += data.len();
        if data.is_empty() || offset >= page["total_count"].as_u64().unwrap() as usize {
            break;
        }
    }
    let sent_names: HashSet<&str> = writes.iter().map(|w| w.name.as_str()).collect();
    for (name, key) in &listed {
        assert!(
            sent_names.contains(name.as_str()),
            "a key nobody created: {name}"
        );
        assert_eq!(key["subject"], SUBJECT);
        assert!(
            key["description"].as_str().is_some_and(|d| !d.is_empty()),
            "{key}"
        );
        assert_eq!(key["scopes"], json!(["read", "write"]), "{key}");
        assert!(
            key["claims"]["worker"].is_u64(),
            "half-written claims: {key}"
        );
        let secret = api
            .get(
                token,
                &format!("/v1/api_keys/{}/secret", key["id"].as_str().unwrap()),
            )
            .await;
        assert!(secret.ok(200)["secret"]
            .as_str()
            .unwrap()
            .starts_with("cpk_"));
    }

    // Every acknowledged create is there as answered, with the secret it answered.
    let creates: Vec<&&Write> = acked_writes.iter().filter(|w| w.kind == "create").collect();
    for write in &creates {
        let answer = write.answer.as_ref().unwrap();
        let key = listed
            .get(&write.name)
            .unwrap_or_else(|| panic!("acknowledged create lost: {}", write.name));
        assert_eq!(key["id"], answer["id"]);
        let secret = api
            .get(
                token,
                &format!("/v1/api_keys/{}/secret", answer["id"].as_str().unwrap()),
            )
            .await;
        assert_eq!(secret.ok(200)["secret"], answer["secret"], "{}", write.name);
    }
    // Each key's state is its last acknowledged write's, or that of a later write cut off by the kill.
    let mut states: HashMap<&str, Vec<(&Write, bool)>> = HashMap::new();
    for write in &writes {
        states
            .entry(write.name.as_str())
            .or_default()
            .push((write, write.answer.is_some()));
    }
    for (name, history) in &states {
        let Some(last_acked) = history.iter().rposition(|(_, acked)| *acked) else {
            continue;
        };
        let Some(key) = listed.get(*name) else {
            panic!("{name} was acknowledged and is gone")
        };
        let allowed: Vec<Value> = history[last_acked..]
            .iter()
            .map(|(w, _)| w.body["claims"].clone())
            .collect();
        assert!(
            allowed.contains(&key["claims"]),
            "{name}: claims {} are none of {allowed:?}",
            key["claims"]
        );
        let description = key["description"].as_str().unwrap();
        let allowed: Vec<&str> = history[last_acked..]
            .iter()
            .map(|(w, _)| w.body["description"].as_str().unwrap())
            .collect();
        assert!(
            allowed.contains(&description),
            "{name}: description {description}"
        );
    }

    // The idempotency record was committed with its write: a repeat is a replay of the same key.
    for write in creates.iter().take(20) {
        let again = api
            .request(
                "POST",
                &write.path,
                Some(token),
                Some(&write.body),
                &[("idempotency-key", &write.idempotency_key)],
            )
            .await;
        assert_eq!(again.ok(201)["id"], write.answer.as_ref().unwrap()["id"]);
        assert_eq!(again.header("idempotent-replayed"), Some("true"));
    }
    // A write cut off by the kill, retried under its key, lands exactly once.
    let mut replayed = 0;
    for write in &unanswered {
        let key = [("idempotency-key", write.idempotency_key.as_str())];
        let headers: &[(&str, &str)] = if write.method == "POST" { &key } else { &[] };
        let again = api
            .request(
                write.method,
                &write.path,
                Some(token),
                Some(&write.body),
                headers,
            )
            .await;
        assert!(
            (200..300).contains(&again.status),
            "{}: {}",
            write.path,
            again.text
        );
        if again.header("idempotent-replayed") == Some("true") {
            replayed += 1;
        }
    }
    let count = api
        .get(
            token,
            &format!("/v1/api_keys?subject={SUBJECT}&include_invalid=true&limit=1"),
        )
        .await;
    let creates_sent = writes.iter().filter(|w| w.kind == "create").count() as u64;
    assert_eq!(
        count.ok(200)["total_count"],
        creates_sent,
        "every create sent is there exactly once"
    );
    println!(
        "{} writes acknowledged before SIGKILL ({} creates), {} cut off ({replayed} had landed); all there after restart",
        acked_writes.len(),
        creates.len(),
        unanswered.len()
    );

    let status = restarted.stop();
    assert!(status.success());
    if on_postgres() {
        return;
    }
    let db = rusqlite::Connection::open(&restarted.database).unwrap();
    let check: String = db
        .query_row("PRAGMA integrity_check", [], |row| row.get(0))
        .unwrap();
    assert_eq!(check, "ok");
}
