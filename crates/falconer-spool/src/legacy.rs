//! Records left in the redb databases that earlier Falconer versions kept per output, at
//! `<spool dir>/<output>.redb` (the name with characters other than letters, digits, `-`, `_`
//! and `.` replaced by `_`).

use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;

use redb::{Database, ReadableDatabase, ReadableTable, TableDefinition};
use tracing::info;

use crate::log::{encode_frame, Loc};
use crate::state::lock;
use crate::writer::Writer;
use crate::SpoolError;

/// The earlier spool's one table: sequence number → payload.
const RECORDS: TableDefinition<u64, &[u8]> = TableDefinition::new("records");

/// Payload bytes copied per write.
const CHUNK_BYTES: usize = 4 * 1024 * 1024;

/// Where the earlier spool of output `name` was.
pub(crate) fn legacy_path(dir: &Path, name: &str) -> PathBuf {
    let safe: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect();
    dir.join(format!("{safe}.redb"))
}

/// Copies the records of output `name`'s earlier spool, if there is one, to the end of its
/// lane (synced), then removes it. Every record in it was pending: the earlier spool deleted
/// acknowledged ones. If a crash interrupted an earlier copy, the records are copied again
/// (delivered at least once).
pub(crate) fn import<T>(
    dir: &Path,
    name: &str,
    lane: u32,
    writer: &mut Writer<T>,
) -> Result<(), SpoolError> {
    let path = legacy_path(dir, name);
    if !path.is_file() {
        return Ok(());
    }
    let db = Database::open(&path).map_err(|e| legacy_error(&path, e))?;
    let txn = db.begin_read().map_err(|e| legacy_error(&path, e))?;
    let mut copied = 0u64;
    match txn.open_table(RECORDS) {
        Ok(table) => {
            let mut chunk = Vec::new();
            for entry in table.iter().map_err(|e| legacy_error(&path, e))? {
                let (_, payload) = entry.map_err(|e| legacy_error(&path, e))?;
                chunk.push(payload.value().to_vec());
                if chunk.iter().map(Vec::len).sum::<usize>() >= CHUNK_BYTES {
                    copied += append(writer, lane, &std::mem::take(&mut chunk))?;
                }
            }
            copied += append(writer, lane, &chunk)?;
        }
        Err(redb::TableError::TableDoesNotExist(_)) => {}
        Err(e) => return Err(legacy_error(&path, e)),
    }
    drop(txn);
    drop(db);
    std::fs::remove_file(&path).map_err(|e| legacy_error(&path, e))?;
    info!(output = name, records = copied, from = %path.display(), "Moved the records of the earlier spool database into the spool's log.");
    Ok(())
}

/// Writes `payloads` as lane `lane`'s next records.
fn append<T>(writer: &mut Writer<T>, lane: u32, payloads: &[Vec<u8>]) -> Result<u64, SpoolError> {
    if payloads.is_empty() {
        return Ok(0);
    }
    let first = lock(&writer.shared)
        .lanes
        .get(&lane)
        .map_or(1, |l| l.next_seq);
    let mut buf = Vec::new();
    let mut offsets = Vec::with_capacity(payloads.len());
    for (i, p) in payloads.iter().enumerate() {
        offsets.push(buf.len() as u64);
        encode_frame(&mut buf, lane, first + i as u64, p);
    }
    let (segment, at) = writer.write(&buf).map_err(SpoolError::storage)?;
    let mut shared = lock(&writer.shared);
    if let Some(l) = shared.lanes.get_mut(&lane) {
        for (p, offset) in payloads.iter().zip(offsets) {
            l.locs.push_back(Loc {
                segment,
                offset: at + offset,
                len: p.len() as u32,
            });
            l.used.fetch_add(p.len() as u64, Ordering::AcqRel);
        }
        l.next_seq = first + payloads.len() as u64;
        l.committed.send_replace(l.next_seq - 1);
    }
    if let Some(s) = shared.segment_mut(segment) {
        s.pending += payloads.len() as u64;
    }
    Ok(payloads.len() as u64)
}

fn legacy_error(path: &Path, e: impl std::fmt::Display) -> SpoolError {
    SpoolError::Storage(format!("earlier spool {}: {e}", path.display()))
}
