//! OAuth2 token refresh against a local stand-in for a provider's token endpoint
//! (`common::provider`): when the server calls it and when it does not, what it sends, what it
//! stores, single-flight (in one process, and across two instances on PostgreSQL), refusals
//! and passing failures, the timeout, where the client secret never goes, and the admin API of
//! provider configurations.

mod common;

use std::time::{Duration, Instant};

use common::provider::{Mode, Provider};
use common::{Api, Options, Server, Site};
use credport_server::clock;
use serde_json::{json, Value};

/// A site with a provider configuration for a fresh token endpoint, and one `google`
/// connection whose token (`at-0`, refresh token `rt-0`) expires in `expires_in` seconds.
struct Setup {
    api: Api,
    site: Site,
    provider: Provider,
    key: String,
    connection: String,
}

impl Setup {
    async fn new(server: &Server, auth_method: &str, expires_in: i64) -> Setup {
        let api = server.api();
        let site = api.site().await;
        let provider = Provider::start().await;
        let key = format!("google-{}", common::random_hex(4));
        api.provider_config(&site.id, provider.config_body(&key, auth_method))
            .await;
        let expires_at = clock::format(clock::now() + expires_in);
        let connection = api
            .connection(
                &site.id,
                json!({
                    "provider": "google",
                    "provider_config_key": key,
                    "token_expires_at": expires_at,
                    "credentials": {
                        "type": "oauth2",
                        "expires_at": expires_at,
                        "fields": { "access_token": "at-0", "refresh_token": "rt-0", "token_type": "Bearer" }
                    }
                }),
            )
            .await["id"]
            .as_str()
            .unwrap()
            .to_owned();
        Setup {
            api,
            site,
            provider,
            key,
            connection,
        }
    }

    async fn credentials(&self, query: &str) -> common::Res {
        self.api
            .get(
                &self.site.token,
                &format!("/v1/connections/credentials/google{query}"),
            )
            .await
    }

    async fn connection(&self) -> Value {
        self.api
            .get(
                &self.site.token,
                &format!("/v1/connections/{}", self.connection),
            )
            .await
            .ok(200)
            .clone()
    }

    fn admin_connection(&self) -> String {
        format!(
            "/v1/admin/sites/{}/connections/{}",
            self.site.id, self.connection
        )
    }

    /// A credentials read started in a task of its own, once the provider holds the refresh it
    /// made (the provider set to answer slowly): a test acts then, not after a guess.
    async fn read_held_by_the_provider(&self) -> tokio::task::JoinHandle<common::Res> {
        let (api, token) = (self.api.clone(), self.site.token.clone());
        let read =
            tokio::spawn(
                async move { api.get(&token, "/v1/connections/credentials/google").await },
            );
        common::wait_until(
            "the refresh reaching the provider",
            Duration::from_secs(30),
            || self.provider.call_count() > 0,
        )
        .await;
        read
    }
}

fn access_token(res: &common::Res) -> &str {
    res.ok(200)["fields"]["access_token"].as_str().unwrap()
}

/// A refresh running when SIGTERM comes, its client gone, stores what the provider gave before
/// the process exits: the rotated refresh token is not lost. The grace covers the slowest call
/// the refresh timeout allows, and the time to store its answer.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refresh_running_at_sigterm_lands_before_the_exit() {
    let server = Server::start_with(Options::default().env("CREDPORT_REFRESH_TIMEOUT", "40"));
    let s = Setup::new(&server, "client_secret_basic", -10).await;
    s.provider.hold();
    let read = s.read_held_by_the_provider().await;
    read.abort();
    server.send_signal(libc::SIGTERM);
    let logs = server
        .logs_when(|logs| logs.contains("shutting down"))
        .await;
    assert!(logs.contains("grace_seconds=50"), "{logs}");
    s.provider.release();
    let status = server.wait();
    assert!(status.success(), "{status:?}");

    let restarted = Server::start_with(server.same_data());
    let stored = restarted
        .api()
        .get(&s.site.token, "/v1/connections/credentials/google")
        .await;
    assert_eq!(stored.ok(200)["fields"]["refresh_token"], "rt-1");
    assert_eq!(s.provider.call_count(), 1, "answered as stored");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fresh_token_is_answered_without_a_call() {
    let s = Setup::new(Server::shared(), "client_secret_basic", 3600).await;
    assert_eq!(access_token(&s.credentials("").await), "at-0");
    assert_eq!(
        access_token(&s.credentials("?force_refresh=false").await),
        "at-0"
    );
    assert_eq!(s.provider.call_count(), 0);
    assert_eq!(s.connection().await["last_refreshed_at"], Value::Null);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expiring_token_is_refreshed_once_and_the_rotation_stored() {
    let s = Setup::new(Server::shared(), "client_secret_basic", 60).await;
    let before = clock::now();
    let res = s.credentials("").await;
    let body = res.ok(200);
    assert_eq!(body["fields"]["access_token"], "at-1");
    assert_eq!(
        body["fields"]["refresh_token"], "rt-1",
        "the rotated refresh token"
    );
    assert_eq!(body["fields"]["token_type"], "Bearer");
    let expires = clock::parse(body["expires_at"].as_str().unwrap()).unwrap();
    assert!((before + 3600..=clock::now() + 3600).contains(&expires));
    assert_eq!(s.provider.call_count(), 1);
    let call = &s.provider.calls()[0];
    assert_eq!(call.form["grant_type"], "refresh_token");
    assert_eq!(call.form["refresh_token"], "rt-0");
    assert_eq!(
        call.content_type.as_deref(),
        Some("application/x-www-form-urlencoded")
    );

    // Stored: the next read answers it without a call, and the connection shows the refresh.
    assert_eq!(access_token(&s.credentials("").await), "at-1");
    assert_eq!(s.provider.call_count(), 1);
    let connection = s.connection().await;
    assert!(connection["last_refreshed_at"].is_string());
    assert_eq!(connection["token_expires_at"], body["expires_at"]);
    assert_eq!(connection["credentials"]["expires_at"], body["expires_at"]);
    assert_eq!(connection["refresh_error"], Value::Null);

    // The rotated refresh token is the one used next: the endpoint refuses rt-0 by now.
    assert_eq!(
        access_token(&s.credentials("?force_refresh=true").await),
        "at-2"
    );
    assert_eq!(s.provider.calls()[1].form["refresh_token"], "rt-1");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_token_is_refreshed_and_expiry_follows_the_answer() {
    let s = Setup::new(Server::shared(), "client_secret_basic", -10).await;
    s.provider.set_expires_in(false);
    let res = s.credentials("").await;
    assert_eq!(access_token(&res), "at-1");
    assert_eq!(
        res.body["expires_at"],
        Value::Null,
        "no expires_in: no expiry"
    );
    assert_eq!(s.connection().await["token_expires_at"], Value::Null);
    assert_eq!(s.provider.call_count(), 1);
}

/// A rotating provider's answer with a usable access token is stored whatever form its optional
/// members take, so the rotated refresh token is not lost (RFC 6749 §6: the old one no longer
/// works): an `expires_in` that plainly says a number of seconds is read as it, any other is an
/// unknown expiry (as when the provider sends none), and an `id_token` that is not a string is
/// left out.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_odd_optional_member_keeps_the_rotated_refresh_token() {
    for (member, value, expires_in) in [
        ("expires_in", json!(3600.0), Some(3600)),
        ("expires_in", json!(" 3600"), Some(3600)),
        ("expires_in", json!(1_000_000_000_000_i64), None),
        ("expires_in", json!(1.5), None),
        ("id_token", json!({ "sub": "someone" }), Some(3600)),
    ] {
        let s = Setup::new(Server::shared(), "client_secret_basic", 60).await;
        s.provider.set_answer_member(member, value.clone());
        let before = clock::now();
        let read = s.credentials("").await;
        let body = read.ok(200);
        let case = format!("{member}: {value}");
        assert_eq!(body["fields"]["access_token"], "at-1", "{case}");
        assert_eq!(body["fields"]["refresh_token"], "rt-1", "{case}");
        assert!(body["fields"].get("id_token").is_none(), "{case}");
        match expires_in {
            Some(seconds) => {
                let expires = clock::parse(body["expires_at"].as_str().unwrap()).unwrap();
                let expected = before + seconds..=clock::now() + seconds;
                assert!(expected.contains(&expires), "{case}");
            }
            None => assert_eq!(body["expires_at"], Value::Null, "{case}"),
        }
        // Stored, and the one the next refresh sends: the provider refuses rt-0 by now.
        assert_eq!(
            access_token(&s.credentials("?force_refresh=true").await),
            "at-2",
            "{case}"
        );
        assert_eq!(s.provider.calls()[1].form["refresh_token"], "rt-1");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn force_refresh_calls_once_and_only_takes_true_or_false() {
    let s = Setup::new(Server::shared(), "client_secret_basic", 3600).await;
    assert_eq!(
        access_token(&s.credentials("?force_refresh=true").await),
        "at-1"
    );
    assert_eq!(s.provider.call_count(), 1);
    for bad in ["1", "yes", "TRUE"] {
        s.credentials(&format!("?force_refresh={bad}"))
            .await
            .invalid("force_refresh");
    }
    s.credentials("?force=true").await.invalid("force");
    assert_eq!(s.provider.call_count(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_client_authenticates_as_configured() {
    let basic = Setup::new(Server::shared(), "client_secret_basic", 10).await;
    assert_eq!(access_token(&basic.credentials("").await), "at-1");
    let call = &basic.provider.calls()[0];
    assert!(call.authorization.as_deref().unwrap().starts_with("Basic "));
    assert!(!call.form.contains_key("client_secret"));
    assert!(!call.form.contains_key("client_id"));
    assert!(!call.form.contains_key("scope"), "no scopes configured");

    let post = Setup::new(Server::shared(), "client_secret_post", 10).await;
    post.api
        .admin(
            "PATCH",
            &format!(
                "/v1/admin/sites/{}/provider_configs/{}",
                post.site.id, post.key
            ),
            Some(json!({ "scopes": ["openid", "email"] })),
        )
        .await
        .ok(200);
    assert_eq!(access_token(&post.credentials("").await), "at-1");
    let call = &post.provider.calls()[0];
    assert_eq!(call.authorization, None);
    assert_eq!(call.form["client_id"], post.provider.client_id);
    assert_eq!(call.form["client_secret"], post.provider.client_secret);
    assert_eq!(
        call.form["scope"], "openid email",
        "the connection has none of its own"
    );

    // A connection granted fewer scopes than its configuration asks for (the person granted
    // fewer, or the configuration grew since) asks for its own grant only (RFC 6749 §6).
    let path = format!(
        "/v1/admin/sites/{}/connections/{}",
        post.site.id, post.connection
    );
    post.api
        .admin("PATCH", &path, Some(json!({ "scopes": ["email"] })))
        .await
        .ok(200);
    post.credentials("?force_refresh=true").await.ok(200);
    let calls = post.provider.calls();
    assert_eq!(calls.last().unwrap().form["scope"], "email");
}

/// `reads` concurrent reads of an expiring token, spread over `apis`: one call, one token.
async fn concurrent_reads_refresh_once(apis: &[Api], s: &Setup, reads: usize) {
    s.provider.set_delay(Duration::from_millis(300));
    let reads = (0..reads).map(|i| {
        let api = apis[i % apis.len()].clone();
        let token = s.site.token.clone();
        tokio::spawn(async move { api.get(&token, "/v1/connections/credentials/google").await })
    });
    let mut tokens = Vec::new();
    for read in reads.collect::<Vec<_>>() {
        let res = read.await.unwrap();
        tokens.push(access_token(&res).to_owned());
    }
    assert_eq!(s.provider.call_count(), 1, "one call to the token endpoint");
    assert!(tokens.iter().all(|t| t == "at-1"), "{tokens:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_concurrent_reads_of_an_expiring_token_make_one_call() {
    let server = Server::start();
    let s = Setup::new(&server, "client_secret_basic", 30).await;
    concurrent_reads_refresh_once(std::slice::from_ref(&s.api), &s, 50).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_instances_refresh_once() {
    if !common::on_postgres() {
        eprintln!("two instances share PostgreSQL only: run with CREDPORT_TEST_STORE=postgres");
        return;
    }
    let first = Server::start();
    let second = Server::start_with(first.same_data());
    let s = Setup::new(&first, "client_secret_basic", 30).await;
    concurrent_reads_refresh_once(&[first.api(), second.api()], &s, 50).await;
    // Both instances answer the stored result afterwards.
    for server in [&first, &second] {
        let res = server
            .api()
            .get(&s.site.token, "/v1/connections/credentials/google")
            .await;
        assert_eq!(access_token(&res), "at-1");
    }
    assert_eq!(s.provider.call_count(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_refresh_invalidates_until_an_admin_sets_new_credentials() {
    let s = Setup::new(Server::shared(), "client_secret_basic", 10).await;
    s.provider.set_mode(Mode::Refuse);
    let details = s
        .credentials("")
        .await
        .error(409, "connection_invalid")
        .clone();
    assert_eq!(details["connection_id"], s.connection.as_str());
    let connection = s.connection().await;
    assert_eq!(connection["status"], "invalid");
    assert_eq!(connection["refresh_error"]["code"], "invalid_grant");
    assert!(connection["refresh_error"]["message"].is_string());
    assert!(connection["refresh_error"]["at"].is_string());
    s.credentials("").await.error(404, "not_found");
    assert_eq!(s.provider.call_count(), 1);

    // New credentials from the admin: active again, no error, answered as set.
    s.provider.set_mode(Mode::Normal);
    let patched = s
        .api
        .admin(
            "PATCH",
            &s.admin_connection(),
            Some(json!({ "credentials": {
                "type": "oauth2",
                "expires_at": clock::format(clock::now() + 3600),
                "fields": { "access_token": "at-admin", "refresh_token": "rt-0" }
            }})),
        )
        .await;
    let patched = patched.ok(200);
    assert_eq!(patched["status"], "active");
    assert_eq!(patched["refresh_error"], Value::Null);
    assert_eq!(access_token(&s.credentials("").await), "at-admin");
    assert_eq!(
        access_token(&s.credentials("?force_refresh=true").await),
        "at-1"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_used_refresh_token_is_refused_as_invalid_grant() {
    let s = Setup::new(Server::shared(), "client_secret_basic", 3600).await;
    assert_eq!(
        access_token(&s.credentials("?force_refresh=true").await),
        "at-1"
    );
    // An admin puts the old (used) refresh token back: the provider refuses it.
    s.api
        .admin(
            "PATCH",
            &s.admin_connection(),
            Some(json!({ "credentials": {
                "type": "oauth2",
                "fields": { "access_token": "at-0", "refresh_token": "rt-0" }
            }})),
        )
        .await
        .ok(200);
    s.credentials("?force_refresh=true")
        .await
        .error(409, "connection_invalid");
    assert_eq!(
        s.connection().await["refresh_error"]["code"],
        "invalid_grant"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_provider_down_leaves_the_stored_token_and_is_left_alone() {
    let s = Setup::new(Server::shared(), "client_secret_basic", 60).await;
    s.provider.set_mode(Mode::ServerError);
    let before = s.connection().await;
    // Expiring but still valid: the stored token.
    assert_eq!(access_token(&s.credentials("").await), "at-0");
    assert_eq!(s.provider.call_count(), 1);
    assert_eq!(s.connection().await, before, "nothing stored changed");
    // During the cooldown: no call, the stored token again; forced: 502 with Retry-After.
    assert_eq!(access_token(&s.credentials("").await), "at-0");
    let forced = s.credentials("?force_refresh=true").await;
    forced.error(502, "refresh_failed");
    let retry_after: u64 = forced.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=30).contains(&retry_after), "{retry_after}");
    let admin = s
        .api
        .admin("POST", &format!("{}/refresh", s.admin_connection()), None)
        .await;
    admin.error(502, "refresh_failed");
    assert!(admin.header("retry-after").is_some());
    assert_eq!(s.provider.call_count(), 1, "the cooldown holds");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn passing_failures_of_an_expired_token_answer_502() {
    for mode in [Mode::ServerError, Mode::TooMany, Mode::Garbage] {
        let s = Setup::new(Server::shared(), "client_secret_basic", -1).await;
        s.provider.set_mode(mode);
        let res = s.credentials("").await;
        res.error(502, "refresh_failed");
        assert_eq!(res.header("retry-after"), Some("30"), "{mode:?}");
        let connection = s.connection().await;
        assert_eq!(connection["status"], "active", "{mode:?}");
        assert_eq!(connection["refresh_error"], Value::Null, "{mode:?}");
        s.credentials("").await.error(502, "refresh_failed");
        assert_eq!(s.provider.call_count(), 1, "{mode:?}: the cooldown holds");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_token_endpoint_times_out() {
    let server = Server::start_with(Options::default().env("CREDPORT_REFRESH_TIMEOUT", "1"));
    let s = Setup::new(&server, "client_secret_basic", -1).await;
    // The provider would answer after a minute: an answer well before that was cut off by the
    // one-second timeout, whatever the load on this machine.
    s.provider.set_delay(Duration::from_secs(60));
    let started = Instant::now();
    let res = s.credentials("").await;
    let details = res.error(502, "refresh_failed");
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "{:?}",
        started.elapsed()
    );
    assert!(details.is_null());
    assert!(res.body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("in time"));
    assert_eq!(s.provider.call_count(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_change_made_during_a_refresh_wins() {
    let s = Setup::new(Server::shared(), "client_secret_basic", 10).await;
    // The provider answers once the admin's change is in.
    s.provider.hold();
    let reader = s.read_held_by_the_provider().await;
    s.api
        .admin(
            "PATCH",
            &s.admin_connection(),
            Some(json!({ "credentials": {
                "type": "oauth2",
                "expires_at": clock::format(clock::now() + 3600),
                "fields": { "access_token": "at-admin", "refresh_token": "rt-admin" }
            }})),
        )
        .await
        .ok(200);
    s.provider.release();
    assert_eq!(access_token(&reader.await.unwrap()), "at-admin");
    assert_eq!(s.provider.call_count(), 1);
    let stored = s.credentials("").await;
    assert_eq!(stored.ok(200)["fields"]["refresh_token"], "rt-admin");
    assert_eq!(s.connection().await["last_refreshed_at"], Value::Null);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_change_of_metadata_during_a_refresh_keeps_the_new_tokens() {
    let s = Setup::new(Server::shared(), "client_secret_basic", 30).await;
    // The provider answers once the admin's change is in.
    s.provider.hold();
    let reader = s.read_held_by_the_provider().await;
    // Neither the credentials nor what a refresh uses: the refresh's tokens still count.
    let change = json!({ "metadata": { "plan": "pro" }, "root_resource_name": "Acme" });
    s.api
        .admin("PATCH", &s.admin_connection(), Some(change))
        .await
        .ok(200);
    s.provider.release();
    assert_eq!(access_token(&reader.await.unwrap()), "at-1");
    let stored = s.credentials("").await;
    assert_eq!(access_token(&stored), "at-1");
    assert_eq!(stored.ok(200)["fields"]["refresh_token"], "rt-1");
    assert_eq!(
        s.provider.call_count(),
        1,
        "no second call with the rotated token"
    );
    let connection = s.connection().await;
    assert_eq!(connection["metadata"]["plan"], "pro");
    assert_eq!(connection["status"], "active");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_admin_refreshes_a_connection_now() {
    let s = Setup::new(Server::shared(), "client_secret_basic", 3600).await;
    let path = format!("{}/refresh", s.admin_connection());
    let res = s.api.admin("POST", &path, None).await;
    let connection = res.ok(200);
    assert_eq!(connection["id"], s.connection.as_str());
    assert!(connection["last_refreshed_at"].is_string());
    assert_eq!(s.provider.call_count(), 1);
    assert_eq!(access_token(&s.credentials("").await), "at-1");

    // Not refreshable: an api_key connection; unknown: 404; a site token: 401.
    let other = s
        .api
        .connection(&s.site.id, common::connection_body("shopify"))
        .await;
    let other_path = format!(
        "/v1/admin/sites/{}/connections/{}/refresh",
        s.site.id,
        other["id"].as_str().unwrap()
    );
    s.api
        .admin("POST", &other_path, None)
        .await
        .error(409, "conflict");
    s.api
        .admin(
            "POST",
            &format!(
                "/v1/admin/sites/{}/connections/conn_none/refresh",
                s.site.id
            ),
            None,
        )
        .await
        .error(404, "not_found");
    s.api
        .post(&s.site.token, &path, json!({}))
        .await
        .error(401, "unauthenticated");

    // With an Idempotency-Key, a repeat answers the first refresh without refreshing again;
    // the key on another connection's refresh is a conflict.
    let once = |path: String| {
        let api = s.api.clone();
        async move {
            let admin = api.admin_token.clone();
            let key = [("idempotency-key", "refresh-once")];
            api.request("POST", &path, Some(&admin), None, &key).await
        }
    };
    let first = once(path.clone()).await;
    let first_body = first.ok(200).clone();
    assert_eq!(s.provider.call_count(), 2);
    assert_eq!(first.header("idempotent-replayed"), None);
    let again = once(path.clone()).await;
    assert_eq!(again.ok(200), &first_body);
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
    assert_eq!(s.provider.call_count(), 2, "no second refresh");
    once(other_path).await.error(409, "idempotency_conflict");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_provider_configuration_the_token_is_answered_as_stored() {
    let s = Setup::new(Server::shared(), "client_secret_basic", -1).await;
    s.api
        .admin(
            "DELETE",
            &format!("/v1/admin/sites/{}/provider_configs/{}", s.site.id, s.key),
            None,
        )
        .await
        .ok(204);
    assert_eq!(
        access_token(&s.credentials("?force_refresh=true").await),
        "at-0"
    );
    assert_eq!(s.provider.call_count(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_secret_of_the_token_endpoint_leaks() {
    let server = Server::start();
    let s = Setup::new(&server, "client_secret_post", -1).await;
    let mut answers = Vec::new();
    answers.push(s.credentials("").await.text); // at-1, rt-1: the one answer that holds tokens
    let configs = format!("/v1/admin/sites/{}/provider_configs", s.site.id);
    answers.push(s.api.admin("GET", &configs, None).await.text);
    answers.push(
        s.api
            .admin("GET", &format!("{configs}/{}", s.key), None)
            .await
            .text,
    );
    answers.push(s.connection().await.to_string());
    answers.push(s.api.get(&s.site.token, "/v1/connections").await.text);
    s.provider.set_mode(Mode::Refuse);
    answers.push(s.credentials("?force_refresh=true").await.text);
    answers.push(s.connection().await.to_string());
    for answer in &answers {
        assert!(!answer.contains(&s.provider.client_secret), "{answer}");
    }
    for answer in &answers[1..] {
        assert!(!answer.contains("rt-"), "{answer}");
    }
    let logs = server
        .logs_when(|logs| logs.contains("token refreshed"))
        .await;
    for secret in [
        s.provider.client_secret.as_str(),
        "at-0",
        "at-1",
        "rt-0",
        "rt-1",
    ] {
        assert!(!logs.contains(secret), "{secret} in the log:\n{logs}");
    }
    let stored = common::stored_bytes(&server.database);
    let needle = s.provider.client_secret.as_bytes();
    assert!(
        !stored.windows(needle.len()).any(|w| w == needle),
        "the client secret is stored in plaintext"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn provider_configurations_are_managed_by_the_admin() {
    let api = Server::shared().api();
    let site = api.site().await;
    let configs = format!("/v1/admin/sites/{}/provider_configs", site.id);
    let body = json!({
        "key": "google-prod",
        "provider": "google",
        "token_url": "https://oauth2.googleapis.com/token",
        "client_id": "id-1",
        "client_secret": "very-secret-value",
        "scopes": ["openid"],
    });
    let created = api.admin("POST", &configs, Some(body.clone())).await;
    let created = created.ok(201).clone();
    assert_eq!(created["auth_method"], "client_secret_basic");
    assert_eq!(created["refresh_margin_seconds"], 300);
    assert_eq!(created["scopes"], json!(["openid"]));
    assert_eq!(
        created["redirect_uri"],
        format!("{}/oauth/callback", Server::shared().url)
    );
    assert!(created.get("client_secret").is_none());
    api.admin("POST", &configs, Some(body.clone()))
        .await
        .error(409, "conflict");

    let one = format!("{configs}/google-prod");
    assert_eq!(api.admin("GET", &one, None).await.ok(200), &created);
    let list = api.admin("GET", &configs, None).await;
    assert_eq!(list.ok(200)["total_count"], 1);
    assert_eq!(list.body["data"][0], created);
    assert!(!list.text.contains("very-secret"));

    let patched = api
        .admin(
            "PATCH",
            &one,
            Some(json!({ "client_secret": "another-secret", "auth_method": "client_secret_post", "refresh_margin_seconds": 60.0 })),
        )
        .await;
    let patched = patched.ok(200);
    assert_eq!(patched["auth_method"], "client_secret_post");
    assert_eq!(patched["refresh_margin_seconds"], 60);
    assert!(patched.get("client_secret").is_none());

    // Bad input: 400 naming the field.
    for (field, value) in [
        ("token_url", json!("http://example.com/token")),
        ("token_url", json!("ftp://127.0.0.1/token")),
        ("token_url", json!("https://user:pw@example.com/token")),
        ("auth_method", json!("private_key_jwt")),
        ("refresh_margin_seconds", json!(86_401)),
        ("refresh_margin_seconds", json!(-1)),
        ("client_secret", json!("")),
        ("client_secret", json!("sécret")),
        ("client_id", json!("x".repeat(513))),
        ("key", json!("a/b")),
        ("scopes", json!("openid")),
    ] {
        let mut bad = body.clone();
        bad["key"] = json!("other");
        bad[field] = value;
        api.admin("POST", &configs, Some(bad)).await.invalid(field);
    }
    let mut missing = body.clone();
    missing.as_object_mut().unwrap().remove("client_secret");
    api.admin("POST", &configs, Some(missing))
        .await
        .invalid("client_secret");
    api.admin(
        "PATCH",
        &one,
        Some(json!({ "token_url": "http://10.0.0.1/t" })),
    )
    .await
    .invalid("token_url");
    // Read-only fields are no input: refused as unknown, by name.
    api.admin("PATCH", &one, Some(json!({ "key": "renamed" })))
        .await
        .invalid("key");
    api.admin(
        "PATCH",
        &one,
        Some(json!({ "redirect_uri": "https://elsewhere.example/oauth/callback" })),
    )
    .await
    .invalid("redirect_uri");
    // Loopback http is allowed, for local development.
    api.admin(
        "PATCH",
        &one,
        Some(json!({ "token_url": "http://localhost:9/token", "client_secret": "local-secret" })),
    )
    .await
    .ok(200);

    api.admin("DELETE", &one, None).await.ok(204);
    api.admin("GET", &one, None).await.error(404, "not_found");
    api.admin("DELETE", &one, None)
        .await
        .error(404, "not_found");
    api.admin("GET", "/v1/admin/sites/site_none/provider_configs", None)
        .await
        .error(404, "not_found");
    api.get(&site.token, &configs)
        .await
        .error(401, "unauthenticated");
}

/// An update that sends the stored values changes nothing: `updated_at` stays, as no event is
/// recorded. A client secret is always a change (write-only, it cannot be compared), as is a
/// new value.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_provider_configuration_updated_to_its_stored_values_keeps_updated_at() {
    let server = Server::shared();
    let api = server.api();
    let site = api.site().await;
    let mut body = json!({
        "key": "google-prod",
        "provider": "google",
        "token_url": "https://oauth2.googleapis.com/token",
        "authorization_url": "https://accounts.google.com/o/oauth2/v2/auth",
        "authorization_params": { "access_type": "offline", "prompt": "consent" },
        "client_id": "id-1",
        "client_secret": "very-secret-value",
        "auth_method": "client_secret_post",
        "scopes": ["openid", "email"],
        "refresh_margin_seconds": 120,
    });
    api.provider_config(&site.id, body.clone()).await;
    let one = format!("/v1/admin/sites/{}/provider_configs/google-prod", site.id);
    let updates = "&type=provider_config.updated&target_id=google-prod";
    let rows = format!("site_id = '{}'", site.id);
    let day_ago = common::updated_a_day_ago(&server.database, "provider_configs", &rows);
    let before = api.admin("GET", &one, None).await.ok(200).clone();
    assert_eq!(before["updated_at"], day_ago.as_str());
    let stored = body.as_object_mut().unwrap();
    stored.remove("key");
    stored.remove("client_secret");
    let same = api.admin("PATCH", &one, Some(body)).await;
    assert_eq!(same.ok(200), &before);
    assert!(common::all_events(&api, &site.id, updates).await.is_empty());

    let secret = json!({ "client_secret": "another-secret" });
    let replaced = api.admin("PATCH", &one, Some(secret)).await;
    assert_ne!(replaced.ok(200)["updated_at"], day_ago.as_str());
    let day_ago = common::updated_a_day_ago(&server.database, "provider_configs", &rows);
    let margin = json!({ "refresh_margin_seconds": 60 });
    let changed = api.admin("PATCH", &one, Some(margin)).await;
    assert_ne!(changed.ok(200)["updated_at"], day_ago.as_str());
    assert_eq!(common::all_events(&api, &site.id, updates).await.len(), 2);
}

/// Moving `token_url` to another origin takes the client secret in the same PATCH: the stored
/// one was given for the old endpoint, and the next refresh would send it, with every
/// connection's refresh token, to the new host. A new path on the same origin keeps it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_url_on_another_origin_needs_the_client_secret_again() {
    let s = Setup::new(Server::shared(), "client_secret_basic", 10).await;
    let config = format!("/v1/admin/sites/{}/provider_configs/{}", s.site.id, s.key);
    let elsewhere = Provider::start().await;
    let refused = s
        .api
        .admin(
            "PATCH",
            &config,
            Some(json!({ "token_url": elsewhere.token_url, "client_id": elsewhere.client_id })),
        )
        .await;
    refused.invalid("client_secret");
    assert!(refused.text.contains("another origin"), "{}", refused.text);
    let kept = s.api.admin("GET", &config, None).await;
    assert_eq!(kept.ok(200)["token_url"], s.provider.token_url.as_str());
    assert_eq!(kept.body["client_id"], s.provider.client_id.as_str());

    // Another path on the same origin keeps the secret.
    for path in ["/oauth/token", "/token"] {
        let url = format!("{}{path}", s.provider.origin());
        let moved = s
            .api
            .admin("PATCH", &config, Some(json!({ "token_url": url })))
            .await;
        assert_eq!(moved.ok(200)["token_url"], url.as_str());
    }

    // With the new endpoint's secret it moves, and the next refresh goes there.
    s.api
        .admin(
            "PATCH",
            &config,
            Some(json!({
                "token_url": elsewhere.token_url,
                "client_id": elsewhere.client_id,
                "client_secret": elsewhere.client_secret,
            })),
        )
        .await
        .ok(200);
    assert_eq!(access_token(&s.credentials("").await), "at-1");
    assert_eq!((s.provider.call_count(), elsewhere.call_count()), (0, 1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_client_invalidates_the_connection_too() {
    let s = Setup::new(Server::shared(), "client_secret_basic", 10).await;
    s.api
        .admin(
            "PATCH",
            &format!("/v1/admin/sites/{}/provider_configs/{}", s.site.id, s.key),
            Some(json!({ "client_secret": "not-the-secret" })),
        )
        .await
        .ok(200);
    s.credentials("").await.error(409, "connection_invalid");
    assert_eq!(
        s.connection().await["refresh_error"]["code"],
        "invalid_client"
    );
    assert_eq!(s.provider.call_count(), 1);
}

/// What a refresh got is stored even when the first write of it fails (here a lock on the
/// connection's row held past the server's lock_timeout, on PostgreSQL): the write is tried again
/// while the lease lasts, for the provider may have rotated the refresh token already.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refresh_whose_first_write_back_fails_stores_its_tokens() {
    if !common::on_postgres() {
        return;
    }
    let server = Server::start();
    let s = Setup::new(&server, "client_secret_basic", -1).await;
    s.provider.hold();
    let reader = s.read_held_by_the_provider().await;
    let lock = format!(
        "SELECT id FROM connections WHERE id = '{}' FOR UPDATE;",
        s.connection
    );
    let held = common::Held::begin(&server, &lock).await;
    s.provider.release();
    server
        .logs_when(|logs| logs.contains("storing a refresh's tokens failed; trying again"))
        .await;
    held.commit();
    assert_eq!(access_token(&reader.await.unwrap()), "at-1");
    let stored = s.credentials("").await;
    assert_eq!(access_token(&stored), "at-1");
    assert_eq!(stored.ok(200)["fields"]["refresh_token"], "rt-1");
    assert_eq!(s.provider.call_count(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refresh_its_client_left_is_finished_and_stored_before_a_shutdown() {
    let server = Server::start();
    let s = Setup::new(&server, "client_secret_basic", 30).await;
    s.provider.set_delay(Duration::from_secs(2));
    // The client gives up once the provider has the call, while it thinks; the refresh goes on
    // in a task of its own.
    let read = s.read_held_by_the_provider().await;
    read.abort();
    assert!(read.await.unwrap_err().is_cancelled());
    // Stopped before the provider answers: the rotated refresh token must not be lost.
    let stopped = tokio::task::spawn_blocking(move || (server.stop(), server))
        .await
        .unwrap();
    assert!(stopped.0.success());
    let restarted = Server::start_with(stopped.1.same_data());
    let stored = restarted
        .api()
        .get(&s.site.token, "/v1/connections/credentials/google")
        .await;
    assert_eq!(access_token(&stored), "at-1");
    assert_eq!(
        stored.ok(200)["fields"]["refresh_token"],
        s.provider.current_refresh_token()
    );
    assert_eq!(s.provider.call_count(), 1);
}
