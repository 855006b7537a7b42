//! `credport-server reencrypt`: rewrites every stored secret under the current key while the
//! server keeps serving. Each batch is its own short transaction and a row already under the
//! current key is skipped, so a run that is stopped (or killed) is resumed by running it again.

use std::collections::BTreeMap;
use std::io::Write;
use std::sync::Arc;

use crate::crypto::{Keys, Label};
use crate::db::Db;
use crate::error::ApiError;
use crate::ops::keys::census;
use crate::store::secrets::{self, SECRETS};

/// Rows per transaction when not told otherwise: short enough that requests waiting on a row
/// wait milliseconds.
pub const DEFAULT_BATCH: u32 = 100;

/// How far a run has got.
pub struct Progress<'a> {
    /// `table.column` being walked.
    pub column: &'a str,
    /// Secrets rewritten so far, over every column.
    pub done: u64,
    /// Secrets under another key than the current one when the run began.
    pub total: u64,
}

/// What a run did: how many secrets it rewrote, and how many each key holds at its end.
pub struct Outcome {
    pub rewritten: u64,
    pub remaining: BTreeMap<Label, u64>,
}

/// Walks every column of [`SECRETS`] in batches of `batch` rows, reporting after each batch.
pub async fn run(
    db: &Db,
    keys: Arc<Keys>,
    batch: u32,
    report: &mut dyn FnMut(&Progress<'_>),
) -> Result<Outcome, ApiError> {
    let current = Label::Key(keys.current_id());
    let total = census(db)
        .await?
        .into_iter()
        .filter(|(label, _)| *label != current)
        .map(|(_, count)| count)
        .sum();
    let mut done = 0;
    for secret in SECRETS {
        let column = secret.name();
        let mut cursor = None;
        loop {
            let keys = Arc::clone(&keys);
            let after = cursor.take();
            let (rewritten, next) = db
                .write(move |conn| {
                    Box::pin(async move {
                        secrets::reencrypt_batch(conn, &keys, secret, &after, batch).await
                    })
                })
                .await?;
            done += rewritten;
            report(&Progress {
                column: &column,
                done,
                total,
            });
            match next {
                Some(next) => cursor = Some(next),
                None => break,
            }
        }
    }
    Ok(Outcome {
        rewritten: done,
        remaining: census(db).await?,
    })
}

/// Writes progress to stderr: a bar redrawn in place on a terminal, else a line per batch.
pub struct Printer {
    pub terminal: bool,
}

impl Printer {
    pub fn show(&self, progress: &Progress<'_>) {
        let mut err = std::io::stderr().lock();
        let Progress {
            column,
            done,
            total,
        } = progress;
        // Rows changed meanwhile by requests under an older key can make `done` pass `total`.
        let total = (*total).max(*done);
        if self.terminal {
            const WIDTH: u64 = 30;
            // Nothing to do is all done.
            let filled = (done * WIDTH).checked_div(total).unwrap_or(WIDTH);
            let bar: String = (0..WIDTH)
                .map(|i| if i < filled { '#' } else { '.' })
                .collect();
            let _ = write!(err, "\r[{bar}] {done}/{total} {column}\x1b[K");
        } else {
            let _ = writeln!(
                err,
                "reencrypt: {done}/{total} secrets rewritten ({column})"
            );
        }
        let _ = err.flush();
    }

    /// Ends the bar's line.
    pub fn finish(&self) {
        if self.terminal {
            eprintln!();
        }
    }
}

/// The closing lines: how many secrets were rewritten, then one line per key id (every
/// configured one, and any other still holding secrets) with how many it holds.
pub fn summary(keys: &Keys, outcome: &Outcome) -> Vec<String> {
    let mut lines = vec![format!("reencrypted {} secrets", outcome.rewritten)];
    let ids = keys.ids();
    let mut labels: Vec<Label> = ids.iter().map(|id| Label::Key(*id)).collect();
    labels.extend(
        outcome
            .remaining
            .keys()
            .filter(|label| !labels.contains(label))
            .copied()
            .collect::<Vec<_>>(),
    );
    for label in labels {
        let count = outcome.remaining.get(&label).copied().unwrap_or(0);
        let role = match label {
            Label::Key(id) if id == keys.current_id() => " (current)",
            Label::Key(id) if ids.contains(&id) => " (old)",
            _ => " (not configured)",
        };
        lines.push(format!("key {label}{role}: {count} secrets"));
    }
    lines
}
