//! Actas: everything shared by the server and the browser. Pages, components and server
//! functions here; the rules and the store behind the `ssr` feature.

pub mod api;
pub mod components;
pub mod error;
pub mod model;
pub mod pages;
#[cfg(feature = "ssr")]
pub mod ssr;

use api::impersonation_control::EndSession;
use api::{SignIn, SignOut};
use error::AppError;
use leptos::prelude::*;
use leptos_meta::{provide_meta_context, HashedStylesheet, MetaTags, Title};
use leptos_router::components::{Route, Router, Routes};
use leptos_router::{path, Lazy, SsrMode};
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
                <HydrationScripts options/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

/// Who is signed in, and the two actions that change it. Everything that depends on the
/// signed-in person refetches when either action completes.
#[derive(Clone, Copy)]
pub struct Session {
    pub me: Resource<Result<Option<Me>, AppError>>,
    pub sign_in: ServerAction<SignIn>,
    pub sign_out: ServerAction<SignOut>,
    /// For a member's open page: who acts on their account, as the live channel last said
    /// (`None` until it says anything; then `me.support_acting` is out of date).
    pub support_told: RwSignal<Option<Option<String>>>,
    /// For a member's open page: how many inbox notices are unread, as the live channel last
    /// said (`None` until it says anything; then `me.unread_notices` is out of date).
    pub inbox_told: RwSignal<Option<u32>>,
    /// The member's `End session`. It lives here, not in the button: the live channel may
    /// say the session ended (and the button go) before the action's own answer arrives.
    pub end_session: ServerAction<EndSession>,
}

pub fn use_session() -> Session {
    expect_context::<Session>()
}

#[component]
pub fn App() -> impl IntoView {
    components::note_document_path();
    provide_meta_context();
    let sign_in = ServerAction::<SignIn>::new();
    let sign_out = ServerAction::<SignOut>::new();
    let me = Resource::new(
        move || (sign_in.version().get(), sign_out.version().get()),
        |_| api::whoami(),
    );
    provide_context(Session {
        me,
        sign_in,
        sign_out,
        support_told: RwSignal::new(None),
        inbox_told: RwSignal::new(None),
        end_session: ServerAction::new(),
    });

    view! {
        <Title text="Actas"/>
        <Router>
            <components::NavigationWatch/>
            <components::ImpersonationBanner/>
            <components::TopBar/>
            <components::SupportNotice/>
            <components::AdministratorNotices/>
            <components::MemberLive/>
            <main id="main">
                <Routes fallback=pages::NotFound>
                    <Route path=path!("") view=pages::Home ssr=SsrMode::Async/>
                    <Route path=path!("/sign-in") view=pages::sign_in::SignInPage ssr=SsrMode::Async/>
                    <Route path=path!("/account") view={Lazy::<pages::lazy::Account>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/inbox") view={Lazy::<pages::lazy::Inbox>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/profile") view={Lazy::<pages::lazy::Profile>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/projects") view={Lazy::<pages::lazy::Projects>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/payout") view={Lazy::<pages::lazy::Payout>::new()} ssr=SsrMode::Async/>
                    <Route
                        path=path!("/settings/impersonation")
                        view={Lazy::<pages::lazy::ImpersonationSettings>::new()}
                        ssr=SsrMode::Async
                    />
                    <Route path=path!("/set-password") view={Lazy::<pages::lazy::SetPassword>::new()} ssr=SsrMode::Async/>
                    <Route
                        path=path!("/settings/sign-in")
                        view={Lazy::<pages::lazy::SignInSettings>::new()}
                        ssr=SsrMode::Async
                    />
                    <Route path=path!("/admin/users") view={Lazy::<pages::lazy::AdminUsers>::new()} ssr=SsrMode::Async/>
                    <Route
                        path=path!("/admin/activity")
                        view={Lazy::<pages::lazy::AdminActivity>::new()}
                        ssr=SsrMode::Async
                    />
                    <Route
                        path=path!("/admin/impersonators")
                        view={Lazy::<pages::lazy::AdminImpersonators>::new()}
                        ssr=SsrMode::Async
                    />
                </Routes>
            </main>
        </Router>
    }
}
