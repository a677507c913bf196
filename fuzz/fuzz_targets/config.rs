//! Any text as a config file, and as environment values: the loader reports problems, it
//! never panics.

#![no_main]

#[path = "common.rs"]
mod common;

use std::collections::HashMap;

use falconer_config::{load_partial, KindSchema, Sources};
use libfuzzer_sys::fuzz_target;

const KINDS: &[KindSchema] = &[
    KindSchema {
        name: "webhook",
        block: "webhook",
        enabled_by: &["address"],
        fields: &["address", "method", "customheaders", "checkcert", "mutualtls"],
    },
    KindSchema {
        name: "sqs",
        block: "aws.sqs",
        enabled_by: &["url"],
        fields: &["url"],
    },
];

fuzz_target!(|data: &[u8]| {
    common::contain_template_engine_panics();
    let text = String::from_utf8_lossy(data);
    let _ = load_partial(
        &Sources {
            yaml: Some(text.to_string()),
            env: HashMap::new(),
        },
        KINDS,
    );
    // The same text as the values of the variables the loader reads.
    let env: HashMap<String, String> = [
        "LISTENPORT",
        "CUSTOMFIELDS",
        "WEBHOOK_ADDRESS",
        "WEBHOOK_CUSTOMHEADERS",
        "WEBHOOK_RETRY_MAXATTEMPTS",
        "AWS_SQS_URL",
        "TLSSERVER_NOTLSPATHS",
    ]
    .iter()
    .map(|k| ((*k).to_owned(), text.to_string()))
    .collect();
    let _ = load_partial(&Sources { yaml: None, env }, KINDS);
});
