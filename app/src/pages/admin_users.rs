use super::people_controls::{
    asked_dialog, people_change_done, row_menu_id, AddUserButton, PeopleDialog, RowAction,
};
use crate::api::access_requests::RequestAccess;
use crate::api::impersonation_control::StartImpersonation;
use crate::api::user_directory::list_users;
use crate::components::{
    action_error, encode_query_value, field_error, field_ties, role_label, when_loaded, DataTable,
    Dialog, DialogButtons, ErrorNote, StatusNote,
};
use crate::model::{
    format_duration, format_utc, RequestStatus, Role, Scope, Section, UserPage, UserRow, UserStatus,
};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::use_query_map;

/// `/admin/users`: every account, 50 a page, searchable by name or email.
#[component]
pub fn AdminUsersPage() -> impl IntoView {
    let query = use_query_map();
    let search = query.read_untracked().get("q").unwrap_or_default();
    let page = query
        .read_untracked()
        .get("page")
        .and_then(|page| page.parse::<u32>().ok())
        .unwrap_or(1);
    let users = Resource::new(
        {
            let search = search.clone();
            move || (search.clone(), page)
        },
        |(search, page)| list_users(search, page),
    );
    view! {
        <Title text="Users · Actas"/>
        <section class="card wide" aria-labelledby="users-heading">
            <h1 id="users-heading">"Users"</h1>
            // In the browser the list is searched in place (`data-in-place`).
            <form method="get" action="/admin/users" class="search" role="search" data-in-place=USER_LIST>
                <label for="user-search">"Search users"</label>
                <input id="user-search" type="search" name="q" placeholder="Name or email" value=search.clone()/>
                <button type="submit">"Search"</button>
            </form>
            {when_loaded(users, move |listed| {
                let done = people_change_done(&query, |id| {
                    listed.users.iter().find(|row| row.user.id == id).map(|row| row.user.name.clone())
                });
                let asked = asked_dialog(&query.read_untracked()).and_then(|(action, user_id)| {
                    let row = listed.users.iter().find(|row| row.user.id == user_id)?.clone();
                    Some((row, action))
                });
                let owner = listed.may_suspend;
                view! {
                    <StatusNote message=done/>
                    {owner.then(|| view! { <AddUserButton/> })}
                    // An access request sent here, or answered by the member: the list follows
                    // (the live channel's `requests` news).
                    <div id=USER_LIST data-live="requests">
                        <UserTable page=listed search=search.clone()/>
                    </div>
                    <div id=ROW_DIALOG>
                        {asked.map(|(row, action)| match action {
                            RowAction::Impersonate => view! { <ImpersonateDialog row/> }.into_any(),
                            RowAction::RequestAccess => view! { <RequestAccessDialog row/> }.into_any(),
                            action => view! { <PeopleDialog row action/> }.into_any(),
                        })}
                    </div>
                }
            })}
        </section>
    }
}

/// The list's place on the page: fetched again after `Add user`.
pub const USER_LIST: &str = "user-list";

/// Where a row's dialog goes, fetched from the page's own address with `dialog` and `for`.
const ROW_DIALOG: &str = "row-dialog";

#[component]
fn UserTable(page: UserPage, search: String) -> impl IntoView {
    let link = {
        let search = search.clone();
        move |to: u32| format!("/admin/users?q={}&page={to}", encode_query_value(&search))
    };
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
    let listed_page = page.page;
    let rows = page
        .users
        .into_iter()
        .map(|row| {
            let actions = viewer.actions_for(&row);
            let menu = (!actions.is_empty()).then(|| {
                view! { <RowMenu row=row.clone() actions search=search.clone() page=listed_page/> }
            });
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
        <p class="muted" aria-live="polite">{summary}</p>
        <DataTable headers=vec!["Name", "Email", "Role", "Status", "Consent", "Actions"]>
            <tbody>{rows}</tbody>
        </DataTable>
        <nav class="pager" aria-label="Pages">
            {(page.page > 1).then(|| view! { <A href=link(page.page - 1)>"Previous page"</A> })}
            <span>{format!("Page {} of {}", page.page, page.page_count)}</span>
            {(page.page < page.page_count).then(|| view! { <A href=link(page.page + 1)>"Next page"</A> })}
        </nav>
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

/// The row's actions, behind a plain disclosure (`Actions for <Name>`) of buttons, each of
/// which asks for its dialog (`dialog=<key>&for=<id>` on this page's address; in the browser
/// fetched in place). When a session cannot start, `Impersonate user` is disabled and the
/// server's reason is shown under it, for touch and keyboard users too.
#[component]
fn RowMenu(row: UserRow, actions: Vec<RowAction>, search: String, page: u32) -> impl IntoView {
    let blocker = row.start_refused.clone();
    let label = format!("Actions for {}", row.user.name);
    let summary_id = row_menu_id(row.user.id);
    let user_id = row.user.id.to_string();
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
            view! {
                <form method="get" action="/admin/users" data-in-place=ROW_DIALOG>
                    <input type="hidden" name="q" value=search.clone()/>
                    <input type="hidden" name="page" value=page.to_string()/>
                    <input type="hidden" name="dialog" value=action.key()/>
                    <input type="hidden" name="for" value=user_id.clone()/>
                    <button
                        type="submit"
                        class=if danger { "danger" } else { "secondary" }
                        disabled=blocked.is_some()
                        aria-describedby=blocked.as_ref().map(|_| reason_id.clone())
                    >
                        {action.label()}
                    </button>
                </form>
                {blocked.map(|reason| view! { <span class="reason" id=reason_id>{reason}</span> })}
            }
        })
        .collect_view();
    // Choosing an item folds the disclosure away again (`data-folds`).
    view! {
        <details class="row-menu" data-folds="">
            <summary id=summary_id aria-label=label>"Actions"</summary>
            <div class="menu">{items}</div>
        </details>
    }
}

/// The confirmation dialog: a required reason, and a support code where there is no consent.
#[component]
fn ImpersonateDialog(row: UserRow) -> impl IntoView {
    let start = ServerAction::<StartImpersonation>::new();
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
    let (reason_invalid, reason_described) = field_ties(&reason_error, "impersonate-reason-error");
    let code_error = field_error(start, "support_code");
    let (code_invalid, code_described) = field_ties(&code_error, "impersonate-code-error");
    view! {
        <Dialog id=RowAction::Impersonate.key() title="Impersonate user" message opener=row_menu_id(row.user.id) shown=true>
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
                {needs_code.then(|| view! {
                    <label for="impersonate-code">"Support code"</label>
                    <input
                        id="impersonate-code"
                        name="support_code"
                        autocomplete="off"
                        // A secret: never kept to fill the form in again.
                        data-private=""
                        required
                        aria-invalid=code_invalid
                        aria-describedby=code_described
                    />
                    <ErrorNote message=code_error id="impersonate-code-error"/>
                })}
                <ErrorNote message=action_error(start)/>
                <DialogButtons label="Impersonate user"/>
            </ActionForm>
        </Dialog>
    }
}

/// `Request access` (SPEC.md §2): a reason, an optional ticket, a scope, optional sections
/// and 1 to 24 hours; the member answers in their inbox.
#[component]
fn RequestAccessDialog(row: UserRow) -> impl IntoView {
    let request = ServerAction::<RequestAccess>::new();
    let message = format!(
        "{} will find your request in their Inbox and may approve it, perhaps for less, or deny it. Unanswered, it expires after 24 hours.",
        row.user.name
    );
    let reason_error = field_error(request, "reason");
    let (reason_invalid, reason_described) = field_ties(&reason_error, "request-reason-error");
    let hours_error = field_error(request, "hours");
    let (hours_invalid, hours_described) = field_ties(&hours_error, "request-hours-error");
    let ticket_error = field_error(request, "ticket");
    view! {
        <Dialog id=RowAction::RequestAccess.key() title="Request access" message opener=row_menu_id(row.user.id) shown=true>
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
                                    // One name each (`section[]`): none chosen means all.
                                    <input id=id type="checkbox" name="section[]" value=section.as_str()/>
                                    {section.label()}
                                </label>
                            }
                        })
                        .collect_view()}
                </fieldset>
                <ErrorNote message=field_error(request, "sections")/>
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
                <ErrorNote message=action_error(request)/>
                <DialogButtons label="Request access"/>
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
