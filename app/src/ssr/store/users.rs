//! `users`: creating accounts, finding them, the staff's user list, suspension.

use super::{escape_like, live_session, Store, StoreError, Tx};
use crate::model::{ActiveConsent, Role, Scope, UserPage, UserRow, UserSummary, USERS_PER_PAGE};
use crate::ssr::audit::{EventKind, NewEvent};
use crate::ssr::owner_rules::OwnerRefusal;
use serde_json::json;
use sqlx::AnyConnection;

/// A user to create (demo accounts, tests).
#[derive(Clone, Debug)]
pub struct NewUser {
    pub email: String,
    pub name: String,
    pub role: Role,
    pub password_hash: String,
    pub impersonator: bool,
}

/// Why an owner's change to an account (or to the allow-list) was not made.
#[derive(Debug, thiserror::Error)]
pub enum OwnerActionError {
    #[error(transparent)]
    Refused(#[from] OwnerRefusal),
    #[error("Your password or sign-in changed meanwhile. Sign in again and retry.")]
    CredentialsChanged,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for OwnerActionError {
    fn from(error: sqlx::Error) -> Self {
        OwnerActionError::Store(error.into())
    }
}

/// A row of the user list as read: the account, its active consent, who acts on it.
#[derive(sqlx::FromRow)]
struct ListedUser {
    #[sqlx(flatten)]
    user: UserSummary,
    consent_scope: Option<Scope>,
    consent_sections: Option<String>,
    consent_expires_at: Option<i64>,
    held_by: Option<String>,
}

impl From<ListedUser> for UserRow {
    fn from(row: ListedUser) -> UserRow {
        let consent = row
            .consent_scope
            .zip(row.consent_expires_at)
            .map(|(scope, expires_at)| ActiveConsent {
                scope,
                sections: super::consents::stored_sections(
                    row.consent_sections.as_deref().unwrap_or_default(),
                ),
                expires_at,
            });
        UserRow {
            user: row.user,
            consent,
            held_by: row.held_by,
            start_refused: None,
            request: None,
        }
    }
}

impl Store {
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
    #[tracing::instrument(skip_all)]
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

    pub(super) async fn insert_user(
        conn: &mut Tx,
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
        .bind(user.role)
        .bind(&user.password_hash)
        .bind(now)
        .fetch_one(&mut **conn)
        .await?;
        let mut created = NewEvent::new(EventKind::UserCreated)
            .subject(id)
            .detail(json!({"email": user.email, "name": user.name, "role": user.role.as_str()}));
        created.actor_id = created_by;
        Self::append_event(conn, created, now).await?;
        if user.impersonator {
            Self::insert_impersonator(conn, id, created_by, now).await?;
        }
        Ok(id)
    }

    /// The id of the account with this (lower-cased) email, if there is one.
    pub async fn user_id_by_email(&self, email: &str) -> Result<Option<i64>, StoreError> {
        Ok(sqlx::query_scalar("SELECT id FROM users WHERE email = $1")
            .bind(email)
            .fetch_optional(&self.pool)
            .await?)
    }

    /// The email of an account, if there is one.
    pub async fn user_email(&self, id: i64) -> Result<Option<String>, StoreError> {
        Ok(sqlx::query_scalar("SELECT email FROM users WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?)
    }

    pub(super) async fn user_by_id(
        conn: &mut AnyConnection,
        id: i64,
    ) -> Result<Option<UserSummary>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT u.id, u.name, u.email, u.role, u.status FROM users u WHERE u.id = $1",
        )
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?)
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
        let rows: Vec<ListedUser> = sqlx::query_as(&format!(
            "SELECT u.id, u.name, u.email, u.role, u.status, c.scope AS consent_scope, \
             c.sections AS consent_sections, c.expires_at AS consent_expires_at, \
             (SELECT a.name FROM impersonation_sessions s JOIN users a ON a.id = s.actor_id \
              WHERE s.target_id = u.id AND {live}) AS held_by \
             FROM users u LEFT JOIN consents c ON c.user_id = u.id AND c.expires_at > $4 \
             {filter} ORDER BY u.name, u.id LIMIT $2 OFFSET $3",
            live = live_session("s", "$4"),
        ))
        .bind(&pattern)
        .bind(i64::from(USERS_PER_PAGE))
        .bind(i64::from((page - 1) * USERS_PER_PAGE))
        .bind(now)
        .fetch_all(&self.pool)
        .await?;
        let may_impersonate = self.is_impersonator(viewer_id).await?;
        Ok(UserPage {
            users: rows.into_iter().map(UserRow::from).collect(),
            may_impersonate,
            may_suspend: false,
            viewer_id,
            page,
            page_count,
            total,
        })
    }
}
