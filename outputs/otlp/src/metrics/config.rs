//! The `otlp.metrics` block: falcosidekick's keys (`endpoint`, `protocol`, `headers`,
//! `timeout`, `extraenvvars`, `tls`, `checkcert`, `extraattributes`) plus Falconer's
//! `exportinterval`.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use falconer_config::GoDuration;
use falconer_core::{BuildContext, BuildError, DeliveryDefaults, Output, OutputConfig};

use super::output::{spawn_export, Meter, Metrics};
use crate::common::{attempt_timeout, check_common, target, warn_extra_env};

fn default_interval() -> GoDuration {
    GoDuration(Duration::from_secs(60))
}

crate::common::otlp_config! {
    /// Configuration of one OTLP metrics instance.
    pub struct MetricsConfig {
        /// Output fields added as attributes of `falcosecurity_falco_rules_matches_total`
        /// (a comma list or a YAML list).
        #[serde(default)]
        pub extraattributes: Vec<String>,
        /// Falconer: how often the counts are exported (default `60s`, the Go SDK's).
        #[serde(default = "default_interval")]
        pub exportinterval: GoDuration,
    }
}

#[async_trait::async_trait]
impl OutputConfig for MetricsConfig {
    const KIND: &'static str = "otlpmetrics";
    const BLOCK: &'static str = "otlp.metrics";
    const ENABLED_BY: &'static [&'static str] = &["endpoint"];
    const DESTINATION: &'static str = "otlpmetrics";
    const DEFAULTS: DeliveryDefaults = DeliveryDefaults::batching(1000, 4 << 20, Duration::ZERO);

    fn validate(&self, problems: &mut falconer_core::Problems) {
        check_common(
            &self.endpoint,
            &self.protocol,
            &self.headers,
            self.timeout,
            problems,
        );
        if self.exportinterval.0.is_zero() {
            problems.push("exportinterval", "must be more than 0");
        }
    }

    async fn build(self, cx: BuildContext) -> Result<Arc<dyn Output>, BuildError> {
        warn_extra_env(&cx, &self.extraenvvars);
        if !self.checkcert {
            tracing::warn!(output = %cx.name, "checkcert is false: this OTLP output does not verify the collector's certificate.");
        }
        let target = target(&cx, &self.endpoint, &self.headers, self.checkcert)?;
        let mut attributes: Vec<String> = cx.global.customfields.keys().cloned().collect();
        for name in &self.extraattributes {
            let name = name.trim();
            if !name.is_empty() && !attributes.iter().any(|a| a == name) {
                attributes.push(name.to_owned());
            }
        }
        let meter = Arc::new(Meter {
            target,
            timeout: attempt_timeout(self.timeout),
            attributes,
            registry: cx
                .resources
                .get::<prometheus::Registry>()
                .map(|r| (*r).clone()),
            start: u64::try_from(chrono::Utc::now().timestamp_nanos_opt().unwrap_or_default())
                .unwrap_or_default(),
            matches: Mutex::new(BTreeMap::new()),
        });
        spawn_export(&meter, self.exportinterval.0);
        Ok(Arc::new(Metrics { meter }))
    }
}
