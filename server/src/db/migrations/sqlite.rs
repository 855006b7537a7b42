//! SQLite's migrations: the SQL files in `server/migrations/sqlite/`, applied in order, each in
//! its own transaction, with the number applied kept in `PRAGMA user_version`.

use rusqlite::{Connection, TransactionBehavior};

use super::{MigrationError, Schema};

/// How many migrations [`MIGRATIONS`] holds.
pub const COUNT: usize = MIGRATIONS.len();

/// Every migration, oldest first. Append only: a released file never changes.
const MIGRATIONS: &[(&str, &str)] = &[
    (
        "0001_init.sql",
        include_str!("../../../migrations/sqlite/0001_init.sql"),
    ),
    (
        "0002_refresh.sql",
        include_str!("../../../migrations/sqlite/0002_refresh.sql"),
    ),
    (
        "0003_connect.sql",
        include_str!("../../../migrations/sqlite/0003_connect.sql"),
    ),
    (
        "0004_events.sql",
        include_str!("../../../migrations/sqlite/0004_events.sql"),
    ),
    (
        "0005_newest_connection.sql",
        include_str!("../../../migrations/sqlite/0005_newest_connection.sql"),
    ),
];

/// How a statement of the step `migration` failed.
fn failed(migration: &'static str) -> impl Fn(rusqlite::Error) -> MigrationError {
    move |error| MigrationError::Failed {
        migration,
        error: error.to_string(),
    }
}

/// How many migrations the schema has had (SQLite's `user_version`; 0 in a new database).
fn version(conn: &Connection) -> rusqlite::Result<i64> {
    conn.pragma_query_value(None, "user_version", |row| row.get(0))
}

/// Brings the schema up to date, if `schema` lets it. Each step re-reads the version inside its
/// own immediate transaction, so two servers starting on one file never apply a migration twice.
pub fn apply(conn: &mut Connection, schema: Schema) -> Result<(), MigrationError> {
    if !schema.migrates(version(conn).map_err(failed("(version)"))?)? {
        return Ok(());
    }
    for (index, (name, sql)) in MIGRATIONS.iter().enumerate() {
        let failed = failed(name);
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(&failed)?;
        let version = version(&tx).map_err(&failed)?;
        let applied = usize::try_from(version).unwrap_or(usize::MAX);
        if applied > MIGRATIONS.len() {
            return Err(MigrationError::TooNew {
                found: version,
                known: MIGRATIONS.len(),
            });
        }
        if applied > index {
            continue;
        }
        tx.execute_batch(sql).map_err(&failed)?;
        tx.pragma_update(None, "user_version", version + 1)
            .map_err(&failed)?;
        tx.commit().map_err(&failed)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn applies_once_and_refuses_newer_schemas() {
        let mut conn = Connection::open_in_memory().unwrap();
        apply(&mut conn, Schema::Migrate).unwrap();
        apply(&mut conn, Schema::Migrate).unwrap();
        assert_eq!(version(&conn).unwrap() as usize, MIGRATIONS.len());
        conn.pragma_update(None, "user_version", 99).unwrap();
        assert!(matches!(
            apply(&mut conn, Schema::Migrate),
            Err(MigrationError::TooNew { found: 99, .. })
        ));
    }

    /// `AsFound` never changes a schema and `CreateIfNew` only makes one in a new database: each
    /// opens this release's schema as it is and refuses any other.
    #[test]
    fn only_a_server_moves_an_existing_schema() {
        let mut new = Connection::open_in_memory().unwrap();
        assert!(matches!(
            apply(&mut new, Schema::AsFound),
            Err(MigrationError::NotThisRelease { found: 0 })
        ));
        apply(&mut new, Schema::CreateIfNew).unwrap();
        assert_eq!(version(&new).unwrap(), COUNT as i64);
        apply(&mut new, Schema::AsFound).unwrap();
        apply(&mut new, Schema::CreateIfNew).unwrap();
        for found in [COUNT as i64 - 1, COUNT as i64 + 1] {
            new.pragma_update(None, "user_version", found).unwrap();
            for schema in [Schema::AsFound, Schema::CreateIfNew] {
                let refused = apply(&mut new, schema).unwrap_err();
                assert!(
                    matches!(refused, MigrationError::NotThisRelease { found: f } if f == found),
                    "{refused}"
                );
                assert!(refused
                    .to_string()
                    .contains("run it with the release the servers run"));
                assert_eq!(version(&new).unwrap(), found, "left as found");
            }
        }
    }
}
