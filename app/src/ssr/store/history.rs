//! Reading the audit log back (SPEC.md §5): the member's session history and export, and the
//! staff's activity log.

use super::impersonation_sessions::{SessionRow, SESSION_COLUMNS};
use super::{escape_like, Store, StoreError};
use crate::model::{AuditEntry, SessionEntry};
use crate::ssr::audit::EventKind;
use crate::ssr::impersonation_state::{outcome, StoredSession};

/// An event with the people it names, for display and export.
const ENTRY_SELECT: &str = "SELECT e.seq, e.at_ms, e.kind, e.impersonation_id, e.method, e.path, \
     e.status, e.detail, e.hash, a.name AS actor_name, a.email AS actor_email, \
     t.name AS subject_name, t.email AS subject_email \
     FROM audit_events e LEFT JOIN users a ON a.id = e.actor_id LEFT JOIN users t ON t.id = e.subject_id";

#[derive(sqlx::FromRow)]
struct EntryRow {
    seq: i64,
    at_ms: i64,
    kind: String,
    impersonation_id: Option<i64>,
    method: Option<String>,
    path: Option<String>,
    status: Option<i32>,
    detail: String,
    hash: String,
    actor_name: Option<String>,
    actor_email: Option<String>,
    subject_name: Option<String>,
    subject_email: Option<String>,
}

impl From<EntryRow> for AuditEntry {
    fn from(row: EntryRow) -> AuditEntry {
        let person = |name: Option<String>, email: Option<String>| {
            name.zip(email)
                .map(|(name, email)| format!("{name} <{email}>"))
        };
        AuditEntry {
            // Written by the views that show it (`plain_words::in_words`): the exports, which
            // read the most events, have no use for it.
            sentence: String::new(),
            seq: row.seq,
            at_ms: row.at_ms,
            kind: row.kind,
            actor: person(row.actor_name, row.actor_email),
            subject: person(row.subject_name, row.subject_email),
            impersonation_id: row.impersonation_id,
            method: row.method,
            path: row.path,
            status: row.status,
            detail: row.detail,
            hash: row.hash,
        }
    }
}

/// What a `HistoryRow` reads beside `SESSION_COLUMNS`, and from where.
const HISTORY_COLUMNS: &str = "s.reason, a.name, a.email";
const HISTORY_FROM: &str = "impersonation_sessions s JOIN users a ON a.id = s.actor_id";

/// A session on the member's account with its administrator, as their history shows it.
#[derive(sqlx::FromRow)]
struct HistoryRow {
    #[sqlx(flatten)]
    session: SessionRow,
    reason: String,
    name: String,
    email: String,
}

impl HistoryRow {
    fn entry(self, now: i64) -> SessionEntry {
        let session = StoredSession::from(self.session);
        let ended = outcome(&session, now);
        let ended_at = ended.map(|ended| ended.at);
        SessionEntry {
            id: session.id,
            started_at: session.started_at,
            ended_at,
            duration_ms: ended_at.unwrap_or(now) - session.started_at,
            admin_name: self.name,
            admin_email: self.email,
            reason: self.reason,
            scope: session.scope,
            end_reason: ended.map(|ended| ended.reason.as_str().to_string()),
        }
    }
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
        let rows: Vec<HistoryRow> = sqlx::query_as(&format!(
            "SELECT {SESSION_COLUMNS}, {HISTORY_COLUMNS} FROM {HISTORY_FROM} \
             WHERE s.target_id = $1 AND s.id < $2 ORDER BY s.id DESC LIMIT $3"
        ))
        .bind(member_id)
        .bind(before.unwrap_or(i64::MAX))
        .bind(limit as i64)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(|row| row.entry(now)).collect())
    }

    /// One session on the member's account; `None` for a session on anyone else's.
    pub async fn member_session(
        &self,
        member_id: i64,
        session_id: i64,
        now: i64,
    ) -> Result<Option<SessionEntry>, StoreError> {
        let row: Option<HistoryRow> = sqlx::query_as(&format!(
            "SELECT {SESSION_COLUMNS}, {HISTORY_COLUMNS} FROM {HISTORY_FROM} \
             WHERE s.target_id = $1 AND s.id = $2"
        ))
        .bind(member_id)
        .bind(session_id)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|row| row.entry(now)))
    }

    /// A session as a receipt made at the chain head `head_seq` shows it: the member whose
    /// account it was on, and its entry with the administrator's email as it was at that head
    /// (the one a later `email_changed` of theirs changed from), so that a receipt stays true
    /// after they change it. `None` if there is no such session.
    pub async fn session_at_head(
        &self,
        session_id: i64,
        head_seq: i64,
        now: i64,
    ) -> Result<Option<(i64, SessionEntry)>, StoreError> {
        #[derive(sqlx::FromRow)]
        struct AtHeadRow {
            #[sqlx(flatten)]
            history: HistoryRow,
            member_id: i64,
            /// The detail of the administrator's first change of email after the head.
            email_change_after: Option<String>,
        }
        let row: Option<AtHeadRow> = sqlx::query_as(&format!(
            "SELECT {SESSION_COLUMNS}, {HISTORY_COLUMNS}, s.target_id AS member_id, \
             (SELECT e.detail FROM audit_events e WHERE e.subject_id = s.actor_id AND e.kind = $2 \
              AND e.seq > $3 ORDER BY e.seq LIMIT 1) AS email_change_after \
             FROM {HISTORY_FROM} WHERE s.id = $1"
        ))
        .bind(session_id)
        .bind(EventKind::EmailChanged.as_str())
        .bind(head_seq)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|row| {
            let mut entry = row.history.entry(now);
            let email_then = row
                .email_change_after
                .and_then(|detail| serde_json::from_str::<serde_json::Value>(&detail).ok())
                .and_then(|detail| detail.get("from")?.as_str().map(str::to_string));
            if let Some(email) = email_then {
                entry.admin_email = email;
            }
            (row.member_id, entry)
        }))
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
        let rows: Vec<EntryRow> = sqlx::query_as(&format!(
            "{ENTRY_SELECT} WHERE e.impersonation_id = $1 AND e.subject_id = $2 AND e.seq > $3 \
             ORDER BY e.seq LIMIT $4"
        ))
        .bind(session_id)
        .bind(member_id)
        .bind(after.unwrap_or(0))
        .bind(limit as i64)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(AuditEntry::from).collect())
    }

    /// Events about the member's account after `after_seq`, oldest first: the export reads
    /// them a batch at a time, so it never holds the whole log.
    pub async fn events_about(
        &self,
        member_id: i64,
        after_seq: i64,
        limit: i64,
    ) -> Result<Vec<AuditEntry>, StoreError> {
        let rows: Vec<EntryRow> = sqlx::query_as(&format!(
            "{ENTRY_SELECT} WHERE e.subject_id = $1 AND e.seq > $2 ORDER BY e.seq LIMIT $3"
        ))
        .bind(member_id)
        .bind(after_seq)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(AuditEntry::from).collect())
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
        let mut statement = sqlx::query_as(&sql);
        for value in &binds {
            statement = statement.bind(*value);
        }
        if let Some(kind) = kind {
            statement = statement.bind(kind);
        }
        let rows: Vec<EntryRow> = statement.bind(limit).fetch_all(&self.pool).await?;
        Ok(rows.into_iter().map(AuditEntry::from).collect())
    }
}
