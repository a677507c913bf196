//! The additions for outputs with their own protocol headers, compression and bulk answers,
//! against the recording sink.

use falconer_config::GlobalSettings;
use falconer_core::{Retry, SendError};
use falconer_testkit::{RecordingSink, Reply};
use reqwest::Method;

use crate::{basic_auth_value, HttpKeys, TargetOptions, CONTENT_TYPE_JSON};

fn settings(custom: &[(&str, &str)]) -> HttpKeys {
    HttpKeys {
        checkcert: true,
        mutualtls: false,
        customheaders: custom
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
    }
}

fn url(sink: &RecordingSink, path: &str) -> reqwest::Url {
    reqwest::Url::parse(&sink.url(path)).unwrap()
}

#[test]
fn basic_auth_is_rfc7617() {
    assert_eq!(
        basic_auth_value("Aladdin", "open sesame"),
        "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=="
    );
}

#[tokio::test]
async fn options_add_headers_that_custom_headers_still_override() {
    let sink = RecordingSink::start().await;
    let mut options = TargetOptions {
        content_type: Some("application/json".into()),
        headers: vec![("X-Scope-OrgID".into(), "tenant-a".into())],
        gzip: false,
    };
    options.basic_auth("falco", "s3cr3t");
    let target = settings(&[("X-Scope-OrgID", "tenant-b"), ("X-Extra", "1")])
        .target_with(
            &GlobalSettings::default(),
            Method::POST,
            url(&sink, "/push"),
            &options,
        )
        .unwrap();
    target.send("{}").await.unwrap();
    let r = &sink.requests()[0];
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert_eq!(r.header("x-scope-orgid"), Some("tenant-b"));
    assert_eq!(r.header("x-extra"), Some("1"));
    assert_eq!(r.header("authorization"), Some("Basic ZmFsY286czNjcjN0"));
    assert_eq!(r.header("content-encoding"), None);
    assert_eq!(r.text(), "{}");
    assert!(!format!("{options:?}").contains("s3cr3t"));
}

#[tokio::test]
async fn gzip_compresses_bodies_but_not_empty_ones() {
    let sink = RecordingSink::start().await;
    let options = TargetOptions {
        gzip: true,
        ..TargetOptions::default()
    };
    let target = settings(&[])
        .target_with(
            &GlobalSettings::default(),
            Method::POST,
            url(&sink, "/a"),
            &options,
        )
        .unwrap();
    let body = "{\"k\":\"v\"}".repeat(100);
    target.send(body.clone()).await.unwrap();
    target
        .retarget(Method::GET, url(&sink, "/b"))
        .send("")
        .await
        .unwrap();
    let got = sink.requests();
    assert_eq!(got[0].header("content-encoding"), Some("gzip"));
    assert_eq!(got[0].header("content-type"), Some(CONTENT_TYPE_JSON));
    assert!(got[0].body.len() < body.len() / 4, "{}", got[0].body.len());
    assert_eq!(got[0].decoded_text(), body);
    assert_eq!(
        (got[1].method.as_str(), got[1].path.as_str()),
        ("GET", "/b")
    );
    assert_eq!(got[1].header("content-encoding"), None);
    assert!(got[1].body.is_empty());
}

#[tokio::test]
async fn send_reading_returns_success_bodies_and_classifies_the_rest() {
    let sink = RecordingSink::start().await;
    sink.script([
        Reply::status(200).body("{\"errors\":false}"),
        Reply::status(200).body(&"x".repeat(100)),
        Reply::status(429)
            .header("Retry-After", "3")
            .body("slow down"),
        Reply::status(400).body("bad"),
    ]);
    let target = settings(&[])
        .target(
            &GlobalSettings::default(),
            Method::POST,
            url(&sink, "/_bulk"),
        )
        .unwrap();
    let body = target.send_reading("x", 1024).await.unwrap();
    assert_eq!(&body[..], b"{\"errors\":false}");
    let e = target.send_reading("x", 10).await.unwrap_err();
    assert!(matches!(e, SendError::Other(_)), "{e:?}");
    let e = target.send_reading("x", 1024).await.unwrap_err();
    assert_eq!(e.retry(), Retry::After(std::time::Duration::from_secs(3)));
    assert!(e.to_string().contains("slow down"), "{e}");
    let e = target.send_reading("x", 1024).await.unwrap_err();
    assert_eq!((e.retry(), e.label()), (Retry::Never, "http_4xx"));
}
