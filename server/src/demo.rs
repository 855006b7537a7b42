//! `credport-server demo`: a demo site with a few connections, a token, and a connect link, written
//! through the same store functions as the API, in one transaction, with the events the API
//! would record (by the server: no token made them).

use std::sync::Arc;

use credport_model::{
    ConnectionStatus, CreateConnectSessionParams, CreateConnectionParams,
    CreateProviderConfigParams, CreateSiteParams, CredentialType, CredentialsInput, Scope, Secret,
};
use serde::Serialize;
use serde_json::{json, Map, Value};

use crate::clock;
use crate::connect::{self, Connector};
use crate::crypto::{self, Keys};
use crate::db::sql::Conn;
use crate::db::Db;
use crate::error::ApiError;
use crate::events::{Change, Context};
use crate::store;
use crate::store::tokens::NewToken;

pub const DEMO_USER: &str = "demo-user";

/// The line `demo` prints: what a client needs to talk to the demo site.
#[derive(Serialize)]
struct DemoSite {
    site_id: String,
    user_id: &'static str,
    token: String,
    /// A connect link for the provider configuration [`DEMO_CONNECT_KEY`].
    connect_url: String,
}

/// What `demo` wrote: the JSON line to print, and the connect link in it.
pub struct Seeded {
    pub line: String,
    pub connect_url: String,
}

/// The provider configuration whose endpoints are the stand-in provider that
/// `node scripts/demo-provider.mjs` serves on [`DEMO_PROVIDER_URL`], with its demo client.
pub const DEMO_CONNECT_KEY: &str = "demo-oauth";
const DEMO_PROVIDER_URL: &str = "http://127.0.0.1:8788";
const DEMO_CLIENT_ID: &str = "demo-client.apps.example";
const DEMO_CLIENT_SECRET: &str = "demo-client-secret-for-the-stand-in";

/// Adds a demo site (with a connect session whose link `connector` makes) and returns what to
/// print.
pub async fn seed(
    db: &Db,
    keys: &Arc<Keys>,
    connector: Arc<Connector>,
) -> Result<Seeded, ApiError> {
    let keys = Arc::clone(keys);
    db.write(move |conn| {
        Box::pin(async move {
            let keys = &*keys;
            let now = clock::now();
            let context = Context::server(None);
            let site = store::sites::create(
                conn,
                &CreateSiteParams {
                    name: "Demo site".to_owned(),
                },
                now,
            )
            .await?;
            context
                .record(conn, &site.id, Change::site_created(&site), now)
                .await?;
            for connection in connections(now)? {
                let made =
                    store::connections::create(conn, keys, &site.id, &connection, now).await?;
                let change = Change::connection_created(&made);
                context.record(conn, &site.id, change, now).await?;
            }
            let token = demo_token(conn, keys, &site.id, &context, now).await?;
            let connect_url = demo_connect(conn, keys, &connector, &site.id, &context, now).await?;
            Ok(Seeded {
                line: serde_json::to_string(&DemoSite {
                    site_id: site.id,
                    user_id: DEMO_USER,
                    token,
                    connect_url: connect_url.clone(),
                })?,
                connect_url,
            })
        })
    })
    .await
}

/// The stand-in provider's configuration and a connect session for it: the session's link.
async fn demo_connect(
    conn: &Conn<'_>,
    keys: &Keys,
    connector: &Connector,
    site_id: &str,
    context: &Context,
    now: i64,
) -> Result<String, ApiError> {
    let config = CreateProviderConfigParams {
        key: DEMO_CONNECT_KEY.to_owned(),
        provider: "google".to_owned(),
        token_url: format!("{DEMO_PROVIDER_URL}/token"),
        authorization_url: Some(format!("{DEMO_PROVIDER_URL}/authorize")),
        authorization_params: Default::default(),
        client_id: DEMO_CLIENT_ID.to_owned(),
        client_secret: Secret::new(DEMO_CLIENT_SECRET),
        auth_method: None,
        scopes: vec!["openid".to_owned(), "email".to_owned()],
        refresh_margin_seconds: None,
    };
    let config = store::provider_configs::create(
        conn,
        keys,
        site_id,
        &config,
        &connector.redirect_uri(),
        now,
    )
    .await?;
    let change = Change::provider_config_created(&config);
    context.record(conn, site_id, change, now).await?;
    let session = CreateConnectSessionParams {
        provider_config_key: DEMO_CONNECT_KEY.to_owned(),
        metadata: Some(json!({ "demo": true })),
        ..Default::default()
    };
    Ok(
        connect::create_session(conn, connector, site_id, &session, context, now)
            .await?
            .url,
    )
}

async fn demo_token(
    conn: &Conn<'_>,
    keys: &Keys,
    site_id: &str,
    context: &Context,
    now: i64,
) -> Result<String, ApiError> {
    let new = NewToken {
        site_id,
        user_id: DEMO_USER,
        name: "Demo token",
        scopes: &Scope::ALL,
        expires_at: None,
    };
    let created = store::tokens::create(conn, keys, &new, now).await?;
    let change = Change::token_created(&created.personal_access_token);
    context.record(conn, site_id, change, now).await?;
    Ok(created.token.expose().to_owned())
}

/// How long the demo's Google token has left: less than the default refresh margin, so the first
/// read of its credentials refreshes it once the site has a provider configuration `google-prod`
/// (`npm run demo` adds one for a local stand-in token endpoint).
const GOOGLE_TOKEN_SECONDS: i64 = 120;

/// Google (OAuth 2, token expiring in [`GOOGLE_TOKEN_SECONDS`]), Shopify (API key), Konigle Pay
/// (custom) and an inactive Slack connection. The secrets are random: demo data must not teach
/// anyone a key.
fn connections(now: i64) -> Result<Vec<CreateConnectionParams>, ApiError> {
    let google_expiry = clock::format(now + GOOGLE_TOKEN_SECONDS);
    let demo_secret = |prefix: &str| -> Result<Value, ApiError> {
        Ok(Value::String(format!(
            "{prefix}{}",
            crypto::random_base62(32)?
        )))
    };
    let fields = |pairs: Vec<(&str, Value)>| -> Map<String, Value> {
        pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
    };
    let connection = |provider: &str,
                      config_key: &str,
                      kind: CredentialType,
                      status: ConnectionStatus,
                      expires_at: Option<String>,
                      fields: Map<String, Value>,
                      root: (&str, &str),
                      scopes: &[&str]| CreateConnectionParams {
        provider: provider.to_owned(),
        provider_config_key: config_key.to_owned(),
        root_resource_id: Some(root.0.to_owned()),
        root_resource_name: Some(root.1.to_owned()),
        scopes: scopes.iter().map(|s| (*s).to_owned()).collect(),
        status: Some(status),
        token_expires_at: expires_at.clone(),
        credentials: CredentialsInput {
            kind,
            expires_at,
            fields,
        },
        metadata: json!({ "demo": true })
            .as_object()
            .cloned()
            .unwrap_or_default(),
    };
    Ok(vec![
        connection(
            "google",
            "google-prod",
            CredentialType::OAuth2,
            ConnectionStatus::Active,
            Some(google_expiry),
            fields(vec![
                ("access_token", demo_secret("ya29.demo-")?),
                ("refresh_token", demo_secret("1//demo-")?),
                ("token_type", Value::from("Bearer")),
            ]),
            ("demo@example.com", "Demo Workspace"),
            &[
                "openid",
                "email",
                "https://www.googleapis.com/auth/gmail.readonly",
            ],
        ),
        connection(
            "shopify",
            "shopify-prod",
            CredentialType::ApiKey,
            ConnectionStatus::Active,
            None,
            fields(vec![("api_key", demo_secret("shpat_demo_")?)]),
            ("demo-store.myshopify.com", "Demo Store"),
            &["read_products", "read_orders"],
        ),
        connection(
            "konigle_pay",
            "konigle-pay-live",
            CredentialType::Custom,
            ConnectionStatus::Active,
            None,
            fields(vec![
                ("merchant_id", Value::from("m_demo_0001")),
                ("secret_key", demo_secret("kp_sk_demo_")?),
            ]),
            ("m_demo_0001", "Demo Merchant"),
            &[],
        ),
        connection(
            "slack",
            "slack-prod",
            CredentialType::OAuth2,
            ConnectionStatus::Inactive,
            None,
            fields(vec![("access_token", demo_secret("xoxb-demo-")?)]),
            ("T0DEMO", "Demo Team"),
            &["chat:write"],
        ),
    ])
}
