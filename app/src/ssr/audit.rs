//! An audit event (SPEC.md §5): its kinds, how a caller describes one, and how it is sealed
//! into the chain (redacted, capped, hashed). The store writes and reads the rows; what a row
//! holds is decided here, where it is unit-tested without a database.

use super::action_record::ActingRequest;
use super::redaction::{clean_text, redact};
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::sync::Arc;

/// The kinds of event SPEC.md §5 names. Stored as their snake_case name, in the order of
/// `model::AUDIT_EVENT_KINDS`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EventKind {
    SignIn,
    SignInFailed,
    SignOut,
    ConsentGranted,
    ConsentRevoked,
    SupportCodeIssued,
    ImpersonationStarted,
    ImpersonationDenied,
    ImpersonationEnded,
    Action,
    ProfileUpdated,
    PayoutUpdated,
    RoleChanged,
    AllowlistGranted,
    AllowlistRevoked,
    UserSuspended,
    UserCreated,
    ProjectCreated,
    ProjectRenamed,
    ProjectArchived,
    UserReinstated,
    UserDeleted,
    PasswordChanged,
    PasswordResetIssued,
    EmailChanged,
    SignedOutEverywhere,
    AccessRequested,
    AccessApproved,
    AccessDenied,
    AccessRequestExpired,
    AccessRequestWithdrawn,
}

impl EventKind {
    pub const ALL: [EventKind; 31] = [
        EventKind::SignIn,
        EventKind::SignInFailed,
        EventKind::SignOut,
        EventKind::ConsentGranted,
        EventKind::ConsentRevoked,
        EventKind::SupportCodeIssued,
        EventKind::ImpersonationStarted,
        EventKind::ImpersonationDenied,
        EventKind::ImpersonationEnded,
        EventKind::Action,
        EventKind::ProfileUpdated,
        EventKind::PayoutUpdated,
        EventKind::RoleChanged,
        EventKind::AllowlistGranted,
        EventKind::AllowlistRevoked,
        EventKind::UserSuspended,
        EventKind::UserCreated,
        EventKind::ProjectCreated,
        EventKind::ProjectRenamed,
        EventKind::ProjectArchived,
        EventKind::UserReinstated,
        EventKind::UserDeleted,
        EventKind::PasswordChanged,
        EventKind::PasswordResetIssued,
        EventKind::EmailChanged,
        EventKind::SignedOutEverywhere,
        EventKind::AccessRequested,
        EventKind::AccessApproved,
        EventKind::AccessDenied,
        EventKind::AccessRequestExpired,
        EventKind::AccessRequestWithdrawn,
    ];

    pub fn parse(text: &str) -> Option<EventKind> {
        EventKind::ALL
            .into_iter()
            .find(|kind| kind.as_str() == text)
    }

    /// The stored name: the shared list is in declaration order.
    pub fn as_str(self) -> &'static str {
        crate::model::AUDIT_EVENT_KINDS[self as usize]
    }
}

/// Who made a change: the person, and the impersonation session they acted in, if any.
#[derive(Clone, Debug)]
pub struct By {
    pub actor_id: i64,
    pub impersonation_id: Option<i64>,
    /// The request made while acting that asks for the change: its `action` event is written
    /// in the change's own transaction.
    pub request: Option<Arc<ActingRequest>>,
}

/// An event as a caller describes it, before it gets its place in the chain.
#[derive(Clone, Debug)]
pub struct NewEvent {
    pub kind: EventKind,
    pub actor_id: Option<i64>,
    pub subject_id: Option<i64>,
    pub impersonation_id: Option<i64>,
    pub method: Option<String>,
    pub path: Option<String>,
    pub status: Option<i32>,
    pub detail: Value,
}

impl NewEvent {
    pub fn new(kind: EventKind) -> Self {
        NewEvent {
            kind,
            actor_id: None,
            subject_id: None,
            impersonation_id: None,
            method: None,
            path: None,
            status: None,
            detail: Value::Object(Default::default()),
        }
    }

    pub fn actor(mut self, id: i64) -> Self {
        self.actor_id = Some(id);
        self
    }

    pub fn by(mut self, by: &By) -> Self {
        self.actor_id = Some(by.actor_id);
        self.impersonation_id = by.impersonation_id;
        self
    }

    pub fn subject(mut self, id: i64) -> Self {
        self.subject_id = Some(id);
        self
    }

    pub fn session(mut self, impersonation_id: i64) -> Self {
        self.impersonation_id = Some(impersonation_id);
        self
    }

    pub fn request(mut self, method: &str, path: &str, status: u16) -> Self {
        self.method = Some(method.to_string());
        self.path = Some(path.to_string());
        self.status = Some(i32::from(status));
        self
    }

    pub fn detail(mut self, detail: Value) -> Self {
        self.detail = detail;
        self
    }

    /// Seals the event into the chain after `prev_hash`: everything is redacted and capped
    /// here, so no caller can store an unredacted value by forgetting to.
    pub fn seal(self, seq: i64, at_ms: i64, prev_hash: &str) -> StoredEvent {
        let mut event = StoredEvent {
            seq,
            at_ms,
            kind: self.kind.as_str().to_string(),
            actor_id: self.actor_id,
            subject_id: self.subject_id,
            impersonation_id: self.impersonation_id,
            method: self.method.map(|m| clean_text(&m)),
            path: self.path.map(|p| clean_text(&p)),
            status: self.status,
            detail: bounded_detail(redact(self.detail)),
            prev_hash: prev_hash.to_string(),
            hash: String::new(),
        };
        event.hash = event.compute_hash();
        event
    }
}

/// An event as it is stored: one row of `audit_events`.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct StoredEvent {
    pub seq: i64,
    pub at_ms: i64,
    pub kind: String,
    pub actor_id: Option<i64>,
    pub subject_id: Option<i64>,
    pub impersonation_id: Option<i64>,
    pub method: Option<String>,
    pub path: Option<String>,
    pub status: Option<i32>,
    /// JSON text, already redacted; hashed as stored, byte for byte.
    pub detail: String,
    pub prev_hash: String,
    pub hash: String,
}

impl StoredEvent {
    /// The canonical encoding: a JSON array of every field but the hashes, in a fixed order.
    /// The detail enters as the exact text stored, so re-reading it never changes the hash.
    pub fn canonical_encoding(&self) -> String {
        serde_json::json!([
            self.seq,
            self.at_ms,
            self.kind,
            self.actor_id,
            self.subject_id,
            self.impersonation_id,
            self.method,
            self.path,
            self.status,
            self.detail,
        ])
        .to_string()
    }

    /// The event a canonical encoding holds, with the hashes given; `None` if the text is not
    /// ten values of an event's types. Encoding the result again may give other text (other
    /// escapes, whitespace): the caller compares when that matters.
    pub fn from_canonical(canonical: &str, prev_hash: &str, hash: &str) -> Option<StoredEvent> {
        type Fields = (
            i64,
            i64,
            String,
            Option<i64>,
            Option<i64>,
            Option<i64>,
            Option<String>,
            Option<String>,
            Option<i32>,
            String,
        );
        let (
            seq,
            at_ms,
            kind,
            actor_id,
            subject_id,
            impersonation_id,
            method,
            path,
            status,
            detail,
        ): Fields = serde_json::from_str(canonical).ok()?;
        Some(StoredEvent {
            seq,
            at_ms,
            kind,
            actor_id,
            subject_id,
            impersonation_id,
            method,
            path,
            status,
            detail,
            prev_hash: prev_hash.into(),
            hash: hash.into(),
        })
    }

    /// `SHA-256(prev_hash ‖ canonical encoding)`, with `prev_hash` as its 32 raw bytes.
    pub fn compute_hash(&self) -> String {
        chain_hash(&self.prev_hash, &self.canonical_encoding())
    }
}

/// `SHA-256(prev_hash ‖ canonical)`: `prev_hash` as the 32 raw bytes its hex stands for, the
/// canonical encoding as UTF-8; lowercase hex. Receipts are checked with it too.
pub fn chain_hash(prev_hash: &str, canonical: &str) -> String {
    let mut hasher = Sha256::new();
    match hex::decode(prev_hash) {
        Ok(bytes) => hasher.update(bytes),
        // A mangled prev_hash still hashes (as text) so the verifier reports a mismatch
        // rather than failing to run.
        Err(_) => hasher.update(prev_hash.as_bytes()),
    }
    hasher.update(canonical.as_bytes());
    hex::encode(hasher.finalize())
}

/// The longest detail stored, in characters of its JSON text. Each string is capped already;
/// this bounds the whole, so no request can bloat the log with thousands of fields.
pub const MAX_DETAIL_CHARS: usize = 8_000;

/// The detail's JSON text; past the bound, only its (already redacted) beginning is kept.
fn bounded_detail(detail: Value) -> String {
    let text = detail.to_string();
    if text.chars().count() <= MAX_DETAIL_CHARS {
        return text;
    }
    serde_json::json!({ "truncated": clean_text(&text) }).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ssr::hash_chain::GENESIS_HASH;
    use serde_json::json;

    #[test]
    fn every_kind_has_its_own_name() {
        assert_eq!(EventKind::ALL.len(), crate::model::AUDIT_EVENT_KINDS.len());
        assert_eq!(EventKind::ProjectArchived.as_str(), "project_archived");
        assert_eq!(EventKind::Action.as_str(), "action");
        for kind in EventKind::ALL {
            assert_eq!(EventKind::parse(kind.as_str()), Some(kind));
        }
    }

    #[test]
    fn sealing_redacts_and_cleans_the_request_fields() {
        let event = NewEvent::new(EventKind::Action)
            .request("POST", "/api/x\nforged", 200)
            .detail(json!({"token": "abc"}))
            .seal(1, 0, GENESIS_HASH);
        assert_eq!(event.path.as_deref(), Some("/api/x\\u000aforged"));
        assert!(!event.detail.contains("abc"));
        assert_eq!(event.hash, event.compute_hash());
    }

    #[test]
    fn an_event_reads_back_from_its_canonical_encoding() {
        let event = NewEvent::new(EventKind::ProjectRenamed)
            .actor(1)
            .subject(2)
            .session(3)
            .detail(json!({"from": "Mia's “garden”\n", "to": "x"}))
            .seal(7, 1_700_000_000_123, GENESIS_HASH);
        let canonical = event.canonical_encoding();
        let read = StoredEvent::from_canonical(&canonical, &event.prev_hash, &event.hash);
        assert_eq!(read.as_ref(), Some(&event));
        assert_eq!(read.unwrap().canonical_encoding(), canonical);
        // Nine values, a detail that is not a string, a status that is not a number: no event.
        for not_one in [
            r#"[1,0,"action",null,null,null,null,null,null]"#,
            r#"[1,0,"action",null,null,null,null,null,null,{}]"#,
            r#"[1,0,"action",null,null,null,null,null,"200","{}"]"#,
        ] {
            assert_eq!(
                StoredEvent::from_canonical(not_one, "", ""),
                None,
                "{not_one}"
            );
        }
    }
}
