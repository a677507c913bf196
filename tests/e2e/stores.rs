//! The log and search stores through the binary, configured the falcosidekick way (blocks and
//! environment variables), against the recording sink.

use std::time::Duration;

use falconer_testkit::{RecordingSink, Reply, CONFIGMAP_ALERT};

use crate::harness::Falconer;

const WAIT: Duration = Duration::from_secs(20);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn elasticsearch_and_loki_blocks_from_the_environment() {
    let es = RecordingSink::start().await;
    es.fallback(Reply::status(201).body(r#"{"result":"created"}"#));
    let loki = RecordingSink::start().await;
    loki.fallback(Reply::status(204));
    let f = Falconer::start(
        "loki:\n  format: json\n",
        &[
            ("ELASTICSEARCH_HOSTPORT", es.url("").as_str()),
            ("ELASTICSEARCH_BATCHING_ENABLED", "false"),
            ("LOKI_HOSTPORT", loki.url("").as_str()),
            ("LOKI_ENABLECOMPRESSION", "false"),
            ("LOKI_BATCH_LINGER", "50ms"),
        ],
    )
    .await;
    assert_eq!(f.post("/", CONFIGMAP_ALERT).await.0, 200);

    // Batching off: falcosidekick's one document per request, into the alert's day.
    let got = es.wait_for(1, WAIT).await;
    assert_eq!(got[0].method, "POST");
    assert_eq!(got[0].path, "/falco-2024.05.14/_doc");
    let doc = got[0].json();
    assert_eq!(
        doc["rule"],
        "Create/Modify Configmap With Private Credentials"
    );
    assert_eq!(doc["@timestamp"], "2024-05-14T09:21:07.41879Z");

    let got = loki.wait_for(1, WAIT).await;
    assert_eq!(
        (got[0].method.as_str(), got[0].path.as_str()),
        ("POST", "/loki/api/v1/push")
    );
    let push = got[0].json();
    let stream = &push["streams"][0];
    assert_eq!(
        stream["stream"]["rule"],
        "Create/Modify Configmap With Private Credentials"
    );
    assert_eq!(stream["stream"]["priority"], "Warning");
    let line: serde_json::Value =
        serde_json::from_str(stream["values"][0][1].as_str().unwrap_or_default())
            .expect("JSON line");
    assert_eq!(line["hostname"], "minikube");
    let (ok, _) = f.terminate();
    assert!(ok);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn splunk_hec_and_syslog_from_a_falcosidekick_config() {
    let hec = RecordingSink::start().await;
    hec.fallback(Reply::status(200).body(r#"{"text":"Success","code":0}"#));
    let syslog = tokio::net::UdpSocket::bind("127.0.0.1:0")
        .await
        .expect("udp receiver");
    let syslog_port = syslog.local_addr().expect("addr").port();
    let yaml = format!(
        "splunk:\n  host: {}\n  token: hec-t0ken\n  batch:\n    linger: 50ms\nsyslog:\n  host: 127.0.0.1\n  port: {syslog_port}\n  protocol: udp\n  format: cef\n",
        hec.url("/services/collector/event")
    );
    let f = Falconer::start(&yaml, &[]).await;
    assert_eq!(f.post("/", CONFIGMAP_ALERT).await.0, 200);

    let got = hec.wait_for(1, WAIT).await;
    assert_eq!(got[0].path, "/services/collector/event");
    assert_eq!(got[0].header("authorization"), Some("Splunk hec-t0ken"));
    let event = got[0].json();
    assert_eq!(event["sourcetype"], "falcosidekick");
    assert_eq!(
        event["event"]["rule"],
        "Create/Modify Configmap With Private Credentials"
    );

    let mut buf = vec![0u8; 65536];
    let n = tokio::time::timeout(WAIT, syslog.recv(&mut buf))
        .await
        .expect("a syslog datagram")
        .expect("received");
    let line = String::from_utf8_lossy(&buf[..n]);
    // Warning is severity 4, facility kern: <4>.
    assert!(line.starts_with("<4>"), "{line}");
    assert!(
        line.contains("CEF:0|Falcosecurity|Falco|1.0|Falco Event|Create/Modify Configmap With Private Credentials|"),
        "{line}"
    );
    let (ok, _) = f.terminate();
    assert!(ok);
}
