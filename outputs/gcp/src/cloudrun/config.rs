//! The `gcp.cloudrun` block: falcosidekick's keys (`endpoint`, `jwt`) plus Falconer's
//! `checkcert` and `mutualtls`.

use std::sync::Arc;

use falconer_config::Secret;
use falconer_core::{BuildContext, BuildError, Output, OutputConfig};
use falconer_http::{check_url, http_config, http_url, post_target, TargetOptions, TlsKeys};

use super::output::CloudRun;

http_config! {
    /// Configuration of one Cloud Run instance.
    #[derive(Debug)]
    #[serde(deny_unknown_fields)]
    pub struct CloudRunConfig {
        /// The service's URL (`https://falco-handler-xyz.a.run.app/`).
        pub endpoint: String,
        /// The identity token sent as `Authorization: Bearer` (empty: no header, for a
        /// service that allows unauthenticated calls).
        #[serde(default)]
        pub jwt: Secret,
        /// Falconer: `checkcert` (default true; falcosidekick never verified Cloud Run's
        /// certificate), `mutualtls`.
        #[serde(flatten)]
        pub tls: TlsKeys,
    }
}

#[async_trait::async_trait]
impl OutputConfig for CloudRunConfig {
    const KIND: &'static str = "gcpcloudrun";
    const BLOCK: &'static str = "gcp.cloudrun";
    const ENABLED_BY: &'static [&'static str] = &["endpoint"];
    const DESTINATION: &'static str = "gcpcloudrun";

    fn validate(&self, problems: &mut falconer_core::Problems) {
        check_url("endpoint", &self.endpoint, problems);
        if self
            .jwt
            .expose()
            .chars()
            .any(|c| c.is_whitespace() || c.is_control())
        {
            problems.push("jwt", "a JWT has no blanks or control characters");
        }
    }

    async fn build(self, cx: BuildContext) -> Result<Arc<dyn Output>, BuildError> {
        let url = http_url(&self.endpoint).map_err(|e| BuildError::new(&cx.path, e))?;
        let mut options = TargetOptions::default();
        if !self.jwt.is_empty() {
            options.headers.push((
                "Authorization".into(),
                format!("Bearer {}", self.jwt.expose()),
            ));
        }
        let target = post_target(&cx, &self.tls.http(), url, &options)?;
        Ok(Arc::new(CloudRun { target }))
    }
}
