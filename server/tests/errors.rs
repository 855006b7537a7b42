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
        ("DELETE", "/v1/admin/sites"),
        ("OPTIONS", "/v1/api_keys"),
    ] {
        let res = api
            .request(method, path, Some(&site.token), None, &[])
            .await;
        res.error(405, "method_not_allowed");
    }
    // HEAD is a GET without its body, except where the GET acts (records a secret's read):
    // there it is 405, and nothing is recorded.
    let head = |path: &'static str| api.request("HEAD", path, Some(&site.token), None, &[]);
    assert_eq!(head("/v1/connections").await.status, 200);
    assert_eq!(head("/healthz").await.status, 200);
    for path in [
        "/v1/connections/credentials/google",
        "/v1/api_keys/key_x/secret",
    ] {
        let res = head(path).await;
        assert_eq!(res.status, 405, "{path}");
        assert_eq!(res.header("allow"), Some("GET"), "{path}");
        let put = api.request("PUT", path, Some(&site.token), None, &[]).await;
        put.error(405, "method_not_allowed");
        assert_eq!(put.header("allow"), Some("GET"), "{path}");
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
    // ... nor when it holds serde's own words for what was expected, nor at any length.
    let tricky = format!("x, expected {secret_like} {}", "y".repeat(10_000));
    let res = post(json!({ "name": "n", "subject": "s", "scopes": tricky })).await;
    res.invalid("scopes");
    assert!(!res.text.contains(secret_like), "{}", res.text);
    assert_eq!(res.body["error"]["message"], "scopes: must be a list");

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
async fn a_control_character_in_a_path_parameter_is_a_404() {
    // PostgreSQL refuses a NUL in any text: without the check it was a 500 there, a 404 on
    // SQLite. Now the same 404 on both, before the store is asked: nothing can be there.
    let api = Server::shared().api();
    let site = api.site().await;
    for path in [
        "/v1/api_keys/%00",
        "/v1/connections/credentials/%00",
        "/v1/connections/conn_%01x",
        "/v1/personal_access_tokens/pat_%7F",
        "/v1/api_keys/ak_%C2%90",
    ] {
        api.get(&site.token, path).await.error(404, "not_found");
    }
    let path = format!("/v1/admin/sites/{}%00/connections", site.id);
    api.admin("GET", &path, None).await.error(404, "not_found");
    // The console's files answer the API's errors too (no token needed).
    api.request("GET", "/console/%00", None, None, &[])
        .await
        .error(404, "not_found");
    api.request("GET", "/console/%FF", None, None, &[])
        .await
        .invalid("path");
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
    let key = api.create_key(&site.token, "k").await;
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
            // (null: no body, the one other body a revoke takes.)
            Value::Null,
        ),
        (
            false,
            "/v1/personal_access_tokens".into(),
            json!({ "name": "t" }),
            json!({ "name": "u" }),
        ),
        (
            false,
            "/v1/api_keys".into(),
            json!({ "name": "k1", "subject": "s" }),
            json!({ "name": "k2", "subject": "s" }),
        ),
        (
            true,
            format!("{admin_site}/provider_configs"),
            json!({ "key": "pc", "provider": "google", "token_url": "https://oauth2.googleapis.com/token", "client_id": "c", "client_secret": "s" }),
            json!({ "key": "pd", "provider": "google", "token_url": "https://oauth2.googleapis.com/token", "client_id": "c", "client_secret": "s" }),
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
        let changed = (!changed.is_null()).then_some(&changed);
        let conflict = api
            .request("POST", &path, Some(&token), changed, &headers)
            .await;
        conflict.error(409, "idempotency_conflict");
        // Another body is a conflict even when it would be refused on its own (API.md: "the
        // same key with a different body is 409").
        let wrong = json!({ "no_such_field": 1 });
        let conflict = api
            .request("POST", &path, Some(&token), Some(&wrong), &headers)
            .await;
        conflict.error(409, "idempotency_conflict");
    }
    // A new key with a wrong body: 400, and the key stays free for the request put right.
    let headers = [("idempotency-key", "put right")];
    let wrong = json!({ "name": "s", "no_such_field": 1 });
    api.request(
        "POST",
        "/v1/admin/sites",
        Some(&api.admin_token),
        Some(&wrong),
        &headers,
    )
    .await
    .invalid("no_such_field");
    let right = json!({ "name": "s" });
    let made = api
        .request(
            "POST",
            "/v1/admin/sites",
            Some(&api.admin_token),
            Some(&right),
            &headers,
        )
        .await;
    made.ok(201);
    assert_eq!(made.header("idempotent-replayed"), None);
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

#[tokio::test]
async fn every_answer_forbids_caching_and_sniffing() {
    let server = Server::shared();
    let api = server.api();
    let site = api.site().await;
    let created = api
        .post(
            &site.token,
            "/v1/api_keys",
            json!({ "name": "cached?", "subject": "s" }),
        )
        .await;
    let id = created.body["id"].as_str().unwrap_or_default().to_owned();
    let answers = vec![
        created,
        api.get(&site.token, &format!("/v1/api_keys/{id}/secret"))
            .await,
        api.get(&site.token, "/v1/connections").await,
        api.post(&site.token, "/v1/api_keys", json!({})).await,
        api.get("cpat_wrong", "/v1/connections").await,
        api.get(&site.token, "/v1/nothing").await,
        api.delete(&site.token, "/v1/connections").await,
    ];
    for res in &answers {
        assert_eq!(
            res.header("cache-control"),
            Some("no-store"),
            "{}",
            res.text
        );
        assert_eq!(
            res.header("x-content-type-options"),
            Some("nosniff"),
            "{}",
            res.text
        );
    }
    let statuses: Vec<u16> = answers.iter().map(|r| r.status).collect();
    assert_eq!(statuses, [201, 200, 200, 400, 401, 404, 405]);
}

#[tokio::test]
async fn made_up_names_are_echoed_short_and_never_when_secret_shaped() {
    let api = Server::shared().api();
    let site = api.site().await;
    let secret_name = format!("cpk_{}", "S".repeat(40));
    let long_name = "n".repeat(900 * 1024);
    let mut long_body = serde_json::Map::new();
    long_body.insert(long_name.clone(), json!(1));
    // A backtick in a key ends serde's quote of it early: what follows must not be echoed.
    let after_backtick = format!("x`{secret_name}");
    let cases = [
        json!({ "name": "k", "subject": "s", secret_name.clone(): 1 }),
        json!({ "name": "k", "subject": "s", after_backtick: 1 }),
        Value::Object(long_body),
    ];
    for body in cases {
        let res = api.post(&site.token, "/v1/api_keys", body).await;
        res.error(400, "invalid_request");
        assert!(
            res.text.len() < 1000,
            "an answer of {} bytes",
            res.text.len()
        );
        let field = res.body["error"]["details"]["field"].as_str().unwrap();
        assert!(field.chars().count() <= 64, "{field}");
        assert!(
            !res.text.contains("cpk_") && !res.text.contains("SSSS"),
            "{}",
            res.text
        );
    }
    // A secret-shaped key given twice (json! cannot write that).
    let twice =
        format!(r#"{{"name":"k","subject":"s","claims":{{"{secret_name}":1,"{secret_name}":2}}}}"#);
    let res = api
        .client
        .post(format!("{}/v1/api_keys", api.base))
        .bearer_auth(&site.token)
        .header("content-type", "application/json")
        .body(twice)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    let text = res.text().await.unwrap();
    assert!(!text.contains("cpk_") && text.contains("claims."), "{text}");
    // The same in a query string and in a nested object.
    let res = api
        .get(&site.token, &format!("/v1/api_keys?{secret_name}=1"))
        .await;
    res.error(400, "invalid_request");
    assert!(!res.text.contains("cpk_"), "{}", res.text);
    let mut body = common::connection_body("echo");
    body["credentials"][format!("cpat_{}", "T".repeat(40))] = json!("x");
    let res = api
        .admin(
            "POST",
            &format!("/v1/admin/sites/{}/connections", site.id),
            Some(body),
        )
        .await;
    res.error(400, "invalid_request");
    assert!(!res.text.contains("cpat_"), "{}", res.text);
    // An ordinary unknown name is still named.
    api.post(
        &site.token,
        "/v1/api_keys",
        json!({ "name": "k", "subject": "s", "colour": 1 }),
    )
    .await
    .invalid("colour");
}

#[tokio::test]
async fn input_that_could_mean_two_things_is_refused() {
    let api = Server::shared().api();
    let site = api.site().await;
    let admin_tokens = format!("/v1/admin/sites/{}/personal_access_tokens", site.id);
    // An empty scope list is no longer "every scope".
    api.post(
        &site.token,
        "/v1/personal_access_tokens",
        json!({ "name": "t", "scopes": [] }),
    )
    .await
    .invalid("scopes");
    api.admin(
        "POST",
        &admin_tokens,
        Some(json!({ "user_id": "u", "name": "t", "scopes": [] })),
    )
    .await
    .invalid("scopes");
    // An array where an object goes, its fields by position, is no object.
    let in_order = json!({
        "provider": "p",
        "provider_config_key": "k",
        "credentials": ["api_key", null, { "api_key": "sek" }]
    });
    api.admin(
        "POST",
        &format!("/v1/admin/sites/{}/connections", site.id),
        Some(in_order),
    )
    .await
    .invalid("credentials");
    // `prod` and `prod ` would be two keys of one subject that no one can tell apart.
    api.post(
        &site.token,
        "/v1/api_keys",
        json!({ "name": "prod ", "subject": "s" }),
    )
    .await
    .invalid("name");
    api.post(
        &site.token,
        "/v1/api_keys",
        json!({ "name": "pr\nod", "subject": "s" }),
    )
    .await
    .invalid("name");
    // A filter by bytes that are no text would match nothing, quietly: refused, as in a path.
    api.get(&site.token, "/v1/api_keys?subject=%FF")
        .await
        .invalid("subject");
    api.get(&site.token, "/v1/api_keys?subject=a&%FF=b")
        .await
        .invalid("query");
    // A user called `admin` would read, once they revoke a token themselves, as the admin.
    api.admin(
        "POST",
        &admin_tokens,
        Some(json!({ "user_id": "admin", "name": "t" })),
    )
    .await
    .invalid("user_id");
    // Scope errors name their entry.
    api.post(
        &site.token,
        "/v1/personal_access_tokens",
        json!({ "name": "t", "scopes": ["api_keys:read", "nope"] }),
    )
    .await
    .invalid("scopes[1]");
    api.post(
        &site.token,
        "/v1/api_keys",
        json!({ "name": "k", "subject": "s", "scopes": ["ok", "", "x"] }),
    )
    .await
    .invalid("scopes[1]");

    // A key given twice, at any depth: refused, nothing stored. (serde_json would keep the last.)
    let raw = |text: &'static str| {
        let api = &api;
        let token = site.token.clone();
        async move {
            let res = api
                .client
                .post(format!("{}/v1/api_keys", api.base))
                .bearer_auth(token)
                .header("content-type", "application/json")
                .body(text)
                .send()
                .await
                .unwrap();
            let text = res.text().await.unwrap();
            serde_json::from_str::<Value>(&text).unwrap()
        }
    };
    for (text, field) in [
        (r#"{"name":"d1","subject":"s","name":"d2"}"#, "name"),
        (
            r#"{"name":"d3","subject":"s","claims":{"role":"user","role":"admin"}}"#,
            "claims.role",
        ),
        (
            r#"{"name":"d4","subject":"s","claims":[{"a":{"b":1,"b":2}}]}"#,
            "claims[0].a.b",
        ),
    ] {
        let body = raw(text).await;
        assert_eq!(body["error"]["code"], "invalid_request", "{body}");
        assert_eq!(body["error"]["details"]["field"], field, "{body}");
    }
    let mut connection = common::connection_body("dup");
    connection["metadata"] = json!({});
    let text = connection.to_string().replace(
        r#""metadata":{}"#,
        r#""metadata":{"tier":"free","tier":"gold"}"#,
    );
    let res = api
        .client
        .post(format!(
            "{}/v1/admin/sites/{}/connections",
            api.base, site.id
        ))
        .bearer_auth(&api.admin_token)
        .header("content-type", "application/json")
        .body(text)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    let listed = api.get(&site.token, "/v1/api_keys?query=d").await;
    assert_eq!(listed.ok(200)["total_count"], 0, "nothing was stored");

    // Timestamps that leave years 0001-9999 once in UTC.
    for at in [
        "9999-12-31T23:30:00-01:00",
        "0001-01-01T00:30:00+01:00",
        "0000-06-01T00:00:00Z",
    ] {
        api.post(
            &site.token,
            "/v1/personal_access_tokens",
            json!({ "name": "t", "expires_at": at }),
        )
        .await
        .invalid("expires_at");
        let mut body = common::connection_body("years");
        body["token_expires_at"] = json!(at);
        api.admin(
            "POST",
            &format!("/v1/admin/sites/{}/connections", site.id),
            Some(body),
        )
        .await
        .invalid("token_expires_at");
    }
    let latest = api
        .admin(
            "POST",
            &admin_tokens,
            Some(json!({ "user_id": "u", "name": "t", "expires_at": "9999-12-31T23:59:59Z" })),
        )
        .await;
    assert_eq!(latest.ok(201)["expires_at"], "9999-12-31T23:59:59Z");

    // Format characters in labels, like control characters.
    for name in [
        "evil\u{202E}txt.exe",
        "zero\u{200B}width",
        "\u{2066}isolate",
    ] {
        api.post(
            &site.token,
            "/v1/api_keys",
            json!({ "name": name, "subject": "s" }),
        )
        .await
        .invalid("name");
        api.admin("POST", "/v1/admin/sites", Some(json!({ "name": name })))
            .await
            .invalid("name");
    }

    // Whole numbers: one message for a wrong type and a wrong range, naming the bounds.
    for value in [json!(1.5), json!("60"), json!(0)] {
        let res = api
            .post(
                &site.token,
                "/v1/api_keys",
                json!({ "name": "n", "subject": "s", "seconds_until_expiration": value }),
            )
            .await;
        res.invalid("seconds_until_expiration");
        let message = res.body["error"]["message"].as_str().unwrap();
        assert!(message.contains("between 1 and 315360000"), "{message}");
    }
    // JSON has one kind of number: 3600.0 is the whole number 3600.
    let whole = api
        .post(
            &site.token,
            "/v1/api_keys",
            json!({ "name": "whole", "subject": "s", "seconds_until_expiration": 3600.0 }),
        )
        .await;
    assert!(whole.ok(201)["expiration"].is_string());
    let res = api.get(&site.token, "/v1/api_keys?offset=4294967296").await;
    res.invalid("offset");
    assert!(res.text.contains("4294967295"), "{}", res.text);
}

/// Two `Authorization` headers could be judged as two callers (a proxy taking the last one):
/// neither is taken, whichever comes first.
#[tokio::test]
async fn two_authorization_headers_are_refused() {
    let api = Server::shared().api();
    let site = api.site().await;
    for (path, first, second) in [
        ("/v1/admin/sites", api.admin_token.as_str(), "wrong"),
        ("/v1/api_keys", site.token.as_str(), "cpat_other"),
        ("/v1/api_keys", "cpat_other", site.token.as_str()),
    ] {
        let res = api
            .client
            .get(format!("{}{path}", api.base))
            .header("authorization", format!("Bearer {first}"))
            .header("authorization", format!("Bearer {second}"))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 401, "{path}");
    }
}

/// A `POST` that takes no parameters (a revoke, a refresh) still refuses the body every `POST`
/// refuses: another media type, a duplicate key, a member it does not know. Nothing is done.
#[tokio::test]
async fn posts_without_parameters_refuse_a_body() {
    let api = Server::shared().api();
    let site = api.site().await;
    let other = api.token_for(&site.id, "user-1", "to revoke").await;
    let other_id = api.get(&other, "/v1/personal_access_tokens").await.ok(200)["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "to revoke")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let connection = api
        .connection(&site.id, common::connection_body("google"))
        .await;
    let admin_revoke = format!(
        "/v1/admin/sites/{}/personal_access_tokens/{other_id}/revoke",
        site.id
    );
    let refresh = format!(
        "/v1/admin/sites/{}/connections/{}/refresh",
        site.id,
        connection["id"].as_str().unwrap()
    );
    let site_revoke = format!("/v1/personal_access_tokens/{other_id}/revoke");
    for (path, token) in [
        (admin_revoke.as_str(), api.admin_token.as_str()),
        (refresh.as_str(), api.admin_token.as_str()),
        (site_revoke.as_str(), site.token.as_str()),
    ] {
        for (content_type, body) in [
            ("application/json", r#"{"a":1,"a":2}"#),
            ("application/json", r#"{"revoked_by":"someone"}"#),
            ("text/plain", "{}"),
        ] {
            let res = api
                .client
                .post(format!("{}{path}", api.base))
                .bearer_auth(token)
                .header("content-type", content_type)
                .body(body)
                .send()
                .await
                .unwrap();
            let status = res.status().as_u16();
            assert!(
                status == 400 || status == 415,
                "{path} {body}: {status} {}",
                res.text().await.unwrap()
            );
        }
    }
    // Nothing was revoked.
    api.get(&other, "/v1/personal_access_tokens").await.ok(200);
}

#[tokio::test]
async fn the_http_layer_answers_with_the_error_body_where_it_can() {
    let server = Server::shared();
    let api = server.api();
    let site = api.site().await;
    // Over credport's own limits: the API's answer, with x-request-id.
    let long_path = format!("/v1/connections/{}", "a".repeat(10 * 1024));
    let res = api.get(&site.token, &long_path).await;
    let details = res.error(414, "uri_too_long");
    assert_eq!(details["limit_bytes"], 8192);
    let many: Vec<(String, String)> = (0..150).map(|i| (format!("x-h{i}"), "v".into())).collect();
    let many: Vec<(&str, &str)> = many.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
    api.request("GET", "/v1/connections", Some(&site.token), None, &many)
        .await
        .error(431, "headers_too_large");
    let big = "v".repeat(40 * 1024);
    api.request(
        "GET",
        "/v1/connections",
        Some(&site.token),
        None,
        &[("x-big", &big)],
    )
    .await
    .error(431, "headers_too_large");
    // Beyond hyper's limits, or not HTTP: hyper answers alone, a status line and no body.
    let url = server.url.clone();
    let (huge_path, bad_header) = tokio::task::spawn_blocking(move || {
        let huge = format!(
            "GET /v1/{} HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n",
            "a".repeat(70 * 1024)
        );
        let bad =
            b"GET /v1/connections HTTP/1.1\r\nhost: x\r\nx-bad\x01: v\r\nconnection: close\r\n\r\n";
        (
            common::raw_http(&url, vec![huge.into_bytes()], std::time::Duration::ZERO),
            common::raw_http(&url, vec![bad.to_vec()], std::time::Duration::ZERO),
        )
    })
    .await
    .unwrap();
    assert!(huge_path.starts_with("HTTP/1.1 414"), "{huge_path}");
    assert!(bad_header.starts_with("HTTP/1.1 400"), "{bad_header}");
    // The server is fine afterwards.
    api.get(&site.token, "/v1/connections").await.ok(200);
}
