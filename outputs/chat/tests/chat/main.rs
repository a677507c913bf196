//! The chat kinds against the recording sink, through the real delivery core: one module per
//! kind (one test binary for the family).

#[cfg(feature = "cliq")]
mod cliq;
mod conformance;
#[cfg(feature = "discord")]
mod discord;
#[cfg(feature = "googlechat")]
mod googlechat;
#[cfg(feature = "gotify")]
mod gotify;
#[cfg(feature = "mattermost")]
mod mattermost;
mod recipe;
#[cfg(feature = "rocketchat")]
mod rocketchat;
#[cfg(feature = "slack")]
mod slack;
#[cfg(feature = "teams")]
mod teams;
#[cfg(feature = "telegram")]
mod telegram;
#[cfg(feature = "webex")]
mod webex;

/// The body `encoder` makes for `alert`.
#[allow(dead_code)]
fn encoded_body(
    encoder: &impl falconer_outputs_chat::common::Encode,
    alert: &falconer_core::Alert,
) -> Vec<u8> {
    encoder.encode(alert).expect("encodes").body
}

/// The settings of the singleton block of `kind` loaded from `env` alone, checked to prepare.
#[allow(dead_code)]
fn from_env(kind: falconer_core::OutputKind, env: &[(&str, &str)]) -> serde_json::Value {
    let sources = falconer_config::Sources {
        yaml: None,
        env: env
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
    };
    let config = falconer_config::load(&sources, &[kind.schema()]).expect("loads");
    assert_eq!(config.outputs.len(), 1, "the env enables the block");
    assert!(kind.prepare(&config.outputs[0]).is_ok(), "valid");
    config.outputs[0].settings.clone()
}
