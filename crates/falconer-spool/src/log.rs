//! The segment files: an append-only log of framed records.
//!
//! # Format
//! A spool is a directory. Its records live in segment files named `<id>.seg` (`id` a
//! zero-padded decimal, increasing), each a run of frames with consecutive sequence numbers:
//!
//! ```text
//! +-------------+---------------+------------+-----------------+
//! | len: u32 LE | crc32: u32 LE | seq: u64 LE| payload (len B) |
//! +-------------+---------------+------------+-----------------+
//! ```
//!
//! `crc32` (IEEE) covers the sequence number and the payload. A frame that is short, whose
//! checksum does not match, or whose sequence number does not follow ends its segment: at the
//! tail of the last segment it is the part of a write the machine did not finish (never
//! acknowledged, since an append is answered only after its `fdatasync`), and is zeroed when
//! the spool is opened.
//!
//! Segment files are extended with zeros [`PREALLOCATE`] bytes at a time, ahead of the frames.
//! A group commit then writes into blocks the file already has, and its `fdatasync` writes the
//! data alone: it need not write the inode for a new file size (one disk write per commit, not
//! two). The zeros after the last frame read as the end of the segment.

use std::fs::{self, File, OpenOptions};
use std::io::{self, BufReader, Read};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use bytes::Bytes;
use tracing::{error, warn};

/// Bytes before each payload.
pub(crate) const HEADER: usize = 16;

/// Zeros a segment file is extended by, ahead of the frames.
pub(crate) const PREALLOCATE: u64 = 1024 * 1024;

/// Largest payload a frame may claim (a longer claim is a torn or corrupt frame).
const MAX_PAYLOAD: u32 = 64 * 1024 * 1024;

/// One segment as readers and the writer see it.
#[derive(Debug)]
pub(crate) struct Segment {
    pub(crate) id: u64,
    pub(crate) file: Arc<File>,
    /// Sequence number of its first record (meaningful when it has records).
    pub(crate) first_seq: u64,
    /// Byte offset of each record's frame; record `i` has sequence `first_seq + i`.
    pub(crate) offsets: Vec<u32>,
    /// Bytes of whole frames (where the next frame goes).
    pub(crate) len: u64,
    /// The file's size: frames, then zeros.
    pub(crate) allocated: u64,
}

impl Segment {
    /// Sequence number of its last record, if it has any.
    pub(crate) fn last_seq(&self) -> Option<u64> {
        (!self.offsets.is_empty()).then(|| self.first_seq + self.offsets.len() as u64 - 1)
    }

    /// The payload length of record `seq`, if this segment holds it.
    pub(crate) fn payload_len(&self, seq: u64) -> Option<u64> {
        let i = usize::try_from(seq.checked_sub(self.first_seq)?).ok()?;
        let start = u64::from(*self.offsets.get(i)?);
        let end = self
            .offsets
            .get(i + 1)
            .map_or(self.len, |next| u64::from(*next));
        Some(end - start - HEADER as u64)
    }

    /// Records `from..=upto` (those this segment holds), at most `limit`, read in one go.
    pub(crate) fn read(&self, from: u64, upto: u64, limit: usize) -> io::Result<Vec<(u64, Bytes)>> {
        let Some(last) = self.last_seq() else {
            return Ok(Vec::new());
        };
        let from = from.max(self.first_seq);
        let upto = upto.min(last);
        if from > upto || limit == 0 {
            return Ok(Vec::new());
        }
        let first_i = (from - self.first_seq) as usize;
        let end_i = ((upto - self.first_seq) as usize + 1).min(first_i + limit);
        let start = u64::from(self.offsets[first_i]);
        let end = self
            .offsets
            .get(end_i)
            .map_or(self.len, |next| u64::from(*next));
        let mut buf = vec![0u8; (end - start) as usize];
        self.file.read_exact_at(&mut buf, start)?;
        let buf = Bytes::from(buf);
        let mut out = Vec::with_capacity(end_i - first_i);
        let mut at = 0usize;
        while at < buf.len() {
            let Some((seq, payload, next)) = parse_frame(&buf, at) else {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!(
                        "segment {}: bad frame at offset {}",
                        self.id,
                        start + at as u64
                    ),
                ));
            };
            out.push((seq, payload));
            at = next;
        }
        Ok(out)
    }
}

/// Appends the frame of (`seq`, `payload`) to `buf`.
pub(crate) fn encode_frame(buf: &mut Vec<u8>, seq: u64, payload: &[u8]) {
    let mut crc = crc32fast::Hasher::new();
    crc.update(&seq.to_le_bytes());
    crc.update(payload);
    // Appends are refused above MAX_PAYLOAD before they get here.
    buf.extend_from_slice(&(payload.len() as u32).to_le_bytes());
    buf.extend_from_slice(&crc.finalize().to_le_bytes());
    buf.extend_from_slice(&seq.to_le_bytes());
    buf.extend_from_slice(payload);
}

/// Largest payload [`encode_frame`] accepts.
pub(crate) fn max_payload() -> u64 {
    u64::from(MAX_PAYLOAD)
}

/// The frame at `at` in `buf`: (seq, payload, offset after it), or `None` if it is not whole
/// and intact.
fn parse_frame(buf: &Bytes, at: usize) -> Option<(u64, Bytes, usize)> {
    let header = buf.get(at..at + HEADER)?;
    let len = u32::from_le_bytes(header[0..4].try_into().ok()?);
    let crc = u32::from_le_bytes(header[4..8].try_into().ok()?);
    let seq_bytes: [u8; 8] = header[8..16].try_into().ok()?;
    if len > MAX_PAYLOAD {
        return None;
    }
    let end = at + HEADER + len as usize;
    let payload = buf.get(at + HEADER..end)?;
    let mut hasher = crc32fast::Hasher::new();
    hasher.update(&seq_bytes);
    hasher.update(payload);
    (hasher.finalize() == crc).then(|| {
        (
            u64::from_le_bytes(seq_bytes),
            buf.slice(at + HEADER..end),
            end,
        )
    })
}

/// The path of segment `id` in `dir`.
pub(crate) fn segment_path(dir: &Path, id: u64) -> PathBuf {
    dir.join(format!("{id:020}.seg"))
}

/// Creates segment `id` (and makes its name durable).
pub(crate) fn create_segment(dir: &Path, id: u64, first_seq: u64) -> io::Result<Segment> {
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .create_new(true)
        .open(segment_path(dir, id))?;
    File::open(dir)?.sync_all()?;
    Ok(Segment {
        id,
        file: Arc::new(file),
        first_seq,
        offsets: Vec::new(),
        len: 0,
        allocated: 0,
    })
}

/// Reads every segment of `dir`, in order, zeroing a torn tail.
pub(crate) fn open_segments(dir: &Path) -> io::Result<Vec<Segment>> {
    let mut ids = Vec::new();
    for entry in fs::read_dir(dir)? {
        let name = entry?.file_name();
        let Some(id) = name
            .to_str()
            .and_then(|n| n.strip_suffix(".seg"))
            .and_then(|n| n.parse::<u64>().ok())
        else {
            continue;
        };
        ids.push(id);
    }
    ids.sort_unstable();
    let mut segments = Vec::with_capacity(ids.len());
    let count = ids.len();
    for (i, id) in ids.into_iter().enumerate() {
        let path = segment_path(dir, id);
        let file = OpenOptions::new().read(true).write(true).open(&path)?;
        let size = file.metadata()?.len();
        let (first_seq, offsets, len) = scan(&file, size)?;
        if !zeros_from(&file, len, size)? {
            if i + 1 == count {
                warn!(segment = %path.display(), kept = len, found = size, "Zeroing an unfinished write at the end of the spool's last segment.");
            } else {
                error!(segment = %path.display(), kept = len, found = size, "A spool segment is damaged; the records after the damage are lost.");
            }
            // Nothing after the frames kept may ever read as a frame.
            write_zeros(&file, len, size)?;
            file.sync_data()?;
        }
        segments.push(Segment {
            id,
            file: Arc::new(file),
            first_seq,
            offsets,
            len,
            allocated: size,
        });
    }
    Ok(segments)
}

/// True when `file` holds only zeros from `from` to `to`.
fn zeros_from(file: &File, from: u64, to: u64) -> io::Result<bool> {
    let mut buf = vec![0u8; 64 * 1024];
    let mut at = from;
    while at < to {
        let n = (to - at).min(buf.len() as u64) as usize;
        file.read_exact_at(&mut buf[..n], at)?;
        if buf[..n].iter().any(|b| *b != 0) {
            return Ok(false);
        }
        at += n as u64;
    }
    Ok(true)
}

/// Writes zeros to `file` from `from` to `to` (extending it if `to` is past its end).
pub(crate) fn write_zeros(file: &File, from: u64, to: u64) -> io::Result<()> {
    static ZEROS: [u8; 64 * 1024] = [0; 64 * 1024];
    let mut at = from;
    while at < to {
        let n = (to - at).min(ZEROS.len() as u64) as usize;
        file.write_all_at(&ZEROS[..n], at)?;
        at += n as u64;
    }
    Ok(())
}

/// The whole frames at the start of `file`: (first seq, offsets, bytes they take). Stops at
/// the first frame that is torn, corrupt or out of sequence.
fn scan(file: &File, size: u64) -> io::Result<(u64, Vec<u32>, u64)> {
    let mut reader = BufReader::with_capacity(1 << 20, file);
    let mut offsets = Vec::new();
    let mut first_seq = 0;
    let mut at = 0u64;
    let mut header = [0u8; HEADER];
    let mut payload = Vec::new();
    while at + HEADER as u64 <= size {
        if reader.read_exact(&mut header).is_err() {
            break;
        }
        let len = u32::from_le_bytes([header[0], header[1], header[2], header[3]]);
        let crc = u32::from_le_bytes([header[4], header[5], header[6], header[7]]);
        let seq_bytes: [u8; 8] = [
            header[8], header[9], header[10], header[11], header[12], header[13], header[14],
            header[15],
        ];
        let seq = u64::from_le_bytes(seq_bytes);
        if len > MAX_PAYLOAD || at + (HEADER as u64) + u64::from(len) > size {
            break;
        }
        payload.resize(len as usize, 0);
        if reader.read_exact(&mut payload).is_err() {
            break;
        }
        let mut hasher = crc32fast::Hasher::new();
        hasher.update(&seq_bytes);
        hasher.update(&payload);
        let expected = first_seq + offsets.len() as u64;
        if hasher.finalize() != crc || (!offsets.is_empty() && seq != expected) {
            break;
        }
        if offsets.is_empty() {
            first_seq = seq;
        }
        let Ok(offset) = u32::try_from(at) else {
            break;
        };
        offsets.push(offset);
        at += HEADER as u64 + u64::from(len);
    }
    Ok((first_seq, offsets, at))
}
