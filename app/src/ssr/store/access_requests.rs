//! `access_requests` and `inbox_reads`: support asks, the member decides (SPEC.md §2). Every
//! change reads its facts and applies the rules of `ssr::access_requests` inside one locked
//! transaction with its audit event, so two answers at once, an answer racing the expiry or a
//! withdrawal, and a request racing a revocation each find the other's outcome, never half
//! of it. The member's inbox is read from the audit log (`inbox_events`).

use super::consents::stored_sections;
use super::{Store, StoreError, Tx};
use crate::model::{AccessRequestView, RequestStatus, Role, Scope, UserStatus, UserSummary};
use crate::ssr::access_requests::{
    check_answer, check_request, check_withdraw, AnswerRefusal, Approval, Asked, Decision,
    ParsedAnswer, RequestDraft, RequestRefusal, Requester, StoredRequest, WithdrawRefusal,
    REQUEST_VALID_MS,
};
use crate::ssr::audit::{EventKind, NewEvent};
use crate::ssr::inbox;
use serde_json::json;
use std::sync::LazyLock;

/// Every column of a request as `RequestRow` reads them (`r` is the request, `a` its
/// administrator).
const REQUEST_COLUMNS: &str =
    "r.id, r.actor_id, r.member_id, r.reason, r.ticket, r.scope, r.sections, \
     r.hours, r.requested_at, r.status, r.answered_at, r.approved_scope, r.approved_sections, \
     r.approved_until, r.message, a.name AS actor_name, a.email AS actor_email";

#[derive(sqlx::FromRow)]
struct RequestRow {
    id: i64,
    actor_id: i64,
    member_id: i64,
    reason: String,
    ticket: Option<String>,
    scope: Scope,
    sections: String,
    hours: i64,
    requested_at: i64,
    status: RequestStatus,
    answered_at: Option<i64>,
    approved_scope: Option<Scope>,
    approved_sections: Option<String>,
    approved_until: Option<i64>,
    message: Option<String>,
    actor_name: String,
    actor_email: String,
}

impl RequestRow {
    fn stored(&self) -> StoredRequest {
        let approval = match (
            self.answered_at,
            self.approved_scope,
            &self.approved_sections,
            self.approved_until,
        ) {
            (Some(approved_at), Some(scope), Some(sections), Some(until)) => Some(Approval {
                approved_at,
                scope,
                sections: stored_sections(sections),
                expires_at: until,
            }),
            _ => None,
        };
        StoredRequest {
            id: self.id,
            actor_id: self.actor_id,
            member_id: self.member_id,
            scope: self.scope,
            sections: stored_sections(&self.sections),
            hours: u32::try_from(self.hours).unwrap_or(0),
            requested_at: self.requested_at,
            status: self.status,
            approval,
        }
    }

    /// As pages show it at `now`: a pending request past its expiry reads `Expired`.
    fn view(self, now: i64) -> AccessRequestView {
        let stored = self.stored();
        AccessRequestView {
            id: self.id,
            actor_name: self.actor_name,
            actor_email: self.actor_email,
            member_id: self.member_id,
            reason: self.reason,
            ticket: self.ticket,
            scope: self.scope,
            sections: stored.sections,
            hours: stored.hours,
            requested_at: self.requested_at,
            expires_at: stored.expires_at(),
            status: stored.status_at(now),
            answered_at: self.answered_at,
            approved_scope: self.approved_scope,
            approved_sections: stored.approval.map(|approval| approval.sections),
            approved_until: self.approved_until,
            message: self.message,
        }
    }
}

#[derive(sqlx::FromRow)]
struct RequesterRow {
    id: i64,
    role: Role,
    status: UserStatus,
    allowed: i64,
}

#[derive(sqlx::FromRow)]
struct ExpiredRow {
    id: i64,
    actor_id: i64,
    member_id: i64,
}

/// Why a request was not sent.
#[derive(Debug, thiserror::Error)]
pub enum RequestError {
    #[error(transparent)]
    Refused(#[from] RequestRefusal),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Why an answer was not given.
#[derive(Debug, thiserror::Error)]
pub enum AnswerError {
    #[error(transparent)]
    Refused(#[from] AnswerRefusal),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Why a withdrawal did nothing.
#[derive(Debug, thiserror::Error)]
pub enum WithdrawError {
    #[error(transparent)]
    Refused(#[from] WithdrawRefusal),
    #[error(transparent)]
    Store(#[from] StoreError),
}

// A database error inside one of these operations is the store's failure.
macro_rules! from_database_error {
    ($($error:ty),*) => {$(
        impl From<sqlx::Error> for $error {
            fn from(error: sqlx::Error) -> Self {
                Self::Store(error.into())
            }
        }
    )*};
}

from_database_error!(RequestError, AnswerError, WithdrawError);

/// An event the member's inbox is made from (see `ssr::inbox`).
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct InboxEventRow {
    pub seq: i64,
    pub at_ms: i64,
    pub kind: String,
    pub actor_name: Option<String>,
    pub actor_email: Option<String>,
    pub detail: String,
}

/// An `InboxEventRow` with what the unread count needs beside it (`inbox_since_read`).
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct UnreadEventRow {
    #[sqlx(flatten)]
    pub event: InboxEventRow,
    pub read_until: i64,
    pub standing_until: Option<i64>,
}

impl Store {
    /// Records, once, the expiry of the pending requests past their 24 hours that concern
    /// `actor_id` or `member_id`: the update claims each row, so whoever notices first
    /// records it (`access_request_expired`) and nobody records it again.
    pub(super) async fn expire_requests(
        tx: &mut Tx,
        actor_id: Option<i64>,
        member_id: Option<i64>,
        now: i64,
    ) -> Result<usize, StoreError> {
        let expired: Vec<ExpiredRow> = sqlx::query_as(
            "UPDATE access_requests SET status = 'expired' WHERE status = 'pending' AND expires_at <= $1 \
             AND (actor_id = $2 OR member_id = $3) RETURNING id, actor_id, member_id",
        )
        .bind(now)
        .bind(actor_id)
        .bind(member_id)
        .fetch_all(&mut **tx)
        .await?;
        for row in &expired {
            let event = NewEvent::new(EventKind::AccessRequestExpired)
                .actor(row.actor_id)
                .subject(row.member_id)
                .detail(json!({"request_id": row.id}));
            Self::append_event(tx, event, now).await?;
        }
        Ok(expired.len())
    }

    /// Records the expiry of stale requests concerning these people, if there are any: a
    /// read first, so a page that finds none writes nothing.
    pub async fn notice_expired_requests(
        &self,
        actor_id: Option<i64>,
        member_id: Option<i64>,
        now: i64,
    ) -> Result<usize, StoreError> {
        let stale: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM access_requests WHERE status = 'pending' AND expires_at <= $1 \
             AND (actor_id = $2 OR member_id = $3)",
        )
        .bind(now)
        .bind(actor_id)
        .bind(member_id)
        .fetch_one(&self.pool)
        .await?;
        if stale == 0 {
            return Ok(0);
        }
        let mut tx = self.begin_write().await?;
        let expired = Self::expire_requests(&mut tx, actor_id, member_id, now).await?;
        tx.commit().await?;
        Ok(expired)
    }

    /// Sends an access request, if the rules allow it, judged on facts read inside the
    /// transaction that inserts it. A refusal is recorded (`access_requested`, with its rule),
    /// about the member only when an allowed administrator asked.
    #[tracing::instrument(skip_all, fields(actor_id = actor_id, member_id = member_id))]
    pub async fn request_access(
        &self,
        actor_id: i64,
        member_id: i64,
        draft: &RequestDraft,
        now: i64,
    ) -> Result<i64, RequestError> {
        let mut tx = self.begin_write().await?;
        Self::expire_requests(&mut tx, Some(actor_id), Some(member_id), now).await?;
        let requester: Option<RequesterRow> = sqlx::query_as(
            "SELECT u.id, u.role, u.status, \
             (SELECT COUNT(*) FROM impersonators i WHERE i.user_id = u.id) AS allowed \
             FROM users u WHERE u.id = $1",
        )
        .bind(actor_id)
        .fetch_optional(&mut *tx)
        .await?;
        let requester = match requester {
            Some(row) => Requester {
                id: row.id,
                role: row.role,
                status: row.status,
                on_allow_list: row.allowed > 0,
            },
            None => return Err(RequestRefusal::NotAllowed.into()),
        };
        let member: Option<UserSummary> = Self::user_by_id(&mut tx, member_id).await?;
        let consent = Self::consent_on(&mut tx, member_id).await?;
        let pending: Option<i64> = sqlx::query_scalar(
            "SELECT id FROM access_requests WHERE actor_id = $1 AND member_id = $2 AND status = 'pending'",
        )
        .bind(actor_id)
        .bind(member_id)
        .fetch_optional(&mut *tx)
        .await?;
        let checked = match &member {
            // A forged id: no such account, so nothing a session could ever start on.
            None => Err(RequestRefusal::TargetNotMember),
            Some(member) => check_request(
                &requester,
                &Asked {
                    id: member.id,
                    role: member.role,
                    status: member.status,
                    consent,
                    pending: pending.is_some(),
                },
                now,
            ),
        };
        if let Err(refusal) = checked {
            let about_member = requester.on_allow_list && member.is_some();
            Self::record_request_refusal(tx, actor_id, member_id, &refusal, about_member, now)
                .await?;
            return Err(refusal.into());
        }
        let expires_at = now + REQUEST_VALID_MS;
        let inserted: Result<i64, StoreError> = sqlx::query_scalar(
            "INSERT INTO access_requests (actor_id, member_id, reason, ticket, scope, sections, hours, \
             requested_at, expires_at, status) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'pending') RETURNING id",
        )
        .bind(actor_id)
        .bind(member_id)
        .bind(&draft.reason)
        .bind(draft.ticket.as_deref())
        .bind(draft.scope)
        .bind(draft.sections.as_text())
        .bind(i64::from(draft.hours))
        .bind(now)
        .bind(expires_at)
        .fetch_one(&mut *tx)
        .await
        .map_err(StoreError::from);
        let id = match inserted {
            Ok(id) => id,
            // The index stands for the rule: one pending request per administrator and member.
            Err(error) if error.violated_index().is_some() => {
                return Err(RequestRefusal::AlreadyPending.into())
            }
            Err(error) => return Err(error.into()),
        };
        let event = NewEvent::new(EventKind::AccessRequested)
            .actor(actor_id)
            .subject(member_id)
            .detail(json!({
                "request_id": id,
                "reason": draft.reason,
                "ticket": draft.ticket,
                "scope": draft.scope.as_str(),
                "sections": draft.sections.as_text(),
                "hours": draft.hours,
                "expires_at": expires_at,
            }));
        Self::append_event(&mut tx, event, now).await?;
        tx.commit().await?;
        Ok(id)
    }

    async fn record_request_refusal(
        mut tx: Tx,
        actor_id: i64,
        member_id: i64,
        refusal: &RequestRefusal,
        about_member: bool,
        now: i64,
    ) -> Result<(), StoreError> {
        let mut event = NewEvent::new(EventKind::AccessRequested)
            .actor(actor_id)
            .detail(json!({
                "refused": refusal.rule(),
                "message": refusal.to_string(),
                "member_id": member_id,
            }));
        if about_member {
            event = event.subject(member_id);
        }
        Self::append_event(&mut tx, event, now).await?;
        tx.commit().await
    }

    /// The member answers one of their requests. A request of someone else, or none at all,
    /// is `NotFound`; one that expired meanwhile is recorded as expired (once) and refused.
    #[tracing::instrument(skip_all, fields(member_id = member_id, request_id = request_id))]
    pub async fn answer_access_request(
        &self,
        member_id: i64,
        request_id: i64,
        answer: &ParsedAnswer,
        now: i64,
    ) -> Result<Decision, AnswerError> {
        let mut tx = self.begin_write().await?;
        Self::expire_requests(&mut tx, None, Some(member_id), now).await?;
        let row: Option<RequestRow> = sqlx::query_as(&format!(
            "SELECT {REQUEST_COLUMNS} FROM access_requests r JOIN users a ON a.id = r.actor_id \
             WHERE r.id = $1 AND r.member_id = $2"
        ))
        .bind(request_id)
        .bind(member_id)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(row) = row else {
            tx.commit().await?;
            return Err(AnswerRefusal::NotFound.into());
        };
        let request = row.stored();
        let decision = match check_answer(&request, answer, now) {
            Ok(decision) => decision,
            Err(refusal) => {
                // An expiry noticed above is kept; nothing else was changed.
                tx.commit().await?;
                return Err(refusal.into());
            }
        };
        let (kind, detail) = match &decision {
            Decision::Approved(approval) => {
                sqlx::query(
                    "UPDATE access_requests SET status = 'approved', answered_at = $1, approved_scope = $2, \
                     approved_sections = $3, approved_until = $4 WHERE id = $5 AND status = 'pending'",
                )
                .bind(now)
                .bind(approval.scope)
                .bind(approval.sections.as_text())
                .bind(approval.expires_at)
                .bind(request_id)
                .execute(&mut *tx)
                .await?;
                let detail = json!({
                    "request_id": request_id,
                    "administrator_id": request.actor_id,
                    "scope": approval.scope.as_str(),
                    "sections": approval.sections.as_text(),
                    "expires_at": approval.expires_at,
                });
                (EventKind::AccessApproved, detail)
            }
            Decision::Denied { message } => {
                sqlx::query(
                    "UPDATE access_requests SET status = 'denied', answered_at = $1, message = $2 \
                     WHERE id = $3 AND status = 'pending'",
                )
                .bind(now)
                .bind(message.as_deref())
                .bind(request_id)
                .execute(&mut *tx)
                .await?;
                let detail = json!({
                    "request_id": request_id,
                    "administrator_id": request.actor_id,
                    "message": message,
                });
                (EventKind::AccessDenied, detail)
            }
        };
        let event = NewEvent::new(kind)
            .actor(member_id)
            .subject(member_id)
            .detail(detail);
        Self::append_event(&mut tx, event, now).await?;
        // The administrator's user list shows the answer.
        tx.concerns([request.actor_id]);
        tx.commit().await?;
        Ok(decision)
    }

    /// The administrator takes back their pending request (`access_request_withdrawn`).
    #[tracing::instrument(skip_all, fields(actor_id = actor_id, request_id = request_id))]
    pub async fn withdraw_access_request(
        &self,
        actor_id: i64,
        request_id: i64,
        now: i64,
    ) -> Result<(), WithdrawError> {
        let mut tx = self.begin_write().await?;
        Self::expire_requests(&mut tx, Some(actor_id), None, now).await?;
        let row: Option<RequestRow> = sqlx::query_as(&format!(
            "SELECT {REQUEST_COLUMNS} FROM access_requests r JOIN users a ON a.id = r.actor_id \
             WHERE r.id = $1"
        ))
        .bind(request_id)
        .fetch_optional(&mut *tx)
        .await?;
        let checked = match &row {
            None => Err(WithdrawRefusal::NotFound),
            Some(row) => check_withdraw(&row.stored(), actor_id, now),
        };
        let (Some(row), Ok(())) = (row, checked.clone()) else {
            tx.commit().await?;
            return Err(checked.err().unwrap_or(WithdrawRefusal::NotFound).into());
        };
        sqlx::query(
            "UPDATE access_requests SET status = 'withdrawn', answered_at = $1 WHERE id = $2 AND status = 'pending'",
        )
        .bind(now)
        .bind(request_id)
        .execute(&mut *tx)
        .await?;
        let event = NewEvent::new(EventKind::AccessRequestWithdrawn)
            .actor(actor_id)
            .subject(row.member_id)
            .detail(json!({"request_id": request_id}));
        Self::append_event(&mut tx, event, now).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The approvals of this member still within their window, revoked (with consent): their
    /// ids and administrators. Inside the revocation's transaction.
    pub(super) async fn revoke_approvals(
        tx: &mut Tx,
        member_id: i64,
        now: i64,
    ) -> Result<Vec<(i64, i64)>, StoreError> {
        let rows: Vec<(i64, i64)> = sqlx::query_as(
            "UPDATE access_requests SET status = 'revoked' WHERE member_id = $1 AND status = 'approved' \
             AND approved_until > $2 RETURNING id, actor_id",
        )
        .bind(member_id)
        .bind(now)
        .fetch_all(&mut **tx)
        .await?;
        Ok(rows)
    }

    /// The member's requests, newest first, as their inbox shows them at `now`.
    pub async fn member_requests(
        &self,
        member_id: i64,
        limit: usize,
        now: i64,
    ) -> Result<Vec<AccessRequestView>, StoreError> {
        let rows: Vec<RequestRow> = sqlx::query_as(&format!(
            "SELECT {REQUEST_COLUMNS} FROM access_requests r JOIN users a ON a.id = r.actor_id \
             WHERE r.member_id = $1 ORDER BY r.id DESC LIMIT $2"
        ))
        .bind(member_id)
        .bind(i64::try_from(limit).unwrap_or(i64::MAX))
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(|row| row.view(now)).collect())
    }

    /// The administrator's latest request to each member they asked, as their user list
    /// shows it at `now`.
    pub async fn latest_requests_of(
        &self,
        actor_id: i64,
        now: i64,
    ) -> Result<Vec<AccessRequestView>, StoreError> {
        let rows: Vec<RequestRow> = sqlx::query_as(&format!(
            "SELECT {REQUEST_COLUMNS} FROM access_requests r JOIN users a ON a.id = r.actor_id \
             WHERE r.id IN (SELECT MAX(q.id) FROM access_requests q WHERE q.actor_id = $1 GROUP BY q.member_id)"
        ))
        .bind(actor_id)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(|row| row.view(now)).collect())
    }

    /// One request as the tests see it.
    pub async fn access_request(
        &self,
        request_id: i64,
        now: i64,
    ) -> Result<Option<AccessRequestView>, StoreError> {
        let row: Option<RequestRow> = sqlx::query_as(&format!(
            "SELECT {REQUEST_COLUMNS} FROM access_requests r JOIN users a ON a.id = r.actor_id WHERE r.id = $1"
        ))
        .bind(request_id)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|row| row.view(now)))
    }

    /// The events the member's inbox is made of, oldest first: the last `limit` of the kinds
    /// it shows, each with its administrator's name.
    pub async fn inbox_events(
        &self,
        member_id: i64,
        limit: usize,
    ) -> Result<Vec<InboxEventRow>, StoreError> {
        // `+e.seq` sorts without the index on (subject_id, seq): SQLite would otherwise walk
        // every event about the member in order, each acting request's among them (15 ms at
        // 20,000), instead of the few of these kinds.
        static STATEMENT: LazyLock<String> = LazyLock::new(|| {
            format!(
                "SELECT e.seq, e.at_ms, e.kind, a.name AS actor_name, a.email AS actor_email, \
                 e.detail FROM audit_events e LEFT JOIN users a ON a.id = e.actor_id \
                 WHERE e.subject_id = $1 AND e.kind IN ({}) ORDER BY +e.seq DESC LIMIT $2",
                kinds_sql(&inbox::KINDS)
            )
        });
        let mut rows: Vec<InboxEventRow> = sqlx::query_as(&STATEMENT)
            .bind(member_id)
            .bind(i64::try_from(limit).unwrap_or(i64::MAX))
            .fetch_all(&self.pool)
            .await?;
        rows.reverse();
        Ok(rows)
    }

    /// What the member's unread count is judged on, in one statement (every member page shows
    /// the count): the events since they last read their inbox, and the consents granted or
    /// revoked within `longest_consent_ms` before (one of those may run out after), oldest
    /// first; with the read mark and the expiry of the consent in force, on every row. No
    /// rows: nothing unread.
    pub async fn inbox_since_read(
        &self,
        member_id: i64,
        longest_consent_ms: i64,
    ) -> Result<Vec<UnreadEventRow>, StoreError> {
        // `+e.seq`: as in `inbox_events`.
        static STATEMENT: LazyLock<String> = LazyLock::new(|| {
            format!(
                "WITH mark AS (SELECT COALESCE((SELECT read_until FROM inbox_reads \
                 WHERE member_id = $1), 0) AS read_until) \
                 SELECT e.seq, e.at_ms, e.kind, a.name AS actor_name, a.email AS actor_email, \
                 e.detail, m.read_until, \
                 (SELECT c.expires_at FROM consents c WHERE c.user_id = $1) AS standing_until \
                 FROM mark m JOIN audit_events e ON e.subject_id = $1 \
                 LEFT JOIN users a ON a.id = e.actor_id \
                 WHERE e.kind IN ({}) AND (e.at_ms > m.read_until \
                 OR (e.kind IN ({}) AND e.at_ms > m.read_until - $2)) \
                 ORDER BY +e.seq",
                kinds_sql(&inbox::KINDS),
                kinds_sql(&inbox::CONSENT_KINDS)
            )
        });
        Ok(sqlx::query_as(&STATEMENT)
            .bind(member_id)
            .bind(longest_consent_ms)
            .fetch_all(&self.pool)
            .await?)
    }

    /// Until when the member has read their inbox (0: never).
    pub async fn inbox_read_until(&self, member_id: i64) -> Result<i64, StoreError> {
        let until: Option<i64> =
            sqlx::query_scalar("SELECT read_until FROM inbox_reads WHERE member_id = $1")
                .bind(member_id)
                .fetch_optional(&self.pool)
                .await?;
        Ok(until.unwrap_or(0))
    }

    /// `Mark all read`: every notice up to `now` is read. Never moves back.
    pub async fn mark_inbox_read(&self, member_id: i64, now: i64) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO inbox_reads (member_id, read_until) VALUES ($1, $2) \
             ON CONFLICT (member_id) DO UPDATE SET read_until = excluded.read_until \
             WHERE inbox_reads.read_until < excluded.read_until",
        )
        .bind(member_id)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        // The member's other open pages update their count.
        tx.concerns([member_id]);
        tx.commit().await?;
        Ok(())
    }
}

/// `kinds` as an SQL list of string literals (their names are plain words: nothing to escape).
fn kinds_sql(kinds: &[EventKind]) -> String {
    kinds
        .iter()
        .map(|kind| format!("'{}'", kind.as_str()))
        .collect::<Vec<_>>()
        .join(", ")
}
