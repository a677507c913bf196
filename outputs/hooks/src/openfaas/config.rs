//! The `openfaas` block: falcosidekick's keys, plus `hostport`.

use std::sync::Arc;

use falconer_core::{BuildContext, BuildError, Output, OutputConfig};
use falconer_http::{http_config, TargetOptions, TlsKeys};

use crate::common::{
    check_kubeconfig, check_name, check_port, hook_target, PayloadHook, ServiceAddress,
};

http_config! {
    /// Configuration of one OpenFaaS instance.
    #[derive(Debug)]
    #[serde(deny_unknown_fields)]
    pub struct OpenfaasConfig {
        /// The function's name.
        pub functionname: String,
        /// The function's namespace.
        #[serde(default = "default_function_namespace")]
        pub functionnamespace: String,
        /// The gateway's service.
        #[serde(default = "default_gateway_service")]
        pub gatewayservice: String,
        /// The gateway service's namespace.
        #[serde(default = "default_gateway_namespace")]
        pub gatewaynamespace: String,
        /// The gateway service's port.
        #[serde(default = "default_gateway_port")]
        pub gatewayport: u16,
        /// falcosidekick's kubeconfig for calls through the API server's service proxy:
        /// refused (see the module documentation).
        #[serde(default)]
        pub kubeconfig: String,
        /// Falconer's addition: the gateway's base URL (`http://127.0.0.1:8080`), instead of
        /// `http://{gatewayservice}.{gatewaynamespace}:{gatewayport}`.
        #[serde(default)]
        pub hostport: String,
        /// `checkcert`, `mutualtls`.
        #[serde(flatten)]
        pub tls: TlsKeys,
    }
}

fn default_function_namespace() -> String {
    "openfaas-fn".into()
}

fn default_gateway_service() -> String {
    "gateway".into()
}

fn default_gateway_namespace() -> String {
    "openfaas".into()
}

fn default_gateway_port() -> u16 {
    8080
}

impl OpenfaasConfig {
    fn gateway(&self) -> ServiceAddress<'_> {
        ServiceAddress {
            hostport: &self.hostport,
            in_cluster: format!(
                "http://{}.{}:{}",
                self.gatewayservice, self.gatewaynamespace, self.gatewayport
            ),
        }
    }

    /// The function's URL on the gateway.
    pub fn url(&self) -> String {
        format!(
            "{}/function/{}.{}",
            self.gateway().base(),
            self.functionname,
            self.functionnamespace
        )
    }
}

#[async_trait::async_trait]
impl OutputConfig for OpenfaasConfig {
    const KIND: &'static str = "openfaas";
    const BLOCK: &'static str = "openfaas";
    const ENABLED_BY: &'static [&'static str] = &["functionname"];
    const DESTINATION: &'static str = "openfaas";

    fn validate(&self, problems: &mut falconer_core::Problems) {
        check_name("functionname", &self.functionname, problems);
        check_name("functionnamespace", &self.functionnamespace, problems);
        check_name("gatewayservice", &self.gatewayservice, problems);
        check_name("gatewaynamespace", &self.gatewaynamespace, problems);
        check_port("gatewayport", self.gatewayport, problems);
        check_kubeconfig(&self.kubeconfig, problems);
        self.gateway().check(problems);
    }

    async fn build(self, cx: BuildContext) -> Result<Arc<dyn Output>, BuildError> {
        let target = hook_target(
            &cx,
            &self.url(),
            &self.tls.http(),
            &TargetOptions::default(),
        )?;
        Ok(Arc::new(PayloadHook::new(target, false)))
    }
}
