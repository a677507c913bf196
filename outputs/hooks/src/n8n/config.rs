//! The `n8n` block: falcosidekick's keys, plus `mutualtls`.

use std::sync::Arc;

use falconer_config::Secret;
use falconer_core::{BuildContext, BuildError, Output, OutputConfig};
use falconer_http::{check_header_value, check_url, http_config, TargetOptions, TlsKeys};

use crate::common::{hook_target, PayloadHook};

http_config! {
    /// Configuration of one n8n instance. `Debug` never shows the password or the header
    /// auth value.
    #[derive(Debug)]
    #[serde(deny_unknown_fields)]
    pub struct N8nConfig {
        /// URL of the Webhook node (`https://n8n.example.com/webhook/falco`).
        pub address: String,
        /// Basic-auth user (sent only together with `password`).
        #[serde(default)]
        pub user: String,
        /// Basic-auth password (sent only together with `user`).
        #[serde(default)]
        pub password: Secret,
        /// Name of the header of the node's header auth (sent only together with
        /// `headerauthvalue`).
        #[serde(default)]
        pub headerauthname: String,
        /// Value of the header auth header.
        #[serde(default)]
        pub headerauthvalue: Secret,
        /// `checkcert`, `mutualtls` (Falconer's addition).
        #[serde(flatten)]
        pub tls: TlsKeys,
    }
}

impl N8nConfig {
    /// Basic auth, then the header auth, each when both of its keys are set.
    pub fn options(&self) -> TargetOptions {
        let mut options = TargetOptions::default();
        if !self.user.is_empty() && !self.password.is_empty() {
            options.basic_auth(&self.user, self.password.expose());
        }
        if !self.headerauthname.is_empty() && !self.headerauthvalue.is_empty() {
            options.headers.push((
                self.headerauthname.clone(),
                self.headerauthvalue.expose().to_owned(),
            ));
        }
        options
    }
}

#[async_trait::async_trait]
impl OutputConfig for N8nConfig {
    const KIND: &'static str = "n8n";
    const BLOCK: &'static str = "n8n";
    const ENABLED_BY: &'static [&'static str] = &["address"];
    const DESTINATION: &'static str = "n8n";

    fn validate(&self, problems: &mut falconer_core::Problems) {
        check_url("address", &self.address, problems);
        if !self.headerauthname.is_empty()
            && http::HeaderName::from_bytes(self.headerauthname.as_bytes()).is_err()
        {
            problems.push(
                "headerauthname",
                format!("{:?} is not a valid header name", self.headerauthname),
            );
        }
        check_header_value("headerauthvalue", self.headerauthvalue.expose(), problems);
    }

    async fn build(self, cx: BuildContext) -> Result<Arc<dyn Output>, BuildError> {
        let target = hook_target(&cx, &self.address, &self.tls.http(), &self.options())?;
        Ok(Arc::new(PayloadHook::new(target, false)))
    }
}
