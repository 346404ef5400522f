//! People on `/admin/users` (SPEC.md §1): owners add accounts and change roles, suspend,
//! reinstate, delete and reset passwords; staff sign a member out everywhere. Thin: who may
//! ask, call the domain, map the refusal.

use crate::error::AppError;
use crate::model::IssuedLink;
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use crate::ssr::{app_state, now_ms, people, signed_in_owner, signed_in_staff};

/// `Add user`: the account, and a one-time `Set password` link, shown this once.
#[server(endpoint = "add_user")]
#[cfg_attr(feature = "ssr", tracing::instrument(skip_all))]
pub async fn add_user(name: String, email: String, role: String) -> Result<IssuedLink, AppError> {
    let owner = signed_in_owner()?;
    let store = app_state()?.store;
    Ok(people::add_user(&store, Some(owner.user.id), &name, &email, &role, now_ms()).await?)
}

/// `Change role`: every live session the person is part of ends.
#[server(endpoint = "change_role")]
#[cfg_attr(feature = "ssr", tracing::instrument(skip_all))]
pub async fn change_role(user_id: i64, role: String) -> Result<(), AppError> {
    let owner = signed_in_owner()?;
    let role = people::parse_role(&role)?;
    let store = app_state()?.store;
    store
        .change_role(owner.user.id, user_id, role, now_ms())
        .await?;
    crate::ssr::say_done(&user_id.to_string());
    Ok(())
}

/// `Suspend`: the account can no longer sign in; every session it is part of ends.
#[server(endpoint = "suspend_user")]
#[cfg_attr(feature = "ssr", tracing::instrument(skip_all))]
pub async fn suspend_user(user_id: i64) -> Result<(), AppError> {
    let owner = signed_in_owner()?;
    let store = app_state()?.store;
    store
        .suspend_account(owner.user.id, user_id, now_ms())
        .await?;
    crate::ssr::say_done(&user_id.to_string());
    Ok(())
}

/// `Reinstate`: a suspended account may sign in again.
#[server(endpoint = "reinstate_user")]
#[cfg_attr(feature = "ssr", tracing::instrument(skip_all))]
pub async fn reinstate_user(user_id: i64) -> Result<(), AppError> {
    let owner = signed_in_owner()?;
    let store = app_state()?.store;
    store
        .reinstate_account(owner.user.id, user_id, now_ms())
        .await?;
    crate::ssr::say_done(&user_id.to_string());
    Ok(())
}

/// `Delete account`: it can never sign in again; its audit trail stays.
#[server(endpoint = "delete_user")]
#[cfg_attr(feature = "ssr", tracing::instrument(skip_all))]
pub async fn delete_user(user_id: i64) -> Result<(), AppError> {
    let owner = signed_in_owner()?;
    let store = app_state()?.store;
    people::delete_account(&store, owner.user.id, user_id, now_ms()).await?;
    crate::ssr::say_done(&user_id.to_string());
    Ok(())
}

/// `Reset password`: a new one-time link; the person's sign-ins end.
#[server(endpoint = "reset_password")]
#[cfg_attr(feature = "ssr", tracing::instrument(skip_all))]
pub async fn reset_password(user_id: i64) -> Result<IssuedLink, AppError> {
    let owner = signed_in_owner()?;
    let store = app_state()?.store;
    Ok(people::reset_password(&store, owner.user.id, user_id, now_ms()).await?)
}

/// Staff's `Sign out everywhere`, for a member: all the member's sign-ins end.
#[server(endpoint = "sign_out_everywhere")]
#[cfg_attr(feature = "ssr", tracing::instrument(skip_all))]
pub async fn sign_out_everywhere(user_id: i64) -> Result<(), AppError> {
    let staff = signed_in_staff()?;
    let store = app_state()?.store;
    store
        .sign_member_out_everywhere(staff.user.id, user_id, now_ms())
        .await
        .map_err(people::PeopleError::from)?;
    crate::ssr::say_done(&user_id.to_string());
    Ok(())
}
