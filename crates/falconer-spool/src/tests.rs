//! The spool against real segment files in a temporary folder.

use std::os::unix::fs::FileExt;
use std::time::Duration;

use super::*;

type Hot<T> = mpsc::Receiver<(u64, T)>;

/// The log of `dir/spool` for the outputs `names` (no orphans expected).
fn open_log<T: Send + 'static>(dir: &Path, names: &[&str]) -> Log<T> {
    let (log, orphans) = Log::open(&dir.join("spool"), names).expect("open log");
    assert!(orphans.is_empty(), "{orphans:?}");
    log
}

fn attach<T>(log: &Log<T>, name: &str, max: u64, hot: usize) -> (Spool<T>, Hot<T>) {
    let (tx, rx) = mpsc::channel(hot);
    let spool = log.attach(name, max, tx, Box::new(|_| {})).expect("attach");
    (spool, rx)
}

/// One output `out` with a hot channel of 2.
fn open(dir: &Path, max: u64) -> (Log<&'static str>, Spool<&'static str>, Hot<&'static str>) {
    let log = open_log(dir, &["out"]);
    let (spool, hot) = attach(&log, "out", max, 2);
    (log, spool, hot)
}

async fn append<T>(spool: &Spool<T>, payload: impl Into<Bytes>, item: T) -> u64 {
    spool
        .append(payload.into(), item)
        .expect("room")
        .await
        .expect("writer answers")
        .expect("committed")
}

async fn until_used<T>(spool: &Spool<T>, used: u64) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while spool.used() != used {
        assert!(
            tokio::time::Instant::now() < deadline,
            "used {} != {used}",
            spool.used()
        );
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
}

/// A spool directory whose output `out` holds the records `r1`, `r2`, `r3`, closed.
async fn spool_of_three() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let (_log, spool, _hot) = open(dir.path(), 1 << 20);
    for p in ["r1", "r2", "r3"] {
        append(&spool, p, "x").await;
    }
    spool.close().await.unwrap();
    dir
}

fn segment_files(dir: &Path) -> Vec<PathBuf> {
    let mut names: Vec<PathBuf> = std::fs::read_dir(dir.join("spool"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "seg"))
        .collect();
    names.sort();
    names
}

fn payloads(records: Vec<(u64, Bytes)>) -> Vec<(u64, &'static str)> {
    records
        .into_iter()
        .map(|(s, p)| (s, &*String::from_utf8(p.to_vec()).unwrap().leak()))
        .collect()
}

#[tokio::test]
async fn appends_are_numbered_offered_hot_and_readable() {
    let dir = tempfile::tempdir().unwrap();
    let (_log, spool, mut hot) = open(dir.path(), 1 << 20);
    assert_eq!(append(&spool, "one", "a").await, 1);
    assert_eq!(append(&spool, "two", "b").await, 2);
    assert_eq!(append(&spool, "three", "c").await, 3);
    // The hot channel holds 2: the third is only on disk.
    assert_eq!(hot.recv().await, Some((1, "a")));
    assert_eq!(hot.recv().await, Some((2, "b")));
    assert!(hot.try_recv().is_err());
    assert_eq!(spool.committed(), 3);
    assert_eq!(payloads(spool.read(3, 10).unwrap()), [(3, "three")]);
    assert_eq!(spool.used(), 11);
    spool.close().await.unwrap();
}

#[tokio::test]
async fn unacknowledged_records_survive_a_reopen_and_acked_ones_do_not() {
    let dir = tempfile::tempdir().unwrap();
    {
        let (_log, spool, _hot) = open(dir.path(), 1 << 20);
        for p in ["r1", "r2", "r3", "r4"] {
            append(&spool, p, "x").await;
        }
        spool.ack(vec![1, 2]);
        spool.close().await.unwrap();
    }
    let (_log, spool, _hot) = open(dir.path(), 1 << 20);
    assert_eq!(spool.first_pending(), 3);
    assert_eq!(spool.used(), 4);
    assert_eq!(
        payloads(spool.read(spool.first_pending(), 10).unwrap()),
        [(3, "r3"), (4, "r4")]
    );
    // New records continue the numbering.
    assert_eq!(append(&spool, "r5", "y").await, 5);
    spool.close().await.unwrap();
}

#[tokio::test]
async fn a_full_spool_refuses_at_once_and_acks_make_room() {
    let dir = tempfile::tempdir().unwrap();
    let (_log, spool, _hot) = open(dir.path(), 10);
    append(&spool, "12345", "a").await;
    append(&spool, "67890", "b").await;
    assert!(matches!(
        spool.append(Bytes::from_static(b"x"), "c"),
        Err(SpoolError::Full(10))
    ));
    spool.ack(vec![1]);
    until_used(&spool, 5).await;
    append(&spool, "x", "c").await;
    spool.close().await.unwrap();
    assert!(matches!(
        spool.append(Bytes::from_static(b"y"), "d"),
        Err(SpoolError::Closed)
    ));
}

#[tokio::test]
async fn many_concurrent_appends_share_commits() {
    let dir = tempfile::tempdir().unwrap();
    let log = open_log::<u32>(dir.path(), &["s"]);
    let (spool, _hot) = attach(&log, "s", 1 << 24, 1);
    let answers: Vec<_> = (0..500u32)
        .map(|i| spool.append(Bytes::from(vec![b'x'; 100]), i).unwrap())
        .collect();
    let mut seqs = Vec::new();
    for a in answers {
        seqs.push(a.await.unwrap().unwrap());
    }
    // Every append got its own number, in submission order.
    assert_eq!(seqs, (1..=500).collect::<Vec<u64>>());
    assert_eq!(spool.read(1, 1000).unwrap().len(), 500);
    spool.close().await.unwrap();
}

#[tokio::test]
async fn outputs_share_the_log_and_each_reads_its_own_records() {
    let dir = tempfile::tempdir().unwrap();
    {
        let log = open_log::<u32>(dir.path(), &["a", "b"]);
        let (a, _ha) = attach(&log, "a", 1 << 20, 8);
        let (b, _hb) = attach(&log, "b", 1 << 20, 8);
        // Interleaved appends: one write and one sync carries both lanes' frames.
        let answers = [
            a.append(Bytes::from_static(b"a1"), 0).unwrap(),
            b.append(Bytes::from_static(b"b1"), 0).unwrap(),
            a.append(Bytes::from_static(b"a2"), 0).unwrap(),
            b.append(Bytes::from_static(b"b2"), 0).unwrap(),
        ];
        let mut seqs = Vec::new();
        for answer in answers {
            seqs.push(answer.await.unwrap().unwrap());
        }
        assert_eq!(seqs, [1, 1, 2, 2]);
        assert_eq!(payloads(a.read(1, 10).unwrap()), [(1, "a1"), (2, "a2")]);
        assert_eq!(payloads(b.read(1, 10).unwrap()), [(1, "b1"), (2, "b2")]);
        // `a` delivered everything, `b` only its first.
        a.ack(vec![1, 2]);
        b.ack(vec![1]);
        until_used(&a, 0).await;
        until_used(&b, 2).await;
        a.close().await.unwrap();
        b.close().await.unwrap();
    }
    assert_eq!(segment_files(dir.path()).len(), 1);
    let log = open_log::<u32>(dir.path(), &["a", "b"]);
    let (a, _ha) = attach(&log, "a", 1 << 20, 8);
    let (b, _hb) = attach(&log, "b", 1 << 20, 8);
    assert_eq!((a.first_pending(), a.used()), (3, 0));
    assert_eq!((b.first_pending(), b.used()), (2, 2));
    assert_eq!(payloads(b.read(2, 10).unwrap()), [(2, "b2")]);
    assert_eq!(append(&a, "a3", 0).await, 3);
    a.close().await.unwrap();
    b.close().await.unwrap();
}

#[tokio::test]
async fn the_pending_records_of_an_output_no_longer_spooled_are_read_in_chunks_and_forgotten() {
    let dir = tempfile::tempdir().unwrap();
    {
        let log = open_log::<u32>(dir.path(), &["kept", "gone"]);
        let (kept, _hk) = attach(&log, "kept", 1 << 20, 8);
        let (gone, _hg) = attach(&log, "gone", 1 << 20, 8);
        append(&kept, "k1", 0).await;
        for p in ["g1", "g2", "g3"] {
            append(&gone, p, 0).await;
        }
        gone.ack(vec![1]);
        gone.close().await.unwrap();
        kept.close().await.unwrap();
    }
    {
        let (log, orphans) = Log::<u32>::open(&dir.path().join("spool"), &["kept"]).unwrap();
        assert_eq!(orphans, ["gone"]);
        // Read in chunks, forgotten once kept elsewhere.
        let first = log.take_pending("gone", 1).unwrap().unwrap();
        assert_eq!(first.payloads, [Bytes::from_static(b"g2")]);
        // Not forgotten yet: read again.
        let again = log.take_pending("gone", 1).unwrap().unwrap();
        assert_eq!((again.upto, again.payloads.len()), (first.upto, 1));
        log.forget("gone", first.upto).unwrap();
        let second = log.take_pending("gone", 10).unwrap().unwrap();
        assert_eq!(second.payloads, [Bytes::from_static(b"g3")]);
        log.forget("gone", second.upto).unwrap();
        assert!(log.take_pending("gone", 10).unwrap().is_none());
        // An attached output is never taken from.
        let (kept, _hk) = attach(&log, "kept", 1 << 20, 8);
        assert!(log.take_pending("kept", 10).unwrap().is_none());
        assert_eq!(payloads(kept.read(1, 10).unwrap()), [(1, "k1")]);
        kept.close().await.unwrap();
    }
    let (_log, orphans) = Log::<u32>::open(&dir.path().join("spool"), &["kept"]).unwrap();
    assert!(orphans.is_empty(), "left twice: {orphans:?}");
}

#[tokio::test]
async fn a_torn_write_at_the_tail_is_zeroed_and_the_log_goes_on() {
    let dir = spool_of_three().await;
    // A crash in the middle of the next write: part of a frame after the three (of 22 bytes
    // each), in the zeros the segment was extended with.
    let last = segment_files(dir.path()).pop().unwrap();
    let torn = std::fs::OpenOptions::new().write(true).open(&last).unwrap();
    torn.write_all_at(&[9, 0, 0, 0, 1, 2, 3], 3 * 22).unwrap();
    drop(torn);
    {
        let (_log, spool, _hot) = open(dir.path(), 1 << 20);
        assert_eq!((spool.first_pending(), spool.committed()), (1, 3));
        assert_eq!(spool.used(), 6);
        assert_eq!(append(&spool, "r4", "y").await, 4);
        spool.close().await.unwrap();
    }
    let (_log, spool, _hot) = open(dir.path(), 1 << 20);
    assert_eq!(
        payloads(spool.read(1, 10).unwrap()),
        [(1, "r1"), (2, "r2"), (3, "r3"), (4, "r4")]
    );
    spool.close().await.unwrap();
}

#[tokio::test]
async fn a_corrupt_record_is_not_read_back() {
    let dir = spool_of_three().await;
    // One bit of the second record's payload flips on disk (frame: 20 B header + 2 B).
    let seg = segment_files(dir.path()).pop().unwrap();
    let mut bytes = std::fs::read(&seg).unwrap();
    bytes[22 + 20] ^= 1;
    std::fs::write(&seg, bytes).unwrap();
    let (_log, spool, _hot) = open(dir.path(), 1 << 20);
    // The checksum stops the scan there: the damaged record and what follows it in its
    // segment are not handed out as alerts.
    assert_eq!(payloads(spool.read(1, 10).unwrap()), [(1, "r1")]);
    spool.close().await.unwrap();
}

#[tokio::test]
async fn segments_roll_and_spent_ones_are_deleted() {
    let dir = tempfile::tempdir().unwrap();
    {
        let (log, _) =
            Log::<u32>::open_sized(&dir.path().join("spool"), &["out"], 1 << 20).unwrap();
        let (spool, _hot) = attach(&log, "out", 8 << 20, 1);
        // 1 MiB segments: 40 records of 100 KiB fill four of them.
        let mut seqs = Vec::new();
        for i in 0..40u8 {
            seqs.push(append(&spool, vec![i; 100 * 1024], 0).await);
        }
        assert!(segment_files(dir.path()).len() >= 4);
        assert_eq!(spool.used(), 40 * 100 * 1024);
        // Everything but the last record is delivered: only the last segment is kept.
        spool.ack(seqs[..39].to_vec());
        until_used(&spool, 100 * 1024).await;
        // The writer deletes after applying the acknowledgements: one more commit settles it.
        append(&spool, vec![0u8; 1], 0).await;
        spool.close().await.unwrap();
    }
    assert_eq!(segment_files(dir.path()).len(), 1);
    let (_log, spool, _hot) = open(dir.path(), 8 << 20);
    assert_eq!(spool.first_pending(), 40);
    let back = spool.read(40, 1).unwrap();
    assert_eq!(back[0].1, Bytes::from(vec![39u8; 100 * 1024]));
    spool.close().await.unwrap();
}

#[tokio::test]
async fn records_acknowledged_out_of_order_wait_for_the_first_and_come_back_after_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    {
        let (_log, spool, _hot) = open(dir.path(), 1 << 20);
        for p in ["r1", "r2", "r3"] {
            append(&spool, p, "x").await;
        }
        spool.ack(vec![2, 3]);
        until_used(&spool, 2).await;
        spool.close().await.unwrap();
    }
    {
        // At least once: 2 and 3 are read again, since 1 was never delivered.
        let (_log, spool, _hot) = open(dir.path(), 1 << 20);
        assert_eq!((spool.first_pending(), spool.used()), (1, 6));
        spool.ack(vec![1, 2, 3]);
        until_used(&spool, 0).await;
        spool.close().await.unwrap();
    }
    let (_log, spool, _hot) = open(dir.path(), 1 << 20);
    assert_eq!(spool.first_pending(), 4);
    assert_eq!(append(&spool, "r4", "y").await, 4);
    spool.close().await.unwrap();
}

#[tokio::test]
async fn one_spool_directory_cannot_be_opened_twice() {
    let dir = tempfile::tempdir().unwrap();
    let log = open_log::<u32>(dir.path(), &["out"]);
    match Log::<u32>::open(&dir.path().join("spool"), &["out"]) {
        Err(SpoolError::Storage(e)) => assert!(e.contains("in use by another process"), "{e}"),
        other => panic!("opened twice: {other:?}"),
    }
    // Handed over within the log (a reload): the new handle works, the old one is closed.
    let (old, _h1) = attach(&log, "out", 1 << 20, 1);
    old.close().await.unwrap();
    let (new, _h2) = attach(&log, "out", 1 << 20, 1);
    assert_eq!(append(&new, "x", 0).await, 1);
    assert!(matches!(
        old.append(Bytes::from_static(b"y"), 0),
        Err(SpoolError::Closed)
    ));
    new.close().await.unwrap();
    drop((old, new, log));
    // Once the log is gone, the directory is free.
    let _again = open_log::<u32>(dir.path(), &["out"]);
}

#[tokio::test]
async fn a_record_stuck_at_the_head_bounds_the_disk_too() {
    let dir = tempfile::tempdir().unwrap();
    // maxbytes 1 MiB, 1 MiB segments: the disk may hold 2 MiB.
    let (log, _) = Log::<u32>::open_sized(&dir.path().join("spool"), &["out"], 1 << 20).unwrap();
    let (spool, _hot) = attach(&log, "out", 1 << 20, 1);
    append(&spool, vec![0; 1024], 0).await;
    let mut refused = false;
    for _ in 0..4000 {
        match spool.append(Bytes::from(vec![1; 1024]), 0) {
            Ok(answer) => {
                let seq = answer.await.unwrap().unwrap();
                spool.ack(vec![seq]);
            }
            Err(SpoolError::Full(max)) => {
                assert_eq!(max, 1 << 20);
                refused = true;
                break;
            }
            Err(e) => panic!("{e}"),
        }
    }
    assert!(refused, "the disk grew past maxbytes + one segment");
    // Pending: the first record only.
    until_used(&spool, 1024).await;
    spool.close().await.unwrap();
}

#[tokio::test]
async fn records_of_the_earlier_redb_spool_are_moved_into_the_log() {
    use redb::{Database, TableDefinition};
    const RECORDS: TableDefinition<u64, &[u8]> = TableDefinition::new("records");
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("spool")).unwrap();
    // The earlier file of output "my out" (a space is `_` in its name).
    let legacy = dir.path().join("spool").join("my_out.redb");
    {
        let db = Database::create(&legacy).unwrap();
        let txn = db.begin_write().unwrap();
        {
            let mut table = txn.open_table(RECORDS).unwrap();
            table.insert(5, &b"left-1"[..]).unwrap();
            table.insert(7, &b"left-2"[..]).unwrap();
        }
        txn.commit().unwrap();
    }
    {
        let log = open_log::<u32>(dir.path(), &["my out"]);
        assert!(!legacy.exists());
        let (spool, _hot) = attach(&log, "my out", 1 << 20, 1);
        assert_eq!((spool.first_pending(), spool.used()), (1, 12));
        assert_eq!(
            payloads(spool.read(1, 10).unwrap()),
            [(1, "left-1"), (2, "left-2")]
        );
        assert_eq!(append(&spool, "new", 0).await, 3);
        spool.close().await.unwrap();
    }
    let log = open_log::<u32>(dir.path(), &["my out"]);
    let (spool, _hot) = attach(&log, "my out", 1 << 20, 1);
    assert_eq!(spool.read(1, 10).unwrap().len(), 3);
    spool.close().await.unwrap();
}

#[tokio::test]
async fn a_failed_sync_fails_every_append_in_flight_and_the_next_segment_numbers_again() {
    let dir = tempfile::tempdir().unwrap();
    let spool_dir = dir.path().join("spool");
    std::fs::create_dir_all(&spool_dir).unwrap();
    // The syncers' descriptors of the first segment fail every sync.
    std::fs::write(spool_dir.join("fail-syncs"), b"").unwrap();
    let (log, spool, _hot) = open(dir.path(), 1 << 20);
    let answers: Vec<_> = (0..20)
        .map(|i| {
            spool
                .append(Bytes::from(format!("lost-{i}")), "x")
                .expect("room")
        })
        .collect();
    for answer in answers {
        let result = answer.await.expect("answered");
        assert!(matches!(result, Err(SpoolError::Storage(_))), "{result:?}");
    }
    assert_eq!(spool.used(), 0);
    std::fs::remove_file(spool_dir.join("fail-syncs")).unwrap();
    // A new segment, numbered from the last record kept.
    assert_eq!(append(&spool, "kept-1", "a").await, 1);
    assert_eq!(append(&spool, "kept-2", "b").await, 2);
    assert_eq!(spool.used(), 12);
    spool.close().await.unwrap();
    drop((spool, log));
    let (_log, spool, _hot) = open(dir.path(), 1 << 20);
    assert_eq!(
        payloads(spool.read(1, 10).unwrap()),
        [(1, "kept-1"), (2, "kept-2")]
    );
    assert_eq!(spool.used(), 12);
}
