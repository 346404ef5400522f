//! Downloads of the audit trail: the member's own log (CSV and JSON) and the activity log
//! (CSV). Streamed a batch at a time, so a log of any length costs the same memory.

use app::error::AppError;
use app::model::ActivityFilter;
use app::ssr::activity_filter::event_query;
use app::ssr::audit_export::{csv_line, json_entry, CSV_HEADER};
use app::ssr::authentication::SignedIn;
use app::ssr::receipt;
use app::ssr::store::{EventQuery, Store};
use app::ssr::{as_member, as_staff, in_own_account, now_ms, signed_in_as, AppState};
use axum::body::Body;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Extension, Path, Query, State};
use axum::response::{IntoResponse, Response};
use futures::stream::{self, Stream, StreamExt};
use http::header::{CACHE_CONTROL, CONTENT_DISPOSITION, CONTENT_TYPE};

/// Events read per database round trip.
const BATCH: i64 = 500;

#[derive(Clone, Copy)]
enum Format {
    Csv,
    Json,
}

pub async fn member_csv(
    State(state): State<AppState>,
    person: Option<Extension<SignedIn>>,
) -> Response {
    member_export(state, person, Format::Csv)
}

pub async fn member_json(
    State(state): State<AppState>,
    person: Option<Extension<SignedIn>>,
) -> Response {
    member_export(state, person, Format::Json)
}

/// Every event about the member's own account, oldest first.
fn member_export(state: AppState, person: Option<Extension<SignedIn>>, format: Format) -> Response {
    let member = match signed_in_as(person.as_deref())
        .and_then(in_own_account)
        .and_then(as_member)
    {
        Ok(member) => member,
        Err(error) => return refused(error),
    };
    let store = state.store.clone();
    let member_id = member.user.id;
    let batches = stream::unfold(Some(0i64), move |after| {
        let store = store.clone();
        async move {
            let after = after?;
            match store.events_about(member_id, after, BATCH).await {
                Ok(events) if events.is_empty() => None,
                Ok(events) => {
                    let next = (events.len() as i64 == BATCH).then(|| events[events.len() - 1].seq);
                    Some((Ok(events), next))
                }
                Err(error) => Some((Err(error), None)),
            }
        }
    });
    download(batches, format, "actas-audit-log")
}

/// The receipt of one of the member's own ended sessions (SPEC.md §5). Refused to an
/// administrator acting as the member (SPEC.md §3), for a session on anyone else's account,
/// and for a session still going on.
pub async fn member_receipt(
    State(state): State<AppState>,
    person: Option<Extension<SignedIn>>,
    Path(session_id): Path<String>,
) -> Response {
    let member = match signed_in_as(person.as_deref())
        .and_then(in_own_account)
        .and_then(as_member)
    {
        Ok(member) => member,
        Err(error) => return refused(error),
    };
    let Ok(session_id) = session_id.parse::<i64>() else {
        return refused(AppError::Invalid("There is no such receipt.".into()));
    };
    match receipt::download(&state.store, member.user.id, session_id, now_ms()).await {
        Ok(receipt) => {
            let body = serde_json::to_string_pretty(&receipt).unwrap_or_default() + "\n";
            (
                [
                    (CONTENT_TYPE, "application/json".to_string()),
                    (
                        CONTENT_DISPOSITION,
                        format!("attachment; filename=\"actas-session-{session_id}-receipt.json\""),
                    ),
                    (CACHE_CONTROL, "no-store".to_string()),
                ],
                body,
            )
                .into_response()
        }
        Err(error) => refused(error.into()),
    }
}

/// The activity log under the filters given in the query string, newest first.
pub async fn activity_csv(
    State(state): State<AppState>,
    person: Option<Extension<SignedIn>>,
    filter: Result<Query<ActivityFilter>, QueryRejection>,
) -> Response {
    if let Err(error) = signed_in_as(person.as_deref())
        .and_then(in_own_account)
        .and_then(as_staff)
    {
        return refused(error);
    }
    let Ok(Query(filter)) = filter else {
        return refused(AppError::Invalid("The filters could not be read.".into()));
    };
    let query = match event_query(&state.store, &filter, None).await {
        Ok(query) => query,
        Err(error) => return refused(error.into()),
    };
    let store: Store = state.store.clone();
    let batches = stream::unfold(Some(query), move |query: Option<EventQuery>| {
        let store = store.clone();
        async move {
            let query = query?;
            match store.events(&query, BATCH).await {
                Ok(events) if events.is_empty() => None,
                Ok(events) => {
                    let next = (events.len() as i64 == BATCH).then(|| EventQuery {
                        before: Some(events[events.len() - 1].seq),
                        ..query
                    });
                    Some((Ok(events), next))
                }
                Err(error) => Some((Err(error), None)),
            }
        }
    });
    download(batches, Format::Csv, "actas-activity-log")
}

fn download<S>(batches: S, format: Format, name: &str) -> Response
where
    S: Stream<Item = Result<Vec<app::model::AuditEntry>, app::ssr::store::StoreError>>
        + Send
        + 'static,
{
    let (content_type, extension) = match format {
        Format::Csv => ("text/csv; charset=utf-8", "csv"),
        Format::Json => ("application/json", "json"),
    };
    let mut first = true;
    let body = batches.map(move |batch| {
        let events = batch.map_err(|error| {
            tracing::error!(%error, "an audit export failed part way");
            std::io::Error::other("the audit log could not be read")
        })?;
        let mut chunk = String::new();
        for event in &events {
            match format {
                Format::Csv => chunk.push_str(&csv_line(event)),
                Format::Json => {
                    chunk.push_str(if first { "\n" } else { ",\n" });
                    chunk.push_str(&json_entry(event).to_string());
                }
            }
            first = false;
        }
        Ok::<_, std::io::Error>(chunk)
    });
    let (head, tail) = match format {
        Format::Csv => (CSV_HEADER, ""),
        Format::Json => ("[", "\n]\n"),
    };
    let body = stream::once(async move { Ok(head.to_string()) })
        .chain(body)
        .chain(stream::once(async move { Ok(tail.to_string()) }));
    (
        [
            (CONTENT_TYPE, content_type.to_string()),
            (
                CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}.{extension}\""),
            ),
            (CACHE_CONTROL, "no-store".to_string()),
        ],
        Body::from_stream(body),
    )
        .into_response()
}

fn refused(error: AppError) -> Response {
    (error.status(), error.to_string()).into_response()
}
