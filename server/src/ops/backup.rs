//! `credport-server backup FILE`: a consistent copy of a live SQLite database, made with
//! SQLite's online backup while requests go on. Restoring is starting a server on the copy (with
//! the same `CREDPORT_ENCRYPTION_KEY`: the secrets in it stay encrypted). PostgreSQL has its own
//! tools (`pg_dump`), which docs/operating.md describes.

use std::path::{Path, PathBuf};

use crate::db::sqlite::{self, BackupFailure};
use crate::db::Database;

/// Why no copy was made.
pub enum BackupError {
    /// The database is PostgreSQL's.
    Postgres,
    /// The database file cannot be read as a credport database.
    Unreadable { database: String, why: String },
    /// The target exists: a backup never overwrites.
    TargetExists(PathBuf),
    /// The copy failed; nothing is left at the target.
    Failed(String),
}

impl std::fmt::Display for BackupError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Postgres => f.write_str(
                "backup copies SQLite databases; back up PostgreSQL with pg_dump (docs/operating.md)",
            ),
            Self::Unreadable { database, why } => {
                write!(f, "CREDPORT_DATABASE {database} cannot be used: {why}")
            }
            Self::TargetExists(path) => write!(
                f,
                "{} already exists; a backup never overwrites a file",
                path.display()
            ),
            Self::Failed(why) => write!(f, "the backup failed: {why}"),
        }
    }
}

/// Copies `database` into `target`; the copy's size in bytes. `starting` is called with the
/// database's size once the copy begins.
pub fn run(
    database: &Database,
    target: &Path,
    starting: impl FnOnce(u64),
) -> Result<u64, BackupError> {
    let Database::Sqlite(source) = database else {
        return Err(BackupError::Postgres);
    };
    sqlite::backup(source, target, starting).map_err(|failure| match failure {
        BackupFailure::Source(why) => BackupError::Unreadable {
            database: database.describe(),
            why,
        },
        BackupFailure::TargetExists => BackupError::TargetExists(target.to_owned()),
        BackupFailure::Copy(why) => BackupError::Failed(why),
    })?;
    std::fs::metadata(target)
        .map(|m| m.len())
        .map_err(|e| BackupError::Failed(e.to_string()))
}
