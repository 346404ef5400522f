//! A form that sends to a server function: a plain post without JavaScript (the server sends
//! the browser back to the page with the outcome); inside an island, sent through its
//! `ServerAction` without leaving the page, once at a time.

use leptos::form::FromFormData;
use leptos::prelude::*;
use leptos::server_fn::codec::PostUrl;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use leptos::server_fn::{Http, ServerFn};
use serde::de::DeserializeOwned;

/// That the form around is being sent: its submit button says so (`SubmitButton`,
/// `AskFirst`).
#[derive(Clone, Copy)]
pub struct Sending(pub Signal<bool>);

impl Sending {
    /// `aria-busy` (and `aria-disabled`) for a submit button: `None` outside a `SendForm`.
    pub fn of_button() -> impl Fn() -> Option<String> + Send + Sync + Copy + 'static {
        let sending = use_context::<Sending>().map(|Sending(sending)| sending);
        move || sending.map(|sending| sending.get().to_string())
    }
}

/// Leptos' `ActionForm`, and what it leaves out: a second press while the first send is under
/// way, or once the answer is taking the page elsewhere, sends nothing (a double click is one
/// send), and the form's buttons say it is being sent. What the server answered is the
/// action's `value`.
#[component]
pub fn SendForm<S, Output>(action: ServerAction<S>, children: Children) -> impl IntoView
where
    S: DeserializeOwned
        + ServerFn<Protocol = Http<PostUrl, Output>>
        + Clone
        + Send
        + Sync
        + 'static,
    S::Output: Send + Sync + 'static,
    S::Error: FromServerFnError + Send + Sync + 'static,
{
    let pending = action.pending();
    provide_context(Sending(pending.into()));
    let on_submit = move |event: leptos::ev::SubmitEvent| {
        if event.default_prevented() {
            return;
        }
        event.prevent_default();
        if pending.get_untracked() || crate::live::leaving() {
            return;
        }
        match S::from_event(&event) {
            Ok(input) => {
                action.dispatch(input);
            }
            Err(error) => action.value().set(Some(Err(S::Error::from_server_fn_error(
                ServerFnErrorErr::Serialization(error.to_string()),
            )))),
        }
    };
    view! {
        <form method="post" action=S::url() on:submit=on_submit>
            {children()}
        </form>
    }
}
