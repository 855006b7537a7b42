//! One call to a provider's token endpoint: the refresh-token grant of RFC 6749 §6, the client
//! authenticated as its configuration says (§2.3.1), and the answer sorted into new tokens, a
//! refusal for good, or a passing failure. Nothing here logs or returns a secret: failures are
//! described in this module's own words.

use std::time::Duration;

use credport_model::ClientAuthMethod;
use reqwest::header::ACCEPT;
use serde_json::{Map, Value};

use crate::store::provider_configs::Client;

/// The OAuth2 errors that mean the refresh token or the client will not work again (RFC 6749
/// §5.2): the connection needs new credentials.
const DEFINITIVE: [&str; 3] = ["invalid_grant", "unauthorized_client", "invalid_client"];
/// The most of a token endpoint's answer that is read.
const MAX_ANSWER: usize = 64 * 1024;
/// The longest `expires_in` believed: ten years.
const MAX_EXPIRES_IN: i64 = 10 * 365 * 24 * 3600;

/// What the token endpoint answered.
pub enum Answer {
    Tokens(Tokens),
    /// A definitive refusal, with its OAuth2 error code.
    Refused(&'static str),
    /// No answer, a timeout, 5xx, 429, or an answer that could not be read: worth trying later.
    Failed(String),
}

/// New tokens. Not `Debug`: they are secrets.
pub struct Tokens {
    access_token: String,
    /// Set when the provider rotates the refresh token.
    refresh_token: Option<String>,
    pub expires_in: Option<i64>,
    token_type: Option<String>,
    id_token: Option<String>,
}

impl Tokens {
    /// The connection's credential fields with the new tokens in; the rest (a refresh token the
    /// provider did not rotate, fields of the site's own) stay.
    pub fn apply(self, fields: &mut Map<String, Value>) {
        fields.insert("access_token".into(), self.access_token.into());
        for (name, value) in [
            ("refresh_token", self.refresh_token),
            ("token_type", self.token_type),
            ("id_token", self.id_token),
        ] {
            if let Some(value) = value {
                fields.insert(name.into(), value.into());
            }
        }
    }
}

/// An HTTP client for token endpoints: the server's rustls configuration, no redirects (a
/// redirect must not carry the client secret elsewhere), no proxy, and `timeout` for the whole
/// exchange.
pub fn http_client(timeout: Duration) -> Result<reqwest::Client, String> {
    reqwest::Client::builder()
        .tls_backend_preconfigured(crate::db::tls::client_config(Vec::new())?)
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .timeout(timeout)
        .user_agent(concat!("credport-server/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| format!("the token endpoint client could not be made: {e}"))
}

/// Exchanges `refresh_token` for new tokens at `client`'s token endpoint.
pub async fn refresh(http: &reqwest::Client, client: &Client, refresh_token: &str) -> Answer {
    let scope = client.scopes.join(" ");
    let mut form = vec![
        ("grant_type", "refresh_token"),
        ("refresh_token", refresh_token),
    ];
    if !scope.is_empty() {
        form.push(("scope", &scope));
    }
    let mut request = http
        .post(&client.token_url)
        .header(ACCEPT, "application/json");
    if client.auth_method == ClientAuthMethod::ClientSecretPost {
        form.push(("client_id", &client.client_id));
        form.push(("client_secret", client.client_secret.expose()));
    } else {
        // RFC 6749 §2.3.1: both form-encoded, then HTTP Basic.
        let encode = |s: &str| form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
        request = request.basic_auth(
            encode(&client.client_id),
            Some(encode(client.client_secret.expose())),
        );
    }
    let response = match request.form(&form).send().await {
        Ok(response) => response,
        Err(e) if e.is_timeout() => return Answer::Failed("it did not answer in time".into()),
        Err(e) if e.is_connect() => return Answer::Failed("it could not be reached".into()),
        Err(_) => return Answer::Failed("the request failed".into()),
    };
    let status = response.status();
    let Some(body) = read_limited(response).await else {
        return Answer::Failed(format!(
            "its answer (HTTP {}) could not be read",
            status.as_u16()
        ));
    };
    let json: Option<Map<String, Value>> = serde_json::from_slice(&body).ok();
    let error = json
        .as_ref()
        .and_then(|j| j.get("error"))
        .and_then(Value::as_str);
    if let Some(code) = DEFINITIVE.into_iter().find(|c| Some(*c) == error) {
        if matches!(status.as_u16(), 200 | 400 | 401) {
            return Answer::Refused(code);
        }
    }
    if !status.is_success() {
        return Answer::Failed(format!("it answered HTTP {}", status.as_u16()));
    }
    json.and_then(tokens).map_or_else(
        || Answer::Failed("its answer had no usable token".into()),
        Answer::Tokens,
    )
}

/// A successful answer's tokens (RFC 6749 §5.1); `None` without an access token or with fields
/// of the wrong type.
fn tokens(mut json: Map<String, Value>) -> Option<Tokens> {
    let mut text = |name: &str| match json.remove(name) {
        None | Some(Value::Null) => Some(None),
        Some(Value::String(s)) if !s.is_empty() => Some(Some(s)),
        Some(_) => None,
    };
    let access_token = text("access_token")??;
    let refresh_token = text("refresh_token")?;
    let token_type = text("token_type")?;
    let id_token = text("id_token")?;
    // Some providers send `expires_in` as a string of digits.
    let expires_in = match json.get("expires_in") {
        None | Some(Value::Null) => None,
        Some(Value::Number(n)) => Some(n.as_i64()?),
        Some(Value::String(s)) => Some(s.parse().ok()?),
        Some(_) => return None,
    };
    if expires_in.is_some_and(|s| !(0..=MAX_EXPIRES_IN).contains(&s)) {
        return None;
    }
    Some(Tokens {
        access_token,
        refresh_token,
        expires_in,
        token_type,
        id_token,
    })
}

/// The body, unless it is over [`MAX_ANSWER`] or breaks off.
async fn read_limited(mut response: reqwest::Response) -> Option<Vec<u8>> {
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.ok()? {
        if body.len() + chunk.len() > MAX_ANSWER {
            return None;
        }
        body.extend_from_slice(&chunk);
    }
    Some(body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parsed(value: Value) -> Option<Tokens> {
        tokens(value.as_object().unwrap().clone())
    }

    #[test]
    fn token_answers_are_read_strictly() {
        let t = parsed(json!({ "access_token": "a", "expires_in": "3600", "refresh_token": "r" }))
            .unwrap();
        assert_eq!(t.expires_in, Some(3600));
        assert_eq!(t.refresh_token.as_deref(), Some("r"));
        assert!(parsed(json!({ "access_token": "a" }))
            .unwrap()
            .expires_in
            .is_none());
        for bad in [
            json!({}),
            json!({ "access_token": "" }),
            json!({ "access_token": 5 }),
            json!({ "access_token": "a", "expires_in": -1 }),
            json!({ "access_token": "a", "expires_in": 1.5 }),
            json!({ "access_token": "a", "refresh_token": ["r"] }),
        ] {
            assert!(parsed(bad.clone()).is_none(), "{bad}");
        }
    }

    #[test]
    fn new_tokens_keep_what_was_not_rotated() {
        let mut fields = json!({ "access_token": "old", "refresh_token": "r1", "extra": 1 })
            .as_object()
            .unwrap()
            .clone();
        parsed(json!({ "access_token": "new", "token_type": "Bearer" }))
            .unwrap()
            .apply(&mut fields);
        assert_eq!(
            Value::Object(fields),
            json!({ "access_token": "new", "refresh_token": "r1", "extra": 1, "token_type": "Bearer" })
        );
    }
}
