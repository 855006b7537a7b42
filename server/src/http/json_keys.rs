//! Duplicate keys in a JSON body. serde_json keeps the last of two equal keys, and a caller's
//! other tools (a proxy, an audit log, a policy check) may keep the first: `{"role": "user",
//! "role": "admin"}` must not mean one thing to them and another to credport. So a body with a
//! key twice in one object, at any depth (inside `claims`, `metadata` or credential `fields`
//! too), is refused before it is read into the request's type.

use std::cell::RefCell;
use std::collections::HashSet;
use std::fmt;

use serde::de::{DeserializeSeed, Error as _, MapAccess, SeqAccess, Visitor};

/// The path of the first key that appears twice in one object, in the form of the API's
/// `details.field` (`role`, `claims.role`, `scopes[0].x`). `None` when every key is unique or
/// the text is not JSON (its reader reports that).
pub fn first_duplicate(bytes: &[u8]) -> Option<String> {
    let found = RefCell::new(None);
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let _ = Walk {
        at: String::new(),
        found: &found,
    }
    .deserialize(&mut de);
    found.into_inner()
}

/// One JSON value at path `at`; records the first duplicate in `found` and stops there.
struct Walk<'a> {
    at: String,
    found: &'a RefCell<Option<String>>,
}

impl Walk<'_> {
    fn child(&self, name: &str) -> String {
        if self.at.is_empty() {
            name.to_owned()
        } else {
            format!("{}.{name}", self.at)
        }
    }
}

impl<'de> DeserializeSeed<'de> for Walk<'_> {
    type Value = ();

    fn deserialize<D: serde::Deserializer<'de>>(self, de: D) -> Result<(), D::Error> {
        de.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Walk<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }

    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }

    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }

    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }

    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        Ok(())
    }

    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut index = 0usize;
        loop {
            let item = Walk {
                at: format!("{}[{index}]", self.at),
                found: self.found,
            };
            if seq.next_element_seed(item)?.is_none() {
                return Ok(());
            }
            index += 1;
        }
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut seen = HashSet::new();
        while let Some(key) = map.next_key::<String>()? {
            let at = self.child(&key);
            if !seen.insert(key) {
                *self.found.borrow_mut() = Some(at);
                return Err(A::Error::custom("duplicate key"));
            }
            map.next_value_seed(Walk {
                at,
                found: self.found,
            })?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::first_duplicate;

    #[test]
    fn finds_a_repeated_key_at_any_depth() {
        assert_eq!(first_duplicate(br#"{"a":1,"b":[{"c":1}]}"#), None);
        assert_eq!(first_duplicate(br#"{"a":1,"a":2}"#).as_deref(), Some("a"));
        assert_eq!(
            first_duplicate(br#"{"claims":{"role":"user","role":"admin"}}"#).as_deref(),
            Some("claims.role")
        );
        assert_eq!(
            first_duplicate(br#"{"x":[1,{"k":1,"\u006b":2}]}"#).as_deref(),
            Some("x[1].k"),
            "keys are compared after unescaping"
        );
        assert_eq!(first_duplicate(b"{not json"), None);
    }
}
