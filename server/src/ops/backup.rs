//! `credport-server backup FILE`: a consistent copy of a live SQLite database, made with
//! SQLite's online backup while requests go on. Restoring is starting a server on the copy (with
//! the same `CREDPORT_ENCRYPTION_KEY`: the secrets in it stay encrypted). PostgreSQL has its own
//! tools (`pg_dump`), which docs/operating.md describes.

use std::path::{Path, PathBuf};

use crate::db::sqlite;
use crate::db::Database;

/// Why no copy was made.
pub enum BackupError {
    /// The database is PostgreSQL's.
    Postgres,
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
            Self::TargetExists(path) => write!(
                f,
                "{} already exists; a backup never overwrites a file",
                path.display()
            ),
            Self::Failed(why) => write!(f, "the backup failed: {why}"),
        }
    }
}

/// Copies `database` into `target`; the copy's size in bytes.
pub fn run(database: &Database, target: &Path) -> Result<u64, BackupError> {
    let Database::Sqlite(source) = database else {
        return Err(BackupError::Postgres);
    };
    if target.exists() {
        return Err(BackupError::TargetExists(target.to_owned()));
    }
    sqlite::backup(source, target).map_err(BackupError::Failed)?;
    std::fs::metadata(target)
        .map(|m| m.len())
        .map_err(|e| BackupError::Failed(e.to_string()))
}
