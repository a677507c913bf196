//! StatsD and DogStatsD against a UDP receiver: `falco.accepted` per alert with falcosidekick's
//! names and tags, the request and delivery counters pushed as they grow, the line format and
//! packing, config checks and env variables.

use std::sync::Arc;
use std::time::Duration;

use crate::common::Receiver;
use falconer_config::{CommonSettings, GlobalSettings, OutputEntry};
use falconer_core::{BuildContext, Output, OutputKind};
use falconer_http::contract::sample;
use falconer_outputs_stream::statsd::{count_line, datagrams, Flavor, DOGSTATSD_KIND, KIND};
use prometheus::{IntCounterVec, Opts, Registry};
use serde_json::{json, Value};

const WAIT: Duration = Duration::from_secs(20);
const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures");

async fn build(
    kind: OutputKind,
    settings: Value,
    resources: falconer_core::Resources,
) -> Arc<dyn Output> {
    let entry = OutputEntry {
        name: kind.name.into(),
        kind: kind.name.into(),
        path: kind.name.into(),
        common: CommonSettings::default(),
        settings,
    };
    kind.prepare(&entry)
        .expect("valid config")
        .build(BuildContext {
            name: kind.name.into(),
            path: kind.name.into(),
            global: Arc::new(GlobalSettings::default()),
            resources,
        })
        .await
        .expect("builds")
}

/// A registry with falcosidekick's request and delivery counters, as `/metrics` has them.
fn registry() -> (Registry, IntCounterVec, IntCounterVec) {
    let registry = Registry::new();
    let inputs = IntCounterVec::new(
        Opts::new("falcosecurity_falcosidekick_inputs_total", "requests"),
        &["source", "status"],
    )
    .expect("a counter");
    let outputs = IntCounterVec::new(
        Opts::new("falcosecurity_falcosidekick_outputs_total", "deliveries"),
        &["destination", "status"],
    )
    .expect("a counter");
    registry
        .register(Box::new(inputs.clone()))
        .expect("a counter");
    registry
        .register(Box::new(outputs.clone()))
        .expect("a counter");
    (registry, inputs, outputs)
}

#[tokio::test]
async fn statsd_folds_the_priority_into_the_name() {
    let rx = Receiver::udp().await;
    let out = build(
        KIND,
        json!({"forwarder": format!("127.0.0.1:{}", rx.port())}),
        Default::default(),
    )
    .await;
    out.send(&[sample(1), sample(2)]).await.expect("sent");
    let got = rx.wait_for(1, WAIT).await;
    assert_eq!(
        got[0].text(),
        "falcosidekick.falco.accepted.Notice:1|c\nfalcosidekick.falco.accepted.Warning:1|c",
        "one datagram, two lines"
    );
    falconer_http::fixtures::assert_golden(FIXTURES, "statsd/accepted.txt", got[0].text());
}

#[tokio::test]
async fn dogstatsd_sends_real_tags_after_the_blocks_own() {
    let rx = Receiver::udp().await;
    let settings = json!({"forwarder": format!("127.0.0.1:{}", rx.port()), "namespace": "falco.", "tags": "env:prod, team:secops"});
    let out = build(DOGSTATSD_KIND, settings, Default::default()).await;
    out.send(&[sample(2)]).await.expect("sent");
    let got = rx.wait_for(1, WAIT).await;
    assert_eq!(
        got[0].text(),
        "falco.falco.accepted:1|c|#env:prod,team:secops,priority:Warning"
    );
    falconer_http::fixtures::assert_golden(FIXTURES, "dogstatsd/accepted.txt", got[0].text());
}

#[tokio::test]
async fn request_and_delivery_counts_are_pushed_as_they_grow() {
    let (registry, inputs, outputs) = registry();
    inputs
        .with_label_values(&["requests", "accepted"])
        .inc_by(100);
    let rx = Receiver::udp().await;
    let resources = falconer_core::Resources::default().with(Arc::new(registry));
    let settings =
        json!({"forwarder": format!("127.0.0.1:{}", rx.port()), "flushinterval": "100ms"});
    let _out = build(KIND, settings, resources).await;
    inputs
        .with_label_values(&["requests", "accepted"])
        .inc_by(3);
    inputs.with_label_values(&["requests", "rejected"]).inc();
    outputs.with_label_values(&["slack", "ok"]).inc_by(2);
    let got = rx.wait_for(1, WAIT).await;
    let mut lines: Vec<&str> = got[0].text().lines().collect();
    lines.sort_unstable();
    assert_eq!(
        lines,
        [
            "falcosidekick.inputs.requests.accepted:3|c",
            "falcosidekick.inputs.requests.rejected:1|c",
            "falcosidekick.outputs.slack.ok:2|c",
        ],
        "only what grew after the start"
    );
    outputs.with_label_values(&["slack", "error"]).inc();
    let got = rx.wait_for(2, WAIT).await;
    assert_eq!(got[1].text(), "falcosidekick.outputs.slack.error:1|c");
    tokio::time::sleep(Duration::from_millis(350)).await;
    assert_eq!(rx.frames().len(), 2, "nothing grew, nothing pushed");
}

#[tokio::test]
async fn dogstatsd_tags_the_delivery_counts() {
    let (registry, _inputs, outputs) = registry();
    let rx = Receiver::udp().await;
    let resources = falconer_core::Resources::default().with(Arc::new(registry));
    let settings =
        json!({"forwarder": format!("127.0.0.1:{}", rx.port()), "flushinterval": "100ms"});
    let _out = build(DOGSTATSD_KIND, settings, resources).await;
    outputs.with_label_values(&["awssqs", "ok"]).inc_by(5);
    let got = rx.wait_for(1, WAIT).await;
    assert_eq!(
        got[0].text(),
        "falcosidekick.outputs:5|c|#output:awssqs,status:ok"
    );
}

#[test]
fn lines_are_packed_into_datagrams_under_the_mtu() {
    let line = count_line(
        "ns.",
        &Flavor::Statsd,
        "falco.accepted",
        1,
        &[("priority", "Informational")],
    );
    assert_eq!(line, "ns.falco.accepted.Informational:1|c");
    let lines = vec![line.clone(); 100];
    let packed = datagrams(&lines);
    assert!(packed.iter().all(|d| d.len() <= 1432));
    let count: usize = packed
        .iter()
        .map(|d| d.split(|b| *b == b'\n').count())
        .sum();
    assert_eq!(count, 100);
    assert_eq!(
        datagrams(&["x".repeat(2000)])[0].len(),
        2000,
        "a long line goes alone"
    );
}

#[test]
fn a_forwarder_that_is_not_host_port_is_refused() {
    falconer_http::contract::assert_rejected(
        KIND,
        "statsd",
        json!({"forwarder": "statsd.local"}),
        &["forwarder"],
    );
    falconer_http::contract::assert_rejected(
        DOGSTATSD_KIND,
        "dogstatsd",
        json!({"forwarder": "127.0.0.1:0", "tags": ["a|b"], "flushinterval": "0s"}),
        &["forwarder", "flushinterval", "tags"],
    );
}

#[test]
fn env_variables_configure_the_blocks() {
    let load = |kind: OutputKind, env: &[(&str, &str)]| {
        let sources = falconer_config::Sources {
            yaml: None,
            env: env
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        };
        let config = falconer_config::load(&sources, &[kind.schema()]).expect("loads");
        assert_eq!(config.outputs.len(), 1);
        assert!(kind.prepare(&config.outputs[0]).is_ok());
        config.outputs[0].settings.clone()
    };
    let s = load(
        KIND,
        &[
            ("STATSD_FORWARDER", "10.0.0.9:8125"),
            ("STATSD_NAMESPACE", "sk."),
        ],
    );
    assert_eq!(
        (s["forwarder"].as_str(), s["namespace"].as_str()),
        (Some("10.0.0.9:8125"), Some("sk."))
    );
    let s = load(
        DOGSTATSD_KIND,
        &[
            ("DOGSTATSD_FORWARDER", "10.0.0.9:8125"),
            ("DOGSTATSD_TAGS", "env:prod,team:secops"),
        ],
    );
    let c: falconer_outputs_stream::statsd::DogstatsdConfig =
        falconer_config::from_value(s).expect("reads");
    assert_eq!(c.tags, ["env:prod", "team:secops"]);
}
