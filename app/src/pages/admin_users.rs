use crate::api::impersonation_control::StartImpersonation;
use crate::api::owner_actions::SuspendUser;
use crate::api::user_directory::list_users;
use crate::components::{
    action_error, encode_query_value, role_label, when_loaded, DataTable, ErrorNote, SubmitButton,
};
use crate::model::{format_utc, Role, UserPage, UserRow, UserStatus};
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
    let suspend = ServerAction::<SuspendUser>::new();
    let users = Resource::new(
        move || (search(), page(), suspend.version().get()),
        |(search, page, _)| list_users(search, page),
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
            {when_loaded(users, move |page| view! { <UserTable page search=search() suspend/> })}
        </section>
    }
}

/// The member an `Impersonate user` dialog is open for.
type DialogTarget = RwSignal<Option<UserRow>>;

#[component]
fn UserTable(page: UserPage, search: String, suspend: ServerAction<SuspendUser>) -> impl IntoView {
    let link = move |to: u32| format!("/admin/users?q={}&page={to}", encode_query_value(&search));
    let summary = match page.total {
        0 => "No users match.".to_string(),
        1 => "1 user".to_string(),
        n => format!("{n} users"),
    };
    let may_impersonate = page.may_impersonate;
    let may_suspend = page.may_suspend;
    let has_menu = may_impersonate || may_suspend;
    let mut headers = vec!["Name", "Email", "Role", "Status", "Consent"];
    if has_menu {
        headers.push("Actions");
    }
    let dialog: DialogTarget = RwSignal::new(None);
    let suspending: DialogTarget = RwSignal::new(None);
    let rows = page
        .users
        .into_iter()
        .map(|row| {
            let menu = (has_menu && row.user.role == Role::Member).then(|| {
                view! { <RowMenu row=row.clone() dialog suspending may_impersonate may_suspend/> }
                    .into_any()
            });
            view! {
                <tr>
                    <td>{row.user.name.clone()}</td>
                    <td>{row.user.email.clone()}</td>
                    <td>{role_label(row.user.role)}</td>
                    <td>{status_label(row.user.status)}</td>
                    <td>{consent_label(&row)}</td>
                    {has_menu.then(|| view! { <td>{menu}</td> })}
                </tr>
            }
        })
        .collect_view();
    view! {
        <p class="muted" aria-live="polite">{summary}</p>
        <DataTable headers>
            <tbody>{rows}</tbody>
        </DataTable>
        <nav class="pager" aria-label="Pages">
            {(page.page > 1).then(|| view! { <A href=link(page.page - 1)>"Previous page"</A> })}
            <span>{format!("Page {} of {}", page.page, page.page_count)}</span>
            {(page.page < page.page_count).then(|| view! { <A href=link(page.page + 1)>"Next page"</A> })}
        </nav>
        {move || dialog.get().map(|row| view! { <ImpersonateDialog row dialog/> })}
        {move || suspending.get().map(|row| view! { <SuspendDialog row dialog=suspending suspend/> })}
    }
}

fn consent_label(row: &UserRow) -> String {
    match &row.consent {
        Some(consent) => format!(
            "Active until {}, {}",
            format_utc(consent.expires_at),
            consent.scope.label()
        ),
        None if row.user.role == Role::Member => "No consent".to_string(),
        None => "—".to_string(),
    }
}

/// The row's menu: `Impersonate user`, disabled with the reason when a session cannot start;
/// for owners, `Suspend user`, which also ends any session on the account.
#[component]
fn RowMenu(
    row: UserRow,
    dialog: DialogTarget,
    suspending: DialogTarget,
    may_impersonate: bool,
    may_suspend: bool,
) -> impl IntoView {
    let blocker = row.start_refused.clone();
    let disabled = blocker.is_some();
    let label = format!("Actions for {}", row.user.name);
    let active = row.user.status == UserStatus::Active;
    // Choosing an item closes the menu, as menus do.
    let menu = NodeRef::<leptos::html::Details>::new();
    let close_menu = move || {
        if let Some(menu) = menu.get() {
            let _ = menu.remove_attribute("open");
        }
    };
    view! {
        <details class="row-menu" node_ref=menu>
            <summary aria-label=label>"Actions"</summary>
            <div class="menu" role="menu">
                {may_impersonate.then(|| view! {
                    <button
                        type="button"
                        role="menuitem"
                        class="secondary"
                        disabled=disabled
                        title=blocker.clone()
                        on:click={
                            let row = row.clone();
                            move |_| {
                                close_menu();
                                dialog.set(Some(row.clone()))
                            }
                        }
                    >
                        "Impersonate user"
                    </button>
                })}
                {(may_suspend && active).then(|| view! {
                    <button
                        type="button"
                        role="menuitem"
                        class="danger"
                        on:click={
                            let row = row.clone();
                            move |_| {
                                close_menu();
                                suspending.set(Some(row.clone()))
                            }
                        }
                    >
                        "Suspend user"
                    </button>
                })}
            </div>
        </details>
    }
}

/// `Suspend user` asks first: it signs the member out and cannot be undone from here.
#[component]
fn SuspendDialog(
    row: UserRow,
    dialog: DialogTarget,
    suspend: ServerAction<SuspendUser>,
) -> impl IntoView {
    let cancel = NodeRef::<leptos::html::Button>::new();
    Effect::new(move |_| {
        if let Some(button) = cancel.get() {
            let _ = button.focus();
        }
    });
    let close = move || dialog.set(None);
    // Closed once done; the list reloads with the account's new status.
    let version = suspend.version().get_untracked();
    Effect::new(move |_| {
        if suspend.version().get() > version && matches!(suspend.value().get(), Some(Ok(()))) {
            close();
        }
    });
    let message = format!(
        "Suspend {} ({})? They are signed out at once and can no longer sign in; any impersonation session on their account ends.",
        row.user.name, row.user.email
    );
    view! {
        <div class="backdrop">
            <div
                class="dialog"
                role="dialog"
                aria-modal="true"
                aria-labelledby="suspend-title"
                aria-describedby="suspend-message"
                on:keydown=move |event| {
                    if event.key() == "Escape" {
                        close();
                    }
                }
            >
                <h2 id="suspend-title">"Suspend user"</h2>
                <p id="suspend-message">{message}</p>
                <ActionForm action=suspend attr:class="stack">
                    <input type="hidden" name="user_id" value=row.user.id.to_string()/>
                    <ErrorNote message=Signal::derive(action_error(suspend))/>
                    <div class="dialog-buttons">
                        <button type="button" class="secondary" node_ref=cancel on:click=move |_| close()>"Cancel"</button>
                        <SubmitButton label="Suspend user" class="danger" pending=suspend.pending()/>
                    </div>
                </ActionForm>
            </div>
        </div>
    }
}

/// The confirmation dialog: a required reason, and a support code where there is no consent.
#[component]
fn ImpersonateDialog(row: UserRow, dialog: DialogTarget) -> impl IntoView {
    let start = ServerAction::<StartImpersonation>::new();
    let reason_field = NodeRef::<leptos::html::Textarea>::new();
    // Focus moves into the dialog as it opens.
    Effect::new(move |_| {
        if let Some(field) = reason_field.get() {
            let _ = field.focus();
        }
    });
    // Once started, load the member's view afresh: every part of the page changes hands.
    Effect::new(move |_| {
        if matches!(start.value().get(), Some(Ok(()))) {
            let _ = window().location().set_href("/account");
        }
    });
    let close = move || dialog.set(None);
    let needs_code = row.consent.is_none();
    let message = format!(
        "You will temporarily act as {} and have their permissions. To return to your account, use Exit impersonation in the banner.",
        row.user.name
    );
    view! {
        <div class="backdrop">
            <div
                class="dialog"
                role="dialog"
                aria-modal="true"
                aria-labelledby="impersonate-title"
                aria-describedby="impersonate-message"
                on:keydown=move |event| {
                    if event.key() == "Escape" {
                        close();
                    }
                }
            >
                <h2 id="impersonate-title">"Impersonate user"</h2>
                <p id="impersonate-message">{message}</p>
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
                        node_ref=reason_field
                    ></textarea>
                    <Show when=move || needs_code>
                        <label for="impersonate-code">"Support code"</label>
                        <input id="impersonate-code" name="support_code" autocomplete="off" required/>
                    </Show>
                    <ErrorNote message=Signal::derive(action_error(start))/>
                    <div class="dialog-buttons">
                        <button type="button" class="secondary" on:click=move |_| close()>"Cancel"</button>
                        <SubmitButton label="Impersonate user" pending=start.pending()/>
                    </div>
                </ActionForm>
            </div>
        </div>
    }
}

fn status_label(status: UserStatus) -> &'static str {
    match status {
        UserStatus::Active => "Active",
        UserStatus::Suspended => "Suspended",
        UserStatus::Deleted => "Deleted",
    }
}
