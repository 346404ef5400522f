//! The people controls of `/admin/users` (SPEC.md §1): `Add user` for owners, and the
//! dialogs behind a row's menu. Each asks first and says what will happen; the server
//! decides again whatever the page shows.

use crate::api::people_admin::{
    AddUser, ChangeRole, DeleteUser, ReinstateUser, ResetPassword, SignOutEverywhere, SuspendUser,
};
use crate::components::{
    action_error, field_error, field_ties, role_label, CloseDialogButton, Dialog, DialogButtons,
    ErrorNote,
};
use crate::model::{format_utc, IssuedLink, Role, UserRow};
use leptos::prelude::*;

/// Every change a page of people can ask for; the list reloads after any of them.
#[derive(Clone, Copy)]
pub struct PeopleActions {
    pub add: ServerAction<AddUser>,
    pub change_role: ServerAction<ChangeRole>,
    pub suspend: ServerAction<SuspendUser>,
    pub reinstate: ServerAction<ReinstateUser>,
    pub delete: ServerAction<DeleteUser>,
    pub reset: ServerAction<ResetPassword>,
    pub sign_out: ServerAction<SignOutEverywhere>,
}

impl PeopleActions {
    pub fn new() -> Self {
        PeopleActions {
            add: ServerAction::new(),
            change_role: ServerAction::new(),
            suspend: ServerAction::new(),
            reinstate: ServerAction::new(),
            delete: ServerAction::new(),
            reset: ServerAction::new(),
            sign_out: ServerAction::new(),
        }
    }

    /// Changes whenever any of the actions completes.
    pub fn version(&self) -> usize {
        self.add.version().get()
            + self.change_role.version().get()
            + self.suspend.version().get()
            + self.reinstate.version().get()
            + self.delete.version().get()
            + self.reset.version().get()
            + self.sign_out.version().get()
    }
}

impl Default for PeopleActions {
    fn default() -> Self {
        Self::new()
    }
}

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
}

/// The row a dialog is open for, and which.
pub type OpenDialog = RwSignal<Option<(UserRow, RowAction)>>;

/// Once `action` succeeds (after this dialog opened): closes the dialog and says so on the
/// page, in `words`.
fn close_on_success<S>(
    action: ServerAction<S>,
    close: Callback<()>,
    notice: RwSignal<Option<String>>,
    words: String,
) where
    S: leptos::server_fn::ServerFn + Clone + Send + Sync + 'static,
    S::Output: Clone + Send + Sync + 'static,
    S::Error: Clone + Send + Sync + 'static,
{
    let succeeded = success_since_now(action);
    Effect::new(move |_| {
        if succeeded().is_some() {
            notice.set(Some(words.clone()));
            close.run(());
        }
    });
}

/// What `action` answered, once it has succeeded after this moment (a dialog's opening): an
/// answer from before, for another row, is not this dialog's.
fn success_since_now<S>(action: ServerAction<S>) -> impl Fn() -> Option<S::Output> + Copy
where
    S: leptos::server_fn::ServerFn + Clone + Send + Sync + 'static,
    S::Output: Clone + Send + Sync + 'static,
    S::Error: Clone + Send + Sync + 'static,
{
    let opened_at = action.version().get_untracked();
    move || {
        (action.version().get() > opened_at)
            .then(|| action.value().get().and_then(Result::ok))
            .flatten()
    }
}

/// The dialog for a row's people action (everything but `Impersonate user`).
#[component]
pub fn PeopleDialog(
    row: UserRow,
    action: RowAction,
    open: OpenDialog,
    people: PeopleActions,
    notice: RwSignal<Option<String>>,
) -> impl IntoView {
    let on_close = Callback::new(move |_| open.set(None));
    let who = format!("{} ({})", row.user.name, row.user.email);
    let name = row.user.name.clone();
    let user_id = row.user.id;
    let opener = row_menu_id(user_id);
    match action {
        RowAction::ChangeRole => {
            close_on_success(
                people.change_role,
                on_close,
                notice,
                format!("{name} has a new role."),
            );
            let current = row.user.role;
            let message = format!(
                "Give {who} another role. Any impersonation session they are part of ends at once; leaving admin or owner takes away the right to impersonate."
            );
            view! {
                <Dialog id="change-role" title="Change role" message on_close opener=opener.clone()>
                    <ActionForm action=people.change_role attr:class="stack">
                        <input type="hidden" name="user_id" value=user_id.to_string()/>
                        <label for="change-role-select">"New role"</label>
                        <select id="change-role-select" name="role">
                            {Role::ALL
                                .into_iter()
                                .filter(|role| *role != current)
                                .map(|role| view! { <option value=role.as_str()>{role_label(role)}</option> })
                                .collect_view()}
                        </select>
                        <ErrorNote message=Signal::derive(action_error(people.change_role))/>
                        <DialogButtons label="Change role" pending=people.change_role.pending()/>
                    </ActionForm>
                </Dialog>
            }
            .into_any()
        }
        RowAction::Suspend => {
            close_on_success(
                people.suspend,
                on_close,
                notice,
                format!("{name} is suspended."),
            );
            let message = format!(
                "Suspend {who}? They are signed out at once and can no longer sign in; any impersonation session they are part of ends."
            );
            view! {
                <Dialog id="suspend" title="Suspend user" message on_close opener=opener.clone()>
                    <ActionForm action=people.suspend attr:class="stack">
                        <input type="hidden" name="user_id" value=user_id.to_string()/>
                        <ErrorNote message=Signal::derive(action_error(people.suspend))/>
                        <DialogButtons label="Suspend" class="danger" pending=people.suspend.pending()/>
                    </ActionForm>
                </Dialog>
            }
            .into_any()
        }
        RowAction::Reinstate => {
            close_on_success(
                people.reinstate,
                on_close,
                notice,
                format!("{name} is reinstated."),
            );
            let message = format!("Reinstate {who}? They can sign in again.");
            view! {
                <Dialog id="reinstate" title="Reinstate user" message on_close opener=opener.clone()>
                    <ActionForm action=people.reinstate attr:class="stack">
                        <input type="hidden" name="user_id" value=user_id.to_string()/>
                        <ErrorNote message=Signal::derive(action_error(people.reinstate))/>
                        <DialogButtons label="Reinstate" pending=people.reinstate.pending()/>
                    </ActionForm>
                </Dialog>
            }
            .into_any()
        }
        RowAction::Delete => {
            close_on_success(
                people.delete,
                on_close,
                notice,
                format!("The account of {name} is deleted."),
            );
            let message = format!(
                "Delete {who}? The account can never sign in again and every sign-in and session of it ends. Its audit trail is kept."
            );
            view! {
                <Dialog id="delete" title="Delete account" message on_close opener=opener.clone()>
                    <ActionForm action=people.delete attr:class="stack">
                        <input type="hidden" name="user_id" value=user_id.to_string()/>
                        <ErrorNote message=Signal::derive(action_error(people.delete))/>
                        <DialogButtons label="Delete account" class="danger" pending=people.delete.pending()/>
                    </ActionForm>
                </Dialog>
            }
            .into_any()
        }
        RowAction::SignOutEverywhere => {
            close_on_success(
                people.sign_out,
                on_close,
                notice,
                format!("{name} is signed out everywhere."),
            );
            let message = format!(
                "Sign {who} out everywhere? Every browser they are signed in on is signed out."
            );
            view! {
                <Dialog id="sign-out-everywhere" title="Sign out everywhere" message on_close opener=opener.clone()>
                    <ActionForm action=people.sign_out attr:class="stack">
                        <input type="hidden" name="user_id" value=user_id.to_string()/>
                        <ErrorNote message=Signal::derive(action_error(people.sign_out))/>
                        <DialogButtons label="Sign out everywhere" class="danger" pending=people.sign_out.pending()/>
                    </ActionForm>
                </Dialog>
            }
            .into_any()
        }
        RowAction::ResetPassword => {
            // The link is shown in the dialog, once: it stays open until closed.
            let issued = success_since_now(people.reset);
            let message = format!(
                "Reset the password of {who}? Their password stops working, they are signed out everywhere, and you get a one-time Set password link for them, valid 24 hours."
            );
            view! {
                <Dialog id="reset-password" title="Reset password" message on_close opener=opener.clone()>
                    <Show
                        when=move || issued().is_some()
                        fallback=move || view! {
                            <ActionForm action=people.reset attr:class="stack">
                                <input type="hidden" name="user_id" value=user_id.to_string()/>
                                <ErrorNote message=Signal::derive(action_error(people.reset))/>
                                <DialogButtons label="Reset password" class="danger" pending=people.reset.pending()/>
                            </ActionForm>
                        }
                    >
                        {move || issued().map(|link| view! { <LinkShownOnce link/> })}
                        <div class="dialog-buttons">
                            <CloseDialogButton label="Close"/>
                        </div>
                    </Show>
                </Dialog>
            }
            .into_any()
        }
        RowAction::Impersonate | RowAction::RequestAccess => ().into_any(),
    }
}

/// A `Set password` link, shown this once, for the owner to pass on.
#[component]
pub fn LinkShownOnce(link: IssuedLink) -> impl IntoView {
    // The site's own address in front, as the browser knows it; the path alone on the server.
    let path = link.path.clone();
    let full = move || {
        #[cfg(feature = "hydrate")]
        {
            window()
                .location()
                .origin()
                .map(|origin| format!("{origin}{path}"))
                .unwrap_or_else(|_| path.clone())
        }
        #[cfg(not(feature = "hydrate"))]
        {
            path.clone()
        }
    };
    view! {
        <div class="issued-link" role="status">
            <p>
                <strong>"Set password link for "{link.email.clone()}</strong>
                {format!(" (shown once, single use, valid until {}):", format_utc(link.expires_at))}
            </p>
            <label for="set-password-link">"Set password link"</label>
            <input id="set-password-link" type="text" readonly value=full/>
        </div>
    }
}

/// `Add user`, for owners: a dialog with name, email and role; the one-time link is shown
/// in it once the account exists. It needs an interactive page: the link is shown only there.
#[component]
pub fn AddUserButton(adding: RwSignal<bool>) -> impl IntoView {
    view! {
        <p class="page-actions">
            <button type="button" id=ADD_USER_ID on:click=move |_| adding.set(true)>"Add user"</button>
        </p>
        <noscript>
            <p class="muted">"Adding a user needs JavaScript: the Set password link is shown only once, on this page."</p>
        </noscript>
    }
}

const ADD_USER_ID: &str = "add-user-button";

/// The id of a row's `Actions` control, where focus returns when its dialog closes.
pub fn row_menu_id(user_id: i64) -> String {
    format!("actions-{user_id}")
}

/// The dialogs of the people controls. They live outside the list, which reloads after each
/// change: a link shown once must stay on screen until the owner closes it.
#[component]
pub fn PeopleDialogs(
    open: OpenDialog,
    adding: RwSignal<bool>,
    people: PeopleActions,
    notice: RwSignal<Option<String>>,
) -> impl IntoView {
    let stop_adding = Callback::new(move |_| adding.set(false));
    view! {
        {move || adding.get().then(|| view! { <AddUserDialog add=people.add on_close=stop_adding/> })}
        {move || open.get().and_then(|(row, action)| {
            (!matches!(action, RowAction::Impersonate | RowAction::RequestAccess))
                .then(|| view! { <PeopleDialog row action open people notice/> })
        })}
    }
}

#[component]
fn AddUserDialog(add: ServerAction<AddUser>, on_close: Callback<()>) -> impl IntoView {
    let issued = success_since_now(add);
    let name_error = field_error(add, "name");
    let (name_invalid, name_described) = field_ties(name_error, "add-user-name-error");
    let email_error = field_error(add, "email");
    let (email_invalid, email_described) = field_ties(email_error, "add-user-email-error");
    let message = "The new person gets a one-time Set password link, valid 24 hours. No email leaves this machine: pass the link on yourself.".to_string();
    view! {
        <Dialog id="add-user" title="Add user" message on_close opener=ADD_USER_ID>
            <Show
                when=move || issued().is_some()
                fallback=move || view! {
                    <ActionForm action=add attr:class="stack">
                        <label for="add-user-name">"Name"</label>
                        <input
                            id="add-user-name"
                            name="name"
                            required
                            maxlength="100"
                            autocomplete="off"
                            aria-invalid=name_invalid
                            aria-describedby=name_described
                        />
                        <ErrorNote message=name_error id="add-user-name-error"/>
                        <label for="add-user-email">"Email"</label>
                        <input
                            id="add-user-email"
                            name="email"
                            type="email"
                            required
                            autocomplete="off"
                            aria-invalid=email_invalid
                            aria-describedby=email_described
                        />
                        <ErrorNote message=email_error id="add-user-email-error"/>
                        <label for="add-user-role">"Role"</label>
                        <select id="add-user-role" name="role">
                            <option value="member">"Member"</option>
                            <option value="admin">"Admin"</option>
                            <option value="owner">"Owner"</option>
                        </select>
                        <ErrorNote message=Signal::derive(action_error(add))/>
                        <DialogButtons label="Add user" pending=add.pending()/>
                    </ActionForm>
                }
            >
                {move || issued().map(|link| view! { <LinkShownOnce link/> })}
                <div class="dialog-buttons">
                    <CloseDialogButton label="Close"/>
                </div>
            </Show>
        </Dialog>
    }
}
