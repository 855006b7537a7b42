//! A small JSON scanner: the one piece of JSON code in the SDK.
//!
//! Answers and parameters are checked against the model's shape tables ([`credport_model::shape`])
//! while they are scanned, and their text is copied through instead of being parsed into Rust
//! values and written out again: serde's per-type code would be most of the wasm, and a second
//! pass most of the time spent on a large list. The scanner keeps the path it is at, so that a
//! fault names where it is (`payload[3].credentials.type`); it never quotes a value, which may be
//! a secret.

/// What went wrong, and where.
#[derive(Debug)]
pub struct Fault {
    /// `payload[0].metadata`; empty at the top.
    pub path: String,
    pub message: String,
}

enum Step<'a> {
    Key(&'a str),
    Index(usize),
}

use credport_model::validate::decimal;

/// Deeper nesting is refused (a value this deep is no credport answer, and recursion must stay
/// bounded).
const MAX_DEPTH: usize = 128;

pub struct Scanner<'a> {
    text: &'a str,
    pos: usize,
    path: Vec<Step<'a>>,
    /// A string value that is refused wherever it appears, as the raw text between its quotes.
    refused: Option<(&'static str, &'static str)>,
}

impl<'a> Scanner<'a> {
    pub fn new(text: &'a str) -> Self {
        Scanner { text, pos: 0, path: Vec::new(), refused: None }
    }

    /// Refuses the string value whose raw text is `raw`, with `message`.
    pub fn refusing(mut self, raw: &'static str, message: &'static str) -> Self {
        self.refused = Some((raw, message));
        self
    }

    /// A fault at the current path.
    pub fn fault(&self, message: impl Into<String>) -> Fault {
        let mut path = String::new();
        for step in &self.path {
            match step {
                Step::Key(key) => {
                    if !path.is_empty() {
                        path.push('.');
                    }
                    path.push_str(key);
                }
                Step::Index(i) => {
                    path.push('[');
                    path.push_str(&decimal(*i as u64));
                    path.push(']');
                }
            }
        }
        Fault { path, message: message.into() }
    }

    /// The text between two positions.
    #[inline(always)]
    pub fn slice(&self, start: usize, end: usize) -> &'a str {
        self.text.get(start..end).unwrap_or_default()
    }

    #[inline(always)]
    pub fn pos(&self) -> usize {
        self.pos
    }

    #[inline(always)]
    fn byte(&self) -> Option<u8> {
        self.text.as_bytes().get(self.pos).copied()
    }

    /// The next byte that is not white space.
    #[inline(always)]
    pub fn peek(&mut self) -> Option<u8> {
        while let Some(b' ' | b'\n' | b'\r' | b'\t') = self.byte() {
            self.pos += 1;
        }
        self.byte()
    }

    /// What kind of value starts here, for messages.
    pub fn kind(&mut self) -> &'static str {
        match self.peek() {
            Some(b'"') => "string",
            Some(b'{') => "object",
            Some(b'[') => "array",
            Some(b't' | b'f') => "boolean",
            Some(b'n') => "null",
            Some(b'-' | b'0'..=b'9') => "number",
            Some(_) => "something that is not JSON",
            None => "the end of the text",
        }
    }

    #[inline(always)]
    fn expect(&mut self, byte: u8, message: &'static str) -> Result<(), Fault> {
        if self.peek() == Some(byte) {
            self.pos += 1;
            Ok(())
        } else {
            Err(self.fault(message))
        }
    }

    /// Only white space is left.
    pub fn end(&mut self) -> Result<(), Fault> {
        match self.peek() {
            None => Ok(()),
            Some(_) => Err(self.fault("trailing characters after the value")),
        }
    }

    /// Enters the object that starts here.
    pub fn open_object(&mut self) -> Result<(), Fault> {
        self.expect(b'{', "expected an object")
    }

    /// Enters the array that starts here.
    pub fn open_array(&mut self) -> Result<(), Fault> {
        self.expect(b'[', "expected an array")
    }

    /// The next member's key (its value comes next), or `None` at the end of the object.
    /// `first` is true for the first call after [`Self::open_object`].
    pub fn next_member(&mut self, first: bool) -> Result<Option<&'a str>, Fault> {
        if !first {
            self.path.pop();
        }
        if self.peek() == Some(b'}') {
            self.pos += 1;
            return Ok(None);
        }
        if !first {
            self.expect(b',', "expected `,` or `}`")?;
        }
        if self.peek() != Some(b'"') {
            return Err(self.fault("expected a key in quotes"));
        }
        let key = self.raw_string()?;
        self.expect(b':', "expected `:`")?;
        self.path.push(Step::Key(key));
        Ok(Some(key))
    }

    /// Whether element `index` of the array comes next (its value comes next); false at the end.
    pub fn next_element(&mut self, index: usize) -> Result<bool, Fault> {
        if index > 0 {
            self.path.pop();
        }
        if self.peek() == Some(b']') {
            self.pos += 1;
            return Ok(false);
        }
        if index > 0 {
            self.expect(b',', "expected `,` or `]`")?;
        }
        self.path.push(Step::Index(index));
        Ok(true)
    }

    /// The string that starts here, as the raw text between its quotes (escapes kept).
    pub fn string(&mut self) -> Result<&'a str, Fault> {
        if self.peek() != Some(b'"') {
            return Err(self.fault("expected a string"));
        }
        let raw = self.raw_string()?;
        match self.refused {
            Some((refused, message)) if raw == refused => Err(self.fault(message)),
            _ => Ok(raw),
        }
    }

    /// Reads a string whose opening quote is next, checking its escapes.
    fn raw_string(&mut self) -> Result<&'a str, Fault> {
        self.pos += 1;
        let start = self.pos;
        let bytes = self.text.as_bytes();
        loop {
            // Most of a string is plain: skip it in one tight loop, on a local position (the
            // field is stored once, not per byte).
            let mut pos = self.pos;
            while bytes.get(pos).is_some_and(|&b| b != b'"' && b != b'\\' && b >= 0x20) {
                pos += 1;
            }
            self.pos = pos;
            match bytes.get(self.pos).copied() {
                None => return Err(self.fault("the text ends inside a string")),
                Some(b'"') => {
                    let raw = self.slice(start, self.pos);
                    self.pos += 1;
                    return Ok(raw);
                }
                Some(b'\\') => {
                    let valid = match bytes.get(self.pos + 1) {
                        Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => {
                            self.pos += 2;
                            true
                        }
                        Some(b'u') => {
                            let hex = bytes.get(self.pos + 2..self.pos + 6).is_some_and(|h| h.iter().all(u8::is_ascii_hexdigit));
                            self.pos += 6;
                            hex
                        }
                        _ => false,
                    };
                    if !valid {
                        return Err(self.fault("invalid escape in a string"));
                    }
                }
                Some(0..=0x1f) => return Err(self.fault("control character in a string")),
                Some(_) => self.pos += 1,
            }
        }
    }

    /// The number that starts here, as its text, checked against JSON's grammar.
    pub fn number(&mut self) -> Result<&'a str, Fault> {
        self.peek();
        let start = self.pos;
        let bytes = self.text.as_bytes();
        let digits = |pos: &mut usize| {
            let from = *pos;
            while bytes.get(*pos).is_some_and(u8::is_ascii_digit) {
                *pos += 1;
            }
            *pos - from
        };
        let mut pos = self.pos;
        if bytes.get(pos) == Some(&b'-') {
            pos += 1;
        }
        let int_start = pos;
        let int_digits = digits(&mut pos);
        let mut valid = int_digits > 0 && !(int_digits > 1 && bytes.get(int_start) == Some(&b'0'));
        if valid && bytes.get(pos) == Some(&b'.') {
            pos += 1;
            valid = digits(&mut pos) > 0;
        }
        if valid && matches!(bytes.get(pos), Some(b'e' | b'E')) {
            pos += 1;
            if matches!(bytes.get(pos), Some(b'+' | b'-')) {
                pos += 1;
            }
            valid = digits(&mut pos) > 0;
        }
        if !valid {
            return Err(self.fault("invalid number"));
        }
        self.pos = pos;
        Ok(self.slice(start, pos))
    }

    /// `true` or `false`, if one starts here.
    pub fn boolean(&mut self) -> Option<bool> {
        for (word, value) in [("true", true), ("false", false)] {
            if self.literal(word) {
                return Some(value);
            }
        }
        None
    }

    /// Reads `null` if it starts here.
    pub fn null(&mut self) -> bool {
        self.literal("null")
    }

    fn literal(&mut self, word: &str) -> bool {
        self.peek();
        let found = self.text.get(self.pos..).is_some_and(|rest| rest.starts_with(word));
        if found {
            self.pos += word.len();
        }
        found
    }

    /// Any JSON value, checked and skipped; returns its text.
    pub fn value(&mut self) -> Result<&'a str, Fault> {
        self.peek();
        let start = self.pos;
        self.skip(0)?;
        Ok(self.slice(start, self.pos))
    }

    fn skip(&mut self, depth: usize) -> Result<(), Fault> {
        if depth > MAX_DEPTH {
            return Err(self.fault("nested too deeply"));
        }
        match self.peek() {
            Some(b'{') => {
                self.open_object()?;
                let mut first = true;
                while self.next_member(first)?.is_some() {
                    first = false;
                    self.skip(depth + 1)?;
                }
            }
            Some(b'[') => {
                self.open_array()?;
                let mut index = 0;
                while self.next_element(index)? {
                    index += 1;
                    self.skip(depth + 1)?;
                }
            }
            Some(b'"') => {
                self.string()?;
            }
            Some(b'-' | b'0'..=b'9') => {
                self.number()?;
            }
            Some(b't' | b'f') if self.boolean().is_some() => {}
            Some(b'n') if self.null() => {}
            None => return Err(self.fault("the text ends where a value should be")),
            Some(_) => return Err(self.fault("expected a value")),
        }
        Ok(())
    }
}

/// The text of a JSON string (between its quotes) unescaped; `None` for a lone surrogate, which
/// is no Unicode text.
pub fn unescape(raw: &str) -> Option<String> {
    if !raw.contains('\\') {
        return Some(raw.to_owned());
    }
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        let c = match chars.next()? {
            'b' => '\u{8}',
            'f' => '\u{c}',
            'n' => '\n',
            'r' => '\r',
            't' => '\t',
            'u' => {
                let high = hex4(&mut chars)?;
                let code = match high {
                    0xD800..=0xDBFF => {
                        if chars.next()? != '\\' || chars.next()? != 'u' {
                            return None;
                        }
                        let low = hex4(&mut chars)?;
                        if !(0xDC00..=0xDFFF).contains(&low) {
                            return None;
                        }
                        0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00)
                    }
                    0xDC00..=0xDFFF => return None,
                    code => code,
                };
                char::from_u32(code)?
            }
            other => other,
        };
        out.push(c);
    }
    Some(out)
}

fn hex4(chars: &mut std::str::Chars) -> Option<u32> {
    let mut code = 0;
    for _ in 0..4 {
        code = code * 16 + chars.next()?.to_digit(16)?;
    }
    Some(code)
}

/// A number's text as a whole number from 0 to `max`.
pub fn uint(text: &str, max: u64) -> Option<u64> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let mut n: u64 = 0;
    for b in text.bytes() {
        n = n.checked_mul(10)?.checked_add(u64::from(b - b'0'))?;
    }
    (n <= max).then_some(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn skip_all(text: &str) -> Result<&str, Fault> {
        let mut s = Scanner::new(text);
        let v = s.value()?;
        s.end()?;
        Ok(v)
    }

    #[test]
    fn values_are_checked_and_skipped_whole() {
        for ok in ["0", "-1.5e+3", r#""a\"b\u00e9""#, "[]", "{}", r#"{"a":[1,{"b":null}],"c":true}"#, " [ 1 , 2 ] "] {
            assert_eq!(skip_all(ok).map(str::trim).ok(), Some(ok.trim()), "{ok}");
        }
        for bad in ["", "01", "1.", "-", "[1,]", "{\"a\"}", "{\"a\":1,}", "\"\\x\"", "\"a", "tru", "[1] 2", "\"\u{1}\"", "{1:2}"] {
            assert!(skip_all(bad).is_err(), "{bad}");
        }
        let deep = "[".repeat(200) + &"]".repeat(200);
        assert_eq!(skip_all(&deep).err().map(|f| f.message), Some("nested too deeply".to_owned()));
    }

    #[test]
    fn faults_name_the_path() {
        let fault = skip_all(r#"{"payload":[{"id":1},{"id":"x","m":{"k":[tru]}}]}"#).err();
        assert_eq!(fault.map(|f| f.path), Some("payload[1].m.k[0]".to_owned()));
    }

    #[test]
    fn unescape_and_numbers() {
        assert_eq!(unescape(r#"a\n\"\u00e9\ud83d\udd11"#).as_deref(), Some("a\n\"é🔑"));
        assert_eq!(unescape(r"\ud83d"), None);
        assert_eq!(unescape(r"\udd11x"), None);
        assert_eq!(uint("4294967295", u32::MAX as u64), Some(4_294_967_295));
        assert_eq!(uint("4294967296", u32::MAX as u64), None);
        assert_eq!(uint("18446744073709551616", u64::MAX), None);
        assert_eq!(uint("-1", u64::MAX), None);
        assert_eq!(uint("1.0", u64::MAX), None);
    }
}
