//! The impersonation state machine (SPEC.md §3), whole and pure: when a session may start and
//! how long it lasts, whether a session is live or how it ended, and which sessions an event
//! (a revocation, a suspension, a sign-out…) ends with which reason. Plain functions over
//! plain data with `now` passed in; the store gathers the facts inside its transactions and
//! asks these functions, so it never picks an end reason itself.

use super::access_requests::Approval;
use super::clock::MINUTE_MS;
use super::consent::{Consent, SUPPORT_CODE_SESSION_MS};
use crate::model::{Role, Scope, Sections, UserStatus};

/// The session cap when `ACTAS_MAX_SESSION_SECONDS` is not set.
pub const DEFAULT_MAX_SESSION_MS: i64 = 30 * MINUTE_MS;

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
    /// The approval of an access request of this very administrator, if the member gave one
    /// (the id of the request, and what it allows): a consent for them alone.
    pub approval: Option<(i64, Approval)>,
    /// The name of whoever holds a live session on this account, if anyone does.
    pub held_by: Option<String>,
}

/// What allows the session: the member's standing consent, or a support code they gave.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Authority {
    /// The member's standing consent or, without one, their approval of this administrator's
    /// access request.
    Consent,
    /// A valid, unused support code (checked by `consent::redeem_support_code`) of this scope
    /// and these sections.
    SupportCode(Scope, Sections),
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

/// How a session is allowed, as stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Via {
    Consent,
    SupportCode,
}

impl Via {
    pub fn of(authority: Authority) -> Via {
        match authority {
            Authority::Consent => Via::Consent,
            Authority::SupportCode(..) => Via::SupportCode,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Via::Consent => "consent",
            Via::SupportCode => "support_code",
        }
    }

    pub fn parse(text: &str) -> Option<Via> {
        [Via::Consent, Via::SupportCode]
            .into_iter()
            .find(|via| via.as_str() == text)
    }
}

/// A session that may start: its scope, its sections, when it ends, and the access request
/// whose approval it rests on, if it does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SessionPlan {
    pub scope: Scope,
    pub sections: Sections,
    pub expires_at: i64,
    pub approval_id: Option<i64>,
}

/// The rules about the member alone, which the user list can judge for every row before
/// anyone asks: the first that refuses, if any. `check_start` applies them again, with the
/// facts read inside the start's own transaction.
pub fn target_refusal(actor_id: i64, target: &Target) -> Option<StartRefusal> {
    if actor_id == target.id {
        Some(StartRefusal::SelfTarget)
    } else if target.role != Role::Member {
        Some(StartRefusal::TargetNotMember)
    } else if target.status != UserStatus::Active {
        Some(StartRefusal::TargetNotActive)
    } else {
        target.held_by.clone().map(StartRefusal::TargetBusy)
    }
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
    // Busy is judged last: a member nobody may act as is refused for that, not for being busy.
    let unstartable = Target {
        held_by: None,
        ..target.clone()
    };
    if let Some(refusal) = target_refusal(actor.id, &unstartable) {
        return Err(refusal);
    }
    let standing = target.consent.filter(|consent| consent.is_active(now));
    let approved = target
        .approval
        .filter(|(_, approval)| now < approval.expires_at);
    let (scope, sections, allowed_until, approval_id) = match (authority, standing, approved) {
        // Standing consent first: it is the member's word to every allowed administrator.
        (Authority::Consent, Some(consent), _) => {
            (consent.scope, consent.sections, consent.expires_at, None)
        }
        (Authority::Consent, None, Some((id, approval))) => (
            approval.scope,
            approval.sections,
            approval.expires_at,
            Some(id),
        ),
        (Authority::Consent, None, None) => return Err(StartRefusal::NoConsent),
        (Authority::SupportCode(scope, sections), ..) => {
            (scope, sections, now + SUPPORT_CODE_SESSION_MS, None)
        }
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
    Ok(SessionPlan {
        scope,
        sections,
        expires_at,
        approval_id,
    })
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
    RoleChanged,
}

impl EndReason {
    pub const ALL: [EndReason; 8] = [
        EndReason::Exited,
        EndReason::EndedByUser,
        EndReason::ConsentRevoked,
        EndReason::Expired,
        EndReason::UserSuspended,
        EndReason::ActorSignedOut,
        EndReason::PermissionRemoved,
        EndReason::RoleChanged,
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
            EndReason::RoleChanged => "role changed",
        }
    }

    pub fn parse(text: &str) -> Option<EndReason> {
        EndReason::ALL
            .into_iter()
            .find(|reason| reason.as_str() == text)
    }
}

/// A recorded end: when, and why.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ended {
    pub at: i64,
    pub reason: EndReason,
}

/// One impersonation session as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredSession {
    pub id: i64,
    pub actor_id: i64,
    pub target_id: i64,
    pub scope: Scope,
    pub sections: Sections,
    pub via: Via,
    pub started_at: i64,
    pub expires_at: i64,
    /// Set once an end was recorded.
    pub ended: Option<Ended>,
}

/// What a session's life depends on besides itself, as every request re-reads it.
#[derive(Clone, Debug)]
pub struct SessionFacts {
    /// The consent the session rests on, active or not: the member's standing consent, or
    /// for a session started under an access approval, that approval (`None` once revoked).
    pub consent: Option<Consent>,
    pub target_status: UserStatus,
    pub actor_status: UserStatus,
    pub actor_on_allow_list: bool,
    /// Whether a sign-in of the administrator still carries the session.
    pub actor_signed_in: bool,
}

/// Whether a session is live at a moment, and if not, how it ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    Live,
    /// Its end is on record already.
    Ended(EndReason),
    /// It is over, and nobody has recorded that yet: whoever noticed records it, once.
    EndsNow(EndReason),
}

/// Whether a request at `now` may still be served under this session, or why not. Checked on
/// every request and by the live channel, against the database, so nothing outlives a
/// revocation. A session past its expiry ended by expiring, whatever else changed since.
pub fn verdict(session: &StoredSession, facts: &SessionFacts, now: i64) -> Verdict {
    if let Some(ended) = session.ended {
        return Verdict::Ended(ended.reason);
    }
    if now >= session.expires_at {
        return Verdict::EndsNow(EndReason::Expired);
    }
    if !facts.actor_signed_in {
        return Verdict::EndsNow(EndReason::ActorSignedOut);
    }
    if !facts.actor_on_allow_list || facts.actor_status != UserStatus::Active {
        return Verdict::EndsNow(EndReason::PermissionRemoved);
    }
    if facts.target_status != UserStatus::Active {
        return Verdict::EndsNow(EndReason::UserSuspended);
    }
    // A support-code session never rested on standing consent, so it does not end with it.
    if session.via == Via::Consent && !facts.consent.is_some_and(|c| c.is_active(now)) {
        // Revoked, or run out: either way the member's consent is over.
        let expired = facts.consent.is_some_and(|c| !c.is_active(now));
        return Verdict::EndsNow(if expired {
            EndReason::Expired
        } else {
            EndReason::ConsentRevoked
        });
    }
    Verdict::Live
}

/// Something that happened, and may end sessions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Trigger {
    /// The administrator pressed `Exit impersonation` in this session.
    Exited { session_id: i64 },
    /// The member pressed `End session`.
    EndedByMember { member_id: i64 },
    /// The member revoked their consent, or replaced it with a new one: a session runs on
    /// the consent it started with.
    ConsentWithdrawn { member_id: i64 },
    /// An account was suspended or deleted: sessions on it end (`user suspended`), and so
    /// do sessions it holds as an administrator (`permission removed`).
    AccountClosed { user_id: i64 },
    /// A person's role changed: sessions they hold as an administrator end (`permission
    /// removed`), and sessions on them as a member (`role changed`).
    RoleChanged { user_id: i64 },
    /// Every sign-in of this person ended (signed out everywhere, a password changed or
    /// reset): the session their sign-in carried ends with it.
    SignInsEnded { user_id: i64 },
    /// The administrator's sign-in that carries this session ended: signed out, signed in
    /// again, or expired. `still_active` is false when it ended because their account did.
    SignInEnded { session_id: i64, still_active: bool },
    /// The administrator left the allow-list (or their role or account changed).
    PermissionRemoved { actor_id: i64 },
    /// A request or the live channel found this session over (`verdict`).
    FoundOver { session_id: i64, reason: EndReason },
    /// A start is about to be judged: sessions of either party that ran out unrecorded must
    /// be recorded first, or they would count as held.
    StartPending { actor_id: i64, target_id: i64 },
}

/// Which sessions a trigger could touch: the store reads the open (unrecorded) sessions
/// with this session id, actor or target, and `ends` picks among them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Involved {
    pub session_id: Option<i64>,
    pub actor_id: Option<i64>,
    pub target_id: Option<i64>,
}

impl Trigger {
    pub fn involved(&self) -> Involved {
        match *self {
            Trigger::Exited { session_id }
            | Trigger::SignInEnded { session_id, .. }
            | Trigger::FoundOver { session_id, .. } => Involved {
                session_id: Some(session_id),
                ..Involved::default()
            },
            Trigger::EndedByMember { member_id } | Trigger::ConsentWithdrawn { member_id } => {
                Involved {
                    target_id: Some(member_id),
                    ..Involved::default()
                }
            }
            Trigger::AccountClosed { user_id } | Trigger::RoleChanged { user_id } => Involved {
                actor_id: Some(user_id),
                target_id: Some(user_id),
                ..Involved::default()
            },
            Trigger::PermissionRemoved { actor_id: user_id }
            | Trigger::SignInsEnded { user_id } => Involved {
                actor_id: Some(user_id),
                ..Involved::default()
            },
            Trigger::StartPending {
                actor_id,
                target_id,
            } => Involved {
                actor_id: Some(actor_id),
                target_id: Some(target_id),
                ..Involved::default()
            },
        }
    }

    /// The reason this trigger gives to a session it ends that has not run out.
    fn reason(&self, session: &StoredSession) -> Option<EndReason> {
        // Whether the person the trigger is about holds the session, or is acted as in it.
        let as_actor = |user_id: i64| session.actor_id == user_id;
        match *self {
            Trigger::Exited { .. } => Some(EndReason::Exited),
            Trigger::EndedByMember { .. } => Some(EndReason::EndedByUser),
            Trigger::ConsentWithdrawn { .. } => Some(EndReason::ConsentRevoked),
            Trigger::AccountClosed { user_id } => Some(if as_actor(user_id) {
                EndReason::PermissionRemoved
            } else {
                EndReason::UserSuspended
            }),
            Trigger::RoleChanged { user_id } => Some(if as_actor(user_id) {
                EndReason::PermissionRemoved
            } else {
                EndReason::RoleChanged
            }),
            Trigger::SignInsEnded { .. } => Some(EndReason::ActorSignedOut),
            Trigger::SignInEnded { still_active, .. } => Some(if still_active {
                EndReason::ActorSignedOut
            } else {
                EndReason::PermissionRemoved
            }),
            Trigger::PermissionRemoved { .. } => Some(EndReason::PermissionRemoved),
            Trigger::FoundOver { reason, .. } => Some(reason),
            // Only what has run out ends before a start.
            Trigger::StartPending { .. } => None,
        }
    }
}

/// The sessions among `open` that `trigger` ends, each with its reason. A session already past
/// its expiry ended by expiring, whatever noticed it first; one whose end is recorded is left
/// alone (it ended once).
pub fn ends(trigger: &Trigger, open: &[StoredSession], now: i64) -> Vec<(i64, EndReason)> {
    let involved = trigger.involved();
    open.iter()
        .filter(|session| session.ended.is_none())
        .filter(|session| {
            involved.session_id == Some(session.id)
                || involved.actor_id == Some(session.actor_id)
                || involved.target_id == Some(session.target_id)
        })
        .filter_map(|session| {
            let reason = if now >= session.expires_at {
                Some(EndReason::Expired)
            } else {
                trigger.reason(session)
            };
            reason.map(|reason| (session.id, reason))
        })
        .collect()
}

/// How a session reads in the member's history at `now`: when it ended and why, or `None`
/// while ongoing. A session that passed its expiry ended then, even if nobody was there to
/// record it, and one recorded as expired ended at its expiry, not when that was noticed.
pub fn outcome(session: &StoredSession, now: i64) -> Option<Ended> {
    match session.ended {
        Some(Ended {
            reason: EndReason::Expired,
            ..
        }) => Some(Ended {
            at: session.expires_at,
            reason: EndReason::Expired,
        }),
        Some(ended) => Some(ended),
        None if now >= session.expires_at => Some(Ended {
            at: session.expires_at,
            reason: EndReason::Expired,
        }),
        None => None,
    }
}

#[cfg(test)]
mod tests;
