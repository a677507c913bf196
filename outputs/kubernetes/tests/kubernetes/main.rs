//! The Kubernetes outputs against a recording sink playing the Kubernetes API server: the
//! reports read, created and replaced (paths, headers, the exact objects), conflicts,
//! trimming, classification, env variables, the family recipe. One test binary.

#[cfg(feature = "policyreport")]
mod apiserver;
#[cfg(feature = "policyreport")]
mod policyreport;
mod recipe;
