//! Property tests ("fuzzing") of the decoding functions: whatever bytes or JSON credport, a proxy
//! or a broken network hands over, decoding returns a value or an error, never panics (a panic
//! in wasm is a trap that kills the instance), and no string value of the body is ever echoed in
//! an error message (a body may hold a secret). Bounded: a few thousand cases per property, so
//! the whole module runs in seconds under `cargo test -p credport --lib`.

use credport_model::{
    ApiKey, ApiKeyList, ApiKeySecret, Connection, ConnectionPage, CreatedApiKey, CreatedPersonalAccessToken,
    DeletedApiKey, PersonalAccessToken, ProviderCredentials, TokenList, VerifyApiKeyResult,
};
use proptest::prelude::*;
use serde::de::DeserializeOwned;
use serde_json::{json, Value};

use super::{failure, retry_after_seconds, success};
use crate::errors::Error;

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

/// Decodes `text` as every response type; each must return, whatever the input.
fn decode_all(text: &str) -> Vec<Result<(), Error>> {
    fn one<T: DeserializeOwned>(text: &str) -> Result<(), Error> {
        success::<T>(200, Some("req_fuzz".into()), text).map(|_| ())
    }
    vec![
        one::<ConnectionPage>(text),
        one::<Connection>(text),
        one::<ProviderCredentials>(text),
        one::<CreatedApiKey>(text),
        one::<ApiKeyList>(text),
        one::<ApiKey>(text),
        one::<DeletedApiKey>(text),
        one::<ApiKeySecret>(text),
        one::<VerifyApiKeyResult>(text),
        one::<CreatedPersonalAccessToken>(text),
        one::<TokenList>(text),
        one::<PersonalAccessToken>(text),
    ]
}

/// Runs `failure` on `text` for a few statuses; it always gives an error with that status.
fn fail_all(text: &str) -> Vec<String> {
    [400u16, 404, 409, 429, 500, 503, 599]
        .into_iter()
        .map(|status| {
            let f = failure(status, "Status Text", Some("req_h".into()), vec![], text, Some(1.0));
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

fn messages(results: Vec<Result<(), Error>>) -> Vec<String> {
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
    assert_eq!(decoded.iter().filter(|ok| **ok).count(), bodies.len() - 1, "{decoded:?}");
    let error = bodies.last().map(Value::to_string).unwrap_or_default();
    assert_eq!(failure(404, "Not Found", None, vec![], &error, None).code, "not_found");
}

/// A value of the wrong type where a secret sits must not appear in the message.
#[test]
fn a_wrongly_typed_secret_is_not_echoed() {
    let body = r#"{"secret": 42}"#;
    let Err(error) = success::<ApiKeySecret>(200, None, body) else { panic!("decoded") };
    assert!(error.message().contains("at secret"), "{}", error.message());
    let body = r#"{"valid": "cpk_live_0123456789", "code": "VALID", "api_key": null}"#;
    let Err(error) = success::<VerifyApiKeyResult>(200, None, body) else { panic!("decoded") };
    let message = error.message();
    assert!(message.contains("at valid") && message.contains("expected a boolean"), "{message}");
    assert!(!message.contains("cpk_live"), "{message}");
}
