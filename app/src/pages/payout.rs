use crate::api::member_data::{get_payout, UpdatePayout};
use crate::components::{acting_now, action_error, when_loaded, ErrorNote, SubmitButton};
use crate::model::format_utc;
use leptos::prelude::*;
use leptos_meta::Title;

/// `/payout`: where the member's money goes. The IBAN is only ever shown masked.
#[component]
pub fn PayoutPage() -> impl IntoView {
    let update = ServerAction::<UpdatePayout>::new();
    let payout = Resource::new(|| (), |_| get_payout());
    view! {
        <Title text="Payout details · Actas"/>
        <section class="card narrow" aria-labelledby="payout-heading">
            <h1 id="payout-heading">"Payout details"</h1>
            {when_loaded(payout, |payout| match payout {
                Some(payout) => view! {
                    <dl class="facts">
                        <dt>"IBAN"</dt>
                        <dd class="iban">{payout.masked_iban}</dd>
                        <dt>"Last changed"</dt>
                        <dd>{format_utc(payout.updated_at)}</dd>
                    </dl>
                }
                .into_any(),
                None => view! { <p class="muted">"No payout details yet."</p> }.into_any(),
            })}
            // Payout details are the member's alone to change (SPEC.md §3).
            <Show
                when=move || !acting_now()
                fallback=|| view! { <p class="reason">"Changing payout details is not allowed during impersonation."</p> }
            >
                <ActionForm action=update attr:class="stack">
                    <label for="iban">"New IBAN"</label>
                    <input id="iban" name="iban" autocomplete="off" spellcheck="false" required data-private/>
                    <ErrorNote message=action_error(update)/>
                    <SubmitButton label="Save payout details"/>
                </ActionForm>
            </Show>
        </section>
    }
}
