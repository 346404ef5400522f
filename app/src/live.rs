//! The live channel in the browser: one `EventSource` a page, opened by the first part that
//! listens and shared by every island on it (islands share no context, so the page's one
//! connection is kept here), and the page's one way to leave when what it shows is over.
//! Browser only: call it from an `Effect` or an event, which never run on the server.

use crate::model::{LiveNews, LIVE_CHANNEL};
use std::cell::{Cell, RefCell};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;
use web_sys::{EventSource, MessageEvent};

thread_local! {
    static SOURCE: RefCell<Option<EventSource>> = const { RefCell::new(None) };
    /// Whether the page is leaving (`leave`).
    static LEAVING: Cell<bool> = const { Cell::new(false) };
}

/// Calls `heard` with the data of each `news` the page hears from now on.
pub fn listen(news: LiveNews, heard: impl Fn(String) + 'static) {
    let source = SOURCE.with_borrow_mut(|source| {
        if source.is_none() {
            *source = EventSource::new(LIVE_CHANNEL).ok();
        }
        source.clone()
    });
    let Some(source) = source else {
        return;
    };
    let heard = Closure::<dyn Fn(MessageEvent)>::new(move |message: MessageEvent| {
        heard(message.data().as_string().unwrap_or_default())
    });
    let _ = source.add_event_listener_with_callback(news.name(), heard.as_ref().unchecked_ref());
    // Heard for as long as the page lives.
    heard.forget();
}

/// Leaves the page for `to`, once: whatever asks next (the countdown at zero after the live
/// channel said the session ended, a server function's answer) finds the page already going,
/// and a navigation started again would restart on a slow link. The page hears nothing more
/// meanwhile, and does not reconnect. It replaces this page in the history: what it showed is
/// over.
pub fn leave(to: &str) {
    if LEAVING.replace(true) {
        return;
    }
    SOURCE.with_borrow(|source| {
        if let Some(source) = source {
            source.close();
        }
    });
    let _ = leptos::prelude::window().location().replace(to);
}

/// Whether the page is leaving (`leave`): nothing on it should be sent any more.
pub fn leaving() -> bool {
    LEAVING.get()
}
