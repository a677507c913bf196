//! The function and automation hook outputs, one module and one Cargo feature per kind; each
//! sends one HTTP request per alert with falcosidekick's body and headers:
//! - [`talon`]: the payload JSON to Falco Talon;
//! - [`n8n`]: the payload JSON to an n8n Webhook node, with basic and/or header auth;
//! - [`nodered`]: the payload JSON to a Node-RED `http in` node, with basic auth and custom
//!   headers;
//! - [`tekton`]: the payload JSON to a Tekton Triggers EventListener;
//! - [`openfaas`]: the payload JSON to an OpenFaaS function through its gateway;
//! - [`fission`]: the payload JSON to a Fission function through its router, with
//!   `event-id`;
//! - [`kubeless`]: the payload JSON to a Kubeless function's service, with the Kubeless
//!   event headers;
//! - [`cloudevents`]: a CloudEvent in HTTP binary mode (`ce-*` headers, payload JSON body).
//!
//! [`common`] holds what they share: the payload-posting output and the config pieces of the
//! in-cluster function platforms. [`register`] adds the kinds this build enables.

#[cfg(feature = "cloudevents")]
pub mod cloudevents;
pub mod common;
#[cfg(feature = "fission")]
pub mod fission;
#[cfg(feature = "kubeless")]
pub mod kubeless;
#[cfg(feature = "n8n")]
pub mod n8n;
#[cfg(feature = "nodered")]
pub mod nodered;
#[cfg(feature = "openfaas")]
pub mod openfaas;
#[cfg(feature = "talon")]
pub mod talon;
#[cfg(feature = "tekton")]
pub mod tekton;

/// Adds the hook kinds enabled by this crate's features to `registry`.
pub fn register(registry: &mut falconer_core::Registry) {
    // Without any kind feature there is nothing to add.
    let _ = &registry;
    #[cfg(feature = "talon")]
    registry.insert(talon::KIND);
    #[cfg(feature = "n8n")]
    registry.insert(n8n::KIND);
    #[cfg(feature = "nodered")]
    registry.insert(nodered::KIND);
    #[cfg(feature = "tekton")]
    registry.insert(tekton::KIND);
    #[cfg(feature = "openfaas")]
    registry.insert(openfaas::KIND);
    #[cfg(feature = "fission")]
    registry.insert(fission::KIND);
    #[cfg(feature = "kubeless")]
    registry.insert(kubeless::KIND);
    #[cfg(feature = "cloudevents")]
    registry.insert(cloudevents::KIND);
}
