//! The `yandex.s3` block: Yandex Object Storage.

use std::sync::Arc;

use aws_sdk_s3::config::RequestChecksumCalculation;
use falconer_core::{BuildContext, BuildError, Output, OutputConfig};

use super::settings::yandex_output_config;
use crate::s3::output::S3;

yandex_output_config! {
    /// Configuration of one Yandex Object Storage instance (path-style addressing).
    pub struct YandexS3Config (endpoint = "https://storage.yandexcloud.net") {
        /// The bucket.
        pub bucket: String,
        /// Key prefix (default `falco`).
        #[serde(default = "default_prefix")]
        pub prefix: String,
    }
}

fn default_prefix() -> String {
    "falco".into()
}

#[async_trait::async_trait]
impl OutputConfig for YandexS3Config {
    const KIND: &'static str = "yandexs3";
    const BLOCK: &'static str = "yandex.s3";
    const ENABLED_BY: &'static [&'static str] = &["bucket"];
    const DESTINATION: &'static str = "yandexs3";

    fn validate(&self, problems: &mut falconer_core::Problems) {
        self.yandex().validate(problems);
        if self.bucket.trim().is_empty() {
            problems.push("bucket", "must not be empty");
        }
    }

    async fn build(self, cx: BuildContext) -> Result<Arc<dyn Output>, BuildError> {
        let sdk = self.yandex().sdk_config(&cx).await?;
        // Checksums only where S3 requires them: S3-compatible stores need not know the
        // newer checksum headers.
        let config = aws_sdk_s3::config::Builder::from(&sdk)
            .force_path_style(true)
            .request_checksum_calculation(RequestChecksumCalculation::WhenRequired)
            .build();
        Ok(Arc::new(S3 {
            client: aws_sdk_s3::Client::from_conf(config),
            bucket: self.bucket.trim().to_owned(),
            prefix: self.prefix,
            acl: None,
            ndjson: false,
            checksum: false,
        }))
    }
}

/// The registry entry.
pub const KIND: falconer_core::OutputKind = falconer_core::OutputKind::of::<YandexS3Config>();
