//! The `mqtt` block: falcosidekick's keys plus `clientid`, `mutualtls` and `keepalive`.

use std::sync::Arc;
use std::time::Duration;

use falconer_config::{GoDuration, Secret};
use falconer_core::{BuildContext, BuildError, DeliveryDefaults, Output, OutputConfig};
use rumqttc::{MqttOptions, QoS, TlsConfiguration, Transport};
use serde::Deserialize;

use super::broker::Broker;
use super::link::MAX_BATCH;
use super::output::Mqtt;

/// Configuration of one MQTT instance. `Debug` never shows the password.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MqttConfig {
    /// Broker address: `tcp://host:1883`, or `ssl://host:8883` for TLS.
    pub broker: String,
    /// Topic the alerts are published on.
    #[serde(default = "default_topic")]
    pub topic: String,
    /// QoS 0 (sent once, complete when written), 1 (complete on PUBACK) or 2 (complete on
    /// PUBCOMP).
    #[serde(default)]
    pub qos: u8,
    /// Publish with the retain flag.
    #[serde(default)]
    pub retained: bool,
    /// User name (sent when not empty).
    #[serde(default)]
    pub user: String,
    /// Password.
    #[serde(default)]
    pub password: Secret,
    /// Verify the broker's certificate (`ssl://`): the system roots plus
    /// `tlsclient.cacertfile`. `false` accepts any certificate.
    #[serde(default = "default_true")]
    pub checkcert: bool,
    /// Present the client certificate of `mutualtlsclient.*` / `mutualtlsfilespath` and trust
    /// its CA (Falconer addition).
    #[serde(default)]
    pub mutualtls: bool,
    /// MQTT client id (Falconer addition); default `falconer-` and 6 random characters, as
    /// falcosidekick does with `falcosidekick-`.
    #[serde(default)]
    pub clientid: String,
    /// Keep-alive interval (Falconer addition), a Go duration; default `30s`.
    #[serde(default)]
    pub keepalive: Option<GoDuration>,
}

fn default_topic() -> String {
    "falco/events".into()
}

fn default_true() -> bool {
    true
}

/// Default keep-alive.
const KEEP_ALIVE: Duration = Duration::from_secs(30);

/// The largest packet MQTT allows (remaining length of 256 MiB - 1).
const MAX_PACKET: usize = 268_435_455;

impl MqttConfig {
    fn qos(&self) -> Option<QoS> {
        match self.qos {
            0 => Some(QoS::AtMostOnce),
            1 => Some(QoS::AtLeastOnce),
            2 => Some(QoS::ExactlyOnce),
            _ => None,
        }
    }

    fn client_id(&self) -> String {
        if self.clientid.is_empty() {
            let id = uuid::Uuid::new_v4().simple().to_string();
            format!("falconer-{}", &id[..6])
        } else {
            self.clientid.clone()
        }
    }
}

#[async_trait::async_trait]
impl OutputConfig for MqttConfig {
    const KIND: &'static str = "mqtt";
    const BLOCK: &'static str = "mqtt";
    const ENABLED_BY: &'static [&'static str] = &["broker"];
    const DESTINATION: &'static str = "mqtt";
    const DEFAULTS: DeliveryDefaults =
        DeliveryDefaults::batching(MAX_BATCH, 4 << 20, Duration::ZERO);

    fn validate(&self, problems: &mut falconer_core::Problems) {
        if let Err(e) = Broker::parse(&self.broker) {
            problems.push("broker", e);
        }
        if self.topic.is_empty() || self.topic.contains(['+', '#', '\0']) {
            problems.push(
                "topic",
                format!(
                    "{:?} is not a topic name (empty, or with + or #)",
                    self.topic
                ),
            );
        }
        if self.qos().is_none() {
            problems.push("qos", format!("{} is not 0, 1 or 2", self.qos));
        }
        if self.clientid.len() > 65_535 {
            problems.push("clientid", "is too long");
        }
        if let Some(k) = self.keepalive {
            if k.0 < Duration::from_secs(1) || k.0 > Duration::from_secs(65_535) {
                problems.push("keepalive", "must be between 1s and 65535s");
            }
        }
    }

    async fn build(self, cx: BuildContext) -> Result<Arc<dyn Output>, BuildError> {
        let broker = Broker::parse(&self.broker).map_err(|e| BuildError::new(&cx.path, e))?;
        let mut options = MqttOptions::new(self.client_id(), broker.host.clone(), broker.port);
        options
            .set_keep_alive(self.keepalive.map_or(KEEP_ALIVE, |k| k.0))
            .set_clean_session(true)
            .set_max_packet_size(MAX_PACKET, MAX_PACKET)
            // More than a batch can hold, so packet ids never collide within one.
            .set_inflight(u16::try_from(MAX_BATCH * 2).unwrap_or(u16::MAX));
        if !self.user.is_empty() {
            options.set_credentials(self.user.clone(), self.password.expose());
        }
        if broker.tls {
            let tls = falconer_tls::client_config(&cx.global, self.checkcert, self.mutualtls)
                .map_err(|e| BuildError::new(&cx.path, e))?;
            options.set_transport(Transport::tls_with_config(TlsConfiguration::Rustls(tls)));
        }
        let qos = self.qos().unwrap_or(QoS::AtMostOnce);
        Ok(Arc::new(Mqtt::start(
            options,
            broker,
            self.topic,
            qos,
            self.retained,
        )))
    }
}
