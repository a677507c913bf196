//! The wavefront output: point lines on a persistent TCP connection to a strict loopback
//! "proxy", and the direct API's request against the recording sink (method, path, query,
//! every header, the gzipped body), its classification and batches.

use std::sync::Arc;
use std::time::Duration;

use crate::common::{Receiver, StreamFraming};
use falconer_config::{CommonSettings, GlobalSettings, OutputEntry};
use falconer_core::{BuildContext, Output};
use falconer_http::contract::{assert_classification, deliver, quick, sample};
use falconer_outputs_stream::wavefront::{point_line, KIND};
use falconer_testkit::RecordingSink;
use serde_json::{json, Value};

const WAIT: Duration = Duration::from_secs(20);

async fn build(settings: Value) -> Arc<dyn Output> {
    let entry = OutputEntry {
        name: "wavefront".into(),
        kind: "wavefront".into(),
        path: "wavefront".into(),
        common: CommonSettings::default(),
        settings,
    };
    KIND.prepare(&entry)
        .expect("valid config")
        .build(BuildContext {
            name: "wavefront".into(),
            path: "wavefront".into(),
            global: Arc::new(GlobalSettings::default()),
            resources: falconer_core::Resources::default(),
        })
        .await
        .expect("builds")
}

fn lines(alerts: &[Arc<falconer_core::Alert>], metric: &str) -> String {
    alerts.iter().map(|a| point_line(a, metric).0).collect()
}

#[tokio::test]
async fn the_proxy_gets_one_line_per_alert_on_one_connection() {
    let rx = Receiver::tcp(StreamFraming::Newline, None).await;
    let out = build(json!({
        "endpointtype": "proxy",
        "endpointhost": "127.0.0.1",
        "endpointmetricport": rx.port(),
        "metricname": "falco.test"
    }))
    .await;
    out.healthcheck().await.expect("the probe connects");
    let batch = [sample(1), sample(2)];
    out.send(&batch).await.expect("sent");
    out.send(&[sample(3)]).await.expect("sent");
    let got = rx.wait_for(3, WAIT).await;
    rx.assert_clean();
    let text: String = got.iter().map(|f| format!("{}\n", f.text())).collect();
    assert_eq!(
        text,
        lines(&[sample(1), sample(2), sample(3)], "falco.test")
    );
    assert!(text.starts_with("\"falco.test\" 1 1715704316746609046 source=\"falco-exporter\" "));
    assert_eq!(rx.connections(), 1, "one persistent connection");
}

#[tokio::test]
async fn the_direct_api_gets_gzipped_lines_with_the_bearer_token() {
    let sink = RecordingSink::start().await;
    let alerts = [sample(1), sample(2), sample(3)];
    let settings = json!({
        "endpointtype": "direct",
        "endpointhost": sink.url(""),
        "endpointtoken": "wf-t0ken"
    });
    let got = deliver(&sink, KIND, settings, quick(10), &alerts).await;
    assert_eq!(got.len(), 1, "a batch is one request");
    let r = &got[0];
    assert_eq!((r.method.as_str(), r.path.as_str()), ("POST", "/report"));
    assert_eq!(r.query.as_deref(), Some("f=wavefront"));
    assert_eq!(r.header("content-type"), Some("application/octet-stream"));
    assert_eq!(r.header("content-encoding"), Some("gzip"));
    assert_eq!(r.header("authorization"), Some("Bearer wf-t0ken"));
    assert_eq!(r.decoded_text(), lines(&alerts, "falco.alert"));
}

#[tokio::test]
async fn throttling_and_outages_are_retried_and_a_bad_request_is_final() {
    let sink = RecordingSink::start().await;
    let settings = json!({
        "endpointtype": "direct",
        "endpointhost": sink.url(""),
        "endpointtoken": "wf-t0ken"
    });
    assert_classification(&sink, KIND, settings, "invalid point").await;
}
