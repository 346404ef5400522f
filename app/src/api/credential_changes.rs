//! A person's own sign-in (SPEC.md §6): `Sign-in settings` and `/set-password`. Never while
//! acting as someone else: an administrator may not touch a member's credentials.

use crate::error::AppError;
use crate::model::SignInSettings;
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use crate::ssr::{
    app_state, client_address, not_while_acting, now_ms, own_credentials, people,
    set_session_cookie,
};

/// `Change password`: the current one, the new one twice; every other sign-in ends.
#[server(endpoint = "change_password")]
#[cfg_attr(feature = "ssr", tracing::instrument(skip_all))]
pub async fn change_password(
    current_password: String,
    new_password: String,
    repeat_password: String,
) -> Result<u64, AppError> {
    let me = not_while_acting()?;
    let store = app_state()?.store;
    let (new, repeated) = (&new_password, &repeat_password);
    let address = client_address()?;
    let changed = own_credentials::change_password(
        &store,
        &me,
        current_password,
        new,
        repeated,
        address,
        now_ms(),
    );
    let others_ended = changed.await?;
    crate::ssr::say_done(&others_ended.to_string());
    Ok(others_ended)
}

/// `Change email`: the current password and an address no other account has.
#[server(endpoint = "change_email")]
#[cfg_attr(feature = "ssr", tracing::instrument(skip_all))]
pub async fn change_email(current_password: String, email: String) -> Result<String, AppError> {
    let me = not_while_acting()?;
    let store = app_state()?.store;
    let address = client_address()?;
    let email =
        own_credentials::change_email(&store, &me, current_password, &email, address, now_ms())
            .await?;
    Ok(email.as_str().to_string())
}

/// What `Sign-in settings` shows, `Where you're signed in` included.
#[server(endpoint = "sign_in_settings")]
#[cfg_attr(feature = "ssr", tracing::instrument(skip_all))]
pub async fn get_sign_in_settings() -> Result<SignInSettings, AppError> {
    let me = not_while_acting()?;
    Ok(SignInSettings {
        sign_ins: own_credentials::sign_ins(&app_state()?.store, &me).await?,
        may_delete_account: me.user.role == crate::model::Role::Member,
        email: me.user.email,
    })
}

/// `Sign out` one of the person's other sign-ins.
#[server(endpoint = "sign_out_sign_in")]
#[cfg_attr(feature = "ssr", tracing::instrument(skip_all))]
pub async fn sign_out_sign_in(handle: String) -> Result<(), AppError> {
    let me = not_while_acting()?;
    let store = app_state()?.store;
    Ok(own_credentials::sign_out_other(&store, &me, &handle, now_ms()).await?)
}

/// `Sign out everywhere else`.
#[server(endpoint = "sign_out_everywhere_else")]
#[cfg_attr(feature = "ssr", tracing::instrument(skip_all))]
pub async fn sign_out_everywhere_else() -> Result<u64, AppError> {
    let me = not_while_acting()?;
    let store = app_state()?.store;
    Ok(store
        .end_other_sign_ins(me.user.id, &me.token_digest, now_ms())
        .await?)
}

/// A member's `Delete account`: the current password and `DELETE` typed. Signs out.
#[server(endpoint = "delete_my_account")]
#[cfg_attr(feature = "ssr", tracing::instrument(skip_all))]
pub async fn delete_my_account(
    current_password: String,
    confirmation: String,
) -> Result<(), AppError> {
    let me = not_while_acting()?;
    let state = app_state()?;
    let address = client_address()?;
    own_credentials::delete_own_account(
        &state.store,
        &me,
        current_password,
        &confirmation,
        address,
        now_ms(),
    )
    .await?;
    set_session_cookie(None, &state.settings);
    leptos_axum::redirect("/sign-in?account=deleted");
    Ok(())
}

/// Whose password a `Set password` link sets, if the link still works.
#[server(endpoint = "password_link")]
#[cfg_attr(feature = "ssr", tracing::instrument(skip_all))]
pub async fn password_link(token: String) -> Result<String, AppError> {
    refuse_while_acting()?;
    let store = app_state()?.store;
    Ok(people::link_holder(&store, &token, now_ms()).await?.email)
}

/// `/set-password`: the new password twice; the link is used up, and the person signs in.
#[server(endpoint = "set_password")]
#[cfg_attr(feature = "ssr", tracing::instrument(skip_all))]
pub async fn set_password(
    token: String,
    new_password: String,
    repeat_password: String,
) -> Result<(), AppError> {
    refuse_while_acting()?;
    let store = app_state()?.store;
    people::set_password(&store, &token, &new_password, &repeat_password, now_ms()).await?;
    leptos_axum::redirect("/sign-in?password=set");
    Ok(())
}

/// A link opened by someone signed in is fine, unless they act as someone else.
#[cfg(feature = "ssr")]
fn refuse_while_acting() -> Result<(), AppError> {
    match crate::ssr::request_person() {
        Ok(person) => crate::ssr::in_own_account(person).map(|_| ()),
        Err(_) => Ok(()),
    }
}
