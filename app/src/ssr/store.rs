//! The store: the only code that speaks SQL. One dialect serves SQLite and PostgreSQL (`$n`
//! placeholders, `RETURNING`, times as integer milliseconds), so everything above runs the
//! same on both.
//!
//! Every change is written in one transaction together with its audit event: if the event
//! cannot be written, the change does not happen.

use super::audit::{
    ActingRequest, BrokenLink, By, ChainAnchor, ChainVerifier, EventKind, NewEvent, StoredEvent,
};
use super::consent::{Consent, StoredSupportCode, SupportCode};
use super::impersonation::{
    Actor, Authority, EndReason, LiveSession, SessionPlan, StartRefusal, Target,
};
use super::rules::AttemptLimit;
use crate::model::{
    ActiveConsent, Profile, Project, Role, Scope, UserPage, UserRow, UserStatus, UserSummary,
    USERS_PER_PAGE,
};
use serde_json::json;
use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::{AnyConnection, AnyPool, Row};
use std::sync::Once;

mod oversight;

pub use oversight::{EventQuery, UserMatch};

pub type Tx = sqlx::Transaction<'static, sqlx::Any>;

/// How far the audit log's last event may be ahead of a writer's clock before it is worth a
/// warning: event times never go backwards, so a clock running ahead drags later ones along.
const CLOCK_SKEW_WARNING_MS: i64 = 5_000;

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
    #[error("unexpected value {value:?} in column {column}")]
    Corrupt { column: &'static str, value: String },
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
}

/// A user as sign-in needs them, password hash included. Never leaves the server.
#[derive(Clone, Debug)]
pub struct UserCredentials {
    pub user: UserSummary,
    pub password_hash: String,
}

/// A user to create (demo accounts, tests).
#[derive(Clone, Debug)]
pub struct NewUser {
    pub email: String,
    pub name: String,
    pub role: Role,
    pub password_hash: String,
    pub impersonator: bool,
}

/// A sign-in session joined with its user.
#[derive(Clone, Debug)]
pub struct SignInRecord {
    pub user: UserSummary,
    pub created_at: i64,
    pub last_seen_at: i64,
    /// The act-as marker: the impersonation session this sign-in acts in, if any.
    pub impersonation_id: Option<i64>,
}

const USER_COLUMNS: &str = "u.id, u.name, u.email, u.role, u.status";

fn user_from_row(row: &AnyRow) -> Result<UserSummary, StoreError> {
    let role: String = row.try_get("role")?;
    let status: String = row.try_get("status")?;
    Ok(UserSummary {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        email: row.try_get("email")?,
        role: Role::parse(&role).ok_or(StoreError::Corrupt {
            column: "users.role",
            value: role,
        })?,
        status: UserStatus::parse(&status).ok_or(StoreError::Corrupt {
            column: "users.status",
            value: status,
        })?,
    })
}

impl Store {
    /// Connects, creating an SQLite file (and its folder) on first use, and applies migrations.
    pub async fn connect(url: &str) -> Result<Store, StoreError> {
        static DRIVERS: Once = Once::new();
        DRIVERS.call_once(sqlx::any::install_default_drivers);

        let (backend, url) = if let Some(path) = url
            .strip_prefix("sqlite://")
            .or(url.strip_prefix("sqlite:"))
        {
            let path = path.split('?').next().unwrap_or_default();
            if let Some(folder) = std::path::Path::new(path)
                .parent()
                .filter(|p| !p.as_os_str().is_empty())
            {
                std::fs::create_dir_all(folder).map_err(|source| StoreError::Folder {
                    path: folder.display().to_string(),
                    source,
                })?;
            }
            (Backend::Sqlite, format!("sqlite://{path}?mode=rwc"))
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            (Backend::Postgres, url.to_string())
        } else {
            return Err(StoreError::UnsupportedUrl(url.to_string()));
        };

        let options = AnyPoolOptions::new().max_connections(match backend {
            // One writer at a time either way; readers run beside it in WAL mode.
            Backend::Sqlite => 8,
            Backend::Postgres => 16,
        });
        let options = if backend == Backend::Sqlite {
            options.after_connect(|conn, _meta| {
                Box::pin(async move {
                    sqlx::query("PRAGMA journal_mode = WAL")
                        .execute(&mut *conn)
                        .await?;
                    sqlx::query("PRAGMA foreign_keys = ON")
                        .execute(&mut *conn)
                        .await?;
                    sqlx::query("PRAGMA busy_timeout = 10000")
                        .execute(&mut *conn)
                        .await?;
                    sqlx::query("PRAGMA synchronous = NORMAL")
                        .execute(&mut *conn)
                        .await?;
                    Ok(())
                })
            })
        } else {
            options
        };
        let pool = options.connect(&url).await?;
        match backend {
            Backend::Sqlite => sqlx::migrate!("../migrations/sqlite").run(&pool).await?,
            Backend::Postgres => sqlx::migrate!("../migrations/postgres").run(&pool).await?,
        }
        Ok(Store { pool, backend })
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// A transaction that will write, holding the one write lock from its first statement:
    /// on SQLite the database's (`BEGIN IMMEDIATE`), on PostgreSQL the audit chain head's row.
    /// Every write appends to the chain anyway, so nothing is lost by taking that lock first,
    /// and with it every writer reads current data and all take their locks in one order:
    /// no deadlock, no decision made on a row another transaction is changing.
    async fn begin_write(&self) -> Result<Tx, StoreError> {
        Ok(match self.backend {
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await?,
            Backend::Postgres => {
                let mut tx = self.pool.begin().await?;
                sqlx::query("SELECT last_seq FROM audit_head WHERE id = 1 FOR UPDATE")
                    .execute(&mut *tx)
                    .await?;
                tx
            }
        })
    }

    /// A write made by `by`: when that is an administrator acting as the member, the session
    /// is re-checked inside the locked transaction, so no change lands after the revocation
    /// (or any other end) that was committed before it.
    async fn begin_write_by(&self, by: &By, now: i64) -> Result<Tx, StoreError> {
        let mut tx = self.begin_write().await?;
        if let Some(session_id) = by.impersonation_id {
            let live: Option<i64> = sqlx::query_scalar(
                "SELECT id FROM impersonation_sessions WHERE id = $1 AND ended_at IS NULL AND expires_at > $2",
            )
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

    /// Appends an event to the chain inside the caller's transaction. Updating the head row
    /// first holds the chain's lock until the transaction ends.
    pub async fn append_event(
        conn: &mut AnyConnection,
        event: NewEvent,
        now: i64,
    ) -> Result<StoredEvent, StoreError> {
        let head = sqlx::query(
            "UPDATE audit_head SET last_seq = last_seq + 1 WHERE id = 1 RETURNING last_seq, last_hash, last_at_ms",
        )
        .fetch_one(&mut *conn)
        .await?;
        let seq: i64 = head.try_get("last_seq")?;
        let prev_hash: String = head.try_get("last_hash")?;
        // `now` was read before the lock was won; a writer that waited must not stamp its
        // event earlier than the one before it.
        let last_at_ms: i64 = head.try_get("last_at_ms")?;
        if last_at_ms - now > CLOCK_SKEW_WARNING_MS {
            // Waiting for the lock takes milliseconds; more means a clock that ran ahead
            // (here or on another instance) has pushed every later event's time forward.
            tracing::warn!(
                ahead_ms = last_at_ms - now,
                "the audit log's last event is later than this clock; check the instances' clocks"
            );
        }
        let at_ms = now.max(last_at_ms);
        let stored = event.seal(seq, at_ms, &prev_hash);
        Self::insert_events(conn, std::slice::from_ref(&stored)).await?;
        sqlx::query("UPDATE audit_head SET last_hash = $1, last_at_ms = $2 WHERE id = 1")
            .bind(&stored.hash)
            .bind(stored.at_ms)
            .execute(&mut *conn)
            .await?;
        Ok(stored)
    }

    /// Writes sealed events, many rows to a statement.
    async fn insert_events(
        conn: &mut AnyConnection,
        events: &[StoredEvent],
    ) -> Result<(), StoreError> {
        // 12 values a row; 400 rows stay under every driver's limit on bound values.
        for chunk in events.chunks(400) {
            let rows: Vec<String> = (0..chunk.len())
                .map(|row| {
                    let values: Vec<String> = (1..=12)
                        .map(|column| format!("${}", row * 12 + column))
                        .collect();
                    format!("({})", values.join(", "))
                })
                .collect();
            let sql = format!(
                "INSERT INTO audit_events (seq, at_ms, kind, actor_id, subject_id, impersonation_id, \
                 method, path, status, detail, prev_hash, hash) VALUES {}",
                rows.join(", ")
            );
            let mut statement = sqlx::query(&sql);
            for stored in chunk {
                statement = statement
                    .bind(stored.seq)
                    .bind(stored.at_ms)
                    .bind(&stored.kind)
                    .bind(stored.actor_id)
                    .bind(stored.subject_id)
                    .bind(stored.impersonation_id)
                    .bind(&stored.method)
                    .bind(&stored.path)
                    .bind(stored.status)
                    .bind(&stored.detail)
                    .bind(&stored.prev_hash)
                    .bind(&stored.hash);
            }
            statement.execute(&mut *conn).await?;
        }
        Ok(())
    }

    /// Records many events that accompany no other change, each at its own time, in one
    /// transaction (imports, and the benchmark's million events). Times never go backwards
    /// along the chain, here as in `append_event`.
    pub async fn record_many(&self, events: Vec<(NewEvent, i64)>) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        let head =
            sqlx::query("SELECT last_seq, last_hash, last_at_ms FROM audit_head WHERE id = 1")
                .fetch_one(&mut *tx)
                .await?;
        let mut seq: i64 = head.try_get("last_seq")?;
        let mut prev_hash: String = head.try_get("last_hash")?;
        let mut last_at: i64 = head.try_get("last_at_ms")?;
        let sealed: Vec<StoredEvent> = events
            .into_iter()
            .map(|(event, at_ms)| {
                seq += 1;
                last_at = last_at.max(at_ms);
                let stored = event.seal(seq, last_at, &prev_hash);
                prev_hash.clone_from(&stored.hash);
                stored
            })
            .collect();
        Self::insert_events(&mut tx, &sealed).await?;
        sqlx::query(
            "UPDATE audit_head SET last_seq = $1, last_hash = $2, last_at_ms = $3 WHERE id = 1",
        )
        .bind(seq)
        .bind(&prev_hash)
        .bind(last_at)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Records an event that accompanies no other change.
    pub async fn record(&self, event: NewEvent, now: i64) -> Result<StoredEvent, StoreError> {
        let mut tx = self.begin_write().await?;
        let stored = Self::append_event(&mut tx, event, now).await?;
        tx.commit().await?;
        Ok(stored)
    }

    /// Creates the given accounts if, and only if, there are none yet. Several instances
    /// starting at once on one database create them once: the write lock is held while counting.
    pub async fn seed_if_empty(&self, users: &[NewUser], now: i64) -> Result<bool, StoreError> {
        let mut tx = self.begin_write().await?;
        let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users")
            .fetch_one(&mut *tx)
            .await?;
        if count > 0 {
            return Ok(false);
        }
        for user in users {
            Self::insert_user(&mut tx, user, None, now).await?;
        }
        tx.commit().await?;
        Ok(true)
    }

    pub async fn has_users(&self) -> Result<bool, StoreError> {
        let any: Option<i64> = sqlx::query_scalar("SELECT id FROM users LIMIT 1")
            .fetch_optional(&self.pool)
            .await?;
        Ok(any.is_some())
    }

    /// Creates one account (tests and administration).
    pub async fn create_user(
        &self,
        user: &NewUser,
        created_by: Option<i64>,
        now: i64,
    ) -> Result<i64, StoreError> {
        let mut tx = self.begin_write().await?;
        let id = Self::insert_user(&mut tx, user, created_by, now).await?;
        tx.commit().await?;
        Ok(id)
    }

    async fn insert_user(
        conn: &mut AnyConnection,
        user: &NewUser,
        created_by: Option<i64>,
        now: i64,
    ) -> Result<i64, StoreError> {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO users (email, name, role, status, password_hash, created_at) \
             VALUES ($1, $2, $3, 'active', $4, $5) RETURNING id",
        )
        .bind(&user.email)
        .bind(&user.name)
        .bind(user.role.as_str())
        .bind(&user.password_hash)
        .bind(now)
        .fetch_one(&mut *conn)
        .await?;
        let mut created = NewEvent::new(EventKind::UserCreated).subject(id).detail(
            serde_json::json!({"email": user.email, "name": user.name, "role": user.role.as_str()}),
        );
        created.actor_id = created_by;
        Self::append_event(conn, created, now).await?;
        if user.impersonator {
            sqlx::query(
                "INSERT INTO impersonators (user_id, granted_by, granted_at) VALUES ($1, $2, $3)",
            )
            .bind(id)
            .bind(created_by)
            .bind(now)
            .execute(&mut *conn)
            .await?;
            let mut granted = NewEvent::new(EventKind::AllowlistGranted).subject(id);
            granted.actor_id = created_by;
            Self::append_event(conn, granted, now).await?;
        }
        Ok(id)
    }

    pub async fn credentials_by_email(
        &self,
        email: &str,
    ) -> Result<Option<UserCredentials>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {USER_COLUMNS}, u.password_hash FROM users u WHERE u.email = $1"
        ))
        .bind(email)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|row| {
            Ok(UserCredentials {
                user: user_from_row(&row)?,
                password_hash: row.try_get("password_hash")?,
            })
        })
        .transpose()
    }

    /// The id of the account with this (lower-cased) email, if there is one.
    pub async fn user_id_by_email(&self, email: &str) -> Result<Option<i64>, StoreError> {
        Ok(sqlx::query_scalar("SELECT id FROM users WHERE email = $1")
            .bind(email)
            .fetch_optional(&self.pool)
            .await?)
    }

    /// Counts an attempt against each of its buckets before it is judged, in one locked
    /// transaction, so attempts sent at once cannot all slip under a limit together. If any
    /// bucket is full, nothing is counted and the answer is how long to wait (milliseconds).
    /// Rows that have left every window are dropped on the way, so the table stays small.
    pub async fn reserve_attempt(
        &self,
        buckets: &[(String, AttemptLimit)],
        attempt_id: &str,
        now: i64,
    ) -> Result<Result<(), i64>, StoreError> {
        let mut tx = self.begin_write().await?;
        for (bucket, limit) in buckets {
            let since = limit.window_start(now);
            sqlx::query("DELETE FROM failed_attempts WHERE bucket = $1 AND at_ms <= $2")
                .bind(bucket)
                .bind(since)
                .execute(&mut *tx)
                .await?;
            let row = sqlx::query(
                "SELECT COUNT(*) AS n, MIN(at_ms) AS oldest FROM failed_attempts WHERE bucket = $1",
            )
            .bind(bucket)
            .fetch_one(&mut *tx)
            .await?;
            let count: i64 = row.try_get("n")?;
            if let Err(wait_ms) = limit.check(count.max(0) as u64, row.try_get("oldest")?, now) {
                tx.commit().await?; // keep the clean-up
                return Ok(Err(wait_ms));
            }
        }
        for (bucket, _) in buckets {
            sqlx::query(
                "INSERT INTO failed_attempts (bucket, at_ms, attempt_id) VALUES ($1, $2, $3)",
            )
            .bind(bucket)
            .bind(now)
            .bind(attempt_id)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(Ok(()))
    }

    /// Takes a successful attempt back out of every limit it was counted against.
    pub async fn release_attempt(&self, attempt_id: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM failed_attempts WHERE attempt_id = $1")
            .bind(attempt_id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Starts a sign-in session (and ends the one it replaces, if any), with its audit event
    /// and, when the replaced sign-in was acting, the `action` record of the request.
    /// The attempt that led here no longer counts against any limit.
    #[allow(clippy::too_many_arguments)]
    pub async fn start_sign_in(
        &self,
        user_id: i64,
        token_digest: &str,
        replaces: Option<&str>,
        attempt_id: &str,
        event: NewEvent,
        action: Option<&ActingRequest>,
        now: i64,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        Self::append_event(&mut tx, event, now).await?;
        sqlx::query("DELETE FROM failed_attempts WHERE attempt_id = $1")
            .bind(attempt_id)
            .execute(&mut *tx)
            .await?;
        if let Some(old) = replaces {
            // Signing in again ends the old sign-in, and any session it was acting in with it.
            let acting: Option<Option<i64>> = sqlx::query_scalar(
                "SELECT impersonation_id FROM sign_in_sessions WHERE token_digest = $1",
            )
            .bind(old)
            .fetch_optional(&mut *tx)
            .await?;
            if let Some(session_id) = acting.flatten() {
                Self::end_session_by_id(&mut tx, session_id, EndReason::ActorSignedOut, now)
                    .await?;
            }
            sqlx::query("DELETE FROM sign_in_sessions WHERE token_digest = $1")
                .bind(old)
                .execute(&mut *tx)
                .await?;
        }
        sqlx::query(
            "INSERT INTO sign_in_sessions (token_digest, user_id, created_at, last_seen_at) VALUES ($1, $2, $3, $3)",
        )
        .bind(token_digest)
        .bind(user_id)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        Self::commit_with_action(tx, action, now).await
    }

    pub async fn sign_in_record(
        &self,
        token_digest: &str,
    ) -> Result<Option<SignInRecord>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {USER_COLUMNS}, s.created_at, s.last_seen_at, s.impersonation_id \
             FROM sign_in_sessions s JOIN users u ON u.id = s.user_id WHERE s.token_digest = $1"
        ))
        .bind(token_digest)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|row| {
            Ok(SignInRecord {
                user: user_from_row(&row)?,
                created_at: row.try_get("created_at")?,
                last_seen_at: row.try_get("last_seen_at")?,
                impersonation_id: row.try_get("impersonation_id")?,
            })
        })
        .transpose()
    }

    pub async fn touch_sign_in(&self, token_digest: &str, now: i64) -> Result<(), StoreError> {
        sqlx::query("UPDATE sign_in_sessions SET last_seen_at = $1 WHERE token_digest = $2 AND last_seen_at < $1")
            .bind(now)
            .bind(token_digest)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Ends a sign-in session. The event, if given, is written only by the request that
    /// actually removed the session, so a sign-out is recorded once however often it is sent.
    pub async fn end_sign_in(
        &self,
        token_digest: &str,
        ends_session: Option<(i64, EndReason)>,
        event: Option<NewEvent>,
        action: Option<&ActingRequest>,
        now: i64,
    ) -> Result<bool, StoreError> {
        let mut tx = self.begin_write().await?;
        if let Some((session_id, reason)) = ends_session {
            Self::end_session_by_id(&mut tx, session_id, reason, now).await?;
        }
        let removed = sqlx::query("DELETE FROM sign_in_sessions WHERE token_digest = $1")
            .bind(token_digest)
            .execute(&mut *tx)
            .await?
            .rows_affected()
            > 0;
        if removed {
            if let Some(event) = event {
                Self::append_event(&mut tx, event, now).await?;
            }
        }
        Self::commit_with_action(tx, action, now).await?;
        Ok(removed)
    }

    /// One page of users whose name or email contains `search` (case-insensitive), by name.
    pub async fn list_users(
        &self,
        search: &str,
        page: u32,
        viewer_id: i64,
        now: i64,
    ) -> Result<UserPage, StoreError> {
        let pattern = format!("%{}%", escape_like(&search.to_lowercase()));
        let filter =
            "WHERE lower(u.name) LIKE $1 ESCAPE '\\' OR lower(u.email) LIKE $1 ESCAPE '\\'";
        let total: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM users u {filter}"))
            .bind(&pattern)
            .fetch_one(&self.pool)
            .await?;
        let total = total.max(0) as u64;
        let page_count = (total.div_ceil(u64::from(USERS_PER_PAGE)) as u32).max(1);
        let page = page.clamp(1, page_count);
        let rows = sqlx::query(&format!(
            "SELECT {USER_COLUMNS}, c.scope AS consent_scope, c.expires_at AS consent_expires_at, \
             (SELECT a.name FROM impersonation_sessions s JOIN users a ON a.id = s.actor_id \
              WHERE s.target_id = u.id AND s.ended_at IS NULL AND s.expires_at > $4) AS held_by \
             FROM users u LEFT JOIN consents c ON c.user_id = u.id AND c.expires_at > $4 \
             {filter} ORDER BY u.name, u.id LIMIT $2 OFFSET $3"
        ))
        .bind(&pattern)
        .bind(i64::from(USERS_PER_PAGE))
        .bind(i64::from((page - 1) * USERS_PER_PAGE))
        .bind(now)
        .fetch_all(&self.pool)
        .await?;
        let users = rows
            .iter()
            .map(|row| {
                let scope: Option<String> = row.try_get("consent_scope")?;
                let expires_at: Option<i64> = row.try_get("consent_expires_at")?;
                let consent = match (scope.as_deref().and_then(Scope::parse), expires_at) {
                    (Some(scope), Some(expires_at)) => Some(ActiveConsent { scope, expires_at }),
                    _ => None,
                };
                Ok(UserRow {
                    user: user_from_row(row)?,
                    consent,
                    held_by: row.try_get("held_by")?,
                })
            })
            .collect::<Result<_, StoreError>>()?;
        let may_impersonate = self.is_impersonator(viewer_id).await?;
        Ok(UserPage {
            users,
            may_impersonate,
            may_suspend: false,
            viewer_id,
            page,
            page_count,
            total,
        })
    }

    /// Events of one kind, newest first (tests and the activity log).
    pub async fn recent_events(
        &self,
        kind: &str,
        limit: i64,
    ) -> Result<Vec<StoredEvent>, StoreError> {
        Ok(sqlx::query_as::<_, StoredEvent>(
            "SELECT * FROM audit_events WHERE kind = $1 ORDER BY seq DESC LIMIT $2",
        )
        .bind(kind)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Walks the whole chain, a batch at a time. `Ok(Err(link))` names the first broken link;
    /// `Ok(Ok(n))`, how many events were verified.
    pub async fn verify_audit_chain(&self) -> Result<Result<u64, BrokenLink>, StoreError> {
        Ok(self
            .verify_audit_chain_from(None)
            .await?
            .map(|head| head.seq as u64))
    }

    /// Walks the whole chain, held to `anchor` when given; `Ok(Ok(head))` is the verified
    /// head, to write down as the next anchor.
    pub async fn verify_audit_chain_from(
        &self,
        anchor: Option<ChainAnchor>,
    ) -> Result<Result<ChainAnchor, BrokenLink>, StoreError> {
        const BATCH: i64 = 5_000;
        // Read the head first: events appended while we walk come after it and are not judged.
        // One statement, so the highest stored event is read in the same snapshot.
        let head = sqlx::query(
            "SELECT last_seq, last_hash, (SELECT COALESCE(MAX(seq), 0) FROM audit_events) AS max_seq \
             FROM audit_head WHERE id = 1",
        )
        .fetch_one(&self.pool)
        .await?;
        let head_seq: i64 = head.try_get("last_seq")?;
        let head_hash: String = head.try_get("last_hash")?;
        let max_seq: i64 = head.try_get("max_seq")?;
        let mut verifier = ChainVerifier::anchored(anchor);
        let mut after = 0i64;
        'walk: loop {
            let batch = sqlx::query_as::<_, StoredEvent>(
                "SELECT * FROM audit_events WHERE seq > $1 AND seq <= $2 ORDER BY seq LIMIT $3",
            )
            .bind(after)
            .bind(head_seq)
            .bind(BATCH)
            .fetch_all(&self.pool)
            .await?;
            let Some(last) = batch.last() else { break };
            after = last.seq;
            for event in &batch {
                if !verifier.check(event) {
                    break 'walk;
                }
            }
        }
        Ok(verifier.finish(head_seq, &head_hash, max_seq))
    }

    /// Direct access for tests that must do what an attacker with the database would.
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }
}

impl Store {
    /// The member's standing consent, active or not.
    pub async fn consent(&self, user_id: i64) -> Result<Option<Consent>, StoreError> {
        Self::consent_on(&mut *self.pool.acquire().await?, user_id).await
    }

    async fn consent_on(
        conn: &mut AnyConnection,
        user_id: i64,
    ) -> Result<Option<Consent>, StoreError> {
        let row =
            sqlx::query("SELECT scope, granted_at, expires_at FROM consents WHERE user_id = $1")
                .bind(user_id)
                .fetch_optional(&mut *conn)
                .await?;
        row.map(|row| consent_from_row(&row)).transpose()
    }

    /// Grants (or replaces) the member's consent. A consent still active when replaced is
    /// audited as revoked (reason `replaced`) before the new grant; both in one transaction.
    pub async fn grant_consent(
        &self,
        user_id: i64,
        consent: Consent,
        hours: u32,
        now: i64,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        let previous = Self::consent_on(&mut tx, user_id).await?;
        if let Some(previous) = previous.filter(|previous| previous.is_active(now)) {
            let replaced = NewEvent::new(EventKind::ConsentRevoked)
                .actor(user_id)
                .subject(user_id)
                .detail(json!({
                    "reason": "replaced",
                    "scope": previous.scope.as_str(),
                    "expires_at": previous.expires_at,
                }));
            Self::append_event(&mut tx, replaced, now).await?;
            // A session runs on the consent it started with: a new scope or expiry is a new
            // consent, which a new session must be started on.
            Self::end_sessions_on_member(&mut tx, user_id, EndReason::ConsentRevoked, now).await?;
        }
        sqlx::query(
            "INSERT INTO consents (user_id, scope, granted_at, expires_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (user_id) DO UPDATE SET scope = excluded.scope, granted_at = excluded.granted_at, \
             expires_at = excluded.expires_at",
        )
        .bind(user_id)
        .bind(consent.scope.as_str())
        .bind(consent.granted_at)
        .bind(consent.expires_at)
        .execute(&mut *tx)
        .await?;
        let granted = NewEvent::new(EventKind::ConsentGranted)
            .actor(user_id)
            .subject(user_id)
            .detail(json!({
                "scope": consent.scope.as_str(),
                "hours": hours,
                "expires_at": consent.expires_at,
            }));
        Self::append_event(&mut tx, granted, now).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Revokes the member's consent at once. Returns false (and records nothing) if there was
    /// no active consent to revoke.
    pub async fn revoke_consent(&self, user_id: i64, now: i64) -> Result<bool, StoreError> {
        let mut tx = self.begin_write().await?;
        let removed = sqlx::query(
            "DELETE FROM consents WHERE user_id = $1 RETURNING scope, granted_at, expires_at",
        )
        .bind(user_id)
        .fetch_optional(&mut *tx)
        .await?
        .map(|row| consent_from_row(&row))
        .transpose()?;
        let Some(removed) = removed.filter(|consent| consent.is_active(now)) else {
            tx.commit().await?; // an expired row is gone either way
            return Ok(false);
        };
        let revoked = NewEvent::new(EventKind::ConsentRevoked)
            .actor(user_id)
            .subject(user_id)
            .detail(json!({
                "reason": "revoked by member",
                "scope": removed.scope.as_str(),
                "expires_at": removed.expires_at,
            }));
        Self::append_event(&mut tx, revoked, now).await?;
        // Takes effect at once: every live session on this account ends with the revocation.
        Self::end_sessions_on_member(&mut tx, user_id, EndReason::ConsentRevoked, now).await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Stores a new support code's hash, with its audit event (which never holds the code).
    /// A new code replaces any the member issued before and nobody used: one live code at most.
    pub async fn issue_support_code(
        &self,
        user_id: i64,
        code_hash: &str,
        code: SupportCode,
        now: i64,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        sqlx::query("DELETE FROM support_codes WHERE user_id = $1 AND used_at IS NULL")
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO support_codes (user_id, code_hash, scope, issued_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(user_id)
        .bind(code_hash)
        .bind(code.scope.as_str())
        .bind(code.issued_at)
        .bind(code.expires_at)
        .execute(&mut *tx)
        .await?;
        let issued = NewEvent::new(EventKind::SupportCodeIssued)
            .actor(user_id)
            .subject(user_id)
            .detail(json!({
                "scope": code.scope.as_str(),
                "expires_at": code.expires_at,
            }));
        Self::append_event(&mut tx, issued, now).await?;
        tx.commit().await?;
        Ok(())
    }
}

/// The member's account: profile, projects and payout details. `actor_id` is who made the
/// change (the member, or later an administrator acting as them); `owner_id` whose it is.
impl Store {
    pub async fn profile(&self, user_id: i64) -> Result<Option<Profile>, StoreError> {
        let row =
            sqlx::query("SELECT display_name, phone, time_zone FROM profiles WHERE user_id = $1")
                .bind(user_id)
                .fetch_optional(&self.pool)
                .await?;
        row.map(|row| {
            Ok(Profile {
                display_name: row.try_get("display_name")?,
                phone: row.try_get("phone")?,
                time_zone: row.try_get("time_zone")?,
            })
        })
        .transpose()
    }

    pub async fn update_profile(
        &self,
        owner_id: i64,
        by: By,
        profile: &Profile,
        now: i64,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin_write_by(&by, now).await?;
        sqlx::query(
            "INSERT INTO profiles (user_id, display_name, phone, time_zone, updated_at) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (user_id) DO UPDATE SET display_name = excluded.display_name, phone = excluded.phone, \
             time_zone = excluded.time_zone, updated_at = excluded.updated_at",
        )
        .bind(owner_id)
        .bind(&profile.display_name)
        .bind(&profile.phone)
        .bind(&profile.time_zone)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        let event = NewEvent::new(EventKind::ProfileUpdated)
            .by(&by)
            .subject(owner_id)
            .detail(json!({
                "display_name": profile.display_name,
                "phone": profile.phone,
                "time_zone": profile.time_zone,
            }));
        Self::append_event(&mut tx, event, now).await?;
        Self::commit_by(tx, &by, now).await?;
        Ok(())
    }

    pub async fn projects(&self, owner_id: i64) -> Result<Vec<Project>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, name, created_at, archived_at FROM projects WHERE owner_id = $1 ORDER BY archived_at IS NOT NULL, id",
        )
        .bind(owner_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                let archived_at: Option<i64> = row.try_get("archived_at")?;
                Ok(Project {
                    id: row.try_get("id")?,
                    name: row.try_get("name")?,
                    created_at: row.try_get("created_at")?,
                    archived: archived_at.is_some(),
                })
            })
            .collect()
    }

    pub async fn create_project(
        &self,
        owner_id: i64,
        by: By,
        name: &str,
        now: i64,
    ) -> Result<i64, StoreError> {
        let mut tx = self.begin_write_by(&by, now).await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO projects (owner_id, name, created_at) VALUES ($1, $2, $3) RETURNING id",
        )
        .bind(owner_id)
        .bind(name)
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        let event = NewEvent::new(EventKind::ProjectCreated)
            .by(&by)
            .subject(owner_id)
            .detail(json!({"project_id": id, "name": name}));
        Self::append_event(&mut tx, event, now).await?;
        Self::commit_by(tx, &by, now).await?;
        Ok(id)
    }

    /// Renames one of the owner's own active projects; false if there is no such project.
    pub async fn rename_project(
        &self,
        owner_id: i64,
        by: By,
        project_id: i64,
        name: &str,
        now: i64,
    ) -> Result<bool, StoreError> {
        let mut tx = self.begin_write_by(&by, now).await?;
        let old_name: Option<String> = sqlx::query_scalar(
            "SELECT name FROM projects WHERE id = $1 AND owner_id = $2 AND archived_at IS NULL",
        )
        .bind(project_id)
        .bind(owner_id)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(old_name) = old_name else {
            return Ok(false);
        };
        sqlx::query("UPDATE projects SET name = $1 WHERE id = $2 AND owner_id = $3")
            .bind(name)
            .bind(project_id)
            .bind(owner_id)
            .execute(&mut *tx)
            .await?;
        let event = NewEvent::new(EventKind::ProjectRenamed)
            .by(&by)
            .subject(owner_id)
            .detail(json!({"project_id": project_id, "from": old_name, "to": name}));
        Self::append_event(&mut tx, event, now).await?;
        Self::commit_by(tx, &by, now).await?;
        Ok(true)
    }

    /// Archives one of the owner's own active projects; false if there is no such project.
    pub async fn archive_project(
        &self,
        owner_id: i64,
        by: By,
        project_id: i64,
        now: i64,
    ) -> Result<bool, StoreError> {
        let mut tx = self.begin_write_by(&by, now).await?;
        let archived = sqlx::query(
            "UPDATE projects SET archived_at = $1 WHERE id = $2 AND owner_id = $3 AND archived_at IS NULL",
        )
        .bind(now)
        .bind(project_id)
        .bind(owner_id)
        .execute(&mut *tx)
        .await?
        .rows_affected()
            > 0;
        if !archived {
            return Ok(false);
        }
        let event = NewEvent::new(EventKind::ProjectArchived)
            .by(&by)
            .subject(owner_id)
            .detail(json!({"project_id": project_id}));
        Self::append_event(&mut tx, event, now).await?;
        Self::commit_by(tx, &by, now).await?;
        Ok(true)
    }

    /// The stored IBAN and when it was last changed.
    pub async fn payout_iban(&self, user_id: i64) -> Result<Option<(String, i64)>, StoreError> {
        let row = sqlx::query("SELECT iban, updated_at FROM payout_details WHERE user_id = $1")
            .bind(user_id)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|row| Ok((row.try_get("iban")?, row.try_get("updated_at")?)))
            .transpose()
    }

    pub async fn update_payout(
        &self,
        owner_id: i64,
        by: By,
        iban: &str,
        now: i64,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin_write_by(&by, now).await?;
        sqlx::query(
            "INSERT INTO payout_details (user_id, iban, updated_at) VALUES ($1, $2, $3) \
             ON CONFLICT (user_id) DO UPDATE SET iban = excluded.iban, updated_at = excluded.updated_at",
        )
        .bind(owner_id)
        .bind(iban)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        // The IBAN itself never enters the audit trail (and would be redacted if it did).
        let event = NewEvent::new(EventKind::PayoutUpdated)
            .by(&by)
            .subject(owner_id)
            .detail(json!({"changed": ["iban"]}));
        Self::append_event(&mut tx, event, now).await?;
        Self::commit_by(tx, &by, now).await?;
        Ok(())
    }
}

/// What a start needs to know, gathered inside its transaction.
pub struct StartFacts {
    pub actor: Actor,
    pub target: Target,
}

/// A session that started: its id and the sign-in token digest that now carries it.
#[derive(Clone, Debug)]
pub struct StartedSession {
    pub id: i64,
    pub plan: SessionPlan,
}

/// A start request: who, as whom, why, on what authority, with which new sign-in token.
pub struct StartRequest<'a> {
    pub actor_token_digest: &'a str,
    pub new_token_digest: &'a str,
    pub target_id: i64,
    pub reason: &'a str,
    /// A support code already matched (outside the lock, it costs Argon2 time) to this id.
    pub support_code_id: Option<i64>,
}

/// Impersonation sessions: started and ended atomically with the checks that allow them.
impl Store {
    /// Starts a session if `decide` allows it on facts read inside the same locked
    /// transaction, so no concurrent start, revoke or exit can slip between check and insert.
    /// A refusal is recorded as `impersonation_denied` with the rule that refused.
    pub async fn start_impersonation(
        &self,
        request: StartRequest<'_>,
        sign_in_expires_at: impl FnOnce(i64, i64) -> i64,
        decide: impl FnOnce(&StartFacts, Authority) -> Result<SessionPlan, StartRefusal>,
        now: i64,
    ) -> Result<Result<StartedSession, StartRefusal>, StoreError> {
        let mut tx = self.begin_write().await?;
        let actor_row = sqlx::query(&format!(
            "SELECT {USER_COLUMNS}, s.created_at, s.last_seen_at, \
             (SELECT COUNT(*) FROM impersonators i WHERE i.user_id = u.id) AS allowed \
             FROM sign_in_sessions s JOIN users u ON u.id = s.user_id WHERE s.token_digest = $1"
        ))
        .bind(request.actor_token_digest)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(actor_row) = actor_row else {
            return Ok(Err(StartRefusal::NotOnAllowList));
        };
        let actor_user = user_from_row(&actor_row)?;
        Self::end_expired_sessions(&mut tx, actor_user.id, request.target_id, now).await?;

        let allowed: i64 = actor_row.try_get("allowed")?;
        let holds_session: Option<i64> = sqlx::query_scalar(
            "SELECT id FROM impersonation_sessions WHERE actor_id = $1 AND ended_at IS NULL",
        )
        .bind(actor_user.id)
        .fetch_optional(&mut *tx)
        .await?;
        let actor = Actor {
            id: actor_user.id,
            role: actor_user.role,
            status: actor_user.status,
            on_allow_list: allowed > 0,
            sign_in_expires_at: sign_in_expires_at(
                actor_row.try_get("created_at")?,
                actor_row.try_get("last_seen_at")?,
            ),
            holds_session: holds_session.is_some(),
        };
        let target_row = sqlx::query(&format!(
            "SELECT {USER_COLUMNS} FROM users u WHERE u.id = $1"
        ))
        .bind(request.target_id)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(target_user) = target_row.map(|row| user_from_row(&row)).transpose()? else {
            return Ok(Err(StartRefusal::TargetNotMember));
        };
        let held_by: Option<String> = sqlx::query_scalar(
            "SELECT u.name FROM impersonation_sessions s JOIN users u ON u.id = s.actor_id \
             WHERE s.target_id = $1 AND s.ended_at IS NULL",
        )
        .bind(target_user.id)
        .fetch_optional(&mut *tx)
        .await?;
        let target = Target {
            id: target_user.id,
            role: target_user.role,
            status: target_user.status,
            consent: Self::consent_on(&mut tx, target_user.id).await?,
            held_by,
        };

        let authority = match request.support_code_id {
            Some(code_id) => {
                let scope: Option<String> = sqlx::query_scalar(
                    "SELECT scope FROM support_codes WHERE id = $1 AND user_id = $2 AND used_at IS NULL AND expires_at > $3",
                )
                .bind(code_id)
                .bind(target.id)
                .bind(now)
                .fetch_optional(&mut *tx)
                .await?;
                match scope.as_deref().and_then(Scope::parse) {
                    Some(scope) => Authority::SupportCode(scope),
                    // Used or expired since it was matched: as good as no code.
                    None => {
                        return Ok(Err(self
                            .deny(tx, &actor, &target, StartRefusal::NoConsent, now)
                            .await?))
                    }
                }
            }
            None => Authority::Consent,
        };
        let facts = StartFacts { actor, target };
        let plan = match decide(&facts, authority) {
            Ok(plan) => plan,
            Err(refusal) => {
                return Ok(Err(self
                    .deny(tx, &facts.actor, &facts.target, refusal, now)
                    .await?))
            }
        };

        let via = if request.support_code_id.is_some() {
            "support_code"
        } else {
            "consent"
        };
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO impersonation_sessions (actor_id, target_id, reason, scope, via, started_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        )
        .bind(facts.actor.id)
        .bind(facts.target.id)
        .bind(request.reason)
        .bind(plan.scope.as_str())
        .bind(via)
        .bind(now)
        .bind(plan.expires_at)
        .fetch_one(&mut *tx)
        .await?;
        if let Some(code_id) = request.support_code_id {
            sqlx::query("UPDATE support_codes SET used_at = $1, used_by = $2 WHERE id = $3")
                .bind(now)
                .bind(facts.actor.id)
                .bind(code_id)
                .execute(&mut *tx)
                .await?;
        }
        // The sign-in's id is rotated as it takes on the act-as marker.
        sqlx::query("UPDATE sign_in_sessions SET token_digest = $1, impersonation_id = $2 WHERE token_digest = $3")
            .bind(request.new_token_digest)
            .bind(id)
            .bind(request.actor_token_digest)
            .execute(&mut *tx)
            .await?;
        let mut started = NewEvent::new(EventKind::ImpersonationStarted)
            .actor(facts.actor.id)
            .subject(facts.target.id)
            .detail(json!({
                "reason": request.reason,
                "scope": plan.scope.as_str(),
                "via": via,
                "expires_at": plan.expires_at,
            }));
        started.impersonation_id = Some(id);
        Self::append_event(&mut tx, started, now).await?;
        tx.commit().await?;
        Ok(Ok(StartedSession { id, plan }))
    }

    async fn deny(
        &self,
        mut tx: Tx,
        actor: &Actor,
        target: &Target,
        refusal: StartRefusal,
        now: i64,
    ) -> Result<StartRefusal, StoreError> {
        let denied = NewEvent::new(EventKind::ImpersonationDenied)
            .actor(actor.id)
            .subject(target.id)
            .detail(json!({"rule": refusal.rule(), "message": refusal.to_string()}));
        Self::append_event(&mut tx, denied, now).await?;
        tx.commit().await?;
        Ok(refusal)
    }

    /// Ends every live session on the member's account for `reason`, each recorded once.
    async fn end_sessions_on_member(
        conn: &mut AnyConnection,
        member_id: i64,
        reason: EndReason,
        now: i64,
    ) -> Result<(), StoreError> {
        let live: Vec<AnyRow> =
            sqlx::query("SELECT id, actor_id FROM impersonation_sessions WHERE target_id = $1 AND ended_at IS NULL")
                .bind(member_id)
                .fetch_all(&mut *conn)
                .await?;
        for row in live {
            Self::end_session_on(
                conn,
                row.try_get("id")?,
                row.try_get("actor_id")?,
                member_id,
                reason,
                None,
                now,
            )
            .await?;
        }
        Ok(())
    }

    /// Records the end of live sessions of this actor or on this target that have expired.
    async fn end_expired_sessions(
        conn: &mut AnyConnection,
        actor_id: i64,
        target_id: i64,
        now: i64,
    ) -> Result<(), StoreError> {
        let expired: Vec<AnyRow> = sqlx::query(
            "SELECT id, actor_id, target_id FROM impersonation_sessions \
             WHERE ended_at IS NULL AND expires_at <= $1 AND (actor_id = $2 OR target_id = $3)",
        )
        .bind(now)
        .bind(actor_id)
        .bind(target_id)
        .fetch_all(&mut *conn)
        .await?;
        for row in expired {
            let id: i64 = row.try_get("id")?;
            Self::end_session_on(
                conn,
                id,
                row.try_get("actor_id")?,
                row.try_get("target_id")?,
                EndReason::Expired,
                None,
                now,
            )
            .await?;
        }
        Ok(())
    }

    /// Ends a live session once: the first caller records `impersonation_ended` with its
    /// reason; later callers find it ended and record nothing.
    async fn end_session_on(
        conn: &mut AnyConnection,
        id: i64,
        actor_id: i64,
        target_id: i64,
        reason: EndReason,
        new_token_digest: Option<&str>,
        now: i64,
    ) -> Result<bool, StoreError> {
        // A session already past its expiry ended by expiring, whatever noticed it first.
        let expires_at: Option<i64> = sqlx::query_scalar(
            "SELECT expires_at FROM impersonation_sessions WHERE id = $1 AND ended_at IS NULL",
        )
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?;
        let Some(expires_at) = expires_at else {
            return Ok(false);
        };
        let reason = if now >= expires_at {
            EndReason::Expired
        } else {
            reason
        };
        let ended = sqlx::query(
            "UPDATE impersonation_sessions SET ended_at = $1, end_reason = $2 WHERE id = $3 AND ended_at IS NULL",
        )
        .bind(now)
        .bind(reason.as_str())
        .bind(id)
        .execute(&mut *conn)
        .await?
        .rows_affected()
            > 0;
        if !ended {
            return Ok(false);
        }
        // The administrator's own exit clears the act-as marker (and rotates the sign-in id).
        // Any other end leaves it, so the administrator's next request finds the session
        // ended, is refused with the reason, and clears it.
        if let Some(digest) = new_token_digest {
            sqlx::query("UPDATE sign_in_sessions SET impersonation_id = NULL, token_digest = $1 WHERE impersonation_id = $2")
                .bind(digest)
                .bind(id)
                .execute(&mut *conn)
                .await?;
        }
        let mut event = NewEvent::new(EventKind::ImpersonationEnded)
            .actor(actor_id)
            .subject(target_id)
            .detail(json!({"end_reason": reason.as_str()}));
        event.impersonation_id = Some(id);
        Self::append_event(conn, event, now).await?;
        Ok(true)
    }

    /// The administrator ends their own session (`exited`); the sign-in id is rotated.
    pub async fn exit_impersonation(
        &self,
        actor_token_digest: &str,
        new_token_digest: &str,
        action: Option<&ActingRequest>,
        now: i64,
    ) -> Result<bool, StoreError> {
        let mut tx = self.begin_write().await?;
        let live = sqlx::query(
            "SELECT s.id, s.actor_id, s.target_id FROM sign_in_sessions g \
             JOIN impersonation_sessions s ON s.id = g.impersonation_id \
             WHERE g.token_digest = $1 AND s.ended_at IS NULL",
        )
        .bind(actor_token_digest)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(live) = live else {
            return Ok(false);
        };
        let ended = Self::end_session_on(
            &mut tx,
            live.try_get("id")?,
            live.try_get("actor_id")?,
            live.try_get("target_id")?,
            EndReason::Exited,
            Some(new_token_digest),
            now,
        )
        .await?;
        // Nothing ended, nothing done: the request is recorded with the refusal it gets.
        let action = action.filter(|_| ended);
        Self::commit_with_action(tx, action, now).await?;
        Ok(ended)
    }

    /// Everything a request needs to re-check the session it acts in.
    pub async fn live_session(&self, id: i64) -> Result<Option<LiveSessionRow>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {USER_COLUMNS}, s.actor_id, s.scope, s.via, s.expires_at, s.ended_at, s.end_reason, \
             a.status AS actor_status, (SELECT COUNT(*) FROM impersonators i WHERE i.user_id = s.actor_id) AS allowed \
             FROM impersonation_sessions s JOIN users u ON u.id = s.target_id JOIN users a ON a.id = s.actor_id \
             WHERE s.id = $1"
        ))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let target = user_from_row(&row)?;
        let scope: String = row.try_get("scope")?;
        let via: String = row.try_get("via")?;
        let actor_status: String = row.try_get("actor_status")?;
        let allowed: i64 = row.try_get("allowed")?;
        let end_reason: Option<String> = row.try_get("end_reason")?;
        Ok(Some(LiveSessionRow {
            id,
            scope: Scope::parse(&scope).ok_or(StoreError::Corrupt {
                column: "impersonation_sessions.scope",
                value: scope,
            })?,
            ended: end_reason.as_deref().and_then(EndReason::parse),
            facts: LiveSession {
                expires_at: row.try_get("expires_at")?,
                on_consent: via == "consent",
                consent: Self::consent(self, target.id).await?,
                target_status: target.status,
                actor_status: UserStatus::parse(&actor_status).ok_or(StoreError::Corrupt {
                    column: "users.status",
                    value: actor_status,
                })?,
                actor_on_allow_list: allowed > 0,
                actor_signed_in: true,
            },
            target,
        }))
    }

    /// Ends a session for `reason`, recorded once whoever observes it first.
    pub async fn end_session(
        &self,
        id: i64,
        reason: EndReason,
        now: i64,
    ) -> Result<bool, StoreError> {
        let mut tx = self.begin_write().await?;
        let ended = Self::end_session_by_id(&mut tx, id, reason, now).await?;
        tx.commit().await?;
        Ok(ended)
    }

    async fn end_session_by_id(
        conn: &mut AnyConnection,
        id: i64,
        reason: EndReason,
        now: i64,
    ) -> Result<bool, StoreError> {
        let row =
            sqlx::query("SELECT actor_id, target_id FROM impersonation_sessions WHERE id = $1")
                .bind(id)
                .fetch_optional(&mut *conn)
                .await?;
        let Some(row) = row else { return Ok(false) };
        Self::end_session_on(
            conn,
            id,
            row.try_get("actor_id")?,
            row.try_get("target_id")?,
            reason,
            None,
            now,
        )
        .await
    }

    /// Drops the act-as marker from a sign-in once its session was found ended,
    /// and rotates the sign-in's id, as at every end of an impersonation (SPEC.md §6).
    pub async fn clear_marker(
        &self,
        token_digest: &str,
        new_token_digest: &str,
    ) -> Result<(), StoreError> {
        sqlx::query("UPDATE sign_in_sessions SET impersonation_id = NULL, token_digest = $1 WHERE token_digest = $2")
            .bind(new_token_digest)
            .bind(token_digest)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// The member's support codes that could still be redeemed at `now`.
    pub async fn redeemable_support_codes(
        &self,
        user_id: i64,
        now: i64,
    ) -> Result<Vec<StoredSupportCode>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, code_hash, scope, issued_at, expires_at, used_at FROM support_codes \
             WHERE user_id = $1 AND used_at IS NULL AND expires_at > $2",
        )
        .bind(user_id)
        .bind(now)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                let scope: String = row.try_get("scope")?;
                Ok(StoredSupportCode {
                    id: row.try_get("id")?,
                    code_hash: row.try_get("code_hash")?,
                    code: SupportCode {
                        issued_at: row.try_get("issued_at")?,
                        expires_at: row.try_get("expires_at")?,
                        used_at: row.try_get("used_at")?,
                        scope: Scope::parse(&scope).ok_or(StoreError::Corrupt {
                            column: "support_codes.scope",
                            value: scope,
                        })?,
                    },
                })
            })
            .collect()
    }

    /// The name of the administrator acting on this member's account right now, if any.
    pub async fn live_session_holder(
        &self,
        member_id: i64,
        now: i64,
    ) -> Result<Option<String>, StoreError> {
        Ok(sqlx::query_scalar(
            "SELECT a.name FROM impersonation_sessions s JOIN users a ON a.id = s.actor_id \
             WHERE s.target_id = $1 AND s.ended_at IS NULL AND s.expires_at > $2",
        )
        .bind(member_id)
        .bind(now)
        .fetch_optional(&self.pool)
        .await?)
    }

    /// The member ends every session on their account (`ended by user`). False if none was live.
    pub async fn end_sessions_by_member(
        &self,
        member_id: i64,
        now: i64,
    ) -> Result<bool, StoreError> {
        let mut tx = self.begin_write().await?;
        let live: Option<i64> = sqlx::query_scalar(
            "SELECT id FROM impersonation_sessions WHERE target_id = $1 AND ended_at IS NULL",
        )
        .bind(member_id)
        .fetch_optional(&mut *tx)
        .await?;
        Self::end_sessions_on_member(&mut tx, member_id, EndReason::EndedByUser, now).await?;
        tx.commit().await?;
        Ok(live.is_some())
    }

    /// Whether the account holds the right to impersonate.
    pub async fn is_impersonator(&self, user_id: i64) -> Result<bool, StoreError> {
        let found: Option<i64> =
            sqlx::query_scalar("SELECT user_id FROM impersonators WHERE user_id = $1")
                .bind(user_id)
                .fetch_optional(&self.pool)
                .await?;
        Ok(found.is_some())
    }

    /// A session as the member's history and the tests see it.
    pub async fn impersonation_session(
        &self,
        id: i64,
    ) -> Result<Option<SessionRecord>, StoreError> {
        let row = sqlx::query(
            "SELECT actor_id, target_id, scope, expires_at, ended_at, end_reason FROM impersonation_sessions WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|row| {
            let scope: String = row.try_get("scope")?;
            Ok(SessionRecord {
                actor_id: row.try_get("actor_id")?,
                target_id: row.try_get("target_id")?,
                scope: Scope::parse(&scope).ok_or(StoreError::Corrupt {
                    column: "impersonation_sessions.scope",
                    value: scope,
                })?,
                expires_at: row.try_get("expires_at")?,
                ended_at: row.try_get("ended_at")?,
                end_reason: row.try_get("end_reason")?,
            })
        })
        .transpose()
    }
}

/// A session as each request re-reads it: the member acted as, and the facts `check_live` judges.
#[derive(Clone, Debug)]
pub struct LiveSessionRow {
    pub id: i64,
    pub target: UserSummary,
    pub scope: Scope,
    /// Set once the session has ended, with the reason it was recorded with.
    pub ended: Option<EndReason>,
    pub facts: LiveSession,
}

/// One impersonation session as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionRecord {
    pub actor_id: i64,
    pub target_id: i64,
    pub scope: Scope,
    pub expires_at: i64,
    pub ended_at: Option<i64>,
    pub end_reason: Option<String>,
}

fn consent_from_row(row: &AnyRow) -> Result<Consent, StoreError> {
    let scope: String = row.try_get("scope")?;
    Ok(Consent {
        scope: Scope::parse(&scope).ok_or(StoreError::Corrupt {
            column: "consents.scope",
            value: scope,
        })?,
        granted_at: row.try_get("granted_at")?,
        expires_at: row.try_get("expires_at")?,
    })
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

#[cfg(test)]
mod tests {
    use super::escape_like;

    #[test]
    fn like_wildcards_in_a_search_match_literally() {
        assert_eq!(escape_like("50%_a\\b"), "50\\%\\_a\\\\b");
    }
}
