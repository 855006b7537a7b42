//! Reading requests: JSON bodies, query strings and path parameters into the model's types,
//! with every failure a 400 that names the field (its wire name); the body itself is read by
//! [`crate::http::body_limit`] (413, 408).

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Path, RawPathParams, Request};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, Method};
use credport_model::validate;
use credport_model::{
    CreateAdminTokenParams, CreateApiKeyParams, CreateConnectSessionParams, CreateConnectionParams,
    CreateProviderConfigParams, CreateSiteParams, CreateTokenParams, CreateWebhookEndpointParams,
    GetCredentialsParams, ListApiKeysParams, ListConnectionsParams, ListEventsParams,
    ListSiteTokensParams, RevokeApiKeyParams, UpdateApiKeyParams, UpdateConnectionParams,
    UpdateProviderConfigParams, UpdateWebhookEndpointParams, VerifyApiKeyParams,
};
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::echo;
use crate::error::ApiError;
use crate::http::body_limit;
use crate::http::idempotency_key::IdempotencyKey;
use crate::http::json_keys;

/// A request type, with its validation rules: the model's, and where the server says more than
/// the model does (a JSON value's kind), the server's first.
pub trait Params: DeserializeOwned {
    fn check(&self) -> Result<(), ApiError>;
}

macro_rules! params {
    ($($ty:ty $(=> $first:expr)?),+ $(,)?) => {
        $(impl Params for $ty {
            fn check(&self) -> Result<(), ApiError> {
                $(($first)(self)?;)?
                Ok(self.validate()?)
            }
        })+
    };
}

params!(
    CreateAdminTokenParams,
    CreateApiKeyParams,
    CreateConnectSessionParams => |p: &CreateConnectSessionParams| match &p.metadata {
        None | Some(Value::Object(_)) => Ok(()),
        Some(_) => Err(ApiError::invalid("metadata", "metadata: must be a JSON object")),
    },
    CreateConnectionParams,
    CreateProviderConfigParams,
    CreateSiteParams,
    CreateWebhookEndpointParams,
    CreateTokenParams,
    GetCredentialsParams,
    ListApiKeysParams,
    ListConnectionsParams,
    ListEventsParams,
    ListSiteTokensParams,
    RevokeApiKeyParams,
    UpdateApiKeyParams,
    UpdateConnectionParams,
    UpdateProviderConfigParams,
    UpdateWebhookEndpointParams,
    VerifyApiKeyParams,
);

/// The body of a `POST` that takes no parameters (a revoke, a refresh): none, or `{}`. Read
/// all the same, so that what every body is refused for (another media type, a duplicate key,
/// a member) is refused here too.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NoParams {}

impl Params for NoParams {
    fn check(&self) -> Result<(), ApiError> {
        Ok(())
    }
}

/// The body of a `POST` or `PATCH`, read whole (at most [`body_limit::MAX_BODY_BYTES`]) but not
/// yet parsed, so that a handler checks the caller's scope before it judges the input.
pub struct Payload {
    method: Method,
    path: String,
    headers: HeaderMap,
    body: Bytes,
}

impl<S: Send + Sync> FromRequest<S> for Payload {
    type Rejection = ApiError;

    async fn from_request(request: Request, _state: &S) -> Result<Self, ApiError> {
        let (parts, body) = request.into_parts();
        let body = body_limit::read(body).await?;
        Ok(Self {
            method: parts.method,
            path: parts.uri.path().to_owned(),
            headers: parts.headers,
            body,
        })
    }
}

impl Payload {
    /// The body as `T`, validated. An empty body reads as `{}`, so that bodies whose fields are
    /// all optional may be left out and a required field is reported by name.
    pub fn json<T: Params>(&self) -> Result<T, ApiError> {
        let bytes: &[u8] = if self.body.is_empty() {
            b"{}"
        } else {
            self.check_content_type()?;
            &self.body
        };
        // serde would also read a struct from an array of its fields: the API takes objects.
        if bytes.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'[') {
            return Err(ApiError::invalid("body", "body: must be a JSON object"));
        }
        if let Some(path) = json_keys::first_duplicate(bytes) {
            let field = echo::name(&path);
            return Err(ApiError::invalid(
                &field,
                format!("{field}: this key appears more than once in its object"),
            ));
        }
        let mut tree: Value = serde_json::from_slice(bytes).map_err(|e| json_error("", &e))?;
        whole_numbers_as_integers(&mut tree);
        let value: T = serde_path_to_error::deserialize(tree).map_err(|e| {
            let path = e.path().to_string();
            json_error(&path, e.inner())
        })?;
        value.check()?;
        Ok(value)
    }

    /// The request's `Idempotency-Key`, validated, with the fingerprint of this request.
    pub fn idempotency_key(&self) -> Result<Option<IdempotencyKey>, ApiError> {
        IdempotencyKey::from_request(&self.headers, &self.method, &self.path, &self.body)
    }

    fn check_content_type(&self) -> Result<(), ApiError> {
        let media_type = self
            .headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .map(|v| v.trim().to_ascii_lowercase());
        match media_type.as_deref() {
            Some(t)
                if t == "application/json"
                    || (t.starts_with("application/") && t.ends_with("+json")) =>
            {
                Ok(())
            }
            _ => Err(ApiError::invalid(
                "Content-Type",
                "Content-Type: a request body must be sent as application/json",
            )),
        }
    }
}

/// Body fields that hold a whole number. JSON has one kind of number: `3600.0` is the whole
/// number 3600 (JSON Schema's `integer` says so too), though serde would refuse it for a `u64`.
const WHOLE_NUMBER_FIELDS: [&str; 2] = ["seconds_until_expiration", "refresh_margin_seconds"];

/// Writes a [`WHOLE_NUMBER_FIELDS`] value with a zero fraction (`3600.0`) as the integer it is.
fn whole_numbers_as_integers(body: &mut Value) {
    let Value::Object(fields) = body else { return };
    for name in WHOLE_NUMBER_FIELDS {
        let Some(value) = fields.get_mut(name) else {
            continue;
        };
        let whole = value
            .as_f64()
            .filter(|n| n.fract() == 0.0 && (0.0..u64::MAX as f64).contains(n));
        if let (Some(n), false) = (whole, value.is_u64()) {
            // Exact: a whole f64 in u64's range converts without rounding.
            *value = Value::from(n as u64);
        }
    }
}

/// A query string as `T`. Empty values (`provider=`) count as absent, so that a client may
/// send every parameter it knows and leave some blank.
pub struct Query<T>(pub T);

impl<S: Send + Sync, T: Params> FromRequestParts<S> for Query<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        let raw = parts.uri.query().unwrap_or_default();
        not_utf8_in(raw)?;
        let kept = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(form_urlencoded::parse(raw.as_bytes()).filter(|(_, v)| !v.is_empty()))
            .finish();
        let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(kept.as_bytes()));
        let value: T = serde_path_to_error::deserialize(de).map_err(|e| {
            let path = e.path().to_string();
            field_error(&path, &e.inner().to_string())
        })?;
        value.check()?;
        Ok(Self(value))
    }
}

/// 400 naming the first parameter of `query` whose name or value is not UTF-8 once
/// percent-decoded: `form_urlencoded` would read those bytes as U+FFFD, and a filter by the
/// text the client did not send would answer a quiet empty list.
fn not_utf8_in(query: &str) -> Result<(), ApiError> {
    let utf8 = |text: &str| {
        percent_encoding::percent_decode_str(text)
            .decode_utf8()
            .is_ok()
    };
    for pair in query.split('&') {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        if !utf8(name) {
            return Err(ApiError::invalid(
                "query",
                "query: a parameter's name is not valid UTF-8",
            ));
        }
        if !utf8(value) {
            let spaced = name.replace('+', " ");
            let field =
                echo::name(&percent_encoding::percent_decode_str(&spaced).decode_utf8_lossy());
            return Err(ApiError::invalid(
                &field,
                format!("{field}: not valid UTF-8 once percent-decoded"),
            ));
        }
    }
    Ok(())
}

/// Path parameters; a parameter that is not valid percent-encoded UTF-8 is a 400. One that holds
/// a control character names nothing that can exist (no id, key, provider code or file holds
/// one): a 404 before any store is asked, the same on both (PostgreSQL refuses `%00` in any text,
/// which was a 500 there).
pub struct PathParams<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for PathParams<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        fn not_utf8<Rejection>(_: Rejection) -> ApiError {
            ApiError::invalid("path", "path: a path parameter is not valid UTF-8")
        }
        let Path(value) = Path::<T>::from_request_parts(parts, state)
            .await
            .map_err(not_utf8)?;
        let raw = RawPathParams::from_request_parts(parts, state)
            .await
            .map_err(not_utf8)?;
        if raw.iter().any(|(_, v)| v.chars().any(char::is_control)) {
            return Err(ApiError::not_found_because(
                "nothing is here: a path parameter holds a control character",
            ));
        }
        Ok(Self(value))
    }
}

fn json_error(path: &str, error: &serde_json::Error) -> ApiError {
    use serde_json::error::Category;
    match error.classify() {
        // Syntax messages are fixed texts with a position: they quote nothing from the input.
        Category::Syntax | Category::Eof | Category::Io => ApiError::invalid(
            "body",
            format!("body: the request body is not valid JSON ({error})"),
        ),
        Category::Data => {
            let message = error.to_string();
            let message = message
                .rfind(" at line ")
                .map_or(message.as_str(), |at| &message[..at]);
            field_error(path, message)
        }
    }
}

/// A 400 for a deserialisation failure at `path` (serde_path_to_error's form: `.` for the
/// top level, `credentials.type`, `scopes[0]`). serde's own wording is kept only where it
/// names fields or types; anything that could quote a value (a secret sent in the wrong field)
/// is replaced.
fn field_error(path: &str, message: &str) -> ApiError {
    let at = |name: &str| match path {
        "." | "" => name.to_owned(),
        parent => format!("{parent}.{name}"),
    };
    let named = |prefix: &str| {
        message
            .strip_prefix(prefix)
            .and_then(|rest| rest.strip_prefix('`'))
            .and_then(|rest| rest.split_once('`'))
    };
    if let Some((name, _)) = named("missing field ") {
        let field = at(name);
        return ApiError::invalid(&field, format!("{field}: is required"));
    }
    if let Some((name, _)) = named("unknown field ") {
        // Here the path already ends with the unknown key, the client's text: cut and screened.
        let field = echo::name(match path {
            "." | "" => name,
            p => p,
        });
        // serde's list of the known fields ends its message, after the key: taken from the end,
        // so that a key holding a backtick cannot carry the rest of itself into the answer.
        let known = message
            .rsplit_once("`, expected ")
            .filter(|_| !message.ends_with("`, there are no fields"));
        let expected = known.map_or("there are no fields".to_owned(), |(_, known)| {
            format!("expected {known}")
        });
        return ApiError::invalid(&field, format!("{field}: unknown field; {expected}"));
    }
    if let Some((name, _)) = named("duplicate field ") {
        let field = at(name);
        return ApiError::invalid(&field, format!("{field}: given more than once"));
    }
    let field = match path {
        "." | "" | "?" => "body".to_owned(),
        p => echo::name(p),
    };
    // serde names the value before what it expected (`invalid type: string "…", expected a
    // sequence`): split at the last `, expected `, so that a value holding those words (and
    // whatever follows them, a secret too) stays out of the answer.
    let reason = match (
        validate::whole_number_range(&field),
        message.rsplit_once(", expected "),
    ) {
        // A wrong type and an out-of-range number get the same words as the range check.
        (Some((min, max)), _) => format!("must be a whole number between {min} and {max}"),
        (None, Some((_, expected))) => format!("must be {}", plain_type(expected)),
        (None, None) if message.contains("`true` or `false`") => "must be true or false".to_owned(),
        (None, None) => "invalid value".to_owned(),
    };
    ApiError::invalid(&field, format!("{field}: {reason}"))
}

/// serde's name of an expected type, in the words of JSON.
fn plain_type(expected: &str) -> &str {
    match expected {
        "u8" | "u16" | "u32" | "u64" => "a whole number, 0 or more",
        "i8" | "i16" | "i32" | "i64" => "a whole number",
        "a sequence" => "a list",
        "a map" => "a JSON object",
        e if e.starts_with("struct ") => "a JSON object",
        e => e,
    }
}
