//! Contract-test helpers: an output behind the real delivery core (queue, batching, retries,
//! dead letters) sending to the recording sink.

use std::sync::Arc;
use std::time::Duration;

use falconer_config::{CommonSettings, GlobalSettings, GoDuration, OutputEntry};
use falconer_core::{Alert, OutputKind};
use falconer_testkit::{
    enriched, DeliveryHarness, RecordedRequest, RecordingSink, Reply, UnderTest, CONFIGMAP_ALERT,
    SHELL_ALERT,
};
use serde_json::Value;

/// The settings of the singleton block of `kind` loaded from `env` alone (as falcosidekick
/// users set them: `SLACK_WEBHOOKURL`, `GCP_CREDENTIALS`), checked to prepare.
pub fn from_env(kind: OutputKind, env: &[(&str, &str)]) -> Value {
    let sources = falconer_config::Sources {
        yaml: None,
        env: env
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
    };
    let config = falconer_config::load(&sources, &[kind.schema()]).expect("loads");
    assert_eq!(config.outputs.len(), 1, "the env enables the block");
    if let Err(e) = kind.prepare(&config.outputs[0]) {
        panic!("invalid: {e:?}");
    }
    config.outputs[0].settings.clone()
}

/// How long a test waits for requests or a drain.
pub const WAIT: Duration = Duration::from_secs(20);

/// Common settings with `batch.maxevents` = `maxevents`, a 100 ms linger and quick retries.
pub fn quick(maxevents: usize) -> CommonSettings {
    let mut c = CommonSettings::default();
    c.batch.maxevents = Some(maxevents);
    c.batch.linger = Some(GoDuration(Duration::from_millis(100)));
    c.retry.initialbackoff = Some(GoDuration(Duration::from_millis(20)));
    c.retry.maxbackoff = Some(GoDuration(Duration::from_millis(50)));
    c
}

/// Alert number `n` of a test: the configmap and shell samples in turn, UUID `n`.
pub fn sample(n: u128) -> Arc<Alert> {
    enriched(
        if n % 2 == 0 {
            CONFIGMAP_ALERT
        } else {
            SHELL_ALERT
        },
        n,
    )
}

/// The payload JSON of each alert followed by `\n`: falcosidekick's body for one alert
/// (`json.Encoder` ends it with a newline) and the NDJSON body of a batch.
pub fn ndjson(alerts: &[Arc<Alert>]) -> Vec<u8> {
    alerts
        .iter()
        .flat_map(|a| a.json_bytes().iter().copied().chain([b'\n']))
        .collect()
}

/// Starts one instance of `kind` named after it.
pub async fn launch(kind: OutputKind, settings: Value, common: CommonSettings) -> DeliveryHarness {
    let under = UnderTest::new(kind, kind.name, settings).common(common);
    DeliveryHarness::start(vec![under], GlobalSettings::default()).await
}

/// Sends `alerts` through an instance of `kind` with `common`, drains it, and returns what
/// the sink received.
pub async fn deliver(
    sink: &RecordingSink,
    kind: OutputKind,
    settings: Value,
    common: CommonSettings,
    alerts: &[Arc<Alert>],
) -> Vec<RecordedRequest> {
    let env = launch(kind, settings, common).await;
    for alert in alerts {
        env.dispatcher.dispatch(alert.clone()).await;
    }
    env.dispatcher.shutdown(WAIT).await;
    assert!(env.dead_letters().is_empty(), "{:?}", env.dead_letters());
    sink.requests()
}

/// `n` alerts with `batch.maxevents` = `m` make ceil(n/m) requests, every one accepted;
/// returns the requests.
pub async fn assert_batch_count(
    sink: &RecordingSink,
    kind: OutputKind,
    settings: Value,
    n: u128,
    m: usize,
) -> Vec<RecordedRequest> {
    let env = launch(kind, settings, quick(m)).await;
    for i in 0..n {
        env.dispatcher.dispatch(sample(i)).await;
    }
    env.dispatcher.shutdown(WAIT).await;
    let got = sink.requests();
    let want = (n as usize).div_ceil(m);
    assert_eq!(got.len(), want, "ceil({n} / {m}) requests");
    let ok = format!(
        r#"falconer_output_deliveries_total{{kind="{k}",output="{k}",status="ok"}}"#,
        k = kind.name
    );
    assert_eq!(env.metric(&ok), n as f64, "every alert delivered");
    got
}

/// The shared classification: a 429 with `Retry-After: 1` is retried no sooner than a second
/// later, a 503 is retried, both with the same body; a 400 is final, and the dead letter
/// carries the destination's `reason` (the body of the 400). Returns the four requests.
pub async fn assert_classification(
    sink: &RecordingSink,
    kind: OutputKind,
    settings: Value,
    reason: &str,
) -> Vec<RecordedRequest> {
    sink.script([
        Reply::status(429).header("Retry-After", "1"),
        Reply::status(503).body("overloaded"),
        Reply::status(200),
        Reply::status(400).body(reason),
    ]);
    let env = launch(kind, settings, quick(1)).await;
    env.dispatcher.dispatch(sample(1)).await;
    sink.wait_for(3, WAIT).await;
    env.dispatcher.dispatch(sample(2)).await;
    env.dispatcher.shutdown(WAIT).await;

    let got = sink.requests();
    assert_eq!(got.len(), 4, "429 and 503 retried, the 400 not");
    assert!(
        got[1].received_at.duration_since(got[0].received_at) >= Duration::from_secs(1),
        "Retry-After honoured"
    );
    assert_eq!(got[0].body, got[1].body, "a retry sends the same body");
    assert_eq!(got[1].body, got[2].body, "a retry sends the same body");
    let letters = env.dead_letters();
    assert_eq!(letters.len(), 1, "{letters:?}");
    assert_eq!(letters[0].meta.reason, "rejected");
    assert!(
        letters[0].meta.error.contains(reason),
        "the destination's reason is kept: {}",
        letters[0].meta.error
    );
    got
}

/// The one request of `got`, checked to be a `POST` to `target` (path, and `?query` when it
/// has one) with `content_type` and exactly `body`; returned for further checks.
pub fn assert_one_post<'a>(
    got: &'a [RecordedRequest],
    target: &str,
    content_type: &str,
    body: &[u8],
) -> &'a RecordedRequest {
    assert_eq!(got.len(), 1, "one request");
    let r = &got[0];
    let (path, query) = match target.split_once('?') {
        Some((path, query)) => (path, Some(query)),
        None => (target, None),
    };
    assert_eq!((r.method.as_str(), r.path.as_str()), ("POST", path));
    assert_eq!(r.query.as_deref(), query);
    assert_eq!(r.header("content-type"), Some(content_type));
    assert_eq!(r.body, body);
    r
}

/// Checks that an instance of `kind` at `path` (`outputs[0]`, or the block name) refuses
/// `settings` and names `<path>.<key>` for every one of `keys`; returns the problems' text.
pub fn assert_rejected(kind: OutputKind, path: &str, settings: Value, keys: &[&str]) -> String {
    let entry = OutputEntry {
        name: kind.name.into(),
        kind: kind.name.into(),
        path: path.into(),
        common: CommonSettings::default(),
        settings,
    };
    let Err(errors) = kind.prepare(&entry) else {
        panic!("invalid config accepted")
    };
    let text = errors.to_string();
    for key in keys {
        let at = format!("{path}.{key}");
        assert!(text.contains(&at), "{at} missing from: {text}");
    }
    text
}
