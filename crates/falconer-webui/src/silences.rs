//! Silences through the API: `POST /api/v1/silences` creates one, `GET` lists them,
//! `DELETE /api/v1/silences/{id}` expires one. The pages' forms go through the same checks
//! ([`create`]).

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, Query as QueryParams, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use chrono::{DateTime, Utc};
use falconer_policy::{Silence, SilenceError};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::api::{is_json, json_response, store_failed};
use crate::app::{UiState, User};
use crate::store::{SilenceAdded, SilenceRecord, SilenceState, StoreError};

/// Longest condition accepted, in bytes.
pub const MAX_MATCH_BYTES: usize = 4096;
/// Longest comment accepted, in bytes.
pub const MAX_COMMENT_BYTES: usize = 2048;
/// Longest `createdBy` accepted, in bytes.
pub const MAX_CREATED_BY_BYTES: usize = 256;
/// Silences that have not ended (active or pending) at most; one more is refused with 409.
pub const MAX_UNENDED_SILENCES: u64 = 1000;
/// Silences listed at most by one `GET /api/v1/silences` (newest first).
pub const MAX_LISTED_SILENCES: u64 = 5000;

/// The body of `POST /api/v1/silences`.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct NewSilence {
    /// The condition (Falco's condition syntax).
    #[serde(rename = "match", default)]
    pub condition: Option<String>,
    /// RFC 3339; now when absent or empty.
    #[serde(rename = "startsAt", default)]
    pub starts_at: Option<String>,
    /// RFC 3339.
    #[serde(rename = "endsAt", default)]
    pub ends_at: Option<String>,
    /// Who; the signed-in user when absent or empty.
    #[serde(rename = "createdBy", default)]
    pub created_by: Option<String>,
    /// Why.
    #[serde(default)]
    pub comment: Option<String>,
}

/// Why a silence was not created.
#[derive(Debug, thiserror::Error)]
pub(crate) enum CreateError {
    /// The request is wrong: the field (API name), the reason, and for a condition that
    /// does not parse its column, what was expected and what was found.
    #[error("{field}: {reason}")]
    Invalid {
        field: &'static str,
        reason: String,
        parse: Option<falconer_expr::ParseError>,
    },
    /// Too many silences have not ended.
    #[error("{MAX_UNENDED_SILENCES} silences are active or pending already: expire some first")]
    Limit,
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl CreateError {
    fn invalid(field: &'static str, reason: impl Into<String>) -> CreateError {
        CreateError::Invalid {
            field,
            reason: reason.into(),
            parse: None,
        }
    }

    /// The API's answer: 400 (with `error`, `field`, and `column`, `expected`, `found` for
    /// a condition), 409 at the limit, 503 when the store fails.
    pub(crate) fn response(&self) -> Response {
        match self {
            CreateError::Invalid {
                field,
                reason,
                parse,
            } => {
                let mut body = json!({"error": format!("{field}: {reason}"), "field": field});
                if let Some(p) = parse {
                    body["column"] = json!(p.column);
                    body["expected"] = json!(p.expected);
                    body["found"] = json!(p.found);
                }
                json_response(StatusCode::BAD_REQUEST, body.to_string())
            }
            CreateError::Limit => json_response(
                StatusCode::CONFLICT,
                json!({"error": self.to_string()}).to_string(),
            ),
            CreateError::Store(e) => store_failed(e),
        }
    }
}

fn check_len(field: &'static str, value: &str, max: usize) -> Result<(), CreateError> {
    if value.len() > max {
        return Err(CreateError::invalid(
            field,
            format!("{} bytes, at most {max} are accepted", value.len()),
        ));
    }
    Ok(())
}

/// Checks `new` (with `Silence::new`, the parser the router uses) and builds the row to
/// store: a new UUID, `createdBy` defaulting to `user`.
pub(crate) fn validate(
    new: &NewSilence,
    user: &str,
    now: DateTime<Utc>,
) -> Result<SilenceRecord, CreateError> {
    let condition = new.condition.as_deref().unwrap_or("");
    if condition.trim().is_empty() {
        return Err(CreateError::invalid("match", "a condition is required"));
    }
    check_len("match", condition, MAX_MATCH_BYTES)?;
    let comment = new.comment.as_deref().unwrap_or("");
    check_len("comment", comment, MAX_COMMENT_BYTES)?;
    let created_by = match new.created_by.as_deref().map(str::trim) {
        Some(c) if !c.is_empty() => c,
        _ => user,
    };
    check_len("createdBy", created_by, MAX_CREATED_BY_BYTES)?;
    let ends_at = new.ends_at.as_deref().unwrap_or("");
    if ends_at.trim().is_empty() {
        return Err(CreateError::invalid(
            "endsAt",
            "an end time (RFC 3339) is required",
        ));
    }
    let id = uuid::Uuid::new_v4().to_string();
    let silence = Silence::new(
        id,
        condition,
        new.starts_at.as_deref().unwrap_or(""),
        ends_at,
        created_by,
        comment,
        now,
    )
    .map_err(|e| match e {
        SilenceError::Condition(p) => CreateError::Invalid {
            field: "match",
            reason: p.to_string(),
            parse: Some(p),
        },
        SilenceError::Time { field, .. } => CreateError::invalid(
            if field == "startsat" {
                "startsAt"
            } else {
                "endsAt"
            },
            e.to_string(),
        ),
        SilenceError::EndsBeforeStart => CreateError::invalid("endsAt", "must be after startsAt"),
    })?;
    if silence.ends_at <= now {
        return Err(CreateError::invalid("endsAt", "is in the past"));
    }
    Ok(SilenceRecord {
        id: silence.id,
        condition: condition.to_owned(),
        starts_at_us: silence.starts_at.timestamp_micros(),
        ends_at_us: silence.ends_at.timestamp_micros(),
        created_by: silence.created_by,
        comment: silence.comment,
        created_at_us: now.timestamp_micros(),
    })
}

/// Validates and stores a silence (the feed of this store handle picks it up at once).
pub(crate) async fn create(
    state: &UiState,
    new: &NewSilence,
    user: &str,
) -> Result<SilenceRecord, CreateError> {
    let now = Utc::now();
    let record = validate(new, user, now)?;
    match state
        .store
        .add_silence(&record, MAX_UNENDED_SILENCES, now.timestamp_micros())
        .await?
    {
        SilenceAdded::Added => {
            tracing::info!(
                id = %record.id,
                created_by = %record.created_by,
                condition = %record.condition,
                ends_at = %record.ends_at(),
                "silence created"
            );
            Ok(record)
        }
        SilenceAdded::LimitReached => Err(CreateError::Limit),
    }
}

/// `POST /api/v1/silences`: 201 with the stored silence, 400 with the reason, 409 when
/// [`MAX_UNENDED_SILENCES`] have not ended, 415 unless the body is JSON.
pub(crate) async fn api_create(
    State(state): State<Arc<UiState>>,
    Extension(user): Extension<User>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if !is_json(&headers) {
        return (
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "Content-Type must be application/json",
        )
            .into_response();
    }
    let new: NewSilence = match serde_json::from_slice(&body) {
        Ok(n) => n,
        Err(e) => {
            return json_response(
                StatusCode::BAD_REQUEST,
                json!({"error": format!("invalid JSON: {e}")}).to_string(),
            )
        }
    };
    match create(&state, &new, &user.0).await {
        Ok(record) => json_response(
            StatusCode::CREATED,
            record.to_json(crate::query::now_us()).to_string(),
        ),
        Err(e) => e.response(),
    }
}

/// `?state=` of the list.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct ListParams {
    state: Option<String>,
}

/// `GET /api/v1/silences[?state=active|pending|expired]`: newest first.
pub(crate) async fn api_list(
    State(state): State<Arc<UiState>>,
    QueryParams(params): QueryParams<ListParams>,
) -> Response {
    let wanted = match params.state.as_deref().filter(|s| !s.trim().is_empty()) {
        None => None,
        Some(s) => match s.parse::<SilenceState>() {
            Ok(w) => Some(w),
            Err(e) => {
                return json_response(StatusCode::BAD_REQUEST, json!({"error": e}).to_string())
            }
        },
    };
    let now = crate::query::now_us();
    let unended_only = matches!(wanted, Some(SilenceState::Active | SilenceState::Pending));
    match state
        .store
        .silences(unended_only, now, MAX_LISTED_SILENCES)
        .await
    {
        Ok(rows) => {
            let list: Vec<Value> = rows
                .iter()
                .filter(|r| wanted.is_none_or(|w| r.state(now) == w))
                .map(|r| r.to_json(now))
                .collect();
            json_response(StatusCode::OK, Value::Array(list).to_string())
        }
        Err(e) => store_failed(&e),
    }
}

/// Expires silence `id` now; `Ok(None)` when there is none.
pub(crate) async fn expire(
    state: &UiState,
    id: &str,
    user: &str,
) -> Result<Option<SilenceRecord>, StoreError> {
    let row = state
        .store
        .expire_silence(id, crate::query::now_us())
        .await?;
    if row.is_some() {
        tracing::info!(id = %id, by = %user, "silence expired");
    }
    Ok(row)
}

/// `DELETE /api/v1/silences/{id}`: expires it (204; 404 when unknown). An expired silence
/// stays listed until retention removes it.
pub(crate) async fn api_expire(
    State(state): State<Arc<UiState>>,
    Extension(user): Extension<User>,
    Path(id): Path<String>,
) -> Response {
    match expire(&state, &id, &user.0).await {
        Ok(Some(_)) => StatusCode::NO_CONTENT.into_response(),
        Ok(None) => json_response(
            StatusCode::NOT_FOUND,
            json!({"error": "no such silence"}).to_string(),
        ),
        Err(e) => store_failed(&e),
    }
}

/// A condition that silences alerts of `rule` on `hostname`: `rule = "…" and hostname = …`,
/// each value quoted unless it is a plain word.
pub(crate) fn like_this(rule: &str, hostname: &str) -> String {
    let mut condition = format!("rule = {}", quote_value(rule));
    if !hostname.is_empty() {
        condition.push_str(" and hostname = ");
        condition.push_str(&quote_value(hostname));
    }
    condition
}

/// A value as the condition language reads it: bare when it is a plain word
/// (`[A-Za-z0-9_.-]`, starting with a letter or digit, not a keyword), else double-quoted
/// with `\` escapes.
pub(crate) fn quote_value(value: &str) -> String {
    let plain = value
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphanumeric())
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
        && !matches!(value, "and" | "or" | "not");
    if plain {
        return value.to_owned();
    }
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    for c in value.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn new(condition: &str, ends: &str) -> NewSilence {
        NewSilence {
            condition: Some(condition.into()),
            ends_at: Some(ends.into()),
            ..NewSilence::default()
        }
    }

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2030-01-01T00:00:00Z")
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_default()
    }

    #[test]
    fn a_valid_silence_gets_an_id_and_the_user() {
        let r = validate(
            &new(
                "rule = \"Terminal shell in container\"",
                "2030-01-01T01:00:00Z",
            ),
            "alice",
            now(),
        )
        .expect("valid");
        assert_eq!(r.created_by, "alice");
        assert_eq!(r.starts_at_us, now().timestamp_micros());
        assert_eq!(r.ends_at_us - r.starts_at_us, 3_600_000_000);
        assert!(uuid::Uuid::parse_str(&r.id).is_ok());
    }

    #[test]
    fn problems_name_the_field() {
        let field = |n: &NewSilence| match validate(n, "u", now()) {
            Err(CreateError::Invalid { field, .. }) => field,
            other => panic!("{other:?}"),
        };
        assert_eq!(field(&new("rule =", "2030-01-01T01:00:00Z")), "match");
        assert_eq!(field(&new("", "2030-01-01T01:00:00Z")), "match");
        assert_eq!(field(&new("rule = a", "tomorrow")), "endsAt");
        assert_eq!(field(&new("rule = a", "")), "endsAt");
        assert_eq!(field(&new("rule = a", "2029-01-01T01:00:00Z")), "endsAt");
        let mut n = new("rule = a", "2030-01-01T01:00:00Z");
        n.starts_at = Some("2030-01-01T02:00:00Z".into());
        assert_eq!(field(&n), "endsAt");
        n.starts_at = Some("soon".into());
        assert_eq!(field(&n), "startsAt");
        let mut n = new("rule = a", "2030-01-01T01:00:00Z");
        n.comment = Some("x".repeat(MAX_COMMENT_BYTES + 1));
        assert_eq!(field(&n), "comment");
        let long = format!("rule = \"{}\"", "x".repeat(MAX_MATCH_BYTES));
        assert_eq!(field(&new(&long, "2030-01-01T01:00:00Z")), "match");
    }

    #[test]
    fn parse_errors_carry_the_column() {
        match validate(&new("rule = a and", "2030-01-01T01:00:00Z"), "u", now()) {
            Err(CreateError::Invalid {
                parse: Some(p),
                field,
                ..
            }) => {
                assert_eq!(field, "match");
                assert_eq!(p.column, 13);
                assert_eq!(p.expected, "a field, `not` or `(`");
                assert_eq!(p.found, "end of input");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn like_this_quotes_what_needs_it_and_parses_back() {
        assert_eq!(
            like_this("Terminal shell in container", "node-1"),
            "rule = \"Terminal shell in container\" and hostname = node-1"
        );
        assert_eq!(
            like_this("a\"b\\c", "and"),
            r#"rule = "a\"b\\c" and hostname = "and""#
        );
        assert_eq!(like_this("r", ""), "rule = r");
        for (rule, host) in [
            ("Terminal shell in container", "node-1"),
            ("quote \" and backslash \\ and\nnewline", "host with space"),
            ("(parens), commas", "ip-10-0-0-1.ec2.internal"),
            ("'single'", "-leading-dash"),
        ] {
            let condition = like_this(rule, host);
            let s = Silence::new(
                "t".into(),
                &condition,
                "",
                "2030-01-01T01:00:00Z",
                "",
                "",
                now(),
            )
            .unwrap_or_else(|e| panic!("{condition}: {e}"));
            let alert = |rule: &str, host: &str| {
                falconer_testkit::enriched(
                    &json!({"rule": rule, "hostname": host, "priority": "Warning",
                            "output": "x", "time": "2030-01-01T00:30:00Z"})
                    .to_string(),
                    1,
                )
            };
            let silences = falconer_policy::Silences::new(vec![s]);
            let at = now() + chrono::Duration::minutes(30);
            assert!(
                silences.matching(&alert(rule, host), at).is_some(),
                "{condition}"
            );
            assert!(
                silences.matching(&alert(rule, "other"), at).is_none(),
                "{condition}"
            );
        }
    }
}
