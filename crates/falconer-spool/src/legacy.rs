//! Records left in the redb database that earlier Falconer versions kept at `<dir>.redb`.

use std::path::{Path, PathBuf};

use redb::{Database, ReadableDatabase, ReadableTable, TableDefinition};
use tracing::info;

use crate::log::encode_frame;
use crate::writer::Writer;
use crate::SpoolError;

/// The earlier spool's one table: sequence number → payload.
const RECORDS: TableDefinition<u64, &[u8]> = TableDefinition::new("records");

/// Payload bytes copied per write.
const CHUNK_BYTES: usize = 4 * 1024 * 1024;

/// Where the earlier spool of the spool directory `dir` was.
pub(crate) fn legacy_path(dir: &Path) -> Option<PathBuf> {
    let name = dir.file_name()?.to_str()?;
    Some(dir.with_file_name(format!("{name}.redb")))
}

/// Copies the records of the earlier spool, if there is one, to the end of the log (synced),
/// then removes it. Every record in it was pending: the earlier spool deleted acknowledged
/// ones. If a crash interrupted an earlier copy, the records are copied again (delivered at
/// least once).
pub(crate) fn import<T>(dir: &Path, writer: &mut Writer<T>) -> Result<(), SpoolError> {
    let Some(path) = legacy_path(dir).filter(|p| p.is_file()) else {
        return Ok(());
    };
    let db = Database::open(&path).map_err(|e| legacy_error(&path, e))?;
    let txn = db.begin_read().map_err(|e| legacy_error(&path, e))?;
    let mut copied = 0u64;
    match txn.open_table(RECORDS) {
        Ok(table) => {
            let mut buf = Vec::new();
            let mut count = 0usize;
            for entry in table.iter().map_err(|e| legacy_error(&path, e))? {
                let (_, payload) = entry.map_err(|e| legacy_error(&path, e))?;
                let payload = payload.value();
                encode_frame(&mut buf, writer.next_seq + count as u64, payload);
                count += 1;
                writer
                    .used
                    .fetch_add(payload.len() as u64, std::sync::atomic::Ordering::AcqRel);
                if buf.len() >= CHUNK_BYTES {
                    flush(writer, &mut buf, &mut count)?;
                }
                copied += 1;
            }
            flush(writer, &mut buf, &mut count)?;
        }
        Err(redb::TableError::TableDoesNotExist(_)) => {}
        Err(e) => return Err(legacy_error(&path, e)),
    }
    drop(txn);
    drop(db);
    std::fs::remove_file(&path).map_err(|e| legacy_error(&path, e))?;
    info!(spool = %dir.display(), records = copied, from = %path.display(), "Moved the records of the earlier spool database into the spool's log.");
    Ok(())
}

fn flush<T>(
    writer: &mut Writer<T>,
    buf: &mut Vec<u8>,
    count: &mut usize,
) -> Result<(), SpoolError> {
    if *count == 0 {
        return Ok(());
    }
    writer
        .write_frames(buf, *count)
        .map_err(SpoolError::storage)?;
    writer.next_seq += *count as u64;
    writer.committed.send_replace(writer.next_seq - 1);
    buf.clear();
    *count = 0;
    Ok(())
}

fn legacy_error(path: &Path, e: impl std::fmt::Display) -> SpoolError {
    SpoolError::Storage(format!("earlier spool {}: {e}", path.display()))
}
