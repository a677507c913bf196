//! The `spyderbat` block: falcosidekick's keys, plus `checkcert` and `mutualtls`.

use std::sync::Arc;
use std::time::Duration;

use falconer_config::Secret;
use falconer_core::{BuildContext, BuildError, DeliveryDefaults, Output, OutputConfig};
use falconer_http::{
    check_header_value, check_url, go_json_line, http_config, http_url, post_target, TargetOptions,
    TlsKeys, UrlError,
};
use serde::Serialize;

use super::output::{Spyderbat, SpyderbatSettings};

/// Records per request at most, unless `batch.maxevents` says otherwise.
pub const DEFAULT_MAX_EVENTS: usize = 500;
/// Payload bytes per request at most, unless `batch.maxbytes` says otherwise.
pub const DEFAULT_MAX_BYTES: usize = 1 << 20;
/// How long a partial batch waits, unless `batch.linger` says otherwise.
pub const DEFAULT_LINGER: Duration = Duration::from_secs(1);

fn default_apiurl() -> String {
    "https://api.spyderbat.com".into()
}

fn default_source() -> String {
    "falcosidekick".into()
}

http_config! {
    /// Configuration of one Spyderbat instance. `Debug` never shows the API key.
    #[derive(Debug)]
    #[serde(deny_unknown_fields)]
    pub struct SpyderbatConfig {
        /// The organization's UID.
        pub orguid: String,
        /// The API key (`Authorization: Bearer`).
        #[serde(default)]
        pub apikey: Secret,
        /// Base URL of the API.
        #[serde(default = "default_apiurl")]
        pub apiurl: String,
        /// Name of the source created for Falconer's records.
        #[serde(default = "default_source")]
        pub source: String,
        /// Description of that source.
        #[serde(default)]
        pub sourcedescription: String,
        /// `checkcert`, `mutualtls` (Falconer's additions).
        #[serde(flatten)]
        pub tls: TlsKeys,
    }
}

#[derive(Serialize)]
struct SourceBody<'a> {
    name: &'a str,
    description: &'a str,
    uid: &'a str,
}

impl SpyderbatConfig {
    /// The source's UID: `falcosidekick_{orguid}`.
    pub fn source_uid(&self) -> String {
        format!("falcosidekick_{}", self.orguid)
    }

    fn base(&self) -> &str {
        self.apiurl.trim_end_matches('/')
    }

    /// `{apiurl}/api/v1/org/{orguid}/source/`: the organization's sources.
    pub fn sources_url(&self) -> Result<reqwest::Url, UrlError> {
        http_url(&format!(
            "{}/api/v1/org/{}/source/",
            self.base(),
            self.orguid
        ))
    }

    /// `{apiurl}/api/v1/org/{orguid}/source/falcosidekick_{orguid}/data/sb-agent`.
    pub fn data_url(&self) -> Result<reqwest::Url, UrlError> {
        http_url(&format!(
            "{}/api/v1/org/{}/source/{}/data/sb-agent",
            self.base(),
            self.orguid,
            self.source_uid()
        ))
    }

    /// The body that creates the source.
    pub fn source_body(&self) -> Vec<u8> {
        go_json_line(&SourceBody {
            name: &self.source,
            description: &self.sourcedescription,
            uid: &self.source_uid(),
        })
        .unwrap_or_default()
    }

    fn auth(&self) -> (String, String) {
        (
            "Authorization".into(),
            format!("Bearer {}", self.apikey.expose()),
        )
    }
}

#[async_trait::async_trait]
impl OutputConfig for SpyderbatConfig {
    const KIND: &'static str = "spyderbat";
    const BLOCK: &'static str = "spyderbat";
    const ENABLED_BY: &'static [&'static str] = &["orguid"];
    const DESTINATION: &'static str = "spyderbat";
    const DEFAULTS: DeliveryDefaults =
        DeliveryDefaults::batching(DEFAULT_MAX_EVENTS, DEFAULT_MAX_BYTES, DEFAULT_LINGER);

    fn validate(&self, problems: &mut falconer_core::Problems) {
        if self.orguid.is_empty() || self.orguid.contains(['/', '?', '#', ' ']) {
            problems.push(
                "orguid",
                format!("{:?} is not an organization UID", self.orguid),
            );
        }
        if self.apikey.is_empty() {
            problems.push("apikey", "must be set");
        } else {
            check_header_value("apikey", self.apikey.expose(), problems);
        }
        check_url("apiurl", &self.apiurl, problems);
    }

    async fn build(self, cx: BuildContext) -> Result<Arc<dyn Output>, BuildError> {
        let url = |r: Result<reqwest::Url, UrlError>| r.map_err(|e| BuildError::new(&cx.path, e));
        let data = TargetOptions {
            content_type: Some("application/ndjson".into()),
            headers: vec![self.auth()],
            gzip: true,
        };
        let data = post_target(&cx, &self.tls.http(), url(self.data_url())?, &data)?;
        let sources = TargetOptions {
            headers: vec![self.auth()],
            ..TargetOptions::default()
        };
        let sources_url = url(self.sources_url())?;
        let create = post_target(&cx, &self.tls.http(), sources_url.clone(), &sources)?;
        let list = create.retarget(reqwest::Method::GET, sources_url);
        Ok(Arc::new(Spyderbat::new(SpyderbatSettings {
            data,
            list,
            create,
            source_uid: self.source_uid(),
            source_body: self.source_body(),
        })))
    }
}
