//! Access requests and the inbox, orchestrated (SPEC.md §2, §5): an administrator asks, the
//! member answers in their `Inbox`, the administrator's user list shows the answer. The rules
//! are in `access_requests` and `inbox`; the SQL in the store.

use super::access_requests::{
    parse_answer, AnswerForm, AnswerRefusal, Decision, RequestDraft, RequestForm, RequestRefusal,
    WithdrawRefusal,
};
use super::audit::{EventKind, NewEvent};
use super::authentication::SignedIn;
use super::clock::HOUR_MS;
use super::consent;
use super::impersonation::check_session;
use super::inbox::{notices, unread, InboxEvent};
use super::store::{AnswerError, InboxEventRow, RequestError, Store, StoreError, WithdrawError};
use super::NOT_WHILE_ACTING;
use crate::model::{Inbox, INBOX_NOTICES};
use serde_json::json;
use std::collections::HashMap;

/// Why an access request, an answer or a withdrawal was not made.
#[derive(Debug, thiserror::Error)]
pub enum AccessError {
    #[error("{NOT_WHILE_ACTING}")]
    NotWhileActing,
    #[error(transparent)]
    Request(#[from] RequestRefusal),
    #[error(transparent)]
    Answer(#[from] AnswerRefusal),
    #[error(transparent)]
    Withdraw(#[from] WithdrawRefusal),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<RequestError> for AccessError {
    fn from(error: RequestError) -> Self {
        match error {
            RequestError::Refused(refusal) => refusal.into(),
            RequestError::Store(error) => error.into(),
        }
    }
}

impl From<AnswerError> for AccessError {
    fn from(error: AnswerError) -> Self {
        match error {
            AnswerError::Refused(refusal) => refusal.into(),
            AnswerError::Store(error) => error.into(),
        }
    }
}

impl From<WithdrawError> for AccessError {
    fn from(error: WithdrawError) -> Self {
        match error {
            WithdrawError::Refused(refusal) => refusal.into(),
            WithdrawError::Store(error) => error.into(),
        }
    }
}

/// `Request access`: an allowed administrator, in their own account, asks a member. Every
/// refusal is recorded (`access_requested` with its rule); about the member only when an
/// allowed administrator asked, so nobody else can write into a member's history.
#[tracing::instrument(skip_all, fields(actor_id = current.user.id, member_id = member_id))]
pub async fn request(
    store: &Store,
    current: &SignedIn,
    member_id: i64,
    form: &RequestForm<'_>,
    now: i64,
) -> Result<i64, AccessError> {
    let refused = |rule: &str, message: String, about_member: bool| {
        let event = NewEvent::new(EventKind::AccessRequested)
            .actor(current.user.id)
            .detail(json!({"refused": rule, "message": message, "member_id": member_id}));
        if about_member {
            event.subject(member_id)
        } else {
            event
        }
    };
    if current.acting.is_some() {
        store
            .record(
                refused("not_while_acting", NOT_WHILE_ACTING.into(), false),
                now,
            )
            .await?;
        return Err(AccessError::NotWhileActing);
    }
    if !store.is_impersonator(current.user.id).await? {
        let refusal = RequestRefusal::NotAllowed;
        store
            .record(refused(refusal.rule(), refusal.to_string(), false), now)
            .await?;
        return Err(refusal.into());
    }
    let draft = match RequestDraft::parse(form) {
        Ok(draft) => draft,
        Err(refusal) => {
            let event = refused(refusal.rule(), refusal.to_string(), true);
            store.record(event, now).await?;
            return Err(refusal.into());
        }
    };
    Ok(store
        .request_access(current.user.id, member_id, &draft, now)
        .await?)
}

/// The member answers one of their requests (`Approve` or `Deny`). The caller has made sure
/// this is the member themself, never an administrator acting as them.
#[tracing::instrument(skip_all, fields(member_id = member_id, request_id = request_id))]
pub async fn answer(
    store: &Store,
    member_id: i64,
    request_id: i64,
    form: &AnswerForm<'_>,
    now: i64,
) -> Result<Decision, AccessError> {
    let answer = parse_answer(form)?;
    Ok(store
        .answer_access_request(member_id, request_id, &answer, now)
        .await?)
}

/// The administrator takes back their pending request.
pub async fn withdraw(
    store: &Store,
    current: &SignedIn,
    request_id: i64,
    now: i64,
) -> Result<(), AccessError> {
    if current.acting.is_some() {
        return Err(AccessError::NotWhileActing);
    }
    Ok(store
        .withdraw_access_request(current.user.id, request_id, now)
        .await?)
}

/// How many of the audit log's events the inbox reads, at most.
const INBOX_EVENTS: usize = 500;

/// The member's inbox at `now`. A request found past its 24 hours, or a session on their
/// account found over, is recorded as such here, once, if nobody noticed before: a member
/// who was away sees how it ended.
pub async fn inbox(store: &Store, member_id: i64, now: i64) -> Result<Inbox, StoreError> {
    store
        .notice_expired_requests(None, Some(member_id), now)
        .await?;
    if let Some(session_id) = store.unended_session_on(member_id).await? {
        check_session(store, session_id, now).await?;
    }
    let events: Vec<InboxEvent> = store
        .inbox_events(member_id, INBOX_EVENTS)
        .await?
        .into_iter()
        .map(inbox_event)
        .collect();
    let requests: HashMap<_, _> = store
        .member_requests(member_id, INBOX_NOTICES, now)
        .await?
        .into_iter()
        .map(|request| (request.id, request))
        .collect();
    let read_until = store.inbox_read_until(member_id).await?;
    let standing = store
        .consent(member_id)
        .await?
        .map(|consent| consent.expires_at);
    let mut all = notices(&events, &requests, standing, read_until, now);
    let unread = unread(&all);
    all.truncate(INBOX_NOTICES);
    Ok(Inbox {
        notices: all,
        unread,
    })
}

/// How many of the member's notices are unread, for the navigation on every page: judged by
/// the same rules as the inbox, on the few events since it was last read, and read by one
/// statement. Unlike `inbox`, it records nothing: what ran out unnoticed is counted once the
/// inbox, the live channel or a request notices it.
pub async fn unread_notices(store: &Store, member_id: i64, now: i64) -> Result<u32, StoreError> {
    let rows = store
        .inbox_since_read(member_id, i64::from(consent::MAX_HOURS) * HOUR_MS)
        .await?;
    let Some(first) = rows.first() else {
        return Ok(0);
    };
    let (read_until, standing) = (first.read_until, first.standing_until);
    let events: Vec<InboxEvent> = rows.into_iter().map(|row| inbox_event(row.event)).collect();
    Ok(unread(&notices(
        &events,
        &HashMap::new(),
        standing,
        read_until,
        now,
    )))
}

fn inbox_event(row: InboxEventRow) -> InboxEvent {
    InboxEvent {
        at_ms: row.at_ms,
        kind: row.kind,
        actor: row
            .actor_name
            .zip(row.actor_email)
            .map(|(name, email)| format!("{name} ({email})")),
        detail: serde_json::from_str(&row.detail).unwrap_or_default(),
    }
}
