use super::*;

fn alert(rule: &str) -> Arc<Alert> {
    let mut a = Alert::decode(
        br#"{"output":"o <&>","priority":"Critical","rule":"R","time":"2024-05-14T09:21:07.41879Z","output_fields":{"n":12345678901234567890}}"#,
    )
    .unwrap();
    a.rule = rule.into();
    a.uuid = format!("id-{rule}");
    Arc::new(a)
}

fn output_metrics(m: &falconer_metrics::Metrics) -> OutputMetrics {
    m.output("hook", "webhook", "webhook")
}

#[tokio::test]
async fn letters_round_trip_with_metadata_and_exact_payload() {
    let dir = tempfile::tempdir().unwrap();
    let (m, _) = falconer_metrics::Metrics::new(&[]).unwrap();
    let store =
        DeadLetters::open(dir.path(), 1 << 20, 2, m.dead_letter_write_errors().clone()).unwrap();
    let a = alert("one");
    store.give_up(
        &output_metrics(&m),
        std::slice::from_ref(&a),
        DropReason::Rejected,
        1,
        "destination returned 400 Bad Request: bad field",
    );
    store.flush().await;
    let records: Vec<_> = read_dead_letters(&dir.path().join(DEAD_LETTER_FILE))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(records.len(), 1);
    let r = &records[0];
    assert_eq!(r.meta.output, "hook");
    assert_eq!(r.meta.kind, "webhook");
    assert_eq!(r.meta.reason, "rejected");
    assert_eq!(r.meta.attempts, 1);
    assert_eq!(
        r.meta.error,
        "destination returned 400 Bad Request: bad field"
    );
    assert_eq!(r.alert.get().as_bytes(), a.to_json());
    let back = r.to_alert().unwrap();
    assert_eq!(back, *a);
}

#[tokio::test]
async fn files_rotate_by_size_and_keep_at_most_maxfiles() {
    let dir = tempfile::tempdir().unwrap();
    let (m, _) = falconer_metrics::Metrics::new(&[]).unwrap();
    let line_len = 450u64; // a little more than one letter
    let store = DeadLetters::open(
        dir.path(),
        line_len,
        2,
        m.dead_letter_write_errors().clone(),
    )
    .unwrap();
    for i in 0..5 {
        store.give_up(
            &output_metrics(&m),
            &[alert(&format!("r{i}"))],
            DropReason::MaxAge,
            3,
            "x",
        );
    }
    store.flush().await;
    let base = dir.path().join(DEAD_LETTER_FILE);
    let count = |p: &Path| read_dead_letters(p).map(|it| it.count()).unwrap_or(0);
    assert_eq!(count(&base), 1);
    assert_eq!(count(&PathBuf::from(format!("{}.1", base.display()))), 1);
    assert_eq!(count(&PathBuf::from(format!("{}.2", base.display()))), 1);
    assert!(!PathBuf::from(format!("{}.3", base.display())).exists());
    let newest = read_dead_letters(&base).unwrap().next().unwrap().unwrap();
    assert_eq!(newest.to_alert().unwrap().rule, "r4");
}

#[tokio::test]
async fn a_disabled_store_still_counts() {
    let (m, _) = falconer_metrics::Metrics::new(&[]).unwrap();
    let store = DeadLetters::disabled(m.dead_letter_write_errors().clone());
    store.give_up(
        &output_metrics(&m),
        &[alert("a")],
        DropReason::QueueFull,
        0,
        "full",
    );
    store.flush().await;
    let text = String::from_utf8(m.render()).unwrap();
    assert!(text.contains(
        r#"falconer_output_dropped_total{kind="webhook",output="hook",reason="queue_full"} 1"#
    ));
    assert!(!text.contains("falconer_output_dead_letters_total{"));
}

/// What a spooled output does after giving up: its `then` runs only once the dead letters are
/// in the file, and at once when nothing went to a file.
#[tokio::test]
async fn then_runs_once_the_dead_letters_are_in_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let (m, _) = falconer_metrics::Metrics::new(&[]).unwrap();
    let store =
        DeadLetters::open(dir.path(), 1 << 20, 2, m.dead_letter_write_errors().clone()).unwrap();
    let path = dir.path().join(DEAD_LETTER_FILE);
    let alerts = [alert("one"), alert("two"), alert("three")];
    let (seen_tx, seen_rx) = std::sync::mpsc::channel();
    let file = path.clone();
    store.give_up_then(
        &output_metrics(&m),
        &alerts,
        DropReason::RetriesExhausted,
        5,
        "connection refused",
        Some(Box::new(move || {
            // What the file holds when the spool would forget the alerts.
            let held: Vec<String> = read_dead_letters(&file)
                .map(|records| {
                    records
                        .filter_map(Result::ok)
                        .map(|r| r.meta.reason.clone() + "/" + r.alert.get())
                        .collect()
                })
                .unwrap_or_default();
            let _ = seen_tx.send(held);
        })),
    );
    let held = seen_rx
        .recv_timeout(std::time::Duration::from_secs(10))
        .expect("then ran");
    assert_eq!(held.len(), 3, "{held:?}");
    for (line, a) in held.iter().zip(&alerts) {
        assert_eq!(
            line.as_bytes(),
            [b"retries_exhausted/".as_slice(), a.to_json()].concat()
        );
    }

    // Nothing for a file: no file kept, and no alerts.
    let disabled = DeadLetters::disabled(m.dead_letter_write_errors().clone());
    let ran = Arc::new(std::sync::atomic::AtomicU32::new(0));
    for (store, alerts) in [(&disabled, &alerts[..1]), (&store, &[][..])] {
        let counter = ran.clone();
        store.give_up_then(
            &output_metrics(&m),
            alerts,
            DropReason::Rejected,
            1,
            "400",
            Some(Box::new(move || {
                counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            })),
        );
    }
    assert_eq!(ran.load(std::sync::atomic::Ordering::SeqCst), 2);
}
