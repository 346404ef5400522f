//! The member's `Inbox` (SPEC.md §5), read from the audit log: a notice for each access
//! request, session started, session ended (with its reason) and consent expired. Plain
//! functions over the member's events, with `now` passed in; nothing is stored twice, so a
//! notice cannot be missing for something the log says happened.
//!
//! A consent's expiry is recorded by nothing (it is simply inactive): it is read from the
//! grants and revocations around it. A consent that was revoked or replaced before its
//! expiry did not expire.

use crate::model::{AccessRequestView, InboxNotice, NoticeKind};
use crate::ssr::audit::EventKind;
use serde_json::Value;
use std::collections::HashMap;

/// The kinds of event the inbox is read from (the store reads these and no others).
pub const KINDS: [EventKind; 5] = [
    EventKind::AccessRequested,
    EventKind::ImpersonationStarted,
    EventKind::ImpersonationEnded,
    EventKind::ConsentGranted,
    EventKind::ConsentRevoked,
];

/// Of `KINDS`, those that set or clear the standing consent, whose expiry (a notice of its
/// own) may come after the member last read their inbox.
pub const CONSENT_KINDS: [EventKind; 2] = [EventKind::ConsentGranted, EventKind::ConsentRevoked];

/// One event of the kinds the inbox reads, oldest first.
#[derive(Clone, Debug, PartialEq)]
pub struct InboxEvent {
    pub at_ms: i64,
    pub kind: String,
    /// `Name (email)` of the event's actor, if any.
    pub actor: Option<String>,
    pub detail: Value,
}

/// The notices these events make at `now`, newest first; those after `read_until` are
/// unread. `requests` are the member's requests by id, as they stand now; `standing` is the
/// expiry of the standing consent as stored now, if there is one (the stored row is the
/// truth about the consent in force; the events tell the history before it).
pub fn notices(
    events: &[InboxEvent],
    requests: &HashMap<i64, AccessRequestView>,
    standing: Option<i64>,
    read_until: i64,
    now: i64,
) -> Vec<InboxNotice> {
    let mut notices = Vec::new();
    let notice = |at_ms: i64, kind: NoticeKind| InboxNotice {
        at_ms,
        kind,
        unread: at_ms > read_until,
        admin: None,
        end_reason: None,
        request: None,
    };
    // The standing consent in force, by its expiry.
    let mut consent_until: Option<i64> = None;
    for event in events {
        if let Some(until) = consent_until.filter(|until| *until <= event.at_ms) {
            notices.push(notice(until, NoticeKind::ConsentExpired));
            consent_until = None;
        }
        let detail = |key: &str| event.detail.get(key);
        match EventKind::parse(&event.kind) {
            Some(EventKind::AccessRequested) => {
                // A refused request never reached the member.
                let Some(id) = detail("request_id").and_then(Value::as_i64) else {
                    continue;
                };
                notices.push(InboxNotice {
                    admin: event.actor.clone(),
                    request: requests.get(&id).cloned(),
                    ..notice(event.at_ms, NoticeKind::AccessRequested)
                });
            }
            Some(EventKind::ImpersonationStarted) => notices.push(InboxNotice {
                admin: event.actor.clone(),
                ..notice(event.at_ms, NoticeKind::SessionStarted)
            }),
            Some(EventKind::ImpersonationEnded) => notices.push(InboxNotice {
                admin: event.actor.clone(),
                end_reason: detail("end_reason")
                    .and_then(Value::as_str)
                    .map(str::to_string),
                ..notice(event.at_ms, NoticeKind::SessionEnded)
            }),
            Some(EventKind::ConsentGranted) => {
                consent_until = detail("expires_at").and_then(Value::as_i64);
            }
            // Revoking or replacing the standing consent (an approval's revocation names its
            // request, and leaves the standing consent alone).
            Some(EventKind::ConsentRevoked) if detail("access_request_id").is_none() => {
                consent_until = None;
            }
            _ => {}
        }
    }
    let in_force = consent_until.map(|until| standing.unwrap_or(until));
    if let Some(until) = in_force.filter(|until| *until <= now) {
        notices.push(notice(until, NoticeKind::ConsentExpired));
    }
    // Newest first; a consent's expiry sits where it happened, among the others.
    notices.sort_by_key(|notice| std::cmp::Reverse(notice.at_ms));
    notices
}

/// How many of the notices are unread.
pub fn unread(notices: &[InboxNotice]) -> u32 {
    u32::try_from(notices.iter().filter(|notice| notice.unread).count()).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const T0: i64 = 1_800_000_000_000;

    #[test]
    fn the_consent_kinds_are_among_the_kinds_read() {
        assert!(CONSENT_KINDS.iter().all(|kind| KINDS.contains(kind)));
    }

    fn event(at_ms: i64, kind: &str, detail: Value) -> InboxEvent {
        InboxEvent {
            at_ms,
            kind: kind.into(),
            actor: Some("Ada Admin (ada@example.com)".into()),
            detail,
        }
    }

    fn kinds(notices: &[InboxNotice]) -> Vec<(i64, NoticeKind, bool)> {
        notices
            .iter()
            .map(|notice| (notice.at_ms - T0, notice.kind, notice.unread))
            .collect()
    }

    #[test]
    fn requests_sessions_and_ends_are_notices_newest_first_unread_after_the_last_read() {
        let events = [
            event(T0 + 1, "access_requested", json!({"request_id": 5})),
            event(
                T0 + 2,
                "access_requested",
                json!({"refused": "target_not_active"}),
            ),
            event(T0 + 3, "impersonation_started", json!({})),
            event(
                T0 + 4,
                "impersonation_ended",
                json!({"end_reason": "consent revoked"}),
            ),
        ];
        let found = notices(&events, &HashMap::new(), None, T0 + 3, T0 + 10);
        assert_eq!(
            kinds(&found),
            vec![
                (4, NoticeKind::SessionEnded, true),
                (3, NoticeKind::SessionStarted, false),
                (1, NoticeKind::AccessRequested, false),
            ],
            "a refused request is no notice"
        );
        assert_eq!(found[0].end_reason.as_deref(), Some("consent revoked"));
        assert_eq!(
            found[0].admin.as_deref(),
            Some("Ada Admin (ada@example.com)")
        );
        assert_eq!(unread(&found), 1);
    }

    #[test]
    fn a_consent_that_ran_out_is_a_notice_at_its_expiry_unless_revoked_or_replaced_first() {
        let grant = |at: i64, until: i64| {
            event(
                T0 + at,
                "consent_granted",
                json!({"expires_at": T0 + until}),
            )
        };
        let revoke = |at: i64| {
            event(
                T0 + at,
                "consent_revoked",
                json!({"reason": "revoked by member"}),
            )
        };
        // Ran out, then a new one granted after: one notice, at the first one's expiry.
        let events = [grant(0, 10), grant(20, 100)];
        assert_eq!(
            kinds(&notices(&events, &HashMap::new(), None, 0, T0 + 50)),
            vec![(10, NoticeKind::ConsentExpired, true)]
        );
        // Still running: nothing; past its expiry now: a notice.
        assert_eq!(
            kinds(&notices(&events, &HashMap::new(), None, 0, T0 + 99)).len(),
            1
        );
        assert_eq!(
            kinds(&notices(&events, &HashMap::new(), None, 0, T0 + 100)).len(),
            2
        );
        // Revoked (or replaced: a revocation comes first) before its expiry: no notice.
        let revoked = [grant(0, 10), revoke(5)];
        assert!(notices(&revoked, &HashMap::new(), None, 0, T0 + 50).is_empty());
        // An approval's revocation leaves the standing consent as it was.
        let approval_revoked = [
            grant(0, 10),
            event(T0 + 5, "consent_revoked", json!({"access_request_id": 3})),
        ];
        assert_eq!(
            notices(&approval_revoked, &HashMap::new(), None, 0, T0 + 50).len(),
            1
        );
        // The stored consent's expiry is the one in force.
        assert_eq!(
            kinds(&notices(
                &events,
                &HashMap::new(),
                Some(T0 + 30),
                0,
                T0 + 50
            )),
            vec![
                (30, NoticeKind::ConsentExpired, true),
                (10, NoticeKind::ConsentExpired, true)
            ]
        );
        // Read after its expiry: read.
        assert!(!notices(&events[..1], &HashMap::new(), None, T0 + 10, T0 + 50)[0].unread);
    }
}
