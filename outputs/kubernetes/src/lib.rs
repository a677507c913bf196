//! The Kubernetes outputs, one module and one Cargo feature per kind:
//! - [`policyreport`]: falcosidekick's `wgpolicyk8s.io/v1alpha2` `PolicyReport` (one per
//!   namespace) and `ClusterPolicyReport`, kept up to date through the Kubernetes API.
//!
//! [`register`] adds the kinds this build enables.

#[cfg(feature = "policyreport")]
pub mod policyreport;

/// Adds the Kubernetes kinds enabled by this crate's features to `registry`.
pub fn register(registry: &mut falconer_core::Registry) {
    // Without any kind feature there is nothing to add.
    let _ = &registry;
    #[cfg(feature = "policyreport")]
    registry.insert(policyreport::KIND);
}
