//! PostgreSQL's migrations: the SQL files in `server/migrations/postgres/`, applied in one
//! transaction that first takes an advisory lock, so that instances starting together migrate
//! once: the others wait for the lock, then find every migration recorded in
//! `schema_migrations` and apply nothing.

use crate::db::postgres_pool::Object;

use super::{MigrationError, Schema};
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

/// How a statement of the step `migration` failed.
fn failed(migration: &'static str) -> impl Fn(tokio_postgres::Error) -> MigrationError {
    move |e| MigrationError::Failed {
        migration,
        error: postgres_error_text(&e),
    }
}

/// How many migrations the schema has had, read without changing anything: 0 in a database
/// without `schema_migrations`.
async fn version(client: &Object) -> Result<i64, MigrationError> {
    let row = client
        .query_one("SELECT to_regclass('schema_migrations') IS NOT NULL", &[])
        .await
        .map_err(failed("(version)"))?;
    if !row.get::<_, bool>(0) {
        return Ok(0);
    }
    let row = client
        .query_one(
            "SELECT COALESCE(MAX(version), 0)::BIGINT FROM schema_migrations",
            &[],
        )
        .await
        .map_err(failed("(version)"))?;
    Ok(row.get(0))
}

/// The advisory lock's key: "credport" in ASCII, so it is unlikely to meet another program's.
const LOCK_KEY: i64 = 0x6372_6564_706f_7274;

/// Brings the schema up to date, if `schema` lets it; logs each migration it applies.
pub async fn apply(client: &mut Object, schema: Schema) -> Result<(), MigrationError> {
    if !schema.migrates(version(client).await?)? {
        return Ok(());
    }
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
