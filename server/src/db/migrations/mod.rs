//! Schema migrations, one list per store: the SQL files in `server/migrations/<store>/`,
//! applied in order when a server starts ([`Schema`] says what the other commands may do). A
//! database migrated by a newer credport-server is refused.

pub mod postgres;
pub mod sqlite;

/// How many migrations this credport-server knows: a database at this version (or later, during
/// a rolling upgrade) is migrated. Both stores have the same number, one file each.
pub const KNOWN: usize = sqlite::COUNT;
const _: () = assert!(sqlite::COUNT == postgres::COUNT);

/// What opening a database may do to its schema. Instances of the previous release keep
/// working on a schema one release ahead of theirs, but refuse to start on it: moving a shared
/// database forward is an upgrade, which only the start of a server of the new release makes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Schema {
    /// Bring it up to date (`serve`: a start is how an upgrade is applied).
    Migrate,
    /// Make it in a new, empty database; an existing one must be this release's (`demo`, which
    /// makes a database of its own or adds to one servers use).
    CreateIfNew,
    /// Leave it as found, which must be this release's (`reencrypt`, run from any machine while
    /// the servers serve).
    AsFound,
}

impl Schema {
    /// Whether a schema found at `found` migrations is to be migrated; a refusal when it is to be
    /// left as found and is not this release's.
    pub fn migrates(self, found: i64) -> Result<bool, MigrationError> {
        match self {
            Self::Migrate => Ok(true),
            Self::CreateIfNew if found == 0 => Ok(true),
            _ if usize::try_from(found) == Ok(KNOWN) => Ok(false),
            _ => Err(MigrationError::NotThisRelease { found }),
        }
    }
}

/// Why a database could not be brought up to date.
#[derive(Debug)]
pub enum MigrationError {
    /// Made by a newer credport-server: this one does not know its schema.
    TooNew { found: i64, known: usize },
    /// Not this release's schema, where [`Schema`] leaves it as found.
    NotThisRelease { found: i64 },
    Failed {
        migration: &'static str,
        error: String,
    },
}

impl std::fmt::Display for MigrationError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::NotThisRelease { found } if usize::try_from(*found).is_ok_and(|n| n > KNOWN) => {
                write!(
                    f,
                    "its schema version {found} is newer than this credport-server's ({KNOWN}), \
                     and this command migrates no existing database: run it with the release \
                     the servers run"
                )
            }
            Self::TooNew { found, known } => write!(
                f,
                "its schema version {found} is newer than this credport-server knows ({known})"
            ),
            Self::NotThisRelease { found } => write!(
                f,
                "its schema version {found} is not this credport-server's ({KNOWN}), and this \
                 command migrates no existing database: run it with the release the servers run \
                 (or, to upgrade, start a server of this release once: it migrates the schema)"
            ),
            Self::Failed { migration, error } => write!(f, "migration {migration} failed: {error}"),
        }
    }
}
