//! The impersonator allow-list (SPEC.md §1), kept by owners.
//! Thin: who may ask, call the store, map the refusal.

use crate::error::AppError;
use crate::model::AllowList;
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use crate::ssr::{app_state, now_ms, signed_in_owner};

/// The allow-list, for owners.
#[server(endpoint = "allow_list")]
#[cfg_attr(feature = "ssr", tracing::instrument(skip_all))]
pub async fn get_allow_list() -> Result<AllowList, AppError> {
    signed_in_owner()?;
    Ok(app_state()?.store.allow_list().await?)
}

/// An owner gives an admin or owner the right to impersonate.
#[server(endpoint = "grant_impersonator")]
#[cfg_attr(feature = "ssr", tracing::instrument(skip_all))]
pub async fn grant_impersonator(user_id: i64) -> Result<(), AppError> {
    let owner = signed_in_owner()?;
    app_state()?
        .store
        .grant_impersonation(owner.user.id, user_id, now_ms())
        .await?;
    crate::ssr::say_done(&user_id.to_string());
    Ok(())
}

/// An owner takes the right away; the holder's live session ends (`permission removed`).
#[server(endpoint = "remove_impersonator")]
#[cfg_attr(feature = "ssr", tracing::instrument(skip_all))]
pub async fn remove_impersonator(user_id: i64) -> Result<(), AppError> {
    let owner = signed_in_owner()?;
    app_state()?
        .store
        .remove_impersonation(owner.user.id, user_id, now_ms())
        .await?;
    crate::ssr::say_done(&user_id.to_string());
    Ok(())
}
