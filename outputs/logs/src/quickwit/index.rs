//! `autocreateindex`: falcosidekick's index config, created at startup when the index does
//! not exist.

use falconer_core::SendError;
use falconer_http::{HttpTarget, UrlError};
use serde::Serialize;

use super::config::QuickwitConfig;

/// Field order as in falcosidekick's Go structs (so the body is the same bytes).
#[derive(Serialize)]
struct IndexConfig<'a> {
    index_id: &'a str,
    version: &'a str,
    search_settings: SearchSettings,
    doc_mapping: DocMapping,
}

#[derive(Serialize)]
struct SearchSettings {
    default_search_fields: [&'static str; 6],
}

#[derive(Serialize)]
struct DocMapping {
    dynamic_mapping: DynamicMapping,
    field_mappings: Vec<FieldMapping>,
    mode: &'static str,
    store_source: bool,
    timestamp_field: &'static str,
}

#[derive(Serialize)]
struct DynamicMapping {
    description: &'static str,
    fast: bool,
    expand_dots: bool,
    indexed: bool,
    record: &'static str,
    stored: bool,
    tokenizer: &'static str,
}

#[derive(Serialize)]
struct FieldMapping {
    name: &'static str,
    #[serde(rename = "type")]
    kind: &'static str,
    fast: bool,
}

/// Typed fields of falcosidekick's mapping: (name, type, fast).
const FIELDS: [(&str, &str, bool); 9] = [
    ("time", "datetime", true),
    ("uuid", "text", true),
    ("hostname", "text", true),
    ("priority", "text", true),
    ("source", "text", true),
    ("output", "text", false),
    ("rule", "text", true),
    ("tags", "array<text>", true),
    ("output_fields", "json", true),
];

/// The body of `POST {api}/indexes`: falcosidekick's index config for `index` (dynamic mode,
/// timestamp field `time`, typed Falco fields), with its trailing newline.
pub fn index_config(index: &str, version: &str) -> Vec<u8> {
    let config = IndexConfig {
        index_id: index,
        version,
        search_settings: SearchSettings {
            default_search_fields: ["rule", "source", "output", "priority", "hostname", "tags"],
        },
        doc_mapping: DocMapping {
            dynamic_mapping: DynamicMapping {
                description: "Falco",
                fast: true,
                expand_dots: true,
                indexed: true,
                record: "basic",
                stored: true,
                tokenizer: "raw",
            },
            field_mappings: FIELDS
                .iter()
                .map(|&(name, kind, fast)| FieldMapping { name, kind, fast })
                .collect(),
            mode: "dynamic",
            store_source: true,
            timestamp_field: "time",
        },
    };
    // Static strings and booleans: serializing cannot fail.
    falconer_http::go_json_line(&config).unwrap_or_default()
}

/// The index could not be made sure of at startup.
#[derive(Debug, thiserror::Error)]
pub(crate) enum IndexError {
    /// An API URL is invalid.
    #[error(transparent)]
    Url(#[from] UrlError),
    /// Quickwit refused to create the index.
    #[error("cannot create the Quickwit index {index:?}: {source}")]
    Create {
        /// The index.
        index: String,
        /// Quickwit's answer.
        #[source]
        source: SendError,
    },
}

/// falcosidekick's sequence: `GET …/indexes/{index}/describe`; if that fails, `POST
/// …/indexes` with the index config, where a 400 means "already exists". Any other failure
/// stops the start (falcosidekick disables the output instead).
pub(crate) async fn ensure_index(
    config: &QuickwitConfig,
    ingest: &HttpTarget,
) -> Result<(), IndexError> {
    let describe = config.api_url(&format!("indexes/{}/describe", config.index))?;
    if ingest
        .retarget(reqwest::Method::GET, describe)
        .send(Vec::new())
        .await
        .is_ok()
    {
        return Ok(());
    }
    let create = config.api_url("indexes")?;
    match ingest
        .retarget(reqwest::Method::POST, create)
        .send(index_config(&config.index, &config.version))
        .await
    {
        Ok(()) => Ok(()),
        Err(SendError::Status { status, .. }) if status == reqwest::StatusCode::BAD_REQUEST => {
            Ok(())
        }
        Err(source) => Err(IndexError::Create {
            index: config.index.clone(),
            source,
        }),
    }
}
