//! RabbitMQ output, falcosidekick's `rabbitmq` block: the alert's payload JSON published to
//! the default exchange with the queue as routing key (content type `text/plain`), or to a
//! configured `exchange` and `routingkey`. Publisher confirms are on and every message is
//! `mandatory`: a send completes when the broker has confirmed every message of the batch; a
//! nack, a returned (unroutable) message or a channel error fails it. The connection and
//! channel are opened on first use (Falconer starts while RabbitMQ is down) and re-opened
//! after a failure; falcosidekick connects once at startup and never reconnects.

mod config;
mod output;

pub use config::RabbitMqConfig;

/// The registry entry.
pub const KIND: falconer_core::OutputKind = falconer_core::OutputKind::of::<RabbitMqConfig>();
