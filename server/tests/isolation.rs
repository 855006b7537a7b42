//! Tenancy: nothing of one site is visible or changeable with another site's credentials, and
//! the answer is exactly the one for an id that does not exist.

mod common;

use common::{connection_body, Res, Server};
use serde_json::{json, Value};

/// The parts of an error answer that must not tell "another site's" from "no such id".
fn shape(res: &Res) -> (u16, Value, Value) {
    (
        res.status,
        res.body["error"]["code"].clone(),
        res.body["error"]["message"].clone(),
    )
}

#[tokio::test]
async fn another_sites_objects_answer_like_missing_ones() {
    let api = Server::shared().api();
    let ours = api.site_with("owner", None).await;
    let theirs = api.site_with("intruder", None).await;

    let connection = api.connection(&ours.id, connection_body("google")).await;
    let conn_id = connection["id"].as_str().unwrap().to_owned();
    let key = api.create_key(&ours.token, "k").await;
    let key_id = key["id"].as_str().unwrap().to_owned();
    let secret = key["secret"].as_str().unwrap().to_owned();
    let token = api
        .post(
            &ours.token,
            "/v1/personal_access_tokens",
            json!({ "name": "t" }),
        )
        .await;
    let pat_id = token.ok(201)["id"].as_str().unwrap().to_owned();

    // Each call against our object with their token, then against a missing id.
    let calls: Vec<(&str, String, String, Option<Value>)> = vec![
        (
            "GET",
            format!("/v1/connections/{conn_id}"),
            "/v1/connections/conn_missing".into(),
            None,
        ),
        (
            "GET",
            format!("/v1/api_keys/{key_id}"),
            "/v1/api_keys/ak_missing".into(),
            None,
        ),
        (
            "PATCH",
            format!("/v1/api_keys/{key_id}"),
            "/v1/api_keys/ak_missing".into(),
            Some(json!({ "description": "x" })),
        ),
        (
            "DELETE",
            format!("/v1/api_keys/{key_id}"),
            "/v1/api_keys/ak_missing".into(),
            None,
        ),
        (
            "GET",
            format!("/v1/api_keys/{key_id}/secret"),
            "/v1/api_keys/ak_missing/secret".into(),
            None,
        ),
        (
            "POST",
            format!("/v1/api_keys/{key_id}/revoke"),
            "/v1/api_keys/ak_missing/revoke".into(),
            Some(json!({})),
        ),
        (
            "GET",
            format!("/v1/personal_access_tokens/{pat_id}"),
            "/v1/personal_access_tokens/pat_missing".into(),
            None,
        ),
        (
            "POST",
            format!("/v1/personal_access_tokens/{pat_id}/revoke"),
            "/v1/personal_access_tokens/pat_missing/revoke".into(),
            Some(json!({})),
        ),
    ];
    for (method, path, missing, body) in &calls {
        let other = api
            .request(method, path, Some(&theirs.token), body.as_ref(), &[])
            .await;
        other.error(404, "not_found");
        let none = api
            .request(method, missing, Some(&theirs.token), body.as_ref(), &[])
            .await;
        assert_eq!(shape(&other), shape(&none), "{method} {path}");
        assert!(!other.text.contains(&secret));
    }

    // Their credentials call does not find our provider.
    let creds = api
        .get(&theirs.token, "/v1/connections/credentials/google")
        .await;
    creds.error(404, "not_found");
    let none = api
        .get(&theirs.token, "/v1/connections/credentials/nothing")
        .await;
    assert_eq!(shape(&creds), shape(&none));
    // Our secret is NOT_FOUND for them.
    let verified = api
        .post(
            &theirs.token,
            "/v1/api_keys/verify",
            json!({ "secret": secret }),
        )
        .await;
    assert_eq!(
        verified.ok(200),
        &json!({ "valid": false, "code": "NOT_FOUND", "api_key": null })
    );
    // Their lists do not hold our objects.
    for path in [
        "/v1/connections",
        "/v1/api_keys?include_invalid=true",
        "/v1/personal_access_tokens",
    ] {
        let list = api.get(&theirs.token, path).await;
        let text = &list.ok(200).to_string();
        for id in [&conn_id, &key_id, &pat_id] {
            assert!(!text.contains(id.as_str()), "{path} shows {id}");
        }
    }
    // The admin routes scope connections to the site in the path.
    let wrong_site = format!("/v1/admin/sites/{}/connections/{conn_id}", theirs.id);
    api.admin("PATCH", &wrong_site, Some(json!({ "status": "inactive" })))
        .await
        .error(404, "not_found");
    api.admin("DELETE", &wrong_site, None)
        .await
        .error(404, "not_found");

    // And nothing changed for us.
    let still = api
        .get(&ours.token, &format!("/v1/api_keys/{key_id}"))
        .await;
    let still = still.ok(200);
    assert_eq!(still["revoked"], false);
    assert_eq!(still["description"], Value::Null);
    let pat = api
        .get(&ours.token, &format!("/v1/personal_access_tokens/{pat_id}"))
        .await;
    assert_eq!(pat.ok(200)["state"], "ACTIVE");
    let conn = api
        .get(&ours.token, &format!("/v1/connections/{conn_id}"))
        .await;
    assert_eq!(conn.ok(200)["status"], "active");
    api.get(&ours.token, "/v1/connections/credentials/google")
        .await
        .ok(200);
}

#[tokio::test]
async fn the_same_name_lives_in_each_site() {
    let api = Server::shared().api();
    let a = api.site().await;
    let b = api.site().await;
    let body = json!({ "name": "shared-name", "subject": "s" });
    api.post(&a.token, "/v1/api_keys", body.clone())
        .await
        .ok(201);
    api.post(&b.token, "/v1/api_keys", body).await.ok(201);
    // The same Idempotency-Key in two sites is two requests.
    let headers = [("idempotency-key", "same")];
    let body = json!({ "name": "idem", "subject": "s" });
    let first = api
        .request(
            "POST",
            "/v1/api_keys",
            Some(&a.token),
            Some(&body),
            &headers,
        )
        .await;
    let second = api
        .request(
            "POST",
            "/v1/api_keys",
            Some(&b.token),
            Some(&body),
            &headers,
        )
        .await;
    assert_ne!(first.ok(201)["id"], second.ok(201)["id"]);
    assert_eq!(second.header("idempotent-replayed"), None);
}
