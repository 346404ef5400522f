use crate::api::owner_actions::{get_allow_list, GrantImpersonator, RemoveImpersonator};
use crate::components::{
    action_error, done_to, role_label, when_loaded, AskFirst, DataTable, ErrorNote, StatusNote,
    SubmitButton,
};
use crate::model::{format_utc, AllowList};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

/// `/admin/impersonators`, for owners: who holds the right to impersonate, who gave it and
/// when, how it was used; `Grant` and `Remove`. Removing it ends the holder's live session.
#[component]
pub fn AdminImpersonatorsPage() -> impl IntoView {
    let grant = ServerAction::<GrantImpersonator>::new();
    let remove = ServerAction::<RemoveImpersonator>::new();
    let list = Resource::new(|| (), |_| get_allow_list());
    let query = use_query_map();
    view! {
        <Title text="Impersonators · Actas"/>
        <section class="card wide" aria-labelledby="impersonators-heading">
            <h1 id="impersonators-heading">"Impersonators"</h1>
            <p class="muted">
                "Only the accounts listed here may impersonate members. Removing an account ends its live session at once."
            </p>
            {when_loaded(list, move |list| {
                // The change that led here, said of the person it concerned.
                let name_of = |id: i64| {
                    let holders = list.holders.iter().map(|entry| &entry.user);
                    let user = holders.chain(&list.candidates).find(|user| user.id == id)?;
                    Some(user.name.clone())
                };
                let done = done_to::<GrantImpersonator>(&query, name_of)
                    .flatten()
                    .map(|name| format!("{name} can now impersonate members."))
                    .or_else(|| {
                        done_to::<RemoveImpersonator>(&query, name_of)
                            .flatten()
                            .map(|name| format!("{name} can no longer impersonate members."))
                    });
                view! {
                    <StatusNote message=done/>
                    <AllowListTable list grant remove/>
                }
            })}
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
            let question = format!(
                "Remove {} from the impersonators? They can no longer impersonate anyone, and a session of theirs open now ends at once.",
                entry.user.name
            );
            let id = format!("remove-{}", entry.user.id);
            view! {
                <tr>
                    <th scope="row">{entry.user.name.clone()}</th>
                    <td class="wrap" data-label="Email">{entry.user.email.clone()}</td>
                    <td data-label="Role">{role_label(entry.user.role)}</td>
                    <td data-label="Granted by">{entry.granted_by.unwrap_or_else(|| "—".into())}</td>
                    <td class="when" data-label="Granted">{format_utc(entry.granted_at)}</td>
                    <td class="when" data-label="Last used">{entry.last_used.map(format_utc).unwrap_or_else(|| "Never".into())}</td>
                    <td data-label="Sessions">{entry.sessions}</td>
                    <td data-label="Actions">
                        <ActionForm action=remove attr:class="inline">
                            <input type="hidden" name="user_id" value=entry.user.id.to_string()/>
                            <AskFirst id label="Remove" aria_label=label question/>
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
        <ErrorNote message=action_error(remove)/>
        <ActionForm action=grant attr:class="inline grant">
            <label for="grant-user">"Staff account"</label>
            <select id="grant-user" name="user_id" required>
                <option value="">"Choose an admin or owner"</option>
                {candidates}
            </select>
            <SubmitButton label="Grant"/>
        </ActionForm>
        <ErrorNote message=action_error(grant)/>
    }
}
