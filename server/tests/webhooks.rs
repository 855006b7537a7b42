//! Webhooks over real HTTP with a real receiver (`common::receiver`): endpoints (admin CRUD,
//! secret once), Standard Webhooks signatures, retries after a failure, the outbox surviving
//! kill -9, redirects not followed, an endpoint disabled after failing for five days, the
//! request-forgery guard at creation and at delivery, and two instances on PostgreSQL
//! delivering each attempt once.

mod common;

use std::collections::HashMap;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use common::receiver::{Delivery, Receiver};
use common::{eventually, Api, Options, Server};
use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use sha2::Sha256;

/// A server whose deliveries may go to the receiver on 127.0.0.1, retried after 1 s, three times.
fn options() -> Options {
    Options::default()
        .env("CREDPORT_WEBHOOK_ALLOW_PRIVATE", "true")
        .env("CREDPORT_WEBHOOK_RETRY_SCHEDULE", "1,1,1")
}

/// Creates an endpoint; its id and secret.
async fn endpoint(api: &Api, site: &str, url: &str, types: Value) -> (String, String) {
    let created = api
        .admin(
            "POST",
            &format!("/v1/admin/sites/{site}/webhook_endpoints"),
            Some(json!({ "url": url, "types": types, "description": "test receiver" })),
        )
        .await;
    let created = created.ok(201);
    (
        created["id"].as_str().unwrap().to_owned(),
        created["secret"].as_str().unwrap().to_owned(),
    )
}

/// Checks a delivery's Standard Webhooks signature independently of the server's code.
fn assert_signed(delivery: &Delivery, secret: &str) {
    let key = STANDARD
        .decode(secret.strip_prefix("whsec_").unwrap())
        .unwrap();
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).unwrap();
    let id = delivery.header("webhook-id");
    let timestamp = delivery.header("webhook-timestamp");
    mac.update(format!("{id}.{timestamp}.{}", delivery.body).as_bytes());
    let expected = format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()));
    assert_eq!(delivery.header("webhook-signature"), expected);
    let sent: i64 = timestamp.parse().unwrap();
    assert!((sent - credport_server::clock::now()).abs() < 60);
    assert_eq!(delivery.header("content-type"), "application/json");
}

async fn deliveries(api: &Api, site: &str, endpoint: &str) -> Vec<Value> {
    api.admin(
        "GET",
        &format!("/v1/admin/sites/{site}/webhook_endpoints/{endpoint}/deliveries"),
        None,
    )
    .await
    .ok(200)["data"]
        .as_array()
        .unwrap()
        .clone()
}

/// Polls the endpoint's deliveries until `done` holds (at most 30 s).
async fn wait_deliveries(
    api: &Api,
    site: &str,
    endpoint: &str,
    done: impl Fn(&[Value]) -> bool,
) -> Vec<Value> {
    let done = &done;
    eventually(
        "the deliveries",
        std::time::Duration::from_secs(30),
        move || async move {
            let list = deliveries(api, site, endpoint).await;
            if done(&list) {
                Ok(list)
            } else {
                Err(format!("{list:#?}"))
            }
        },
    )
    .await
}

/// A site whose endpoint (`connection.*`, on `receiver`, which answers 500) has its first
/// delivery's attempt waiting for the receiver's answer: the receiver is held, to be released by
/// the test. The site and the endpoint's id.
async fn an_attempt_held(api: &Api, receiver: &Receiver) -> (common::Site, String) {
    let site = api.site().await;
    receiver.answer(&[500]);
    receiver.hold();
    let (id, _) = endpoint(api, &site.id, &receiver.base, json!(["connection.*"])).await;
    api.connection(&site.id, common::connection_body("google"))
        .await;
    receiver.wait_for(|got| !got.is_empty()).await;
    (site, id)
}

#[tokio::test]
async fn deliveries_are_signed_and_retried_until_accepted() {
    let server = Server::start_with(options());
    let api = server.api();
    let site = api.site().await;
    let receiver = Receiver::start().await;
    receiver.answer(&[500, 200]);
    let url = format!("{}/hook", receiver.base);
    let (id, secret) = endpoint(&api, &site.id, &url, json!(["connection.*"])).await;
    assert!(secret.starts_with("whsec_"));

    // The secret is shown once: never in a list or a get.
    let listed = api
        .admin(
            "GET",
            &format!("/v1/admin/sites/{}/webhook_endpoints", site.id),
            None,
        )
        .await;
    assert!(!listed.text.contains(&secret));
    assert_eq!(listed.ok(200)["data"][0]["url"], url.as_str());
    let one = api
        .admin(
            "GET",
            &format!("/v1/admin/sites/{}/webhook_endpoints/{id}", site.id),
            None,
        )
        .await;
    assert!(!one.text.contains(&secret));
    assert_eq!(one.ok(200)["status"], "enabled");

    // An API key event is not for this endpoint; the connection's is.
    api.create_key(&site.token, "k").await;
    let connection = api
        .connection(&site.id, common::connection_body("google"))
        .await;
    let got = receiver.wait_for(|got| got.len() >= 2).await;
    assert_eq!(got.len(), 2, "{got:#?}");
    for delivery in &got {
        assert_eq!(delivery.path, "/hook");
        assert_signed(delivery, &secret);
    }
    // The same event again, with the same id.
    assert_eq!(got[0].header("webhook-id"), got[1].header("webhook-id"));
    let event = got[1].json();
    assert_eq!(event["type"], "connection.created");
    assert_eq!(event["id"], got[1].header("webhook-id"));
    assert_eq!(event["target"]["id"], connection["id"]);
    // Exactly the event of the log.
    let log = api
        .admin(
            "GET",
            &format!("/v1/admin/sites/{}/events?type=connection.created", site.id),
            None,
        )
        .await;
    assert_eq!(log.ok(200)["data"][0], event);

    let list = wait_deliveries(&api, &site.id, &id, |l| {
        l.first().is_some_and(|d| d["status"] == "succeeded")
    })
    .await;
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["event_id"], event["id"]);
    assert_eq!(list[0]["event_type"], "connection.created");
    assert_eq!(list[0]["attempts"], 2);
    assert_eq!(list[0]["last_status_code"], 200);
    assert_eq!(list[0]["next_attempt_at"], Value::Null);
    assert!(list[0]["last_attempt_at"].is_string());
}

#[tokio::test]
async fn endpoints_are_managed_by_the_admin_with_events() {
    let server = Server::start_with(options());
    let api = server.api();
    let site = api.site().await;
    let base = format!("/v1/admin/sites/{}/webhook_endpoints", site.id);
    let (id, _) = endpoint(&api, &site.id, "http://127.0.0.1:9/hook/T0K3N", json!([])).await;
    // A new token in the path: the URL changed, and what it was is not repeated.
    let moved = json!({ "url": "http://127.0.0.1:9/hook/N3WT0K3N" });
    api.admin("PATCH", &format!("{base}/{id}"), Some(moved))
        .await
        .ok(200);
    let patched = api
        .admin(
            "PATCH",
            &format!("{base}/{id}"),
            Some(json!({ "types": ["token.*"], "status": "disabled", "description": "off" })),
        )
        .await;
    let patched = patched.ok(200);
    assert_eq!(patched["types"], json!(["token.*"]));
    assert_eq!(patched["status"], "disabled");
    for (body, field) in [
        (json!({ "url": "ftp://example.com" }), "url"),
        (json!({ "url": "https://" }), "url"),
        (json!({ "types": ["Connection Created"] }), "types[0]"),
        // Shapes that would never match an event.
        (
            json!({ "types": ["token.*", "connection.*.updated"] }),
            "types[1]",
        ),
        (json!({ "types": ["conection.*"] }), "types[0]"),
        (json!({ "types": ["connection.create"] }), "types[0]"),
        (json!({ "types": ["*x"] }), "types[0]"),
        (json!({ "status": "paused" }), "status"),
        (json!({ "secret": "whsec_mine" }), "secret"),
    ] {
        api.admin("PATCH", &format!("{base}/{id}"), Some(body))
            .await
            .invalid(field);
    }
    api.admin("DELETE", &format!("{base}/{id}"), None)
        .await
        .ok(204);
    api.admin("GET", &format!("{base}/{id}"), None)
        .await
        .error(404, "not_found");
    api.admin("GET", &format!("{base}/{id}/deliveries"), None)
        .await
        .error(404, "not_found");
    let events = api
        .admin(
            "GET",
            &format!("/v1/admin/sites/{}/events?target_id={id}", site.id),
            None,
        )
        .await;
    let kinds: Vec<Value> = events.ok(200)["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["type"].clone())
        .collect();
    assert_eq!(
        kinds,
        [
            "webhook_endpoint.deleted",
            "webhook_endpoint.updated",
            "webhook_endpoint.updated",
            "webhook_endpoint.created"
        ]
    );
    let updated = &events.body["data"][1]["data"];
    assert_eq!(
        updated["status"],
        json!({ "from": "enabled", "to": "disabled" })
    );
    assert_eq!(events.body["data"][2]["data"]["url"], "replaced");
    assert_eq!(
        events.body["data"][3]["data"]["url"],
        "http://127.0.0.1:9/…"
    );
    // Neither the signing secret nor a token in a receiver's URL is in an event.
    assert!(!events.text.contains("whsec_") && !events.text.contains("T0K3N"));
}

/// An event committed is delivered even when the server is killed right after the change.
#[tokio::test]
async fn an_event_committed_is_delivered_after_kill_9() {
    let server = Server::start_with(options());
    let api = server.api();
    let site = api.site().await;
    let receiver = Receiver::start().await;
    // Not ready until the server is gone: nothing can be delivered before the kill.
    receiver.answer(&[503]);
    let (_, secret) = endpoint(
        &api,
        &site.id,
        &receiver.base,
        json!(["connection.created"]),
    )
    .await;
    let connection = api
        .connection(&site.id, common::connection_body("shopify"))
        .await;
    server.signal(libc::SIGKILL);
    receiver.answer(&[200]);
    let restarted = Server::start_with(
        server
            .same_data()
            .env("CREDPORT_WEBHOOK_ALLOW_PRIVATE", "true"),
    );
    // An attempt the kill cut off holds its delivery until its lease runs out (30 s), then the
    // next poll takes it: wait for that, and more.
    let got = receiver
        .wait_for_within(std::time::Duration::from_secs(60), |got| {
            got.last()
                .is_some_and(|d| d.json()["target"]["id"] == connection["id"])
        })
        .await;
    let delivery = got.last().unwrap();
    assert_signed(delivery, &secret);
    assert_eq!(delivery.json()["type"], "connection.created");
    drop(restarted);
}

/// A redirect is a failure, never followed; after the schedule the delivery has failed.
#[tokio::test]
async fn redirects_are_not_followed_and_retries_end() {
    let server = Server::start_with(options());
    let api = server.api();
    let site = api.site().await;
    let receiver = Receiver::start().await;
    receiver.answer(&[302]);
    let (id, _) = endpoint(
        &api,
        &site.id,
        &format!("{}/hook", receiver.base),
        json!([]),
    )
    .await;
    api.connection(&site.id, common::connection_body("google"))
        .await;
    let list = wait_deliveries(&api, &site.id, &id, |l| {
        l.iter()
            .any(|d| d["event_type"] == "connection.created" && d["status"] == "failed")
    })
    .await;
    let failed = list
        .iter()
        .find(|d| d["event_type"] == "connection.created")
        .unwrap();
    // The first attempt and one per wait of the schedule (1,1,1).
    assert_eq!(failed["attempts"], 4);
    assert_eq!(failed["last_status_code"], 302);
    assert!(failed["last_error"].as_str().unwrap().contains("redirect"));
    assert_eq!(failed["next_attempt_at"], Value::Null);
    assert!(receiver.got().iter().all(|d| d.path == "/hook"));
}

#[tokio::test]
async fn an_endpoint_failing_for_five_days_is_disabled() {
    let server = Server::start_with(options());
    let api = server.api();
    let site = api.site().await;
    let receiver = Receiver::start().await;
    receiver.answer(&[500]);
    let (id, _) = endpoint(&api, &site.id, &receiver.base, json!(["connection.*"])).await;
    let six_days_ago = credport_server::clock::now() - 6 * 86_400;
    common::execute_sql(
        &server.database,
        &format!(
            "UPDATE webhook_endpoints SET failing_since = {six_days_ago}, updated_at = {six_days_ago}
             WHERE id = '{id}'"
        ),
    );
    // Neither an empty update nor `enabled` sent to an endpoint already enabled (a client
    // sending the status with every edit) stops the failure clock, or records anything.
    let path = format!("/v1/admin/sites/{}/webhook_endpoints/{id}", site.id);
    let before = api.admin("GET", &path, None).await.ok(200).clone();
    for body in [json!({}), json!({ "status": "enabled" })] {
        let after = api.admin("PATCH", &path, Some(body)).await.ok(200).clone();
        assert_eq!(after, before, "nothing changed");
    }
    let updates = common::all_events(&api, &site.id, "&type=webhook_endpoint.updated").await;
    assert!(updates.is_empty(), "{updates:?}");
    api.connection(&site.id, common::connection_body("google"))
        .await;
    let list = wait_deliveries(&api, &site.id, &id, |l| {
        l.first().is_some_and(|d| d["status"] == "failed")
    })
    .await;
    assert_eq!(list[0]["attempts"], 1);
    let endpoint = api
        .admin(
            "GET",
            &format!("/v1/admin/sites/{}/webhook_endpoints/{id}", site.id),
            None,
        )
        .await;
    assert_eq!(endpoint.ok(200)["status"], "disabled");
    let events = api
        .admin(
            "GET",
            &format!(
                "/v1/admin/sites/{}/events?type=webhook_endpoint.disabled",
                site.id
            ),
            None,
        )
        .await;
    let disabled = &events.ok(200)["data"][0];
    assert_eq!(
        disabled["target"],
        json!({ "type": "webhook_endpoint", "id": id })
    );
    assert_eq!(disabled["actor"], json!({ "type": "server" }));
    // Disabled: the next event is not queued for it.
    api.connection(&site.id, common::connection_body("shopify"))
        .await;
    assert_eq!(deliveries(&api, &site.id, &id).await.len(), 1);
}

/// An attempt still in flight when another attempt's outcome disabled the endpoint (and failed
/// its pending deliveries) does not put its delivery back in the queue when it fails too.
#[tokio::test]
async fn an_attempt_in_flight_does_not_undo_the_disabling() {
    let server = Server::start_with(options());
    let api = server.api();
    let receiver = Receiver::start().await;
    let (site, id) = an_attempt_held(&api, &receiver).await;
    // What the disabling does, while the attempt waits for its answer.
    common::execute_sql(
        &server.database,
        &format!(
            "UPDATE webhook_endpoints SET status = 'disabled' WHERE id = '{id}';
             UPDATE webhook_deliveries SET status = 'failed', next_attempt_at_ms = NULL
             WHERE endpoint_id = '{id}' AND status = 'pending'"
        ),
    );
    receiver.release();
    let list = wait_deliveries(&api, &site.id, &id, |l| {
        l.first().is_some_and(|d| d["attempts"] == 1)
    })
    .await;
    assert_eq!(list[0]["status"], "failed", "{list:#?}");
    assert_eq!(list[0]["next_attempt_at"], Value::Null);
    assert_eq!(list[0]["last_status_code"], 500);
}

/// Without `--dev` or CREDPORT_WEBHOOK_ALLOW_PRIVATE, only https:// to public addresses.
#[tokio::test]
async fn private_and_plain_http_targets_are_refused_at_creation() {
    let server = Server::shared();
    let api = server.api();
    let site = api.site().await;
    let path = format!("/v1/admin/sites/{}/webhook_endpoints", site.id);
    for url in [
        "http://example.com/hook",
        "https://127.0.0.1/hook",
        "https://127.1.2.3:8443/hook",
        "https://localhost/hook",
        "https://10.0.0.1/hook",
        "https://172.16.5.4/hook",
        "https://192.168.1.1/hook",
        "https://169.254.169.254/latest/meta-data",
        "https://100.64.0.1/hook",
        "https://0.0.0.0/hook",
        "https://[::1]/hook",
        "https://[fe80::1]/hook",
        "https://[fd00:ec2::254]/hook",
        "https://[::ffff:127.0.0.1]/hook",
        "https://user:password@example.com/hook",
        "javascript:alert(1)",
    ] {
        let refused = api.admin("POST", &path, Some(json!({ "url": url }))).await;
        refused.invalid("url");
    }
    let listed = api.admin("GET", &path, None).await;
    assert_eq!(listed.ok(200)["total_count"], 0);
}

/// Checked again at delivery: an endpoint made while private targets were allowed is refused
/// once they are not, by scheme and by the address its name resolves to.
#[tokio::test]
async fn private_targets_are_refused_at_delivery() {
    let first = Server::start_with(options());
    let api = first.api();
    let site = api.site().await;
    let receiver = Receiver::start().await;
    let (plain, _) = endpoint(&api, &site.id, &receiver.base, json!([])).await;
    let named = format!("https://localhost:{}/hook", receiver.port);
    let (resolved, _) = endpoint(&api, &site.id, &named, json!([])).await;
    first.stop();
    let strict = Server::start_with(
        first
            .same_data()
            .env("CREDPORT_WEBHOOK_RETRY_SCHEDULE", "1"),
    );
    let api = strict.api();
    api.connection(&site.id, common::connection_body("google"))
        .await;
    for id in [&plain, &resolved] {
        let list = wait_deliveries(&api, &site.id, id, |l| {
            l.iter()
                .any(|d| d["event_type"] == "connection.created" && d["status"] == "failed")
        })
        .await;
        let failed = list
            .iter()
            .find(|d| d["event_type"] == "connection.created")
            .unwrap();
        let error = failed["last_error"].as_str().unwrap();
        assert!(error.starts_with("refused"), "{error}");
        assert_eq!(failed["last_status_code"], Value::Null);
    }
    assert!(receiver.got().is_empty(), "{:#?}", receiver.got());
}

/// Two instances on one PostgreSQL database share the outbox: every event reaches the
/// receiver once.
#[tokio::test]
async fn two_instances_deliver_each_attempt_once() {
    if !common::on_postgres() {
        return;
    }
    let one = Server::start_with(options());
    let two = Server::start_with(Options {
        env: options().env,
        ..one.same_data()
    });
    let api = one.api();
    let site = api.site().await;
    let receiver = Receiver::start().await;
    let (id, _) = endpoint(
        &api,
        &site.id,
        &receiver.base,
        json!(["connection.created"]),
    )
    .await;
    let apis = [one.api(), two.api()];
    for n in 0..40 {
        apis[n % 2]
            .connection(&site.id, common::connection_body("google"))
            .await;
    }
    // Every delivery done: nothing more will be sent.
    wait_deliveries(&api, &site.id, &id, |l| {
        l.len() == 40
            && l.iter()
                .all(|d| d["status"] == "succeeded" && d["attempts"] == 1)
    })
    .await;
    let got = receiver.got();
    let mut counts: HashMap<String, usize> = HashMap::new();
    for delivery in receiver.got() {
        *counts
            .entry(delivery.header("webhook-id").to_owned())
            .or_default() += 1;
    }
    assert_eq!(counts.len(), 40, "{got:#?}");
    assert!(counts.values().all(|n| *n == 1), "{counts:?}");
}

#[tokio::test]
async fn a_disabled_endpoint_gets_nothing_until_it_is_enabled_again() {
    let server = Server::start_with(options());
    let api = server.api();
    let receiver = Receiver::start().await;
    // The first attempt's answer waits until the endpoint is disabled, so that no retry (a
    // second later) can come before.
    let (site, id) = an_attempt_held(&api, &receiver).await;
    let path = format!("/v1/admin/sites/{}/webhook_endpoints/{id}", site.id);
    let disable = json!({ "status": "disabled" });
    api.admin("PATCH", &path, Some(disable)).await.ok(200);
    receiver.release();
    let failed = wait_deliveries(&api, &site.id, &id, |list| {
        list.len() == 1 && list[0]["attempts"] == 1
    })
    .await;
    assert_eq!(failed[0]["status"], "pending", "{failed:#?}");

    // Past the retry's time (written to the second: a second more), a delivery to another
    // endpoint shows that the deliverer has looked for due deliveries since.
    let next = failed[0]["next_attempt_at"].as_str().unwrap();
    let due = credport_server::clock::parse(next).unwrap() + 1;
    while credport_server::clock::now() <= due {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let other = Receiver::start().await;
    let other_url = format!("{}/other", other.base);
    endpoint(&api, &site.id, &other_url, json!(["api_key.*"])).await;
    api.create_key(&site.token, "k").await;
    other.wait_for(|got| !got.is_empty()).await;
    assert_eq!(
        receiver.got().len(),
        1,
        "a disabled endpoint got a delivery"
    );

    // Enabled again, it gets the delivery that waited.
    receiver.answer(&[200]);
    let enable = json!({ "status": "enabled" });
    api.admin("PATCH", &path, Some(enable)).await.ok(200);
    let got = receiver.wait_for(|got| got.len() >= 2).await;
    assert_eq!(got[0].header("webhook-id"), got[1].header("webhook-id"));
}

/// A change recorded while its site's endpoint is being deleted (PostgreSQL: the delete not yet
/// committed when the change queues its delivery) is made, and its delivery is not: the
/// endpoint is gone. Another client holds the delete open until the change waits on it.
#[tokio::test]
async fn a_change_while_its_endpoint_is_deleted_is_made_without_a_delivery() {
    if !common::on_postgres() {
        return;
    }
    let server = Server::start_with(options());
    let api = server.api();
    let site = api.site().await;
    let (id, _) = endpoint(
        &api,
        &site.id,
        "http://127.0.0.1:9/hook",
        json!(["api_key.created"]),
    )
    .await;
    let held = common::Held::begin(
        &server,
        &format!("DELETE FROM webhook_endpoints WHERE id = '{id}';"),
    )
    .await;
    let (creator, token) = (api.clone(), site.token.clone());
    let create = tokio::spawn(async move {
        let body = json!({ "name": "during the delete", "subject": "s" });
        creator.post(&token, "/v1/api_keys", body).await
    });
    held.wait_for_waiters(1).await;
    held.commit();
    let key = create.await.unwrap();
    let key_id = key.ok(201)["id"].as_str().unwrap().to_owned();
    let events = common::all_events(&api, &site.id, "&type=api_key.created").await;
    assert!(events.iter().any(|e| e["target"]["id"] == key_id.as_str()));
    let queued = common::psql(
        server.database.to_str().unwrap(),
        "SELECT count(*) FROM webhook_deliveries",
    );
    assert_eq!(queued.trim(), "0");
}

/// Two endpoints updated at once (PostgreSQL), each update's event queued for the other
/// endpoint: each update holds its own endpoint's row while it queues for the other's, and
/// neither waits on the other. Another client holds a third endpoint until both updates wait
/// on it, so that both hold their own rows when they go on.
#[tokio::test]
async fn two_endpoints_updated_at_once_both_answer() {
    if !common::on_postgres() {
        return;
    }
    let server = Server::start_with(options());
    let api = server.api();
    let site = api.site().await;
    let types = json!(["webhook_endpoint.updated"]);
    // Made first, so queued for first: where both updates wait.
    let (third, _) = endpoint(&api, &site.id, "http://127.0.0.1:9/c", types.clone()).await;
    let (first, _) = endpoint(&api, &site.id, "http://127.0.0.1:9/a", types.clone()).await;
    let (second, _) = endpoint(&api, &site.id, "http://127.0.0.1:9/b", types).await;
    let held = common::Held::begin(
        &server,
        &format!("SELECT 1 FROM webhook_endpoints WHERE id = '{third}' FOR UPDATE;"),
    )
    .await;
    let update = |id: String| {
        let api = api.clone();
        let path = format!("/v1/admin/sites/{}/webhook_endpoints/{id}", site.id);
        tokio::spawn(async move {
            let body = json!({ "description": format!("renamed {id}") });
            api.admin("PATCH", &path, Some(body)).await
        })
    };
    let (a, b) = (update(first), update(second));
    held.wait_for_waiters(2).await;
    held.commit();
    a.await.unwrap().ok(200);
    b.await.unwrap().ok(200);
}

/// An endpoint deleted while a delivery's failed attempt is being written (PostgreSQL): both
/// finish, neither waits on the other. Another client holds the endpoint until the delete
/// waits on it, then the receiver answers, so that the outcome is written while the delete
/// waits.
#[tokio::test]
async fn an_endpoint_deleted_while_an_attempts_outcome_is_written() {
    if !common::on_postgres() {
        return;
    }
    let server = Server::start_with(options());
    let api = server.api();
    let site = api.site().await;
    let receiver = Receiver::start().await;
    receiver.answer(&[500]);
    receiver.hold();
    let (id, _) = endpoint(&api, &site.id, &receiver.base, json!(["api_key.created"])).await;
    api.create_key(&site.token, "during the delete").await;
    receiver.wait_for(|got| got.len() == 1).await;
    let held = common::Held::begin(
        &server,
        &format!("SELECT 1 FROM webhook_endpoints WHERE id = '{id}' FOR UPDATE;"),
    )
    .await;
    let (deleter, path) = (
        api.clone(),
        format!("/v1/admin/sites/{}/webhook_endpoints/{id}", site.id),
    );
    let delete = tokio::spawn(async move { deleter.admin("DELETE", &path, None).await });
    held.wait_for_waiters(1).await;
    receiver.release();
    held.wait_for_waiters(2).await;
    held.commit();
    assert_eq!(delete.await.unwrap().status, 204);
    // The outcome was written, or found nothing left to write: never refused by a deadlock.
    assert!(server.stop().success());
    let logs = server.logs();
    assert!(!logs.contains("could not be written"), "{logs}");
}

/// A shutdown takes no more deliveries and lets the attempt in flight finish: a delivery the
/// receiver holds through SIGTERM is answered, recorded once, and never made again. (Threads of
/// their own for the receiver: the test's thread blocks waiting for the exit.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_attempt_in_flight_at_sigterm_is_finished_and_recorded_once() {
    let server = Server::start_with(options());
    let api = server.api();
    let site = api.site().await;
    let receiver = Receiver::start().await;
    receiver.hold();
    let (id, _) = endpoint(&api, &site.id, &receiver.base, json!(["api_key.created"])).await;
    api.create_key(&site.token, "in flight at the stop").await;
    receiver.wait_for(|got| got.len() == 1).await;
    server.send_signal(libc::SIGTERM);
    // The deliverer stops taking deliveries as the shutdown begins, its attempt still held.
    let logs = server
        .logs_when(|logs| logs.contains("taking no more webhook deliveries"))
        .await;
    assert!(logs.contains("in_flight=1"), "{logs}");
    receiver.release();
    let status = server.wait();
    assert!(status.success(), "{status:?}");
    let logs = server.logs_when(|logs| logs.contains("stopped")).await;
    assert!(logs.contains("webhook delivered"), "{logs}");
    assert!(!logs.contains("after the grace period"), "{logs}");

    // Recorded by the stopping server: the next one has nothing to deliver.
    let restarted = Server::start_with(
        server
            .same_data()
            .env("CREDPORT_WEBHOOK_ALLOW_PRIVATE", "true"),
    );
    let list = deliveries(&restarted.api(), &site.id, &id).await;
    assert_eq!(list.len(), 1, "{list:#?}");
    assert_eq!(list[0]["status"], "succeeded");
    assert_eq!(list[0]["attempts"], 1);
    assert_eq!(receiver.got().len(), 1);
}
