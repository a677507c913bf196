//! What is written, as falcosidekick writes it: the columns `time`, `rule`, `priority`,
//! `source`, `output`, `tags` (joined with `,`), `hostname`, then one column per
//! `customfields` and `templatedfields` key holding that output field (when it is a string,
//! with `"` removed). Any text value `null` (in any case) is written as SQL NULL.
//!
//! Unlike falcosidekick, whose column order is random and which leaves out empty tags, an
//! empty hostname and missing custom fields, the column list is fixed (the custom keys
//! sorted) and those values are NULL, so one prepared statement inserts a whole batch:
//! `INSERT … SELECT * FROM UNNEST($1::timestamptz[], $2::text[], …)`.

use chrono::{DateTime, FixedOffset};
use falconer_core::Alert;
use serde_json::Value;

/// The fixed columns, in order.
pub const FIXED_COLUMNS: [&str; 7] = [
    "time", "rule", "priority", "source", "output", "tags", "hostname",
];

/// A SQL identifier as PostgreSQL reads it unquoted (folded to lower case), quoted so that
/// any name is safe in the statement.
pub fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.to_lowercase().replace('"', "\"\""))
}

/// A possibly schema-qualified table name (`events`, `falco.events`), quoted part by part.
pub fn quote_table(name: &str) -> String {
    name.split('.')
        .map(quote_ident)
        .collect::<Vec<_>>()
        .join(".")
}

/// True for a name PostgreSQL accepts unquoted (`schema.table` allowed).
pub fn is_plain_table_name(name: &str) -> bool {
    !name.is_empty()
        && name.split('.').count() <= 2
        && name.split('.').all(|part| {
            let mut chars = part.chars();
            matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
                && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$')
                && part.len() <= 63
        })
}

/// The table layout of an instance.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Layout {
    /// The quoted table name.
    pub table: String,
    /// Custom and templated field keys, sorted, one per column (keys that fold to the same
    /// lower-case column name are kept once).
    pub custom: Vec<String>,
}

impl Layout {
    /// The layout for `table` with the `customfields` and `templatedfields` keys.
    pub fn new<'a>(table: &str, custom: impl IntoIterator<Item = &'a String>) -> Layout {
        let mut custom: Vec<String> = custom
            .into_iter()
            .filter(|k| !FIXED_COLUMNS.contains(&k.to_lowercase().as_str()))
            .cloned()
            .collect();
        custom.sort_by_key(|k| (k.to_lowercase(), k.clone()));
        // Keys differing only in case name the same column.
        custom.dedup_by_key(|k| k.to_lowercase());
        Layout {
            table: quote_table(table),
            custom,
        }
    }

    /// Every column name, quoted, in order.
    pub fn columns(&self) -> Vec<String> {
        FIXED_COLUMNS
            .iter()
            .map(|c| quote_ident(c))
            .chain(self.custom.iter().map(|c| quote_ident(c)))
            .collect()
    }

    /// The one INSERT statement of every batch: arrays in, one row per element.
    pub fn insert_sql(&self) -> String {
        let columns = self.columns();
        let arrays: Vec<String> = (1..=columns.len())
            .map(|i| {
                if i == 1 {
                    "$1::timestamptz[]".to_owned()
                } else {
                    format!("${i}::text[]")
                }
            })
            .collect();
        format!(
            "INSERT INTO {} ({}) SELECT * FROM UNNEST({})",
            self.table,
            columns.join(", "),
            arrays.join(", ")
        )
    }

    /// `CREATE TABLE` for a table that does not exist yet (falcosidekick's documented
    /// schema, with `TEXT` for `priority` and `source`, plus a `TEXT` column per custom key).
    pub fn create_sql(&self) -> String {
        let mut columns = vec![
            "\"time\" TIMESTAMPTZ NOT NULL".to_owned(),
            "\"rule\" TEXT".to_owned(),
            "\"priority\" TEXT".to_owned(),
            "\"source\" TEXT".to_owned(),
            "\"output\" TEXT".to_owned(),
            "\"tags\" TEXT".to_owned(),
            "\"hostname\" TEXT".to_owned(),
        ];
        columns.extend(
            self.custom
                .iter()
                .map(|c| format!("{} TEXT", quote_ident(c))),
        );
        format!(
            "CREATE TABLE IF NOT EXISTS {} ({})",
            self.table,
            columns.join(", ")
        )
    }

    /// The statement's parameters for a batch: the times, then one text array per column.
    pub fn rows(&self, batch: &[std::sync::Arc<Alert>]) -> Rows {
        let mut rows = Rows {
            time: Vec::with_capacity(batch.len()),
            text: vec![
                Vec::with_capacity(batch.len());
                FIXED_COLUMNS.len() - 1 + self.custom.len()
            ],
        };
        for alert in batch {
            rows.time.push(alert.time);
            let tags = alert.tags.join(",");
            let fixed = [
                Some(alert.rule.as_str()),
                Some(alert.priority.as_str()),
                Some(alert.source.as_str()),
                Some(alert.output.as_str()),
                (!tags.is_empty()).then_some(tags.as_str()),
                (!alert.hostname.is_empty()).then_some(alert.hostname.as_str()),
            ];
            for (column, value) in rows.text.iter_mut().zip(fixed) {
                column.push(value.and_then(text));
            }
            for (column, key) in rows.text[FIXED_COLUMNS.len() - 1..]
                .iter_mut()
                .zip(&self.custom)
            {
                let value = match alert.output_fields.get(key) {
                    Some(Value::String(s)) => text(&s.replace('"', "")),
                    _ => None,
                };
                column.push(value);
            }
        }
        rows
    }
}

/// A text value, or NULL for `null` (falcosidekick's rule).
fn text(value: &str) -> Option<String> {
    if value.eq_ignore_ascii_case("null") {
        None
    } else {
        Some(value.to_owned())
    }
}

/// The parameters of one batch.
#[derive(Debug, PartialEq)]
pub struct Rows {
    /// `time` of each alert.
    pub time: Vec<DateTime<FixedOffset>>,
    /// Each text column (`rule` … `hostname`, then the custom keys), one value per alert.
    pub text: Vec<Vec<Option<String>>>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use falconer_event::{EnrichSettings, Enricher};

    fn alert(json: &str) -> std::sync::Arc<Alert> {
        let mut a = Alert::decode(json.as_bytes()).expect("sample alert");
        let settings = EnrichSettings {
            custom_fields: vec![
                ("env".into(), "prod".into()),
                ("team".into(), "Null".into()),
            ],
            ..EnrichSettings::default()
        };
        Enricher::new(&settings)
            .expect("enricher")
            .enrich(&mut a, uuid::Uuid::from_u128(1));
        std::sync::Arc::new(a)
    }

    #[test]
    fn the_statements_name_every_column_in_a_stable_order() {
        let keys = [
            "team".to_owned(),
            "env".to_owned(),
            "Env".to_owned(),
            "rule".to_owned(),
        ];
        let layout = Layout::new("Falco.Events", &keys);
        assert_eq!(layout.custom, ["Env", "team"]);
        assert_eq!(
            layout.insert_sql(),
            r#"INSERT INTO "falco"."events" ("time", "rule", "priority", "source", "output", "tags", "hostname", "env", "team") SELECT * FROM UNNEST($1::timestamptz[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[])"#
        );
    }

    #[test]
    fn values_are_falcosidekicks() {
        let json = r#"{"output":"out \"q\"","priority":"Warning","rule":"R1","time":"2024-05-14T16:31:56.746609046Z","source":"syscalls","tags":["b","a"],"hostname":"NULL","output_fields":{"proc.name":"bash","quoted":"say \"hi\""}}"#;
        let with_tags = alert(json);
        let bare = alert(
            r#"{"output":"o","priority":"Debug","rule":"R2","time":"2024-05-14T16:31:57Z","output_fields":{"x":1}}"#,
        );
        let keys = [
            "env".to_owned(),
            "quoted".to_owned(),
            "team".to_owned(),
            "missing".to_owned(),
        ];
        let layout = Layout::new("falco_events", &keys);
        let rows = layout.rows(&[with_tags.clone(), bare.clone()]);
        assert_eq!(rows.time, vec![with_tags.time, bare.time]);
        let s = |v: &str| Some(v.to_owned());
        assert_eq!(
            rows.text,
            vec![
                vec![s("R1"), s("R2")],
                vec![s("Warning"), s("Debug")],
                vec![s("syscalls"), s("syscalls")],
                vec![s("out \"q\""), s("o")],
                vec![s("a,b"), None],
                // "NULL" becomes SQL NULL, as an empty hostname does.
                vec![None, None],
                vec![s("prod"), s("prod")],
                vec![None, None],
                vec![s("say hi"), None],
                // customfields value "Null".
                vec![None, None],
            ]
        );
    }

    #[test]
    fn table_names_are_checked() {
        assert!(is_plain_table_name("falco_events"));
        assert!(is_plain_table_name("falco.events$1"));
        assert!(!is_plain_table_name(""));
        assert!(!is_plain_table_name("1events"));
        assert!(!is_plain_table_name("a.b.c"));
        assert!(!is_plain_table_name("events; DROP TABLE x"));
        assert_eq!(quote_ident("We\"ird"), "\"we\"\"ird\"");
    }
}
