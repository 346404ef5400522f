//! `password_links`: one-time `Set password` links (SPEC.md §1). The link carries a random
//! token; only its SHA-256 is kept. A newer link for a person replaces an unused one.

use super::users::{NewUser, OwnerActionError};
use super::{Store, StoreError, Tx};
use crate::model::{Role, UserStatus, UserSummary};
use crate::ssr::audit::{EventKind, NewEvent};
use crate::ssr::owner_rules::{check_password_reset, OwnerRefusal};
use crate::ssr::password_policy::{check_link, LinkRefusal, PasswordLink};
use serde_json::json;

/// What a link is for: a new account's first password, or a reset.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LinkPurpose {
    NewAccount,
    Reset,
}

impl LinkPurpose {
    pub fn as_str(self) -> &'static str {
        match self {
            LinkPurpose::NewAccount => "new_account",
            LinkPurpose::Reset => "reset",
        }
    }
}

/// A new link: the digest of its token, and until when it works.
#[derive(Clone, Debug)]
pub struct NewLink {
    pub token_digest: String,
    pub expires_at: i64,
}

/// An account to add; its first password is set through a link.
#[derive(Clone, Debug)]
pub struct NewAccount {
    pub email: String,
    pub name: String,
    pub role: Role,
}

/// Why an account could not be added.
#[derive(Debug, thiserror::Error)]
pub enum AddUserError {
    #[error(transparent)]
    Refused(#[from] OwnerRefusal),
    #[error("An account with this email already exists.")]
    EmailTaken,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for AddUserError {
    fn from(error: sqlx::Error) -> Self {
        AddUserError::Store(error.into())
    }
}

/// Why a link did not set a password.
#[derive(Debug, thiserror::Error)]
pub enum UseLinkError {
    #[error(transparent)]
    Refused(#[from] LinkRefusal),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for UseLinkError {
    fn from(error: sqlx::Error) -> Self {
        UseLinkError::Store(error.into())
    }
}

/// A link as found by its token, with the account it sets a password for.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct FoundLink {
    pub link_id: i64,
    pub purpose: String,
    /// The owner who issued it; `None` for `actas create-owner`.
    pub issued_by: Option<i64>,
    pub expires_at: i64,
    pub used_at: Option<i64>,
    #[sqlx(flatten)]
    pub user: UserSummary,
}

impl FoundLink {
    pub fn state(&self) -> PasswordLink {
        PasswordLink {
            expires_at: self.expires_at,
            used_at: self.used_at,
        }
    }
}

/// A link by its token's digest, with its account.
const FIND_LINK: &str = "SELECT l.id AS link_id, l.purpose, l.issued_by, l.expires_at, l.used_at, \
     u.id, u.name, u.email, u.role, u.status \
     FROM password_links l JOIN users u ON u.id = l.user_id WHERE l.token_digest = $1";

/// The placeholder a new or reset account's password hash holds: it matches no password.
pub const NO_PASSWORD: &str = "";

impl Store {
    /// `Add user`: the account, without a password, and its link, with the event.
    #[tracing::instrument(skip_all, fields(owner_id = owner_id))]
    pub async fn add_user(
        &self,
        owner_id: Option<i64>,
        account: &NewAccount,
        link: &NewLink,
        now: i64,
    ) -> Result<i64, AddUserError> {
        let mut tx = self.begin_write().await?;
        if let Some(owner_id) = owner_id {
            let owner = Self::user_by_id(&mut tx, owner_id).await?;
            if !owner.is_some_and(|o| o.role == Role::Owner && o.status == UserStatus::Active) {
                return Err(OwnerRefusal::OwnersOnly.into());
            }
        }
        let taken: Option<i64> = sqlx::query_scalar("SELECT id FROM users WHERE email = $1")
            .bind(&account.email)
            .fetch_optional(&mut *tx)
            .await?;
        if taken.is_some() {
            return Err(AddUserError::EmailTaken);
        }
        let user = NewUser {
            email: account.email.clone(),
            name: account.name.clone(),
            role: account.role,
            password_hash: NO_PASSWORD.to_string(),
            impersonator: false,
        };
        let id = match Self::insert_user(&mut tx, &user, owner_id, now).await {
            Ok(id) => id,
            // The unique index on email, should a racing add have slipped past the check.
            Err(error) if error.violated_index().is_some() => return Err(AddUserError::EmailTaken),
            Err(error) => return Err(error.into()),
        };
        Self::insert_link(&mut tx, id, LinkPurpose::NewAccount, owner_id, link, now).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// `Reset password`: the old password stops working, every sign-in of the person ends,
    /// and a new link is issued, with the event.
    #[tracing::instrument(skip_all, fields(owner_id = owner_id, user_id = user_id))]
    pub async fn reset_password(
        &self,
        owner_id: i64,
        user_id: i64,
        link: &NewLink,
        now: i64,
    ) -> Result<(), OwnerActionError> {
        let mut tx = self.begin_write().await?;
        let facts = Self::account_facts(&mut tx, owner_id, user_id).await?;
        check_password_reset(&facts)?;
        sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
            .bind(NO_PASSWORD)
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        let ended = Self::end_all_sign_ins(&mut tx, user_id, now).await?;
        Self::insert_link(
            &mut tx,
            user_id,
            LinkPurpose::Reset,
            Some(owner_id),
            link,
            now,
        )
        .await?;
        let event = NewEvent::new(EventKind::PasswordResetIssued)
            .actor(owner_id)
            .subject(user_id)
            .detail(json!({"expires_at": link.expires_at, "sign_ins_ended": ended}));
        Self::append_event(&mut tx, event, now).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn insert_link(
        tx: &mut Tx,
        user_id: i64,
        purpose: LinkPurpose,
        issued_by: Option<i64>,
        link: &NewLink,
        now: i64,
    ) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM password_links WHERE user_id = $1 AND used_at IS NULL")
            .bind(user_id)
            .execute(&mut **tx)
            .await?;
        sqlx::query(
            "INSERT INTO password_links (user_id, token_digest, purpose, issued_by, issued_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(user_id)
        .bind(&link.token_digest)
        .bind(purpose.as_str())
        .bind(issued_by)
        .bind(now)
        .bind(link.expires_at)
        .execute(&mut **tx)
        .await?;
        Ok(())
    }

    /// The link with this token digest, if there is one, and its account.
    pub async fn password_link(&self, token_digest: &str) -> Result<Option<FoundLink>, StoreError> {
        Ok(sqlx::query_as(FIND_LINK)
            .bind(token_digest)
            .fetch_optional(&self.pool)
            .await?)
    }

    /// Sets the password a link was issued for, once: the link is used up, every sign-in of
    /// the account ends, and `password_changed` is recorded, all at once. The link is judged
    /// again here, under the lock, so two uses at once set one password.
    #[tracing::instrument(skip_all)]
    pub async fn use_password_link(
        &self,
        token_digest: &str,
        password_hash: &str,
        now: i64,
    ) -> Result<UserSummary, UseLinkError> {
        let mut tx = self.begin_write().await?;
        let found: Option<FoundLink> = sqlx::query_as(FIND_LINK)
            .bind(token_digest)
            .fetch_optional(&mut *tx)
            .await?;
        // Only an active account's link works: a suspended or deleted one is closed.
        let found = found.filter(|link| link.user.status == UserStatus::Active);
        check_link(found.as_ref().map(FoundLink::state), now)?;
        let Some(link) = found else {
            return Err(LinkRefusal::NotValid.into());
        };
        sqlx::query("UPDATE password_links SET used_at = $1 WHERE id = $2")
            .bind(now)
            .bind(link.link_id)
            .execute(&mut *tx)
            .await?;
        sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
            .bind(password_hash)
            .bind(link.user.id)
            .execute(&mut *tx)
            .await?;
        let ended = Self::end_all_sign_ins(&mut tx, link.user.id, now).await?;
        let event = NewEvent::new(EventKind::PasswordChanged)
            .actor(link.user.id)
            .subject(link.user.id)
            .detail(json!({
                "via": "set password link",
                "purpose": link.purpose,
                "issued_by": link.issued_by,
                "sign_ins_ended": ended,
            }));
        Self::append_event(&mut tx, event, now).await?;
        tx.commit().await?;
        Ok(link.user)
    }
}
