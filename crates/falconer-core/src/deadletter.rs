//! The dead-letter store: alerts an output gave up on (refused for good, retries or age
//! exhausted, queue or spool full, shutdown), each with its output, reason, attempts and last
//! error. Kept as JSON lines in `<datadir>/deadletter.jsonl`, rotated by size
//! (`deadletter.jsonl.1` … `.N`), written by one thread so that no output waits on the disk.
//! `falconer replay` sends them again.

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender, TrySendError};
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use falconer_event::Alert;
use falconer_metrics::{DropReason, OutputMetrics};
use prometheus::IntCounter;
use serde::{Deserialize, Serialize};
use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;
use tracing::error;

use crate::held::Queued;
use crate::throttle::LogThrottle;

/// File name of the current dead-letter file under the data directory.
pub const DEAD_LETTER_FILE: &str = "deadletter.jsonl";

/// Dead letters waiting for the writer thread at most; beyond, they are counted as write
/// errors and logged.
const BACKLOG: usize = 65_536;

/// The metadata of one dead letter (the alert follows it on the same line).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct DeadLetterMeta {
    /// When the output gave up (RFC 3339, UTC).
    pub time: String,
    /// The output instance.
    pub output: String,
    /// Its kind.
    pub kind: String,
    /// Why (`rejected`, `retries_exhausted`, `max_age`, `queue_full`, `spool_full`,
    /// `shutdown`, `aborted`, `corrupt`).
    pub reason: String,
    /// Delivery attempts made.
    pub attempts: u32,
    /// The last error (for a refusal, the destination's own answer).
    pub error: String,
}

/// One line of a dead-letter file, read back.
#[derive(Debug, Deserialize)]
pub struct DeadLetterRecord {
    /// What happened.
    #[serde(flatten)]
    pub meta: DeadLetterMeta,
    /// The alert's payload JSON, as the output would have sent it.
    pub alert: Box<serde_json::value::RawValue>,
}

impl DeadLetterRecord {
    /// The alert, with its UUID and exact payload.
    pub fn to_alert(&self) -> Result<Alert, falconer_event::DecodeError> {
        Alert::from_payload(Bytes::copy_from_slice(self.alert.get().as_bytes()))
    }
}

/// Reads a dead-letter file: every record, or the line number and problem of a bad line.
pub fn read_dead_letters(
    path: &Path,
) -> std::io::Result<impl Iterator<Item = Result<DeadLetterRecord, (usize, String)>>> {
    let file = File::open(path)?;
    Ok(BufReader::new(file)
        .lines()
        .enumerate()
        .filter(|(_, line)| line.as_ref().map_or(true, |l| !l.trim().is_empty()))
        .map(|(i, line)| {
            let line = line.map_err(|e| (i + 1, e.to_string()))?;
            serde_json::from_str(&line).map_err(|e| (i + 1, e.to_string()))
        }))
}

enum Message {
    Line(Vec<u8>),
    Flush(oneshot::Sender<()>),
    /// Runs once the lines before it are written and synced.
    Then(AfterKept),
}

/// What to do once an output's dead letters are on disk (a spooled output forgets them in
/// its spool only then).
pub type AfterKept = Box<dyn FnOnce() + Send>;

/// Where dead letters go: the file, another output, or (when disabled) only the metrics and
/// the log.
pub struct DeadLetters {
    file: Option<SyncSender<Message>>,
    path: Option<PathBuf>,
    write_errors: IntCounter,
    /// One log throttle per output, so that one noisy output does not hide another's.
    logs: Mutex<HashMap<String, Arc<LogThrottle>>>,
    redirect: arc_swap::ArcSwapOption<Redirect>,
}

struct Redirect {
    output: String,
    queue: mpsc::Sender<Queued>,
    metrics: OutputMetrics,
}

impl std::fmt::Debug for DeadLetters {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeadLetters")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

/// The dead-letter file could not be opened.
#[derive(Debug, thiserror::Error)]
#[error("dead-letter store {path}: {source}")]
pub struct DeadLetterError {
    path: String,
    #[source]
    source: std::io::Error,
}

impl DeadLetters {
    /// A store writing to `dir/deadletter.jsonl`, rotated at `max_bytes` with `max_files`
    /// older files kept. Fails when the folder or file cannot be created.
    pub fn open(
        dir: &Path,
        max_bytes: u64,
        max_files: u32,
        write_errors: IntCounter,
    ) -> Result<Arc<Self>, DeadLetterError> {
        let path = dir.join(DEAD_LETTER_FILE);
        let fail = |source| DeadLetterError {
            path: path.display().to_string(),
            source,
        };
        std::fs::create_dir_all(dir).map_err(fail)?;
        let file = FileWriter::open(path.clone(), max_bytes, max_files).map_err(fail)?;
        let (tx, rx) = sync_channel(BACKLOG);
        // The thread ends when the store is dropped (its channel closes).
        std::thread::Builder::new()
            .name("falconer-deadletter".into())
            .spawn(move || file.run(rx))
            .map_err(fail)?;
        Ok(Arc::new(DeadLetters {
            file: Some(tx),
            path: Some(path),
            write_errors,
            logs: Mutex::default(),
            redirect: arc_swap::ArcSwapOption::empty(),
        }))
    }

    /// A store that keeps nothing: dead letters are counted and logged only.
    pub fn disabled(write_errors: IntCounter) -> Arc<Self> {
        Arc::new(DeadLetters {
            file: None,
            path: None,
            write_errors,
            logs: Mutex::default(),
            redirect: arc_swap::ArcSwapOption::empty(),
        })
    }

    /// The current file, when the store keeps files.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// Dead letters go to the file again.
    pub(crate) fn stop_redirect(&self) {
        self.redirect.store(None);
    }

    /// Sends dead letters to output `name` (its queue) rather than to the file, replacing an
    /// earlier redirect; what does not fit its queue, and its own dead letters, still go to
    /// the file.
    pub(crate) fn redirect_to(
        &self,
        output: String,
        queue: mpsc::Sender<Queued>,
        metrics: OutputMetrics,
    ) {
        self.redirect.store(Some(Arc::new(Redirect {
            output,
            queue,
            metrics,
        })));
    }

    /// An output gives up on `alerts`: counts them as dropped for `reason`, keeps them as dead
    /// letters, logs (rate-limited).
    pub fn give_up(
        &self,
        metrics: &OutputMetrics,
        alerts: &[Arc<Alert>],
        reason: DropReason,
        attempts: u32,
        error: &str,
    ) {
        self.give_up_then(metrics, alerts, reason, attempts, error, None);
    }

    /// [`DeadLetters::give_up`], then `then` once the dead letters written to the file are
    /// synced (at once when none had to go to the file: no alerts, no file kept, or all
    /// taken by the dead-letter output). When a letter cannot be handed to the writer (its
    /// backlog is full), a write or sync fails, or the store stops first, `then` never runs:
    /// a spooled output keeps the alerts in its spool, to be delivered again at the next
    /// start (twice, at worst; never lost).
    pub fn give_up_then(
        &self,
        metrics: &OutputMetrics,
        alerts: &[Arc<Alert>],
        reason: DropReason,
        attempts: u32,
        error: &str,
        then: Option<AfterKept>,
    ) {
        if alerts.is_empty() {
            if let Some(then) = then {
                then();
            }
            return;
        }
        let count = alerts.len() as u64;
        metrics.dropped(count, reason);
        let meta = DeadLetterMeta {
            time: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            output: metrics.output_name().to_owned(),
            kind: metrics.kind().to_owned(),
            reason: reason.label().to_owned(),
            attempts,
            error: error.to_owned(),
        };
        let mut kept = 0u64;
        let mut filed = false;
        let mut unwritten = false;
        for alert in alerts {
            match self.keep(&meta, alert) {
                Kept::Filed => {
                    kept += 1;
                    filed = true;
                }
                Kept::Redirected => kept += 1,
                Kept::Not => unwritten |= self.file.is_some(),
            }
        }
        if kept > 0 {
            metrics.dead_lettered(kept, reason);
        }
        if let Some(then) = then {
            if !unwritten {
                self.after_filed(filed, then);
            }
        }
        if let Some(suppressed) = self.throttle(&meta.output).check() {
            let uuids: Vec<&str> = alerts.iter().map(|a| a.uuid.as_str()).collect();
            error!(
                output = %meta.output,
                reason = %meta.reason,
                attempts,
                error,
                alerts = count,
                kept,
                ?uuids,
                dead_letters = ?self.path,
                suppressed,
                "Output gave up on alerts; kept as dead letters."
            );
        }
    }

    fn throttle(&self, output: &str) -> Arc<LogThrottle> {
        self.logs
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .entry(output.to_owned())
            .or_insert_with(|| Arc::new(LogThrottle::new(1000)))
            .clone()
    }

    /// Runs `then` after the file's next sync when `filed` (some line went to the writer),
    /// else at once. When the writer cannot take it (its backlog full, or gone), `then` never
    /// runs: its lines may not reach the disk.
    fn after_filed(&self, filed: bool, then: AfterKept) {
        match (&self.file, filed) {
            (Some(file), true) => {
                let _ = file.try_send(Message::Then(then));
            }
            _ => then(),
        }
    }

    fn keep(&self, meta: &DeadLetterMeta, alert: &Arc<Alert>) -> Kept {
        if let Some(r) = self.redirect.load().as_ref() {
            if r.output != meta.output {
                let depth = r.metrics.queue_depth.get();
                let queued = Queued::new(
                    alert.clone(),
                    Instant::now(),
                    depth,
                    crate::held::PACK_AFTER,
                );
                r.metrics.queue_depth.inc();
                if r.queue.try_send(queued).is_ok() {
                    return Kept::Redirected;
                }
                r.metrics.queue_depth.dec();
            }
        }
        let Some(file) = &self.file else {
            return Kept::Not;
        };
        // Serializing a struct of strings and a number cannot fail.
        let mut line = serde_json::to_vec(meta).unwrap_or_default();
        line.pop(); // the closing brace: the alert goes inside the same object
        line.extend_from_slice(br#","alert":"#);
        line.extend_from_slice(alert.to_json());
        line.extend_from_slice(b"}\n");
        match file.try_send(Message::Line(line)) {
            Ok(()) => Kept::Filed,
            Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) => {
                self.write_errors.inc();
                Kept::Not
            }
        }
    }

    /// Waits until every dead letter handed over so far is written and synced.
    pub async fn flush(&self) {
        let Some(file) = &self.file else { return };
        let (tx, rx) = oneshot::channel();
        let file = file.clone();
        // The channel may be full: hand the request over from a blocking thread.
        let sent = tokio::task::spawn_blocking(move || file.send(Message::Flush(tx)).is_ok())
            .await
            .unwrap_or(false);
        if sent {
            let _ = rx.await;
        }
    }
}

/// Where one dead letter went.
enum Kept {
    /// Handed to the file's writer thread.
    Filed,
    /// Queued for the dead-letter output.
    Redirected,
    /// Nowhere (no file, or the writer's backlog is full): counted as a write error.
    Not,
}

/// The writer thread's file with size-based rotation.
struct FileWriter {
    path: PathBuf,
    out: BufWriter<File>,
    size: u64,
    max_bytes: u64,
    max_files: u32,
}

impl FileWriter {
    fn open(path: PathBuf, max_bytes: u64, max_files: u32) -> std::io::Result<Self> {
        let file = OpenOptions::new().create(true).append(true).open(&path)?;
        let size = file.metadata()?.len();
        Ok(FileWriter {
            path,
            out: BufWriter::new(file),
            size,
            max_bytes,
            max_files,
        })
    }

    fn run(mut self, rx: Receiver<Message>) {
        while let Ok(first) = rx.recv() {
            let mut flushes = Vec::new();
            let mut thens = Vec::new();
            let mut failed = false;
            let mut next = Some(first);
            while let Some(message) = next.take() {
                match message {
                    Message::Line(line) => {
                        if let Err(e) = self.write(&line) {
                            error!(path = %self.path.display(), error = %e, "Cannot write a dead letter.");
                            failed = true;
                        }
                    }
                    Message::Flush(done) => flushes.push(done),
                    Message::Then(then) => thens.push(then),
                }
                next = rx.try_recv().ok();
            }
            if let Err(e) = self
                .out
                .flush()
                .and_then(|()| self.out.get_ref().sync_data())
            {
                error!(path = %self.path.display(), error = %e, "Cannot sync the dead-letter file.");
                failed = true;
            }
            // Before the flushes answer: a flush waits for what the synced lines release.
            if !failed {
                for then in thens {
                    then();
                }
            }
            for done in flushes {
                let _ = done.send(());
            }
        }
    }

    fn write(&mut self, line: &[u8]) -> std::io::Result<()> {
        if self.size > 0 && self.size + line.len() as u64 > self.max_bytes {
            self.rotate()?;
        }
        self.out.write_all(line)?;
        self.size += line.len() as u64;
        Ok(())
    }

    /// `deadletter.jsonl` becomes `.1`, `.1` becomes `.2`, …; the oldest beyond `max_files`
    /// is deleted.
    fn rotate(&mut self) -> std::io::Result<()> {
        self.out.flush()?;
        let numbered = |n: u32| PathBuf::from(format!("{}.{n}", self.path.display()));
        let _ = std::fs::remove_file(numbered(self.max_files));
        for n in (1..self.max_files).rev() {
            let from = numbered(n);
            if from.exists() {
                std::fs::rename(&from, numbered(n + 1))?;
            }
        }
        std::fs::rename(&self.path, numbered(1))?;
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.path)?;
        self.out = BufWriter::new(file);
        self.size = 0;
        Ok(())
    }
}

#[cfg(test)]
#[path = "deadletter_tests.rs"]
mod tests;
