//! Impersonation, orchestrated (SPEC.md §3): starting a session (allow-list, support code,
//! rate limit, the rules inside the locked transaction, the audit), leaving it, the member
//! ending it, and re-checking it on every request. The rules themselves are in
//! `impersonation_state`; the SQL in the store.

use super::action_record::ActingRequest;
use super::audit::{EventKind, NewEvent};
use super::authentication::SignedIn;
use super::consent::{redeem_support_code, SupportCodeRefusal, SUPPORT_CODE_ATTEMPTS};
use super::credentials::{hashing, new_token, token_digest, verify_password};
use super::impersonation_state::{
    check_start, verdict, Actor, Authority, Reason, StartRefusal, Target, Verdict, Via,
};
use super::sign_in_limits::{retry_message, Bucket, BucketUse, LimitReached};
use super::store::{AttemptRefused, LiveSessionRow, StartRequest, Store, StoreError};
use super::{Settings, NOT_WHILE_ACTING};
use serde_json::json;

/// What an administrator asks for when starting.
#[derive(Clone, Debug)]
pub struct StartInput {
    pub target_id: i64,
    pub reason: String,
    /// The code the member read out, when there is no standing consent.
    pub support_code: Option<String>,
}

/// A session that started: its id, and the sign-in's new token (rotated at the start).
#[derive(Debug)]
pub struct Started {
    pub session_id: i64,
    pub token: String,
}

/// Why a session did not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("{NOT_WHILE_ACTING}")]
    NotWhileActing,
    #[error(transparent)]
    Refused(#[from] StartRefusal),
    #[error(transparent)]
    SupportCode(#[from] SupportCodeRefusal),
    #[error("{}", retry_message(*wait_ms))]
    TooManyAttempts { wait_ms: i64 },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Starts acting as a member, if every rule of SPEC.md §3 allows it; the rules are judged on
/// facts read inside the transaction that inserts the session. Every refusal is recorded
/// (`impersonation_denied`, with its rule), except a rate limit already reached.
#[tracing::instrument(skip_all, fields(actor_id = current.user.id, target_id = input.target_id))]
pub async fn start(
    store: &Store,
    settings: &Settings,
    current: &SignedIn,
    input: StartInput,
    now: i64,
) -> Result<Started, StartError> {
    let target_id = input.target_id;
    // A refusal is about the member named only when an allowed administrator asked: anyone
    // else could otherwise write into any member's history by sending their id.
    let denied = |rule: &str, message: String, about_member: bool| {
        let event = NewEvent::new(EventKind::ImpersonationDenied)
            .actor(current.user.id)
            .detail(json!({"rule": rule, "message": message, "target_id": target_id}));
        if about_member {
            event.subject(target_id)
        } else {
            event
        }
    };
    if current.acting.is_some() {
        let event = denied("not_while_acting", NOT_WHILE_ACTING.into(), false);
        store.record(event, now).await?;
        return Err(StartError::NotWhileActing);
    }
    // Nobody without the grant learns anything here, not even whether a code is right.
    if !store.is_impersonator(current.user.id).await? {
        let refusal = StartRefusal::NotOnAllowList;
        let event = denied(refusal.rule(), refusal.to_string(), false);
        store.record(event, now).await?;
        return Err(refusal.into());
    }
    let reason = match Reason::parse(&input.reason) {
        Ok(reason) => reason,
        Err(refusal) => {
            let event = denied(refusal.rule(), refusal.to_string(), true);
            store.record(event, now).await?;
            return Err(refusal.into());
        }
    };
    let support_code_id = match input.support_code.filter(|code| !code.trim().is_empty()) {
        None => None,
        Some(code) => match redeem(store, current.user.id, target_id, code, now).await {
            Err(StartError::SupportCode(refusal)) => {
                let event = denied("support_code", refusal.to_string(), true);
                store.record(event, now).await?;
                return Err(refusal.into());
            }
            matched => Some(matched?),
        },
    };

    let token = new_token();
    let new_token_digest = token_digest(&token);
    let request = StartRequest {
        actor_token_digest: &current.token_digest,
        new_token_digest: &new_token_digest,
        target_id,
        reason: reason.as_str(),
        support_code_id,
    };
    let attempt = store.begin_start(request, now).await?;
    let facts = attempt.facts.clone();
    // The sign-in that asked is gone, or the account is: nothing to judge, nothing to record.
    let Some(actor) = facts.actor else {
        return Err(StartRefusal::NotOnAllowList.into());
    };
    let Some(target) = facts.target else {
        return Err(StartRefusal::TargetNotMember.into());
    };
    let authority = match (support_code_id, facts.support_code) {
        (None, _) => Authority::Consent,
        (Some(_), Some((scope, sections))) => Authority::SupportCode(scope, sections),
        (Some(_), None) => {
            // Used or expired since it was matched: as good as no code.
            let refusal = StartRefusal::NoConsent;
            attempt.deny(&refusal, now).await?;
            return Err(refusal.into());
        }
    };
    let actor = Actor {
        id: actor.user.id,
        role: actor.user.role,
        status: actor.user.status,
        on_allow_list: actor.allowed > 0,
        sign_in_expires_at: settings.sign_in.expires_at(actor.sign_in),
        holds_session: facts.actor_holds_session,
    };
    let target = Target {
        id: target.id,
        role: target.role,
        status: target.status,
        consent: facts.target_consent,
        approval: facts.approval,
        held_by: facts.target_held_by,
    };
    match check_start(&actor, &target, authority, settings.max_session_ms, now) {
        Ok(plan) => {
            let session_id = attempt.insert(plan, Via::of(authority), now).await?;
            Ok(Started { session_id, token })
        }
        Err(refusal) => {
            attempt.deny(&refusal, now).await?;
            Err(refusal.into())
        }
    }
}

/// Matches a typed support code to one of the member's, counting the attempt against the
/// administrator's limit; a right code is taken back out of it.
async fn redeem(
    store: &Store,
    actor_id: i64,
    target_id: i64,
    code: String,
    now: i64,
) -> Result<i64, StartError> {
    let attempt = new_token();
    let bucket = [Bucket {
        key: format!("support_code:{actor_id}"),
        window_ms: SUPPORT_CODE_ATTEMPTS.window_ms,
    }];
    let judge = |used: &[BucketUse]| {
        SUPPORT_CODE_ATTEMPTS
            .judge(&used[0], now)
            .map_err(|wait_ms| LimitReached { bucket: 0, wait_ms })
    };
    match store.reserve_attempt(&bucket, &attempt, judge, now).await {
        Ok(()) => {}
        Err(AttemptRefused::TooManyAttempts { wait_ms, .. }) => {
            return Err(StartError::TooManyAttempts { wait_ms })
        }
        Err(AttemptRefused::Store(error)) => return Err(error.into()),
    }
    let stored = store.redeemable_support_codes(target_id, now).await?;
    let matched = hashing(move || {
        redeem_support_code(&code, &stored, now, |entered, hash| {
            verify_password(entered, hash)
        })
    })
    .await;
    let id = matched?;
    store.release_attempt(&attempt).await?;
    Ok(id)
}

/// Why leaving a session, or ending one as the member, did nothing.
#[derive(Debug, thiserror::Error)]
pub enum EndError {
    #[error("You are not impersonating anyone.")]
    NotImpersonating,
    #[error("Nobody is acting on your account.")]
    NobodyActing,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The administrator leaves their session (`exited`). Acting in this browser, the sign-in
/// gets a new token, returned; from another browser, `left_behind` names the session that
/// page showed, which ends, and the sign-in that carries it learns so on its next request.
#[tracing::instrument(skip_all, fields(actor_id = current.user.id))]
pub async fn exit(
    store: &Store,
    current: &SignedIn,
    left_behind: Option<i64>,
    action: Option<&ActingRequest>,
    now: i64,
) -> Result<Option<String>, EndError> {
    if current.acting.is_none() {
        let Some(session_id) = left_behind else {
            return Err(EndError::NotImpersonating);
        };
        return match store
            .exit_elsewhere(current.user.id, session_id, action, now)
            .await?
        {
            true => Ok(None),
            false => Err(EndError::NotImpersonating),
        };
    }
    let token = new_token();
    let digest = token_digest(&token);
    if store
        .exit_impersonation(&current.token_digest, &digest, action, now)
        .await?
    {
        Ok(Some(token))
    } else {
        Err(EndError::NotImpersonating)
    }
}

/// The member ends the session an administrator holds on their account (`ended by user`).
#[tracing::instrument(skip_all, fields(member_id = member_id))]
pub async fn end_by_member(store: &Store, member_id: i64, now: i64) -> Result<(), EndError> {
    if store.end_sessions_by_member(member_id, now).await? {
        Ok(())
    } else {
        Err(EndError::NobodyActing)
    }
}

/// Re-reads a session and judges it at `now` (`judge_session`). `None`: no such session.
pub async fn check_session(
    store: &Store,
    session_id: i64,
    now: i64,
) -> Result<Option<(LiveSessionRow, Verdict)>, StoreError> {
    match store.live_session(session_id).await? {
        None => Ok(None),
        Some(live) => Ok(Some(judge_session(store, live, now).await?)),
    }
}

/// Judges a session as read at `now`; a session found over is recorded as ended here, once,
/// whoever notices first (a request, the live channel).
pub async fn judge_session(
    store: &Store,
    live: LiveSessionRow,
    now: i64,
) -> Result<(LiveSessionRow, Verdict), StoreError> {
    let verdict = verdict(&live.session, &live.facts, now);
    if let Verdict::EndsNow(reason) = verdict {
        store.end_found_over(live.session.id, reason, now).await?;
    }
    Ok((live, verdict))
}
