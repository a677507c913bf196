//! Against a real InfluxDB (Debian's influxd on loopback): points written through the delivery
//! core are queried back with their tags, field and the alerts' own timestamps. Against the
//! recording sink: the v2 API with a token, and how answers are classified.

use std::time::Duration;

use falconer_config::{CommonSettings, GlobalSettings, GoDuration};
use falconer_testkit::{
    enriched, DeliveryHarness, InfluxServer, RecordingSink, Reply, UnderTest, CONFIGMAP_ALERT,
    SHELL_ALERT,
};
use serde_json::{json, Value};

const WAIT: Duration = Duration::from_secs(20);

fn influx(settings: Value, common: CommonSettings) -> UnderTest {
    UnderTest::new(falconer_outputs_logs::influxdb::KIND, "influxdb", settings).common(common)
}

fn quick_retries() -> CommonSettings {
    let mut c = CommonSettings::default();
    c.retry.initialbackoff = Some(GoDuration(Duration::from_millis(20)));
    c.retry.maxbackoff = Some(GoDuration(Duration::from_millis(50)));
    c.batch.linger = Some(GoDuration(Duration::from_millis(100)));
    c
}

#[tokio::test]
async fn points_written_are_read_back_from_a_real_influxdb() {
    let server = InfluxServer::start().await;
    server.query("", "CREATE DATABASE falco").await;
    let env = DeliveryHarness::start(
        vec![influx(json!({"hostport": server.url()}), quick_retries())],
        GlobalSettings::default(),
    )
    .await;
    let weird = SHELL_ALERT
        .replace(
            "Terminal shell in container",
            "Shell, in=container \\\"x\\\"",
        )
        .replace("56.746609046Z", "56.746609047Z");
    for (n, json) in [CONFIGMAP_ALERT, SHELL_ALERT, &weird].iter().enumerate() {
        env.dispatcher.dispatch(enriched(json, n as u128)).await;
    }
    env.dispatcher.shutdown(WAIT).await;
    assert_eq!(
        env.metric(
            r#"falconer_output_deliveries_total{kind="influxdb",output="influxdb",status="ok"}"#
        ),
        3.0
    );
    assert_eq!(
        env.metric(r#"falconer_output_attempts_total{kind="influxdb",output="influxdb"}"#),
        1.0,
        "one request for the batch"
    );

    let answer = server
        .query("falco", r#"SELECT "value", "rule", "priority", "source", "hostname", "proc.cmdline" FROM events ORDER BY time"#)
        .await;
    let series = &answer["results"][0]["series"][0];
    let rows = series["values"].as_array().expect("rows");
    assert_eq!(rows.len(), 3, "{answer}");
    // Columns: time, value, rule, priority, source, hostname, proc.cmdline (time order).
    assert_eq!(
        rows[0][0],
        json!(1715678467418790000i64),
        "the configmap alert's own time"
    );
    assert_eq!(
        rows[0][2],
        "Create/Modify Configmap With Private Credentials"
    );
    assert_eq!(rows[0][3], "Warning");
    assert_eq!(rows[0][4], "k8s_audit");
    assert_eq!(rows[0][5], "minikube");
    assert_eq!(rows[1][0], json!(1715704316746609046i64));
    assert_eq!(
        rows[1][2], "Terminal shell in container",
        "spaces kept, not turned into _"
    );
    assert_eq!(rows[1][6], "bash");
    assert!(rows[1][1]
        .as_str()
        .unwrap_or_default()
        .starts_with("16:31:56.746609046: Notice A shell"));
    assert_eq!(
        rows[2][2], "Shell, in=container \"x\"",
        "escaped and read back exactly"
    );
}

#[tokio::test]
async fn v2_writes_carry_the_token_and_answers_are_classified() {
    let sink = RecordingSink::start().await;
    sink.script([
        Reply::status(503),
        Reply::status(204),
        Reply::status(400).body(r#"{"error":"partial write: field type conflict"}"#),
    ]);
    let mut common = quick_retries();
    common.batch.maxevents = Some(1);
    let env = DeliveryHarness::start(
        vec![influx(
            json!({"hostport": sink.url(""), "organization": "sec", "bucket": "alerts", "token": "t0k"}),
            common,
        )],
        GlobalSettings::default(),
    )
    .await;
    env.dispatcher.dispatch(enriched(CONFIGMAP_ALERT, 1)).await;
    sink.wait_for(2, WAIT).await;
    env.dispatcher.dispatch(enriched(SHELL_ALERT, 2)).await;
    env.dispatcher.shutdown(WAIT).await;

    let got = sink.requests();
    assert_eq!(got.len(), 3, "503 retried once, the 400 not retried");
    let r = &got[0];
    assert_eq!(
        (r.method.as_str(), r.path.as_str()),
        ("POST", "/api/v2/write")
    );
    assert_eq!(
        r.query.as_deref(),
        Some("org=sec&bucket=alerts&precision=ns")
    );
    assert_eq!(r.header("authorization"), Some("Token t0k"));
    assert_eq!(r.header("content-type"), Some("text/plain; charset=utf-8"));
    assert_eq!(r.header("accept"), Some("application/json"));
    assert!(r.text().starts_with("events,rule=Create/Modify\\ Configmap\\ With\\ Private\\ Credentials,priority=Warning,source=k8s_audit,"));
    assert_eq!(got[0].body, got[1].body, "the retry sends the same point");
    let letters = env.dead_letters();
    assert_eq!(letters.len(), 1);
    assert_eq!(letters[0].meta.reason, "rejected");
    assert!(
        letters[0].meta.error.contains("field type conflict"),
        "{}",
        letters[0].meta.error
    );
}
