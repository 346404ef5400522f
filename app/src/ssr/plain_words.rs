//! The audit log in plain words (SPEC.md §5): one sentence for every kind of event and for
//! every request an administrator can make while acting, as a member reads it (`Viewed
//! Projects`, `Renamed project “Mia's orchard” to “Mia's apple orchard”`, `Tried to change
//! payout details — refused: View only session`). The staff's activity log reads the same.
//!
//! Sentences are text, never markup: pages put them in text nodes. Every value somebody typed
//! is quoted with “ ” by `quoted`, which escapes what could pass for the end of the quote, a
//! new line or a change of writing direction, and caps its length.

use super::audit::EventKind;
use super::redaction::clean_text_within;
use crate::model::{format_utc, Scope};
use serde_json::Value;

/// What a request made while acting is, for the member reading the log.
// No `PartialEq`: a `Deed` holds a function, and functions do not compare reliably.
#[derive(Clone, Copy, Debug)]
pub enum Request {
    /// The browser loaded a page: a page view, under which the requests the page makes by
    /// itself are folded.
    PageView(&'static str),
    /// A read that fills a page: folded under a view of that page; on its own, it is the
    /// page's data read without loading the page (by a program, or by the app as it was before
    /// its pages were rendered whole on the server).
    ReadFor(&'static str),
    /// A request a page makes by itself whatever page it is (the live channel): folded under
    /// the page view it belongs to.
    Background {
        done: &'static str,
        tried: &'static str,
    },
    /// Something the person did: a line of its own.
    Deed {
        done: fn(&Value) -> String,
        tried: &'static str,
    },
}

impl Request {
    /// What the request did, as a sentence; `arguments` as the record keeps them.
    pub fn done(self, arguments: &Value) -> String {
        match self {
            Request::PageView(page) | Request::ReadFor(page) => format!("Viewed {page}"),
            Request::Background { done, .. } => done.to_string(),
            Request::Deed { done, .. } => done(arguments),
        }
    }

    /// What was tried, to follow `Tried to `.
    pub fn tried(self) -> String {
        match self {
            Request::PageView(page) | Request::ReadFor(page) => format!("open {page}"),
            Request::Background { tried, .. } | Request::Deed { tried, .. } => tried.to_string(),
        }
    }

    /// The page whose requests fold under it, for a page view or a read of one.
    pub fn page(self) -> Option<&'static str> {
        match self {
            Request::PageView(page) | Request::ReadFor(page) => Some(page),
            _ => None,
        }
    }
}

/// Every address the app answers, by path: its pages, its server functions and its other
/// routes. `None` for an address the app does not have. A test walks the registered server
/// functions and the page routes, so a new one without words here fails it.
pub fn request(path: &str) -> Option<Request> {
    use Request::*;
    fn deed(done: fn(&Value) -> String, tried: &'static str) -> Request {
        Deed { done, tried }
    }
    Some(match path {
        // Pages (`App`'s routes).
        "" | "/" => PageView("the start page"),
        "/sign-in" => PageView("the sign-in page"),
        "/account" => PageView("Account"),
        "/profile" => PageView("Profile"),
        "/projects" => PageView("Projects"),
        "/payout" => PageView("Payout details"),
        "/settings/impersonation" => PageView("Impersonation settings"),
        "/settings/sign-in" => PageView("Sign-in settings"),
        "/set-password" => PageView("the Set password page"),
        "/admin/users" => PageView("the user list"),
        "/admin/activity" => PageView("the activity log"),
        "/admin/impersonators" => PageView("the impersonator list"),
        "/inbox" => PageView("Inbox"),

        // The server's own routes.
        crate::model::LIVE_CHANNEL => Background {
            done: "Kept the page up to date",
            tried: "keep the page up to date",
        },
        "/healthz" | "/readyz" => Background {
            done: "Checked that the service is up",
            tried: "check that the service is up",
        },
        "/settings/impersonation/audit-log.csv" | "/settings/impersonation/audit-log.json" => {
            deed(|_| "Exported the audit log".into(), "export the audit log")
        }
        "/admin/activity/export.csv" => deed(
            |_| "Exported the activity log".into(),
            "export the activity log",
        ),
        path if is_receipt_path(path) => deed(
            |_| "Downloaded a session's receipt".into(),
            "download a session's receipt",
        ),

        // Server functions: reads.
        "/api/whoami" => Background {
            done: "Checked who is signed in",
            tried: "check who is signed in",
        },
        "/api/get_profile" => ReadFor("Profile"),
        "/api/list_projects" => ReadFor("Projects"),
        "/api/get_payout" => ReadFor("Payout details"),
        "/api/consent_status" | "/api/session_history" | "/api/session_audit_log" => {
            ReadFor("Impersonation settings")
        }
        "/api/sign_in_settings" => ReadFor("Sign-in settings"),
        "/api/password_link" => ReadFor("the Set password page"),
        "/api/list_users" => ReadFor("the user list"),
        "/api/activity_log" => ReadFor("the activity log"),
        "/api/allow_list" => ReadFor("the impersonator list"),
        "/api/get_inbox" => ReadFor("Inbox"),

        // Server functions: changes.
        "/api/update_profile" => deed(
            |args| {
                let mut changed = Vec::new();
                for (key, words) in [
                    ("display_name", "display name"),
                    ("phone", "phone"),
                    ("time_zone", "time zone"),
                ] {
                    if let Some(value) = argument(args, key) {
                        changed.push(format!("{words} {}", quoted(&value)));
                    }
                }
                if changed.is_empty() {
                    "Changed the profile".into()
                } else {
                    format!("Changed the profile: {}", changed.join(", "))
                }
            },
            "change the profile",
        ),
        "/api/create_project" => deed(
            |args| match argument(args, "name") {
                Some(name) => format!("Created project {}", quoted(&name)),
                None => "Created a project".into(),
            },
            "create a project",
        ),
        "/api/rename_project" => deed(
            |args| match argument(args, "name") {
                Some(name) => format!("Renamed a project to {}", quoted(&name)),
                None => "Renamed a project".into(),
            },
            "rename a project",
        ),
        "/api/archive_project" => deed(|_| "Archived a project".into(), "archive a project"),
        "/api/update_payout" => deed(|_| "Changed payout details".into(), "change payout details"),
        "/api/grant_consent" => deed(|_| "Enabled impersonation".into(), "enable impersonation"),
        "/api/revoke_consent" => deed(|_| "Revoked consent".into(), "revoke consent"),
        "/api/generate_support_code" => deed(
            |_| "Generated a support code".into(),
            "generate a support code",
        ),
        "/api/start_impersonation" => deed(
            |_| "Started an impersonation".into(),
            "start another impersonation",
        ),
        "/api/exit_impersonation" => deed(
            |_| "Left the session (Exit impersonation)".into(),
            "leave the session",
        ),
        "/api/end_session" => deed(|_| "Ended the session".into(), "end the session"),
        "/api/sign_in" => deed(|_| "Signed in".into(), "sign in"),
        "/api/sign_out" => deed(|_| "Signed out".into(), "sign out"),
        "/api/change_password" => deed(|_| "Changed the password".into(), "change the password"),
        "/api/change_email" => deed(
            |args| match argument(args, "email") {
                Some(email) => format!("Changed the email to {}", quoted(&email)),
                None => "Changed the email".into(),
            },
            "change the email",
        ),
        "/api/sign_out_sign_in" => deed(|_| "Signed out a browser".into(), "sign out a browser"),
        "/api/sign_out_everywhere_else" => deed(
            |_| "Signed out everywhere else".into(),
            "sign out everywhere else",
        ),
        "/api/delete_my_account" => deed(|_| "Deleted the account".into(), "delete the account"),
        "/api/set_password" => deed(|_| "Set a new password".into(), "set a new password"),
        "/api/add_user" => deed(
            |args| match argument(args, "email") {
                Some(email) => format!("Added the account {}", quoted(&email)),
                None => "Added an account".into(),
            },
            "add an account",
        ),
        "/api/change_role" => deed(|_| "Changed a role".into(), "change a role"),
        "/api/suspend_user" => deed(|_| "Suspended an account".into(), "suspend an account"),
        "/api/reinstate_user" => deed(|_| "Reinstated an account".into(), "reinstate an account"),
        "/api/delete_user" => deed(|_| "Deleted an account".into(), "delete an account"),
        "/api/reset_password" => deed(
            |_| "Issued a password reset link".into(),
            "reset a password",
        ),
        "/api/sign_out_everywhere" => deed(
            |_| "Signed a member out everywhere".into(),
            "sign a member out everywhere",
        ),
        "/api/request_access" => deed(|_| "Asked for access".into(), "ask for access"),
        "/api/withdraw_access_request" => deed(
            |_| "Withdrew an access request".into(),
            "withdraw an access request",
        ),
        "/api/approve_access_request" => deed(
            |_| "Approved an access request".into(),
            "approve an access request",
        ),
        "/api/deny_access_request" => deed(
            |_| "Denied an access request".into(),
            "deny an access request",
        ),
        "/api/mark_inbox_read" => deed(|_| "Marked the inbox read".into(), "mark the inbox read"),
        "/api/grant_impersonator" => deed(
            |_| "Gave the right to impersonate".into(),
            "give the right to impersonate",
        ),
        "/api/remove_impersonator" => deed(
            |_| "Removed the right to impersonate".into(),
            "remove the right to impersonate",
        ),
        _ => return None,
    })
}

/// `/settings/impersonation/sessions/{id}/receipt.json` (`model::receipt_path`).
pub fn is_receipt_path(path: &str) -> bool {
    path.strip_prefix("/settings/impersonation/sessions/")
        .and_then(|rest| rest.strip_suffix("/receipt.json"))
        .is_some_and(|id| !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit()))
}

/// The fields of an event that a sentence reads.
#[derive(Clone, Copy, Debug)]
pub struct EventFacts<'a> {
    pub kind: &'a str,
    pub path: Option<&'a str>,
    pub status: Option<i32>,
    /// The detail as stored: JSON text.
    pub detail: &'a str,
}

/// An event as the log shows it: with its sentence.
pub fn in_words(mut entry: crate::model::AuditEntry) -> crate::model::AuditEntry {
    entry.sentence = sentence(EventFacts {
        kind: &entry.kind,
        path: entry.path.as_deref(),
        status: entry.status,
        detail: &entry.detail,
    });
    entry
}

/// An event as a sentence.
pub fn sentence(event: EventFacts<'_>) -> String {
    let detail: Value = serde_json::from_str(event.detail).unwrap_or(Value::Null);
    let Some(kind) = EventKind::parse(event.kind) else {
        // Written by a later version of Actas than this one.
        return format!("Recorded {}", quoted(event.kind));
    };
    let text = |key: &str| text_field(&detail, key);
    let time = |key: &str| detail.get(key).and_then(Value::as_i64).map(format_utc);
    // `: View only`, when the detail names the scope.
    let scope = || {
        text("scope")
            .and_then(|scope| Scope::parse(&scope))
            .map(|scope| format!(": {}", scope.label()))
            .unwrap_or_default()
    };
    let until = || time("expires_at").map(|at| format!(", until {at}"));
    // `, sections Profile and Projects`, when the detail limits them.
    let sections = || {
        text("sections")
            .and_then(|stored| crate::model::Sections::parse(&stored))
            .filter(|sections| !sections.is_all())
            .map(|sections| format!(", sections {}", sections.label()))
            .unwrap_or_default()
    };
    match kind {
        EventKind::SignIn => match text("browser") {
            Some(browser) => format!("Signed in from {}", plain(&browser)),
            None => "Signed in".into(),
        },
        EventKind::SignInFailed => refused("sign in", text("reason")),
        EventKind::SignOut => match text("reason").as_deref() {
            None | Some("signed out") => "Signed out".into(),
            Some(reason) => format!("Signed out: {}", plain(reason)),
        },
        EventKind::ConsentGranted => format!(
            "Allowed support to act on the account{}{}",
            scope(),
            until().unwrap_or_default()
        ),
        EventKind::ConsentRevoked => match text("reason").as_deref() {
            Some("replaced") => "Replaced the consent with a new one".into(),
            Some("revoked by member") | None => "Revoked consent".into(),
            Some(reason) => format!("Consent ended: {}", plain(reason)),
        },
        EventKind::SupportCodeIssued => format!(
            "Generated a support code{}{}",
            scope(),
            until().unwrap_or_default()
        ),
        EventKind::ImpersonationStarted => {
            let via = match text("via").as_deref() {
                Some("support_code") => " with a support code",
                _ => "",
            };
            let reason = text("reason")
                .map(|reason| format!(", reason {}", quoted(&reason)))
                .unwrap_or_default();
            format!(
                "Started acting on the account{via}{}{reason}{}",
                scope(),
                until().unwrap_or_default()
            )
        }
        EventKind::ImpersonationDenied => refused("start an impersonation", text("message")),
        EventKind::ImpersonationEnded => match text("end_reason") {
            Some(reason) => format!("The session ended: {}", plain(&reason)),
            None => "The session ended".into(),
        },
        EventKind::Action => action_sentence(event.path, event.status, &detail),
        EventKind::ProfileUpdated => {
            let fields: Vec<String> = [
                ("display_name", "display name"),
                ("phone", "phone"),
                ("time_zone", "time zone"),
            ]
            .into_iter()
            .filter_map(|(key, words)| Some(format!("{words} {}", quoted(&text(key)?))))
            .collect();
            if fields.is_empty() {
                "Changed the profile".into()
            } else {
                format!("Changed the profile: {}", fields.join(", "))
            }
        }
        EventKind::PayoutUpdated => "Changed payout details".into(),
        EventKind::RoleChanged => match (text("from"), text("to")) {
            (Some(from), Some(to)) => {
                format!("Changed the role from {} to {}", plain(&from), plain(&to))
            }
            (None, Some(to)) => format!("Changed the role to {}", plain(&to)),
            _ => "Changed the role".into(),
        },
        EventKind::AllowlistGranted => "Gave the right to impersonate".into(),
        EventKind::AllowlistRevoked => match text("reason") {
            Some(reason) => format!("Removed the right to impersonate: {}", plain(&reason)),
            None => "Removed the right to impersonate".into(),
        },
        EventKind::UserSuspended => "Suspended the account".into(),
        EventKind::UserCreated => match (text("name"), text("email"), text("role")) {
            (Some(name), Some(email), Some(role)) => format!(
                "Created the account of {} ({}) as {}",
                quoted(&name),
                quoted(&email),
                plain(&role)
            ),
            _ => "Created the account".into(),
        },
        EventKind::ProjectCreated => match text("name") {
            Some(name) => format!("Created project {}", quoted(&name)),
            None => "Created a project".into(),
        },
        EventKind::ProjectRenamed => match (text("from"), text("to")) {
            (Some(from), Some(to)) => {
                format!("Renamed project {} to {}", quoted(&from), quoted(&to))
            }
            _ => "Renamed a project".into(),
        },
        EventKind::ProjectArchived => match detail.get("project_id").and_then(Value::as_i64) {
            Some(id) => format!("Archived project number {id}"),
            None => "Archived a project".into(),
        },
        EventKind::UserReinstated => "Reinstated the account".into(),
        EventKind::UserDeleted => "Deleted the account".into(),
        EventKind::PasswordChanged => match text("via").as_deref() {
            Some("set password link") => "Set a new password with a one-time link".into(),
            _ => "Changed the password".into(),
        },
        EventKind::PasswordResetIssued => format!(
            "Issued a one-time Set password link{}",
            time("expires_at")
                .map(|at| format!(", valid until {at}"))
                .unwrap_or_default()
        ),
        EventKind::EmailChanged => match (text("from"), text("to")) {
            (Some(from), Some(to)) => {
                format!(
                    "Changed the email from {} to {}",
                    quoted(&from),
                    quoted(&to)
                )
            }
            _ => "Changed the email".into(),
        },
        EventKind::AccessRequested => match text("refused") {
            Some(_) => refused("ask for access", text("message")),
            None => {
                let reason = text("reason")
                    .map(|reason| format!(", reason {}", quoted(&reason)))
                    .unwrap_or_default();
                let ticket = text("ticket")
                    .map(|ticket| format!(", ticket {}", quoted(&ticket)))
                    .unwrap_or_default();
                let hours = match detail.get("hours").and_then(Value::as_i64) {
                    Some(1) => " for 1 hour".to_string(),
                    Some(hours) => format!(" for {hours} hours"),
                    None => String::new(),
                };
                format!(
                    "Asked for access{}{}{hours}{reason}{ticket}",
                    scope(),
                    sections()
                )
            }
        },
        EventKind::AccessApproved => format!(
            "Approved the access request{}{}{}",
            scope(),
            sections(),
            until().unwrap_or_default()
        ),
        EventKind::AccessDenied => match text("message") {
            Some(message) => format!("Denied the access request, saying {}", quoted(&message)),
            None => "Denied the access request".into(),
        },
        EventKind::AccessRequestExpired => "The access request expired unanswered".into(),
        EventKind::AccessRequestWithdrawn => "Withdrew the access request".into(),
        EventKind::SignedOutEverywhere => {
            match detail.get("sign_ins_ended").and_then(Value::as_i64) {
                Some(1) => "Signed out everywhere (1 sign-in ended)".into(),
                Some(ended) => format!("Signed out everywhere ({ended} sign-ins ended)"),
                None => "Signed out everywhere".into(),
            }
        }
    }
}

/// An `action` event: what the request did, or what it tried and why that failed.
fn action_sentence(path: Option<&str>, status: Option<i32>, detail: &Value) -> String {
    let arguments = detail.get("arguments").unwrap_or(&Value::Null);
    let Some(path) = path else {
        return "Made a request".into();
    };
    let Some(request) = request(path) else {
        let attempt = format!("open an address the app does not have, {}", quoted(path));
        return refused(&attempt, Some(status_words(status)));
    };
    match status {
        Some(status) if status < 400 => request.done(arguments),
        _ => {
            let why = text_field(detail, "refused").unwrap_or_else(|| status_words(status));
            let (verb, why) = match status {
                Some(status) if status >= 500 => ("failed", why),
                _ => ("refused", why),
            };
            format!("Tried to {} — {verb}: {}", request.tried(), plain(&why))
        }
    }
}

fn refused(tried: &str, why: Option<String>) -> String {
    match why {
        Some(why) => format!("Tried to {tried} — refused: {}", plain(&why)),
        None => format!("Tried to {tried} — refused"),
    }
}

fn status_words(status: Option<i32>) -> String {
    match status {
        Some(401) => "not signed in".into(),
        Some(403) => "not allowed".into(),
        Some(404) => "not found".into(),
        Some(status) if status >= 500 => "a fault on our side".into(),
        Some(status) => format!("status {status}"),
        None => "no answer".into(),
    }
}

/// A string field of the detail.
fn text_field(detail: &Value, key: &str) -> Option<String> {
    detail.get(key).and_then(Value::as_str).map(str::to_string)
}

/// A value from the request's arguments: a field sent once (a repeated one is not quoted).
fn argument(arguments: &Value, key: &str) -> Option<String> {
    text_field(arguments, key)
}

/// The longest value quoted in a sentence, in characters; `Details` has the whole of it.
pub const MAX_QUOTED_CHARS: usize = 80;

/// A value somebody typed, as a sentence quotes it: `“Mia's orchard”`. Control characters,
/// the quote marks themselves and the characters that turn text around are escaped as
/// `\u201d`, so nothing inside can close the quote or forge a line; past `MAX_QUOTED_CHARS`
/// it is cut, with `…` saying so.
pub fn quoted(value: &str) -> String {
    format!("“{}”", plain_within(value, MAX_QUOTED_CHARS))
}

/// A value the server wrote (a reason, a refusal), shown unquoted but still cleaned.
fn plain(value: &str) -> String {
    plain_within(value, 2 * MAX_QUOTED_CHARS)
}

fn plain_within(value: &str, max_chars: usize) -> String {
    let mut out = String::new();
    for (count, c) in value.chars().enumerate() {
        if count >= max_chars {
            out.push('…');
            break;
        }
        if matches!(c, '“' | '”' | '„' | '‟') || is_direction_mark(c) {
            out.push_str(&format!("\\u{:04x}", c as u32));
        } else {
            // Control characters and line separators, as the log's other escapes write them.
            out.push_str(&clean_text_within(c.encode_utf8(&mut [0; 4]), 8));
        }
    }
    out
}

/// Characters that change the direction text is shown in: they could make a value seem to
/// read otherwise than it does.
fn is_direction_mark(c: char) -> bool {
    matches!(c, '\u{200e}' | '\u{200f}' | '\u{061c}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn event<'a>(kind: &'a str, detail: &'a str) -> EventFacts<'a> {
        EventFacts {
            kind,
            path: None,
            status: None,
            detail,
        }
    }

    fn action<'a>(path: &'a str, status: i32, detail: &'a str) -> String {
        sentence(EventFacts {
            kind: "action",
            path: Some(path),
            status: Some(status),
            detail,
        })
    }

    #[test]
    fn the_issue_s_sentences_read_as_promised() {
        assert_eq!(
            action("/projects", 200, r#"{"arguments":{}}"#),
            "Viewed Projects"
        );
        assert_eq!(
            sentence(event(
                "project_renamed",
                r#"{"project_id":3,"from":"Mia's orchard","to":"Mia's apple orchard"}"#
            )),
            "Renamed project “Mia's orchard” to “Mia's apple orchard”"
        );
        assert_eq!(
            action(
                "/api/update_payout",
                403,
                r#"{"arguments":{"iban":"[REDACTED]"},"refused":"View only session"}"#
            ),
            "Tried to change payout details — refused: View only session"
        );
        assert_eq!(
            sentence(event(
                "sign_in",
                r#"{"address":"127.0.0.1","browser":"Firefox on Linux"}"#
            )),
            "Signed in from Firefox on Linux"
        );
    }

    /// Every kind has a sentence of its own, with the detail it is written with and without
    /// one (an old event, or a detail cut at its bound). `EventKind`'s `match` above has no
    /// wildcard: a new kind without words does not compile.
    #[test]
    fn every_kind_reads_as_a_sentence() {
        let mut seen = std::collections::HashSet::new();
        for kind in EventKind::ALL {
            for detail in ["{}", r#"{"truncated":"…"}"#, "not json"] {
                let words = sentence(event(kind.as_str(), detail));
                assert!(!words.is_empty(), "{kind:?}");
                assert!(!words.contains('_'), "{kind:?} reads {words:?}");
            }
            if kind != EventKind::Action {
                seen.insert(sentence(event(kind.as_str(), "{}")));
            }
        }
        // Sign-out and its everywhere variant, consent revoked, and so on, all differ.
        assert_eq!(seen.len(), EventKind::ALL.len() - 1, "{seen:?}");
        assert_eq!(
            sentence(event("access_granted_someday", "{}")),
            "Recorded “access_granted_someday”"
        );
    }

    #[test]
    fn kinds_read_their_details() {
        let cases = [
            (
                "consent_granted",
                json!({"scope": "view_only", "hours": 1, "expires_at": 1_795_257_000_000_i64}),
                "Allowed support to act on the account: View only, until 2026-11-21 10:30 UTC",
            ),
            (
                "impersonation_started",
                json!({"scope": "full_access", "via": "support_code", "reason": "TICKET-1 x", "expires_at": 1_795_257_000_000_i64}),
                "Started acting on the account with a support code: Full access, reason “TICKET-1 x”, until 2026-11-21 10:30 UTC",
            ),
            (
                "impersonation_ended",
                json!({"end_reason": "consent revoked"}),
                "The session ended: consent revoked",
            ),
            (
                "impersonation_denied",
                json!({"rule": "no_consent", "message": "Mia has no active consent"}),
                "Tried to start an impersonation — refused: Mia has no active consent",
            ),
            (
                "sign_in_failed",
                json!({"reason": "wrong password", "email": "x"}),
                "Tried to sign in — refused: wrong password",
            ),
            (
                "role_changed",
                json!({"from": "member", "to": "admin"}),
                "Changed the role from member to admin",
            ),
            (
                "email_changed",
                json!({"from": "a@example.com", "to": "b@example.com"}),
                "Changed the email from “a@example.com” to “b@example.com”",
            ),
            (
                "profile_updated",
                json!({"display_name": "Mia", "phone": "", "time_zone": "UTC"}),
                "Changed the profile: display name “Mia”, phone “”, time zone “UTC”",
            ),
            (
                "signed_out_everywhere",
                json!({"sign_ins_ended": 2}),
                "Signed out everywhere (2 sign-ins ended)",
            ),
            (
                "access_requested",
                json!({"request_id": 4, "reason": "Payout bounced", "ticket": "T-9", "scope": "view_only", "sections": "payout", "hours": 2}),
                "Asked for access: View only, sections Payout for 2 hours, reason “Payout bounced”, ticket “T-9”",
            ),
            (
                "access_requested",
                json!({"refused": "target_not_active", "message": "Mia's account is suspended"}),
                "Tried to ask for access — refused: Mia's account is suspended",
            ),
            (
                "access_approved",
                json!({"request_id": 4, "scope": "full_access", "sections": "", "expires_at": 1_795_257_000_000_i64}),
                "Approved the access request: Full access, until 2026-11-21 10:30 UTC",
            ),
            (
                "access_denied",
                json!({"request_id": 4, "message": "Not now\nsee you"}),
                "Denied the access request, saying “Not now\\u000asee you”",
            ),
        ];
        for (kind, detail, expected) in cases {
            assert_eq!(sentence(event(kind, &detail.to_string())), expected);
        }
    }

    #[test]
    fn requests_read_as_what_they_did_or_tried() {
        assert_eq!(
            action(
                "/api/rename_project",
                200,
                r#"{"arguments":{"project_id":"3","name":"Apple"}}"#
            ),
            "Renamed a project to “Apple”"
        );
        assert_eq!(action("/api/list_projects", 200, "{}"), "Viewed Projects");
        assert_eq!(action("/api/live", 200, "{}"), "Kept the page up to date");
        assert_eq!(
            action(
                "/admin/users",
                403,
                r#"{"arguments":{},"refused":"Not allowed during impersonation"}"#
            ),
            "Tried to open the user list — refused: Not allowed during impersonation"
        );
        assert_eq!(
            action("/api/create_project", 503, "{}"),
            "Tried to create a project — failed: a fault on our side"
        );
        assert_eq!(
            action("/wp-admin", 404, "{}"),
            "Tried to open an address the app does not have, “/wp-admin” — refused: not found"
        );
        assert_eq!(
            action(
                "/settings/impersonation/sessions/12/receipt.json",
                403,
                r#"{"refused":"Not allowed during impersonation"}"#
            ),
            "Tried to download a session's receipt — refused: Not allowed during impersonation"
        );
        assert!(request("/settings/impersonation/sessions//receipt.json").is_none());
        assert!(request("/settings/impersonation/sessions/1x/receipt.json").is_none());
    }

    /// Every server function registered with the framework and every page route of `App`
    /// has words: a new endpoint or page without them fails here.
    #[tokio::test]
    async fn every_endpoint_and_page_has_words() {
        let functions: Vec<(&str, _)> = leptos::server_fn::axum::server_fn_paths().collect();
        assert!(
            functions.len() >= 40,
            "found only {} server functions",
            functions.len()
        );
        let pages = leptos_axum::generate_route_list(crate::App);
        assert!(pages.len() >= 12, "found only {} pages", pages.len());
        let mut missing: Vec<String> = functions
            .iter()
            .map(|(path, _)| path.to_string())
            .chain(pages.iter().map(|page| page.path().to_string()))
            .filter(|path| request(path).is_none())
            .collect();
        missing.sort();
        assert!(
            missing.is_empty(),
            "no words in plain_words::request for {missing:?}"
        );
        for page in &pages {
            assert!(
                matches!(request(page.path()), Some(Request::PageView(_))),
                "{} is a page",
                page.path()
            );
        }
    }

    #[test]
    fn hostile_values_stay_inside_their_quotes() {
        let renamed = |to: &str| {
            sentence(event(
                "project_renamed",
                &json!({"from": "Orchard", "to": to}).to_string(),
            ))
        };
        // A line break cannot start a line of its own.
        assert_eq!(
            renamed("a\nRevoked consent"),
            "Renamed project “Orchard” to “a\\u000aRevoked consent”"
        );
        // A closing quote cannot end the value early and let the rest read as ours.
        assert_eq!(
            renamed("x” and deleted the account “y"),
            "Renamed project “Orchard” to “x\\u201d and deleted the account \\u201cy”"
        );
        // Text turned around by a direction mark is shown with the mark named.
        assert_eq!(
            renamed("abc\u{202e}fed"),
            "Renamed project “Orchard” to “abc\\u202efed”"
        );
        // Markup is text: the sentence carries it as written, and the page puts sentences in
        // text nodes only, where it cannot run.
        assert_eq!(
            renamed("<script>alert(1)</script>"),
            "Renamed project “Orchard” to “<script>alert(1)</script>”"
        );
        // A long value is cut, and says so.
        let long = renamed(&"x".repeat(5_000));
        assert!(
            long.ends_with(&format!("“{}…”", "x".repeat(MAX_QUOTED_CHARS))),
            "{long}"
        );
        // A refusal's words are the server's, cleaned all the same.
        assert_eq!(
            action("/api/update_payout", 403, r#"{"refused":"no\r\nway"}"#),
            "Tried to change payout details — refused: no\\u000d\\u000away"
        );
        // An unknown path is quoted like any typed value.
        assert!(action("/x”\n", 404, "{}").contains("“/x\\u201d\\u000a”"));
    }
}
