//! Any bytes as a spool's last segment file and cursor (a torn write, a damaged disk): opening
//! the spool never panics, reads back only intact records, and the log goes on afterwards.

#![no_main]

use bytes::Bytes;
use falconer_spool::Spool;
use libfuzzer_sys::fuzz_target;
use tokio::sync::mpsc;

fuzz_target!(|data: &[u8]| {
    let Ok(dir) = tempfile::tempdir() else {
        return;
    };
    let spool_dir = dir.path().join("out");
    if std::fs::create_dir_all(&spool_dir).is_err() {
        return;
    }
    // The first 32 bytes (if any) are the cursor file, the rest a segment.
    let (cursor, segment) = data.split_at(data.len().min(32));
    let _ = std::fs::write(spool_dir.join("cursor"), cursor);
    let _ = std::fs::write(spool_dir.join("00000000000000000001.seg"), segment);
    let (tx, _rx) = mpsc::channel(1);
    let Ok(spool) = Spool::<()>::open(&spool_dir, 1 << 20, tx, Box::new(|_| {})) else {
        return;
    };
    let records = spool.read(spool.first_pending(), usize::MAX).unwrap_or_default();
    let mut last = spool.first_pending().saturating_sub(1);
    for (seq, _) in &records {
        assert!(*seq > last, "records come back in order");
        assert!(*seq <= spool.committed(), "only committed records are read");
        last = *seq;
    }
    let _ = spool.append(Bytes::from_static(b"next"), ());
});
