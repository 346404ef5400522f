//! `GET /api/live`: the live channel, as server-sent events.

use app::model::LiveNews;
use app::ssr::authentication::{signed_in_until, SignedIn};
use app::ssr::live_watch::Watch;
use app::ssr::sign_in_limits::SignInLifetime;
use app::ssr::store::{News, Store};
use app::ssr::{now_ms, AppState};
use axum::extract::{Request, State};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures::StreamExt;
use http::StatusCode;
use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::{Mutex, OnceLock};
use std::time::Duration;
use tokio::sync::broadcast::error::RecvError;
use tokio::time::Instant;

/// Live streams one sign-in may hold open on an instance: one a page, for a few tabs.
pub const STREAMS_PER_SIGN_IN: usize = 8;

/// How long a stream waits before looking again after the database failed it.
const RETRY_AFTER: Duration = Duration::from_secs(1);

/// Past an expiry before looking: an instant exactly at the limit already counts as ended,
/// and a timer may fire a hair early.
const PAST_EXPIRY: Duration = Duration::from_millis(10);

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
    let first = person.ended.map(|reason| {
        Ok::<_, Infallible>(
            Event::default()
                .event(LiveNews::Ended.name())
                .data(reason.as_str()),
        )
    });
    // Subscribed before the first look, so a change committed in between is still heard.
    let stream = Stream {
        people: watch.people(person),
        news: state.store.news(),
        watch,
        watch_stale: true,
        watch_until: None,
        sign_in_stale: true,
        sign_in_until: None,
        slot,
        store: state.store.clone(),
        lifetime: state.settings.sign_in,
        told: std::collections::VecDeque::new(),
    };
    let updates = futures::stream::unfold(stream, |mut stream| async move {
        loop {
            if let Some(event) = stream.told.pop_front() {
                return Some((Ok::<_, Infallible>(event), stream));
            }
            if !stream.watch_stale && !stream.sign_in_stale && !stream.wait().await {
                return None;
            }
            let now = now_ms();
            if stream.watch_stale {
                match stream.watch.look(&stream.store, now).await {
                    Ok(look) => {
                        stream.watch_stale = false;
                        stream.watch_until = look.until.map(instant_of);
                        stream.told.extend(look.events.into_iter().map(|event| {
                            Event::default().event(event.event.name()).data(event.data)
                        }));
                        if let Some(event) = stream.told.pop_front() {
                            return Some((Ok::<_, Infallible>(event), stream));
                        }
                    }
                    Err(error) => {
                        tracing::warn!(%error, "the live channel could not read the database");
                        stream.watch_until = Some(Instant::now() + RETRY_AFTER);
                        stream.watch_stale = false;
                    }
                }
            }
            // An acting administrator's session ends with their sign-in, and the watch says
            // so first; anyone else's stream ends with the sign-in itself (signed out,
            // expired, suspended): the page hears nothing more, and the browser's
            // reconnection finds nobody signed in and stops.
            if stream.sign_in_stale {
                stream.sign_in_stale = false;
                if matches!(stream.watch, Watch::Acting { .. }) {
                    continue;
                }
                let digest = &stream.slot.token_digest;
                match signed_in_until(&stream.store, &stream.lifetime, digest, now).await {
                    Ok(Some(until)) => stream.sign_in_until = Some(instant_of(until)),
                    Ok(None) => return None,
                    Err(error) => {
                        tracing::warn!(%error, "the live channel could not read the database");
                        stream.sign_in_until = Some(Instant::now() + RETRY_AFTER);
                    }
                }
            }
        }
    });
    let events = futures::stream::iter(first).chain(updates);
    Sse::new(events)
        .keep_alive(KeepAlive::default())
        .into_response()
}

/// The tokio instant just past `at_ms` (milliseconds since the epoch).
fn instant_of(at_ms: i64) -> Instant {
    let wait = u64::try_from(at_ms - now_ms()).unwrap_or(0);
    Instant::now() + Duration::from_millis(wait) + PAST_EXPIRY
}

/// One open stream: what it watches, for which sign-in, and what it must look at again.
struct Stream {
    watch: Watch,
    /// The people whose news concerns this stream.
    people: Vec<i64>,
    news: tokio::sync::broadcast::Receiver<News>,
    watch_stale: bool,
    /// When what the watch saw runs out by time alone.
    watch_until: Option<Instant>,
    sign_in_stale: bool,
    /// When the sign-in ends unless a request renews it.
    sign_in_until: Option<Instant>,
    slot: StreamSlot,
    store: Store,
    lifetime: SignInLifetime,
    /// Events a look found, not yet sent.
    told: std::collections::VecDeque<Event>,
}

impl Stream {
    /// Waits for news concerning this stream or for an expiry, and marks what to look at
    /// again. `false`: no more news will ever come.
    async fn wait(&mut self) -> bool {
        let never = || Instant::now() + Duration::from_secs(365 * 24 * 3600);
        let watch_due = self.watch_until.unwrap_or_else(never);
        let sign_in_due = self.sign_in_until.unwrap_or_else(never);
        tokio::select! {
            news = self.news.recv() => match news {
                Ok(news) if !news.concerns(&self.people) => {}
                // Fell behind: some news was dropped, which may have been ours.
                Ok(_) | Err(RecvError::Lagged(_)) => {
                    self.watch_stale = true;
                    self.sign_in_stale = true;
                }
                Err(RecvError::Closed) => return false,
            },
            () = tokio::time::sleep_until(watch_due) => {
                self.watch_until = None;
                self.watch_stale = true;
            }
            () = tokio::time::sleep_until(sign_in_due) => {
                self.sign_in_until = None;
                self.sign_in_stale = true;
            }
        }
        true
    }
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
