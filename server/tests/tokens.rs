//! Personal access tokens through HTTP, and authentication: which token may call what.

mod common;

use std::time::Duration;

use common::{all_events, Server};
use serde_json::{json, Value};

const ALL_SCOPES: [&str; 5] = [
    "connections:read",
    "credentials:read",
    "api_keys:read",
    "api_keys:write",
    "tokens:write",
];

fn rfc3339_in(seconds: i64) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let t = now + seconds;
    let days = t.div_euclid(86_400);
    let secs = t.rem_euclid(86_400);
    // Civil date from days (Howard Hinnant), test-side so the server's code is not trusted here.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}

#[tokio::test]
async fn admin_token_creation_defaults_to_every_scope() {
    let api = Server::shared().api();
    let site = api.site().await;
    let created = api
        .admin(
            "POST",
            &format!("/v1/admin/sites/{}/personal_access_tokens", site.id),
            Some(json!({ "user_id": "ops", "name": "Jürgen's token" })),
        )
        .await;
    let token = created.ok(201);
    assert!(token["id"].as_str().unwrap().starts_with("pat_"));
    assert_eq!(token["user_id"], "ops");
    assert_eq!(token["name"], "Jürgen's token");
    assert_eq!(token["state"], "ACTIVE");
    assert_eq!(token["scopes"], json!(ALL_SCOPES));
    assert_eq!(token["expires_at"], Value::Null);
    assert_eq!(token["revoked_at"], Value::Null);
    assert_eq!(token["revoked_by"], Value::Null);
    let value = token["token"].as_str().unwrap();
    assert!(value.starts_with("cpat_") && value.len() >= 37, "{value}");

    let some = api
        .admin(
            "POST",
            &format!("/v1/admin/sites/{}/personal_access_tokens", site.id),
            Some(json!({ "user_id": "ops", "name": "t", "scopes": ["api_keys:read", "connections:read"] })),
        )
        .await;
    assert_eq!(
        some.ok(201)["scopes"],
        json!(["connections:read", "api_keys:read"])
    );
    for (body, field) in [
        (json!({ "name": "t" }), "user_id"),
        (
            json!({ "user_id": "u", "name": "t", "scopes": ["everything"] }),
            "scopes[0]",
        ),
        (
            json!({ "user_id": "u", "name": "t", "expires_at": "2000-01-01T00:00:00Z" }),
            "expires_at",
        ),
        (
            json!({ "user_id": "u", "name": "t", "expires_at": "soon" }),
            "expires_at",
        ),
    ] {
        api.admin(
            "POST",
            &format!("/v1/admin/sites/{}/personal_access_tokens", site.id),
            Some(body),
        )
        .await
        .invalid(field);
    }
    api.admin(
        "POST",
        "/v1/admin/sites/site_nope/personal_access_tokens",
        Some(json!({ "user_id": "u", "name": "t" })),
    )
    .await
    .error(404, "not_found");
}

#[tokio::test]
async fn site_tokens_create_list_get_and_revoke() {
    let api = Server::shared().api();
    let site = api.site_with("alice", None).await;
    let expires = rfc3339_in(3600);
    let created = api
        .post(
            &site.token,
            "/v1/personal_access_tokens",
            json!({ "name": "CI", "expires_at": expires, "scopes": ["api_keys:read"] }),
        )
        .await;
    let created = created.ok(201).clone();
    assert_eq!(created["user_id"], "alice", "belongs to the caller's user");
    assert_eq!(created["scopes"], json!(["api_keys:read"]));
    assert_eq!(created["expires_at"], expires.as_str());
    let id = created["id"].as_str().unwrap();
    let new_token = created["token"].as_str().unwrap();

    // Without scopes: the caller's.
    let inherited = api
        .post(
            &site.token,
            "/v1/personal_access_tokens",
            json!({ "name": "all" }),
        )
        .await;
    assert_eq!(inherited.ok(201)["scopes"], json!(ALL_SCOPES));

    let list = api.get(&site.token, "/v1/personal_access_tokens").await;
    let list = list.ok(200);
    assert_eq!(list["total_count"], 3);
    assert!(
        !list.to_string().contains("cpat_"),
        "lists never show tokens"
    );
    let fetched = api
        .get(&site.token, &format!("/v1/personal_access_tokens/{id}"))
        .await;
    let fetched = fetched.ok(200);
    assert!(fetched.get("token").is_none());
    assert_eq!(fetched["name"], "CI");

    // The new token works for what it may do, and only that.
    api.get(new_token, "/v1/api_keys").await.ok(200);
    let denied = api
        .post(
            new_token,
            "/v1/api_keys",
            json!({ "name": "k", "subject": "s" }),
        )
        .await;
    assert_eq!(
        denied.error(403, "forbidden")["required_scope"],
        "api_keys:write"
    );
    let denied = api
        .post(
            new_token,
            "/v1/personal_access_tokens",
            json!({ "name": "x" }),
        )
        .await;
    assert_eq!(
        denied.error(403, "forbidden")["required_scope"],
        "tokens:write"
    );

    // Using a token records it.
    let used = api
        .get(&site.token, &format!("/v1/personal_access_tokens/{id}"))
        .await;
    assert!(used.ok(200)["last_used_at"].is_string());

    let revoked = api
        .post(
            &site.token,
            &format!("/v1/personal_access_tokens/{id}/revoke"),
            json!({}),
        )
        .await;
    let revoked = revoked.ok(200);
    assert_eq!(revoked["state"], "REVOKED");
    assert_eq!(revoked["revoked_by"], "alice");
    assert!(revoked["revoked_at"].is_string());
    api.get(new_token, "/v1/api_keys")
        .await
        .error(401, "unauthenticated");
    let again = api
        .post(
            &site.token,
            &format!("/v1/personal_access_tokens/{id}/revoke"),
            json!({}),
        )
        .await;
    assert_eq!(again.ok(200)["revoked_at"], revoked["revoked_at"]);
    api.post(
        &site.token,
        "/v1/personal_access_tokens/pat_nope/revoke",
        json!({}),
    )
    .await
    .error(404, "not_found");
    api.get(&site.token, "/v1/personal_access_tokens/pat_nope")
        .await
        .error(404, "not_found");
}

#[tokio::test]
async fn a_token_cannot_grant_more_than_it_has() {
    let api = Server::shared().api();
    let site = api
        .site_with("bob", Some(&["tokens:write", "api_keys:read"]))
        .await;
    let denied = api
        .post(
            &site.token,
            "/v1/personal_access_tokens",
            json!({ "name": "x", "scopes": ["api_keys:read", "credentials:read"] }),
        )
        .await;
    assert_eq!(
        denied.error(403, "forbidden")["required_scope"],
        "credentials:read"
    );
    let inherited = api
        .post(
            &site.token,
            "/v1/personal_access_tokens",
            json!({ "name": "x" }),
        )
        .await;
    assert_eq!(
        inherited.ok(201)["scopes"],
        json!(["api_keys:read", "tokens:write"])
    );
    for (body, field) in [
        (
            json!({ "name": "x", "expires_at": rfc3339_in(-10) }),
            "expires_at",
        ),
        (
            json!({ "name": "x", "expires_at": "2026-02-30T00:00:00Z" }),
            "expires_at",
        ),
        (json!({ "name": "x", "scopes": ["nope"] }), "scopes[0]"),
        (json!({ "name": "" }), "name"),
        (json!({}), "name"),
        (json!({ "name": "x", "user_id": "someone-else" }), "user_id"),
    ] {
        api.post(&site.token, "/v1/personal_access_tokens", body)
            .await
            .invalid(field);
    }
}

#[tokio::test]
async fn revoking_your_own_token_locks_you_out() {
    let api = Server::shared().api();
    let site = api.site().await;
    let revoked = api.revoke_own_token(&site).await;
    assert_eq!(revoked.ok(200)["state"], "REVOKED");
    api.get(&site.token, "/v1/personal_access_tokens")
        .await
        .error(401, "unauthenticated");
}

#[tokio::test]
async fn an_expired_token_is_refused() {
    let api = Server::shared().api();
    let site = api.site().await;
    let created = api
        .post(
            &site.token,
            "/v1/personal_access_tokens",
            json!({ "name": "short-lived", "expires_at": rfc3339_in(5) }),
        )
        .await;
    let created = created.ok(201).clone();
    let short = created["token"].as_str().unwrap();
    api.get(short, "/v1/connections").await.ok(200);
    // Past its expiry (to the second), whatever the time the two calls above took.
    let expires = credport_server::clock::parse(created["expires_at"].as_str().unwrap()).unwrap();
    while credport_server::clock::now() <= expires {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    api.get(short, "/v1/connections")
        .await
        .error(401, "unauthenticated");
    let state = api
        .get(
            &site.token,
            &format!(
                "/v1/personal_access_tokens/{}",
                created["id"].as_str().unwrap()
            ),
        )
        .await;
    assert_eq!(state.ok(200)["state"], "EXPIRED");
}

#[tokio::test]
async fn every_bad_credential_is_the_same_401() {
    let server = Server::shared();
    let api = server.api();
    let site = api.site().await;
    let unknown = format!("cpat_{}", "Z".repeat(40));
    let cases: Vec<(Option<String>, &str)> = vec![
        (None, "missing"),
        (Some("Bearer".into()), "empty"),
        (Some("Basic dXNlcjpwYXNz".into()), "other scheme"),
        (Some("Bearer not-a-token".into()), "malformed"),
        (Some(format!("Bearer {unknown}")), "unknown"),
        (
            Some(format!("Bearer {}", server.admin_token)),
            "admin on a site route",
        ),
    ];
    let mut messages = Vec::new();
    for (authorization, case) in &cases {
        let headers: Vec<(&str, &str)> = authorization
            .as_deref()
            .map(|a| vec![("authorization", a)])
            .unwrap_or_default();
        let res = api
            .request("GET", "/v1/connections", None, None, &headers)
            .await;
        assert_eq!(res.status, 401, "{case}: {}", res.text);
        res.error(401, "unauthenticated");
        messages.push(res.body["error"]["message"].clone());
    }
    messages.dedup();
    assert_eq!(messages.len(), 1, "the 401 never says which: {messages:?}");

    // A site token on an admin route; the scheme is case-insensitive.
    api.request(
        "POST",
        "/v1/admin/sites",
        Some(&site.token),
        Some(&json!({ "name": "x" })),
        &[],
    )
    .await
    .error(401, "unauthenticated");
    api.request(
        "POST",
        "/v1/admin/sites",
        None,
        Some(&json!({ "name": "x" })),
        &[],
    )
    .await
    .error(401, "unauthenticated");
    let lower = format!("bearer {}", site.token);
    api.request(
        "GET",
        "/v1/connections",
        None,
        None,
        &[("authorization", &lower)],
    )
    .await
    .ok(200);
}

#[tokio::test]
async fn token_reads_need_only_a_valid_token() {
    let api = Server::shared().api();
    let site = api.site_with("carol", Some(&["connections:read"])).await;
    api.get(&site.token, "/v1/personal_access_tokens")
        .await
        .ok(200);
    api.get(
        &site.token,
        &format!("/v1/personal_access_tokens/{}", site.token_id),
    )
    .await
    .ok(200);
    let denied = api.revoke_own_token(&site).await;
    assert_eq!(
        denied.error(403, "forbidden")["required_scope"],
        "tokens:write"
    );
    for path in ["/v1/api_keys", "/v1/api_keys/ak_x"] {
        let denied = api.get(&site.token, path).await;
        assert_eq!(
            denied.error(403, "forbidden")["required_scope"],
            "api_keys:read"
        );
    }
}

#[tokio::test]
async fn a_token_never_outlives_the_token_that_made_it() {
    let api = Server::shared().api();
    let site = api.site().await;
    let parent_expiry = rfc3339_in(3600);
    let parent = api
        .post(
            &site.token,
            "/v1/personal_access_tokens",
            json!({ "name": "an hour", "expires_at": parent_expiry }),
        )
        .await;
    let parent = parent.ok(201)["token"].as_str().unwrap().to_owned();

    // Without expires_at: the parent's.
    let child = api
        .post(
            &parent,
            "/v1/personal_access_tokens",
            json!({ "name": "child" }),
        )
        .await;
    assert_eq!(child.ok(201)["expires_at"], parent_expiry.as_str());
    // Later than the parent: 400, whatever the distance.
    for later in [rfc3339_in(3601), "9999-12-31T23:59:59Z".to_owned()] {
        let refused = api
            .post(
                &parent,
                "/v1/personal_access_tokens",
                json!({ "name": "child", "expires_at": later }),
            )
            .await;
        refused.invalid("expires_at");
    }
    // Sooner, or exactly then: as asked.
    for sooner in [rfc3339_in(60), parent_expiry.clone()] {
        let made = api
            .post(
                &parent,
                "/v1/personal_access_tokens",
                json!({ "name": "child", "expires_at": sooner }),
            )
            .await;
        assert_eq!(made.ok(201)["expires_at"], sooner.as_str());
    }
    // A grandchild is bound by the same moment.
    let grandchild = api
        .post(
            child.body["token"].as_str().unwrap(),
            "/v1/personal_access_tokens",
            json!({ "name": "g" }),
        )
        .await;
    assert_eq!(grandchild.ok(201)["expires_at"], parent_expiry.as_str());
    // A token without expiry makes tokens without expiry.
    let free = api
        .post(
            &site.token,
            "/v1/personal_access_tokens",
            json!({ "name": "free" }),
        )
        .await;
    assert_eq!(free.ok(201)["expires_at"], Value::Null);
}

#[tokio::test]
async fn site_tokens_see_only_their_own_users_tokens() {
    let api = Server::shared().api();
    let alice = api.site_with("alice", None).await;
    let tokens_of = format!("/v1/admin/sites/{}/personal_access_tokens", alice.id);
    let bob = api
        .admin(
            "POST",
            &tokens_of,
            Some(json!({ "user_id": "bob", "name": "bob's" })),
        )
        .await;
    let bob = bob.ok(201).clone();
    let bob_id = bob["id"].as_str().unwrap();
    let bob_token = bob["token"].as_str().unwrap();

    let listed = api.get(&alice.token, "/v1/personal_access_tokens").await;
    let listed = listed.ok(200);
    assert_eq!(listed["total_count"], 1);
    assert_eq!(listed["data"][0]["user_id"], "alice");

    // Bob's token answers exactly like a missing one, and stays usable.
    let missing = api
        .get(&alice.token, "/v1/personal_access_tokens/pat_missing")
        .await;
    let hidden = api
        .get(
            &alice.token,
            &format!("/v1/personal_access_tokens/{bob_id}"),
        )
        .await;
    hidden.error(404, "not_found");
    assert_eq!(
        hidden.body["error"]["message"],
        missing.body["error"]["message"]
    );
    api.post(
        &alice.token,
        &format!("/v1/personal_access_tokens/{bob_id}/revoke"),
        json!({}),
    )
    .await
    .error(404, "not_found");
    api.get(bob_token, "/v1/connections").await.ok(200);

    // The admin sees every user's, or one user's, and revokes any.
    let all = api.admin("GET", &tokens_of, None).await;
    assert_eq!(all.ok(200)["total_count"], 2);
    assert!(!all.text.contains("cpat_"), "lists never show tokens");
    let bobs = api
        .admin("GET", &format!("{tokens_of}?user_id=bob"), None)
        .await;
    let bobs = bobs.ok(200);
    assert_eq!(bobs["total_count"], 1);
    assert_eq!(bobs["data"][0]["id"], bob_id);
    api.admin("GET", &format!("{tokens_of}?owner=bob"), None)
        .await
        .invalid("owner");
    let revoked = api
        .admin("POST", &format!("{tokens_of}/{bob_id}/revoke"), None)
        .await;
    let revoked = revoked.ok(200);
    assert_eq!(revoked["state"], "REVOKED");
    assert_eq!(revoked["revoked_by"], "admin");
    api.get(bob_token, "/v1/connections")
        .await
        .error(401, "unauthenticated");

    // Another site's tokens are not the admin's to reach through this site.
    let other = api.site().await;
    api.admin(
        "POST",
        &format!("{tokens_of}/{}/revoke", other.token_id),
        None,
    )
    .await
    .error(404, "not_found");
    api.get(&other.token, "/v1/connections").await.ok(200);
    api.admin(
        "GET",
        "/v1/admin/sites/site_nope/personal_access_tokens",
        None,
    )
    .await
    .error(404, "not_found");
    // Site tokens cannot call the admin routes.
    api.get(&alice.token, &tokens_of)
        .await
        .error(401, "unauthenticated");
}

/// The site's reads check the token in the round trip of their own read, once they have seen
/// it. Seen and then revoked, or seen with too few scopes, it is refused there as anywhere, and
/// nothing of what the read found shows: not a 404, not a field's 400.
#[tokio::test]
async fn a_token_seen_before_is_checked_again_on_every_read() {
    let api = Server::shared().api();
    let site = api.site().await;
    let connection = api
        .connection(&site.id, common::connection_body("github"))
        .await;
    let key = api.create_key(&site.token, "read back").await;
    let key = key["id"].as_str().unwrap().to_owned();
    let connection = connection["id"].as_str().unwrap().to_owned();
    let narrow = api.site_with("dora", Some(&["connections:read"])).await;
    let own_token = format!("/v1/personal_access_tokens/{}", site.token_id);
    let reads = |token: String| {
        let (api, key, connection) = (api.clone(), key.clone(), connection.clone());
        let own_token = own_token.clone();
        async move {
            [
                api.get(&token, "/v1/connections").await,
                api.get(&token, "/v1/connections/credentials/github").await,
                api.get(&token, "/v1/connections/credentials/nope").await,
                api.post(&token, "/v1/api_keys/verify", json!({ "secret": "sk_x" }))
                    .await,
                api.post(&token, "/v1/api_keys/verify", json!({})).await,
                api.get(&token, &format!("/v1/connections/{connection}"))
                    .await,
                api.get(&token, "/v1/connections/conn_nope").await,
                api.get(&token, "/v1/connections?page=none").await,
                api.get(&token, "/v1/api_keys").await,
                api.get(&token, &format!("/v1/api_keys/{key}")).await,
                api.get(&token, "/v1/api_keys?limit=none").await,
                api.get(&token, "/v1/personal_access_tokens").await,
                api.get(&token, &own_token).await,
                api.get(&token, "/v1/personal_access_tokens/%FF").await,
                api.get(
                    &token,
                    "/v1/connections/credentials/github?force_refresh=maybe",
                )
                .await,
            ]
        }
    };
    // Twice: the first time a token is seen, and once it is.
    for _ in 0..2 {
        let [list, credentials, missing, verified, wrong, one, no_one, bad_page, keys, key_read, bad_limit, tokens, token, bad_path, bad_refresh] =
            reads(site.token.clone()).await;
        assert_eq!(list.ok(200)["payload"].as_array().unwrap().len(), 1);
        assert_eq!(credentials.ok(200)["type"], "api_key");
        missing.error(404, "not_found");
        assert_eq!(verified.ok(200)["valid"], false);
        wrong.invalid("secret");
        assert_eq!(one.ok(200)["id"], connection.as_str());
        no_one.error(404, "not_found");
        bad_page.invalid("page");
        assert_eq!(keys.ok(200)["total_count"], 1);
        assert_eq!(key_read.ok(200)["id"], key.as_str());
        bad_limit.invalid("limit");
        assert_eq!(tokens.ok(200)["total_count"], 1);
        assert_eq!(token.ok(200)["id"], site.token_id.as_str());
        bad_path.invalid("path");
        bad_refresh.invalid("force_refresh");

        let [list, credentials, missing, verified, wrong, one, no_one, bad_page, keys, key_read, bad_limit, tokens, token, bad_path, bad_refresh] =
            reads(narrow.token.clone()).await;
        list.ok(200);
        credentials.error(403, "forbidden");
        missing.error(403, "forbidden");
        verified.error(403, "forbidden");
        wrong.error(403, "forbidden");
        // Another site's connection is not found; a wrong query is the caller's, with the scope.
        one.error(404, "not_found");
        no_one.error(404, "not_found");
        bad_page.invalid("page");
        keys.error(403, "forbidden");
        key_read.error(403, "forbidden");
        bad_limit.error(403, "forbidden");
        // Any token reads its own user's tokens, and no other site's.
        assert_eq!(tokens.ok(200)["total_count"], 1);
        token.error(404, "not_found");
        bad_path.invalid("path");
        bad_refresh.error(403, "forbidden");
    }
    api.revoke_own_token(&site).await.ok(200);
    for answer in reads(site.token.clone()).await {
        answer.error(401, "unauthenticated");
    }
    // A credentials read refused leaves no event: only the two answered are recorded.
    let recorded = |site: String| {
        let api = api.clone();
        async move {
            all_events(&api, &site, "&type=credentials.read")
                .await
                .len()
        }
    };
    assert_eq!(recorded(site.id.clone()).await, 2);
    assert_eq!(recorded(narrow.id.clone()).await, 0);
}

/// Making and revoking a token check the token in the transaction that claims the
/// `Idempotency-Key`: a refusal (a scope the caller lacks, or a wrong token) claims nothing, so
/// the same key then serves the request that is allowed, and a revoked token gets no stored
/// answer replayed.
#[tokio::test]
async fn tokens_made_and_revoked_with_an_idempotency_key_check_the_token_in_that_transaction() {
    let api = Server::shared().api();
    let site = api.site_with("carol", Some(&["tokens:write"])).await;
    let reader = api.site_with("dave", Some(&["api_keys:read"])).await;
    let make = |token: String, key: &'static str, body: Value| {
        let api = api.clone();
        async move {
            let path = "/v1/personal_access_tokens";
            api.post_once(&token, path, body, key).await
        }
    };
    let wanted = json!({ "name": "made once" });
    // Twice: the first time each token is seen, and once it is.
    for _ in 0..2 {
        let short = make(reader.token.clone(), "make", wanted.clone()).await;
        assert_eq!(
            short.error(403, "forbidden")["required_scope"],
            "tokens:write"
        );
        let more = make(
            site.token.clone(),
            "make",
            json!({ "name": "x", "scopes": ["credentials:read"] }),
        )
        .await;
        assert_eq!(
            more.error(403, "forbidden")["required_scope"],
            "credentials:read"
        );
    }
    let made = make(site.token.clone(), "make", wanted.clone()).await;
    assert_eq!(made.header("idempotent-replayed"), None, "the key was free");
    let made = made.ok(201).clone();
    assert_eq!(made["scopes"], json!(["tokens:write"]));
    let again = make(site.token.clone(), "make", wanted.clone()).await;
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
    assert_eq!(again.ok(201)["id"], made["id"]);
    let created: Vec<Value> = all_events(&api, &site.id, "&type=token.created").await;
    let by_carol = created
        .iter()
        .filter(|e| e["actor"]["type"] == "token")
        .count();
    assert_eq!(by_carol, 1, "{created:?}");

    let id = made["id"].as_str().unwrap().to_owned();
    let revoke = |token: String| {
        let (api, id) = (api.clone(), id.clone());
        async move {
            let path = format!("/v1/personal_access_tokens/{id}/revoke");
            api.post_once(&token, &path, json!({}), "revoke").await
        }
    };
    assert!(revoke(site.token.clone()).await.ok(200)["revoked_at"].is_string());
    let replayed = revoke(site.token.clone()).await;
    assert_eq!(replayed.header("idempotent-replayed"), Some("true"));
    api.revoke_own_token(&site).await.ok(200);
    make(site.token.clone(), "make", wanted)
        .await
        .error(401, "unauthenticated");
    revoke(site.token.clone())
        .await
        .error(401, "unauthenticated");
}

/// Two tokens of one user revoking each other at once (PostgreSQL): both answer. Each request
/// also records its own token's use, which waits for no other transaction. Another client
/// holds both rows until both revokes wait on them.
#[tokio::test]
async fn two_tokens_revoking_each_other_at_once_both_answer() {
    if !common::on_postgres() {
        return;
    }
    let server = Server::start();
    let api = server.api();
    let site = api.site().await;
    let other = api.token_for(&site.id, &site.user, "other").await;
    let listed = api.get(&other, "/v1/personal_access_tokens").await;
    let other_id = listed.ok(200)["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "other")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    // Both seen by the server, their last use a minute ago: each revoke records its token's use.
    api.get(&site.token, "/v1/api_keys").await.ok(200);
    let ids = format!("'{}', '{other_id}'", site.token_id);
    common::psql(
        server.database.to_str().unwrap(),
        &format!(
            "UPDATE personal_access_tokens SET last_used_at = last_used_at - 60 WHERE id IN ({ids})"
        ),
    );
    let held = common::Held::begin(
        &server,
        &format!("SELECT 1 FROM personal_access_tokens WHERE id IN ({ids}) FOR SHARE;"),
    )
    .await;
    let revoke = |token: String, id: String| {
        let api = api.clone();
        tokio::spawn(async move {
            let path = format!("/v1/personal_access_tokens/{id}/revoke");
            api.post(&token, &path, json!({})).await
        })
    };
    let a = revoke(site.token.clone(), other_id.clone());
    let b = revoke(other.clone(), site.token_id.clone());
    held.wait_for_waiters(2).await;
    held.commit();
    a.await.unwrap().ok(200);
    b.await.unwrap().ok(200);
}
