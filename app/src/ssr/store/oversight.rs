//! The store's side of SPEC.md §5 and the allow-list: reading the audit trail back (the
//! member's history and export, the activity log) and the owner's changes.

use super::{escape_like, user_from_row, Store, StoreError, Tx, USER_COLUMNS};
use crate::model::{AllowList, AllowListEntry, AuditEntry, Scope, SessionEntry, UserSummary};
use crate::ssr::audit::{EventKind, NewEvent};
use crate::ssr::impersonation::EndReason;
use crate::ssr::oversight::{
    check_grant, check_removal, check_suspension, session_outcome, OversightRefusal,
};
use serde_json::json;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

/// An event with the people it names, for display and export.
const ENTRY_SELECT: &str = "SELECT e.seq, e.at_ms, e.kind, e.impersonation_id, e.method, e.path, \
     e.status, e.detail, e.hash, a.name AS actor_name, a.email AS actor_email, \
     t.name AS subject_name, t.email AS subject_email \
     FROM audit_events e LEFT JOIN users a ON a.id = e.actor_id LEFT JOIN users t ON t.id = e.subject_id";

fn entry_from_row(row: &AnyRow) -> Result<AuditEntry, StoreError> {
    let person = |name: &str, email: &str| -> Result<Option<String>, StoreError> {
        let name: Option<String> = row.try_get(name)?;
        let email: Option<String> = row.try_get(email)?;
        Ok(name
            .zip(email)
            .map(|(name, email)| format!("{name} <{email}>")))
    };
    Ok(AuditEntry {
        seq: row.try_get("seq")?,
        at_ms: row.try_get("at_ms")?,
        kind: row.try_get("kind")?,
        actor: person("actor_name", "actor_email")?,
        subject: person("subject_name", "subject_email")?,
        impersonation_id: row.try_get("impersonation_id")?,
        method: row.try_get("method")?,
        path: row.try_get("path")?,
        status: row.try_get("status")?,
        detail: row.try_get("detail")?,
        hash: row.try_get("hash")?,
    })
}

/// Which accounts a filter's text names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UserMatch {
    None,
    One(i64),
    Several,
}

/// The activity log's filter with people resolved to ids; `before` is the keyset cursor.
#[derive(Clone, Copy, Debug, Default)]
pub struct EventQuery {
    pub actor_id: Option<i64>,
    pub subject_id: Option<i64>,
    pub kind: Option<EventKind>,
    pub from_ms: Option<i64>,
    pub until_ms: Option<i64>,
    /// Only events older than this sequence number.
    pub before: Option<i64>,
}

impl Store {
    /// Up to `limit` of the member's impersonation sessions, newest first, older than the
    /// session `before` when given.
    pub async fn member_sessions(
        &self,
        member_id: i64,
        before: Option<i64>,
        limit: usize,
        now: i64,
    ) -> Result<Vec<SessionEntry>, StoreError> {
        let rows = sqlx::query(
            "SELECT s.id, s.started_at, s.expires_at, s.ended_at, s.end_reason, s.reason, s.scope, \
             a.name, a.email FROM impersonation_sessions s JOIN users a ON a.id = s.actor_id \
             WHERE s.target_id = $1 AND s.id < $2 ORDER BY s.id DESC LIMIT $3",
        )
        .bind(member_id)
        .bind(before.unwrap_or(i64::MAX))
        .bind(limit as i64)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                let started_at: i64 = row.try_get("started_at")?;
                let end_reason: Option<String> = row.try_get("end_reason")?;
                let outcome = session_outcome(
                    row.try_get("expires_at")?,
                    row.try_get("ended_at")?,
                    end_reason.as_deref(),
                    now,
                );
                let scope: String = row.try_get("scope")?;
                let ended_at = outcome.as_ref().map(|(at, _)| *at);
                Ok(SessionEntry {
                    id: row.try_get("id")?,
                    started_at,
                    ended_at,
                    duration_ms: ended_at.unwrap_or(now) - started_at,
                    admin_name: row.try_get("name")?,
                    admin_email: row.try_get("email")?,
                    reason: row.try_get("reason")?,
                    scope: Scope::parse(&scope).ok_or(StoreError::Corrupt {
                        column: "impersonation_sessions.scope",
                        value: scope,
                    })?,
                    end_reason: outcome.map(|(_, reason)| reason),
                })
            })
            .collect()
    }

    /// Up to `limit` events of one session on the member's account, oldest first, after the
    /// event `after` when given. Another member's session yields nothing.
    pub async fn session_events(
        &self,
        member_id: i64,
        session_id: i64,
        after: Option<i64>,
        limit: usize,
    ) -> Result<Vec<AuditEntry>, StoreError> {
        let rows = sqlx::query(&format!(
            "{ENTRY_SELECT} WHERE e.impersonation_id = $1 AND e.subject_id = $2 AND e.seq > $3 \
             ORDER BY e.seq LIMIT $4"
        ))
        .bind(session_id)
        .bind(member_id)
        .bind(after.unwrap_or(0))
        .bind(limit as i64)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(entry_from_row).collect()
    }

    /// Events about the member's account after `after_seq`, oldest first: the export reads
    /// them a batch at a time, so it never holds the whole log.
    pub async fn events_about(
        &self,
        member_id: i64,
        after_seq: i64,
        limit: i64,
    ) -> Result<Vec<AuditEntry>, StoreError> {
        let rows = sqlx::query(&format!(
            "{ENTRY_SELECT} WHERE e.subject_id = $1 AND e.seq > $2 ORDER BY e.seq LIMIT $3"
        ))
        .bind(member_id)
        .bind(after_seq)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(entry_from_row).collect()
    }

    /// The account a filter's text names: an exact email, else the one account whose name
    /// or email contains it.
    pub async fn match_user(&self, text: &str) -> Result<UserMatch, StoreError> {
        let text = text.trim().to_lowercase();
        if let Some(id) = self.user_id_by_email(&text).await? {
            return Ok(UserMatch::One(id));
        }
        let pattern = format!("%{}%", escape_like(&text));
        let ids: Vec<i64> = sqlx::query_scalar(
            "SELECT id FROM users WHERE lower(name) LIKE $1 ESCAPE '\\' OR lower(email) LIKE $1 ESCAPE '\\' LIMIT 2",
        )
        .bind(&pattern)
        .fetch_all(&self.pool)
        .await?;
        Ok(match ids.as_slice() {
            [] => UserMatch::None,
            [id] => UserMatch::One(*id),
            _ => UserMatch::Several,
        })
    }

    /// Up to `limit` events matching the query, newest first. Every filter is served by an
    /// index ending in `seq`; a time range becomes a range of sequence numbers first (event
    /// times never go backwards along the chain), so a page costs the same at any depth.
    pub async fn events(
        &self,
        query: &EventQuery,
        limit: i64,
    ) -> Result<Vec<AuditEntry>, StoreError> {
        let mut conditions = Vec::new();
        let mut binds: Vec<i64> = Vec::new();
        let mut kind = None;
        if let Some(from) = query.from_ms {
            let first: Option<i64> = sqlx::query_scalar(
                "SELECT seq FROM audit_events WHERE at_ms >= $1 ORDER BY at_ms, seq LIMIT 1",
            )
            .bind(from)
            .fetch_optional(&self.pool)
            .await?;
            let Some(first) = first else {
                return Ok(vec![]);
            };
            binds.push(first);
            conditions.push(format!("e.seq >= ${}", binds.len()));
            // Events written before times were kept in order may sit a few ms out of it.
            binds.push(from);
            conditions.push(format!("e.at_ms >= ${}", binds.len()));
        }
        if let Some(until) = query.until_ms {
            let last: Option<i64> = sqlx::query_scalar(
                "SELECT seq FROM audit_events WHERE at_ms < $1 ORDER BY at_ms DESC, seq DESC LIMIT 1",
            )
            .bind(until)
            .fetch_optional(&self.pool)
            .await?;
            let Some(last) = last else { return Ok(vec![]) };
            binds.push(last);
            conditions.push(format!("e.seq <= ${}", binds.len()));
            binds.push(until);
            conditions.push(format!("e.at_ms < ${}", binds.len()));
        }
        for (column, value) in [
            ("e.actor_id", query.actor_id),
            ("e.subject_id", query.subject_id),
        ] {
            if let Some(value) = value {
                binds.push(value);
                conditions.push(format!("{column} = ${}", binds.len()));
            }
        }
        if let Some(before) = query.before {
            binds.push(before);
            conditions.push(format!("e.seq < ${}", binds.len()));
        }
        if let Some(event_kind) = query.kind {
            kind = Some(event_kind.as_str());
            conditions.push(format!("e.kind = ${}", binds.len() + 1));
        }
        let filter = if conditions.is_empty() {
            String::new()
        } else {
            format!(" WHERE {}", conditions.join(" AND "))
        };
        let limit_at = binds.len() + usize::from(kind.is_some()) + 1;
        let sql = format!("{ENTRY_SELECT}{filter} ORDER BY e.seq DESC LIMIT ${limit_at}");
        let mut statement = sqlx::query(&sql);
        for value in &binds {
            statement = statement.bind(*value);
        }
        if let Some(kind) = kind {
            statement = statement.bind(kind);
        }
        let rows = statement.bind(limit).fetch_all(&self.pool).await?;
        rows.iter().map(entry_from_row).collect()
    }

    /// The allow-list with its use, and the staff accounts that could join it.
    pub async fn allow_list(&self) -> Result<AllowList, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {USER_COLUMNS}, i.granted_at, g.name AS granted_by, \
             (SELECT MAX(s.started_at) FROM impersonation_sessions s WHERE s.actor_id = u.id) AS last_used, \
             (SELECT COUNT(*) FROM impersonation_sessions s WHERE s.actor_id = u.id) AS sessions \
             FROM impersonators i JOIN users u ON u.id = i.user_id LEFT JOIN users g ON g.id = i.granted_by \
             ORDER BY u.name, u.id"
        ))
        .fetch_all(&self.pool)
        .await?;
        let holders = rows
            .iter()
            .map(|row| {
                Ok(AllowListEntry {
                    user: user_from_row(row)?,
                    granted_by: row.try_get("granted_by")?,
                    granted_at: row.try_get("granted_at")?,
                    last_used: row.try_get("last_used")?,
                    sessions: row.try_get("sessions")?,
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        let rows = sqlx::query(&format!(
            "SELECT {USER_COLUMNS} FROM users u WHERE u.role IN ('owner', 'admin') AND u.status = 'active' \
             AND NOT EXISTS (SELECT 1 FROM impersonators i WHERE i.user_id = u.id) ORDER BY u.name, u.id"
        ))
        .fetch_all(&self.pool)
        .await?;
        let candidates = rows.iter().map(user_from_row).collect::<Result<_, _>>()?;
        Ok(AllowList {
            holders,
            candidates,
        })
    }

    async fn user_in(conn: &mut AnyConnection, id: i64) -> Result<Option<UserSummary>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {USER_COLUMNS} FROM users u WHERE u.id = $1"
        ))
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?;
        row.map(|row| user_from_row(&row)).transpose()
    }

    /// The owner, the account, and whether it is on the allow-list, read under the write lock.
    async fn allow_list_facts(
        tx: &mut Tx,
        owner_id: i64,
        user_id: i64,
    ) -> Result<(UserSummary, Option<UserSummary>, bool), StoreError> {
        let owner = Self::user_in(tx, owner_id)
            .await?
            .ok_or(StoreError::Corrupt {
                column: "users.id",
                value: owner_id.to_string(),
            })?;
        let target = Self::user_in(tx, user_id).await?;
        let on_list: Option<i64> =
            sqlx::query_scalar("SELECT user_id FROM impersonators WHERE user_id = $1")
                .bind(user_id)
                .fetch_optional(&mut **tx)
                .await?;
        Ok((owner, target, on_list.is_some()))
    }

    /// An owner gives `user_id` the right to impersonate.
    pub async fn grant_impersonation(
        &self,
        owner_id: i64,
        user_id: i64,
        now: i64,
    ) -> Result<Result<(), OversightRefusal>, StoreError> {
        let mut tx = self.begin_write().await?;
        let (owner, target, on_list) = Self::allow_list_facts(&mut tx, owner_id, user_id).await?;
        if let Err(refusal) = check_grant(&owner, target.as_ref(), on_list) {
            return Ok(Err(refusal));
        }
        sqlx::query(
            "INSERT INTO impersonators (user_id, granted_by, granted_at) VALUES ($1, $2, $3)",
        )
        .bind(user_id)
        .bind(owner_id)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        let event = NewEvent::new(EventKind::AllowlistGranted)
            .actor(owner_id)
            .subject(user_id);
        Self::append_event(&mut tx, event, now).await?;
        tx.commit().await?;
        Ok(Ok(()))
    }

    /// An owner takes the right away; the holder's live session ends (`permission removed`)
    /// in the same transaction.
    pub async fn remove_impersonation(
        &self,
        owner_id: i64,
        user_id: i64,
        now: i64,
    ) -> Result<Result<(), OversightRefusal>, StoreError> {
        let mut tx = self.begin_write().await?;
        let (owner, target, on_list) = Self::allow_list_facts(&mut tx, owner_id, user_id).await?;
        if let Err(refusal) = check_removal(&owner, target.as_ref(), on_list) {
            return Ok(Err(refusal));
        }
        sqlx::query("DELETE FROM impersonators WHERE user_id = $1")
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        let event = NewEvent::new(EventKind::AllowlistRevoked)
            .actor(owner_id)
            .subject(user_id);
        Self::append_event(&mut tx, event, now).await?;
        let live: Vec<AnyRow> = sqlx::query(
            "SELECT id, target_id FROM impersonation_sessions WHERE actor_id = $1 AND ended_at IS NULL",
        )
        .bind(user_id)
        .fetch_all(&mut *tx)
        .await?;
        for row in live {
            Self::end_session_on(
                &mut tx,
                row.try_get("id")?,
                user_id,
                row.try_get("target_id")?,
                EndReason::PermissionRemoved,
                None,
                now,
            )
            .await?;
        }
        tx.commit().await?;
        Ok(Ok(()))
    }

    /// An owner suspends a member: the account can no longer sign in, its sign-ins end, and
    /// every session on it ends (`user suspended`), all in one transaction.
    pub async fn suspend_member(
        &self,
        owner_id: i64,
        member_id: i64,
        now: i64,
    ) -> Result<Result<(), OversightRefusal>, StoreError> {
        let mut tx = self.begin_write().await?;
        let (owner, target, _) = Self::allow_list_facts(&mut tx, owner_id, member_id).await?;
        if let Err(refusal) = check_suspension(&owner, target.as_ref()) {
            return Ok(Err(refusal));
        }
        sqlx::query("UPDATE users SET status = 'suspended' WHERE id = $1")
            .bind(member_id)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM sign_in_sessions WHERE user_id = $1")
            .bind(member_id)
            .execute(&mut *tx)
            .await?;
        let event = NewEvent::new(EventKind::UserSuspended)
            .actor(owner_id)
            .subject(member_id)
            .detail(json!({"status": "suspended"}));
        Self::append_event(&mut tx, event, now).await?;
        Self::end_sessions_on_member(&mut tx, member_id, EndReason::UserSuspended, now).await?;
        tx.commit().await?;
        Ok(Ok(()))
    }
}
