//! The encryption keys at start: which key reads what the database holds, the database's
//! lookup-hash key (stored encrypted, so it survives rotation), and the refusal to start when
//! some stored secret is under a key that is not configured.

use std::collections::BTreeMap;

use crate::crypto::{self, KeyRing, Keys, Label};
use crate::db::Db;
use crate::error::ApiError;
use crate::store::secrets::{self, SECRETS};

/// The `meta` row holding the lookup-hash key, encrypted.
const LOOKUP_KEY: &str = "lookup_key";
/// The `meta` row holding [`crypto::check_value_of`] the database's first key.
const KEY_CHECK: &str = "key_check";

/// Why the configured keys cannot serve this database.
#[derive(Debug)]
pub enum Refusal {
    /// Stored secrets under keys that are not configured: how many, under which labels.
    Unreadable {
        count: u64,
        labels: Vec<Label>,
    },
    Database(ApiError),
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Unreadable { count, labels } => {
                let labels: Vec<String> = labels.iter().map(ToString::to_string).collect();
                let noun = if *count == 1 { "secret" } else { "secrets" };
                let ids = if labels.len() == 1 {
                    "key id"
                } else {
                    "key ids"
                };
                write!(
                    f,
                    "CREDPORT_ENCRYPTION_KEY and CREDPORT_ENCRYPTION_KEYS_OLD cannot read {count} \
                     stored {noun}, under {ids} {}: add the keys they were written with to \
                     CREDPORT_ENCRYPTION_KEYS_OLD",
                    labels.join(", ")
                )
            }
            Self::Database(e) => write!(f, "the database could not be read: {e}"),
        }
    }
}

/// The keys for `db`: records the first key of a new database, unwraps (or, on a database from
/// before key ids, wraps) the lookup-hash key, then checks that every stored secret is under a
/// configured key.
pub async fn unlock(db: &Db, ring: &KeyRing) -> Result<Keys, Refusal> {
    let checks: Vec<[u8; 32]> = ring.all().map(crypto::check_value_of).collect();
    let ring_copy = KeyRing {
        current: ring.current,
        old: ring.old.clone(),
    };
    let keys = db
        .write(move |conn| {
            Box::pin(async move {
                conn.execute(
                    "INSERT INTO meta (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO NOTHING",
                    &[KEY_CHECK.into(), checks[0][..].into()],
                )
                .await?;
                let first_check = conn
                    .query_one(
                        "SELECT value FROM meta WHERE key = ?1",
                        &[KEY_CHECK.into()],
                        |row| row.blob(0),
                    )
                    .await?;
                // The configured key the database was first started with, if it still is.
                let first = checks
                    .iter()
                    .position(|c| crypto::hashes_equal(c, &first_check));
                let aad = secrets::lookup_key_aad(LOOKUP_KEY);
                if let Some(index) = first {
                    // A database from before key ids: its lookup key is its first key's.
                    let master = ring_copy
                        .all()
                        .nth(index)
                        .copied()
                        .unwrap_or(ring_copy.current);
                    let keys =
                        Keys::unlocked(&ring_copy, &crypto::first_lookup_key(&master), first);
                    let wrapped = keys.encrypt(&aad, &crypto::first_lookup_key(&master))?;
                    conn.execute(
                    "INSERT INTO meta (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO NOTHING",
                    &[LOOKUP_KEY.into(), wrapped.into()],
                ).await?;
                }
                let wrapped = conn
                    .query_opt(
                        "SELECT value FROM meta WHERE key = ?1",
                        &[LOOKUP_KEY.into()],
                        |row| row.blob(0),
                    )
                    .await?;
                // Unwrapping needs no lookup key: any will do until the real one is known.
                let unwrapping = Keys::unlocked(&ring_copy, &[0; 32], first);
                let lookup = wrapped.and_then(|w| {
                    let plain = unwrapping.decrypt(&aad, &w).ok()?;
                    <[u8; 32]>::try_from(plain.as_slice()).ok()
                });
                Ok(lookup.map(|lookup| Keys::unlocked(&ring_copy, &lookup, first)))
            })
        })
        .await
        .map_err(Refusal::Database)?;
    let counts = census(db).await.map_err(Refusal::Database)?;
    let mut unreadable: BTreeMap<Label, u64> = counts
        .into_iter()
        .filter(|(label, _)| keys.as_ref().is_none_or(|k| !k.reads(*label)))
        .collect();
    if keys.is_none() && unreadable.is_empty() {
        // No wrapped lookup key yet, and the first key is not configured: that key's derived
        // lookup key is the one secret the database cannot do without.
        unreadable.insert(Label::Unlabelled, 1);
    }
    match keys {
        Some(keys) if unreadable.is_empty() => Ok(keys),
        _ => Err(Refusal::Unreadable {
            count: unreadable.values().sum(),
            labels: unreadable.into_keys().collect(),
        }),
    }
}

/// How many stored secrets each label holds, over every column of [`SECRETS`].
pub async fn census(db: &Db) -> Result<BTreeMap<Label, u64>, ApiError> {
    db.read(move |conn| {
        Box::pin(async move {
            let mut totals = BTreeMap::new();
            for secret in SECRETS {
                for (label, count) in secrets::census(conn, secret).await? {
                    *totals.entry(label).or_insert(0) += count;
                }
            }
            Ok(totals)
        })
    })
    .await
}
