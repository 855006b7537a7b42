//! The JSON shape of the wire types the SDK reads and writes, as data.
//!
//! The SDK checks answers and parameters against these tables with one small JSON scanner instead
//! of serde code generated per type: in WebAssembly, generated code is what users download, and
//! a table costs a few bytes per field. Each table sits next to the struct it describes, and the
//! SDK's tests hold the two in agreement (what serde accepts, the table accepts, with the same
//! result).

use crate::validate::{self, Checked, FieldError, MAX_SECONDS_UNTIL_EXPIRATION};

/// A JSON object with known fields.
pub struct Shape {
    /// The type's name, for messages.
    pub name: &'static str,
    /// The fields, in groups: a type that embeds another (a created key is a key plus its
    /// secret) lists the other's fields as one group instead of repeating them.
    pub groups: &'static [&'static [Field]],
}

impl Shape {
    /// Every field, in order.
    pub fn fields(&self) -> impl Iterator<Item = &'static Field> + Clone {
        self.groups.iter().flat_map(|group| group.iter())
    }

    /// How many fields there are.
    pub fn field_count(&self) -> usize {
        self.groups.iter().map(|group| group.len()).sum()
    }

    /// The field at position `index` of [`Self::fields`] (a plain loop: the SDK looks fields up
    /// for every member of every object it reads).
    pub fn field(&self, mut index: usize) -> Option<&'static Field> {
        for group in self.groups {
            match group.get(index) {
                Some(field) => return Some(field),
                None => index -= group.len(),
            }
        }
        None
    }

    /// The position of the field with this wire name. `const`, so that a field the SDK reads by
    /// name (`connections::flags`, for every connection of a page) is found when it is compiled.
    pub const fn index_of(&self, wire: &str) -> Option<usize> {
        let mut index = 0;
        let mut groups = self.groups;
        while let Some((group, rest)) = groups.split_first() {
            let mut fields = *group;
            while let Some((field, more)) = fields.split_first() {
                if same_bytes(field.wire.as_bytes(), wire.as_bytes()) {
                    return Some(index);
                }
                index += 1;
                fields = more;
            }
            groups = rest;
        }
        None
    }
}

/// `a == b`, in a `const fn`.
const fn same_bytes(mut a: &[u8], mut b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    while let (Some((x, rest_a)), Some((y, rest_b))) = (a.split_first(), b.split_first()) {
        if *x != *y {
            return false;
        }
        a = rest_a;
        b = rest_b;
    }
    true
}

/// Which fields of a shape (by position) an object has named so far: for refusing a field named
/// twice and finding the ones left out. Shapes have fewer than 64 fields.
#[derive(Clone, Copy, Default)]
pub struct FieldSet(u64);

impl FieldSet {
    /// Adds field `index`; false if it was there already.
    pub fn insert(&mut self, index: usize) -> bool {
        let bit = 1u64.checked_shl(index as u32).unwrap_or(0);
        let new = self.0 & bit == 0;
        self.0 |= bit;
        new
    }

    pub fn contains(&self, index: usize) -> bool {
        self.0 & 1u64.checked_shl(index as u32).unwrap_or(0) != 0
    }
}

/// One field: its names, what its value must be, and the rule its value must meet.
pub struct Field {
    /// `snake_case`, as on the wire.
    pub wire: &'static str,
    /// `camelCase`, as JavaScript sees it.
    pub js: &'static str,
    pub kind: Kind,
    pub presence: Presence,
    pub rule: Rule,
}

impl Field {
    /// A field that must be there and not null.
    pub const fn required(wire: &'static str, js: &'static str, kind: Kind) -> Self {
        Field { wire, js, kind, presence: Presence::Required, rule: Rule::None }
    }

    /// A field that may be left out or null: an answer shows it as null; a request leaves it out.
    pub const fn optional(wire: &'static str, js: &'static str, kind: Kind) -> Self {
        Field { wire, js, kind, presence: Presence::Optional, rule: Rule::None }
    }

    /// A request field whose null is sent, to clear the value it stands for.
    pub const fn clearable(wire: &'static str, js: &'static str, kind: Kind) -> Self {
        Field { wire, js, kind, presence: Presence::Clearable, rule: Rule::None }
    }

    /// The same field, checked by `rule`.
    pub const fn with(self, rule: Rule) -> Self {
        Field { rule, ..self }
    }
}

/// What a field's value must be.
#[derive(Clone, Copy)]
pub enum Kind {
    Str,
    Bool,
    /// A whole number from 0 to this bound (the Rust type's largest value).
    Uint(u64),
    /// Any JSON value, carried unchanged.
    Json,
    /// Any JSON object, carried unchanged.
    Object,
    /// An array of strings.
    Strs,
    /// An object of this shape.
    One(&'static Shape),
    /// An array of objects of this shape.
    Many(&'static Shape),
}

pub const U32: Kind = Kind::Uint(u32::MAX as u64);
pub const U64: Kind = Kind::Uint(u64::MAX);

/// Whether a field may be absent or null.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Presence {
    Required,
    Optional,
    Clearable,
}

/// The input rule a parameter's value must meet (see [`crate::validate`]).
#[derive(Clone, Copy)]
pub enum Rule {
    None,
    /// [`validate::label`].
    Label,
    /// [`validate::text`] with this many characters at most.
    Text(usize),
    /// [`validate::scopes`].
    Scopes,
    /// [`crate::validate_token_scopes`].
    TokenScopes,
    /// [`validate::range`].
    Range(u64, u64),
    /// [`validate::timestamp`].
    Timestamp,
    /// An API-key secret to verify: 1 to 512 bytes.
    Secret,
    /// An API key's lifetime in seconds.
    Lifetime,
}

/// A parameter's value, as far as a rule needs it.
pub enum Value<'a> {
    Str(&'a str),
    Strs(&'a [String]),
    Uint(u64),
}

impl Rule {
    /// Checks `value` of the field whose wire name is `field`.
    pub fn check(self, field: &'static str, value: &Value) -> Checked {
        match (self, value) {
            (Rule::Label, Value::Str(s)) => validate::label(field, s),
            (Rule::Text(max), Value::Str(s)) => validate::text(field, s, max),
            (Rule::Scopes, Value::Strs(list)) => validate::scopes(field, list),
            (Rule::TokenScopes, Value::Strs(list)) => crate::validate_token_scopes(list),
            (Rule::Range(min, max), Value::Uint(n)) => validate::range(field, *n, min, max),
            (Rule::Lifetime, Value::Uint(n)) => validate::range(field, *n, 1, MAX_SECONDS_UNTIL_EXPIRATION),
            (Rule::Timestamp, Value::Str(s)) => validate::timestamp(field, s),
            (Rule::Secret, Value::Str(s)) => secret(field, s),
            _ => Ok(()),
        }
    }
}

/// An API-key secret offered for verification.
pub fn secret(field: &'static str, value: &str) -> Checked {
    if value.is_empty() {
        return Err(FieldError::new(field, "must not be empty"));
    }
    if value.len() > 512 {
        return Err(FieldError::new(field, "must be at most 512 characters"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::{API_KEY, CREATED_API_KEY};

    #[test]
    fn index_of_counts_across_groups_like_field() {
        let secret = CREATED_API_KEY.index_of("secret");
        assert_eq!(secret, Some(API_KEY.field_count()));
        assert_eq!(secret.and_then(|i| CREATED_API_KEY.field(i)).map(|f| f.wire), Some("secret"));
        for (i, field) in CREATED_API_KEY.fields().enumerate() {
            assert_eq!(CREATED_API_KEY.index_of(field.wire), Some(i), "{}", field.wire);
        }
        assert_eq!(API_KEY.index_of("secret"), None);
        assert_eq!(API_KEY.index_of("i"), None);
        assert_eq!(API_KEY.index_of(""), None);
    }
}
