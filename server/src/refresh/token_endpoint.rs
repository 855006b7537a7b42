//! One call to a provider's token endpoint, for a refresh (the refresh-token grant of RFC 6749
//! §6) or a connect (the authorization-code grant of §4.1.3 with the PKCE verifier of RFC 7636):
//! the client authenticated as its configuration says (§2.3.1), and the answer sorted into new
//! tokens, a refusal for good, or a failure. Both grants share this one client, so they
//! authenticate, time out and read answers alike. Nothing here logs or returns a secret:
//! failures are described in this module's own words and the OAuth2 error codes of §5.2.

use std::time::Duration;

use credport_model::ClientAuthMethod;
use reqwest::header::ACCEPT;
use serde_json::{Map, Value};

use crate::store::provider_configs::Client;

/// The OAuth2 errors that mean the refresh token or the client will not work again (RFC 6749
/// §5.2): the connection needs new credentials.
const DEFINITIVE: [&str; 3] = ["invalid_grant", "unauthorized_client", "invalid_client"];
/// The error codes of RFC 6749 §5.2: a failure names one only when the endpoint answered one of
/// these (anything else it says is not repeated).
const OAUTH_ERRORS: [&str; 6] = [
    "invalid_request",
    "invalid_client",
    "invalid_grant",
    "unauthorized_client",
    "unsupported_grant_type",
    "invalid_scope",
];
/// The most of a token endpoint's answer that is read.
const MAX_ANSWER: usize = 64 * 1024;
/// The longest `expires_in` believed: ten years.
const MAX_EXPIRES_IN: i64 = 10 * 365 * 24 * 3600;

/// What the token endpoint answered.
pub enum Answer {
    Tokens(Tokens),
    /// A definitive refusal, with its OAuth2 error code.
    Refused(&'static str),
    /// No answer, a timeout, 5xx, 429, another OAuth2 error, or an answer that could not be
    /// read: worth trying later (a refresh), or the end of a connect.
    Failed {
        why: String,
        /// The endpoint's OAuth2 error code (§5.2), when it answered one.
        code: Option<&'static str>,
    },
}

impl Answer {
    fn failed(why: impl Into<String>) -> Self {
        Self::Failed {
            why: why.into(),
            code: None,
        }
    }
}

/// New tokens. Not `Debug`: they are secrets.
pub struct Tokens {
    access_token: String,
    /// Set when the provider rotates the refresh token.
    refresh_token: Option<String>,
    pub expires_in: Option<i64>,
    token_type: Option<String>,
    id_token: Option<String>,
    /// The scopes granted, space-separated, when the provider says (§5.1).
    pub scope: Option<String>,
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
            ("scope", self.scope),
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

/// Exchanges `refresh_token` for new tokens at `client`'s token endpoint, asking for `scopes`
/// (none: the grant's own, RFC 6749 §6).
pub async fn refresh(
    http: &reqwest::Client,
    client: &Client,
    refresh_token: &str,
    scopes: &[String],
) -> Answer {
    let scope = scopes.join(" ");
    let mut form = vec![
        ("grant_type", "refresh_token"),
        ("refresh_token", refresh_token),
    ];
    if !scope.is_empty() {
        form.push(("scope", &scope));
    }
    call(http, client, form).await
}

/// Exchanges an authorization `code` for tokens (RFC 6749 §4.1.3), with the PKCE
/// `code_verifier` (RFC 7636 §4.5) and the `redirect_uri` the authorization request named.
pub async fn exchange(
    http: &reqwest::Client,
    client: &Client,
    code: &str,
    redirect_uri: &str,
    code_verifier: &str,
) -> Answer {
    let form = vec![
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", redirect_uri),
        ("code_verifier", code_verifier),
    ];
    call(http, client, form).await
}

/// Posts `form` to the token endpoint with the client's authentication, and sorts the answer.
async fn call<'a>(
    http: &reqwest::Client,
    client: &'a Client,
    mut form: Vec<(&'a str, &'a str)>,
) -> Answer {
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
        Err(e) if e.is_timeout() => return Answer::failed("it did not answer in time"),
        Err(e) if e.is_connect() => return Answer::failed("it could not be reached"),
        Err(_) => return Answer::failed("the request failed"),
    };
    let status = response.status();
    let Some(body) = read_limited(response).await else {
        return Answer::failed(format!(
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
    let code = OAUTH_ERRORS.into_iter().find(|c| Some(*c) == error);
    if !status.is_success() || code.is_some() {
        let why = match code {
            Some(code) => format!("it answered HTTP {} ({code})", status.as_u16()),
            None => format!("it answered HTTP {}", status.as_u16()),
        };
        return Answer::Failed { why, code };
    }
    json.and_then(tokens).map_or_else(
        || Answer::failed("its answer had no usable token"),
        Answer::Tokens,
    )
}

/// A successful answer's tokens (RFC 6749 §5.1); `None` without an access token or with fields
/// of the wrong type. An empty text is read as absent: providers answer `"scope": ""` for a
/// grant of no scope, and an empty `refresh_token` rotates nothing.
fn tokens(mut json: Map<String, Value>) -> Option<Tokens> {
    let mut text = |name: &str| match json.remove(name) {
        None | Some(Value::Null) => Some(None),
        Some(Value::String(s)) => Some((!s.is_empty()).then_some(s)),
        Some(_) => None,
    };
    let access_token = text("access_token")??;
    let refresh_token = text("refresh_token")?;
    let token_type = text("token_type")?;
    let id_token = text("id_token")?;
    let scope = text("scope")?;
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
        scope,
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
        let empty = parsed(json!({ "access_token": "a", "scope": "", "refresh_token": "" }))
            .expect("empty optional fields are absent ones");
        assert_eq!((empty.scope, empty.refresh_token), (None, None));
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
