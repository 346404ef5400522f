//! The store: the only code that speaks SQL, a module per concern. One dialect serves SQLite
//! and PostgreSQL (`$n` placeholders, `RETURNING`, times as integer milliseconds), so
//! everything above runs the same on both.
//!
//! Every change is written in one transaction together with its audit event: if the event
//! cannot be written, the change does not happen.
//!
//! | module | tables |
//! |---|---|
//! | `audit_log` | `audit_events`, `audit_head`: appending to the chain, verifying it |
//! | `audit_writer` | the instance's group commit of events that accompany no other change |
//! | `news` | who a committed change concerns: `NOTIFY`/`LISTEN`, or in-process on SQLite |
//! | `sign_ins` | `sign_in_sessions`, `failed_attempts`; a person's own password and email |
//! | `users` | `users`: creating and finding accounts, the user list |
//! | `account_changes` | an owner's changes to accounts: role, suspension, deletion |
//! | `password_links` | `password_links`: one-time `Set password` links |
//! | `consents` | `consents`, `support_codes` |
//! | `access_requests` | `access_requests`, `inbox_reads`; the inbox's events |
//! | `member_records` | `profiles`, `projects`, `payout_details` |
//! | `impersonation_sessions` | `impersonation_sessions`: starting, ending, re-reading |
//! | `allow_list` | `impersonators` |
//! | `history` | reading the audit log back: the member's history, the activity log |

mod access_requests;
mod account_changes;
mod allow_list;
mod audit_log;
mod audit_writer;
mod consents;
mod history;
mod impersonation_sessions;
mod member_records;
mod news;
mod password_links;
mod sign_ins;
mod users;

pub use access_requests::{
    AnswerError, InboxEventRow, RequestError, UnreadEventRow, WithdrawError,
};
pub use account_changes::Deleter;
pub use audit_log::{ChainPoint, VerifyError};
pub use history::{EventQuery, UserMatch};
pub use impersonation_sessions::{
    ActorFacts, LiveSessionRow, SessionHolder, SessionRecord, StartAttempt, StartFacts,
    StartRequest,
};
pub use news::{News, Newsroom, LISTENER_NAME, PROBE_AFTER_SILENCE};
pub use password_links::{AddUserError, FoundLink, NewAccount, NewLink, UseLinkError, NO_PASSWORD};
pub use sign_ins::{
    AttemptRefused, ChangeEmailError, NewSignIn, SignInListing, SignInRecord, UserCredentials,
};
pub use users::{NewUser, OwnerActionError};

use super::action_record::ActingRequest;
use super::audit::By;
use super::impersonation_state::{EndReason, Via};
use crate::model::{RequestStatus, Role, Scope, UserStatus};
use sqlx::any::{AnyPoolOptions, AnyTypeInfo, AnyValueRef};
use sqlx::encode::IsNull;
use sqlx::error::BoxDynError;
use sqlx::{Any, AnyConnection, AnyPool};
use std::sync::Once;

/// A write transaction (see `begin_write`), and the people what it changes concerns: when it
/// commits they are told (`news`), on PostgreSQL by a `NOTIFY` that the database delivers
/// with the commit to every instance, on SQLite in-process once it has committed.
pub struct Tx {
    inner: sqlx::Transaction<'static, Any>,
    backend: Backend,
    newsroom: Newsroom,
    concerns: Vec<i64>,
}

impl std::ops::Deref for Tx {
    type Target = AnyConnection;
    fn deref(&self) -> &AnyConnection {
        &self.inner
    }
}

impl std::ops::DerefMut for Tx {
    fn deref_mut(&mut self) -> &mut AnyConnection {
        &mut self.inner
    }
}

impl Tx {
    /// Notes that what this transaction changes concerns `people`.
    fn concerns(&mut self, people: impl IntoIterator<Item = i64>) {
        for person in people {
            if !self.concerns.contains(&person) {
                self.concerns.push(person);
            }
        }
    }

    pub async fn commit(mut self) -> Result<(), StoreError> {
        if self.backend == Backend::Postgres {
            // A payload may hold 8,000 bytes: 300 ids of up to 20 characters stay under it.
            for people in self.concerns.chunks(300) {
                sqlx::query("SELECT pg_notify($1, $2)")
                    .bind(news::CHANNEL)
                    .bind(News::payload(people))
                    .execute(&mut *self.inner)
                    .await?;
            }
        }
        self.inner.commit().await?;
        if self.backend == Backend::Sqlite && !self.concerns.is_empty() {
            self.newsroom.tell(News::About(self.concerns));
        }
        Ok(())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migration failed: {0}")]
    Migration(#[from] sqlx::migrate::MigrateError),
    #[error("DATABASE_URL must start with sqlite: or postgres:, got {0:?}")]
    UnsupportedUrl(String),
    #[error("could not create the database folder {path}: {source}")]
    Folder {
        path: String,
        source: std::io::Error,
    },
    #[error("the impersonation session this change was made in has ended")]
    SessionEnded,
    #[error("{0}: check DATABASE_URL")]
    Missing(String),
    #[error("the audit log's writer has stopped")]
    AuditWriterStopped,
    #[error("the audit log could not be written: {0}")]
    AuditBatchFailed(String),
}

impl StoreError {
    /// The unique index this error violated, if it is a unique violation: the caller maps it
    /// to the rule the index stands for.
    pub fn violated_index(&self) -> Option<String> {
        let StoreError::Database(sqlx::Error::Database(error)) = self else {
            return None;
        };
        if !error.is_unique_violation() {
            return None;
        }
        // PostgreSQL names the index; SQLite names its columns (`table.column`).
        Some(
            error
                .constraint()
                .map(str::to_string)
                .unwrap_or_else(|| error.message().to_string()),
        )
    }
}

/// A `DATABASE_URL`, understood.
struct Target {
    backend: Backend,
    url: String,
    /// The file, for SQLite.
    sqlite_path: Option<String>,
}

impl Target {
    fn parse(url: &str) -> Result<Target, StoreError> {
        if let Some(path) = url
            .strip_prefix("sqlite://")
            .or(url.strip_prefix("sqlite:"))
        {
            let path = path.split('?').next().unwrap_or_default().to_string();
            Ok(Target {
                backend: Backend::Sqlite,
                url: url.to_string(),
                sqlite_path: Some(path),
            })
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Target {
                backend: Backend::Postgres,
                url: url.to_string(),
                sqlite_path: None,
            })
        } else {
            Err(StoreError::UnsupportedUrl(url.to_string()))
        }
    }

    /// The folder an SQLite file goes in, when it names one.
    fn sqlite_folder(&self) -> Option<&std::path::Path> {
        let path = std::path::Path::new(self.sqlite_path.as_deref()?);
        path.parent()
            .filter(|folder| !folder.as_os_str().is_empty())
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

#[derive(Clone, Debug)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
    /// The instance's group-commit writer for events that accompany no other change; none
    /// in the writer's own copy, and in a store opened only to read (`verify-audit`).
    audit_writer: Option<audit_writer::AuditWriter>,
    /// News of committed changes, for the live channel.
    newsroom: Newsroom,
}

/// A session is live while no end is recorded and its expiry has not passed (SPEC.md §3).
/// Written once, here: `alias` names the `impersonation_sessions` row, `now` the placeholder
/// bound to the current time.
fn live_session(alias: &str, now: &str) -> String {
    format!("{alias}.ended_at IS NULL AND {alias}.expires_at > {now}")
}

impl Store {
    /// Connects, creating an SQLite file (and its folder) on first use, and applies migrations.
    pub async fn connect(url: &str) -> Result<Store, StoreError> {
        let target = Target::parse(url)?;
        if let Some(folder) = target.sqlite_folder() {
            std::fs::create_dir_all(folder).map_err(|source| StoreError::Folder {
                path: folder.display().to_string(),
                source,
            })?;
        }
        let mut store = Self::open_pool(&target, "rwc").await?;
        match store.backend {
            Backend::Sqlite => {
                sqlx::migrate!("../migrations/sqlite")
                    .run(&store.pool)
                    .await?
            }
            Backend::Postgres => {
                sqlx::migrate!("../migrations/postgres")
                    .run(&store.pool)
                    .await?
            }
        }
        store.audit_writer = Some(audit_writer::AuditWriter::start(store.clone()));
        if store.backend == Backend::Postgres {
            tokio::spawn(store.newsroom.clone().listen(target.url.clone()));
        }
        Ok(store)
    }

    /// Opens a database that must already hold Actas, to read it (`verify-audit`): nothing is
    /// created or migrated, so a mistyped `DATABASE_URL` is an error, not an empty log that
    /// verifies.
    pub async fn open_existing(url: &str) -> Result<Store, StoreError> {
        let target = Target::parse(url)?;
        if let Some(path) = &target.sqlite_path {
            if !std::path::Path::new(path).is_file() {
                return Err(StoreError::Missing(format!(
                    "there is no database file at {path}"
                )));
            }
        }
        let store = Self::open_pool(&target, "rw").await?;
        let head: Result<i64, sqlx::Error> =
            sqlx::query_scalar("SELECT last_seq FROM audit_head WHERE id = 1")
                .fetch_one(&store.pool)
                .await;
        match head {
            Ok(_) => Ok(store),
            Err(error) => Err(StoreError::Missing(format!(
                "this database holds no Actas audit log ({error})"
            ))),
        }
    }

    async fn open_pool(target: &Target, sqlite_mode: &str) -> Result<Store, StoreError> {
        static DRIVERS: Once = Once::new();
        DRIVERS.call_once(sqlx::any::install_default_drivers);
        let url = match &target.sqlite_path {
            Some(path) => format!("sqlite://{path}?mode={sqlite_mode}"),
            None => target.url.clone(),
        };
        let options = AnyPoolOptions::new()
            .max_connections(match target.backend {
                // One writer at a time either way; readers run beside it in WAL mode.
                Backend::Sqlite => 8,
                Backend::Postgres => 16,
            })
            // A ping before every statement doubled the round trips of every request. A
            // connection that died meanwhile fails the one statement that finds it, and the
            // pool replaces it.
            .test_before_acquire(false);
        let options = if target.backend == Backend::Sqlite {
            options.after_connect(|conn, _meta| {
                Box::pin(async move {
                    for pragma in [
                        "PRAGMA journal_mode = WAL",
                        "PRAGMA foreign_keys = ON",
                        "PRAGMA busy_timeout = 10000",
                        "PRAGMA synchronous = NORMAL",
                    ] {
                        sqlx::query(pragma).execute(&mut *conn).await?;
                    }
                    Ok(())
                })
            })
        } else {
            options
        };
        Ok(Store {
            pool: options.connect(&url).await?,
            backend: target.backend,
            audit_writer: None,
            newsroom: Newsroom::default(),
        })
    }

    /// Whether the database answers and holds every migration this build knows (`/readyz`):
    /// `Err` says what is wrong.
    pub async fn readiness(&self) -> Result<(), String> {
        let expected = match self.backend {
            Backend::Sqlite => sqlx::migrate!("../migrations/sqlite").migrations.len(),
            Backend::Postgres => sqlx::migrate!("../migrations/postgres").migrations.len(),
        };
        let applied: Result<i64, sqlx::Error> =
            sqlx::query_scalar("SELECT COUNT(*) FROM _sqlx_migrations WHERE success")
                .fetch_one(&self.pool)
                .await;
        match applied {
            Ok(applied) if applied as usize >= expected => Ok(()),
            Ok(applied) => Err(format!("{applied} of {expected} migrations applied")),
            Err(error) => Err(format!("the database does not answer: {error}")),
        }
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// News of every change committed from now on that may matter to an open page.
    pub fn news(&self) -> tokio::sync::broadcast::Receiver<News> {
        self.newsroom.subscribe()
    }

    /// Direct access for tests that must do what an attacker with the database would.
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// A transaction that will write, holding the one write lock from its first statement:
    /// on SQLite the database's (`BEGIN IMMEDIATE`), on PostgreSQL the audit chain head's row.
    /// Every write appends to the chain anyway, so nothing is lost by taking that lock first,
    /// and with it every writer reads current data and all take their locks in one order:
    /// no deadlock, no decision made on a row another transaction is changing.
    async fn begin_write(&self) -> Result<Tx, StoreError> {
        let inner = match self.backend {
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await?,
            Backend::Postgres => {
                let mut tx = self.pool.begin().await?;
                sqlx::query("SELECT last_seq FROM audit_head WHERE id = 1 FOR UPDATE")
                    .execute(&mut *tx)
                    .await?;
                tx
            }
        };
        Ok(self.write_tx(inner))
    }

    /// `begin_write`, and the chain's head, read on PostgreSQL by the statement that takes
    /// the lock: a round trip fewer for each of the audit writer's batches.
    async fn begin_write_at_head(&self) -> Result<(Tx, audit_log::Head), StoreError> {
        let (mut inner, read_head) = match self.backend {
            Backend::Sqlite => (
                self.pool.begin_with("BEGIN IMMEDIATE").await?,
                "SELECT last_seq, last_hash, last_at_ms FROM audit_head WHERE id = 1",
            ),
            Backend::Postgres => (
                self.pool.begin().await?,
                "SELECT last_seq, last_hash, last_at_ms FROM audit_head WHERE id = 1 FOR UPDATE",
            ),
        };
        let head = sqlx::query_as(read_head).fetch_one(&mut *inner).await?;
        Ok((self.write_tx(inner), head))
    }

    fn write_tx(&self, inner: sqlx::Transaction<'static, Any>) -> Tx {
        Tx {
            inner,
            backend: self.backend,
            newsroom: self.newsroom.clone(),
            concerns: Vec::new(),
        }
    }

    /// A write made by `by`: when that is an administrator acting as the member, the session
    /// is re-checked inside the locked transaction, so no change lands after the revocation
    /// (or any other end) that was committed before it.
    async fn begin_write_by(&self, by: &By, now: i64) -> Result<Tx, StoreError> {
        let mut tx = self.begin_write().await?;
        if let Some(session_id) = by.impersonation_id {
            let live: Option<i64> = sqlx::query_scalar(&format!(
                "SELECT s.id FROM impersonation_sessions s WHERE s.id = $1 AND {}",
                live_session("s", "$2")
            ))
            .bind(session_id)
            .bind(now)
            .fetch_optional(&mut *tx)
            .await?;
            if live.is_none() {
                return Err(StoreError::SessionEnded);
            }
        }
        Ok(tx)
    }

    /// Commits a change made by `by`, with the `action` event of the request that asked for it
    /// when that request was made while acting: both land, or neither does.
    async fn commit_by(tx: Tx, by: &By, now: i64) -> Result<(), StoreError> {
        Self::commit_with_action(tx, by.request.as_deref(), now).await
    }

    async fn commit_with_action(
        mut tx: Tx,
        action: Option<&ActingRequest>,
        now: i64,
    ) -> Result<(), StoreError> {
        let action = action.filter(|action| !action.is_recorded());
        if let Some(action) = action {
            Self::append_event(&mut tx, action.event(action.done_status, None), now).await?;
        }
        tx.commit().await?;
        if let Some(action) = action {
            action.mark_recorded();
        }
        Ok(())
    }
}

/// Escapes `%`, `_` and `\` so user input matches literally inside a LIKE pattern.
fn escape_like(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// An enum kept in a text column by its name: read and written by that name, and parsed
/// here, once, for every query that reads it. A name the code does not know is a decoding
/// error naming the column, never a guess.
macro_rules! text_column {
    ($($kind:ty),*) => {$(
        impl sqlx::Type<Any> for $kind {
            fn type_info() -> AnyTypeInfo {
                <String as sqlx::Type<Any>>::type_info()
            }
            fn compatible(ty: &AnyTypeInfo) -> bool {
                <String as sqlx::Type<Any>>::compatible(ty)
            }
        }

        impl<'r> sqlx::Decode<'r, Any> for $kind {
            fn decode(value: AnyValueRef<'r>) -> Result<Self, BoxDynError> {
                let text = <String as sqlx::Decode<'r, Any>>::decode(value)?;
                <$kind>::parse(&text).ok_or_else(|| {
                    format!("unexpected {} {text:?}", stringify!($kind)).into()
                })
            }
        }

        impl<'q> sqlx::Encode<'q, Any> for $kind {
            fn encode_by_ref(
                &self,
                buf: &mut <Any as sqlx::Database>::ArgumentBuffer<'q>,
            ) -> Result<IsNull, BoxDynError> {
                <&'q str as sqlx::Encode<'q, Any>>::encode(self.as_str(), buf)
            }
        }
    )*};
}

text_column!(Role, UserStatus, Scope, EndReason, Via, RequestStatus);

#[cfg(test)]
mod tests {
    use super::escape_like;

    #[test]
    fn like_wildcards_in_a_search_match_literally() {
        assert_eq!(escape_like("50%_a\\b"), "50\\%\\_a\\\\b");
    }
}
