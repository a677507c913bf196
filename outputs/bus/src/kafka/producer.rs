//! falcosidekick's Kafka settings translated to librdkafka producer properties.

use falconer_core::{BuildContext, Choices};
use rdkafka::ClientConfig;

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

/// `balancer` as librdkafka's `partitioner`. librdkafka has no round-robin or least-bytes
/// partitioner; without a key, `random` spreads messages the same way. With a key,
/// falcosidekick's names map to the hash partitioners of the same name (crc32 is
/// librdkafka's `consistent`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Partitioner(pub &'static str);

impl Choices for Partitioner {
    fn parse(raw: &str) -> Option<Self> {
        Some(Partitioner(match raw.to_ascii_lowercase().as_str() {
            "round_robin" | "least_bytes" | "" => "random",
            "crc32" => "consistent",
            "crc32_random" => "consistent_random",
            "murmur2" => "murmur2",
            "murmur2_random" => "murmur2_random",
            _ => return None,
        }))
    }

    fn problem(raw: &str) -> String {
        not_one_of(
            &raw.to_ascii_lowercase(),
            "round_robin, least_bytes, crc32, crc32_random, murmur2, murmur2_random",
        )
    }
}

/// `compression` as librdkafka's `compression.codec`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Compression(pub &'static str);

impl Choices for Compression {
    fn parse(raw: &str) -> Option<Self> {
        Some(Compression(match raw.to_ascii_uppercase().as_str() {
            "NONE" | "" => "none",
            "GZIP" => "gzip",
            "SNAPPY" => "snappy",
            "LZ4" => "lz4",
            "ZSTD" => "zstd",
            _ => return None,
        }))
    }

    fn problem(raw: &str) -> String {
        not_one_of(&raw.to_ascii_uppercase(), "NONE, GZIP, SNAPPY, LZ4, ZSTD")
    }
}

/// `requiredacks` as librdkafka's `acks`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Acks(pub &'static str);

impl Choices for Acks {
    fn parse(raw: &str) -> Option<Self> {
        Some(Acks(match raw.to_ascii_uppercase().as_str() {
            "NONE" => "0",
            "ONE" => "1",
            "ALL" | "" => "all",
            _ => return None,
        }))
    }

    fn problem(raw: &str) -> String {
        not_one_of(&raw.to_ascii_uppercase(), "NONE, ONE, ALL")
    }
}

/// `sasl` as librdkafka's `sasl.mechanisms` (`None`: no SASL).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Sasl(pub Option<&'static str>);

impl Sasl {
    fn normalized(raw: &str) -> String {
        raw.to_ascii_uppercase().replace('-', "_")
    }
}

impl Choices for Sasl {
    fn parse(raw: &str) -> Option<Self> {
        Some(Sasl(match Sasl::normalized(raw).as_str() {
            "" => None,
            "PLAIN" => Some("PLAIN"),
            "SCRAM_SHA256" | "SCRAM_SHA_256" => Some("SCRAM-SHA-256"),
            "SCRAM_SHA512" | "SCRAM_SHA_512" => Some("SCRAM-SHA-512"),
            _ => return None,
        }))
    }

    fn problem(raw: &str) -> String {
        not_one_of(&Sasl::normalized(raw), "PLAIN, SCRAM_SHA256, SCRAM_SHA512")
    }
}

/// `"<value>" is not one of <allowed>`.
fn not_one_of(value: &str, allowed: &str) -> String {
    format!("{value:?} is not one of {allowed}")
}

/// The connection keys of a `kafka` block, as librdkafka needs them.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Connection<'a> {
    /// `hostport`: bootstrap brokers, comma-separated.
    pub hostport: &'a str,
    /// `clientid`; `falconer` when empty.
    pub clientid: &'a str,
    /// `topiccreation`.
    pub topiccreation: bool,
    /// `tls`.
    pub tls: bool,
    /// `checkcert`.
    pub checkcert: bool,
    /// `mutualtls`.
    pub mutualtls: bool,
    /// SASL user name.
    pub username: &'a str,
    /// SASL password.
    pub password: &'a str,
}

/// The producer's librdkafka configuration.
pub(crate) fn client_config(c: &Connection<'_>, s: &Settings, cx: &BuildContext) -> ClientConfig {
    let mut config = ClientConfig::new();
    let brokers: Vec<&str> = c.hostport.split(',').map(str::trim).collect();
    let client_id = if c.clientid.is_empty() {
        "falconer"
    } else {
        c.clientid
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
            .set("sasl.username", c.username)
            .set("sasl.password", c.password);
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
