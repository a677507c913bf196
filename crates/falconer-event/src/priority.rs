//! Falco priorities: parsing, ordering and their Title-case wire form.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The severity of a Falco alert, ordered from least (`Debug`) to most (`Emergency`) severe.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Priority {
    /// `debug`
    Debug = 1,
    /// `informational` (also accepted as `info`)
    Informational = 2,
    /// `notice`
    Notice = 3,
    /// `warning`
    Warning = 4,
    /// `error`
    Error = 5,
    /// `critical`
    Critical = 6,
    /// `alert`
    Alert = 7,
    /// `emergency`
    Emergency = 8,
}

/// The string was not one of Falco's priority names.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown priority {0:?}")]
pub struct UnknownPriority(pub String);

impl Priority {
    /// Every priority, lowest first.
    pub const ALL: [Priority; 8] = [
        Priority::Debug,
        Priority::Informational,
        Priority::Notice,
        Priority::Warning,
        Priority::Error,
        Priority::Critical,
        Priority::Alert,
        Priority::Emergency,
    ];

    /// The Title-case name Falco and falcosidekick write (`"Warning"`).
    pub const fn as_str(self) -> &'static str {
        match self {
            Priority::Debug => "Debug",
            Priority::Informational => "Informational",
            Priority::Notice => "Notice",
            Priority::Warning => "Warning",
            Priority::Error => "Error",
            Priority::Critical => "Critical",
            Priority::Alert => "Alert",
            Priority::Emergency => "Emergency",
        }
    }

    /// The lowercase name (`"warning"`), as used in metric labels.
    pub const fn as_lower_str(self) -> &'static str {
        match self {
            Priority::Debug => "debug",
            Priority::Informational => "informational",
            Priority::Notice => "notice",
            Priority::Warning => "warning",
            Priority::Error => "error",
            Priority::Critical => "critical",
            Priority::Alert => "alert",
            Priority::Emergency => "emergency",
        }
    }

    /// falcosidekick's numeric level, 1 (`Debug`) to 8 (`Emergency`).
    pub const fn level(self) -> u8 {
        self as u8
    }

    /// Parses a `minimumpriority` value the way falcosidekick does: a value that names no
    /// priority (including `""`, `none` and `info`) means "no minimum" and yields `None`.
    pub fn parse_minimum(value: &str) -> Option<Priority> {
        // falcosidekick converts the lowercased value with an exact lookup of the 8 names;
        // anything else (`info` included) is its "Default", which lets everything through.
        match value.to_ascii_lowercase().as_str() {
            "info" => None,
            other => other.parse().ok(),
        }
    }
}

impl FromStr for Priority {
    type Err = UnknownPriority;

    /// Case-insensitive; accepts `info` for `Informational`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let p = match s.to_ascii_lowercase().as_str() {
            "emergency" => Priority::Emergency,
            "alert" => Priority::Alert,
            "critical" => Priority::Critical,
            "error" => Priority::Error,
            "warning" => Priority::Warning,
            "notice" => Priority::Notice,
            "informational" | "info" => Priority::Informational,
            "debug" => Priority::Debug,
            _ => return Err(UnknownPriority(s.to_owned())),
        };
        Ok(p)
    }
}

impl fmt::Display for Priority {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Priority {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Priority {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_case_insensitively_and_accepts_info() {
        assert_eq!("WARNING".parse(), Ok(Priority::Warning));
        assert_eq!("Informational".parse(), Ok(Priority::Informational));
        assert_eq!("info".parse(), Ok(Priority::Informational));
        assert_eq!("eMeRgEnCy".parse(), Ok(Priority::Emergency));
        assert!("none".parse::<Priority>().is_err());
        assert!("".parse::<Priority>().is_err());
    }

    #[test]
    fn orders_debug_lowest_emergency_highest() {
        let mut sorted = Priority::ALL;
        sorted.sort();
        assert_eq!(sorted, Priority::ALL);
        assert!(Priority::Debug < Priority::Informational);
        assert!(Priority::Warning < Priority::Error);
        assert!(Priority::Alert < Priority::Emergency);
        assert_eq!(Priority::Debug.level(), 1);
        assert_eq!(Priority::Emergency.level(), 8);
    }

    #[test]
    fn serializes_title_case() {
        let json = serde_json::to_string(&"critical".parse::<Priority>().unwrap()).unwrap();
        assert_eq!(json, "\"Critical\"");
    }

    #[test]
    fn minimum_priority_follows_falcosidekick() {
        assert_eq!(Priority::parse_minimum("xwarningx"), None);
        assert_eq!(Priority::parse_minimum("warning "), None);
        assert_eq!(Priority::parse_minimum(""), None);
        assert_eq!(Priority::parse_minimum("none"), None);
        assert_eq!(Priority::parse_minimum("info"), None);
        assert_eq!(Priority::parse_minimum("Warning"), Some(Priority::Warning));
        assert_eq!(
            Priority::parse_minimum("informational"),
            Some(Priority::Informational)
        );
    }
}
