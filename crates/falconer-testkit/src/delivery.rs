//! The real delivery core around outputs under test: each output is validated and built as
//! `falconer run` does it, then runs behind a `Dispatcher` with its metrics and a dead-letter
//! store in a temporary folder, which the helpers read back.

use std::sync::Arc;

use falconer_config::{CommonSettings, GlobalSettings, OutputEntry};
use falconer_core::{
    read_dead_letters, Alert, BuildContext, BuiltOutput, DeadLetterRecord, DeadLetters, Dispatcher,
    OutputKind, DEAD_LETTER_FILE,
};
use falconer_event::{EnrichSettings, Enricher};
use falconer_metrics::Metrics;
use serde_json::Value;

/// One output instance to run.
pub struct UnderTest {
    /// Its kind (`falconer_output_webhook::KIND`, …).
    pub kind: OutputKind,
    /// Instance name (the `output` metric label).
    pub name: String,
    /// The kind's own settings, as in a config file.
    pub settings: Value,
    /// Filter and delivery settings.
    pub common: CommonSettings,
}

impl UnderTest {
    /// An instance of `kind` named `name` with `settings` and default common settings.
    pub fn new(kind: OutputKind, name: &str, settings: Value) -> Self {
        UnderTest {
            kind,
            name: name.to_owned(),
            settings,
            common: CommonSettings::default(),
        }
    }

    /// With these common settings.
    pub fn common(mut self, common: CommonSettings) -> Self {
        self.common = common;
        self
    }
}

/// Outputs behind the real delivery core.
pub struct DeliveryHarness {
    /// The dispatcher: `dispatch` alerts, then `shutdown` to settle everything.
    pub dispatcher: Dispatcher,
    /// Every metric.
    pub metrics: Metrics,
    dir: tempfile::TempDir,
}

impl DeliveryHarness {
    /// Validates, builds and launches `outputs` (panics, failing the test, on a problem).
    pub async fn start(outputs: Vec<UnderTest>, global: GlobalSettings) -> DeliveryHarness {
        Self::start_with_resources(outputs, global, falconer_core::Resources::default()).await
    }

    /// [`DeliveryHarness::start`], giving the outputs `resources` at build time (the UI's
    /// stores, for a test that reads what the `webui` output wrote).
    pub async fn start_with_resources(
        outputs: Vec<UnderTest>,
        global: GlobalSettings,
        resources: falconer_core::Resources,
    ) -> DeliveryHarness {
        let metrics = Metrics::new(&[]).expect("metrics").0;
        let dir = tempfile::tempdir().expect("temp dir");
        let global = Arc::new(global);
        let mut built = Vec::new();
        for o in outputs {
            let entry = OutputEntry {
                name: o.name.clone(),
                kind: o.kind.name.into(),
                path: o.name.clone(),
                common: o.common,
                settings: o.settings,
            };
            let prepared = o.kind.prepare(&entry).expect("valid settings");
            let mut kind = o.kind;
            kind.defaults = prepared.defaults();
            let output = prepared
                .build(BuildContext {
                    name: o.name.clone(),
                    path: o.name,
                    global: global.clone(),
                    resources: resources.clone(),
                })
                .await
                .expect("the output builds");
            built.push(BuiltOutput {
                entry,
                kind,
                output,
            });
        }
        let dead = DeadLetters::open(
            dir.path(),
            1 << 20,
            2,
            metrics.dead_letter_write_errors().clone(),
        )
        .expect("dead-letter store");
        let dispatcher =
            Dispatcher::launch(built, &metrics, dead, dir.path()).expect("the outputs start");
        DeliveryHarness {
            dispatcher,
            metrics,
            dir,
        }
    }

    /// The value of one series (`name{labels}` exactly as rendered), 0 when absent.
    pub fn metric(&self, series: &str) -> f64 {
        String::from_utf8(self.metrics.render())
            .unwrap_or_default()
            .lines()
            .find_map(|l| l.strip_prefix(series)?.trim().parse().ok())
            .unwrap_or(0.0)
    }

    /// Dead letters written so far (flush them first: `dispatcher.shutdown` does).
    pub fn dead_letters(&self) -> Vec<DeadLetterRecord> {
        let path = self.dir.path().join(DEAD_LETTER_FILE);
        if !path.exists() {
            return Vec::new();
        }
        read_dead_letters(&path)
            .expect("readable dead letters")
            .map(|r| r.expect("a valid dead letter"))
            .collect()
    }
}

/// `json` (a Falco alert) enriched as ingest does, with UUID number `n`.
pub fn enriched(json: &str, n: u128) -> Arc<Alert> {
    let mut a = Alert::decode(json.as_bytes()).expect("a valid sample alert");
    Enricher::new(&EnrichSettings::default())
        .expect("enricher")
        .enrich(&mut a, uuid_from(n));
    Arc::new(a)
}

fn uuid_from(n: u128) -> uuid::Uuid {
    uuid::Uuid::from_u128(n)
}

/// Common settings with quick retries (20 ms doubling to 100 ms) and `attempts` attempts, for
/// tests of retry and dead-letter paths.
pub fn fast_retries(attempts: u32) -> CommonSettings {
    let mut common = CommonSettings::default();
    common.retry.initialbackoff = Some(falconer_config::GoDuration(
        std::time::Duration::from_millis(20),
    ));
    common.retry.maxbackoff = Some(falconer_config::GoDuration(
        std::time::Duration::from_millis(100),
    ));
    common.retry.maxattempts = Some(attempts);
    common
}
