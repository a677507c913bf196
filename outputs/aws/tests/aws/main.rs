//! The AWS kinds through the real delivery core against moto (the AWS API emulator; each
//! module starts its own `moto_server`): one module per kind (one test binary for the family).

#[cfg(feature = "cloudwatchlogs")]
mod cloudwatchlogs;
#[cfg(feature = "kinesis")]
mod kinesis;
#[cfg(feature = "lambda")]
mod lambda;
// Each kind's tests use a part of it.
#[allow(dead_code)]
mod moto;
mod recipe;
#[cfg(feature = "s3")]
mod s3;
#[cfg(feature = "securitylake")]
mod securitylake;
#[cfg(feature = "sns")]
mod sns;
#[cfg(feature = "sqs")]
mod sqs;
#[cfg(all(
    feature = "yandexs3",
    feature = "yandexdatastreams",
    feature = "kinesis"
))]
mod yandex;
