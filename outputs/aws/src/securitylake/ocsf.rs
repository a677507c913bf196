//! An alert as an OCSF Security Finding (class 2001), with falcosidekick's field values
//! (pure).

use falconer_event::{Alert, Priority};
use serde_json::Value;

/// The OCSF schema version falcosidekick declares in `metadata.version`.
pub const SCHEMA_VERSION: &str = "0.1.0";

/// One OCSF Security Finding record: the columns of the Parquet object, the nested objects'
/// fields (`finding.*`, `metadata.*`) flattened into `finding_*` and `metadata_*`.
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    /// 1 (`Generate`).
    pub activity_id: i32,
    /// `Generate`.
    pub activity_name: &'static str,
    /// `Findings`.
    pub category_name: &'static str,
    /// 2 (Findings).
    pub category_uid: i32,
    /// `Security Finding`.
    pub class_name: &'static str,
    /// 2001.
    pub class_uid: i32,
    /// When the finding was created (the alert's time, ms since the epoch).
    pub finding_created_time: i64,
    /// The alert's output.
    pub finding_desc: String,
    /// The rule.
    pub finding_title: String,
    /// The alert's source (`syscall`, `k8s_audit`, …).
    pub finding_types: Vec<String>,
    /// The alert's UUID.
    pub finding_uid: String,
    /// The rule.
    pub message: String,
    /// [`SCHEMA_VERSION`].
    pub metadata_version: &'static str,
    /// `Falcosecurity`.
    pub metadata_product_vendor_name: &'static str,
    /// `Falco`.
    pub metadata_product_name: &'static str,
    /// The alert's tags.
    pub metadata_labels: Vec<String>,
    /// The hostname and every scalar output field.
    pub observables: Vec<Observable>,
    /// The alert's payload JSON.
    pub raw_data: String,
    /// `Informational`, `Low`, `Medium`, `High`, `Critical` or `Fatal`.
    pub severity: &'static str,
    /// 1 to 6, as `severity`.
    pub severity_id: i32,
    /// `New`.
    pub state: &'static str,
    /// 1 (New).
    pub state_id: i32,
    /// The priority (`Warning`, …).
    pub status: &'static str,
    /// The alert's time, ms since the epoch.
    pub time: i64,
    /// `Security Finding: Generate`.
    pub type_name: &'static str,
    /// 200101 (class × 100 + activity).
    pub type_uid: i32,
}

/// An OCSF observable: a named value of the finding (type `Other`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Observable {
    /// `hostname`, or the output field's name.
    pub name: String,
    /// `Other`.
    pub kind: &'static str,
    /// 0 (Other).
    pub type_id: i32,
    /// The value as text.
    pub value: String,
}

impl Finding {
    /// The finding of `alert`.
    pub fn of(alert: &Alert) -> Finding {
        let millis = alert.time.timestamp_millis();
        let (severity_id, severity) = severity(alert.priority);
        Finding {
            activity_id: 1,
            activity_name: "Generate",
            category_name: "Findings",
            category_uid: 2,
            class_name: "Security Finding",
            class_uid: 2001,
            finding_created_time: millis,
            finding_desc: alert.output.clone(),
            finding_title: alert.rule.clone(),
            finding_types: vec![alert.source.clone()],
            finding_uid: alert.uuid.clone(),
            message: alert.rule.clone(),
            metadata_version: SCHEMA_VERSION,
            metadata_product_vendor_name: "Falcosecurity",
            metadata_product_name: "Falco",
            metadata_labels: alert.tags.clone(),
            observables: observables(alert),
            raw_data: String::from_utf8_lossy(alert.to_json()).into_owned(),
            severity,
            severity_id,
            state: "New",
            state_id: 1,
            status: alert.priority.as_str(),
            time: millis,
            type_name: "Security Finding: Generate",
            type_uid: 200_101,
        }
    }
}

/// falcosidekick's severity of a priority: (`severity_id`, `severity`).
pub fn severity(priority: Priority) -> (i32, &'static str) {
    match priority {
        Priority::Debug | Priority::Informational => (1, "Informational"),
        Priority::Notice => (2, "Low"),
        Priority::Warning => (3, "Medium"),
        Priority::Error => (4, "High"),
        Priority::Critical => (5, "Critical"),
        Priority::Alert | Priority::Emergency => (6, "Fatal"),
    }
}

/// The hostname (when set), then every output field whose value is a string or a number,
/// in the fields' order; booleans, nulls, arrays and objects are left out, as falcosidekick
/// does. Numbers keep the digits Falco sent (falcosidekick prints them through a float64).
fn observables(alert: &Alert) -> Vec<Observable> {
    let other = |name: &str, value: String| Observable {
        name: name.to_owned(),
        kind: "Other",
        type_id: 0,
        value,
    };
    let hostname = (!alert.hostname.is_empty()).then(|| other("hostname", alert.hostname.clone()));
    let fields = alert
        .output_fields
        .iter()
        .filter_map(|(name, value)| match value {
            Value::String(s) => Some(other(name, s.clone())),
            Value::Number(n) => Some(other(name, n.to_string())),
            _ => None,
        });
    hostname.into_iter().chain(fields).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alert(body: &str) -> Alert {
        Alert::decode(body.as_bytes()).expect("a valid alert")
    }

    #[test]
    fn every_priority_has_falcosidekicks_severity() {
        let got: Vec<_> = Priority::ALL.iter().map(|p| severity(*p)).collect();
        assert_eq!(
            got,
            [
                (1, "Informational"),
                (1, "Informational"),
                (2, "Low"),
                (3, "Medium"),
                (4, "High"),
                (5, "Critical"),
                (6, "Fatal"),
                (6, "Fatal"),
            ]
        );
    }

    #[test]
    fn observables_are_the_hostname_and_the_scalar_fields() {
        let a = alert(
            r#"{"output":"o","priority":"Error","rule":"r","time":"2024-05-14T09:21:07.418790123Z",
               "hostname":"node-1","source":"syscall","output_fields":{"proc.name":"sh","proc.pid":12345678,
               "fd.num":-1.5,"evt.is_open":true,"k8s.pod.labels":["a"],"user.loginuid":null,
               "big":12345678901234567890}}"#,
        );
        let names_values: Vec<(String, String)> = observables(&a)
            .into_iter()
            .map(|o| (o.name, o.value))
            .collect();
        assert_eq!(
            names_values,
            [
                ("hostname".to_owned(), "node-1".to_owned()),
                ("big".to_owned(), "12345678901234567890".to_owned()),
                ("fd.num".to_owned(), "-1.5".to_owned()),
                ("proc.name".to_owned(), "sh".to_owned()),
                ("proc.pid".to_owned(), "12345678".to_owned()),
            ]
        );
        let f = Finding::of(&a);
        assert_eq!(f.time, 1_715_678_467_418);
        assert_eq!(f.finding_created_time, f.time);
        assert_eq!((f.severity_id, f.severity, f.status), (4, "High", "Error"));
        assert_eq!(f.finding_types, ["syscall"]);
        assert_eq!(f.raw_data.as_bytes(), a.to_json());
    }

    #[test]
    fn no_hostname_no_hostname_observable() {
        let a =
            alert(r#"{"output":"o","priority":"Debug","rule":"r","time":"2024-05-14T09:21:07Z"}"#);
        assert!(observables(&a).is_empty());
        assert_eq!(Finding::of(&a).severity, "Informational");
    }
}
