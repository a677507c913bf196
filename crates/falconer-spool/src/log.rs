//! The segment files: an append-only log of framed records, shared by every spooled output.
//!
//! # Format
//! The spool directory holds segment files named `<id>.seg` (`id` a zero-padded decimal,
//! increasing), each a run of frames:
//!
//! ```text
//! +-------------+---------------+--------------+-------------+-----------------+
//! | len: u32 LE | crc32: u32 LE | lane: u32 LE | seq: u64 LE | payload (len B) |
//! +-------------+---------------+--------------+-------------+-----------------+
//! ```
//!
//! `lane` names the output the record is for (see [`crate::lanes`]); `seq` numbers that
//! output's records (1, 2, 3, ... in the order they were appended). `crc32` (IEEE) covers the
//! lane, the sequence number and the payload. A frame that is short, whose checksum does not
//! match, or whose sequence number does not follow its lane's previous one ends its segment:
//! at the tail of the last segment it is the part of a write the machine did not finish (never
//! acknowledged, since an append is answered only after its `fdatasync`), and is zeroed when
//! the spool is opened.
//!
//! Segment files are extended with zeros [`PREALLOCATE`] bytes at a time, ahead of the frames.
//! A group commit then writes into blocks the file already has, and its `fdatasync` writes the
//! data alone: it need not write the inode for a new file size (one disk write per commit, not
//! two). The zeros after the last frame read as the end of the segment.

use std::collections::HashMap;
use std::fs::{self, File, OpenOptions};
use std::io::{self, BufReader, Read};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use bytes::Bytes;
use tracing::{error, warn};

/// Bytes before each payload.
pub(crate) const HEADER: usize = 20;

/// Zeros a segment file is extended by, ahead of the frames.
pub(crate) const PREALLOCATE: u64 = 1024 * 1024;

/// Largest payload a frame may claim (a longer claim is a torn or corrupt frame).
const MAX_PAYLOAD: u32 = 64 * 1024 * 1024;

/// One segment file.
#[derive(Debug)]
pub(crate) struct Segment {
    pub(crate) id: u64,
    pub(crate) file: Arc<File>,
    /// Bytes of whole frames (where the next frame goes).
    pub(crate) len: u64,
    /// The file's size: frames, then zeros.
    pub(crate) allocated: u64,
    /// Its records not yet acknowledged (it is deleted at 0, unless it is the last one).
    pub(crate) pending: u64,
}

/// Where a record is.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Loc {
    pub(crate) segment: u64,
    pub(crate) offset: u64,
    pub(crate) len: u32,
}

/// A frame found by [`open_segments`].
#[derive(Debug)]
pub(crate) struct Found {
    pub(crate) lane: u32,
    pub(crate) seq: u64,
    pub(crate) loc: Loc,
}

/// Appends the frame of (`lane`, `seq`, `payload`) to `buf`.
pub(crate) fn encode_frame(buf: &mut Vec<u8>, lane: u32, seq: u64, payload: &[u8]) {
    let mut crc = crc32fast::Hasher::new();
    crc.update(&lane.to_le_bytes());
    crc.update(&seq.to_le_bytes());
    crc.update(payload);
    // Appends are refused above MAX_PAYLOAD before they get here.
    buf.extend_from_slice(&(payload.len() as u32).to_le_bytes());
    buf.extend_from_slice(&crc.finalize().to_le_bytes());
    buf.extend_from_slice(&lane.to_le_bytes());
    buf.extend_from_slice(&seq.to_le_bytes());
    buf.extend_from_slice(payload);
}

/// Largest payload [`encode_frame`] accepts.
pub(crate) fn max_payload() -> u64 {
    u64::from(MAX_PAYLOAD)
}

/// Reads the frame at `loc` from `file`; checks it is record `seq` of `lane`.
pub(crate) fn read_frame(file: &File, loc: Loc, lane: u32, seq: u64) -> io::Result<Bytes> {
    let mut buf = vec![0u8; HEADER + loc.len as usize];
    file.read_exact_at(&mut buf, loc.offset)?;
    let header = parse_header(&buf[..HEADER]);
    let mut crc = crc32fast::Hasher::new();
    crc.update(&buf[8..]);
    if header.len != loc.len
        || header.lane != lane
        || header.seq != seq
        || crc.finalize() != header.crc
    {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!(
                "record {seq} of lane {lane} at offset {} is damaged",
                loc.offset
            ),
        ));
    }
    Ok(Bytes::from(buf).slice(HEADER..))
}

struct Header {
    len: u32,
    crc: u32,
    lane: u32,
    seq: u64,
}

fn parse_header(h: &[u8]) -> Header {
    let u32_at = |i: usize| u32::from_le_bytes([h[i], h[i + 1], h[i + 2], h[i + 3]]);
    Header {
        len: u32_at(0),
        crc: u32_at(4),
        lane: u32_at(8),
        seq: u64::from(u32_at(12)) | (u64::from(u32_at(16)) << 32),
    }
}

/// The path of segment `id` in `dir`.
pub(crate) fn segment_path(dir: &Path, id: u64) -> PathBuf {
    dir.join(format!("{id:020}.seg"))
}

/// Creates segment `id` (and makes its name durable).
pub(crate) fn create_segment(dir: &Path, id: u64) -> io::Result<Segment> {
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .create_new(true)
        .open(segment_path(dir, id))?;
    File::open(dir)?.sync_all()?;
    Ok(Segment {
        id,
        file: Arc::new(file),
        len: 0,
        allocated: 0,
        pending: 0,
    })
}

/// Reads every segment of `dir`, in order, zeroing a torn tail: the segments, and every
/// intact frame in log order.
pub(crate) fn open_segments(dir: &Path) -> io::Result<(Vec<Segment>, Vec<Found>)> {
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
    let mut found = Vec::new();
    let mut last_seq: HashMap<u32, u64> = HashMap::new();
    let count = ids.len();
    for (i, id) in ids.into_iter().enumerate() {
        let path = segment_path(dir, id);
        let file = OpenOptions::new().read(true).write(true).open(&path)?;
        let size = file.metadata()?.len();
        let len = scan(&file, id, size, &mut last_seq, &mut found)?;
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
            len,
            allocated: size,
            pending: 0,
        });
    }
    Ok((segments, found))
}

/// Adds the whole frames at the start of `file` (segment `segment`) to `found`; returns the
/// bytes they take. Stops at the first frame that is torn, corrupt or out of sequence.
fn scan(
    file: &File,
    segment: u64,
    size: u64,
    last_seq: &mut HashMap<u32, u64>,
    found: &mut Vec<Found>,
) -> io::Result<u64> {
    let mut reader = BufReader::with_capacity(1 << 20, file);
    let mut in_segment: HashMap<u32, u64> = HashMap::new();
    let mut at = 0u64;
    let mut header = [0u8; HEADER];
    let mut payload = Vec::new();
    while at + HEADER as u64 <= size {
        if reader.read_exact(&mut header).is_err() {
            break;
        }
        let h = parse_header(&header);
        if h.len > MAX_PAYLOAD || at + (HEADER as u64) + u64::from(h.len) > size {
            break;
        }
        payload.resize(h.len as usize, 0);
        if reader.read_exact(&mut payload).is_err() {
            break;
        }
        let mut crc = crc32fast::Hasher::new();
        crc.update(&header[8..]);
        crc.update(&payload);
        // Within a segment a lane's records follow each other; across segments they only
        // increase (a damaged segment may have lost some).
        let follows = match in_segment.get(&h.lane) {
            Some(last) => h.seq == last + 1,
            None => last_seq.get(&h.lane).is_none_or(|last| h.seq > *last),
        };
        if crc.finalize() != h.crc || !follows || h.seq == 0 {
            break;
        }
        last_seq.insert(h.lane, h.seq);
        in_segment.insert(h.lane, h.seq);
        found.push(Found {
            lane: h.lane,
            seq: h.seq,
            loc: Loc {
                segment,
                offset: at,
                len: h.len,
            },
        });
        at += HEADER as u64 + u64::from(h.len);
    }
    Ok(at)
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
