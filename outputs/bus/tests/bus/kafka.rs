//! Against librdkafka's mock cluster (real Kafka protocol over loopback TCP): what is produced
//! is consumed back and compared (key, value, headers, partition); broker errors injected into
//! produce requests are retried by the delivery core, and refusals are dead-lettered.

use std::collections::BTreeMap;
use std::time::Duration;

use falconer_config::GlobalSettings;
use falconer_testkit::{enriched, DeliveryHarness, UnderTest, CONFIGMAP_ALERT, SHELL_ALERT};
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::{Headers, Message};
use rdkafka::mocking::MockCluster;
use rdkafka::producer::DefaultProducerContext;
use rdkafka::types::{RDKafkaApiKey, RDKafkaRespErr};
use rdkafka::{ClientConfig, Offset, TopicPartitionList};
use serde_json::{json, Value};

const WAIT: Duration = Duration::from_secs(30);
const PARTITIONS: i32 = 3;

/// One consumed message.
#[derive(Debug)]
struct Consumed {
    partition: i32,
    key: Option<String>,
    value: Vec<u8>,
    headers: BTreeMap<String, String>,
}

fn cluster(topic: &str) -> MockCluster<'static, DefaultProducerContext> {
    let cluster = MockCluster::new(1).expect("a mock cluster");
    cluster
        .create_topic(topic, PARTITIONS, 1)
        .expect("the topic is created");
    cluster
}

async fn start(settings: Value) -> DeliveryHarness {
    let common = falconer_testkit::fast_retries(4);
    DeliveryHarness::start(
        vec![UnderTest::new(falconer_outputs_bus::kafka::KIND, "kafka", settings).common(common)],
        GlobalSettings::default(),
    )
    .await
}

/// Reads every message of `topic` from the beginning until `count` arrived (or 20 s passed).
fn consume(bootstrap: &str, topic: &str, count: usize) -> Vec<Consumed> {
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .set("group.id", "falconer-test")
        .set("enable.auto.commit", "false")
        .create()
        .expect("a consumer");
    let mut assignment = TopicPartitionList::new();
    for p in 0..PARTITIONS {
        assignment
            .add_partition_offset(topic, p, Offset::Beginning)
            .expect("partition");
    }
    consumer.assign(&assignment).expect("assign");
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    let mut got = Vec::new();
    while got.len() < count && std::time::Instant::now() < deadline {
        let Some(message) = consumer.poll(Duration::from_millis(200)) else {
            continue;
        };
        let message = message.expect("a message, not an error");
        let mut headers = BTreeMap::new();
        if let Some(h) = message.headers() {
            for header in h.iter() {
                let value = header
                    .value
                    .map(|v| String::from_utf8_lossy(v).into_owned());
                headers.insert(header.key.to_owned(), value.unwrap_or_default());
            }
        }
        got.push(Consumed {
            partition: message.partition(),
            key: message
                .key()
                .map(|k| String::from_utf8_lossy(k).into_owned()),
            value: message.payload().unwrap_or_default().to_vec(),
            headers,
        });
    }
    got
}

#[tokio::test]
async fn key_value_and_headers_arrive_as_configured() {
    let topic = "falco-keyed";
    let mock = cluster(topic);
    let bootstrap = mock.bootstrap_servers();
    let env = start(json!({
        "hostport": bootstrap,
        "topic": topic,
        "balancer": "murmur2",
        "compression": "GZIP",
        "key": "{{.Rule}}",
        "headers": {"priority": "{{.Priority}}", "source": "{{.Source}}"},
    }))
    .await;
    let alerts = [
        enriched(SHELL_ALERT, 1),
        enriched(CONFIGMAP_ALERT, 2),
        enriched(SHELL_ALERT, 3),
    ];
    for a in &alerts {
        env.dispatcher.dispatch(a.clone()).await;
    }
    env.dispatcher.shutdown(WAIT).await;

    let mut got = tokio::task::spawn_blocking(move || consume(&bootstrap, topic, 3))
        .await
        .expect("consumer thread");
    assert_eq!(got.len(), 3, "every alert arrives once: {got:?}");
    got.sort_by(|a, b| a.value.cmp(&b.value));
    let mut want: Vec<_> = alerts.iter().collect();
    want.sort_by(|a, b| a.json_bytes().as_ref().cmp(b.json_bytes().as_ref()));
    for (message, alert) in got.iter().zip(want) {
        assert_eq!(
            message.value,
            alert.json_bytes().as_ref(),
            "value = payload JSON"
        );
        assert_eq!(message.key.as_deref(), Some(alert.rule.as_str()));
        let headers: BTreeMap<String, String> = [
            ("priority".to_owned(), alert.priority.to_string()),
            ("source".to_owned(), alert.source.clone()),
        ]
        .into();
        assert_eq!(message.headers, headers);
    }
    // Same key, same partition: the two shell alerts keep their order.
    let shell: Vec<_> = got
        .iter()
        .filter(|m| m.key.as_deref() == Some(alerts[0].rule.as_str()))
        .collect();
    assert_eq!(shell.len(), 2);
    assert_eq!(shell[0].partition, shell[1].partition);
    assert_eq!(
        env.metric(r#"falcosecurity_falcosidekick_outputs_total{destination="kafka",status="ok"}"#),
        3.0
    );
}

#[tokio::test]
async fn falcosidekick_defaults_send_the_payload_without_key_or_headers() {
    let topic = "falco-plain";
    let mock = cluster(topic);
    let bootstrap = mock.bootstrap_servers();
    let env = start(json!({"hostport": bootstrap, "topic": topic})).await;
    let alert = enriched(CONFIGMAP_ALERT, 7);
    env.dispatcher.dispatch(alert.clone()).await;
    env.dispatcher.shutdown(WAIT).await;
    let got = tokio::task::spawn_blocking(move || consume(&bootstrap, topic, 1))
        .await
        .expect("consumer thread");
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].value, alert.json_bytes().as_ref());
    assert_eq!(got[0].key, None);
    assert!(got[0].headers.is_empty());
}

#[tokio::test]
async fn broker_errors_are_retried_by_the_core_and_delivered_once() {
    let topic = "falco-retried";
    let mock = cluster(topic);
    // The next two produce requests fail with a retriable broker error.
    mock.request_errors(
        RDKafkaApiKey::Produce,
        &[
            RDKafkaRespErr::RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS,
            RDKafkaRespErr::RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS,
        ],
    );
    let bootstrap = mock.bootstrap_servers();
    let env = start(json!({"hostport": bootstrap, "topic": topic})).await;
    let alert = enriched(SHELL_ALERT, 9);
    env.dispatcher.dispatch(alert.clone()).await;
    env.dispatcher.shutdown(WAIT).await;

    assert_eq!(
        env.metric(r#"falconer_output_retries_total{kind="kafka",output="kafka"}"#),
        2.0,
        "two failed attempts, each retried"
    );
    assert_eq!(
        env.metric(r#"falconer_output_deliveries_total{kind="kafka",output="kafka",status="ok"}"#),
        1.0
    );
    assert!(env.dead_letters().is_empty());
    let got = tokio::task::spawn_blocking(move || consume(&bootstrap, topic, 2))
        .await
        .expect("consumer thread");
    assert_eq!(got.len(), 1, "delivered exactly once");
    assert_eq!(got[0].value, alert.json_bytes().as_ref());
}

#[tokio::test]
async fn a_refused_message_is_dead_lettered_without_retries() {
    let topic = "falco-refused";
    let mock = cluster(topic);
    mock.request_errors(
        RDKafkaApiKey::Produce,
        &[RDKafkaRespErr::RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED],
    );
    let env = start(json!({"hostport": mock.bootstrap_servers(), "topic": topic})).await;
    env.dispatcher.dispatch(enriched(SHELL_ALERT, 11)).await;
    env.dispatcher.shutdown(WAIT).await;
    let letters = env.dead_letters();
    assert_eq!(letters.len(), 1);
    assert_eq!(letters[0].meta.reason, "rejected");
    assert_eq!(letters[0].meta.attempts, 1);
    assert!(
        letters[0].meta.error.contains("authoriz"),
        "{}",
        letters[0].meta.error
    );
}

#[tokio::test]
async fn a_broker_that_is_down_is_retried_then_dead_lettered() {
    // Nothing listens on this port (a listener bound and dropped).
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port();
    let env = start(json!({"hostport": format!("127.0.0.1:{port}"), "topic": "falco"})).await;
    env.dispatcher.dispatch(enriched(SHELL_ALERT, 12)).await;
    env.dispatcher.shutdown(Duration::from_secs(60)).await;
    let letters = env.dead_letters();
    assert_eq!(letters.len(), 1);
    assert_eq!(letters[0].meta.reason, "retries_exhausted");
    assert_eq!(letters[0].meta.attempts, 4);
}
