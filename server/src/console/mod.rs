//! The console (`GET /console`): the admin interface's static files, embedded in the binary at
//! build time by `server/build.rs` from `console/dist/` (which `node scripts/build.mjs` writes),
//! and the headers every console answer carries.
//!
//! The page is static HTML, CSS and ES modules plus the SDK admin client's `.wasm`; every API
//! call it makes goes through that client to this same origin. Its policy therefore allows
//! only this origin, WebAssembly compilation (`'wasm-unsafe-eval'`, which is not `eval`), and
//! nothing inline.

use axum::http::{header, HeaderMap, HeaderName, HeaderValue, StatusCode};

/// `(file name, bytes)` of every built console file; empty when the binary was built without
/// the console.
static ASSETS: &[(&str, &[u8])] = include!(concat!(env!("OUT_DIR"), "/console_assets.rs"));

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

/// What `GET /console` (the page) or `GET /console/{name}` (one of its files) answers: the
/// status, the file's type and bytes. `None` for a name the console does not have.
pub fn answer(name: &str) -> Option<(StatusCode, &'static str, &'static [u8])> {
    if !built() {
        return Some((
            StatusCode::SERVICE_UNAVAILABLE,
            "text/html; charset=utf-8",
            NOT_BUILT.as_bytes(),
        ));
    }
    ASSETS
        .iter()
        .find(|(file, _)| *file == name)
        .map(|(file, bytes)| (StatusCode::OK, content_type(file), *bytes))
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
    fn the_policy_allows_nothing_inline_and_no_eval() {
        assert!(!CONTENT_SECURITY_POLICY.contains("unsafe-inline"));
        assert!(!CONTENT_SECURITY_POLICY.contains("'unsafe-eval'"));
        assert!(CONTENT_SECURITY_POLICY.contains("frame-ancestors 'none'"));
    }
}
