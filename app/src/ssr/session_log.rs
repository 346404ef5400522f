//! A session's log as the member reads it (SPEC.md §5): one line for each thing done, with the
//! requests a page made by itself folded under the page view they belong to.
//!
//! The rule, from what each `action` event records (its path and status):
//! - a page loaded (`GET /projects`) is a page view, and so is a read that fills a page the
//!   browser was not on (a page's data read without loading the page: by a program, or by
//!   the app as it was before its pages were rendered whole on the server);
//! - the live channel, and a read that fills the page being viewed, fold under the latest page
//!   view (or, before any, form a line of their own that later ones fold under);
//! - a change is recorded as its own event (`project_renamed`) next to the request that asked
//!   for it: the two are one line, named after the change;
//! - everything else, refusals and failures above all, is a line of its own.
//!
//! Nothing is dropped: every event is in exactly one line, and the exports keep them all.

use super::plain_words::{request, Request};
use crate::model::{AuditEntry, LogLine};

/// Folds a session's events, oldest first, into lines.
pub fn fold(events: Vec<AuditEntry>) -> Vec<LogLine> {
    let mut lines: Vec<LogLine> = Vec::new();
    // The line background requests fold under, and the page it views (if it names one).
    let mut viewing: Option<(usize, Option<&'static str>)> = None;
    // The line of the previous event, when that was a change still waiting for its request.
    let mut change_waiting: Option<usize> = None;
    for event in events {
        let waiting = change_waiting.take();
        if event.kind != "action" {
            lines.push(line(event));
            change_waiting = Some(lines.len() - 1);
            continue;
        }
        let done = event.status.is_some_and(|status| status < 400);
        let what = event.path.as_deref().and_then(request).filter(|_| done);
        match what {
            Some(Request::Background { .. }) => match viewing {
                Some((at, _)) => fold_under(&mut lines[at], event),
                None => {
                    lines.push(line(event));
                    viewing = Some((lines.len() - 1, None));
                }
            },
            Some(Request::ReadFor(page)) if viewing.is_some_and(|(_, seen)| seen == Some(page)) => {
                let (at, _) = viewing.expect("checked just above");
                fold_under(&mut lines[at], event);
            }
            Some(Request::PageView(page) | Request::ReadFor(page)) => {
                lines.push(line(event));
                viewing = Some((lines.len() - 1, Some(page)));
            }
            Some(Request::Deed { .. }) if waiting.is_some() => {
                let at = waiting.expect("checked just above");
                lines[at].events.push(event);
            }
            _ => lines.push(line(event)),
        }
    }
    lines
}

fn line(event: AuditEntry) -> LogLine {
    LogLine {
        sentence: event.sentence.clone(),
        at_ms: event.at_ms,
        events: vec![event],
        folded: 0,
    }
}

fn fold_under(line: &mut LogLine, event: AuditEntry) {
    line.events.push(event);
    line.folded += 1;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ssr::plain_words::{sentence, EventFacts};

    fn event(seq: i64, kind: &str, request: Option<(&str, &str, i32)>, detail: &str) -> AuditEntry {
        let (method, path, status) = match request {
            Some((method, path, status)) => (Some(method), Some(path), Some(status)),
            None => (None, None, None),
        };
        AuditEntry {
            seq,
            at_ms: 1_000 * seq,
            kind: kind.into(),
            actor: None,
            subject: None,
            impersonation_id: Some(1),
            method: method.map(Into::into),
            path: path.map(Into::into),
            status,
            detail: detail.into(),
            hash: String::new(),
            sentence: sentence(EventFacts {
                kind,
                path,
                status,
                detail,
            }),
        }
    }

    fn get(seq: i64, path: &str) -> AuditEntry {
        event(
            seq,
            "action",
            Some(("GET", path, 200)),
            r#"{"arguments":{}}"#,
        )
    }

    fn post(seq: i64, path: &str, status: i32, detail: &str) -> AuditEntry {
        event(seq, "action", Some(("POST", path, status)), detail)
    }

    fn read(lines: &[LogLine]) -> Vec<(String, Vec<i64>, usize)> {
        lines
            .iter()
            .map(|line| {
                let seqs = line.events.iter().map(|event| event.seq).collect();
                (line.sentence.clone(), seqs, line.folded)
            })
            .collect()
    }

    fn expect(lines: &[LogLine], expected: &[(&str, &[i64], usize)]) {
        let expected: Vec<(String, Vec<i64>, usize)> = expected
            .iter()
            .map(|(words, seqs, folded)| (words.to_string(), seqs.to_vec(), *folded))
            .collect();
        assert_eq!(read(lines), expected);
    }

    #[test]
    fn a_session_of_two_page_views_and_a_rename_reads_in_four_lines() {
        let events = vec![
            event(
                1,
                "impersonation_started",
                None,
                r#"{"scope":"full_access","reason":"TICKET-1 x","via":"consent"}"#,
            ),
            get(2, "/account"),
            get(3, "/api/live"),
            post(4, "/api/whoami", 200, "{}"),
            // Moved to Projects without loading it anew.
            post(5, "/api/list_projects", 200, "{}"),
            event(
                6,
                "project_renamed",
                None,
                r#"{"project_id":3,"from":"Mia's orchard","to":"Mia's apple orchard"}"#,
            ),
            post(
                7,
                "/api/rename_project",
                200,
                r#"{"arguments":{"project_id":"3","name":"Mia's apple orchard"}}"#,
            ),
            // The list read again after the change: still the Projects page.
            post(8, "/api/list_projects", 200, "{}"),
            event(9, "impersonation_ended", None, r#"{"end_reason":"exited"}"#),
            post(10, "/api/exit_impersonation", 200, "{}"),
        ];
        expect(
            &fold(events),
            &[
                (
                    "Started acting on the account: Full access, reason “TICKET-1 x”",
                    &[1],
                    0,
                ),
                ("Viewed Account", &[2, 3, 4], 2),
                ("Viewed Projects", &[5, 8], 1),
                (
                    "Renamed project “Mia's orchard” to “Mia's apple orchard”",
                    &[6, 7],
                    0,
                ),
                ("The session ended: exited", &[9, 10], 0),
            ],
        );
    }

    #[test]
    fn a_page_loaded_again_is_a_new_view_and_reads_of_another_page_are_a_visit_to_it() {
        let events = vec![
            get(1, "/projects"),
            get(2, "/api/live"),
            post(3, "/api/get_profile", 200, "{}"),
            post(4, "/api/list_projects", 200, "{}"),
            get(5, "/projects"),
            get(6, "/api/live"),
        ];
        expect(
            &fold(events),
            &[
                ("Viewed Projects", &[1, 2], 1),
                ("Viewed Profile", &[3], 0),
                ("Viewed Projects", &[4], 0),
                ("Viewed Projects", &[5, 6], 1),
            ],
        );
    }

    #[test]
    fn refusals_are_never_folded_and_never_merged() {
        let refused = r#"{"arguments":{"iban":"[REDACTED]"},"refused":"View only session"}"#;
        let events = vec![
            get(1, "/payout"),
            post(2, "/api/update_payout", 403, refused),
            post(
                3,
                "/api/get_payout",
                403,
                r#"{"refused":"Not within the access granted"}"#,
            ),
            get(4, "/api/live"),
            get(5, "/admin/users"),
        ];
        let lines = fold(events);
        expect(
            &lines,
            &[
                ("Viewed Payout details", &[1, 4], 1),
                (
                    "Tried to change payout details — refused: View only session",
                    &[2],
                    0,
                ),
                (
                    "Tried to open Payout details — refused: Not within the access granted",
                    &[3],
                    0,
                ),
                ("Viewed the user list", &[5], 0),
            ],
        );
    }

    #[test]
    fn background_requests_before_any_page_view_form_a_line_of_their_own() {
        let events = vec![
            get(1, "/api/live"),
            post(2, "/api/whoami", 200, "{}"),
            post(
                3,
                "/api/create_project",
                200,
                r#"{"arguments":{"name":"A"}}"#,
            ),
        ];
        expect(
            &fold(events),
            &[
                ("Kept the page up to date", &[1, 2], 1),
                ("Created project “A”", &[3], 0),
            ],
        );
    }

    #[test]
    fn a_request_is_merged_only_with_the_change_just_before_it() {
        let events = vec![
            event(1, "project_created", None, r#"{"project_id":1,"name":"A"}"#),
            get(2, "/api/live"),
            post(
                3,
                "/api/create_project",
                200,
                r#"{"arguments":{"name":"B"}}"#,
            ),
        ];
        expect(
            &fold(events),
            &[
                ("Created project “A”", &[1], 0),
                ("Kept the page up to date", &[2], 0),
                ("Created project “B”", &[3], 0),
            ],
        );
    }

    #[test]
    fn every_event_is_in_exactly_one_line() {
        let paths = [
            "/projects",
            "/api/live",
            "/api/list_projects",
            "/api/rename_project",
            "/nowhere",
        ];
        let events: Vec<AuditEntry> = (1..=60)
            .map(|seq| {
                let path = paths[(seq as usize * 7) % paths.len()];
                let status = if seq % 5 == 0 { 403 } else { 200 };
                if seq % 9 == 0 {
                    event(seq, "project_renamed", None, r#"{"from":"a","to":"b"}"#)
                } else {
                    event(seq, "action", Some(("POST", path, status)), "{}")
                }
            })
            .collect();
        let lines = fold(events);
        let mut seqs: Vec<i64> = lines
            .iter()
            .flat_map(|line| line.events.iter().map(|e| e.seq))
            .collect();
        seqs.sort();
        assert_eq!(seqs, (1..=60).collect::<Vec<_>>());
        for line in &lines {
            assert!(line.folded < line.events.len());
            assert_eq!(line.sentence, line.events[0].sentence);
        }
    }
}
