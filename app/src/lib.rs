//! Actas: pages, components and server functions; the rules and the store behind the `ssr`
//! feature. Pages are rendered on the server, whole; their islands (`#[island]`) are rendered
//! there too and hydrate in the browser from the same code (the `hydrate` feature, built by
//! the `frontend` crate).

// The browser build lays out the pages' views too (their hydration code, unused but compiled):
// the deepest row types need more than the default query depth.
#![recursion_limit = "256"]

pub mod api;
pub mod components;
pub mod error;
pub mod live;
pub mod model;
pub mod pages;
#[cfg(feature = "ssr")]
pub mod ssr;

use api::{SignIn, SignOut};
use leptos::prelude::*;
use leptos_meta::{provide_meta_context, HashedStylesheet, MetaTags, Title};
use leptos_router::components::{Route, Router, Routes};
use leptos_router::{path, SsrMode};
use model::Me;

/// The HTML document around the app, rendered on the server only.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <link rel="icon" href="/favicon.svg" type="image/svg+xml"/>
                <AutoReload options=options.clone()/>
                // Rendered here, where the options are: it names the content-hashed file.
                <HashedStylesheet options=options.clone() id="leptos"/>
                <HydrationScripts options islands=true/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

/// The two forms that change who is signed in.
#[derive(Clone, Copy)]
pub struct Session {
    pub sign_in: ServerAction<SignIn>,
    pub sign_out: ServerAction<SignOut>,
}

pub fn use_session() -> Session {
    expect_context::<Session>()
}

/// Who a page is for, resolved by the server before the page renders (`ssr::page_viewer`):
/// `None` for a visitor. Read it with `components::viewer`.
#[derive(Clone, Debug)]
pub struct Viewer(pub Option<Me>);

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    provide_context(Session {
        sign_in: ServerAction::new(),
        sign_out: ServerAction::new(),
    });
    #[cfg(feature = "ssr")]
    provide_context(ssr::page_viewer::of_request());
    use components::InSection;
    use model::Section;
    use pages::*;

    view! {
        <Title text="Actas"/>
        <Router>
            <components::ImpersonationBanner/>
            <components::TopBar/>
            <components::SupportNotice/>
            <components::AdministratorNotices/>
            <main id="main">
                <Routes fallback=NotFound>
                    <Route path=path!("") view=Home ssr=SsrMode::Async/>
                    <Route path=path!("/sign-in") view=sign_in::SignInPage ssr=SsrMode::Async/>
                    <Route path=path!("/account") view=account::AccountPage ssr=SsrMode::Async/>
                    <Route path=path!("/inbox") view=inbox::InboxPage ssr=SsrMode::Async/>
                    <Route
                        path=path!("/profile")
                        view=|| view! { <InSection section=Section::Profile><profile::ProfilePage/></InSection> }
                        ssr=SsrMode::Async
                    />
                    <Route
                        path=path!("/projects")
                        view=|| view! { <InSection section=Section::Projects><projects::ProjectsPage/></InSection> }
                        ssr=SsrMode::Async
                    />
                    <Route
                        path=path!("/payout")
                        view=|| view! { <InSection section=Section::Payout><payout::PayoutPage/></InSection> }
                        ssr=SsrMode::Async
                    />
                    <Route
                        path=path!("/settings/impersonation")
                        view=impersonation_settings::ImpersonationSettingsPage
                        ssr=SsrMode::Async
                    />
                    <Route path=path!("/set-password") view=set_password::SetPasswordPage ssr=SsrMode::Async/>
                    <Route path=path!("/settings/sign-in") view=sign_in_settings::SignInSettingsPage ssr=SsrMode::Async/>
                    <Route path=path!("/admin/users") view=admin_users::AdminUsersPage ssr=SsrMode::Async/>
                    <Route path=path!("/admin/activity") view=admin_activity::AdminActivityPage ssr=SsrMode::Async/>
                    <Route
                        path=path!("/admin/impersonators")
                        view=admin_impersonators::AdminImpersonatorsPage
                        ssr=SsrMode::Async
                    />
                </Routes>
            </main>
        </Router>
    }
}
