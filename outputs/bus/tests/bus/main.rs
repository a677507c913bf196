//! The message-bus kinds through the real delivery core against real brokers (NATS, RabbitMQ,
//! Mosquitto and Redis on loopback, librdkafka's mock cluster): one module per kind (one test
//! binary for the family).

#[cfg(feature = "kafka")]
mod kafka;
#[cfg(feature = "mqtt")]
mod mqtt;
#[cfg(feature = "nats")]
mod nats;
#[cfg(feature = "rabbitmq")]
mod rabbitmq;
mod recipe;
#[cfg(feature = "redis")]
mod redis;
