//! The admin's reads of any site (the console's and the SDK admin client's): sites, a site's
//! connections and API keys, and revoking a site's key. Each answers what the site-level route
//! answers the site's own token, with the same query rules, and another site's or a missing
//! site's objects are 404.

mod common;

use common::{connection_body, Server};
use serde_json::{json, Value};

#[tokio::test]
async fn sites_are_listed_oldest_first_with_their_count() {
    let api = Server::start().api();
    let list = api.admin("GET", "/v1/admin/sites", None).await;
    assert_eq!(list.ok(200), &json!({ "data": [], "total_count": 0 }));
    let mut made = Vec::new();
    for name in ["First", "Second", "Third"] {
        let site = api
            .admin("POST", "/v1/admin/sites", Some(json!({ "name": name })))
            .await;
        made.push(site.ok(201).clone());
    }
    // Creation times are whole seconds: sites made in the same second come by id.
    made.sort_by_key(|site| (site["created_at"].to_string(), site["id"].to_string()));
    let list = api.admin("GET", "/v1/admin/sites", None).await;
    let list = list.ok(200);
    assert_eq!(list["total_count"], 3);
    assert_eq!(list["data"], Value::Array(made));

    // The admin token only: a site's token is refused as any unknown token is.
    let site = api.site().await;
    api.get(&site.token, "/v1/admin/sites")
        .await
        .error(401, "unauthenticated");
}

#[tokio::test]
async fn a_sites_connections_read_as_its_own_token_reads_them() {
    let api = Server::shared().api();
    let site = api.site().await;
    for provider in ["google", "shopify", "google"] {
        api.connection(&site.id, connection_body(provider)).await;
    }
    let admin_path = format!("/v1/admin/sites/{}/connections", site.id);
    for query in [
        "",
        "?page_size=2",
        "?page=2&page_size=2",
        "?provider=google",
        "?status=inactive",
    ] {
        let as_admin = api
            .admin("GET", &format!("{admin_path}{query}"), None)
            .await;
        let as_site = api
            .get(&site.token, &format!("/v1/connections{query}"))
            .await;
        assert_eq!(as_admin.ok(200), as_site.ok(200), "{query}");
    }
    let page = api
        .admin("GET", &format!("{admin_path}?page_size=2"), None)
        .await;
    let page = page.ok(200);
    assert_eq!(
        (page["count"].clone(), page["next"].clone()),
        (json!(3), json!(2))
    );

    let id = page["payload"][0]["id"].as_str().unwrap();
    let one = api.admin("GET", &format!("{admin_path}/{id}"), None).await;
    assert_eq!(one.ok(200), &page["payload"][0]);
    // Credential status only: the secret fields stay out of the admin's reads too.
    assert!(!one.text.contains("secret-"), "{}", one.text);

    // The same query rules as the site-level list: out of range is 400 naming the parameter.
    api.admin("GET", &format!("{admin_path}?page_size=101"), None)
        .await
        .invalid("page_size");
    api.admin("GET", &format!("{admin_path}?page=0"), None)
        .await
        .invalid("page");
    api.admin("GET", &format!("{admin_path}?pagesize=1"), None)
        .await
        .error(400, "invalid_request");

    // Another site's connection, a missing one and a missing site are all 404.
    let other = api.site().await;
    let other_path = format!("/v1/admin/sites/{}/connections/{id}", other.id);
    api.admin("GET", &other_path, None)
        .await
        .error(404, "not_found");
    api.admin("GET", &format!("{admin_path}/conn_missing"), None)
        .await
        .error(404, "not_found");
    api.admin("GET", "/v1/admin/sites/site_missing/connections", None)
        .await
        .error(404, "not_found");
}

#[tokio::test]
async fn a_sites_api_keys_are_listed_and_revoked_by_the_admin() {
    let api = Server::shared().api();
    let site = api.site().await;
    let mut ids = Vec::new();
    for name in ["one", "two", "three"] {
        let key = api
            .post(
                &site.token,
                "/v1/api_keys",
                json!({ "name": name, "subject": "s", "description": format!("key {name}") }),
            )
            .await;
        ids.push(key.ok(201)["id"].as_str().unwrap().to_owned());
    }
    let admin_path = format!("/v1/admin/sites/{}/api_keys", site.id);
    for query in [
        "",
        "?limit=2",
        "?limit=2&offset=2",
        "?query=TWO",
        "?subject=nobody",
    ] {
        let as_admin = api
            .admin("GET", &format!("{admin_path}{query}"), None)
            .await;
        let as_site = api.get(&site.token, &format!("/v1/api_keys{query}")).await;
        assert_eq!(as_admin.ok(200), as_site.ok(200), "{query}");
    }
    api.admin("GET", &format!("{admin_path}?limit=0"), None)
        .await
        .invalid("limit");

    let revoke = format!("{admin_path}/{}/revoke", ids[0]);
    let revoked = api
        .admin(
            "POST",
            &revoke,
            Some(json!({ "revocation_reason": "leaked" })),
        )
        .await;
    let revoked = revoked.ok(200);
    assert_eq!(
        (
            revoked["revoked"].clone(),
            revoked["revocation_reason"].clone()
        ),
        (json!(true), json!("leaked"))
    );
    assert!(revoked.get("secret").is_none());
    // The site sees it revoked: left out of the list, kept with include_invalid.
    let listed = api.get(&site.token, "/v1/api_keys").await;
    assert_eq!(listed.ok(200)["total_count"], 2);
    let all = api
        .admin("GET", &format!("{admin_path}?include_invalid=true"), None)
        .await;
    assert_eq!(all.ok(200)["total_count"], 3);
    // Revoking again keeps the first reason; an empty body is no reason.
    let again = api.admin("POST", &revoke, None).await;
    assert_eq!(again.ok(200)["revocation_reason"], "leaked");
    api.admin("POST", &revoke, Some(json!({ "reason": "x" })))
        .await
        .error(400, "invalid_request");

    // Another site's key is 404, exactly as a missing one.
    let other = api.site().await;
    let theirs = format!("/v1/admin/sites/{}/api_keys/{}/revoke", other.id, ids[1]);
    api.admin("POST", &theirs, None)
        .await
        .error(404, "not_found");
    api.admin("POST", &format!("{admin_path}/ak_missing/revoke"), None)
        .await
        .error(404, "not_found");
    api.admin("GET", "/v1/admin/sites/site_missing/api_keys", None)
        .await
        .error(404, "not_found");
    let untouched = api
        .get(&site.token, &format!("/v1/api_keys/{}", ids[1]))
        .await;
    assert_eq!(untouched.ok(200)["revoked"], false);
}
