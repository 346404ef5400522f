//! Pieces shared by several pages.

use crate::api::impersonation_control::{EndSession, ExitImpersonation};
use crate::error::AppError;
use crate::model::{format_countdown, ActingView, Me, Role};
use crate::use_session;
use leptos::prelude::*;
use leptos::server_fn::error::ServerFnUrlError;
use leptos::server_fn::ServerFn;
use leptos_router::components::{Redirect, A};
use leptos_router::hooks::{use_location, use_query_map};

/// Listens on the live channel (server-sent events) for `event`, calling `on_message` with its
/// data, for as long as the calling component lives. Does nothing on the server.
pub fn listen_live(event: &'static str, on_message: impl Fn(String) + 'static) {
    #[cfg(feature = "hydrate")]
    let on_message = std::rc::Rc::new(on_message);
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| {
        use send_wrapper::SendWrapper;
        use wasm_bindgen::{closure::Closure, JsCast};
        let Ok(source) = web_sys::EventSource::new("/api/live") else {
            return;
        };
        let callback = Closure::<dyn FnMut(web_sys::MessageEvent)>::new({
            let (on_message, source) = (on_message.clone(), source.clone());
            move |message: web_sys::MessageEvent| {
                // An ended session is said once: stop listening, so nothing reconnects.
                if event == "ended" {
                    source.close();
                }
                on_message(message.data().as_string().unwrap_or_default())
            }
        });
        let _ = source.add_event_listener_with_callback(event, callback.as_ref().unchecked_ref());
        let held = SendWrapper::new((source, callback));
        on_cleanup(move || held.take().0.close());
    });
    #[cfg(not(feature = "hydrate"))]
    let _ = (event, on_message);
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
    // At zero the page leaves the session by itself (the server has ended it regardless);
    // after an exit, the administrator's own view is loaded afresh.
    Effect::new(move |_| {
        let exited = matches!(exit.value().get(), Some(Ok(())));
        if exited || remaining.get() <= 0 {
            let _ = window().location().set_href("/admin/users");
        }
    });
    // The server says at once (within 2 seconds) when the session ends for any other reason.
    let ended = RwSignal::new(None::<String>);
    listen_live("ended", move |reason| ended.set(Some(reason)));
    let title = format!("You are impersonating {name} ({email})");
    let scope = acting.scope.label();
    view! {
        <Show
            when=move || ended.get().is_none()
            fallback=move || {
                let reason = ended.get().unwrap_or_default();
                view! {
                    <div class="impersonation-ended" role="alert">
                        <p>
                            {format!(
                                "Your impersonation session has ended ({reason}). You are back in your own account.",
                            )}
                        </p>
                        <a href="/admin/users">"Back to your account"</a>
                    </div>
                }
            }
        >
            <div class="impersonation-banner" role="region" aria-label="Impersonation">
                <p>
                    <strong>{title.clone()}</strong>
                    <span class="scope">{scope}</span>
                    <span role="timer" aria-label="Time left">{move || format_countdown(remaining.get())}</span>
                </p>
                <ActionForm action=exit attr:class="inline">
                    <SubmitButton label="Exit impersonation" class="banner-button" pending=exit.pending()/>
                </ActionForm>
            </div>
        </Show>
    }
}

/// For a member's open page: when support starts or stops acting on the account, the notice
/// follows at once.
#[component]
fn MemberLive() -> impl IntoView {
    let me = use_session().me;
    listen_live("support", move |_| me.refetch());
}

/// On the member's own pages while an administrator acts on their account.
#[component]
pub fn SupportNotice() -> impl IntoView {
    let session = use_session();
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                match session.me.await {
                    Ok(Some(Me { support_acting: Some(actor), .. })) => view! { <SupportActing actor/> }.into_any(),
                    _ => ().into_any(),
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

/// The member's `End session`: ends the session on their account, then reloads the page,
/// since every part of it (notice, history, consent) changes.
#[component]
pub fn EndSessionButton() -> impl IntoView {
    let end = ServerAction::<EndSession>::new();
    Effect::new(move |_| {
        if matches!(end.value().get(), Some(Ok(()))) {
            let _ = window().location().reload();
        }
    });
    view! {
        <ActionForm action=end attr:class="inline">
            <SubmitButton label="End session" class="danger" pending=end.pending()/>
        </ActionForm>
        <ErrorNote message=Signal::derive(action_error(end))/>
    }
}

/// The bar on every page: the product, the signed-in person's links and `Sign out`.
#[component]
pub fn TopBar() -> impl IntoView {
    let session = use_session();
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
                            view! {
                                <nav aria-label="Main">
                                    <A href="/account">"Account"</A>
                                    <Show
                                        when=move || staff
                                        fallback=move || {
                                            view! {
                                                <A href="/profile">"Profile"</A>
                                                <A href="/projects">"Projects"</A>
                                                <A href="/payout">"Payout"</A>
                                                <Show when=move || own_settings>
                                                    <A href="/settings/impersonation">"Impersonation"</A>
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
                                <Show when=move || !staff && own_settings>
                                    <MemberLive/>
                                </Show>
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
/// hydrated, or the URL the server redirected a plain form post (no JavaScript) back to.
pub fn action_error<S>(action: ServerAction<S>) -> impl Fn() -> Option<String> + Copy + Send + Sync
where
    S: ServerFn<Error = AppError> + Clone + Send + Sync + 'static,
    S::Output: Clone + Send + Sync + 'static,
{
    let query = use_query_map();
    move || match action.value().get() {
        Some(result) => result.err().map(|error| error.to_string()),
        None => query.with(|query| {
            let ours = query.get_str("__path") == Some(S::PATH);
            let encoded = query.get_str("__err").filter(|_| ours)?;
            Some(ServerFnUrlError::<AppError>::decode_err(encoded).to_string())
        }),
    }
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

/// A form's submit button: shows that its action is under way and cannot be sent twice.
#[component]
pub fn SubmitButton(
    label: &'static str,
    #[prop(into)] pending: Signal<bool>,
    #[prop(optional)] class: &'static str,
    #[prop(optional, into)] aria_label: Option<String>,
) -> impl IntoView {
    view! {
        <button
            type="submit"
            class=class
            disabled=pending
            aria-busy=move || pending.get().to_string()
            aria-label=aria_label
        >
            {label}
        </button>
    }
}

/// A failure, said next to the control that caused it.
#[component]
pub fn ErrorNote(#[prop(into)] message: Signal<Option<String>>) -> impl IntoView {
    move || {
        message
            .get()
            .map(|message| view! { <p class="error" role="alert">{message}</p> })
    }
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
