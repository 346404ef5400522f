//! `impersonation_sessions`: sessions start and end atomically with the facts that allow
//! them. Which sessions end, and why, is the state machine's decision
//! (`impersonation_state::ends`); this module reads the facts and writes the outcome.

use super::consents::stored_sections;
use super::sign_ins::ROTATION_GRACE_MS;
use super::{live_session, Store, StoreError, Tx};
use crate::model::{RequestStatus, Role, Scope, Sections, UserStatus, UserSummary};
use crate::ssr::access_requests::Approval;
use crate::ssr::action_record::ActingRequest;
use crate::ssr::audit::{EventKind, NewEvent};
use crate::ssr::consent::Consent;
use crate::ssr::impersonation::StartError;
use crate::ssr::impersonation_state::{
    ends, EndReason, Ended, SessionFacts, SessionPlan, StartRefusal, StoredSession, Trigger, Via,
};
use crate::ssr::sign_in_limits::SignInTimes;
use serde_json::json;
use sqlx::AnyConnection;

/// Every column of a session, as `SessionRow` reads them (`s` is the session's alias).
/// `session_id`, not `id`: a row may carry a user's `id` beside it (`Store::sign_in_at`).
pub(super) const SESSION_COLUMNS: &str = "s.id AS session_id, s.actor_id, s.target_id, s.scope, \
     s.sections, s.via, s.started_at, s.expires_at, s.ended_at, s.end_reason";

#[derive(sqlx::FromRow)]
pub(super) struct SessionRow {
    #[sqlx(rename = "session_id")]
    id: i64,
    actor_id: i64,
    target_id: i64,
    scope: Scope,
    sections: String,
    via: Via,
    started_at: i64,
    expires_at: i64,
    ended_at: Option<i64>,
    end_reason: Option<EndReason>,
}

impl From<SessionRow> for StoredSession {
    fn from(row: SessionRow) -> StoredSession {
        StoredSession {
            id: row.id,
            actor_id: row.actor_id,
            target_id: row.target_id,
            scope: row.scope,
            sections: stored_sections(&row.sections),
            via: row.via,
            started_at: row.started_at,
            expires_at: row.expires_at,
            // Both are written together, by `end_sessions` alone.
            ended: row
                .ended_at
                .zip(row.end_reason)
                .map(|(at, reason)| Ended { at, reason }),
        }
    }
}

/// A session as each request re-reads it: the session, the member acted as, and the facts
/// `impersonation_state::verdict` judges it on.
#[derive(Clone, Debug)]
pub struct LiveSessionRow {
    pub session: StoredSession,
    pub target: UserSummary,
    pub facts: SessionFacts,
}

/// The administrator acting on a member's account: their name, and when the session expires.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct SessionHolder {
    pub name: String,
    pub expires_at: i64,
}

/// What a request re-checks a session on, for `s` the session: the member acted as, the
/// administrator's standing, and the member's consent (with `APPROVAL_COLUMNS`, the approval
/// the session rests on instead, if it does). Read by one statement with the sign-in
/// (`Store::sign_in_at`), and by `Store::live_session`.
pub(super) const LIVE_FACTS_COLUMNS: &str = "u.name AS target_name, u.email AS target_email, \
     u.role AS target_role, u.status AS target_status, a.status AS actor_status, \
     (SELECT COUNT(*) FROM impersonators i WHERE i.user_id = s.actor_id) AS allowed, \
     (SELECT COUNT(*) FROM sign_in_sessions g WHERE g.impersonation_id = s.id) AS carried, \
     c.scope AS consent_scope, c.sections AS consent_sections, \
     c.granted_at AS consent_granted_at, c.expires_at AS consent_expires_at, \
     s.access_request_id";

/// The tables `LIVE_FACTS_COLUMNS` and `APPROVAL_COLUMNS` read, joined to the session `s`.
/// Left joins, so that they can follow a left-joined session; both users are always there
/// (foreign keys).
pub(super) const LIVE_FACTS_JOINS: &str = "LEFT JOIN users u ON u.id = s.target_id \
     LEFT JOIN users a ON a.id = s.actor_id LEFT JOIN consents c ON c.user_id = s.target_id \
     LEFT JOIN access_requests r ON r.id = s.access_request_id";

#[derive(sqlx::FromRow)]
pub(super) struct LiveFacts {
    #[sqlx(flatten)]
    session: SessionRow,
    target_name: String,
    target_email: String,
    target_role: Role,
    target_status: UserStatus,
    actor_status: UserStatus,
    allowed: i64,
    carried: i64,
    consent_scope: Option<Scope>,
    consent_sections: Option<String>,
    consent_granted_at: Option<i64>,
    consent_expires_at: Option<i64>,
    access_request_id: Option<i64>,
    #[sqlx(flatten)]
    approval: ApprovalRow,
}

/// An access request's approval, as a session or a start reads it (`r` is the request).
#[derive(sqlx::FromRow)]
pub(super) struct ApprovalRow {
    approval_status: Option<RequestStatus>,
    approved_at: Option<i64>,
    approved_scope: Option<Scope>,
    approved_sections: Option<String>,
    approved_until: Option<i64>,
}

/// The columns `ApprovalRow` reads.
pub(super) const APPROVAL_COLUMNS: &str =
    "r.status AS approval_status, r.answered_at AS approved_at, \
     r.approved_scope, r.approved_sections, r.approved_until";

impl ApprovalRow {
    /// The approval, while it stands (approved, not revoked; its window may have passed).
    pub(super) fn approval(&self) -> Option<Approval> {
        match (
            self.approval_status,
            self.approved_at,
            self.approved_scope,
            &self.approved_sections,
            self.approved_until,
        ) {
            (
                Some(RequestStatus::Approved),
                Some(approved_at),
                Some(scope),
                Some(sections),
                Some(until),
            ) => Some(Approval {
                approved_at,
                scope,
                sections: stored_sections(sections),
                expires_at: until,
            }),
            _ => None,
        }
    }
}

#[derive(sqlx::FromRow)]
struct ApprovalFound {
    id: i64,
    #[sqlx(flatten)]
    approval: ApprovalRow,
}

impl From<LiveFacts> for LiveSessionRow {
    fn from(row: LiveFacts) -> LiveSessionRow {
        let session = StoredSession::from(row.session);
        let target = UserSummary {
            id: session.target_id,
            name: row.target_name,
            email: row.target_email,
            role: row.target_role,
            status: row.target_status,
        };
        // A session under an approval rests on that approval alone, not on any standing
        // consent.
        let consent = match row.access_request_id {
            Some(_) => row
                .approval
                .approval()
                .map(|approval| approval.as_consent()),
            None => match (
                row.consent_scope,
                row.consent_granted_at,
                row.consent_expires_at,
            ) {
                (Some(scope), Some(granted_at), Some(expires_at)) => Some(Consent {
                    scope,
                    sections: stored_sections(row.consent_sections.as_deref().unwrap_or_default()),
                    granted_at,
                    expires_at,
                }),
                _ => None,
            },
        };
        LiveSessionRow {
            facts: SessionFacts {
                consent,
                target_status: target.status,
                actor_status: row.actor_status,
                actor_on_allow_list: row.allowed > 0,
                actor_signed_in: row.carried > 0,
            },
            session,
            target,
        }
    }
}

/// One impersonation session as the tests see it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionRecord {
    pub actor_id: i64,
    pub target_id: i64,
    pub scope: Scope,
    pub sections: Sections,
    pub expires_at: i64,
    pub ended_at: Option<i64>,
    pub end_reason: Option<String>,
}

/// A start request: who, as whom, why, on what, with which new sign-in token.
pub struct StartRequest<'a> {
    pub actor_token_digest: &'a str,
    pub new_token_digest: &'a str,
    pub target_id: i64,
    pub reason: &'a str,
    /// A support code already matched (outside the lock, it costs Argon2 time) to this id.
    pub support_code_id: Option<i64>,
}

/// The administrator asking, as found inside the start's transaction.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct ActorFacts {
    #[sqlx(flatten)]
    pub user: UserSummary,
    #[sqlx(flatten)]
    pub sign_in: SignInTimes,
    /// How many allow-list rows name the administrator (0 or 1).
    pub allowed: i64,
}

/// Everything a start is judged on, read inside its locked transaction.
#[derive(Clone, Debug)]
pub struct StartFacts {
    /// `None` when the sign-in that asked is gone.
    pub actor: Option<ActorFacts>,
    /// Whether the administrator already holds an unended session.
    pub actor_holds_session: bool,
    /// `None` when there is no such account.
    pub target: Option<UserSummary>,
    pub target_consent: Option<Consent>,
    /// The name of the administrator holding a session on the target, if one does.
    pub target_held_by: Option<String>,
    /// The scope and sections of the support code the request matched, if it is still
    /// unused and valid.
    pub support_code: Option<(Scope, Sections)>,
    /// The member's approval of this administrator's access request, if one is within its
    /// window: the request's id and what it allows.
    pub approval: Option<(i64, Approval)>,
}

/// A start under way: its transaction holds the write lock, so the facts stay true until
/// it either inserts the session or records the refusal.
pub struct StartAttempt<'a> {
    tx: Tx,
    request: StartRequest<'a>,
    pub facts: StartFacts,
}

impl Store {
    /// Opens a start: records the end of sessions of either party that ran out unnoticed
    /// (they would count as held otherwise) and reads every fact the rules judge.
    #[tracing::instrument(skip_all, fields(target_id = request.target_id))]
    pub async fn begin_start<'a>(
        &self,
        request: StartRequest<'a>,
        now: i64,
    ) -> Result<StartAttempt<'a>, StoreError> {
        let mut tx = self.begin_write().await?;
        let actor: Option<ActorFacts> = sqlx::query_as(
            "SELECT u.id, u.name, u.email, u.role, u.status, s.created_at, s.last_seen_at, \
             (SELECT COUNT(*) FROM impersonators i WHERE i.user_id = u.id) AS allowed \
             FROM sign_in_sessions s JOIN users u ON u.id = s.user_id WHERE s.token_digest = $1",
        )
        .bind(request.actor_token_digest)
        .fetch_optional(&mut *tx)
        .await?;
        if let Some(actor) = &actor {
            let pending = Trigger::StartPending {
                actor_id: actor.user.id,
                target_id: request.target_id,
            };
            Self::end_sessions(&mut tx, pending, now).await?;
        }
        let actor_holds_session = match &actor {
            Some(actor) => {
                let held: Option<i64> = sqlx::query_scalar(
                    "SELECT id FROM impersonation_sessions WHERE actor_id = $1 AND ended_at IS NULL",
                )
                .bind(actor.user.id)
                .fetch_optional(&mut *tx)
                .await?;
                held.is_some()
            }
            None => false,
        };
        let target = Self::user_by_id(&mut tx, request.target_id).await?;
        let target_held_by: Option<String> = sqlx::query_scalar(
            "SELECT u.name FROM impersonation_sessions s JOIN users u ON u.id = s.actor_id \
             WHERE s.target_id = $1 AND s.ended_at IS NULL",
        )
        .bind(request.target_id)
        .fetch_optional(&mut *tx)
        .await?;
        let target_consent = Self::consent_on(&mut tx, request.target_id).await?;
        let support_code: Option<(Scope, String)> = match request.support_code_id {
            None => None,
            Some(code_id) => sqlx::query_as(
                "SELECT scope, sections FROM support_codes WHERE id = $1 AND user_id = $2 AND used_at IS NULL AND expires_at > $3",
            )
            .bind(code_id)
            .bind(request.target_id)
            .bind(now)
            .fetch_optional(&mut *tx)
            .await?,
        };
        let support_code =
            support_code.map(|(scope, sections)| (scope, stored_sections(&sections)));
        // Only this administrator's own approval: nobody else may start under it.
        let approval: Option<ApprovalFound> = match &actor {
            None => None,
            Some(actor) => {
                sqlx::query_as(&format!(
                    "SELECT r.id, {APPROVAL_COLUMNS} FROM access_requests r \
                 WHERE r.actor_id = $1 AND r.member_id = $2 AND r.status = 'approved' \
                 AND r.approved_until > $3 ORDER BY r.approved_until DESC LIMIT 1"
                ))
                .bind(actor.user.id)
                .bind(request.target_id)
                .bind(now)
                .fetch_optional(&mut *tx)
                .await?
            }
        };
        let approval = approval.and_then(|found| Some((found.id, found.approval.approval()?)));
        Ok(StartAttempt {
            tx,
            request,
            facts: StartFacts {
                actor,
                actor_holds_session,
                target,
                target_consent,
                target_held_by,
                support_code,
                approval,
            },
        })
    }

    /// The open (unrecorded) sessions a trigger could touch.
    async fn open_sessions(
        conn: &mut AnyConnection,
        trigger: Trigger,
    ) -> Result<Vec<StoredSession>, StoreError> {
        let involved = trigger.involved();
        let rows: Vec<SessionRow> = sqlx::query_as(&format!(
            "SELECT {SESSION_COLUMNS} FROM impersonation_sessions s WHERE s.ended_at IS NULL \
             AND (s.id = $1 OR s.actor_id = $2 OR s.target_id = $3)"
        ))
        .bind(involved.session_id)
        .bind(involved.actor_id)
        .bind(involved.target_id)
        .fetch_all(&mut *conn)
        .await?;
        Ok(rows.into_iter().map(StoredSession::from).collect())
    }

    /// Ends the sessions `trigger` ends, each recorded once as `impersonation_ended` with its
    /// reason; a session another caller ended first is left to that record.
    pub(super) async fn end_sessions(
        conn: &mut Tx,
        trigger: Trigger,
        now: i64,
    ) -> Result<Vec<(StoredSession, EndReason)>, StoreError> {
        let open = Self::open_sessions(conn, trigger).await?;
        let mut ended = Vec::new();
        for (id, reason) in ends(&trigger, &open, now) {
            let done = sqlx::query(
                "UPDATE impersonation_sessions SET ended_at = $1, end_reason = $2 WHERE id = $3 AND ended_at IS NULL",
            )
            .bind(now)
            .bind(reason)
            .bind(id)
            .execute(&mut **conn)
            .await?
            .rows_affected()
                > 0;
            let Some(session) = open.iter().find(|session| session.id == id) else {
                continue;
            };
            if !done {
                continue;
            }
            let event = NewEvent::new(EventKind::ImpersonationEnded)
                .actor(session.actor_id)
                .subject(session.target_id)
                .session(id)
                .detail(json!({"end_reason": reason.as_str()}));
            Self::append_event(conn, event, now).await?;
            ended.push((session.clone(), reason));
        }
        Ok(ended)
    }

    /// The administrator ends their own session (`exited`); the act-as marker is cleared and
    /// the sign-in id rotated in the same transaction. False if no session was open.
    #[tracing::instrument(skip_all)]
    pub async fn exit_impersonation(
        &self,
        actor_token_digest: &str,
        new_token_digest: &str,
        action: Option<&ActingRequest>,
        now: i64,
    ) -> Result<bool, StoreError> {
        let mut tx = self.begin_write().await?;
        let session_id: Option<i64> = sqlx::query_scalar(
            "SELECT s.id FROM sign_in_sessions g \
             JOIN impersonation_sessions s ON s.id = g.impersonation_id \
             WHERE g.token_digest = $1 AND s.ended_at IS NULL",
        )
        .bind(actor_token_digest)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(session_id) = session_id else {
            return Ok(false);
        };
        let ended = Self::end_sessions(&mut tx, Trigger::Exited { session_id }, now).await?;
        if ended.is_empty() {
            // Nothing ended, nothing done: the request is recorded with the refusal it gets.
            tx.commit().await?;
            return Ok(false);
        }
        // The old token still names the sign-in a moment, as in `clear_marker`.
        sqlx::query(
            "UPDATE sign_in_sessions SET impersonation_id = NULL, previous_digest = token_digest, \
             previous_until = $1, token_digest = $2 WHERE impersonation_id = $3",
        )
        .bind(now + ROTATION_GRACE_MS)
        .bind(new_token_digest)
        .bind(session_id)
        .execute(&mut *tx)
        .await?;
        Self::commit_with_action(tx, action, now).await?;
        Ok(true)
    }

    /// Everything a request needs to re-check the session it acts in.
    pub async fn live_session(&self, id: i64) -> Result<Option<LiveSessionRow>, StoreError> {
        let row: Option<LiveFacts> = sqlx::query_as(&format!(
            "SELECT {SESSION_COLUMNS}, {LIVE_FACTS_COLUMNS}, {APPROVAL_COLUMNS} \
             FROM impersonation_sessions s {LIVE_FACTS_JOINS} WHERE s.id = $1"
        ))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(LiveSessionRow::from))
    }

    /// Records the end a request or the live channel found (`verdict`), once whoever
    /// observes it first.
    #[tracing::instrument(skip_all, fields(session_id = session_id, reason = reason.as_str()))]
    pub async fn end_found_over(
        &self,
        session_id: i64,
        reason: EndReason,
        now: i64,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        Self::end_sessions(&mut tx, Trigger::FoundOver { session_id, reason }, now).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The session on this member's account whose end nobody has recorded yet, if any (it
    /// may have run out unnoticed).
    pub async fn unended_session_on(&self, member_id: i64) -> Result<Option<i64>, StoreError> {
        Ok(sqlx::query_scalar(
            "SELECT id FROM impersonation_sessions WHERE target_id = $1 AND ended_at IS NULL",
        )
        .bind(member_id)
        .fetch_optional(&self.pool)
        .await?)
    }

    /// Who acts on this member's account right now, if anyone, and until when.
    pub async fn live_session_holder(
        &self,
        member_id: i64,
        now: i64,
    ) -> Result<Option<SessionHolder>, StoreError> {
        Ok(sqlx::query_as(&format!(
            "SELECT a.name, s.expires_at FROM impersonation_sessions s \
             JOIN users a ON a.id = s.actor_id WHERE s.target_id = $1 AND {}",
            live_session("s", "$2")
        ))
        .bind(member_id)
        .bind(now)
        .fetch_optional(&self.pool)
        .await?)
    }

    /// The session this administrator holds right now, whichever sign-in carries it.
    pub async fn live_session_of_actor(
        &self,
        actor_id: i64,
        now: i64,
    ) -> Result<Option<crate::model::OpenSession>, StoreError> {
        Ok(sqlx::query_as(&format!(
            "SELECT s.id AS session_id, u.name AS member_name, u.email AS member_email, \
             s.started_at, s.expires_at \
             FROM impersonation_sessions s JOIN users u ON u.id = s.target_id \
             WHERE s.actor_id = $1 AND {}",
            live_session("s", "$2")
        ))
        .bind(actor_id)
        .bind(now)
        .fetch_optional(&self.pool)
        .await?)
    }

    /// The administrator ends, from another browser, the session `session_id` they hold
    /// there (`exited`): the one that page showed, never one started since. The sign-in that
    /// carries it learns so on its next request. False if it is not theirs or not live.
    #[tracing::instrument(skip_all, fields(actor_id = actor_id, session_id = session_id))]
    pub async fn exit_elsewhere(
        &self,
        actor_id: i64,
        session_id: i64,
        action: Option<&ActingRequest>,
        now: i64,
    ) -> Result<bool, StoreError> {
        let mut tx = self.begin_write().await?;
        let session_id: Option<i64> = sqlx::query_scalar(&format!(
            "SELECT s.id FROM impersonation_sessions s WHERE s.id = $1 AND s.actor_id = $2 AND {}",
            live_session("s", "$3")
        ))
        .bind(session_id)
        .bind(actor_id)
        .bind(now)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(session_id) = session_id else {
            return Ok(false);
        };
        let ended = Self::end_sessions(&mut tx, Trigger::Exited { session_id }, now).await?;
        Self::commit_with_action(tx, action, now).await?;
        Ok(!ended.is_empty())
    }

    /// The member ends every session on their account (`ended by user`). False if none was open.
    #[tracing::instrument(skip_all, fields(member_id = member_id))]
    pub async fn end_sessions_by_member(
        &self,
        member_id: i64,
        now: i64,
    ) -> Result<bool, StoreError> {
        let mut tx = self.begin_write().await?;
        let ended = Self::end_sessions(&mut tx, Trigger::EndedByMember { member_id }, now).await?;
        tx.commit().await?;
        Ok(!ended.is_empty())
    }

    /// A session as the member's history and the tests see it.
    pub async fn impersonation_session(
        &self,
        id: i64,
    ) -> Result<Option<SessionRecord>, StoreError> {
        let row: Option<SessionRow> = sqlx::query_as(&format!(
            "SELECT {SESSION_COLUMNS} FROM impersonation_sessions s WHERE s.id = $1"
        ))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|row| {
            let session = StoredSession::from(row);
            SessionRecord {
                actor_id: session.actor_id,
                target_id: session.target_id,
                scope: session.scope,
                sections: session.sections,
                expires_at: session.expires_at,
                ended_at: session.ended.map(|ended| ended.at),
                end_reason: session.ended.map(|ended| ended.reason.as_str().to_string()),
            }
        }))
    }
}

impl StartAttempt<'_> {
    /// Records the refusal (`impersonation_denied`, with its rule) and commits.
    pub async fn deny(mut self, refusal: &StartRefusal, now: i64) -> Result<(), StoreError> {
        let actor_id = self.facts.actor.as_ref().map(|actor| actor.user.id);
        let mut denied = NewEvent::new(EventKind::ImpersonationDenied)
            .subject(self.request.target_id)
            .detail(json!({"rule": refusal.rule(), "message": refusal.to_string()}));
        denied.actor_id = actor_id;
        Store::append_event(&mut self.tx, denied, now).await?;
        self.tx.commit().await?;
        Ok(())
    }

    /// Inserts the session the rules allowed, uses up its support code, puts the act-as
    /// marker on the sign-in (rotating its id) and records the start, all at once. A unique
    /// index that still refuses (one live session per member and per administrator) is the
    /// refusal of its rule, never a failure.
    pub async fn insert(
        mut self,
        plan: SessionPlan,
        via: Via,
        now: i64,
    ) -> Result<i64, StartError> {
        let actor_id = self.facts.actor.as_ref().map_or(0, |actor| actor.user.id);
        let request = &self.request;
        let inserted = sqlx::query_scalar(
            "INSERT INTO impersonation_sessions (actor_id, target_id, reason, scope, via, started_at, expires_at, sections, access_request_id) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
        )
        .bind(actor_id)
        .bind(request.target_id)
        .bind(request.reason)
        .bind(plan.scope)
        .bind(via)
        .bind(now)
        .bind(plan.expires_at)
        .bind(plan.sections.as_text())
        .bind(plan.approval_id)
        .fetch_one(&mut *self.tx)
        .await
        .map_err(StoreError::from);
        let id: i64 = match inserted {
            Ok(id) => id,
            Err(error) => {
                let refusal = error
                    .violated_index()
                    .and_then(|index| index_refusal(&index));
                return Err(refusal.map_or_else(|| error.into(), StartError::Refused));
            }
        };
        if let Some(code_id) = request.support_code_id {
            sqlx::query("UPDATE support_codes SET used_at = $1, used_by = $2 WHERE id = $3")
                .bind(now)
                .bind(actor_id)
                .bind(code_id)
                .execute(&mut *self.tx)
                .await
                .map_err(StoreError::from)?;
        }
        // The sign-in's id is rotated as it takes on the act-as marker.
        // Any token still in its grace after an earlier session's end stops naming the sign-in
        // now: it must never be read as acting in this new session.
        sqlx::query(
            "UPDATE sign_in_sessions SET token_digest = $1, impersonation_id = $2, \
             previous_digest = NULL, previous_until = NULL WHERE token_digest = $3",
        )
        .bind(request.new_token_digest)
        .bind(id)
        .bind(request.actor_token_digest)
        .execute(&mut *self.tx)
        .await
        .map_err(StoreError::from)?;
        let started = NewEvent::new(EventKind::ImpersonationStarted)
            .actor(actor_id)
            .subject(request.target_id)
            .session(id)
            .detail(json!({
                "reason": request.reason,
                "scope": plan.scope.as_str(),
                "sections": plan.sections.as_text(),
                "via": via.as_str(),
                "access_request_id": plan.approval_id,
                "expires_at": plan.expires_at,
            }));
        Store::append_event(&mut self.tx, started, now).await?;
        self.tx.commit().await?;
        Ok(id)
    }
}

/// The start rule a unique index of `impersonation_sessions` stands for, given the index as
/// the database names it (PostgreSQL: its name; SQLite: `table.column`).
fn index_refusal(index: &str) -> Option<StartRefusal> {
    if index.contains("one_live_session_per_actor") || index.ends_with(".actor_id") {
        Some(StartRefusal::AlreadyImpersonating)
    } else if index.contains("one_live_session_per_target") || index.ends_with(".target_id") {
        Some(StartRefusal::TargetBusy("Another administrator".into()))
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_unique_index_that_refuses_a_start_is_its_rules_refusal() {
        for (index, refusal) in [
            (
                "one_live_session_per_actor",
                StartRefusal::AlreadyImpersonating,
            ),
            (
                "UNIQUE constraint failed: impersonation_sessions.actor_id",
                StartRefusal::AlreadyImpersonating,
            ),
            (
                "one_live_session_per_target",
                StartRefusal::TargetBusy("Another administrator".into()),
            ),
            (
                "UNIQUE constraint failed: impersonation_sessions.target_id",
                StartRefusal::TargetBusy("Another administrator".into()),
            ),
        ] {
            assert_eq!(index_refusal(index), Some(refusal), "{index}");
        }
        assert_eq!(index_refusal("users_email_key"), None);
    }
}
