use crate::api::audit_views::{session_audit_log, session_history};
use crate::api::consent_settings::{
    consent_status, GenerateSupportCode, GrantConsent, RevokeConsent,
};
use crate::components::{
    acting_now, describe_detail, describe_event, refusal, refusal_of, when_loaded, AskFirst,
    DataTable, EndSessionButton, ErrorNote, Refusal, SectionsChoice, SendForm, SubmitButton,
};
use crate::error::AppError;
use crate::model::NOT_WHILE_ACTING;
use crate::model::{
    format_duration, format_utc, receipt_path, ActiveConsent, LogLine, Page, Scope, SessionEntry,
};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::use_query_map;

/// `/settings/impersonation`: the member decides whether, for how long and how far support
/// may act as them.
#[component]
pub fn ImpersonationSettingsPage() -> impl IntoView {
    let status = Resource::new(|| (), |_| consent_status());

    // Consent is the member's alone: an administrator acting as them gets the refusal, not
    // forms the server would refuse (SPEC.md §3).
    let refusal = || {
        view! { <Refusal error=AppError::Forbidden(NOT_WHILE_ACTING.into())/> }
    };
    view! {
        <Title text="Impersonation · Actas"/>
        <Show when=move || !acting_now() fallback=refusal>
        {when_loaded(status, move |consent| view! {
            <ConsentSettings
                consent
                grant_refused={refusal_of::<GrantConsent>()}
                revoke_refused={refusal_of::<RevokeConsent>()}
            />
        })}
        <SupportCodeForm/>
        <SessionHistory/>
        </Show>
    }
}

/// The member's consent: its status with `Revoke consent`, and `Enable impersonation`. An
/// island: each is sent in place, and the consent it leaves drawn where the status stands.
/// `*_refused`: what the server refused when a plain post brought the member back here.
#[island]
fn ConsentSettings(
    consent: Option<ActiveConsent>,
    grant_refused: Option<AppError>,
    revoke_refused: Option<AppError>,
) -> impl IntoView {
    let grant = ServerAction::<GrantConsent>::new();
    let revoke = ServerAction::<RevokeConsent>::new();
    let consent = RwSignal::new(consent);
    // A refusal to revoke concerns the consent it was asked of: a consent given since, no more.
    let revoke_refused = RwSignal::new(revoke_refused);
    let heading = NodeRef::<leptos::html::H2>::new();
    Effect::new(move |_| {
        if let Some(Ok(granted)) = grant.value().get() {
            consent.set(Some(granted));
            revoke_refused.set(None);
        }
    });
    Effect::new(move |_| match revoke.value().get() {
        Some(Ok(())) => {
            consent.set(None);
            // `Revoke consent` is gone with the consent: focus goes where the news is.
            if let Some(heading) = heading.get_untracked() {
                let _ = heading.focus();
            }
        }
        Some(Err(error)) => revoke_refused.set(Some(error)),
        None => {}
    });
    let grant_refused = refusal(grant, grant_refused);
    view! {
        <section class="card" aria-labelledby="impersonation-heading">
            <h1 id="impersonation-heading">"Impersonation"</h1>
            <p class="muted">
                "Let our support team act as you, to see what you see and fix what is broken. "
                "You choose for how long and whether they may change anything; you can end it at any time."
            </p>
            // One live region that stays in place, its words changed: a screen reader reads
            // out what changes in it.
            <div
                class="status"
                class:active=move || consent.with(Option::is_some)
                role="status"
                aria-labelledby="consent-status"
            >
                <h2 id="consent-status" tabindex="-1" node_ref=heading>
                    "Status: "
                    <strong>{move || if consent.with(Option::is_some) { "Active" } else { "Not active" }}</strong>
                </h2>
                {move || consent.get().map(|consent| view! { <ConsentFacts consent revoke/> })}
                {move || view! { <ErrorNote message=revoke_refused.get().and_then(|error| error.about_form())/> }}
            </div>
        </section>
        <EnableForm grant refused=grant_refused/>
    }
}

/// SPEC.md §5: every session on the member's account, what was done in it, and the export.
/// Newest first, a page at a time (`?sessions_before=` carries the cursor). The table follows
/// support's comings and goings (the live channel's `support` news, who acts now).
#[component]
fn SessionHistory() -> impl IntoView {
    let query = use_query_map();
    let before = move || query.read().get("sessions_before");
    let sessions = Resource::new(before, session_history);
    let holder = crate::components::viewer().and_then(|me| me.support_acting);
    let said = serde_json::to_string(&holder).unwrap_or_default();
    view! {
        <section class="card wide" aria-labelledby="sessions-heading" data-live="support" data-live-said=said>
            <h2 id="sessions-heading">"Sessions"</h2>
            <p class="exports">
                <a href="/settings/impersonation/audit-log.csv" download>"Export audit log (CSV)"</a>
                <a href="/settings/impersonation/audit-log.json" download>"Export audit log (JSON)"</a>
            </p>
            {when_loaded(sessions, move |page| view! { <SessionTable page newest=before().is_none()/> })}
        </section>
    }
}

/// Which session's audit log the address asks to show (`?log=<session id>`), and how many of
/// its pages (`&log_pages=`, for `Show more`).
#[derive(Clone, Copy, Default)]
struct LogShown {
    session_id: Option<i64>,
    pages: u32,
}

impl LogShown {
    /// At most this many pages are read for one view.
    const MOST_PAGES: u32 = 50;

    fn from_query(query: &leptos_router::params::ParamsMap) -> LogShown {
        LogShown {
            session_id: query.get("log").and_then(|id| id.parse().ok()),
            pages: query
                .get("log_pages")
                .and_then(|pages| pages.parse().ok())
                .unwrap_or(1)
                .clamp(1, Self::MOST_PAGES),
        }
    }
}

#[component]
fn SessionTable(page: Page<SessionEntry>, newest: bool) -> impl IntoView {
    if page.items.is_empty() && newest {
        return view! { <p class="muted">"Nobody has acted on your account yet."</p> }.into_any();
    }
    let query = use_query_map().get_untracked();
    let shown = LogShown::from_query(&query);
    let before = query.get("sessions_before");
    let rows = page
        .items
        .into_iter()
        .map(|session| {
            let pages = (shown.session_id == Some(session.id)).then_some(shown.pages);
            view! { <SessionRow session log_pages=pages before=before.clone()/> }
        })
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

/// One session, and its audit log when the address asks for it (`log_pages` of it). `Show
/// audit log` is a form that asks for this page with the log in it: in the browser only this
/// session's rows are put in place (`data-in-place`).
#[component]
fn SessionRow(
    session: SessionEntry,
    log_pages: Option<u32>,
    before: Option<String>,
) -> impl IntoView {
    let id = session.id;
    let open = log_pages.is_some();
    let ongoing = session.end_reason.is_none();
    let status = session
        .end_reason
        .clone()
        .unwrap_or_else(|| "Ongoing".to_string());
    let rows_id = format!("session-{id}");
    let log_id = format!("session-log-{id}");
    // Every row's button reads the same; its description names the session it opens.
    let start_id = format!("session-start-{id}");
    view! {
        <tbody id=rows_id.clone()>
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
                    <form method="get" action="/settings/impersonation" class="inline" data-in-place=rows_id.clone() data-keeps-address="">
                        {before.clone().map(|before| view! { <input type="hidden" name="sessions_before" value=before/> })}
                        {(!open).then(|| view! { <input type="hidden" name="log" value=id.to_string()/> })}
                        <button
                            type="submit"
                            class="secondary"
                            id=format!("session-log-button-{id}")
                            aria-expanded=open.to_string()
                            aria-controls=log_id.clone()
                            aria-describedby=start_id.clone()
                        >
                            {if open { "Hide audit log" } else { "Show audit log" }}
                        </button>
                    </form>
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
            <tr id=log_id hidden=!open>
                <td colspan="8" class="log">
                    {log_pages.map(|pages| view! { <SessionLog session_id=id pages before rows_id=rows_id.clone()/> })}
                </td>
            </tr>
        </tbody>
    }
    // A row's view type is deep enough to exhaust the compiler's query depth.
    .into_any()
}

/// What was done in a session, oldest first, in plain words: `pages` pages of events, and
/// `Show more` for one more until every one is listed. The requests a page made by itself are
/// folded under its view, counted; `Details` shows every event of a line as recorded.
#[component]
fn SessionLog(
    session_id: i64,
    pages: u32,
    before: Option<String>,
    rows_id: String,
) -> impl IntoView {
    let log = Resource::new(
        || (),
        move |_| async move {
            let mut lines = Vec::<LogLine>::new();
            let mut after = None;
            for _ in 0..pages {
                let page = session_audit_log(session_id, after).await?;
                lines.extend(page.items);
                after = page.next;
                if after.is_none() {
                    break;
                }
            }
            Ok::<_, AppError>(Page {
                items: lines,
                next: after,
            })
        },
    );
    when_loaded(log, move |log| {
        // One view reads at most `MOST_PAGES` pages; past them, the export has every event.
        let at_most = pages >= LogShown::MOST_PAGES;
        let beyond = (log.next.is_some() && at_most).then(|| {
            view! { <p class="muted">"Longer than one view shows: the export above has every event."</p> }
        });
        let more = log.next.filter(|_| !at_most).map(|_| {
            view! {
                <form method="get" action="/settings/impersonation" class="inline" data-in-place=rows_id.clone() data-keeps-address="">
                    {before.clone().map(|before| view! { <input type="hidden" name="sessions_before" value=before/> })}
                    <input type="hidden" name="log" value=session_id.to_string()/>
                    <input type="hidden" name="log_pages" value=(pages + 1).to_string()/>
                    <button type="submit" class="secondary" id=format!("session-log-more-{session_id}")>"Show more"</button>
                </form>
            }
        });
        view! {
            <ol class="event-log" aria-label="Audit log of this session">
                {log.items.into_iter().map(|line| view! { <LogLineItem line/> }).collect_view()}
            </ol>
            {more}
            {beyond}
        }
    })
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

/// What an active consent allows, and `Revoke consent`.
#[component]
fn ConsentFacts(consent: ActiveConsent, revoke: ServerAction<RevokeConsent>) -> impl IntoView {
    view! {
        <p>"Expires: " {format_utc(consent.expires_at)}</p>
        <p>"Scope: " {consent.scope.label()}</p>
        <p>"Sections: " {consent.sections.label()}</p>
        <SendForm action=revoke>
            <AskFirst
                id="revoke-consent"
                label="Revoke consent"
                question="Revoke consent? Support can no longer act as you, and a session open now ends at once."
            />
        </SendForm>
    }
}

#[component]
fn EnableForm(
    grant: ServerAction<GrantConsent>,
    refused: Signal<Option<AppError>>,
) -> impl IntoView {
    let error = move || refused.get().and_then(|error| error.about_form());
    let hours_error = move || {
        refused
            .get()
            .and_then(|error| error.about_field("custom_hours"))
    };
    let hours_invalid = move || hours_error().is_some().to_string();
    let hours_described = move || hours_error().map(|_| "custom-hours-error");
    view! {
        <section class="card" aria-labelledby="enable-heading">
            <h2 id="enable-heading">"Enable impersonation"</h2>
            <SendForm action=grant attr:class="stack">
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
                {move || view! { <ErrorNote message=hours_error() id="custom-hours-error"/> }}
                <ScopeChoice name="scope"/>
                <SectionsChoice id="consent-sections"/>
                {move || view! { <ErrorNote message=error()/> }}
                <SubmitButton label="Enable impersonation"/>
            </SendForm>
        </section>
    }
}

#[component]
fn SupportCodeForm() -> impl IntoView {
    let generate = ServerAction::<GenerateSupportCode>::new();
    view! {
        <section class="card" aria-labelledby="code-heading">
            <h2 id="code-heading">"Support code"</h2>
            <p class="muted">
                "On the phone with support? A code lets them start one session of at most 30 minutes. "
                "It works once, for 10 minutes."
            </p>
            // The code is in the answer to this post, which must never land in an address: the
            // form is sent without leaving the page (`data-in-place`), which needs JavaScript.
            <ActionForm action=generate attr:class="stack" attr:data-in-place="issued-code">
                <ScopeChoice name="scope"/>
                <SectionsChoice id="code-sections"/>
                <p class="error" role="alert" data-error hidden></p>
                <SubmitButton label="Generate support code" disabled_by=Some(NEEDS_SCRIPT.to_string()) attr:data-needs-script=""/>
                <noscript>
                    <p class="muted" id=NEEDS_SCRIPT>"Generating a support code needs JavaScript."</p>
                </noscript>
            </ActionForm>
            <template id="issued-code">
                <div class="issued-code" role="status" tabindex="-1">
                    <p>"Your support code:"</p>
                    <p class="code" aria-label="Your support code" data-field="code"></p>
                    <p>
                        "Valid until " <span data-field="until"></span> " for " <span data-field="scope_label"></span>
                        ". It is shown only this once: read it to the support agent now."
                    </p>
                </div>
            </template>
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
