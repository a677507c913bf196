//! The keys both Yandex kinds share, and the SDK configuration they describe.

use aws_config::SdkConfig;
use falconer_config::Secret;
use falconer_core::{BuildContext, BuildError};

use crate::common::AwsSettings;

/// falcosidekick's region of Yandex Cloud.
pub(crate) const DEFAULT_REGION: &str = "ru-central1";

/// The shared `yandex.*` keys of one instance. `Debug` never shows the secret key.
#[derive(Debug, Clone)]
pub struct YandexSettings {
    /// Static access key id of the service account.
    pub accesskeyid: String,
    /// Its secret access key.
    pub secretaccesskey: Secret,
    /// Signing region.
    pub region: String,
    /// The service's endpoint URL.
    pub endpoint: String,
}

impl YandexSettings {
    /// Problems with these keys, as `validate` reports them.
    pub fn validate(&self, problems: &mut falconer_core::Problems) {
        if self.accesskeyid.is_empty() {
            problems.push("accesskeyid", "must be set (yandex.accesskeyid)");
        }
        if self.secretaccesskey.is_empty() {
            problems.push("secretaccesskey", "must be set (yandex.secretaccesskey)");
        }
        if self.region.is_empty() {
            problems.push("region", "must not be empty");
        }
        let url = &self.endpoint;
        if !(url.starts_with("http://") || url.starts_with("https://")) {
            problems.push("endpoint", format!("{url:?} is not an http(s):// URL"));
        }
    }

    /// The SDK configuration: static keys, the region, the endpoint; no STS.
    pub(crate) async fn sdk_config(&self, cx: &BuildContext) -> Result<SdkConfig, BuildError> {
        let aws = AwsSettings {
            region: self.region.clone(),
            accesskeyid: self.accesskeyid.clone(),
            secretaccesskey: self.secretaccesskey.clone(),
            checkidentity: false,
            endpoint: self.endpoint.clone(),
            ..AwsSettings::default()
        };
        crate::common::sdk_config(&aws, cx).await
    }
}

/// Declares a Yandex kind's config struct: its own fields as written, plus `accesskeyid`,
/// `secretaccesskey`, `region` (default `ru-central1`) and `endpoint` (default `$endpoint`),
/// and a method `yandex()` returning them as [`YandexSettings`]. Unknown fields are denied, so
/// the keys stay visible to the config loader (`YANDEX_ACCESSKEYID`, `YANDEX_S3_BUCKET`).
macro_rules! yandex_output_config {
    (
        $(#[$meta:meta])*
        pub struct $name:ident (endpoint = $endpoint:expr) {
            $( $(#[$fmeta:meta])* pub $field:ident : $ty:ty ),* $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, serde::Deserialize)]
        #[serde(deny_unknown_fields)]
        pub struct $name {
            $( $(#[$fmeta])* pub $field : $ty, )*
            /// Static access key id of the service account (`yandex.accesskeyid`).
            #[serde(default)]
            pub accesskeyid: String,
            /// Its secret access key (`yandex.secretaccesskey`).
            #[serde(default)]
            pub secretaccesskey: falconer_config::Secret,
            /// Signing region (`yandex.region`, default `ru-central1`).
            #[serde(default)]
            pub region: String,
            #[doc = concat!("The service's endpoint URL (default `", $endpoint, "`).")]
            #[serde(default)]
            pub endpoint: String,
        }

        impl $name {
            /// The shared Yandex keys of this instance, defaults applied.
            pub fn yandex(&self) -> $crate::yandex::YandexSettings {
                let or = |value: &str, default: &str| match value.trim() {
                    "" => default.to_owned(),
                    v => v.to_owned(),
                };
                $crate::yandex::YandexSettings {
                    accesskeyid: self.accesskeyid.trim().to_owned(),
                    secretaccesskey: self.secretaccesskey.clone(),
                    region: or(&self.region, $crate::yandex::settings::DEFAULT_REGION),
                    endpoint: or(&self.endpoint, $endpoint).trim_end_matches('/').to_owned(),
                }
            }
        }
    };
}
pub(crate) use yandex_output_config;
