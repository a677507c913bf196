//! Configuration reloads: how many succeeded or failed, and whether the last one did.

use prometheus::{IntCounter, IntCounterVec, IntGauge, Opts, Registry};

/// The reload families.
#[derive(Clone)]
pub struct ReloadMetrics {
    success: IntCounter,
    failure: IntCounter,
    last_successful: IntGauge,
    last_success_time: IntGauge,
}

impl ReloadMetrics {
    pub(crate) fn register(registry: &Registry) -> Result<Self, prometheus::Error> {
        let total = IntCounterVec::new(
            Opts::new(
                "falconer_config_reload_total",
                "Configuration reloads (SIGHUP, file change, POST /-/reload), by result.",
            ),
            &["result"],
        )?;
        registry.register(Box::new(total.clone()))?;
        let last_successful = IntGauge::new(
            "falconer_config_last_reload_successful",
            "1 when the last reload attempt succeeded (or none was tried), 0 when the running configuration is older than the file.",
        )?;
        registry.register(Box::new(last_successful.clone()))?;
        let last_success_time = IntGauge::new(
            "falconer_config_last_reload_success_timestamp_seconds",
            "Unix time the configuration in force was loaded.",
        )?;
        registry.register(Box::new(last_success_time.clone()))?;
        last_successful.set(1);
        Ok(ReloadMetrics {
            success: total.with_label_values(&["success"]),
            failure: total.with_label_values(&["failure"]),
            last_successful,
            last_success_time,
        })
    }

    /// A configuration was loaded at `unix_time` (at start, or by a reload when `reload`).
    pub fn loaded(&self, unix_time: i64, reload: bool) {
        if reload {
            self.success.inc();
        }
        self.last_successful.set(1);
        self.last_success_time.set(unix_time);
    }

    /// A reload was refused; the configuration in force stays.
    pub fn failed(&self) {
        self.failure.inc();
        self.last_successful.set(0);
    }

    /// Reloads by result so far: (success, failure).
    pub fn counts(&self) -> (u64, u64) {
        (self.success.get(), self.failure.get())
    }
}
