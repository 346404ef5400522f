//! Starting and ending impersonation (SPEC.md §3). Every rule is checked on the server, in the
//! transaction that inserts or ends the session; nothing the client sends is trusted.

use crate::error::AppError;
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use crate::ssr::{app_state, impersonation, now_ms, set_session_cookie, signed_in};

/// Starts acting as the member `target_id`, for `reason`; on standing consent, or on the
/// `support_code` the member read out.
#[server(endpoint = "start_impersonation")]
#[cfg_attr(feature = "ssr", tracing::instrument(skip_all))]
pub async fn start_impersonation(
    target_id: i64,
    reason: String,
    support_code: Option<String>,
) -> Result<(), AppError> {
    let current = signed_in()?;
    let state = app_state()?;
    let input = impersonation::StartInput {
        target_id,
        reason,
        support_code,
    };
    let started =
        impersonation::start(&state.store, &state.settings, &current, input, now_ms()).await?;
    set_session_cookie(Some(&started.token), &state.settings);
    // The member's view, loaded afresh: every part of the page changes hands.
    leptos_axum::redirect("/account");
    Ok(())
}

/// Ends the administrator's own session (`exited`) and returns them to their own view; from
/// another browser of theirs, ends the session `session_id` they left behind there.
#[server(endpoint = "exit_impersonation")]
#[cfg_attr(feature = "ssr", tracing::instrument(skip_all))]
pub async fn exit_impersonation(session_id: Option<i64>) -> Result<(), AppError> {
    let current = signed_in()?;
    let state = app_state()?;
    let action = crate::ssr::acting_request();
    let rotated = impersonation::exit(
        &state.store,
        &current,
        session_id,
        action.as_deref(),
        now_ms(),
    )
    .await?;
    if let Some(token) = rotated {
        set_session_cookie(Some(&token), &state.settings);
    }
    // Out of their own session: back in their own view, which says why. (A session left in
    // another browser ends from the page that showed it, which stays.)
    if session_id.is_none() {
        leptos_axum::redirect(&crate::components::own_view_after("exited"));
    }
    Ok(())
}

/// The member ends the session an administrator holds on their account (`ended by user`).
#[server(endpoint = "end_session")]
#[cfg_attr(feature = "ssr", tracing::instrument(skip_all))]
pub async fn end_session() -> Result<(), AppError> {
    let member = crate::ssr::signed_in_member()?;
    let store = app_state()?.store;
    Ok(impersonation::end_by_member(&store, member.user.id, now_ms()).await?)
}
