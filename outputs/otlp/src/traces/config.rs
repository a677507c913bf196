//! The `otlp.traces` block: falcosidekick's keys (`endpoint`, `protocol`, `headers`,
//! `timeout`, `extraenvvars`, `tls`, `checkcert`, `synced`, `duration`).

use std::sync::Arc;
use std::time::Duration;

use falconer_core::{BuildContext, BuildError, DeliveryDefaults, Output, OutputConfig};

use super::output::Traces;
use crate::common::{attempt_timeout, check_common, target, warn_extra_env};

/// Spans per export at most (the Go SDK's batch processor exports 512).
pub const DEFAULT_MAX_EVENTS: usize = 512;
/// Span bytes per export at most (an estimate from the payloads; collectors take 4 MiB).
pub const DEFAULT_MAX_BYTES: usize = 2 << 20;
/// How long a partial batch waits (the Go SDK's batch processor waits 5 s).
pub const DEFAULT_LINGER: Duration = Duration::from_secs(5);

fn default_duration() -> i64 {
    1000
}

crate::common::otlp_config! {
    /// Configuration of one OTLP traces instance.
    pub struct TracesConfig {
        /// Export each span alone, at once (falcosidekick's synchronous exporter), instead of in
        /// batches.
        #[serde(default)]
        pub synced: bool,
        /// How long each span lasts, milliseconds (default 1000).
        #[serde(default = "default_duration")]
        pub duration: i64,
    }
}

#[async_trait::async_trait]
impl OutputConfig for TracesConfig {
    const KIND: &'static str = "otlptraces";
    const BLOCK: &'static str = "otlp.traces";
    const ENABLED_BY: &'static [&'static str] = &["endpoint"];
    const DESTINATION: &'static str = "otlptraces";
    const DEFAULTS: DeliveryDefaults =
        DeliveryDefaults::batching(DEFAULT_MAX_EVENTS, DEFAULT_MAX_BYTES, DEFAULT_LINGER);

    fn delivery_defaults(&self) -> DeliveryDefaults {
        if self.synced {
            DeliveryDefaults::REALTIME
        } else {
            Self::DEFAULTS
        }
    }

    fn validate(&self, problems: &mut falconer_core::Problems) {
        check_common(
            &self.endpoint,
            &self.protocol,
            &self.headers,
            self.timeout,
            problems,
        );
        if self.duration < 0 {
            problems.push("duration", "must not be negative (milliseconds)");
        }
    }

    async fn build(self, cx: BuildContext) -> Result<Arc<dyn Output>, BuildError> {
        warn_extra_env(&cx, &self.extraenvvars);
        if !self.checkcert {
            tracing::warn!(output = %cx.name, "checkcert is false: this OTLP output does not verify the collector's certificate.");
        }
        let target = target(&cx, &self.endpoint, &self.headers, self.checkcert)?;
        Ok(Arc::new(Traces {
            target,
            duration_ms: u64::try_from(self.duration).unwrap_or(1000),
            timeout: attempt_timeout(self.timeout),
        }))
    }
}
