//! Silences: a condition and a time range. An alert that an active silence matches is not
//! sent to any output; the event store still gets it, marked with the silence's id.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use falconer_event::Alert;
use falconer_expr::Expr;

use crate::fields::{AlertFields, AlertSchema};

/// One silence.
#[derive(Clone, Debug)]
pub struct Silence {
    /// Its id (`config-0` for the config file's, a UUID for the API's).
    pub id: String,
    /// What it silences.
    pub condition: Expr,
    /// When it starts.
    pub starts_at: DateTime<Utc>,
    /// When it ends.
    pub ends_at: DateTime<Utc>,
    /// Who created it.
    pub created_by: String,
    /// Why.
    pub comment: String,
}

/// A silence's fields could not be read.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SilenceError {
    /// The condition does not parse.
    #[error("match: {0}")]
    Condition(#[from] falconer_expr::ParseError),
    /// A time is not RFC 3339.
    #[error("{value:?} is not an RFC 3339 time ({reason})")]
    Time {
        /// `startsat` or `endsat`.
        field: &'static str,
        /// What was given.
        value: String,
        /// The parser's word.
        reason: String,
    },
    /// It would end before it starts.
    #[error("endsat must be after startsat")]
    EndsBeforeStart,
}

impl SilenceError {
    /// The config key the problem is under.
    pub fn key(&self) -> &'static str {
        match self {
            SilenceError::Condition(_) => "match",
            SilenceError::Time { field, .. } => field,
            SilenceError::EndsBeforeStart => "endsat",
        }
    }
}

fn parse_time(field: &'static str, value: &str) -> Result<DateTime<Utc>, SilenceError> {
    DateTime::parse_from_rfc3339(value.trim())
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| SilenceError::Time {
            field,
            value: value.to_owned(),
            reason: e.to_string(),
        })
}

impl Silence {
    /// Builds a silence from its written form; an empty `starts_at` means `now`.
    pub fn new(
        id: String,
        condition: &str,
        starts_at: &str,
        ends_at: &str,
        created_by: &str,
        comment: &str,
        now: DateTime<Utc>,
    ) -> Result<Silence, SilenceError> {
        let condition = Expr::parse(condition, &AlertSchema)?;
        let starts_at = if starts_at.trim().is_empty() {
            now
        } else {
            parse_time("startsat", starts_at)?
        };
        let ends_at = parse_time("endsat", ends_at)?;
        if ends_at <= starts_at {
            return Err(SilenceError::EndsBeforeStart);
        }
        Ok(Silence {
            id,
            condition,
            starts_at,
            ends_at,
            created_by: created_by.to_owned(),
            comment: comment.to_owned(),
        })
    }

    /// In force at `now`.
    pub fn is_active(&self, now: DateTime<Utc>) -> bool {
        self.starts_at <= now && now < self.ends_at
    }
}

/// Every silence known (the config file's and the store's), replaced as a whole when they
/// change.
#[derive(Clone, Debug, Default)]
pub struct Silences {
    all: Arc<Vec<Silence>>,
}

impl Silences {
    /// A set of silences.
    pub fn new(all: Vec<Silence>) -> Self {
        Silences { all: Arc::new(all) }
    }

    /// The first silence in force at `now` that matches `alert`.
    pub fn matching(&self, alert: &Alert, now: DateTime<Utc>) -> Option<&Silence> {
        self.all
            .iter()
            .find(|s| s.is_active(now) && s.condition.matches(&AlertFields(alert)))
    }

    /// All of them.
    pub fn iter(&self) -> impl Iterator<Item = &Silence> {
        self.all.iter()
    }

    /// How many.
    pub fn len(&self) -> usize {
        self.all.len()
    }

    /// None at all.
    pub fn is_empty(&self) -> bool {
        self.all.is_empty()
    }
}
