//! A stand-in for a third-party OAuth2 provider's token endpoint (RFC 6749 §6), on 127.0.0.1:
//! it counts and records every call, checks the client's authentication, rotates the refresh
//! token on each success and refuses a used one with `invalid_grant`, and can be told to be
//! slow or to fail (500, 429, garbage, `invalid_grant`).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
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
    client_id: String,
    client_secret: String,
    /// The refresh token that works now.
    refresh_token: String,
    /// Whether answers carry `expires_in`.
    expires_in: bool,
    issued: u32,
    calls: Vec<Call>,
}

#[derive(Clone)]
pub struct Provider {
    pub token_url: String,
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
            client_id: client_id.clone(),
            client_secret: client_secret.clone(),
            refresh_token: "rt-0".into(),
            expires_in: true,
            issued: 0,
            calls: Vec::new(),
        }));
        let app = Router::new()
            .route("/token", post(token))
            .with_state(Arc::clone(&state));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await });
        Provider {
            token_url: format!("http://{address}/token"),
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

    pub fn set_expires_in(&self, on: bool) {
        self.state.lock().unwrap().expires_in = on;
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
    let delay = {
        let mut s = state.lock().unwrap();
        s.calls.push(call.clone());
        s.delay
    };
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
    if call.form.get("grant_type").map(String::as_str) != Some("refresh_token") {
        return oauth_error(StatusCode::BAD_REQUEST, "unsupported_grant_type");
    }
    if call.form.get("refresh_token") != Some(&s.refresh_token) {
        return oauth_error(StatusCode::BAD_REQUEST, "invalid_grant");
    }
    s.issued += 1;
    let n = s.issued;
    s.refresh_token = format!("rt-{n}");
    let mut answer = json!({
        "access_token": format!("at-{n}"),
        "token_type": "Bearer",
        "refresh_token": s.refresh_token,
    });
    if s.expires_in {
        answer["expires_in"] = json!(3600);
    }
    json_answer(StatusCode::OK, &answer)
}

/// Standard base64 with padding (RFC 4648), for the expected `Authorization: Basic` value.
fn base64(text: &str) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let bytes = text.as_bytes();
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[(n >> (18 - 6 * i)) as usize & 63]));
            } else {
                out.push('=');
            }
        }
    }
    out
}
