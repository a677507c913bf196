//! Against the recording sink through the endpoint override: the Invoke request (method,
//! path, SigV4 `Authorization`, invocation and log type headers, body), a function error
//! dead-lettered after the retries, access denied refused for good, throttling retried.
//! Against moto's Lambda (without Docker): the invocations succeed.

use std::time::Duration;

use crate::moto::{Moto, ACCESS_KEY_ID, REGION, SECRET_ACCESS_KEY};
use falconer_config::GlobalSettings;
use falconer_testkit::{enriched, DeliveryHarness, RecordingSink, Reply, UnderTest, SHELL_ALERT};
use serde_json::{json, Value};

const WAIT: Duration = Duration::from_secs(20);
const ATTEMPTS: &str = r#"falconer_output_attempts_total{kind="lambda",output="lambda"}"#;

async fn start(sink: &RecordingSink, own: Value) -> DeliveryHarness {
    let mut settings = json!({
        "functionname": "falco-handler",
        "region": REGION,
        "accesskeyid": ACCESS_KEY_ID,
        "secretaccesskey": SECRET_ACCESS_KEY,
        "endpoint": sink.url(""),
        "checkidentity": false,
    });
    if let (Some(s), Value::Object(own)) = (settings.as_object_mut(), own) {
        s.extend(own);
    }
    start_with(settings).await
}

async fn start_with(settings: Value) -> DeliveryHarness {
    let common = falconer_testkit::fast_retries(3);
    DeliveryHarness::start(
        vec![UnderTest::new(falconer_outputs_aws::lambda::KIND, "lambda", settings).common(common)],
        GlobalSettings::default(),
    )
    .await
}

#[tokio::test]
async fn each_alert_is_one_signed_invoke_with_the_payload_as_body() {
    let sink = RecordingSink::start().await;
    let env = start(&sink, json!({})).await;
    let alert = enriched(SHELL_ALERT, 1);
    env.dispatcher.dispatch(alert.clone()).await;
    env.dispatcher.shutdown(WAIT).await;
    assert!(env.dead_letters().is_empty(), "{:?}", env.dead_letters());

    let requests = sink.requests();
    assert_eq!(requests.len(), 1);
    let r = &requests[0];
    assert_eq!(r.method, "POST");
    assert_eq!(r.path, "/2015-03-31/functions/falco-handler/invocations");
    assert_eq!(r.query, None);
    assert_eq!(r.header("x-amz-invocation-type"), Some("RequestResponse"));
    assert_eq!(r.header("x-amz-log-type"), Some("Tail"));
    let auth = r.header("authorization").expect("SigV4 Authorization");
    assert!(
        auth.starts_with(&format!("AWS4-HMAC-SHA256 Credential={ACCESS_KEY_ID}/"))
            && auth.contains(&format!("/{REGION}/lambda/aws4_request, SignedHeaders="))
            && auth.contains("x-amz-date")
            && auth.contains(", Signature="),
        "{auth}"
    );
    assert!(r.header("x-amz-date").is_some());
    assert_eq!(r.body.as_ref(), alert.to_json());
}

#[tokio::test]
async fn an_event_invocation_without_log_sends_those_headers() {
    let sink = RecordingSink::start().await;
    sink.fallback(Reply::status(202));
    let env = start(
        &sink,
        json!({"functionname": "arn:aws:lambda:us-east-1:123456789012:function:f:live", "invocationtype": "event", "logtype": "None"}),
    )
    .await;
    env.dispatcher.dispatch(enriched(SHELL_ALERT, 1)).await;
    env.dispatcher.shutdown(WAIT).await;
    assert!(env.dead_letters().is_empty(), "{:?}", env.dead_letters());
    let r = &sink.requests()[0];
    assert_eq!(
        r.path,
        "/2015-03-31/functions/arn%3Aaws%3Alambda%3Aus-east-1%3A123456789012%3Afunction%3Af%3Alive/invocations"
    );
    assert_eq!(r.header("x-amz-invocation-type"), Some("Event"));
    assert_eq!(r.header("x-amz-log-type"), Some("None"));
}

#[tokio::test]
async fn a_function_error_is_a_failed_delivery() {
    let sink = RecordingSink::start().await;
    sink.fallback(
        Reply::status(200)
            .header("X-Amz-Function-Error", "Unhandled")
            .header("X-Amz-Log-Result", "U1RBUlQgUmVxdWVzdElk")
            .body(r#"{"errorMessage":"boom","errorType":"Error"}"#),
    );
    let env = start(&sink, json!({})).await;
    env.dispatcher.dispatch(enriched(SHELL_ALERT, 1)).await;
    env.dispatcher.shutdown(WAIT).await;
    let letters = env.dead_letters();
    assert_eq!(letters.len(), 1);
    assert_eq!(letters[0].meta.reason, "retries_exhausted");
    assert_eq!(letters[0].meta.attempts, 3);
    assert_eq!(
        letters[0].meta.error,
        r#"function error (Unhandled): {"errorMessage":"boom","errorType":"Error"}"#
    );
    assert_eq!(sink.requests().len(), 3);
}

#[tokio::test]
async fn access_denied_is_final_and_throttling_is_retried() {
    let sink = RecordingSink::start().await;
    sink.script([
        Reply::status(429)
            .header("x-amzn-ErrorType", "TooManyRequestsException")
            .header("content-type", "application/json")
            .body(
                r#"{"Type":"User","message":"Rate exceeded","Reason":"CallerRateLimitExceeded"}"#,
            ),
        Reply::status(200),
        Reply::status(403)
            .header("x-amzn-ErrorType", "AccessDeniedException")
            .header("content-type", "application/json")
            .body(
                r#"{"Type":"User","Message":"not authorized to perform: lambda:InvokeFunction"}"#,
            ),
    ]);
    let env = start(&sink, json!({})).await;
    env.dispatcher.dispatch(enriched(SHELL_ALERT, 1)).await;
    sink.wait_for(2, WAIT).await;
    env.dispatcher.dispatch(enriched(SHELL_ALERT, 2)).await;
    env.dispatcher.shutdown(WAIT).await;
    assert_eq!(sink.requests().len(), 3);
    let letters = env.dead_letters();
    assert_eq!(letters.len(), 1, "{letters:?}");
    assert_eq!(letters[0].meta.reason, "rejected");
    assert_eq!(letters[0].meta.attempts, 1);
    assert!(
        letters[0].meta.error.contains(
            "AccessDeniedException: not authorized to perform: lambda:InvokeFunction (HTTP 403)"
        ),
        "{}",
        letters[0].meta.error
    );
    assert_eq!(env.metric(ATTEMPTS), 3.0);
}

#[tokio::test]
async fn moto_lambda_without_docker_runs_the_invocations() {
    let moto = Moto::start().await;
    moto.configure(r#"{"lambda": {"use_docker": false}}"#).await;
    moto.query(
        "iam",
        "Action=CreateRole&Version=2010-05-08&RoleName=falco&AssumeRolePolicyDocument=%7B%7D",
    )
    .await;
    let lambda = aws_sdk_lambda::Client::new(&moto.sdk_config().await);
    lambda
        .create_function()
        .function_name("falco-handler")
        .role("arn:aws:iam::123456789012:role/falco")
        .package_type(aws_sdk_lambda::types::PackageType::Image)
        .code(
            aws_sdk_lambda::types::FunctionCode::builder()
                .image_uri("123456789012.dkr.ecr.us-east-1.amazonaws.com/falco-handler:latest")
                .build(),
        )
        .send()
        .await
        .expect("CreateFunction");
    let env = start_with(moto.with(json!({"functionname": "falco-handler"}))).await;
    env.dispatcher.dispatch(enriched(SHELL_ALERT, 1)).await;
    env.dispatcher.dispatch(enriched(SHELL_ALERT, 2)).await;
    env.dispatcher.shutdown(WAIT).await;
    assert!(env.dead_letters().is_empty(), "{:?}", env.dead_letters());
    assert_eq!(env.metric(ATTEMPTS), 2.0);
    assert_eq!(
        env.metric(
            r#"falconer_output_deliveries_total{kind="lambda",output="lambda",status="ok"}"#
        ),
        2.0
    );
}
