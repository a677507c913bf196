//! The `talon` block: falcosidekick's keys, plus `mutualtls`.

use std::sync::Arc;

use falconer_core::{BuildContext, BuildError, Output, OutputConfig};
use falconer_http::{check_url, http_config, TargetOptions, TlsKeys};

use crate::common::{hook_target, PayloadHook};

http_config! {
    /// Configuration of one Falco Talon instance.
    #[derive(Debug)]
    #[serde(deny_unknown_fields)]
    pub struct TalonConfig {
        /// URL of Talon's endpoint (`http://falco-talon:2803`).
        pub address: String,
        /// `checkcert`, `mutualtls` (Falconer's addition).
        #[serde(flatten)]
        pub tls: TlsKeys,
    }
}

#[async_trait::async_trait]
impl OutputConfig for TalonConfig {
    const KIND: &'static str = "talon";
    const BLOCK: &'static str = "talon";
    const ENABLED_BY: &'static [&'static str] = &["address"];
    const DESTINATION: &'static str = "talon";

    fn validate(&self, problems: &mut falconer_core::Problems) {
        check_url("address", &self.address, problems);
    }

    async fn build(self, cx: BuildContext) -> Result<Arc<dyn Output>, BuildError> {
        let target = hook_target(
            &cx,
            &self.address,
            &self.tls.http(),
            &TargetOptions::default(),
        )?;
        Ok(Arc::new(PayloadHook::new(target, false)))
    }
}
