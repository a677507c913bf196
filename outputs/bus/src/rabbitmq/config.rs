//! The `rabbitmq` block: falcosidekick's `url` and `queue`, plus `exchange`, `routingkey` and
//! `mutualtls`.

use std::sync::Arc;
use std::time::Duration;

use falconer_config::Secret;
use falconer_core::{BuildContext, BuildError, DeliveryDefaults, Output, OutputConfig};
use lapin::uri::AMQPUri;
use serde::Deserialize;

use super::output::{RabbitMq, Target, Tls};

/// Configuration of one RabbitMQ instance. `Debug` never shows the URL (it holds the
/// password).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RabbitMqConfig {
    /// AMQP URL with credentials and vhost: `amqp://user:pass@host:5672/vhost`, or
    /// `amqps://…` for TLS (system roots plus `tlsclient.cacertfile`).
    pub url: Secret,
    /// Queue: the routing key on the default exchange, as falcosidekick publishes.
    #[serde(default)]
    pub queue: String,
    /// Exchange to publish to instead of the default one (Falconer addition).
    #[serde(default)]
    pub exchange: String,
    /// Routing key (Falconer addition); default `queue`.
    #[serde(default)]
    pub routingkey: String,
    /// Present the client certificate of `mutualtlsclient.*` / `mutualtlsfilespath` and trust
    /// its CA (`amqps://` only; Falconer addition).
    #[serde(default)]
    pub mutualtls: bool,
}

/// Publishes per batch at most (each batch waits for all its confirms).
const MAX_BATCH: usize = 256;

fn read(path: &std::path::Path) -> Result<Vec<u8>, String> {
    std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))
}

impl RabbitMqConfig {
    fn scheme(&self) -> Option<&'static str> {
        let url = self.url.expose().trim();
        let scheme = url.split_once("://")?.0.to_ascii_lowercase();
        match scheme.as_str() {
            "amqp" => Some("amqp"),
            "amqps" => Some("amqps"),
            _ => None,
        }
    }

    /// The parsed URL. As in falcosidekick (Go's amqp091), `amqp://host/` means the vhost
    /// `/`, not the empty vhost.
    fn uri(&self) -> Result<AMQPUri, String> {
        let mut uri: AMQPUri = self
            .url
            .expose()
            .trim()
            .parse()
            .map_err(|e| format!("not a valid AMQP URL: {e}"))?;
        if uri.vhost.is_empty() {
            uri.vhost = "/".into();
        }
        Ok(uri)
    }

    fn target(&self) -> Target {
        Target {
            exchange: self.exchange.clone(),
            routing_key: if self.routingkey.is_empty() {
                self.queue.clone()
            } else {
                self.routingkey.clone()
            },
        }
    }

    fn tls(&self, cx: &BuildContext) -> Result<Tls, String> {
        let mut pem = Vec::new();
        if !cx.global.tlsclient.cacertfile.is_empty() {
            pem.extend(read(std::path::Path::new(&cx.global.tlsclient.cacertfile))?);
            pem.push(b'\n');
        }
        let mut identity = None;
        if self.mutualtls {
            let files = cx.global.mutual_tls_files();
            pem.extend(read(&files.ca)?);
            identity = Some((read(&files.cert)?, read(&files.key)?));
        }
        let cert_chain = if pem.is_empty() {
            None
        } else {
            Some(String::from_utf8(pem).map_err(|_| "the CA file is not PEM".to_owned())?)
        };
        Ok(Tls {
            cert_chain,
            identity,
        })
    }
}

#[async_trait::async_trait]
impl OutputConfig for RabbitMqConfig {
    const KIND: &'static str = "rabbitmq";
    const BLOCK: &'static str = "rabbitmq";
    const ENABLED_BY: &'static [&'static str] = &["url", "queue"];
    const DESTINATION: &'static str = "rabbitmq";
    const DEFAULTS: DeliveryDefaults =
        DeliveryDefaults::batching(MAX_BATCH, 8 << 20, Duration::ZERO);

    fn validate(&self, problems: &mut falconer_core::Problems) {
        match self.scheme() {
            None => problems.push("url", "must be an amqp:// or amqps:// URL"),
            Some(_) => {
                if let Err(e) = self.uri() {
                    problems.push("url", e);
                }
            }
        }
        if self.queue.is_empty() && self.routingkey.is_empty() && self.exchange.is_empty() {
            problems.push(
                "queue",
                "must not be empty (or set exchange and routingkey)",
            );
        }
        for (key, value) in [
            ("queue", &self.queue),
            ("exchange", &self.exchange),
            ("routingkey", &self.routingkey),
        ] {
            if value.len() > 255 {
                problems.push(key, "is longer than 255 bytes");
            }
        }
        if self.mutualtls && self.scheme() == Some("amqp") {
            problems.push("mutualtls", "needs an amqps:// URL");
        }
    }

    async fn build(self, cx: BuildContext) -> Result<Arc<dyn Output>, BuildError> {
        let tls = self.tls(&cx).map_err(|e| BuildError::new(&cx.path, e))?;
        let uri = self.uri().map_err(|e| BuildError::new(&cx.path, e))?;
        let target = self.target();
        Ok(Arc::new(RabbitMq::new(uri, tls, target, cx.name)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(url: &str, queue: &str) -> RabbitMqConfig {
        falconer_config::from_value(serde_json::json!({"url": url, "queue": queue}))
            .expect("deserializes")
    }

    fn problems(c: &RabbitMqConfig) -> Vec<String> {
        let mut p = falconer_core::Problems::default();
        c.validate(&mut p);
        p.paths().map(str::to_owned).collect()
    }

    #[test]
    fn a_trailing_slash_is_the_default_vhost_as_in_falcosidekick() {
        for (url, vhost) in [
            ("amqp://guest:guest@localhost:5672/", "/"),
            ("amqp://guest:guest@localhost:5672", "/"),
            ("amqp://localhost/%2f", "/"),
            ("amqps://u:p@rabbit:5671/prod", "prod"),
        ] {
            let uri = config(url, "q").uri().expect("valid URL");
            assert_eq!(uri.vhost, vhost, "{url}");
        }
    }

    #[test]
    fn urls_and_targets_are_checked() {
        assert!(problems(&config("amqp://localhost/", "falco")).is_empty());
        assert_eq!(problems(&config("http://localhost/", "falco")), ["url"]);
        assert_eq!(problems(&config("amqp://localhost/", "")), ["queue"]);
        let mut c = config("amqp://localhost/", "");
        c.exchange = "falco".into();
        assert!(problems(&c).is_empty());
        c.mutualtls = true;
        assert_eq!(problems(&c), ["mutualtls"]);
        assert_eq!(c.target().routing_key, "");
        let c = config("amqp://localhost/", "falco");
        assert_eq!(c.target().routing_key, "falco");
        assert_eq!(c.target().exchange, "");
    }
}
