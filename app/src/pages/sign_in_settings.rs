//! `/settings/sign-in` (SPEC.md §6): a person's own password, email and sign-ins, and a
//! member's `Delete account`. Never while acting as someone else (the server refuses it).

use crate::api::credential_changes::{
    get_sign_in_settings, ChangeEmail, ChangePassword, DeleteMyAccount, SignOutEverywhereElse,
    SignOutSignIn,
};
use crate::components::{
    action_error, said_when_done, succeeded, when_loaded, DataTable, ErrorNote, SubmitButton,
};
use crate::model::{format_utc, SignInEntry, SignInSettings};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

#[component]
pub fn SignInSettingsPage() -> impl IntoView {
    let actions = SettingsActions {
        password: ServerAction::new(),
        email: ServerAction::new(),
        sign_out_one: ServerAction::new(),
        sign_out_others: ServerAction::new(),
        delete: ServerAction::new(),
    };
    let settings = Resource::new(|| (), |_| get_sign_in_settings());
    view! {
        <Title text="Sign-in settings · Actas"/>
        <section class="card wide" aria-labelledby="sign-in-settings-heading">
            <h1 id="sign-in-settings-heading">"Sign-in settings"</h1>
            {when_loaded(settings, move |settings| view! { <Settings settings actions/> })}
        </section>
    }
}

#[derive(Clone, Copy)]
struct SettingsActions {
    password: ServerAction<ChangePassword>,
    email: ServerAction<ChangeEmail>,
    sign_out_one: ServerAction<SignOutSignIn>,
    sign_out_others: ServerAction<SignOutEverywhereElse>,
    delete: ServerAction<DeleteMyAccount>,
}

#[component]
fn Settings(settings: SignInSettings, actions: SettingsActions) -> impl IntoView {
    let SettingsActions {
        password,
        email,
        sign_out_one,
        sign_out_others,
        delete,
    } = actions;
    // What the post that led here did (`change_password` says how many other sign-ins ended).
    let query = use_query_map();
    let password_changed =
        said_when_done::<ChangePassword>(&query).map(|ended| match ended.parse::<u64>() {
            Ok(0) | Err(_) => "Password changed.".to_string(),
            Ok(1) => "Password changed. Your 1 other sign-in was ended.".to_string(),
            Ok(n) => format!("Password changed. Your {n} other sign-ins were ended."),
        });
    let email_changed =
        succeeded::<ChangeEmail>(&query).then(|| format!("Your email is now {}.", settings.email));
    let others = settings
        .sign_ins
        .iter()
        .filter(|entry| !entry.this_browser)
        .count();
    view! {
        <section aria-labelledby="change-password-heading">
            <h2 id="change-password-heading">"Change password"</h2>
            <ActionForm action=password attr:class="stack narrow-form">
                <label for="password-current">"Current password"</label>
                <input id="password-current" name="current_password" type="password" autocomplete="current-password" required/>
                <label for="password-new">"New password"</label>
                <input id="password-new" name="new_password" type="password" autocomplete="new-password" minlength="12" required/>
                <label for="password-repeat">"Repeat new password"</label>
                <input id="password-repeat" name="repeat_password" type="password" autocomplete="new-password" minlength="12" required/>
                <p class="muted">"At least 12 characters, not your email. Every other browser you are signed in on is signed out."</p>
                <ErrorNote message=action_error(password)/>
                {password_changed.map(|done| view! { <p class="success" role="status">{done}</p> })}
                <SubmitButton label="Change password"/>
            </ActionForm>
        </section>
        <section aria-labelledby="change-email-heading">
            <h2 id="change-email-heading">"Change email"</h2>
            <p>"You sign in as "<strong>{settings.email.clone()}</strong>"."</p>
            <ActionForm action=email attr:class="stack narrow-form">
                <label for="email-new">"New email"</label>
                <input id="email-new" name="email" type="email" autocomplete="email" required/>
                <label for="email-current">"Current password"</label>
                <input id="email-current" name="current_password" type="password" autocomplete="current-password" required/>
                <ErrorNote message=action_error(email)/>
                {email_changed.map(|done| view! { <p class="success" role="status">{done}</p> })}
                <SubmitButton label="Change email"/>
            </ActionForm>
        </section>
        <section aria-labelledby="signed-in-heading">
            <h2 id="signed-in-heading">"Where you're signed in"</h2>
            <DataTable headers=vec!["Browser", "Address", "Started", "Last seen", "Actions"]>
                <tbody>
                    {settings
                        .sign_ins
                        .into_iter()
                        .map(|entry| view! { <SignInRow entry sign_out=sign_out_one/> })
                        .collect_view()}
                </tbody>
            </DataTable>
            <ErrorNote message=action_error(sign_out_one)/>
            {(others > 0).then(|| view! {
                <ActionForm action=sign_out_others attr:class="inline">
                    <SubmitButton label="Sign out everywhere else" class="danger"/>
                </ActionForm>
            })}
            <ErrorNote message=action_error(sign_out_others)/>
        </section>
        {settings.may_delete_account.then(|| view! { <DeleteAccount delete/> })}
    }
}

#[component]
fn SignInRow(entry: SignInEntry, sign_out: ServerAction<SignOutSignIn>) -> impl IntoView {
    let label = format!(
        "Sign out {} started {}",
        entry.browser,
        format_utc(entry.started_at)
    );
    view! {
        <tr>
            <th scope="row">{entry.browser.clone()}</th>
            <td data-label="Address">{if entry.address.is_empty() { "unknown".to_string() } else { entry.address.clone() }}</td>
            <td data-label="Started">{format_utc(entry.started_at)}</td>
            <td data-label="Last seen">{format_utc(entry.last_seen_at)}</td>
            <td data-label="Actions">
                {if entry.this_browser {
                    view! { <span class="muted">"This browser"</span> }.into_any()
                } else {
                    view! {
                        <ActionForm action=sign_out attr:class="inline">
                            <input type="hidden" name="handle" value=entry.handle.clone()/>
                            <SubmitButton label="Sign out" class="secondary" aria_label=label/>
                        </ActionForm>
                    }
                        .into_any()
                }}
            </td>
        </tr>
    }
}

/// A member's `Delete account`: the current password and `DELETE` typed.
#[component]
fn DeleteAccount(delete: ServerAction<DeleteMyAccount>) -> impl IntoView {
    view! {
        <section aria-labelledby="delete-account-heading" class="danger-zone">
            <h2 id="delete-account-heading">"Delete account"</h2>
            <p>"Your account can never be used again and you are signed out everywhere. The record of what happened on it is kept."</p>
            <ActionForm action=delete attr:class="stack narrow-form">
                <label for="delete-current">"Current password"</label>
                <input id="delete-current" name="current_password" type="password" autocomplete="current-password" required/>
                <label for="delete-confirmation">"Type DELETE to confirm"</label>
                <input id="delete-confirmation" name="confirmation" autocomplete="off" required/>
                <ErrorNote message=action_error(delete)/>
                <SubmitButton label="Delete account" class="danger"/>
            </ActionForm>
        </section>
    }
}
