//! The route table. [`ROUTES`] is the single list the router is built from; a test checks it
//! against `docs/openapi.yaml`, so the two cannot drift apart.

use axum::http::Method;
use axum::routing::{on, MethodFilter, MethodRouter};
use axum::Router;

use crate::app::App;
use crate::http::request_context;

pub mod admin;
pub mod api_keys;
pub mod connect_sessions;
pub mod connections;
pub mod console;
pub mod events;
pub mod health;
pub mod idempotency;
pub mod oauth;
pub mod provider_configs;
pub mod tokens;
pub mod webhook_endpoints;

/// One method on one path, and how to build its handler for that method.
pub struct Route {
    pub method: Method,
    /// In the router's and OpenAPI's `{param}` form.
    pub path: &'static str,
    handler: fn(MethodFilter) -> MethodRouter<App>,
}

macro_rules! route {
    ($method:ident $path:literal => $handler:path) => {
        Route {
            method: Method::$method,
            path: $path,
            handler: |filter| on(filter, $handler),
        }
    };
    // A `GET` that acts: it spends a one-time link or code, or records a read of a secret.
    // axum answers `HEAD` by running a route's `GET` and dropping the body, so a link checker's
    // `HEAD` would spend a person's connect link, or log a read nobody received: 405 instead.
    (GET $path:literal => $handler:path, acts) => {
        Route {
            method: Method::GET,
            path: $path,
            // Any other method gets the same 405, whose `Allow` says `GET` alone: axum's own
            // would list `HEAD` with it.
            handler: |filter| {
                on(filter, $handler)
                    .head(request_context::get_only)
                    .fallback(request_context::get_only)
            },
        }
    };
}

pub const ROUTES: &[Route] = &[
    route!(GET "/healthz" => health::healthz),
    route!(GET "/readyz" => health::readyz),
    route!(POST "/v1/admin/sites" => admin::create_site),
    route!(GET "/v1/admin/sites" => admin::list_sites),
    route!(POST "/v1/admin/sites/{site}/connections" => admin::create_connection),
    route!(GET "/v1/admin/sites/{site}/connections" => admin::list_connections),
    route!(GET "/v1/admin/sites/{site}/connections/{id}" => admin::get_connection),
    route!(PATCH "/v1/admin/sites/{site}/connections/{id}" => admin::update_connection),
    route!(DELETE "/v1/admin/sites/{site}/connections/{id}" => admin::delete_connection),
    route!(POST "/v1/admin/sites/{site}/connections/{id}/refresh" => admin::refresh_connection),
    route!(POST "/v1/admin/sites/{site}/provider_configs" => provider_configs::create),
    route!(GET "/v1/admin/sites/{site}/provider_configs" => provider_configs::list),
    route!(GET "/v1/admin/sites/{site}/provider_configs/{key}" => provider_configs::get),
    route!(PATCH "/v1/admin/sites/{site}/provider_configs/{key}" => provider_configs::update),
    route!(DELETE "/v1/admin/sites/{site}/provider_configs/{key}" => provider_configs::delete),
    route!(POST "/v1/admin/sites/{site}/connect_sessions" => connect_sessions::create),
    route!(GET "/v1/admin/sites/{site}/connect_sessions/{id}" => connect_sessions::get),
    route!(POST "/v1/admin/sites/{site}/personal_access_tokens" => admin::create_token),
    route!(GET "/v1/admin/sites/{site}/personal_access_tokens" => admin::list_tokens),
    route!(POST "/v1/admin/sites/{site}/personal_access_tokens/{id}/revoke" => admin::revoke_token),
    route!(GET "/v1/admin/sites/{site}/api_keys" => admin::list_api_keys),
    route!(POST "/v1/admin/sites/{site}/api_keys/{id}/revoke" => admin::revoke_api_key),
    route!(GET "/v1/admin/sites/{site}/events" => events::list),
    route!(POST "/v1/admin/sites/{site}/webhook_endpoints" => webhook_endpoints::create),
    route!(GET "/v1/admin/sites/{site}/webhook_endpoints" => webhook_endpoints::list),
    route!(GET "/v1/admin/sites/{site}/webhook_endpoints/{id}" => webhook_endpoints::get),
    route!(PATCH "/v1/admin/sites/{site}/webhook_endpoints/{id}" => webhook_endpoints::update),
    route!(DELETE "/v1/admin/sites/{site}/webhook_endpoints/{id}" => webhook_endpoints::delete),
    route!(GET "/v1/admin/sites/{site}/webhook_endpoints/{id}/deliveries" => webhook_endpoints::deliveries),
    route!(GET "/v1/connections" => connections::list),
    route!(GET "/v1/connections/{id}" => connections::get),
    route!(GET "/v1/connections/credentials/{provider}" => connections::credentials, acts),
    route!(POST "/v1/api_keys" => api_keys::create),
    route!(GET "/v1/api_keys" => api_keys::list),
    route!(POST "/v1/api_keys/verify" => api_keys::verify),
    route!(GET "/v1/api_keys/{id}" => api_keys::get),
    route!(PATCH "/v1/api_keys/{id}" => api_keys::update),
    route!(DELETE "/v1/api_keys/{id}" => api_keys::delete),
    route!(GET "/v1/api_keys/{id}/secret" => api_keys::secret, acts),
    route!(POST "/v1/api_keys/{id}/revoke" => api_keys::revoke),
    route!(POST "/v1/personal_access_tokens" => tokens::create),
    route!(GET "/v1/personal_access_tokens" => tokens::list),
    route!(GET "/v1/personal_access_tokens/{id}" => tokens::get),
    route!(POST "/v1/personal_access_tokens/{id}/revoke" => tokens::revoke),
    route!(GET "/oauth/connect/{link}" => oauth::connect, acts),
    route!(GET "/oauth/callback" => oauth::callback, acts),
    route!(GET "/console" => console::page),
    route!(GET "/console/{file}" => console::file),
];

/// The API's router: every route of [`ROUTES`], 404 for other paths and 405 for other methods,
/// both with the error body.
pub fn router(app: App) -> Result<Router, String> {
    let mut router = Router::new();
    for route in ROUTES {
        let filter = MethodFilter::try_from(route.method.clone())
            .map_err(|e| format!("route {} {}: {e}", route.method, route.path))?;
        router = router.route(route.path, (route.handler)(filter));
    }
    Ok(router
        .fallback(request_context::no_route)
        .method_not_allowed_fallback(request_context::method_not_allowed)
        .with_state(app))
}
