//! An owner's changes to people's accounts (SPEC.md §1): role, suspension, reinstatement,
//! deletion, and staff's `Sign out everywhere`. Each is judged by `owner_rules` on facts read
//! under the write lock, and ends the sessions it must (`impersonation_state::ends`) in the
//! same transaction as its audit event.

use super::users::OwnerActionError;
use super::{Store, StoreError, Tx};
use crate::model::{Role, UserStatus, UserSummary};
use crate::ssr::audit::{EventKind, NewEvent};
use crate::ssr::impersonation_state::Trigger;
use crate::ssr::owner_rules::{
    check_reinstatement, check_role_change, check_sign_out_everywhere, check_suspension,
    AccountFacts,
};
use serde_json::json;

/// Who deletes an account: an owner, or the member themself (`Sign-in settings`), from a
/// sign-in that still stands, with the password hash their password was checked against.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Deleter<'a> {
    Owner(i64),
    Themself {
        keep_digest: &'a str,
        checked_hash: &'a str,
    },
}

impl Store {
    /// The owner, the account, and how many active owners there are, read under the lock.
    pub(super) async fn account_facts(
        tx: &mut Tx,
        owner_id: i64,
        user_id: i64,
    ) -> Result<AccountFacts, StoreError> {
        let (actor, target) = Self::owner_and_account(tx, owner_id, user_id).await?;
        let active_owners: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM users WHERE role = 'owner' AND status = 'active'",
        )
        .fetch_one(&mut **tx)
        .await?;
        Ok(AccountFacts {
            actor,
            target,
            active_owners,
        })
    }

    /// The owner and the account an owner's change is about, read under the write lock.
    pub(super) async fn owner_and_account(
        tx: &mut Tx,
        owner_id: i64,
        user_id: i64,
    ) -> Result<(UserSummary, Option<UserSummary>), StoreError> {
        let owner = Self::user_by_id(tx, owner_id).await?;
        // The owner's own sign-in resolved this id a moment ago: their row is there.
        let owner = owner.ok_or(StoreError::Database(sqlx::Error::RowNotFound))?;
        Ok((owner, Self::user_by_id(tx, user_id).await?))
    }

    /// `Change role`. Leaving staff takes the right to impersonate away; every live session
    /// the person is part of ends (`permission removed` / `role changed`); all at once.
    #[tracing::instrument(skip_all, fields(owner_id = owner_id, user_id = user_id))]
    pub async fn change_role(
        &self,
        owner_id: i64,
        user_id: i64,
        role: Role,
        now: i64,
    ) -> Result<(), OwnerActionError> {
        let mut tx = self.begin_write().await?;
        let facts = Self::account_facts(&mut tx, owner_id, user_id).await?;
        check_role_change(&facts, role)?;
        let from = facts.target.map(|target| target.role);
        sqlx::query("UPDATE users SET role = $1 WHERE id = $2")
            .bind(role)
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        let event = NewEvent::new(EventKind::RoleChanged)
            .actor(owner_id)
            .subject(user_id)
            .detail(json!({"from": from.map(Role::as_str), "to": role.as_str()}));
        Self::append_event(&mut tx, event, now).await?;
        if !role.is_staff() {
            Self::leave_allow_list(&mut tx, user_id, Some(owner_id), "role changed", now).await?;
        }
        Self::end_sessions(&mut tx, Trigger::RoleChanged { user_id }, now).await?;
        tx.commit().await?;
        Ok(())
    }

    /// `Suspend`: the account can no longer sign in, its sign-ins end, and every session it
    /// is part of ends, in one transaction.
    #[tracing::instrument(skip_all, fields(owner_id = owner_id, user_id = user_id))]
    pub async fn suspend_account(
        &self,
        owner_id: i64,
        user_id: i64,
        now: i64,
    ) -> Result<(), OwnerActionError> {
        let mut tx = self.begin_write().await?;
        let facts = Self::account_facts(&mut tx, owner_id, user_id).await?;
        check_suspension(&facts)?;
        let event = NewEvent::new(EventKind::UserSuspended)
            .actor(owner_id)
            .subject(user_id)
            .detail(json!({"status": "suspended"}));
        Self::close_account(&mut tx, user_id, UserStatus::Suspended, event, now).await?;
        tx.commit().await?;
        Ok(())
    }

    /// `Reinstate`: a suspended account may sign in again.
    #[tracing::instrument(skip_all, fields(owner_id = owner_id, user_id = user_id))]
    pub async fn reinstate_account(
        &self,
        owner_id: i64,
        user_id: i64,
        now: i64,
    ) -> Result<(), OwnerActionError> {
        let mut tx = self.begin_write().await?;
        let facts = Self::account_facts(&mut tx, owner_id, user_id).await?;
        check_reinstatement(&facts)?;
        sqlx::query("UPDATE users SET status = $1 WHERE id = $2")
            .bind(UserStatus::Active)
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        let event = NewEvent::new(EventKind::UserReinstated)
            .actor(owner_id)
            .subject(user_id)
            .detail(json!({"status": "active"}));
        Self::append_event(&mut tx, event, now).await?;
        tx.commit().await?;
        Ok(())
    }

    /// `Delete account`: marked deleted, never to sign in again; its sign-ins, sessions,
    /// password links and right to impersonate end; its audit trail stays. `check` judges
    /// the facts (an owner's rules, or the member's own confirmation, already given).
    #[tracing::instrument(skip_all, fields(user_id = user_id))]
    pub async fn delete_account(
        &self,
        by: Deleter<'_>,
        user_id: i64,
        check: impl FnOnce(&AccountFacts) -> Result<(), crate::ssr::owner_rules::OwnerRefusal>,
        now: i64,
    ) -> Result<(), OwnerActionError> {
        let mut tx = self.begin_write().await?;
        let actor_id = match by {
            Deleter::Owner(owner_id) => owner_id,
            Deleter::Themself {
                keep_digest,
                checked_hash,
            } => {
                if !Self::own_change_allowed(&mut tx, user_id, keep_digest, checked_hash).await? {
                    return Err(OwnerActionError::CredentialsChanged);
                }
                user_id
            }
        };
        let facts = Self::account_facts(&mut tx, actor_id, user_id).await?;
        check(&facts)?;
        let event = NewEvent::new(EventKind::UserDeleted)
            .actor(actor_id)
            .subject(user_id)
            .detail(json!({"status": "deleted", "by": match by {
                Deleter::Owner(_) => "owner",
                Deleter::Themself { .. } => "themself",
            }}));
        Self::close_account(&mut tx, user_id, UserStatus::Deleted, event, now).await?;
        Self::leave_allow_list(&mut tx, user_id, Some(actor_id), "account deleted", now).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Suspends or deletes: the status, the end of every sign-in and of every session the
    /// account is part of, and the event saying so.
    async fn close_account(
        tx: &mut Tx,
        user_id: i64,
        status: UserStatus,
        event: NewEvent,
        now: i64,
    ) -> Result<(), StoreError> {
        sqlx::query("UPDATE users SET status = $1 WHERE id = $2")
            .bind(status)
            .bind(user_id)
            .execute(&mut **tx)
            .await?;
        Self::append_event(tx, event, now).await?;
        Self::end_sessions(tx, Trigger::AccountClosed { user_id }, now).await?;
        Self::delete_sign_ins(tx, user_id).await?;
        // A link handed out before cannot set a password on a closed account.
        sqlx::query("DELETE FROM password_links WHERE user_id = $1 AND used_at IS NULL")
            .bind(user_id)
            .execute(&mut **tx)
            .await?;
        Ok(())
    }

    /// Staff's `Sign out everywhere` for a member: all the member's sign-ins end.
    #[tracing::instrument(skip_all, fields(staff_id = staff_id, member_id = member_id))]
    pub async fn sign_member_out_everywhere(
        &self,
        staff_id: i64,
        member_id: i64,
        now: i64,
    ) -> Result<u64, OwnerActionError> {
        let mut tx = self.begin_write().await?;
        let (staff, member) = Self::owner_and_account(&mut tx, staff_id, member_id).await?;
        check_sign_out_everywhere(&staff, member.as_ref())?;
        let ended = Self::delete_sign_ins(&mut tx, member_id).await?;
        let event = NewEvent::new(EventKind::SignedOutEverywhere)
            .actor(staff_id)
            .subject(member_id)
            .detail(json!({"sign_ins_ended": ended}));
        Self::append_event(&mut tx, event, now).await?;
        tx.commit().await?;
        Ok(ended)
    }

    /// Ends every sign-in of a person; the sessions they carried end first, with the
    /// sign-ins (`actor signed out`). How many sign-ins ended.
    pub(super) async fn end_all_sign_ins(
        conn: &mut Tx,
        user_id: i64,
        now: i64,
    ) -> Result<u64, StoreError> {
        Self::end_sessions(conn, Trigger::SignInsEnded { user_id }, now).await?;
        Self::delete_sign_ins(conn, user_id).await
    }

    async fn delete_sign_ins(tx: &mut Tx, user_id: i64) -> Result<u64, StoreError> {
        // A sign-in ended is news for its open pages, whatever event the change records.
        tx.concerns([user_id]);
        Ok(
            sqlx::query("DELETE FROM sign_in_sessions WHERE user_id = $1")
                .bind(user_id)
                .execute(&mut **tx)
                .await?
                .rows_affected(),
        )
    }

    /// Takes the right to impersonate away, if the person holds it, with its event.
    async fn leave_allow_list(
        tx: &mut Tx,
        user_id: i64,
        by: Option<i64>,
        reason: &str,
        now: i64,
    ) -> Result<(), StoreError> {
        let removed = sqlx::query("DELETE FROM impersonators WHERE user_id = $1")
            .bind(user_id)
            .execute(&mut **tx)
            .await?
            .rows_affected()
            > 0;
        if removed {
            let mut event = NewEvent::new(EventKind::AllowlistRevoked)
                .subject(user_id)
                .detail(json!({"reason": reason}));
            event.actor_id = by;
            Self::append_event(tx, event, now).await?;
        }
        Ok(())
    }
}
