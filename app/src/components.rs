//! Pieces shared by several pages.

use crate::api::impersonation_control::{EndSession, ExitImpersonation};
use crate::error::AppError;
use crate::model::{ending_words, format_utc, Me, OpenSession, Role, Section, NOT_WITHIN_ACCESS};
use crate::use_session;
use leptos::prelude::*;
use leptos::server_fn::error::ServerFnUrlError;
use leptos::server_fn::ServerFn;
use leptos_router::components::{Redirect, A};
use leptos_router::hooks::{use_location, use_query_map};

mod banner;
mod dialog;
mod send_form;
pub use banner::ImpersonationBanner;
pub use dialog::{AskFirst, CloseDialogButton, Dialog, DialogButtons};
pub use send_form::{SendForm, Sending};

/// The administrator's own view: the user list.
pub const OWN_VIEW: &str = "/admin/users";

/// Where an ended impersonation session leaves for: the administrator's own view, whose
/// notice says why (`reason` as the server writes end reasons).
pub fn own_view_after(reason: &str) -> String {
    format!("{OWN_VIEW}?ended={}", encode_query_value(reason))
}

/// The administrator's notices in their own view: why a session of theirs ended (told by the
/// server, or by the page that left it), and a session of theirs still live in another
/// browser, with `Exit impersonation` to end it from here.
#[component]
pub fn AdministratorNotices() -> impl IntoView {
    let query = use_query_map();
    let here = use_location();
    let Some(me) = viewer().filter(|me| me.acting.is_none()) else {
        return ().into_any();
    };
    // The page that left a session says why in the address of the user list.
    let on_own_view = me.role.is_staff() && here.pathname.get_untracked() == OWN_VIEW;
    let told = query
        .with_untracked(|query| query.get("ended"))
        .filter(|_| on_own_view);
    let ended = me
        .session_ended
        .or(told)
        .and_then(|reason| ending_words(&reason));
    // Ended from here, just now: the notice that stood here says so in its place.
    let ended_elsewhere = me.open_elsewhere.is_none() && succeeded::<ExitImpersonation>(&query);
    view! {
        {ended.map(|words| view! { <SessionEndedNotice words/> })}
        {me.open_elsewhere.map(|open| view! { <LeftBehind open/> })}
        {ended_elsewhere.then(|| view! {
            <div class="notice left-behind" role="region" aria-labelledby="left-behind-heading">
                <h2 id="left-behind-heading">"Impersonation session ended"</h2>
                <p role="status" tabindex="-1">"Your session in the other browser has ended."</p>
            </div>
        })}
    }
    .into_any()
}

#[component]
fn SessionEndedNotice(words: &'static str) -> impl IntoView {
    view! {
        <div class="notice ended" id="session-ended" role="status" aria-labelledby="ended-heading">
            <div>
                <h2 id="ended-heading">"Impersonation session ended"</h2>
                <p>{words} " You are back in your own account."</p>
            </div>
            <button type="button" class="secondary" data-dismiss="session-ended">"Dismiss"</button>
        </div>
    }
}

/// A session of the administrator's that another browser still carries (SPEC.md §3).
#[component]
fn LeftBehind(open: OpenSession) -> impl IntoView {
    let exit = ServerAction::<ExitImpersonation>::new();
    let whom = format!("{} ({})", open.member_name, open.member_email);
    let facts = format!(
        "You are acting as {whom} since {}, until {}.",
        format_utc(open.started_at),
        format_utc(open.expires_at),
    );
    view! {
        <div class="notice left-behind" role="region" aria-labelledby="left-behind-heading">
            <div>
                <h2 id="left-behind-heading">"Your impersonation session is still open in another browser"</h2>
                <p>{facts}</p>
                <ErrorNote message=action_error(exit)/>
            </div>
            <ActionForm action=exit attr:class="inline">
                <input type="hidden" name="session_id" value=open.session_id.to_string()/>
                <SubmitButton label="Exit impersonation"/>
            </ActionForm>
        </div>
    }
}

/// On the member's own pages: while an administrator acts on their account, who, with `End
/// session`; once the member ended it, that it is over. It follows the live channel's
/// `support` news (who acts now, as JSON), which it says in `data-live-said`.
#[component]
pub fn SupportNotice() -> impl IntoView {
    let query = use_query_map();
    let Some(me) = viewer().filter(|me| me.role == Role::Member && me.acting.is_none()) else {
        return ().into_any();
    };
    let holder = me.support_acting;
    let said = serde_json::to_string(&holder).unwrap_or_default();
    let ended_here = holder.is_none() && succeeded::<EndSession>(&query);
    view! {
        <div data-live="support" data-live-said=said>
            {match holder {
                Some(actor) => view! { <SupportActing actor/> }.into_any(),
                None if ended_here => view! {
                    <div class="support-notice" role="status" tabindex="-1">
                        <p>"You ended the session: support can no longer act on your account."</p>
                    </div>
                }
                .into_any(),
                None => ().into_any(),
            }}
        </div>
    }
    .into_any()
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

/// The member's `End session`.
#[component]
pub fn EndSessionButton() -> impl IntoView {
    let end = ServerAction::<EndSession>::new();
    view! {
        <ActionForm action=end attr:class="inline">
            <SubmitButton label="End session" class="danger"/>
        </ActionForm>
        <ErrorNote message=action_error(end)/>
    }
}

/// Whether the form post that led to this page was the server function `S`'s, and it
/// succeeded (`__done`, see the server's `note_form_outcome`).
pub fn succeeded<S: ServerFn>(query: &Memo<leptos_router::params::ParamsMap>) -> bool {
    said_when_done::<S>(query).is_some()
}

/// What the server function `S` said of what it did (`ssr::say_done`; empty if nothing), when
/// the form post that led to this page was its, and it succeeded.
pub fn said_when_done<S: ServerFn>(
    query: &Memo<leptos_router::params::ParamsMap>,
) -> Option<String> {
    query.with_untracked(|query| {
        (query.get_str("__done") == Some(S::PATH)).then(|| query.get("__said").unwrap_or_default())
    })
}

/// Whom the server function `S` changed (its `ssr::say_done` gave their id), when the form
/// post that led to this page was `S`'s and it succeeded: their name as `name_of` finds it on
/// the page, or `None` inside when the page no longer shows them.
pub fn done_to<S: ServerFn>(
    query: &Memo<leptos_router::params::ParamsMap>,
    name_of: impl Fn(i64) -> Option<String>,
) -> Option<Option<String>> {
    let said = said_when_done::<S>(query)?;
    Some(said.parse().ok().and_then(name_of))
}

/// The bar on every page: the product, the signed-in person's links and `Sign out`. On a
/// phone the links fold behind `Menu` (once the page is interactive; without JavaScript they
/// wrap onto lines of their own).
#[component]
pub fn TopBar() -> impl IntoView {
    let links = viewer().map(|me| {
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
                aria-expanded="false"
                aria-controls="topbar-links"
                data-menu
            >
                "Menu"
            </button>
            <div id="topbar-links" class="topbar-links">
                <nav aria-label="Main">
                    <A href="/account">"Account"</A>
                    {if staff {
                        view! {
                            <A href="/admin/users">"Users"</A>
                            <A href="/admin/activity">"Activity"</A>
                            {owner.then(|| view! { <A href="/admin/impersonators">"Impersonators"</A> })}
                        }
                        .into_any()
                    } else {
                        view! {
                            {offers(Section::Profile).then(|| view! { <A href="/profile">"Profile"</A> })}
                            {offers(Section::Projects).then(|| view! { <A href="/projects">"Projects"</A> })}
                            {offers(Section::Payout).then(|| view! { <A href="/payout">"Payout"</A> })}
                            {own_settings.then(|| view! {
                                <A href="/settings/impersonation">"Impersonation"</A>
                                <InboxLink unread/>
                            })}
                        }
                        .into_any()
                    }}
                </nav>
                {own_settings.then(|| view! { <A href="/settings/sign-in">"Sign-in settings"</A> })}
                <span class="who">
                    {me.name}
                    <span class="role">{role_label(me.role)}</span>
                </span>
                <SignOutButton/>
            </div>
        }
    });
    view! {
        <header class="topbar">
            <a class="brand" href="/">"Actas"</a>
            {links}
        </header>
    }
}

/// `Inbox`, with the number of unread notices beside it; it follows the live channel's
/// `inbox` news (the number).
#[component]
fn InboxLink(unread: u32) -> impl IntoView {
    view! {
        <A href="/inbox">
            "Inbox"
            <span data-live="inbox" data-live-said=unread.to_string()>
                {(unread > 0)
                    .then(|| {
                        view! {
                            " "
                            <span class="badge" aria-label=format!("{unread} unread")>{unread}</span>
                        }
                    })}
            </span>
        </A>
    }
}

#[component]
fn SignOutButton() -> impl IntoView {
    let sign_out = use_session().sign_out;
    view! {
        <ActionForm action=sign_out attr:class="inline">
            <SubmitButton label="Sign out" class="secondary"/>
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

/// The message of the action's last failure, as the address the server sent the form's post
/// back to says it (`__path`, `__err`). A refusal of one field is left to that field's
/// `field_error`.
pub fn action_error<S: ServerFn>(_action: ServerAction<S>) -> Option<String> {
    failure_words::<S>()
}

/// `action_error`, for the server function `S`.
pub fn failure_words<S: ServerFn>() -> Option<String> {
    refusal_of::<S>()?.about_form()
}

/// The message of the action's last refusal of the form field `field`, for the note beside it.
pub fn field_error<S: ServerFn>(_action: ServerAction<S>, field: &'static str) -> Option<String> {
    refusal_of::<S>()?.about_field(field)
}

/// In an island: what refused the action's last send, or before any send, what the page was
/// sent back with (`at_render`, from `refusal_of` on the server).
pub fn refusal<S>(action: ServerAction<S>, at_render: Option<AppError>) -> Signal<Option<AppError>>
where
    S: ServerFn<Error = AppError> + Clone + Send + Sync + 'static,
    S::Output: Clone + Send + Sync + 'static,
{
    Signal::derive(move || match action.value().get() {
        Some(answer) => answer.err(),
        None => at_render.clone(),
    })
}

/// The last failure of the server function `S`, as the address says it (the page the
/// server sent a refused plain post back to). An island is handed it as a prop: the address
/// is read on the server only.
pub fn refusal_of<S: ServerFn>() -> Option<AppError> {
    use_query_map().with_untracked(|query| {
        let ours = query.get_str("__path") == Some(S::PATH);
        let encoded = query.get_str("__err").filter(|_| ours)?;
        Some(ServerFnUrlError::<AppError>::decode_err(encoded))
    })
}

/// A form field's refusal, said beside it: `aria-invalid` and `aria-describedby` for the
/// field (spread onto its input); the note itself has id `id`.
pub fn field_ties(message: &Option<String>, id: &'static str) -> (String, Option<&'static str>) {
    (message.is_some().to_string(), message.as_ref().map(|_| id))
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

/// A form's submit button. In the browser it shows that its form is being sent, which cannot
/// be sent twice then (a `SendForm`'s `Sending`, or the client's `forms`); it stays focusable
/// (`aria-disabled`, not `disabled`): a disabled button drops the keyboard's focus to the top
/// of the page.
#[component]
pub fn SubmitButton(
    label: &'static str,
    #[prop(optional)] class: &'static str,
    #[prop(optional, into)] aria_label: Option<String>,
    /// While set, the action cannot work here at all: the button is disabled and described by
    /// the element with this id, which says why on screen (see `ViewOnlyNote`).
    #[prop(optional_no_strip)]
    disabled_by: Option<String>,
) -> impl IntoView {
    let busy = Sending::of_button();
    view! {
        <button
            type="submit"
            class=class
            disabled=disabled_by.is_some()
            aria-label=aria_label
            aria-describedby=disabled_by
            aria-busy=busy
            aria-disabled=busy
        >
            {label}
        </button>
    }
}

/// A page of one of the member's sections. While an administrator acts under a grant without
/// that section, the page's place says `Not within the access granted` (403) instead, inside
/// the frame, so the banner and `Exit impersonation` stay (SPEC.md §2). The server refuses
/// the page's data and changes regardless (`refuse_outside_sections`, `effective_member_in`).
#[component]
pub fn InSection(section: Section, children: Children) -> impl IntoView {
    // No one signed in is the page's own to show.
    let granted = viewer().is_none_or(|me| me.sections_granted().allows(section));
    if granted {
        return children().into_any();
    }
    let error = AppError::Forbidden(NOT_WITHIN_ACCESS.into());
    view! { <Refusal error/> }.into_any()
}

/// While an administrator acts in a `View only` session: the id of the note that says
/// changes are off (`ViewOnlyNote`), for the controls it turns off; `None` otherwise.
pub fn view_only() -> Option<String> {
    let acting = viewer()?.acting?;
    (acting.scope == crate::model::Scope::ViewOnly).then(|| VIEW_ONLY_NOTE.to_string())
}

const VIEW_ONLY_NOTE: &str = "view-only-note";

/// True while an administrator acts as the member: controls they may never use are not
/// rendered (the server refuses them regardless).
pub fn acting_now() -> bool {
    viewer().is_some_and(|me| me.acting.is_some())
}

/// Who the page is for: the signed-in person, or the member an administrator acts as
/// (`crate::Viewer`); `None` for a visitor.
pub fn viewer() -> Option<Me> {
    use_context::<crate::Viewer>().and_then(|viewer| viewer.0)
}

/// Says, on pages with changes, that a `View only` session turns them off.
#[component]
pub fn ViewOnlyNote() -> impl IntoView {
    view_only().map(|id| {
        view! {
            <p class="reason view-only" id=id>
                "View only session: you can look, but changes are turned off."
            </p>
        }
    })
}

/// A failure, said next to the control that caused it. With `id`, the field it concerns
/// names it in `aria-describedby`.
#[component]
pub fn ErrorNote(
    message: Option<String>,
    #[prop(optional)] id: Option<&'static str>,
) -> impl IntoView {
    message.map(|message| view! { <p class="error" role="alert" id=id>{message}</p> })
}

/// A success, said where the person is looking.
#[component]
pub fn StatusNote(message: Option<String>) -> impl IntoView {
    view! { <p class="success-slot" role="status">{message.map(|message| view! { <span class="success">{message}</span> })}</p> }
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
