//! falcosidekick's shared `aws.*` keys and the macro that adds them to a kind's config.

use falconer_config::Secret;

/// The keys every AWS output reads (falcosidekick's `aws.*` block, plus `endpoint`).
/// `Debug` never shows the secret key.
#[derive(Debug, Clone, Default)]
pub struct AwsSettings {
    /// Region; empty: the SDK's chain (`AWS_REGION`, profile, IMDS).
    pub region: String,
    /// Static access key id; empty: the SDK's default credential chain.
    pub accesskeyid: String,
    /// Static secret access key (with `accesskeyid`).
    pub secretaccesskey: Secret,
    /// Role to assume (STS `AssumeRole`) with the credentials above.
    pub rolearn: String,
    /// External id of the role assumption.
    pub externalid: String,
    /// Call STS `GetCallerIdentity` when the output is built and fail it if that fails.
    pub checkidentity: bool,
    /// Endpoint URL override of the output's service (S3-compatible stores, emulators, VPC
    /// endpoints). STS calls do not go there.
    pub endpoint: String,
    /// Endpoint URL override of STS (`rolearn`, `checkidentity`); empty: the SDK's (STS in
    /// the region, or `AWS_ENDPOINT_URL_STS`).
    pub stsendpoint: String,
}

impl AwsSettings {
    /// Problems with these keys, as `validate` reports them.
    pub fn validate(&self, problems: &mut falconer_core::Problems) {
        if self.accesskeyid.is_empty() != self.secretaccesskey.is_empty() {
            problems.push(
                "accesskeyid",
                "accesskeyid and secretaccesskey must be set together",
            );
        }
        if !self.externalid.is_empty() && self.rolearn.is_empty() {
            problems.push("externalid", "needs rolearn");
        }
        for (key, url) in [
            ("endpoint", &self.endpoint),
            ("stsendpoint", &self.stsendpoint),
        ] {
            if !(url.is_empty() || url.starts_with("http://") || url.starts_with("https://")) {
                problems.push(key, format!("{url:?} is not an http(s):// URL"));
            }
        }
    }
}

/// Declares an AWS output's config struct: the kind's own fields as written, plus the
/// shared keys `region`, `accesskeyid`, `secretaccesskey`, `rolearn`, `externalid`,
/// `checkidentity` (default true), `endpoint` and `stsendpoint`, and a method `aws()` returning them as
/// [`AwsSettings`](crate::common::AwsSettings). The struct derives `Debug` and `Deserialize` with
/// unknown fields denied, so the keys stay visible to the config loader.
#[allow(unused_macros)] // unused in a build without any AWS kind
macro_rules! aws_output_config {
    (
        $(#[$meta:meta])*
        pub struct $name:ident {
            $( $(#[$fmeta:meta])* pub $field:ident : $ty:ty ),* $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, serde::Deserialize)]
        #[serde(deny_unknown_fields)]
        pub struct $name {
            $( $(#[$fmeta])* pub $field : $ty, )*
            /// AWS region; empty: `AWS_REGION`, the profile, IMDS.
            #[serde(default)]
            pub region: String,
            /// Static access key id; empty: the SDK's default credential chain (env,
            /// profile, web identity, ECS, IMDS).
            #[serde(default)]
            pub accesskeyid: String,
            /// Static secret access key.
            #[serde(default)]
            pub secretaccesskey: falconer_config::Secret,
            /// Role to assume with STS `AssumeRole`.
            #[serde(default)]
            pub rolearn: String,
            /// External id for `rolearn`.
            #[serde(default)]
            pub externalid: String,
            /// STS `GetCallerIdentity` at startup (default true); failing it fails this output.
            #[serde(default)]
            pub checkidentity: Option<bool>,
            /// Endpoint URL override of the service (S3-compatible stores, emulators, VPC
            /// endpoints).
            #[serde(default)]
            pub endpoint: String,
            /// Endpoint URL override of STS (`rolearn`, `checkidentity`); default the SDK's.
            #[serde(default)]
            pub stsendpoint: String,
        }

        impl $name {
            /// The shared AWS keys of this instance.
            pub fn aws(&self) -> $crate::common::AwsSettings {
                $crate::common::AwsSettings {
                    region: self.region.trim().to_owned(),
                    accesskeyid: self.accesskeyid.trim().to_owned(),
                    secretaccesskey: self.secretaccesskey.clone(),
                    rolearn: self.rolearn.trim().to_owned(),
                    externalid: self.externalid.trim().to_owned(),
                    checkidentity: self.checkidentity.unwrap_or(true),
                    endpoint: self.endpoint.trim().trim_end_matches('/').to_owned(),
                    stsendpoint: self.stsendpoint.trim().trim_end_matches('/').to_owned(),
                }
            }
        }
    };
}
#[allow(unused_imports)] // unused in a build without any AWS kind
pub(crate) use aws_output_config;
