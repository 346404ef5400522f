//! Plain data shared by the server and the browser: what pages render and server functions return.

use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Owner,
    Admin,
    Member,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::Owner, Role::Admin, Role::Member];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Owner => "owner",
            Role::Admin => "admin",
            Role::Member => "member",
        }
    }

    pub fn parse(text: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|role| role.as_str() == text)
    }

    /// Platform staff: may open the admin pages.
    pub fn is_staff(self) -> bool {
        matches!(self, Role::Owner | Role::Admin)
    }

    /// Where a person of this role starts: staff at the user list, members at their account.
    pub fn start_page(self) -> &'static str {
        if self.is_staff() {
            "/admin/users"
        } else {
            "/account"
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum UserStatus {
    Active,
    Suspended,
    Deleted,
}

impl UserStatus {
    pub const ALL: [UserStatus; 3] = [
        UserStatus::Active,
        UserStatus::Suspended,
        UserStatus::Deleted,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            UserStatus::Active => "active",
            UserStatus::Suspended => "suspended",
            UserStatus::Deleted => "deleted",
        }
    }

    pub fn parse(text: &str) -> Option<UserStatus> {
        UserStatus::ALL
            .into_iter()
            .find(|status| status.as_str() == text)
    }
}

impl fmt::Display for UserStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What an impersonating administrator may do in the member's name (SPEC.md §2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    /// No changes can be made in the member's name.
    ViewOnly,
    FullAccess,
}

impl Scope {
    pub const ALL: [Scope; 2] = [Scope::ViewOnly, Scope::FullAccess];

    pub fn as_str(self) -> &'static str {
        match self {
            Scope::ViewOnly => "view_only",
            Scope::FullAccess => "full_access",
        }
    }

    pub fn parse(text: &str) -> Option<Scope> {
        Scope::ALL.into_iter().find(|scope| scope.as_str() == text)
    }

    /// The words SPEC.md shows.
    pub fn label(self) -> &'static str {
        match self {
            Scope::ViewOnly => "View only",
            Scope::FullAccess => "Full access",
        }
    }
}

/// The person pages are for: the signed-in person, or while an administrator acts, the member.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Me {
    pub id: i64,
    pub name: String,
    pub email: String,
    pub role: Role,
    /// Set while an administrator acts as this member: what the banner shows.
    pub acting: Option<ActingView>,
    /// For the member themself: the administrator acting on their account right now, if any.
    pub support_acting: Option<String>,
    /// For an administrator in their own view: the session of theirs this very request found
    /// ended (its end reason, as `EndReason::as_str` writes it), for the notice that says why.
    pub session_ended: Option<String>,
    /// For an administrator in their own view: a session of theirs still live in another
    /// browser (one left behind), which they can end from here.
    pub open_elsewhere: Option<OpenSession>,
}

/// An administrator's live session, as another browser of theirs shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct OpenSession {
    pub session_id: i64,
    pub member_name: String,
    pub member_email: String,
    pub started_at: i64,
    pub expires_at: i64,
}

/// SPEC.md §3's answer to what an administrator may not do while acting.
pub const NOT_WHILE_ACTING: &str = "Not allowed during impersonation";

/// Why an administrator's session ended, in the words of the notice they land on; `None` for
/// a reason this page does not know (an old link, a hand-made address).
pub fn ending_words(reason: &str) -> Option<&'static str> {
    Some(match reason {
        "exited" => "You exited the impersonation session.",
        "ended by user" => "The member ended the session.",
        "consent revoked" => "The member revoked their consent.",
        "expired" => "The session's time ran out.",
        "user suspended" => "The member's account was suspended or closed.",
        "actor signed out" => "Your sign-in that held the session ended.",
        "permission removed" => "Your permission to impersonate was removed.",
        "role changed" => "The member's role changed, so they can no longer be impersonated.",
        _ => return None,
    })
}

/// The banner's facts, from the server: the countdown is `expires_at - server_now`, so a
/// wrong client clock changes nothing.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActingView {
    pub actor_name: String,
    pub scope: Scope,
    pub expires_at: i64,
    pub server_now: i64,
}

/// `mm:ss`, or `h:mm:ss` from an hour up: the banner's countdown.
pub fn format_countdown(remaining_ms: i64) -> String {
    let seconds = remaining_ms.max(0) / 1000;
    let (hours, minutes, seconds) = (seconds / 3600, seconds / 60 % 60, seconds % 60);
    if hours > 0 {
        format!("{hours}:{minutes:02}:{seconds:02}")
    } else {
        format!("{minutes:02}:{seconds:02}")
    }
}

/// A row of the admin user list.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct UserSummary {
    pub id: i64,
    pub name: String,
    pub email: String,
    pub role: Role,
    pub status: UserStatus,
}

/// The member's consent while it is active.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActiveConsent {
    pub scope: Scope,
    pub expires_at: i64,
}

/// A support code, shown to the member once.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IssuedSupportCode {
    pub code: String,
    pub scope: Scope,
    pub expires_at: i64,
}

/// The member's profile (SPEC.md §4).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct Profile {
    pub display_name: String,
    pub phone: String,
    pub time_zone: String,
}

/// One of the member's projects.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Project {
    pub id: i64,
    pub name: String,
    pub created_at: i64,
    pub archived: bool,
}

/// Payout details as they may be shown: the IBAN masked, always.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Payout {
    pub masked_iban: String,
    pub updated_at: i64,
}

/// Time zones a member can choose (IANA names).
pub const TIME_ZONES: [&str; 16] = [
    "UTC",
    "Europe/London",
    "Europe/Lisbon",
    "Europe/Paris",
    "Europe/Berlin",
    "Europe/Helsinki",
    "Africa/Johannesburg",
    "Asia/Dubai",
    "Asia/Kolkata",
    "Asia/Singapore",
    "Asia/Tokyo",
    "Australia/Sydney",
    "Pacific/Auckland",
    "America/Sao_Paulo",
    "America/New_York",
    "America/Los_Angeles",
];

/// One of a person's sign-ins, as `Where you're signed in` shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignInEntry {
    /// Names the sign-in to `Sign out` (random; says nothing about its token).
    pub handle: String,
    pub started_at: i64,
    pub last_seen_at: i64,
    /// `Firefox on Linux`.
    pub browser: String,
    pub address: String,
    /// The sign-in this page was opened with.
    pub this_browser: bool,
}

/// What `Sign-in settings` shows: the person's email, their sign-ins, and whether they may
/// delete their own account (members).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignInSettings {
    pub email: String,
    pub may_delete_account: bool,
    pub sign_ins: Vec<SignInEntry>,
}

/// A one-time `Set password` link, shown once to the owner who asked for it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IssuedLink {
    /// `/set-password?token=…`; the page puts the site's address in front.
    pub path: String,
    pub expires_at: i64,
    /// Whose password it sets.
    pub email: String,
}

/// A row of the admin user list, with what impersonation needs to know about it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserRow {
    pub user: UserSummary,
    pub consent: Option<ActiveConsent>,
    /// Who holds a live session on this account, if anyone.
    pub held_by: Option<String>,
    /// Why `Impersonate user` cannot start a session here, if it cannot: the server's own
    /// words, from the rules it applies again when a start is asked for.
    pub start_refused: Option<String>,
}

/// One page of the admin user list.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserPage {
    pub users: Vec<UserRow>,
    /// Whether the viewer holds the right to impersonate (the controls are shown only then).
    pub may_impersonate: bool,
    /// Whether the viewer may suspend members (owners).
    pub may_suspend: bool,
    pub viewer_id: i64,
    /// 1-based page number actually shown (clamped to the last page).
    pub page: u32,
    pub page_count: u32,
    pub total: u64,
}

pub const USERS_PER_PAGE: u32 = 50;

/// One impersonation session on the member's account, as their history shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionEntry {
    pub id: i64,
    pub started_at: i64,
    /// When it ended; a session that ran out with nobody watching ended at its expiry.
    pub ended_at: Option<i64>,
    /// How long it lasted, or has lasted so far (measured by the server).
    pub duration_ms: i64,
    pub admin_name: String,
    pub admin_email: String,
    pub reason: String,
    pub scope: Scope,
    /// `None` while ongoing; otherwise the end reason (`consent revoked`, `expired`…).
    pub end_reason: Option<String>,
}

/// How many sessions a page of the member's history shows, newest first.
pub const SESSIONS_PER_PAGE: usize = 50;

/// One page of a list read by cursor (keyset paging): however deep the page, it costs the
/// same as the first.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Where the next page starts (the key of this page's last item), when there is one.
    pub next: Option<i64>,
}

impl<T> Page<T> {
    /// A page from `rows` read with one more than `per_page`: that extra row, if it came,
    /// says another page follows, which continues after the last row kept.
    pub fn from_rows(mut rows: Vec<T>, per_page: usize, key: impl Fn(&T) -> i64) -> Page<T> {
        let next = if rows.len() > per_page {
            rows.truncate(per_page);
            rows.last().map(key)
        } else {
            None
        };
        Page { items: rows, next }
    }
}

/// One audit event as the pages and exports show it (already redacted when it was stored).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub seq: i64,
    pub at_ms: i64,
    pub kind: String,
    /// `Name <email>` of the person who acted, if anyone.
    pub actor: Option<String>,
    /// `Name <email>` of the account it was about, if any.
    pub subject: Option<String>,
    pub impersonation_id: Option<i64>,
    pub method: Option<String>,
    pub path: Option<String>,
    pub status: Option<i32>,
    /// The event's detail as stored: JSON text.
    pub detail: String,
    pub hash: String,
    /// The event in plain words (`Viewed Projects`): text, never markup. Written by the views
    /// that show it; empty in the exports, which carry the raw fields only.
    pub sentence: String,
}

/// One line of a session's log in plain words: what was done, and the events it stands for.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogLine {
    pub sentence: String,
    pub at_ms: i64,
    /// Every event of the line, in the order they happened: the one it is named after first,
    /// with the request that asked for a change beside the change, and the requests a page
    /// made by itself (folded under its view).
    pub events: Vec<AuditEntry>,
    /// How many of `events` are requests the page made by itself.
    pub folded: usize,
}

/// A field name as forms and server functions write them (`name`, `filter[subject]`,
/// `tags[]`). Only such names are kept in an audit record: text of any other shape (a JSON
/// document or multipart headers sent as a form) is no field a handler reads, and could hold
/// anything, a secret included.
pub fn is_field_name(key: &str) -> bool {
    !key.is_empty()
        && key.len() <= 100
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'[' | b']' | b'.'))
}

/// The filters of the activity log, as typed (empty means any).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ActivityFilter {
    pub actor: String,
    pub subject: String,
    pub kind: String,
    /// `YYYY-MM-DD`, UTC, inclusive.
    pub from: String,
    /// `YYYY-MM-DD`, UTC, inclusive.
    pub to: String,
}

pub const EVENTS_PER_PAGE: usize = 50;

/// The kinds of audit event (SPEC.md §5), as stored and as the activity log's filter offers
/// them; the server's `EventKind` names itself from this list.
pub const AUDIT_EVENT_KINDS: [&str; 26] = [
    "sign_in",
    "sign_in_failed",
    "sign_out",
    "consent_granted",
    "consent_revoked",
    "support_code_issued",
    "impersonation_started",
    "impersonation_denied",
    "impersonation_ended",
    "action",
    "profile_updated",
    "payout_updated",
    "role_changed",
    "allowlist_granted",
    "allowlist_revoked",
    "user_suspended",
    "user_created",
    "project_created",
    "project_renamed",
    "project_archived",
    "user_reinstated",
    "user_deleted",
    "password_changed",
    "password_reset_issued",
    "email_changed",
    "signed_out_everywhere",
];

/// Where the member downloads the receipt of one of their ended sessions (SPEC.md §5).
pub fn receipt_path(session_id: i64) -> String {
    format!("/settings/impersonation/sessions/{session_id}/receipt.json")
}

/// How many events of one session's log are shown at a time, oldest first.
pub const SESSION_EVENTS_PER_PAGE: usize = 200;

/// An account on the impersonator allow-list.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AllowListEntry {
    pub user: UserSummary,
    pub granted_by: Option<String>,
    pub granted_at: i64,
    pub last_used: Option<i64>,
    pub sessions: i64,
}

/// The allow-list, and the staff accounts that could be added to it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AllowList {
    pub holders: Vec<AllowListEntry>,
    pub candidates: Vec<UserSummary>,
}

/// Formats a duration as SPEC.md §8 shows them: `1 h 30 min`, `45 min`, `under 1 min`.
pub fn format_duration(ms: i64) -> String {
    let minutes = ms.max(0) / 60_000;
    match (minutes / 60, minutes % 60) {
        (0, 0) => "under 1 min".to_string(),
        (0, m) => format!("{m} min"),
        (h, 0) => format!("{h} h"),
        (h, m) => format!("{h} h {m} min"),
    }
}

/// Formats a UTC instant in milliseconds as SPEC.md §8 shows times: `2026-11-21 10:30 UTC`.
/// By hand rather than with chrono, whose formatting would add ~30 KB to the browser's wasm.
pub fn format_utc(at_ms: i64) -> String {
    let minutes = at_ms.div_euclid(60_000);
    let minute_of_day = minutes.rem_euclid(24 * 60);
    match civil_date(minutes.div_euclid(24 * 60)) {
        (year @ 1..=9999, month, day) => format!(
            "{year:04}-{month:02}-{day:02} {:02}:{:02} UTC",
            minute_of_day / 60,
            minute_of_day % 60
        ),
        _ => "unknown time".to_string(),
    }
}

/// The proleptic Gregorian (year, month, day) of a day counted from 1970-01-01 (Howard
/// Hinnant's `civil_from_days`: 400-year eras, years starting in March so leap days come last).
fn civil_date(days: i64) -> (i64, i64, i64) {
    let days = days + 719_468; // from 0000-03-01
    let era = days.div_euclid(146_097);
    let day_of_era = days.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1_460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_from_march = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_from_march + 2) / 5 + 1;
    let month = if month_from_march < 10 {
        month_from_march + 3
    } else {
        month_from_march - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_read_as_chrono_would_write_them() {
        assert_eq!(format_utc(0), "1970-01-01 00:00 UTC");
        assert_eq!(format_utc(-1), "1969-12-31 23:59 UTC");
        assert_eq!(format_utc(i64::MIN), "unknown time");
        assert_eq!(format_utc(i64::MAX), "unknown time");
        // Every day from 1900 to 2400 (leap years, centuries, 2000), at a varying minute.
        let mut at_ms = -2_208_988_800_000_i64;
        while at_ms < 13_569_465_600_000 {
            let expected = chrono::DateTime::from_timestamp_millis(at_ms)
                .unwrap()
                .format("%Y-%m-%d %H:%M UTC")
                .to_string();
            assert_eq!(format_utc(at_ms), expected, "at {at_ms}");
            at_ms += 86_400_000 + 61_001;
        }
    }

    #[test]
    fn roles_and_statuses_round_trip_through_their_names() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Some(role));
        }
        for status in UserStatus::ALL {
            assert_eq!(UserStatus::parse(status.as_str()), Some(status));
        }
        for scope in Scope::ALL {
            assert_eq!(Scope::parse(scope.as_str()), Some(scope));
        }
        assert_eq!(Role::parse("Owner"), None);
        assert_eq!(UserStatus::parse(""), None);
    }

    #[test]
    fn only_owners_and_admins_are_staff() {
        assert!(Role::Owner.is_staff());
        assert!(Role::Admin.is_staff());
        assert!(!Role::Member.is_staff());
    }

    #[test]
    fn the_countdown_reads_mm_ss_then_h_mm_ss() {
        assert_eq!(format_countdown(0), "00:00");
        assert_eq!(format_countdown(-5), "00:00");
        assert_eq!(format_countdown(59_999), "00:59");
        assert_eq!(format_countdown(30 * 60_000), "30:00");
        assert_eq!(format_countdown(3_600_000 + 61_000), "1:01:01");
    }

    #[test]
    fn a_page_says_where_the_next_begins_only_when_there_is_one() {
        assert_eq!(
            Page::from_rows(vec![9, 8, 7], 2, |n| *n),
            Page {
                items: vec![9, 8],
                next: Some(8)
            }
        );
        assert_eq!(
            Page::from_rows(vec![9, 8], 2, |n| *n),
            Page {
                items: vec![9, 8],
                next: None
            }
        );
        assert_eq!(
            Page::from_rows(Vec::<i64>::new(), 2, |n| *n),
            Page {
                items: vec![],
                next: None
            }
        );
    }

    #[test]
    fn durations_read_in_hours_and_minutes() {
        assert_eq!(format_duration(0), "under 1 min");
        assert_eq!(format_duration(59_999), "under 1 min");
        assert_eq!(format_duration(45 * 60_000), "45 min");
        assert_eq!(format_duration(60 * 60_000), "1 h");
        assert_eq!(format_duration(90 * 60_000 + 59_999), "1 h 30 min");
        assert_eq!(format_duration(-1), "under 1 min");
    }

    #[test]
    fn utc_times_are_shown_with_the_zone_named() {
        // 2026-11-21 10:30:59.999 UTC
        assert_eq!(format_utc(1_795_257_059_999), "2026-11-21 10:30 UTC");
        assert_eq!(format_utc(i64::MAX), "unknown time");
    }
}
