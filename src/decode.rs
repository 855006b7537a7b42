//! Reading credport's answers: a 2xx body checked against the shape the call promises and
//! rewritten with the JS field names, an error body into the fields of an `APIError`. Pure
//! functions over the status and the text, so that they can be fuzzed natively: whatever bytes
//! arrive, they return an error, never panic.

use credport_model::shape::{Field, FieldSet, Kind, Presence, Shape};
use credport_model::validate::decimal;

use crate::errors::{ApiFailure, Error};
use crate::json::{self, Fault, Scanner};
use wasm_bindgen::JsValue;

/// Values read from one object, by field position: the raw text of each field's value.
pub type Values<'a> = [Option<&'a str>; MAX_RECORDED];

/// How many fields of an object are recorded for [`Extra`]; later fields are read all the same.
const MAX_RECORDED: usize = 20;

/// Adds computed members to an object of `shape` (`isActive` of a connection), from the values
/// read: written after the object's last member, each starting with `,`.
pub type Extra<'x> = &'x dyn Fn(&Shape, &Values, &mut Vec<u8>);

/// A 2xx body as JSON text (UTF-8 bytes) with the JS field names (`camelCase`), every optional
/// field present (null when the answer left it out) and unknown fields dropped; anything that is
/// not `shape` is an [`Error::InvalidResponse`] naming where it went wrong. Bytes, not a `String`:
/// they are copied from valid UTF-8 at ASCII boundaries, and JS decodes them anyway, so a second
/// UTF-8 check would only cost time.
///
/// `request_id` is asked for only for an error: reading it costs a header lookup in JS.
pub fn success(
    status: u16,
    request_id: &dyn Fn() -> Option<String>,
    text: &str,
    shape: &'static Shape,
    extra: Option<Extra>,
) -> Result<Vec<u8>, Error> {
    let mut reader = Reader { scan: Scanner::new(text), out: Vec::with_capacity(text.len() + text.len() / 8), extra };
    let read = reader.object(shape).and_then(|()| reader.scan.end());
    match read {
        Ok(()) => Ok(reader.out),
        Err(Fault { path, message }) => {
            let mut text = String::from("credport answered ");
            text.push_str(&decimal(status.into()));
            text.push_str(" with an invalid body");
            if !path.is_empty() {
                text.push_str(" at ");
                text.push_str(&path);
            }
            text.push_str(": ");
            text.push_str(&message);
            Err(Error::InvalidResponse { status, request_id: request_id(), message: text })
        }
    }
}

struct Reader<'a, 'x> {
    scan: Scanner<'a>,
    out: Vec<u8>,
    extra: Option<Extra<'x>>,
}

impl<'a> Reader<'a, '_> {
    fn object(&mut self, shape: &'static Shape) -> Result<(), Fault> {
        if self.scan.peek() != Some(b'{') {
            return Err(self.wrong_type(shape.name));
        }
        self.scan.open_object()?;
        self.out.push(b'{');
        let mut seen = FieldSet::default();
        let mut values: Values = [None; MAX_RECORDED];
        // Answers list their fields in the order of the tables: look at the next one first.
        let mut next = 0;
        let mut first = true;
        while let Some(key) = self.scan.next_member(first)? {
            first = false;
            let Some((index, field)) = find(shape, key, next) else {
                self.scan.value()?;
                continue;
            };
            next = index + 1;
            if !seen.insert(index) {
                return Err(self.scan.fault(["duplicate field `", field.wire, "`"].concat()));
            }
            self.key(field);
            self.scan.peek();
            let start = self.scan.pos();
            self.value(field)?;
            if let Some(slot) = values.get_mut(index) {
                *slot = Some(self.scan.slice(start, self.scan.pos()));
            }
        }
        for index in 0..shape.field_count() {
            let Some(field) = shape.field(index) else { break };
            if seen.contains(index) {
                continue;
            }
            if field.presence == Presence::Required {
                return Err(self.scan.fault(["missing field `", field.wire, "`"].concat()));
            }
            self.key(field);
            self.out.extend_from_slice(b"null");
        }
        if let Some(extra) = self.extra {
            extra(shape, &values, &mut self.out);
        }
        self.out.push(b'}');
        Ok(())
    }

    /// Writes `"name":`, after a `,` unless it is the object's first member.
    fn key(&mut self, field: &Field) {
        if self.out.last() != Some(&b'{') {
            self.out.push(b',');
        }
        self.out.push(b'"');
        self.out.extend_from_slice(field.js.as_bytes());
        self.out.extend_from_slice(b"\":");
    }

    fn value(&mut self, field: &Field) -> Result<(), Fault> {
        if self.scan.peek() == Some(b'n') && field.presence != Presence::Required && self.scan.null() {
            self.out.extend_from_slice(b"null");
            return Ok(());
        }
        match field.kind {
            Kind::Str => self.string()?,
            Kind::Bool => {
                let value = self.scan.boolean().ok_or_else(|| self.wrong_type("a boolean"))?;
                self.out.extend_from_slice(if value { b"true" } else { b"false" });
            }
            Kind::Uint(max) => {
                if !matches!(self.scan.peek(), Some(b'-' | b'0'..=b'9')) {
                    return Err(self.wrong_type("a whole number"));
                }
                let text = self.scan.number()?;
                if json::uint(text, max).is_none() {
                    return Err(self.scan.fault("expected a whole number in range"));
                }
                self.out.extend_from_slice(text.as_bytes());
            }
            Kind::Object if self.scan.peek() != Some(b'{') => return Err(self.wrong_type("an object")),
            Kind::Json | Kind::Object => {
                let text = self.scan.value()?;
                self.out.extend_from_slice(text.as_bytes());
            }
            Kind::Strs => self.array("an array of strings", None)?,
            Kind::One(shape) => self.object(shape)?,
            Kind::Many(shape) => self.array("an array", Some(shape))?,
        }
        Ok(())
    }

    /// An array of strings (`of` is `None`) or of objects of a shape, copied through.
    fn array(&mut self, expected: &str, of: Option<&'static Shape>) -> Result<(), Fault> {
        if self.scan.peek() != Some(b'[') {
            return Err(self.wrong_type(expected));
        }
        self.scan.open_array()?;
        self.out.push(b'[');
        let mut index = 0;
        while self.scan.next_element(index)? {
            if index > 0 {
                self.out.push(b',');
            }
            index += 1;
            match of {
                Some(shape) => self.object(shape)?,
                None => self.string()?,
            }
        }
        self.out.push(b']');
        Ok(())
    }

    /// A string, copied with its quotes (and escapes) as it is.
    fn string(&mut self) -> Result<(), Fault> {
        self.scan.peek();
        let start = self.scan.pos();
        self.scan.string().map_err(|_| self.wrong_type("a string"))?;
        self.out.extend_from_slice(self.scan.slice(start, self.scan.pos()).as_bytes());
        Ok(())
    }

    /// `invalid type: number, expected a string` (the kind of value, never the value).
    fn wrong_type(&mut self, expected: &str) -> Fault {
        let found = self.scan.kind();
        self.scan.fault(["invalid type: ", found, ", expected ", expected].concat())
    }
}

/// The field with wire name `key` and its position, looking at position `from` first: answers
/// list their fields in the order of the tables.
fn find(shape: &'static Shape, key: &str, from: usize) -> Option<(usize, &'static Field)> {
    if let Some(field) = shape.field(from).filter(|f| f.wire == key) {
        return Some((from, field));
    }
    match shape.fields().enumerate().find(|(_, f)| f.wire == key) {
        // A key written with escapes (`"\u0069d"`) still names its field.
        None if key.contains('\\') => json::unescape(key).and_then(|key| shape.fields().enumerate().find(|(_, f)| f.wire == key)),
        found => found,
    }
}

/// What the server said went wrong. A body that is not credport's error envelope (a proxy's HTML
/// page, a truncated answer) still gives an error with the status.
pub fn failure(
    status: u16,
    status_text: &str,
    request_id: Option<String>,
    text: &str,
    retry_after_s: Option<f64>,
) -> ApiFailure {
    match envelope(text) {
        Some(body) => ApiFailure {
            status,
            code: body.code,
            message: body.message,
            request_id: body.request_id.or(request_id),
            details: body.details,
            headers: JsValue::UNDEFINED,
            retry_after: retry_after_s,
        },
        None => {
            let mut message = String::from("credport answered ");
            message.push_str(&decimal(status.into()));
            if !status_text.trim().is_empty() {
                message.push(' ');
                message.push_str(status_text.trim());
            }
            message.push_str(" without an error body");
            ApiFailure { status, code: "http_error".to_owned(), message, request_id, details: None, headers: JsValue::UNDEFINED, retry_after: retry_after_s }
        }
    }
}

/// The `error` object of an error body: `{"error": {"code", "message", "request_id", "details"}}`.
struct ErrorBody {
    code: String,
    message: String,
    request_id: Option<String>,
    /// Raw JSON text.
    details: Option<String>,
}

fn envelope(text: &str) -> Option<ErrorBody> {
    let mut scan = Scanner::new(text);
    scan.open_object().ok()?;
    let mut body = None;
    let mut first = true;
    while let Some(key) = scan.next_member(first).ok()? {
        first = false;
        if key == "error" && body.is_none() {
            body = Some(error_body(&mut scan)?);
        } else {
            scan.value().ok()?;
        }
    }
    scan.end().ok()?;
    body
}

fn error_body(scan: &mut Scanner) -> Option<ErrorBody> {
    let (mut code, mut message, mut request_id, mut details) = (None, None, None, None);
    scan.open_object().ok()?;
    let mut first = true;
    while let Some(key) = scan.next_member(first).ok()? {
        first = false;
        match key {
            "code" => code = Some(json::unescape(scan.string().ok()?)?),
            "message" => message = Some(json::unescape(scan.string().ok()?)?),
            "request_id" if scan.null() => request_id = None,
            "request_id" => request_id = Some(json::unescape(scan.string().ok()?)?),
            "details" if scan.null() => details = None,
            "details" => details = Some(scan.value().ok()?.to_owned()),
            _ => {
                scan.value().ok()?;
            }
        }
    }
    Some(ErrorBody { code: code?, message: message?, request_id, details })
}

/// `Retry-After` as delta-seconds (RFC 9110: a whole number); `None` for anything else (an
/// HTTP date is read by the caller).
pub fn retry_after_seconds(value: &str) -> Option<f64> {
    let digits = value.trim();
    if digits.len() > 9 {
        return None;
    }
    json::uint(digits, u64::MAX).map(|n| n as f64)
}

#[cfg(test)]
#[path = "decode_fuzz.rs"]
mod fuzz;

#[cfg(test)]
mod tests {
    use super::*;
    use credport_model::{CONNECTION_PAGE, VERIFY_API_KEY_RESULT};

    #[test]
    fn a_missing_field_is_named_with_its_path() {
        let body = r#"{"count":1,"page":1,"page_size":20,"next":null,"previous":null,"payload":[{"id":"c"}]}"#;
        let Err(Error::InvalidResponse { message, .. }) = success(200, &|| None, body, &CONNECTION_PAGE, None) else {
            panic!("decoded a connection without its fields");
        };
        assert!(message.contains("payload[0]"), "{message}");
        assert!(message.contains("missing field `provider`"), "{message}");
    }

    #[test]
    fn unknown_fields_are_dropped_absent_optionals_are_null_and_names_are_js() {
        let body = r#"{"valid":false,"code":"SUSPENDED","new_field":[1,{"a":2}]}"#;
        assert_eq!(success(200, &|| None, body, &VERIFY_API_KEY_RESULT, None).ok().and_then(|b| String::from_utf8(b).ok()).as_deref(), Some(r#"{"valid":false,"code":"SUSPENDED","apiKey":null}"#));
    }

    #[test]
    fn truncated_and_trailing_bodies_are_invalid() {
        assert!(success(200, &|| None, r#"{"valid":true,"code":"VALID""#, &VERIFY_API_KEY_RESULT, None).is_err());
        assert!(success(200, &|| None, r#"{"valid":true,"code":"VALID","api_key":null} x"#, &VERIFY_API_KEY_RESULT, None).is_err());
    }

    #[test]
    fn wrong_types_are_named_without_the_value() {
        let body = r#"{"valid":"cpk_secret_value","code":"VALID","api_key":null}"#;
        let Err(Error::InvalidResponse { message, .. }) = success(200, &|| None, body, &VERIFY_API_KEY_RESULT, None) else {
            panic!("decoded a string as a boolean");
        };
        assert_eq!(message, "credport answered 200 with an invalid body at valid: invalid type: string, expected a boolean");
    }

    #[test]
    fn error_bodies_and_html_pages() {
        let f = failure(404, "Not Found", Some("req_h".into()), r#"{"error":{"code":"not_found","message":"no such key","request_id":"req_b","details":{"field":"id"}}}"#, None);
        assert_eq!((f.code.as_str(), f.message.as_str(), f.request_id.as_deref()), ("not_found", "no such key", Some("req_b")));
        assert_eq!(f.details.as_deref(), Some(r#"{"field":"id"}"#));
        let f = failure(502, "Bad Gateway", Some("req_h".into()), "<html><body>Bad gateway</body></html>", Some(3.0));
        assert_eq!((f.code.as_str(), f.request_id.as_deref(), f.retry_after), ("http_error", Some("req_h"), Some(3.0)));
        assert_eq!(f.message, "credport answered 502 Bad Gateway without an error body");
        let f = failure(500, "", None, r#"{"error":{"message":"no code"}}"#, None);
        assert_eq!(f.code, "http_error");
    }

    #[test]
    fn retry_after_seconds_only() {
        assert_eq!(retry_after_seconds(" 3 "), Some(3.0));
        assert_eq!(retry_after_seconds("1.5"), None);
        assert_eq!(retry_after_seconds("+3"), None);
        assert_eq!(retry_after_seconds("-1"), None);
        assert_eq!(retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT"), None);
        assert_eq!(retry_after_seconds("NaN"), None);
        assert_eq!(retry_after_seconds("9999999999"), None);
    }
}
