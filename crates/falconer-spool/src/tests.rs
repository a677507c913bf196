//! The spool against a real database file in a temporary folder.

use std::time::Duration;

use super::*;

fn open(dir: &Path, max: u64) -> (Spool<&'static str>, mpsc::Receiver<(u64, &'static str)>) {
    let (tx, rx) = mpsc::channel(2);
    let spool = Spool::open(&dir.join("out"), max, tx, Box::new(|_| {})).expect("open spool");
    (spool, rx)
}

async fn append(spool: &Spool<&'static str>, payload: &'static [u8], item: &'static str) -> u64 {
    spool
        .append(Bytes::from_static(payload), item)
        .expect("room")
        .await
        .expect("writer answers")
        .expect("committed")
}

#[tokio::test]
async fn appends_are_numbered_offered_hot_and_readable() {
    let dir = tempfile::tempdir().unwrap();
    let (spool, mut hot) = open(dir.path(), 1 << 20);
    assert_eq!(append(&spool, b"one", "a").await, 1);
    assert_eq!(append(&spool, b"two", "b").await, 2);
    assert_eq!(append(&spool, b"three", "c").await, 3);
    // The hot channel holds 2: the third is only on disk.
    assert_eq!(hot.recv().await, Some((1, "a")));
    assert_eq!(hot.recv().await, Some((2, "b")));
    assert!(hot.try_recv().is_err());
    assert_eq!(spool.committed(), 3);
    let back = spool.read(3, 10).unwrap();
    assert_eq!(back, vec![(3, Bytes::from_static(b"three"))]);
    assert_eq!(spool.used(), 11);
    spool.close().await.unwrap();
}

#[tokio::test]
async fn unacknowledged_records_survive_a_reopen_and_acked_ones_do_not() {
    let dir = tempfile::tempdir().unwrap();
    {
        let (spool, _hot) = open(dir.path(), 1 << 20);
        for p in [&b"r1"[..], b"r2", b"r3", b"r4"] {
            spool
                .append(Bytes::from_static(p), "x")
                .unwrap()
                .await
                .unwrap()
                .unwrap();
        }
        spool.ack(vec![1, 2]);
        spool.close().await.unwrap();
    }
    let (spool, _hot) = open(dir.path(), 1 << 20);
    assert_eq!(spool.first_pending(), 3);
    assert_eq!(spool.used(), 4);
    let back = spool.read(spool.first_pending(), 10).unwrap();
    assert_eq!(
        back,
        vec![
            (3, Bytes::from_static(b"r3")),
            (4, Bytes::from_static(b"r4"))
        ]
    );
    // New records continue the numbering.
    assert_eq!(append(&spool, b"r5", "y").await, 5);
    spool.close().await.unwrap();
}

#[tokio::test]
async fn a_full_spool_refuses_at_once_and_acks_make_room() {
    let dir = tempfile::tempdir().unwrap();
    let (spool, _hot) = open(dir.path(), 10);
    append(&spool, b"12345", "a").await;
    append(&spool, b"67890", "b").await;
    assert!(matches!(
        spool.append(Bytes::from_static(b"x"), "c"),
        Err(SpoolError::Full(10))
    ));
    spool.ack(vec![1]);
    // The ack is applied by the writer; wait for it without a fixed sleep.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while spool.used() != 5 {
        assert!(tokio::time::Instant::now() < deadline, "ack not applied");
        tokio::task::yield_now().await;
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    append(&spool, b"x", "c").await;
    spool.close().await.unwrap();
    assert!(matches!(
        spool.append(Bytes::from_static(b"y"), "d"),
        Err(SpoolError::Closed)
    ));
}

#[tokio::test]
async fn many_concurrent_appends_share_commits() {
    let dir = tempfile::tempdir().unwrap();
    let (tx, _rx) = mpsc::channel(1);
    let spool: Spool<u32> =
        Spool::open(&dir.path().join("s"), 1 << 24, tx, Box::new(|_| {})).unwrap();
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

async fn until_used(spool: &Spool<u32>, used: u64) {
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

fn open_u32(dir: &Path, max: u64) -> Spool<u32> {
    let (tx, _rx) = mpsc::channel(1);
    Spool::open(&dir.join("out"), max, tx, Box::new(|_| {})).expect("open spool")
}

async fn append_u32(spool: &Spool<u32>, payload: Vec<u8>) -> u64 {
    spool
        .append(Bytes::from(payload), 0)
        .expect("room")
        .await
        .expect("writer answers")
        .expect("committed")
}

fn segment_files(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir.join("out"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.ends_with(".seg"))
        .collect();
    names.sort();
    names
}

#[tokio::test]
async fn a_torn_write_at_the_tail_is_cut_off_and_the_log_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    {
        let spool = open_u32(dir.path(), 1 << 20);
        for p in [b"r1".to_vec(), b"r2".to_vec(), b"r3".to_vec()] {
            append_u32(&spool, p).await;
        }
        spool.close().await.unwrap();
    }
    // A crash in the middle of the next write: part of a frame after the three (of 18 bytes
    // each), in the zeros the segment was extended with.
    let last = dir
        .path()
        .join("out")
        .join(segment_files(dir.path()).pop().unwrap());
    let torn = std::fs::OpenOptions::new().write(true).open(&last).unwrap();
    std::os::unix::fs::FileExt::write_all_at(&torn, &[9, 0, 0, 0, 1, 2, 3], 3 * 18).unwrap();
    drop(torn);
    {
        let spool = open_u32(dir.path(), 1 << 20);
        assert_eq!(spool.first_pending(), 1);
        assert_eq!(spool.committed(), 3);
        assert_eq!(spool.used(), 6);
        assert_eq!(append_u32(&spool, b"r4".to_vec()).await, 4);
        spool.close().await.unwrap();
    }
    let spool = open_u32(dir.path(), 1 << 20);
    let back: Vec<Bytes> = spool
        .read(1, 10)
        .unwrap()
        .into_iter()
        .map(|(_, p)| p)
        .collect();
    assert_eq!(
        back,
        [&b"r1"[..], b"r2", b"r3", b"r4"].map(Bytes::from_static)
    );
    spool.close().await.unwrap();
}

#[tokio::test]
async fn a_corrupt_record_is_not_read_back() {
    let dir = tempfile::tempdir().unwrap();
    {
        let spool = open_u32(dir.path(), 1 << 20);
        for p in [b"r1".to_vec(), b"r2".to_vec(), b"r3".to_vec()] {
            append_u32(&spool, p).await;
        }
        spool.close().await.unwrap();
    }
    // One bit of the second record's payload flips on disk (frame: 16 B header + 2 B).
    let seg = dir
        .path()
        .join("out")
        .join(segment_files(dir.path()).pop().unwrap());
    let mut bytes = std::fs::read(&seg).unwrap();
    bytes[18 + 16] ^= 1;
    std::fs::write(&seg, bytes).unwrap();
    let spool = open_u32(dir.path(), 1 << 20);
    // The checksum stops the scan there: the damaged record and what follows it in its
    // segment are not handed out as alerts.
    let back = spool.read(1, 10).unwrap();
    assert_eq!(back, vec![(1, Bytes::from_static(b"r1"))]);
    spool.close().await.unwrap();
}

#[tokio::test]
async fn segments_roll_and_spent_ones_are_deleted() {
    let dir = tempfile::tempdir().unwrap();
    let spool = open_u32(dir.path(), 8 << 20);
    // 1 MiB segments (the smallest): 40 records of 100 KiB fill four of them.
    let mut seqs = Vec::new();
    for i in 0..40u8 {
        seqs.push(append_u32(&spool, vec![i; 100 * 1024]).await);
    }
    assert!(
        segment_files(dir.path()).len() >= 4,
        "{:?}",
        segment_files(dir.path())
    );
    assert_eq!(spool.used(), 40 * 100 * 1024);
    // Everything but the last record is delivered: only the last segment is kept.
    spool.ack(seqs[..39].to_vec());
    until_used(&spool, 100 * 1024).await;
    spool.close().await.unwrap();
    drop(spool);
    assert_eq!(segment_files(dir.path()).len(), 1);
    let spool = open_u32(dir.path(), 8 << 20);
    assert_eq!(spool.first_pending(), 40);
    let back = spool.read(40, 10).unwrap();
    assert_eq!(back.len(), 1);
    assert_eq!(back[0].1, Bytes::from(vec![39u8; 100 * 1024]));
    spool.close().await.unwrap();
}

#[tokio::test]
async fn records_acknowledged_out_of_order_wait_for_the_first_and_come_back_after_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    {
        let spool = open_u32(dir.path(), 1 << 20);
        for p in [b"r1".to_vec(), b"r2".to_vec(), b"r3".to_vec()] {
            append_u32(&spool, p).await;
        }
        spool.ack(vec![2, 3]);
        until_used(&spool, 2).await;
        spool.close().await.unwrap();
    }
    {
        // At least once: 2 and 3 are read again, since 1 was never delivered.
        let spool = open_u32(dir.path(), 1 << 20);
        assert_eq!(spool.first_pending(), 1);
        assert_eq!(spool.used(), 6);
        spool.ack(vec![1, 2, 3]);
        until_used(&spool, 0).await;
        spool.close().await.unwrap();
    }
    let spool = open_u32(dir.path(), 1 << 20);
    assert_eq!(spool.first_pending(), 4);
    assert_eq!(append_u32(&spool, b"r4".to_vec()).await, 4);
    spool.close().await.unwrap();
}

#[tokio::test]
async fn one_spool_cannot_be_opened_twice() {
    let dir = tempfile::tempdir().unwrap();
    let spool = open_u32(dir.path(), 1 << 20);
    let (tx, _rx) = mpsc::channel(1);
    let again = Spool::<u32>::open(&dir.path().join("out"), 1 << 20, tx, Box::new(|_| {}));
    match again {
        Err(SpoolError::Storage(e)) => assert!(e.contains("in use by another process"), "{e}"),
        other => panic!("opened twice: {other:?}"),
    }
    // Closed, it can be handed over (a reload), though the first handle still exists.
    spool.close().await.unwrap();
    let again = open_u32(dir.path(), 1 << 20);
    again.close().await.unwrap();
    drop(spool);
}

#[tokio::test]
async fn a_record_stuck_at_the_head_bounds_the_disk_too() {
    let dir = tempfile::tempdir().unwrap();
    // maxbytes 1 MiB: segments of 1 MiB; the disk may hold 2 MiB.
    let spool = open_u32(dir.path(), 1 << 20);
    append_u32(&spool, vec![0; 1024]).await;
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
    {
        let db = Database::create(dir.path().join("out.redb")).unwrap();
        let txn = db.begin_write().unwrap();
        {
            let mut table = txn.open_table(RECORDS).unwrap();
            table.insert(5, &b"left-1"[..]).unwrap();
            table.insert(7, &b"left-2"[..]).unwrap();
        }
        txn.commit().unwrap();
    }
    {
        let spool = open_u32(dir.path(), 1 << 20);
        assert!(!dir.path().join("out.redb").exists());
        assert_eq!(spool.first_pending(), 1);
        assert_eq!(spool.used(), 12);
        let back = spool.read(1, 10).unwrap();
        assert_eq!(
            back,
            vec![
                (1, Bytes::from_static(b"left-1")),
                (2, Bytes::from_static(b"left-2"))
            ]
        );
        assert_eq!(append_u32(&spool, b"new".to_vec()).await, 3);
        spool.close().await.unwrap();
    }
    let spool = open_u32(dir.path(), 1 << 20);
    assert_eq!(spool.read(1, 10).unwrap().len(), 3);
    spool.close().await.unwrap();
}
