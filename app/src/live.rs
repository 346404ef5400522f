//! The live channel in the browser: one `EventSource` a page, opened by the first part that
//! listens and shared by every island on it (islands share no context, so the page's one
//! connection is kept here). Browser only: call it from an `Effect`, which never runs on the
//! server.

use crate::model::{LiveNews, LIVE_CHANNEL};
use std::cell::RefCell;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;
use web_sys::{EventSource, MessageEvent};

thread_local! {
    static SOURCE: RefCell<Option<EventSource>> = const { RefCell::new(None) };
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

/// Hears nothing more, and does not reconnect: the page is leaving.
pub fn close() {
    SOURCE.with_borrow(|source| {
        if let Some(source) = source {
            source.close();
        }
    });
}
