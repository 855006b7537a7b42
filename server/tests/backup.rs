//! `credport-server backup FILE`: a consistent copy of a live SQLite database while requests go
//! on; starting on the copy is the restore, and its secrets stay encrypted.

mod common;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use common::{on_postgres, run, stored_bytes, Options, Server};
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_live_database_is_copied_while_requests_go_on_and_the_copy_restores() {
    if on_postgres() {
        return;
    }
    let server = Server::start();
    let api = server.api();
    let site = api.site().await;
    let first = api.create_key(&site.token, "before").await;

    // Writes go on throughout the backup.
    let stop = Arc::new(AtomicBool::new(false));
    let writer = {
        let (api, token, stop) = (server.api(), site.token.clone(), Arc::clone(&stop));
        tokio::spawn(async move {
            let mut statuses = Vec::new();
            let mut i = 0;
            while !stop.load(Ordering::Relaxed) || i < 20 {
                let body = json!({ "name": format!("during {i}"), "subject": "s" });
                statuses.push(api.post(&token, "/v1/api_keys", body).await.status);
                i += 1;
            }
            statuses
        })
    };
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("copy.db");
    let database = server.database.to_str().unwrap().to_owned();
    let target = copy.to_str().unwrap().to_owned();
    let output = tokio::task::spawn_blocking(move || {
        run(&["backup", &target], &[("CREDPORT_DATABASE", &database)])
    })
    .await
    .unwrap();
    stop.store(true, Ordering::Relaxed);
    let statuses = writer.await.unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.starts_with("backed up "), "{stdout}");
    // It says when it starts, and how much it copies: a large file takes a while.
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("backing up ") && stderr.contains(" bytes) to "),
        "{stderr}"
    );
    assert!(
        statuses.iter().all(|s| *s == 201),
        "writes failed during the backup: {statuses:?}"
    );

    // The copy holds no secret in plaintext, and is private to its owner.
    let secret = first["secret"].as_str().unwrap();
    let bytes = stored_bytes(&copy);
    assert!(!bytes.windows(secret.len()).any(|w| w == secret.as_bytes()));
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(&copy).unwrap().permissions().mode() & 0o077,
        0
    );

    // A backup never overwrites.
    let again = run(
        &["backup", copy.to_str().unwrap()],
        &[("CREDPORT_DATABASE", server.database.to_str().unwrap())],
    );
    assert_eq!(again.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&again.stderr).contains("already exists"));
    let total = api.get(&site.token, "/v1/api_keys?limit=1").await.ok(200)["total_count"]
        .as_u64()
        .unwrap();
    assert!(server.stop().success());

    // Restoring: a server on the copy, with the same key, reads what was there.
    let restored = Server::start_with(Options {
        database: Some(copy.clone()),
        ..server.same_data()
    });
    let api = restored.api();
    let id = first["id"].as_str().unwrap();
    let shown = api
        .get(&site.token, &format!("/v1/api_keys/{id}/secret"))
        .await;
    assert_eq!(shown.ok(200)["secret"], secret);
    let copied = api.get(&site.token, "/v1/api_keys?limit=1").await.ok(200)["total_count"]
        .as_u64()
        .unwrap();
    assert!(copied >= 1 && copied <= total, "{copied} of {total}");
    assert!(restored.stop().success());
}

#[test]
fn a_backup_without_its_file_names_what_is_missing() {
    let refused = run(&["backup"], &[]);
    assert_eq!(refused.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("<FILE>"), "{stderr}");
}

#[test]
fn postgres_is_pointed_to_pg_dump() {
    let refused = run(
        &["backup", "/tmp/never-written.db"],
        &[(
            "CREDPORT_DATABASE",
            "postgres://credport@localhost/credport",
        )],
    );
    assert_eq!(refused.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(stderr.contains("pg_dump"), "{stderr}");
    assert!(!std::path::Path::new("/tmp/never-written.db").exists());
}

#[test]
fn a_database_that_cannot_be_read_is_named_and_nothing_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("copy.db");
    let missing = dir.path().join("typo.db");
    let refused = run(
        &["backup", target.to_str().unwrap()],
        &[("CREDPORT_DATABASE", missing.to_str().unwrap())],
    );
    assert_eq!(refused.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(
        stderr.contains("CREDPORT_DATABASE") && stderr.contains("typo.db"),
        "{stderr}"
    );
    assert!(!target.exists() && !missing.exists());
}

#[tokio::test]
async fn a_link_at_the_target_is_not_followed() {
    if on_postgres() {
        return;
    }
    let server = Server::start();
    server.api().site().await;
    let dir = tempfile::tempdir().unwrap();
    let elsewhere = dir.path().join("elsewhere.db");
    let link = dir.path().join("copy.db");
    std::os::unix::fs::symlink(&elsewhere, &link).unwrap();
    let refused = run(
        &["backup", link.to_str().unwrap()],
        &[("CREDPORT_DATABASE", server.database.to_str().unwrap())],
    );
    assert_eq!(refused.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("already exists"));
    assert!(!elsewhere.exists(), "the copy was written through the link");
    assert!(server.stop().success());
}
