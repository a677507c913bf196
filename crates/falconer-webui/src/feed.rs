//! The silence feed: the store's silences that have not ended, parsed as the router wants
//! them, republished when they change.
//!
//! A silence added or expired through the same store handle (this process's API or pages)
//! is published at once; the store is also read every `poll`, so replicas sharing one
//! PostgreSQL store converge within `poll` of a change made on another replica. With the
//! embedded SQLite store there is one replica and the poll only picks up silences reaching
//! their end.

use std::collections::HashSet;
use std::time::Duration;

use chrono::Utc;
use falconer_policy::{Silence, Silences};
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use crate::store::{SilenceRecord, Store};

/// How often the feed reads the store when nothing changed through it (5 s).
pub const DEFAULT_SILENCE_POLL: Duration = Duration::from_secs(5);

/// Rows read at most per refresh (the API keeps at most 1000 that have not ended).
const LOAD_LIMIT: u64 = 10_000;

/// The shortest poll interval used, whatever is asked.
const MIN_POLL: Duration = Duration::from_millis(50);

/// Starts publishing the store's silences that have not ended.
///
/// Reads them once before returning (so the first value is the store's, unless the store
/// failed: then it starts empty), then again when a silence is added or expired through
/// `store` and every `poll` (at least 50 ms), until `stop` is cancelled or every receiver is
/// dropped. Each row is parsed with [`Silence::new`] (id = the row's id); a row that no
/// longer parses (the condition language changed) is skipped with a warning, once. A store
/// error keeps the last silences published and is logged. A new value is sent only when
/// the rows changed.
pub async fn silence_feed(
    store: Store,
    poll: Duration,
    stop: CancellationToken,
) -> watch::Receiver<Silences> {
    let mut changes = store.silence_changes();
    changes.mark_unchanged();
    let mut feed = Feed::default();
    let initial: Silences = feed.load(&store).await.unwrap_or_default();
    let (tx, rx) = watch::channel(initial);
    let poll = poll.max(MIN_POLL);
    tokio::spawn(async move {
        let mut signal_open = true;
        loop {
            tokio::select! {
                () = stop.cancelled() => break,
                () = tx.closed() => break,
                changed = changes.changed(), if signal_open => {
                    if changed.is_err() {
                        signal_open = false;
                    }
                }
                () = tokio::time::sleep(poll) => {}
            }
            if let Some(silences) = feed.load(&store).await {
                tx.send_replace(silences);
            }
        }
        tracing::debug!("silence feed stopped");
    });
    rx
}

#[derive(Default)]
struct Feed {
    /// The rows last published (`None` before the first successful read).
    last: Option<Vec<SilenceRecord>>,
    /// Rows already warned about.
    unparsable: HashSet<String>,
    /// The last read failed (logged once until it works again).
    failing: bool,
}

impl Feed {
    /// The silences to publish, or `None` when nothing changed or the store failed.
    async fn load(&mut self, store: &Store) -> Option<Silences> {
        let now = Utc::now();
        let rows = match store
            .silences(true, now.timestamp_micros(), LOAD_LIMIT)
            .await
        {
            Ok(rows) => {
                if self.failing {
                    tracing::info!("silences readable again from the UI store");
                    self.failing = false;
                }
                rows
            }
            Err(e) => {
                if !self.failing {
                    tracing::warn!(error = %e, "cannot read silences from the UI store; keeping the last ones");
                    self.failing = true;
                }
                return None;
            }
        };
        if self.last.as_ref() == Some(&rows) {
            return None;
        }
        let mut silences = Vec::with_capacity(rows.len());
        for row in &rows {
            match parse(row, now) {
                Ok(s) => silences.push(s),
                Err(e) => {
                    if self.unparsable.insert(row.id.clone()) {
                        tracing::warn!(
                            id = %row.id,
                            condition = %row.condition,
                            error = %e,
                            "stored silence skipped: it does not parse"
                        );
                    }
                }
            }
        }
        tracing::debug!(
            silences = silences.len(),
            "silences from the UI store updated"
        );
        self.last = Some(rows);
        Some(Silences::new(silences))
    }
}

/// A stored row as the router's silence.
pub(crate) fn parse(
    row: &SilenceRecord,
    now: chrono::DateTime<Utc>,
) -> Result<Silence, falconer_policy::SilenceError> {
    Silence::new(
        row.id.clone(),
        &row.condition,
        &row.starts_at(),
        &row.ends_at(),
        &row.created_by,
        &row.comment,
        now,
    )
}
