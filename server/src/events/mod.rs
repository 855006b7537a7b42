//! Events (API.md "Events"): every change and every read of a secret is recorded by
//! [`Context::record`], called inside the transaction that makes the change, so that there is no
//! change without its event and no event without its change. The same call puts the event in
//! the webhook outbox ([`outbox`]) for each endpoint that wants it; [`deliverer`] posts it later,
//! in the background, signed ([`signature`]) and only to public addresses ([`guard`]).
//!
//! Who acted and where the request came from reach the recorder as one [`Context`]: the
//! request's [`Origin`] is built once per request by the outermost layer, and the
//! authentication extractors add the actor.

use std::net::IpAddr;

use credport_model::{ActorType, Event, EventActor, EventTarget};
use serde::Serialize;
use serde_json::{Map, Value};

use crate::crypto;
use crate::db::sql::Conn;
use crate::error::ApiError;
use outbox::Subscribers;

pub mod batch;
mod created;
pub mod deliverer;
pub mod guard;
pub mod log;
pub mod outbox;
pub mod signature;

/// The longest `user_agent` kept: enough to tell clients apart, not a place to store data.
const MAX_USER_AGENT: usize = 256;

/// Where a request came from, as its events tell it.
#[derive(Clone, Debug, Default)]
pub struct Origin {
    pub request_id: Option<String>,
    /// Kept as the address, written out as text only when an event is: most requests record
    /// none, and formatting an address was 2 % of a request's instructions.
    pub client_address: Option<IpAddr>,
    pub user_agent: Option<String>,
}

impl Origin {
    pub fn new(request_id: &str, client_address: Option<IpAddr>, user_agent: Option<&str>) -> Self {
        let user_agent = user_agent
            .map(|ua| {
                ua.chars()
                    .filter(|c| !c.is_control())
                    .take(MAX_USER_AGENT)
                    .collect::<String>()
            })
            .filter(|ua| !ua.is_empty());
        Self {
            request_id: Some(request_id.to_owned()),
            client_address,
            user_agent,
        }
    }
}

/// Who acts, and the request they act through: what every event of a request shares.
#[derive(Clone, Debug)]
pub struct Context {
    actor: EventActor,
    origin: Origin,
}

impl Context {
    /// The admin token.
    pub fn admin(origin: Origin) -> Self {
        Self::of(ActorType::Admin, None, None, origin)
    }

    /// A personal access token of `user_id`.
    pub fn token(token_id: &str, user_id: &str, origin: Origin) -> Self {
        Self::of(
            ActorType::Token,
            Some(token_id.to_owned()),
            Some(user_id.to_owned()),
            origin,
        )
    }

    /// The server itself (a refresh, a webhook endpoint disabled), for the request that set it
    /// going if there is one: its request id is kept, not the caller's address.
    pub fn server(request_id: Option<String>) -> Self {
        let origin = Origin {
            request_id,
            ..Origin::default()
        };
        Self::of(ActorType::Server, None, None, origin)
    }

    /// The server finishing a connect for a person's browser (the callback takes no token: the
    /// connect session the admin made is the authority); the browser's request is kept.
    pub fn connect(origin: Origin) -> Self {
        Self::of(ActorType::Server, None, None, origin)
    }

    /// This request's own refreshes and other work the server does for it.
    pub fn on_behalf(&self) -> Self {
        Self::server(self.origin.request_id.clone())
    }

    fn of(
        kind: ActorType,
        token_id: Option<String>,
        user_id: Option<String>,
        origin: Origin,
    ) -> Self {
        Self {
            actor: EventActor {
                kind,
                token_id,
                user_id,
            },
            origin,
        }
    }

    /// Records `change` in site `site_id` at `now` (seconds), inside the caller's transaction,
    /// and queues it for the site's webhook endpoints that want it; an update that changed
    /// nothing is no event (API.md: no event without its change).
    pub async fn record(
        &self,
        conn: &Conn<'_>,
        site_id: &str,
        change: Change,
        now: i64,
    ) -> Result<(), ApiError> {
        if change.is_nothing() {
            return Ok(());
        }
        let subscribers = Subscribers::of(conn, site_id).await?;
        self.record_for(conn, &subscribers, site_id, change, now)
            .await
    }

    /// [`Context::record`] with the site's [`Subscribers`] read already (in the round trip of
    /// the transaction's first read): the event and its deliveries are written by statements
    /// that go out with the `COMMIT`, so recording costs no round trip of its own.
    pub async fn record_for(
        &self,
        conn: &Conn<'_>,
        subscribers: &Subscribers,
        site_id: &str,
        change: Change,
        now: i64,
    ) -> Result<(), ApiError> {
        if change.is_nothing() {
            return Ok(());
        }
        let event = self.event(site_id, change, now)?;
        write(conn, subscribers, &event, now).await
    }

    /// The event of `change` in site `site_id` at `now`, by this actor for this request.
    fn event(&self, site_id: &str, change: Change, now: i64) -> Result<Event, ApiError> {
        Ok(Event {
            id: crypto::new_id("evt_")?,
            kind: change.kind.to_owned(),
            at: crate::clock::format(now),
            site_id: site_id.to_owned(),
            actor: self.actor.clone(),
            target: change.target,
            request_id: self.origin.request_id.clone(),
            client_address: self
                .origin
                .client_address
                .map(|address| address.to_string()),
            user_agent: self.origin.user_agent.clone(),
            data: (!change.data.is_empty())
                .then(|| (&Value::Object(change.data)).try_into())
                .transpose()?,
        })
    }
}

/// Writes `event` to the log and queues it for those of `subscribers` that want it.
async fn write(
    conn: &Conn<'_>,
    subscribers: &Subscribers,
    event: &Event,
    now: i64,
) -> Result<(), ApiError> {
    log::insert(conn, event, now).await?;
    outbox::enqueue(conn, subscribers, event, now).await
}

/// One change to record: its type, what it is about, and what changed.
#[derive(Clone)]
pub struct Change {
    kind: &'static str,
    target: EventTarget,
    data: Map<String, Value>,
    /// Made by comparing the object before and after ([`Change::changes`]): with nothing in
    /// `data`, nothing changed, and there is no event.
    compared: bool,
}

/// Fields of an object that move with every write and say nothing of what changed.
const UNTRACKED: [&str; 3] = ["updated_at", "last_used_at", "expired"];

impl Change {
    /// `kind` (`connection.updated`) of the object `target_type` `target_id`. Every kind is one
    /// of [`credport_model::EVENT_TYPES`], what webhook endpoints may subscribe to: the tests,
    /// which make every kind, hold the list to what is recorded.
    pub fn new(kind: &'static str, target_type: &str, target_id: &str) -> Self {
        debug_assert!(
            credport_model::EVENT_TYPES.contains(&kind),
            "{kind} is missing from EVENT_TYPES"
        );
        Self {
            kind,
            target: EventTarget {
                kind: target_type.to_owned(),
                id: target_id.to_owned(),
            },
            data: Map::new(),
            compared: false,
        }
    }

    /// An update that changed nothing (a `PATCH` of `{}`, or of the values already there).
    fn is_nothing(&self) -> bool {
        self.compared && self.data.is_empty()
    }

    /// Adds `name: value` to the event's `data`. Never give it a secret.
    pub fn with(mut self, name: &str, value: impl Into<Value>) -> Self {
        self.data.insert(name.to_owned(), value.into());
        self
    }

    /// Adds `{"field": {"from": …, "to": …}}` for each field of the wire objects `before` and
    /// `after` that differs. Wire objects hold no secret, so neither does the difference.
    pub fn changes<T: Serialize>(mut self, before: &T, after: &T) -> Self {
        self.compared = true;
        let (Ok(Value::Object(before)), Ok(Value::Object(after))) =
            (serde_json::to_value(before), serde_json::to_value(after))
        else {
            return self;
        };
        for (name, to) in after {
            let from = before.get(&name).cloned().unwrap_or(Value::Null);
            if from != to && !UNTRACKED.contains(&name.as_str()) {
                let mut change = Map::new();
                change.insert("from".into(), from);
                change.insert("to".into(), to);
                self.data.insert(name, Value::Object(change));
            }
        }
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn changes_name_each_field_that_moved() {
        let before = json!({"status": "active", "scopes": ["a"], "updated_at": "x", "id": "c"});
        let after = json!({"status": "invalid", "scopes": ["a"], "updated_at": "y", "id": "c"});
        let change = Change::new("connection.updated", "connection", "c").changes(&before, &after);
        assert_eq!(
            Value::Object(change.data),
            json!({"status": {"from": "active", "to": "invalid"}})
        );
    }
}
