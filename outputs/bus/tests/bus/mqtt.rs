//! Against the real Mosquitto on 127.0.0.1:1883 (anonymous allowed), and private Mosquitto
//! processes on free ports for outages and authentication: what a subscriber receives (topic,
//! exact payload, retain flag) at QoS 0, 1 and 2; a broker that is down is retried; a broker
//! that comes back (or restarts) is reconnected to; bad credentials are refused for good.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use falconer_config::{CommonSettings, GlobalSettings, GoDuration};
use falconer_testkit::{enriched, DeliveryHarness, UnderTest, CONFIGMAP_ALERT, SHELL_ALERT};
use rumqttc::{AsyncClient, Event, EventLoop, MqttOptions, Packet, Publish, QoS};
use serde_json::{json, Value};

const BROKER: &str = "tcp://127.0.0.1:1883";
const WAIT: Duration = Duration::from_secs(20);

fn topic() -> String {
    format!("falconertest/{}/events", uuid::Uuid::new_v4().simple())
}

fn quick(attempts: u32) -> CommonSettings {
    let mut c = CommonSettings::default();
    c.retry.initialbackoff = Some(GoDuration(Duration::from_millis(50)));
    c.retry.maxbackoff = Some(GoDuration(Duration::from_millis(200)));
    c.retry.maxattempts = Some(attempts);
    // No circuit breaker: its cooldown (10 s) would hold back the retries of the outage test.
    c.breaker.failures = 0;
    c
}

async fn start(settings: Value, attempts: u32) -> DeliveryHarness {
    DeliveryHarness::start(
        vec![
            UnderTest::new(falconer_outputs_bus::mqtt::KIND, "mqtt", settings)
                .common(quick(attempts)),
        ],
        GlobalSettings::default(),
    )
    .await
}

/// A subscriber on `topic` (QoS 2, so every publish reaches it as sent).
struct Subscriber {
    eventloop: EventLoop,
    _client: AsyncClient,
}

impl Subscriber {
    async fn new(port: u16, topic: &str) -> Subscriber {
        let id = format!("sub-{}", &uuid::Uuid::new_v4().simple().to_string()[..8]);
        let mut options = MqttOptions::new(id, "127.0.0.1", port);
        options.set_max_packet_size(1 << 20, 1 << 20);
        let (client, mut eventloop) = AsyncClient::new(options, 10);
        client
            .subscribe(topic, QoS::ExactlyOnce)
            .await
            .expect("subscribe request");
        loop {
            match tokio::time::timeout(WAIT, eventloop.poll()).await {
                Ok(Ok(Event::Incoming(Packet::SubAck(_)))) => break,
                Ok(Ok(_)) => {}
                other => panic!("the broker on {port} is up and accepts subscriptions: {other:?}"),
            }
        }
        Subscriber {
            eventloop,
            _client: client,
        }
    }

    async fn next(&mut self) -> Publish {
        loop {
            match tokio::time::timeout(WAIT, self.eventloop.poll()).await {
                Ok(Ok(Event::Incoming(Packet::Publish(p)))) => return p,
                Ok(Ok(_)) => {}
                other => panic!("a message in time: {other:?}"),
            }
        }
    }
}

#[tokio::test]
async fn a_subscriber_gets_the_payload_on_the_topic_at_qos_0_1_and_2() {
    for qos in [0u8, 1, 2] {
        let t = topic();
        let mut sub = Subscriber::new(1883, &t).await;
        let env = start(json!({"broker": BROKER, "topic": t, "qos": qos}), 3).await;
        let alerts = [enriched(CONFIGMAP_ALERT, 1), enriched(SHELL_ALERT, 2)];
        for a in &alerts {
            env.dispatcher.dispatch(a.clone()).await;
        }
        for a in &alerts {
            let got = sub.next().await;
            assert_eq!(got.topic, t, "qos {qos}");
            assert_eq!(got.payload, a.json_bytes().clone(), "qos {qos}");
            assert!(!got.retain);
            // The subscription is QoS 2: the message keeps the QoS it was published with.
            assert_eq!(got.qos as u8, qos);
        }
        env.dispatcher.shutdown(WAIT).await;
        assert_eq!(
            env.metric(
                r#"falconer_output_deliveries_total{kind="mqtt",output="mqtt",status="ok"}"#
            ),
            2.0,
            "qos {qos}"
        );
        assert_eq!(
            env.metric(
                r#"falcosecurity_falcosidekick_outputs_total{destination="mqtt",status="ok"}"#
            ),
            2.0
        );
        assert!(env.dead_letters().is_empty());
    }
}

#[tokio::test]
async fn a_retained_alert_reaches_a_later_subscriber() {
    let t = topic();
    let env = start(
        json!({"broker": BROKER, "topic": t, "qos": "1", "retained": "true"}),
        3,
    )
    .await;
    let alert = enriched(SHELL_ALERT, 7);
    env.dispatcher.dispatch(alert.clone()).await;
    env.dispatcher.shutdown(WAIT).await;
    // The QoS 1 send completed on the PUBACK: the broker stored it before anyone subscribed.
    assert_eq!(
        env.metric(r#"falconer_output_deliveries_total{kind="mqtt",output="mqtt",status="ok"}"#),
        1.0
    );
    let mut sub = Subscriber::new(1883, &t).await;
    let got = sub.next().await;
    assert!(got.retain);
    assert_eq!(got.payload, alert.json_bytes().clone());

    // Clear the retained message: an empty retained publish.
    let (client, mut eventloop) =
        AsyncClient::new(MqttOptions::new("cleaner", "127.0.0.1", 1883), 10);
    client
        .publish(&t, QoS::AtLeastOnce, true, Vec::new())
        .await
        .expect("clear request");
    loop {
        match tokio::time::timeout(WAIT, eventloop.poll()).await {
            Ok(Ok(Event::Incoming(Packet::PubAck(_)))) => break,
            Ok(Ok(_)) => {}
            other => panic!("cleanup: {other:?}"),
        }
    }
}

const DELIVERED: &str =
    r#"falconer_output_deliveries_total{kind="mqtt",output="mqtt",status="ok"}"#;

async fn wait_for_deliveries(env: &DeliveryHarness, n: f64) {
    let deadline = tokio::time::Instant::now() + WAIT;
    while env.metric(DELIVERED) < n {
        assert!(
            tokio::time::Instant::now() < deadline,
            "{n} deliveries in time"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

#[tokio::test]
async fn a_broker_that_is_down_is_retried_then_dead_lettered() {
    let port = free_port();
    let env = start(
        json!({"broker": format!("tcp://127.0.0.1:{port}"), "qos": 1}),
        3,
    )
    .await;
    env.dispatcher.dispatch(enriched(SHELL_ALERT, 1)).await;
    env.dispatcher.shutdown(WAIT).await;
    assert_eq!(
        env.metric(r#"falconer_output_attempts_total{kind="mqtt",output="mqtt"}"#),
        3.0
    );
    let letters = env.dead_letters();
    assert_eq!(letters.len(), 1);
    assert_eq!(letters[0].meta.reason, "retries_exhausted");
    assert!(
        letters[0].meta.error.contains("connection failed"),
        "{}",
        letters[0].meta.error
    );
}

/// A private Mosquitto, killed when dropped.
struct Mosquitto {
    child: Child,
    port: u16,
}

impl Mosquitto {
    fn start(dir: &Path, port: u16, extra: &str) -> Mosquitto {
        let conf = dir.join(format!("mosquitto-{port}.conf"));
        std::fs::write(
            &conf,
            format!("listener {port} 127.0.0.1\npersistence false\n{extra}\n"),
        )
        .expect("write mosquitto.conf");
        let child = Command::new("mosquitto")
            .arg("-c")
            .arg(&conf)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("mosquitto is installed");
        let deadline = std::time::Instant::now() + WAIT;
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                std::time::Instant::now() < deadline,
                "mosquitto on {port} did not start"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        Mosquitto { child, port }
    }
}

impl Drop for Mosquitto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test]
async fn a_broker_down_at_startup_then_restarted_is_reconnected_to() {
    let dir = tempfile::tempdir().expect("temp dir");
    let port = free_port();
    let t = topic();
    // Falconer starts while nothing listens; up to 40 attempts, 50–200 ms apart.
    let env = start(
        json!({"broker": format!("tcp://127.0.0.1:{port}"), "topic": t, "qos": 1}),
        40,
    )
    .await;
    env.dispatcher.dispatch(enriched(SHELL_ALERT, 1)).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let broker = Mosquitto::start(dir.path(), port, "allow_anonymous true");
    // The first alert is retried until the broker is up.
    wait_for_deliveries(&env, 1.0).await;
    let mut sub = Subscriber::new(broker.port, &t).await;
    env.dispatcher.dispatch(enriched(SHELL_ALERT, 2)).await;
    assert_eq!(
        sub.next().await.payload,
        enriched(SHELL_ALERT, 2).json_bytes().clone()
    );

    // The broker restarts: the connection is re-established and the next alert goes through.
    drop(sub);
    drop(broker);
    let broker = Mosquitto::start(dir.path(), port, "allow_anonymous true");
    let mut sub = Subscriber::new(broker.port, &t).await;
    env.dispatcher.dispatch(enriched(SHELL_ALERT, 3)).await;
    assert_eq!(
        sub.next().await.payload,
        enriched(SHELL_ALERT, 3).json_bytes().clone()
    );
    env.dispatcher.shutdown(WAIT).await;
    assert_eq!(
        env.metric(r#"falconer_output_deliveries_total{kind="mqtt",output="mqtt",status="ok"}"#),
        3.0
    );
    assert!(env.dead_letters().is_empty());
    assert!(
        env.metric(r#"falconer_output_retries_total{kind="mqtt",output="mqtt"}"#) >= 1.0,
        "the first alert needed retries"
    );
}

#[tokio::test]
async fn credentials_are_sent_and_bad_ones_are_refused_for_good() {
    let dir = tempfile::tempdir().expect("temp dir");
    let passwd = dir.path().join("passwd");
    let status = Command::new("mosquitto_passwd")
        .args(["-c", "-b"])
        .arg(&passwd)
        .args(["falco", "s3cret"])
        .status()
        .expect("mosquitto_passwd is installed");
    assert!(status.success());
    let port = free_port();
    let _broker = Mosquitto::start(
        dir.path(),
        port,
        &format!("allow_anonymous false\npassword_file {}", passwd.display()),
    );
    let broker = format!("tcp://127.0.0.1:{port}");

    let good = start(
        json!({"broker": broker, "qos": 1, "user": "falco", "password": "s3cret"}),
        3,
    )
    .await;
    good.dispatcher.dispatch(enriched(SHELL_ALERT, 1)).await;
    good.dispatcher.shutdown(WAIT).await;
    assert_eq!(
        good.metric(r#"falconer_output_deliveries_total{kind="mqtt",output="mqtt",status="ok"}"#),
        1.0
    );

    let bad = start(
        json!({"broker": broker, "qos": 1, "user": "falco", "password": "wrong"}),
        3,
    )
    .await;
    bad.dispatcher.dispatch(enriched(SHELL_ALERT, 2)).await;
    bad.dispatcher.shutdown(WAIT).await;
    let letters = bad.dead_letters();
    assert_eq!(letters.len(), 1);
    assert_eq!(letters[0].meta.reason, "rejected");
    assert_eq!(letters[0].meta.attempts, 1);
    assert!(
        letters[0].meta.error.contains("BadUserNamePassword")
            || letters[0].meta.error.contains("NotAuthorized"),
        "{}",
        letters[0].meta.error
    );
}

async fn start_with(settings: Value, global: GlobalSettings) -> DeliveryHarness {
    DeliveryHarness::start(
        vec![UnderTest::new(falconer_outputs_bus::mqtt::KIND, "mqtt", settings).common(quick(2))],
        global,
    )
    .await
}

#[tokio::test]
async fn tls_brokers_are_verified_with_the_configured_ca_and_mutual_tls_presents_the_client_certificate(
) {
    let pki = falconer_testkit::TestPki::new();
    let server = pki.server();
    let dir = tempfile::tempdir().expect("temp dir");
    let port = free_port();
    let _broker = Mosquitto::start(
        dir.path(),
        port,
        &format!(
            "allow_anonymous true\ncafile {}\ncertfile {}\nkeyfile {}",
            pki.ca().display(),
            server.cert.display(),
            server.key.display()
        ),
    );
    let broker = format!("ssl://127.0.0.1:{port}");
    let delivered = |env: &DeliveryHarness| env.metric(DELIVERED);

    // The test CA is trusted through tlsclient.cacertfile.
    let mut global = GlobalSettings::default();
    global.tlsclient.cacertfile = pki.ca().display().to_string();
    let env = start_with(json!({"broker": broker, "qos": 1}), global).await;
    env.dispatcher.dispatch(enriched(SHELL_ALERT, 1)).await;
    env.dispatcher.shutdown(WAIT).await;
    assert_eq!(delivered(&env), 1.0);

    // Not trusted: the handshake fails, a connection error that is retried.
    let env = start_with(
        json!({"broker": broker, "qos": 1}),
        GlobalSettings::default(),
    )
    .await;
    env.dispatcher.dispatch(enriched(SHELL_ALERT, 2)).await;
    env.dispatcher.shutdown(WAIT).await;
    assert_eq!(delivered(&env), 0.0);
    let letters = env.dead_letters();
    assert_eq!(letters[0].meta.reason, "retries_exhausted");
    assert!(
        letters[0].meta.error.contains("TLS") || letters[0].meta.error.contains("certificate"),
        "{}",
        letters[0].meta.error
    );

    // checkcert: false accepts it anyway (falcosidekick's InsecureSkipVerify).
    let env = start_with(
        json!({"broker": broker, "qos": 1, "checkcert": false}),
        GlobalSettings::default(),
    )
    .await;
    env.dispatcher.dispatch(enriched(SHELL_ALERT, 3)).await;
    env.dispatcher.shutdown(WAIT).await;
    assert_eq!(delivered(&env), 1.0);

    // A broker that requires client certificates.
    let mtls_port = free_port();
    let _mtls_broker = Mosquitto::start(
        dir.path(),
        mtls_port,
        &format!(
            "allow_anonymous true\nrequire_certificate true\ncafile {}\ncertfile {}\nkeyfile {}",
            pki.ca().display(),
            server.cert.display(),
            server.key.display()
        ),
    );
    let client = pki.client();
    let mut global = GlobalSettings::default();
    global.mutualtlsclient.certfile = client.cert.display().to_string();
    global.mutualtlsclient.keyfile = client.key.display().to_string();
    global.mutualtlsclient.cacertfile = pki.ca().display().to_string();
    let mtls = format!("ssl://localhost:{mtls_port}");
    let env = start_with(
        json!({"broker": mtls, "qos": 1, "mutualtls": true}),
        global.clone(),
    )
    .await;
    env.dispatcher.dispatch(enriched(SHELL_ALERT, 4)).await;
    env.dispatcher.shutdown(WAIT).await;
    assert_eq!(delivered(&env), 1.0);
    // Without the client certificate the broker hangs up.
    global.tlsclient.cacertfile = pki.ca().display().to_string();
    let env = start_with(json!({"broker": mtls, "qos": 1}), global).await;
    env.dispatcher.dispatch(enriched(SHELL_ALERT, 5)).await;
    env.dispatcher.shutdown(WAIT).await;
    assert_eq!(delivered(&env), 0.0);
    assert_eq!(env.dead_letters().len(), 1);
}
