//! `sign_in_sessions` and `failed_attempts`: who is signed in, and how often someone guessed.

use super::impersonation_sessions::{
    LiveFacts, LiveSessionRow, APPROVAL_COLUMNS, LIVE_FACTS_COLUMNS, LIVE_FACTS_JOINS,
    SESSION_COLUMNS,
};
use super::{Store, StoreError, Tx};
use crate::model::UserSummary;
use crate::ssr::action_record::ActingRequest;
use crate::ssr::audit::{EventKind, NewEvent};
use crate::ssr::credentials;
use crate::ssr::impersonation_state::Trigger;
use crate::ssr::sign_in_limits::{Bucket, BucketUse, LimitReached};
use serde_json::json;
use sqlx::{AnyConnection, FromRow, Row};

/// A user as sign-in needs them, password hash included. Never leaves the server.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct UserCredentials {
    #[sqlx(flatten)]
    pub user: UserSummary,
    pub password_hash: String,
}

/// A sign-in session joined with its user.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct SignInRecord {
    #[sqlx(flatten)]
    pub user: UserSummary,
    /// The sign-in's current token digest (a request may have come with the previous one).
    pub token_digest: String,
    pub created_at: i64,
    pub last_seen_at: i64,
    /// The act-as marker: the impersonation session this sign-in acts in, if any.
    pub impersonation_id: Option<i64>,
}

/// The columns `SignInRecord` reads (`si` the sign-in, `me` its user).
const SIGN_IN_COLUMNS: &str = "me.id, me.name, me.email, me.role, me.status, si.token_digest, \
     si.created_at, si.last_seen_at, si.impersonation_id";

/// The sign-in, `si`, with its user, `me`.
const SIGN_IN_FROM: &str = "FROM sign_in_sessions si JOIN users me ON me.id = si.user_id";

/// The sign-in a token names (`$1` its digest, `$2` now): by its current digest, or for a few
/// seconds after a rotation by the one before, the current one first.
const NAMED_BY_TOKEN: &str = "WHERE si.token_digest = $1 \
     OR (si.previous_digest = $1 AND si.previous_until > $2) \
     ORDER BY si.token_digest = $1 DESC LIMIT 1";

/// How long a rotated-away token still names its sign-in: long enough for the requests a page
/// had under way, short enough to be no second credential.
pub const ROTATION_GRACE_MS: i64 = 10_000;

/// A sign-in to start: whose, its token's digest, and where it comes from.
#[derive(Clone, Copy, Debug)]
pub struct NewSignIn<'a> {
    pub user_id: i64,
    /// The password hash the sign-in's password was checked against.
    pub checked_hash: &'a str,
    pub token_digest: &'a str,
    /// The browser's `User-Agent`, cut short; shown to the person, never trusted.
    pub user_agent: &'a str,
    pub address: &'a str,
}

/// One of a person's sign-ins, as `Where you're signed in` lists it.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct SignInListing {
    pub handle: String,
    pub created_at: i64,
    pub last_seen_at: i64,
    pub user_agent: String,
    pub address: String,
    pub token_digest: String,
}

/// Why an email could not be changed.
#[derive(Debug, thiserror::Error)]
pub enum ChangeEmailError {
    #[error("An account with this email already exists.")]
    EmailTaken,
    #[error("Your password or sign-in changed meanwhile. Sign in again and retry.")]
    CredentialsChanged,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for ChangeEmailError {
    fn from(error: sqlx::Error) -> Self {
        ChangeEmailError::Store(error.into())
    }
}

/// Why an attempt was not counted (and so may not be made).
#[derive(Debug, thiserror::Error)]
pub enum AttemptRefused {
    #[error("too many attempts; wait {wait_ms} ms")]
    TooManyAttempts {
        /// The place, in the buckets given, of the one that refused.
        bucket: usize,
        wait_ms: i64,
        /// Whether this is the first refusal of that bucket's window: only it is recorded,
        /// with how many were refused in the window before (`refused_before`).
        first_in_window: bool,
        refused_before: i64,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for AttemptRefused {
    fn from(error: sqlx::Error) -> Self {
        AttemptRefused::Store(error.into())
    }
}

impl Store {
    /// Counts an attempt against each of its buckets before it is judged, in one locked
    /// transaction, so attempts sent at once cannot all slip under a limit together. `judge`
    /// says from the buckets as they stand whether it may be made; if not, nothing is counted
    /// and the refusal says which bucket refused, how long to wait, and whether it is the
    /// first of that bucket's window (the one worth recording). Rows that have left their
    /// window are dropped on the way, so the table stays small.
    #[tracing::instrument(skip_all)]
    pub async fn reserve_attempt(
        &self,
        buckets: &[Bucket],
        attempt_id: &str,
        judge: impl FnOnce(&[BucketUse]) -> Result<(), LimitReached>,
        now: i64,
    ) -> Result<(), AttemptRefused> {
        let mut tx = self.begin_write().await?;
        let mut used = Vec::with_capacity(buckets.len());
        for bucket in buckets {
            sqlx::query("DELETE FROM failed_attempts WHERE bucket = $1 AND at_ms <= $2")
                .bind(&bucket.key)
                .bind(now - bucket.window_ms)
                .execute(&mut *tx)
                .await?;
            let bucket_use: BucketUse = sqlx::query_as(
                "SELECT COUNT(*) AS count, MIN(at_ms) AS oldest, MAX(at_ms) AS newest \
                 FROM failed_attempts WHERE bucket = $1",
            )
            .bind(&bucket.key)
            .fetch_one(&mut *tx)
            .await?;
            used.push(bucket_use);
        }
        if let Err(reached) = judge(&used) {
            let bucket = &buckets[reached.bucket];
            let (first_in_window, refused_before) =
                Self::count_refusal(&mut tx, bucket, now).await?;
            tx.commit().await?; // the clean-up and the count
            return Err(AttemptRefused::TooManyAttempts {
                bucket: reached.bucket,
                wait_ms: reached.wait_ms,
                first_in_window,
                refused_before,
            });
        }
        for bucket in buckets {
            sqlx::query(
                "INSERT INTO failed_attempts (bucket, at_ms, attempt_id) VALUES ($1, $2, $3)",
            )
            .bind(&bucket.key)
            .bind(now)
            .bind(attempt_id)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Counts a refusal in its bucket's notice: the first of a window starts a new count
    /// (true, with the count of the window before); later ones only add to it.
    async fn count_refusal(
        conn: &mut AnyConnection,
        bucket: &Bucket,
        now: i64,
    ) -> Result<(bool, i64), StoreError> {
        let notice: Option<(i64, i64)> =
            sqlx::query_as("SELECT window_start, refused FROM limit_notices WHERE bucket = $1")
                .bind(&bucket.key)
                .fetch_optional(&mut *conn)
                .await?;
        match notice {
            Some((window_start, _)) if window_start > now - bucket.window_ms => {
                sqlx::query("UPDATE limit_notices SET refused = refused + 1 WHERE bucket = $1")
                    .bind(&bucket.key)
                    .execute(&mut *conn)
                    .await?;
                Ok((false, 0))
            }
            stale => {
                sqlx::query(
                    "INSERT INTO limit_notices (bucket, window_start, refused) VALUES ($1, $2, 1) \
                     ON CONFLICT (bucket) DO UPDATE SET window_start = excluded.window_start, refused = 1",
                )
                .bind(&bucket.key)
                .bind(now)
                .execute(&mut *conn)
                .await?;
                Ok((true, stale.map_or(0, |(_, refused)| refused)))
            }
        }
    }

    /// Takes a successful attempt back out of every limit it was counted against.
    pub async fn release_attempt(&self, attempt_id: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM failed_attempts WHERE attempt_id = $1")
            .bind(attempt_id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub async fn credentials_by_email(
        &self,
        email: &str,
    ) -> Result<Option<UserCredentials>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT u.id, u.name, u.email, u.role, u.status, u.password_hash FROM users u WHERE u.email = $1",
        )
        .bind(email)
        .fetch_optional(&self.pool)
        .await?)
    }

    /// Starts a sign-in session (and ends the one it replaces, if any), with its audit event
    /// and, when the replaced sign-in was acting, the `action` record of the request.
    /// The attempt that led here no longer counts against any limit. False, and nothing
    /// done, if the account's password or status changed since the password was checked.
    #[tracing::instrument(skip_all, fields(user_id = sign_in.user_id))]
    pub async fn start_sign_in(
        &self,
        sign_in: &NewSignIn<'_>,
        replaces: Option<&str>,
        attempt_id: &str,
        event: NewEvent,
        action: Option<&ActingRequest>,
        now: i64,
    ) -> Result<bool, StoreError> {
        let mut tx = self.begin_write().await?;
        if !Self::credentials_unchanged(&mut tx, sign_in.user_id, sign_in.checked_hash).await? {
            return Ok(false);
        }
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
                let trigger = Trigger::SignInEnded {
                    session_id,
                    still_active: true,
                };
                Self::end_sessions(&mut tx, trigger, now).await?;
            }
            // Whoever's it was: a sign-in ended is news for its open pages.
            let replaced: Option<i64> = sqlx::query_scalar(
                "DELETE FROM sign_in_sessions WHERE token_digest = $1 RETURNING user_id",
            )
            .bind(old)
            .fetch_optional(&mut *tx)
            .await?;
            tx.concerns(replaced);
        }
        sqlx::query(
            "INSERT INTO sign_in_sessions (token_digest, user_id, created_at, last_seen_at, handle, user_agent, address) \
             VALUES ($1, $2, $3, $3, $4, $5, $6)",
        )
        .bind(sign_in.token_digest)
        .bind(sign_in.user_id)
        .bind(now)
        .bind(credentials::new_handle())
        .bind(sign_in.user_agent)
        .bind(sign_in.address)
        .execute(&mut *tx)
        .await?;
        Self::commit_with_action(tx, action, now).await?;
        Ok(true)
    }

    /// Whether the account is active and has the password hash a password was checked
    /// against, read under the write lock: the check and what it allows are one.
    pub(super) async fn credentials_unchanged(
        conn: &mut AnyConnection,
        user_id: i64,
        checked_hash: &str,
    ) -> Result<bool, StoreError> {
        let current: Option<String> = sqlx::query_scalar(
            "SELECT password_hash FROM users WHERE id = $1 AND status = 'active'",
        )
        .bind(user_id)
        .fetch_optional(&mut *conn)
        .await?;
        Ok(current.as_deref() == Some(checked_hash))
    }

    /// Whether this sign-in of the person still stands (another browser may have ended it).
    async fn still_signed_in(
        conn: &mut AnyConnection,
        user_id: i64,
        token_digest: &str,
    ) -> Result<bool, StoreError> {
        let found: Option<i64> = sqlx::query_scalar(
            "SELECT user_id FROM sign_in_sessions WHERE user_id = $1 AND token_digest = $2",
        )
        .bind(user_id)
        .bind(token_digest)
        .fetch_optional(&mut *conn)
        .await?;
        Ok(found.is_some())
    }

    /// A change to one's own credentials goes ahead only while the password it was confirmed
    /// with is still the account's and the sign-in asking still stands.
    pub(super) async fn own_change_allowed(
        conn: &mut AnyConnection,
        user_id: i64,
        keep_digest: &str,
        checked_hash: &str,
    ) -> Result<bool, StoreError> {
        Ok(
            Self::credentials_unchanged(conn, user_id, checked_hash).await?
                && Self::still_signed_in(conn, user_id, keep_digest).await?,
        )
    }

    /// The sign-in a token names: by its current digest, or for a few seconds after a rotation
    /// by the one before (see `rotate_after_session`).
    pub async fn sign_in_record(
        &self,
        token_digest: &str,
        now: i64,
    ) -> Result<Option<SignInRecord>, StoreError> {
        Ok(sqlx::query_as(&format!(
            "SELECT {SIGN_IN_COLUMNS} {SIGN_IN_FROM} {NAMED_BY_TOKEN}"
        ))
        .bind(token_digest)
        .bind(now)
        .fetch_optional(&self.pool)
        .await?)
    }

    /// `sign_in_record`, and the impersonation session it acts in with the facts a request
    /// re-checks it on, in one statement: every request an acting administrator makes asks
    /// both. The session is `None` when the sign-in acts in none.
    pub async fn sign_in_at(
        &self,
        token_digest: &str,
        now: i64,
    ) -> Result<Option<(SignInRecord, Option<LiveSessionRow>)>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {SIGN_IN_COLUMNS}, {SESSION_COLUMNS}, {LIVE_FACTS_COLUMNS}, \
             {APPROVAL_COLUMNS} {SIGN_IN_FROM} \
             LEFT JOIN impersonation_sessions s ON s.id = si.impersonation_id {LIVE_FACTS_JOINS} \
             {NAMED_BY_TOKEN}"
        ))
        .bind(token_digest)
        .bind(now)
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let record = SignInRecord::from_row(&row)?;
        let session_id: Option<i64> = row.try_get("session_id")?;
        let live = match session_id {
            Some(_) => Some(LiveSessionRow::from(LiveFacts::from_row(&row)?)),
            None => None,
        };
        Ok(Some((record, live)))
    }

    pub async fn touch_sign_in(&self, token_digest: &str, now: i64) -> Result<(), StoreError> {
        sqlx::query("UPDATE sign_in_sessions SET last_seen_at = $1 WHERE token_digest = $2 AND last_seen_at < $1")
            .bind(now)
            .bind(token_digest)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Ends a sign-in session, and the impersonation session it carried (`ends`). The event,
    /// if given, is written only by the request that actually removed the sign-in, so a
    /// sign-out is recorded once however often it is sent.
    #[tracing::instrument(skip_all)]
    pub async fn end_sign_in(
        &self,
        token_digest: &str,
        ends: Option<Trigger>,
        event: Option<NewEvent>,
        action: Option<&ActingRequest>,
        now: i64,
    ) -> Result<bool, StoreError> {
        let mut tx = self.begin_write().await?;
        if let Some(trigger) = ends {
            Self::end_sessions(&mut tx, trigger, now).await?;
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

    /// Drops the act-as marker from a sign-in once its session was found ended, and rotates
    /// the sign-in's id, as at every end of an impersonation (SPEC.md §6). The old token still
    /// names the sign-in for `ROTATION_GRACE_MS`, so the requests the browser already had
    /// under way are answered in the person's own view instead of losing the sign-in. Of
    /// several requests racing here, one rotates (true); the others find it done.
    pub async fn clear_marker(
        &self,
        token_digest: &str,
        new_token_digest: &str,
        now: i64,
    ) -> Result<bool, StoreError> {
        Ok(sqlx::query(
            "UPDATE sign_in_sessions SET impersonation_id = NULL, previous_digest = token_digest, \
             previous_until = $1, token_digest = $2 \
             WHERE token_digest = $3 AND impersonation_id IS NOT NULL",
        )
        .bind(now + ROTATION_GRACE_MS)
        .bind(new_token_digest)
        .bind(token_digest)
        .execute(&self.pool)
        .await?
        .rows_affected()
            > 0)
    }

    /// Every sign-in of a person, the most recently used first.
    pub async fn sign_ins_of(&self, user_id: i64) -> Result<Vec<SignInListing>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT COALESCE(handle, '') AS handle, created_at, last_seen_at, user_agent, address, \
             token_digest FROM sign_in_sessions WHERE user_id = $1 \
             ORDER BY last_seen_at DESC, created_at DESC",
        )
        .bind(user_id)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Ends one of the person's other sign-ins (`Sign out` in `Where you're signed in`); the
    /// session it carried ends with it. False if there is no such other sign-in.
    #[tracing::instrument(skip_all, fields(user_id = user_id))]
    pub async fn end_sign_in_by_handle(
        &self,
        user_id: i64,
        handle: &str,
        keep_digest: &str,
        now: i64,
    ) -> Result<bool, StoreError> {
        let mut tx = self.begin_write().await?;
        let found: Option<(String, Option<i64>)> = sqlx::query_as(
            "SELECT token_digest, impersonation_id FROM sign_in_sessions \
             WHERE user_id = $1 AND handle = $2 AND token_digest <> $3",
        )
        .bind(user_id)
        .bind(handle)
        .bind(keep_digest)
        .fetch_optional(&mut *tx)
        .await?;
        let Some((digest, carried)) = found else {
            return Ok(false);
        };
        if let Some(session_id) = carried {
            let ends = Trigger::SignInEnded {
                session_id,
                still_active: true,
            };
            Self::end_sessions(&mut tx, ends, now).await?;
        }
        sqlx::query("DELETE FROM sign_in_sessions WHERE token_digest = $1")
            .bind(&digest)
            .execute(&mut *tx)
            .await?;
        let event = NewEvent::new(EventKind::SignOut)
            .actor(user_id)
            .subject(user_id)
            .detail(json!({"reason": "signed out from another browser"}));
        Self::append_event(&mut tx, event, now).await?;
        tx.commit().await?;
        Ok(true)
    }

    /// `Sign out everywhere else`: every sign-in of the person but this one ends.
    #[tracing::instrument(skip_all, fields(user_id = user_id))]
    pub async fn end_other_sign_ins(
        &self,
        user_id: i64,
        keep_digest: &str,
        now: i64,
    ) -> Result<u64, StoreError> {
        let mut tx = self.begin_write().await?;
        let ended = Self::end_sign_ins_except(&mut tx, user_id, keep_digest, now).await?;
        let event = NewEvent::new(EventKind::SignedOutEverywhere)
            .actor(user_id)
            .subject(user_id)
            .detail(json!({"sign_ins_ended": ended, "kept": "this browser"}));
        Self::append_event(&mut tx, event, now).await?;
        tx.commit().await?;
        Ok(ended)
    }

    /// `Change password`: the new hash, and every other sign-in ends, at once.
    #[tracing::instrument(skip_all, fields(user_id = user_id))]
    pub async fn change_password(
        &self,
        user_id: i64,
        keep_digest: &str,
        checked_hash: &str,
        password_hash: &str,
        now: i64,
    ) -> Result<Option<u64>, StoreError> {
        let mut tx = self.begin_write().await?;
        if !Self::own_change_allowed(&mut tx, user_id, keep_digest, checked_hash).await? {
            return Ok(None);
        }
        sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
            .bind(password_hash)
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        let ended = Self::end_sign_ins_except(&mut tx, user_id, keep_digest, now).await?;
        let event = NewEvent::new(EventKind::PasswordChanged)
            .actor(user_id)
            .subject(user_id)
            .detail(json!({"via": "sign-in settings", "sign_ins_ended": ended}));
        Self::append_event(&mut tx, event, now).await?;
        tx.commit().await?;
        Ok(Some(ended))
    }

    /// `Change email`, to one no other account has.
    #[tracing::instrument(skip_all, fields(user_id = user_id))]
    pub async fn change_email(
        &self,
        user_id: i64,
        keep_digest: &str,
        checked_hash: &str,
        email: &str,
        now: i64,
    ) -> Result<(), ChangeEmailError> {
        let mut tx = self.begin_write().await?;
        if !Self::own_change_allowed(&mut tx, user_id, keep_digest, checked_hash).await? {
            return Err(ChangeEmailError::CredentialsChanged);
        }
        let taken: Option<i64> = sqlx::query_scalar("SELECT id FROM users WHERE email = $1")
            .bind(email)
            .fetch_optional(&mut *tx)
            .await?;
        if taken.is_some() {
            return Err(ChangeEmailError::EmailTaken);
        }
        let old: String = sqlx::query_scalar("SELECT email FROM users WHERE id = $1")
            .bind(user_id)
            .fetch_one(&mut *tx)
            .await?;
        let updated = sqlx::query("UPDATE users SET email = $1 WHERE id = $2")
            .bind(email)
            .bind(user_id)
            .execute(&mut *tx)
            .await
            .map_err(StoreError::from);
        match updated {
            Err(error) if error.violated_index().is_some() => {
                return Err(ChangeEmailError::EmailTaken)
            }
            other => other?,
        };
        let event = NewEvent::new(EventKind::EmailChanged)
            .actor(user_id)
            .subject(user_id)
            .detail(json!({"from": old, "to": email}));
        Self::append_event(&mut tx, event, now).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Ends every sign-in of the person but `keep_digest`, and the sessions they carried.
    async fn end_sign_ins_except(
        conn: &mut Tx,
        user_id: i64,
        keep_digest: &str,
        now: i64,
    ) -> Result<u64, StoreError> {
        let carried: Vec<Option<i64>> = sqlx::query_scalar(
            "SELECT impersonation_id FROM sign_in_sessions WHERE user_id = $1 AND token_digest <> $2",
        )
        .bind(user_id)
        .bind(keep_digest)
        .fetch_all(&mut **conn)
        .await?;
        for session_id in carried.into_iter().flatten() {
            let ends = Trigger::SignInEnded {
                session_id,
                still_active: true,
            };
            Self::end_sessions(conn, ends, now).await?;
        }
        // Sign-ins ended are news for their open pages.
        conn.concerns([user_id]);
        Ok(
            sqlx::query("DELETE FROM sign_in_sessions WHERE user_id = $1 AND token_digest <> $2")
                .bind(user_id)
                .bind(keep_digest)
                .execute(&mut **conn)
                .await?
                .rows_affected(),
        )
    }
}
