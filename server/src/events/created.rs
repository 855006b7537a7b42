//! The events of objects made: one description of what each records, for every place that
//! makes them (the routes, a connect, `demo`).

use credport_model::{Connection, PersonalAccessToken, ProviderConfig, Site};

use super::Change;

impl Change {
    pub fn site_created(site: &Site) -> Self {
        Self::new("site.created", "site", &site.id).with("name", site.name.as_str())
    }

    pub fn connection_created(connection: &Connection) -> Self {
        Self::new("connection.created", "connection", &connection.id)
            .with("provider", connection.provider.as_str())
            .with("status", connection.status.as_str())
    }

    /// Where the configuration sends its secret (the client secret itself never).
    pub fn provider_config_created(config: &ProviderConfig) -> Self {
        Self::new("provider_config.created", "provider_config", &config.key)
            .with("provider", config.provider.as_str())
            .with("token_url", config.token_url.as_str())
    }

    /// Whose token it is and what it may do (the token itself never).
    pub fn token_created(token: &PersonalAccessToken) -> Self {
        Self::new("token.created", "personal_access_token", &token.id)
            .with("user_id", token.user_id.as_str())
            .with("name", token.name.as_str())
            .with("scopes", token.scopes.clone())
    }
}
