//! Every encrypted column, in one list ([`SECRETS`]), and the SQL that counts its ciphertexts
//! by key and rewrites them a batch at a time: what the start-up key check and
//! `credport-server reencrypt` walk. A new encrypted column is one more entry here.

use crate::crypto::{Keys, Label};
use crate::db::sql::{Conn, Value};
use crate::error::ApiError;

/// One encrypted column: where it is, how its rows are keyed, and the associated data its
/// ciphertexts were sealed with (the same function the column's own store module uses).
pub struct SecretColumn {
    pub table: &'static str,
    pub column: &'static str,
    /// The primary key's columns, in order: rows are walked in this order.
    pub key: &'static [&'static str],
    /// A condition on the rows that hold a secret (`meta` holds other values too), or `TRUE`.
    pub rows: &'static str,
    /// The associated data of the row whose key values are given.
    pub aad: fn(&[String]) -> String,
}

impl SecretColumn {
    /// `table.column`, as progress and counts name it.
    pub fn name(&self) -> String {
        format!("{}.{}", self.table, self.column)
    }
}

/// Every secret the database holds encrypted.
pub const SECRETS: &[SecretColumn] = &[
    SecretColumn {
        table: "connections",
        column: "credential_fields",
        key: &["id"],
        rows: "TRUE",
        aad: |k| super::fields_aad(&k[0]),
    },
    SecretColumn {
        table: "provider_configs",
        column: "client_secret",
        key: &["site_id", "key"],
        rows: "TRUE",
        aad: |k| super::provider_configs::secret_aad(&k[0], &k[1]),
    },
    SecretColumn {
        table: "api_keys",
        column: "secret",
        key: &["id"],
        rows: "TRUE",
        aad: |k| super::api_keys::secret_aad(&k[0]),
    },
    SecretColumn {
        table: "idempotency_keys",
        column: "response",
        key: &["principal", "key"],
        rows: "TRUE",
        aad: |k| super::idempotency_keys::response_aad(&k[0], &k[1]),
    },
    SecretColumn {
        table: "connect_sessions",
        column: "code_verifier",
        key: &["id"],
        // Wiped (NULL) once the session has ended.
        rows: "code_verifier IS NOT NULL",
        aad: |k| super::connect_sessions::verifier_aad(&k[0]),
    },
    SecretColumn {
        table: "webhook_endpoints",
        column: "secret",
        key: &["id"],
        rows: "TRUE",
        aad: |k| super::webhook_endpoints::secret_aad(&k[0]),
    },
    SecretColumn {
        table: "meta",
        column: "value",
        key: &["key"],
        rows: "key = 'lookup_key'",
        aad: |k| lookup_key_aad(&k[0]),
    },
];

/// The associated data of the database's wrapped lookup-hash key (`meta` row `lookup_key`).
pub fn lookup_key_aad(meta_key: &str) -> String {
    format!("meta.value:{meta_key}")
}

/// How many ciphertexts of `secret` each label holds (an empty value, a reply not yet
/// recorded, is no ciphertext and not counted).
pub async fn census(conn: &Conn<'_>, secret: &SecretColumn) -> Result<Vec<(Label, u64)>, ApiError> {
    // Labelled ciphertexts group by version and key id, the others by version alone.
    let sql = format!(
        "SELECT CASE WHEN substr({col}, 1, 1) = ?1 THEN substr({col}, 1, {prefix}) \
         ELSE substr({col}, 1, 1) END AS label, COUNT(*) \
         FROM {table} WHERE {rows} GROUP BY label",
        col = secret.column,
        table = secret.table,
        rows = secret.rows,
        prefix = Label::PREFIX_LEN,
    );
    let counts = conn
        .query(&sql, &[vec![Label::LABELLED].into()], |row| {
            Ok((
                Label::of(row.bytes(0)?),
                u64::try_from(row.int(1)?).unwrap_or(0),
            ))
        })
        .await?;
    Ok(counts
        .into_iter()
        .filter(|(label, _)| *label != Label::Other)
        .collect())
}

/// Where a walk over a column has got to: the key values of the last row seen.
pub type Cursor = Option<Vec<String>>;

/// Rewrites under the current key, in the caller's transaction, the next at most `limit` rows
/// of `secret` after `after`; returns how many it rewrote and the cursor past the rows it read
/// (`None` at the end). A row changed by a request since it was read is left as that request
/// wrote it (the update compares the old ciphertext).
pub async fn reencrypt_batch(
    conn: &Conn<'_>,
    keys: &Keys,
    secret: &SecretColumn,
    after: &Cursor,
    limit: u32,
) -> Result<(u64, Cursor), ApiError> {
    let key_list = secret.key.join(", ");
    let width = secret.key.len();
    let placeholders = |first: usize| {
        (first..first + width)
            .map(|i| format!("?{i}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let after_rows = match after {
        Some(_) => format!("({key_list}) > ({})", placeholders(2)),
        None => "TRUE".to_owned(),
    };
    let select = format!(
        "SELECT {key_list}, {col} FROM {table} WHERE {rows} AND {after_rows} \
         ORDER BY {key_list} LIMIT ?1",
        col = secret.column,
        table = secret.table,
        rows = secret.rows,
    );
    let mut args: Vec<Value> = vec![i64::from(limit).into()];
    args.extend(after.iter().flatten().map(|v| Value::from(v.as_str())));
    let rows = conn
        .query(&select, &args, |row| {
            let key: Vec<String> = (0..width).map(|i| row.text(i)).collect::<Result<_, _>>()?;
            Ok((key, row.blob(width)?))
        })
        .await?;
    let mut cursor = None;
    let mut rewritten = 0;
    let matches_key = secret
        .key
        .iter()
        .enumerate()
        .map(|(i, k)| format!("{k} = ?{}", i + 3))
        .collect::<Vec<_>>()
        .join(" AND ");
    let update = format!(
        "UPDATE {table} SET {col} = ?1 WHERE {col} = ?2 AND {matches_key}",
        table = secret.table,
        col = secret.column,
    );
    let full = rows.len() == limit as usize;
    for (key, stored) in rows {
        let label = Label::of(&stored);
        if label != Label::Other && label != Label::Key(keys.current_id()) {
            let aad = (secret.aad)(&key);
            let fresh = keys.encrypt(&aad, &keys.decrypt(&aad, &stored)?)?;
            let mut args: Vec<Value> = vec![fresh.into(), stored.into()];
            args.extend(key.iter().map(|v| Value::from(v.as_str())));
            rewritten += conn.execute(&update, &args).await?;
        }
        cursor = Some(key);
    }
    Ok((rewritten, if full { cursor } else { None }))
}
