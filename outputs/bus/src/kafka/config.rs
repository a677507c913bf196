//! The `kafka` block: falcosidekick's keys, plus a message key and headers (Go templates).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use falconer_config::Secret;
use falconer_core::{BuildContext, BuildError, Choice, DeliveryDefaults, Output, OutputConfig};
use falconer_event::GoTemplate;
use serde::Deserialize;

use super::output::Kafka;
use super::producer::{self, Acks, Compression, Partitioner, Sasl};

/// Configuration of one Kafka instance. `Debug` never shows the password.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KafkaConfig {
    /// Bootstrap brokers, comma-separated `host:port`.
    pub hostport: String,
    /// The topic every alert is produced to.
    pub topic: String,
    /// SASL mechanism: `PLAIN`, `SCRAM_SHA256` or `SCRAM_SHA512`; empty for none.
    #[serde(default)]
    pub sasl: Choice<Sasl>,
    /// SASL user name.
    #[serde(default)]
    pub username: String,
    /// SASL password.
    #[serde(default)]
    pub password: Secret,
    /// Connect over TLS (system roots plus `tlsclient.cacertfile`).
    #[serde(default)]
    pub tls: bool,
    /// Verify the brokers' certificates (with `tls`).
    #[serde(default = "default_true")]
    pub checkcert: bool,
    /// Present the client certificate of `mutualtlsclient.*` / `mutualtlsfilespath`.
    #[serde(default)]
    pub mutualtls: bool,
    /// The client id the brokers see; `falconer` when empty.
    #[serde(default)]
    pub clientid: String,
    /// How messages are spread over partitions: `round_robin`, `least_bytes`, `crc32`,
    /// `crc32_random`, `murmur2`, `murmur2_random` (falcosidekick's names).
    #[serde(default = "default_balancer")]
    pub balancer: Choice<Partitioner>,
    /// `NONE`, `GZIP`, `SNAPPY`, `LZ4` or `ZSTD`.
    #[serde(default = "default_compression")]
    pub compression: Choice<Compression>,
    /// Acknowledgements a write needs: `NONE`, `ONE` or `ALL`. Falconer's default is `ALL`
    /// (falcosidekick's is `NONE`, which counts unacknowledged writes as delivered).
    #[serde(default = "default_acks")]
    pub requiredacks: Choice<Acks>,
    /// Return as soon as librdkafka has queued the batch instead of waiting for the delivery
    /// reports; failures are then only logged (falcosidekick's `async`).
    #[serde(default, rename = "async")]
    pub asynchronous: bool,
    /// Let the brokers create the topic on first use (if they allow it).
    #[serde(default)]
    pub topiccreation: bool,
    /// Message key, a Go template over the alert (`{{.Rule}}`, `{{.Hostname}}`); messages with
    /// the same key keep their order in one partition. Empty: no key (falcosidekick).
    #[serde(default)]
    pub key: String,
    /// Message headers: name → Go template over the alert.
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
}

fn default_true() -> bool {
    true
}

fn default_balancer() -> Choice<Partitioner> {
    Choice::new("round_robin")
}

fn default_compression() -> Choice<Compression> {
    Choice::new("NONE")
}

fn default_acks() -> Choice<Acks> {
    Choice::new("ALL")
}

/// Messages per batch at most.
const MAX_BATCH: usize = 500;

impl KafkaConfig {
    fn templates(&self) -> Result<super::output::Templates, (String, String)> {
        let parse = |path: String, source: &str| {
            GoTemplate::parse(source).map_err(|e| (path, format!("invalid template: {e}")))
        };
        let key = match self.key.trim() {
            "" => None,
            source => Some(parse("key".into(), source)?),
        };
        let mut headers = Vec::with_capacity(self.headers.len());
        for (name, source) in &self.headers {
            headers.push((name.clone(), parse(format!("headers.{name}"), source)?));
        }
        Ok(super::output::Templates { key, headers })
    }
}

impl producer::Settings {
    /// Maps every key, or lists each invalid one with its path.
    pub(crate) fn from_config(c: &KafkaConfig) -> Result<Self, falconer_core::Problems> {
        let mut problems = falconer_core::Problems::default();
        c.balancer.check("balancer", &mut problems);
        c.compression.check("compression", &mut problems);
        c.requiredacks.check("requiredacks", &mut problems);
        c.sasl.check("sasl", &mut problems);
        let sasl = c.sasl.value().and_then(|s| s.0);
        if sasl.is_some() && c.username.is_empty() {
            problems.push("username", "is required with sasl");
        }
        if problems.is_empty() {
            Ok(producer::Settings {
                partitioner: c.balancer.value().map_or("random", |p| p.0),
                compression: c.compression.value().map_or("none", |p| p.0),
                acks: c.requiredacks.value().map_or("all", |p| p.0),
                sasl,
            })
        } else {
            Err(problems)
        }
    }
}

impl KafkaConfig {
    /// The connection keys, for librdkafka.
    pub(crate) fn connection(&self) -> producer::Connection<'_> {
        producer::Connection {
            hostport: &self.hostport,
            clientid: &self.clientid,
            topiccreation: self.topiccreation,
            tls: self.tls,
            checkcert: self.checkcert,
            mutualtls: self.mutualtls,
            username: &self.username,
            password: self.password.expose(),
        }
    }
}

#[async_trait::async_trait]
impl OutputConfig for KafkaConfig {
    const KIND: &'static str = "kafka";
    const BLOCK: &'static str = "kafka";
    const ENABLED_BY: &'static [&'static str] = &["hostport"];
    const DESTINATION: &'static str = "kafka";
    const DEFAULTS: DeliveryDefaults =
        DeliveryDefaults::batching(MAX_BATCH, 4 << 20, Duration::from_millis(5));

    fn validate(&self, problems: &mut falconer_core::Problems) {
        if self.hostport.split(',').all(|b| b.trim().is_empty()) {
            problems.push("hostport", "must list at least one broker");
        }
        if self.topic.trim().is_empty() {
            problems.push("topic", "must not be empty");
        }
        let settings = producer::Settings::from_config(self);
        if let Err(list) = settings {
            problems.extend_under("", list);
        }
        if let Err((path, message)) = self.templates() {
            problems.push(path, message);
        }
    }

    async fn build(self, cx: BuildContext) -> Result<Arc<dyn Output>, BuildError> {
        let settings = producer::Settings::from_config(&self).map_err(|list| {
            let text: Vec<String> = list.0.iter().map(ToString::to_string).collect();
            BuildError::new(&cx.path, text.join("; "))
        })?;
        let templates = self
            .templates()
            .map_err(|(k, v)| BuildError::new(&cx.path, format!("{k}: {v}")))?;
        let client = producer::client_config(&self.connection(), &settings, &cx);
        let producer = client
            .create()
            .map_err(|e| BuildError::new(&cx.path, format!("cannot create the producer: {e}")))?;
        Ok(Arc::new(Kafka::new(
            producer,
            self.topic.clone(),
            templates,
            self.asynchronous,
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(extra: serde_json::Value) -> KafkaConfig {
        let mut base = serde_json::json!({"hostport": "127.0.0.1:9092", "topic": "falco"});
        if let (Some(b), Some(e)) = (base.as_object_mut(), extra.as_object()) {
            b.extend(e.clone());
        }
        serde_json::from_value(base).expect("valid shape")
    }

    #[test]
    fn every_invalid_key_is_listed_with_its_path() {
        let mut problems = falconer_core::Problems::default();
        config(serde_json::json!({
            "balancer": "hash", "compression": "brotli", "requiredacks": "TWO",
            "sasl": "GSSAPI", "key": "{{.Rule", "headers": {"h": "{{ index . }"},
        }))
        .validate(&mut problems);
        let paths: Vec<&str> = problems.paths().collect();
        assert_eq!(
            paths,
            ["balancer", "compression", "requiredacks", "sasl", "key"],
            "{problems:?}"
        );
    }

    #[test]
    fn falcosidekick_names_map_to_librdkafka_values() {
        let s = producer::Settings::from_config(&config(serde_json::json!({
            "balancer": "crc32", "compression": "zstd", "requiredacks": "one",
            "sasl": "SCRAM_SHA512", "username": "falco",
        })))
        .expect("valid");
        assert_eq!(
            s,
            producer::Settings {
                partitioner: "consistent",
                compression: "zstd",
                acks: "1",
                sasl: Some("SCRAM-SHA-512"),
            }
        );
        let defaults =
            producer::Settings::from_config(&config(serde_json::json!({}))).expect("valid");
        assert_eq!(defaults.acks, "all", "acks ALL unless configured");
        assert_eq!(defaults.partitioner, "random");
        assert_eq!(defaults.sasl, None);
    }

    #[tokio::test]
    async fn a_sasl_over_tls_producer_can_be_created() {
        // librdkafka refuses `sasl_ssl` and SCRAM at creation when built without OpenSSL.
        let c = config(serde_json::json!({
            "sasl": "SCRAM_SHA256", "username": "falco", "password": "secret", "tls": true,
        }));
        let settings = producer::Settings::from_config(&c).expect("valid");
        let cx = BuildContext {
            name: "kafka".into(),
            path: "kafka".into(),
            global: Arc::new(falconer_config::GlobalSettings::default()),
            resources: falconer_core::Resources::default(),
        };
        let producer: Result<rdkafka::producer::FutureProducer, _> =
            producer::client_config(&c.connection(), &settings, &cx).create();
        assert!(producer.is_ok(), "{:?}", producer.err());
    }
}
