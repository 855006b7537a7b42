//! Schema migrations, one list per store: the SQL files in `server/migrations/<store>/`,
//! applied in order at start. A database migrated by a newer credport-server is refused.

pub mod postgres;
pub mod sqlite;

/// Why a database could not be brought up to date.
#[derive(Debug)]
pub enum MigrationError {
    /// Made by a newer credport-server: this one does not know its schema.
    TooNew { found: i64, known: usize },
    Failed {
        migration: &'static str,
        error: String,
    },
}

impl std::fmt::Display for MigrationError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::TooNew { found, known } => write!(
                f,
                "its schema version {found} is newer than this credport-server knows ({known})"
            ),
            Self::Failed { migration, error } => write!(f, "migration {migration} failed: {error}"),
        }
    }
}
