//! The `kubeless` block: falcosidekick's keys, plus `hostport`.

use std::sync::Arc;

use falconer_core::{BuildContext, BuildError, Output, OutputConfig};
use falconer_http::{http_config, TargetOptions, TlsKeys};

use crate::common::{
    check_kubeconfig, check_name, check_port, hook_target, PayloadHook, ServiceAddress,
};

http_config! {
    /// Configuration of one Kubeless instance.
    #[derive(Debug)]
    #[serde(deny_unknown_fields)]
    pub struct KubelessConfig {
        /// The function's name (its service's name).
        pub function: String,
        /// The function's namespace.
        #[serde(default)]
        pub namespace: String,
        /// The function service's port.
        #[serde(default = "default_port")]
        pub port: u16,
        /// falcosidekick's kubeconfig for calls through the API server's service proxy:
        /// refused (see the module documentation).
        #[serde(default)]
        pub kubeconfig: String,
        /// Falconer's addition: the function's base URL, instead of
        /// `http://{function}.{namespace}.svc.cluster.local:{port}`.
        #[serde(default)]
        pub hostport: String,
        /// `checkcert`, `mutualtls`.
        #[serde(flatten)]
        pub tls: TlsKeys,
    }
}

fn default_port() -> u16 {
    8080
}

impl KubelessConfig {
    fn service(&self) -> ServiceAddress<'_> {
        ServiceAddress {
            hostport: &self.hostport,
            in_cluster: format!(
                "http://{}.{}.svc.cluster.local:{}",
                self.function, self.namespace, self.port
            ),
        }
    }

    /// The function's URL (its root path).
    pub fn url(&self) -> String {
        format!("{}/", self.service().base())
    }

    /// `Content-Type: application/json`, `event-type: falco`, `event-namespace`.
    pub fn options(&self) -> TargetOptions {
        TargetOptions {
            content_type: Some("application/json".into()),
            headers: vec![
                ("event-type".into(), "falco".into()),
                ("event-namespace".into(), self.namespace.clone()),
            ],
            gzip: false,
        }
    }
}

#[async_trait::async_trait]
impl OutputConfig for KubelessConfig {
    const KIND: &'static str = "kubeless";
    const BLOCK: &'static str = "kubeless";
    const ENABLED_BY: &'static [&'static str] = &["function", "namespace"];
    const DESTINATION: &'static str = "kubeless";

    fn validate(&self, problems: &mut falconer_core::Problems) {
        check_name("function", &self.function, problems);
        check_name("namespace", &self.namespace, problems);
        check_port("port", self.port, problems);
        check_kubeconfig(&self.kubeconfig, problems);
        self.service().check(problems);
    }

    async fn build(self, cx: BuildContext) -> Result<Arc<dyn Output>, BuildError> {
        let target = hook_target(&cx, &self.url(), &self.tls.http(), &self.options())?;
        Ok(Arc::new(PayloadHook::new(target, true)))
    }
}
