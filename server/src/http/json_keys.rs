//! Duplicate keys in a JSON body. serde_json keeps the last of two equal keys, and a caller's
//! other tools (a proxy, an audit log, a policy check) may keep the first: `{"role": "user",
//! "role": "admin"}` must not mean one thing to them and another to credport. So a body with a
//! key twice in one object, at any depth (inside `claims`, `metadata` or credential `fields`
//! too), is refused before it is read into the request's type.

use std::cell::RefCell;
use std::collections::HashSet;
use std::fmt;
use std::fmt::Write as _;

use serde::de::{DeserializeSeed, Error as _, MapAccess, SeqAccess, Visitor};

/// The path of the first key that appears twice in one object, in the form of the API's
/// `details.field` (`role`, `claims.role`, `scopes[0].x`). `None` when every key is unique or
/// the text is not JSON (its reader reports that).
pub fn first_duplicate(bytes: &[u8]) -> Option<String> {
    let found = RefCell::new(None);
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let _ = Walk {
        place: &Place::Root,
        found: &found,
    }
    .deserialize(&mut de);
    found.into_inner()
}

/// Where a value stands: its parent's place and its own step. Written out as a path only for
/// the duplicate found: a path string made for every value would copy its parent's once per
/// element, and a body of one long key over many elements (unauthenticated, as bodies are read
/// before their token is checked) would cost gigabytes of copying.
enum Place<'p> {
    Root,
    Key(&'p Place<'p>, &'p str),
    Index(&'p Place<'p>, usize),
}

impl Place<'_> {
    fn path(&self) -> String {
        let mut out = String::new();
        self.write(&mut out);
        out
    }

    /// Recursion as deep as the JSON's nesting, which serde_json bounds (128).
    fn write(&self, out: &mut String) {
        match self {
            Self::Root => {}
            Self::Key(parent, name) => {
                parent.write(out);
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(name);
            }
            Self::Index(parent, index) => {
                parent.write(out);
                let _ = write!(out, "[{index}]");
            }
        }
    }
}

/// One JSON value at `place`; records the first duplicate in `found` and stops there.
struct Walk<'a> {
    place: &'a Place<'a>,
    found: &'a RefCell<Option<String>>,
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
            let place = Place::Index(self.place, index);
            let item = Walk {
                place: &place,
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
            let place = Place::Key(self.place, &key);
            if seen.contains(&key) {
                *self.found.borrow_mut() = Some(place.path());
                return Err(A::Error::custom("duplicate key"));
            }
            map.next_value_seed(Walk {
                place: &place,
                found: self.found,
            })?;
            seen.insert(key);
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

    /// A body of one key as long as the body limit allows over as many elements: walked once,
    /// its paths never written out (one path per element was a copy of the key each, about
    /// 137 GB here).
    #[test]
    fn a_long_key_over_many_elements_costs_one_walk() {
        let key = "a".repeat(512 * 1024);
        let zeros = vec!["0"; 256 * 1024].join(",");
        let body = format!(r#"{{"{key}":[{zeros}],"b":{{"c":[{{"d":1,"d":2}}]}}}}"#);
        assert_eq!(
            first_duplicate(body.as_bytes()).as_deref(),
            Some("b.c[0].d")
        );
    }
}
