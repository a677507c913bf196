//! Secrets from files (Kubernetes Secret volumes): every setting `<key>` may instead be given
//! as `<key>file: /path` in the file, or `<KEY>_FILE=/path` in the environment; the file's
//! content (without its final line break) becomes the value. Settings whose own name ends in
//! `file` (`tlsserver.certfile`) keep their meaning.

use serde_json::{Map, Value};

use crate::error::{join_path, ConfigErrors};

/// Replaces each `<key>file` of `map` whose `<key>` is one of `fields` (and which is not a field
/// itself) with the content of the file it names. `path` is the map's config path.
pub(crate) fn resolve(
    map: &mut Map<String, Value>,
    fields: &[&str],
    path: &str,
    errors: &mut ConfigErrors,
) {
    let keys: Vec<String> = map
        .keys()
        .filter(|k| {
            k.strip_suffix("file")
                .is_some_and(|stem| !stem.is_empty() && fields.contains(&stem))
                && !fields.contains(&k.as_str())
        })
        .cloned()
        .collect();
    for key in keys {
        let stem = &key[..key.len() - 4];
        let Some(Value::String(file)) = map.remove(&key) else {
            errors.push(join_path(path, &key), "must be the path of a file");
            continue;
        };
        if file.trim().is_empty() {
            continue;
        }
        if map
            .get(stem)
            .is_some_and(|v| !matches!(v, Value::Null) && v != "")
        {
            errors.push(
                join_path(path, &key),
                format!("{stem} is set too; give one of them"),
            );
            continue;
        }
        match std::fs::read_to_string(&file) {
            Ok(content) => {
                let value = content
                    .strip_suffix("\r\n")
                    .or_else(|| content.strip_suffix('\n'))
                    .unwrap_or(&content);
                map.insert(stem.to_owned(), Value::String(value.to_owned()));
            }
            // The error names the file, never its content.
            Err(e) => errors.push(join_path(path, &key), format!("cannot read {file}: {e}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_key_file_becomes_the_key_and_real_file_keys_stay() {
        let dir = tempfile::tempdir().unwrap();
        let secret = dir.path().join("password");
        std::fs::write(&secret, "s3cret\n").unwrap();
        let mut map = json!({
            "passwordfile": secret.display().to_string(),
            "certfile": "/etc/certs/x.crt",
        })
        .as_object()
        .cloned()
        .unwrap();
        let mut errors = ConfigErrors::default();
        resolve(
            &mut map,
            &["password", "certfile", "cert"],
            "smtp",
            &mut errors,
        );
        assert!(errors.0.is_empty(), "{errors}");
        assert_eq!(map["password"], "s3cret");
        assert_eq!(map["certfile"], "/etc/certs/x.crt");
        assert!(!map.contains_key("passwordfile"));
    }

    #[test]
    fn problems_name_the_file_never_the_content() {
        let mut map = json!({"tokenfile": "/nonexistent/token", "apikeyfile": "/x", "apikey": "k"})
            .as_object()
            .cloned()
            .unwrap();
        let mut errors = ConfigErrors::default();
        resolve(&mut map, &["token", "apikey"], "ingest", &mut errors);
        let mut messages: Vec<String> = errors.0.iter().map(ToString::to_string).collect();
        messages.sort();
        assert_eq!(messages.len(), 2);
        assert!(messages[0].starts_with("ingest.apikeyfile: apikey is set too"));
        assert!(messages[1].starts_with("ingest.tokenfile: cannot read /nonexistent/token"));
    }
}
