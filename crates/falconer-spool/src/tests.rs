//! The spool against a real database file in a temporary folder.

use std::time::Duration;

use super::*;

fn open(dir: &Path, max: u64) -> (Spool<&'static str>, mpsc::Receiver<(u64, &'static str)>) {
    let (tx, rx) = mpsc::channel(2);
    let spool = Spool::open(&dir.join("out.redb"), max, tx, Box::new(|_| {})).expect("open spool");
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
        Spool::open(&dir.path().join("s.redb"), 1 << 24, tx, Box::new(|_| {})).unwrap();
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
