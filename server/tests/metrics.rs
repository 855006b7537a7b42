//! Prometheus metrics on `CREDPORT_METRICS_LISTEN`: requests by route template, method and
//! status, durations, refreshes by outcome, the database pool; no id or secret in any label.

mod common;

use std::time::{Duration, Instant};

use common::provider::{Mode, Provider};
use common::{Options, Server};
use serde_json::json;

/// The metrics address the server logged at start.
fn metrics_url(server: &Server) -> String {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let logs = server.logs();
        let found = logs
            .lines()
            .filter(|l| l.contains("metrics listening"))
            .find_map(|l| l.split("address=").nth(1)?.split_whitespace().next());
        if let Some(address) = found {
            return format!("http://{address}/metrics");
        }
        assert!(
            Instant::now() < deadline,
            "no metrics address logged: {logs}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The value of the sample whose line starts with `series` (name and labels as rendered).
fn sample(scrape: &str, series: &str) -> Option<f64> {
    scrape
        .lines()
        .find(|l| l.starts_with(series))
        .and_then(|l| l.rsplit(' ').next()?.parse().ok())
}

#[tokio::test]
async fn requests_refreshes_and_the_pool_are_measured_without_ids_or_secrets() {
    let server =
        Server::start_with(Options::default().env("CREDPORT_METRICS_LISTEN", "127.0.0.1:0"));
    let url = metrics_url(&server);
    let api = server.api();
    let site = api.site().await;
    let key = api.create_key(&site.token, "measured").await;
    let id = key["id"].as_str().unwrap();
    let secret = key["secret"].as_str().unwrap();
    for _ in 0..3 {
        api.get(&site.token, &format!("/v1/api_keys/{id}"))
            .await
            .ok(200);
    }
    api.get(&site.token, "/v1/api_keys/ak_nonexistent")
        .await
        .error(404, "not_found");
    api.get(&site.token, "/v1/nothing").await;

    // A refresh that succeeds and one the provider refuses.
    let provider = Provider::start().await;
    api.admin(
        "POST",
        &format!("/v1/admin/sites/{}/provider_configs", site.id),
        Some(provider.config_body("measured-oauth", "client_secret_post")),
    )
    .await
    .ok(201);
    let oauth = api
        .connection(
            &site.id,
            json!({
                "provider": "gmail",
                "provider_config_key": "measured-oauth",
                "credentials": {
                    "type": "oauth2",
                    "fields": { "access_token": "at-0", "refresh_token": "rt-0" }
                }
            }),
        )
        .await;
    let refresh = format!(
        "/v1/admin/sites/{}/connections/{}/refresh",
        site.id,
        oauth["id"].as_str().unwrap()
    );
    api.admin("POST", &refresh, None).await.ok(200);
    provider.set_mode(Mode::Refuse);
    api.admin("POST", &refresh, None)
        .await
        .error(409, "connection_invalid");

    let scrape = reqwest::get(&url).await.unwrap().text().await.unwrap();
    let get_one =
        r#"credport_http_requests_total{route="/v1/api_keys/{id}",method="GET",status="200"}"#;
    assert_eq!(sample(&scrape, get_one), Some(3.0), "{scrape}");
    let missing =
        r#"credport_http_requests_total{route="/v1/api_keys/{id}",method="GET",status="404"}"#;
    assert_eq!(sample(&scrape, missing), Some(1.0), "{scrape}");
    let no_route = r#"credport_http_requests_total{route="(no route)",method="GET",status="404"}"#;
    assert_eq!(sample(&scrape, no_route), Some(1.0), "{scrape}");
    let buckets = r#"credport_http_request_duration_seconds_bucket{route="/v1/api_keys/{id}",method="GET",le="+Inf"}"#;
    assert_eq!(sample(&scrape, buckets), Some(4.0), "{scrape}");
    let succeeded = r#"credport_refreshes_total{outcome="succeeded"}"#;
    assert_eq!(sample(&scrape, succeeded), Some(1.0), "{scrape}");
    let refused = r#"credport_refreshes_total{outcome="refused"}"#;
    assert_eq!(sample(&scrape, refused), Some(1.0), "{scrape}");
    for state in ["in_use", "idle", "waiting"] {
        let gauge = format!(r#"credport_db_pool_connections{{state="{state}"}}"#);
        assert!(sample(&scrape, &gauge).is_some(), "{gauge}: {scrape}");
    }
    // No id, provider, token or secret in any label.
    for private in [
        id,
        secret,
        &site.id,
        &site.token,
        "ak_nonexistent",
        "gmail",
        "measured",
    ] {
        assert!(!scrape.contains(private), "{private} in the metrics");
    }
    // Not on the API's port.
    api.request("GET", "/metrics", None, None, &[])
        .await
        .error(404, "not_found");
    assert!(server.stop().success());
}

#[tokio::test]
async fn metrics_are_off_by_default() {
    let server = Server::start();
    server
        .api()
        .request("GET", "/healthz", None, None, &[])
        .await;
    assert!(!server.logs().contains("metrics listening"));
    assert!(server.stop().success());
}

/// `CREDPORT_SQLITE_READERS` sets how many read connections SQLite opens: the pool gauges count
/// them and the writer (PostgreSQL opens its connections as they are needed, up to
/// `CREDPORT_DATABASE_POOL_SIZE`, so there is no fixed total to see).
#[tokio::test]
async fn sqlite_opens_the_readers_it_is_told() {
    if common::on_postgres() {
        return;
    }
    let server = Server::start_with(
        Options::default()
            .env("CREDPORT_METRICS_LISTEN", "127.0.0.1:0")
            .env("CREDPORT_SQLITE_READERS", "7"),
    );
    let url = metrics_url(&server);
    let scrape = reqwest::get(&url).await.unwrap().text().await.unwrap();
    let open: f64 = ["in_use", "idle"]
        .iter()
        .filter_map(|state| {
            sample(
                &scrape,
                &format!(r#"credport_db_pool_connections{{state="{state}"}}"#),
            )
        })
        .sum();
    assert_eq!(open, 8.0, "7 readers and the writer: {scrape}");
}
