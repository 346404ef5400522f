//! SPEC.md §1 and §5, the owner's and the auditor's side: who may change the allow-list or
//! suspend an account, how a session's outcome reads in the member's history, and what an
//! activity-log filter means. Plain functions over plain data; the store supplies the facts
//! from inside its transaction.

use super::audit::EventKind;
use super::impersonation::EndReason;
use crate::model::{ActivityFilter, Role, UserStatus, UserSummary};

/// Why an owner's change to the allow-list or to an account was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum OversightRefusal {
    #[error("Only owners manage the allow-list and suspend accounts.")]
    OwnersOnly,
    #[error("There is no such account.")]
    NoSuchAccount,
    #[error("Only admin and owner accounts can hold the right to impersonate.")]
    NotStaff,
    #[error("Only active accounts can be given the right to impersonate.")]
    NotActive,
    #[error("This account already holds the right to impersonate.")]
    AlreadyGranted,
    #[error("This account does not hold the right to impersonate.")]
    NotGranted,
    #[error("Only member accounts can be suspended here.")]
    NotAMember,
    #[error("This account is already suspended.")]
    AlreadySuspended,
}

fn owner(actor: &UserSummary) -> Result<(), OversightRefusal> {
    if actor.role == Role::Owner && actor.status == UserStatus::Active {
        Ok(())
    } else {
        Err(OversightRefusal::OwnersOnly)
    }
}

/// An owner gives an active admin or owner the right to impersonate.
pub fn check_grant(
    actor: &UserSummary,
    target: Option<&UserSummary>,
    on_list: bool,
) -> Result<(), OversightRefusal> {
    owner(actor)?;
    let target = target.ok_or(OversightRefusal::NoSuchAccount)?;
    if !target.role.is_staff() {
        return Err(OversightRefusal::NotStaff);
    }
    if target.status != UserStatus::Active {
        return Err(OversightRefusal::NotActive);
    }
    if on_list {
        return Err(OversightRefusal::AlreadyGranted);
    }
    Ok(())
}

/// An owner takes the right away (their own included).
pub fn check_removal(
    actor: &UserSummary,
    target: Option<&UserSummary>,
    on_list: bool,
) -> Result<(), OversightRefusal> {
    owner(actor)?;
    target.ok_or(OversightRefusal::NoSuchAccount)?;
    if !on_list {
        return Err(OversightRefusal::NotGranted);
    }
    Ok(())
}

/// An owner suspends a member's account.
pub fn check_suspension(
    actor: &UserSummary,
    target: Option<&UserSummary>,
) -> Result<(), OversightRefusal> {
    owner(actor)?;
    let target = target.ok_or(OversightRefusal::NoSuchAccount)?;
    if target.role != Role::Member {
        return Err(OversightRefusal::NotAMember);
    }
    if target.status != UserStatus::Active {
        return Err(OversightRefusal::AlreadySuspended);
    }
    Ok(())
}

/// How a session reads in the member's history at `now`: when it ended and why, or `None`
/// while ongoing. A session that passed its expiry ended then, even if nobody was there to
/// record it, and one recorded as expired ended at its expiry, not when that was noticed.
pub fn session_outcome(
    expires_at: i64,
    ended_at: Option<i64>,
    end_reason: Option<&str>,
    now: i64,
) -> Option<(i64, String)> {
    let expired = EndReason::Expired.as_str();
    match (ended_at, end_reason) {
        (Some(_), Some(reason)) if reason == expired => Some((expires_at, reason.to_string())),
        (Some(at), reason) => Some((at, reason.unwrap_or("ended").to_string())),
        (None, _) if now >= expires_at => Some((expires_at, expired.to_string())),
        (None, _) => None,
    }
}

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

#[cfg(test)]
mod tests {
    use super::*;

    fn user(role: Role, status: UserStatus) -> UserSummary {
        UserSummary {
            id: 7,
            name: "Someone".into(),
            email: "someone@example.com".into(),
            role,
            status,
        }
    }

    #[test]
    fn only_an_active_owner_changes_the_allow_list() {
        let admin = user(Role::Admin, UserStatus::Active);
        let owner_ = user(Role::Owner, UserStatus::Active);
        let suspended_owner = user(Role::Owner, UserStatus::Suspended);
        assert_eq!(check_grant(&owner_, Some(&admin), false), Ok(()));
        assert_eq!(
            check_grant(&admin, Some(&admin), false),
            Err(OversightRefusal::OwnersOnly)
        );
        assert_eq!(
            check_removal(&suspended_owner, Some(&admin), true),
            Err(OversightRefusal::OwnersOnly)
        );
        assert_eq!(check_removal(&owner_, Some(&owner_), true), Ok(()));
    }

    #[test]
    fn the_grant_goes_to_active_staff_not_yet_on_the_list() {
        let owner_ = user(Role::Owner, UserStatus::Active);
        let cases = [
            (None, false, Err(OversightRefusal::NoSuchAccount)),
            (
                Some(user(Role::Member, UserStatus::Active)),
                false,
                Err(OversightRefusal::NotStaff),
            ),
            (
                Some(user(Role::Admin, UserStatus::Suspended)),
                false,
                Err(OversightRefusal::NotActive),
            ),
            (
                Some(user(Role::Admin, UserStatus::Active)),
                true,
                Err(OversightRefusal::AlreadyGranted),
            ),
        ];
        for (target, on_list, expected) in cases {
            assert_eq!(check_grant(&owner_, target.as_ref(), on_list), expected);
        }
        assert_eq!(
            check_removal(&owner_, Some(&user(Role::Admin, UserStatus::Active)), false),
            Err(OversightRefusal::NotGranted)
        );
    }

    #[test]
    fn only_active_members_can_be_suspended() {
        let owner_ = user(Role::Owner, UserStatus::Active);
        let member = user(Role::Member, UserStatus::Active);
        assert_eq!(check_suspension(&owner_, Some(&member)), Ok(()));
        assert_eq!(
            check_suspension(&user(Role::Admin, UserStatus::Active), Some(&member)),
            Err(OversightRefusal::OwnersOnly)
        );
        assert_eq!(
            check_suspension(&owner_, Some(&user(Role::Admin, UserStatus::Active))),
            Err(OversightRefusal::NotAMember)
        );
        assert_eq!(
            check_suspension(&owner_, Some(&user(Role::Member, UserStatus::Suspended))),
            Err(OversightRefusal::AlreadySuspended)
        );
    }

    #[test]
    fn a_session_nobody_saw_expire_reads_as_expired_at_its_expiry() {
        assert_eq!(session_outcome(1_000, None, None, 999), None);
        assert_eq!(
            session_outcome(1_000, None, None, 1_000),
            Some((1_000, "expired".into()))
        );
        assert_eq!(
            session_outcome(1_000, Some(5_000), Some("expired"), 6_000),
            Some((1_000, "expired".into())),
            "noticed late, ended at its expiry"
        );
        assert_eq!(
            session_outcome(1_000, Some(400), Some("consent revoked"), 6_000),
            Some((400, "consent revoked".into()))
        );
    }

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
