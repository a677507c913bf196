//! The `fission` block: falcosidekick's keys, plus `hostport`.

use std::sync::Arc;

use falconer_core::{BuildContext, BuildError, Output, OutputConfig};
use falconer_http::{http_config, TargetOptions, TlsKeys};

use crate::common::{
    check_kubeconfig, check_name, check_port, hook_target, PayloadHook, ServiceAddress,
};

http_config! {
    /// Configuration of one Fission instance.
    #[derive(Debug)]
    #[serde(deny_unknown_fields)]
    pub struct FissionConfig {
        /// The function's name.
        pub function: String,
        /// The router's service.
        #[serde(default = "default_router_service")]
        pub routerservice: String,
        /// The router service's namespace.
        #[serde(default = "default_router_namespace")]
        pub routernamespace: String,
        /// The router service's port.
        #[serde(default = "default_router_port")]
        pub routerport: u16,
        /// The functions' namespace (read by falcosidekick, used by neither).
        #[serde(default = "default_function_namespace")]
        pub functionnamespace: String,
        /// falcosidekick's kubeconfig for calls through the API server's service proxy:
        /// refused (see the module documentation).
        #[serde(default)]
        pub kubeconfig: String,
        /// Falconer's addition: the router's base URL, instead of
        /// `http://{routerservice}.{routernamespace}.svc.cluster.local:{routerport}`.
        #[serde(default)]
        pub hostport: String,
        /// `checkcert`, `mutualtls`.
        #[serde(flatten)]
        pub tls: TlsKeys,
    }
}

fn default_router_service() -> String {
    "router".into()
}

fn default_router_namespace() -> String {
    "fission".into()
}

fn default_router_port() -> u16 {
    80
}

fn default_function_namespace() -> String {
    "fission-function".into()
}

impl FissionConfig {
    fn router(&self) -> ServiceAddress<'_> {
        ServiceAddress {
            hostport: &self.hostport,
            in_cluster: format!(
                "http://{}.{}.svc.cluster.local:{}",
                self.routerservice, self.routernamespace, self.routerport
            ),
        }
    }

    /// The function's URL on the router.
    pub fn url(&self) -> String {
        format!(
            "{}/fission-function/{}",
            self.router().base(),
            self.function
        )
    }
}

#[async_trait::async_trait]
impl OutputConfig for FissionConfig {
    const KIND: &'static str = "fission";
    const BLOCK: &'static str = "fission";
    const ENABLED_BY: &'static [&'static str] = &["function"];
    const DESTINATION: &'static str = "Fission";

    fn validate(&self, problems: &mut falconer_core::Problems) {
        check_name("function", &self.function, problems);
        check_name("routerservice", &self.routerservice, problems);
        check_name("routernamespace", &self.routernamespace, problems);
        check_port("routerport", self.routerport, problems);
        check_kubeconfig(&self.kubeconfig, problems);
        self.router().check(problems);
    }

    async fn build(self, cx: BuildContext) -> Result<Arc<dyn Output>, BuildError> {
        let options = TargetOptions {
            content_type: Some("application/json".into()),
            ..TargetOptions::default()
        };
        let target = hook_target(&cx, &self.url(), &self.tls.http(), &options)?;
        Ok(Arc::new(PayloadHook::new(target, true)))
    }
}
