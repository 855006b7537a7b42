//! Where in a JSON document an error happened, as a path (`payload[3].provider`).
//!
//! serde_json reports a line and column; walking the text up to there with a small tokenizer
//! recovers the path, for any type, without carrying path-tracking code for every type decoded.

/// One level of nesting: a key of an object, or an index of an array.
#[derive(Debug, PartialEq)]
enum Step {
    Key(Option<String>),
    Index(usize),
}

/// The path at byte `offset` of `text`. With `container`, the path of the object or array that
/// holds the position rather than of the member being read (a missing field belongs to its object).
pub fn at(text: &str, offset: usize, container: bool) -> String {
    let mut stack: Vec<Step> = Vec::new();
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if i >= offset {
            break;
        }
        match c {
            '{' => stack.push(Step::Key(None)),
            '[' => stack.push(Step::Index(0)),
            '}' | ']' => {
                stack.pop();
            }
            ',' => match stack.last_mut() {
                Some(Step::Index(n)) => *n += 1,
                Some(Step::Key(key)) => *key = None,
                None => {}
            },
            '"' => {
                let mut s = String::new();
                let mut escaped = false;
                for (_, c) in chars.by_ref() {
                    match (escaped, c) {
                        (false, '\\') => escaped = true,
                        (false, '"') => break,
                        (_, c) => {
                            escaped = false;
                            s.push(c);
                        }
                    }
                }
                if let Some(Step::Key(key @ None)) = stack.last_mut() {
                    *key = Some(s);
                }
            }
            _ => {}
        }
    }
    if container {
        if let Some(Step::Key(key)) = stack.last_mut() {
            *key = None;
        }
    }
    let mut path = String::new();
    for step in &stack {
        match step {
            Step::Key(Some(key)) if path.is_empty() => path.push_str(key),
            Step::Key(Some(key)) => {
                path.push('.');
                path.push_str(key);
            }
            Step::Key(None) => {}
            Step::Index(n) => path.push_str(&format!("[{n}]")),
        }
    }
    path
}

/// The byte offset of a 1-based line and column as serde_json counts them.
pub fn offset(text: &str, line: usize, column: usize) -> usize {
    let line_start: usize = text.split_inclusive('\n').take(line.saturating_sub(1)).map(str::len).sum();
    line_start + column.saturating_sub(1)
}

/// A serde_json error as `(path, message)`: the path where it happened and serde's message
/// without its ` at line L column C` suffix.
pub fn locate(text: &str, error: &serde_json::Error) -> (String, String) {
    let full = error.to_string();
    let message = full.rfind(" at line ").map_or(full.as_str(), |end| full.get(..end).unwrap_or(&full)).to_owned();
    let container = message.starts_with("missing field") || message.starts_with("unknown field");
    let path = at(text, offset(text, error.line(), error.column()), container);
    (path, message)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The path at the `!` of `text`.
    fn path_of_error(text: &str, container: bool) -> String {
        let marker = text.find('!').unwrap_or(text.len());
        at(&text.replace('!', ""), marker, container)
    }

    #[test]
    fn nested_keys_and_indexes() {
        let text = r#"{"count":1,"payload":[{"id":"a","provider":"x"},{"id":"b","provider":!null}]}"#;
        assert_eq!(path_of_error(text, false), "payload[1].provider");
        assert_eq!(path_of_error(text, true), "payload[1]");
        assert_eq!(path_of_error(r#"{"a":{"b\"c":[1,2,!x]}}"#, false), "a.b\"c[2]");
        assert_eq!(path_of_error("!", false), "");
    }

    #[test]
    fn line_and_column_to_offset() {
        assert_eq!(offset("abc", 1, 2), 1);
        assert_eq!(offset("ab\ncd", 2, 1), 3);
        assert_eq!(offset("", 0, 0), 0);
    }
}
