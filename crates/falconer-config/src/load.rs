//! Loading: YAML file, then environment variables over it (falcosidekick's names), then the
//! output instances from singleton blocks and the `outputs:` list. Every problem is collected.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;

use serde_json::{Map, Value};

use crate::error::{join_path, ConfigErrors};
use crate::falcosidekick::{
    is_block_root, refused, GLOBAL_KEYS, NESTED_GLOBAL_KEYS, OUTPUT_BLOCKS,
};
use crate::lenient::{from_value, parse_pairs};
use crate::schema::{CommonSettings, GlobalSettings, COMMON_KEYS};
use crate::secret_files;

/// Largest `queue.capacity` accepted.
pub const MAX_QUEUE_CAPACITY: usize = 10_000_000;

/// What the loader must know about an output kind.
#[derive(Clone, Copy, Debug)]
pub struct KindSchema {
    /// The `type:` value (`webhook`).
    pub name: &'static str,
    /// The falcosidekick singleton block (`webhook`, `aws.sqs`).
    pub block: &'static str,
    /// Keys that must all be non-empty for the singleton block to be an instance.
    pub enabled_by: &'static [&'static str],
    /// The kind's own top-level keys (for mapping env variables).
    pub fields: &'static [&'static str],
}

/// One output instance, validated for its common settings; its kind-specific settings are
/// checked by the kind (see `falconer-core`). `Debug` leaves the kind's settings out: they
/// hold credentials.
#[derive(Clone, PartialEq)]
pub struct OutputEntry {
    /// Unique instance name (the kind name for a singleton block).
    pub name: String,
    /// The kind.
    pub kind: String,
    /// Where it was configured, for messages: `webhook` or `outputs[2] (secops)`.
    pub path: String,
    /// Filter and delivery settings.
    pub common: CommonSettings,
    /// The kind's own keys, as given.
    pub settings: Value,
}

impl std::fmt::Debug for OutputEntry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OutputEntry")
            .field("name", &self.name)
            .field("kind", &self.kind)
            .field("path", &self.path)
            .field("common", &self.common)
            .finish_non_exhaustive()
    }
}

/// The loaded configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// Top-level settings.
    pub global: GlobalSettings,
    /// Output instances, in configuration order (singleton blocks first).
    pub outputs: Vec<OutputEntry>,
    /// Things worth telling the operator that do not stop the start.
    pub warnings: Vec<String>,
}

/// Where the configuration comes from.
#[derive(Debug, Clone, Default)]
pub struct Sources {
    /// YAML text of the config file, if any.
    pub yaml: Option<String>,
    /// Environment variables (name → value).
    pub env: HashMap<String, String>,
}

impl Sources {
    /// Reads `file` (when given) and the process environment.
    pub fn from_process(file: Option<&Path>) -> Result<Sources, ConfigErrors> {
        let yaml = match file {
            Some(path) => Some(std::fs::read_to_string(path).map_err(|e| {
                ConfigErrors(vec![crate::ConfigError::new(
                    path.display().to_string(),
                    format!("cannot read config file: {e}"),
                )])
            })?),
            None => None,
        };
        // vars() would panic on a variable that is not UTF-8; such variables are skipped.
        let env = std::env::vars_os()
            .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
            .collect();
        Ok(Sources { yaml, env })
    }
}

/// Loads and checks the configuration against the known output kinds.
pub fn load(sources: &Sources, kinds: &[KindSchema]) -> Result<Config, ConfigErrors> {
    let (config, errors) = load_partial(sources, kinds);
    errors.into_result(config)
}

/// Like [`load`], but returns what could be loaded together with the problems, so that a
/// checker can go on validating the outputs that did load and report everything at once.
pub fn load_partial(sources: &Sources, kinds: &[KindSchema]) -> (Config, ConfigErrors) {
    let mut errors = ConfigErrors::default();
    let mut warnings = Vec::new();

    let mut tree = match &sources.yaml {
        Some(text) if !text.trim().is_empty() => match serde_yaml_ng::from_str::<Value>(text) {
            Ok(Value::Object(map)) => map,
            Ok(Value::Null) => Map::new(),
            Ok(_) => {
                errors.push("", "the config file must be a YAML mapping");
                return (Config::empty(), errors);
            }
            Err(e) => {
                errors.push("", format!("invalid YAML: {e}"));
                return (Config::empty(), errors);
            }
        },
        _ => Map::new(),
    };
    apply_env(&mut tree, &sources.env, kinds);
    for root in NESTED_GLOBAL_KEYS {
        if let Some(Value::Object(block)) = tree.get_mut(*root) {
            secret_files::resolve(block, nested_global_fields(root), root, &mut errors);
        }
    }

    let outputs_list = tree.remove("outputs");
    let mut global_tree = Map::new();
    let mut block_roots = Map::new();
    for (key, value) in std::mem::take(&mut tree) {
        if GLOBAL_KEYS.contains(&key.as_str()) {
            global_tree.insert(key, value);
        } else if is_block_root(&key) || kinds.iter().any(|k| block_root(k.block) == key) {
            block_roots.insert(key, value);
        } else {
            errors.push(key, "unknown key");
        }
    }

    let mut global = global_settings(global_tree, &mut errors);
    resolve_custom_field_env(&mut global, &sources.env, &mut warnings);
    tls_server_problems(&global.tlsserver, &mut errors);
    for (key, source) in &global.templatedfields {
        if let Err(e) = falconer_event::GoTemplate::parse(source) {
            errors.push(
                format!("templatedfields.{key}"),
                format!("invalid template: {e}"),
            );
        }
    }
    if global.ingest.maxconnections == 0 {
        errors.push("ingest.maxconnections", "must be greater than 0");
    }
    if global.ingest.maxconnectionsperclient == 0 {
        errors.push("ingest.maxconnectionsperclient", "must be greater than 0");
    }
    // A zero deadline would turn the slow-client protection off.
    for (key, limit) in [
        ("ingest.headertimeout", &global.ingest.headertimeout),
        ("ingest.idletimeout", &global.ingest.idletimeout),
        ("ingest.bodytimeout", &global.ingest.bodytimeout),
    ] {
        if limit.0.is_zero() {
            errors.push(key, "must be greater than 0");
        }
    }
    if global.ingest.maxbodybytes == 0 {
        errors.push("ingest.maxbodybytes", "must be greater than 0");
    }
    let max_series = global.prometheus.maxseries;
    if max_series == 0 || max_series > crate::schema::MAX_PROMETHEUS_SERIES {
        errors.push(
            "prometheus.maxseries",
            format!(
                "must be between 1 and {}",
                crate::schema::MAX_PROMETHEUS_SERIES
            ),
        );
    }
    global.k8saudit.problems(&mut errors);
    let audit_port = global.k8saudit.listenport;
    if audit_port != 0
        && (audit_port == global.listenport
            || (global.tlsserver.deploy
                && !global.tlsserver.notlspaths.is_empty()
                && audit_port == global.tlsserver.notlsport))
    {
        errors.push(
            "k8saudit.listenport",
            format!("{audit_port} is already the ingest port or its plain side port"),
        );
    }
    if global.listenport == 0 {
        errors.push("listenport", "must be between 1 and 65535");
    }
    if !global.listenaddress.is_empty() && global.listenaddress.parse::<std::net::IpAddr>().is_err()
    {
        errors.push(
            "listenaddress",
            format!("{:?} is not an IP address", global.listenaddress),
        );
    }

    if global.deadletter.enabled && global.deadletter.maxbytes < MIN_STORE_BYTES {
        errors.push(
            "deadletter.maxbytes",
            format!("must be at least {MIN_STORE_BYTES}"),
        );
    }
    if global.deadletter.enabled && global.deadletter.maxfiles == 0 {
        errors.push("deadletter.maxfiles", "must be at least 1");
    }

    inherit_parent_keys(&mut block_roots, kinds);
    // Secrets from files first: `addressfile` can be what enables a block.
    for kind in kinds {
        if let Some(Value::Object(block)) = lookup_mut(&mut block_roots, kind.block) {
            secret_files::resolve(block, kind.fields, kind.block, &mut errors);
        }
    }
    let mut outputs = Vec::new();
    for kind in kinds {
        if let Some(block) = lookup(&block_roots, kind.block) {
            if is_enabled(block, kind.enabled_by) {
                outputs.push(entry(
                    kind,
                    kind.name,
                    kind.block.to_owned(),
                    block.clone(),
                    &mut errors,
                ));
            }
        }
    }
    for (path, enabled_by) in OUTPUT_BLOCKS {
        if kinds.iter().any(|k| k.block == *path) {
            continue;
        }
        if let Some(block) = lookup(&block_roots, path) {
            if !is_enabled(block, enabled_by) {
                continue;
            }
            match refused(path) {
                Some(why) => errors.push(*path, why),
                None => warnings.push(format!(
                    "{path}: this falcosidekick output is not implemented by Falconer yet; the block is ignored"
                )),
            }
        }
    }
    match outputs_list {
        None | Some(Value::Null) => {}
        Some(Value::Array(items)) => {
            for (i, item) in items.into_iter().enumerate() {
                list_entry(i, item, kinds, &mut outputs, &mut errors);
            }
        }
        Some(_) => errors.push("outputs", "must be a list of output instances"),
    }

    let mut seen = BTreeSet::new();
    for o in &outputs {
        if !seen.insert(o.name.clone()) {
            errors.push(
                o.path.clone(),
                format!("duplicate output name {:?}", o.name),
            );
        }
    }
    let dead_letter_output = &global.deadletter.output;
    if global.deadletter.enabled
        && !dead_letter_output.is_empty()
        && !seen.contains(dead_letter_output)
    {
        errors.push(
            "deadletter.output",
            format!("no output instance is named {dead_letter_output:?}"),
        );
    }
    let needs_datadir = global.deadletter.enabled || outputs.iter().any(|o| o.common.spool.enabled);
    if needs_datadir && global.datadir.trim().is_empty() {
        errors.push(
            "datadir",
            "must name a folder (the dead-letter store and spools live there)",
        );
    }
    (
        Config {
            global,
            outputs,
            warnings,
        },
        errors,
    )
}

impl Config {
    fn empty() -> Self {
        Config {
            global: GlobalSettings::default(),
            outputs: Vec::new(),
            warnings: Vec::new(),
        }
    }
}

/// Nested blocks (`aws.sqs`) take the keys their kind knows from the parent block (`aws:`'s
/// `region`, `accesskeyid`, `secretaccesskey` or `secretaccesskeyfile`, …), as falcosidekick
/// shares them; a key set in the nested block wins.
fn inherit_parent_keys(block_roots: &mut Map<String, Value>, kinds: &[KindSchema]) {
    for kind in kinds {
        let Some((parent, _)) = kind.block.rsplit_once('.') else {
            continue;
        };
        let Some(Value::Object(parent_block)) = lookup(block_roots, parent) else {
            continue;
        };
        let known = |key: &str| {
            let field = key
                .strip_suffix("file")
                .filter(|s| !s.is_empty())
                .unwrap_or(key);
            kind.fields.contains(&key) || kind.fields.contains(&field)
        };
        let inherited: Vec<(String, Value)> = parent_block
            .iter()
            .filter(|(k, v)| !v.is_object() && known(k))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        if let Some(Value::Object(block)) = lookup_mut(block_roots, kind.block) {
            for (key, value) in inherited {
                block.entry(key).or_insert(value);
            }
        }
    }
}

/// Deserializes the globals key by key, so that one bad value does not hide the others.
fn global_settings(tree: Map<String, Value>, errors: &mut ConfigErrors) -> GlobalSettings {
    let mut good = Map::new();
    for (key, value) in tree {
        let single = Value::Object(Map::from_iter([(key.clone(), value.clone())]));
        match from_value::<GlobalSettings>(single) {
            Ok(_) => {
                good.insert(key, value);
            }
            Err((path, msg)) => errors.push(path, msg),
        }
    }
    from_value::<GlobalSettings>(Value::Object(good)).unwrap_or_default()
}

fn block_root(block: &str) -> &str {
    block.split('.').next().unwrap_or(block)
}

fn lookup<'a>(roots: &'a Map<String, Value>, path: &str) -> Option<&'a Value> {
    let mut parts = path.split('.');
    let mut cur = roots.get(parts.next()?)?;
    for p in parts {
        cur = cur.as_object()?.get(p)?;
    }
    Some(cur)
}

fn lookup_mut<'a>(roots: &'a mut Map<String, Value>, path: &str) -> Option<&'a mut Value> {
    let mut parts = path.split('.');
    let mut cur = roots.get_mut(parts.next()?)?;
    for p in parts {
        cur = cur.as_object_mut()?.get_mut(p)?;
    }
    Some(cur)
}

fn is_enabled(block: &Value, enabled_by: &[&str]) -> bool {
    let Some(map) = block.as_object() else {
        return false;
    };
    enabled_by.iter().all(|key| match map.get(*key) {
        None | Some(Value::Null) => false,
        Some(Value::String(s)) => !s.trim().is_empty(),
        Some(Value::Bool(b)) => *b,
        Some(Value::Array(a)) => !a.is_empty(),
        Some(_) => true,
    })
}

fn list_entry(
    index: usize,
    item: Value,
    kinds: &[KindSchema],
    outputs: &mut Vec<OutputEntry>,
    errors: &mut ConfigErrors,
) {
    let Value::Object(map) = item else {
        errors.push(
            format!("outputs[{index}]"),
            "must be a mapping with `name` and `type`",
        );
        return;
    };
    let name = map
        .get("name")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    let path = if name.is_empty() {
        format!("outputs[{index}]")
    } else {
        format!("outputs[{index}] ({name})")
    };
    if name.is_empty() {
        errors.push(
            format!("{path}.name"),
            "missing; every instance needs a unique name",
        );
    }
    // `type: null` written unquoted is YAML's null; it can only mean the `null` output.
    let kind = match map.get("type") {
        Some(Value::Null) => "null".to_owned(),
        other => other.and_then(Value::as_str).unwrap_or_default().to_owned(),
    };
    if kind.is_empty() {
        errors.push(format!("{path}.type"), "missing");
        return;
    }
    if let Some(why) = refused(&kind).filter(|_| !kinds.iter().any(|k| k.name == kind)) {
        errors.push(format!("{path}.type"), why);
        return;
    }
    if !kinds.iter().any(|k| k.name == kind) {
        let known: Vec<&str> = kinds.iter().map(|k| k.name).collect();
        errors.push(
            format!("{path}.type"),
            format!(
                "unknown output type {kind:?} (available: {})",
                known.join(", ")
            ),
        );
        return;
    }
    let Some(schema) = kinds.iter().find(|k| k.name == kind) else {
        return;
    };
    outputs.push(entry(schema, &name, path, Value::Object(map), errors));
}

/// The common key an instance key sets, or `None` when it is the kind's own. A kind's own key
/// that shares its name with a common block (falcosidekick's `rabbitmq.queue`, the queue to
/// publish to) keeps its scalar values; a map there is still the common block, and
/// `deliveryqueue` names the output's queue without ambiguity.
fn common_key<'a>(kind: &KindSchema, key: &'a str, value: &Value) -> Option<&'a str> {
    if key == DELIVERY_QUEUE {
        return Some("queue");
    }
    if !COMMON_KEYS.contains(&key) || (kind.fields.contains(&key) && !value.is_object()) {
        return None;
    }
    Some(key)
}

/// `key` as the kind spells it: falcosidekick's loader (viper) ignores the case of keys, so
/// its users write `customHeaders`, `routingKey`, `minimumPriority`; a key that is a known key
/// of the kind (or a common key) in lowercase is taken in lowercase. Unknown keys keep their
/// spelling, for the error that names them.
fn known_spelling(kind: &KindSchema, key: String) -> String {
    if !key.bytes().any(|b| b.is_ascii_uppercase()) {
        return key;
    }
    let lower = key.to_ascii_lowercase();
    let field = lower
        .strip_suffix("file")
        .filter(|f| !f.is_empty())
        .unwrap_or(&lower);
    let known = kind.fields.contains(&lower.as_str())
        || kind.fields.contains(&field)
        || COMMON_KEYS.contains(&lower.as_str())
        || matches!(lower.as_str(), "name" | "type" | DELIVERY_QUEUE);
    if known {
        lower
    } else {
        key
    }
}

/// Another name of an instance's `queue:` block, for kinds that have a `queue` key of their own.
const DELIVERY_QUEUE: &str = "deliveryqueue";

/// Splits an instance's common keys from its kind's keys (after reading `<key>file` secrets).
fn entry(
    kind: &KindSchema,
    name: &str,
    path: String,
    block: Value,
    errors: &mut ConfigErrors,
) -> OutputEntry {
    let mut common = Map::new();
    let mut settings = Map::new();
    if let Value::Object(map) = block {
        let mut map: Map<String, Value> = map
            .into_iter()
            .map(|(k, v)| (known_spelling(kind, k), v))
            .collect();
        secret_files::resolve(&mut map, kind.fields, &path, errors);
        // In an `outputs:` entry `name` and `type` name the instance and its kind; a
        // singleton block (`sumologic:`, `gcp.cloudfunctions:`) has no such keys, so there they
        // are the kind's own keys when it has them (`sumologic.name`, `elasticsearch.type`).
        let singleton = path == kind.block;
        for (k, v) in map {
            if (k == "name" || k == "type") && !(singleton && kind.fields.contains(&k.as_str())) {
                continue;
            }
            match common_key(kind, &k, &v) {
                Some(common_name) if common.contains_key(common_name) => errors.push(
                    join_path(&path, &k),
                    "sets the output's queue a second time (`queue` and `deliveryqueue`)",
                ),
                Some(common_name) => {
                    common.insert(common_name.to_owned(), v);
                }
                None => {
                    settings.insert(k, v);
                }
            }
        }
    }
    let common = match from_value::<CommonSettings>(Value::Object(common)) {
        Ok(c) => c,
        Err((sub, msg)) => {
            errors.push(join_path(&path, &sub), msg);
            CommonSettings::default()
        }
    };
    if common.queue.capacity == 0 || common.queue.capacity > MAX_QUEUE_CAPACITY {
        errors.push(
            join_path(&path, "queue.capacity"),
            format!("must be between 1 and {MAX_QUEUE_CAPACITY}"),
        );
    }
    if common.timeout.0.is_zero() {
        errors.push(join_path(&path, "timeout"), "must be greater than 0");
    }
    for (key, message) in delivery_problems(&common) {
        errors.push(join_path(&path, key), message);
    }
    OutputEntry {
        name: name.to_owned(),
        kind: kind.name.to_owned(),
        path,
        common,
        settings: Value::Object(settings),
    }
}

/// The routes `tlsserver.notlspaths` may move to the plain-HTTP port.
pub const NOTLS_ROUTES: &[&str] = &[
    "/",
    "/ping",
    "/healthz",
    "/ready",
    "/test",
    "/metrics",
    "/k8s-audit",
];

fn tls_server_problems(tls: &crate::schema::TlsServer, errors: &mut ConfigErrors) {
    for (i, path) in tls.notlspaths.iter().enumerate() {
        if !NOTLS_ROUTES.contains(&path.as_str()) {
            errors.push(
                format!("tlsserver.notlspaths[{i}]"),
                format!("{path:?} is not one of {}", NOTLS_ROUTES.join(", ")),
            );
        }
    }
    if !tls.deploy {
        return;
    }
    for (key, value) in [("certfile", &tls.certfile), ("keyfile", &tls.keyfile)] {
        if value.trim().is_empty() {
            errors.push(format!("tlsserver.{key}"), "must name a PEM file");
        }
    }
    if tls.mutualtls && tls.cacertfile.trim().is_empty() {
        errors.push(
            "tlsserver.cacertfile",
            "must name the CA of the client certificates (mutualtls is on)",
        );
    }
    if tls.notlsport == 0 {
        errors.push("tlsserver.notlsport", "must be between 1 and 65535");
    }
    if tls.reloadinterval.0.is_zero() {
        errors.push("tlsserver.reloadinterval", "must be greater than 0");
    }
}

/// Largest `batch.maxevents` accepted.
pub const MAX_BATCH_EVENTS: usize = 100_000;

/// Smallest `spool.maxbytes` and `deadletter.maxbytes` accepted.
pub const MIN_STORE_BYTES: u64 = 64 * 1024;

/// Problems with an instance's retry, breaker, batch and spool settings (paths relative to
/// the instance).
fn delivery_problems(common: &CommonSettings) -> Vec<(&'static str, String)> {
    let mut problems = Vec::new();
    let retry = &common.retry;
    if retry.initialbackoff.is_some_and(|d| d.0.is_zero()) {
        problems.push(("retry.initialbackoff", "must be greater than 0".to_owned()));
    }
    if let (Some(initial), Some(max)) = (retry.initialbackoff, retry.maxbackoff) {
        if max < initial {
            problems.push((
                "retry.maxbackoff",
                format!("must not be shorter than retry.initialbackoff ({initial})"),
            ));
        }
    }
    if retry.maxage.is_some_and(|d| d.0.is_zero()) {
        problems.push(("retry.maxage", "must be greater than 0".to_owned()));
    }
    if common.breaker.failures > 0 && common.breaker.cooldown.0.is_zero() {
        problems.push(("breaker.cooldown", "must be greater than 0".to_owned()));
    }
    if common
        .batch
        .maxevents
        .is_some_and(|n| n == 0 || n > MAX_BATCH_EVENTS)
    {
        problems.push((
            "batch.maxevents",
            format!("must be between 1 and {MAX_BATCH_EVENTS}"),
        ));
    }
    if common.batch.maxbytes == Some(0) {
        problems.push(("batch.maxbytes", "must be greater than 0".to_owned()));
    }
    if common.spool.enabled && common.spool.maxbytes < MIN_STORE_BYTES {
        problems.push((
            "spool.maxbytes",
            format!("must be at least {MIN_STORE_BYTES}"),
        ));
    }
    problems
}

/// falcosidekick's env rules: `A_B_C` sets key `a.b.c` (keys never contain `_`), but only for
/// keys the schema knows, so unrelated variables (`PATH`, `SLACK_TOKEN` of another tool) are
/// ignored. A map-valued key given `k:v,k:v` is merged into the file's map.
fn apply_env(tree: &mut Map<String, Value>, env: &HashMap<String, String>, kinds: &[KindSchema]) {
    // Sorted so that the result does not depend on the environment's order.
    let sorted: BTreeMap<&String, &String> = env.iter().collect();
    for (name, value) in sorted {
        // viper ignores empty variables; Helm charts render many of them.
        if value.is_empty() {
            continue;
        }
        let lower = name.to_ascii_lowercase();
        let segments: Vec<&str> = lower.split('_').collect();
        if segments.iter().any(|s| s.is_empty()) {
            continue;
        }
        // `SMTP_PASSWORD_FILE`: the file holding `smtp.password`. Checked first, because an
        // output block takes nested keys (`ELASTICSEARCH_BATCHING_ENABLED`), so the whole name
        // would otherwise be read as a key `smtp.password.file`.
        let file_of = match segments.split_last() {
            Some((&"file", stem)) => env_path(stem, kinds),
            _ => None,
        };
        if let Some(mut path) = file_of {
            let last = path.len() - 1;
            let key = format!("{}file", path[last]);
            path[last] = &key;
            set_path(tree, &path, value);
        } else if let Some(path) = env_path(&segments, kinds) {
            set_path(tree, &path, value);
        }
    }
}

/// The config path an environment variable's segments name, if it names a known key.
fn env_path<'a>(segments: &[&'a str], kinds: &[KindSchema]) -> Option<Vec<&'a str>> {
    match segments {
        [key] if GLOBAL_KEYS.contains(key) && !NESTED_GLOBAL_KEYS.contains(key) => {
            Some(segments.to_vec())
        }
        [root, field] if nested_global_fields(root).contains(field) => Some(segments.to_vec()),
        _ => kinds
            .iter()
            .find_map(|kind| {
                let block: Vec<&str> = kind.block.split('.').collect();
                let Some(rest) = segments.strip_prefix(block.as_slice()) else {
                    // `AWS_REGION`: a key of the parent block that nested kinds share.
                    let (_, parent) = block.split_last()?;
                    let rest = segments.strip_prefix(parent)?;
                    return match rest {
                        [key] if !parent.is_empty() && kind.fields.contains(key) => {
                            Some(segments.to_vec())
                        }
                        _ => None,
                    };
                };
                let first = rest.first()?;
                let known = kind.fields.contains(first)
                    || COMMON_KEYS.contains(first)
                    || *first == DELIVERY_QUEUE;
                let instance_key =
                    matches!(*first, "name" | "type") && !kind.fields.contains(first);
                (known && !instance_key).then(|| segments.to_vec())
            })
            .or_else(|| unimplemented_block_key(segments, kinds)),
    }
}

/// The fields of a nested global block, for mapping `BLOCK_FIELD` variables.
fn nested_global_fields(root: &str) -> &'static [&'static str] {
    use crate::schema::{
        IngestSettings, MutualTlsClient, PrometheusSettings, ShutdownSettings, TlsClient, TlsServer,
    };
    match root {
        "mutualtlsclient" => crate::fields_of::<MutualTlsClient>(),
        "tlsclient" => crate::fields_of::<TlsClient>(),
        "tlsserver" => crate::fields_of::<TlsServer>(),
        "prometheus" => crate::fields_of::<PrometheusSettings>(),
        "ingest" => crate::fields_of::<IngestSettings>(),
        "shutdown" => crate::fields_of::<ShutdownSettings>(),
        "deadletter" => crate::fields_of::<crate::DeadLetterSettings>(),
        "k8saudit" => crate::fields_of::<crate::K8sAuditSettings>(),
        "reload" => crate::fields_of::<crate::ReloadSettings>(),
        _ => &[],
    }
}

/// The enabling key of a falcosidekick output Falconer does not implement
/// (`SLACK_WEBHOOKURL`), so that the "not implemented" warning fires for env-only setups too.
fn unimplemented_block_key<'a>(segments: &[&'a str], kinds: &[KindSchema]) -> Option<Vec<&'a str>> {
    OUTPUT_BLOCKS.iter().find_map(|(path, enabled_by)| {
        if kinds.iter().any(|k| k.block == *path) {
            return None;
        }
        let block: Vec<&str> = path.split('.').collect();
        let rest = segments.strip_prefix(block.as_slice())?;
        match rest {
            [key] if enabled_by.contains(key) => Some(segments.to_vec()),
            _ => None,
        }
    })
}

fn set_path(tree: &mut Map<String, Value>, path: &[&str], value: &str) {
    let Some((last, parents)) = path.split_last() else {
        return;
    };
    let mut cur = tree;
    for p in parents {
        let slot = cur
            .entry((*p).to_owned())
            .or_insert_with(|| Value::Object(Map::new()));
        if !slot.is_object() {
            *slot = Value::Object(Map::new());
        }
        let Value::Object(next) = slot else {
            return;
        };
        cur = next;
    }
    match cur.get_mut(*last) {
        Some(Value::Object(existing)) => existing.extend(parse_pairs(value)),
        _ => {
            cur.insert((*last).to_owned(), Value::String(value.to_owned()));
        }
    }
}

/// `customfields` values written `%NAME` are read from env variable NAME (falcosidekick does
/// this for `CUSTOMFIELDS` only; Falconer does it for the file too).
fn resolve_custom_field_env(
    global: &mut GlobalSettings,
    env: &HashMap<String, String>,
    warnings: &mut Vec<String>,
) {
    for (key, value) in global.customfields.iter_mut() {
        if let Some(var) = value.strip_prefix('%') {
            match env.get(var) {
                Some(v) => *value = v.clone(),
                None => {
                    warnings.push(format!(
                        "customfields.{key}: environment variable {var} is not set; using \"\""
                    ));
                    value.clear();
                }
            }
        }
    }
}

#[cfg(test)]
#[path = "load_tests.rs"]
mod tests;
