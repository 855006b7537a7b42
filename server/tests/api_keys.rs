//! `/v1/api_keys` through HTTP: create, list, get, update, delete, secret, revoke, verify.

mod common;

use common::{Api, Server, Site};
use serde_json::{json, Value};

fn key_id(body: &Value) -> String {
    body["id"].as_str().unwrap().to_owned()
}

/// A token of `site`'s user that may read keys and nothing more.
async fn reader(api: &Api, site: &Site) -> String {
    let reader = api
        .post(
            &site.token,
            "/v1/personal_access_tokens",
            json!({ "name": "reader", "scopes": ["api_keys:read"] }),
        )
        .await;
    reader.ok(201)["token"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn create_returns_the_key_and_its_secret_once() {
    let api = Server::shared().api();
    let site = api.site().await;
    let created = api
        .post(
            &site.token,
            "/v1/api_keys",
            json!({
                "name": "Ключ 🔑 für Zoë",
                "subject": "user_123",
                "description": "說明",
                "claims": { "plan": "pro", "nested": [1, 2, { "x": null }] },
                "scopes": ["read:orders", "write:orders"],
                "created_by": "admin_1",
                "seconds_until_expiration": 3600
            }),
        )
        .await;
    let key = created.ok(201);
    assert!(key["id"].as_str().unwrap().starts_with("ak_"));
    assert_eq!(key["object"], "api_key");
    assert_eq!(key["type"], "api_key");
    assert_eq!(key["name"], "Ключ 🔑 für Zoë");
    assert_eq!(key["description"], "說明");
    assert_eq!(key["claims"]["nested"][2]["x"], Value::Null);
    assert_eq!(key["scopes"], json!(["read:orders", "write:orders"]));
    assert_eq!(key["created_by"], "admin_1");
    assert_eq!(key["revoked"], false);
    assert_eq!(key["expired"], false);
    assert_eq!(key["revocation_reason"], Value::Null);
    assert_eq!(key["last_used_at"], Value::Null);
    let secret = key["secret"].as_str().unwrap();
    assert!(secret.starts_with("cpk_") && secret.len() >= 36, "{secret}");
    let created_at = key["created_at"].as_str().unwrap();
    assert!(
        created_at.ends_with('Z') && created_at.len() == 20,
        "{created_at}"
    );
    let expiration = key["expiration"].as_str().unwrap();
    assert!(expiration > created_at);

    let id = key_id(key);
    let fetched = api.get(&site.token, &format!("/v1/api_keys/{id}")).await;
    let fetched = fetched.ok(200);
    assert!(
        fetched.get("secret").is_none(),
        "get must not show the secret"
    );
    assert_eq!(fetched["name"], "Ключ 🔑 für Zoë");

    let listed = api.get(&site.token, "/v1/api_keys").await;
    assert!(!listed.text.contains(secret), "lists never show the secret");

    let shown = api
        .get(&site.token, &format!("/v1/api_keys/{id}/secret"))
        .await;
    assert_eq!(shown.ok(200)["secret"], secret);
}

#[tokio::test]
async fn defaults_and_explicit_type() {
    let api = Server::shared().api();
    let site = api.site().await;
    let plain = api.create_key(&site.token, "n").await;
    assert_eq!(plain["type"], "api_key");
    assert_eq!(plain["scopes"], json!([]));
    assert_eq!(plain["claims"], Value::Null);
    assert_eq!(plain["expiration"], Value::Null);
    let typed = api
        .post(
            &site.token,
            "/v1/api_keys",
            json!({ "name": "m", "subject": "s", "type": "machine" }),
        )
        .await;
    assert_eq!(typed.ok(201)["type"], "machine");
}

#[tokio::test]
async fn same_name_for_same_subject_is_a_conflict() {
    let api = Server::shared().api();
    let site = api.site().await;
    let body = json!({ "name": "dup", "subject": "s1" });
    let first = api.post(&site.token, "/v1/api_keys", body.clone()).await;
    let first_id = key_id(first.ok(201));
    api.post(&site.token, "/v1/api_keys", body.clone())
        .await
        .error(409, "conflict");
    // Another subject may use the name.
    api.post(
        &site.token,
        "/v1/api_keys",
        json!({ "name": "dup", "subject": "s2" }),
    )
    .await
    .ok(201);
    // A revoked key keeps its name; a deleted one frees it.
    api.post(
        &site.token,
        &format!("/v1/api_keys/{first_id}/revoke"),
        json!({}),
    )
    .await
    .ok(200);
    api.post(&site.token, "/v1/api_keys", body.clone())
        .await
        .error(409, "conflict");
    api.delete(&site.token, &format!("/v1/api_keys/{first_id}"))
        .await
        .ok(200);
    api.post(&site.token, "/v1/api_keys", body).await.ok(201);
}

#[tokio::test]
async fn list_filters_orders_and_pages() {
    let api = Server::shared().api();
    let site = api.site().await;
    let mut ids = Vec::new();
    for (name, subject, description) in [
        ("Alpha key", "u1", Some("Billing ÉTÉ")),
        ("beta key", "u1", None),
        ("Gamma", "u2", Some("for the café")),
        ("delta", "u2", None),
    ] {
        let mut body = json!({ "name": name, "subject": subject });
        if let Some(d) = description {
            body["description"] = json!(d);
        }
        ids.push(key_id(
            api.post(&site.token, "/v1/api_keys", body).await.ok(201),
        ));
    }
    let names = |res: &common::Res| -> Vec<String> {
        res.ok(200)["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|k| k["name"].as_str().unwrap().to_owned())
            .collect()
    };
    let all = api.get(&site.token, "/v1/api_keys").await;
    assert_eq!(all.body["total_count"], 4);
    // Newest first (same second: id breaks the tie, so the order is stable across pages).
    let all_names = names(&all);
    assert_eq!(all_names.len(), 4);

    let page1 = api.get(&site.token, "/v1/api_keys?limit=2&offset=0").await;
    let page2 = api.get(&site.token, "/v1/api_keys?limit=2&offset=2").await;
    let page3 = api.get(&site.token, "/v1/api_keys?limit=2&offset=4").await;
    assert_eq!(page1.body["total_count"], 4);
    let paged: Vec<String> = [names(&page1), names(&page2)].concat();
    assert_eq!(paged, all_names);
    assert!(names(&page3).is_empty());
    // Past the end the count is still all that match; matching nothing, it is 0.
    assert_eq!(page3.body["total_count"], 4);
    let none = api.get(&site.token, "/v1/api_keys?subject=nobody").await;
    assert_eq!(none.body["total_count"], 0);
    assert!(names(&none).is_empty());

    let u2 = api.get(&site.token, "/v1/api_keys?subject=u2").await;
    assert_eq!(u2.body["total_count"], 2);
    let mut u2_names = names(&u2);
    u2_names.sort();
    assert_eq!(u2_names, ["Gamma", "delta"]);

    // Case-insensitive, beyond ASCII, in name or description.
    let found = api
        .get(&site.token, "/v1/api_keys?query=%C3%A9t%C3%A9")
        .await; // "été"
    assert_eq!(names(&found), ["Alpha key"]);
    let found = api.get(&site.token, "/v1/api_keys?query=KEY").await;
    assert_eq!(found.body["total_count"], 2);
    let found = api.get(&site.token, "/v1/api_keys?query=CAF%C3%89").await;
    assert_eq!(names(&found), ["Gamma"]);
    // Revoked and expired keys only with include_invalid.
    api.post(
        &site.token,
        &format!("/v1/api_keys/{}/revoke", ids[0]),
        json!({}),
    )
    .await
    .ok(200);
    let valid = api.get(&site.token, "/v1/api_keys").await;
    assert_eq!(valid.body["total_count"], 3);
    let all = api
        .get(&site.token, "/v1/api_keys?include_invalid=true")
        .await;
    assert_eq!(all.body["total_count"], 4);
    let typed = api.get(&site.token, "/v1/api_keys?type=machine").await;
    assert_eq!(typed.body["total_count"], 0);
    // Blank parameters count as absent.
    let blank = api.get(&site.token, "/v1/api_keys?subject=&query=").await;
    assert_eq!(blank.body["total_count"], 3);
    // The query and the text are folded alike, character by character: a name is found by
    // itself, and by any part of it (a capital sigma ending the query is no final sigma).
    let greek = "ΟΔΥΣΣΕΑΣ";
    api.post(
        &site.token,
        "/v1/api_keys",
        json!({ "name": greek, "subject": "greek" }),
    )
    .await
    .ok(201);
    for query in [greek, "ΔΥΣ", "σσεασ"] {
        let found = api
            .get(
                &site.token,
                &format!("/v1/api_keys?subject=greek&query={}", query),
            )
            .await;
        assert_eq!(names(&found), [greek], "{query}");
    }
}

#[tokio::test]
async fn update_changes_only_what_is_given() {
    let api = Server::shared().api();
    let site = api.site().await;
    let created = api
        .post(
            &site.token,
            "/v1/api_keys",
            json!({ "name": "k", "subject": "s", "description": "d", "claims": {"a": 1}, "scopes": ["x"] }),
        )
        .await;
    let id = key_id(created.ok(201));
    let path = format!("/v1/api_keys/{id}");

    let unchanged = api.patch(&site.token, &path, json!({})).await;
    assert_eq!(unchanged.ok(200)["updated_at"], created.body["updated_at"]);
    assert_eq!(unchanged.body["description"], "d");

    let updated = api
        .patch(
            &site.token,
            &path,
            json!({ "scopes": ["y", "z"], "subject": "s2", "seconds_until_expiration": 60 }),
        )
        .await;
    let updated = updated.ok(200);
    assert_eq!(updated["scopes"], json!(["y", "z"]));
    assert_eq!(updated["subject"], "s2");
    assert_eq!(updated["description"], "d");
    assert_eq!(updated["claims"], json!({"a": 1}));
    assert!(updated["expiration"].is_string());

    let cleared = api
        .patch(
            &site.token,
            &path,
            json!({ "description": null, "claims": null, "seconds_until_expiration": null }),
        )
        .await;
    let cleared = cleared.ok(200);
    assert_eq!(cleared["description"], Value::Null);
    assert_eq!(cleared["claims"], Value::Null);
    assert_eq!(cleared["expiration"], Value::Null);
    assert_eq!(cleared["subject"], "s2");

    // Moving to a subject that already has a key of this name conflicts.
    api.post(
        &site.token,
        "/v1/api_keys",
        json!({ "name": "k", "subject": "s3" }),
    )
    .await
    .ok(201);
    api.patch(&site.token, &path, json!({ "subject": "s3" }))
        .await
        .error(409, "conflict");
    api.patch(&site.token, &path, json!({ "name": "renamed" }))
        .await
        .invalid("name");
    api.patch(&site.token, "/v1/api_keys/ak_missing", json!({}))
        .await
        .error(404, "not_found");
}

/// An update that sends the stored values changes nothing: `updated_at` stays, as no event is
/// recorded. A description cleared, or a real change, moves it.
#[tokio::test]
async fn an_update_to_the_stored_values_leaves_updated_at() {
    let server = Server::shared();
    let api = server.api();
    let site = api.site().await;
    let body = json!({ "name": "k", "subject": "s", "description": "d", "claims": {"a": 1, "b": [true]}, "scopes": ["x", "y"] });
    let id = key_id(api.post(&site.token, "/v1/api_keys", body).await.ok(201));
    let path = format!("/v1/api_keys/{id}");
    let updates = format!("&type=api_key.updated&target_id={id}");
    let day_ago = common::updated_a_day_ago(&server.database, "api_keys", &format!("id = '{id}'"));
    let before = api.get(&site.token, &path).await.ok(200).clone();
    assert_eq!(before["updated_at"], day_ago.as_str());
    // Claims in another key order are the same claims; no expiry sent as none is none.
    let stored = json!({ "subject": "s", "description": "d", "claims": {"b": [true], "a": 1}, "scopes": ["x", "y"], "seconds_until_expiration": null });
    assert_eq!(api.patch(&site.token, &path, stored).await.ok(200), &before);
    assert!(common::all_events(&api, &site.id, &updates)
        .await
        .is_empty());

    let cleared = api
        .patch(&site.token, &path, json!({ "description": null }))
        .await;
    assert_ne!(cleared.ok(200)["updated_at"], day_ago.as_str());
    // Null over null is no change either.
    let day_ago = common::updated_a_day_ago(&server.database, "api_keys", &format!("id = '{id}'"));
    let again = api
        .patch(&site.token, &path, json!({ "description": null }))
        .await;
    assert_eq!(again.ok(200)["updated_at"], day_ago.as_str());
    let changed = api
        .patch(&site.token, &path, json!({ "scopes": ["x"] }))
        .await;
    assert_ne!(changed.ok(200)["updated_at"], day_ago.as_str());
    assert_eq!(common::all_events(&api, &site.id, &updates).await.len(), 2);
}

#[tokio::test]
async fn delete_removes_the_key_and_its_secret() {
    let api = Server::shared().api();
    let site = api.site().await;
    let created = api.create_key(&site.token, "k").await;
    let id = key_id(&created);
    let secret = created["secret"].as_str().unwrap().to_owned();
    let deleted = api.delete(&site.token, &format!("/v1/api_keys/{id}")).await;
    assert_eq!(
        deleted.ok(200),
        &json!({ "id": id, "object": "api_key", "deleted": true })
    );
    for path in [
        format!("/v1/api_keys/{id}"),
        format!("/v1/api_keys/{id}/secret"),
    ] {
        api.get(&site.token, &path).await.error(404, "not_found");
    }
    api.delete(&site.token, &format!("/v1/api_keys/{id}"))
        .await
        .error(404, "not_found");
    let verified = api
        .post(
            &site.token,
            "/v1/api_keys/verify",
            json!({ "secret": secret }),
        )
        .await;
    assert_eq!(verified.ok(200)["code"], "NOT_FOUND");
}

#[tokio::test]
async fn revoke_keeps_the_first_reason() {
    let api = Server::shared().api();
    let site = api.site().await;
    let created = api.create_key(&site.token, "k").await;
    let id = key_id(&created);
    let path = format!("/v1/api_keys/{id}/revoke");
    let revoked = api
        .post(&site.token, &path, json!({ "revocation_reason": "leaked" }))
        .await;
    let revoked = revoked.ok(200);
    assert_eq!(revoked["revoked"], true);
    assert_eq!(revoked["revocation_reason"], "leaked");
    let again = api
        .post(&site.token, &path, json!({ "revocation_reason": "other" }))
        .await;
    assert_eq!(again.ok(200)["revocation_reason"], "leaked");
    // No body at all is fine: every field is optional.
    api.request("POST", &path, Some(&site.token), None, &[])
        .await
        .ok(200);
    api.post(&site.token, "/v1/api_keys/ak_nope/revoke", json!({}))
        .await
        .error(404, "not_found");
}

#[tokio::test]
async fn verify_reports_every_outcome() {
    let api = Server::shared().api();
    let site = api.site().await;
    let create = |name: &str, extra: Value| {
        let mut body = json!({ "name": name, "subject": "s" });
        body.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        body
    };
    let valid = api
        .post(&site.token, "/v1/api_keys", create("v", json!({})))
        .await;
    let valid = valid.ok(201).clone();
    let verify = |secret: &str| {
        let body = json!({ "secret": secret });
        let api = &api;
        let token = site.token.clone();
        async move { api.post(&token, "/v1/api_keys/verify", body).await }
    };

    let result = verify(valid["secret"].as_str().unwrap()).await;
    let result = result.ok(200);
    assert_eq!(result["valid"], true);
    assert_eq!(result["code"], "VALID");
    assert_eq!(result["api_key"]["id"], valid["id"]);
    assert!(result["api_key"].get("secret").is_none());
    assert!(
        result["api_key"]["last_used_at"].is_string(),
        "verify records the use"
    );

    let revoked = api
        .post(&site.token, "/v1/api_keys", create("r", json!({})))
        .await;
    let revoked = revoked.ok(201).clone();
    api.post(
        &site.token,
        &format!("/v1/api_keys/{}/revoke", key_id(&revoked)),
        json!({}),
    )
    .await
    .ok(200);
    let result = verify(revoked["secret"].as_str().unwrap()).await;
    assert_eq!(result.ok(200)["code"], "REVOKED");
    assert_eq!(result.body["valid"], false);
    assert_eq!(result.body["api_key"]["id"], revoked["id"]);

    let expiring = api
        .post(
            &site.token,
            "/v1/api_keys",
            create("e", json!({ "seconds_until_expiration": 1 })),
        )
        .await;
    let expiring = expiring.ok(201).clone();
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    let result = verify(expiring["secret"].as_str().unwrap()).await;
    assert_eq!(result.ok(200)["code"], "EXPIRED");
    assert_eq!(result.body["api_key"]["expired"], true);

    let unknown = format!("cpk_{}", "A".repeat(40));
    let result = verify(&unknown).await;
    assert_eq!(
        result.ok(200),
        &json!({ "valid": false, "code": "NOT_FOUND", "api_key": null })
    );

    // Whatever a caller was handed is a result: a string that is no credport secret at all is
    // simply not found. Only a request that is not a verification (no secret) is a 400.
    for not_a_key in [
        "not-a-key",
        "cpk_short",
        "cpat_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "Bearer ключ",
        &"x".repeat(100_000),
    ] {
        let result = verify(not_a_key).await;
        assert_eq!(
            result.ok(200),
            &json!({ "valid": false, "code": "NOT_FOUND", "api_key": null })
        );
    }
    verify("").await.invalid("secret");
    api.post(&site.token, "/v1/api_keys/verify", json!({}))
        .await
        .invalid("secret");
}

#[tokio::test]
async fn verify_is_a_read_and_never_replays_an_idempotency_key() {
    let api = Server::shared().api();
    let site = api.site().await;
    let created = api.create_key(&site.token, "replayed?").await;
    let id = key_id(&created);
    let body = json!({ "secret": created["secret"] });
    let with_key = [("idempotency-key", "verify-once")];
    let verify = |body: Value| {
        let api = &api;
        let token = site.token.clone();
        async move {
            api.request(
                "POST",
                "/v1/api_keys/verify",
                Some(&token),
                Some(&body),
                &with_key,
            )
            .await
        }
    };

    let first = verify(body.clone()).await;
    assert_eq!(first.ok(200)["code"], "VALID");
    api.post(&site.token, &format!("/v1/api_keys/{id}/revoke"), json!({}))
        .await
        .ok(200);
    let after_revoke = verify(body.clone()).await;
    assert_eq!(after_revoke.ok(200)["code"], "REVOKED", "a current answer");
    assert_eq!(after_revoke.header("idempotent-replayed"), None);
    api.delete(&site.token, &format!("/v1/api_keys/{id}"))
        .await
        .ok(200);
    assert_eq!(verify(body).await.ok(200)["code"], "NOT_FOUND");
    // Another body under the same key is another question, not a conflict.
    let other = verify(json!({ "secret": format!("cpk_{}", "Q".repeat(40)) })).await;
    assert_eq!(other.ok(200)["code"], "NOT_FOUND");
}

/// A key's update, deletion and secret check the token in their own transaction: a token short
/// of `api_keys:write`, or revoked, changes nothing and records nothing, and is refused before
/// whatever else is wrong with the request.
#[tokio::test]
async fn writes_to_a_key_check_the_token_in_their_own_transaction() {
    let api = Server::shared().api();
    let site = api.site().await;
    let key = api.create_key(&site.token, "kept").await;
    let id = key_id(&key);
    let reader = reader(&api, &site).await;
    let writes = |token: String| {
        let (api, id) = (api.clone(), id.clone());
        async move {
            [
                api.patch(
                    &token,
                    &format!("/v1/api_keys/{id}"),
                    json!({ "description": "changed" }),
                )
                .await,
                api.patch(
                    &token,
                    &format!("/v1/api_keys/{id}"),
                    json!({ "scopes": 3 }),
                )
                .await,
                api.get(&token, &format!("/v1/api_keys/{id}/secret")).await,
                api.delete(&token, &format!("/v1/api_keys/{id}")).await,
            ]
        }
    };
    // Twice: the first time the token is seen, and once it is.
    for _ in 0..2 {
        for denied in writes(reader.clone()).await {
            assert_eq!(
                denied.error(403, "forbidden")["required_scope"],
                "api_keys:write"
            );
        }
    }
    let unchanged = api.get(&site.token, &format!("/v1/api_keys/{id}")).await;
    assert_eq!(unchanged.ok(200)["description"], Value::Null);
    let events = common::all_events(&api, &site.id, "").await;
    let kinds: Vec<&str> = events.iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert!(
        !kinds
            .iter()
            .any(|k| *k != "api_key.created" && k.starts_with("api_key.")),
        "{kinds:?}"
    );
    // With the scope: each does its work, and a wrong body is a field's 400.
    let [renamed, wrong, secret, deleted] = writes(site.token.clone()).await;
    assert_eq!(renamed.ok(200)["description"], "changed");
    wrong.invalid("scopes");
    assert!(secret.ok(200)["secret"]
        .as_str()
        .unwrap()
        .starts_with("cpk_"));
    assert_eq!(deleted.ok(200)["deleted"], true);
    // Revoked, the token is refused first, whatever the request.
    api.revoke_own_token(&site).await.ok(200);
    for refused in writes(site.token.clone()).await {
        refused.error(401, "unauthenticated");
    }
}

/// Creating and revoking a key check the token in the transaction that claims the
/// `Idempotency-Key`: a token short of `api_keys:write` creates, records and claims nothing,
/// the first time it is seen and once it is, and is refused before a wrong body or key; a
/// revoked token gets no stored answer replayed.
#[tokio::test]
async fn keys_made_and_revoked_with_an_idempotency_key_check_the_token_in_that_transaction() {
    let api = Server::shared().api();
    let site = api.site().await;
    let reader = reader(&api, &site).await;
    let body = json!({ "name": "once", "subject": "s" });
    let create = |token: String, key: &'static str, body: Value| {
        let api = api.clone();
        async move { api.post_once(&token, "/v1/api_keys", body, key).await }
    };
    for _ in 0..2 {
        for denied in [
            create(reader.clone(), "make-1", body.clone()).await,
            create(reader.clone(), "make-1", json!({ "name": 7 })).await,
            create(reader.clone(), "", body.clone()).await,
        ] {
            assert_eq!(
                denied.error(403, "forbidden")["required_scope"],
                "api_keys:write"
            );
        }
    }
    create(site.token.clone(), "", body.clone())
        .await
        .invalid("Idempotency-Key");
    create(site.token.clone(), "make-1", json!({ "name": 7 }))
        .await
        .invalid("name");
    let listed = api.get(&site.token, "/v1/api_keys").await;
    assert_eq!(listed.ok(200)["total_count"], 0, "the reader made no key");
    let events = common::all_events(&api, &site.id, "").await;
    assert!(
        !events
            .iter()
            .any(|e| e["type"].as_str().unwrap().starts_with("api_key.")),
        "{events:?}"
    );

    // With the scope, the key the reader tried is the caller's own, and replays.
    let made = create(site.token.clone(), "make-1", body.clone()).await;
    let made = made.ok(201).clone();
    let again = create(site.token.clone(), "make-1", body.clone()).await;
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
    assert_eq!(again.ok(201)["id"], made["id"]);
    let id = key_id(&made);
    let revoke = |token: String| {
        let (api, id) = (api.clone(), id.clone());
        async move {
            let path = format!("/v1/api_keys/{id}/revoke");
            api.post_once(&token, &path, json!({}), "revoke-1").await
        }
    };
    assert_eq!(
        revoke(reader.clone()).await.error(403, "forbidden")["required_scope"],
        "api_keys:write"
    );
    let still = api.get(&site.token, &format!("/v1/api_keys/{id}")).await;
    assert_eq!(still.ok(200)["revoked"], false);
    assert_eq!(revoke(site.token.clone()).await.ok(200)["revoked"], true);
    let replayed = revoke(site.token.clone()).await;
    assert_eq!(replayed.header("idempotent-replayed"), Some("true"));
    let kinds: Vec<String> = common::all_events(&api, &site.id, "")
        .await
        .iter()
        .map(|e| e["type"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(kinds.iter().filter(|k| *k == "api_key.created").count(), 1);
    assert_eq!(kinds.iter().filter(|k| *k == "api_key.revoked").count(), 1);

    // Revoked, the token gets no stored answer back.
    api.revoke_own_token(&site).await.ok(200);
    create(site.token.clone(), "make-1", body)
        .await
        .error(401, "unauthenticated");
    revoke(site.token.clone())
        .await
        .error(401, "unauthenticated");
}
