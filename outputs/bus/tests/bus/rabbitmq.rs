//! Against the real RabbitMQ on 127.0.0.1:5672 (guest/guest): the bytes and properties a
//! consumer gets from the default exchange and from a configured exchange; a missing exchange
//! is refused for good and the next send goes through on a new channel; an unroutable message
//! is refused; a missing vhost is refused; a broker that is down is retried.

use std::time::Duration;

use falconer_config::{CommonSettings, GlobalSettings, GoDuration};
use falconer_testkit::{enriched, DeliveryHarness, UnderTest, CONFIGMAP_ALERT, SHELL_ALERT};
use lapin::options::{
    BasicGetOptions, ExchangeDeclareOptions, ExchangeDeleteOptions, QueueBindOptions,
    QueueDeclareOptions, QueueDeleteOptions,
};
use lapin::types::FieldTable;
use lapin::{Channel, Connection, ConnectionProperties, ExchangeKind};
use serde_json::{json, Value};

const URL: &str = "amqp://guest:guest@127.0.0.1:5672/";
/// The same, in the form lapin reads (`%2f` is the vhost `/`).
const ADMIN_URL: &str = "amqp://guest:guest@127.0.0.1:5672/%2f";
const WAIT: Duration = Duration::from_secs(20);
const DELIVERED: &str =
    r#"falconer_output_deliveries_total{kind="rabbitmq",output="rabbitmq",status="ok"}"#;

fn unique(prefix: &str) -> String {
    format!("{prefix}-{}", uuid::Uuid::new_v4().simple())
}

fn quick() -> CommonSettings {
    let mut c = CommonSettings::default();
    c.retry.initialbackoff = Some(GoDuration(Duration::from_millis(20)));
    c.retry.maxbackoff = Some(GoDuration(Duration::from_millis(100)));
    c.retry.maxattempts = Some(3);
    c.breaker.failures = 0;
    c
}

async fn start(settings: Value) -> DeliveryHarness {
    DeliveryHarness::start(
        vec![
            UnderTest::new(falconer_outputs_bus::rabbitmq::KIND, "rabbitmq", settings)
                .common(quick()),
        ],
        GlobalSettings::default(),
    )
    .await
}

/// A channel of a separate admin connection.
async fn admin() -> (Connection, Channel) {
    let props = ConnectionProperties::default()
        .with_executor(tokio_executor_trait::Tokio::current())
        .with_reactor(tokio_reactor_trait::Tokio::current());
    let conn = Connection::connect(ADMIN_URL, props)
        .await
        .expect("RabbitMQ on 5672 is up");
    let channel = conn.create_channel().await.expect("channel");
    (conn, channel)
}

async fn declare_queue(channel: &Channel, queue: &str) {
    channel
        .queue_declare(queue, QueueDeclareOptions::default(), FieldTable::default())
        .await
        .expect("queue.declare");
}

async fn get_all(channel: &Channel, queue: &str, n: usize) -> Vec<lapin::message::BasicGetMessage> {
    let mut got = Vec::new();
    let deadline = tokio::time::Instant::now() + WAIT;
    while got.len() < n {
        match channel
            .basic_get(queue, BasicGetOptions { no_ack: true })
            .await
            .expect("basic.get")
        {
            Some(m) => got.push(m),
            None => {
                assert!(
                    tokio::time::Instant::now() < deadline,
                    "{n} messages in time"
                );
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
    }
    got
}

#[tokio::test]
async fn a_consumer_gets_every_payload_from_the_default_exchange_with_the_queue_as_key() {
    let (_conn, channel) = admin().await;
    let queue = unique("falconertest");
    declare_queue(&channel, &queue).await;
    let env = start(json!({"url": URL, "queue": queue})).await;
    let alerts = [
        enriched(CONFIGMAP_ALERT, 1),
        enriched(SHELL_ALERT, 2),
        enriched(SHELL_ALERT, 3),
    ];
    for a in &alerts {
        env.dispatcher.dispatch(a.clone()).await;
    }
    env.dispatcher.shutdown(WAIT).await;
    assert_eq!(env.metric(DELIVERED), 3.0);
    let got = get_all(&channel, &queue, 3).await;
    for (m, a) in got.iter().zip(&alerts) {
        assert_eq!(m.delivery.data, a.to_json());
        assert_eq!(m.delivery.exchange.as_str(), "");
        assert_eq!(m.delivery.routing_key.as_str(), queue);
        let p = &m.delivery.properties;
        assert_eq!(
            p.content_type().as_ref().map(|s| s.as_str()),
            Some("text/plain")
        );
        assert_eq!(p.delivery_mode(), &Some(2));
        assert_eq!(
            p.message_id().as_ref().map(|s| s.as_str()),
            Some(a.uuid.as_str())
        );
    }
    channel
        .queue_delete(&queue, QueueDeleteOptions::default())
        .await
        .expect("cleanup");
}

#[tokio::test]
async fn a_missing_exchange_is_refused_for_good_and_the_next_send_goes_through() {
    let (_conn, channel) = admin().await;
    let exchange = unique("falconertest-x");
    let queue = unique("falconertest");
    let env = start(json!({
        "url": URL, "queue": queue, "exchange": exchange, "routingkey": "falco.alerts",
    }))
    .await;
    // The exchange does not exist yet: the broker closes the channel with 404.
    env.dispatcher.dispatch(enriched(SHELL_ALERT, 1)).await;
    let deadline = tokio::time::Instant::now() + WAIT;
    while env.metric(
        r#"falconer_output_dropped_total{kind="rabbitmq",output="rabbitmq",reason="rejected"}"#,
    ) < 1.0
    {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the alert is refused in time"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    channel
        .exchange_declare(
            &exchange,
            ExchangeKind::Direct,
            ExchangeDeclareOptions::default(),
            FieldTable::default(),
        )
        .await
        .expect("exchange.declare");
    declare_queue(&channel, &queue).await;
    channel
        .queue_bind(
            &queue,
            &exchange,
            "falco.alerts",
            QueueBindOptions::default(),
            FieldTable::default(),
        )
        .await
        .expect("queue.bind");
    let second = enriched(CONFIGMAP_ALERT, 2);
    env.dispatcher.dispatch(second.clone()).await;
    env.dispatcher.shutdown(WAIT).await;

    let letters = env.dead_letters();
    assert_eq!(letters.len(), 1);
    assert_eq!(letters[0].meta.reason, "rejected");
    assert_eq!(letters[0].meta.attempts, 1);
    assert!(
        letters[0].meta.error.contains("NOT_FOUND") || letters[0].meta.error.contains("404"),
        "{}",
        letters[0].meta.error
    );
    assert_eq!(env.metric(DELIVERED), 1.0);
    let got = get_all(&channel, &queue, 1).await;
    assert_eq!(got[0].delivery.data, second.to_json());
    assert_eq!(got[0].delivery.exchange.as_str(), exchange);
    assert_eq!(got[0].delivery.routing_key.as_str(), "falco.alerts");
    channel
        .queue_delete(&queue, QueueDeleteOptions::default())
        .await
        .expect("cleanup");
    channel
        .exchange_delete(&exchange, ExchangeDeleteOptions::default())
        .await
        .expect("cleanup");
}

#[tokio::test]
async fn a_message_no_queue_takes_is_returned_and_refused() {
    let env = start(json!({"url": URL, "queue": unique("falconertest-nowhere")})).await;
    env.dispatcher.dispatch(enriched(SHELL_ALERT, 1)).await;
    env.dispatcher.shutdown(WAIT).await;
    let letters = env.dead_letters();
    assert_eq!(letters.len(), 1);
    assert_eq!(letters[0].meta.reason, "rejected");
    assert!(
        letters[0].meta.error.contains("312") && letters[0].meta.error.contains("NO_ROUTE"),
        "{}",
        letters[0].meta.error
    );
}

#[tokio::test]
async fn a_missing_vhost_is_refused_for_good() {
    let env = start(json!({
        "url": "amqp://guest:guest@127.0.0.1:5672/falconer-no-such-vhost",
        "queue": "q",
    }))
    .await;
    env.dispatcher.dispatch(enriched(SHELL_ALERT, 1)).await;
    env.dispatcher.shutdown(WAIT).await;
    let letters = env.dead_letters();
    assert_eq!(letters.len(), 1);
    assert_eq!(
        letters[0].meta.reason, "rejected",
        "{}",
        letters[0].meta.error
    );
    assert_eq!(letters[0].meta.attempts, 1);
}

#[tokio::test]
async fn a_broker_that_is_down_is_retried_then_dead_lettered() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port");
    let env =
        start(json!({"url": format!("amqp://guest:guest@127.0.0.1:{port}/"), "queue": "q"})).await;
    env.dispatcher.dispatch(enriched(SHELL_ALERT, 1)).await;
    env.dispatcher.shutdown(WAIT).await;
    assert_eq!(
        env.metric(r#"falconer_output_attempts_total{kind="rabbitmq",output="rabbitmq"}"#),
        3.0
    );
    let letters = env.dead_letters();
    assert_eq!(letters.len(), 1);
    assert_eq!(letters[0].meta.reason, "retries_exhausted");
}

#[tokio::test]
async fn bad_credentials_are_refused_for_good() {
    let env = start(json!({"url": "amqp://guest:wrong@127.0.0.1:5672/", "queue": "q"})).await;
    env.dispatcher.dispatch(enriched(SHELL_ALERT, 1)).await;
    env.dispatcher.shutdown(WAIT).await;
    let letters = env.dead_letters();
    assert_eq!(letters.len(), 1);
    assert_eq!(
        letters[0].meta.reason, "rejected",
        "{}",
        letters[0].meta.error
    );
    assert!(
        letters[0].meta.error.contains("ACCESS_REFUSED"),
        "{}",
        letters[0].meta.error
    );
}

/// `rabbitmqctl` output line of the connection whose client name contains `name`.
fn connection_pid(name: &str) -> Option<String> {
    let out = std::process::Command::new("rabbitmqctl")
        .args(["list_connections", "pid", "client_properties"])
        .output()
        .expect("rabbitmqctl is installed");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .find(|l| l.contains(name))
        .and_then(|l| l.split_whitespace().next().map(str::to_owned))
}

#[tokio::test]
async fn a_connection_the_broker_closes_is_reopened_for_the_next_send() {
    let (_conn, channel) = admin().await;
    let queue = unique("falconertest");
    declare_queue(&channel, &queue).await;
    let name = unique("rabbitmq");
    let env = DeliveryHarness::start(
        vec![UnderTest::new(
            falconer_outputs_bus::rabbitmq::KIND,
            &name,
            json!({"url": URL, "queue": queue}),
        )
        .common(quick())],
        GlobalSettings::default(),
    )
    .await;
    let delivered = format!(
        r#"falconer_output_deliveries_total{{kind="rabbitmq",output="{name}",status="ok"}}"#
    );
    let first = enriched(SHELL_ALERT, 1);
    env.dispatcher.dispatch(first.clone()).await;
    let deadline = tokio::time::Instant::now() + WAIT;
    while env.metric(&delivered) < 1.0 {
        assert!(tokio::time::Instant::now() < deadline, "delivered in time");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    let pid = connection_pid(&format!("falconer:{name}")).expect("Falconer's connection is listed");
    let closed = std::process::Command::new("rabbitmqctl")
        .args(["close_connection", &pid, "test: forced close"])
        .output()
        .expect("rabbitmqctl close_connection");
    assert!(closed.status.success());

    let second = enriched(CONFIGMAP_ALERT, 2);
    env.dispatcher.dispatch(second.clone()).await;
    env.dispatcher.shutdown(WAIT).await;
    assert_eq!(env.metric(&delivered), 2.0);
    assert!(env.dead_letters().is_empty());
    let got = get_all(&channel, &queue, 2).await;
    assert_eq!(got[0].delivery.data, first.to_json());
    assert_eq!(got[1].delivery.data, second.to_json());
    let reopened = connection_pid(&format!("falconer:{name}"));
    assert!(reopened.is_none() || reopened.as_deref() != Some(pid.as_str()));
    channel
        .queue_delete(&queue, QueueDeleteOptions::default())
        .await
        .expect("cleanup");
}
