use crate::api::access_requests::{
    get_inbox, ApproveAccessRequest, DenyAccessRequest, MarkInboxRead,
};
use crate::components::{action_error, field_error, when_loaded, ErrorNote, SubmitButton};
use crate::model::{
    format_duration, format_utc, AccessRequestView, Inbox, InboxNotice, NoticeKind, RequestStatus,
    Scope,
};
use leptos::prelude::*;
use leptos_meta::Title;

/// `/inbox`: the member's notices (SPEC.md §5): access requests to answer, sessions started
/// and ended, consent expired. Only the member themself: an administrator acting as them is
/// refused by the server, and gets that refusal here.
#[component]
pub fn InboxPage() -> impl IntoView {
    let approve = ServerAction::<ApproveAccessRequest>::new();
    let deny = ServerAction::<DenyAccessRequest>::new();
    let mark_read = ServerAction::<MarkInboxRead>::new();
    let inbox = Resource::new(|| (), |_| get_inbox());
    view! {
        <Title text="Inbox · Actas"/>
        <section class="card wide" aria-labelledby="inbox-heading">
            <h1 id="inbox-heading">"Inbox"</h1>
            {when_loaded(inbox, move |inbox: Inbox| {
                let any_unread = inbox.unread > 0;
                // A new notice while the page is open: the live channel says the count changed.
                view! {
                    <div data-live="inbox" data-live-said=inbox.unread.to_string()>
                    {any_unread.then(|| view! {
                        <ActionForm action=mark_read>
                            <SubmitButton label="Mark all read"/>
                        </ActionForm>
                    })}
                    <ErrorNote message=action_error(approve)/>
                    <ErrorNote message=action_error(deny)/>
                    {if inbox.notices.is_empty() {
                        view! { <p class="muted">"Nothing here yet."</p> }.into_any()
                    } else {
                        view! {
                            <ul class="notices">
                                {inbox
                                    .notices
                                    .into_iter()
                                    .map(|notice| view! { <Notice notice approve deny/> })
                                    .collect_view()}
                            </ul>
                        }
                        .into_any()
                    }}
                    </div>
                }
            })}
        </section>
    }
}

#[component]
fn Notice(
    notice: InboxNotice,
    approve: ServerAction<ApproveAccessRequest>,
    deny: ServerAction<DenyAccessRequest>,
) -> impl IntoView {
    let admin = notice.admin.clone().unwrap_or_else(|| "Support".into());
    let headline = match notice.kind {
        NoticeKind::AccessRequested => format!("{admin} asks for access to your account"),
        NoticeKind::SessionStarted => format!("{admin} started acting on your account"),
        NoticeKind::SessionEnded => {
            let why = notice
                .end_reason
                .as_deref()
                .map(|reason| format!(" ({reason})"))
                .unwrap_or_default();
            format!("{admin}'s session on your account ended{why}")
        }
        NoticeKind::ConsentExpired => "Your consent to impersonation expired".to_string(),
    };
    view! {
        <li class="inbox-item" class:unread=notice.unread>
            <p>
                <strong>{headline}</strong>
                " "
                <span class="muted">{format_utc(notice.at_ms)}</span>
                {notice.unread.then(|| view! { " " <span class="badge">"New"</span> })}
            </p>
            {notice.request.map(|request| view! { <RequestDetails request approve deny/> })}
        </li>
    }
}

#[component]
fn RequestDetails(
    request: AccessRequestView,
    approve: ServerAction<ApproveAccessRequest>,
    deny: ServerAction<DenyAccessRequest>,
) -> impl IntoView {
    let pending = request.status == RequestStatus::Pending;
    let approve_id = request.id.to_string();
    let deny_id = approve_id.clone();
    let hours_id = format!("approve-hours-{}", request.id);
    let scope_id = format!("approve-scope-{}", request.id);
    let sections_id = format!("approve-sections-{}", request.id);
    let message_id = format!("deny-message-{}", request.id);
    // Only what was asked, or less.
    let scopes: Vec<Scope> = match request.scope {
        Scope::FullAccess => vec![Scope::FullAccess, Scope::ViewOnly],
        Scope::ViewOnly => vec![Scope::ViewOnly],
    };
    let choices = request.sections.subsets();
    let status = match request.status {
        RequestStatus::Approved => request
            .approved_until
            .map(|until| format!("Approved until {}", format_utc(until)))
            .unwrap_or_else(|| "Approved".into()),
        other => other.label().to_string(),
    };
    let answers = pending.then(move || {
        view! {
            <div class="request-answers">
                <ActionForm action=approve attr:class="stack">
                    <input type="hidden" name="request_id" value=approve_id.clone()/>
                    <label for=hours_id.clone()>"Hours"</label>
                    <input
                        id=hours_id.clone()
                        name="hours"
                        type="number"
                        min="1"
                        max=request.hours.to_string()
                        value=request.hours.to_string()
                        required
                    />
                    <ErrorNote message=field_error(approve, "hours")/>
                    <label for=scope_id.clone()>"Scope"</label>
                    <select id=scope_id.clone() name="scope">
                        {scopes
                            .iter()
                            .map(|scope| view! { <option value=scope.as_str()>{scope.label()}</option> })
                            .collect_view()}
                    </select>
                    <ErrorNote message=field_error(approve, "scope")/>
                    <label for=sections_id.clone()>"Sections"</label>
                    <select id=sections_id.clone() name="sections">
                        {choices
                            .iter()
                            .map(|choice| view! { <option value=choice.as_text()>{choice.label()}</option> })
                            .collect_view()}
                    </select>
                    <ErrorNote message=field_error(approve, "sections")/>
                    <SubmitButton label="Approve"/>
                </ActionForm>
                <ActionForm action=deny attr:class="stack">
                    <input type="hidden" name="request_id" value=deny_id.clone()/>
                    <label for=message_id.clone()>"Message (optional)"</label>
                    <textarea id=message_id.clone() name="message" maxlength="500"></textarea>
                    <ErrorNote message=field_error(deny, "message")/>
                    <SubmitButton label="Deny" class="secondary"/>
                </ActionForm>
            </div>
        }
    });
    view! {
        <dl class="facts">
            <dt>"Who asks"</dt><dd>{format!("{} ({})", request.actor_name, request.actor_email)}</dd>
            <dt>"Reason"</dt><dd>{request.reason.clone()}</dd>
            <dt>"Ticket"</dt><dd>{request.ticket.clone().unwrap_or_else(|| "–".into())}</dd>
            <dt>"Scope"</dt><dd>{request.scope.label()}</dd>
            <dt>"Sections"</dt><dd>{request.sections.label()}</dd>
            <dt>"Duration"</dt><dd>{format_duration(i64::from(request.hours) * 3_600_000)}</dd>
            <dt>"Status"</dt><dd>{status}</dd>
        </dl>
        {answers}
    }
}
