//! The `tekton` block: falcosidekick's keys.

use std::sync::Arc;

use falconer_core::{BuildContext, BuildError, Output, OutputConfig};
use falconer_http::{check_url, http_config, TargetOptions, TlsKeys};

use crate::common::{hook_target, PayloadHook};

http_config! {
    /// Configuration of one Tekton instance.
    #[derive(Debug)]
    #[serde(deny_unknown_fields)]
    pub struct TektonConfig {
        /// URL of the EventListener
        /// (`http://el-falco-listener.tekton-pipelines.svc.cluster.local:8080`).
        pub eventlistener: String,
        /// `checkcert`, `mutualtls`.
        #[serde(flatten)]
        pub tls: TlsKeys,
    }
}

#[async_trait::async_trait]
impl OutputConfig for TektonConfig {
    const KIND: &'static str = "tekton";
    const BLOCK: &'static str = "tekton";
    const ENABLED_BY: &'static [&'static str] = &["eventlistener"];
    const DESTINATION: &'static str = "tekton";

    fn validate(&self, problems: &mut falconer_core::Problems) {
        check_url("eventlistener", &self.eventlistener, problems);
    }

    async fn build(self, cx: BuildContext) -> Result<Arc<dyn Output>, BuildError> {
        let target = hook_target(
            &cx,
            &self.eventlistener,
            &self.tls.http(),
            &TargetOptions::default(),
        )?;
        Ok(Arc::new(PayloadHook::new(target, false)))
    }
}
