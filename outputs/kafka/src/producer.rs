//! falcosidekick's Kafka settings translated to librdkafka producer properties.

use falconer_core::BuildContext;
use rdkafka::ClientConfig;

use crate::config::KafkaConfig;

/// How long librdkafka keeps trying one message before its delivery report says it failed.
/// Below the core's default attempt timeout (10 s), so the report, not the core's timeout,
/// ends an attempt, and a message is never still in flight when the core retries it.
const MESSAGE_TIMEOUT_MS: &str = "8000";

/// The librdkafka values the falcosidekick keys stand for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Settings {
    /// `partitioner`.
    pub partitioner: &'static str,
    /// `compression.codec`.
    pub compression: &'static str,
    /// `acks`.
    pub acks: &'static str,
    /// `sasl.mechanisms`, when SASL is on.
    pub sasl: Option<&'static str>,
}

impl Settings {
    /// Maps every key, or lists each invalid one with its path.
    pub(crate) fn from_config(c: &KafkaConfig) -> Result<Self, Vec<(String, String)>> {
        let mut problems = Vec::new();
        let mut bad = |key: &str, value: &str, allowed: &str| {
            problems.push((key.to_owned(), format!("{value:?} is not one of {allowed}")));
        };
        // librdkafka has no round-robin or least-bytes partitioner; without a key, `random`
        // spreads messages the same way. With a key, falcosidekick's names map to the hash
        // partitioners of the same name (crc32 is librdkafka's `consistent`).
        let partitioner = match c.balancer.to_ascii_lowercase().as_str() {
            "round_robin" | "least_bytes" | "" => "random",
            "crc32" => "consistent",
            "crc32_random" => "consistent_random",
            "murmur2" => "murmur2",
            "murmur2_random" => "murmur2_random",
            other => {
                bad(
                    "balancer",
                    other,
                    "round_robin, least_bytes, crc32, crc32_random, murmur2, murmur2_random",
                );
                "random"
            }
        };
        let compression = match c.compression.to_ascii_uppercase().as_str() {
            "NONE" | "" => "none",
            "GZIP" => "gzip",
            "SNAPPY" => "snappy",
            "LZ4" => "lz4",
            "ZSTD" => "zstd",
            other => {
                bad("compression", other, "NONE, GZIP, SNAPPY, LZ4, ZSTD");
                "none"
            }
        };
        let acks = match c.requiredacks.to_ascii_uppercase().as_str() {
            "NONE" => "0",
            "ONE" => "1",
            "ALL" | "" => "all",
            other => {
                bad("requiredacks", other, "NONE, ONE, ALL");
                "all"
            }
        };
        let sasl = match c.sasl.to_ascii_uppercase().replace('-', "_").as_str() {
            "" => None,
            "PLAIN" => Some("PLAIN"),
            "SCRAM_SHA256" | "SCRAM_SHA_256" => Some("SCRAM-SHA-256"),
            "SCRAM_SHA512" | "SCRAM_SHA_512" => Some("SCRAM-SHA-512"),
            other => {
                bad("sasl", other, "PLAIN, SCRAM_SHA256, SCRAM_SHA512");
                None
            }
        };
        if sasl.is_some() && c.username.is_empty() {
            problems.push(("username".into(), "is required with sasl".into()));
        }
        if problems.is_empty() {
            Ok(Settings {
                partitioner,
                compression,
                acks,
                sasl,
            })
        } else {
            Err(problems)
        }
    }
}

/// The producer's librdkafka configuration.
pub(crate) fn client_config(c: &KafkaConfig, s: &Settings, cx: &BuildContext) -> ClientConfig {
    let mut config = ClientConfig::new();
    let brokers: Vec<&str> = c.hostport.split(',').map(str::trim).collect();
    let client_id = if c.clientid.is_empty() {
        "falconer"
    } else {
        c.clientid.as_str()
    };
    config
        .set("bootstrap.servers", brokers.join(","))
        .set("client.id", client_id)
        .set("partitioner", s.partitioner)
        .set("compression.codec", s.compression)
        .set("acks", s.acks)
        .set("allow.auto.create.topics", c.topiccreation.to_string())
        .set("message.timeout.ms", MESSAGE_TIMEOUT_MS)
        // The delivery core owns retries (backoff, breaker, spool, dead letters, metrics);
        // librdkafka reports the first failure instead of retrying on its own.
        .set("message.send.max.retries", "0")
        .set("linger.ms", "2")
        .set("socket.connection.setup.timeout.ms", "3000");
    let protocol = match (c.tls, s.sasl.is_some()) {
        (false, false) => "plaintext",
        (true, false) => "ssl",
        (false, true) => "sasl_plaintext",
        (true, true) => "sasl_ssl",
    };
    config.set("security.protocol", protocol);
    if let Some(mechanism) = s.sasl {
        config
            .set("sasl.mechanisms", mechanism)
            .set("sasl.username", &c.username)
            .set("sasl.password", c.password.expose());
    }
    if c.tls {
        config.set(
            "enable.ssl.certificate.verification",
            c.checkcert.to_string(),
        );
        if !cx.global.tlsclient.cacertfile.is_empty() {
            config.set("ssl.ca.location", &cx.global.tlsclient.cacertfile);
        }
        if c.mutualtls {
            let files = cx.global.mutual_tls_files();
            config
                .set("ssl.ca.location", files.ca.to_string_lossy())
                .set("ssl.certificate.location", files.cert.to_string_lossy())
                .set("ssl.key.location", files.key.to_string_lossy());
        }
    }
    config
}
