//! Bus counters: the destinations of the NATS and Kafka benchmark scenarios. Each takes every
//! message from its bus and counts it like the HTTP sink counts a request (`GET /count`, same
//! document, `unique` = distinct alert uuids).
//!
//! * `nats-count` subscribes to a subject (`falco.>`) on a NATS server.
//! * `kafka-mock` runs librdkafka's mock cluster (one broker, one topic), writes its
//!   bootstrap address to a file for the harness, and consumes the topic from the start.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::Message;
use rdkafka::mocking::MockCluster;
use rdkafka::{ClientConfig, Offset, TopicPartitionList};

use crate::sink::{serve_counts, Counters};

/// Counts every message published on `subject` at `url`; serves the counts on `addr`.
pub async fn nats_count(
    addr: SocketAddr,
    url: &str,
    subject: &str,
) -> Result<(), Box<dyn std::error::Error>> {
    let counters = Arc::new(Counters::default());
    let client = async_nats::connect(url).await?;
    let mut subscription = client.subscribe(subject.to_owned()).await?;
    client.flush().await?;
    let counting = Arc::clone(&counters);
    tokio::spawn(async move {
        while let Some(message) = subscription.next().await {
            counting.record_message(&message.payload);
        }
    });
    serve_counts(addr, counters).await?;
    Ok(())
}

/// Runs a mock Kafka cluster with `topic` (`partitions` partitions), writes its bootstrap
/// servers to `bootstrap_file`, counts what is produced to the topic; serves the counts on
/// `addr`.
pub async fn kafka_mock(
    addr: SocketAddr,
    topic: &str,
    partitions: i32,
    bootstrap_file: &Path,
) -> Result<(), Box<dyn std::error::Error>> {
    let cluster = MockCluster::new(1)?;
    cluster.create_topic(topic, partitions, 1)?;
    let bootstrap = cluster.bootstrap_servers();
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", &bootstrap)
        .set("group.id", "falconer-bench")
        .set("enable.auto.commit", "false")
        .create()?;
    let mut assignment = TopicPartitionList::new();
    for p in 0..partitions {
        assignment.add_partition_offset(topic, p, Offset::Beginning)?;
    }
    consumer.assign(&assignment)?;
    std::fs::write(bootstrap_file, &bootstrap)?;
    let counters = Arc::new(Counters::default());
    let counting = Arc::clone(&counters);
    std::thread::spawn(move || loop {
        if let Some(Ok(message)) = consumer.poll(Duration::from_millis(100)) {
            counting.record_message(message.payload().unwrap_or_default());
        }
    });
    let served = serve_counts(addr, counters).await;
    drop(cluster);
    served?;
    Ok(())
}
