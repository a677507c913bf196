//! Yandex Object Storage and Data Streams, against moto standing in for both (they speak the
//! S3 and Kinesis APIs): the objects and records read back hold the payloads; the shared
//! `yandex.*` keys reach both blocks through the config loader, from the file and the
//! environment; missing keys are refused with their paths.

use std::time::Duration;

use crate::moto::{Moto, ACCESS_KEY_ID, REGION, SECRET_ACCESS_KEY};
use falconer_config::{GlobalSettings, Sources};
use falconer_outputs_aws::yandex;
use falconer_testkit::{enriched, DeliveryHarness, UnderTest, CONFIGMAP_ALERT, SHELL_ALERT};
use serde_json::{json, Value};

const WAIT: Duration = Duration::from_secs(20);

/// The shared keys pointing a Yandex kind at moto (its region: moto keeps resources per
/// AWS region).
fn keys(own: Value) -> Value {
    let mut all = json!({
        "accesskeyid": ACCESS_KEY_ID,
        "secretaccesskey": SECRET_ACCESS_KEY,
        "region": REGION,
    });
    if let (Some(all), Value::Object(own)) = (all.as_object_mut(), own) {
        all.extend(own);
    }
    all
}

async fn start(kind: falconer_core::OutputKind, settings: Value) -> DeliveryHarness {
    DeliveryHarness::start(
        vec![UnderTest::new(kind, kind.name, settings).common(falconer_testkit::fast_retries(3))],
        GlobalSettings::default(),
    )
    .await
}

/// Sends two alerts through `env`, waits for delivery, and checks none was given up.
async fn deliver_two(env: &DeliveryHarness) -> [std::sync::Arc<falconer_core::Alert>; 2] {
    let alerts = [enriched(CONFIGMAP_ALERT, 1), enriched(SHELL_ALERT, 2)];
    for a in &alerts {
        env.dispatcher.dispatch(a.clone()).await;
    }
    env.dispatcher.shutdown(WAIT).await;
    assert!(env.dead_letters().is_empty(), "{:?}", env.dead_letters());
    alerts
}

#[tokio::test]
async fn object_storage_gets_one_object_per_alert() {
    let moto = Moto::start().await;
    let s3 = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&moto.sdk_config().await)
            .force_path_style(true)
            .build(),
    );
    s3.create_bucket()
        .bucket("falco-yandex")
        .send()
        .await
        .expect("CreateBucket");
    let env = start(
        yandex::s3::KIND,
        keys(json!({"bucket": "falco-yandex", "endpoint": moto.endpoint()})),
    )
    .await;
    let alerts = deliver_two(&env).await;
    assert_eq!(
        env.metric(
            "falcosecurity_falcosidekick_outputs_total{destination=\"yandexs3\",status=\"ok\"}"
        ),
        2.0
    );

    let listed = s3
        .list_objects_v2()
        .bucket("falco-yandex")
        .send()
        .await
        .expect("ListObjectsV2");
    let mut bodies = Vec::new();
    for object in listed.contents() {
        let key = object.key().expect("key");
        let day = chrono::Utc::now().format("%Y-%m-%d").to_string();
        assert!(
            key.starts_with(&format!("falco/{day}/{day}T")) && key.ends_with("Z.json"),
            "{key}: falcosidekick's <prefix>/<date>/<RFC 3339 time>.json"
        );
        let got = s3
            .get_object()
            .bucket("falco-yandex")
            .key(key)
            .send()
            .await
            .expect("GetObject");
        bodies.push(
            got.body
                .collect()
                .await
                .expect("body")
                .into_bytes()
                .to_vec(),
        );
    }
    bodies.sort();
    let mut want: Vec<Vec<u8>> = alerts.iter().map(|a| a.to_json().to_vec()).collect();
    want.sort();
    assert_eq!(bodies, want);
}

#[tokio::test]
async fn data_streams_get_the_payloads_as_records() {
    let moto = Moto::start().await;
    let kinesis = aws_sdk_kinesis::Client::new(&moto.sdk_config().await);
    crate::kinesis::stream(&kinesis, "falco-yds").await;
    let env = start(
        yandex::datastreams::KIND,
        keys(json!({"streamname": "falco-yds", "endpoint": moto.endpoint()})),
    )
    .await;
    let alerts = deliver_two(&env).await;

    let got = crate::kinesis::records(&kinesis, "falco-yds").await;
    let want: Vec<(String, Vec<u8>)> = alerts
        .iter()
        .map(|a| (a.uuid.clone(), a.to_json().to_vec()))
        .collect();
    assert_eq!(got, want);
}

fn registry() -> falconer_core::Registry {
    let mut registry = falconer_core::Registry::default();
    falconer_outputs_aws::register(&mut registry);
    registry
}

#[test]
fn the_shared_yandex_keys_reach_both_blocks_from_file_and_env() {
    let yaml = r"
yandex:
  accesskeyid: AKID
  secretaccesskey: SECRET
  s3:
    bucket: falco-bucket
  datastreams:
    streamname: /ru-central1/folder/db/falco
";
    let sources = Sources {
        yaml: Some(yaml.to_owned()),
        env: [("YANDEX_REGION".to_owned(), "ru-central2".to_owned())]
            .into_iter()
            .collect(),
    };
    let config = falconer_config::load(&sources, &registry().schemas()).expect("loads");
    let mut kinds: Vec<&str> = config.outputs.iter().map(|o| o.kind.as_str()).collect();
    kinds.sort_unstable();
    assert_eq!(kinds, ["yandexdatastreams", "yandexs3"]);
    for o in &config.outputs {
        assert_eq!(o.settings["accesskeyid"], "AKID", "{}", o.kind);
        assert_eq!(o.settings["secretaccesskey"], "SECRET", "{}", o.kind);
        assert_eq!(o.settings["region"], "ru-central2", "{}", o.kind);
    }
    // Defaults: falcosidekick's endpoints and region.
    let s3: yandex::s3::YandexS3Config =
        serde_json::from_value(json!({"bucket": "b"})).expect("parses");
    let y = s3.yandex();
    assert_eq!(
        (y.region.as_str(), y.endpoint.as_str(), s3.prefix.as_str()),
        ("ru-central1", "https://storage.yandexcloud.net", "falco")
    );
    let yds: yandex::datastreams::YandexDataStreamsConfig =
        serde_json::from_value(json!({"streamname": "s"})).expect("parses");
    assert_eq!(
        yds.yandex().endpoint,
        "https://yds.serverless.yandexcloud.net"
    );
}

#[test]
fn missing_keys_are_refused_with_their_paths() {
    let registry = registry();
    let yaml = "yandex:\n  s3:\n    bucket: falco\n    endpoint: ftp://x\n";
    let sources = Sources {
        yaml: Some(yaml.to_owned()),
        env: Default::default(),
    };
    let config = falconer_config::load(&sources, &registry.schemas()).expect("loads");
    let Err(errors) = registry
        .get("yandexs3")
        .expect("registered")
        .prepare(&config.outputs[0])
    else {
        panic!("accepted without keys");
    };
    let mut paths: Vec<&str> = errors.paths().collect();
    paths.sort_unstable();
    assert_eq!(
        paths,
        [
            "yandex.s3.accesskeyid",
            "yandex.s3.endpoint",
            "yandex.s3.secretaccesskey"
        ]
    );
}
