//! Against moto in server mode on loopback: a standard queue gets the payloads with their
//! attributes, a FIFO queue gets the rendered group id and the UUID as deduplication id, a
//! queue that does not exist is refused for good; against the recording sink: the request,
//! and one failed entry of a batch given up on while the other is delivered.

use std::collections::HashMap;
use std::time::Duration;

use crate::moto::{Moto, ACCESS_KEY_ID, REGION, SECRET_ACCESS_KEY};
use aws_sdk_sqs::types::{MessageSystemAttributeName, QueueAttributeName};
use falconer_config::{BatchSettings, CommonSettings, GlobalSettings, GoDuration};
use falconer_testkit::{
    enriched, DeliveryHarness, RecordingSink, Reply, UnderTest, CONFIGMAP_ALERT, SHELL_ALERT,
};
use serde_json::{json, Value};

const WAIT: Duration = Duration::from_secs(20);

fn common(linger_ms: u64) -> CommonSettings {
    let mut common = falconer_testkit::fast_retries(3);
    common.batch = BatchSettings {
        linger: Some(GoDuration(Duration::from_millis(linger_ms))),
        ..BatchSettings::default()
    };
    common
}

async fn start(settings: Value, linger_ms: u64) -> DeliveryHarness {
    DeliveryHarness::start(
        vec![
            UnderTest::new(falconer_outputs_aws::sqs::KIND, "sqs", settings)
                .common(common(linger_ms)),
        ],
        GlobalSettings::default(),
    )
    .await
}

async fn create_queue(sqs: &aws_sdk_sqs::Client, name: &str, fifo: bool) -> String {
    let mut req = sqs.create_queue().queue_name(name);
    if fifo {
        req = req.attributes(QueueAttributeName::FifoQueue, "true");
    }
    req.send()
        .await
        .expect("CreateQueue")
        .queue_url()
        .expect("queue url")
        .to_owned()
}

async fn receive_all(
    sqs: &aws_sdk_sqs::Client,
    url: &str,
    n: usize,
) -> Vec<aws_sdk_sqs::types::Message> {
    let mut got = Vec::new();
    for _ in 0..20 {
        let out = sqs
            .receive_message()
            .queue_url(url)
            .max_number_of_messages(10)
            .message_attribute_names("All")
            .message_system_attribute_names(MessageSystemAttributeName::All)
            .wait_time_seconds(1)
            .send()
            .await
            .expect("ReceiveMessage");
        got.extend(out.messages().iter().cloned());
        if got.len() >= n {
            break;
        }
    }
    got
}

fn string_attributes(m: &aws_sdk_sqs::types::Message) -> HashMap<String, (String, String)> {
    m.message_attributes()
        .into_iter()
        .flatten()
        .map(|(k, v)| {
            (
                k.clone(),
                (
                    v.data_type().to_owned(),
                    v.string_value().unwrap_or_default().to_owned(),
                ),
            )
        })
        .collect()
}

fn attrs(rule: &str, priority: &str, source: &str) -> HashMap<String, (String, String)> {
    [("rule", rule), ("priority", priority), ("source", source)]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), ("String".to_owned(), v.to_owned())))
        .collect()
}

#[tokio::test]
async fn a_standard_queue_gets_each_payload_with_its_attributes() {
    let moto = Moto::start().await;
    let sqs = aws_sdk_sqs::Client::new(&moto.sdk_config().await);
    let url = create_queue(&sqs, "falconer-standard", false).await;
    let env = start(moto.with(json!({"url": url})), 200).await;
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

    let got = receive_all(&sqs, &url, 3).await;
    let mut bodies: Vec<String> = got
        .iter()
        .map(|m| m.body().unwrap_or_default().to_owned())
        .collect();
    let mut want: Vec<String> = alerts
        .iter()
        .map(|a| String::from_utf8(a.to_json().to_vec()).expect("utf-8"))
        .collect();
    bodies.sort();
    want.sort();
    assert_eq!(bodies, want);
    for m in &got {
        let body: Value = serde_json::from_str(m.body().unwrap_or_default()).expect("json body");
        let want = attrs(
            body["rule"].as_str().expect("rule"),
            body["priority"].as_str().expect("priority"),
            body["source"].as_str().expect("source"),
        );
        assert_eq!(string_attributes(m), want);
    }
    // The three alerts went in one SendMessageBatch (linger 200 ms).
    assert_eq!(
        env.metric(r#"falconer_output_attempts_total{kind="sqs",output="sqs"}"#),
        1.0
    );
}

#[tokio::test]
async fn a_fifo_queue_gets_the_rendered_group_and_the_uuid_as_deduplication_id() {
    let moto = Moto::start().await;
    let sqs = aws_sdk_sqs::Client::new(&moto.sdk_config().await);
    let url = create_queue(&sqs, "falconer-alerts.fifo", true).await;
    let env = start(
        moto.with(json!({
            "url": url,
            "messagegroupid": "{{.Hostname}}-{{.Priority}}",
            "messageattributes": false,
        })),
        0,
    )
    .await;
    let alerts = [enriched(CONFIGMAP_ALERT, 1), enriched(SHELL_ALERT, 2)];
    for a in &alerts {
        env.dispatcher.dispatch(a.clone()).await;
    }
    env.dispatcher.shutdown(WAIT).await;
    assert!(env.dead_letters().is_empty(), "{:?}", env.dead_letters());

    let got = receive_all(&sqs, &url, 2).await;
    assert_eq!(got.len(), 2);
    for (m, a) in got.iter().zip(&alerts) {
        assert_eq!(m.body().unwrap_or_default().as_bytes(), a.to_json());
        let system = m.attributes().expect("system attributes");
        assert_eq!(
            system
                .get(&MessageSystemAttributeName::MessageGroupId)
                .map(String::as_str),
            Some(format!("{}-{}", a.hostname, a.priority).as_str())
        );
        assert_eq!(
            system
                .get(&MessageSystemAttributeName::MessageDeduplicationId)
                .map(String::as_str),
            Some(a.uuid.as_str())
        );
        assert!(string_attributes(m).is_empty());
    }
}

#[tokio::test]
async fn a_queue_that_does_not_exist_is_refused_for_good() {
    let moto = Moto::start().await;
    let url = format!("{}/123456789012/no-such-queue", moto.endpoint());
    let env = start(moto.with(json!({"url": url})), 0).await;
    env.dispatcher.dispatch(enriched(SHELL_ALERT, 1)).await;
    env.dispatcher.shutdown(WAIT).await;
    let letters = env.dead_letters();
    assert_eq!(letters.len(), 1);
    assert_eq!(letters[0].meta.reason, "rejected");
    assert_eq!(letters[0].meta.attempts, 1);
    assert!(
        letters[0].meta.error.contains("NonExistentQueue")
            || letters[0].meta.error.contains("QueueDoesNotExist"),
        "{}",
        letters[0].meta.error
    );
}

async fn build(
    settings: Value,
) -> Result<std::sync::Arc<dyn falconer_core::Output>, falconer_core::BuildError> {
    let entry = falconer_config::OutputEntry {
        name: "sqs".into(),
        kind: "sqs".into(),
        path: "aws.sqs".into(),
        common: CommonSettings::default(),
        settings,
    };
    let prepared = falconer_outputs_aws::sqs::KIND
        .prepare(&entry)
        .expect("valid settings");
    prepared
        .build(falconer_core::BuildContext {
            name: "sqs".into(),
            path: "aws.sqs".into(),
            global: std::sync::Arc::new(GlobalSettings::default()),
            resources: falconer_core::Resources::default(),
        })
        .await
}

#[tokio::test]
async fn the_role_is_assumed_with_the_external_id_and_its_credentials_are_used() {
    let sink = RecordingSink::start().await;
    sink.script([
        Reply::status(200).header("content-type", "text/xml").body(
            r#"<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult><Credentials><AccessKeyId>ASIAASSUMED</AccessKeyId><SecretAccessKey>assumed-secret</SecretAccessKey><SessionToken>assumed-token</SessionToken><Expiration>2099-01-01T00:00:00Z</Expiration></Credentials><AssumedRoleUser><AssumedRoleId>AROA:falconer</AssumedRoleId><Arn>arn:aws:sts::123456789012:assumed-role/falco/falconer</Arn></AssumedRoleUser></AssumeRoleResult></AssumeRoleResponse>"#,
        ),
        Reply::status(200).header("content-type", "text/xml").body(
            r#"<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult><UserId>AROA:falconer</UserId><Account>123456789012</Account><Arn>arn:aws:sts::123456789012:assumed-role/falco/falconer</Arn></GetCallerIdentityResult></GetCallerIdentityResponse>"#,
        ),
    ]);
    let built = build(json!({
        "url": "https://sqs.us-east-1.amazonaws.com/123456789012/q",
        "region": REGION,
        "accesskeyid": ACCESS_KEY_ID,
        "secretaccesskey": SECRET_ACCESS_KEY,
        "rolearn": "arn:aws:iam::123456789012:role/falco",
        "externalid": "ext-42",
        "stsendpoint": sink.url(""),
    }))
    .await;
    assert!(built.is_ok(), "{:?}", built.err());
    let requests = sink.requests();
    assert_eq!(requests.len(), 2, "{requests:#?}");
    let assume = requests[0].text();
    for part in [
        "Action=AssumeRole",
        "RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Ffalco",
        "ExternalId=ext-42",
        "RoleSessionName=falconer",
    ] {
        assert!(assume.contains(part), "{part} not in {assume}");
    }
    let signed_by = |r: &falconer_testkit::RecordedRequest| {
        r.header("authorization")
            .and_then(|a| a.split("Credential=").nth(1))
            .and_then(|c| c.split('/').next())
            .map(str::to_owned)
    };
    assert_eq!(signed_by(&requests[0]).as_deref(), Some(ACCESS_KEY_ID));
    assert!(requests[1].text().contains("Action=GetCallerIdentity"));
    assert_eq!(signed_by(&requests[1]).as_deref(), Some("ASIAASSUMED"));
    assert_eq!(
        requests[1].header("x-amz-security-token"),
        Some("assumed-token")
    );
}

#[tokio::test]
async fn bad_credentials_fail_the_build_when_checkidentity_is_on() {
    let sink = RecordingSink::start().await;
    sink.fallback(Reply::status(403).body(
        r#"<ErrorResponse><Error><Type>Sender</Type><Code>InvalidClientTokenId</Code><Message>The security token included in the request is invalid.</Message></Error></ErrorResponse>"#,
    ));
    let settings = json!({
        "url": sink.url("/123456789012/q"),
        "region": REGION,
        "accesskeyid": ACCESS_KEY_ID,
        "secretaccesskey": SECRET_ACCESS_KEY,
        "endpoint": "http://127.0.0.1:9",
        "stsendpoint": sink.url(""),
    });
    let Err(e) = build(settings).await else {
        panic!("the build must fail");
    };
    assert_eq!(e.output, "aws.sqs");
    assert!(
        e.message
            .starts_with("checkidentity: STS GetCallerIdentity failed:")
            && e.message.contains("InvalidClientTokenId"),
        "{}",
        e.message
    );
    let requests = sink.requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].method, "POST");
    assert!(
        requests[0].text().contains("Action=GetCallerIdentity"),
        "{}",
        requests[0].text()
    );
}

#[tokio::test]
async fn one_failed_entry_is_given_up_while_the_other_is_delivered() {
    let sink = RecordingSink::start().await;
    sink.fallback(
        Reply::status(200)
            .header("content-type", "application/x-amz-json-1.0")
            .body(
                r#"{"Successful":[{"Id":"0","MessageId":"m-0","MD5OfMessageBody":"x"}],"Failed":[{"Id":"1","SenderFault":true,"Code":"InvalidMessageContents","Message":"bad characters"}]}"#,
            ),
    );
    let env = start(
        json!({
            "url": sink.url("/123456789012/alerts"),
            "region": REGION,
            "accesskeyid": ACCESS_KEY_ID,
            "secretaccesskey": SECRET_ACCESS_KEY,
            "endpoint": sink.url(""),
            "checkidentity": false,
        }),
        300,
    )
    .await;
    let (first, second) = (enriched(CONFIGMAP_ALERT, 1), enriched(SHELL_ALERT, 2));
    env.dispatcher.dispatch(first.clone()).await;
    env.dispatcher.dispatch(second.clone()).await;
    env.dispatcher.shutdown(WAIT).await;

    let requests = sink.requests();
    assert_eq!(requests.len(), 1, "{requests:#?}");
    let r = &requests[0];
    assert_eq!((r.method.as_str(), r.path.as_str()), ("POST", "/"));
    assert_eq!(r.header("x-amz-target"), Some("AmazonSQS.SendMessageBatch"));
    let auth = r.header("authorization").expect("SigV4 Authorization");
    assert!(
        auth.starts_with(&format!("AWS4-HMAC-SHA256 Credential={ACCESS_KEY_ID}/"))
            && auth.contains(&format!("/{REGION}/sqs/aws4_request")),
        "{auth}"
    );
    let attributes = |a: &falconer_core::Alert| {
        json!({
            "priority": {"DataType": "String", "StringValue": a.priority.to_string()},
            "rule": {"DataType": "String", "StringValue": a.rule},
            "source": {"DataType": "String", "StringValue": a.source},
        })
    };
    assert_eq!(
        r.json(),
        json!({
            "QueueUrl": sink.url("/123456789012/alerts"),
            "Entries": [
                {
                    "Id": "0",
                    "MessageBody": String::from_utf8(first.to_json().to_vec()).expect("utf-8"),
                    "MessageAttributes": attributes(&first),
                },
                {
                    "Id": "1",
                    "MessageBody": String::from_utf8(second.to_json().to_vec()).expect("utf-8"),
                    "MessageAttributes": attributes(&second),
                },
            ],
        })
    );
    let letters = env.dead_letters();
    assert_eq!(letters.len(), 1, "{letters:?}");
    assert_eq!(letters[0].meta.reason, "rejected");
    assert!(
        letters[0]
            .meta
            .error
            .contains("InvalidMessageContents: bad characters"),
        "{}",
        letters[0].meta.error
    );
    assert_eq!(
        env.metric(r#"falconer_output_attempts_total{kind="sqs",output="sqs"}"#),
        1.0
    );
}
