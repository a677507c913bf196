//! Against moto in server mode on loopback: the records read back with GetRecords hold the
//! payloads in order with the alert UUIDs (or the rendered template) as partition keys; a
//! missing stream is refused for good.

use std::time::Duration;

use crate::moto::Moto;
use aws_sdk_kinesis::types::ShardIteratorType;
use falconer_config::{BatchSettings, GlobalSettings, GoDuration};
use falconer_testkit::{enriched, DeliveryHarness, UnderTest, CONFIGMAP_ALERT, SHELL_ALERT};
use serde_json::{json, Value};

const WAIT: Duration = Duration::from_secs(20);

async fn start(settings: Value) -> DeliveryHarness {
    let mut common = falconer_testkit::fast_retries(3);
    common.batch = BatchSettings {
        linger: Some(GoDuration(Duration::from_millis(200))),
        ..BatchSettings::default()
    };
    DeliveryHarness::start(
        vec![
            UnderTest::new(falconer_outputs_aws::kinesis::KIND, "kinesis", settings).common(common),
        ],
        GlobalSettings::default(),
    )
    .await
}

/// Creates stream `name` with one shard.
pub(crate) async fn stream(kinesis: &aws_sdk_kinesis::Client, name: &str) {
    kinesis
        .create_stream()
        .stream_name(name)
        .shard_count(1)
        .send()
        .await
        .expect("CreateStream");
}

/// Every record of stream `name` (one shard), oldest first: (partition key, data).
pub(crate) async fn records(
    kinesis: &aws_sdk_kinesis::Client,
    name: &str,
) -> Vec<(String, Vec<u8>)> {
    let shards = kinesis
        .list_shards()
        .stream_name(name)
        .send()
        .await
        .expect("ListShards");
    let shard = shards.shards()[0].shard_id().to_owned();
    let iterator = kinesis
        .get_shard_iterator()
        .stream_name(name)
        .shard_id(shard)
        .shard_iterator_type(ShardIteratorType::TrimHorizon)
        .send()
        .await
        .expect("GetShardIterator")
        .shard_iterator()
        .expect("iterator")
        .to_owned();
    kinesis
        .get_records()
        .shard_iterator(iterator)
        .send()
        .await
        .expect("GetRecords")
        .records()
        .iter()
        .map(|r| (r.partition_key().to_owned(), r.data().as_ref().to_vec()))
        .collect()
}

#[tokio::test]
async fn records_hold_the_payloads_keyed_by_uuid() {
    let moto = Moto::start().await;
    let kinesis = aws_sdk_kinesis::Client::new(&moto.sdk_config().await);
    stream(&kinesis, "falco").await;
    let env = start(moto.with(json!({"streamname": "falco"}))).await;
    let alerts = [
        enriched(CONFIGMAP_ALERT, 1),
        enriched(SHELL_ALERT, 2),
        enriched(SHELL_ALERT, 3),
    ];
    for a in &alerts {
        env.dispatcher.dispatch(a.clone()).await;
    }
    env.dispatcher.shutdown(WAIT).await;
    assert!(env.dead_letters().is_empty(), "{:?}", env.dead_letters());
    let want: Vec<(String, Vec<u8>)> = alerts
        .iter()
        .map(|a| (a.uuid.clone(), a.to_json().to_vec()))
        .collect();
    assert_eq!(records(&kinesis, "falco").await, want);
    assert_eq!(
        env.metric(r#"falconer_output_attempts_total{kind="kinesis",output="kinesis"}"#),
        1.0
    );
}

#[tokio::test]
async fn the_partition_key_template_is_rendered() {
    let moto = Moto::start().await;
    let kinesis = aws_sdk_kinesis::Client::new(&moto.sdk_config().await);
    stream(&kinesis, "by-host").await;
    let env = start(moto.with(json!({
        "streamname": "by-host",
        "partitionkey": "{{.Hostname}}-{{.Rule}}",
    })))
    .await;
    let alert = enriched(SHELL_ALERT, 1);
    env.dispatcher.dispatch(alert.clone()).await;
    env.dispatcher.shutdown(WAIT).await;
    assert!(env.dead_letters().is_empty(), "{:?}", env.dead_letters());
    assert_eq!(
        records(&kinesis, "by-host").await,
        vec![(
            "node-1-Terminal shell in container".to_owned(),
            alert.to_json().to_vec()
        )]
    );
}

#[tokio::test]
async fn a_missing_stream_is_refused_for_good() {
    let moto = Moto::start().await;
    let env = start(moto.with(json!({"streamname": "nope"}))).await;
    env.dispatcher.dispatch(enriched(SHELL_ALERT, 1)).await;
    env.dispatcher.shutdown(WAIT).await;
    let letters = env.dead_letters();
    assert_eq!(letters.len(), 1);
    assert_eq!(letters[0].meta.reason, "rejected");
    assert_eq!(letters[0].meta.attempts, 1);
    assert!(
        letters[0].meta.error.contains("ResourceNotFoundException"),
        "{}",
        letters[0].meta.error
    );
}
