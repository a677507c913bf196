//! Against moto in server mode on loopback (path-style through `endpoint`): one object per
//! alert at falcosidekick's key with the payload as body, its content type and CRC32
//! checksum; `ndjson` puts a batch in one object; a missing bucket is refused for good.

use std::time::Duration;

use crate::moto::Moto;
use aws_sdk_s3::types::ChecksumMode;
use falconer_config::{BatchSettings, GlobalSettings, GoDuration};
use falconer_testkit::{enriched, DeliveryHarness, UnderTest, CONFIGMAP_ALERT, SHELL_ALERT};
use serde_json::{json, Value};

const WAIT: Duration = Duration::from_secs(20);

async fn start(settings: Value) -> DeliveryHarness {
    let mut common = falconer_testkit::fast_retries(3);
    common.batch = BatchSettings {
        linger: Some(GoDuration(Duration::from_millis(300))),
        ..BatchSettings::default()
    };
    DeliveryHarness::start(
        vec![UnderTest::new(falconer_outputs_aws::s3::KIND, "s3", settings).common(common)],
        GlobalSettings::default(),
    )
    .await
}

async fn bucket(s3: &aws_sdk_s3::Client, name: &str) {
    s3.create_bucket()
        .bucket(name)
        .send()
        .await
        .expect("CreateBucket");
}

async fn keys(s3: &aws_sdk_s3::Client, name: &str) -> Vec<String> {
    let mut keys: Vec<String> = s3
        .list_objects_v2()
        .bucket(name)
        .send()
        .await
        .expect("ListObjectsV2")
        .contents()
        .iter()
        .filter_map(|o| o.key().map(str::to_owned))
        .collect();
    keys.sort();
    keys
}

/// Checks `key` is `<prefix>/<day>/<RFC 3339 UTC time of that day, between from and to>.<ext>`.
fn check_key(key: &str, prefix: &str, ext: &str, from: chrono::DateTime<chrono::Utc>) {
    let rest = key
        .strip_prefix(&format!("{prefix}/"))
        .and_then(|r| r.strip_suffix(&format!(".{ext}")))
        .unwrap_or_else(|| panic!("{key} has not the expected prefix and extension"));
    let (day, time) = rest.split_once('/').expect("<day>/<time>");
    assert!(
        time.starts_with(&format!("{day}T")) && time.ends_with('Z'),
        "{key}"
    );
    assert!(
        !time.contains('.') || !time.ends_with("0Z"),
        "{key}: Go trims the fraction"
    );
    let at = chrono::DateTime::parse_from_rfc3339(time).expect("an RFC 3339 time");
    let now = chrono::Utc::now();
    assert!(
        from <= at && at <= now,
        "{key} is not between {from} and {now}"
    );
}

#[tokio::test]
async fn each_alert_is_an_object_at_falcosidekicks_key() {
    let moto = Moto::start().await;
    let s3 = moto.s3_client().await;
    bucket(&s3, "falco-alerts").await;
    let from = chrono::Utc::now();
    let env = start(moto.with(json!({"bucket": "falco-alerts"}))).await;
    let alerts = [enriched(CONFIGMAP_ALERT, 1), enriched(SHELL_ALERT, 2)];
    for a in &alerts {
        env.dispatcher.dispatch(a.clone()).await;
    }
    env.dispatcher.shutdown(WAIT).await;
    assert!(env.dead_letters().is_empty(), "{:?}", env.dead_letters());

    let keys = keys(&s3, "falco-alerts").await;
    assert_eq!(keys.len(), 2, "{keys:?}");
    for (key, alert) in keys.iter().zip(&alerts) {
        check_key(key, "falco", "json", from);
        let object = s3
            .get_object()
            .bucket("falco-alerts")
            .key(key)
            .checksum_mode(ChecksumMode::Enabled)
            .send()
            .await
            .expect("GetObject");
        assert_eq!(object.content_type(), Some("application/json"));
        assert!(
            object.checksum_crc32().is_some(),
            "no CRC32 checksum on {key}"
        );
        let body = object.body.collect().await.expect("body").into_bytes();
        assert_eq!(body.as_ref(), alert.to_json());
    }
}

#[tokio::test]
async fn ndjson_puts_a_batch_in_one_object() {
    let moto = Moto::start().await;
    let s3 = moto.s3_client().await;
    bucket(&s3, "falco-batches").await;
    let from = chrono::Utc::now();
    let env = start(moto.with(json!({
        "bucket": "falco-batches",
        "prefix": "falcon/er",
        "objectcannedacl": "private",
        "ndjson": true,
    })))
    .await;
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

    let keys = keys(&s3, "falco-batches").await;
    assert_eq!(keys.len(), 1, "{keys:?}");
    check_key(&keys[0], "falcon/er", "ndjson", from);
    let object = s3
        .get_object()
        .bucket("falco-batches")
        .key(&keys[0])
        .send()
        .await
        .expect("GetObject");
    assert_eq!(object.content_type(), Some("application/x-ndjson"));
    let body = object.body.collect().await.expect("body").into_bytes();
    let mut want = Vec::new();
    for a in &alerts {
        want.extend_from_slice(a.to_json());
        want.push(b'\n');
    }
    assert_eq!(body.as_ref(), want.as_slice());
}

#[tokio::test]
async fn a_missing_bucket_is_refused_for_good() {
    let moto = Moto::start().await;
    let env = start(moto.with(json!({"bucket": "no-such-bucket"}))).await;
    env.dispatcher.dispatch(enriched(SHELL_ALERT, 1)).await;
    env.dispatcher.shutdown(WAIT).await;
    let letters = env.dead_letters();
    assert_eq!(letters.len(), 1);
    assert_eq!(letters[0].meta.reason, "rejected");
    assert_eq!(letters[0].meta.attempts, 1);
    assert!(
        letters[0].meta.error.contains("NoSuchBucket"),
        "{}",
        letters[0].meta.error
    );
}
