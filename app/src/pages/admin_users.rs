use super::people_controls::{
    row_menu_id, AddUserButton, OpenDialog, PeopleActions, PeopleDialogs, RowAction,
};
use crate::api::access_requests::RequestAccess;
use crate::api::impersonation_control::StartImpersonation;
use crate::api::user_directory::list_users;
use crate::components::{
    action_error, encode_query_value, field_error, field_ties, listen_live, role_label,
    when_loaded, DataTable, Dialog, DialogButtons, ErrorNote, StatusNote,
};
use crate::model::{
    format_duration, format_utc, RequestStatus, Role, Scope, Section, UserPage, UserRow, UserStatus,
};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::{use_navigate, use_query_map};

/// `/admin/users`: every account, 50 a page, searchable by name or email.
#[component]
pub fn AdminUsersPage() -> impl IntoView {
    let query = use_query_map();
    let search = move || query.read().get("q").unwrap_or_default();
    let page = move || {
        query
            .read()
            .get("page")
            .and_then(|page| page.parse::<u32>().ok())
            .unwrap_or(1)
    };
    // Once hydrated, searching navigates in place; without JavaScript the form is a plain GET.
    let search_input = NodeRef::<leptos::html::Input>::new();
    let navigate = use_navigate();
    let on_search = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        let text = search_input
            .get()
            .map(|input| input.value())
            .unwrap_or_default();
        navigate(
            &format!("/admin/users?q={}", encode_query_value(text.trim())),
            Default::default(),
        );
    };
    let people = PeopleActions::new();
    // Which dialog is open lives here, above the list, which reloads after every change.
    let open: OpenDialog = RwSignal::new(None);
    let adding = RwSignal::new(false);
    // What the last change did, said above the list.
    let notice = RwSignal::new(None::<String>);
    // An access request sent here, or answered by the member (the live channel says so
    // within 2 seconds): the list reads again.
    let requests = RwSignal::new(0u32);
    listen_live("requests", move |_| requests.update(|n| *n += 1));
    let users = Resource::new(
        move || (search(), page(), people.version(), requests.get()),
        |(search, page, _, _)| list_users(search, page),
    );

    view! {
        <Title text="Users · Actas"/>
        <section class="card wide" aria-labelledby="users-heading">
            <h1 id="users-heading">"Users"</h1>
            <form method="get" action="/admin/users" class="search" role="search" on:submit=on_search>
                <label for="user-search">"Search users"</label>
                <input
                    id="user-search"
                    type="search"
                    name="q"
                    placeholder="Name or email"
                    value=search
                    prop:value=search
                    node_ref=search_input
                />
                <button type="submit">"Search"</button>
            </form>
            <StatusNote message=notice/>
            {when_loaded(users, move |page| view! { <UserTable page search=search() open adding/> })}
            <PeopleDialogs open adding people notice/>
        </section>
    }
}

#[component]
fn UserTable(
    page: UserPage,
    search: String,
    open: OpenDialog,
    adding: RwSignal<bool>,
) -> impl IntoView {
    let link = move |to: u32| format!("/admin/users?q={}&page={to}", encode_query_value(&search));
    let summary = match page.total {
        0 => "No users match.".to_string(),
        1 => "1 user".to_string(),
        n => format!("{n} users"),
    };
    let viewer = Viewer {
        id: page.viewer_id,
        may_impersonate: page.may_impersonate,
        is_owner: page.may_suspend,
    };
    let rows = page
        .users
        .into_iter()
        .map(|row| {
            let actions = viewer.actions_for(&row);
            let menu =
                (!actions.is_empty()).then(|| view! { <RowMenu row=row.clone() actions open/> });
            view! {
                <tr>
                    <th scope="row" class="name">{row.user.name.clone()}</th>
                    <td data-label="Email" class="wrap">{row.user.email.clone()}</td>
                    <td data-label="Role">{role_label(row.user.role)}</td>
                    <td data-label="Status">{status_label(row.user.status)}</td>
                    <td data-label="Consent" class="wrap">{consent_label(&row)}</td>
                    <td>{menu}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        {viewer.is_owner.then(|| view! { <AddUserButton adding/> })}
        <p class="muted" aria-live="polite">{summary}</p>
        <DataTable headers=vec!["Name", "Email", "Role", "Status", "Consent", "Actions"]>
            <tbody>{rows}</tbody>
        </DataTable>
        <nav class="pager" aria-label="Pages">
            {(page.page > 1).then(|| view! { <A href=link(page.page - 1)>"Previous page"</A> })}
            <span>{format!("Page {} of {}", page.page, page.page_count)}</span>
            {(page.page < page.page_count).then(|| view! { <A href=link(page.page + 1)>"Next page"</A> })}
        </nav>
        {move || open.get().and_then(|(row, action)| match action {
            RowAction::Impersonate => Some(view! { <ImpersonateDialog row open/> }.into_any()),
            RowAction::RequestAccess => Some(view! { <RequestAccessDialog row open/> }.into_any()),
            _ => None,
        })}
    }
}

/// Who is looking at the list, and so which row actions the page offers (the server checks
/// each again).
#[derive(Clone, Copy)]
struct Viewer {
    id: i64,
    may_impersonate: bool,
    is_owner: bool,
}

impl Viewer {
    fn actions_for(&self, row: &UserRow) -> Vec<RowAction> {
        let member = row.user.role == Role::Member;
        let other = row.user.id != self.id;
        let live = row.user.status != UserStatus::Deleted;
        let mut actions = Vec::new();
        if member && self.may_impersonate {
            actions.push(RowAction::Impersonate);
            // Members without standing consent, and no request of this viewer waiting.
            let waiting = row
                .request
                .as_ref()
                .is_some_and(|request| request.status == RequestStatus::Pending);
            if row.consent.is_none() && !waiting && row.user.status == UserStatus::Active {
                actions.push(RowAction::RequestAccess);
            }
        }
        if self.is_owner && other && live {
            actions.push(RowAction::ChangeRole);
            actions.push(match row.user.status {
                UserStatus::Suspended => RowAction::Reinstate,
                _ => RowAction::Suspend,
            });
            actions.push(RowAction::ResetPassword);
        }
        if member && live {
            actions.push(RowAction::SignOutEverywhere);
        }
        if self.is_owner && other && live {
            actions.push(RowAction::Delete);
        }
        actions
    }
}

fn consent_label(row: &UserRow) -> String {
    let consent = match &row.consent {
        Some(consent) => format!(
            "Active until {}, {}, {}",
            format_utc(consent.expires_at),
            consent.scope.label(),
            consent.sections.label()
        ),
        None if row.user.role == Role::Member => "No consent".to_string(),
        None => "—".to_string(),
    };
    match request_label(row) {
        Some(request) => format!("{consent}. {request}"),
        None => consent,
    }
}

/// The viewer's latest access request to this member, and its answer.
fn request_label(row: &UserRow) -> Option<String> {
    let request = row.request.as_ref()?;
    Some(match request.status {
        RequestStatus::Pending => format!(
            "Access requested, waiting for an answer (expires {})",
            format_utc(request.expires_at)
        ),
        RequestStatus::Approved => format!(
            "Access approved until {}, {}, {}",
            request.approved_until.map(format_utc).unwrap_or_default(),
            request.approved_scope.unwrap_or(request.scope).label(),
            request
                .approved_sections
                .unwrap_or(request.sections)
                .label()
        ),
        RequestStatus::Denied => match &request.message {
            Some(message) => format!("Access denied: “{message}”"),
            None => "Access denied".to_string(),
        },
        RequestStatus::Withdrawn => "Access request withdrawn".to_string(),
        RequestStatus::Expired => "Access request expired unanswered".to_string(),
        RequestStatus::Revoked => "Access approved, then revoked".to_string(),
    })
}

/// The row's actions, behind a plain disclosure (`Actions for <Name>`) of buttons. When a
/// session cannot start, `Impersonate user` is disabled and the server's reason is shown
/// under it, for touch and keyboard users too.
#[component]
fn RowMenu(row: UserRow, actions: Vec<RowAction>, open: OpenDialog) -> impl IntoView {
    let blocker = row.start_refused.clone();
    let label = format!("Actions for {}", row.user.name);
    let summary_id = row_menu_id(row.user.id);
    let menu_id = summary_id.clone();
    // Choosing an item folds the disclosure away again.
    let menu = NodeRef::<leptos::html::Details>::new();
    let close_menu = move || {
        if let Some(menu) = menu.get() {
            let _ = menu.remove_attribute("open");
        }
    };
    let items = actions
        .into_iter()
        .map(|action| {
            let danger = matches!(
                action,
                RowAction::Suspend | RowAction::Delete | RowAction::SignOutEverywhere
            );
            let blocked = (action == RowAction::Impersonate)
                .then(|| blocker.clone())
                .flatten();
            let reason_id = format!("{summary_id}-why-not");
            let row = row.clone();
            view! {
                <button
                    type="button"
                    class=if danger { "danger" } else { "secondary" }
                    disabled=blocked.is_some()
                    aria-describedby=blocked.as_ref().map(|_| reason_id.clone())
                    on:click=move |_| {
                        close_menu();
                        open.set(Some((row.clone(), action)))
                    }
                >
                    {action.label()}
                </button>
                {blocked.map(|reason| view! { <span class="reason" id=reason_id>{reason}</span> })}
            }
        })
        .collect_view();
    view! {
        <details class="row-menu" node_ref=menu>
            <summary id=menu_id aria-label=label>"Actions"</summary>
            <div class="menu">{items}</div>
        </details>
    }
}

/// The confirmation dialog: a required reason, and a support code where there is no consent.
#[component]
fn ImpersonateDialog(row: UserRow, open: OpenDialog) -> impl IntoView {
    let start = ServerAction::<StartImpersonation>::new();
    // Once started, load the member's view afresh: every part of the page changes hands.
    Effect::new(move |_| {
        if matches!(start.value().get(), Some(Ok(()))) {
            let _ = window().location().set_href("/account");
        }
    });
    let on_close = Callback::new(move |_| open.set(None));
    // An approval of this administrator's request is a consent for them: no code then.
    let approved = row
        .request
        .as_ref()
        .is_some_and(|request| request.status == RequestStatus::Approved);
    let needs_code = row.consent.is_none() && !approved;
    let message = format!(
        "You will temporarily act as {} and have their permissions. To return to your account, use Exit impersonation in the banner.",
        row.user.name
    );
    let reason_error = field_error(start, "reason");
    let (reason_invalid, reason_described) = field_ties(reason_error, "impersonate-reason-error");
    let code_error = field_error(start, "support_code");
    let (code_invalid, code_described) = field_ties(code_error, "impersonate-code-error");
    view! {
        <Dialog id="impersonate" title="Impersonate user" message on_close opener=row_menu_id(row.user.id)>
            <ActionForm action=start attr:class="stack">
                <input type="hidden" name="target_id" value=row.user.id.to_string()/>
                <label for="impersonate-reason">"Reason"</label>
                <textarea
                    id="impersonate-reason"
                    name="reason"
                    required
                    minlength="10"
                    maxlength="500"
                    placeholder="Ticket number and what you will check"
                    aria-invalid=reason_invalid
                    aria-describedby=reason_described
                ></textarea>
                <ErrorNote message=reason_error id="impersonate-reason-error"/>
                <Show when=move || needs_code>
                    <label for="impersonate-code">"Support code"</label>
                    <input
                        id="impersonate-code"
                        name="support_code"
                        autocomplete="off"
                        required
                        aria-invalid=code_invalid
                        aria-describedby=code_described
                    />
                    <ErrorNote message=code_error id="impersonate-code-error"/>
                </Show>
                <ErrorNote message=Signal::derive(action_error(start))/>
                <DialogButtons label="Impersonate user" pending=start.pending()/>
            </ActionForm>
        </Dialog>
    }
}

/// `Request access` (SPEC.md §2): a reason, an optional ticket, a scope, optional sections
/// and 1 to 24 hours; the member answers in their inbox.
#[component]
fn RequestAccessDialog(row: UserRow, open: OpenDialog) -> impl IntoView {
    let request = ServerAction::<RequestAccess>::new();
    let on_close = Callback::new(move |_| open.set(None));
    Effect::new(move |_| {
        if matches!(request.value().get(), Some(Ok(_))) {
            open.set(None);
        }
    });
    let message = format!(
        "{} will find your request in their Inbox and may approve it, perhaps for less, or deny it. Unanswered, it expires after 24 hours.",
        row.user.name
    );
    let reason_error = field_error(request, "reason");
    let (reason_invalid, reason_described) = field_ties(reason_error, "request-reason-error");
    let hours_error = field_error(request, "hours");
    let (hours_invalid, hours_described) = field_ties(hours_error, "request-hours-error");
    let ticket_error = field_error(request, "ticket");
    // Sections as one field: the chosen names, joined (none chosen means all).
    let chosen = RwSignal::new(Vec::<Section>::new());
    let joined = move || {
        chosen
            .get()
            .iter()
            .map(|section| section.as_str())
            .collect::<Vec<_>>()
            .join(",")
    };
    view! {
        <Dialog id="request-access" title="Request access" message on_close opener=row_menu_id(row.user.id)>
            <ActionForm action=request attr:class="stack">
                <input type="hidden" name="member_id" value=row.user.id.to_string()/>
                <label for="request-reason">"Reason"</label>
                <textarea
                    id="request-reason"
                    name="reason"
                    required
                    minlength="10"
                    maxlength="500"
                    aria-invalid=reason_invalid
                    aria-describedby=reason_described
                ></textarea>
                <ErrorNote message=reason_error id="request-reason-error"/>
                <label for="request-ticket">"Ticket"</label>
                <input id="request-ticket" name="ticket" maxlength="100" autocomplete="off"/>
                <ErrorNote message=ticket_error/>
                <label for="request-scope">"Scope"</label>
                <select id="request-scope" name="scope">
                    <option value=Scope::ViewOnly.as_str()>{Scope::ViewOnly.label()}</option>
                    <option value=Scope::FullAccess.as_str()>{Scope::FullAccess.label()}</option>
                </select>
                <fieldset>
                    <legend>"Sections (none chosen means all)"</legend>
                    {Section::ALL
                        .into_iter()
                        .map(|section| {
                            let id = format!("request-section-{}", section.as_str());
                            let label_for = id.clone();
                            view! {
                                <label for=label_for class="inline">
                                    <input
                                        id=id
                                        type="checkbox"
                                        on:change=move |event| {
                                            let on = event_target_checked(&event);
                                            chosen.update(|chosen| {
                                                chosen.retain(|other| *other != section);
                                                if on {
                                                    chosen.push(section);
                                                }
                                            });
                                        }
                                    />
                                    {section.label()}
                                </label>
                            }
                        })
                        .collect_view()}
                </fieldset>
                <input type="hidden" name="sections" prop:value=joined/>
                <label for="request-hours">"Duration (hours)"</label>
                <input
                    id="request-hours"
                    name="hours"
                    type="number"
                    min="1"
                    max="24"
                    value="1"
                    required
                    aria-invalid=hours_invalid
                    aria-describedby=hours_described
                />
                <p class="muted">{format!("1 to 24 hours, for example {}.", format_duration(4 * 3_600_000))}</p>
                <ErrorNote message=hours_error id="request-hours-error"/>
                <ErrorNote message=Signal::derive(action_error(request))/>
                <DialogButtons label="Request access" pending=request.pending()/>
            </ActionForm>
        </Dialog>
    }
}

fn status_label(status: UserStatus) -> &'static str {
    match status {
        UserStatus::Active => "Active",
        UserStatus::Suspended => "Suspended",
        UserStatus::Deleted => "Deleted",
    }
}
