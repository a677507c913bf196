//! A lane's read cursor: the lowest sequence number not yet acknowledged, kept in the file
//! `cursor.<lane>`.
//!
//! Two 16-byte slots, written in turn (`low: u64 LE`, `crc32(low): u32 LE`, 4 zero bytes), so a
//! torn write spoils at most the slot being written; the valid slot with the higher value wins.
//! The cursor is synced lazily: after a crash it may be older than the acknowledgements were,
//! and the records between are delivered again (at least once), never skipped.

use std::fs::{File, OpenOptions};
use std::io;
use std::os::unix::fs::FileExt;
use std::path::Path;

const SLOT: u64 = 16;

/// The cursor file of a spool.
pub(crate) struct Cursor {
    file: File,
    next_slot: u64,
    /// The value last written.
    pub(crate) written: u64,
}

impl Cursor {
    /// Opens (or creates) lane `lane`'s cursor in `dir`; returns it with the value it holds
    /// (0 when new).
    pub(crate) fn open(dir: &Path, lane: u32) -> io::Result<Cursor> {
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(dir.join(format!("cursor.{lane}")))?;
        let mut best: Option<(u64, u64)> = None;
        for slot in 0..2 {
            let mut buf = [0u8; SLOT as usize];
            if file.read_exact_at(&mut buf, slot * SLOT).is_err() {
                continue;
            }
            let low = u64::from_le_bytes([
                buf[0], buf[1], buf[2], buf[3], buf[4], buf[5], buf[6], buf[7],
            ]);
            let crc = u32::from_le_bytes([buf[8], buf[9], buf[10], buf[11]]);
            if crc32fast::hash(&low.to_le_bytes()) == crc && best.is_none_or(|(v, _)| low > v) {
                best = Some((low, slot));
            }
        }
        let (written, last_slot) = best.unwrap_or((0, 1));
        Ok(Cursor {
            file,
            next_slot: 1 - last_slot,
            written,
        })
    }

    /// Writes `low` into the next slot, and syncs it when `sync`.
    pub(crate) fn write(&mut self, low: u64, sync: bool) -> io::Result<()> {
        let mut buf = [0u8; SLOT as usize];
        buf[0..8].copy_from_slice(&low.to_le_bytes());
        buf[8..12].copy_from_slice(&crc32fast::hash(&low.to_le_bytes()).to_le_bytes());
        self.file.write_all_at(&buf, self.next_slot * SLOT)?;
        self.next_slot = 1 - self.next_slot;
        self.written = low;
        if sync {
            self.file.sync_data()?;
        }
        Ok(())
    }

    /// Makes the last write durable.
    pub(crate) fn sync(&self) -> io::Result<()> {
        self.file.sync_data()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_higher_valid_slot_wins_and_a_torn_slot_is_ignored() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(Cursor::open(dir.path(), 1).unwrap().written, 0);
        let mut c = Cursor::open(dir.path(), 1).unwrap();
        c.write(5, true).unwrap();
        c.write(9, true).unwrap();
        assert_eq!(Cursor::open(dir.path(), 1).unwrap().written, 9);
        // Spoil the slot holding 9 (a torn write): 5 is read back.
        let f = OpenOptions::new()
            .write(true)
            .open(dir.path().join("cursor.1"))
            .unwrap();
        let nine_slot = if Cursor::open(dir.path(), 1).unwrap().next_slot == 0 {
            1
        } else {
            0
        };
        f.write_all_at(&[0xFF; 4], nine_slot * SLOT).unwrap();
        let mut c = Cursor::open(dir.path(), 1).unwrap();
        assert_eq!(c.written, 5);
        // The next write goes over the spoiled slot, not the good one.
        c.write(12, true).unwrap();
        assert_eq!(Cursor::open(dir.path(), 1).unwrap().written, 12);
    }
}
