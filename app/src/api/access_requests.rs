//! Access requests and the member's inbox (SPEC.md §2, §5). An administrator asks from their
//! own account; only the member themself, never an administrator acting as them, reads the
//! inbox or answers.

use crate::error::AppError;
use crate::model::Inbox;
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use crate::ssr::{access, app_state, now_ms, signed_in, signed_in_member};

/// `Request access`: asks the member `member_id` for `hours` (1–24) of `scope`, limited to
/// `sections` (names separated by commas; none means all), or to the same names one by one
/// (`section[]`, the dialog's checkboxes). Returns the request's id.
#[server(endpoint = "request_access")]
#[cfg_attr(feature = "ssr", tracing::instrument(skip_all))]
pub async fn request_access(
    member_id: i64,
    reason: String,
    ticket: Option<String>,
    scope: String,
    sections: Option<String>,
    section: Option<Vec<String>>,
    hours: String,
) -> Result<i64, AppError> {
    use crate::ssr::access_requests::RequestForm;
    let current = signed_in()?;
    let sections = sections.or_else(|| section.map(|names| names.join(",")));
    let form = RequestForm {
        reason: &reason,
        ticket: ticket.as_deref(),
        scope: &scope,
        sections: sections.as_deref(),
        hours: &hours,
    };
    let store = app_state()?.store;
    Ok(access::request(&store, &current, member_id, &form, now_ms()).await?)
}

/// The administrator takes back their pending request.
#[server(endpoint = "withdraw_access_request")]
#[cfg_attr(feature = "ssr", tracing::instrument(skip_all))]
pub async fn withdraw_access_request(request_id: i64) -> Result<(), AppError> {
    let current = signed_in()?;
    let store = app_state()?.store;
    Ok(access::withdraw(&store, &current, request_id, now_ms()).await?)
}

/// `Approve`: the member grants the request, perhaps shorter (`hours`), narrower (`scope`)
/// or with fewer `sections`; left out, what was asked.
#[server(endpoint = "approve_access_request")]
#[cfg_attr(feature = "ssr", tracing::instrument(skip_all))]
pub async fn approve_access_request(
    request_id: i64,
    hours: Option<String>,
    scope: Option<String>,
    sections: Option<String>,
) -> Result<(), AppError> {
    use crate::ssr::access_requests::AnswerForm;
    let member = signed_in_member()?;
    let form = AnswerForm::Approve {
        hours: hours.as_deref(),
        scope: scope.as_deref(),
        sections: sections.as_deref(),
    };
    let store = app_state()?.store;
    access::answer(&store, member.user.id, request_id, &form, now_ms()).await?;
    Ok(())
}

/// `Deny`, with an optional `message` for the administrator.
#[server(endpoint = "deny_access_request")]
#[cfg_attr(feature = "ssr", tracing::instrument(skip_all))]
pub async fn deny_access_request(request_id: i64, message: Option<String>) -> Result<(), AppError> {
    use crate::ssr::access_requests::AnswerForm;
    let member = signed_in_member()?;
    let form = AnswerForm::Deny {
        message: message.as_deref(),
    };
    let store = app_state()?.store;
    access::answer(&store, member.user.id, request_id, &form, now_ms()).await?;
    Ok(())
}

/// The member's inbox, newest first.
#[server(endpoint = "get_inbox")]
#[cfg_attr(feature = "ssr", tracing::instrument(skip_all))]
pub async fn get_inbox() -> Result<Inbox, AppError> {
    let member = signed_in_member()?;
    let store = app_state()?.store;
    Ok(access::inbox(&store, member.user.id, now_ms()).await?)
}

/// `Mark all read`.
#[server(endpoint = "mark_inbox_read")]
#[cfg_attr(feature = "ssr", tracing::instrument(skip_all))]
pub async fn mark_inbox_read() -> Result<(), AppError> {
    let member = signed_in_member()?;
    let store = app_state()?.store;
    Ok(store.mark_inbox_read(member.user.id, now_ms()).await?)
}
