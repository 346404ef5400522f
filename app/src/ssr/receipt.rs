//! A session's receipt (SPEC.md §5): what a member keeps of an ended session so they can
//! check, without trusting us, that its record was not changed later.
//!
//! It holds each event of the session as the chain hashed it (its sequence number, the hash
//! before it, its canonical encoding and its hash) and the chain head at the time of download,
//! with what is for reading: the session's header, and each event's time and sentence.
//! Anyone can recompute each hash from the receipt alone (the README shows how, in Python);
//! `check_readable` also holds each event's time and sentence to what it hashes, with the
//! functions that wrote them (`readable_event`). `actas verify-receipt` also holds it against
//! the log, which must still contain every event byte for byte and the head it was downloaded
//! at, no event of the session up to that head the receipt leaves out, and the session as
//! `readable_session` writes its header.

use super::audit::{chain_hash, StoredEvent};
use super::audit_export::export_time;
use super::plain_words::{sentence, EventFacts};
use super::store::{ChainPoint, Store, StoreError};
use crate::error::AppError;
use crate::model::SessionEntry;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// What the `receipt` field says, so a file is recognised for what it is.
pub const RECEIPT_NAME: &str = "Actas session receipt";
pub const RECEIPT_VERSION: u32 = 1;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Receipt {
    pub receipt: String,
    pub version: u32,
    /// For the reader; not part of any hash.
    pub session: ReceiptSession,
    pub downloaded_at: String,
    /// The hash of the event just before the session's first: where its part of the chain
    /// hangs from.
    pub hash_before_first: String,
    pub events: Vec<ReceiptEvent>,
    /// The chain head at download: the last event of the whole log then, and its hash.
    pub chain_head: ChainPoint,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReceiptSession {
    pub id: i64,
    pub impersonator: String,
    pub reason: String,
    pub scope: String,
    pub started_at: String,
    pub ended_at: String,
    pub end_reason: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReceiptEvent {
    pub seq: i64,
    /// For the reader; not part of any hash (the time is in the canonical encoding).
    pub time_utc: String,
    /// For the reader; not part of any hash.
    pub sentence: String,
    pub prev_hash: String,
    /// The event exactly as it was hashed.
    pub canonical: String,
    pub hash: String,
}

/// Why a member gets no receipt.
#[derive(Debug, thiserror::Error)]
pub enum DownloadError {
    /// No such session on their account (another member's looks the same: not theirs to see).
    #[error("there is no session {0} on this account")]
    NotTheirs(i64),
    #[error("the session is still going on")]
    Ongoing,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<DownloadError> for AppError {
    fn from(error: DownloadError) -> AppError {
        match error {
            DownloadError::NotTheirs(_) => AppError::Forbidden(
                "This session is not one on your account, so it has no receipt for you.".into(),
            ),
            DownloadError::Ongoing => AppError::Invalid(
                "This session is still going on. Its receipt can be downloaded once it has ended."
                    .into(),
            ),
            DownloadError::Store(error) => error.into(),
        }
    }
}

/// The receipt of one of the member's ended sessions.
#[cfg_attr(feature = "ssr", tracing::instrument(skip(store)))]
pub async fn download(
    store: &Store,
    member_id: i64,
    session_id: i64,
    now: i64,
) -> Result<Receipt, DownloadError> {
    let session = store
        .member_session(member_id, session_id, now)
        .await?
        .ok_or(DownloadError::NotTheirs(session_id))?;
    if session.end_reason.is_none() {
        return Err(DownloadError::Ongoing);
    }
    // Read after the end, the head is at or after the session's last event. The session and
    // its events are read as they stood at that head, as `actas verify-receipt` reads them.
    let head = store.chain_head().await?;
    let (_, session) = store
        .session_at_head(session_id, head.seq, now)
        .await?
        .ok_or(DownloadError::NotTheirs(session_id))?;
    let events = store.session_chain(member_id, session_id, head.seq).await?;
    Ok(build(&session, &events, head, now))
}

/// A receipt of `events` (the session's, oldest first) against the chain head `head`.
pub fn build(
    session: &SessionEntry,
    events: &[StoredEvent],
    head: ChainPoint,
    now: i64,
) -> Receipt {
    Receipt {
        receipt: RECEIPT_NAME.into(),
        version: RECEIPT_VERSION,
        session: readable_session(session),
        downloaded_at: export_time(now),
        hash_before_first: events
            .first()
            .map(|event| event.prev_hash.clone())
            .unwrap_or_default(),
        events: events.iter().map(readable_event).collect(),
        chain_head: head,
    }
}

/// The receipt's header: the session as the member's history shows it. No hash covers it;
/// `actas verify-receipt` rebuilds it from the session's record with this same function.
pub fn readable_session(session: &SessionEntry) -> ReceiptSession {
    ReceiptSession {
        id: session.id,
        impersonator: format!("{} <{}>", session.admin_name, session.admin_email),
        reason: session.reason.clone(),
        scope: session.scope.label().into(),
        started_at: export_time(session.started_at),
        ended_at: session.ended_at.map(export_time).unwrap_or_default(),
        end_reason: session.end_reason.clone().unwrap_or_default(),
    }
}

/// An event as the receipt holds it: as the chain hashed it, with its time and sentence for
/// the reader. Both are made from the hashed content alone, so `check_readable` rebuilds
/// them with this same function from the canonical encoding.
pub fn readable_event(event: &StoredEvent) -> ReceiptEvent {
    ReceiptEvent {
        seq: event.seq,
        time_utc: export_time(event.at_ms),
        sentence: sentence(EventFacts {
            kind: &event.kind,
            path: event.path.as_deref(),
            status: event.status,
            detail: &event.detail,
        }),
        prev_hash: event.prev_hash.clone(),
        canonical: event.canonical_encoding(),
        hash: event.hash.clone(),
    }
}

/// Why a receipt does not hold, named at the first place it fails.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ReceiptError {
    #[error("this is not an Actas session receipt: {0}")]
    NotAReceipt(String),
    #[error("the receipt itself does not hold at event {seq}: {why}")]
    DoesNotLink { seq: i64, why: &'static str },
    #[error(
        "event {seq}'s time_utc does not match the event: the receipt says {receipt}, but the event it hashes happened at {canonical}"
    )]
    TimeDiffers {
        seq: i64,
        receipt: String,
        canonical: String,
    },
    #[error(
        "event {seq}'s sentence does not match the event: the receipt says “{receipt}”, but the event it hashes reads “{canonical}”"
    )]
    SentenceDiffers {
        seq: i64,
        receipt: String,
        canonical: String,
    },
    #[error(
        "the log was cut back: it ends at event {log_end}, before event {head_seq}, the chain head this receipt was downloaded at"
    )]
    CutBack { head_seq: i64, log_end: i64 },
    #[error("event {seq} of the receipt is missing from the log")]
    Missing { seq: i64 },
    #[error("event {seq} differs: the log holds another version of it than the receipt")]
    Differs { seq: i64 },
    #[error(
        "event {seq}, the chain head this receipt was downloaded at, differs in the log: the log was rewritten up to it"
    )]
    HeadDiffers { seq: i64 },
    #[error("there is no session {id} in the log")]
    NoSuchSession { id: i64 },
    #[error(
        "the session's {field} differs: the receipt says “{receipt}”, Actas's record of the session says “{log}”"
    )]
    HeaderDiffers {
        field: &'static str,
        receipt: String,
        log: String,
    },
    #[error(
        "event {seq} of this session is in the log before the receipt's chain head, but the receipt leaves it out"
    )]
    LeftOut { seq: i64 },
    #[error("event {seq} of the receipt is not one of this session's events in the log")]
    NotOfSession { seq: i64 },
}

/// Reads a receipt file.
pub fn parse(text: &str) -> Result<Receipt, ReceiptError> {
    let receipt: Receipt =
        serde_json::from_str(text).map_err(|error| ReceiptError::NotAReceipt(error.to_string()))?;
    if receipt.receipt != RECEIPT_NAME || receipt.version != RECEIPT_VERSION {
        return Err(ReceiptError::NotAReceipt(format!(
            "it says {:?}, version {}",
            receipt.receipt, receipt.version
        )));
    }
    Ok(receipt)
}

/// Checks the receipt on its own, as the README's script does: every canonical encoding is an
/// event written the canonical way, the one it claims to be; every hash recomputes from the
/// hash before it and the canonical encoding; the events link where they follow each other in
/// the chain; the head is not before the last event.
pub fn check_links(receipt: &Receipt) -> Result<(), ReceiptError> {
    let Some(first) = receipt.events.first() else {
        return Err(ReceiptError::NotAReceipt("it holds no event".into()));
    };
    let broken = |seq, why| Err(ReceiptError::DoesNotLink { seq, why });
    if first.prev_hash != receipt.hash_before_first {
        return broken(first.seq, "it does not hang from the hash before the first");
    }
    let mut before: Option<&ReceiptEvent> = None;
    for kept in &receipt.events {
        let Some(event) = StoredEvent::from_canonical(&kept.canonical, &kept.prev_hash, &kept.hash)
        else {
            return broken(kept.seq, "its canonical encoding is not an event");
        };
        if event.canonical_encoding() != kept.canonical {
            return broken(
                kept.seq,
                "its canonical encoding is not written the canonical way",
            );
        }
        if event.seq != kept.seq {
            return broken(
                kept.seq,
                "its canonical encoding has another sequence number",
            );
        }
        if event.impersonation_id != Some(receipt.session.id) {
            return broken(kept.seq, "it is not an event of this session");
        }
        if chain_hash(&kept.prev_hash, &kept.canonical) != kept.hash {
            return broken(kept.seq, "its hash is not the hash of its content");
        }
        if let Some(before) = before {
            if kept.seq <= before.seq {
                return broken(kept.seq, "the events are out of order");
            }
            if kept.seq == before.seq + 1 && kept.prev_hash != before.hash {
                return broken(kept.seq, "it does not link to the event before it");
            }
        }
        before = Some(kept);
    }
    let last = before.expect("at least the first");
    if receipt.chain_head.seq < last.seq
        || (receipt.chain_head.seq == last.seq && receipt.chain_head.hash != last.hash)
    {
        return broken(
            receipt.chain_head.seq,
            "the chain head is not at or after the last event",
        );
    }
    Ok(())
}

/// Checks what the receipt says for the reader against what it hashes: each event's
/// `time_utc` and `sentence` are the ones the receipt's builder makes of its canonical
/// encoding. Needs no log; run after `check_links`, which vouches for the encodings.
pub fn check_readable(receipt: &Receipt) -> Result<(), ReceiptError> {
    for kept in &receipt.events {
        let Some(event) = StoredEvent::from_canonical(&kept.canonical, &kept.prev_hash, &kept.hash)
        else {
            return Err(ReceiptError::DoesNotLink {
                seq: kept.seq,
                why: "its canonical encoding is not an event",
            });
        };
        let rebuilt = readable_event(&event);
        if rebuilt.time_utc != kept.time_utc {
            return Err(ReceiptError::TimeDiffers {
                seq: kept.seq,
                receipt: kept.time_utc.clone(),
                canonical: rebuilt.time_utc,
            });
        }
        if rebuilt.sentence != kept.sentence {
            return Err(ReceiptError::SentenceDiffers {
                seq: kept.seq,
                receipt: kept.sentence.clone(),
                canonical: rebuilt.sentence,
            });
        }
    }
    Ok(())
}

/// What the log holds where the receipt points: the stored event for each of the receipt's
/// (in its order), the event at the receipt's head, the highest sequence number stored, and
/// the session as a receipt made at the receipt's head shows it (`None`: no such session)
/// with the sequence numbers of its events up to that head.
pub struct LogView {
    pub events: Vec<Option<StoredEvent>>,
    pub head: Option<StoredEvent>,
    pub last_seq: i64,
    pub session: Option<SessionEntry>,
    pub session_seqs: Vec<i64>,
}

/// Holds a receipt that links against the log, and names the first difference: in an event,
/// at the head, in the session's header, or an event of the session left out.
pub fn compare(receipt: &Receipt, log: &LogView) -> Result<(), ReceiptError> {
    if log.last_seq < receipt.chain_head.seq {
        return Err(ReceiptError::CutBack {
            head_seq: receipt.chain_head.seq,
            log_end: log.last_seq,
        });
    }
    for (kept, stored) in receipt.events.iter().zip(&log.events) {
        let Some(stored) = stored else {
            return Err(ReceiptError::Missing { seq: kept.seq });
        };
        if stored.canonical_encoding() != kept.canonical
            || stored.prev_hash != kept.prev_hash
            || stored.hash != kept.hash
        {
            return Err(ReceiptError::Differs { seq: kept.seq });
        }
    }
    match &log.head {
        Some(head) if head.hash == receipt.chain_head.hash => {}
        Some(_) => {
            return Err(ReceiptError::HeadDiffers {
                seq: receipt.chain_head.seq,
            })
        }
        None => {
            return Err(ReceiptError::CutBack {
                head_seq: receipt.chain_head.seq,
                log_end: log.last_seq,
            })
        }
    }
    let Some(session) = &log.session else {
        return Err(ReceiptError::NoSuchSession {
            id: receipt.session.id,
        });
    };
    compare_header(&receipt.session, &readable_session(session))?;
    // Every event of the session up to the head, and none besides.
    let kept: BTreeSet<i64> = receipt.events.iter().map(|event| event.seq).collect();
    if let Some(&seq) = log.session_seqs.iter().find(|seq| !kept.contains(seq)) {
        return Err(ReceiptError::LeftOut { seq });
    }
    let logged: BTreeSet<i64> = log.session_seqs.iter().copied().collect();
    if let Some(&seq) = kept.iter().find(|seq| !logged.contains(seq)) {
        return Err(ReceiptError::NotOfSession { seq });
    }
    Ok(())
}

/// The first field of the receipt's header that is not the one rebuilt from the log.
fn compare_header(kept: &ReceiptSession, log: &ReceiptSession) -> Result<(), ReceiptError> {
    // Named one by one, so that a field added to the header cannot go unchecked.
    let ReceiptSession {
        id,
        impersonator,
        reason,
        scope,
        started_at,
        ended_at,
        end_reason,
    } = kept;
    let fields = [
        ("id", id.to_string(), log.id.to_string()),
        (
            "impersonator",
            impersonator.clone(),
            log.impersonator.clone(),
        ),
        ("reason", reason.clone(), log.reason.clone()),
        ("scope", scope.clone(), log.scope.clone()),
        ("started_at", started_at.clone(), log.started_at.clone()),
        ("ended_at", ended_at.clone(), log.ended_at.clone()),
        ("end_reason", end_reason.clone(), log.end_reason.clone()),
    ];
    match fields.into_iter().find(|(_, kept, log)| kept != log) {
        Some((field, receipt, log)) => Err(ReceiptError::HeaderDiffers {
            field,
            receipt,
            log,
        }),
        None => Ok(()),
    }
}

/// Reads what the log holds where the receipt points.
pub async fn log_view(store: &Store, receipt: &Receipt, now: i64) -> Result<LogView, StoreError> {
    let mut events = Vec::with_capacity(receipt.events.len());
    for event in &receipt.events {
        events.push(store.event_at(event.seq).await?);
    }
    let (session_id, head_seq) = (receipt.session.id, receipt.chain_head.seq);
    let (session, session_seqs) = match store.session_at_head(session_id, head_seq, now).await? {
        Some((member_id, session)) => {
            let events = store.session_chain(member_id, session_id, head_seq).await?;
            (
                Some(session),
                events.iter().map(|event| event.seq).collect(),
            )
        }
        None => (None, Vec::new()),
    };
    Ok(LogView {
        events,
        head: store.event_at(head_seq).await?,
        last_seq: store.last_stored_seq().await?,
        session,
        session_seqs,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Scope;
    use crate::ssr::audit::{EventKind, NewEvent};
    use crate::ssr::hash_chain::GENESIS_HASH;
    use serde_json::json;

    /// A log of 8 events where events 2, 3, 5 and 6 are session 7's.
    fn log() -> Vec<StoredEvent> {
        let mut prev = GENESIS_HASH.to_string();
        (1..=8)
            .map(|seq| {
                let mut event = NewEvent::new(EventKind::Action)
                    .actor(1)
                    .subject(2)
                    .request("GET", "/projects", 200)
                    .detail(json!({"arguments": {"n": seq}}));
                if matches!(seq, 2 | 3 | 5 | 6) {
                    event = event.session(7);
                }
                let event = event.seal(seq, 1_000 * seq, &prev);
                prev = event.hash.clone();
                event
            })
            .collect()
    }

    fn session() -> SessionEntry {
        SessionEntry {
            id: 7,
            started_at: 0,
            ended_at: Some(9_000),
            duration_ms: 9_000,
            admin_name: "Ada Admin".into(),
            admin_email: "ada@example.com".into(),
            reason: "TICKET-1 x".into(),
            scope: Scope::FullAccess,
            end_reason: Some("exited".into()),
        }
    }

    fn receipt_of(log: &[StoredEvent], head_seq: i64) -> Receipt {
        let events: Vec<StoredEvent> = log
            .iter()
            .filter(|event| event.impersonation_id == Some(7) && event.seq <= head_seq)
            .cloned()
            .collect();
        let head = ChainPoint {
            seq: head_seq,
            hash: log[head_seq as usize - 1].hash.clone(),
        };
        build(&session(), &events, head, 10_000)
    }

    /// What `log_view` reads from `log` for `receipt`, session 7 being member 2's.
    fn view(log: &[StoredEvent], receipt: &Receipt) -> LogView {
        let at = |seq: i64| log.iter().find(|event| event.seq == seq).cloned();
        LogView {
            events: receipt.events.iter().map(|event| at(event.seq)).collect(),
            head: at(receipt.chain_head.seq),
            last_seq: log.last().map_or(0, |event| event.seq),
            session: Some(session()),
            session_seqs: log
                .iter()
                .filter(|event| {
                    event.impersonation_id == Some(7)
                        && event.subject_id == Some(2)
                        && event.seq <= receipt.chain_head.seq
                })
                .map(|event| event.seq)
                .collect(),
        }
    }

    /// `receipt` without its event `seq`, as someone who wants it forgotten would cut it.
    fn without(receipt: &Receipt, seq: i64) -> Receipt {
        let mut cut = receipt.clone();
        cut.events.retain(|event| event.seq != seq);
        cut.hash_before_first = cut.events[0].prev_hash.clone();
        cut
    }

    #[test]
    fn a_fresh_receipt_links_and_matches_its_log() {
        let log = log();
        let receipt = receipt_of(&log, 7);
        assert_eq!(receipt.hash_before_first, log[0].hash);
        assert_eq!(
            receipt.events.iter().map(|e| e.seq).collect::<Vec<_>>(),
            [2, 3, 5, 6]
        );
        assert_eq!(receipt.events[0].sentence, "Viewed Projects");
        check_links(&receipt).unwrap();
        check_readable(&receipt).unwrap();
        compare(&receipt, &view(&log, &receipt)).unwrap();
        // Written out and read back, it is the same receipt.
        let text = serde_json::to_string_pretty(&receipt).unwrap();
        assert_eq!(parse(&text).unwrap(), receipt);
    }

    #[test]
    fn a_receipt_altered_by_hand_does_not_link() {
        let log = log();
        let good = receipt_of(&log, 8);
        let mut altered = good.clone();
        altered.events[1].canonical = altered.events[1].canonical.replace("/projects", "/payout");
        assert_eq!(
            check_links(&altered),
            Err(ReceiptError::DoesNotLink {
                seq: 3,
                why: "its hash is not the hash of its content"
            })
        );
        // Rehashed, it links: its sentence still says what the event was…
        altered.events[1].hash =
            chain_hash(&altered.events[1].prev_hash, &altered.events[1].canonical);
        assert!(check_links(&altered).is_ok());
        assert!(matches!(
            check_readable(&altered),
            Err(ReceiptError::SentenceDiffers { seq: 3, .. })
        ));
        // …and with that rewritten too, only the log (`compare`) can tell it was changed.
        altered.events[1] = readable_event(
            &StoredEvent::from_canonical(
                &altered.events[1].canonical,
                &altered.events[1].prev_hash,
                &altered.events[1].hash,
            )
            .unwrap(),
        );
        assert!(check_links(&altered).is_ok());
        assert!(check_readable(&altered).is_ok());
        assert_eq!(
            compare(&altered, &view(&log, &altered)),
            Err(ReceiptError::Differs { seq: 3 })
        );
        // Linked to anything but the event before it, it does not.
        let mut altered = good.clone();
        altered.events[1].prev_hash = "ab".repeat(32);
        altered.events[1].hash =
            chain_hash(&altered.events[1].prev_hash, &altered.events[1].canonical);
        assert_eq!(
            check_links(&altered),
            Err(ReceiptError::DoesNotLink {
                seq: 3,
                why: "it does not link to the event before it"
            })
        );
        // The same event written with other whitespace, rehashed: not the canonical encoding.
        let mut spaced = good.clone();
        spaced.events[1].canonical = spaced.events[1].canonical.replace(',', ", ");
        spaced.events[1].hash =
            chain_hash(&spaced.events[1].prev_hash, &spaced.events[1].canonical);
        assert_eq!(
            check_links(&spaced),
            Err(ReceiptError::DoesNotLink {
                seq: 3,
                why: "its canonical encoding is not written the canonical way"
            })
        );
        let mut early_head = good.clone();
        early_head.chain_head.seq = 5;
        assert!(matches!(
            check_links(&early_head),
            Err(ReceiptError::DoesNotLink { seq: 5, .. })
        ));
        let mut other_session = good;
        other_session.session.id = 8;
        assert!(matches!(
            check_links(&other_session),
            Err(ReceiptError::DoesNotLink { seq: 2, .. })
        ));
        assert!(matches!(parse("{}"), Err(ReceiptError::NotAReceipt(_))));
    }

    #[test]
    fn the_log_is_held_to_the_receipt() {
        let log = log();
        let receipt = receipt_of(&log, 7);

        // An event of the session altered in the database, hashes recomputed or not.
        let mut altered = log.clone();
        altered[4].detail = json!({"arguments": {"n": 99}}).to_string();
        assert_eq!(
            compare(&receipt, &view(&altered, &receipt)),
            Err(ReceiptError::Differs { seq: 5 })
        );
        for i in 4..altered.len() {
            altered[i].prev_hash = altered[i - 1].hash.clone();
            altered[i].hash = altered[i].compute_hash();
        }
        assert_eq!(
            compare(&receipt, &view(&altered, &receipt)),
            Err(ReceiptError::Differs { seq: 5 })
        );

        // Someone else's event between them rewritten: the head no longer matches.
        let mut rewritten = log.clone();
        rewritten[6].detail = "{}".into();
        rewritten[6].hash = rewritten[6].compute_hash();
        rewritten[7].prev_hash = rewritten[6].hash.clone();
        rewritten[7].hash = rewritten[7].compute_hash();
        assert_eq!(
            compare(&receipt, &view(&rewritten, &receipt)),
            Err(ReceiptError::HeadDiffers { seq: 7 })
        );

        // Cut back below the head.
        assert_eq!(
            compare(&receipt, &view(&log[..5], &receipt)),
            Err(ReceiptError::CutBack {
                head_seq: 7,
                log_end: 5
            })
        );

        // An event of the session deleted.
        let mut deleted = log.clone();
        deleted.remove(2);
        assert_eq!(
            compare(&receipt, &view(&deleted, &receipt)),
            Err(ReceiptError::Missing { seq: 3 })
        );
    }

    #[test]
    fn each_events_time_and_sentence_are_held_to_what_it_hashes() {
        let log = log();
        let good = receipt_of(&log, 8);
        assert_eq!(good.events[2].time_utc, "1970-01-01T00:00:05.000Z");

        // Neither is hashed: the links hold, the words do not.
        let mut sentence = good.clone();
        sentence.events[2].sentence = "Viewed Account".into();
        check_links(&sentence).unwrap();
        assert_eq!(
            check_readable(&sentence),
            Err(ReceiptError::SentenceDiffers {
                seq: 5,
                receipt: "Viewed Account".into(),
                canonical: "Viewed Projects".into(),
            })
        );
        let mut time = good.clone();
        time.events[3].time_utc = "1970-01-01T00:00:09.000Z".into();
        check_links(&time).unwrap();
        assert_eq!(
            check_readable(&time),
            Err(ReceiptError::TimeDiffers {
                seq: 6,
                receipt: "1970-01-01T00:00:09.000Z".into(),
                canonical: "1970-01-01T00:00:06.000Z".into(),
            })
        );
        let said = check_readable(&time).unwrap_err().to_string();
        assert!(said.contains("event 6's time_utc"), "{said}");
    }

    #[test]
    fn the_header_is_the_sessions_record_field_by_field() {
        let log = log();
        let good = receipt_of(&log, 8);
        /// A header field, and an edit of it.
        type Edit = (&'static str, fn(&mut ReceiptSession));
        let edits: [Edit; 6] = [
            ("impersonator", |header| {
                header.impersonator = "Someone Else <else@example.com>".into()
            }),
            ("reason", |header| header.reason = "TICKET-2 y".into()),
            ("scope", |header| header.scope = "View only".into()),
            ("started_at", |header| {
                header.started_at = "1970-01-01T00:00:01.000Z".into()
            }),
            ("ended_at", |header| header.ended_at = String::new()),
            ("end_reason", |header| header.end_reason = "expired".into()),
        ];
        for (field, edit) in edits {
            let mut edited = good.clone();
            edit(&mut edited.session);
            // Nothing hashes the header: only the session's record tells.
            check_links(&edited).unwrap();
            check_readable(&edited).unwrap();
            match compare(&edited, &view(&log, &edited)) {
                Err(ReceiptError::HeaderDiffers {
                    field: named,
                    receipt,
                    log,
                }) => {
                    assert_eq!(named, field);
                    assert_ne!(receipt, log);
                }
                other => panic!("{field}: {other:?}"),
            }
        }
        let mut reason = good.clone();
        reason.session.reason = "TICKET-2 y".into();
        assert_eq!(
            compare(&reason, &view(&log, &reason))
                .unwrap_err()
                .to_string(),
            "the session's reason differs: the receipt says “TICKET-2 y”, Actas's record of the session says “TICKET-1 x”"
        );

        // A session the log does not know.
        let mut unknown = view(&log, &good);
        unknown.session = None;
        assert_eq!(
            compare(&good, &unknown),
            Err(ReceiptError::NoSuchSession { id: 7 })
        );
    }

    #[test]
    fn a_receipt_holds_every_event_of_its_session_up_to_its_head() {
        let log = log();
        let good = receipt_of(&log, 8);
        compare(&good, &view(&log, &good)).unwrap();
        // From the middle, the end or the start, an event left out still links on its own:
        // only the log tells it is missing.
        for seq in [5, 6, 2, 3] {
            let cut = without(&good, seq);
            check_links(&cut).unwrap();
            check_readable(&cut).unwrap();
            assert_eq!(
                compare(&cut, &view(&log, &cut)),
                Err(ReceiptError::LeftOut { seq }),
            );
        }
        let cut = without(&good, 5);
        let said = compare(&cut, &view(&log, &cut)).unwrap_err().to_string();
        assert!(said.contains("event 5 of this session"), "{said}");

        // Up to its head, not further: a receipt made before event 6 holds without it.
        let early = receipt_of(&log, 5);
        assert_eq!(early.events.len(), 3);
        compare(&early, &view(&log, &early)).unwrap();

        // An event of session 7 on someone else's account (subject 3) is not this session's,
        // as the download reads it.
        let mut mixed = log.clone();
        let mut prev = mixed[2].hash.clone();
        for event in &mut mixed[3..] {
            if event.seq == 4 {
                event.impersonation_id = Some(7);
                event.subject_id = Some(3);
            }
            event.prev_hash = prev;
            event.hash = event.compute_hash();
            prev = event.hash.clone();
        }
        let with_other = receipt_of(&mixed, 8);
        assert_eq!(with_other.events[2].seq, 4);
        check_links(&with_other).unwrap();
        assert_eq!(
            compare(&with_other, &view(&mixed, &with_other)),
            Err(ReceiptError::NotOfSession { seq: 4 })
        );
    }
}
