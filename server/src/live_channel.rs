//! `GET /api/live`: the live channel, as server-sent events.

use app::ssr::authentication::{still_signed_in, SignedIn};
use app::ssr::live_watch::{Watch, POLL_EVERY};
use app::ssr::sign_in_limits::SignInLifetime;
use app::ssr::store::Store;
use app::ssr::{now_ms, AppState};
use axum::extract::{Request, State};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures::StreamExt;
use http::StatusCode;
use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::{Mutex, OnceLock};

/// Live streams one sign-in may hold open on an instance: one a page, for a few tabs.
pub const STREAMS_PER_SIGN_IN: usize = 8;

/// How often a stream checks that its sign-in still stands: less often than it polls for
/// news, which is what must arrive within SPEC.md's 2 seconds.
const SIGN_IN_CHECK_EVERY: std::time::Duration = std::time::Duration::from_secs(2);

pub async fn live(State(state): State<AppState>, request: Request) -> Response {
    let Some(person) = request.extensions().get::<SignedIn>() else {
        return (StatusCode::UNAUTHORIZED, "Please sign in to continue.").into_response();
    };
    let watch = Watch::for_person(person);
    if matches!(watch, Watch::Nothing) {
        return StatusCode::NO_CONTENT.into_response();
    }
    let Some(slot) = StreamSlot::take(&person.token_digest) else {
        return (
            StatusCode::TOO_MANY_REQUESTS,
            "Too many pages are open for live updates. Close some tabs and reload.",
        )
            .into_response();
    };
    // A session this very request found ended is said at once.
    let first = person
        .ended
        .map(|reason| Ok::<_, Infallible>(Event::default().event("ended").data(reason.as_str())));
    let stream = Stream {
        watch,
        slot,
        store: state.store.clone(),
        lifetime: state.settings.sign_in,
        sign_in_checked: tokio::time::Instant::now(),
    };
    let updates = futures::stream::unfold(stream, |mut stream| async move {
        loop {
            let told = matches!(stream.watch, Watch::Done);
            // Told; stay open and quiet until the page closes the channel, or the sign-in ends.
            tokio::time::sleep(if told {
                SIGN_IN_CHECK_EVERY
            } else {
                POLL_EVERY
            })
            .await;
            let now = now_ms();
            if !told {
                match stream.watch.poll(&stream.store, now).await {
                    Ok(Some(event)) => {
                        let event = Event::default().event(event.event).data(event.data);
                        return Some((Ok::<_, Infallible>(event), stream));
                    }
                    Ok(None) => {}
                    Err(error) => {
                        tracing::warn!(%error, "the live channel could not read the database")
                    }
                }
            }
            // An acting administrator's session ends with their sign-in, and the poll says
            // so first; anyone else's stream ends with the sign-in itself (signed out,
            // expired, suspended): the page hears nothing more, and the browser's
            // reconnection finds nobody signed in and stops.
            let due = stream.sign_in_checked.elapsed() >= SIGN_IN_CHECK_EVERY;
            if matches!(stream.watch, Watch::Acting { .. }) || !due {
                continue;
            }
            stream.sign_in_checked = tokio::time::Instant::now();
            let digest = &stream.slot.token_digest;
            match still_signed_in(&stream.store, &stream.lifetime, digest, now).await {
                Ok(true) => {}
                Ok(false) => return None,
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

/// One open stream: what it watches, for which sign-in.
struct Stream {
    watch: Watch,
    slot: StreamSlot,
    store: Store,
    lifetime: SignInLifetime,
    sign_in_checked: tokio::time::Instant,
}

/// A sign-in's hold on one of its `STREAMS_PER_SIGN_IN`, given back when the stream ends.
struct StreamSlot {
    token_digest: String,
}

fn open_streams() -> std::sync::MutexGuard<'static, HashMap<String, usize>> {
    static OPEN: OnceLock<Mutex<HashMap<String, usize>>> = OnceLock::new();
    OPEN.get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl StreamSlot {
    fn take(token_digest: &str) -> Option<StreamSlot> {
        let mut open = open_streams();
        let count = open.entry(token_digest.to_string()).or_default();
        if *count >= STREAMS_PER_SIGN_IN {
            return None;
        }
        *count += 1;
        Some(StreamSlot {
            token_digest: token_digest.to_string(),
        })
    }
}

impl Drop for StreamSlot {
    fn drop(&mut self) {
        let mut open = open_streams();
        if let Some(count) = open.get_mut(&self.token_digest) {
            *count -= 1;
            if *count == 0 {
                open.remove(&self.token_digest);
            }
        }
    }
}
