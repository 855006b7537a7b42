//! The error contract through HTTP: the error body and `x-request-id` on every answer, 400 for
//! every kind of bad input (naming the field), 404/405 for unknown routes and methods, 413, and
//! `Idempotency-Key` replays and conflicts.

mod common;

use common::Server;
use serde_json::{json, Value};

#[tokio::test]
async fn unknown_routes_and_methods() {
    let api = Server::shared().api();
    let site = api.site().await;
    for path in [
        "/",
        "/v1",
        "/v1/nothing",
        "/v1/api_keys/a/b/c",
        "/v2/connections",
        "/v1/connections/",
    ] {
        let res = api.get(&site.token, path).await;
        res.error(404, "not_found");
    }
    // Without a token too: the route is checked first.
    api.request("GET", "/v1/nothing", None, None, &[])
        .await
        .error(404, "not_found");
    for (method, path) in [
        ("PUT", "/v1/connections"),
        ("DELETE", "/v1/connections"),
        ("POST", "/v1/connections/conn_x"),
        ("GET", "/v1/api_keys/verify"),
        ("PATCH", "/v1/personal_access_tokens/pat_x"),
        ("GET", "/v1/admin/sites"),
        ("OPTIONS", "/v1/api_keys"),
    ] {
        let res = api
            .request(method, path, Some(&site.token), None, &[])
            .await;
        res.error(405, "method_not_allowed");
    }
}

#[tokio::test]
async fn every_answer_has_a_request_id() {
    let api = Server::shared().api();
    let site = api.site().await;
    let a = api.get(&site.token, "/v1/connections").await;
    let b = api.get(&site.token, "/v1/connections").await;
    let (a, b) = (
        a.header("x-request-id").unwrap(),
        b.header("x-request-id").unwrap(),
    );
    assert!(a.starts_with("req_"));
    assert_ne!(a, b);
    let created = api
        .post(
            &site.token,
            "/v1/api_keys",
            json!({ "name": "k", "subject": "s" }),
        )
        .await;
    assert!(created.header("x-request-id").is_some());
    assert_eq!(created.header("content-type"), Some("application/json"));
}

#[tokio::test]
async fn bad_bodies_name_the_field() {
    let api = Server::shared().api();
    let site = api.site().await;
    let raw = |body: &'static str, content_type: Option<&'static str>| {
        let api = &api;
        let token = site.token.clone();
        async move {
            let mut request = api
                .client
                .post(format!("{}/v1/api_keys", api.base))
                .bearer_auth(token)
                .body(body);
            if let Some(ct) = content_type {
                request = request.header("content-type", ct);
            }
            let response = request.send().await.unwrap();
            let status = response.status().as_u16();
            let headers = response.headers().clone();
            let text = response.text().await.unwrap();
            common::Res {
                status,
                headers,
                body: serde_json::from_str(&text).unwrap_or(Value::Null),
                text,
            }
        }
    };
    let json_ct = Some("application/json");
    raw(r#"{"name": "a""#, json_ct).await.invalid("body");
    raw("not json", json_ct).await.invalid("body");
    raw(r#"{"name":"a","subject":"b"} trailing"#, json_ct)
        .await
        .invalid("body");
    raw("[1, 2]", json_ct).await.invalid("body");
    raw(r#""a string""#, json_ct).await.invalid("body");
    raw(r#"{"name":"a","subject":"b"}"#, None)
        .await
        .invalid("Content-Type");
    raw(r#"{"name":"a","subject":"b"}"#, Some("text/plain"))
        .await
        .invalid("Content-Type");
    raw(
        r#"{"name":"a","subject":"b"}"#,
        Some("application/json; charset=utf-8"),
    )
    .await
    .ok(201);
    raw("", json_ct).await.invalid("name");

    let post = |body: Value| {
        let api = &api;
        let token = site.token.clone();
        async move { api.post(&token, "/v1/api_keys", body).await }
    };
    post(json!({ "subject": "s" })).await.invalid("name");
    post(json!({ "name": "n" })).await.invalid("subject");
    post(json!({ "name": 5, "subject": "s" }))
        .await
        .invalid("name");
    post(json!({ "name": "n", "subject": "s", "scopes": "read" }))
        .await
        .invalid("scopes");
    post(json!({ "name": "n", "subject": "s", "scopes": [1] }))
        .await
        .invalid("scopes[0]");
    post(json!({ "name": "n", "subject": "s", "extra": true }))
        .await
        .invalid("extra");
    post(json!({ "name": "n", "subject": "s", "seconds_until_expiration": -5 }))
        .await
        .invalid("seconds_until_expiration");
    post(json!({ "name": "n", "subject": "s", "seconds_until_expiration": 1.5 }))
        .await
        .invalid("seconds_until_expiration");
    post(json!({ "name": "n", "subject": "s", "seconds_until_expiration": 0 }))
        .await
        .invalid("seconds_until_expiration");
    post(json!({ "name": "x".repeat(300), "subject": "s" }))
        .await
        .invalid("name");
    post(json!({ "name": "a\u{0}b", "subject": "s" }))
        .await
        .invalid("name");

    // A value sent in the wrong place is not echoed back.
    let secret_like = "cpk_SHOULD_NOT_BE_ECHOED_0123456789abcdef";
    let res =
        post(json!({ "name": "n", "subject": "s", "seconds_until_expiration": secret_like })).await;
    res.invalid("seconds_until_expiration");
    assert!(!res.text.contains(secret_like), "{}", res.text);

    let res = api
        .request(
            "POST",
            "/v1/api_keys",
            Some(&site.token),
            Some(&json!({ "name": "n", "subject": "s" })),
            &[("idempotency-key", "")],
        )
        .await;
    res.invalid("Idempotency-Key");
    let long = "k".repeat(256);
    let res = api
        .request(
            "POST",
            "/v1/api_keys",
            Some(&site.token),
            Some(&json!({ "name": "n", "subject": "s" })),
            &[("idempotency-key", long.as_str())],
        )
        .await;
    res.invalid("Idempotency-Key");
}

#[tokio::test]
async fn bodies_over_one_mebibyte_are_413() {
    let api = Server::shared().api();
    let site = api.site().await;
    let big = json!({ "name": "n", "subject": "s", "description": "x".repeat(1024 * 1024) });
    let res = api.post(&site.token, "/v1/api_keys", big).await;
    res.error(413, "payload_too_large");
    // Without a Content-Length (chunked) the limit holds too.
    let server = Server::shared();
    let head = format!(
        "POST /v1/api_keys HTTP/1.1\r\nhost: x\r\nauthorization: Bearer {}\r\n\
         content-type: application/json\r\ntransfer-encoding: chunked\r\nconnection: close\r\n\r\n",
        site.token
    );
    let chunk = format!("10000\r\n{}\r\n", " ".repeat(0x10000)).into_bytes();
    let mut parts = vec![head.into_bytes()];
    parts.extend(std::iter::repeat_n(chunk, 20));
    parts.push(b"0\r\n\r\n".to_vec());
    let url = server.url.clone();
    let answer = tokio::task::spawn_blocking(move || {
        common::raw_http(&url, parts, std::time::Duration::ZERO)
    })
    .await
    .unwrap();
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(answer.contains("payload_too_large"), "{answer}");
    // Just under the limit is judged on its content instead.
    let under = json!({ "name": "n", "subject": "s", "description": "x".repeat(1000 * 1000) });
    api.post(&site.token, "/v1/api_keys", under)
        .await
        .invalid("description");
}

#[tokio::test]
async fn idempotent_posts_replay_and_conflict() {
    let api = Server::shared().api();
    let site = api.site().await;
    let body = json!({ "name": "once", "subject": "s" });
    let send = |body: Value, key: &'static str| {
        let api = &api;
        let token = site.token.clone();
        async move {
            api.request(
                "POST",
                "/v1/api_keys",
                Some(&token),
                Some(&body),
                &[("idempotency-key", key)],
            )
            .await
        }
    };
    let first = send(body.clone(), "key-1").await;
    let first_body = first.ok(201).clone();
    assert_eq!(first.header("idempotent-replayed"), None);
    let replay = send(body.clone(), "key-1").await;
    assert_eq!(
        replay.ok(201),
        &first_body,
        "same status and body, secret included"
    );
    assert_eq!(replay.header("idempotent-replayed"), Some("true"));
    assert_ne!(replay.header("x-request-id"), first.header("x-request-id"));
    let list = api.get(&site.token, "/v1/api_keys").await;
    assert_eq!(list.body["total_count"], 1, "the replay did not act again");

    let other = send(json!({ "name": "other", "subject": "s" }), "key-1").await;
    other.error(409, "idempotency_conflict");
    // Another token's key space is its own.
    let other_token = api
        .post(
            &site.token,
            "/v1/personal_access_tokens",
            json!({ "name": "second" }),
        )
        .await;
    let other_token = other_token.ok(201)["token"].as_str().unwrap().to_owned();
    let res = api
        .request(
            "POST",
            "/v1/api_keys",
            Some(&other_token),
            Some(&json!({ "name": "by-other", "subject": "s" })),
            &[("idempotency-key", "key-1")],
        )
        .await;
    assert_eq!(res.ok(201)["name"], "by-other");
    // A failure is not stored: the same key may try again.
    let dup = send(json!({ "name": "once", "subject": "s" }), "key-2").await;
    dup.error(409, "conflict");
    api.delete(
        &site.token,
        &format!("/v1/api_keys/{}", first_body["id"].as_str().unwrap()),
    )
    .await
    .ok(200);
    let retried = send(json!({ "name": "once", "subject": "s" }), "key-2").await;
    retried.ok(201);
}

#[tokio::test]
async fn concurrent_requests_with_one_key_act_once() {
    let api = Server::shared().api();
    let site = api.site().await;
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..20 {
        let api = api.clone();
        let token = site.token.clone();
        tasks.spawn(async move {
            api.request(
                "POST",
                "/v1/api_keys",
                Some(&token),
                Some(&json!({ "name": "race", "subject": "s" })),
                &[("idempotency-key", "race-key")],
            )
            .await
        });
    }
    let answers = tasks.join_all().await;
    let ids: std::collections::HashSet<String> = answers
        .iter()
        .map(|res| res.ok(201)["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(ids.len(), 1, "one key was made and everyone got it");
    let replayed = answers
        .iter()
        .filter(|r| r.header("idempotent-replayed") == Some("true"))
        .count();
    assert_eq!(replayed, 19);
}

#[tokio::test]
async fn every_post_accepts_an_idempotency_key() {
    let api = Server::shared().api();
    let site = api.site().await;
    let key = api
        .post(
            &site.token,
            "/v1/api_keys",
            json!({ "name": "k", "subject": "s" }),
        )
        .await;
    let key = key.ok(201).clone();
    let id = key["id"].as_str().unwrap();
    let admin_site = format!("/v1/admin/sites/{}", site.id);
    let spare = api
        .admin(
            "POST",
            &format!("{admin_site}/personal_access_tokens"),
            Some(json!({ "user_id": "spare", "name": "to revoke" })),
        )
        .await;
    let spare = spare.ok(201)["id"].as_str().unwrap().to_owned();
    let cases: Vec<(bool, String, Value, Value)> = vec![
        (
            true,
            "/v1/admin/sites".into(),
            json!({ "name": "s" }),
            json!({ "name": "t" }),
        ),
        (
            true,
            format!("{admin_site}/connections"),
            common::connection_body("p"),
            common::connection_body("q"),
        ),
        (
            true,
            format!("{admin_site}/personal_access_tokens"),
            json!({ "user_id": "u", "name": "t" }),
            json!({ "user_id": "v", "name": "t" }),
        ),
        (
            false,
            format!("/v1/api_keys/{id}/revoke"),
            json!({ "revocation_reason": "r" }),
            json!({}),
        ),
        (
            true,
            format!("{admin_site}/personal_access_tokens/{spare}/revoke"),
            json!({}),
            json!({ "x": 1 }),
        ),
        (
            false,
            "/v1/personal_access_tokens".into(),
            json!({ "name": "t" }),
            json!({ "name": "u" }),
        ),
    ];
    for (admin, path, body, changed) in cases {
        let token = if admin {
            api.admin_token.clone()
        } else {
            site.token.clone()
        };
        let headers = [("idempotency-key", path.as_str())];
        let first = api
            .request("POST", &path, Some(&token), Some(&body), &headers)
            .await;
        assert!(first.status < 300, "{path}: {}", first.text);
        let again = api
            .request("POST", &path, Some(&token), Some(&body), &headers)
            .await;
        assert_eq!(again.status, first.status, "{path}");
        assert_eq!(again.header("idempotent-replayed"), Some("true"), "{path}");
        assert_eq!(again.body, first.body, "{path}");
        let conflict = api
            .request("POST", &path, Some(&token), Some(&changed), &headers)
            .await;
        conflict.error(409, "idempotency_conflict");
    }
    // The same key on another route is another request: a conflict, not a replay.
    let headers = [("idempotency-key", "/v1/personal_access_tokens")];
    let res = api
        .request(
            "POST",
            "/v1/api_keys",
            Some(&site.token),
            Some(&json!({ "name": "t", "subject": "s" })),
            &headers,
        )
        .await;
    res.error(409, "idempotency_conflict");
}
