//! Signing in and out, and who the pages are for (SPEC.md §6).

use crate::error::AppError;
use crate::model::Me;
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use crate::ssr::{
    app_state, authentication, client_address, now_ms, request_person, request_user_agent,
    set_session_cookie,
};

/// Signs in with email and password; on success the browser is sent to `next` or the
/// person's landing page.
#[server(endpoint = "sign_in")]
#[cfg_attr(feature = "ssr", tracing::instrument(skip_all))]
pub async fn sign_in(
    email: String,
    password: String,
    next: Option<String>,
) -> Result<(), AppError> {
    let credentials = authentication::Credentials::parse(&email, password)?;
    let state = app_state()?;
    let replaces = request_person().ok().map(|current| current.token_digest);
    let action = crate::ssr::acting_request();
    let attempt = authentication::Attempt {
        address: client_address()?,
        replaces: replaces.as_deref(),
        action: action.as_deref(),
        user_agent: &request_user_agent()?,
    };
    let new = authentication::sign_in(&state.store, credentials, attempt, now_ms()).await?;
    set_session_cookie(Some(&new.token), &state.settings);
    leptos_axum::redirect(&authentication::landing_path(&new.user, next.as_deref()));
    Ok(())
}

/// Signs out and sends the browser to the sign-in page.
#[server(endpoint = "sign_out")]
#[cfg_attr(feature = "ssr", tracing::instrument(skip_all))]
pub async fn sign_out() -> Result<(), AppError> {
    let state = app_state()?;
    if let Ok(current) = request_person() {
        let action = crate::ssr::acting_request();
        authentication::sign_out(&state.store, &current, action.as_deref(), now_ms()).await?;
    }
    set_session_cookie(None, &state.settings);
    leptos_axum::redirect("/sign-in");
    Ok(())
}

/// Who the pages are for: the signed-in person, or the member an administrator acts as.
#[server(endpoint = "whoami")]
#[cfg_attr(feature = "ssr", tracing::instrument(skip_all))]
pub async fn whoami() -> Result<Option<Me>, AppError> {
    let Ok(person) = request_person() else {
        return Ok(None);
    };
    let store = &app_state()?.store;
    Ok(Some(
        crate::ssr::page_viewer::resolve(store, &person, now_ms()).await?,
    ))
}
