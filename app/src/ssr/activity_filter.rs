//! The activity log's filter (SPEC.md §5) as typed, checked: only known kinds, real dates, a
//! range that is one, and people resolved to the one account each names.

use super::audit::EventKind;
use super::store::{EventQuery, Store, StoreError, UserMatch};
use crate::model::ActivityFilter;

/// An activity-log filter, checked: only known kinds, real dates, a range that is one.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ActivityQuery {
    /// Text naming the actor (an email, or part of a name or email).
    pub actor: Option<String>,
    pub subject: Option<String>,
    pub kind: Option<EventKind>,
    /// From this instant (inclusive), in ms.
    pub from_ms: Option<i64>,
    /// Until this instant (exclusive), in ms: the end of the `to` day.
    pub until_ms: Option<i64>,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum FilterError {
    #[error("Unknown kind of event: {0}.")]
    UnknownKind(String),
    #[error("Enter dates as YYYY-MM-DD, like 2026-11-21.")]
    BadDate,
    #[error("The start date is after the end date.")]
    EmptyRange,
    #[error("Filters are at most 254 characters.")]
    TooLong,
    #[error("This page link is broken. Start again from the first page.")]
    BadCursor,
}

/// A page cursor as a URL carries it: nothing for the first page, else the positive key the
/// next page starts after. Anything else is a link somebody changed.
pub fn parse_cursor(text: Option<&str>) -> Result<Option<i64>, FilterError> {
    match text.map(str::trim).filter(|text| !text.is_empty()) {
        None => Ok(None),
        Some(text) => match text.parse::<i64>() {
            Ok(key) if key > 0 => Ok(Some(key)),
            _ => Err(FilterError::BadCursor),
        },
    }
}

const DAY_MS: i64 = 24 * 60 * 60 * 1000;

impl ActivityQuery {
    pub fn parse(filter: &ActivityFilter) -> Result<ActivityQuery, FilterError> {
        let text = |value: &str| -> Result<Option<String>, FilterError> {
            let value = value.trim();
            if value.chars().count() > 254 {
                return Err(FilterError::TooLong);
            }
            Ok((!value.is_empty()).then(|| value.to_string()))
        };
        let kind = match filter.kind.trim() {
            "" => None,
            kind => Some(
                EventKind::parse(kind)
                    .ok_or_else(|| FilterError::UnknownKind(kind.chars().take(40).collect()))?,
            ),
        };
        let day = |value: &str| -> Result<Option<i64>, FilterError> {
            let value = value.trim();
            if value.is_empty() {
                return Ok(None);
            }
            let date = chrono::NaiveDate::parse_from_str(value, "%Y-%m-%d")
                .map_err(|_| FilterError::BadDate)?;
            let start = date
                .and_hms_opt(0, 0, 0)
                .ok_or(FilterError::BadDate)?
                .and_utc()
                .timestamp_millis();
            Ok(Some(start))
        };
        let from_ms = day(&filter.from)?;
        let until_ms = day(&filter.to)?.map(|start| start + DAY_MS);
        if let (Some(from), Some(until)) = (from_ms, until_ms) {
            if from >= until {
                return Err(FilterError::EmptyRange);
            }
        }
        Ok(ActivityQuery {
            actor: text(&filter.actor)?,
            subject: text(&filter.subject)?,
            kind,
            from_ms,
            until_ms,
        })
    }
}

/// Why an activity-log filter could not be turned into a query.
#[derive(Debug, thiserror::Error)]
pub enum ActivityQueryError {
    #[error(transparent)]
    Filter(#[from] FilterError),
    #[error("No account matches the {role} “{text}”.")]
    NoAccount { role: &'static str, text: String },
    #[error("Several accounts match the {role} “{text}”: type the full email.")]
    SeveralAccounts { role: &'static str, text: String },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The store's query for an activity-log filter as typed. A name that matches no account,
/// or several, is refused with a message saying so.
pub async fn event_query(
    store: &Store,
    filter: &ActivityFilter,
    before: Option<i64>,
) -> Result<EventQuery, ActivityQueryError> {
    let query = ActivityQuery::parse(filter)?;
    let mut resolved = EventQuery {
        kind: query.kind,
        from_ms: query.from_ms,
        until_ms: query.until_ms,
        before,
        ..EventQuery::default()
    };
    for (text, id, role) in [
        (&query.actor, &mut resolved.actor_id, "actor"),
        (&query.subject, &mut resolved.subject_id, "subject"),
    ] {
        let Some(text) = text else { continue };
        let text = text.clone();
        match store.match_user(&text).await? {
            UserMatch::One(found) => *id = Some(found),
            UserMatch::None => return Err(ActivityQueryError::NoAccount { role, text }),
            UserMatch::Several => return Err(ActivityQueryError::SeveralAccounts { role, text }),
        }
    }
    Ok(resolved)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn activity_filters_take_known_kinds_and_whole_utc_days() {
        let filter = ActivityFilter {
            actor: "  ada@example.com ".into(),
            kind: "action".into(),
            from: "2026-11-21".into(),
            to: "2026-11-21".into(),
            ..Default::default()
        };
        let query = ActivityQuery::parse(&filter).unwrap();
        assert_eq!(query.actor.as_deref(), Some("ada@example.com"));
        assert_eq!(query.subject, None);
        assert_eq!(query.kind, Some(EventKind::Action));
        assert_eq!(query.from_ms, Some(1_795_219_200_000));
        assert_eq!(query.until_ms, Some(1_795_219_200_000 + DAY_MS));

        let bad = |change: fn(&mut ActivityFilter)| {
            let mut filter = ActivityFilter::default();
            change(&mut filter);
            ActivityQuery::parse(&filter).unwrap_err()
        };
        assert_eq!(
            bad(|f| f.kind = "drop table".into()),
            FilterError::UnknownKind("drop table".into())
        );
        assert_eq!(bad(|f| f.from = "21/11/2026".into()), FilterError::BadDate);
        assert_eq!(bad(|f| f.to = "2026-02-30".into()), FilterError::BadDate);
        assert_eq!(
            bad(|f| {
                f.from = "2026-11-22".into();
                f.to = "2026-11-21".into();
            }),
            FilterError::EmptyRange
        );
        assert_eq!(bad(|f| f.subject = "x".repeat(300)), FilterError::TooLong);
    }

    #[test]
    fn a_page_cursor_is_a_positive_key_or_nothing() {
        assert_eq!(parse_cursor(None), Ok(None));
        assert_eq!(parse_cursor(Some(" ")), Ok(None));
        assert_eq!(parse_cursor(Some("42")), Ok(Some(42)));
        for broken in ["abc", "0", "-3", "1e3", "99999999999999999999"] {
            assert_eq!(
                parse_cursor(Some(broken)),
                Err(FilterError::BadCursor),
                "{broken}"
            );
        }
    }
}
