//! The pages whose code the browser loads only when someone opens them (lazy routes).
//!
//! Built with `cargo leptos build --split`, each `view` below, and everything only it reaches,
//! goes into a wasm file of its own; the first wasm holds the sign-in page, the frame every
//! page shares (banner, top bar, notices) and the router. A page rendered on the server names
//! its files in `<link rel="preload">` tags, so they download alongside the first wasm, and
//! `hydrate_lazy` waits for them before hydrating. Moving between pages in the browser loads
//! a page's file the first time it is opened. Every build must split (`cargo leptos build
//! --split`, as scripts/build-release.sh does): without it the browser is asked for a loader
//! that was never written, and no page hydrates.
//!
//! The administrators' and the owner's pages are here so that a member and a visitor never
//! download them; the member's pages are here so that the sign-in page, everyone's first, does
//! not download those either.

use super::*;
use crate::components::InSection;
use crate::model::Section;
use leptos_router::{lazy_route, LazyRoute};

/// `/admin/users` (administrators).
pub struct AdminUsers;

#[lazy_route]
impl LazyRoute for AdminUsers {
    fn data() -> Self {
        Self
    }

    fn view(_this: Self) -> AnyView {
        view! { <admin_users::AdminUsersPage/> }.into_any()
    }
}

/// `/admin/activity` (administrators).
pub struct AdminActivity;

#[lazy_route]
impl LazyRoute for AdminActivity {
    fn data() -> Self {
        Self
    }

    fn view(_this: Self) -> AnyView {
        view! { <admin_activity::AdminActivityPage/> }.into_any()
    }
}

/// `/admin/impersonators` (the owner).
pub struct AdminImpersonators;

#[lazy_route]
impl LazyRoute for AdminImpersonators {
    fn data() -> Self {
        Self
    }

    fn view(_this: Self) -> AnyView {
        view! { <admin_impersonators::AdminImpersonatorsPage/> }.into_any()
    }
}

/// `/account` (a member's start page).
pub struct Account;

#[lazy_route]
impl LazyRoute for Account {
    fn data() -> Self {
        Self
    }

    fn view(_this: Self) -> AnyView {
        view! { <account::AccountPage/> }.into_any()
    }
}

/// `/inbox` (members).
pub struct Inbox;

#[lazy_route]
impl LazyRoute for Inbox {
    fn data() -> Self {
        Self
    }

    fn view(_this: Self) -> AnyView {
        view! { <inbox::InboxPage/> }.into_any()
    }
}

/// `/profile` (members).
pub struct Profile;

#[lazy_route]
impl LazyRoute for Profile {
    fn data() -> Self {
        Self
    }

    fn view(_this: Self) -> AnyView {
        view! {
            <InSection section=Section::Profile>
                <profile::ProfilePage/>
            </InSection>
        }
        .into_any()
    }
}

/// `/projects` (members).
pub struct Projects;

#[lazy_route]
impl LazyRoute for Projects {
    fn data() -> Self {
        Self
    }

    fn view(_this: Self) -> AnyView {
        view! {
            <InSection section=Section::Projects>
                <projects::ProjectsPage/>
            </InSection>
        }
        .into_any()
    }
}

/// `/payout` (members).
pub struct Payout;

#[lazy_route]
impl LazyRoute for Payout {
    fn data() -> Self {
        Self
    }

    fn view(_this: Self) -> AnyView {
        view! {
            <InSection section=Section::Payout>
                <payout::PayoutPage/>
            </InSection>
        }
        .into_any()
    }
}

/// `/settings/impersonation` (members).
pub struct ImpersonationSettings;

#[lazy_route]
impl LazyRoute for ImpersonationSettings {
    fn data() -> Self {
        Self
    }

    fn view(_this: Self) -> AnyView {
        view! { <impersonation_settings::ImpersonationSettingsPage/> }.into_any()
    }
}

/// `/settings/sign-in` (everyone signed in).
pub struct SignInSettings;

#[lazy_route]
impl LazyRoute for SignInSettings {
    fn data() -> Self {
        Self
    }

    fn view(_this: Self) -> AnyView {
        view! { <sign_in_settings::SignInSettingsPage/> }.into_any()
    }
}

/// `/set-password` (a new account's link).
pub struct SetPassword;

#[lazy_route]
impl LazyRoute for SetPassword {
    fn data() -> Self {
        Self
    }

    fn view(_this: Self) -> AnyView {
        view! { <set_password::SetPasswordPage/> }.into_any()
    }
}
