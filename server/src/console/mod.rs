//! The console (`GET /console`): the admin interface's static files, embedded in the binary at
//! build time by `server/build.rs` from `console/dist/` (which `node scripts/build.mjs` writes),
//! and the headers every console answer carries.
//!
//! The page is static HTML, CSS and ES modules plus the SDK admin client's `.wasm`; every API
//! call it makes goes through that client to this same origin. Its policy therefore allows
//! only this origin, WebAssembly compilation (`'wasm-unsafe-eval'`, which is not `eval`), and
//! nothing inline.
//!
//! Its files are revalidated, not kept blindly: each answer carries a strong `ETag` (a hash of
//! the file's bytes) and `Cache-Control: no-cache`, so a browser asks again on every load and a
//! matching `If-None-Match` answers `304 Not Modified` without the bytes (the `.wasm` is most of
//! them). A new build changes the tags of the files it changes, and only theirs.

use std::sync::LazyLock;

use axum::http::{header, HeaderMap, HeaderName, HeaderValue, StatusCode};
use sha2::{Digest, Sha256};

/// `(file name, bytes)` of every built console file; empty when the binary was built without
/// the console.
static ASSETS: &[(&str, &[u8])] = include!(concat!(env!("OUT_DIR"), "/console_assets.rs"));

/// The strong entity tag of each of [`ASSETS`], in the same order: the first 128 bits of the
/// bytes' SHA-256, as hex in quotes. Computed once, at the first console answer.
static ETAGS: LazyLock<Vec<HeaderValue>> = LazyLock::new(|| {
    ASSETS
        .iter()
        .map(|(_, bytes)| {
            let digest = Sha256::digest(bytes);
            let tag = ["\"", &hex::encode(&digest[..16]), "\""].concat();
            HeaderValue::from_str(&tag).expect("hex in quotes is a header value")
        })
        .collect()
});

/// The page's entry: what `GET /console` answers.
pub const INDEX: &str = "index.html";

/// The console's Content-Security-Policy: this origin only, no inline script or style, no
/// `eval` (WebAssembly compilation aside), no framing, no `<base>`, no plugins.
pub const CONTENT_SECURITY_POLICY: &str =
    "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; \
     style-src 'self'; img-src 'self'; connect-src 'self'; font-src 'self'; object-src 'none'; \
     base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// Whether this binary was built with the console.
pub fn built() -> bool {
    ASSETS.iter().any(|(name, _)| *name == INDEX)
}

/// The media type of a built file, by its extension; a file of another kind is served as bytes
/// (`nosniff` keeps a browser from guessing).
fn content_type(name: &str) -> &'static str {
    match name.rsplit_once('.').map(|(_, extension)| extension) {
        Some("html") => "text/html; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("js" | "mjs") => "text/javascript; charset=utf-8",
        Some("wasm") => "application/wasm",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("ico") => "image/x-icon",
        Some("json" | "map") => "application/json",
        _ => "application/octet-stream",
    }
}

/// The page answered when the binary holds no console: says so and how to fix it, rather than
/// a page that pretends to work.
pub const NOT_BUILT: &str = "<!doctype html>
<html lang=\"en\">
<meta charset=\"utf-8\">
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">
<title>credport console: not built</title>
<h1>This credport-server was built without the console</h1>
<p>The console's files are embedded when the server is compiled, from <code>console/dist/</code>.
Run <code>npm run build</code> in the repository, then build credport-server again
(<code>cargo build -p credport-server</code>).</p>
";

/// The headers of every console answer (the 503 page too): the policy above, no referrer (a
/// site id in the page's address stays here), no framing for browsers that predate
/// `frame-ancestors`, and a window of its own.
pub fn headers() -> HeaderMap {
    const COOP: HeaderName = HeaderName::from_static("cross-origin-opener-policy");
    const CORP: HeaderName = HeaderName::from_static("cross-origin-resource-policy");
    let mut headers = HeaderMap::new();
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONTENT_SECURITY_POLICY),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(COOP, HeaderValue::from_static("same-origin"));
    headers.insert(CORP, HeaderValue::from_static("same-origin"));
    headers
}

/// What the console answers for one of its names.
pub struct Answer {
    pub status: StatusCode,
    /// [`headers`], and for a built file its `ETag`, `Cache-Control` and (unless 304) type.
    pub headers: HeaderMap,
    /// Empty for a 304.
    pub body: &'static [u8],
}

/// What `GET /console` (the page) or `GET /console/{name}` (one of its files) answers, given
/// the request's headers: the file, or 304 when an `If-None-Match` names the browser's copy as
/// this one. `None` for a name the console does not have.
pub fn answer(name: &str, request: &HeaderMap) -> Option<Answer> {
    let mut headers = headers();
    if !built() {
        // Not a file to revalidate: the answer's usual `no-store` stays.
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/html; charset=utf-8"),
        );
        return Some(Answer {
            status: StatusCode::SERVICE_UNAVAILABLE,
            headers,
            body: NOT_BUILT.as_bytes(),
        });
    }
    let index = ASSETS.iter().position(|(file, _)| *file == name)?;
    let (file, bytes) = ASSETS[index];
    let etag = &ETAGS[index];
    headers.insert(header::ETAG, etag.clone());
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    let mut asked = request.get_all(header::IF_NONE_MATCH).iter();
    if asked.any(|tags| matches(tags, etag)) {
        return Some(Answer {
            status: StatusCode::NOT_MODIFIED,
            headers,
            body: &[],
        });
    }
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(content_type(file)),
    );
    Some(Answer {
        status: StatusCode::OK,
        headers,
        body: bytes,
    })
}

/// Whether an `If-None-Match` list names `etag` (or is `*`), by the weak comparison RFC 9110
/// §13.1.2 prescribes for it: `W/"x"` matches `"x"`. An unreadable header matches nothing, so
/// the file is sent.
fn matches(if_none_match: &HeaderValue, etag: &HeaderValue) -> bool {
    let Ok(list) = if_none_match.to_str() else {
        return false;
    };
    let ours = etag.to_str().unwrap_or_default();
    list.split(',')
        .map(str::trim)
        .any(|tag| tag == "*" || tag.strip_prefix("W/").unwrap_or(tag) == ours)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn media_types_by_extension() {
        assert_eq!(content_type("index.html"), "text/html; charset=utf-8");
        assert_eq!(content_type("console.js"), "text/javascript; charset=utf-8");
        assert_eq!(content_type("credport_admin_bg.wasm"), "application/wasm");
        assert_eq!(content_type("README"), "application/octet-stream");
    }

    #[test]
    fn if_none_match_compares_weakly_and_takes_lists() {
        let ours = HeaderValue::from_static("\"abc\"");
        for (header, expected) in [
            ("\"abc\"", true),
            ("W/\"abc\"", true),
            ("\"x\", \"abc\"", true),
            ("*", true),
            ("\"abcd\"", false),
            ("abc", false),
            ("", false),
        ] {
            let header = HeaderValue::from_str(header).unwrap();
            assert_eq!(matches(&header, &ours), expected, "{header:?}");
        }
    }

    #[test]
    fn the_policy_allows_nothing_inline_and_no_eval() {
        assert!(!CONTENT_SECURITY_POLICY.contains("unsafe-inline"));
        assert!(!CONTENT_SECURITY_POLICY.contains("'unsafe-eval'"));
        assert!(CONTENT_SECURITY_POLICY.contains("frame-ancestors 'none'"));
    }
}
