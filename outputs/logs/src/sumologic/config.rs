//! The `sumologic` block: falcosidekick's keys.

use std::sync::Arc;
use std::time::Duration;

use falconer_config::Secret;
use falconer_core::{BuildContext, BuildError, DeliveryDefaults, Output, OutputConfig};
use falconer_http::{
    check_header_value, check_url, http_config, http_url, post_target, TargetOptions, TlsKeys,
};

use super::output::SumoLogic;

/// Messages per request at most, unless `batch.maxevents` says otherwise.
pub const DEFAULT_MAX_EVENTS: usize = 1000;
/// Payload bytes per request at most, unless `batch.maxbytes` says otherwise (SumoLogic
/// recommends requests of 100 KB to 1 MB).
pub const DEFAULT_MAX_BYTES: usize = 1 << 20;
/// How long a partial batch waits, unless `batch.linger` says otherwise.
pub const DEFAULT_LINGER: Duration = Duration::from_secs(1);

http_config! {
    /// Configuration of one SumoLogic instance. `Debug` never shows the receiver URL (its path
    /// is the source's credential).
    #[derive(Debug)]
    #[serde(deny_unknown_fields)]
    pub struct SumoLogicConfig {
        /// URL of the HTTP source (`https://endpoint….sumologic.com/receiver/v1/http/<token>`).
        pub receiverurl: Secret,
        /// Source category, sent as `X-Sumo-Category` when set.
        #[serde(default)]
        pub sourcecategory: String,
        /// Source host, sent as `X-Sumo-Host` when set.
        #[serde(default)]
        pub sourcehost: String,
        /// Source name, sent as `X-Sumo-Name` when set.
        #[serde(default)]
        pub name: String,
        /// `checkcert`, `mutualtls`.
        #[serde(flatten)]
        pub tls: TlsKeys,
    }
}

impl SumoLogicConfig {
    /// The `X-Sumo-*` headers that are set.
    pub(crate) fn options(&self) -> TargetOptions {
        let headers = [
            ("X-Sumo-Category", &self.sourcecategory),
            ("X-Sumo-Host", &self.sourcehost),
            ("X-Sumo-Name", &self.name),
        ]
        .into_iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(n, v)| (n.to_owned(), v.clone()))
        .collect();
        TargetOptions {
            content_type: None,
            headers,
            gzip: false,
        }
    }
}

#[async_trait::async_trait]
impl OutputConfig for SumoLogicConfig {
    const KIND: &'static str = "sumologic";
    const BLOCK: &'static str = "sumologic";
    const ENABLED_BY: &'static [&'static str] = &["receiverurl"];
    const DESTINATION: &'static str = "sumologic";
    const DEFAULTS: DeliveryDefaults =
        DeliveryDefaults::batching(DEFAULT_MAX_EVENTS, DEFAULT_MAX_BYTES, DEFAULT_LINGER);

    fn validate(&self, problems: &mut falconer_core::Problems) {
        check_url("receiverurl", self.receiverurl.expose(), problems);
        check_header_value("sourcecategory", &self.sourcecategory, problems);
        check_header_value("sourcehost", &self.sourcehost, problems);
        check_header_value("name", &self.name, problems);
    }

    async fn build(self, cx: BuildContext) -> Result<Arc<dyn Output>, BuildError> {
        let url = http_url(self.receiverurl.expose()).map_err(|e| BuildError::new(&cx.path, e))?;
        let target = post_target(&cx, &self.tls.http(), url, &self.options())?;
        Ok(Arc::new(SumoLogic::new(target)))
    }
}
