//! The staff's user list (SPEC.md §3).

use crate::error::AppError;
use crate::model::UserPage;
use leptos::prelude::*;

/// One page of the user list, for staff only. Each row says why `Impersonate user` cannot
/// start a session there, when it cannot, in the words the start would be refused with.
#[server(endpoint = "list_users")]
#[cfg_attr(feature = "ssr", tracing::instrument(skip_all))]
pub async fn list_users(search: String, page: u32) -> Result<UserPage, AppError> {
    use crate::ssr::impersonation_state::{target_refusal, Target};
    use crate::ssr::{app_state, now_ms, signed_in_staff};
    let current = signed_in_staff()?;
    let search: String = search.trim().chars().take(200).collect();
    let mut users = app_state()?
        .store
        .list_users(&search, page, current.user.id, now_ms())
        .await?;
    let store = app_state()?.store;
    // The viewer's own requests, each row showing the latest one's answer.
    let requests = if users.may_impersonate {
        store
            .notice_expired_requests(Some(current.user.id), None, now_ms())
            .await?;
        store.latest_requests_of(current.user.id, now_ms()).await?
    } else {
        Vec::new()
    };
    for row in &mut users.users {
        row.request = requests
            .iter()
            .find(|request| request.member_id == row.user.id)
            .cloned();
        let target = Target {
            id: row.user.id,
            role: row.user.role,
            status: row.user.status,
            consent: None,
            approval: None,
            held_by: row.held_by.clone(),
        };
        row.start_refused = target_refusal(current.user.id, &target).map(|r| r.to_string());
    }
    users.may_suspend = current.user.role == crate::model::Role::Owner;
    Ok(users)
}
