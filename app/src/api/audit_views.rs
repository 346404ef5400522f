//! Reading the audit trail (SPEC.md §5): the member's session history, and the staff's
//! activity log. Thin: who may ask, parse, call the store, map the refusal.

use crate::error::AppError;
use crate::model::{ActivityFilter, AuditEntry, LogLine, Page, SessionEntry};
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use crate::model::{EVENTS_PER_PAGE, SESSIONS_PER_PAGE, SESSION_EVENTS_PER_PAGE};
#[cfg(feature = "ssr")]
use crate::ssr::activity_filter::{event_query, parse_cursor};
#[cfg(feature = "ssr")]
use crate::ssr::plain_words::in_words;
#[cfg(feature = "ssr")]
use crate::ssr::{app_state, now_ms, signed_in_member, signed_in_staff};

/// A page of the impersonation sessions on the member's own account, newest first, older
/// than the session `before` (a cursor from the page's URL) when given.
#[server(endpoint = "session_history")]
#[cfg_attr(feature = "ssr", tracing::instrument(skip_all))]
pub async fn session_history(before: Option<String>) -> Result<Page<SessionEntry>, AppError> {
    let member = signed_in_member()?;
    let before = parse_cursor(before.as_deref())?;
    let rows = app_state()?
        .store
        .member_sessions(member.user.id, before, SESSIONS_PER_PAGE + 1, now_ms())
        .await?;
    Ok(Page::from_rows(rows, SESSIONS_PER_PAGE, |session| {
        session.id
    }))
}

/// A page of the events of one session on the member's own account, oldest first, after
/// the event `after` when given, in plain words: the requests a page made by itself folded
/// under its view (`next` is the last event's sequence number, not a line's).
#[server(endpoint = "session_audit_log")]
#[cfg_attr(feature = "ssr", tracing::instrument(skip_all))]
pub async fn session_audit_log(
    session_id: i64,
    after: Option<i64>,
) -> Result<Page<LogLine>, AppError> {
    let member = signed_in_member()?;
    let rows = app_state()?
        .store
        .session_events(
            member.user.id,
            session_id,
            after,
            SESSION_EVENTS_PER_PAGE + 1,
        )
        .await?;
    let page = Page::from_rows(rows, SESSION_EVENTS_PER_PAGE, |event| event.seq);
    let events = page.items.into_iter().map(in_words).collect();
    Ok(Page {
        items: crate::ssr::session_log::fold(events),
        next: page.next,
    })
}

/// A page of the global activity log, newest first, older than the event `before` (a
/// cursor from the page's URL) when given.
#[server(endpoint = "activity_log")]
#[cfg_attr(feature = "ssr", tracing::instrument(skip_all))]
pub async fn activity_log(
    filter: ActivityFilter,
    before: Option<String>,
) -> Result<Page<AuditEntry>, AppError> {
    signed_in_staff()?;
    let before = parse_cursor(before.as_deref())?;
    let store = app_state()?.store;
    let query = event_query(&store, &filter, before).await?;
    let rows = store.events(&query, EVENTS_PER_PAGE as i64 + 1).await?;
    let rows = rows.into_iter().map(in_words).collect();
    Ok(Page::from_rows(rows, EVENTS_PER_PAGE, |event| event.seq))
}
