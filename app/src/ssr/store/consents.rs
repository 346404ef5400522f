//! `consents` and `support_codes`: what the member allows.

use super::{Store, StoreError};
use crate::model::{Scope, Sections};
use crate::ssr::audit::{EventKind, NewEvent};
use crate::ssr::consent::{Consent, StoredSupportCode, SupportCode};
use crate::ssr::impersonation_state::Trigger;
use serde_json::json;
use sqlx::AnyConnection;

#[derive(sqlx::FromRow)]
struct ConsentRow {
    scope: Scope,
    sections: String,
    granted_at: i64,
    expires_at: i64,
}

impl From<ConsentRow> for Consent {
    fn from(row: ConsentRow) -> Consent {
        Consent {
            scope: row.scope,
            sections: stored_sections(&row.sections),
            granted_at: row.granted_at,
            expires_at: row.expires_at,
        }
    }
}

/// Sections as stored; a value no build wrote reads as the narrowest choice, never as all.
pub(super) fn stored_sections(text: &str) -> Sections {
    Sections::parse(text).unwrap_or_else(|| {
        tracing::error!(sections = text, "unreadable sections in the database");
        Sections::of([crate::model::Section::Profile])
    })
}

#[derive(sqlx::FromRow)]
struct SupportCodeRow {
    id: i64,
    code_hash: String,
    scope: Scope,
    sections: String,
    issued_at: i64,
    expires_at: i64,
    used_at: Option<i64>,
}

impl Store {
    /// The member's standing consent, active or not.
    pub async fn consent(&self, user_id: i64) -> Result<Option<Consent>, StoreError> {
        Self::consent_on(&mut *self.pool.acquire().await?, user_id).await
    }

    pub(super) async fn consent_on(
        conn: &mut AnyConnection,
        user_id: i64,
    ) -> Result<Option<Consent>, StoreError> {
        let row: Option<ConsentRow> = sqlx::query_as(
            "SELECT scope, sections, granted_at, expires_at FROM consents WHERE user_id = $1",
        )
        .bind(user_id)
        .fetch_optional(&mut *conn)
        .await?;
        Ok(row.map(Consent::from))
    }

    /// Grants (or replaces) the member's consent. A consent still active when replaced is
    /// audited as revoked (reason `replaced`) before the new grant; both in one transaction.
    #[tracing::instrument(skip_all, fields(user_id = user_id))]
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
            let trigger = Trigger::ConsentWithdrawn { member_id: user_id };
            Self::end_sessions(&mut tx, trigger, now).await?;
        }
        sqlx::query(
            "INSERT INTO consents (user_id, scope, granted_at, expires_at, sections) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (user_id) DO UPDATE SET scope = excluded.scope, granted_at = excluded.granted_at, \
             expires_at = excluded.expires_at, sections = excluded.sections",
        )
        .bind(user_id)
        .bind(consent.scope)
        .bind(consent.granted_at)
        .bind(consent.expires_at)
        .bind(consent.sections.as_text())
        .execute(&mut *tx)
        .await?;
        let granted = NewEvent::new(EventKind::ConsentGranted)
            .actor(user_id)
            .subject(user_id)
            .detail(json!({
                "scope": consent.scope.as_str(),
                "sections": consent.sections.as_text(),
                "hours": hours,
                "expires_at": consent.expires_at,
            }));
        Self::append_event(&mut tx, granted, now).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Revokes the member's consent at once: the standing one, and every approval of an
    /// access request still within its window (each a consent for one administrator).
    /// Returns false (and records nothing) if there was nothing active to revoke.
    #[tracing::instrument(skip_all, fields(user_id = user_id))]
    pub async fn revoke_consent(&self, user_id: i64, now: i64) -> Result<bool, StoreError> {
        let mut tx = self.begin_write().await?;
        let removed: Option<ConsentRow> = sqlx::query_as(
            "DELETE FROM consents WHERE user_id = $1 RETURNING scope, sections, granted_at, expires_at",
        )
        .bind(user_id)
        .fetch_optional(&mut *tx)
        .await?;
        let removed = removed
            .map(Consent::from)
            .filter(|consent| consent.is_active(now));
        let approvals = Self::revoke_approvals(&mut tx, user_id, now).await?;
        if removed.is_none() && approvals.is_empty() {
            tx.commit().await?; // an expired row is gone either way
            return Ok(false);
        }
        if let Some(removed) = removed {
            let revoked = NewEvent::new(EventKind::ConsentRevoked)
                .actor(user_id)
                .subject(user_id)
                .detail(json!({
                    "reason": "revoked by member",
                    "scope": removed.scope.as_str(),
                    "sections": removed.sections.as_text(),
                    "expires_at": removed.expires_at,
                }));
            Self::append_event(&mut tx, revoked, now).await?;
        }
        for (request_id, actor_id) in approvals {
            let revoked = NewEvent::new(EventKind::ConsentRevoked)
                .actor(user_id)
                .subject(user_id)
                .detail(json!({
                    "reason": "revoked by member",
                    "access_request_id": request_id,
                    "administrator_id": actor_id,
                }));
            Self::append_event(&mut tx, revoked, now).await?;
            // The administrator's user list shows the answer changed.
            tx.concerns([actor_id]);
        }
        // Takes effect at once: every live session on this account ends with the revocation.
        let trigger = Trigger::ConsentWithdrawn { member_id: user_id };
        Self::end_sessions(&mut tx, trigger, now).await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Stores a new support code's hash, with its audit event (which never holds the code).
    /// A new code replaces any the member issued before and nobody used: one live code at most.
    #[tracing::instrument(skip_all, fields(user_id = user_id))]
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
            "INSERT INTO support_codes (user_id, code_hash, scope, issued_at, expires_at, sections) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(user_id)
        .bind(code_hash)
        .bind(code.scope)
        .bind(code.issued_at)
        .bind(code.expires_at)
        .bind(code.sections.as_text())
        .execute(&mut *tx)
        .await?;
        let issued = NewEvent::new(EventKind::SupportCodeIssued)
            .actor(user_id)
            .subject(user_id)
            .detail(json!({
                "scope": code.scope.as_str(),
                "sections": code.sections.as_text(),
                "expires_at": code.expires_at,
            }));
        Self::append_event(&mut tx, issued, now).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The member's support codes that could still be redeemed at `now`.
    pub async fn redeemable_support_codes(
        &self,
        user_id: i64,
        now: i64,
    ) -> Result<Vec<StoredSupportCode>, StoreError> {
        let rows: Vec<SupportCodeRow> = sqlx::query_as(
            "SELECT id, code_hash, scope, sections, issued_at, expires_at, used_at FROM support_codes \
             WHERE user_id = $1 AND used_at IS NULL AND expires_at > $2",
        )
        .bind(user_id)
        .bind(now)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|row| StoredSupportCode {
                id: row.id,
                code_hash: row.code_hash,
                code: SupportCode {
                    issued_at: row.issued_at,
                    expires_at: row.expires_at,
                    used_at: row.used_at,
                    scope: row.scope,
                    sections: stored_sections(&row.sections),
                },
            })
            .collect())
    }
}
