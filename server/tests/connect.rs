//! Connect (API.md "Connect"): a person makes a connection by authorizing at a stand-in provider
//! (`common::provider`: an authorization endpoint that approves or denies at once, and a token
//! endpoint that checks the client, the exact redirect URI and the PKCE verifier). The tests
//! follow each link as a browser does, one redirect at a time, and check what the person sees,
//! what is stored, every refusal, the state's single use (replayed, and two callbacks racing on
//! one instance or two sharing PostgreSQL), denial, a failing exchange, re-authorization, an
//! exchange finished after its browser hung up, and that no secret reaches a URL, a page, an
//! answer or the log.

mod common;

use std::collections::HashMap;
use std::time::Duration;

use common::provider::{s256, Decision, Mode, Provider};
use common::{browse, Api, Options, Res, Server, Site};
use reqwest::header::HeaderMap;
use serde_json::{json, Value};

/// The next address of a redirect.
#[track_caller]
fn location(res: &Res) -> String {
    res.header("location")
        .unwrap_or_else(|| panic!("no redirect ({}): {}", res.status, res.text))
        .to_owned()
}

/// Asserts one of credport's own pages: HTML, the strict policies, `status`; its text.
#[track_caller]
fn own_page(res: &Res, status: u16) -> &str {
    assert_eq!(res.status, status, "{}", res.text);
    assert_eq!(res.header("content-type"), Some("text/html; charset=utf-8"));
    credport_headers(&res.headers);
    &res.text
}

/// The headers every answer of `/oauth/*` carries.
#[track_caller]
fn credport_headers(headers: &HeaderMap) {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    };
    let csp = header("content-security-policy");
    assert!(
        csp.starts_with("default-src 'none'; style-src 'sha256-"),
        "{csp}"
    );
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    assert_eq!(header("referrer-policy"), "no-referrer");
    assert_eq!(header("cache-control"), "no-store");
}

fn query_of(url: &str) -> HashMap<String, String> {
    let query = url.split_once('?').map(|(_, q)| q).unwrap_or_default();
    form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect()
}

/// A site with a connecting provider configuration for a fresh stand-in provider.
struct Setup {
    api: Api,
    site: Site,
    provider: Provider,
    key: String,
}

impl Setup {
    /// The site's audit log, oldest first, as (type, target id, data).
    async fn events(&self) -> Vec<(String, String, Value)> {
        let path = format!("/v1/admin/sites/{}/events?limit=100", self.site.id);
        let page = self.api.admin("GET", &path, None).await.ok(200).clone();
        let mut events: Vec<_> = page["data"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| {
                let kind = e["type"].as_str().unwrap();
                kind.starts_with("connect.") || kind.starts_with("connection.")
            })
            .map(|e| {
                // The admin makes the session; the rest is the server's, for the browser (whose
                // requests take no token).
                let by = match e["type"] == "connect.created" {
                    true => "admin",
                    false => "server",
                };
                assert_eq!(e["actor"]["type"], by, "{e}");
                let target = e["target"]["id"].as_str().unwrap().to_owned();
                (
                    e["type"].as_str().unwrap().to_owned(),
                    target,
                    e["data"].clone(),
                )
            })
            .collect();
        events.reverse();
        events
    }

    async fn new(server: &Server, auth_method: &str) -> Setup {
        let api = server.api();
        let site = api.site().await;
        let provider = Provider::start().await;
        let key = format!("google-{}", common::random_hex(4));
        api.provider_config(&site.id, provider.connect_config_body(&key, auth_method))
            .await;
        Setup {
            api,
            site,
            provider,
            key,
        }
    }

    fn sessions(&self) -> String {
        format!("/v1/admin/sites/{}/connect_sessions", self.site.id)
    }

    async fn create(&self, body: Value) -> Res {
        self.api.admin("POST", &self.sessions(), Some(body)).await
    }

    /// A new session for the setup's configuration with `extra` fields: its answer.
    async fn session(&self, extra: Value) -> Value {
        let mut body = json!({ "provider_config_key": self.key });
        body.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        self.create(body).await.ok(201).clone()
    }

    async fn get_session(&self, id: &str) -> Value {
        self.api
            .admin("GET", &format!("{}/{id}", self.sessions()), None)
            .await
            .ok(200)
            .clone()
    }

    /// Opens `link` and lets the provider answer: the callback URL the browser is sent to.
    async fn authorize(&self, link: &str) -> String {
        let opened = browse(link).await;
        assert_eq!(opened.status, 302, "{}", opened.text);
        credport_headers(&opened.headers);
        let answered = browse(&location(&opened)).await;
        assert_eq!(answered.status, 302, "{}", answered.text);
        location(&answered)
    }

    /// A new connection made through the whole flow: its id.
    async fn connected(&self) -> String {
        let (session, done) = self.connect(json!({})).await;
        own_page(&done, 200);
        self.get_session(session["id"].as_str().unwrap()).await["connection_id"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// The whole flow for a new session with `extra` fields: (session, last answer).
    async fn connect(&self, extra: Value) -> (Value, Res) {
        let session = self.session(extra).await;
        let callback = self.authorize(session["url"].as_str().unwrap()).await;
        (session, browse(&callback).await)
    }

    /// Follows `callback` as a browser that hangs up once the provider has the code's exchange,
    /// which it holds until the test releases it.
    async fn leave_during_the_exchange(&self, callback: String) {
        self.provider.hold();
        let left = tokio::spawn(async move { browse(&callback).await });
        common::wait_until(
            "the code exchange reaching the provider",
            Duration::from_secs(10),
            || self.provider.call_count() > 0,
        )
        .await;
        left.abort();
        assert!(left.await.unwrap_err().is_cancelled());
    }

    async fn connection(&self, id: &str) -> Value {
        self.api
            .get(&self.site.token, &format!("/v1/connections/{id}"))
            .await
            .ok(200)
            .clone()
    }

    async fn connections(&self) -> Vec<Value> {
        self.api
            .get(&self.site.token, "/v1/connections")
            .await
            .ok(200)["payload"]
            .as_array()
            .unwrap()
            .clone()
    }

    async fn credentials(&self, query: &str) -> Res {
        self.api
            .get(
                &self.site.token,
                &format!("/v1/connections/credentials/google{query}"),
            )
            .await
    }
}

#[tokio::test]
async fn a_person_connects_and_the_connection_is_stored_and_refreshable() {
    let server = Server::shared();
    let setup = Setup::new(server, "client_secret_basic").await;
    let session = setup
        .session(json!({ "metadata": { "customer": "acme" } }))
        .await;
    assert_eq!(session["status"], "pending");
    assert!(session["id"].as_str().unwrap().starts_with("cs_"));
    let link = session["url"].as_str().unwrap();
    assert!(
        link.starts_with(&format!("{}/oauth/connect/", server.url)),
        "{link}"
    );
    let expires = credport_server::clock::parse(session["expires_at"].as_str().unwrap()).unwrap();
    let ahead = expires - credport_server::clock::now();
    assert!((590..=600).contains(&ahead), "{ahead}");

    // The link sends the browser to the provider with the code flow, PKCE and the exact
    // redirect URI.
    let opened = browse(link).await;
    assert_eq!(opened.status, 302, "{}", opened.text);
    let authorize = location(&opened);
    assert!(authorize.starts_with(&setup.provider.authorization_url));
    let asked = query_of(&authorize);
    assert_eq!(asked["response_type"], "code");
    assert_eq!(asked["client_id"], setup.provider.client_id);
    assert_eq!(
        asked["redirect_uri"],
        format!("{}/oauth/callback", server.url)
    );
    assert_eq!(asked["scope"], "openid email");
    assert_eq!(asked["code_challenge_method"], "S256");
    assert_eq!(asked["access_type"], "offline");
    assert_eq!(asked["prompt"], "consent");
    let state = &asked["state"];
    assert!(state.len() >= 22 && state.bytes().all(|b| b.is_ascii_alphanumeric()));
    assert!(!authorize.contains(&setup.provider.client_secret));

    let answered = browse(&authorize).await;
    let done = browse(&location(&answered)).await;
    let page = own_page(&done, 200);
    assert!(page.contains("Connected to google."), "{page}");
    assert!(page.contains("You can close this window."));

    // The token endpoint got the code with the verifier of the challenge and the same
    // redirect URI, the client authenticated by HTTP Basic.
    let calls = setup.provider.calls();
    assert_eq!(calls.len(), 1);
    let exchange = &calls[0];
    assert_eq!(exchange.form["grant_type"], "authorization_code");
    assert_eq!(exchange.form["redirect_uri"], asked["redirect_uri"]);
    assert_eq!(
        s256(&exchange.form["code_verifier"]),
        asked["code_challenge"]
    );
    assert!(exchange
        .authorization
        .as_deref()
        .unwrap()
        .starts_with("Basic "));
    assert!(!exchange.form.contains_key("client_secret"));

    let session = setup.get_session(session["id"].as_str().unwrap()).await;
    assert_eq!(session["status"], "succeeded");
    assert_eq!(session["error"], Value::Null);
    let connection_id = session["connection_id"].as_str().unwrap();
    let connection = setup
        .api
        .get(
            &setup.site.token,
            &format!("/v1/connections/{connection_id}"),
        )
        .await
        .ok(200)
        .clone();
    assert_eq!(connection["provider"], "google");
    assert_eq!(connection["provider_config_key"], setup.key.as_str());
    assert_eq!(connection["status"], "active");
    assert_eq!(connection["scopes"], json!(["openid", "email"]));
    assert_eq!(connection["credentials"]["type"], "oauth2");
    assert_eq!(connection["metadata"], json!({ "customer": "acme" }));
    assert!(connection["token_expires_at"].is_string());

    // The audit log has the session made and its link opened, then the connection the connect
    // made and the connect itself, and no secret.
    let events = setup.events().await;
    let kinds: Vec<&str> = events.iter().map(|(k, _, _)| k.as_str()).collect();
    assert_eq!(
        kinds,
        [
            "connect.created",
            "connect.opened",
            "connection.created",
            "connect.succeeded"
        ]
    );
    let session_id = session["id"].as_str().unwrap();
    for (_, target, data) in [&events[0], &events[1], &events[3]] {
        assert_eq!(target, session_id);
        assert_eq!(data["provider_config_key"], setup.key.as_str());
    }
    assert_eq!(events[2].1, connection_id);
    assert_eq!(events[3].2["connection_id"], connection_id);
    let logged = serde_json::to_string(&events).unwrap();
    assert!(
        !logged.contains("at-1") && !logged.contains("rt-1"),
        "{logged}"
    );

    let credentials = setup.credentials("").await.ok(200).clone();
    let fields = &credentials["fields"];
    assert_eq!(fields["access_token"], "at-1");
    assert_eq!(fields["refresh_token"], "rt-1");
    assert_eq!(fields["token_type"], "Bearer");
    assert_eq!(fields["scope"], "openid email");

    // Refreshable from its first minute.
    let refreshed = setup
        .credentials("?force_refresh=true")
        .await
        .ok(200)
        .clone();
    assert_eq!(refreshed["fields"]["access_token"], "at-2");
    assert_eq!(
        setup.provider.calls()[1].form["grant_type"],
        "refresh_token"
    );
}

#[tokio::test]
async fn with_a_return_url_the_person_is_sent_back_with_the_outcome() {
    let server = Server::shared();
    let setup = Setup::new(server, "client_secret_post").await;
    let return_url = format!("{}/done?tab=connections", server.url);
    let (session, done) = setup.connect(json!({ "return_url": return_url })).await;
    assert_eq!(done.status, 303, "{}", done.text);
    credport_headers(&done.headers);
    let back = location(&done);
    assert!(back.starts_with(&format!("{return_url}&")), "{back}");
    let outcome = query_of(&back);
    assert_eq!(outcome["connect_session"], session["id"].as_str().unwrap());
    assert_eq!(outcome["result"], "success");
    let connection_id = &outcome["connection_id"];
    assert_eq!(
        setup.get_session(&outcome["connect_session"]).await["connection_id"],
        connection_id.as_str()
    );
    // client_secret_post: the client in the form.
    let exchange = &setup.provider.calls()[0];
    assert_eq!(exchange.form["client_secret"], setup.provider.client_secret);
    assert!(exchange.authorization.is_none());
    assert_eq!(setup.connections().await.len(), 1);
}

#[tokio::test]
async fn provider_configurations_answer_the_redirect_uri_of_the_public_url() {
    // Behind a proxy: browsers (and providers) reach the server at another address than the one
    // it listens on, and the redirect URI to register is the public one.
    let public = "https://credport.example.com/base";
    let server = Server::start_with(Options::default().env("CREDPORT_PUBLIC_URL", public));
    let redirect_uri = format!("{public}/oauth/callback");
    let setup = Setup::new(&server, "client_secret_basic").await;
    let configs = format!("/v1/admin/sites/{}/provider_configs", setup.site.id);
    let one = format!("{configs}/{}", setup.key);

    // In every answer of the configuration routes: create, get, list, update.
    let created = setup
        .api
        .provider_config(
            &setup.site.id,
            setup
                .provider
                .config_body("refresh-only", "client_secret_basic"),
        )
        .await;
    assert_eq!(created["redirect_uri"], redirect_uri);
    let got = setup.api.admin("GET", &one, None).await.ok(200).clone();
    assert_eq!(got["redirect_uri"], redirect_uri);
    let list = setup.api.admin("GET", &configs, None).await.ok(200).clone();
    let listed: Vec<&Value> = list["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| &c["redirect_uri"])
        .collect();
    assert_eq!(listed, [&json!(redirect_uri), &json!(redirect_uri)]);
    let patched = setup
        .api
        .admin("PATCH", &one, Some(json!({ "scopes": ["email"] })))
        .await
        .ok(200)
        .clone();
    assert_eq!(patched["redirect_uri"], redirect_uri);

    // It is the one the server sends to the provider.
    let session = setup.session(json!({})).await;
    let link = session["url"].as_str().unwrap();
    assert!(link.starts_with(public), "{link}");
    let opened = browse(&link.replacen(public, &server.url, 1)).await;
    assert_eq!(opened.status, 302, "{}", opened.text);
    assert_eq!(query_of(&location(&opened))["redirect_uri"], redirect_uri);
    // The browser's cookie for the answer goes to the callback's public path, and only over
    // https (the public URL's).
    let cookie = opened.header("set-cookie").unwrap();
    assert!(cookie.contains("; Path=/base/oauth/callback;"), "{cookie}");
    assert!(
        cookie.contains("; HttpOnly; SameSite=Lax; Secure"),
        "{cookie}"
    );

    // Read-only: a request that sends it is refused, as any field the request does not have.
    let mut body = setup
        .provider
        .connect_config_body("other", "client_secret_basic");
    body["redirect_uri"] = json!(redirect_uri);
    setup
        .api
        .admin("POST", &configs, Some(body))
        .await
        .invalid("redirect_uri");
    let elsewhere = json!({ "redirect_uri": "https://elsewhere.example/oauth/callback" });
    setup
        .api
        .admin("PATCH", &one, Some(elsewhere))
        .await
        .invalid("redirect_uri");
    let kept = setup.api.admin("GET", &one, None).await.ok(200).clone();
    assert_eq!(kept, patched);
}

#[tokio::test]
async fn bad_session_input_is_a_400_naming_the_field() {
    let server = Server::shared();
    let setup = Setup::new(server, "client_secret_basic").await;
    let other = setup.api.site().await;
    let elsewhere = setup
        .api
        .connection(&other.id, common::connection_body("google"))
        .await;
    // A configuration that only refreshes.
    setup
        .api
        .admin(
            "POST",
            &format!("/v1/admin/sites/{}/provider_configs", setup.site.id),
            Some(
                setup
                    .provider
                    .config_body("refresh-only", "client_secret_basic"),
            ),
        )
        .await
        .ok(201);
    let key = setup.key.as_str();
    for (body, field) in [
        (
            json!({ "provider_config_key": "nope" }),
            "provider_config_key",
        ),
        (
            json!({ "provider_config_key": "refresh-only" }),
            "provider_config_key",
        ),
        (json!({}), "provider_config_key"),
        (
            json!({ "provider_config_key": key, "connection_id": elsewhere["id"] }),
            "connection_id",
        ),
        (
            json!({ "provider_config_key": key, "return_url": "http://evil.example/x" }),
            "return_url",
        ),
        (
            json!({ "provider_config_key": key, "return_url": "https://evil.example/x" }),
            "return_url",
        ),
        (
            json!({ "provider_config_key": key, "return_url": "javascript:alert(1)" }),
            "return_url",
        ),
        (
            json!({ "provider_config_key": key, "return_url": format!("{}#x", server.url) }),
            "return_url",
        ),
        (
            json!({ "provider_config_key": key, "metadata": [1] }),
            "metadata",
        ),
        (
            json!({ "provider_config_key": key, "color": "red" }),
            "color",
        ),
    ] {
        setup.create(body).await.invalid(field);
    }
    // A connection of the same site under another configuration.
    let mut body = common::connection_body("google");
    body["provider_config_key"] = json!("refresh-only");
    let mine = setup.api.connection(&setup.site.id, body).await;
    setup
        .create(json!({ "provider_config_key": key, "connection_id": mine["id"] }))
        .await
        .invalid("connection_id");

    let missing = setup
        .api
        .admin(
            "POST",
            "/v1/admin/sites/site_00000000000000000000/connect_sessions",
            Some(json!({ "provider_config_key": key })),
        )
        .await;
    missing.error(404, "not_found");
    let session = setup.session(json!({})).await;
    let id = session["id"].as_str().unwrap();
    setup
        .api
        .admin(
            "GET",
            &format!("/v1/admin/sites/{}/connect_sessions/{id}", other.id),
            None,
        )
        .await
        .error(404, "not_found");
    setup
        .api
        .get(&setup.site.token, &format!("{}/{id}", setup.sessions()))
        .await
        .error(401, "unauthenticated");
}

#[tokio::test]
async fn a_link_works_once_and_for_ten_minutes() {
    let server = Server::shared();
    let setup = Setup::new(server, "client_secret_basic").await;
    let link = setup.session(json!({})).await["url"]
        .as_str()
        .unwrap()
        .to_owned();
    // A link checker's HEAD does not spend it (nor would one at the callback spend a code).
    let api = server.api();
    for path in [link.trim_start_matches(&server.url), "/oauth/callback"] {
        let head = api.request("HEAD", path, None, None, &[]).await;
        assert_eq!(head.status, 405, "{path}");
        assert_eq!(head.header("allow"), Some("GET"));
    }
    assert_eq!(browse(&link).await.status, 302);
    let again = browse(&link).await;
    assert!(
        own_page(&again, 410).contains("already been used"),
        "{}",
        again.text
    );

    let unknown = format!("{}/oauth/connect/{}", server.url, "A".repeat(43));
    assert!(own_page(&browse(&unknown).await, 404).contains("not known"));
    let malformed = format!("{}/oauth/connect/%3Cscript%3E", server.url);
    let page = browse(&malformed).await;
    assert!(!own_page(&page, 404).contains("<script>"));
    // Not a link at all (a control character, bytes that are not UTF-8): the same page, not JSON.
    for path in ["%00", "%FF"] {
        let odd = format!("{}/oauth/connect/{path}", server.url);
        assert!(own_page(&browse(&odd).await, 404).contains("not known"));
    }

    let session = setup.session(json!({})).await;
    let id = session["id"].as_str().unwrap();
    common::execute_sql(
        &server.database,
        &format!("UPDATE connect_sessions SET expires_at = expires_at - 601 WHERE id = '{id}'"),
    );
    let late = browse(session["url"].as_str().unwrap()).await;
    assert!(own_page(&late, 410).contains("expired"), "{}", late.text);
    assert_eq!(setup.get_session(id).await["status"], "expired");

    // The configuration deleted before the link is opened: the session fails, no redirect.
    let session = setup.session(json!({})).await;
    setup
        .api
        .admin(
            "DELETE",
            &format!(
                "/v1/admin/sites/{}/provider_configs/{}",
                setup.site.id, setup.key
            ),
            None,
        )
        .await;
    let gone = browse(session["url"].as_str().unwrap()).await;
    assert!(own_page(&gone, 409).contains("deleted"), "{}", gone.text);
    let failed = setup.get_session(session["id"].as_str().unwrap()).await;
    assert_eq!(failed["status"], "failed");
    assert_eq!(failed["error"]["code"], "provider_config_changed");
    assert!(setup.provider.authorizations().is_empty());
    // ... and says so in the log, as a session failed at the callback does.
    let id = session["id"].as_str().unwrap();
    let events = setup.events().await;
    let failures: Vec<_> = events
        .iter()
        .filter(|(kind, target, _)| kind == "connect.failed" && target == id)
        .collect();
    assert_eq!(failures.len(), 1, "{events:?}");
    assert_eq!(failures[0].2["code"], "provider_config_changed");
}

#[tokio::test]
async fn a_missing_forged_replayed_or_expired_state_changes_nothing() {
    let server = Server::shared();
    let setup = Setup::new(server, "client_secret_basic").await;
    let callback = format!("{}/oauth/callback", server.url);
    own_page(&browse(&callback).await, 400);
    own_page(&browse(&format!("{callback}?code=x")).await, 400);
    let forged = browse(&format!("{callback}?code=x&state={}", "B".repeat(43))).await;
    assert!(own_page(&forged, 400).contains("does not belong"));

    let (_, done) = setup.connect(json!({})).await;
    own_page(&done, 200);
    let replay = setup.replayed_answer();
    let replayed = browse(&replay).await;
    assert!(
        own_page(&replayed, 400).contains("already been answered"),
        "{}",
        replayed.text
    );
    assert_eq!(setup.connections().await.len(), 1);
    assert_eq!(
        setup.provider.call_count(),
        1,
        "a replayed answer is not exchanged"
    );

    // A state given twice is not believed.
    let session = setup.session(json!({})).await;
    let answer = setup.authorize(session["url"].as_str().unwrap()).await;
    let state = query_of(&answer)["state"].clone();
    own_page(&browse(&format!("{answer}&state={state}")).await, 400);
    // The person took longer than ten minutes at the provider.
    let id = session["id"].as_str().unwrap();
    common::execute_sql(
        &server.database,
        &format!("UPDATE connect_sessions SET expires_at = expires_at - 601 WHERE id = '{id}'"),
    );
    assert!(own_page(&browse(&answer).await, 400).contains("expired"));
    assert_eq!(setup.get_session(id).await["status"], "expired");
    assert_eq!(setup.connections().await.len(), 1);
    assert_eq!(setup.provider.call_count(), 1);
}

impl Setup {
    /// The callback URL of the first (already answered) authorization, rebuilt from what the
    /// provider recorded: a replay.
    fn replayed_answer(&self) -> String {
        let asked = self.provider.authorizations().last().unwrap().clone();
        let code = self.provider.calls()[0].form["code"].clone();
        format!(
            "{}?code={code}&state={}",
            asked["redirect_uri"], asked["state"]
        )
    }
}

#[tokio::test]
async fn two_callbacks_racing_with_one_state_make_one_connection() {
    let server = Server::shared();
    // On PostgreSQL the two callbacks go to two instances sharing the database.
    // Behind one load balancer they share the public URL, hence the redirect URI.
    let second = common::on_postgres()
        .then(|| Server::start_with(server.same_data().env("CREDPORT_PUBLIC_URL", &server.url)));
    let other_url = second
        .as_ref()
        .map_or(server.url.clone(), |s| s.url.clone());
    let setup = Setup::new(server, "client_secret_basic").await;
    setup.provider.set_delay(Duration::from_millis(300));
    for _ in 0..3 {
        let session = setup.session(json!({})).await;
        let answer = setup.authorize(session["url"].as_str().unwrap()).await;
        let elsewhere = answer.replacen(&server.url, &other_url, 1);
        let (a, b) = tokio::join!(browse(&answer), browse(&elsewhere));
        let mut statuses = [a.status, b.status];
        statuses.sort_unstable();
        assert_eq!(statuses, [200, 400], "{} / {}", a.text, b.text);
        assert_eq!(
            setup.get_session(session["id"].as_str().unwrap()).await["status"],
            "succeeded"
        );
    }
    assert_eq!(setup.connections().await.len(), 3);
    assert_eq!(setup.provider.call_count(), 3);
}

#[tokio::test]
async fn a_denial_fails_the_session_and_stores_nothing() {
    let server = Server::shared();
    let setup = Setup::new(server, "client_secret_basic").await;
    setup.provider.set_decision(Decision::Deny);
    let (session, done) = setup.connect(json!({})).await;
    let page = own_page(&done, 400);
    assert!(
        page.contains("Access was denied at the provider (access_denied)."),
        "{page}"
    );
    let session = setup.get_session(session["id"].as_str().unwrap()).await;
    assert_eq!(session["status"], "failed");
    assert_eq!(session["error"]["code"], "access_denied");
    assert_eq!(session["connection_id"], Value::Null);
    let events = setup.events().await;
    let kinds: Vec<&str> = events.iter().map(|(k, _, _)| k.as_str()).collect();
    assert_eq!(
        kinds,
        ["connect.created", "connect.opened", "connect.failed"],
        "no connection"
    );
    assert_eq!(events[2].1, session["id"].as_str().unwrap());
    assert_eq!(events[2].2["code"], "access_denied");

    let return_url = format!("{}/back", server.url);
    let (_, done) = setup.connect(json!({ "return_url": return_url })).await;
    assert_eq!(done.status, 303);
    let outcome = query_of(&location(&done));
    assert_eq!(outcome["result"], "error");
    assert_eq!(outcome["error"], "access_denied");
    assert!(!outcome.contains_key("connection_id"));
    assert!(setup.connections().await.is_empty());
    assert_eq!(setup.provider.call_count(), 0);
}

#[tokio::test]
async fn a_failing_exchange_fails_the_session_with_its_code() {
    let server = Server::shared();
    let setup = Setup::new(server, "client_secret_basic").await;
    for (mode, code) in [
        (Mode::Refuse, "invalid_grant"),
        (Mode::ServerError, "exchange_failed"),
        (Mode::Garbage, "exchange_failed"),
    ] {
        setup.provider.set_mode(mode);
        let (session, done) = setup.connect(json!({})).await;
        let page = own_page(&done, 400);
        assert!(page.contains(&format!("({code})")), "{page}");
        let session = setup.get_session(session["id"].as_str().unwrap()).await;
        assert_eq!(session["status"], "failed");
        assert_eq!(session["error"]["code"], code);
    }
    assert!(setup.connections().await.is_empty());
}

#[tokio::test]
async fn an_answer_from_another_issuer_is_refused() {
    let server = Server::shared();
    let setup = Setup::new(server, "client_secret_basic").await;
    setup.provider.set_issuer(Some("https://attacker.example"));
    let (session, done) = setup.connect(json!({})).await;
    assert!(own_page(&done, 400).contains("issuer_mismatch"));
    let session = setup.get_session(session["id"].as_str().unwrap()).await;
    assert_eq!(session["error"]["code"], "issuer_mismatch");
    assert_eq!(setup.provider.call_count(), 0, "the code is not exchanged");
    // An error answer is checked too (RFC 9207 §2.4): another issuer's denial is not recorded
    // as the provider's.
    setup.provider.set_decision(Decision::Deny);
    let (session, done) = setup.connect(json!({})).await;
    assert!(own_page(&done, 400).contains("issuer_mismatch"));
    let session = setup.get_session(session["id"].as_str().unwrap()).await;
    assert_eq!(session["error"]["code"], "issuer_mismatch");
    setup.provider.set_decision(Decision::Approve);

    setup.provider.set_issuer(Some(&setup.provider.origin()));
    let (_, done) = setup.connect(json!({})).await;
    own_page(&done, 200);
    assert_eq!(setup.connections().await.len(), 1);
}

#[tokio::test]
async fn re_authorizing_renews_an_invalid_connection() {
    let server = Server::shared();
    let setup = Setup::new(server, "client_secret_basic").await;
    let mut body = common::connection_body("google");
    body["provider_config_key"] = json!(setup.key);
    body["credentials"] = json!({
        "type": "oauth2",
        "fields": { "access_token": "old", "refresh_token": "revoked-at-the-provider" }
    });
    let connection = setup.api.connection(&setup.site.id, body).await;
    let id = connection["id"].as_str().unwrap();
    setup
        .credentials("?force_refresh=true")
        .await
        .error(409, "connection_invalid");
    let invalid = setup.connection(id).await;
    assert_eq!(invalid["status"], "invalid");
    assert_eq!(invalid["refresh_error"]["code"], "invalid_grant");

    let (session, done) = setup.connect(json!({ "connection_id": id })).await;
    own_page(&done, 200);
    let session = setup.get_session(session["id"].as_str().unwrap()).await;
    assert_eq!(session["connection_id"], id);
    let renewed = setup.connection(id).await;
    assert_eq!(renewed["status"], "active");
    assert_eq!(renewed["refresh_error"], Value::Null);
    assert_eq!(renewed["scopes"], json!(["openid", "email"]));
    assert_eq!(renewed["created_at"], invalid["created_at"]);
    assert_eq!(setup.connections().await.len(), 1, "no new connection");
    // Its event names what the re-authorization changed, from what to what.
    let path = format!(
        "/v1/admin/sites/{}/events?type=connection.updated&target_id={id}",
        setup.site.id
    );
    let updated = setup.api.admin("GET", &path, None).await.ok(200).clone();
    let data = &updated["data"][0]["data"];
    assert_eq!(data["status"], json!({ "from": "invalid", "to": "active" }));
    assert_eq!(data["refresh_error"]["from"]["code"], "invalid_grant");
    assert_eq!(data["refresh_error"]["to"], Value::Null);
    assert_eq!(data["scopes"]["to"], json!(["openid", "email"]));
    assert_eq!(data["credential_fields"], "replaced");
    let credentials = setup.credentials("").await.ok(200).clone();
    assert_eq!(credentials["fields"]["access_token"], "at-1");
    let refreshed = setup
        .credentials("?force_refresh=true")
        .await
        .ok(200)
        .clone();
    assert_eq!(refreshed["fields"]["access_token"], "at-2");
}

#[tokio::test]
async fn re_authorizing_keeps_the_refresh_token_the_provider_did_not_send_again() {
    let server = Server::shared();
    let setup = Setup::new(server, "client_secret_post").await;
    let id = setup.connected().await;
    let first = setup.credentials("").await.ok(200).clone();
    assert_eq!(first["fields"]["refresh_token"], "rt-1");

    // Asked again, the provider issues a new access token and no refresh token; rt-1 still
    // works there.
    setup.provider.set_refresh_token_for_codes(false);
    let (_, done) = setup.connect(json!({ "connection_id": id })).await;
    own_page(&done, 200);
    assert_eq!(setup.provider.current_refresh_token(), "rt-1");
    let renewed = setup.credentials("").await.ok(200).clone();
    assert_eq!(renewed["fields"]["access_token"], "at-2");
    assert_eq!(renewed["fields"]["refresh_token"], "rt-1");

    let refreshed = setup
        .credentials("?force_refresh=true")
        .await
        .ok(200)
        .clone();
    assert_eq!(refreshed["fields"]["access_token"], "at-3");
    assert_eq!(setup.connection(&id).await["status"], "active");
}

#[tokio::test]
async fn no_secret_reaches_a_url_a_page_an_answer_or_the_log() {
    // At debug level: what the libraries log too.
    let server = Server::start_with(Options::default().env("CREDPORT_LOG", "debug"));
    let setup = Setup::new(&server, "client_secret_basic").await;
    let session = setup.session(json!({})).await;
    let link = session["url"].as_str().unwrap().to_owned();
    let link_token = link.rsplit('/').next().unwrap().to_owned();
    let opened = browse(&link).await;
    let authorize = location(&opened);
    let state = query_of(&authorize)["state"].clone();
    let answered = location(&browse(&authorize).await);
    let code = query_of(&answered)["code"].clone();
    let done = browse(&answered).await;
    let page = own_page(&done, 200).to_owned();
    let verifier = setup.provider.calls()[0].form["code_verifier"].clone();
    let connection = setup.connections().await[0].clone();
    let answer = setup.get_session(session["id"].as_str().unwrap()).await;

    let secrets = [
        ("access token", "at-1".to_owned()),
        ("refresh token", "rt-1".to_owned()),
        ("code", code),
        ("verifier", verifier),
        ("client secret", setup.provider.client_secret.clone()),
        ("state", state.clone()),
        ("link", link_token.clone()),
    ];
    let logs = server.logs();
    for (what, secret) in &secrets {
        assert!(!logs.contains(secret.as_str()), "the {what} is in the log");
        assert!(!page.contains(secret.as_str()), "the {what} is on the page");
        assert!(
            !answer.to_string().contains(secret.as_str()),
            "the {what} is in the session"
        );
        assert!(
            !connection.to_string().contains(secret.as_str()),
            "the {what} is in the connection"
        );
    }
    // The link and the state are stored as hashes, the verifier encrypted (and wiped).
    let stored = common::stored_bytes(&server.database);
    let stored = String::from_utf8_lossy(&stored);
    for (what, secret) in &secrets[2..] {
        assert!(
            !stored.contains(secret.as_str()),
            "the {what} is stored in the clear"
        );
    }
    assert!(
        logs.contains(session["id"].as_str().unwrap()),
        "the log follows the session by id"
    );
}

#[tokio::test]
async fn a_database_of_version_2_keeps_its_provider_configurations() {
    // A database as the previous version left it: migrations 1 and 2, one configuration.
    let (_dir, database) = common::fresh_database();
    let (schema, recorded) = if common::on_postgres() {
        (
            [
                include_str!("../migrations/postgres/0001_init.sql"),
                include_str!("../migrations/postgres/0002_refresh.sql"),
            ],
            "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL,
                applied_at TIMESTAMPTZ NOT NULL DEFAULT now());
             INSERT INTO schema_migrations (version, name)
                VALUES (1, '0001_init.sql'), (2, '0002_refresh.sql');",
        )
    } else {
        (
            [
                include_str!("../migrations/sqlite/0001_init.sql"),
                include_str!("../migrations/sqlite/0002_refresh.sql"),
            ],
            "PRAGMA user_version = 2;",
        )
    };
    for sql in schema.into_iter().chain([recorded]) {
        common::execute_sql(&database, sql);
    }
    let site = "site_0000000000000000000v";
    let secret = if common::on_postgres() {
        r"'\x01'::bytea"
    } else {
        "X'01'"
    };
    common::execute_sql(
        &database,
        &format!(
            "INSERT INTO sites (id, name, created_at) VALUES ('{site}', 'Old site', 0);
             INSERT INTO provider_configs (site_id, key, provider, token_url, client_id,
                client_secret, auth_method, scopes, refresh_margin_seconds, created_at, updated_at)
             VALUES ('{site}', 'google-prod', 'google', 'https://oauth2.googleapis.com/token',
                'old-client', {secret}, 'client_secret_basic', '[\"email\"]', 300, 0, 0);"
        ),
    );
    let server = Server::start_with(Options {
        database: Some(database),
        ..Options::default()
    });
    let api = server.api();
    let config = format!("/v1/admin/sites/{site}/provider_configs/google-prod");
    let kept = api.admin("GET", &config, None).await.ok(200).clone();
    assert_eq!(kept["client_id"], "old-client");
    assert_eq!(kept["scopes"], json!(["email"]));
    assert_eq!(kept["authorization_url"], Value::Null);
    assert_eq!(kept["authorization_params"], json!({}));
    // It connects once it has an authorization URL.
    let sessions = format!("/v1/admin/sites/{site}/connect_sessions");
    let body = json!({ "provider_config_key": "google-prod" });
    api.admin("POST", &sessions, Some(body.clone()))
        .await
        .invalid("provider_config_key");
    let patch = json!({ "authorization_url": "https://accounts.google.com/o/oauth2/v2/auth" });
    api.admin("PATCH", &config, Some(patch)).await.ok(200);
    api.admin("POST", &sessions, Some(body)).await.ok(201);
}

#[tokio::test]
async fn guessing_links_or_states_is_throttled_like_wrong_tokens() {
    // Its own server: the count is per client address, and every test comes from 127.0.0.1.
    let server = Server::start();
    // The budget refills at one a second, so how many guesses it takes to reach the 429 depends
    // on how fast they go: guess until it comes (a loaded machine still sends more than one a
    // second), at most 300 times, and check that no guess of the first thirty was refused.
    let mut statuses = Vec::new();
    for i in 0..300 {
        let url = if i % 2 == 0 {
            format!("{}/oauth/connect/{}", server.url, common::random_hex(21))
        } else {
            format!(
                "{}/oauth/callback?code=x&state={}",
                server.url,
                "C".repeat(43)
            )
        };
        let res = browse(&url).await;
        statuses.push(res.status);
        if res.status == 429 {
            assert!(res.header("retry-after").is_some());
            assert!(own_page(&res, 429).contains("Too many"));
            break;
        }
    }
    assert!(
        statuses[..30].iter().all(|s| *s == 404 || *s == 400),
        "{statuses:?}"
    );
    assert_eq!(statuses.last(), Some(&429), "{statuses:?}");
}

/// A re-authorization whose provider sends no refresh token, finished while a refresh is storing
/// a rotated one (PostgreSQL): it keeps the rotated token, not the one it read before the
/// refresh committed. The refresh is held at the provider, then another client holds the row
/// until the refresh's write and the callback's both wait on it, in that order.
#[tokio::test]
async fn a_re_authorization_during_a_refresh_keeps_the_rotated_refresh_token() {
    if !common::on_postgres() {
        return;
    }
    let server = Server::start();
    let setup = Setup::new(&server, "client_secret_post").await;
    let id = setup.connected().await;
    setup.provider.set_refresh_token_for_codes(false);
    let again = setup.session(json!({ "connection_id": id })).await;
    let callback = setup.authorize(again["url"].as_str().unwrap()).await;

    setup.provider.hold();
    let calls = setup.provider.call_count();
    let (api, token) = (setup.api.clone(), setup.site.token.clone());
    let refresh = tokio::spawn(async move {
        let path = "/v1/connections/credentials/google?force_refresh=true";
        api.get(&token, path).await
    });
    common::wait_until(
        "the refresh at the provider",
        Duration::from_secs(10),
        || setup.provider.call_count() > calls,
    )
    .await;
    let held = common::Held::begin(
        &server,
        &format!("SELECT 1 FROM connections WHERE id = '{id}' FOR UPDATE;"),
    )
    .await;
    setup.provider.release();
    held.wait_for_waiters(1).await;
    let renewed = tokio::spawn(async move { browse(&callback).await });
    held.wait_for_waiters(2).await;
    held.commit();
    refresh.await.unwrap().ok(200);
    own_page(&renewed.await.unwrap(), 200);
    let rotated = setup.provider.current_refresh_token();
    let stored = setup.credentials("").await.ok(200).clone();
    assert_eq!(stored["fields"]["refresh_token"], rotated.as_str());
}

/// The provider's answer counts only in the browser that opened the link (RFC 9700 §4.7.1):
/// someone who opens their own link and has another person approve at the provider (sending
/// them the provider's page) gets nothing; the state is not spent, and the session's own
/// browser still finishes it.
#[tokio::test]
async fn an_answer_in_another_browser_is_refused_and_changes_nothing() {
    let server = Server::shared();
    let setup = Setup::new(server, "client_secret_basic").await;
    let session = setup.session(json!({})).await;
    let callback = setup.authorize(session["url"].as_str().unwrap()).await;
    let opened = browse(session["url"].as_str().unwrap()).await;
    assert_eq!(opened.status, 410, "the link is spent");

    let elsewhere = common::Cookies::default();
    let refused = common::browse_in(&elsewhere, &callback).await;
    assert!(own_page(&refused, 400).contains("in this browser"));
    let id = session["id"].as_str().unwrap();
    assert_eq!(setup.get_session(id).await["status"], "pending");
    assert_eq!(setup.provider.call_count(), 0, "no code exchanged");

    own_page(&browse(&callback).await, 200);
    assert_eq!(setup.get_session(id).await["status"], "succeeded");
}

/// A connection the database will not store after the code was exchanged (SQLite; a trigger of
/// the test's own refuses it): the session fails with `store_failed`, says so in the log, and
/// the person is sent back to the return URL with the error, as for any other failure.
#[tokio::test]
async fn a_connection_that_cannot_be_stored_fails_the_session_and_sends_the_person_back() {
    if common::on_postgres() {
        return;
    }
    let server = Server::start();
    let setup = Setup::new(&server, "client_secret_post").await;
    common::execute_sql(
        &server.database,
        "CREATE TRIGGER refuse_connections BEFORE INSERT ON connections \
         BEGIN SELECT RAISE(ABORT, 'refused by the test'); END",
    );
    let return_url = format!("{}/done", server.url);
    let (session, done) = setup.connect(json!({ "return_url": return_url })).await;
    assert_eq!(done.status, 303, "{}", done.text);
    let outcome = query_of(&location(&done));
    assert_eq!(outcome["result"], "error");
    assert_eq!(outcome["error"], "store_failed");
    let id = session["id"].as_str().unwrap();
    let failed = setup.get_session(id).await;
    assert_eq!(failed["status"], "failed");
    assert_eq!(failed["error"]["code"], "store_failed");
    let events = setup.events().await;
    assert!(
        events
            .iter()
            .any(|(kind, target, data)| kind == "connect.failed"
                && target == id
                && data["code"] == "store_failed"),
        "{events:?}"
    );
}

/// A browser that hangs up while the code is being exchanged (a tab closed, a proxy's timeout)
/// loses nothing: the state is spent by then and the provider takes each code once, so the
/// exchange and its write-back go on without the request, and the session ends as it would
/// have with the browser there.
#[tokio::test]
async fn a_callback_its_browser_left_is_finished_and_stored() {
    let server = Server::shared();
    let setup = Setup::new(server, "client_secret_basic").await;
    let session = setup.session(json!({})).await;
    let callback = setup.authorize(session["url"].as_str().unwrap()).await;
    setup.leave_during_the_exchange(callback).await;
    setup.provider.release();

    let id = session["id"].as_str().unwrap();
    let ended = common::eventually("the session ending", Duration::from_secs(10), || async {
        let session = setup.get_session(id).await;
        match session["status"] == "pending" {
            true => Err(session.to_string()),
            false => Ok(session),
        }
    })
    .await;
    assert_eq!(ended["status"], "succeeded", "{ended}");
    let connection_id = ended["connection_id"].as_str().unwrap();
    assert_eq!(setup.connection(connection_id).await["status"], "active");
    let events = setup.events().await;
    assert!(
        events
            .iter()
            .any(|(kind, target, data)| kind == "connect.succeeded"
                && target == id
                && data["connection_id"] == connection_id),
        "{events:?}"
    );
}

/// A shutdown waits for a callback whose browser left: stopped while the provider holds the
/// code's exchange, the server stores the connection before it exits.
#[tokio::test]
async fn a_callback_its_browser_left_is_finished_before_a_shutdown() {
    let server = Server::start();
    let setup = Setup::new(&server, "client_secret_post").await;
    let session = setup.session(json!({})).await;
    let callback = setup.authorize(session["url"].as_str().unwrap()).await;
    setup.leave_during_the_exchange(callback).await;
    server.send_signal(libc::SIGTERM);
    server
        .logs_when(|logs| logs.contains("shutting down"))
        .await;
    setup.provider.release();
    let stopped = tokio::task::spawn_blocking(move || (server.wait(), server))
        .await
        .unwrap();
    assert!(stopped.0.success());

    let restarted = Server::start_with(stopped.1.same_data());
    let path = format!("{}/{}", setup.sessions(), session["id"].as_str().unwrap());
    let ended = restarted.api().admin("GET", &path, None).await;
    assert_eq!(ended.ok(200)["status"], "succeeded", "{}", ended.text);
}

/// The code exchange reads the provider's answer as a refresh does: an optional member in an
/// odd form (`expires_in` as a float) does not throw away the tokens, and the connection is made
/// with the refresh token the provider issued.
#[tokio::test]
async fn an_exchange_answer_with_an_odd_optional_member_makes_the_connection() {
    let setup = Setup::new(Server::shared(), "client_secret_basic").await;
    setup
        .provider
        .set_answer_member("expires_in", json!(3600.0));
    setup.provider.set_answer_member("id_token", json!(42));
    let id = setup.connected().await;
    assert!(setup.connection(&id).await["token_expires_at"].is_string());
    let stored = setup.credentials("").await.ok(200).clone();
    assert_eq!(stored["fields"]["refresh_token"], "rt-1");
    assert!(stored["fields"].get("id_token").is_none());
    let refreshed = setup.credentials("?force_refresh=true").await;
    assert_eq!(refreshed.ok(200)["fields"]["access_token"], "at-2");
    assert_eq!(setup.provider.calls()[1].form["refresh_token"], "rt-1");
}
