//! Property tests ("fuzzing") of the decoding functions, and their agreement with the model's
//! serde types. Whatever bytes or JSON credport, a proxy or a broken network hands over,
//! decoding returns a value or an error, never panics (a panic in wasm is a trap that kills the
//! instance), and no string value of the body is ever echoed in an error message (a body may hold
//! a secret). The shape tables are checked against the serde types they describe: the same
//! answers and parameters are accepted, with the same result. Bounded: a few thousand cases per
//! property, so the whole module runs in seconds under `cargo test -p credport --lib`.

use credport_model::shape::Shape;
use credport_model::*;
use proptest::prelude::*;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{json, Value};

use super::{failure, retry_after_seconds, success};
use crate::errors::Error;
use crate::params;
use crate::wire;

const CASES: u32 = 2_000;

/// Marks every string value the generators make: an error message must never contain it.
const MARK: &str = "SeCrEt";

/// Every field name of the response types, so that generated objects reach deep into the
/// decoders instead of being rejected at the first missing field.
const FIELDS: &[&str] = &[
    "id", "object", "type", "name", "subject", "description", "claims", "scopes", "created_by", "revoked",
    "revocation_reason", "expired", "expiration", "last_used_at", "created_at", "updated_at", "secret", "data",
    "total_count", "deleted", "valid", "code", "api_key", "count", "page", "page_size", "next", "previous",
    "payload", "provider", "provider_config_key", "root_resource_id", "root_resource_name", "status",
    "token_expires_at", "credentials", "expires_at", "metadata", "fields", "user_id", "state", "revoked_by",
    "revoked_at", "token", "error", "message", "request_id", "details",
];

/// A response type, its shape table, and what the serde type makes of a body: its JSON with the
/// JS names, or `None` when serde refuses it.
struct Answer {
    shape: &'static Shape,
    oracle: fn(&str) -> Option<Value>,
}

fn oracle<T: DeserializeOwned + Serialize>(text: &str) -> Option<Value> {
    serde_json::from_str::<T>(text).ok().and_then(|v| serde_json::to_value(v).ok())
}

/// A type that embeds another with `#[serde(flatten)]` (which cannot hold raw JSON): the
/// embedded type and the one extra field, read apart and merged.
fn flattened<T: DeserializeOwned + Serialize>(text: &str, field: &str) -> Option<Value> {
    let Value::Object(mut map) = oracle::<T>(text)? else { return None };
    let Value::Object(whole) = serde_json::from_str::<Value>(text).ok()? else { return None };
    match whole.get(field)? {
        Value::String(s) => map.insert(field.to_owned(), Value::String(s.clone())),
        _ => return None,
    };
    Some(Value::Object(map))
}

const ANSWERS: &[Answer] = &[
    Answer { shape: &CONNECTION_PAGE, oracle: oracle::<ConnectionPage> },
    Answer { shape: &CONNECTION, oracle: oracle::<Connection> },
    Answer { shape: &PROVIDER_CREDENTIALS, oracle: oracle::<ProviderCredentials> },
    Answer { shape: &CREATED_API_KEY, oracle: |t| flattened::<ApiKey>(t, "secret") },
    Answer { shape: &API_KEY_LIST, oracle: oracle::<ApiKeyList> },
    Answer { shape: &API_KEY, oracle: oracle::<ApiKey> },
    Answer { shape: &DELETED_API_KEY, oracle: oracle::<DeletedApiKey> },
    Answer { shape: &API_KEY_SECRET, oracle: oracle::<ApiKeySecret> },
    Answer { shape: &VERIFY_API_KEY_RESULT, oracle: oracle::<VerifyApiKeyResult> },
    Answer { shape: &CREATED_PERSONAL_ACCESS_TOKEN, oracle: |t| flattened::<PersonalAccessToken>(t, "token") },
    Answer { shape: &TOKEN_LIST, oracle: oracle::<TokenList> },
    Answer { shape: &PERSONAL_ACCESS_TOKEN, oracle: oracle::<PersonalAccessToken> },
];

/// Decodes `text` as every response type; each must return, whatever the input.
fn decode_all(text: &str) -> Vec<Result<Vec<u8>, Error>> {
    ANSWERS.iter().map(|a| success(200, &|| Some("req_fuzz".into()), text, a.shape, None)).collect()
}

/// The decoder and the serde type agree on `text`: both refuse it, or both accept it with the
/// same result. Two differences are by design: free-form objects (`metadata`, `fields`) are raw
/// JSON of any kind in the SDK's serde build, and serde also reads a struct from an array of its
/// fields in order; the table, like the server, wants objects.
fn agree(text: &str) -> Result<(), TestCaseError> {
    for answer in ANSWERS {
        let ours = success(200, &|| None, text, answer.shape, None);
        let theirs = (answer.oracle)(text).map(without_flags);
        match (ours, theirs) {
            (Ok(ours), Some(theirs)) => {
                let ours: Value = serde_json::from_slice(&ours).map_err(|e| TestCaseError::fail(e.to_string()))?;
                prop_assert_eq!(ours, theirs, "{} of {}", answer.shape.name, text);
            }
            (Err(_), None) => {}
            (Err(e), Some(_)) if e.message().contains("expected an object") || struct_as_array(&e.message()) => {}
            (ours, theirs) => {
                prop_assert!(false, "{}: table {:?}, serde {:?}, for {}", answer.shape.name, ours.map_err(|e| e.message()), theirs, text);
            }
        }
    }
    Ok(())
}

/// `invalid type: array, expected ApiKey`: an array where an object of a shape was wanted.
fn struct_as_array(message: &str) -> bool {
    message
        .split_once("invalid type: array, expected ")
        .is_some_and(|(_, expected)| expected.starts_with(|c: char| c.is_ascii_uppercase()))
}

/// Drops the flags the SDK computes (`isActive`, `isExpired`), which serde fills with defaults.
fn without_flags(mut value: Value) -> Value {
    match &mut value {
        Value::Object(map) => {
            map.remove("isActive");
            map.remove("isExpired");
            for v in map.values_mut() {
                *v = without_flags(v.take());
            }
        }
        Value::Array(items) => {
            for v in items.iter_mut() {
                *v = without_flags(v.take());
            }
        }
        _ => {}
    }
    value
}

/// Runs `failure` on `text` for a few statuses; it always gives an error with that status.
fn fail_all(text: &str) -> Vec<String> {
    [400u16, 404, 409, 429, 500, 503, 599]
        .into_iter()
        .map(|status| {
            let f = failure(status, "Status Text", Some("req_h".into()), text, Some(1.0));
            assert_eq!(f.status, status);
            assert!(!f.code.is_empty());
            f.message
        })
        .collect()
}

/// Arbitrary JSON: scalars (strings marked), arrays and objects keyed mostly by known field names.
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<u64>().prop_map(|n| json!(n)),
        any::<f64>().prop_map(|n| serde_json::Number::from_f64(n).map_or(Value::Null, Value::Number)),
        any::<String>().prop_map(|s| Value::String(format!("{MARK}{s}"))),
        Just(json!(format!("{MARK}-2026-11-22T10:00:00Z"))),
    ];
    leaf.prop_recursive(4, 64, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((key(), inner), 0..12).prop_map(|pairs| Value::Object(pairs.into_iter().collect())),
        ]
    })
}

fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => prop::sample::select(FIELDS).prop_map(str::to_owned),
        1 => "[a-z_]{0,12}".prop_map(|s| s),
    ]
}

/// A valid body of every response type, to be mutated one field at a time.
fn valid_bodies() -> Vec<Value> {
    let key = json!({
        "id": "ak_1", "object": "api_key", "type": "api_key", "name": "n", "subject": "s",
        "description": null, "claims": {"a": 1}, "scopes": ["read"], "created_by": null, "revoked": false,
        "revocation_reason": null, "expired": false, "expiration": null, "last_used_at": null,
        "created_at": "2026-11-22T10:00:00Z", "updated_at": "2026-11-22T10:00:00Z"
    });
    let connection = json!({
        "id": "conn_1", "provider": "google", "provider_config_key": "google-prod", "root_resource_id": "r",
        "root_resource_name": "R", "scopes": ["read"], "status": "active", "token_expires_at": null,
        "credentials": {"type": "oauth2", "expires_at": null}, "metadata": {},
        "created_at": "2026-11-22T10:00:00Z", "updated_at": "2026-11-22T10:00:00Z"
    });
    let pat = json!({
        "id": "pat_1", "user_id": "u", "name": "t", "state": "ACTIVE", "scopes": [], "revoked_by": null,
        "created_at": "2026-11-22T10:00:00Z", "updated_at": "2026-11-22T10:00:00Z", "last_used_at": null,
        "expires_at": null, "revoked_at": null
    });
    let mut created_key = key.clone();
    created_key["secret"] = json!("cpk_x");
    let mut created_pat = pat.clone();
    created_pat["token"] = json!("cpat_x");
    vec![
        json!({"count": 1, "page": 1, "page_size": 20, "next": null, "previous": null, "payload": [connection.clone()]}),
        connection,
        json!({"provider": "google", "type": "oauth2", "expires_at": null, "fields": {"access_token": "x"}}),
        created_key,
        json!({"data": [key.clone()], "total_count": 1}),
        key.clone(),
        json!({"id": "ak_1", "object": "api_key", "deleted": true}),
        json!({"secret": "cpk_x"}),
        json!({"valid": true, "code": "VALID", "api_key": key}),
        created_pat,
        json!({"data": [pat.clone()], "total_count": 1}),
        pat,
        json!({"error": {"code": "not_found", "message": "m", "request_id": "r", "details": {"field": "f"}}}),
    ]
}

/// Every path to a value inside `value`, as keys and indexes.
fn paths(value: &Value, at: &mut Vec<Step>, out: &mut Vec<Vec<Step>>) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                at.push(Step::Key(k.clone()));
                out.push(at.clone());
                paths(v, at, out);
                at.pop();
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                at.push(Step::Index(i));
                out.push(at.clone());
                paths(v, at, out);
                at.pop();
            }
        }
        _ => {}
    }
}

#[derive(Clone, Debug)]
enum Step {
    Key(String),
    Index(usize),
}

/// `value` with the value at `path` replaced (or, for `None`, removed).
fn mutate(value: &mut Value, path: &[Step], with: Option<Value>) {
    let Some((last, parents)) = path.split_last() else { return };
    let mut at = value;
    for step in parents {
        let next = match (step, at) {
            (Step::Key(k), Value::Object(map)) => map.get_mut(k),
            (Step::Index(i), Value::Array(items)) => items.get_mut(*i),
            _ => None,
        };
        let Some(next) = next else { return };
        at = next;
    }
    match (last, at, with) {
        (Step::Key(k), Value::Object(map), Some(v)) => {
            map.insert(k.clone(), v);
        }
        (Step::Key(k), Value::Object(map), None) => {
            map.remove(k);
        }
        (Step::Index(i), Value::Array(items), Some(v)) => {
            if let Some(slot) = items.get_mut(*i) {
                *slot = v;
            }
        }
        (Step::Index(i), Value::Array(items), None) if *i < items.len() => {
            items.remove(*i);
        }
        _ => {}
    }
}

fn assert_no_mark(messages: impl IntoIterator<Item = String>) -> Result<(), TestCaseError> {
    for message in messages {
        prop_assert!(!message.contains(MARK), "an error message echoes a value of the body: {}", message);
    }
    Ok(())
}

fn messages<T>(results: Vec<Result<T, Error>>) -> Vec<String> {
    results.into_iter().filter_map(Result::err).map(|e| e.message()).collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: CASES, failure_persistence: None, ..ProptestConfig::default() })]

    /// Arbitrary bytes, read as the JS side reads a body (UTF-8, invalid sequences replaced).
    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        let text = String::from_utf8_lossy(&bytes);
        for result in decode_all(&text) {
            if let Err(error) = result {
                let invalid_response = matches!(error, Error::InvalidResponse { status: 200, .. });
                prop_assert!(invalid_response, "{:?}", error);
                prop_assert!(error.message().starts_with("credport answered 200 with an invalid body"));
            }
        }
        fail_all(&text);
        let _ = retry_after_seconds(&text);
    }

    /// Arbitrary JSON documents, keyed like credport's answers.
    #[test]
    fn arbitrary_json_never_panics_nor_echoes_values(value in json_value()) {
        let text = value.to_string();
        assert_no_mark(messages(decode_all(&text)))?;
        agree(&text)?;
        fail_all(&text);
    }

    /// Valid answers with one value replaced by arbitrary JSON or removed: the error names where.
    #[test]
    fn one_broken_field_is_named_and_not_echoed(
        pick in any::<prop::sample::Index>(),
        which in any::<prop::sample::Index>(),
        with in prop::option::of(json_value()),
    ) {
        let bodies = valid_bodies();
        let Some(body) = bodies.get(which.index(bodies.len())) else { return Ok(()) };
        let mut found = Vec::new();
        paths(body, &mut Vec::new(), &mut found);
        let Some(path) = found.get(pick.index(found.len().max(1))) else { return Ok(()) };
        let mut broken = body.clone();
        mutate(&mut broken, path, with);
        let text = broken.to_string();
        assert_no_mark(messages(decode_all(&text)))?;
        agree(&text)?;
        fail_all(&text);
    }

    /// Valid answers cut short, or followed by garbage, are errors, never panics.
    #[test]
    fn truncated_and_padded_answers(which in any::<prop::sample::Index>(), cut in any::<prop::sample::Index>(), tail in ".{0,8}") {
        let bodies = valid_bodies();
        let Some(body) = bodies.get(which.index(bodies.len())) else { return Ok(()) };
        let text = body.to_string();
        let mut end = cut.index(text.len());
        while !text.is_char_boundary(end) { end -= 1; }
        let short = text.get(..end).unwrap_or_default();
        for result in decode_all(short) {
            prop_assert!(result.is_err(), "a truncated body decoded: {}", short);
        }
        fail_all(short);
        let padded = format!("{text}{tail}");
        decode_all(&padded);
        fail_all(&padded);
    }

    #[test]
    fn retry_after_is_finite_and_non_negative(value in any::<String>(), n in any::<f64>()) {
        for v in [value, n.to_string(), format!(" {n} ")] {
            if let Some(seconds) = retry_after_seconds(&v) {
                prop_assert!(seconds.is_finite() && seconds >= 0.0);
            }
        }
    }
}

/// The valid bodies do decode: the mutations above start from real answers.
#[test]
fn the_valid_bodies_decode() {
    let bodies = valid_bodies();
    let results = decode_all(&bodies.iter().map(Value::to_string).collect::<Vec<_>>().join(""));
    assert!(results.iter().all(Result::is_err), "a concatenation is not one answer");
    let decoded: Vec<bool> = bodies
        .iter()
        .map(|b| decode_all(&b.to_string()).iter().any(Result::is_ok))
        .collect();
    for body in &bodies {
        agree(&body.to_string()).unwrap();
    }
    assert_eq!(decoded.iter().filter(|ok| **ok).count(), bodies.len() - 1, "{decoded:?}");
    let error = bodies.last().map(Value::to_string).unwrap_or_default();
    assert_eq!(failure(404, "Not Found", None, &error, None).code, "not_found");
}

/// A value of the wrong type where a secret sits must not appear in the message.
#[test]
fn a_wrongly_typed_secret_is_not_echoed() {
    let body = r#"{"secret": 42}"#;
    let Err(error) = success(200, &|| None, body, &API_KEY_SECRET, None) else { panic!("decoded") };
    assert!(error.message().contains("at secret"), "{}", error.message());
    let body = r#"{"valid": "cpk_live_0123456789", "code": "VALID", "api_key": null}"#;
    let Err(error) = success(200, &|| None, body, &VERIFY_API_KEY_RESULT, None) else { panic!("decoded") };
    let message = error.message();
    assert!(message.contains("at valid") && message.contains("expected a boolean"), "{message}");
    assert!(!message.contains("cpk_live"), "{message}");
}

/// A parameters type, its shape table, and what serde and the type's `validate` make of the
/// `JSON.stringify` text of a JS argument: the wire body (top-level names in `snake_case`), or
/// `None` when either refuses it.
struct Parameters {
    shape: &'static Shape,
    names: &'static [&'static str],
    oracle: fn(&str) -> Option<Value>,
}

fn checked<T: DeserializeOwned + Serialize>(text: &str, validate: fn(&T) -> Result<(), FieldError>) -> Option<Value> {
    let value: T = serde_json::from_str(text).ok()?;
    validate(&value).ok()?;
    let Value::Object(map) = serde_json::to_value(value).ok()? else { return None };
    let snake = |key: &str| key.chars().flat_map(|c| if c.is_ascii_uppercase() { vec!['_', c.to_ascii_lowercase()] } else { vec![c] }).collect::<String>();
    Some(Value::Object(map.into_iter().map(|(k, v)| (snake(&k), v)).collect()))
}

const PARAMETERS: &[Parameters] = &[
    Parameters {
        shape: &CREATE_API_KEY_PARAMS,
        names: &["name", "subject", "type", "description", "claims", "scopes", "createdBy", "secondsUntilExpiration"],
        oracle: |t| checked(t, CreateApiKeyParams::validate),
    },
    Parameters {
        shape: &UPDATE_API_KEY_PARAMS,
        names: &["claims", "scopes", "description", "subject", "secondsUntilExpiration"],
        oracle: |t| checked(t, UpdateApiKeyParams::validate),
    },
    Parameters {
        shape: &LIST_API_KEYS_PARAMS,
        names: &["subject", "type", "includeInvalid", "limit", "offset", "query"],
        oracle: |t| checked(t, ListApiKeysParams::validate),
    },
    Parameters {
        shape: &REVOKE_API_KEY_PARAMS,
        names: &["revocationReason"],
        oracle: |t| checked(t, RevokeApiKeyParams::validate),
    },
    Parameters {
        shape: &LIST_CONNECTIONS_PARAMS,
        names: &["page", "pageSize", "provider", "status"],
        oracle: |t| checked(t, ListConnectionsParams::validate),
    },
    Parameters {
        shape: &CREATE_TOKEN_PARAMS,
        names: &["name", "expiresAt", "scopes"],
        oracle: |t| checked(t, CreateTokenParams::validate),
    },
];

/// Values a parameter might be given: the edges of each rule, and arbitrary JSON.
fn param_value() -> impl Strategy<Value = Value> {
    prop_oneof![
        prop::sample::select(vec![
            json!(null), json!(0), json!(1), json!(100), json!(101), json!(-1), json!(2.5), json!(4294967295u64),
            json!(4294967296u64), json!(315360000), json!(315360001), json!(""), json!("  "), json!("name"),
            json!("a\u{0}b"), json!("x".repeat(257)), json!("x".repeat(4097)), json!("2026-11-22T10:00:00Z"),
            json!("tomorrow"), json!(["api_keys:read"]), json!(["everything"]), json!([]), json!(["", "a"]),
            json!([1]), json!({"a": [1, {"b": null}]}), json!(true), json!("active"),
        ]),
        json_value(),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: CASES, failure_persistence: None, ..ProptestConfig::default() })]

    /// What the table accepts, serde and `validate` accept, and the body sent is the same.
    #[test]
    fn parameter_tables_agree_with_the_types(
        which in any::<prop::sample::Index>(),
        members in prop::collection::vec((any::<prop::sample::Index>(), param_value()), 0..6),
        unknown in prop::option::weighted(0.1, "[a-zA-Z]{1,10}"),
    ) {
        let Some(p) = PARAMETERS.get(which.index(PARAMETERS.len())) else { return Ok(()) };
        let mut object = serde_json::Map::new();
        for (name, value) in members {
            if let Some(name) = p.names.get(name.index(p.names.len())) {
                object.insert((*name).to_owned(), value);
            }
        }
        if let Some(key) = unknown {
            object.insert(key, json!(1));
        }
        let text = Value::Object(object).to_string();
        let ours = params::from_json("params", &text, p.shape).map(|params| wire::body(&params));
        match (ours, (p.oracle)(&text)) {
            (Ok(ours), Some(theirs)) => {
                let ours: Value = serde_json::from_str(&ours).map_err(|e| TestCaseError::fail(e.to_string()))?;
                prop_assert_eq!(ours, theirs, "{} of {}", p.shape.name, text);
            }
            (Err(Error::InvalidArgument { argument, .. }), None) => {
                prop_assert!(argument.starts_with("params"), "{}", argument);
            }
            (ours, theirs) => {
                prop_assert!(false, "{}: table {:?}, serde {:?}, for {}", p.shape.name, ours.map_err(|e| e.message()), theirs, text);
            }
        }
    }
}

/// The agreement above also holds for parameters that are accepted (not only refused alike).
#[test]
fn accepted_parameters_agree() {
    let cases = [
        (&CREATE_API_KEY_PARAMS, r#"{"name":"n","subject":"s","scopes":["a"],"claims":{"x":[1]},"secondsUntilExpiration":60}"#),
        (&UPDATE_API_KEY_PARAMS, r#"{"description":null,"claims":null,"secondsUntilExpiration":null,"scopes":[]}"#),
        (&CREATE_TOKEN_PARAMS, r#"{"name":"t","expiresAt":"2030-01-01T00:00:00Z","scopes":["api_keys:read"]}"#),
        (&LIST_API_KEYS_PARAMS, r#"{"limit":100,"offset":0,"includeInvalid":true,"query":"q é"}"#),
    ];
    for (shape, text) in cases {
        let p = PARAMETERS.iter().find(|p| std::ptr::eq(p.shape, shape)).unwrap();
        let ours: Value = serde_json::from_str(&wire::body(&params::from_json("params", text, shape).unwrap())).unwrap();
        assert_eq!(Some(ours), (p.oracle)(text), "{text}");
    }
}
