//! The audit trail's pure parts: redaction, the canonical encoding, the hash chain and its
//! verifier. The store writes and reads the rows; everything that decides what a row holds
//! or whether the chain is whole lives here, where it is unit-tested without a database.

use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// `prev_hash` of the first event.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Longest string kept in an event, in characters, after redaction and escaping.
pub const MAX_TEXT_CHARS: usize = 1000;

pub const REDACTED: &str = "[REDACTED]";

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
}

impl EventKind {
    pub const ALL: [EventKind; 20] = [
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

/// A request an administrator made while acting (SPEC.md §5: every one is an `action`
/// event). The change it makes records it in its own transaction; a request that changes
/// nothing is recorded once its answer is known.
#[derive(Debug)]
pub struct ActingRequest {
    pub actor_id: i64,
    pub member_id: i64,
    pub session_id: i64,
    pub method: String,
    pub path: String,
    /// What the request carried (query and form fields); redacted when the event is sealed.
    pub arguments: Value,
    /// How many fields it carried under names that are no field names (not kept).
    pub unreadable_fields: usize,
    /// The status the client gets when the change it asks for is made: a plain form post
    /// (no JavaScript) is answered with a redirect back to its page.
    pub done_status: u16,
    recorded: AtomicBool,
}

impl ActingRequest {
    pub fn new(
        actor_id: i64,
        member_id: i64,
        session_id: i64,
        method: &str,
        path: &str,
        arguments: RequestArguments,
        done_status: u16,
    ) -> Self {
        ActingRequest {
            actor_id,
            member_id,
            session_id,
            method: method.to_string(),
            path: path.to_string(),
            arguments: arguments.fields,
            unreadable_fields: arguments.unreadable,
            done_status,
            recorded: AtomicBool::new(false),
        }
    }

    /// The `action` event for this request answered with `status`; `refused` is what the
    /// administrator was told when it was refused or failed.
    pub fn event(&self, status: u16, refused: Option<String>) -> NewEvent {
        let mut detail = Map::new();
        detail.insert("arguments".into(), self.arguments.clone());
        if self.unreadable_fields > 0 {
            detail.insert(
                "unreadable_fields".into(),
                Value::from(self.unreadable_fields),
            );
        }
        if let Some(refused) = refused {
            detail.insert("refused".into(), Value::String(refused));
        }
        NewEvent::new(EventKind::Action)
            .actor(self.actor_id)
            .subject(self.member_id)
            .session(self.session_id)
            .request(&self.method, &self.path, status)
            .detail(Value::Object(detail))
    }

    /// Its event is committed: nothing else may record the request again.
    pub fn mark_recorded(&self) {
        self.recorded.store(true, Ordering::SeqCst);
    }

    pub fn is_recorded(&self) -> bool {
        self.recorded.load(Ordering::SeqCst)
    }
}

/// What a request carried, as the audit keeps it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RequestArguments {
    /// Query and body fields by name (a repeated name keeps every value).
    pub fields: Value,
    /// Pairs whose name is no field name (`model::is_field_name`): counted, not kept.
    pub unreadable: usize,
}

/// The arguments of a request as the audit keeps them. The body is read as a form, as
/// server functions read it: what the handler acts on is what is kept, and a secret it would
/// find under its key is found, and redacted, under the same key. Text that is no field name
/// is not kept at all, since it could be anything.
pub fn request_arguments(query: Option<&str>, body: &[u8]) -> RequestArguments {
    let mut args = Map::new();
    let mut unreadable = 0;
    let pairs = form_urlencoded::parse(query.unwrap_or_default().as_bytes())
        .chain(form_urlencoded::parse(body));
    for (key, value) in pairs {
        if !crate::model::is_field_name(&key) {
            unreadable += 1;
            continue;
        }
        let value = Value::String(value.into_owned());
        match args.get_mut(key.as_ref()) {
            None => {
                args.insert(key.into_owned(), value);
            }
            Some(Value::Array(values)) => values.push(value),
            Some(first) => *first = Value::Array(vec![first.take(), value]),
        }
    }
    RequestArguments {
        fields: Value::Object(args),
        unreadable,
    }
}

/// The most the arguments of one request may take in its event, in characters of JSON. Every
/// form in Actas is far smaller; a request carrying more is refused rather than done with
/// only part of it on record (see `arguments_kept_whole`).
pub const MAX_ARGUMENTS_CHARS: usize = 6_000;

/// Whether sealing keeps these arguments whole: no key or value cut at the string cap, and
/// all of it within `MAX_ARGUMENTS_CHARS`. Otherwise the event could not say what was asked.
pub fn arguments_kept_whole(arguments: &Value) -> bool {
    fn strings_fit(value: &Value) -> bool {
        match value {
            Value::String(text) => escaped_chars(text) <= MAX_TEXT_CHARS,
            Value::Array(items) => items.iter().all(strings_fit),
            Value::Object(fields) => fields.iter().all(|(key, value)| {
                escaped_chars(key) <= MAX_TEXT_CHARS && (is_secret_key(key) || strings_fit(value))
            }),
            _ => true,
        }
    }
    strings_fit(arguments)
        && redact(arguments.clone()).to_string().chars().count() <= MAX_ARGUMENTS_CHARS
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

    /// `SHA-256(prev_hash ‖ canonical encoding)`, with `prev_hash` as its 32 raw bytes.
    pub fn compute_hash(&self) -> String {
        let mut hasher = Sha256::new();
        match hex::decode(&self.prev_hash) {
            Ok(bytes) => hasher.update(bytes),
            // A mangled prev_hash still hashes (as text) so the verifier reports a mismatch
            // rather than failing to run.
            Err(_) => hasher.update(self.prev_hash.as_bytes()),
        }
        hasher.update(self.canonical_encoding().as_bytes());
        hex::encode(hasher.finalize())
    }
}

/// What is wrong at the first broken link of the chain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BrokenLink {
    /// A sequence number is missing (rows deleted) or out of order.
    Gap { expected_seq: i64, found_seq: i64 },
    /// The row does not point at the hash of the row before it.
    PrevHashMismatch { seq: i64 },
    /// The row's content does not hash to its stored hash (the row was altered).
    HashMismatch { seq: i64 },
    /// The chain head says more rows (or other rows) exist than are there: the tail was cut.
    /// Or rows are stored past the head, where no append put them.
    HeadMismatch { head_seq: i64, last_seq: i64 },
    /// The event an anchor kept outside the database names has another hash (or is gone):
    /// the chain was rewritten up to it, hashes and all.
    AnchorMismatch { seq: i64 },
}

/// A point of the chain written down outside the database, as `seq:hash`. Every hash covers
/// every event before it, so a chain that still holds this point is unchanged up to it, even
/// against someone who could rewrite the database and recompute every hash.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChainAnchor {
    pub seq: i64,
    pub hash: String,
}

impl ChainAnchor {
    pub fn parse(text: &str) -> Result<ChainAnchor, &'static str> {
        const EXPECTED: &str = "an anchor is SEQ:HASH, as verify-audit prints the head";
        let (seq, hash) = text.trim().split_once(':').ok_or(EXPECTED)?;
        let seq = seq
            .parse::<i64>()
            .ok()
            .filter(|seq| *seq >= 1)
            .ok_or(EXPECTED)?;
        let hash = hash.to_ascii_lowercase();
        if hash.len() != 64 || !hash.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(EXPECTED);
        }
        Ok(ChainAnchor { seq, hash })
    }
}

impl fmt::Display for ChainAnchor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.seq, self.hash)
    }
}

impl fmt::Display for BrokenLink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BrokenLink::Gap {
                expected_seq,
                found_seq,
            } => write!(
                f,
                "event {expected_seq} is missing (the next stored event is {found_seq})"
            ),
            BrokenLink::PrevHashMismatch { seq } => {
                write!(f, "event {seq} does not link to the event before it")
            }
            BrokenLink::HashMismatch { seq } => {
                write!(
                    f,
                    "event {seq} was altered: its content does not match its hash"
                )
            }
            BrokenLink::HeadMismatch { head_seq, last_seq } => write!(
                f,
                "the chain head records event {head_seq}, but the last stored event is {last_seq}"
            ),
            BrokenLink::AnchorMismatch { seq } => write!(
                f,
                "event {seq} does not match the anchor kept outside the database: the log was rewritten up to it"
            ),
        }
    }
}

/// Walks the chain in sequence order, a batch at a time, so a verifier never holds the
/// whole log in memory.
#[derive(Debug)]
pub struct ChainVerifier {
    expected_seq: i64,
    last_hash: String,
    broken: Option<BrokenLink>,
    anchor: Option<ChainAnchor>,
}

impl Default for ChainVerifier {
    fn default() -> Self {
        ChainVerifier {
            expected_seq: 1,
            last_hash: GENESIS_HASH.to_string(),
            broken: None,
            anchor: None,
        }
    }
}

impl ChainVerifier {
    /// A verifier that also holds the chain to a point written down outside the database.
    pub fn anchored(anchor: Option<ChainAnchor>) -> Self {
        ChainVerifier {
            anchor,
            ..ChainVerifier::default()
        }
    }

    /// Checks the next event; returns false once the chain is broken (stop feeding it).
    pub fn check(&mut self, event: &StoredEvent) -> bool {
        if self.broken.is_some() {
            return false;
        }
        let broken = if event.seq != self.expected_seq {
            Some(BrokenLink::Gap {
                expected_seq: self.expected_seq,
                found_seq: event.seq,
            })
        } else if event.prev_hash != self.last_hash {
            Some(BrokenLink::PrevHashMismatch { seq: event.seq })
        } else if event.compute_hash() != event.hash {
            Some(BrokenLink::HashMismatch { seq: event.seq })
        } else if self
            .anchor
            .as_ref()
            .is_some_and(|anchor| anchor.seq == event.seq && anchor.hash != event.hash)
        {
            Some(BrokenLink::AnchorMismatch { seq: event.seq })
        } else {
            None
        };
        match broken {
            Some(link) => {
                self.broken = Some(link);
                false
            }
            None => {
                self.expected_seq += 1;
                self.last_hash = event.hash.clone();
                true
            }
        }
    }

    /// The verdict once every event up to the head was fed, given the chain head's record of
    /// the last one and the highest sequence number stored at all: the head, to keep as an
    /// anchor.
    pub fn finish(
        self,
        head_seq: i64,
        head_hash: &str,
        max_stored_seq: i64,
    ) -> Result<ChainAnchor, BrokenLink> {
        if let Some(link) = self.broken {
            return Err(link);
        }
        let last_seq = self.expected_seq - 1;
        if head_seq != last_seq || head_hash != self.last_hash {
            return Err(BrokenLink::HeadMismatch { head_seq, last_seq });
        }
        if max_stored_seq > head_seq {
            return Err(BrokenLink::HeadMismatch {
                head_seq,
                last_seq: max_stored_seq,
            });
        }
        if let Some(anchor) = self.anchor.filter(|anchor| anchor.seq > last_seq) {
            return Err(BrokenLink::AnchorMismatch { seq: anchor.seq });
        }
        Ok(ChainAnchor {
            seq: last_seq,
            hash: self.last_hash,
        })
    }
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

/// Does this key hold a secret? SPEC.md §5: a fixed list of fragments, plus `code` and `*_code`.
pub fn is_secret_key(key: &str) -> bool {
    // SPEC.md's fragments with their separators dropped, and matched against the key with
    // its separators dropped: `api_key`, `api-key`, `apiKey` and `pass_word` all match.
    const FRAGMENTS: [&str; 7] = [
        "password",
        "secret",
        "token",
        "authorization",
        "cookie",
        "apikey",
        "iban",
    ];
    let key = key.to_lowercase();
    let joined: String = key
        .chars()
        .filter(|c| !matches!(c, '_' | '-' | ' ' | '.'))
        .collect();
    let is_code = |name: &str| name == "code" || name.ends_with("_code");
    // Form fields name nested values as `profile[code]` or `codes[]`: each part counts.
    FRAGMENTS.iter().any(|fragment| joined.contains(fragment))
        || is_code(&key)
        || key
            .split(['[', ']', '.'])
            .any(|part| is_code(part) || is_code(part.trim_end_matches('s')))
}

/// Replaces the value of every secret key, at any depth, and cleans every string.
pub fn redact(value: Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(key, value)| {
                    let value = if is_secret_key(&key) {
                        Value::String(REDACTED.into())
                    } else {
                        redact(value)
                    };
                    (clean_text(&key), value)
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.into_iter().map(redact).collect()),
        Value::String(text) => Value::String(clean_text(&text)),
        other => other,
    }
}

/// Escapes control characters (so no value can start a new line in an export) and caps the
/// length, escaping first so the escapes cannot push a value over the cap.
pub fn clean_text(text: &str) -> String {
    clean_text_within(text, MAX_TEXT_CHARS)
}

/// `clean_text` with another cap, in characters after escaping.
pub fn clean_text_within(text: &str, max_chars: usize) -> String {
    let mut out = String::with_capacity(text.len().min(max_chars + 16));
    let mut chars = 0usize;
    for c in text.chars() {
        if chars >= max_chars {
            out.push_str("…[truncated]");
            break;
        }
        if breaks_lines(c) {
            // `\u000a` is six characters; counted as such toward the cap.
            let escaped = format!("\\u{:04x}", c as u32);
            chars += escaped.chars().count();
            out.push_str(&escaped);
        } else {
            chars += 1;
            out.push(c);
        }
    }
    out
}

/// Control characters, and the Unicode line and paragraph separators that some readers
/// also take for the end of a line: all are escaped.
fn breaks_lines(c: char) -> bool {
    c.is_control() || c == '\u{2028}' || c == '\u{2029}'
}

/// How many characters `clean_text` makes of `text` before any cap.
fn escaped_chars(text: &str) -> usize {
    text.chars()
        .map(|c| if breaks_lines(c) { 6 } else { 1 })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn chain(n: i64) -> Vec<StoredEvent> {
        let mut prev = GENESIS_HASH.to_string();
        (1..=n)
            .map(|seq| {
                let event = NewEvent::new(EventKind::SignIn)
                    .actor(seq)
                    .detail(json!({"n": seq}))
                    .seal(seq, 1_000 + seq, &prev);
                prev = event.hash.clone();
                event
            })
            .collect()
    }

    fn verify(events: &[StoredEvent], head_seq: i64, head_hash: &str) -> Result<u64, BrokenLink> {
        verify_from(ChainVerifier::default(), events, head_seq, head_hash)
    }

    fn verify_from(
        mut verifier: ChainVerifier,
        events: &[StoredEvent],
        head_seq: i64,
        head_hash: &str,
    ) -> Result<u64, BrokenLink> {
        for event in events {
            if !verifier.check(event) {
                break;
            }
        }
        let max_stored = events.last().map_or(0, |event| event.seq);
        verifier
            .finish(head_seq, head_hash, max_stored)
            .map(|head| head.seq as u64)
    }

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
    fn an_untouched_chain_verifies() {
        let events = chain(5);
        assert_eq!(verify(&events, 5, &events[4].hash), Ok(5));
        assert_eq!(verify(&[], 0, GENESIS_HASH), Ok(0));
    }

    #[test]
    fn an_altered_row_is_the_first_broken_link() {
        let mut events = chain(5);
        events[2].detail = json!({"n": 99}).to_string();
        assert_eq!(
            verify(&events, 5, &events[4].hash),
            Err(BrokenLink::HashMismatch { seq: 3 })
        );
    }

    #[test]
    fn a_row_rehashed_after_altering_breaks_the_next_link() {
        let mut events = chain(5);
        events[2].kind = "sign_out".into();
        events[2].hash = events[2].compute_hash();
        assert_eq!(
            verify(&events, 5, &events[4].hash),
            Err(BrokenLink::PrevHashMismatch { seq: 4 })
        );
    }

    #[test]
    fn a_deleted_row_and_a_cut_tail_are_caught() {
        let mut events = chain(5);
        let head_hash = events[4].hash.clone();
        events.remove(1);
        assert_eq!(
            verify(&events, 5, &head_hash),
            Err(BrokenLink::Gap {
                expected_seq: 2,
                found_seq: 3
            })
        );

        let events = chain(5);
        assert_eq!(
            verify(&events[..3], 5, &head_hash),
            Err(BrokenLink::HeadMismatch {
                head_seq: 5,
                last_seq: 3
            })
        );
    }

    #[test]
    fn rows_past_the_head_are_caught() {
        let events = chain(5);
        assert_eq!(
            verify(&events, 3, &events[2].hash),
            Err(BrokenLink::HeadMismatch {
                head_seq: 3,
                last_seq: 5
            })
        );
    }

    #[test]
    fn an_anchor_kept_outside_catches_a_chain_rewritten_hashes_and_all() {
        let events = chain(5);
        let anchor = ChainAnchor::parse(&format!("3:{}", events[2].hash.to_uppercase())).unwrap();
        let head = &events[4].hash;
        let anchored = |anchor: &ChainAnchor| ChainVerifier::anchored(Some(anchor.clone()));
        assert_eq!(verify_from(anchored(&anchor), &events, 5, head), Ok(5));

        // Someone with the database changes event 2 and recomputes every hash from there.
        let mut forged = events.clone();
        forged[1].detail = json!({"n": 99}).to_string();
        for i in 1..forged.len() {
            forged[i].prev_hash = forged[i - 1].hash.clone();
            forged[i].hash = forged[i].compute_hash();
        }
        let forged_head = forged[4].hash.clone();
        assert_eq!(
            verify(&forged, 5, &forged_head),
            Ok(5),
            "consistent on its own"
        );
        assert_eq!(
            verify_from(anchored(&anchor), &forged, 5, &forged_head),
            Err(BrokenLink::AnchorMismatch { seq: 3 })
        );
        // Or cuts the chain back before the anchor.
        assert_eq!(
            verify_from(anchored(&anchor), &events[..2], 2, &events[1].hash),
            Err(BrokenLink::AnchorMismatch { seq: 3 })
        );

        for bad in ["", "3", "0:ab", "x:ab", &format!("3:{}", "g".repeat(64))] {
            assert!(ChainAnchor::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn secret_keys_are_redacted_at_any_depth_and_casing() {
        let detail = json!({
            "Password": "hunter2",
            "nested": {"deeper": [{"X-API_KEY": "k"}, {"sessionToken": "t"}]},
            "support_code": "ABCD2345",
            "code": "ABCD2345",
            "IBAN": "DE89370400440532013000",
            "Authorization": "Bearer x",
            "set-cookie": "a=b",
            "client_secret": "s",
            "monkey": "banana",
            "author": "Ada",
            "codename": "kept",
            "profile[support_code]": "ABCD2345",
            "x[code]": "ABCD2345",
            "support_codes[]": "ABCD2345",
            "codes.code": "ABCD2345",
            "barcodes": "kept too",
            "apiKey": "k",
            "X-Api-Key": "k",
            "pass_word": "hunter2",
        });
        let redacted = redact(detail).to_string();
        for secret in [
            "hunter2", "\"k\"", "\"t\"", "ABCD2345", "DE89", "Bearer", "a=b", "\"s\"",
        ] {
            assert!(!redacted.contains(secret), "{secret} leaked in {redacted}");
        }
        for kept in ["banana", "Ada", "kept", "kept too"] {
            assert!(redacted.contains(kept), "{kept} was hidden in {redacted}");
        }
    }

    #[test]
    fn control_characters_are_escaped_and_long_text_capped() {
        assert_eq!(clean_text("a\nb\r\u{1b}"), "a\\u000ab\\u000d\\u001b");
        assert_eq!(clean_text("a\u{2028}b\u{2029}"), "a\\u2028b\\u2029");
        let long = "x".repeat(5_000);
        let cleaned = clean_text(&long);
        assert!(cleaned.starts_with(&"x".repeat(MAX_TEXT_CHARS)));
        assert!(cleaned.chars().count() < MAX_TEXT_CHARS + 20);
        let newlines = "\n".repeat(5_000);
        assert!(clean_text(&newlines).chars().count() < MAX_TEXT_CHARS + 20);
    }

    #[test]
    fn a_body_is_read_as_the_form_a_server_function_sees() {
        let arguments = request_arguments(
            Some("page=2&tag=a&tag=b&filter[kind]=action"),
            b"name=Orchard&password=hunter2",
        );
        assert_eq!(arguments.fields["page"], "2");
        assert_eq!(arguments.fields["tag"], json!(["a", "b"]));
        assert_eq!(arguments.fields["filter[kind]"], "action");
        assert_eq!(arguments.fields["name"], "Orchard");
        assert_eq!(arguments.unreadable, 0);
        assert!(!redact(arguments.fields).to_string().contains("hunter2"));
    }

    #[test]
    fn text_that_is_no_field_name_is_counted_not_kept() {
        for body in [
            &br#"{"email":"ada@example.com","password":"hunter2"}"#[..],
            b"--b\r\nContent-Disposition: form-data; name=\"password\"\r\n\r\nhunter2\r\n--b--",
            b"a; refused: Not allowed=hunter2",
        ] {
            let arguments = request_arguments(None, body);
            assert_eq!(
                arguments.fields,
                json!({}),
                "{}",
                String::from_utf8_lossy(body)
            );
            assert_eq!(arguments.unreadable, 1);
        }
        let mixed = request_arguments(None, br#"name=Orchard&{"password":"hunter2"}"#);
        assert_eq!(mixed.fields, json!({"name": "Orchard"}));
        assert_eq!(mixed.unreadable, 1);
    }

    #[test]
    fn arguments_are_kept_whole_or_the_request_is_not_carried_out() {
        assert!(arguments_kept_whole(
            &json!({"name": "Orchard", "project_id": "3"})
        ));
        assert!(arguments_kept_whole(
            &json!({"name": "x".repeat(MAX_TEXT_CHARS)})
        ));
        assert!(!arguments_kept_whole(
            &json!({"name": "x".repeat(MAX_TEXT_CHARS + 1)})
        ));
        assert!(!arguments_kept_whole(&json!({"name": "\n".repeat(200)})));
        assert!(
            arguments_kept_whole(&json!({"password": "x".repeat(50_000)})),
            "a secret is replaced whole, whatever its length"
        );
        let padded: Map<String, Value> = (0..100)
            .map(|n| (format!("pad{n:03}"), json!("y".repeat(60))))
            .collect();
        assert!(!arguments_kept_whole(&Value::Object(padded)));
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
}
