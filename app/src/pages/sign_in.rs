use crate::components::{action_error, ErrorNote, SubmitButton};
use crate::use_session;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

/// `/sign-in`: email and password.
#[component]
pub fn SignInPage() -> impl IntoView {
    let sign_in = use_session().sign_in;
    let query = use_query_map();
    let next = move || query.read().get("next").unwrap_or_default();
    let error = action_error(sign_in);
    // Where the visitor came from, said in a line: a password just set, an account deleted.
    let notice = move || match query.read().get("password").as_deref() {
        Some("set") => Some("Your password is set. Sign in with it."),
        _ => (query.read().get("account").as_deref() == Some("deleted"))
            .then_some("Your account was deleted. You are signed out."),
    };

    view! {
        <Title text="Sign in · Actas"/>
        <section class="card narrow" aria-labelledby="sign-in-heading">
            <h1 id="sign-in-heading">"Sign in"</h1>
            {move || notice().map(|notice| view! { <p class="success" role="status">{notice}</p> })}
            <ActionForm action=sign_in attr:class="stack">
                <input type="hidden" name="next" value=next prop:value=next/>
                <label for="email">"Email"</label>
                <input id="email" name="email" type="email" autocomplete="username" required/>
                <label for="password">"Password"</label>
                <input id="password" name="password" type="password" autocomplete="current-password" required/>
                <ErrorNote message=error.clone()/>
                <SubmitButton label="Sign in"/>
            </ActionForm>
        </section>
    }
}
