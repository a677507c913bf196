//! Test helpers shared by every crate: the real delivery core around outputs under test, a
//! recording HTTP sink with scripted answers, a real SMTP server (aiosmtpd) with scripted
//! answers, a real InfluxDB, a test PKI, and sample Falco alerts.

mod delivery;
mod influx;
mod pki;
mod sink;
mod smtp;

pub use delivery::{enriched, fast_retries, DeliveryHarness, UnderTest};
pub use influx::InfluxServer;
pub use pki::{CertFiles, TestPki};
pub use sink::{RecordedRequest, RecordingSink, Reply};
pub use smtp::{ReceivedMail, SmtpOptions, SmtpServer};

/// The Falco alert of the seed scenario: `kubectl create configmap aws-creds
/// --from-literal aws_access_key_id=AKES20LNOA` caught by the k8saudit plugin's rule
/// "Create/Modify Configmap With Private Credentials".
pub const CONFIGMAP_ALERT: &str = r#"{"hostname":"minikube","output":"09:21:07.418790000: Warning K8s configmap with private credential (user=minikube-user verb=create resource=configmaps configmap=aws-creds)","priority":"Warning","rule":"Create/Modify Configmap With Private Credentials","time":"2024-05-14T09:21:07.418790000Z","source":"k8s_audit","tags":["k8s"],"output_fields":{"evt.time":1715678467418790000,"ka.req.configmap.name":"aws-creds","ka.target.resource":"configmaps","ka.user.name":"minikube-user","ka.verb":"create"}}"#;

/// A syscall alert with numbers that must survive exactly.
pub const SHELL_ALERT: &str = r#"{"hostname":"node-1","output":"16:31:56.746609046: Notice A shell was spawned in a container with an attached terminal (user=root container_id=5f3c1b2a9d8e)","priority":"Notice","rule":"Terminal shell in container","time":"2024-05-14T16:31:56.746609046Z","source":"syscalls","tags":["container","mitre_execution","shell"],"output_fields":{"container.id":"5f3c1b2a9d8e","evt.time":1715704316746609046,"k8s.ns.name":"default","k8s.pod.name":"web-7d9c","n_drops":12345678901234567890,"proc.cmdline":"bash","ratio":1.50,"user.name":"root","user.uid":null}}"#;
