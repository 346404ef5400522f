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
    let me = match &person.acting {
        Some(acting) => Me {
            id: acting.member.id,
            name: acting.member.name.clone(),
            email: acting.member.email.clone(),
            role: acting.member.role,
            acting: Some(crate::model::ActingView {
                actor_name: person.user.name.clone(),
                scope: acting.scope,
                sections: acting.sections,
                expires_at: acting.expires_at,
                server_now: now_ms(),
            }),
            support_acting: None,
            session_ended: None,
            open_elsewhere: None,
            // The member's inbox is theirs alone.
            unread_notices: None,
        },
        None if person.user.role == crate::model::Role::Member => Me {
            support_acting: app_state()?
                .store
                .live_session_holder(person.user.id, now_ms())
                .await?
                .map(|holder| holder.name),
            unread_notices: Some(
                crate::ssr::access::unread_notices(&app_state()?.store, person.user.id, now_ms())
                    .await?,
            ),
            ..person.me()
        },
        None => Me {
            open_elsewhere: app_state()?
                .store
                .live_session_of_actor(person.user.id, now_ms())
                .await?,
            ..person.me()
        },
    };
    Ok(Some(me))
}
