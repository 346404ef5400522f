//! `/set-password`: a one-time link's page (SPEC.md §1). The new password twice; a used,
//! expired or forged link says so.

use crate::api::credential_changes::{password_link, SetPassword};
use crate::components::{action_error, ErrorNote, SubmitButton};
use crate::error::AppError;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

#[component]
pub fn SetPasswordPage() -> impl IntoView {
    let query = use_query_map();
    let token = move || query.read().get("token").unwrap_or_default();
    let holder = Resource::new(token, password_link);
    let set = ServerAction::<SetPassword>::new();
    view! {
        <Title text="Set password · Actas"/>
        <section class="card narrow" aria-labelledby="set-password-heading">
            <h1 id="set-password-heading">"Set password"</h1>
            <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match holder.await {
                        Ok(email) => view! {
                            <p>"Choose the password for "<strong>{email}</strong>"."</p>
                            <ActionForm action=set attr:class="stack">
                                <input type="hidden" name="token" value=token/>
                                <label for="set-password-new">"New password"</label>
                                <input id="set-password-new" name="new_password" type="password" autocomplete="new-password" minlength="12" required/>
                                <label for="set-password-repeat">"Repeat new password"</label>
                                <input id="set-password-repeat" name="repeat_password" type="password" autocomplete="new-password" minlength="12" required/>
                                <p class="muted">"At least 12 characters, not your email."</p>
                                <ErrorNote message=action_error(set)/>
                                <SubmitButton label="Set password"/>
                            </ActionForm>
                        }
                        .into_any(),
                        Err(error) => view! { <LinkRefused error/> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}

/// A link that does not work: why, and what to do.
#[component]
fn LinkRefused(error: AppError) -> impl IntoView {
    #[cfg(feature = "ssr")]
    crate::ssr::set_page_status(error.status());
    view! {
        <p class="error" role="alert">{error.to_string()}</p>
        <p><a href="/sign-in">"Go to sign in"</a></p>
    }
}
