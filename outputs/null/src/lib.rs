//! Null output: accepts every alert and discards it. For benchmarks (it measures ingest and
//! the delivery core alone) and dry runs of a configuration.

use std::sync::Arc;

use falconer_core::{
    Alert, BuildContext, BuildError, DeliveryDefaults, Output, OutputConfig, SendError,
};
use serde::Deserialize;

/// Configuration of a null instance.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NullConfig {
    /// Enables the singleton `null:` block.
    #[serde(default)]
    pub enabled: bool,
}

/// The registry entry.
pub const KIND: falconer_core::OutputKind = falconer_core::OutputKind::of::<NullConfig>();

#[async_trait::async_trait]
impl OutputConfig for NullConfig {
    const KIND: &'static str = "null";
    const BLOCK: &'static str = "null";
    const ENABLED_BY: &'static [&'static str] = &["enabled"];
    const DESTINATION: &'static str = "null";
    const DEFAULTS: DeliveryDefaults =
        DeliveryDefaults::batching(1024, usize::MAX, std::time::Duration::ZERO);

    fn validate(&self, _problems: &mut falconer_core::Problems) {}

    async fn build(self, _cx: BuildContext) -> Result<Arc<dyn Output>, BuildError> {
        Ok(Arc::new(Discard))
    }
}

/// Discards alerts.
struct Discard;

#[async_trait::async_trait]
impl Output for Discard {
    async fn send(&self, _batch: &[Arc<Alert>]) -> Result<(), SendError> {
        Ok(())
    }
}
