use crate::api::consent::{consent_status, GenerateSupportCode, GrantConsent, RevokeConsent};
use crate::components::{action_error, when_loaded, ErrorNote, SubmitButton};
use crate::model::{format_utc, ActiveConsent, Scope};
use leptos::prelude::*;
use leptos_meta::Title;

/// `/settings/impersonation`: the member decides whether, for how long and how far support
/// may act as them.
#[component]
pub fn ImpersonationSettingsPage() -> impl IntoView {
    let grant = ServerAction::<GrantConsent>::new();
    let revoke = ServerAction::<RevokeConsent>::new();
    let status = Resource::new(
        move || (grant.version().get(), revoke.version().get()),
        |_| consent_status(),
    );

    view! {
        <Title text="Impersonation · Actas"/>
        <section class="card" aria-labelledby="impersonation-heading">
            <h1 id="impersonation-heading">"Impersonation"</h1>
            <p class="muted">
                "Let our support team act as you, to see what you see and fix what is broken. "
                "You choose for how long and whether they may change anything; you can end it at any time."
            </p>
            {when_loaded(status, move |consent| view! { <ConsentStatus consent revoke/> })}
        </section>
        <EnableForm grant/>
        <SupportCodeForm/>
    }
}

#[component]
fn ConsentStatus(
    consent: Option<ActiveConsent>,
    revoke: ServerAction<RevokeConsent>,
) -> impl IntoView {
    let pending = revoke.pending();
    let error = action_error(revoke);
    match consent {
        Some(consent) => view! {
            <div class="status active" role="status" aria-labelledby="consent-status">
                <h2 id="consent-status">"Status: " <strong>"Active"</strong></h2>
                <p>"Expires: " {format_utc(consent.expires_at)}</p>
                <p>"Scope: " {consent.scope.label()}</p>
                <ActionForm action=revoke>
                    <SubmitButton label="Revoke consent" class="danger" pending/>
                </ActionForm>
                <ErrorNote message=Signal::derive(error)/>
            </div>
        }
        .into_any(),
        None => view! {
            <div class="status" role="status" aria-labelledby="consent-status">
                <h2 id="consent-status">"Status: " <strong>"Not active"</strong></h2>
            </div>
        }
        .into_any(),
    }
}

#[component]
fn EnableForm(grant: ServerAction<GrantConsent>) -> impl IntoView {
    let pending = grant.pending();
    let error = action_error(grant);
    view! {
        <section class="card" aria-labelledby="enable-heading">
            <h2 id="enable-heading">"Enable impersonation"</h2>
            <ActionForm action=grant attr:class="stack">
                <fieldset>
                    <legend>"Duration"</legend>
                    <label class="choice"><input type="radio" name="duration" value="1" checked/>"1 hour"</label>
                    <label class="choice"><input type="radio" name="duration" value="24"/>"24 hours"</label>
                    <label class="choice"><input type="radio" name="duration" value="72"/>"72 hours"</label>
                    <label class="choice"><input type="radio" name="duration" value="custom"/>"Custom"</label>
                    <label for="custom-hours">"Custom hours (1 to 168)"</label>
                    <input id="custom-hours" name="custom_hours" inputmode="numeric" autocomplete="off"/>
                </fieldset>
                <ScopeChoice name="scope"/>
                <ErrorNote message=Signal::derive(error)/>
                <SubmitButton label="Enable impersonation" pending/>
            </ActionForm>
        </section>
    }
}

#[component]
fn SupportCodeForm() -> impl IntoView {
    let generate = ServerAction::<GenerateSupportCode>::new();
    // The code comes back in the action's answer, which a plain form post (no JavaScript)
    // would throw away after issuing it: the button waits until the page is interactive.
    let interactive = RwSignal::new(false);
    Effect::new(move |_| interactive.set(true));
    let pending = Signal::derive(move || generate.pending().get() || !interactive.get());
    let error = action_error(generate);
    let issued = move || generate.value().get().and_then(Result::ok);
    view! {
        <section class="card" aria-labelledby="code-heading">
            <h2 id="code-heading">"Support code"</h2>
            <p class="muted">
                "On the phone with support? A code lets them start one session of at most 30 minutes. "
                "It works once, for 10 minutes."
            </p>
            <ActionForm action=generate attr:class="stack">
                <ScopeChoice name="scope"/>
                <ErrorNote message=Signal::derive(error)/>
                <SubmitButton label="Generate support code" pending/>
                <noscript>
                    <p class="muted">"Generating a support code needs JavaScript."</p>
                </noscript>
            </ActionForm>
            {move || issued().map(|issued| view! {
                <div class="issued-code" role="status">
                    <p>"Your support code:"</p>
                    <p class="code" aria-label="Your support code">{issued.code}</p>
                    <p>
                        "Valid until " {format_utc(issued.expires_at)} " for " {issued.scope.label()}
                        ". It is shown only this once: read it to the support agent now."
                    </p>
                </div>
            })}
        </section>
    }
}

/// The two scopes, `View only` chosen unless the member says otherwise.
#[component]
fn ScopeChoice(name: &'static str) -> impl IntoView {
    view! {
        <fieldset>
            <legend>"Scope"</legend>
            {Scope::ALL
                .into_iter()
                .map(|scope| view! {
                    <label class="choice">
                        <input type="radio" name=name value=scope.as_str() checked=scope == Scope::ViewOnly/>
                        {scope.label()}
                    </label>
                })
                .collect_view()}
        </fieldset>
    }
}
