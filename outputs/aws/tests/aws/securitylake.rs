//! Against moto in server mode on loopback: a batch of alerts becomes one Parquet object at
//! the custom source's partitioned key, read back with pyarrow (an independent Parquet
//! reader) and compared, column names and every value, with the OCSF Security Finding
//! records falcosidekick writes (`tests/fixtures/securitylake/findings.json`); a missing bucket is refused for good.

use std::process::Command;
use std::time::Duration;

use crate::moto::{Moto, REGION};
use falconer_config::{BatchSettings, GlobalSettings, GoDuration};
use falconer_testkit::{enriched, DeliveryHarness, UnderTest, CONFIGMAP_ALERT, SHELL_ALERT};
use serde_json::{json, Value};

const WAIT: Duration = Duration::from_secs(20);
const ACCOUNT: &str = "111122223333";

/// Prints the Parquet file's column names and rows as JSON.
const READ_PARQUET: &str = r#"
import json, sys
import pyarrow.parquet as pq
table = pq.read_table(sys.argv[1])
print(json.dumps({"columns": table.schema.names, "rows": table.to_pylist(),
                  "codec": pq.ParquetFile(sys.argv[1]).metadata.row_group(0).column(0).compression}))
"#;

async fn start(settings: Value) -> DeliveryHarness {
    let mut common = falconer_testkit::fast_retries(3);
    // The batch closes after 300 ms instead of falcosidekick's `interval` minutes.
    common.batch = BatchSettings {
        linger: Some(GoDuration(Duration::from_millis(300))),
        ..BatchSettings::default()
    };
    DeliveryHarness::start(
        vec![UnderTest::new(
            falconer_outputs_aws::securitylake::KIND,
            "securitylake",
            settings,
        )
        .common(common)],
        GlobalSettings::default(),
    )
    .await
}

/// `rows` of the Parquet file `body`, read by pyarrow.
fn read_with_pyarrow(body: &[u8]) -> Value {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path().join("findings.parquet");
    std::fs::write(&path, body).expect("write the object");
    let out = Command::new("python3")
        .args(["-c", READ_PARQUET])
        .arg(&path)
        .output()
        .expect("run python3");
    assert!(
        out.status.success(),
        "pyarrow could not read the object (install it: `python3 -m pip install pyarrow`): {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("the script's JSON")
}

#[tokio::test]
async fn a_batch_is_one_parquet_object_of_ocsf_findings() {
    let moto = Moto::start().await;
    let s3 = moto.s3_client().await;
    s3.create_bucket()
        .bucket("aws-security-data-lake")
        .send()
        .await
        .expect("CreateBucket");
    let env = start(moto.with(json!({
        "bucket": "aws-security-data-lake",
        "prefix": "ext/falco",
        "accountid": ACCOUNT,
        "interval": 5,
        "batchsize": 1000,
    })))
    .await;
    let shell = enriched(SHELL_ALERT, 1);
    let configmap = enriched(CONFIGMAP_ALERT, 2);
    let day = chrono::Utc::now().format("%Y%m%d").to_string();
    env.dispatcher.dispatch(shell.clone()).await;
    env.dispatcher.dispatch(configmap.clone()).await;
    env.dispatcher.shutdown(WAIT).await;
    assert!(env.dead_letters().is_empty(), "{:?}", env.dead_letters());

    let listed = s3
        .list_objects_v2()
        .bucket("aws-security-data-lake")
        .send()
        .await
        .expect("ListObjectsV2");
    let keys: Vec<&str> = listed.contents().iter().filter_map(|o| o.key()).collect();
    assert_eq!(keys.len(), 1, "one object per batch: {keys:?}");
    let key = keys[0];
    let uid = key
        .strip_prefix(&format!(
            "ext/falco/region={REGION}/accountId={ACCOUNT}/eventDay={day}/"
        ))
        .and_then(|k| k.strip_suffix(".parquet"))
        .unwrap_or_else(|| panic!("{key} is not at the custom source's partition"));
    assert!(uuid::Uuid::parse_str(uid).is_ok(), "{key}: not a UUID name");

    let object = s3
        .get_object()
        .bucket("aws-security-data-lake")
        .key(key)
        .send()
        .await
        .expect("GetObject");
    assert_eq!(object.content_type(), Some("Apache Parquet"));
    let body = object.body.collect().await.expect("body").into_bytes();
    assert!(body.starts_with(b"PAR1") && body.ends_with(b"PAR1"));

    let read = read_with_pyarrow(&body);
    assert_eq!(read["codec"], "SNAPPY");
    assert_eq!(
        read["columns"],
        json!([
            "activity_id",
            "activity_name",
            "category_name",
            "category_uid",
            "class_name",
            "class_uid",
            "finding",
            "message",
            "metadata",
            "observables",
            "raw_data",
            "severity",
            "severity_id",
            "state",
            "state_id",
            "status",
            "time",
            "type_name",
            "type_uid"
        ])
    );
    // The two findings, every value (falcosidekick's, from the alerts of the testkit with
    // UUIDs 1 and 2), as pyarrow reads them.
    let rows = serde_json::to_string_pretty(&read["rows"]).expect("JSON") + "\n";
    falconer_http::fixtures::assert_golden(
        concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/securitylake"),
        "findings.json",
        rows,
    );
}

#[tokio::test]
async fn a_missing_bucket_is_refused_for_good() {
    let moto = Moto::start().await;
    let env = start(moto.with(json!({
        "bucket": "no-such-lake",
        "prefix": "ext/falco",
        "accountid": ACCOUNT,
    })))
    .await;
    env.dispatcher.dispatch(enriched(SHELL_ALERT, 1)).await;
    env.dispatcher.shutdown(WAIT).await;
    let letters = env.dead_letters();
    assert_eq!(letters.len(), 1);
    assert_eq!(letters[0].meta.reason, "rejected");
    assert!(
        letters[0].meta.error.contains("NoSuchBucket"),
        "{}",
        letters[0].meta.error
    );
}
