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
    // Whom the change being sent concerns; once it is done, the words above the list.
    let concerned = RwSignal::new(None::<String>);
    let notice = RwSignal::new(None::<String>);
    say_when_done(grant, concerned, notice, "can now impersonate members.");
    say_when_done(
        remove,
        concerned,
        notice,
        "can no longer impersonate members.",
    );
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

/// Once `action` succeeds (each time), says `what` of the person it concerned.
fn say_when_done<S>(
    action: ServerAction<S>,
    concerned: RwSignal<Option<String>>,
    notice: RwSignal<Option<String>>,
    what: &'static str,
) where
    S: leptos::server_fn::ServerFn + Clone + Send + Sync + 'static,
    S::Output: Clone + Send + Sync + 'static,
    S::Error: Clone + Send + Sync + 'static,
{
    Effect::new(move |seen: Option<usize>| {
        let version = action.version().get();
        let succeeded = matches!(action.value().get_untracked(), Some(Ok(_)));
        if seen.is_some_and(|seen| seen != version) && succeeded {
            let name = concerned.get_untracked().unwrap_or_default();
            notice.set(Some(format!("{name} {what}")));
        }
        version
    });
}

#[component]
fn AllowListTable(
    list: AllowList,
    grant: ServerAction<GrantImpersonator>,
    remove: ServerAction<RemoveImpersonator>,
    concerned: RwSignal<Option<String>>,
) -> impl IntoView {
    // The account chosen for `Grant`, by name, as it is sent.
    let names: Vec<(i64, String)> = list
        .candidates
        .iter()
        .map(|user| (user.id, user.name.clone()))
        .collect();
    Effect::new(move |_| {
        if let Some(sent) = grant.input().get() {
            let name = names.iter().find(|(id, _)| *id == sent.user_id);
            concerned.set(name.map(|(_, name)| name.clone()));
        }
    });
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
