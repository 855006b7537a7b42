//! `docs/openapi.yaml` against the server: the same routes as the router table, a consistent
//! document, and real answers that match the documented schemas.

mod common;

use std::collections::{BTreeSet, HashSet};

use common::provider::{Mode, Provider};
use common::{connection_body, Server};
use credport_server::routes::ROUTES;
use serde_json::{json, Value};

const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

fn spec() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/openapi.yaml");
    let text = std::fs::read_to_string(path).unwrap();
    serde_norway::from_str(&text).unwrap()
}

/// Every (method, path, operation) of the document.
fn operations(spec: &Value) -> Vec<(String, String, &Value)> {
    let mut out = Vec::new();
    for (path, item) in spec["paths"].as_object().unwrap() {
        for method in METHODS {
            if let Some(op) = item.get(method) {
                out.push((method.to_uppercase(), path.clone(), op));
            }
        }
    }
    out
}

/// Follows a local `$ref`.
fn resolve<'a>(spec: &'a Value, value: &'a Value) -> &'a Value {
    match value.get("$ref").and_then(Value::as_str) {
        Some(reference) => {
            let pointer = reference.strip_prefix('#').expect("local $ref");
            resolve(
                spec,
                spec.pointer(pointer)
                    .unwrap_or_else(|| panic!("dangling {reference}")),
            )
        }
        None => value,
    }
}

#[test]
fn the_document_lists_exactly_the_router_table() {
    let spec = spec();
    assert!(spec["openapi"].as_str().unwrap().starts_with("3.1"));
    let documented: BTreeSet<(String, String)> = operations(&spec)
        .into_iter()
        .map(|(m, p, _)| (m, p))
        .collect();
    let served: BTreeSet<(String, String)> = ROUTES
        .iter()
        .map(|r| (r.method.as_str().to_owned(), r.path.to_owned()))
        .collect();
    assert_eq!(served.len(), ROUTES.len(), "ROUTES lists a route twice");
    assert_eq!(documented, served);
}

#[test]
fn every_reference_resolves() {
    fn walk(spec: &Value, value: &Value) {
        match value {
            Value::Object(map) => {
                if let Some(Value::String(_)) = map.get("$ref") {
                    resolve(spec, value);
                }
                map.values().for_each(|v| walk(spec, v));
            }
            Value::Array(items) => items.iter().for_each(|v| walk(spec, v)),
            _ => {}
        }
    }
    let spec = spec();
    walk(&spec, &spec);
}

#[test]
fn every_operation_documents_its_contract() {
    let spec = spec();
    let mut ids = HashSet::new();
    for (method, path, op) in operations(&spec) {
        let name = format!("{method} {path}");
        assert!(
            ids.insert(op["operationId"].as_str().unwrap().to_owned()),
            "{name}: duplicate operationId"
        );
        let responses = op["responses"].as_object().unwrap();
        // The browser's addresses (a connect's, the console's) take no token (nothing to refuse
        // or throttle), and may succeed with a redirect.
        let browser = path.starts_with("/oauth/") || path.starts_with("/console");
        assert!(
            responses
                .keys()
                .any(|s| s.starts_with('2') || (browser && s.starts_with('3'))),
            "{name}: no success"
        );
        let security = op.get("security").unwrap_or(&spec["security"]);
        // Probes and the browser's addresses (`security: []`) take no token: nothing to refuse,
        // nothing to count against one.
        let open = security.as_array().is_some_and(Vec::is_empty);
        let expected: &[&str] = if browser {
            &["500"]
        } else if open {
            &[]
        } else {
            &["401", "429", "500"]
        };
        for status in expected {
            assert!(
                responses.contains_key(*status),
                "{name}: {status} undocumented"
            );
        }
        let params: Vec<&Value> = op
            .get("parameters")
            .and_then(Value::as_array)
            .map(|p| p.iter().map(|p| resolve(&spec, p)).collect())
            .unwrap_or_default();
        for segment in path.split('/').filter(|s| s.starts_with('{')) {
            let param = segment.trim_matches(|c| c == '{' || c == '}');
            assert!(
                params
                    .iter()
                    .any(|p| p["in"] == "path" && p["name"] == param && p["required"] == true),
                "{name}: path parameter {param} undocumented"
            );
        }
        let admin = path.starts_with("/v1/admin/");
        let scheme = if admin {
            "adminToken"
        } else {
            "personalAccessToken"
        };
        if browser {
            assert!(open, "{name}: takes no token");
        } else {
            assert!(
                open || security[0].get(scheme).is_some(),
                "{name}: security is not {scheme}"
            );
        }
        if method == "POST" {
            assert!(
                params
                    .iter()
                    .any(|p| p["in"] == "header" && p["name"] == "Idempotency-Key"),
                "{name}: Idempotency-Key undocumented"
            );
        }
        if op.get("x-required-scope").is_some() {
            assert!(responses.contains_key("403"), "{name}: 403 undocumented");
        }
        if op.get("requestBody").is_some()
            || op.get("parameters").is_some_and(|p| {
                p.as_array()
                    .unwrap()
                    .iter()
                    .any(|p| resolve(&spec, p)["in"] == "query")
            })
        {
            assert!(responses.contains_key("400"), "{name}: 400 undocumented");
        }
    }
}

/// A small JSON Schema check for what the document uses: `$ref`, `type`, `const`, `enum`,
/// `format: date-time`, `properties`, `required`, `items`, `allOf`, `anyOf`, `oneOf`. Stricter
/// than JSON Schema in one way: an answer may only hold documented properties (unless the
/// schema says `additionalProperties: true`), so that nothing the server sends is undocumented.
struct Checker<'a> {
    spec: &'a Value,
    errors: Vec<String>,
}

impl Checker<'_> {
    fn check(&mut self, schema: &Value, value: &Value, at: &str, closed: bool) {
        let schema = resolve(self.spec, schema);
        if let Some(branches) = schema.get("allOf").and_then(Value::as_array) {
            for branch in branches {
                self.check(branch, value, at, false);
            }
        }
        for (key, exactly_one) in [("anyOf", false), ("oneOf", true)] {
            if let Some(branches) = schema.get(key).and_then(Value::as_array) {
                let passing = branches
                    .iter()
                    .filter(|b| {
                        let mut sub = Checker {
                            spec: self.spec,
                            errors: Vec::new(),
                        };
                        sub.check(b, value, at, closed);
                        sub.errors.is_empty()
                    })
                    .count();
                if passing == 0 || (exactly_one && passing > 1) {
                    self.errors
                        .push(format!("{at}: {passing} branches of {key} match {value}"));
                }
            }
        }
        if let Some(types) = schema.get("type") {
            let types: Vec<&str> = match types {
                Value::String(t) => vec![t.as_str()],
                Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
                _ => vec![],
            };
            let actual = match value {
                Value::Null => "null",
                Value::Bool(_) => "boolean",
                Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
                Value::Number(_) => "number",
                Value::String(_) => "string",
                Value::Array(_) => "array",
                Value::Object(_) => "object",
            };
            let ok = types.contains(&actual) || (actual == "integer" && types.contains(&"number"));
            if !ok {
                self.errors.push(format!("{at}: {actual} is not {types:?}"));
                return;
            }
        }
        if let Some(expected) = schema.get("const") {
            if value != expected {
                self.errors.push(format!("{at}: {value} is not {expected}"));
            }
        }
        if let Some(options) = schema.get("enum").and_then(Value::as_array) {
            if !options.contains(value) {
                self.errors
                    .push(format!("{at}: {value} is not one of {options:?}"));
            }
        }
        if schema.get("format") == Some(&json!("date-time")) {
            let ok = value.as_str().is_some_and(|s| {
                s.len() == 20
                    && s.ends_with('Z')
                    && credport_model::validate::parse_rfc3339(s).is_some()
            });
            if !ok {
                self.errors
                    .push(format!("{at}: {value} is not a UTC timestamp with seconds"));
            }
        }
        if let Value::Object(map) = value {
            for required in schema
                .get("required")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                if !map.contains_key(required.as_str().unwrap()) {
                    self.errors.push(format!("{at}: {required} missing"));
                }
            }
            if let Some(properties) = schema.get("properties").and_then(Value::as_object) {
                for (name, property) in properties {
                    if let Some(v) = map.get(name) {
                        self.check(property, v, &format!("{at}.{name}"), true);
                    }
                }
            }
            let declared = self.declared(schema);
            if closed
                && !declared.is_empty()
                && schema.get("additionalProperties") != Some(&json!(true))
            {
                for key in map.keys().filter(|k| !declared.contains(k.as_str())) {
                    self.errors
                        .push(format!("{at}: undocumented property {key}"));
                }
            }
        }
        if let (Value::Array(items), Some(item_schema)) = (value, schema.get("items")) {
            for (i, item) in items.iter().enumerate() {
                self.check(item_schema, item, &format!("{at}[{i}]"), true);
            }
        }
    }

    /// The property names a schema declares, through `allOf`.
    fn declared(&self, schema: &Value) -> HashSet<String> {
        let schema = resolve(self.spec, schema);
        let mut names: HashSet<String> = schema
            .get("properties")
            .and_then(Value::as_object)
            .map(|p| p.keys().cloned().collect())
            .unwrap_or_default();
        for branch in schema
            .get("allOf")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            names.extend(self.declared(branch));
        }
        names
    }
}

/// Checks an answer against the document; returns the (method, path) it covered.
fn conforms(spec: &Value, method: &str, template: &str, res: &common::Res) -> (String, String) {
    let op = &spec["paths"][template][method.to_lowercase()];
    assert!(op.is_object(), "{method} {template} undocumented");
    let status = res.status.to_string();
    let response = resolve(spec, &op["responses"][&status]);
    assert!(
        response.is_object(),
        "{method} {template}: status {status} undocumented: {}",
        res.text
    );
    for (name, _) in response
        .get("headers")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        if name == "x-request-id" || name == "Retry-After" {
            assert!(
                res.header(name).is_some(),
                "{method} {template}: header {name} missing"
            );
        }
    }
    if let Some(word) = response.pointer("/content/text~1plain/schema/const") {
        assert_eq!(res.text, word.as_str().unwrap(), "{method} {template}");
        return (method.to_owned(), template.to_owned());
    }
    match response.pointer("/content/application~1json/schema") {
        Some(schema) => {
            let mut checker = Checker {
                spec,
                errors: Vec::new(),
            };
            checker.check(schema, &res.body, "$", true);
            assert!(
                checker.errors.is_empty(),
                "{method} {template} {status}: {:#?}\n{}",
                checker.errors,
                res.text
            );
        }
        // Another media type (the console's pages and files): the answer's is one documented.
        None => match response.get("content").and_then(Value::as_object) {
            Some(types) => {
                let media_type = res
                    .header("content-type")
                    .and_then(|t| t.split(';').next())
                    .unwrap_or_default();
                assert!(
                    types.contains_key(media_type),
                    "{method} {template} {status}: {media_type} undocumented"
                );
            }
            None => assert!(
                res.text.is_empty(),
                "{method} {template}: body not documented"
            ),
        },
    }
    (method.to_owned(), template.to_owned())
}

#[tokio::test]
async fn real_answers_match_the_documented_schemas() {
    let spec = spec();
    let api = Server::shared().api();
    let mut covered = BTreeSet::new();
    let mut see = |method: &str, template: &str, res: &common::Res| {
        covered.insert(conforms(&spec, method, template, res));
    };

    let site = api
        .admin("POST", "/v1/admin/sites", Some(json!({ "name": "Docs" })))
        .await;
    see("POST", "/v1/admin/sites", &site);
    let site_id = site.body["id"].as_str().unwrap().to_owned();
    let token = api
        .admin(
            "POST",
            &format!("/v1/admin/sites/{site_id}/personal_access_tokens"),
            Some(json!({ "user_id": "docs", "name": "t" })),
        )
        .await;
    see(
        "POST",
        "/v1/admin/sites/{site}/personal_access_tokens",
        &token,
    );
    let pat = token.body["token"].as_str().unwrap().to_owned();
    let pat_id = token.body["id"].as_str().unwrap().to_owned();

    let mut body = connection_body("google");
    body["credentials"]["expires_at"] = json!("2030-01-01T00:00:00Z");
    let conn = api
        .admin(
            "POST",
            &format!("/v1/admin/sites/{site_id}/connections"),
            Some(body),
        )
        .await;
    see("POST", "/v1/admin/sites/{site}/connections", &conn);
    let conn_id = conn.body["id"].as_str().unwrap().to_owned();
    let admin_conn = format!("/v1/admin/sites/{site_id}/connections/{conn_id}");
    see(
        "PATCH",
        "/v1/admin/sites/{site}/connections/{id}",
        &api.admin("PATCH", &admin_conn, Some(json!({ "status": "active" })))
            .await,
    );
    see(
        "GET",
        "/v1/admin/sites",
        &api.admin("GET", "/v1/admin/sites", None).await,
    );
    see(
        "GET",
        "/v1/admin/sites/{site}/connections",
        &api.admin(
            "GET",
            &format!("/v1/admin/sites/{site_id}/connections"),
            None,
        )
        .await,
    );
    see(
        "GET",
        "/v1/admin/sites/{site}/connections/{id}",
        &api.admin("GET", &admin_conn, None).await,
    );
    see(
        "GET",
        "/v1/connections",
        &api.get(&pat, "/v1/connections").await,
    );
    see(
        "GET",
        "/v1/connections/{id}",
        &api.get(&pat, &format!("/v1/connections/{conn_id}")).await,
    );
    see(
        "GET",
        "/v1/connections/credentials/{provider}",
        &api.get(&pat, "/v1/connections/credentials/google").await,
    );

    // Token refresh: a provider configuration for a local token endpoint and an oauth2
    // connection that uses it.
    let provider = Provider::start().await;
    let configs = format!("/v1/admin/sites/{site_id}/provider_configs");
    let config = api
        .admin(
            "POST",
            &configs,
            Some(provider.config_body("docs-oauth", "client_secret_post")),
        )
        .await;
    see("POST", "/v1/admin/sites/{site}/provider_configs", &config);
    see(
        "GET",
        "/v1/admin/sites/{site}/provider_configs",
        &api.admin("GET", &configs, None).await,
    );
    let one_config = format!("{configs}/docs-oauth");
    see(
        "GET",
        "/v1/admin/sites/{site}/provider_configs/{key}",
        &api.admin("GET", &one_config, None).await,
    );
    see(
        "PATCH",
        "/v1/admin/sites/{site}/provider_configs/{key}",
        &api.admin(
            "PATCH",
            &one_config,
            Some(json!({
                "refresh_margin_seconds": 120,
                "authorization_url": provider.authorization_url,
                "authorization_params": { "prompt": "consent" }
            })),
        )
        .await,
    );

    // Connect: a session, its link, the provider's answer at the callback (another provider,
    // so that the refresh below finds its token endpoint as it left it).
    let connecting = Provider::start().await;
    api.admin(
        "POST",
        &configs,
        Some(connecting.connect_config_body("docs-connect", "client_secret_basic")),
    )
    .await
    .ok(201);
    let sessions = format!("/v1/admin/sites/{site_id}/connect_sessions");
    let session = api
        .admin(
            "POST",
            &sessions,
            Some(json!({ "provider_config_key": "docs-connect", "metadata": { "a": 1 } })),
        )
        .await;
    see("POST", "/v1/admin/sites/{site}/connect_sessions", &session);
    let opened = common::browse(session.body["url"].as_str().unwrap()).await;
    see("GET", "/oauth/connect/{link}", &opened);
    let answered = common::browse(opened.header("location").unwrap()).await;
    let callback = common::browse(answered.header("location").unwrap()).await;
    see("GET", "/oauth/callback", &callback);
    see(
        "GET",
        "/oauth/connect/{link}",
        &common::browse(session.body["url"].as_str().unwrap()).await,
    );
    see(
        "GET",
        "/oauth/callback",
        &common::browse(answered.header("location").unwrap()).await,
    );
    let session_id = session.body["id"].as_str().unwrap();
    let done = api
        .admin("GET", &format!("{sessions}/{session_id}"), None)
        .await;
    assert_eq!(done.body["status"], "succeeded", "{}", done.text);
    see("GET", "/v1/admin/sites/{site}/connect_sessions/{id}", &done);
    let oauth = api
        .connection(
            &site_id,
            json!({
                "provider": "gmail",
                "provider_config_key": "docs-oauth",
                "credentials": {
                    "type": "oauth2",
                    "fields": { "access_token": "at-0", "refresh_token": "rt-0" }
                }
            }),
        )
        .await;
    let refreshed = api
        .admin(
            "POST",
            &format!(
                "/v1/admin/sites/{site_id}/connections/{}/refresh",
                oauth["id"].as_str().unwrap()
            ),
            None,
        )
        .await;
    assert!(refreshed.body["last_refreshed_at"].is_string());
    see(
        "POST",
        "/v1/admin/sites/{site}/connections/{id}/refresh",
        &refreshed,
    );
    let forced = api
        .get(&pat, "/v1/connections/credentials/gmail?force_refresh=true")
        .await;
    assert_eq!(forced.body["fields"]["access_token"], "at-2");
    see("GET", "/v1/connections/credentials/{provider}", &forced);
    provider.set_mode(Mode::Refuse);
    see(
        "GET",
        "/v1/connections/credentials/{provider}",
        &api.get(&pat, "/v1/connections/credentials/gmail?force_refresh=true")
            .await,
    );
    see(
        "GET",
        "/v1/connections",
        &api.get(&pat, "/v1/connections?provider=gmail").await,
    );
    see(
        "DELETE",
        "/v1/admin/sites/{site}/provider_configs/{key}",
        &api.admin("DELETE", &one_config, None).await,
    );

    let key = api
        .post(
            &pat,
            "/v1/api_keys",
            json!({ "name": "k", "subject": "s", "claims": [1, "two"] }),
        )
        .await;
    see("POST", "/v1/api_keys", &key);
    let key_id = key.body["id"].as_str().unwrap().to_owned();
    let secret = key.body["secret"].clone();
    see("GET", "/v1/api_keys", &api.get(&pat, "/v1/api_keys").await);
    see(
        "GET",
        "/v1/api_keys/{id}",
        &api.get(&pat, &format!("/v1/api_keys/{key_id}")).await,
    );
    see(
        "PATCH",
        "/v1/api_keys/{id}",
        &api.patch(
            &pat,
            &format!("/v1/api_keys/{key_id}"),
            json!({ "description": "d" }),
        )
        .await,
    );
    see(
        "GET",
        "/v1/api_keys/{id}/secret",
        &api.get(&pat, &format!("/v1/api_keys/{key_id}/secret"))
            .await,
    );
    see(
        "POST",
        "/v1/api_keys/verify",
        &api.post(&pat, "/v1/api_keys/verify", json!({ "secret": secret }))
            .await,
    );
    see(
        "POST",
        "/v1/api_keys/verify",
        &api.post(
            &pat,
            "/v1/api_keys/verify",
            json!({ "secret": format!("cpk_{}", "x".repeat(40)) }),
        )
        .await,
    );
    see(
        "GET",
        "/v1/admin/sites/{site}/api_keys",
        &api.admin("GET", &format!("/v1/admin/sites/{site_id}/api_keys"), None)
            .await,
    );
    see(
        "POST",
        "/v1/api_keys/{id}/revoke",
        &api.post(
            &pat,
            &format!("/v1/api_keys/{key_id}/revoke"),
            json!({ "revocation_reason": "r" }),
        )
        .await,
    );
    see(
        "POST",
        "/v1/admin/sites/{site}/api_keys/{id}/revoke",
        &api.admin(
            "POST",
            &format!("/v1/admin/sites/{site_id}/api_keys/{key_id}/revoke"),
            None,
        )
        .await,
    );
    see(
        "DELETE",
        "/v1/api_keys/{id}",
        &api.delete(&pat, &format!("/v1/api_keys/{key_id}")).await,
    );

    let created = api
        .post(&pat, "/v1/personal_access_tokens", json!({ "name": "n" }))
        .await;
    see("POST", "/v1/personal_access_tokens", &created);
    see(
        "GET",
        "/v1/personal_access_tokens",
        &api.get(&pat, "/v1/personal_access_tokens").await,
    );
    see(
        "GET",
        "/v1/personal_access_tokens/{id}",
        &api.get(&pat, &format!("/v1/personal_access_tokens/{pat_id}"))
            .await,
    );
    let other = created.body["id"].as_str().unwrap();
    see(
        "POST",
        "/v1/personal_access_tokens/{id}/revoke",
        &api.post(
            &pat,
            &format!("/v1/personal_access_tokens/{other}/revoke"),
            json!({}),
        )
        .await,
    );
    see(
        "DELETE",
        "/v1/admin/sites/{site}/connections/{id}",
        &api.admin("DELETE", &admin_conn, None).await,
    );
    see(
        "GET",
        "/v1/admin/sites/{site}/personal_access_tokens",
        &api.admin(
            "GET",
            &format!("/v1/admin/sites/{site_id}/personal_access_tokens?user_id=docs"),
            None,
        )
        .await,
    );
    see(
        "POST",
        "/v1/admin/sites/{site}/personal_access_tokens/{id}/revoke",
        &api.admin(
            "POST",
            &format!("/v1/admin/sites/{site_id}/personal_access_tokens/{other}/revoke"),
            None,
        )
        .await,
    );

    // The probes, without a token.
    for probe in ["/healthz", "/readyz"] {
        see(
            "GET",
            probe,
            &api.request("GET", probe, None, None, &[]).await,
        );
    }
    // The audit log, and a webhook endpoint on a public address whose types no event has
    // (nothing is ever sent to it).
    see(
        "GET",
        "/v1/admin/sites/{site}/events",
        &api.admin(
            "GET",
            &format!("/v1/admin/sites/{site_id}/events?limit=5"),
            None,
        )
        .await,
    );
    let hooks = format!("/v1/admin/sites/{site_id}/webhook_endpoints");
    let hook = api
        .admin(
            "POST",
            &hooks,
            Some(json!({ "url": "https://93.184.216.34/hook", "types": ["site.created"] })),
        )
        .await;
    see("POST", "/v1/admin/sites/{site}/webhook_endpoints", &hook);
    let one_hook = format!("{hooks}/{}", hook.body["id"].as_str().unwrap());
    see(
        "GET",
        "/v1/admin/sites/{site}/webhook_endpoints",
        &api.admin("GET", &hooks, None).await,
    );
    see(
        "GET",
        "/v1/admin/sites/{site}/webhook_endpoints/{id}",
        &api.admin("GET", &one_hook, None).await,
    );
    see(
        "PATCH",
        "/v1/admin/sites/{site}/webhook_endpoints/{id}",
        &api.admin("PATCH", &one_hook, Some(json!({ "description": "docs" })))
            .await,
    );
    see(
        "GET",
        "/v1/admin/sites/{site}/webhook_endpoints/{id}/deliveries",
        &api.admin("GET", &format!("{one_hook}/deliveries"), None)
            .await,
    );
    see(
        "DELETE",
        "/v1/admin/sites/{site}/webhook_endpoints/{id}",
        &api.admin("DELETE", &one_hook, None).await,
    );

    // Errors have the documented body too.
    see(
        "GET",
        "/v1/api_keys/{id}",
        &api.get(&pat, "/v1/api_keys/ak_none").await,
    );
    see(
        "POST",
        "/v1/api_keys",
        &api.post(&pat, "/v1/api_keys", json!({})).await,
    );
    see(
        "GET",
        "/v1/connections",
        &api.get("cpat_nope", "/v1/connections").await,
    );

    // The console: its page (or the 503 of a binary built without it) and a file it lacks.
    see(
        "GET",
        "/console",
        &api.request("GET", "/console", None, None, &[]).await,
    );
    see(
        "GET",
        "/console/{file}",
        &api.request("GET", "/console/none.js", None, None, &[])
            .await,
    );
    // The browser's copy of the page, asked about again: 304.
    if credport_server::console::built() {
        let page = api.request("GET", "/console", None, None, &[]).await;
        let tag = page.header("etag").unwrap().to_owned();
        let again = api
            .request("GET", "/console", None, None, &[("if-none-match", &tag)])
            .await;
        assert_eq!(again.status, 304);
        see("GET", "/console", &again);
    }

    let served: BTreeSet<(String, String)> = ROUTES
        .iter()
        .map(|r| (r.method.as_str().to_owned(), r.path.to_owned()))
        .collect();
    assert_eq!(
        covered, served,
        "every route was checked against the document"
    );
}

#[test]
fn the_document_states_the_servers_input_rules() {
    use credport_model::validate::{MAX_LABEL, MAX_PAGE_SIZE, MAX_SCOPES};
    let spec = spec();
    let schemas = &spec["components"]["schemas"];
    let label = &schemas["Label"];
    assert_eq!(label["minLength"], 1);
    assert_eq!(label["maxLength"], MAX_LABEL);
    let pattern = label["pattern"].as_str().unwrap();
    // The format characters the server refuses in labels, as the pattern spells them.
    for refused in [
        r"\u202A-\u202E",
        r"\u200B-\u200F",
        r"\u2066-\u206F",
        r"\uFEFF",
        r"\u0000-\u001F",
        // Beyond the Basic Multilingual Plane the pattern holds the characters themselves.
        "\u{110BD}\u{110CD}\u{13430}-\u{1343F}\u{1BCA0}-\u{1BCA3}\u{1D173}-\u{1D17A}\u{E0001}\u{E0020}-\u{E007F}",
    ] {
        assert!(
            pattern.contains(refused),
            "{refused} missing from {pattern}"
        );
    }
    assert_eq!(
        schemas["LabelFilter"]["maxLength"], MAX_LABEL,
        "query filters are labels too"
    );
    for name in ["CreatePersonalAccessToken", "CreateSiteToken"] {
        let list = &schemas[name]["properties"]["scopes"]["oneOf"][0];
        assert_eq!(list["minItems"], 1, "{name}: an empty scope list is 400");
        assert_eq!(list["maxItems"], MAX_SCOPES, "{name}");
    }
    // Any non-empty secret is verified, however long (the body limit bounds it).
    let secret = &schemas["VerifyApiKey"]["properties"]["secret"];
    assert_eq!(
        (secret["minLength"].clone(), secret["maxLength"].clone()),
        (json!(1), Value::Null)
    );
    for name in ["CreateApiKey", "UpdateApiKey"] {
        let seconds = &schemas[name]["properties"]["seconds_until_expiration"];
        assert_eq!(seconds["type"], json!(["integer", "null"]), "{name}");
        assert_eq!(seconds["minimum"], 1, "{name}");
        assert_eq!(
            seconds["maximum"],
            credport_model::validate::MAX_SECONDS_UNTIL_EXPIRATION,
            "{name}"
        );
    }
    let list_keys = &spec["paths"]["/v1/api_keys"]["get"]["parameters"];
    let parameter = |name: &str| {
        list_keys
            .as_array()
            .unwrap()
            .iter()
            .map(|p| resolve(&spec, p))
            .find(|p| p["name"] == name)
            .unwrap()["schema"]["anyOf"][0]
            .clone()
    };
    assert_eq!(parameter("offset")["maximum"], u32::MAX);
    assert_eq!(parameter("limit")["maximum"], MAX_PAGE_SIZE);
}
