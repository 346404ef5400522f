//! `GET /api/live`: the live channel, as server-sent events.

use app::ssr::accounts::SignedIn;
use app::ssr::live::{Watch, POLL_EVERY};
use app::ssr::{now_ms, AppState};
use axum::extract::{Request, State};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures::StreamExt;
use http::StatusCode;
use std::convert::Infallible;

pub async fn live(State(state): State<AppState>, request: Request) -> Response {
    let Some(person) = request.extensions().get::<SignedIn>() else {
        return (StatusCode::UNAUTHORIZED, "Please sign in to continue.").into_response();
    };
    let watch = Watch::for_person(person);
    if matches!(watch, Watch::Nothing) {
        return StatusCode::NO_CONTENT.into_response();
    }
    // A session this very request found ended is said at once.
    let first = person
        .ended
        .map(|reason| Ok::<_, Infallible>(Event::default().event("ended").data(reason.as_str())));
    let store = state.store.clone();
    let updates = futures::stream::unfold((watch, store), |(mut watch, store)| async move {
        loop {
            if matches!(watch, Watch::Done) {
                // Told; stay open and quiet until the page closes the channel.
                std::future::pending::<()>().await;
            }
            tokio::time::sleep(POLL_EVERY).await;
            match watch.poll(&store, now_ms()).await {
                Ok(Some(event)) => {
                    let event = Event::default().event(event.event).data(event.data);
                    return Some((Ok::<_, Infallible>(event), (watch, store)));
                }
                Ok(None) => {}
                Err(error) => {
                    tracing::warn!(%error, "the live channel could not read the database")
                }
            }
        }
    });
    let events = futures::stream::iter(first).chain(updates);
    Sse::new(events)
        .keep_alive(KeepAlive::default())
        .into_response()
}
