//! `impersonators`: the allow-list of who may impersonate, kept by owners.

use super::users::OwnerActionError;
use super::{Store, StoreError, Tx};
use crate::model::{AllowList, AllowListEntry, UserSummary};
use crate::ssr::audit::{EventKind, NewEvent};
use crate::ssr::impersonation_state::Trigger;
use crate::ssr::owner_rules::{check_grant, check_removal};
use sqlx::AnyConnection;

#[derive(sqlx::FromRow)]
struct Holder {
    #[sqlx(flatten)]
    user: UserSummary,
    granted_by: Option<String>,
    granted_at: i64,
    last_used: Option<i64>,
    sessions: i64,
}

impl Store {
    /// Whether the account holds the right to impersonate.
    pub async fn is_impersonator(&self, user_id: i64) -> Result<bool, StoreError> {
        Self::on_allow_list(&mut *self.pool.acquire().await?, user_id).await
    }

    async fn on_allow_list(conn: &mut AnyConnection, user_id: i64) -> Result<bool, StoreError> {
        let found: Option<i64> =
            sqlx::query_scalar("SELECT user_id FROM impersonators WHERE user_id = $1")
                .bind(user_id)
                .fetch_optional(&mut *conn)
                .await?;
        Ok(found.is_some())
    }

    /// Puts an account on the allow-list, with its audit event (`granted_by` is `None` for
    /// the system: demo accounts).
    pub(super) async fn insert_impersonator(
        conn: &mut Tx,
        user_id: i64,
        granted_by: Option<i64>,
        now: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO impersonators (user_id, granted_by, granted_at) VALUES ($1, $2, $3)",
        )
        .bind(user_id)
        .bind(granted_by)
        .bind(now)
        .execute(&mut **conn)
        .await?;
        let mut granted = NewEvent::new(EventKind::AllowlistGranted).subject(user_id);
        granted.actor_id = granted_by;
        Self::append_event(conn, granted, now).await?;
        Ok(())
    }

    /// The allow-list with its use, and the staff accounts that could join it.
    pub async fn allow_list(&self) -> Result<AllowList, StoreError> {
        let holders: Vec<Holder> = sqlx::query_as(
            "SELECT u.id, u.name, u.email, u.role, u.status, i.granted_at, g.name AS granted_by, \
             (SELECT MAX(s.started_at) FROM impersonation_sessions s WHERE s.actor_id = u.id) AS last_used, \
             (SELECT COUNT(*) FROM impersonation_sessions s WHERE s.actor_id = u.id) AS sessions \
             FROM impersonators i JOIN users u ON u.id = i.user_id LEFT JOIN users g ON g.id = i.granted_by \
             ORDER BY u.name, u.id",
        )
        .fetch_all(&self.pool)
        .await?;
        let candidates = sqlx::query_as(
            "SELECT u.id, u.name, u.email, u.role, u.status FROM users u \
             WHERE u.role IN ('owner', 'admin') AND u.status = 'active' \
             AND NOT EXISTS (SELECT 1 FROM impersonators i WHERE i.user_id = u.id) ORDER BY u.name, u.id",
        )
        .fetch_all(&self.pool)
        .await?;
        Ok(AllowList {
            holders: holders
                .into_iter()
                .map(|holder| AllowListEntry {
                    user: holder.user,
                    granted_by: holder.granted_by,
                    granted_at: holder.granted_at,
                    last_used: holder.last_used,
                    sessions: holder.sessions,
                })
                .collect(),
            candidates,
        })
    }

    /// The owner, the account, and whether it is on the allow-list, read under the write lock.
    async fn allow_list_facts(
        tx: &mut Tx,
        owner_id: i64,
        user_id: i64,
    ) -> Result<(UserSummary, Option<UserSummary>, bool), StoreError> {
        let (owner, target) = Self::owner_and_account(tx, owner_id, user_id).await?;
        Ok((owner, target, Self::on_allow_list(tx, user_id).await?))
    }

    /// An owner gives `user_id` the right to impersonate.
    #[tracing::instrument(skip_all, fields(owner_id = owner_id, user_id = user_id))]
    pub async fn grant_impersonation(
        &self,
        owner_id: i64,
        user_id: i64,
        now: i64,
    ) -> Result<(), OwnerActionError> {
        let mut tx = self.begin_write().await?;
        let (owner, target, on_list) = Self::allow_list_facts(&mut tx, owner_id, user_id).await?;
        check_grant(&owner, target.as_ref(), on_list)?;
        Self::insert_impersonator(&mut tx, user_id, Some(owner_id), now).await?;
        tx.commit().await?;
        Ok(())
    }

    /// An owner takes the right away; the holder's live session ends (`permission removed`)
    /// in the same transaction.
    #[tracing::instrument(skip_all, fields(owner_id = owner_id, user_id = user_id))]
    pub async fn remove_impersonation(
        &self,
        owner_id: i64,
        user_id: i64,
        now: i64,
    ) -> Result<(), OwnerActionError> {
        let mut tx = self.begin_write().await?;
        let (owner, target, on_list) = Self::allow_list_facts(&mut tx, owner_id, user_id).await?;
        check_removal(&owner, target.as_ref(), on_list)?;
        sqlx::query("DELETE FROM impersonators WHERE user_id = $1")
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        let event = NewEvent::new(EventKind::AllowlistRevoked)
            .actor(owner_id)
            .subject(user_id);
        Self::append_event(&mut tx, event, now).await?;
        let trigger = Trigger::PermissionRemoved { actor_id: user_id };
        Self::end_sessions(&mut tx, trigger, now).await?;
        tx.commit().await?;
        Ok(())
    }
}
