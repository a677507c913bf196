//! The `otlp.logs` block: falcosidekick's keys (`endpoint`, `protocol`, `headers`,
//! `timeout`, `extraenvvars`, `tls`, `checkcert`, `synced`).

use std::sync::Arc;
use std::time::Duration;

use falconer_core::{BuildContext, BuildError, DeliveryDefaults, Output, OutputConfig};

use super::output::Logs;
use crate::common::{attempt_timeout, check_common, target, warn_extra_env};

/// Records per export at most (the Go SDK's batch processor exports 512).
pub const DEFAULT_MAX_EVENTS: usize = 512;
/// Record bytes per export at most (an estimate from the payloads; collectors take 4 MiB).
pub const DEFAULT_MAX_BYTES: usize = 2 << 20;
/// How long a partial batch waits (the Go SDK's log batch processor waits 1 s).
pub const DEFAULT_LINGER: Duration = Duration::from_secs(1);

crate::common::otlp_config! {
    /// Configuration of one OTLP logs instance.
    pub struct LogsConfig {
        /// Export each record alone, at once, instead of in batches.
        #[serde(default)]
        pub synced: bool,
    }
}

#[async_trait::async_trait]
impl OutputConfig for LogsConfig {
    const KIND: &'static str = "otlplogs";
    const BLOCK: &'static str = "otlp.logs";
    const ENABLED_BY: &'static [&'static str] = &["endpoint"];
    const DESTINATION: &'static str = "otlplogs";
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
    }

    async fn build(self, cx: BuildContext) -> Result<Arc<dyn Output>, BuildError> {
        warn_extra_env(&cx, &self.extraenvvars);
        if !self.checkcert {
            tracing::warn!(output = %cx.name, "checkcert is false: this OTLP output does not verify the collector's certificate.");
        }
        let target = target(&cx, &self.endpoint, &self.headers, self.checkcert)?;
        Ok(Arc::new(Logs {
            target,
            timeout: attempt_timeout(self.timeout),
        }))
    }
}
