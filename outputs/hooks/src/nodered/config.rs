//! The `nodered` block: falcosidekick's keys.

use std::sync::Arc;

use falconer_config::Secret;
use falconer_core::{BuildContext, BuildError, Output, OutputConfig};
use falconer_http::{check_url, http_config, HttpKeys, TargetOptions};

use crate::common::{hook_target, PayloadHook};

http_config! {
    /// Configuration of one Node-RED instance. `Debug` never shows the password or header
    /// values.
    #[derive(Debug)]
    #[serde(deny_unknown_fields)]
    pub struct NoderedConfig {
        /// URL of the `http in` node (`http://nodered:1880/falco`).
        pub address: String,
        /// Basic-auth user (sent only together with `password`).
        #[serde(default)]
        pub user: String,
        /// Basic-auth password (sent only together with `user`).
        #[serde(default)]
        pub password: Secret,
        /// `customheaders` (applied after the basic auth), `checkcert`, `mutualtls`.
        #[serde(flatten)]
        pub http: HttpKeys,
    }
}

impl NoderedConfig {
    /// Basic auth when both `user` and `password` are set.
    pub fn options(&self) -> TargetOptions {
        let mut options = TargetOptions::default();
        if !self.user.is_empty() && !self.password.is_empty() {
            options.basic_auth(&self.user, self.password.expose());
        }
        options
    }
}

#[async_trait::async_trait]
impl OutputConfig for NoderedConfig {
    const KIND: &'static str = "nodered";
    const BLOCK: &'static str = "nodered";
    const ENABLED_BY: &'static [&'static str] = &["address"];
    const DESTINATION: &'static str = "nodered";

    fn validate(&self, problems: &mut falconer_core::Problems) {
        check_url("address", &self.address, problems);
        self.http.validate(problems);
    }

    async fn build(self, cx: BuildContext) -> Result<Arc<dyn Output>, BuildError> {
        let target = hook_target(&cx, &self.address, &self.http, &self.options())?;
        Ok(Arc::new(PayloadHook::new(target, false)))
    }
}
