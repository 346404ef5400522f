//! Makes each page's reactive owner current for the whole of its response.
//!
//! leptos_integration_utils 0.8 (`from_app`), once a page has rendered, looks up the wasm
//! split manifest, the nonce and the meta context to add the page's `<link rel="preload">`
//! tags, without making the request's owner current first. It then reads whichever owner the
//! thread happened to have last: another request's, a disposed one, or none. So a page now and
//! then named none of its own wasm files (the browser then fetched them only after the first
//! one, and an end-to-end test failed under load), and the server logged "tried to use a
//! leptos_meta component without `ServerMetaContext`". The leptos routes' context hook notes
//! the request's root owner (`note_request_owner`), and `under_request_owner` polls the rest of
//! the response under it.

use axum::extract::Request;
use axum::middleware::Next;
use axum::response::Response;
use leptos::prelude::Owner;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

type Slot = Arc<Mutex<Option<Owner>>>;

tokio::task_local! {
    static REQUEST_OWNER: Slot;
}

/// The leptos routes' additional context: it runs under the request's root owner.
pub fn note_request_owner() {
    let _ = REQUEST_OWNER.try_with(|slot| {
        if let Ok(mut owner) = slot.lock() {
            *owner = Owner::current();
        }
    });
}

/// Middleware: the request's root owner, once noted, is current at every poll of the response.
pub async fn under_request_owner(request: Request, next: Next) -> Response {
    let slot = Slot::default();
    let response = UnderOwner {
        slot: Arc::clone(&slot),
        inner: Box::pin(next.run(request)),
    };
    REQUEST_OWNER.scope(slot, response).await
}

struct UnderOwner {
    slot: Slot,
    inner: Pin<Box<dyn Future<Output = Response> + Send>>,
}

impl Future for UnderOwner {
    type Output = Response;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Response> {
        let owner = self.slot.lock().ok().and_then(|owner| owner.clone());
        match owner {
            Some(owner) => owner.with(|| self.inner.as_mut().poll(cx)),
            None => self.inner.as_mut().poll(cx),
        }
    }
}
