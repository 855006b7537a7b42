//! Whether this instance should get traffic. `/healthz` only needs the process to answer;
//! `/readyz` also needs the database to answer, within [`READY_TIMEOUT`], with a schema at least
//! as new as this build knows (a newer one is fine: another instance upgraded it first).

use std::time::Duration;

use crate::db::migrations;
use crate::db::Db;

/// How long the readiness probe waits for the database: a probe that hangs is a probe that
/// fails, and load balancers give up on their own after a few seconds.
pub const READY_TIMEOUT: Duration = Duration::from_secs(2);

/// Why the instance is not ready, in words fit for a log line (no setting, no secret).
#[derive(Debug, PartialEq, Eq)]
pub enum NotReady {
    DatabaseUnreachable,
    NotMigrated { found: i64, known: usize },
}

impl std::fmt::Display for NotReady {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::DatabaseUnreachable => f.write_str("the database does not answer"),
            Self::NotMigrated { found, known } => {
                write!(
                    f,
                    "the schema is at version {found}, this build needs {known}"
                )
            }
        }
    }
}

/// Ready when the database answers and is migrated.
pub async fn ready(db: &Db) -> Result<(), NotReady> {
    let version = tokio::time::timeout(READY_TIMEOUT, db.schema_version())
        .await
        .map_err(|_| NotReady::DatabaseUnreachable)?
        .map_err(|_| NotReady::DatabaseUnreachable)?;
    let known = migrations::KNOWN;
    if usize::try_from(version).is_ok_and(|v| v >= known) {
        Ok(())
    } else {
        Err(NotReady::NotMigrated {
            found: version,
            known,
        })
    }
}
