//! Pieces shared by several pages.

use crate::api::impersonation_control::ExitImpersonation;
use crate::error::AppError;
use crate::model::{
    ending_words, format_countdown, format_utc, ActingView, Me, OpenSession, Role, Section,
    NOT_WITHIN_ACCESS,
};
use crate::{use_session, Session};
use leptos::prelude::*;
use leptos::server_fn::error::ServerFnUrlError;
use leptos::server_fn::ServerFn;
use leptos_router::components::{Redirect, A};
use leptos_router::hooks::{use_location, use_query_map};

mod dialog;
pub use dialog::{AskFirst, CloseDialogButton, Dialog, DialogButtons};

/// Listens on the live channel (server-sent events) for `event`, calling `on_message` with its
/// data, for as long as the calling component lives. Does nothing on the server.
pub fn listen_live(event: &'static str, on_message: impl Fn(String) + 'static) {
    listen_live_all(vec![(event, Box::new(on_message))]);
}

/// One live stream for several events, each with its own handler: a sign-in may hold only a
/// few streams (`STREAMS_PER_SIGN_IN`), so a component that needs more than one event asks
/// for them together.
#[allow(clippy::type_complexity)]
pub fn listen_live_all(listeners: Vec<(&'static str, Box<dyn Fn(String) + 'static>)>) {
    #[cfg(feature = "hydrate")]
    let listeners: Vec<(&'static str, std::rc::Rc<dyn Fn(String)>)> = listeners
        .into_iter()
        .map(|(event, on_message)| (event, std::rc::Rc::from(on_message)))
        .collect();
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| {
        use send_wrapper::SendWrapper;
        use wasm_bindgen::{closure::Closure, JsCast};
        let Ok(source) = web_sys::EventSource::new("/api/live") else {
            return;
        };
        let mut callbacks = Vec::new();
        for (event, on_message) in &listeners {
            let event = *event;
            let (on_message, closing) = (on_message.clone(), source.clone());
            let callback = Closure::<dyn FnMut(web_sys::MessageEvent)>::new(
                move |message: web_sys::MessageEvent| {
                    // An ended session is said once: stop listening, so nothing reconnects.
                    if event == "ended" {
                        closing.close();
                    }
                    on_message(message.data().as_string().unwrap_or_default())
                },
            );
            let _ =
                source.add_event_listener_with_callback(event, callback.as_ref().unchecked_ref());
            callbacks.push(callback);
        }
        let held = SendWrapper::new((source, callbacks));
        on_cleanup(move || held.take().0.close());
    });
    #[cfg(not(feature = "hydrate"))]
    let _ = listeners;
}

/// The impersonation banner, on every page while an administrator acts as a member.
#[component]
pub fn ImpersonationBanner() -> impl IntoView {
    let session = use_session();
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                match session.me.await {
                    Ok(Some(Me { name, email, acting: Some(acting), .. })) => {
                        view! { <Banner name email acting/> }.into_any()
                    }
                    _ => ().into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn Banner(name: String, email: String, acting: ActingView) -> impl IntoView {
    let exit = ServerAction::<ExitImpersonation>::new();
    // Counted from the server's expiry and the server's clock at render, so a wrong client
    // clock changes nothing; then measured against a deadline on the browser's monotonic
    // clock at every tick, so a laptop that slept or a throttled background tab never shows
    // more time than remains (SPEC.md §8).
    let remaining = RwSignal::new(acting.expires_at - acting.server_now);
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| {
        let clock = || window().performance().map_or(0.0, |clock| clock.now());
        let deadline = clock() + remaining.get_untracked() as f64;
        let tick = gloo_timers::callback::Interval::new(1_000, move || {
            remaining.set((deadline - clock()).ceil() as i64)
        });
        let tick = send_wrapper::SendWrapper::new(tick);
        on_cleanup(move || drop(tick.take()));
    });
    // However it ends, the administrator is taken back to their own view, where a notice says
    // why: at zero (the server has ended it regardless), after `Exit impersonation`, or when
    // the server says it ended for any other reason (within 2 seconds).
    let ended = RwSignal::new(None::<String>);
    listen_live("ended", move |reason| ended.set(Some(reason)));
    // Once: a navigation started again at every tick would restart on a slow link.
    let leaving = StoredValue::new(false);
    Effect::new(move |_| {
        let reason = if matches!(exit.value().get(), Some(Ok(()))) {
            Some("exited".to_string())
        } else if remaining.get() <= 0 {
            Some("expired".to_string())
        } else {
            ended.get()
        };
        if let Some(reason) = reason.filter(|_| !leaving.get_value()) {
            leaving.set_value(true);
            leave_for_own_view(&reason);
        }
    });
    let title = format!("You are impersonating {name} ({email})");
    let scope = acting.scope.label();
    let sections = acting.sections.label();
    let last_minute = move || remaining.get() <= 60_000;
    view! {
        <div class="impersonation-banner" role="region" aria-label="Impersonation">
            <p>
                <strong>{title}</strong>
                <span class="scope">{scope}</span>
                <span class="sections">{sections}</span>
                <span role="timer" aria-label="Time left">{move || format_countdown(remaining.get())}</span>
                // Said once to screen readers: the words appear once and never change.
                <span class="last-minute" role="status">
                    {move || last_minute().then_some("Less than a minute left: the session ends soon.")}
                </span>
            </p>
            <ActionForm action=exit attr:class="inline">
                <SubmitButton label="Exit impersonation" class="banner-button" pending=exit.pending()/>
            </ActionForm>
        </div>
    }
}

/// Takes the administrator back to their own view (the user list), loaded afresh so nothing
/// of the member's stays on screen; the list's notice says why (`reason` as the server
/// writes end reasons). The member's page is hidden at once, before the new one arrives.
fn leave_for_own_view(reason: &str) {
    if let Some(body) = document().body() {
        let _ = body.class_list().add_1("leaving");
    }
    let _ = window().location().replace(&format!(
        "/admin/users?ended={}",
        encode_query_value(reason)
    ));
}

/// The administrator's notices in their own view: why a session of theirs ended (told by the
/// server, or by the page that left it), and a session of theirs still live in another
/// browser, with `Exit impersonation` to end it from here.
#[component]
pub fn AdministratorNotices() -> impl IntoView {
    let session = use_session();
    let query = use_query_map();
    let here = use_location();
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                let Ok(Some(me)) = session.me.await else {
                    return ().into_any();
                };
                if me.acting.is_some() {
                    return ().into_any();
                }
                // The page that left a session says why in the address of the user list.
                let on_own_view = me.role.is_staff() && here.pathname.get_untracked() == "/admin/users";
                let told = query
                    .with_untracked(|query| query.get("ended"))
                    .filter(|_| on_own_view);
                let ended = me.session_ended.or(told).and_then(|reason| ending_words(&reason));
                view! {
                    {ended.map(|words| view! { <SessionEndedNotice words/> })}
                    {me.open_elsewhere.map(|open| view! { <LeftBehind open/> })}
                }
                .into_any()
            })}
        </Suspense>
    }
}

#[component]
fn SessionEndedNotice(words: &'static str) -> impl IntoView {
    let shown = RwSignal::new(true);
    view! {
        <Show when=move || shown.get()>
            <div class="notice ended" role="status" aria-labelledby="ended-heading">
                <div>
                    <h2 id="ended-heading">"Impersonation session ended"</h2>
                    <p>{words} " You are back in your own account."</p>
                </div>
                <button type="button" class="secondary" on:click=move |_| shown.set(false)>"Dismiss"</button>
            </div>
        </Show>
    }
}

/// A session of the administrator's that another browser still carries (SPEC.md §3). Once
/// ended from here, the notice says so in its place, and focus goes to those words.
#[component]
fn LeftBehind(open: OpenSession) -> impl IntoView {
    let exit = ServerAction::<ExitImpersonation>::new();
    let ended = move || matches!(exit.value().get(), Some(Ok(())));
    let done = NodeRef::<leptos::html::P>::new();
    Effect::new(move |_| {
        if let Some(done) = done.get() {
            let _ = done.focus();
        }
    });
    let whom = format!("{} ({})", open.member_name, open.member_email);
    let facts = format!(
        "You are acting as {whom} since {}, until {}.",
        format_utc(open.started_at),
        format_utc(open.expires_at),
    );
    view! {
        <div class="notice left-behind" role="region" aria-labelledby="left-behind-heading">
            <Show
                when=move || !ended()
                fallback=move || view! {
                    <h2 id="left-behind-heading">"Impersonation session ended"</h2>
                    <p role="status" tabindex="-1" node_ref=done>
                        {format!("Your session as {whom} in the other browser has ended.")}
                    </p>
                }
            >
                <div>
                    <h2 id="left-behind-heading">"Your impersonation session is still open in another browser"</h2>
                    <p>{facts.clone()}</p>
                    <ErrorNote message=Signal::derive(action_error(exit))/>
                </div>
                <ActionForm action=exit attr:class="inline">
                    <input type="hidden" name="session_id" value=open.session_id.to_string()/>
                    <SubmitButton label="Exit impersonation" pending=exit.pending()/>
                </ActionForm>
            </Show>
        </div>
    }
}

/// For a member's open page: when support starts or stops acting on the account, the notice
/// and the history follow at once (`Session::support_told`). One stream for as long as the
/// page is the member's own; `me` is not refetched, so nothing else on the page re-renders.
#[component]
pub fn MemberLive() -> impl IntoView {
    let Session {
        me,
        support_told,
        inbox_told,
        end_session,
        ..
    } = use_session();
    // The member's own end is news too, whether or not the live channel said it first.
    Effect::new(move |_| {
        if matches!(end_session.value().get(), Some(Ok(()))) {
            support_told.set(Some(None));
        }
    });
    let own_member_page = RwSignal::new(false);
    Effect::new(move |_| {
        if let Some(Ok(loaded)) = me.get() {
            let own = loaded.is_some_and(|me| me.role == Role::Member && me.acting.is_none());
            if own != own_member_page.get_untracked() {
                own_member_page.set(own);
            }
        }
    });
    Effect::new(move |_| {
        if own_member_page.get() {
            let support = move |holder: String| {
                let holder = serde_json::from_str::<Option<String>>(&holder).unwrap_or_default();
                // Each stream starts by saying who acts now: only a change is news.
                if support_told.get_untracked().as_ref() != Some(&holder) {
                    // A new session: an earlier `End session` of this page is history.
                    if holder.is_some() {
                        end_session.value().set(None);
                    }
                    support_told.set(Some(holder));
                }
            };
            // The inbox's unread count, on the same stream.
            let inbox = move |unread: String| {
                if let Ok(unread) = unread.trim().parse() {
                    inbox_told.set(Some(unread));
                }
            };
            listen_live_all(vec![
                ("support", Box::new(support)),
                ("inbox", Box::new(inbox)),
            ]);
        }
    });
}

/// Who acts on the member's account now: what the live channel last said, or else what the
/// page was rendered with (`rendered`).
pub fn support_holder(rendered: Option<String>) -> impl Fn() -> Option<String> + Send + Sync {
    let told = use_session().support_told;
    move || told.get().unwrap_or_else(|| rendered.clone())
}

/// On the member's own pages while an administrator acts on their account.
#[component]
pub fn SupportNotice() -> impl IntoView {
    let session = use_session();
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                let rendered = match session.me.await {
                    Ok(Some(me)) => me.support_acting,
                    _ => None,
                };
                let holder = support_holder(rendered);
                let end = session.end_session;
                move || match holder() {
                    Some(actor) => view! { <SupportActing actor/> }.into_any(),
                    None if matches!(end.value().get(), Some(Ok(()))) => view! {
                        <div class="support-notice" role="status">
                            <p>"You ended the session: support can no longer act on your account."</p>
                        </div>
                    }
                    .into_any(),
                    None => ().into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn SupportActing(actor: String) -> impl IntoView {
    view! {
        <div class="support-notice" role="status">
            <p>
                <strong>"Support is acting on your account"</strong>
                {format!(": {actor} can see what you see.")}
            </p>
            <EndSessionButton/>
        </div>
    }
}

/// The member's `End session` (`Session::end_session`). Once it has ended, the notice says so
/// where it stood, and the history follows (`Session::support_told`, set by `MemberLive`).
#[component]
pub fn EndSessionButton() -> impl IntoView {
    let end = use_session().end_session;
    view! {
        <ActionForm action=end attr:class="inline">
            <SubmitButton label="End session" class="danger" pending=end.pending()/>
        </ActionForm>
        <ErrorNote message=Signal::derive(action_error(end))/>
    }
}

/// The bar on every page: the product, the signed-in person's links and `Sign out`. On a
/// phone the links fold behind `Menu` (once the page is interactive; without JavaScript they
/// wrap onto lines of their own).
#[component]
pub fn TopBar() -> impl IntoView {
    let session = use_session();
    let menu_open = RwSignal::new(false);
    // Following a link folds the menu away again.
    let location = use_location();
    Effect::new(move |_| {
        location.pathname.track();
        menu_open.set(false);
    });
    view! {
        <header class="topbar">
            <a class="brand" href="/">"Actas"</a>
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    match session.me.await {
                        Ok(Some(me)) => {
                            let staff = me.role.is_staff();
                            let owner = me.role == Role::Owner;
                            // An administrator acting as the member may not see their consent.
                            let own_settings = me.acting.is_none();
                            // While acting, only the sections granted are offered.
                            let granted = me.sections_granted();
                            let offers = move |section| granted.allows(section);
                            let unread = me.unread_notices.unwrap_or(0);
                            view! {
                                <button
                                    type="button"
                                    class="secondary menu-toggle"
                                    aria-expanded=move || menu_open.get().to_string()
                                    aria-controls="topbar-links"
                                    on:click=move |_| menu_open.update(|open| *open = !*open)
                                >
                                    "Menu"
                                </button>
                                <div id="topbar-links" class="topbar-links" class:open=move || menu_open.get()>
                                    <nav aria-label="Main">
                                        <A href="/account">"Account"</A>
                                        <Show
                                            when=move || staff
                                            fallback=move || {
                                                view! {
                                                    <Show when=move || offers(crate::model::Section::Profile)>
                                                        <A href="/profile">"Profile"</A>
                                                    </Show>
                                                    <Show when=move || offers(crate::model::Section::Projects)>
                                                        <A href="/projects">"Projects"</A>
                                                    </Show>
                                                    <Show when=move || offers(crate::model::Section::Payout)>
                                                        <A href="/payout">"Payout"</A>
                                                    </Show>
                                                    <Show when=move || own_settings>
                                                        <A href="/settings/impersonation">"Impersonation"</A>
                                                        <InboxLink unread/>
                                                    </Show>
                                                }
                                            }
                                        >
                                            <A href="/admin/users">"Users"</A>
                                            <A href="/admin/activity">"Activity"</A>
                                            <Show when=move || owner>
                                                <A href="/admin/impersonators">"Impersonators"</A>
                                            </Show>
                                        </Show>
                                    </nav>
                                    <Show when=move || own_settings>
                                        <A href="/settings/sign-in">"Sign-in settings"</A>
                                    </Show>
                                    <span class="who">
                                        {me.name.clone()}
                                        <span class="role">{role_label(me.role)}</span>
                                    </span>
                                    <SignOutButton/>
                                </div>
                            }
                                .into_any()
                        }
                        _ => ().into_any(),
                    }
                })}
            </Suspense>
        </header>
    }
}

/// `Inbox`, with the number of unread notices beside it; the live channel keeps it current.
#[component]
fn InboxLink(unread: u32) -> impl IntoView {
    let told = use_session().inbox_told;
    view! {
        <A href="/inbox">
            "Inbox"
            {move || {
                let unread = told.get().unwrap_or(unread);
                (unread > 0)
                    .then(|| {
                        view! {
                            " "
                            <span class="badge" aria-label=format!("{unread} unread")>{unread}</span>
                        }
                    })
            }}
        </A>
    }
}

#[component]
fn SignOutButton() -> impl IntoView {
    let sign_out = use_session().sign_out;
    view! {
        <ActionForm action=sign_out attr:class="inline">
            <SubmitButton label="Sign out" class="secondary" pending=sign_out.pending()/>
        </ActionForm>
    }
}

pub fn role_label(role: Role) -> &'static str {
    match role {
        Role::Owner => "Owner",
        Role::Admin => "Admin",
        Role::Member => "Member",
    }
}

/// What a page shows when a server function refused: the sign-in page for a visitor who is
/// not signed in, a clear "not allowed" page for a person without the right, the message
/// otherwise.
#[component]
pub fn Refusal(error: AppError) -> impl IntoView {
    #[cfg(feature = "ssr")]
    crate::ssr::set_page_status(error.status());
    match error {
        AppError::SignInRequired => {
            let here = use_location();
            let next = format!(
                "{}{}",
                here.pathname.get_untracked(),
                here.search.get_untracked()
            );
            view! { <Redirect path=format!("/sign-in?next={}", encode_query_value(&next))/> }
                .into_any()
        }
        AppError::Forbidden(message) => view! {
            <section class="card narrow" aria-labelledby="not-allowed">
                <h1 id="not-allowed">"Not allowed"</h1>
                <p>{message}</p>
                <p><a href="/">"Go to your start page"</a></p>
            </section>
        }
        .into_any(),
        other => view! { <p class="error" role="alert">{other.to_string()}</p> }.into_any(),
    }
}

/// The message of an action's last failure, from wherever it arrived: the action's value once
/// hydrated, or the URL the server redirected a plain form post (no JavaScript) back to. A
/// refusal of one field is left to that field's `field_error`.
pub fn action_error<S>(action: ServerAction<S>) -> impl Fn() -> Option<String> + Copy + Send + Sync
where
    S: ServerFn<Error = AppError> + Clone + Send + Sync + 'static,
    S::Output: Clone + Send + Sync + 'static,
{
    let failure = last_failure(action);
    move || match failure()? {
        AppError::InvalidField { .. } => None,
        other => Some(other.to_string()),
    }
}

/// The message of the action's last refusal of the form field `field`, for the note beside it.
pub fn field_error<S>(action: ServerAction<S>, field: &'static str) -> Signal<Option<String>>
where
    S: ServerFn<Error = AppError> + Clone + Send + Sync + 'static,
    S::Output: Clone + Send + Sync + 'static,
{
    let failure = last_failure(action);
    Signal::derive(move || match failure()? {
        AppError::InvalidField {
            field: refused,
            message,
        } if refused == field => Some(message),
        _ => None,
    })
}

/// The action's last failure, as `action_error` finds it.
fn last_failure<S>(action: ServerAction<S>) -> impl Fn() -> Option<AppError> + Copy + Send + Sync
where
    S: ServerFn<Error = AppError> + Clone + Send + Sync + 'static,
    S::Output: Clone + Send + Sync + 'static,
{
    let query = use_query_map();
    move || match action.value().get() {
        Some(result) => result.err(),
        None => query.with(|query| {
            let ours = query.get_str("__path") == Some(S::PATH);
            let encoded = query.get_str("__err").filter(|_| ours)?;
            Some(ServerFnUrlError::<AppError>::decode_err(encoded))
        }),
    }
}

/// A form field's refusal, said beside it: `aria-invalid` and `aria-describedby` for the
/// field (spread onto its input), and the note itself, with id `id`.
pub fn field_ties(
    message: Signal<Option<String>>,
    id: &'static str,
) -> (
    impl Fn() -> String + Copy,
    impl Fn() -> Option<&'static str> + Copy,
) {
    (
        move || message.get().is_some().to_string(),
        move || message.get().map(|_| id),
    )
}

/// A table with one header row, scrolling sideways on narrow screens; `children` are its
/// `<tbody>` sections.
#[component]
pub fn DataTable(headers: Vec<&'static str>, children: Children) -> impl IntoView {
    view! {
        <div class="table-scroll">
            <table>
                <thead>
                    <tr>
                        {headers.into_iter().map(|header| view! { <th scope="col">{header}</th> }).collect_view()}
                    </tr>
                </thead>
                {children()}
            </table>
        </div>
    }
}

/// A choice of the member's sections (SPEC.md §2): all of them, or fewer; none chosen means
/// all. Sent as the field `sections`, the names joined by commas (`""` for all).
#[component]
pub fn SectionsChoice(id: &'static str) -> impl IntoView {
    view! {
        <label for=id>"Sections"</label>
        <select id=id name="sections">
            {crate::model::Sections::ALL
                .subsets()
                .into_iter()
                .map(|choice| view! { <option value=choice.as_text()>{choice.label()}</option> })
                .collect_view()}
        </select>
    }
}

/// A server function's answer once it has arrived: `render` for a value (the previous one
/// stays on screen while it reloads), the refusal page for an error.
pub fn when_loaded<T, V>(
    resource: Resource<Result<T, AppError>>,
    render: impl Fn(T) -> V + Clone + Send + Sync + 'static,
) -> impl IntoView
where
    T: Clone + Send + Sync + serde::Serialize + serde::de::DeserializeOwned + 'static,
    V: IntoView + 'static,
{
    view! {
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || {
                let render = render.clone();
                Suspend::new(async move {
                    match resource.await {
                        Ok(value) => render(value).into_any(),
                        Err(error) => view! { <Refusal error/> }.into_any(),
                    }
                })
            }}
        </Transition>
    }
}

/// A form's submit button: shows that its action is under way and cannot be sent twice. It
/// stays focusable while pending (`aria-disabled`, not `disabled`): a disabled button drops
/// the keyboard's focus to the top of the page.
#[component]
pub fn SubmitButton(
    label: &'static str,
    #[prop(into)] pending: Signal<bool>,
    #[prop(optional)] class: &'static str,
    #[prop(optional, into)] aria_label: Option<String>,
    /// While set, the action cannot work here at all: the button is disabled and described by
    /// the element with this id, which says why on screen (see `ViewOnlyNote`).
    #[prop(optional, into)]
    disabled_by: MaybeProp<String>,
) -> impl IntoView {
    view! {
        <button
            type="submit"
            class=class
            disabled=move || disabled_by.get().is_some()
            aria-disabled=move || pending.get().to_string()
            aria-busy=move || pending.get().to_string()
            aria-label=aria_label
            aria-describedby=move || disabled_by.get()
            on:click=move |event| {
                // A click, or Enter in a field (which clicks the form's button), while the
                // action is under way sends nothing.
                if pending.get_untracked() {
                    event.prevent_default();
                }
            }
        >
            {label}
        </button>
    }
}

/// Renders `children` once the signed-in person is known, inside a `Suspense`: what they read
/// of it (`view_only`, `acting_now`) is then the same on the server and once hydrated.
#[component]
pub fn OnceSignedIn(children: ChildrenFn) -> impl IntoView {
    let me = use_session().me;
    let children = StoredValue::new(children);
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                let _ = me.await;
                children.with_value(|children| children())
            })}
        </Suspense>
    }
}

/// The path the browser loaded this document as (set as hydration starts): the page the
/// server rendered, and recorded.
#[cfg(feature = "hydrate")]
static DOCUMENT_PATH: std::sync::OnceLock<String> = std::sync::OnceLock::new();

/// Whether the browser has moved from page to page since the document loaded (then even
/// the document's own path, reached again, was not asked of the server).
#[cfg(feature = "hydrate")]
static NAVIGATED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Notes the path the document was loaded as: call as hydration starts, before any
/// navigation in the browser.
pub fn note_document_path() {
    #[cfg(feature = "hydrate")]
    let _ = DOCUMENT_PATH.set(window().location().pathname().unwrap_or_default());
}

/// Notes each move from page to page in the browser (`NAVIGATED`). Inside the router.
#[component]
pub fn NavigationWatch() -> impl IntoView {
    let location = use_location();
    Effect::new(move |seen: Option<()>| {
        location.pathname.track();
        #[cfg(feature = "hydrate")]
        if seen.is_some() {
            NAVIGATED.store(true, std::sync::atomic::Ordering::Relaxed);
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = seen;
    });
}

/// Whether a page at `path` now is one the server was not asked for: reached by moving
/// between pages in the browser.
#[cfg(feature = "hydrate")]
fn reached_in_browser(path: &str) -> bool {
    NAVIGATED.load(std::sync::atomic::Ordering::Relaxed)
        || DOCUMENT_PATH.get().is_some_and(|loaded| loaded != path)
}

/// A page of one of the member's sections. While an administrator acts under a grant without
/// that section, the page's place says `Not within the access granted` (403) instead, inside
/// the frame, so the banner and `Exit impersonation` stay (SPEC.md §2). The server refuses
/// the page's data and changes regardless (`refuse_outside_sections`, `effective_member_in`).
#[component]
pub fn InSection(section: Section, children: ChildrenFn) -> impl IntoView {
    let me = use_session().me;
    #[cfg(feature = "hydrate")]
    let here = use_location();
    let children = StoredValue::new(children);
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                // The same `me` on the server and once hydrated, so both render the same. Any
                // other outcome (no one signed in, an error) is the page's own to show.
                let granted = match me.await {
                    Ok(Some(me)) => me.sections_granted().allows(section),
                    _ => true,
                };
                if granted {
                    return children.with_value(|children| children()).into_any();
                }
                // Reached in the browser (a link, back, forward), the page was never asked of
                // the server, so nothing recorded this refusal: the page is asked for, and the
                // server answers (and records) it. The page the document was loaded as, before
                // any move, was asked for already: asking again would never end.
                #[cfg(feature = "hydrate")]
                {
                    let path = here.pathname.get_untracked();
                    if reached_in_browser(&path) {
                        let _ = window().location().assign(&path);
                    }
                }
                let error = AppError::Forbidden(NOT_WITHIN_ACCESS.into());
                view! { <Refusal error/> }.into_any()
            })}
        </Suspense>
    }
}

/// While an administrator acts in a `View only` session: the id of the note that says
/// changes are off (`ViewOnlyNote`), for the controls it turns off; `None` otherwise. Read it
/// under `OnceSignedIn` or a page's `when_loaded`.
pub fn view_only() -> Signal<Option<String>> {
    let me = use_session().me;
    Signal::derive(move || {
        let acting = me.get().and_then(Result::ok).flatten()?.acting?;
        (acting.scope == crate::model::Scope::ViewOnly).then(|| VIEW_ONLY_NOTE.to_string())
    })
}

const VIEW_ONLY_NOTE: &str = "view-only-note";

/// True while an administrator acts as the member: controls they may never use are not
/// rendered (the server refuses them regardless). Read it under `OnceSignedIn`.
pub fn acting_now() -> Signal<bool> {
    let me = use_session().me;
    Signal::derive(move || {
        me.get()
            .and_then(Result::ok)
            .flatten()
            .is_some_and(|me| me.acting.is_some())
    })
}

/// Says, on pages with changes, that a `View only` session turns them off.
#[component]
pub fn ViewOnlyNote() -> impl IntoView {
    let off = view_only();
    move || {
        off.get().map(|id| {
            view! {
                <p class="reason view-only" id=id>
                    "View only session: you can look, but changes are turned off."
                </p>
            }
        })
    }
}

/// A failure, said next to the control that caused it. With `id`, the field it concerns
/// names it in `aria-describedby`.
#[component]
pub fn ErrorNote(
    #[prop(into)] message: Signal<Option<String>>,
    #[prop(optional)] id: Option<&'static str>,
) -> impl IntoView {
    move || {
        message
            .get()
            .map(|message| view! { <p class="error" role="alert" id=id>{message}</p> })
    }
}

/// A success, said where the person is looking.
#[component]
pub fn StatusNote(#[prop(into)] message: Signal<Option<String>>) -> impl IntoView {
    view! { <p class="success-slot" role="status">{move || message.get().map(|message| view! { <span class="success">{message}</span> })}</p> }
}

/// Percent-encodes a value for a URL query: everything but RFC 3986's unreserved characters.
pub fn encode_query_value(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~' | b'/') {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// One audit event in a line: the request for an `action` (`POST /api/rename_project → 200`),
/// the kind for anything else (`impersonation started`).
pub fn describe_event(event: &crate::model::AuditEntry) -> String {
    match (&event.method, &event.path, event.status) {
        (Some(method), Some(path), Some(status)) => format!("{method} {path} → {status}"),
        _ => event.kind.replace('_', " "),
    }
}

/// An event's detail in words: `from: "Orchard", to: "Mia's orchard"`. What a request
/// carried reads apart from what the server recorded (`sent name = "Orchard"; refused: "View
/// only session"`), and every text is quoted, so nothing anybody typed can read as more of
/// the line than their own value.
pub fn describe_detail(detail: &str) -> String {
    use serde_json::Value;
    fn flatten(prefix: &str, value: &Value, out: &mut Vec<String>, equals: &str) {
        match value {
            Value::Object(fields) => {
                for (key, value) in fields {
                    let key = if crate::model::is_field_name(key) {
                        key.to_string()
                    } else {
                        Value::from(key.as_str()).to_string()
                    };
                    let key = match prefix {
                        "" => key,
                        prefix => format!("{prefix}.{key}"),
                    };
                    flatten(&key, value, out, equals);
                }
            }
            // Instants are stored as milliseconds; people read them as times.
            Value::Number(at) if prefix.ends_with("_at") && at.is_i64() => out.push(format!(
                "{prefix}{equals}{}",
                crate::model::format_utc(at.as_i64().unwrap_or_default())
            )),
            // Strings quoted and escaped as JSON writes them; numbers and lists as they are.
            other => out.push(format!("{prefix}{equals}{other}")),
        }
    }
    let Ok(Value::Object(mut fields)) = serde_json::from_str::<Value>(detail) else {
        return detail.to_string();
    };
    let mut parts = Vec::new();
    if let Some(arguments) = fields.remove("arguments") {
        let mut sent = Vec::new();
        flatten("", &arguments, &mut sent, " = ");
        if !sent.is_empty() {
            parts.push(format!("sent {}", sent.join(", ")));
        }
    }
    let mut recorded = Vec::new();
    flatten("", &Value::Object(fields), &mut recorded, ": ");
    if !recorded.is_empty() {
        parts.push(recorded.join(", "));
    }
    parts.join("; ")
}

#[cfg(test)]
mod tests {
    use super::{describe_detail, encode_query_value};

    #[test]
    fn query_values_are_percent_encoded() {
        assert_eq!(
            encode_query_value("/admin/users?q=a b&page=2"),
            "/admin/users%3Fq%3Da%20b%26page%3D2"
        );
    }

    #[test]
    fn details_read_as_fields() {
        assert_eq!(describe_detail(r#"{"arguments":{}}"#), "");
        assert_eq!(
            describe_detail(
                r#"{"arguments":{"name":"Orchard","project_id":"3"},"refused":"View only session"}"#
            ),
            r#"sent name = "Orchard", project_id = "3"; refused: "View only session""#
        );
        assert_eq!(describe_detail(r#"{"a":{"b":[1,2]}}"#), "a.b: [1,2]");
        assert_eq!(
            describe_detail(r#"{"expires_at":1795257059999}"#),
            "expires_at: 2026-11-21 10:30 UTC"
        );
        assert_eq!(describe_detail("not json"), "not json");
    }

    #[test]
    fn nothing_typed_reads_as_more_than_its_own_value() {
        // A project renamed to imitate a refusal stays one quoted value.
        assert_eq!(
            describe_detail(r#"{"arguments":{"name":"Orchard\"; refused: \"View only session"}}"#),
            r#"sent name = "Orchard\"; refused: \"View only session""#
        );
        assert_eq!(
            describe_detail(r#"{"arguments":{"refused":"nothing"}}"#),
            r#"sent refused = "nothing""#,
            "a field sent never reads as one the server recorded"
        );
        assert_eq!(
            describe_detail(r#"{"arguments":{"a; refused: x":"y"}}"#),
            r#"sent "a; refused: x" = "y""#,
            "an odd key from an older record is quoted too"
        );
    }
}
