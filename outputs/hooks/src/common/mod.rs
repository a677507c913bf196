//! What the hook kinds share: [`PayloadHook`], the running output that posts the alert's
//! payload JSON (one request per alert, optionally with an `event-id` header), and the
//! config pieces of the in-cluster function platforms ([`ServiceAddress`], `kubeconfig`
//! refused with a clear message, ports checked).

mod config;
mod output;

pub use config::{check_kubeconfig, check_name, check_port, hook_target, ServiceAddress};
pub use output::{payload_line, PayloadHook, EVENT_ID};
