//! News of committed changes, for the live channel: whose state a change touched, pushed to
//! every open page on every instance instead of each page re-reading the database.
//!
//! A change is news for the people its audit event names (actor and subject). On PostgreSQL
//! the transaction that makes the change sends `NOTIFY` (delivered by the database when, and
//! only when, it commits) and each instance listens; on SQLite, where one instance owns the
//! file, the transaction tells this instance's subscribers once it has committed.

use super::StoreError;
use crate::ssr::audit::EventKind;
use sqlx::postgres::{PgConnectOptions, PgListener, PgPoolOptions};
use std::str::FromStr;
use std::time::Duration;
use tokio::sync::broadcast;

/// The PostgreSQL channel the instances share.
pub(super) const CHANNEL: &str = "actas_news";

/// The `application_name` of each instance's listening connection.
pub const LISTENER_NAME: &str = "actas news";

/// News waiting for a slow page before it is told it missed some (and looks again).
const BACKLOG: usize = 1_024;

/// Between attempts to reconnect a lost listener.
const RECONNECT_EVERY: Duration = Duration::from_millis(500);

/// Silence on the listening connection after which it is asked whether it is still there. A
/// connection whose other end went away without a word (a host gone, a network cut, a stuck
/// server) is never seen to close, and every end sent meanwhile would be missed.
pub const PROBE_AFTER_SILENCE: Duration = Duration::from_secs(5);

/// How long that question may go unanswered before the connection is taken for lost.
const PROBE_ANSWER_WITHIN: Duration = Duration::from_secs(2);

/// The question: the `LISTEN` the connection already holds.
const LISTEN_AGAIN: &str = "LISTEN actas_news";

/// What a page hears.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum News {
    /// A change touching these people committed.
    About(Vec<i64>),
    /// News may have been missed (the listener lost its connection, or this page fell
    /// behind): look again, whoever you are.
    Everyone,
}

impl News {
    /// Whether this is news for someone watching any of `people`.
    pub fn concerns(&self, people: &[i64]) -> bool {
        match self {
            News::About(ids) => ids.iter().any(|id| people.contains(id)),
            News::Everyone => true,
        }
    }

    /// The text of a `NOTIFY`: the people's ids, comma-separated.
    pub(super) fn payload(people: &[i64]) -> String {
        people
            .iter()
            .map(i64::to_string)
            .collect::<Vec<_>>()
            .join(",")
    }

    /// Reads a `NOTIFY` payload; anything unreadable is news for everyone.
    fn from_payload(payload: &str) -> News {
        payload
            .split(',')
            .map(|id| id.trim().parse::<i64>())
            .collect::<Result<Vec<_>, _>>()
            .map_or(News::Everyone, News::About)
    }
}

/// Whether an event of this kind can change what the live channel tells: a session's end, who
/// acts on a member's account, whether a sign-in stands. The events of ordinary work (an
/// acting administrator's page loads, a project renamed, another sign-in) are not news, so a
/// busy instance does not wake every open page on every request. Every kind is named, so a
/// new one has to be placed here.
pub(super) fn is_news(kind: EventKind) -> bool {
    match kind {
        EventKind::SignOut
        | EventKind::ConsentGranted
        | EventKind::ConsentRevoked
        | EventKind::ImpersonationStarted
        | EventKind::ImpersonationEnded
        | EventKind::RoleChanged
        | EventKind::AllowlistGranted
        | EventKind::AllowlistRevoked
        | EventKind::UserSuspended
        | EventKind::UserReinstated
        | EventKind::UserDeleted
        | EventKind::PasswordChanged
        | EventKind::PasswordResetIssued
        | EventKind::SignedOutEverywhere
        // The member's inbox and the administrator's user list show each step at once.
        | EventKind::AccessRequested
        | EventKind::AccessApproved
        | EventKind::AccessDenied
        | EventKind::AccessRequestExpired
        | EventKind::AccessRequestWithdrawn => true,
        EventKind::Action
        | EventKind::SignIn
        | EventKind::SignInFailed
        | EventKind::SupportCodeIssued
        | EventKind::ImpersonationDenied
        | EventKind::ProfileUpdated
        | EventKind::PayoutUpdated
        | EventKind::ProjectCreated
        | EventKind::ProjectRenamed
        | EventKind::ProjectArchived
        | EventKind::UserCreated
        | EventKind::EmailChanged => false,
    }
}

/// This instance's subscribers.
#[derive(Clone, Debug)]
pub struct Newsroom {
    sender: broadcast::Sender<News>,
}

impl Default for Newsroom {
    fn default() -> Self {
        Newsroom {
            sender: broadcast::channel(BACKLOG).0,
        }
    }
}

impl Newsroom {
    pub fn subscribe(&self) -> broadcast::Receiver<News> {
        self.sender.subscribe()
    }

    /// Tells this instance's subscribers (nobody listening is no error).
    pub(super) fn tell(&self, news: News) {
        let _ = self.sender.send(news);
    }

    /// Listens to PostgreSQL's `NOTIFY`s for as long as this instance runs, and passes them
    /// on. What was sent while there was no connection is gone, so once there is one every
    /// page is told to look again: no end is missed.
    pub(super) async fn listen(self, url: String) {
        loop {
            match Self::connect(&url).await {
                Ok(mut listener) => {
                    // A page may have opened before this connection (the first one too):
                    // whatever it missed meanwhile, it looks again.
                    self.tell(News::Everyone);
                    loop {
                        let Ok(heard) =
                            tokio::time::timeout(PROBE_AFTER_SILENCE, listener.try_recv()).await
                        else {
                            if Self::still_answers(&mut listener).await {
                                continue;
                            }
                            tracing::warn!("the news listener's connection stopped answering");
                            break;
                        };
                        match heard {
                            Ok(Some(notification)) => {
                                self.tell(News::from_payload(notification.payload()))
                            }
                            // Lost: connected again below, where every page is told.
                            Ok(None) => {
                                tracing::warn!("the news listener lost its connection");
                                break;
                            }
                            Err(error) => {
                                tracing::warn!(%error, "the news listener lost its connection");
                                break;
                            }
                        }
                    }
                }
                Err(error) => {
                    tracing::warn!(%error, "the news listener could not connect; retrying");
                }
            }
            tokio::time::sleep(RECONNECT_EVERY).await;
        }
    }

    /// Whether the listening connection still answers a statement in good time. The statement
    /// is the `LISTEN` it already holds: it changes nothing, and the connection still reads
    /// as the listener's (in `pg_stat_activity`).
    async fn still_answers(listener: &mut PgListener) -> bool {
        let asked = sqlx::query(LISTEN_AGAIN).execute(&mut *listener);
        matches!(
            tokio::time::timeout(PROBE_ANSWER_WITHIN, asked).await,
            Ok(Ok(_))
        )
    }

    async fn connect(url: &str) -> Result<PgListener, StoreError> {
        // Named, so an operator (and a test) can find its connection.
        let options = PgConnectOptions::from_str(url)?.application_name(LISTENER_NAME);
        // A pool of one, only to hand the listener its connection options.
        let pool = PgPoolOptions::new()
            .max_connections(1)
            .connect_lazy_with(options);
        let mut listener = PgListener::connect_with(&pool).await?;
        // A lost connection comes back only through `listen` above, which tells every page to
        // look again: sqlx's own reconnect inside `try_recv` would say nothing, and could be
        // cut off halfway by the silence timeout.
        listener.eager_reconnect(false);
        listener.listen(CHANNEL).await?;
        Ok(listener)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_probe_listens_to_the_channel_already_listened_to() {
        assert_eq!(LISTEN_AGAIN, format!("LISTEN {CHANNEL}"));
    }

    #[test]
    fn a_payload_names_people_or_everyone() {
        assert_eq!(
            News::from_payload(&News::payload(&[3, 17])),
            News::About(vec![3, 17])
        );
        assert_eq!(News::from_payload("3,x"), News::Everyone);
        assert!(News::About(vec![3, 17]).concerns(&[17, 40]));
        assert!(!News::About(vec![3]).concerns(&[17]));
        assert!(News::Everyone.concerns(&[]));
    }
}
