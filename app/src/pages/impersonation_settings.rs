use crate::api::audit_views::{session_audit_log, session_history};
use crate::api::consent_settings::{
    consent_status, GenerateSupportCode, GrantConsent, RevokeConsent,
};
use crate::components::{
    acting_now, action_error, describe_detail, describe_event, field_error, field_ties,
    when_loaded, AskFirst, DataTable, EndSessionButton, ErrorNote, OnceSignedIn, Refusal,
    SectionsChoice, SubmitButton,
};
use crate::error::AppError;
use crate::model::NOT_WHILE_ACTING;
use crate::model::{
    format_duration, format_utc, receipt_path, ActiveConsent, LogLine, Page, Scope, SessionEntry,
};
use crate::use_session;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::use_query_map;

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

    // Consent is the member's alone: an administrator acting as them gets the refusal, not
    // forms the server would refuse (SPEC.md §3).
    let refusal = || {
        view! { <Refusal error=AppError::Forbidden(NOT_WHILE_ACTING.into())/> }
    };
    view! {
        <Title text="Impersonation · Actas"/>
        <OnceSignedIn>
        <Show when=move || !acting_now().get() fallback=refusal>
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
        <SessionHistory revoke/>
        </Show>
        </OnceSignedIn>
    }
}

/// SPEC.md §5: every session on the member's account, what was done in it, and the export.
/// Newest first, a page at a time (`?sessions_before=` carries the cursor, so paging works
/// without JavaScript too); the table follows a revocation and support's comings and goings.
#[component]
fn SessionHistory(revoke: ServerAction<RevokeConsent>) -> impl IntoView {
    let query = use_query_map();
    let before = move || query.read().get("sessions_before");
    let sessions = Resource::new(
        move || (revoke.version().get(), before()),
        |(_, before)| session_history(before),
    );
    // Browser only: when support starts or stops acting, as the live channel says.
    let told = use_session().support_told;
    Effect::new(move |seen: Option<Option<Option<String>>>| {
        let now = told.get();
        if seen.is_some_and(|seen| seen != now) {
            sessions.refetch();
        }
        now
    });
    view! {
        <section class="card wide" aria-labelledby="sessions-heading">
            <h2 id="sessions-heading">"Sessions"</h2>
            <p class="exports">
                <a href="/settings/impersonation/audit-log.csv" download>"Export audit log (CSV)"</a>
                <a href="/settings/impersonation/audit-log.json" download>"Export audit log (JSON)"</a>
            </p>
            {when_loaded(sessions, move |page| view! { <SessionTable page newest=before().is_none()/> })}
        </section>
    }
}

#[component]
fn SessionTable(page: Page<SessionEntry>, newest: bool) -> impl IntoView {
    if page.items.is_empty() && newest {
        return view! { <p class="muted">"Nobody has acted on your account yet."</p> }.into_any();
    }
    let rows = page
        .items
        .into_iter()
        .map(|session| view! { <SessionRow session/> })
        .collect_view();
    view! {
        <DataTable headers=vec!["Started", "Ended", "Duration", "Impersonator", "Reason", "Scope", "Status", "Audit log"]>
            {rows}
        </DataTable>
        <nav class="pager" aria-label="Pages of sessions">
            {(!newest).then(|| view! { <A href="/settings/impersonation">"Newest sessions"</A> })}
            {page.next.map(|older| view! {
                <A href=format!("/settings/impersonation?sessions_before={older}")>"Older sessions"</A>
            })}
        </nav>
    }
    .into_any()
}

/// One session, and its audit log once asked for (fetched then, not before).
#[component]
fn SessionRow(session: SessionEntry) -> impl IntoView {
    let open = RwSignal::new(false);
    let id = session.id;
    let ongoing = session.end_reason.is_none();
    let status = session
        .end_reason
        .clone()
        .unwrap_or_else(|| "Ongoing".to_string());
    let log_id = format!("session-log-{id}");
    // Every row's button reads the same; its description names the session it opens.
    let start_id = format!("session-start-{id}");
    view! {
        <tbody>
            <tr>
                <td class="when" id=start_id.clone()>{format_utc(session.started_at)}</td>
                <td class="when" data-label="Ended">{session.ended_at.map(format_utc).unwrap_or_else(|| "—".into())}</td>
                <td data-label="Duration">{format_duration(session.duration_ms)}</td>
                <td data-label="Impersonator">{session.admin_name} <br/> <span class="muted">{session.admin_email}</span></td>
                <td class="wrap" data-label="Reason">{session.reason}</td>
                <td data-label="Scope">{session.scope.label()}</td>
                <td data-label="Status">
                    {status}
                    {ongoing.then(|| view! { <EndSessionButton/> })}
                </td>
                <td>
                    <button
                        type="button"
                        class="secondary"
                        aria-expanded=move || open.get().to_string()
                        aria-controls=log_id.clone()
                        aria-describedby=start_id.clone()
                        on:click=move |_| open.update(|open| *open = !*open)
                    >
                        {move || if open.get() { "Hide audit log" } else { "Show audit log" }}
                    </button>
                    // A receipt is of a finished record: an ongoing session has none yet.
                    {(!ongoing).then(|| view! {
                        <a
                            class="receipt"
                            href=receipt_path(id)
                            download
                            aria-describedby=start_id.clone()
                        >
                            "Download receipt"
                        </a>
                    })}
                </td>
            </tr>
            <tr id=log_id.clone() hidden=move || !open.get()>
                <td colspan="8" class="log">
                    <Show when=move || open.get()>
                        <SessionLog session_id=id/>
                    </Show>
                </td>
            </tr>
        </tbody>
    }
    // A row's view type is deep enough to exhaust the compiler's query depth on wasm.
    .into_any()
}

/// What was done in a session, oldest first, in plain words: a page of events, and `Show
/// more` for the next until every one is listed. The requests a page made by itself are
/// folded under its view, counted; `Details` shows every event of a line as recorded.
/// Rendered in the browser only, once the member opens it.
#[component]
fn SessionLog(session_id: i64) -> impl IntoView {
    let lines = RwSignal::new(Vec::<LogLine>::new());
    let next = RwSignal::new(None::<i64>);
    let load = Action::new_unsync(move |after: &Option<i64>| session_audit_log(session_id, *after));
    load.dispatch(None);
    Effect::new(move |_| {
        if let Some(Ok(page)) = load.value().get() {
            lines.update(|lines| lines.extend(page.items));
            next.set(page.next);
        }
    });
    let error = move || {
        load.value()
            .get()
            .and_then(Result::err)
            .map(|error| error.to_string())
    };
    let loading = load.pending();
    view! {
        <ol class="event-log" aria-label="Audit log of this session" aria-busy=move || loading.get().to_string()>
            <For each=move || lines.get() key=|line| line.events.first().map_or(0, |event| event.seq) let(line)>
                <LogLineItem line/>
            </For>
        </ol>
        <ErrorNote message=Signal::derive(error)/>
        {move || next.get().map(|after| view! {
            <button
                type="button"
                class="secondary"
                disabled=loading
                aria-busy=move || loading.get().to_string()
                on:click=move |_| { load.dispatch(Some(after)); }
            >
                "Show more"
            </button>
        })}
    }
    .into_any()
}

/// One line of a session's log: the sentence (a text node: nothing in it is markup), how many
/// requests are folded under it, and every event as recorded under `Details`.
#[component]
fn LogLineItem(line: LogLine) -> impl IntoView {
    let folded = match line.folded {
        0 => None,
        1 => Some(" · and 1 request the page made by itself".to_string()),
        n => Some(format!(" · and {n} requests the page made by itself")),
    };
    let raw = line
        .events
        .iter()
        .map(|event| {
            let detail = describe_detail(&event.detail);
            view! {
                <li>
                    <code>{describe_event(event)}</code>
                    " "
                    <span class="detail">{detail}</span>
                </li>
            }
        })
        .collect_view();
    view! {
        <li>
            <time>{format_utc(line.at_ms)}</time>
            " "
            <strong>{line.sentence}</strong>
            {folded.map(|words| view! { <span class="muted">{words}</span> })}
            <details>
                <summary>"Details"</summary>
                <ul class="raw-events">{raw}</ul>
            </details>
        </li>
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
                <p>"Sections: " {consent.sections.label()}</p>
                <ActionForm action=revoke>
                    <AskFirst
                        id="revoke-consent"
                        label="Revoke consent"
                        pending
                        question="Revoke consent? Support can no longer act as you, and a session open now ends at once."
                    />
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
    let error = Signal::derive(action_error(grant));
    let hours_error = field_error(grant, "custom_hours");
    let (hours_invalid, hours_described) = field_ties(hours_error, "custom-hours-error");
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
                    <span class="custom-hours">
                        <label for="custom-hours">"Custom hours (1 to 168)"</label>
                        <input
                            id="custom-hours"
                            name="custom_hours"
                            inputmode="numeric"
                            autocomplete="off"
                            aria-invalid=hours_invalid
                            aria-describedby=hours_described
                        />
                    </span>
                </fieldset>
                // Under the duration it concerns: the box is hidden unless `Custom` is chosen.
                <ErrorNote message=hours_error id="custom-hours-error"/>
                <ScopeChoice name="scope"/>
                <SectionsChoice id="consent-sections"/>
                <ErrorNote message=error/>
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
    let needs_script =
        Signal::derive(move || (!interactive.get()).then(|| NEEDS_SCRIPT.to_string()));
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
                <SectionsChoice id="code-sections"/>
                <ErrorNote message=Signal::derive(error)/>
                <SubmitButton label="Generate support code" pending=generate.pending() disabled_by=needs_script/>
                <noscript>
                    <p class="muted" id=NEEDS_SCRIPT>"Generating a support code needs JavaScript."</p>
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

const NEEDS_SCRIPT: &str = "support-code-needs-script";

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
