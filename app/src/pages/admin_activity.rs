use crate::api::audit_views::activity_log;
use crate::components::{
    describe_detail, describe_event, encode_query_value, when_loaded, DataTable,
};
use crate::model::{format_utc, ActivityFilter, AuditEntry, Page, AUDIT_EVENT_KINDS};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::{Form, A};
use leptos_router::hooks::use_query_map;

/// `/admin/activity`: the global activity log, newest first, filtered by actor, subject,
/// kind and day range; paged by a cursor (the last event shown), so every page is as quick
/// as the first however long the log grows.
#[component]
pub fn AdminActivityPage() -> impl IntoView {
    let query = use_query_map();
    let field = move |name: &str| query.read().get(name).unwrap_or_default();
    let filter = move || ActivityFilter {
        actor: field("actor"),
        subject: field("subject"),
        kind: field("kind"),
        from: field("from"),
        to: field("to"),
    };
    // The server judges the cursor: a link somebody changed gets a message, not the newest page.
    let before = move || query.read().get("before");
    let page = Resource::new(
        move || (filter(), before()),
        |(filter, before)| activity_log(filter, before),
    );
    let kind_options = move || {
        let chosen = field("kind");
        AUDIT_EVENT_KINDS
            .iter()
            .map(|kind| {
                view! { <option value=*kind selected=chosen == *kind>{kind.replace('_', " ")}</option> }
            })
            .collect_view()
    };

    view! {
        <Title text="Activity · Actas"/>
        <section class="card wide" aria-labelledby="activity-heading">
            <h1 id="activity-heading">"Activity"</h1>
            <Form method="GET" action="/admin/activity" attr:class="filters" attr:aria-label="Filter the activity log">
                <label>"Actor" <input name="actor" placeholder="Email or name" value=move || field("actor") prop:value=move || field("actor")/></label>
                <label>"Subject" <input name="subject" placeholder="Email or name" value=move || field("subject") prop:value=move || field("subject")/></label>
                <label>
                    "Kind"
                    <select name="kind">
                        <option value="">"Any kind"</option>
                        {kind_options}
                    </select>
                </label>
                <label>"From (UTC)" <input type="date" name="from" value=move || field("from") prop:value=move || field("from")/></label>
                <label>"To (UTC)" <input type="date" name="to" value=move || field("to") prop:value=move || field("to")/></label>
                <button type="submit">"Filter"</button>
            </Form>
            {move || {
                let filter = filter();
                let export = format!("/admin/activity/export.csv?{}", filter_query(&filter));
                view! { <p class="exports"><a href=export download>"Export CSV"</a></p> }
            }}
            {when_loaded(page, move |page| view! { <ActivityTable page filter=filter() newest=before().is_none()/> })}
        </section>
    }
}

fn filter_query(filter: &ActivityFilter) -> String {
    [
        ("actor", &filter.actor),
        ("subject", &filter.subject),
        ("kind", &filter.kind),
        ("from", &filter.from),
        ("to", &filter.to),
    ]
    .iter()
    .filter(|(_, value)| !value.is_empty())
    .map(|(name, value)| format!("{name}={}", encode_query_value(value)))
    .collect::<Vec<_>>()
    .join("&")
}

/// An event's kind and request as stored: `action · POST /api/rename_project → 200`.
fn raw_fields(event: &AuditEntry) -> String {
    match (&event.method, &event.path, event.status) {
        (Some(_), Some(_), Some(_)) => format!("{} · {}", event.kind, describe_event(event)),
        _ => event.kind.clone(),
    }
}

#[component]
fn ActivityTable(page: Page<AuditEntry>, filter: ActivityFilter, newest: bool) -> impl IntoView {
    let filters = filter_query(&filter);
    let link = move |before: Option<i64>| {
        let mut query = filters.clone();
        if let Some(before) = before {
            if !query.is_empty() {
                query.push('&');
            }
            query.push_str(&format!("before={before}"));
        }
        format!("/admin/activity?{query}")
    };
    if page.items.is_empty() {
        return view! { <p class="muted" role="status">"No events match."</p> }.into_any();
    }
    let rows = page
        .items
        .into_iter()
        .map(|event| {
            view! {
                <tr>
                    <td class="when">{format_utc(event.at_ms)}</td>
                    <td class="wrap" data-label="Event">{event.sentence.clone()}</td>
                    <td class="wrap" data-label="Actor">{event.actor.clone().unwrap_or_else(|| "—".into())}</td>
                    <td class="wrap" data-label="Subject">{event.subject.clone().unwrap_or_else(|| "—".into())}</td>
                    <td class="wrap" data-label="Details">
                        // The raw fields, as recorded: the sentence is only ever a reading of them.
                        <details>
                            <summary>"Details"</summary>
                            <code>{raw_fields(&event)}</code>
                            " "
                            <span class="detail">{describe_detail(&event.detail)}</span>
                        </details>
                    </td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <DataTable headers=vec!["Time", "Event", "Actor", "Subject", "Details"]>
            <tbody>{rows}</tbody>
        </DataTable>
        <nav class="pager" aria-label="Pages">
            {(!newest).then(|| view! { <A href=link(None)>"Newest events"</A> })}
            {page.next.map(|older| view! { <A href=link(Some(older))>"Older events"</A> })}
        </nav>
    }
    .into_any()
}
