//! Connections through HTTP: the admin routes that manage them and the read-only site routes.

mod common;

use common::{connection_body, Server};
use serde_json::{json, Value};

#[tokio::test]
async fn admin_creates_updates_and_deletes_connections() {
    let api = Server::shared().api();
    let site = api.site().await;
    let mut body = connection_body("google");
    body["credentials"] = json!({
        "type": "oauth2",
        "expires_at": "2030-01-01T00:00:00Z",
        "fields": { "access_token": "ya29.secret", "refresh_token": "1//refresh" }
    });
    body["token_expires_at"] = json!("2030-01-01T01:00:00.5+01:00");
    body["metadata"] = json!({ "Display Name": "Zoë's Google", "nested": { "k": [1, 2] } });
    let created = api.connection(&site.id, body).await;
    let id = created["id"].as_str().unwrap().to_owned();
    assert!(id.starts_with("conn_"));
    assert_eq!(created["provider"], "google");
    assert_eq!(created["provider_config_key"], "google-prod");
    assert_eq!(created["status"], "active");
    assert_eq!(created["token_expires_at"], "2030-01-01T00:00:00Z");
    assert_eq!(
        created["credentials"],
        json!({ "type": "oauth2", "expires_at": "2030-01-01T00:00:00Z" })
    );
    assert_eq!(created["metadata"]["Display Name"], "Zoë's Google");
    assert!(
        !created.to_string().contains("ya29.secret"),
        "status only, never a secret"
    );

    let fetched = api.get(&site.token, &format!("/v1/connections/{id}")).await;
    assert_eq!(fetched.ok(200), &created);

    let admin_path = format!("/v1/admin/sites/{}/connections/{id}", site.id);
    let unchanged = api.admin("PATCH", &admin_path, Some(json!({}))).await;
    assert_eq!(unchanged.ok(200), &created);
    let updated = api
        .admin(
            "PATCH",
            &admin_path,
            Some(json!({
                "status": "invalid",
                "scopes": ["a", "b"],
                "credentials": { "type": "basic", "fields": { "username": "u", "password": "p4ss" } }
            })),
        )
        .await;
    let updated = updated.ok(200);
    assert_eq!(updated["status"], "invalid");
    assert_eq!(updated["scopes"], json!(["a", "b"]));
    assert_eq!(
        updated["credentials"],
        json!({ "type": "basic", "expires_at": null })
    );
    assert_eq!(updated["provider_config_key"], "google-prod");
    api.admin("PATCH", &admin_path, Some(json!({ "status": "active" })))
        .await
        .ok(200);
    let credentials = api
        .get(&site.token, "/v1/connections/credentials/google")
        .await;
    assert_eq!(
        credentials.ok(200)["fields"],
        json!({ "username": "u", "password": "p4ss" }),
        "new credentials replace the old ones whole"
    );

    let deleted = api.admin("DELETE", &admin_path, None).await;
    assert_eq!(deleted.status, 204);
    assert!(deleted.text.is_empty());
    assert!(deleted.header("x-request-id").is_some());
    api.get(&site.token, &format!("/v1/connections/{id}"))
        .await
        .error(404, "not_found");
    api.admin("DELETE", &admin_path, None)
        .await
        .error(404, "not_found");
    api.admin("PATCH", &admin_path, Some(json!({})))
        .await
        .error(404, "not_found");
}

/// An update that sends the stored values changes nothing: `updated_at` stays, as no event is
/// recorded. New credentials are always a change (sealed anew, they cannot be compared), as is
/// a new value.
#[tokio::test]
async fn an_update_to_the_stored_values_leaves_updated_at() {
    let server = Server::shared();
    let api = server.api();
    let site = api.site().await;
    let mut body = connection_body("google");
    body["token_expires_at"] = json!("2030-01-01T00:00:00Z");
    body["metadata"] = json!({ "tenant": "t-1", "plan": { "tier": "pro", "seats": 2 } });
    let credentials = body["credentials"].clone();
    let id = api.connection(&site.id, body.clone()).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let path = format!("/v1/admin/sites/{}/connections/{id}", site.id);
    let updates = format!("&type=connection.updated&target_id={id}");
    let row = format!("id = '{id}'");
    let day_ago = common::updated_a_day_ago(&server.database, "connections", &row);
    let before = api.get(&site.token, &format!("/v1/connections/{id}")).await;
    let before = before.ok(200).clone();
    assert_eq!(before["updated_at"], day_ago.as_str());
    // The same instant at another offset, the same metadata in another key order.
    let stored = body.as_object_mut().unwrap();
    stored.remove("provider");
    stored.remove("credentials");
    stored.insert(
        "token_expires_at".into(),
        json!("2030-01-01T01:00:00+01:00"),
    );
    stored.insert(
        "metadata".into(),
        json!({ "plan": { "seats": 2, "tier": "pro" }, "tenant": "t-1" }),
    );
    let same = api.admin("PATCH", &path, Some(body)).await;
    assert_eq!(same.ok(200), &before);
    assert!(common::all_events(&api, &site.id, &updates)
        .await
        .is_empty());

    let renewed = json!({ "credentials": credentials });
    let renewed = api.admin("PATCH", &path, Some(renewed)).await;
    assert_ne!(renewed.ok(200)["updated_at"], day_ago.as_str());
    let day_ago = common::updated_a_day_ago(&server.database, "connections", &row);
    let changed = json!({ "root_resource_name": "another account" });
    let changed = api.admin("PATCH", &path, Some(changed)).await;
    assert_ne!(changed.ok(200)["updated_at"], day_ago.as_str());
    assert_eq!(common::all_events(&api, &site.id, &updates).await.len(), 2);
}

#[tokio::test]
async fn admin_input_is_checked() {
    let api = Server::shared().api();
    let site = api.site().await;
    let path = format!("/v1/admin/sites/{}/connections", site.id);
    let mut missing_type = connection_body("x");
    missing_type["credentials"] = json!({ "fields": {} });
    api.admin("POST", &path, Some(missing_type))
        .await
        .invalid("credentials.type");
    let mut bad_type = connection_body("x");
    bad_type["credentials"]["type"] = json!("magic");
    api.admin("POST", &path, Some(bad_type))
        .await
        .invalid("credentials.type");
    let mut bad_status = connection_body("x");
    bad_status["status"] = json!("sleeping");
    api.admin("POST", &path, Some(bad_status))
        .await
        .invalid("status");
    let mut bad_time = connection_body("x");
    bad_time["token_expires_at"] = json!("tomorrow");
    api.admin("POST", &path, Some(bad_time))
        .await
        .invalid("token_expires_at");
    let mut no_provider = connection_body("x");
    no_provider.as_object_mut().unwrap().remove("provider");
    api.admin("POST", &path, Some(no_provider))
        .await
        .invalid("provider");
    api.admin(
        "POST",
        "/v1/admin/sites/site_missing/connections",
        Some(connection_body("x")),
    )
    .await
    .error(404, "not_found");
    api.admin("POST", "/v1/admin/sites", Some(json!({ "name": " " })))
        .await
        .invalid("name");
    let site_created = api
        .admin(
            "POST",
            "/v1/admin/sites",
            Some(json!({ "name": "Ünïcødé ✓" })),
        )
        .await;
    let site_created = site_created.ok(201);
    assert_eq!(site_created["name"], "Ünïcødé ✓");
    assert!(site_created["id"].as_str().unwrap().starts_with("site_"));
    assert!(site_created["created_at"].is_string());
}

#[tokio::test]
async fn list_pages_and_filters() {
    let api = Server::shared().api();
    let site = api.site().await;
    let mut ids = Vec::new();
    for (provider, status) in [
        ("google", "active"),
        ("shopify", "active"),
        ("slack", "inactive"),
        ("google", "invalid"),
        ("konigle_pay", "active"),
    ] {
        let mut body = connection_body(provider);
        body["status"] = json!(status);
        ids.push(api.connection(&site.id, body).await["id"].clone());
    }
    let page = |query: &str| {
        let api = &api;
        let token = site.token.clone();
        let path = format!("/v1/connections{query}");
        async move { api.get(&token, &path).await }
    };
    let all = page("").await;
    let all = all.ok(200);
    assert_eq!(all["count"], 5);
    assert_eq!(all["page"], 1);
    assert_eq!(all["page_size"], 20);
    assert_eq!(all["next"], Value::Null);
    assert_eq!(all["previous"], Value::Null);
    let listed: Vec<Value> = all["payload"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].clone())
        .collect();
    assert_eq!(listed.len(), 5);
    for id in &ids {
        assert!(listed.contains(id));
    }

    let first = page("?page=1&page_size=2").await;
    assert_eq!(first.ok(200)["next"], 2);
    assert_eq!(first.body["previous"], Value::Null);
    assert_eq!(first.body["count"], 5);
    let third = page("?page=3&page_size=2").await;
    assert_eq!(third.ok(200)["next"], Value::Null);
    assert_eq!(third.body["previous"], 2);
    assert_eq!(third.body["payload"].as_array().unwrap().len(), 1);
    let mut paged = Vec::new();
    for n in 1..=3 {
        let res = page(&format!("?page={n}&page_size=2")).await;
        paged.extend(
            res.body["payload"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c["id"].clone()),
        );
    }
    assert_eq!(paged, listed, "pages neither overlap nor skip");
    let past = page("?page=9&page_size=2").await;
    assert_eq!(past.ok(200)["payload"], json!([]));
    assert_eq!(past.body["count"], 5);

    let google = page("?provider=google").await;
    assert_eq!(google.ok(200)["count"], 2);
    let active = page("?status=active").await;
    assert_eq!(active.ok(200)["count"], 3);
    let both = page("?provider=google&status=active").await;
    assert_eq!(both.ok(200)["count"], 1);
    let blank = page("?provider=&status=&page=&page_size=").await;
    assert_eq!(blank.ok(200)["count"], 5);

    page("?page=abc").await.invalid("page");
    page("?page=0").await.invalid("page");
    page("?page=-1").await.invalid("page");
    page("?page_size=0").await.invalid("page_size");
    page("?page_size=101").await.invalid("page_size");
    page("?pageSize=5").await.invalid("pageSize");
    page("?page=1&page=2").await.invalid("page");
}

#[tokio::test]
async fn credentials_come_from_the_active_connection_changed_last() {
    let api = Server::shared().api();
    let site = api.site().await;
    let with_key = |key: &str, status: &str| {
        let mut body = connection_body("shopify");
        body["status"] = json!(status);
        body["credentials"] = json!({ "type": "api_key", "fields": { "api_key": key } });
        body
    };
    let older = api
        .connection(&site.id, with_key("shpat_old", "active"))
        .await;
    api.connection(&site.id, with_key("shpat_inactive", "inactive"))
        .await;
    // Make the first one older for sure: timestamps have whole seconds.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let newer = api
        .connection(&site.id, with_key("shpat_new", "active"))
        .await;
    let credentials = api
        .get(&site.token, "/v1/connections/credentials/shopify")
        .await;
    assert_eq!(
        credentials.ok(200),
        &json!({
            "provider": "shopify",
            "type": "api_key",
            "expires_at": null,
            "fields": { "api_key": "shpat_new" }
        })
    );
    // Touching the older one makes it the most recently updated.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    api.admin(
        "PATCH",
        &format!(
            "/v1/admin/sites/{}/connections/{}",
            site.id,
            older["id"].as_str().unwrap()
        ),
        Some(json!({ "root_resource_name": "renamed" })),
    )
    .await
    .ok(200);
    let credentials = api
        .get(&site.token, "/v1/connections/credentials/shopify")
        .await;
    assert_eq!(credentials.ok(200)["fields"]["api_key"], "shpat_old");
    assert_ne!(newer["id"], older["id"]);

    // Only inactive connections: 404 that says so, no secret in it.
    api.connection(
        &site.id,
        with_key_provider("slack", "xoxb-inactive-secret", "inactive"),
    )
    .await;
    let none_active = api
        .get(&site.token, "/v1/connections/credentials/slack")
        .await;
    none_active.error(404, "not_found");
    assert!(none_active.body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("not active"));
    assert!(!none_active.text.contains("xoxb-inactive-secret"));
    api.get(&site.token, "/v1/connections/credentials/nobody")
        .await
        .error(404, "not_found");
}

fn with_key_provider(provider: &str, key: &str, status: &str) -> Value {
    let mut body = connection_body(provider);
    body["status"] = json!(status);
    body["credentials"] = json!({ "type": "oauth2", "fields": { "access_token": key } });
    body
}

#[tokio::test]
async fn scopes_guard_connections_and_credentials() {
    let api = Server::shared().api();
    let site = api.site_with("reader", Some(&["connections:read"])).await;
    let conn = api.connection(&site.id, connection_body("google")).await;
    api.get(&site.token, "/v1/connections").await.ok(200);
    api.get(
        &site.token,
        &format!("/v1/connections/{}", conn["id"].as_str().unwrap()),
    )
    .await
    .ok(200);
    let denied = api
        .get(&site.token, "/v1/connections/credentials/google")
        .await;
    let details = denied.error(403, "forbidden");
    assert_eq!(details["required_scope"], "credentials:read");

    let creds_only = api.site_with("creds", Some(&["credentials:read"])).await;
    api.connection(&creds_only.id, connection_body("google"))
        .await;
    api.get(&creds_only.token, "/v1/connections/credentials/google")
        .await
        .ok(200);
    let denied = api.get(&creds_only.token, "/v1/connections").await;
    assert_eq!(
        denied.error(403, "forbidden")["required_scope"],
        "connections:read"
    );
}
