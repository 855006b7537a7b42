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

/// A successful answer's tokens (RFC 6749 §5.1); `None` without an access token that is a
/// non-empty string. An optional member that cannot be read is taken as absent, as if the
/// provider had left it out, and the answer kept: by the time it answers, the provider may have
/// rotated the refresh token, and a client must then use the new one (§6), so throwing away an
/// answer with a usable access token over, say, its `expires_in` would lose the connection's
/// refresh. An empty text is absent too: providers answer `"scope": ""` for a grant of no
/// scope, and an empty `refresh_token` rotates nothing.
fn tokens(mut json: Map<String, Value>) -> Option<Tokens> {
    let access_token = match json.remove("access_token") {
        Some(Value::String(token)) if !token.is_empty() => token,
        _ => return None,
    };
    let mut text = |name| {
        optional(&mut json, name, |v| v.as_str().map(str::to_owned)).filter(|s| !s.is_empty())
    };
    Some(Tokens {
        access_token,
        refresh_token: text("refresh_token"),
        token_type: text("token_type"),
        id_token: text("id_token"),
        scope: text("scope"),
        expires_in: optional(&mut json, "expires_in", seconds),
    })
}

/// Member `name` of an answer as `read` reads it; `None` when it is missing, null, or `read`
/// cannot read it.
fn optional<T>(
    json: &mut Map<String, Value>,
    name: &'static str,
    read: impl FnOnce(&Value) -> Option<T>,
) -> Option<T> {
    let value = json.remove(name).filter(|v| !v.is_null())?;
    let read = read(&value);
    if read.is_none() {
        // Which member, never what it held: it may be a token.
        tracing::warn!(
            member = name,
            "a member of the token endpoint's answer could not be read; taken as absent"
        );
    }
    read
}

/// An `expires_in` (§5.1) as the seconds it plainly says: an integer, or an integral float
/// (`3600.0`), or a string of digits with spaces around them or not, as some providers send it;
/// from 0 to [`MAX_EXPIRES_IN`]. `None` for anything else (`1.5`, `"soon"`, a century).
fn seconds(value: &Value) -> Option<i64> {
    let seconds = match value {
        Value::Number(n) => n.as_i64().or_else(|| {
            let whole = n.as_f64().filter(|f| f.fract() == 0.0)?;
            // Cast only once it is known to be in range.
            (0.0..=MAX_EXPIRES_IN as f64)
                .contains(&whole)
                .then_some(whole as i64)
        })?,
        Value::String(s) => s.trim().parse().ok()?,
        _ => return None,
    };
    (0..=MAX_EXPIRES_IN).contains(&seconds).then_some(seconds)
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
    fn token_answers_need_an_access_token() {
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
            json!({ "access_token": null, "refresh_token": "r" }),
        ] {
            assert!(parsed(bad.clone()).is_none(), "{bad}");
        }
    }

    #[test]
    fn an_expires_in_is_read_as_the_seconds_it_plainly_says() {
        for plain in [json!(3600), json!(3600.0), json!("3600"), json!(" 3600 ")] {
            let t = parsed(json!({ "access_token": "a", "expires_in": plain })).unwrap();
            assert_eq!(t.expires_in, Some(3600), "{plain}");
        }
        let ten_years = MAX_EXPIRES_IN;
        for unclear in [
            json!(-1),
            json!(1.5),
            json!(ten_years + 1),
            json!(1e300),
            json!("soon"),
            json!("36 00"),
            json!(true),
        ] {
            let t = parsed(json!({ "access_token": "a", "expires_in": unclear })).unwrap();
            assert_eq!(t.expires_in, None, "{unclear}");
        }
    }

    #[test]
    fn an_unreadable_optional_member_is_absent_and_the_rest_kept() {
        let t = parsed(json!({
            "access_token": "a",
            "refresh_token": "r2",
            "id_token": { "not": "a token" },
            "token_type": 5,
            "scope": ["openid"],
            "expires_in": "soon",
        }))
        .unwrap();
        assert_eq!(t.access_token, "a");
        assert_eq!(t.refresh_token.as_deref(), Some("r2"));
        assert_eq!((t.id_token, t.token_type, t.scope), (None, None, None));
        assert_eq!(t.expires_in, None);
        let t = parsed(json!({ "access_token": "a", "refresh_token": ["r"] })).unwrap();
        assert_eq!(t.refresh_token, None);
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
