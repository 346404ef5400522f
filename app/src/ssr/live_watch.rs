//! The live channel's server side: what a signed-in person's open page should learn as soon
//! as it happens. A stream looks at the database when it opens, then only when news of a
//! change concerning its people arrives (from any instance: see `store::news`) or when what
//! it saw runs out by time alone (a session's expiry); an open page where nothing happens
//! costs no reads.

use super::access::inbox;
use super::authentication::SignedIn;
use super::impersonation::check_session;
use super::impersonation_state::Verdict;
use super::store::{SessionHolder, Store, StoreError};
use crate::model::{LiveNews, RequestStatus};

/// One message on the channel: `event` names it, `data` carries its text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LiveEvent {
    pub event: LiveNews,
    pub data: String,
}

/// What the page is watching, and what it last saw.
#[derive(Clone, Debug)]
pub enum Watch {
    /// An administrator acting in this session: tell them when (and why) it ends.
    Acting { session_id: i64 },
    /// A member: tell them who acts on their account (a JSON string, `null` when nobody does),
    /// and how many notices of their inbox are unread (`inbox`, a number).
    Member {
        member_id: i64,
        last_holder: Option<SessionHolder>,
        /// `None` until the first look.
        last_unread: Option<u32>,
    },
    /// An administrator on the allow-list, in their own view: tell them when one of their
    /// access requests changes (`requests`: its id and status, as JSON), so the user list
    /// shows the answer.
    Requests {
        actor_id: i64,
        /// Each request's id and status, as last seen; `None` until the first look.
        last: Option<Vec<(i64, RequestStatus)>>,
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
                last_unread: None,
            },
            (None, _) => Watch::Requests {
                actor_id: person.user.id,
                last: None,
            },
        }
    }

    /// The people whose news may change what this watch tells.
    pub fn people(&self, person: &SignedIn) -> Vec<i64> {
        let mut people = vec![person.user.id];
        people.extend(person.acting.as_ref().map(|acting| acting.member.id));
        people
    }

    /// Looks once: the event to send, if anything changed, and the instant when what was
    /// seen runs out by time alone (to look again then). A session found over by the same
    /// check every request makes is ended here (recorded once, whoever notices first).
    pub async fn look(&mut self, store: &Store, now: i64) -> Result<Look, StoreError> {
        match self {
            Watch::Acting { session_id } => {
                let reason = match check_session(store, *session_id, now).await? {
                    Some((live, Verdict::Live)) => {
                        return Ok(Look::quiet_until(live.session.expires_at))
                    }
                    // No such session: nothing will ever change.
                    None => return Ok(Look::quiet_until(None)),
                    Some((_, Verdict::Ended(reason) | Verdict::EndsNow(reason))) => reason,
                };
                *self = Watch::Done;
                Ok(Look {
                    events: vec![LiveEvent {
                        event: LiveNews::Ended,
                        data: reason.as_str().to_string(),
                    }],
                    until: None,
                })
            }
            Watch::Member {
                member_id,
                last_holder,
                last_unread,
            } => {
                let holder = store.live_session_holder(*member_id, now).await?;
                // A consent running out is a notice too: look again then.
                let consent_ends = store
                    .consent(*member_id)
                    .await?
                    .map(|consent| consent.expires_at)
                    .filter(|expires_at| *expires_at > now);
                let until = holder
                    .as_ref()
                    .map(|holder| holder.expires_at)
                    .into_iter()
                    .chain(consent_ends)
                    .min();
                let name = |holder: &Option<SessionHolder>| {
                    holder.as_ref().map(|holder| holder.name.clone())
                };
                let mut events = Vec::new();
                if name(&holder) != name(last_holder) {
                    // As JSON (`null` when nobody acts): a browser drops an event whose data
                    // is empty, so "nobody" must be written as something.
                    events.push(LiveEvent {
                        event: LiveNews::Support,
                        data: serde_json::to_string(&name(&holder)).unwrap_or_default(),
                    });
                }
                *last_holder = holder;
                let unread = inbox(store, *member_id, now).await?.unread;
                if last_unread.is_some_and(|last| last != unread) {
                    events.push(LiveEvent {
                        event: LiveNews::Inbox,
                        data: unread.to_string(),
                    });
                }
                *last_unread = Some(unread);
                Ok(Look { events, until })
            }
            Watch::Requests { actor_id, last } => {
                store
                    .notice_expired_requests(Some(*actor_id), None, now)
                    .await?;
                let requests = store.latest_requests_of(*actor_id, now).await?;
                // A pending request changes by itself when it expires: look again then.
                let until = requests
                    .iter()
                    .filter(|request| request.status == RequestStatus::Pending)
                    .map(|request| request.expires_at)
                    .min();
                let mut seen: Vec<(i64, RequestStatus)> = requests
                    .iter()
                    .map(|request| (request.id, request.status))
                    .collect();
                seen.sort_by_key(|(id, _)| *id);
                let changed: Vec<&(i64, RequestStatus)> = match last {
                    // The page read the list itself just now.
                    None => Vec::new(),
                    Some(last) => seen.iter().filter(|entry| !last.contains(entry)).collect(),
                };
                let events = changed
                    .into_iter()
                    .map(|(id, status)| LiveEvent {
                        event: LiveNews::Requests,
                        data: serde_json::json!({"id": id, "status": status.as_str()}).to_string(),
                    })
                    .collect();
                *last = Some(seen);
                Ok(Look { events, until })
            }
            Watch::Nothing | Watch::Done => Ok(Look::quiet_until(None)),
        }
    }
}

/// What one look found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Look {
    /// What to tell the page, in order.
    pub events: Vec<LiveEvent>,
    /// When what was seen runs out with no change made (an expiry), if it does.
    pub until: Option<i64>,
}

impl Look {
    fn quiet_until(until: impl Into<Option<i64>>) -> Look {
        Look {
            events: Vec::new(),
            until: until.into(),
        }
    }
}
