//! Against moto in server mode on loopback: an SQS queue subscribed to the topic receives
//! the notification; its message and attributes are compared exactly (output text with
//! falcosidekick's attributes, or the raw payload JSON); a missing topic is refused for good.

use std::collections::BTreeMap;
use std::time::Duration;

use crate::moto::Moto;
use falconer_config::GlobalSettings;
use falconer_testkit::{enriched, DeliveryHarness, UnderTest, CONFIGMAP_ALERT, SHELL_ALERT};
use serde_json::{json, Value};

const WAIT: Duration = Duration::from_secs(20);

async fn start(settings: Value) -> DeliveryHarness {
    let common = falconer_testkit::fast_retries(3);
    DeliveryHarness::start(
        vec![UnderTest::new(falconer_outputs_aws::sns::KIND, "sns", settings).common(common)],
        GlobalSettings::default(),
    )
    .await
}

/// A topic with a subscribed queue: (topic ARN, queue URL).
async fn topic_with_queue(moto: &Moto, name: &str) -> (String, String, aws_sdk_sqs::Client) {
    let config = moto.sdk_config().await;
    let sns = aws_sdk_sns::Client::new(&config);
    let sqs = aws_sdk_sqs::Client::new(&config);
    let topic = sns
        .create_topic()
        .name(name)
        .send()
        .await
        .expect("CreateTopic")
        .topic_arn()
        .expect("topic arn")
        .to_owned();
    let url = sqs
        .create_queue()
        .queue_name(format!("{name}-q"))
        .send()
        .await
        .expect("CreateQueue")
        .queue_url()
        .expect("queue url")
        .to_owned();
    let arn = format!(
        "arn:aws:sqs:{}:{}:{name}-q",
        crate::moto::REGION,
        crate::moto::ACCOUNT
    );
    sns.subscribe()
        .topic_arn(&topic)
        .protocol("sqs")
        .endpoint(arn)
        .send()
        .await
        .expect("Subscribe");
    (topic, url, sqs)
}

async fn notifications(sqs: &aws_sdk_sqs::Client, url: &str, n: usize) -> Vec<Value> {
    let mut got = Vec::new();
    for _ in 0..20 {
        let out = sqs
            .receive_message()
            .queue_url(url)
            .max_number_of_messages(10)
            .wait_time_seconds(1)
            .send()
            .await
            .expect("ReceiveMessage");
        for m in out.messages() {
            got.push(
                serde_json::from_str(m.body().unwrap_or_default()).expect("a JSON notification"),
            );
        }
        if got.len() >= n {
            break;
        }
    }
    got
}

#[tokio::test]
async fn the_output_text_goes_with_falcosidekicks_attributes() {
    let moto = Moto::start().await;
    let (topic, url, sqs) = topic_with_queue(&moto, "falco-alerts").await;
    let env = start(moto.with(json!({"topicarn": topic}))).await;
    let alert = enriched(SHELL_ALERT, 1);
    env.dispatcher.dispatch(alert.clone()).await;
    env.dispatcher.shutdown(WAIT).await;
    assert!(env.dead_letters().is_empty(), "{:?}", env.dead_letters());

    let got = notifications(&sqs, &url, 1).await;
    assert_eq!(got.len(), 1);
    assert_eq!(got[0]["TopicArn"], json!(topic));
    assert_eq!(got[0]["Message"], json!(alert.output));
    let attributes: BTreeMap<String, Value> =
        serde_json::from_value(got[0]["MessageAttributes"].clone()).expect("attributes");
    let s = |v: &str| json!({"Type": "String", "Value": v});
    let n = |v: &str| json!({"Type": "Number", "Value": v});
    let want: BTreeMap<String, Value> = [
        ("container.id", s("5f3c1b2a9d8e")),
        ("evt.time", n("1715704316746609046")),
        ("hostname", s("node-1")),
        ("k8s.ns.name", s("default")),
        ("k8s.pod.name", s("web-7d9c")),
        ("n_drops", n("12345678901234567890")),
        ("priority", s("Notice")),
        ("proc.cmdline", s("bash")),
        ("ratio", n("1.50")),
        ("rule", s("Terminal shell in container")),
        ("source", s("syscalls")),
        ("tags", s("container,mitre_execution,shell")),
        ("user.name", s("root")),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    assert_eq!(attributes, want);
}

#[tokio::test]
async fn rawjson_publishes_the_payload_json() {
    let moto = Moto::start().await;
    let (topic, url, sqs) = topic_with_queue(&moto, "falco-raw").await;
    let env = start(moto.with(json!({"topicarn": topic, "rawjson": true}))).await;
    let alert = enriched(CONFIGMAP_ALERT, 7);
    env.dispatcher.dispatch(alert.clone()).await;
    env.dispatcher.shutdown(WAIT).await;
    assert!(env.dead_letters().is_empty(), "{:?}", env.dead_letters());

    let got = notifications(&sqs, &url, 1).await;
    assert_eq!(got.len(), 1);
    assert_eq!(
        got[0]["Message"].as_str().expect("message").as_bytes(),
        alert.to_json()
    );
    assert!(
        got[0]
            .get("MessageAttributes")
            .is_none_or(|a| a.as_object().is_some_and(|m| m.is_empty())),
        "{}",
        got[0]
    );
}

#[tokio::test]
async fn a_missing_topic_is_refused_for_good() {
    let moto = Moto::start().await;
    let env =
        start(moto.with(json!({"topicarn": "arn:aws:sns:us-east-1:123456789012:nope"}))).await;
    env.dispatcher.dispatch(enriched(SHELL_ALERT, 1)).await;
    env.dispatcher.shutdown(WAIT).await;
    let letters = env.dead_letters();
    assert_eq!(letters.len(), 1);
    assert_eq!(letters[0].meta.reason, "rejected");
    assert_eq!(letters[0].meta.attempts, 1);
    assert!(
        letters[0].meta.error.contains("NotFound"),
        "{}",
        letters[0].meta.error
    );
}
