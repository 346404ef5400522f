//! Impersonation sessions (SPEC.md §3): when one may start, how long it lasts, and what ends
//! it. Plain functions over plain data with `now` passed in; the store gathers the facts and
//! applies these inside the transaction that inserts or ends the session.

use super::consent::{Consent, SUPPORT_CODE_SESSION_MS};
use crate::model::{Role, Scope, UserStatus};

/// The session cap when `ACTAS_MAX_SESSION_SECONDS` is not set.
pub const DEFAULT_MAX_SESSION_MS: i64 = 30 * 60 * 1000;

/// Why the administrator is acting: 10 to 500 characters, e.g. a ticket number.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reason(String);

impl Reason {
    pub fn parse(input: &str) -> Result<Reason, StartRefusal> {
        let text = input.trim();
        let length = text.chars().count();
        if !(10..=500).contains(&length) || text.chars().any(|c| c.is_control() && c != '\n') {
            return Err(StartRefusal::ReasonInvalid);
        }
        Ok(Reason(text.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The administrator asking to start, as the store found them inside the transaction.
#[derive(Clone, Debug)]
pub struct Actor {
    pub id: i64,
    pub role: Role,
    pub status: UserStatus,
    pub on_allow_list: bool,
    /// When the administrator's own sign-in ends.
    pub sign_in_expires_at: i64,
    /// An impersonation session the administrator already holds, if any.
    pub holds_session: bool,
}

/// The account to act as, as the store found it inside the transaction.
#[derive(Clone, Debug)]
pub struct Target {
    pub id: i64,
    pub role: Role,
    pub status: UserStatus,
    pub consent: Option<Consent>,
    /// The name of whoever holds a live session on this account, if anyone does.
    pub held_by: Option<String>,
}

/// What allows the session: the member's standing consent, or a support code they gave.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Authority {
    Consent,
    /// A valid, unused support code (checked by `consent::redeem_support_code`) of this scope.
    SupportCode(Scope),
}

/// Which start rule refused, in the order SPEC.md §3 lists them.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum StartRefusal {
    #[error("You are not allowed to impersonate users.")]
    NotOnAllowList,
    #[error("Your account is not active.")]
    ActorNotActive,
    #[error("You are already impersonating someone. Exit that session first.")]
    AlreadyImpersonating,
    #[error("You cannot impersonate yourself.")]
    SelfTarget,
    #[error("Only members can be impersonated.")]
    TargetNotMember,
    #[error("This account is suspended or deleted.")]
    TargetNotActive,
    #[error("This member has not given consent.")]
    NoConsent,
    #[error("{0} is already impersonating this member.")]
    TargetBusy(String),
    #[error("Give a reason of 10 to 500 characters, for example a ticket number.")]
    ReasonInvalid,
}

impl StartRefusal {
    /// The rule's name as recorded in `impersonation_denied`.
    pub fn rule(&self) -> &'static str {
        match self {
            StartRefusal::NotOnAllowList => "not_on_allow_list",
            StartRefusal::ActorNotActive => "actor_not_active",
            StartRefusal::AlreadyImpersonating => "already_impersonating",
            StartRefusal::SelfTarget => "self_target",
            StartRefusal::TargetNotMember => "target_not_member",
            StartRefusal::TargetNotActive => "target_not_active",
            StartRefusal::NoConsent => "no_consent",
            StartRefusal::TargetBusy(_) => "target_busy",
            StartRefusal::ReasonInvalid => "reason_invalid",
        }
    }
}

/// A session that may start: its scope and when it ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SessionPlan {
    pub scope: Scope,
    pub expires_at: i64,
}

/// Every start rule of SPEC.md §3, checked in order; the first that refuses is named.
/// The session ends at the earliest of the consent's expiry (or a support code's 30 minutes),
/// the cap, and the administrator's own sign-in expiry.
pub fn check_start(
    actor: &Actor,
    target: &Target,
    authority: Authority,
    max_session_ms: i64,
    now: i64,
) -> Result<SessionPlan, StartRefusal> {
    if !actor.on_allow_list || !actor.role.is_staff() {
        return Err(StartRefusal::NotOnAllowList);
    }
    if actor.status != UserStatus::Active {
        return Err(StartRefusal::ActorNotActive);
    }
    if actor.holds_session {
        return Err(StartRefusal::AlreadyImpersonating);
    }
    if actor.id == target.id {
        return Err(StartRefusal::SelfTarget);
    }
    if target.role != Role::Member {
        return Err(StartRefusal::TargetNotMember);
    }
    if target.status != UserStatus::Active {
        return Err(StartRefusal::TargetNotActive);
    }
    let (scope, allowed_until) = match authority {
        Authority::Consent => match target.consent.filter(|consent| consent.is_active(now)) {
            Some(consent) => (consent.scope, consent.expires_at),
            None => return Err(StartRefusal::NoConsent),
        },
        Authority::SupportCode(scope) => (scope, now + SUPPORT_CODE_SESSION_MS),
    };
    if let Some(holder) = &target.held_by {
        return Err(StartRefusal::TargetBusy(holder.clone()));
    }
    let expires_at = allowed_until
        .min(now + max_session_ms)
        .min(actor.sign_in_expires_at);
    if expires_at <= now {
        // The administrator's own sign-in is about to end: nothing left to grant.
        return Err(StartRefusal::ActorNotActive);
    }
    Ok(SessionPlan { scope, expires_at })
}

/// Why a session ended (SPEC.md §3), recorded once, in these words.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EndReason {
    Exited,
    EndedByUser,
    ConsentRevoked,
    Expired,
    UserSuspended,
    ActorSignedOut,
    PermissionRemoved,
}

impl EndReason {
    pub const ALL: [EndReason; 7] = [
        EndReason::Exited,
        EndReason::EndedByUser,
        EndReason::ConsentRevoked,
        EndReason::Expired,
        EndReason::UserSuspended,
        EndReason::ActorSignedOut,
        EndReason::PermissionRemoved,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EndReason::Exited => "exited",
            EndReason::EndedByUser => "ended by user",
            EndReason::ConsentRevoked => "consent revoked",
            EndReason::Expired => "expired",
            EndReason::UserSuspended => "user suspended",
            EndReason::ActorSignedOut => "actor signed out",
            EndReason::PermissionRemoved => "permission removed",
        }
    }

    pub fn parse(text: &str) -> Option<EndReason> {
        EndReason::ALL
            .into_iter()
            .find(|reason| reason.as_str() == text)
    }
}

/// A live session as every request re-reads it from the database.
#[derive(Clone, Debug)]
pub struct LiveSession {
    pub expires_at: i64,
    /// Set for sessions started on standing consent; a support-code session outlives a
    /// consent revocation only if it was never based on consent.
    pub on_consent: bool,
    pub consent: Option<Consent>,
    pub target_status: UserStatus,
    pub actor_status: UserStatus,
    pub actor_on_allow_list: bool,
    pub actor_signed_in: bool,
}

/// Whether a request at `now` may still be served under this session; if not, the reason it
/// ended. Checked on every request, against the database, so nothing outlives a revocation.
pub fn check_live(session: &LiveSession, now: i64) -> Result<(), EndReason> {
    if !session.actor_signed_in {
        return Err(EndReason::ActorSignedOut);
    }
    if !session.actor_on_allow_list || session.actor_status != UserStatus::Active {
        return Err(EndReason::PermissionRemoved);
    }
    if session.target_status != UserStatus::Active {
        return Err(EndReason::UserSuspended);
    }
    if session.on_consent
        && !session
            .consent
            .is_some_and(|consent| consent.is_active(now))
    {
        // Revoked, replaced by nothing, or expired: either way the member's consent is over.
        let expired = session
            .consent
            .is_some_and(|consent| !consent.is_active(now));
        return Err(if expired {
            EndReason::Expired
        } else {
            EndReason::ConsentRevoked
        });
    }
    if now >= session.expires_at {
        return Err(EndReason::Expired);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ssr::rules::{HOUR_MS, MINUTE_MS};

    const T0: i64 = 1_800_000_000_000;

    fn admin() -> Actor {
        Actor {
            id: 1,
            role: Role::Admin,
            status: UserStatus::Active,
            on_allow_list: true,
            sign_in_expires_at: T0 + 12 * HOUR_MS,
            holds_session: false,
        }
    }

    fn member(consent_hours: Option<i64>) -> Target {
        Target {
            id: 2,
            role: Role::Member,
            status: UserStatus::Active,
            consent: consent_hours.map(|hours| Consent {
                granted_at: T0 - 1,
                expires_at: T0 + hours * HOUR_MS,
                scope: Scope::FullAccess,
            }),
            held_by: None,
        }
    }

    fn start(actor: &Actor, target: &Target) -> Result<SessionPlan, StartRefusal> {
        check_start(
            actor,
            target,
            Authority::Consent,
            DEFAULT_MAX_SESSION_MS,
            T0,
        )
    }

    #[test]
    fn a_session_lasts_until_the_earliest_of_consent_cap_and_sign_in() {
        let plan = start(&admin(), &member(Some(24))).unwrap();
        assert_eq!(
            plan,
            SessionPlan {
                scope: Scope::FullAccess,
                expires_at: T0 + 30 * MINUTE_MS
            }
        );

        let mut short_consent = member(Some(24));
        short_consent.consent.as_mut().unwrap().expires_at = T0 + 5 * MINUTE_MS;
        assert_eq!(
            start(&admin(), &short_consent).unwrap().expires_at,
            T0 + 5 * MINUTE_MS
        );

        let leaving = Actor {
            sign_in_expires_at: T0 + MINUTE_MS,
            ..admin()
        };
        assert_eq!(
            start(&leaving, &member(Some(24))).unwrap().expires_at,
            T0 + MINUTE_MS
        );
    }

    #[test]
    fn each_start_rule_refuses_with_its_name() {
        let target = member(Some(1));
        let cases: Vec<(Actor, Target, StartRefusal)> = vec![
            (
                Actor {
                    on_allow_list: false,
                    ..admin()
                },
                target.clone(),
                StartRefusal::NotOnAllowList,
            ),
            (
                Actor {
                    role: Role::Member,
                    ..admin()
                },
                target.clone(),
                StartRefusal::NotOnAllowList,
            ),
            (
                Actor {
                    status: UserStatus::Suspended,
                    ..admin()
                },
                target.clone(),
                StartRefusal::ActorNotActive,
            ),
            (
                Actor {
                    holds_session: true,
                    ..admin()
                },
                target.clone(),
                StartRefusal::AlreadyImpersonating,
            ),
            (
                admin(),
                Target {
                    id: 1,
                    ..target.clone()
                },
                StartRefusal::SelfTarget,
            ),
            (
                admin(),
                Target {
                    role: Role::Admin,
                    ..target.clone()
                },
                StartRefusal::TargetNotMember,
            ),
            (
                admin(),
                Target {
                    role: Role::Owner,
                    ..target.clone()
                },
                StartRefusal::TargetNotMember,
            ),
            (
                admin(),
                Target {
                    status: UserStatus::Deleted,
                    ..target.clone()
                },
                StartRefusal::TargetNotActive,
            ),
            (admin(), member(None), StartRefusal::NoConsent),
            (
                admin(),
                Target {
                    held_by: Some("Olivia Owner".into()),
                    ..target.clone()
                },
                StartRefusal::TargetBusy("Olivia Owner".into()),
            ),
        ];
        for (actor, target, refusal) in cases {
            assert_eq!(start(&actor, &target), Err(refusal));
        }
        assert_eq!(
            StartRefusal::TargetBusy("Olivia Owner".into()).to_string(),
            "Olivia Owner is already impersonating this member."
        );
    }

    #[test]
    fn a_consent_expiring_exactly_now_allows_nothing() {
        let mut target = member(Some(1));
        target.consent.as_mut().unwrap().expires_at = T0;
        assert_eq!(start(&admin(), &target), Err(StartRefusal::NoConsent));
    }

    #[test]
    fn a_support_code_allows_thirty_minutes_in_its_own_scope_without_consent() {
        let plan = check_start(
            &admin(),
            &member(None),
            Authority::SupportCode(Scope::ViewOnly),
            2 * HOUR_MS,
            T0,
        )
        .unwrap();
        assert_eq!(
            plan,
            SessionPlan {
                scope: Scope::ViewOnly,
                expires_at: T0 + 30 * MINUTE_MS
            }
        );
        let capped = check_start(
            &admin(),
            &member(None),
            Authority::SupportCode(Scope::ViewOnly),
            MINUTE_MS,
            T0,
        );
        assert_eq!(capped.unwrap().expires_at, T0 + MINUTE_MS);
    }

    #[test]
    fn reasons_are_10_to_500_characters() {
        assert!(Reason::parse("TICKET-123").is_ok());
        assert_eq!(Reason::parse("  short  "), Err(StartRefusal::ReasonInvalid));
        assert!(Reason::parse(&"x".repeat(500)).is_ok());
        assert_eq!(
            Reason::parse(&"x".repeat(501)),
            Err(StartRefusal::ReasonInvalid)
        );
    }

    fn live() -> LiveSession {
        LiveSession {
            expires_at: T0 + 30 * MINUTE_MS,
            on_consent: true,
            consent: Some(Consent {
                granted_at: T0,
                expires_at: T0 + HOUR_MS,
                scope: Scope::FullAccess,
            }),
            target_status: UserStatus::Active,
            actor_status: UserStatus::Active,
            actor_on_allow_list: true,
            actor_signed_in: true,
        }
    }

    #[test]
    fn every_end_reason_is_detected_by_the_next_request() {
        assert_eq!(check_live(&live(), T0 + 1), Ok(()));
        assert_eq!(
            check_live(&live(), T0 + 30 * MINUTE_MS),
            Err(EndReason::Expired)
        );
        assert_eq!(
            check_live(
                &LiveSession {
                    consent: None,
                    ..live()
                },
                T0 + 1
            ),
            Err(EndReason::ConsentRevoked)
        );
        assert_eq!(
            check_live(
                &LiveSession {
                    target_status: UserStatus::Suspended,
                    ..live()
                },
                T0 + 1
            ),
            Err(EndReason::UserSuspended)
        );
        assert_eq!(
            check_live(
                &LiveSession {
                    actor_on_allow_list: false,
                    ..live()
                },
                T0 + 1
            ),
            Err(EndReason::PermissionRemoved)
        );
        assert_eq!(
            check_live(
                &LiveSession {
                    actor_signed_in: false,
                    ..live()
                },
                T0 + 1
            ),
            Err(EndReason::ActorSignedOut)
        );
        // A support-code session does not depend on standing consent.
        assert_eq!(
            check_live(
                &LiveSession {
                    on_consent: false,
                    consent: None,
                    ..live()
                },
                T0 + 1
            ),
            Ok(())
        );
    }

    #[test]
    fn end_reasons_use_the_words_of_the_spec() {
        let words: Vec<_> = EndReason::ALL
            .iter()
            .map(|reason| reason.as_str())
            .collect();
        assert_eq!(
            words,
            [
                "exited",
                "ended by user",
                "consent revoked",
                "expired",
                "user suspended",
                "actor signed out",
                "permission removed"
            ]
        );
        for reason in EndReason::ALL {
            assert_eq!(EndReason::parse(reason.as_str()), Some(reason));
        }
    }
}
