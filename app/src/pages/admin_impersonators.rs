use crate::api::owner_actions::{get_allow_list, GrantImpersonator, RemoveImpersonator};
use crate::components::{
    action_error, role_label, when_loaded, DataTable, ErrorNote, SubmitButton,
};
use crate::model::{format_utc, AllowList};
use leptos::prelude::*;
use leptos_meta::Title;

/// `/admin/impersonators`, for owners: who holds the right to impersonate, who gave it and
/// when, how it was used; `Grant` and `Remove`. Removing it ends the holder's live session.
#[component]
pub fn AdminImpersonatorsPage() -> impl IntoView {
    let grant = ServerAction::<GrantImpersonator>::new();
    let remove = ServerAction::<RemoveImpersonator>::new();
    let list = Resource::new(
        move || (grant.version().get(), remove.version().get()),
        |_| get_allow_list(),
    );
    view! {
        <Title text="Impersonators · Actas"/>
        <section class="card wide" aria-labelledby="impersonators-heading">
            <h1 id="impersonators-heading">"Impersonators"</h1>
            <p class="muted">
                "Only the accounts listed here may impersonate members. Removing an account ends its live session at once."
            </p>
            {when_loaded(list, move |list| view! { <AllowListTable list grant remove/> })}
        </section>
    }
}

#[component]
fn AllowListTable(
    list: AllowList,
    grant: ServerAction<GrantImpersonator>,
    remove: ServerAction<RemoveImpersonator>,
) -> impl IntoView {
    let rows = list
        .holders
        .into_iter()
        .map(|entry| {
            let label = format!("Remove {}", entry.user.name);
            view! {
                <tr>
                    <td>{entry.user.name.clone()}</td>
                    <td class="wrap">{entry.user.email.clone()}</td>
                    <td>{role_label(entry.user.role)}</td>
                    <td>{entry.granted_by.unwrap_or_else(|| "—".into())}</td>
                    <td class="when">{format_utc(entry.granted_at)}</td>
                    <td class="when">{entry.last_used.map(format_utc).unwrap_or_else(|| "Never".into())}</td>
                    <td>{entry.sessions}</td>
                    <td>
                        <ActionForm action=remove attr:class="inline">
                            <input type="hidden" name="user_id" value=entry.user.id.to_string()/>
                            <SubmitButton label="Remove" class="danger" pending=remove.pending() aria_label=label/>
                        </ActionForm>
                    </td>
                </tr>
            }
        })
        .collect_view();
    let candidates = list
        .candidates
        .into_iter()
        .map(|user| view! { <option value=user.id.to_string()>{format!("{} ({})", user.name, user.email)}</option> })
        .collect_view();
    view! {
        <DataTable headers=vec!["Name", "Email", "Role", "Granted by", "Granted", "Last used", "Sessions", "Actions"]>
            <tbody>{rows}</tbody>
        </DataTable>
        <ErrorNote message=Signal::derive(action_error(remove))/>
        <ActionForm action=grant attr:class="inline grant">
            <label for="grant-user">"Staff account"</label>
            <select id="grant-user" name="user_id" required>
                <option value="">"Choose an admin or owner"</option>
                {candidates}
            </select>
            <SubmitButton label="Grant" pending=grant.pending()/>
        </ActionForm>
        <ErrorNote message=Signal::derive(action_error(grant))/>
    }
}
