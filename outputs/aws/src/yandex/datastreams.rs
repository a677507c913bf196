//! The `yandex.datastreams` block: Yandex Data Streams (Kinesis-compatible).

use std::sync::Arc;
use std::time::Duration;

use falconer_core::{BuildContext, BuildError, DeliveryDefaults, Output, OutputConfig};

use super::settings::yandex_output_config;
use crate::kinesis::output::{Kinesis, MAX_BATCH, MAX_BATCH_BYTES};

yandex_output_config! {
    /// Configuration of one Yandex Data Streams instance.
    pub struct YandexDataStreamsConfig (endpoint = "https://yds.serverless.yandexcloud.net") {
        /// The stream: `/<region>/<folder id>/<database id>/<stream>`.
        pub streamname: String,
    }
}

#[async_trait::async_trait]
impl OutputConfig for YandexDataStreamsConfig {
    const KIND: &'static str = "yandexdatastreams";
    const BLOCK: &'static str = "yandex.datastreams";
    const ENABLED_BY: &'static [&'static str] = &["streamname"];
    const DESTINATION: &'static str = "yandexdatastreams";
    const DEFAULTS: DeliveryDefaults =
        DeliveryDefaults::batching(MAX_BATCH, MAX_BATCH_BYTES, Duration::ZERO);

    fn validate(&self, problems: &mut falconer_core::Problems) {
        self.yandex().validate(problems);
        if self.streamname.trim().is_empty() {
            problems.push("streamname", "must not be empty");
        }
    }

    async fn build(self, cx: BuildContext) -> Result<Arc<dyn Output>, BuildError> {
        let sdk = self.yandex().sdk_config(&cx).await?;
        Ok(Arc::new(Kinesis {
            client: aws_sdk_kinesis::Client::new(&sdk),
            stream: self.streamname.trim().to_owned(),
            key: None,
        }))
    }
}

/// The registry entry.
pub const KIND: falconer_core::OutputKind =
    falconer_core::OutputKind::of::<YandexDataStreamsConfig>();
