//! The live channel's server side: what a signed-in person's open page should learn as soon
//! as it happens. Each stream re-reads the database every half second, so a change made by
//! any app instance on the shared database reaches every page within the 2 seconds SPEC.md §3
//! allows, with no instance-to-instance messaging to keep in step.

use super::authentication::SignedIn;
use super::impersonation::check_session;
use super::impersonation_state::Verdict;
use super::store::{Store, StoreError};
use std::time::Duration;

pub const POLL_EVERY: Duration = Duration::from_millis(500);

/// One message on the channel: `event` names it, `data` carries its text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LiveEvent {
    pub event: &'static str,
    pub data: String,
}

/// What the page is watching, and what it last saw.
#[derive(Clone, Debug)]
pub enum Watch {
    /// An administrator acting in this session: tell them when (and why) it ends.
    Acting { session_id: i64 },
    /// A member: tell them who acts on their account (a JSON string, `null` when nobody does).
    Member {
        member_id: i64,
        last_holder: Option<String>,
    },
    /// Nothing to watch for this person: the channel answers 204, which tells the browser
    /// not to reconnect.
    Nothing,
    /// The session ended and the page was told; the stream stays open and quiet until the
    /// page closes it, so the browser does not reconnect.
    Done,
}

impl Watch {
    pub fn for_person(person: &SignedIn) -> Watch {
        if person.ended.is_some() {
            return Watch::Done;
        }
        match (&person.acting, person.user.role) {
            (Some(acting), _) => Watch::Acting {
                session_id: acting.session_id,
            },
            (None, crate::model::Role::Member) => Watch::Member {
                member_id: person.user.id,
                last_holder: None,
            },
            (None, _) => Watch::Nothing,
        }
    }

    /// Looks once; returns the event to send, if anything changed. A session found over by
    /// the same check every request makes is ended here (recorded once, whoever notices first).
    pub async fn poll(&mut self, store: &Store, now: i64) -> Result<Option<LiveEvent>, StoreError> {
        match self {
            Watch::Acting { session_id } => {
                let reason = match check_session(store, *session_id, now).await? {
                    None | Some((_, Verdict::Live)) => return Ok(None),
                    Some((_, Verdict::Ended(reason) | Verdict::EndsNow(reason))) => reason,
                };
                *self = Watch::Done;
                Ok(Some(LiveEvent {
                    event: "ended",
                    data: reason.as_str().to_string(),
                }))
            }
            Watch::Member {
                member_id,
                last_holder,
            } => {
                let holder = store.live_session_holder(*member_id, now).await?;
                if holder == *last_holder {
                    return Ok(None);
                }
                *last_holder = holder.clone();
                // As JSON (`null` when nobody acts): a browser drops an event whose data is
                // empty, so "nobody" must be written as something.
                Ok(Some(LiveEvent {
                    event: "support",
                    data: serde_json::to_string(&holder).unwrap_or_default(),
                }))
            }
            Watch::Nothing | Watch::Done => Ok(None),
        }
    }
}
