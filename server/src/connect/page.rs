//! What the person in the browser sees when credport-server does not send them on: a small page
//! of its own that says what happened. Everything shown is escaped; the page loads nothing and
//! runs nothing (its one style is allowed by its hash in the Content-Security-Policy).

use std::sync::LazyLock;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use sha2::{Digest, Sha256};

/// The page's style, the only thing its Content-Security-Policy allows.
const STYLE: &str = "body{font:16px/1.5 system-ui,sans-serif;max-width:36rem;margin:4rem auto;\
padding:0 1rem;color:#1b1b1b}h1{font-size:1.4rem}p.why{color:#555}";

/// The Content-Security-Policy of every page (and of every redirect on the way): nothing but the
/// style above, and no framing.
pub static CONTENT_SECURITY_POLICY: LazyLock<String> = LazyLock::new(|| {
    let hash = STANDARD.encode(Sha256::digest(STYLE.as_bytes()));
    format!(
        "default-src 'none'; style-src 'sha256-{hash}'; base-uri 'none'; form-action 'none'; \
         frame-ancestors 'none'"
    )
});

/// One page: an HTTP status, a heading and a sentence or two.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Page {
    pub status: u16,
    pub heading: String,
    pub message: String,
}

impl Page {
    pub fn new(status: u16, heading: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            status,
            heading: heading.into(),
            message: message.into(),
        }
    }

    /// The page as HTML.
    pub fn html(&self) -> String {
        format!(
            "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
             <meta name=\"referrer\" content=\"no-referrer\">\
             <title>{heading} · credport</title><style>{STYLE}</style></head>\
             <body><main><h1>{heading}</h1><p>{message}</p>\
             <p class=\"why\">You can close this window.</p></main></body></html>\n",
            heading = escape(&self.heading),
            message = escape(&self.message),
        )
    }
}

/// `text` with HTML's special characters written as references.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn everything_shown_is_escaped() {
        let html = Page::new(200, "Connected to <b>x</b>", "a \"quote\" & 'this'").html();
        assert!(html.contains("Connected to &lt;b&gt;x&lt;/b&gt;"));
        assert!(html.contains("a &quot;quote&quot; &amp; &#39;this&#39;"));
        assert!(!html.contains("<b>"));
        assert!(CONTENT_SECURITY_POLICY.contains("style-src 'sha256-"));
    }
}
