//! `GET /console` over HTTP: the console's headers on every answer of it (the strict policy, no
//! referrer, no framing), its files by name, 404 for a file it does not have, and the 503 page
//! of a binary built without it. The page itself is tested in a browser (tests/console/).

mod common;

use common::Server;
use credport_server::console;

/// The headers every console answer carries.
#[track_caller]
fn assert_console_headers(res: &common::Res) {
    let policy = res.header("content-security-policy").expect("a policy");
    assert_eq!(policy, console::CONTENT_SECURITY_POLICY);
    for directive in [
        "default-src 'self'",
        "script-src 'self' 'wasm-unsafe-eval'",
        "connect-src 'self'",
        "frame-ancestors 'none'",
    ] {
        assert!(policy.contains(directive), "{directive} in {policy}");
    }
    assert!(!policy.contains("unsafe-inline") && !policy.contains("'unsafe-eval'"));
    assert_eq!(res.header("referrer-policy"), Some("no-referrer"));
    assert_eq!(res.header("x-frame-options"), Some("DENY"));
    assert_eq!(res.header("x-content-type-options"), Some("nosniff"));
    assert!(res.header("x-request-id").is_some());
}

#[tokio::test]
async fn the_page_and_its_files() {
    let api = Server::shared().api();
    let page = api.request("GET", "/console", None, None, &[]).await;
    assert_console_headers(&page);
    assert_eq!(
        page.header("content-type"),
        Some("text/html; charset=utf-8")
    );
    if !console::built() {
        // This binary was compiled before `npm run build`: a page that says so, nothing else.
        assert_eq!(page.status, 503);
        assert_eq!(page.text, console::NOT_BUILT);
        assert!(page.text.contains("npm run build"));
        let file = api
            .request("GET", "/console/console.js", None, None, &[])
            .await;
        assert_eq!(file.status, 503);
        assert_console_headers(&file);
        return;
    }
    assert_eq!(page.status, 200);
    // No inline script: every script is a file of this origin, named relative to the page so
    // that a proxy may mount the console under a path.
    assert!(page
        .text
        .contains(r#"<script type="module" src="console/console.js"></script>"#));
    assert_eq!(page.text.matches("<script").count(), 1);
    // The query is the page's, not the server's.
    let with_query = api
        .request("GET", "/console?site=site_x&tab=tokens", None, None, &[])
        .await;
    assert_eq!(with_query.text, page.text);

    // Every built file, as built (server/build.rs embeds console/dist/ when this test compiles).
    let dist = concat!(env!("CARGO_MANIFEST_DIR"), "/../console/dist");
    let mut kinds = Vec::new();
    for entry in std::fs::read_dir(dist).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_str().unwrap().to_owned();
        let res = api
            .request("GET", &format!("/console/{name}"), None, None, &[])
            .await;
        assert_eq!(res.status, 200, "{name}");
        assert_console_headers(&res);
        let media_type = res.header("content-type").unwrap().to_owned();
        if name.ends_with(".wasm") {
            // Read as text, binary bytes would not compare: its length does.
            assert_eq!(media_type, "application/wasm");
            let length = std::fs::metadata(&path).unwrap().len().to_string();
            assert_eq!(res.header("content-length"), Some(length.as_str()));
        } else {
            assert_eq!(res.text.as_bytes(), std::fs::read(&path).unwrap(), "{name}");
        }
        kinds.push(media_type);
    }
    for media_type in [
        "text/html; charset=utf-8",
        "text/css; charset=utf-8",
        "text/javascript; charset=utf-8",
        "application/wasm",
    ] {
        assert!(
            kinds.iter().any(|k| k == media_type),
            "no {media_type} file"
        );
    }
}

#[tokio::test]
async fn files_the_console_does_not_have() {
    let api = Server::shared().api();
    for path in [
        "/console/nothing.js",
        "/console/..%2Fserver%2FCargo.toml",
        "/console/.env",
    ] {
        let res = api.request("GET", path, None, None, &[]).await;
        if console::built() {
            res.error(404, "not_found");
        } else {
            assert_eq!(res.status, 503, "{path}");
        }
    }
    // Only GET.
    api.request("POST", "/console", None, None, &[])
        .await
        .error(405, "method_not_allowed");
}

/// `GET path`, with `If-None-Match: tags` when given.
async fn get(api: &common::Api, path: &str, if_none_match: Option<&str>) -> common::Res {
    let headers: Vec<(&str, &str)> = if_none_match
        .map(|tags| vec![("if-none-match", tags)])
        .unwrap_or_default();
    api.request("GET", path, None, None, &headers).await
}

#[tokio::test]
async fn files_are_revalidated_by_their_entity_tags() {
    let api = Server::shared().api();
    if !console::built() {
        // The page that says how to build the console is no file to keep.
        let page = get(&api, "/console", None).await;
        assert_eq!(page.status, 503);
        assert_eq!(page.header("etag"), None);
        assert_eq!(page.header("cache-control"), Some("no-store"));
        return;
    }
    let dist = concat!(env!("CARGO_MANIFEST_DIR"), "/../console/dist");
    let mut paths = vec!["/console".to_owned()];
    for entry in std::fs::read_dir(dist).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        paths.push(format!("/console/{name}"));
    }
    let mut tags = std::collections::HashMap::new();
    for path in &paths {
        let first = get(&api, path, None).await;
        assert_eq!(first.status, 200, "{path}");
        assert_console_headers(&first);
        // Kept, but asked about again on every use: a new build shows at the next load.
        assert_eq!(first.header("cache-control"), Some("no-cache"), "{path}");
        let tag = first.header("etag").expect("an ETag").to_owned();
        assert!(
            tag.len() > 2 && tag.starts_with('"') && tag.ends_with('"'),
            "a strong tag: {tag}"
        );

        // The browser's copy is this one: 304, no body, the same headers otherwise.
        for asked in [
            tag.clone(),
            format!("W/{tag}"),
            format!("\"older\", {tag}"),
            "*".to_owned(),
        ] {
            let again = get(&api, path, Some(&asked)).await;
            assert_eq!(again.status, 304, "{path} with {asked}");
            assert!(again.text.is_empty());
            assert_eq!(again.header("etag"), Some(tag.as_str()));
            assert_eq!(again.header("cache-control"), Some("no-cache"));
            assert_console_headers(&again);
        }
        // Another copy: the file again, whole.
        let stale = get(&api, path, Some("\"older\"")).await;
        assert_eq!(stale.status, 200, "{path}");
        assert_eq!(stale.text, first.text);
        assert_eq!(stale.header("etag"), Some(tag.as_str()));
        tags.insert(path.clone(), tag);
    }
    // The page is index.html; every other file has a tag of its own.
    assert_eq!(tags["/console"], tags["/console/index.html"]);
    let distinct: std::collections::HashSet<&String> = tags.values().collect();
    assert_eq!(distinct.len(), tags.len() - 1, "{tags:?}");
    // API answers stay uncacheable.
    let api_answer = api.request("GET", "/v1/admin/sites", None, None, &[]).await;
    assert_eq!(api_answer.header("cache-control"), Some("no-store"));
}
