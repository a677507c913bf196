//! Any bytes as a spool's last segment file and a lane's cursor (a torn write, a damaged
//! disk): opening the spool never panics, reads back only intact records in order, and the
//! log goes on afterwards.

#![no_main]

use bytes::Bytes;
use falconer_spool::Log;
use libfuzzer_sys::fuzz_target;
use tokio::sync::mpsc;

fuzz_target!(|data: &[u8]| {
    let Ok(dir) = tempfile::tempdir() else {
        return;
    };
    let spool_dir = dir.path().join("spool");
    if std::fs::create_dir_all(&spool_dir).is_err() {
        return;
    }
    // The first 32 bytes (if any) are lane 1's cursor, the rest a segment. Lane 1 is `out`.
    let (cursor, segment) = data.split_at(data.len().min(32));
    let _ = std::fs::write(spool_dir.join("lanes"), "1 6f7574\n");
    let _ = std::fs::write(spool_dir.join("cursor.1"), cursor);
    let _ = std::fs::write(spool_dir.join("00000000000000000001.seg"), segment);
    let Ok((log, _orphans)) = Log::<()>::open(&spool_dir, &["out"]) else {
        return;
    };
    let (tx, _rx) = mpsc::channel(1);
    let Ok(spool) = log.attach("out", 1 << 20, tx, Box::new(|_| {})) else {
        return;
    };
    let records = spool
        .read(spool.first_pending(), usize::MAX)
        .unwrap_or_default();
    let mut last = spool.first_pending().saturating_sub(1);
    for (seq, _) in &records {
        assert!(*seq > last, "records come back in order");
        assert!(*seq <= spool.committed(), "only committed records are read");
        last = *seq;
    }
    let _ = spool.append(Bytes::from_static(b"next"), ());
});
