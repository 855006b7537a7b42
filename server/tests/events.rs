//! The audit log over real HTTP: every change and every secret read is one event with the right
//! actor, target and request, none holds a secret, a failed change leaves none, the filters and
//! the cursor (stable while events are added), and the retention.

mod common;

use std::collections::HashSet;
use std::time::Duration;

use common::provider::{Mode, Provider};
use common::{all_events, eventually, Options, Server, Site};
use credport_server::clock;
use serde_json::{json, Value};

/// The one event of `kind` about `target`; fails unless there is exactly one.
fn one<'a>(events: &'a [Value], kind: &str, target: &str) -> &'a Value {
    let found: Vec<&Value> = events
        .iter()
        .filter(|e| e["type"] == kind && e["target"]["id"] == target)
        .collect();
    assert_eq!(found.len(), 1, "{kind} of {target}: {found:?}");
    found[0]
}

fn admin_actor() -> Value {
    json!({ "type": "admin" })
}

fn token_actor(site: &Site) -> Value {
    json!({ "type": "token", "token_id": site.token_id, "user_id": site.user })
}

#[tokio::test]
async fn every_change_and_secret_read_is_one_event_without_secrets() {
    let server = Server::shared();
    let api = server.api();
    let site = api.site().await;
    let s = &site.id;
    let mut secrets = vec![site.token.clone()];

    // Connections (admin), with the request's id, address and user agent.
    let body = common::connection_body("shopify");
    collect_strings(&body["credentials"]["fields"], &mut secrets);
    let created = api
        .request(
            "POST",
            &format!("/v1/admin/sites/{s}/connections"),
            Some(&api.admin_token),
            Some(&body),
            &[("user-agent", "events-test/1.0")],
        )
        .await;
    let connection = created.ok(201)["id"].as_str().unwrap().to_owned();
    let create_request = created.header("x-request-id").unwrap().to_owned();
    let new_fields =
        json!({ "type": "api_key", "fields": { "api_key": "sk-new-secret-value-123456" } });
    secrets.push("sk-new-secret-value-123456".into());
    api.admin(
        "PATCH",
        &format!("/v1/admin/sites/{s}/connections/{connection}"),
        Some(json!({ "status": "inactive", "credentials": new_fields })),
    )
    .await
    .ok(200);
    api.admin(
        "PATCH",
        &format!("/v1/admin/sites/{s}/connections/{connection}"),
        Some(json!({ "status": "active", "metadata": { "plan": "pro", "seats": [1, 2] } })),
    )
    .await
    .ok(200);

    // The secret read (a token), then the connection goes.
    let read = api
        .get(&site.token, "/v1/connections/credentials/shopify")
        .await;
    read.ok(200);
    let read_request = read.header("x-request-id").unwrap().to_owned();
    api.admin(
        "DELETE",
        &format!("/v1/admin/sites/{s}/connections/{connection}"),
        None,
    )
    .await
    .ok(204);

    // Provider configurations (admin).
    let provider = Provider::start().await;
    secrets.push(provider.client_secret.clone());
    api.admin(
        "POST",
        &format!("/v1/admin/sites/{s}/provider_configs"),
        Some(provider.config_body("google-prod", "client_secret_basic")),
    )
    .await
    .ok(201);
    secrets.push("another-client-secret-0987654321".into());
    api.admin(
        "PATCH",
        &format!("/v1/admin/sites/{s}/provider_configs/google-prod"),
        Some(json!({ "refresh_margin_seconds": 60, "client_secret": "another-client-secret-0987654321" })),
    )
    .await
    .ok(200);

    // API keys (token): verify is not an event.
    let key = api
        .post(
            &site.token,
            "/v1/api_keys",
            json!({ "name": "ci", "subject": "machine-1" }),
        )
        .await;
    let key = key.ok(201).clone();
    let key_id = key["id"].as_str().unwrap().to_owned();
    secrets.push(key["secret"].as_str().unwrap().to_owned());
    api.patch(
        &site.token,
        &format!("/v1/api_keys/{key_id}"),
        json!({ "description": "for CI" }),
    )
    .await
    .ok(200);
    // Updates that change nothing are no events.
    for nothing in [json!({}), json!({ "description": "for CI" })] {
        api.patch(&site.token, &format!("/v1/api_keys/{key_id}"), nothing)
            .await
            .ok(200);
    }
    api.admin(
        "PATCH",
        &format!("/v1/admin/sites/{s}/provider_configs/google-prod"),
        Some(json!({ "refresh_margin_seconds": 60 })),
    )
    .await
    .ok(200);
    api.get(&site.token, &format!("/v1/api_keys/{key_id}/secret"))
        .await
        .ok(200);
    api.post(
        &site.token,
        "/v1/api_keys/verify",
        json!({ "secret": key["secret"] }),
    )
    .await
    .ok(200);
    api.post(
        &site.token,
        &format!("/v1/api_keys/{key_id}/revoke"),
        json!({ "revocation_reason": "rotated" }),
    )
    .await
    .ok(200);
    api.delete(&site.token, &format!("/v1/api_keys/{key_id}"))
        .await
        .ok(200);

    // Tokens: made and revoked by a token, and by the admin.
    let own = api
        .post(
            &site.token,
            "/v1/personal_access_tokens",
            json!({ "name": "second" }),
        )
        .await;
    let own = own.ok(201).clone();
    let own_id = own["id"].as_str().unwrap().to_owned();
    secrets.push(own["token"].as_str().unwrap().to_owned());
    api.post(
        &site.token,
        &format!("/v1/personal_access_tokens/{own_id}/revoke"),
        json!({}),
    )
    .await
    .ok(200);
    api.admin(
        "POST",
        &format!("/v1/admin/sites/{s}/personal_access_tokens/{own_id}/revoke"),
        Some(json!({})),
    )
    .await
    .ok(200);

    api.admin(
        "DELETE",
        &format!("/v1/admin/sites/{s}/provider_configs/google-prod"),
        None,
    )
    .await
    .ok(204);

    let events = all_events(&api, s, "").await;
    let text = serde_json::to_string(&events).unwrap();
    for secret in &secrets {
        assert!(!text.contains(secret.as_str()), "a secret is in the events");
    }

    one(&events, "site.created", s);
    let token_created = one(&events, "token.created", &site.token_id);
    assert_eq!(token_created["actor"], admin_actor());
    assert_eq!(token_created["target"]["type"], "personal_access_token");

    let created = one(&events, "connection.created", &connection);
    assert_eq!(created["actor"], admin_actor());
    assert_eq!(created["site_id"], s.as_str());
    assert_eq!(
        created["target"],
        json!({ "type": "connection", "id": connection })
    );
    assert_eq!(created["request_id"], create_request.as_str());
    assert_eq!(created["client_address"], "127.0.0.1");
    assert_eq!(created["user_agent"], "events-test/1.0");
    assert_eq!(created["data"]["provider"], "shopify");

    let updates: Vec<&Value> = events
        .iter()
        .filter(|e| e["type"] == "connection.updated")
        .collect();
    assert_eq!(updates.len(), 2);
    // Newest first: the second PATCH set the status back, and the metadata (stored and answered
    // as JSON text, compared as values).
    assert_eq!(
        updates[0]["data"]["status"],
        json!({ "from": "inactive", "to": "active" })
    );
    assert_eq!(
        updates[0]["data"]["metadata"],
        json!({ "from": body["metadata"], "to": { "plan": "pro", "seats": [1, 2] } })
    );
    assert!(updates[1]["data"].get("metadata").is_none());
    assert_eq!(
        updates[1]["data"]["status"],
        json!({ "from": "active", "to": "inactive" })
    );
    assert_eq!(updates[1]["data"]["credential_fields"], "replaced");

    let read = one(&events, "credentials.read", &connection);
    assert_eq!(read["actor"], token_actor(&site));
    assert_eq!(read["request_id"], read_request.as_str());
    one(&events, "connection.deleted", &connection);

    for kind in [
        "provider_config.created",
        "provider_config.updated",
        "provider_config.deleted",
    ] {
        assert_eq!(one(&events, kind, "google-prod")["actor"], admin_actor());
    }
    let config_update = one(&events, "provider_config.updated", "google-prod");
    assert_eq!(
        config_update["data"]["refresh_margin_seconds"],
        json!({ "from": 300, "to": 60 })
    );
    assert_eq!(config_update["data"]["client_secret"], "replaced");

    for kind in [
        "api_key.created",
        "api_key.updated",
        "api_key.secret_read",
        "api_key.revoked",
        "api_key.deleted",
    ] {
        assert_eq!(
            one(&events, kind, &key_id)["actor"],
            token_actor(&site),
            "{kind}"
        );
    }
    assert!(!events
        .iter()
        .any(|e| e["type"].as_str().unwrap().contains("verif")));
    assert_eq!(
        one(&events, "api_key.revoked", &key_id)["data"]["revocation_reason"],
        "rotated"
    );

    assert_eq!(
        one(&events, "token.created", &own_id)["actor"],
        token_actor(&site)
    );
    let revokes: Vec<&Value> = events
        .iter()
        .filter(|e| e["type"] == "token.revoked" && e["target"]["id"] == own_id.as_str())
        .collect();
    // The admin's revoke of a revoked token changed nothing: no event.
    assert_eq!(revokes.len(), 1);
    assert_eq!(revokes[0]["actor"], token_actor(&site));

    // Nothing else: each change above is exactly one event.
    assert_eq!(
        events.len(),
        17,
        "{:#?}",
        events.iter().map(|e| &e["type"]).collect::<Vec<_>>()
    );
    // Another site sees none of them, and an unknown site is 404.
    let other = api.site().await;
    let theirs = all_events(&api, &other.id, "").await;
    assert!(theirs.iter().all(|e| e["site_id"] == other.id.as_str()));
    api.admin(
        "GET",
        "/v1/admin/sites/site_00000000000000000000/events",
        None,
    )
    .await
    .error(404, "not_found");
}

fn collect_strings(value: &Value, into: &mut Vec<String>) {
    match value {
        Value::String(s) => into.push(s.clone()),
        Value::Object(map) => map.values().for_each(|v| collect_strings(v, into)),
        Value::Array(list) => list.iter().for_each(|v| collect_strings(v, into)),
        _ => {}
    }
}

/// Refreshes are the server's doing, for the request that asked: refreshed, failed for now,
/// then refused for good (the connection invalidated).
#[tokio::test]
async fn refresh_outcomes_are_the_servers_events() {
    let server = Server::shared();
    let api = server.api();
    let site = api.site().await;
    let provider = Provider::start().await;
    api.admin(
        "POST",
        &format!("/v1/admin/sites/{}/provider_configs", site.id),
        Some(provider.config_body("google-prod", "client_secret_post")),
    )
    .await
    .ok(201);
    let expires_at = clock::format(clock::now() + 30);
    let connection = api
        .connection(
            &site.id,
            json!({
                "provider": "google",
                "provider_config_key": "google-prod",
                "token_expires_at": expires_at,
                "credentials": { "type": "oauth2", "expires_at": expires_at,
                    "fields": { "access_token": "at-0", "refresh_token": "rt-0" } }
            }),
        )
        .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let path = "/v1/connections/credentials/google?force_refresh=true";

    let refreshed = api.get(&site.token, path).await;
    let fresh = refreshed.ok(200).clone();
    let asked = refreshed.header("x-request-id").unwrap().to_owned();
    provider.set_mode(Mode::ServerError);
    api.get(&site.token, path)
        .await
        .error(502, "refresh_failed");
    // The cooldown keeps the server from calling again; the refusal comes after it.
    execute_cooldown_end(server, &connection);
    // Refused while an admin made the connection inactive: invalid, from inactive.
    provider.set_mode(Mode::Refuse);
    provider.hold();
    let calls = provider.call_count();
    let (reader, token) = (api.clone(), site.token.clone());
    let refused = tokio::spawn(async move { reader.get(&token, path).await });
    common::wait_until(
        "the refresh at the provider",
        Duration::from_secs(10),
        || provider.call_count() > calls,
    )
    .await;
    api.admin(
        "PATCH",
        &format!("/v1/admin/sites/{}/connections/{connection}", site.id),
        Some(json!({ "status": "inactive" })),
    )
    .await
    .ok(200);
    provider.release();
    refused.await.unwrap().error(409, "connection_invalid");

    let events = all_events(&api, &site.id, &format!("&target_id={connection}")).await;
    let text = serde_json::to_string(&events).unwrap();
    for secret in [&provider.client_secret, "rt-0", "at-0"] {
        assert!(!text.contains(secret), "a secret is in the events");
    }
    for field in fresh["fields"].as_object().unwrap().values() {
        assert!(!text.contains(field.as_str().unwrap()));
    }
    let server_actor = json!({ "type": "server" });
    let done = one(&events, "connection.refreshed", &connection);
    assert_eq!(done["actor"], server_actor);
    assert_eq!(done["request_id"], asked.as_str());
    assert!(done.get("client_address").is_none());
    let failed = one(&events, "connection.refresh_failed", &connection);
    assert_eq!(failed["actor"], server_actor);
    let invalid = one(&events, "connection.invalidated", &connection);
    assert_eq!(
        invalid["data"]["status"],
        json!({ "from": "inactive", "to": "invalid" })
    );
    assert_eq!(invalid["data"]["refresh_error"], "invalid_grant");
    // The one credentials read that handed out credentials.
    let reads: Vec<&Value> = events
        .iter()
        .filter(|e| e["type"] == "credentials.read")
        .collect();
    assert_eq!(reads.len(), 1);
    assert_eq!(reads[0]["actor"], token_actor(&site));
}

/// Ends the refresh cooldown of `connection` (the server waits 30 s before calling a failing
/// token endpoint again).
fn execute_cooldown_end(server: &Server, connection: &str) {
    common::execute_sql(
        &server.database,
        &format!("UPDATE connections SET refresh_retry_at_ms = NULL WHERE id = '{connection}'"),
    );
}

#[tokio::test]
async fn a_failed_change_leaves_no_event() {
    let api = Server::shared().api();
    let site = api.site().await;
    let key = json!({ "name": "dup", "subject": "s" });
    api.post(&site.token, "/v1/api_keys", key.clone())
        .await
        .ok(201);
    api.post(&site.token, "/v1/api_keys", key)
        .await
        .error(409, "conflict");
    api.admin(
        "PATCH",
        &format!(
            "/v1/admin/sites/{}/connections/conn_00000000000000000000",
            site.id
        ),
        Some(json!({ "status": "inactive" })),
    )
    .await
    .error(404, "not_found");
    api.get(&site.token, "/v1/connections/credentials/nothing")
        .await
        .error(404, "not_found");
    let events = all_events(&api, &site.id, "&type=api_key.created").await;
    assert_eq!(events.len(), 1);
    let all = all_events(&api, &site.id, "").await;
    let kinds: Vec<&str> = all.iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["api_key.created", "token.created", "site.created"]);
}

#[tokio::test]
async fn filters_and_bad_parameters() {
    let api = Server::shared().api();
    let site = api.site().await;
    let base = format!("/v1/admin/sites/{}/events", site.id);
    let first = api
        .connection(&site.id, common::connection_body("google"))
        .await;
    let id = first["id"].as_str().unwrap();
    api.connection(&site.id, common::connection_body("shopify"))
        .await;

    let by_target = all_events(&api, &site.id, &format!("&target_id={id}")).await;
    assert_eq!(by_target.len(), 1);
    assert_eq!(by_target[0]["target"]["id"], id);
    let by_type = all_events(&api, &site.id, "&type=connection.created").await;
    assert_eq!(by_type.len(), 2);
    let future = clock::format(clock::now() + 3600);
    assert!(all_events(&api, &site.id, &format!("&since={future}"))
        .await
        .is_empty());
    let all = all_events(&api, &site.id, "").await;
    assert_eq!(
        all_events(&api, &site.id, &format!("&until={future}")).await,
        all
    );

    for (query, field) in [
        ("limit=0", "limit"),
        ("limit=101", "limit"),
        ("since=yesterday", "since"),
        ("until=2026-13-01T00:00:00Z", "until"),
        ("cursor=nope!", "cursor"),
        ("cursor=ev0", "cursor"),
        ("color=blue", "color"),
    ] {
        api.admin("GET", &format!("{base}?{query}"), None)
            .await
            .invalid(field);
    }
    // Site tokens do not read the log.
    api.get(&site.token, &base)
        .await
        .error(401, "unauthenticated");
}

/// Pages read while events are being added never repeat or skip an event that existed when
/// the reading began.
#[tokio::test]
async fn cursor_pages_are_stable_under_concurrent_writes() {
    let api = Server::shared().api();
    let site = api.site().await;
    for _ in 0..30 {
        api.post(
            &site.token,
            "/v1/personal_access_tokens",
            json!({ "name": "t" }),
        )
        .await
        .ok(201);
    }
    let before: Vec<String> = all_events(&api, &site.id, "")
        .await
        .iter()
        .map(|e| e["id"].as_str().unwrap().to_owned())
        .collect();

    let writer = {
        let (api, token) = (api.clone(), site.token.clone());
        tokio::spawn(async move {
            for _ in 0..40 {
                api.post(&token, "/v1/personal_access_tokens", json!({ "name": "w" }))
                    .await
                    .ok(201);
            }
        })
    };
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut path = format!("/v1/admin/sites/{}/events?limit=7", site.id);
        if let Some(c) = &cursor {
            path.push_str(&format!("&cursor={c}"));
        }
        let page = api.admin("GET", &path, None).await.ok(200).clone();
        seen.extend(
            page["data"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["id"].as_str().unwrap().to_owned()),
        );
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
    }
    writer.await.unwrap();
    let unique: HashSet<&String> = seen.iter().collect();
    assert_eq!(unique.len(), seen.len(), "an event came twice");
    for id in &before {
        assert!(seen.contains(id), "an event that existed was skipped");
    }
}

/// Events older than CREDPORT_EVENT_RETENTION_DAYS are removed by the server itself.
#[tokio::test]
async fn old_events_are_removed() {
    let server = Server::start_with(Options::default().env("CREDPORT_EVENT_RETENTION_DAYS", "30"));
    let api = server.api();
    let site = api.site().await;
    let old = clock::now() - 31 * 86_400;
    let kept = clock::now() - 29 * 86_400;
    let sql = format!(
        "UPDATE events SET at = {old} WHERE type = 'site.created';
         UPDATE events SET at = {kept} WHERE type = 'token.created'"
    );
    let restarted = restarted_after(server, &sql);
    assert_eq!(
        kinds_once_purged(&restarted, &site).await,
        ["token.created"]
    );
}

/// `server` restarted (keeping 30 days of events) after `sql` has aged its events: the
/// retention runs at start.
fn restarted_after(server: Server, sql: &str) -> Server {
    common::execute_sql(&server.database, sql);
    server.stop();
    Server::start_with(
        server
            .same_data()
            .env("CREDPORT_EVENT_RETENTION_DAYS", "30"),
    )
}

/// The types of `site`'s events, newest first, once the retention at start has removed some.
async fn kinds_once_purged(server: &Server, site: &Site) -> Vec<String> {
    let (api, site) = (&server.api(), site);
    eventually(
        "the old events removed",
        std::time::Duration::from_secs(10),
        move || async move {
            let kinds: Vec<String> = all_events(api, &site.id, "")
                .await
                .iter()
                .map(|e| e["type"].as_str().unwrap().to_owned())
                .collect();
            // A site starts with two events (`site.created`, `token.created`).
            if kinds.len() < 2 {
                Ok(kinds)
            } else {
                Err(format!("{kinds:?}"))
            }
        },
    )
    .await
}

/// When every event is past the retention, the newest is kept, so that events made after are
/// numbered after it and a cursor handed out before does not page into them.
#[tokio::test]
async fn a_cursor_stays_behind_events_made_after_everything_was_removed() {
    let server = Server::start_with(Options::default().env("CREDPORT_EVENT_RETENTION_DAYS", "30"));
    let api = server.api();
    let site = api.site().await;
    let path = format!("/v1/admin/sites/{}/events?limit=1", site.id);
    let first = api.admin("GET", &path, None).await.ok(200).clone();
    let cursor = first["next_cursor"].as_str().unwrap().to_owned();
    let old = clock::now() - 31 * 86_400;
    let restarted = restarted_after(server, &format!("UPDATE events SET at = {old}"));
    assert_eq!(
        kinds_once_purged(&restarted, &site).await,
        ["token.created"]
    );
    let api = restarted.api();
    api.connection(&site.id, common::connection_body("google"))
        .await;
    let older = api
        .admin("GET", &format!("{path}&cursor={cursor}"), None)
        .await
        .ok(200)
        .clone();
    assert_eq!(older["data"], json!([]), "{older}");
    let newest = api.admin("GET", &path, None).await.ok(200).clone();
    assert_eq!(newest["data"][0]["type"], "connection.created");
}

/// Two revokes of one token at once, on PostgreSQL (SQLite's one writer runs them in turn):
/// both read the token unrevoked, both wait on its row, and only the first changes it. One
/// revocation, one event. Another client holds the row until both wait on it, so the race is
/// run every time, not by chance.
#[tokio::test]
async fn two_revokes_at_once_record_one_event() {
    if !common::on_postgres() {
        return;
    }
    let server = Server::start();
    let api = server.api();
    let site = api.site().await;
    let held = common::Held::begin(
        &server,
        &format!(
            "SELECT id FROM personal_access_tokens WHERE id = '{}' FOR UPDATE;",
            site.token_id
        ),
    )
    .await;
    let revoke = format!(
        "/v1/admin/sites/{}/personal_access_tokens/{}/revoke",
        site.id, site.token_id
    );
    let (first, second) = (api.clone(), api.clone());
    let (path_1, path_2) = (revoke.clone(), revoke);
    let revokes = tokio::spawn(async move {
        tokio::join!(
            first.admin("POST", &path_1, None),
            second.admin("POST", &path_2, None)
        )
    });
    // Well within the server's lock timeout (5 s).
    held.wait_for_waiters(2).await;
    held.commit();
    let (a, b) = revokes.await.unwrap();
    assert_eq!(a.ok(200)["revoked_at"], b.ok(200)["revoked_at"]);
    let events = all_events(&api, &site.id, "&type=token.revoked").await;
    one(&events, "token.revoked", &site.token_id);
}

/// An update's event names what that update changed, not what another client's transaction
/// changed while it ran (PostgreSQL; SQLite runs writes in turn): the other change is
/// committed while the update waits on the row, and is not in the update's event.
#[tokio::test]
async fn an_update_records_its_own_change_not_one_made_meanwhile() {
    if !common::on_postgres() {
        return;
    }
    let server = Server::start();
    let api = server.api();
    let site = api.site().await;
    let made = api
        .connection(&site.id, common::connection_body("shopify"))
        .await;
    let id = made["id"].as_str().unwrap().to_owned();
    let held = common::Held::begin(
        &server,
        &format!("UPDATE connections SET status = 'inactive' WHERE id = '{id}';"),
    )
    .await;
    let path = format!("/v1/admin/sites/{}/connections/{id}", site.id);
    let patcher = api.clone();
    let patch = tokio::spawn(async move {
        let body = json!({ "metadata": { "plan": "pro" } });
        patcher.admin("PATCH", &path, Some(body)).await
    });
    held.wait_for_waiters(1).await;
    held.commit();
    let patched = patch.await.unwrap();
    assert_eq!(patched.ok(200)["status"], "inactive");
    let events = all_events(&api, &site.id, "&type=connection.updated").await;
    let update = one(&events, "connection.updated", &id);
    assert_eq!(
        update["data"],
        json!({ "metadata": { "from": made["metadata"], "to": { "plan": "pro" } } })
    );
}
