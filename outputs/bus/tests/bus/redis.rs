//! Against the real Redis on 127.0.0.1:6379: a list gets the payloads in order, a hash gets
//! them under their UUIDs, a wrong-type key is refused for good, a server that is down is
//! retried.

use std::time::Duration;

use falconer_config::GlobalSettings;
use falconer_testkit::{enriched, DeliveryHarness, UnderTest, CONFIGMAP_ALERT, SHELL_ALERT};
use serde_json::{json, Value};

const REDIS: &str = "127.0.0.1:6379";
const WAIT: Duration = Duration::from_secs(20);

fn key() -> String {
    format!("falconertest:{}", uuid::Uuid::new_v4().simple())
}

async fn start(settings: Value) -> DeliveryHarness {
    let common = falconer_testkit::fast_retries(3);
    DeliveryHarness::start(
        vec![UnderTest::new(falconer_outputs_bus::redis::KIND, "redis", settings).common(common)],
        GlobalSettings::default(),
    )
    .await
}

async fn redis() -> redis::aio::MultiplexedConnection {
    redis::Client::open(format!("redis://{REDIS}/"))
        .expect("client")
        .get_multiplexed_async_connection()
        .await
        .expect("the Redis server on 6379 is up")
}

#[tokio::test]
async fn a_list_gets_every_payload_in_order_and_a_hash_gets_them_by_uuid() {
    let (list, hash) = (key(), key());
    let to_list = start(json!({"address": REDIS, "key": list})).await;
    let to_hash = start(json!({"address": REDIS, "key": hash, "storagetype": "hashmap"})).await;
    let alerts = [
        enriched(CONFIGMAP_ALERT, 1),
        enriched(SHELL_ALERT, 2),
        enriched(SHELL_ALERT, 3),
    ];
    for a in &alerts {
        to_list.dispatcher.dispatch(a.clone()).await;
        to_hash.dispatcher.dispatch(a.clone()).await;
    }
    to_list.dispatcher.shutdown(WAIT).await;
    to_hash.dispatcher.shutdown(WAIT).await;

    let mut conn = redis().await;
    let got: Vec<Vec<u8>> = redis::cmd("LRANGE")
        .arg(&list)
        .arg(0)
        .arg(-1)
        .query_async(&mut conn)
        .await
        .expect("LRANGE");
    let want: Vec<Vec<u8>> = alerts.iter().map(|a| a.to_json().to_vec()).collect();
    assert_eq!(got, want);
    let stored: std::collections::BTreeMap<String, Vec<u8>> = redis::cmd("HGETALL")
        .arg(&hash)
        .query_async(&mut conn)
        .await
        .expect("HGETALL");
    assert_eq!(stored.len(), 3);
    for a in &alerts {
        assert_eq!(stored.get(&a.uuid), Some(&a.to_json().to_vec()));
    }
    let _: () = redis::cmd("DEL")
        .arg(&list)
        .arg(&hash)
        .query_async(&mut conn)
        .await
        .expect("cleanup");
}

#[tokio::test]
async fn a_key_of_the_wrong_type_is_refused_for_good() {
    let k = key();
    let mut conn = redis().await;
    let _: () = redis::cmd("SET")
        .arg(&k)
        .arg("a string")
        .query_async(&mut conn)
        .await
        .expect("SET");
    let env = start(json!({"address": REDIS, "key": k})).await;
    env.dispatcher.dispatch(enriched(SHELL_ALERT, 1)).await;
    env.dispatcher.shutdown(WAIT).await;
    let letters = env.dead_letters();
    assert_eq!(letters.len(), 1);
    assert_eq!(letters[0].meta.reason, "rejected");
    assert_eq!(letters[0].meta.attempts, 1);
    assert!(
        letters[0].meta.error.contains("WRONGTYPE"),
        "{}",
        letters[0].meta.error
    );
    let _: () = redis::cmd("DEL")
        .arg(&k)
        .query_async(&mut conn)
        .await
        .expect("cleanup");
}

#[tokio::test]
async fn a_server_that_is_down_is_retried_then_dead_lettered() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port");
    let env = start(json!({"address": format!("127.0.0.1:{port}")})).await;
    env.dispatcher.dispatch(enriched(SHELL_ALERT, 1)).await;
    env.dispatcher.shutdown(WAIT).await;
    assert_eq!(
        env.metric(r#"falconer_output_attempts_total{kind="redis",output="redis"}"#),
        3.0
    );
    assert_eq!(env.dead_letters()[0].meta.reason, "retries_exhausted");
}
