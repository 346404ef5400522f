use crate::components::{action_error, ErrorNote, SubmitButton};
use crate::use_session;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

/// `/sign-in`: email and password.
#[component]
pub fn SignInPage() -> impl IntoView {
    let sign_in = use_session().sign_in;
    let pending = sign_in.pending();
    let query = use_query_map();
    let next = move || query.read().get("next").unwrap_or_default();
    let error = action_error(sign_in);

    view! {
        <Title text="Sign in · Actas"/>
        <section class="card narrow" aria-labelledby="sign-in-heading">
            <h1 id="sign-in-heading">"Sign in"</h1>
            <ActionForm action=sign_in attr:class="stack">
                <input type="hidden" name="next" value=next prop:value=next/>
                <label for="email">"Email"</label>
                <input id="email" name="email" type="email" autocomplete="username" required/>
                <label for="password">"Password"</label>
                <input id="password" name="password" type="password" autocomplete="current-password" required/>
                <ErrorNote message=Signal::derive(error)/>
                <SubmitButton label="Sign in" pending/>
            </ActionForm>
        </section>
    }
}
