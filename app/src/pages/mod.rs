//! One module per screen.

pub mod account;
pub mod admin_activity;
pub mod admin_impersonators;
pub mod admin_users;
pub mod impersonation_settings;
pub mod inbox;
pub mod payout;
pub mod people_controls;
pub mod profile;
pub mod projects;
pub mod set_password;
pub mod sign_in;
pub mod sign_in_settings;

use crate::components::{viewer, Refusal};
use crate::error::AppError;
use crate::model::Me;
use leptos::prelude::*;
use leptos_router::components::Redirect;

/// `/`: sends each person to their own start page.
#[component]
pub fn Home() -> impl IntoView {
    let start = viewer().map_or("/sign-in", |me| me.role.start_page());
    view! { <Redirect path=start/> }
}

#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    crate::ssr::set_page_status(http::StatusCode::NOT_FOUND);
    view! {
        <section class="card narrow">
            <h1>"Page not found"</h1>
            <p><a href="/">"Go to your start page"</a></p>
        </section>
    }
}

/// Renders a page for the signed-in person, or sends a visitor to sign in.
pub fn signed_in_only<V: IntoView + 'static>(page: impl FnOnce(Me) -> V) -> impl IntoView {
    match viewer() {
        Some(me) => page(me).into_any(),
        None => view! { <Refusal error=AppError::SignInRequired/> }.into_any(),
    }
}
