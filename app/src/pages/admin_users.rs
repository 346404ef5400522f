use crate::api::list_users;
use crate::components::{encode_query_value, role_label, when_loaded};
use crate::model::{UserPage, UserStatus};
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
    let users = Resource::new(
        move || (search(), page()),
        |(search, page)| list_users(search, page),
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
                    prop:value=search
                    node_ref=search_input
                />
                <button type="submit">"Search"</button>
            </form>
            {when_loaded(users, move |page| view! { <UserTable page search=search()/> })}
        </section>
    }
}

#[component]
fn UserTable(page: UserPage, search: String) -> impl IntoView {
    let link = move |to: u32| format!("/admin/users?q={}&page={to}", encode_query_value(&search));
    let summary = match page.total {
        0 => "No users match.".to_string(),
        1 => "1 user".to_string(),
        n => format!("{n} users"),
    };
    let rows = page
        .users
        .into_iter()
        .map(|user| {
            view! {
                <tr>
                    <td>{user.name}</td>
                    <td>{user.email}</td>
                    <td>{role_label(user.role)}</td>
                    <td>{status_label(user.status)}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <p class="muted" aria-live="polite">{summary}</p>
        <div class="table-scroll">
            <table>
                <thead>
                    <tr>
                        <th scope="col">"Name"</th>
                        <th scope="col">"Email"</th>
                        <th scope="col">"Role"</th>
                        <th scope="col">"Status"</th>
                    </tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
        <nav class="pager" aria-label="Pages">
            {(page.page > 1).then(|| view! { <A href=link(page.page - 1)>"Previous page"</A> })}
            <span>{format!("Page {} of {}", page.page, page.page_count)}</span>
            {(page.page < page.page_count).then(|| view! { <A href=link(page.page + 1)>"Next page"</A> })}
        </nav>
    }
}

fn status_label(status: UserStatus) -> &'static str {
    match status {
        UserStatus::Active => "Active",
        UserStatus::Suspended => "Suspended",
        UserStatus::Deleted => "Deleted",
    }
}
