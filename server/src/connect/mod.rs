//! Connect (API.md "Connect"): a person makes a connection by authorizing at the provider, with
//! the OAuth2 authorization code grant (RFC 6749 §4.1), PKCE S256 (RFC 7636) always, and the
//! protections of RFC 9700: a one-time `state` of 256 random bits bound to the session, the one
//! exact redirect URI `{CREDPORT_PUBLIC_URL}/oauth/callback`, the `iss` answer checked where a
//! provider sends one (RFC 9207), and no open redirect (a `return_url` must be on an origin the
//! server trusts).
//!
//! A session goes: made by the admin ([`create_session`]) → its link opened once, within 10
//! minutes, which sends the browser to the provider ([`open_link`]) → the provider sends the
//! browser back to the callback within 10 minutes, which takes the state once, exchanges the code
//! at the token endpoint (the client shared with the refresh) and stores the connection
//! ([`callback`]; in a task that a browser hanging up does not cut off). Codes, tokens, the
//! verifier and the client secret never leave this module but towards the provider: not in a
//! URL credport writes, a page, an answer or a log line.

use std::sync::Arc;
use std::time::Duration;

use credport_model::validate;
use credport_model::{
    ConnectError, CreateConnectSessionParams, CreateConnectionParams, CreatedConnectSession,
    CredentialType, CredentialsInput,
};
use serde_json::{Map, Value};
use tokio_util::task::TaskTracker;

use crate::clock;
use crate::crypto::{self, Keys};
use crate::db::sql::Conn;
use crate::db::Db;
use crate::error::ApiError;
use crate::events::{Change, Context};
use crate::ops::metrics::{self, Event};
use crate::refresh::token_endpoint::{self, Answer};
use crate::store;
use crate::store::connect_sessions::{NewSession, Refusal, Taken};
use crate::store::provider_configs::Client;
use crate::store::Updated;

pub mod page;
mod pkce;

pub use page::Page;

/// How long a session's link works, and how long the person has at the provider once it is
/// opened.
pub const LIFETIME_SECONDS: i64 = 600;
/// The prefix of connect session ids.
pub const SESSION_ID_PREFIX: &str = "cs_";

/// How often the verifiers of expired sessions are wiped.
const WIPE_EVERY: Duration = Duration::from_secs(600);

/// Wipes the PKCE verifiers of sessions that expired without ending, now and every
/// [`WIPE_EVERY`], for as long as the server runs (an ended session's is wiped as it ends). A
/// failure is logged and tried again next time.
pub async fn wipe_expired_verifiers_periodically(db: Arc<Db>) {
    let mut every = tokio::time::interval(WIPE_EVERY);
    loop {
        every.tick().await;
        let wiped = db
            .write(|conn| {
                Box::pin(store::connect_sessions::wipe_expired_verifiers(
                    conn,
                    clock::now(),
                ))
            })
            .await;
        match wiped {
            Ok(wiped) => tracing::debug!(wiped, "verifiers of expired connect sessions wiped"),
            Err(e) => tracing::warn!(error = %e, "verifiers of expired connect sessions not wiped"),
        }
    }
}

/// What connect works with: the database and the keys, where the server is, which origins a
/// `return_url` may be on, and the token endpoint client.
pub struct Connector {
    db: Arc<Db>,
    keys: Arc<Keys>,
    http: reqwest::Client,
    /// `CREDPORT_PUBLIC_URL`, without a trailing `/`.
    public_url: String,
    /// The origins a `return_url` may be on: the public URL's and `CREDPORT_CORS_ORIGINS`.
    return_origins: Vec<String>,
    /// The callbacks' tasks, which a shutdown waits for ([`Connector::landed`]): a callback cut
    /// off after its state was taken would lose the code, spent, and the tokens it brings.
    callbacks: TaskTracker,
}

impl Connector {
    /// `public_url` as browsers reach the server; `cors_origins` the listed CORS origins (not
    /// `*`: a wildcard allows no `return_url` elsewhere); `timeout` bounds each code exchange.
    pub fn new(
        db: Arc<Db>,
        keys: Arc<Keys>,
        public_url: &str,
        cors_origins: &[String],
        timeout: Duration,
    ) -> Result<Self, String> {
        let public_url = public_url.trim_end_matches('/').to_owned();
        let mut return_origins = vec![validate::origin(&public_url)];
        return_origins.extend(cors_origins.iter().map(|o| validate::origin(o)));
        Ok(Self {
            db,
            keys,
            http: token_endpoint::http_client(timeout)?,
            public_url,
            return_origins,
            callbacks: TaskTracker::new(),
        })
    }

    /// Waits for the callbacks still running to store their outcome; a shutdown calls it once
    /// the requests have finished (a callback outlives a browser that hung up).
    pub async fn landed(&self) {
        self.callbacks.close();
        self.callbacks.wait().await;
    }

    /// The one redirect URI, registered at every provider.
    pub fn redirect_uri(&self) -> String {
        format!("{}/oauth/callback", self.public_url)
    }

    fn check_return_url(&self, url: &str) -> Result<(), ApiError> {
        if self.return_origins.contains(&validate::origin(url)) {
            return Ok(());
        }
        Err(ApiError::invalid(
            "return_url",
            "return_url: must be on the server's own origin (CREDPORT_PUBLIC_URL) or one of \
             CREDPORT_CORS_ORIGINS",
        ))
    }
}

/// `POST /v1/admin/sites/{site}/connect_sessions`, inside the request's transaction: checks
/// what the session names and stores it with its link's hash, and records `connect.created`.
/// The link itself is in this answer only.
pub async fn create_session(
    conn: &Conn<'_>,
    connector: &Connector,
    site_id: &str,
    params: &CreateConnectSessionParams,
    context: &Context,
    now: i64,
) -> Result<CreatedConnectSession, ApiError> {
    store::sites::require(conn, site_id).await?;
    if let Some(url) = &params.return_url {
        connector.check_return_url(url)?;
    }
    let config = store::provider_configs::get(
        conn,
        site_id,
        &params.provider_config_key,
        &connector.redirect_uri(),
    )
    .await
    .map_err(|e| {
        not_found_as_invalid(
            e,
            "provider_config_key",
            "provider_config_key: the site has no provider configuration with this key",
        )
    })?;
    if config.authorization_url.is_none() {
        return Err(ApiError::invalid(
            "provider_config_key",
            "provider_config_key: this provider configuration has no authorization_url; set \
             one to connect with it",
        ));
    }
    if let Some(id) = &params.connection_id {
        let connection = store::connections::get(conn, site_id, id)
            .await
            .map_err(|e| {
                not_found_as_invalid(
                    e,
                    "connection_id",
                    "connection_id: the site has no connection with this id",
                )
            })?;
        if connection.provider_config_key != params.provider_config_key {
            return Err(ApiError::invalid(
                "connection_id",
                "connection_id: this connection belongs to another provider configuration",
            ));
        }
    }
    let metadata = match &params.metadata {
        Some(Value::Object(map)) => map.clone(),
        _ => Map::new(),
    };
    let link = pkce::new_token()?;
    let id = crypto::new_id(SESSION_ID_PREFIX)?;
    let session = store::connect_sessions::create(
        conn,
        &NewSession {
            id: &id,
            site_id,
            provider_config_key: &params.provider_config_key,
            connection_id: params.connection_id.as_deref(),
            return_url: params.return_url.as_deref(),
            metadata: &metadata,
            link_hash: &pkce::link_hash(&connector.keys, &link),
            expires_at: now + LIFETIME_SECONDS,
        },
        now,
    )
    .await?;
    let mut change = Change::new("connect.created", "connect_session", &id)
        .with("provider_config_key", params.provider_config_key.as_str());
    if let Some(connection_id) = &params.connection_id {
        change = change.with("connection_id", connection_id.as_str());
    }
    context.record(conn, site_id, change, now).await?;
    Ok(CreatedConnectSession {
        session,
        url: format!("{}/oauth/connect/{link}", connector.public_url),
    })
}

/// A 404 of something the body names, as the 400 naming that field; any other error as it is.
fn not_found_as_invalid(error: ApiError, field: &str, message: &str) -> ApiError {
    if error.status().as_u16() == 404 {
        ApiError::invalid(field, message)
    } else {
        error
    }
}

/// Where the browser goes next.
pub enum Step {
    /// 302 to the provider's authorization endpoint, setting the cookie (a `Set-Cookie` value)
    /// that binds the state to this browser.
    Authorize { url: String, cookie: String },
    /// 303 back to the session's `return_url`, with the outcome in its query.
    Return(String),
    /// A page of credport-server's own.
    Page(Page),
    /// The page of a link or a state that matches nothing: a guess, or a mangled copy, which
    /// the caller counts against the client's address as a failed authentication.
    Unknown(Page),
}

/// `GET /oauth/connect/{link}`: opens the link once and sends the browser to the provider with
/// a new state and PKCE challenge.
pub async fn open_link(
    connector: &Connector,
    link: String,
    context: &Context,
) -> Result<Step, ApiError> {
    if !pkce::is_token(&link) {
        return Ok(refused_link(Refusal::Unknown));
    }
    let state = pkce::new_token()?;
    let verifier = credport_model::Secret::new(pkce::new_verifier()?);
    let challenge = pkce::challenge(verifier.expose());
    let keys = Arc::clone(&connector.keys);
    let state_hash = pkce::state_hash(&keys, &state);
    let context = context.clone();
    let opened = connector
        .db
        .write(move |conn| {
            Box::pin(async move {
                let now = clock::now();
                let link_hash = pkce::link_hash(&keys, &link);
                let expires_at = now + LIFETIME_SECONDS;
                let opened = match store::connect_sessions::open_link(
                    conn,
                    &keys,
                    &link_hash,
                    &state_hash,
                    verifier.expose(),
                    now,
                    expires_at,
                )
                .await?
                {
                    Ok(opened) => opened,
                    Err(refusal) => return Ok(Err(refused_link(refusal))),
                };
                let client = store::provider_configs::client(
                    conn,
                    &keys,
                    &opened.site_id,
                    &opened.provider_config_key,
                )
                .await?;
                match client {
                    Some(client) if client.authorization_url.is_some() => {
                        // Who opened it (the browser's address and agent): a link spent by
                        // someone else than the person it was meant for shows in the log.
                        let change = Change::new("connect.opened", "connect_session", &opened.id)
                            .with("provider_config_key", opened.provider_config_key.as_str());
                        context.record(conn, &opened.site_id, change, now).await?;
                        Ok(Ok((opened, client)))
                    }
                    _ => {
                        let error = config_gone();
                        if store::connect_sessions::finish(conn, &opened.id, Err(&error), now)
                            .await?
                        {
                            let change = failed_change(&opened.id, &error);
                            context.record(conn, &opened.site_id, change, now).await?;
                        }
                        Ok(Err(Step::Page(Page::new(
                            409,
                            "This connect cannot go on",
                            error.message,
                        ))))
                    }
                }
            })
        })
        .await?;
    let (opened, client) = match opened {
        Ok(opened) => opened,
        Err(step) => return Ok(step),
    };
    tracing::info!(connect_session = %opened.id, "connect link opened; sending the browser to the provider");
    let (name, value) = pkce::browser_cookie(&connector.keys, &state);
    let redirect_uri = connector.redirect_uri();
    let secure = if redirect_uri.starts_with("https://") {
        "; Secure"
    } else {
        ""
    };
    // The callback's path as browsers reach it (behind a proxy, under the public URL's own).
    let path = redirect_uri
        .split_once("://")
        .and_then(|(_, rest)| rest.find('/').map(|at| &rest[at..]))
        .unwrap_or("/oauth/callback");
    Ok(Step::Authorize {
        // Lax: sent with the provider's top-level redirect back to the callback, not with
        // another site's requests.
        cookie: format!(
            "{name}={value}; Path={path}; Max-Age={LIFETIME_SECONDS}; HttpOnly; SameSite=Lax{secure}"
        ),
        url: authorization_request(&client, &redirect_uri, &state, &challenge),
    })
}

/// The authorization request URL (RFC 6749 §4.1.1 with RFC 7636 §4.3).
fn authorization_request(
    client: &Client,
    redirect_uri: &str,
    state: &str,
    challenge: &str,
) -> String {
    let base = client.authorization_url.as_deref().unwrap_or_default();
    let mut query = form_urlencoded::Serializer::new(String::new());
    query
        .append_pair("response_type", "code")
        .append_pair("client_id", &client.client_id)
        .append_pair("redirect_uri", redirect_uri);
    if !client.scopes.is_empty() {
        query.append_pair("scope", &client.scopes.join(" "));
    }
    query
        .append_pair("state", state)
        .append_pair("code_challenge", challenge)
        .append_pair("code_challenge_method", "S256");
    for (name, value) in &client.authorization_params {
        query.append_pair(name, value);
    }
    let joint = if base.contains('?') { '&' } else { '?' };
    format!("{base}{joint}{}", query.finish())
}

/// The page of a link that cannot be followed.
fn refused_link(refusal: Refusal) -> Step {
    let (status, message) = match refusal {
        Refusal::Unknown => (404, "This connect link is not known. Ask for a new one."),
        Refusal::Used => (
            410,
            "This connect link has already been used; each link works once. Ask for a new one.",
        ),
        Refusal::Expired => (
            410,
            "This connect link has expired; a link works for 10 minutes. Ask for a new one.",
        ),
    };
    let page = Page::new(status, "This connect link does not work", message);
    if refusal == Refusal::Unknown {
        Step::Unknown(page)
    } else {
        Step::Page(page)
    }
}

/// The page of a callback whose state cannot be taken: nothing changes.
fn refused_state(refusal: Option<Refusal>) -> Step {
    let message = match refusal {
        None => {
            "This page expects the provider's answer to a connect, with its state; it had none."
        }
        Some(Refusal::Unknown) => {
            "This answer does not belong to any connect in progress in this browser (a connect \
             is answered in the browser that opened its link: open the link again there)."
        }
        Some(Refusal::Used) => "This connect has already been answered; an answer counts once.",
        Some(Refusal::Expired) => {
            "This connect has expired; the provider must answer within 10 minutes. Start again."
        }
    };
    let page = Page::new(400, "This answer cannot be used", message);
    if refusal == Some(Refusal::Unknown) {
        Step::Unknown(page)
    } else {
        Step::Page(page)
    }
}

fn config_gone() -> ConnectError {
    ConnectError {
        code: "provider_config_changed".into(),
        message: "the provider configuration was deleted or lost its authorization_url".into(),
    }
}

/// The provider's answer to the authorization request, from the callback's query.
#[derive(Default)]
struct Answered {
    state: Option<String>,
    code: Option<String>,
    error: Option<String>,
    iss: Option<String>,
}

impl Answered {
    /// `None` when a parameter appears twice: an answer that says two things is not believed.
    fn parse(query: &str) -> Option<Self> {
        let mut answered = Self::default();
        for (name, value) in form_urlencoded::parse(query.as_bytes()) {
            let slot = match name.as_ref() {
                "state" => &mut answered.state,
                "code" => &mut answered.code,
                "error" => &mut answered.error,
                "iss" => &mut answered.iss,
                _ => continue,
            };
            if slot.replace(value.into_owned()).is_some() {
                return None;
            }
        }
        Some(answered)
    }
}

/// `GET /oauth/callback`: takes the state once, then exchanges the code and stores the
/// connection, or records why not. A state that cannot be taken changes nothing; nor does one
/// answered to a browser other than the one that opened the link (without its `cookies`).
pub async fn callback(
    connector: &Arc<Connector>,
    query: &str,
    cookies: &str,
    context: &Context,
) -> Result<Step, ApiError> {
    let Some(answered) = Answered::parse(query) else {
        return Ok(Step::Page(Page::new(
            400,
            "This answer cannot be used",
            "The provider's answer names a parameter twice.",
        )));
    };
    let Some(state) = answered.state.clone().filter(|s| pkce::is_token(s)) else {
        let refusal = answered.state.as_ref().map(|_| Refusal::Unknown);
        return Ok(refused_state(refusal));
    };
    // Without it, a guess and a state from another browser read alike: neither is taken.
    if !opened_here(&connector.keys, &state, cookies) {
        return Ok(refused_state(Some(Refusal::Unknown)));
    }
    // Once the state is taken the code goes with it (a provider takes each code once), so the
    // rest runs in a task of its own: a browser that hangs up (a tab closed, a proxy's timeout)
    // drops this request's future, and must not cut the exchange off, losing the tokens and
    // leaving the session pending until it expires.
    let finishing = connector.callbacks.spawn(take_and_finish(
        Arc::clone(connector),
        state,
        answered,
        context.clone(),
    ));
    finishing
        .await
        .map_err(|_| ApiError::internal("a connect callback's task stopped without a result"))?
}

/// Takes `state` once, then exchanges the code the provider `answered` and stores the
/// connection, or records why not: [`callback`]'s work past its checks of the request.
async fn take_and_finish(
    connector: Arc<Connector>,
    state: String,
    answered: Answered,
    context: Context,
) -> Result<Step, ApiError> {
    let keys = Arc::clone(&connector.keys);
    let state_hash = pkce::state_hash(&keys, &state);
    let taken = connector
        .db
        .write(move |conn| {
            Box::pin(async move {
                let now = clock::now();
                let taken = match store::connect_sessions::take_state(conn, &keys, &state_hash, now)
                    .await?
                {
                    Ok(taken) => taken,
                    Err(refusal) => return Ok(Err(refusal)),
                };
                let client = store::provider_configs::client(
                    conn,
                    &keys,
                    &taken.site_id,
                    &taken.provider_config_key,
                )
                .await?;
                Ok(Ok((taken, client)))
            })
        })
        .await?;
    let (taken, client) = match taken {
        Ok(taken) => taken,
        Err(refusal) => return Ok(refused_state(Some(refusal))),
    };
    let outcome = match client.filter(|c| c.authorization_url.is_some()) {
        None => Err(config_gone()),
        Some(client) => match provider_refusal(&answered, &client) {
            Some(error) => Err(error),
            None => {
                let code = answered.code.as_deref();
                match exchange(&connector, &taken, &client, code, context.clone()).await {
                    Ok(outcome) => outcome,
                    Err(failure) => {
                        // The state is spent: the session ends failed (below), so that it
                        // reads as what happened rather than pending until it expires, and
                        // the person is sent back with the error as for any other failure.
                        tracing::error!(connect_session = %taken.id, error = %failure, "the connection could not be stored");
                        Err(ConnectError {
                            code: "store_failed".into(),
                            message: "credport-server could not store the connection".into(),
                        })
                    }
                }
            }
        },
    };
    // A success was recorded with the connection, in its transaction.
    if let Err(error) = &outcome {
        fail(&connector, &taken, error.clone(), &context).await?;
    }
    match &outcome {
        Ok((_, connection)) => {
            metrics::outcome(Event::Connect, "succeeded");
            tracing::info!(connect_session = %taken.id, connection_id = %connection, "connect succeeded")
        }
        Err(error) => {
            metrics::outcome(Event::Connect, "failed");
            tracing::warn!(connect_session = %taken.id, code = %error.code, "connect failed")
        }
    }
    Ok(finished(&taken, &outcome))
}

/// Ends session `taken` failed with `error`, and records why.
async fn fail(
    connector: &Connector,
    taken: &Taken,
    error: ConnectError,
    context: &Context,
) -> Result<(), ApiError> {
    let (id, site) = (taken.id.clone(), taken.site_id.clone());
    let context = context.clone();
    connector
        .db
        .write(move |conn| {
            Box::pin(async move {
                let now = clock::now();
                // A session ended already (its end committed, its answer lost) is no event again.
                if !store::connect_sessions::finish(conn, &id, Err(&error), now).await? {
                    return Ok(());
                }
                context
                    .record(conn, &site, failed_change(&id, &error), now)
                    .await
            })
        })
        .await
}

/// The event of connect session `id` ending in `error`.
fn failed_change(id: &str, error: &ConnectError) -> Change {
    Change::new("connect.failed", "connect_session", id).with("code", error.code.as_str())
}

/// What the provider's answer itself says against going on: another issuer (checked first: an
/// error answer carries `iss` too, RFC 9207 §2.4), its `error`, or no code.
fn provider_refusal(answered: &Answered, client: &Client) -> Option<ConnectError> {
    let expected = validate::origin(client.authorization_url.as_deref().unwrap_or_default());
    if answered
        .iss
        .as_ref()
        .is_some_and(|iss| validate::origin(iss) != expected)
    {
        return Some(ConnectError {
            code: "issuer_mismatch".into(),
            message: "the answer names another issuer than the provider configuration's \
                      authorization_url (RFC 9207)"
                .into(),
        });
    }
    if let Some(error) = &answered.error {
        let code = oauth_code(error);
        let message = if code == "access_denied" {
            "access was denied at the provider".to_owned()
        } else {
            format!("the provider refused the authorization ({code})")
        };
        return Some(ConnectError { code, message });
    }
    if answered.code.as_deref().is_none_or(str::is_empty) {
        return Some(ConnectError {
            code: "invalid_request".into(),
            message: "the provider's answer held neither a code nor an error".into(),
        });
    }
    None
}

/// A provider's error code as credport repeats it: RFC 6749's characters, at most 64 of them;
/// anything else is `provider_error`.
fn oauth_code(error: &str) -> String {
    let plain = |b: u8| b.is_ascii_alphanumeric() || b == b'_' || b == b'-' || b == b'.';
    if (1..=64).contains(&error.len()) && error.bytes().all(plain) {
        error.to_owned()
    } else {
        "provider_error".to_owned()
    }
}

/// The connection a successful connect made or renewed: (provider, connection id).
type Made = (String, String);

/// Exchanges the code and stores what it brought (a new connection, or the session's
/// connection renewed) and the session's success, in one transaction.
async fn exchange(
    connector: &Connector,
    taken: &Taken,
    client: &Client,
    code: Option<&str>,
    context: Context,
) -> Result<Result<Made, ConnectError>, ApiError> {
    let answer = token_endpoint::exchange(
        &connector.http,
        client,
        code.unwrap_or_default(),
        &connector.redirect_uri(),
        taken.code_verifier.expose(),
    )
    .await;
    let tokens = match answer {
        Answer::Tokens(tokens) => tokens,
        Answer::Refused(code) => {
            return Ok(Err(ConnectError {
                code: code.to_owned(),
                message: format!("the token endpoint refused the code ({code})"),
            }))
        }
        Answer::Failed { why, code } => {
            return Ok(Err(ConnectError {
                code: code.unwrap_or("exchange_failed").to_owned(),
                message: format!("the code exchange at the token endpoint failed: {why}"),
            }))
        }
    };
    let now = clock::now();
    let scopes = match tokens.scope.as_deref() {
        Some(granted) => granted_scopes(granted),
        None => client.scopes.clone(),
    };
    let expires_at = clock::format_opt(tokens.expires_in.map(|s| now + s));
    let mut fields = Map::new();
    tokens.apply(&mut fields);
    let mut credentials = CredentialsInput {
        kind: CredentialType::OAuth2,
        expires_at: expires_at.clone(),
        fields,
    };
    let keys = Arc::clone(&connector.keys);
    let (site_id, key, provider) = (
        taken.site_id.clone(),
        taken.provider_config_key.clone(),
        client.provider.clone(),
    );
    let (renewing, metadata) = (taken.connection_id.clone(), taken.metadata.clone());
    let session_id = taken.id.clone();
    connector
        .db
        .write(move |conn| {
            Box::pin(async move {
                // The connection's own change (compared with what it was, if renewed), then
                // the connect that made it.
                let (made, change) = match &renewing {
                    Some(id) => {
                        // Locked before it is read: a refresh storing a rotated refresh token
                        // meanwhile is waited for, and its token kept, not overwritten with
                        // the one it replaced.
                        store::lock_row(conn, Updated::Connection, &site_id, id).await?;
                        let before = match store::connections::get(conn, &site_id, id).await {
                            Err(e) if e.status().as_u16() == 404 => {
                                return Ok(Err(ConnectError {
                                    code: "connection_gone".into(),
                                    message: "the connection to re-authorize was deleted meanwhile"
                                        .into(),
                                }))
                            }
                            other => other?,
                        };
                        keep_refresh_token(conn, &keys, &site_id, id, &mut credentials).await?;
                        let renewed = store::connections::Renewed {
                            credentials: &credentials,
                            scopes: &scopes,
                            metadata: (!metadata.is_empty()).then_some(&metadata),
                        };
                        let after =
                            store::connections::renew(conn, &keys, &site_id, id, &renewed, now)
                                .await?;
                        // The secret fields themselves never appear: only that they were
                        // replaced.
                        let change = Change::new("connection.updated", "connection", id)
                            .changes(&before, &after)
                            .with("credential_fields", "replaced");
                        (after, change)
                    }
                    None => {
                        let params = CreateConnectionParams {
                            provider: provider.clone(),
                            provider_config_key: key.clone(),
                            root_resource_id: None,
                            root_resource_name: None,
                            scopes: scopes.clone(),
                            status: None,
                            token_expires_at: expires_at.clone(),
                            credentials: credentials.clone(),
                            metadata: metadata.clone(),
                        };
                        let made =
                            store::connections::create(conn, &keys, &site_id, &params, now).await?;
                        let change = Change::connection_created(&made);
                        (made, change)
                    }
                };
                store::connect_sessions::finish(conn, &session_id, Ok(&made.id), now).await?;
                context.record(conn, &site_id, change, now).await?;
                let change = Change::new("connect.succeeded", "connect_session", &session_id)
                    .with("connection_id", made.id.as_str())
                    .with("provider_config_key", key.as_str());
                context.record(conn, &site_id, change, now).await?;
                Ok(Ok((provider.clone(), made.id)))
            })
        })
        .await
}

/// A re-authorization's tokens keep the connection's refresh token when the provider sent no
/// new one. A provider asked again for a grant it already holds may issue no refresh token
/// (Google without `prompt=consent`) while the one it issued before stays valid; dropping it
/// would leave the renewed connection unable to refresh when its access token expires.
async fn keep_refresh_token(
    conn: &Conn<'_>,
    keys: &Keys,
    site_id: &str,
    id: &str,
    credentials: &mut CredentialsInput,
) -> Result<(), ApiError> {
    if credentials.fields.contains_key("refresh_token") {
        return Ok(());
    }
    let Some(stored) = store::refreshes::by_id(conn, keys, site_id, id).await? else {
        return Ok(());
    };
    if let Some(token) = stored
        .refresh_token()
        .filter(|_| stored.kind == CredentialType::OAuth2)
    {
        let token = Value::String(token.to_owned());
        credentials.fields.insert("refresh_token".into(), token);
    }
    Ok(())
}

/// Whether the `Cookie` header `cookies` holds the cookie [`open_link`] set for `state`.
fn opened_here(keys: &Keys, state: &str, cookies: &str) -> bool {
    let (name, value) = pkce::browser_cookie(keys, state);
    cookies.split(';').any(|pair| {
        pair.trim()
            .split_once('=')
            .is_some_and(|(n, v)| n == name && crypto::hashes_equal(v.as_bytes(), value.as_bytes()))
    })
}

/// The scopes of a token answer's `scope`: space-separated (RFC 6749 §3.3), or comma-separated
/// as GitHub, Slack and Facebook answer.
fn granted_scopes(granted: &str) -> Vec<String> {
    granted
        .split(|c: char| c.is_whitespace() || c == ',')
        .filter(|scope| !scope.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Where the browser goes once the session has ended.
fn finished(taken: &Taken, outcome: &Result<Made, ConnectError>) -> Step {
    if let Some(url) = &taken.return_url {
        let mut query = form_urlencoded::Serializer::new(String::new());
        query.append_pair("connect_session", &taken.id);
        match outcome {
            Ok((_, connection)) => query
                .append_pair("result", "success")
                .append_pair("connection_id", connection),
            Err(error) => query
                .append_pair("result", "error")
                .append_pair("error", &error.code),
        };
        let joint = if url.contains('?') { '&' } else { '?' };
        return Step::Return(format!("{url}{joint}{}", query.finish()));
    }
    Step::Page(match outcome {
        Ok((provider, _)) => Page::new(
            200,
            format!("Connected to {provider}"),
            format!("Connected to {provider}."),
        ),
        Err(error) => Page::new(
            400,
            "The connection was not made",
            format!("{} ({}).", capitalised(&error.message), error.code),
        ),
    })
}

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::granted_scopes;

    #[test]
    fn granted_scopes_are_split_at_spaces_and_commas() {
        assert_eq!(granted_scopes("openid email"), ["openid", "email"]);
        assert_eq!(granted_scopes("repo,gist"), ["repo", "gist"]);
        assert_eq!(granted_scopes(" a, b  c "), ["a", "b", "c"]);
        assert!(granted_scopes("").is_empty());
    }
}
