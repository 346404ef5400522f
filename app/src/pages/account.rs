use crate::components::role_label;
use crate::pages::signed_in_only;
use leptos::prelude::*;
use leptos_meta::Title;

/// `/account`: where a member lands after signing in.
#[component]
pub fn AccountPage() -> impl IntoView {
    signed_in_only(|me| {
        view! {
            <Title text="Your account · Actas"/>
            <section class="card" aria-labelledby="account-heading">
                <h1 id="account-heading">"Your account"</h1>
                <dl class="facts">
                    <dt>"Name"</dt>
                    <dd>{me.name}</dd>
                    <dt>"Email"</dt>
                    <dd>{me.email}</dd>
                    <dt>"Role"</dt>
                    <dd>{role_label(me.role)}</dd>
                </dl>
            </section>
        }
    })
}
