//! The people controls of `/admin/users` (SPEC.md §1): `Add user` for owners, and the
//! dialogs behind a row's menu. Each asks first and says what will happen; the server
//! decides again whatever the page shows.
//!
//! A row's dialog is asked for in the page's address (`dialog=<RowAction::key>&for=<user
//! id>`): the server renders that dialog, open, for that row. In the browser the row's menu
//! fetches it without leaving the page and shows it modal; without JavaScript the page loads
//! with it. Once its form succeeds, the page comes back without it, and says what was done.

use crate::api::people_admin::{
    AddUser, ChangeRole, DeleteUser, ReinstateUser, ResetPassword, SignOutEverywhere, SuspendUser,
};
use crate::components::{
    action_error, done_to, failure_words, role_label, CloseDialogButton, Dialog, DialogButtons,
    ErrorNote, SubmitButton,
};
use crate::model::{Role, UserRow};
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_router::params::ParamsMap;

/// What a row's menu item opens a dialog for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RowAction {
    Impersonate,
    RequestAccess,
    ChangeRole,
    Suspend,
    Reinstate,
    Delete,
    ResetPassword,
    SignOutEverywhere,
}

impl RowAction {
    const ALL: [RowAction; 8] = [
        RowAction::Impersonate,
        RowAction::RequestAccess,
        RowAction::ChangeRole,
        RowAction::Suspend,
        RowAction::Reinstate,
        RowAction::Delete,
        RowAction::ResetPassword,
        RowAction::SignOutEverywhere,
    ];

    /// The menu item's label (SPEC.md §1's words).
    pub fn label(self) -> &'static str {
        match self {
            RowAction::Impersonate => "Impersonate user",
            RowAction::RequestAccess => "Request access",
            RowAction::ChangeRole => "Change role",
            RowAction::Suspend => "Suspend",
            RowAction::Reinstate => "Reinstate",
            RowAction::Delete => "Delete account",
            RowAction::ResetPassword => "Reset password",
            RowAction::SignOutEverywhere => "Sign out everywhere",
        }
    }

    /// Its name in the page's address (`dialog=`), and its dialog's id.
    pub fn key(self) -> &'static str {
        match self {
            RowAction::Impersonate => "impersonate",
            RowAction::RequestAccess => "request-access",
            RowAction::ChangeRole => "change-role",
            RowAction::Suspend => "suspend",
            RowAction::Reinstate => "reinstate",
            RowAction::Delete => "delete",
            RowAction::ResetPassword => "reset-password",
            RowAction::SignOutEverywhere => "sign-out-everywhere",
        }
    }

    fn from_key(key: &str) -> Option<RowAction> {
        RowAction::ALL
            .into_iter()
            .find(|action| action.key() == key)
    }
}

/// The row dialog the page's address asks for (`dialog=<key>&for=<user id>`).
pub fn asked_dialog(query: &ParamsMap) -> Option<(RowAction, i64)> {
    let action = RowAction::from_key(query.get_str("dialog")?)?;
    Some((action, query.get_str("for")?.parse().ok()?))
}

/// What the people change that led to this page did, in words, if one did (`say_done` gave
/// the user's id; `name_of` finds their name on the page).
pub fn people_change_done(
    query: &Memo<ParamsMap>,
    name_of: impl Fn(i64) -> Option<String>,
) -> Option<String> {
    fn whom<S: ServerFn>(
        query: &Memo<ParamsMap>,
        name_of: &impl Fn(i64) -> Option<String>,
    ) -> Option<String> {
        done_to::<S>(query, name_of).map(|name| name.unwrap_or_else(|| "The user".into()))
    }
    if let Some(name) = whom::<ChangeRole>(query, &name_of) {
        return Some(format!("{name} has a new role."));
    }
    if let Some(name) = whom::<SuspendUser>(query, &name_of) {
        return Some(format!("{name} is suspended."));
    }
    if let Some(name) = whom::<ReinstateUser>(query, &name_of) {
        return Some(format!("{name} is reinstated."));
    }
    if let Some(name) = whom::<DeleteUser>(query, &name_of) {
        return Some(format!("The account of {name} is deleted."));
    }
    whom::<SignOutEverywhere>(query, &name_of)
        .map(|name| format!("{name} is signed out everywhere."))
}

/// The dialog for a row's people action (everything but `Impersonate user` and `Request
/// access`).
#[component]
pub fn PeopleDialog(row: UserRow, action: RowAction) -> impl IntoView {
    let who = format!("{} ({})", row.user.name, row.user.email);
    let user_id = row.user.id.to_string();
    let opener = row_menu_id(row.user.id);
    let id = action.key();
    match action {
        RowAction::ChangeRole => {
            let change = ServerAction::<ChangeRole>::new();
            let current = row.user.role;
            let message = format!(
                "Give {who} another role. Any impersonation session they are part of ends at once; leaving admin or owner takes away the right to impersonate."
            );
            view! {
                <Dialog id title="Change role" message opener shown=true>
                    <ActionForm action=change attr:class="stack">
                        <input type="hidden" name="user_id" value=user_id/>
                        <label for="change-role-select">"New role"</label>
                        <select id="change-role-select" name="role">
                            {Role::ALL
                                .into_iter()
                                .filter(|role| *role != current)
                                .map(|role| view! { <option value=role.as_str()>{role_label(role)}</option> })
                                .collect_view()}
                        </select>
                        <ErrorNote message=action_error(change)/>
                        <DialogButtons label="Change role"/>
                    </ActionForm>
                </Dialog>
            }
            .into_any()
        }
        RowAction::Suspend => {
            let message = format!(
                "Suspend {who}? They are signed out at once and can no longer sign in; any impersonation session they are part of ends."
            );
            view! {
                <Dialog id title="Suspend user" message opener shown=true>
                    <OneUserForm<SuspendUser> user_id label="Suspend" class="danger"/>
                </Dialog>
            }
            .into_any()
        }
        RowAction::Reinstate => {
            let message = format!("Reinstate {who}? They can sign in again.");
            view! {
                <Dialog id title="Reinstate user" message opener shown=true>
                    <OneUserForm<ReinstateUser> user_id label="Reinstate"/>
                </Dialog>
            }
            .into_any()
        }
        RowAction::Delete => {
            let message = format!(
                "Delete {who}? The account can never sign in again and every sign-in and session of it ends. Its audit trail is kept."
            );
            view! {
                <Dialog id title="Delete account" message opener shown=true>
                    <OneUserForm<DeleteUser> user_id label="Delete account" class="danger"/>
                </Dialog>
            }
            .into_any()
        }
        RowAction::SignOutEverywhere => {
            let message = format!(
                "Sign {who} out everywhere? Every browser they are signed in on is signed out."
            );
            view! {
                <Dialog id title="Sign out everywhere" message opener shown=true>
                    <OneUserForm<SignOutEverywhere>
                        user_id
                        label="Sign out everywhere"
                        class="danger"
                    />
                </Dialog>
            }
            .into_any()
        }
        RowAction::ResetPassword => {
            let reset = ServerAction::<ResetPassword>::new();
            let message = format!(
                "Reset the password of {who}? Their password stops working, they are signed out everywhere, and you get a one-time Set password link for them, valid 24 hours."
            );
            // The link is shown in the dialog, once: it stays open until closed.
            view! {
                <Dialog id title="Reset password" message opener shown=true>
                    <ActionForm action=reset attr:class="stack" attr:data-in-place=RESET_LINK attr:data-once="">
                        <input type="hidden" name="user_id" value=user_id/>
                        <p class="error" role="alert" data-error="" hidden></p>
                        // The link is in the answer to this post, which a plain post throws
                        // away after resetting: the button waits for the browser's client.
                        <div class="dialog-buttons">
                            <CloseDialogButton label="Cancel"/>
                            <SubmitButton
                                label="Reset password"
                                class="danger"
                                disabled_by=Some(RESET_NEEDS_SCRIPT.to_string())
                                attr:data-needs-script=""
                            />
                        </div>
                        <noscript>
                            <p class="muted" id=RESET_NEEDS_SCRIPT>"Resetting a password needs JavaScript: the Set password link is shown only once, here."</p>
                        </noscript>
                    </ActionForm>
                    <LinkShownOnce id=RESET_LINK/>
                </Dialog>
            }
            .into_any()
        }
        RowAction::Impersonate | RowAction::RequestAccess => ().into_any(),
    }
}

/// A dialog's form that sends only the user's id, to the server function `S`.
#[component]
fn OneUserForm<S: ServerFn>(
    #[prop(optional)] _action: std::marker::PhantomData<S>,
    user_id: String,
    label: &'static str,
    #[prop(optional)] class: &'static str,
) -> impl IntoView {
    let error = failure_words::<S>();
    view! {
        <form method="post" action=S::PATH class="stack">
            <input type="hidden" name="user_id" value=user_id/>
            <ErrorNote message=error/>
            <DialogButtons label class/>
        </form>
    }
}

/// Where an issued `Set password` link is shown: after `Reset password`, after `Add user`.
const RESET_LINK: &str = "reset-link";
const RESET_NEEDS_SCRIPT: &str = "reset-needs-script";
const ADDED_LINK: &str = "added-link";

/// A `Set password` link, shown this once, for the owner to pass on: its parts are written in
/// by the browser from the answer to the form before it (`data-in-place`), the site's own
/// address in front of the path.
#[component]
fn LinkShownOnce(id: &'static str) -> impl IntoView {
    let field = format!("{id}-url");
    view! {
        <template id=id>
        <div class="issued-link" role="status" tabindex="-1">
            <p>
                <strong>"Set password link for " <span data-field="email"></span></strong>
                " (shown once, single use, valid until " <span data-field="until"></span> "):"
            </p>
            <label for=field.clone()>"Set password link"</label>
            <input id=field type="text" readonly data-field="path" data-origin-first=""/>
            <div class="dialog-buttons">
                <CloseDialogButton label="Close"/>
            </div>
        </div>
        </template>
    }
}

/// `Add user`, for owners: a dialog with name, email and role; the one-time link is shown
/// in it once the account exists. It needs JavaScript: the link is shown only in the answer.
#[component]
pub fn AddUserButton() -> impl IntoView {
    view! {
        <p class="page-actions">
            <button type="button" id=ADD_USER_ID data-opens=ADD_USER disabled data-needs-script="">"Add user"</button>
        </p>
        <noscript>
            <p class="muted">"Adding a user needs JavaScript: the Set password link is shown only once, on this page."</p>
        </noscript>
        <AddUserDialog/>
    }
}

const ADD_USER: &str = "add-user";
const ADD_USER_ID: &str = "add-user-button";

/// The id of a row's `Actions` control, where focus returns when its dialog closes.
pub fn row_menu_id(user_id: i64) -> String {
    format!("actions-{user_id}")
}

#[component]
fn AddUserDialog() -> impl IntoView {
    let add = ServerAction::<AddUser>::new();
    let message = "The new person gets a one-time Set password link, valid 24 hours. No email leaves this machine: pass the link on yourself.".to_string();
    // Once added, the list behind shows the new account.
    view! {
        <Dialog id=ADD_USER title="Add user" message opener=ADD_USER_ID>
            <ActionForm
                action=add
                attr:class="stack"
                attr:data-in-place=ADDED_LINK
                attr:data-once=""
                attr:data-refreshes=super::admin_users::USER_LIST
            >
                <label for="add-user-name">"Name"</label>
                <input id="add-user-name" name="name" required maxlength="100" autocomplete="off" aria-describedby="add-user-name-error"/>
                <p class="error" role="alert" id="add-user-name-error" data-error="name" hidden></p>
                <label for="add-user-email">"Email"</label>
                <input id="add-user-email" name="email" type="email" required autocomplete="off" aria-describedby="add-user-email-error"/>
                <p class="error" role="alert" id="add-user-email-error" data-error="email" hidden></p>
                <label for="add-user-role">"Role"</label>
                <select id="add-user-role" name="role">
                    <option value="member">"Member"</option>
                    <option value="admin">"Admin"</option>
                    <option value="owner">"Owner"</option>
                </select>
                <p class="error" role="alert" data-error="" hidden></p>
                <div class="dialog-buttons">
                    <CloseDialogButton label="Cancel"/>
                    <SubmitButton label="Add user"/>
                </div>
            </ActionForm>
            <LinkShownOnce id=ADDED_LINK/>
        </Dialog>
    }
}
