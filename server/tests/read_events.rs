//! The events of credentials reads: every read answered has its own event, committed before the
//! answer (so it outlives a `kill -9` right after), whether it was committed alone or, on SQLite,
//! in a group with the other writes of the moment; reads whose events cannot be written answer
//! 500, with no secret, and leave no event; a change whose event cannot be written is not made.
//! The group's own failures (a commit refused after every write of it succeeded) are tested in
//! `server/src/db/sqlite.rs`.

mod common;

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::{all_events, on_postgres, Api, Server, Site};
use serde_json::Value;

/// Reads sent at once: enough that several wait while a group commits.
const CONCURRENT: usize = 48;

/// A site with one connection to read; the connection's id and its secret.
async fn site_with_connection(api: &Api) -> (Site, String, String) {
    let site = api.site().await;
    let body = common::connection_body("shopify");
    let secret = body["credentials"]["fields"]["api_key"]
        .as_str()
        .unwrap()
        .to_owned();
    let connection = api.connection(&site.id, body).await;
    (site, connection["id"].as_str().unwrap().to_owned(), secret)
}

/// `CONCURRENT` reads of the site's credentials at once: each one's status, request id and body.
async fn read_at_once(api: &Api, site: &Site) -> Vec<(u16, String, String)> {
    let mut reads = tokio::task::JoinSet::new();
    for _ in 0..CONCURRENT {
        let (api, token) = (api.clone(), site.token.clone());
        reads.spawn(async move {
            let read = api.get(&token, "/v1/connections/credentials/shopify").await;
            let request_id = read.header("x-request-id").unwrap().to_owned();
            (read.status, request_id, read.text)
        });
    }
    reads.join_all().await
}

/// The request ids of the site's `credentials.read` events; fails if one appears twice.
async fn read_event_requests(api: &Api, site: &str, connection: &str) -> HashSet<String> {
    let events = all_events(api, site, "&type=credentials.read").await;
    let ids: HashSet<String> = events
        .iter()
        .map(|e| {
            assert_eq!(e["target"]["id"], connection, "{e}");
            e["request_id"].as_str().unwrap().to_owned()
        })
        .collect();
    assert_eq!(ids.len(), events.len(), "a read recorded twice: {events:?}");
    ids
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_reads_each_get_their_own_event() {
    let api = Server::shared().api();
    let (site, connection, secret) = site_with_connection(&api).await;
    let reads = read_at_once(&api, &site).await;
    for (status, _, body) in &reads {
        assert_eq!(*status, 200, "{body}");
        assert!(body.contains(&secret));
    }
    let answered: HashSet<String> = reads.into_iter().map(|(_, id, _)| id).collect();
    assert_eq!(answered.len(), CONCURRENT);
    assert_eq!(
        read_event_requests(&api, &site.id, &connection).await,
        answered
    );
}

/// Makes every insert of an event of type `kind` fail, as a full disk or a lost database would,
/// until [`accept_events`].
fn refuse_events(server: &Server, kind: &str) {
    let statement = if on_postgres() {
        format!(
            "CREATE FUNCTION refuse_event() RETURNS trigger LANGUAGE plpgsql AS
                 $$ BEGIN RAISE EXCEPTION 'refused by the test'; END $$;
             CREATE TRIGGER refuse_event BEFORE INSERT ON events FOR EACH ROW
                 WHEN (NEW.type = '{kind}') EXECUTE FUNCTION refuse_event();"
        )
    } else {
        format!(
            "CREATE TRIGGER refuse_event BEFORE INSERT ON events WHEN NEW.type = '{kind}'
                 BEGIN SELECT RAISE(ABORT, 'refused by the test'); END;"
        )
    };
    common::execute_sql(&server.database, &statement);
}

fn accept_events(server: &Server) {
    let statement = if on_postgres() {
        "DROP TRIGGER refuse_event ON events; DROP FUNCTION refuse_event();"
    } else {
        "DROP TRIGGER refuse_event;"
    };
    common::execute_sql(&server.database, statement);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn reads_whose_events_fail_hand_out_no_secret_and_leave_no_event() {
    // A server of its own: the trigger would fail other tests' reads.
    let server = Server::start();
    let api = server.api();
    let (site, connection, secret) = site_with_connection(&api).await;

    refuse_events(&server, "credentials.read");
    for (status, _, body) in read_at_once(&api, &site).await {
        assert_eq!(status, 500, "{body}");
        assert!(
            !body.contains(&secret),
            "a secret answered unrecorded: {body}"
        );
        let error: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(error["error"]["code"], "internal");
    }
    assert!(read_event_requests(&api, &site.id, &connection)
        .await
        .is_empty());

    // The writer goes on.
    accept_events(&server);
    let read = api
        .get(&site.token, "/v1/connections/credentials/shopify")
        .await;
    read.ok(200);
    let request = read.header("x-request-id").unwrap().to_owned();
    assert_eq!(
        read_event_requests(&api, &site.id, &connection).await,
        HashSet::from([request])
    );
}

/// On PostgreSQL an event's insert goes out with the transaction's next statement, not on its
/// own: its failure must still fail the change it records.
#[tokio::test]
async fn a_change_whose_event_fails_is_not_made() {
    let server = Server::start();
    let api = server.api();
    let (site, connection, _) = site_with_connection(&api).await;
    let path = format!("/v1/admin/sites/{}/connections/{connection}", site.id);

    refuse_events(&server, "connection.updated");
    api.admin(
        "PATCH",
        &path,
        Some(serde_json::json!({ "metadata": { "tier": "pro" } })),
    )
    .await
    .error(500, "internal");
    let unchanged = api.admin("GET", &path, None).await;
    assert_eq!(unchanged.ok(200)["metadata"].get("tier"), None);

    accept_events(&server);
    let changed = api
        .admin(
            "PATCH",
            &path,
            Some(serde_json::json!({ "metadata": { "tier": "pro" } })),
        )
        .await;
    assert_eq!(changed.ok(200)["metadata"]["tier"], "pro");
}

/// Reads answered before the kill, by request id.
const ANSWERED_BEFORE_KILL: usize = 150;
const WORKERS: usize = 16;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_read_answered_before_a_kill_9_keeps_its_event() {
    let server = Server::start();
    let api = server.api();
    let (site, connection, _) = site_with_connection(&api).await;

    let answered: Arc<Mutex<Vec<String>>> = Arc::default();
    let count = Arc::new(AtomicUsize::new(0));
    let killed = Arc::new(AtomicBool::new(false));
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..WORKERS {
        let (api, token) = (api.clone(), site.token.clone());
        let (answered, count, killed) = (answered.clone(), count.clone(), killed.clone());
        workers.spawn(async move {
            loop {
                let sent = api
                    .client
                    .get(format!("{}/v1/connections/credentials/shopify", api.base))
                    .bearer_auth(&token)
                    .send()
                    .await;
                let Ok(response) = sent else {
                    assert!(
                        killed.load(Ordering::SeqCst),
                        "a read failed before the kill"
                    );
                    return;
                };
                let status = response.status().as_u16();
                let request = response.headers()["x-request-id"]
                    .to_str()
                    .unwrap()
                    .to_owned();
                // Answered is the whole body received: a body cut off by the kill is no answer.
                if response.bytes().await.is_err() {
                    assert!(
                        killed.load(Ordering::SeqCst),
                        "a read failed before the kill"
                    );
                    return;
                }
                assert_eq!(status, 200);
                answered.lock().unwrap().push(request);
                count.fetch_add(1, Ordering::SeqCst);
            }
        });
    }
    let started = Instant::now();
    while count.load(Ordering::SeqCst) < ANSWERED_BEFORE_KILL {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the reads are too slow"
        );
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    killed.store(true, Ordering::SeqCst);
    server.signal(libc::SIGKILL);
    workers.join_all().await;

    let restarted = Server::start_with(server.same_data());
    let recorded = read_event_requests(&restarted.api(), &site.id, &connection).await;
    let answered = answered.lock().unwrap().clone();
    assert!(answered.len() >= ANSWERED_BEFORE_KILL);
    let lost: Vec<&String> = answered.iter().filter(|r| !recorded.contains(*r)).collect();
    assert!(
        lost.is_empty(),
        "{} reads answered without their event: {lost:?}",
        lost.len()
    );
    eprintln!(
        "{} reads answered before SIGKILL, {} events after restart (reads cut off may have one)",
        answered.len(),
        recorded.len()
    );
}
