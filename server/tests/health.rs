//! `/healthz` and `/readyz`: no token, one word, and readiness that follows the database.

mod common;

use std::time::Duration;

use common::{eventually, on_postgres, psql, psql_on, Server};

async fn probe(server: &Server, path: &str) -> common::Res {
    server.api().request("GET", path, None, None, &[]).await
}

#[tokio::test]
async fn the_probes_answer_a_word_without_a_token() {
    let server = Server::start();
    let health = probe(&server, "/healthz").await;
    assert_eq!((health.status, health.text.as_str()), (200, "ok"));
    let ready = probe(&server, "/readyz").await;
    assert_eq!((ready.status, ready.text.as_str()), (200, "ready"));
    assert!(ready.header("x-request-id").is_some());
    assert!(ready
        .header("content-type")
        .is_some_and(|t| t.starts_with("text/plain")));
    // A wrong token changes nothing: the probes do not look at it.
    let with_token = server
        .api()
        .request("GET", "/readyz", Some("cpat_nope"), None, &[])
        .await;
    assert_eq!(with_token.status, 200);
    // The limits on every request hold here too, with the error body.
    let long = format!("/healthz?{}", "a".repeat(9 * 1024));
    probe(&server, &long).await.error(414, "uri_too_long");
    assert!(server.stop().success());
}

/// Polls `/readyz` until it answers `status`, for at most 15 s.
async fn ready_becomes(server: &Server, status: u16) -> common::Res {
    let what = format!("/readyz answering {status}");
    eventually(&what, Duration::from_secs(15), move || async move {
        let res = probe(server, "/readyz").await;
        if res.status == status {
            Ok(res)
        } else {
            Err(format!("{} {}", res.status, res.body))
        }
    })
    .await
}

#[tokio::test]
async fn readiness_follows_the_database_on_postgres() {
    if !on_postgres() {
        return;
    }
    let server = Server::start();
    let url = server.database.to_str().unwrap().to_owned();
    let name = common::postgres_name(&url);
    assert_eq!(ready_becomes(&server, 200).await.status, 200);
    // A single-statement read (a token's check, `verify`'s key) runs on a connection such reads
    // share: it must be replaced, not kept, once the database has ended it.
    let api = server.api();
    let site = api.site().await;
    let verify = || {
        let body = serde_json::json!({ "secret": format!("cpk_{}", "A".repeat(40)) });
        api.post(&site.token, "/v1/api_keys/verify", body)
    };
    assert_eq!(verify().await.ok(200)["valid"], false);

    // The database out of reach: no new connection, the pooled ones cut.
    psql_on(
        "postgres",
        &format!("ALTER DATABASE {name} ALLOW_CONNECTIONS false"),
    );
    psql_on(
        "postgres",
        &format!("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'"),
    );
    let down = ready_becomes(&server, 503).await;
    assert_eq!((down.status, down.text.as_str()), (503, "unavailable"));
    assert!(down.header("retry-after").is_some());
    // Alive all the same.
    assert_eq!(probe(&server, "/healthz").await.status, 200);
    psql_on(
        "postgres",
        &format!("ALTER DATABASE {name} ALLOW_CONNECTIONS true"),
    );
    assert_eq!(ready_becomes(&server, 200).await.status, 200);
    for _ in 0..4 {
        assert_eq!(verify().await.ok(200)["valid"], false);
    }

    // A schema behind this build's is not ready either.
    let latest = psql(&url, "SELECT max(version) FROM schema_migrations");
    psql(
        &url,
        &format!(
            "DELETE FROM schema_migrations WHERE version = {}",
            latest.trim()
        ),
    );
    let behind = ready_becomes(&server, 503).await;
    assert_eq!(behind.status, 503, "{}", behind.text);
    assert!(server.logs().contains("not ready"), "{}", server.logs());
    assert!(server.stop().success());
}
