//! Starting and ending impersonation (SPEC.md §3). Every rule is checked on the server, in the
//! transaction that inserts or ends the session; nothing the client sends is trusted.

use crate::error::AppError;
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use crate::ssr::{app_state, now_ms, session_cookie, signed_in, NOT_WHILE_ACTING};

/// Starts acting as the member `target_id`, for `reason`; on standing consent, or on the
/// `support_code` the member read out.
#[server(endpoint = "start_impersonation")]
pub async fn start_impersonation(
    target_id: i64,
    reason: String,
    support_code: Option<String>,
) -> Result<(), AppError> {
    use crate::ssr::audit::{EventKind, NewEvent};
    use crate::ssr::consent::{redeem_support_code, SUPPORT_CODE_ATTEMPTS};
    use crate::ssr::credentials::{hashing, new_token, token_digest, verify_password};
    use crate::ssr::impersonation::{check_start, Reason, StartRefusal};
    use crate::ssr::rules::{retry_message, SignInTimes};
    use crate::ssr::store::StartRequest;

    let current = signed_in()?;
    let state = app_state()?;
    let store = &state.store;
    let now = now_ms();
    // A refusal is about the member named only when an allowed administrator asked: anyone
    // else could otherwise write into any member's history by sending their id.
    let deny_to = |rule: &str, message: String, about_member: bool| {
        let event = NewEvent::new(EventKind::ImpersonationDenied)
            .actor(current.user.id)
            .detail(serde_json::json!({"rule": rule, "message": message, "target_id": target_id}));
        if about_member {
            event.subject(target_id)
        } else {
            event
        }
    };
    let deny = |rule: &str, message: String| deny_to(rule, message, true);
    let refuse = |refusal: &StartRefusal| deny(refusal.rule(), refusal.to_string());
    if current.acting.is_some() {
        store
            .record(
                deny_to("not_while_acting", NOT_WHILE_ACTING.into(), false),
                now,
            )
            .await?;
        return Err(AppError::Forbidden(NOT_WHILE_ACTING.into()));
    }
    // Nobody without the grant learns anything here, not even whether a code is right.
    if !store.is_impersonator(current.user.id).await? {
        let refusal = StartRefusal::NotOnAllowList;
        store
            .record(deny_to(refusal.rule(), refusal.to_string(), false), now)
            .await?;
        return Err(refusal.into());
    }
    let reason = match Reason::parse(&reason) {
        Ok(reason) => reason,
        Err(refusal) => {
            store.record(refuse(&refusal), now).await?;
            return Err(refusal.into());
        }
    };

    let support_code_id = match support_code.filter(|code| !code.trim().is_empty()) {
        None => None,
        Some(code) => {
            let attempt = new_token();
            let bucket = [(
                format!("support_code:{}", current.user.id),
                SUPPORT_CODE_ATTEMPTS,
            )];
            if let Err(wait_ms) = store.reserve_attempt(&bucket, &attempt, now).await? {
                return Err(AppError::TooManyAttempts(retry_message(wait_ms)));
            }
            let stored = store.redeemable_support_codes(target_id, now).await?;
            let matched = hashing(move || {
                redeem_support_code(&code, &stored, now, |entered, hash| {
                    verify_password(entered, hash)
                })
            })
            .await;
            match matched {
                Ok(id) => {
                    store.release_attempt(&attempt).await?;
                    Some(id)
                }
                Err(refusal) => {
                    store
                        .record(deny("support_code", refusal.to_string()), now)
                        .await?;
                    return Err(AppError::Invalid(refusal.to_string()));
                }
            }
        }
    };

    let new = new_token();
    let lifetime = state.settings.sign_in;
    let max_session_ms = state.settings.max_session_ms;
    let request = StartRequest {
        actor_token_digest: &current.token_digest,
        new_token_digest: &token_digest(&new),
        target_id,
        reason: reason.as_str(),
        support_code_id,
    };
    let started = store
        .start_impersonation(
            request,
            |created_at, last_seen_at| {
                lifetime.expires_at(SignInTimes {
                    created_at,
                    last_seen_at,
                })
            },
            |facts, authority| {
                check_start(&facts.actor, &facts.target, authority, max_session_ms, now)
            },
            now,
        )
        .await?;
    started?;
    expect_context::<leptos_axum::ResponseOptions>().insert_header(
        http::header::SET_COOKIE,
        session_cookie(Some(&new), &state.settings),
    );
    Ok(())
}

/// Ends the administrator's own session (`exited`) and returns them to their own view.
#[server(endpoint = "exit_impersonation")]
pub async fn exit_impersonation() -> Result<(), AppError> {
    use crate::ssr::credentials::{new_token, token_digest};
    let current = signed_in()?;
    let state = app_state()?;
    let new = new_token();
    let ended = state
        .store
        .exit_impersonation(
            &current.token_digest,
            &token_digest(&new),
            crate::ssr::acting_request().as_deref(),
            now_ms(),
        )
        .await?;
    if !ended {
        return Err(AppError::Invalid(
            "You are not impersonating anyone.".into(),
        ));
    }
    expect_context::<leptos_axum::ResponseOptions>().insert_header(
        http::header::SET_COOKIE,
        session_cookie(Some(&new), &state.settings),
    );
    Ok(())
}

/// The member ends the session an administrator holds on their account (`ended by user`).
#[server(endpoint = "end_session")]
pub async fn end_session() -> Result<(), AppError> {
    let member = crate::ssr::signed_in_member()?;
    let ended = app_state()?
        .store
        .end_sessions_by_member(member.user.id, now_ms())
        .await?;
    if ended {
        Ok(())
    } else {
        Err(AppError::Invalid(
            "Nobody is acting on your account.".into(),
        ))
    }
}
