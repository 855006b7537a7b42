//! PostgreSQL's migrations: the SQL files in `server/migrations/postgres/`, applied in one
//! transaction that first takes an advisory lock, so that instances starting together migrate
//! once: the others wait for the lock, then find every migration recorded in
//! `schema_migrations` and apply nothing.

use crate::db::postgres_pool::Object;

use super::MigrationError;
use crate::db::postgres_errors::postgres_error_text;

/// How many migrations [`MIGRATIONS`] holds.
pub const COUNT: usize = MIGRATIONS.len();

/// Every migration, oldest first. Append only: a released file never changes.
const MIGRATIONS: &[(&str, &str)] = &[
    (
        "0001_init.sql",
        include_str!("../../../migrations/postgres/0001_init.sql"),
    ),
    (
        "0002_refresh.sql",
        include_str!("../../../migrations/postgres/0002_refresh.sql"),
    ),
    (
        "0003_connect.sql",
        include_str!("../../../migrations/postgres/0003_connect.sql"),
    ),
    (
        "0004_events.sql",
        include_str!("../../../migrations/postgres/0004_events.sql"),
    ),
    (
        "0005_newest_connection.sql",
        include_str!("../../../migrations/postgres/0005_newest_connection.sql"),
    ),
];

/// The advisory lock's key: "credport" in ASCII, so it is unlikely to meet another program's.
const LOCK_KEY: i64 = 0x6372_6564_706f_7274;

/// Brings the schema up to date; logs each migration it applies.
pub async fn apply(client: &mut Object) -> Result<(), MigrationError> {
    let failed = |migration: &'static str| {
        move |e: tokio_postgres::Error| MigrationError::Failed {
            migration,
            error: postgres_error_text(&e),
        }
    };
    let tx = client.transaction().await.map_err(failed("(start)"))?;
    // Another instance may hold the lock while it migrates: wait longer than a request would.
    tx.batch_execute("SET LOCAL lock_timeout = '60s'; SET LOCAL statement_timeout = 0")
        .await
        .map_err(failed("(settings)"))?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&LOCK_KEY])
        .await
        .map_err(failed("(lock)"))?;
    tx.batch_execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations (
            version    INTEGER PRIMARY KEY,
            name       TEXT NOT NULL,
            applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
        )",
    )
    .await
    .map_err(failed("(schema_migrations)"))?;
    let applied: i32 = tx
        .query_one(
            "SELECT COALESCE(MAX(version), 0) FROM schema_migrations",
            &[],
        )
        .await
        .map_err(failed("(version)"))?
        .get(0);
    let applied_count = usize::try_from(applied).unwrap_or(usize::MAX);
    if applied_count > MIGRATIONS.len() {
        return Err(MigrationError::TooNew {
            found: i64::from(applied),
            known: MIGRATIONS.len(),
        });
    }
    for (index, (name, sql)) in MIGRATIONS.iter().enumerate().skip(applied_count) {
        tx.batch_execute(sql).await.map_err(failed(name))?;
        let version = i32::try_from(index + 1).unwrap_or(i32::MAX);
        tx.execute(
            "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)",
            &[&version, name],
        )
        .await
        .map_err(failed(name))?;
        tracing::info!(migration = *name, "applied migration");
    }
    tx.commit().await.map_err(failed("(commit)"))
}
