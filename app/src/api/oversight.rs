//! The member's session history, the activity log and the owner's allow-list (SPEC.md §1, §5).
//! Thin: who may ask, parse, call the store, map the refusal.

use crate::error::AppError;
use crate::model::{ActivityFilter, ActivityPage, AllowList, AuditEntry, SessionEntry};
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use crate::ssr::{app_state, now_ms, signed_in_member, signed_in_owner, signed_in_staff};

/// The impersonation sessions on the member's own account, newest first.
#[server(endpoint = "session_history")]
pub async fn session_history() -> Result<Vec<SessionEntry>, AppError> {
    let member = signed_in_member()?;
    Ok(app_state()?
        .store
        .member_sessions(member.user.id, now_ms())
        .await?)
}

/// Every event of one session on the member's own account.
#[server(endpoint = "session_audit_log")]
pub async fn session_audit_log(session_id: i64) -> Result<Vec<AuditEntry>, AppError> {
    let member = signed_in_member()?;
    Ok(app_state()?
        .store
        .session_events(member.user.id, session_id)
        .await?)
}

/// One page of the global activity log, newest first, older than `before` when given.
#[server(endpoint = "activity_log")]
pub async fn activity_log(
    filter: ActivityFilter,
    before: Option<i64>,
) -> Result<ActivityPage, AppError> {
    use crate::model::EVENTS_PER_PAGE;
    signed_in_staff()?;
    let store = app_state()?.store;
    let Some(query) = crate::ssr::export::event_query(&store, &filter, before).await? else {
        return Ok(ActivityPage {
            events: vec![],
            older: None,
        });
    };
    let mut events = store.events(&query, EVENTS_PER_PAGE as i64 + 1).await?;
    let older = (events.len() > EVENTS_PER_PAGE).then(|| {
        events.truncate(EVENTS_PER_PAGE);
        events.last().map(|event| event.seq)
    });
    Ok(ActivityPage {
        events,
        older: older.flatten(),
    })
}

/// The allow-list, for owners.
#[server(endpoint = "allow_list")]
pub async fn get_allow_list() -> Result<AllowList, AppError> {
    signed_in_owner()?;
    Ok(app_state()?.store.allow_list().await?)
}

/// An owner gives an admin or owner the right to impersonate.
#[server(endpoint = "grant_impersonator")]
pub async fn grant_impersonator(user_id: i64) -> Result<(), AppError> {
    let owner = signed_in_owner()?;
    app_state()?
        .store
        .grant_impersonation(owner.user.id, user_id, now_ms())
        .await??;
    Ok(())
}

/// An owner takes the right away; the holder's live session ends (`permission removed`).
#[server(endpoint = "remove_impersonator")]
pub async fn remove_impersonator(user_id: i64) -> Result<(), AppError> {
    let owner = signed_in_owner()?;
    app_state()?
        .store
        .remove_impersonation(owner.user.id, user_id, now_ms())
        .await??;
    Ok(())
}

/// An owner suspends a member; every session on the account ends (`user suspended`).
#[server(endpoint = "suspend_user")]
pub async fn suspend_user(user_id: i64) -> Result<(), AppError> {
    let owner = signed_in_owner()?;
    app_state()?
        .store
        .suspend_member(owner.user.id, user_id, now_ms())
        .await??;
    Ok(())
}
