//! Who a page is for, resolved once before it renders (the server's `note_page_viewer` puts
//! `crate::Viewer` in the request's extensions): every part of the page (the banner, the top
//! bar, the notices, the page itself) reads it at once (`components::viewer`), instead of each
//! waiting for it and being built again when it came.

use super::access::unread_notices;
use super::authentication::SignedIn;
use super::store::{Store, StoreError};
use crate::model::{ActingView, Me, Role};
use crate::Viewer;

/// The signed-in person as the pages show them: while acting, the member, with what the
/// banner says; a member with who acts on their account and their unread notices; an
/// administrator with a session of theirs left open in another browser.
pub async fn resolve(store: &Store, person: &SignedIn, now: i64) -> Result<Me, StoreError> {
    if let Some(acting) = &person.acting {
        return Ok(Me {
            id: acting.member.id,
            name: acting.member.name.clone(),
            email: acting.member.email.clone(),
            role: acting.member.role,
            acting: Some(ActingView {
                actor_name: person.user.name.clone(),
                scope: acting.scope,
                sections: acting.sections,
                expires_at: acting.expires_at,
                server_now: now,
            }),
            support_acting: None,
            session_ended: None,
            open_elsewhere: None,
            // The member's inbox is theirs alone.
            unread_notices: None,
        });
    }
    let me = person.me();
    Ok(if person.user.role == Role::Member {
        Me {
            support_acting: store
                .live_session_holder(person.user.id, now)
                .await?
                .map(|holder| holder.name),
            unread_notices: Some(unread_notices(store, person.user.id, now).await?),
            ..me
        }
    } else {
        Me {
            open_elsewhere: store.live_session_of_actor(person.user.id, now).await?,
            ..me
        }
    })
}

/// The viewer the server resolved for the page this request renders; a visitor (`None`)
/// where no request is being answered (the route list). A signed-in request whose viewer was
/// never resolved (a page route outside the router's `pages`) is shown as a visitor's, and said.
pub fn of_request() -> Viewer {
    let Some(parts) = leptos::prelude::use_context::<http::request::Parts>() else {
        return Viewer(None);
    };
    if let Some(viewer) = parts.extensions.get::<Viewer>() {
        return viewer.clone();
    }
    if parts.extensions.get::<SignedIn>().is_some() {
        tracing::warn!(path = %parts.uri.path(), "a page rendered without its viewer resolved");
    }
    Viewer(None)
}
