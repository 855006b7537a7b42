//! Property tests ("fuzzing") of reading answers. Whatever bytes or JSON credport, a proxy or a
//! broken network hands over, reading returns a value or an error, never panics (a panic in wasm
//! is a trap that kills the instance), and no string value of the body is ever echoed in an error
//! message (a body may hold a secret). Bounded: a few thousand cases per property, so the module
//! runs in seconds under `cargo test -p credport --lib`. The same properties through the built
//! wasm, with parameters too, are in tests/js/fuzz.test.mjs.

use credport_model::*;
use proptest::prelude::*;
use serde_json::{json, Value};

use super::{
    created_api_key, created_personal_access_token, failure, json, retry_after_seconds, success,
    Reader,
};
use crate::errors::Error;

const CASES: u32 = 2_000;

/// Marks every string value the generators make: an error message must never contain it.
const MARK: &str = "SeCrEt";

/// Every field name of the answer types, so that generated objects reach deep into the readers
/// instead of being refused at the first missing field.
const FIELDS: &[&str] = &[
    "id",
    "object",
    "type",
    "name",
    "subject",
    "description",
    "claims",
    "scopes",
    "created_by",
    "revoked",
    "revocation_reason",
    "expired",
    "expiration",
    "last_used_at",
    "created_at",
    "updated_at",
    "secret",
    "data",
    "total_count",
    "deleted",
    "valid",
    "code",
    "api_key",
    "count",
    "page",
    "page_size",
    "next",
    "previous",
    "payload",
    "provider",
    "provider_config_key",
    "root_resource_id",
    "root_resource_name",
    "status",
    "token_expires_at",
    "credentials",
    "expires_at",
    "metadata",
    "fields",
    "user_id",
    "state",
    "revoked_by",
    "revoked_at",
    "token",
    "error",
    "message",
    "request_id",
    "details",
];

/// Reads `text` as every answer type; each must return, and an error must not quote the body.
fn read_all(text: &str) {
    fn one<T>(text: &str, read: Reader<T>) {
        if let Err(Error::InvalidResponse { message, .. }) =
            success(200, || Some("req_fuzz".into()), text, read)
        {
            assert!(!message.contains(MARK), "{message}");
        }
    }
    one(text, json::<ConnectionPage>);
    one(text, json::<Connection>);
    one(text, json::<ProviderCredentials>);
    one(text, created_api_key);
    one(text, json::<ApiKeyList>);
    one(text, json::<ApiKey>);
    one(text, json::<DeletedApiKey>);
    one(text, json::<ApiKeySecret>);
    one(text, json::<VerifyApiKeyResult>);
    one(text, created_personal_access_token);
    one(text, json::<TokenList>);
    one(text, json::<PersonalAccessToken>);
    let f = failure(400, "Bad Request", None, text, None);
    assert!(f.code == "http_error" || serde_json::from_str::<Value>(text).is_ok());
}

fn scalar() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(|f| json!(f)),
        "[a-z\u{e9}\u{1F511}\"\\\\]{0,6}".prop_map(|s| Value::String([MARK, &s].concat())),
    ]
}

/// JSON values whose object keys are mostly the answers' field names.
fn value() -> impl Strategy<Value = Value> {
    scalar().prop_recursive(4, 48, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::vec((prop::sample::select(FIELDS), inner), 0..10).prop_map(
                |members| Value::Object(
                    members
                        .into_iter()
                        .map(|(k, v)| (k.to_owned(), v))
                        .collect()
                )
            ),
        ]
    })
}

/// A valid connection page and a valid created key, for mutation.
fn valid_bodies() -> Vec<String> {
    let connection = json!({"id": "conn_1", "provider": "google", "provider_config_key": "google-prod",
        "root_resource_id": null, "root_resource_name": "Acme", "scopes": ["a"], "status": "active",
        "token_expires_at": "2026-01-01T00:00:00Z", "credentials": {"type": "oauth2", "expires_at": null},
        "metadata": {"k": [1, {"x": null}]}, "created_at": "t", "updated_at": "t"});
    let key = json!({"id": "ak_1", "object": "api_key", "type": "api_key", "name": "n", "subject": "s",
        "description": null, "claims": {"role": "x"}, "scopes": [], "created_by": null, "revoked": false,
        "revocation_reason": null, "expired": false, "expiration": null, "last_used_at": null,
        "created_at": "t", "updated_at": "t", "secret": "cpk_x"});
    vec![
        json!({"count": 1, "page": 1, "page_size": 20, "next": null, "previous": null, "payload": [connection]}).to_string(),
        key.to_string(),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: CASES, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..200)) {
        read_all(&String::from_utf8_lossy(&bytes));
    }

    #[test]
    fn arbitrary_json_never_panics_nor_echoes(v in value()) {
        read_all(&v.to_string());
    }

    #[test]
    fn mutated_answers_never_panic_nor_echo(which in 0usize..2, at in any::<prop::sample::Index>(), by in scalar()) {
        let body = &valid_bodies()[which];
        // Replace one value of a valid answer (found by position) with a marked one.
        let mut whole: Value = serde_json::from_str(body).unwrap();
        let mut spots = Vec::new();
        collect(&whole, &mut Vec::new(), &mut spots);
        let path = &spots[at.index(spots.len())];
        *pointer(&mut whole, path) = by;
        read_all(&whole.to_string());
        read_all(&body[..at.index(body.len())]);
    }

    #[test]
    fn retry_after_never_panics(text in "\\PC{0,20}") {
        let _ = retry_after_seconds(&text);
    }
}

/// Every value's path (object keys and array indices) in `v`.
fn collect(v: &Value, path: &mut Vec<String>, out: &mut Vec<Vec<String>>) {
    out.push(path.clone());
    match v {
        Value::Object(map) => map.iter().for_each(|(k, v)| {
            path.push(k.clone());
            collect(v, path, out);
            path.pop();
        }),
        Value::Array(items) => items.iter().enumerate().for_each(|(i, v)| {
            path.push(i.to_string());
            collect(v, path, out);
            path.pop();
        }),
        _ => {}
    }
}

fn pointer<'a>(v: &'a mut Value, path: &[String]) -> &'a mut Value {
    path.iter().fold(v, |v, part| match v {
        Value::Array(items) => &mut items[part.parse::<usize>().unwrap()],
        other => &mut other[part.as_str()],
    })
}

#[test]
fn valid_answers_are_read() {
    for body in valid_bodies() {
        assert!(
            json::<ConnectionPage>(&body).is_ok() || created_api_key(&body).is_ok(),
            "{body}"
        );
    }
}
