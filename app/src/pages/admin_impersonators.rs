use crate::api::owner_actions::{get_allow_list, GrantImpersonator, RemoveImpersonator};
use crate::components::{
    action_error, role_label, when_loaded, AskFirst, DataTable, ErrorNote, StatusNote, SubmitButton,
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
    // Whom the change being sent concerns, and what the last one did, said above the list.
    let concerned = RwSignal::new(None::<String>);
    let notice = RwSignal::new(None::<String>);
    Effect::new(move |_| {
        let (granted, removed) = (grant.value().get(), remove.value().get());
        let name = concerned.get_untracked().unwrap_or_default();
        if let Some(Ok(())) = removed.filter(|_| remove.version().get() > 0) {
            notice.set(Some(format!("{name} can no longer impersonate members.")));
        }
        if let Some(Ok(())) = granted.filter(|_| grant.version().get() > 0) {
            notice.set(Some(format!("{name} can now impersonate members.")));
        }
    });
    view! {
        <Title text="Impersonators · Actas"/>
        <section class="card wide" aria-labelledby="impersonators-heading">
            <h1 id="impersonators-heading">"Impersonators"</h1>
            <p class="muted">
                "Only the accounts listed here may impersonate members. Removing an account ends its live session at once."
            </p>
            <StatusNote message=notice/>
            {when_loaded(list, move |list| view! { <AllowListTable list grant remove concerned/> })}
        </section>
    }
}

#[component]
fn AllowListTable(
    list: AllowList,
    grant: ServerAction<GrantImpersonator>,
    remove: ServerAction<RemoveImpersonator>,
    concerned: RwSignal<Option<String>>,
) -> impl IntoView {
    // The account chosen for `Grant`, by name, as it is sent.
    let names: Vec<(String, String)> = list
        .candidates
        .iter()
        .map(|user| (user.id.to_string(), user.name.clone()))
        .collect();
    let on_grant = move |event: leptos::ev::SubmitEvent| {
        let chosen = event
            .target()
            .and_then(|form| {
                use leptos::wasm_bindgen::JsCast;
                form.dyn_into::<leptos::web_sys::HtmlFormElement>().ok()
            })
            .and_then(|form| form.query_selector("select").ok().flatten())
            .and_then(|select| {
                use leptos::wasm_bindgen::JsCast;
                select.dyn_into::<leptos::web_sys::HtmlSelectElement>().ok()
            })
            .map(|select| select.value());
        let name = names
            .iter()
            .find(|(id, _)| Some(id) == chosen.as_ref())
            .map(|(_, name)| name.clone());
        concerned.set(name);
    };
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
            let name = entry.user.name.clone();
            let on_confirm = Callback::new(move |_| concerned.set(Some(name.clone())));
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
                            <AskFirst id label="Remove" pending=remove.pending() aria_label=label question on_confirm/>
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
        <ActionForm action=grant attr:class="inline grant" on:submit=on_grant>
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
