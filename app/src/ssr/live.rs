//! The live channel's server side: what a signed-in person's open page should learn as soon
//! as it happens. Each stream re-reads the database every half second, so a change made by
//! any app instance on the shared database reaches every page within the 2 seconds SPEC.md §3
//! allows, with no instance-to-instance messaging to keep in step.

use super::accounts::SignedIn;
use super::impersonation::EndReason;
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
    Acting {
        session_id: i64,
    },
    /// A member: tell them who acts on their account (empty when nobody does).
    Member {
        member_id: i64,
        last_holder: Option<String>,
    },
    Nothing,
}

impl Watch {
    pub fn for_person(person: &SignedIn) -> Watch {
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

    /// Looks once; returns the event to send, if anything changed. An acting session found
    /// past its expiry is ended here (recorded once, whoever notices first).
    pub async fn poll(&mut self, store: &Store, now: i64) -> Result<Option<LiveEvent>, StoreError> {
        match self {
            Watch::Acting { session_id } => {
                let Some(session) = store.impersonation_session(*session_id).await? else {
                    return Ok(None);
                };
                let reason = match session.end_reason.as_deref().and_then(EndReason::parse) {
                    Some(reason) => Some(reason),
                    None if now >= session.expires_at => {
                        store
                            .end_session(*session_id, EndReason::Expired, now)
                            .await?;
                        Some(EndReason::Expired)
                    }
                    None => None,
                };
                Ok(reason.map(|reason| {
                    *self = Watch::Nothing;
                    LiveEvent {
                        event: "ended",
                        data: reason.as_str().to_string(),
                    }
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
                Ok(Some(LiveEvent {
                    event: "support",
                    data: holder.unwrap_or_default(),
                }))
            }
            Watch::Nothing => Ok(None),
        }
    }
}
