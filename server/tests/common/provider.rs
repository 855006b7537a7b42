//! A stand-in for a third-party OAuth2 provider, on 127.0.0.1: an authorization endpoint
//! (RFC 6749 §4.1.1 with PKCE) that approves or denies at once, as a person would, and a token
//! endpoint for the authorization-code grant (§4.1.3: single-use codes, the exact redirect URI,
//! the PKCE verifier) and the refresh grant (§6). The token endpoint counts and records every
//! call, checks the client's authentication, rotates the refresh token on each success and
//! refuses a used one with `invalid_grant`, and can be told to be slow or to fail (500, 429,
//! garbage, `invalid_grant`).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use serde_json::json;

/// How the endpoint answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// New tokens for the current refresh token, `invalid_grant` for any other.
    Normal,
    /// 500 with an HTML page.
    ServerError,
    /// 429 with `Retry-After`.
    TooMany,
    /// 200 with a body that is not a token answer.
    Garbage,
    /// 400 `invalid_grant` whatever is sent.
    Refuse,
}

/// What the authorization endpoint answers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Decision {
    /// Back to the redirect URI with a code.
    Approve,
    /// Back to the redirect URI with `error=access_denied`.
    Deny,
}

/// A code the authorization endpoint gave out, and what its exchange must match.
struct Grant {
    client_id: String,
    redirect_uri: String,
    challenge: String,
    scope: Option<String>,
    used: bool,
}

/// One call as the endpoint received it.
#[derive(Clone, Debug)]
pub struct Call {
    pub authorization: Option<String>,
    pub content_type: Option<String>,
    pub form: HashMap<String, String>,
}

struct State_ {
    mode: Mode,
    delay: Duration,
    /// Held by [`Provider::hold`]: the token endpoint's answers wait.
    gate: super::gate::Gate,
    client_id: String,
    client_secret: String,
    /// The refresh token that works now.
    refresh_token: String,
    /// Whether answers carry `expires_in`.
    expires_in: bool,
    /// Whether a code's exchange issues a refresh token (a provider asked again for a grant it
    /// holds may not, and keeps the one it issued valid).
    refresh_token_for_codes: bool,
    issued: u32,
    calls: Vec<Call>,
    decision: Decision,
    /// Sent as `iss` with every authorization answer (RFC 9207), when set.
    issuer: Option<String>,
    grants: HashMap<String, Grant>,
    /// The query of every authorization request, as received.
    authorizations: Vec<HashMap<String, String>>,
    /// Members written over every token answer's own ([`Provider::set_answer_member`]).
    members: serde_json::Map<String, serde_json::Value>,
}

#[derive(Clone)]
pub struct Provider {
    pub token_url: String,
    pub authorization_url: String,
    pub client_id: String,
    pub client_secret: String,
    state: Arc<Mutex<State_>>,
}

impl Provider {
    /// Starts an endpoint that accepts `client_id`/`client_secret` (random) and the refresh
    /// token `rt-0`.
    pub async fn start() -> Provider {
        let client_id = format!("client-{}", super::random_hex(4));
        let client_secret = format!("client-secret-{}", super::random_hex(16));
        let state = Arc::new(Mutex::new(State_ {
            mode: Mode::Normal,
            delay: Duration::ZERO,
            gate: super::gate::Gate::open(),
            client_id: client_id.clone(),
            client_secret: client_secret.clone(),
            refresh_token: "rt-0".into(),
            expires_in: true,
            refresh_token_for_codes: true,
            issued: 0,
            calls: Vec::new(),
            decision: Decision::Approve,
            issuer: None,
            grants: HashMap::new(),
            authorizations: Vec::new(),
            members: serde_json::Map::new(),
        }));
        let app = Router::new()
            .route("/token", post(token))
            .route("/authorize", get(authorize))
            .with_state(Arc::clone(&state));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await });
        Provider {
            token_url: format!("http://{address}/token"),
            authorization_url: format!("http://{address}/authorize"),
            client_id,
            client_secret,
            state,
        }
    }

    pub fn set_mode(&self, mode: Mode) {
        self.state.lock().unwrap().mode = mode;
    }

    pub fn set_delay(&self, delay: Duration) {
        self.state.lock().unwrap().delay = delay;
    }

    /// Holds the token endpoint's answers from now until [`Provider::release`]: a call is
    /// counted when it arrives and answered after the release.
    pub fn hold(&self) {
        self.state.lock().unwrap().gate.hold();
    }

    pub fn release(&self) {
        self.state.lock().unwrap().gate.release();
    }

    pub fn set_expires_in(&self, on: bool) {
        self.state.lock().unwrap().expires_in = on;
    }

    pub fn set_refresh_token_for_codes(&self, on: bool) {
        self.state.lock().unwrap().refresh_token_for_codes = on;
    }

    /// Sets member `name` of every token answer from now on to `value`, over what the endpoint
    /// would write: a member in a form some provider sends, or a malformed one.
    pub fn set_answer_member(&self, name: &str, value: serde_json::Value) {
        self.state
            .lock()
            .unwrap()
            .members
            .insert(name.to_owned(), value);
    }

    pub fn set_decision(&self, decision: Decision) {
        self.state.lock().unwrap().decision = decision;
    }

    pub fn set_issuer(&self, issuer: Option<&str>) {
        self.state.lock().unwrap().issuer = issuer.map(str::to_owned);
    }

    /// The query of every authorization request so far.
    pub fn authorizations(&self) -> Vec<HashMap<String, String>> {
        self.state.lock().unwrap().authorizations.clone()
    }

    /// The address of the endpoint, as an issuer identifier.
    pub fn origin(&self) -> String {
        self.token_url.trim_end_matches("/token").to_owned()
    }

    /// The body of a provider configuration that also connects: `authorization_url`, scopes
    /// and an extra authorization parameter.
    pub fn connect_config_body(&self, key: &str, auth_method: &str) -> serde_json::Value {
        let mut body = self.config_body(key, auth_method);
        body["authorization_url"] = json!(self.authorization_url);
        body["authorization_params"] = json!({ "access_type": "offline", "prompt": "consent" });
        body["scopes"] = json!(["openid", "email"]);
        body
    }

    pub fn calls(&self) -> Vec<Call> {
        self.state.lock().unwrap().calls.clone()
    }

    pub fn call_count(&self) -> usize {
        self.state.lock().unwrap().calls.len()
    }

    /// The refresh token the endpoint accepts now.
    pub fn current_refresh_token(&self) -> String {
        self.state.lock().unwrap().refresh_token.clone()
    }

    /// The body of a provider configuration for this endpoint.
    pub fn config_body(&self, key: &str, auth_method: &str) -> serde_json::Value {
        json!({
            "key": key,
            "provider": "google",
            "token_url": self.token_url,
            "client_id": self.client_id,
            "client_secret": self.client_secret,
            "auth_method": auth_method,
        })
    }
}

fn json_answer(status: StatusCode, value: &serde_json::Value) -> Response {
    (
        status,
        [("content-type", "application/json")],
        value.to_string(),
    )
        .into_response()
}

fn oauth_error(status: StatusCode, code: &str) -> Response {
    json_answer(status, &json!({ "error": code }))
}

async fn token(
    State(state): State<Arc<Mutex<State_>>>,
    headers: HeaderMap,
    body: String,
) -> Response {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let call = Call {
        authorization: header("authorization"),
        content_type: header("content-type"),
        form: form_urlencoded::parse(body.as_bytes())
            .into_owned()
            .collect(),
    };
    let (delay, passage) = {
        let mut s = state.lock().unwrap();
        s.calls.push(call.clone());
        (s.delay, s.gate.passage())
    };
    passage.await;
    tokio::time::sleep(delay).await;
    let mut s = state.lock().unwrap();
    match s.mode {
        Mode::Normal => {}
        Mode::ServerError => {
            return (StatusCode::INTERNAL_SERVER_ERROR, "<html>oops</html>").into_response()
        }
        Mode::TooMany => {
            return (
                StatusCode::TOO_MANY_REQUESTS,
                [("retry-after", "60"), ("content-type", "application/json")],
                json!({ "error": "slow_down" }).to_string(),
            )
                .into_response()
        }
        Mode::Garbage => return (StatusCode::OK, "{\"access_tok").into_response(),
        Mode::Refuse => return oauth_error(StatusCode::BAD_REQUEST, "invalid_grant"),
    }
    let basic = format!(
        "Basic {}",
        base64(&format!("{}:{}", s.client_id, s.client_secret))
    );
    let by_basic = call.authorization.as_deref() == Some(basic.as_str());
    let by_post = call.form.get("client_id") == Some(&s.client_id)
        && call.form.get("client_secret") == Some(&s.client_secret);
    if !(by_basic || by_post) {
        return oauth_error(StatusCode::UNAUTHORIZED, "invalid_client");
    }
    let mut scope = None;
    let mut rotate = true;
    match call.form.get("grant_type").map(String::as_str) {
        Some("refresh_token") => {
            if call.form.get("refresh_token") != Some(&s.refresh_token) {
                return oauth_error(StatusCode::BAD_REQUEST, "invalid_grant");
            }
        }
        Some("authorization_code") => {
            let client_id = s.client_id.clone();
            let code = call.form.get("code").cloned().unwrap_or_default();
            let Some(grant) = s.grants.get_mut(&code) else {
                return oauth_error(StatusCode::BAD_REQUEST, "invalid_grant");
            };
            let verifier = call.form.get("code_verifier").cloned().unwrap_or_default();
            let fits = !grant.used
                && grant.client_id == client_id
                && call.form.get("redirect_uri") == Some(&grant.redirect_uri)
                && s256(&verifier) == grant.challenge;
            grant.used = true;
            if !fits {
                return oauth_error(StatusCode::BAD_REQUEST, "invalid_grant");
            }
            scope = grant.scope.clone();
            rotate = s.refresh_token_for_codes;
        }
        _ => return oauth_error(StatusCode::BAD_REQUEST, "unsupported_grant_type"),
    }
    s.issued += 1;
    let n = s.issued;
    let mut answer = json!({
        "access_token": format!("at-{n}"),
        "token_type": "Bearer",
    });
    if rotate {
        s.refresh_token = format!("rt-{n}");
        answer["refresh_token"] = json!(s.refresh_token);
    }
    if s.expires_in {
        answer["expires_in"] = json!(3600);
    }
    if let Some(scope) = scope {
        answer["scope"] = json!(scope);
    }
    for (name, value) in &s.members {
        answer[name] = value.clone();
    }
    json_answer(StatusCode::OK, &answer)
}

/// The authorization endpoint: checks the request as a provider would (a known client, a code
/// flow, an S256 challenge), then sends the browser back at once with a code (or a denial),
/// the state, and the issuer when one is set.
async fn authorize(State(state): State<Arc<Mutex<State_>>>, RawQuery(query): RawQuery) -> Response {
    let query: HashMap<String, String> =
        form_urlencoded::parse(query.unwrap_or_default().as_bytes())
            .into_owned()
            .collect();
    let mut s = state.lock().unwrap();
    s.authorizations.push(query.clone());
    let param = |name: &str| query.get(name).cloned().unwrap_or_default();
    let redirect_uri = param("redirect_uri");
    if param("client_id") != s.client_id
        || param("response_type") != "code"
        || param("code_challenge_method") != "S256"
        || param("code_challenge").len() != 43
        || redirect_uri.is_empty()
    {
        return (StatusCode::BAD_REQUEST, "bad authorization request").into_response();
    }
    let mut back = form_urlencoded::Serializer::new(String::new());
    match s.decision {
        Decision::Approve => {
            let code = format!("code-{}", super::random_hex(16));
            back.append_pair("code", &code);
            s.grants.insert(
                code,
                Grant {
                    client_id: param("client_id"),
                    redirect_uri: redirect_uri.clone(),
                    challenge: param("code_challenge"),
                    scope: query.get("scope").cloned(),
                    used: false,
                },
            );
        }
        Decision::Deny => {
            back.append_pair("error", "access_denied");
        }
    }
    back.append_pair("state", &param("state"));
    if let Some(issuer) = &s.issuer {
        back.append_pair("iss", issuer);
    }
    let location = format!("{redirect_uri}?{}", back.finish());
    (StatusCode::FOUND, [("location", location)]).into_response()
}

/// The S256 challenge of a PKCE verifier (RFC 7636 §4.2).
pub fn s256(verifier: &str) -> String {
    use base64::Engine;
    use sha2::{Digest, Sha256};
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// Standard base64 with padding (RFC 4648), for the expected `Authorization: Basic` value.
fn base64(text: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(text)
}
