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

/// One of the member's sections (SPEC.md §2): what a consent, a support code or an access
/// approval may be limited to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Section {
    Profile,
    Projects,
    Payout,
}

impl Section {
    pub const ALL: [Section; 3] = [Section::Profile, Section::Projects, Section::Payout];

    pub fn as_str(self) -> &'static str {
        match self {
            Section::Profile => "profile",
            Section::Projects => "projects",
            Section::Payout => "payout",
        }
    }

    pub fn parse(text: &str) -> Option<Section> {
        Section::ALL
            .into_iter()
            .find(|section| section.as_str() == text)
    }

    /// The words SPEC.md shows.
    pub fn label(self) -> &'static str {
        match self {
            Section::Profile => "Profile",
            Section::Projects => "Projects",
            Section::Payout => "Payout",
        }
    }

    fn bit(self) -> u8 {
        1 << (self as u8)
    }
}

/// The sections a consent, support code, approval or session allows: none chosen means all.
/// Only valid sets exist (a mask of the three sections, never empty).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Sections(u8);

impl Default for Sections {
    fn default() -> Self {
        Sections::ALL
    }
}

impl Sections {
    pub const ALL: Sections = Sections(0b111);

    /// The sections named; none means all.
    pub fn of(sections: impl IntoIterator<Item = Section>) -> Sections {
        let mask = sections
            .into_iter()
            .fold(0, |mask, section| mask | section.bit());
        if mask == 0 {
            Sections::ALL
        } else {
            Sections(mask)
        }
    }

    /// Reads the stored or typed form: section names separated by commas (spaces allowed),
    /// `""` for all. `None` if any name is not a section.
    pub fn parse(text: &str) -> Option<Sections> {
        let mut sections = Vec::new();
        for name in text
            .split(',')
            .map(str::trim)
            .filter(|name| !name.is_empty())
        {
            sections.push(Section::parse(&name.to_ascii_lowercase())?);
        }
        Some(Sections::of(sections))
    }

    /// The stored form: `""` for all, otherwise the names in `Section::ALL`'s order.
    pub fn as_text(self) -> String {
        if self.is_all() {
            return String::new();
        }
        self.list()
            .into_iter()
            .map(Section::as_str)
            .collect::<Vec<_>>()
            .join(",")
    }

    pub fn is_all(self) -> bool {
        self == Sections::ALL
    }

    pub fn allows(self, section: Section) -> bool {
        self.0 & section.bit() != 0
    }

    /// Whether every section of `self` is also in `other` (an answer that drops sections).
    pub fn within(self, other: Sections) -> bool {
        self.0 & !other.0 == 0
    }

    pub fn list(self) -> Vec<Section> {
        Section::ALL
            .into_iter()
            .filter(|section| self.allows(*section))
            .collect()
    }

    /// Every non-empty set within this one, the whole set first: what a member may choose
    /// when limiting or answering.
    pub fn subsets(self) -> Vec<Sections> {
        let mut subsets: Vec<Sections> = (1..=Sections::ALL.0)
            .rev()
            .map(Sections)
            .filter(|subset| subset.within(self))
            .collect();
        subsets.sort_by_key(|subset| std::cmp::Reverse(subset.0.count_ones()));
        subsets
    }

    /// `All sections`, or the labels: `Profile, Payout`.
    pub fn label(self) -> String {
        if self.is_all() {
            return "All sections".to_string();
        }
        self.list()
            .into_iter()
            .map(Section::label)
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// The section a page or server function belongs to, by its path: while acting, a request
/// of a section the session does not allow is refused (`NOT_WITHIN_ACCESS`). Paths of no
/// section (the account page, the navigation's reads) are `None`. Every page and server
/// function of the member's sections is named here; a test checks each one is refused.
pub fn section_of_path(path: &str) -> Option<Section> {
    let path = path.trim_end_matches('/');
    let under = |prefix: &str| path == prefix || path.starts_with(&format!("{prefix}/"));
    if under("/profile") {
        return Some(Section::Profile);
    }
    if under("/projects") {
        return Some(Section::Projects);
    }
    if under("/payout") {
        return Some(Section::Payout);
    }
    let function = path.strip_prefix("/api/")?;
    SECTION_FUNCTIONS
        .iter()
        .find(|(name, _)| *name == function)
        .map(|(_, section)| *section)
}

/// The section whose page `path` is (`/profile`, `/projects`, `/payout`, a trailing slash
/// allowed), and no other path: beneath it there is no page.
pub fn section_page(path: &str) -> Option<Section> {
    let name = path.strip_suffix('/').unwrap_or(path).strip_prefix('/')?;
    Section::parse(name)
}

/// Whether a path means what it spells: no `.` or `..` segment, no empty one but a trailing
/// slash, nothing percent-encoded. Every page and server function of Actas has such a path;
/// another one could name a section only once a router resolved it, so `section_of_path`
/// cannot judge it.
pub fn is_plain_path(path: &str) -> bool {
    let inner = path.strip_suffix('/').unwrap_or(path);
    !path.contains('%')
        && !path.contains('\\')
        && inner
            .split('/')
            .skip(1)
            .all(|segment| !matches!(segment, "" | "." | ".."))
}

/// The server functions of each section (their endpoints under `/api/`).
pub const SECTION_FUNCTIONS: [(&str, Section); 8] = [
    ("get_profile", Section::Profile),
    ("update_profile", Section::Profile),
    ("list_projects", Section::Projects),
    ("create_project", Section::Projects),
    ("rename_project", Section::Projects),
    ("archive_project", Section::Projects),
    ("get_payout", Section::Payout),
    ("update_payout", Section::Payout),
];

/// SPEC.md §2's answer to a request outside the sections an acting administrator was granted.
pub const NOT_WITHIN_ACCESS: &str = "Not within the access granted";

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
    /// For the member themself: how many notices of their `Inbox` they have not read.
    pub unread_notices: Option<u32>,
}

impl Me {
    /// The member's sections these pages may show: all of them, but while an administrator
    /// acts under a grant of fewer.
    pub fn sections_granted(&self) -> Sections {
        self.acting
            .as_ref()
            .map_or(Sections::ALL, |acting| acting.sections)
    }
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

/// Where an open page hears what happens elsewhere: server-sent events (SPEC.md §8).
pub const LIVE_CHANNEL: &str = "/api/live";

/// The news the live channel tells: the server names its events with these, and the page
/// listens for them by the same names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum LiveNews {
    /// The acting administrator's session is over; the data is its end reason.
    Ended,
    /// Who acts on the member's account now, as JSON (`null`: nobody).
    Support,
    /// How many of the member's notices are unread.
    Inbox,
    /// One of the administrator's access requests changed: its id and status, as JSON.
    Requests,
}

impl LiveNews {
    pub const ALL: [LiveNews; 4] = [
        LiveNews::Ended,
        LiveNews::Support,
        LiveNews::Inbox,
        LiveNews::Requests,
    ];

    pub const fn name(self) -> &'static str {
        match self {
            LiveNews::Ended => "ended",
            LiveNews::Support => "support",
            LiveNews::Inbox => "inbox",
            LiveNews::Requests => "requests",
        }
    }

    pub fn from_name(name: &str) -> Option<LiveNews> {
        LiveNews::ALL.into_iter().find(|news| news.name() == name)
    }
}

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
    /// The sections granted: the banner names them.
    pub sections: Sections,
    pub expires_at: i64,
    pub server_now: i64,
}

/// The banner's countdown in the browser, against the wall clock (`Date.now()`), never a
/// counter or the monotonic clock: those stop while the machine sleeps, and a laptop opened
/// after an hour would show an hour too much (SPEC.md §8). The browser's clock may be wrong;
/// how wrong (`skew`) is taken once, from the server's clock sent with the page.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Countdown {
    /// When the session ends, on the server's clock.
    expires_at: i64,
    /// The server's clock less the browser's.
    skew: i64,
}

impl Countdown {
    /// `server_now` is the server's clock as it rendered the page, `browser_now` the
    /// browser's as it asked for the page, a moment earlier: the countdown errs on the side
    /// of less time, never more, and the server ends the session at its own expiry regardless.
    pub fn new(expires_at: i64, server_now: i64, browser_now: i64) -> Countdown {
        Countdown {
            expires_at,
            skew: server_now - browser_now,
        }
    }

    /// Time left, in milliseconds (0 once over), when the browser's clock says `browser_now`.
    pub fn remaining(&self, browser_now: i64) -> i64 {
        (self.expires_at - (browser_now + self.skew)).max(0)
    }
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
    pub sections: Sections,
    pub expires_at: i64,
}

/// A support code, shown to the member once.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IssuedSupportCode {
    pub code: String,
    pub scope: Scope,
    pub expires_at: i64,
    /// As the member reads them beside the code: the expiry (`format_utc`) and the scope.
    pub until: String,
    pub scope_label: String,
}

impl IssuedSupportCode {
    pub fn new(code: String, scope: Scope, expires_at: i64) -> IssuedSupportCode {
        IssuedSupportCode {
            code,
            scope,
            expires_at,
            until: format_utc(expires_at),
            scope_label: scope.label().to_string(),
        }
    }
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
    /// The viewer's latest access request to this member, answered or not.
    pub request: Option<AccessRequestView>,
}

/// Where an access request stands (SPEC.md §2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RequestStatus {
    Pending,
    Approved,
    Denied,
    /// The administrator took it back before it was answered.
    Withdrawn,
    /// Nobody answered within 24 hours.
    Expired,
    /// Approved, then the member revoked consent.
    Revoked,
}

impl RequestStatus {
    pub const ALL: [RequestStatus; 6] = [
        RequestStatus::Pending,
        RequestStatus::Approved,
        RequestStatus::Denied,
        RequestStatus::Withdrawn,
        RequestStatus::Expired,
        RequestStatus::Revoked,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RequestStatus::Pending => "pending",
            RequestStatus::Approved => "approved",
            RequestStatus::Denied => "denied",
            RequestStatus::Withdrawn => "withdrawn",
            RequestStatus::Expired => "expired",
            RequestStatus::Revoked => "revoked",
        }
    }

    pub fn parse(text: &str) -> Option<RequestStatus> {
        RequestStatus::ALL
            .into_iter()
            .find(|status| status.as_str() == text)
    }

    pub fn label(self) -> &'static str {
        match self {
            RequestStatus::Pending => "Pending",
            RequestStatus::Approved => "Approved",
            RequestStatus::Denied => "Denied",
            RequestStatus::Withdrawn => "Withdrawn",
            RequestStatus::Expired => "Expired",
            RequestStatus::Revoked => "Revoked",
        }
    }
}

/// An access request as the member's inbox and the administrator's user list show it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessRequestView {
    pub id: i64,
    pub actor_name: String,
    pub actor_email: String,
    pub member_id: i64,
    pub reason: String,
    pub ticket: Option<String>,
    pub scope: Scope,
    pub sections: Sections,
    pub hours: u32,
    pub requested_at: i64,
    /// When it expires if nobody answers it.
    pub expires_at: i64,
    /// As of when it was read: a pending request past its expiry reads `Expired`.
    pub status: RequestStatus,
    pub answered_at: Option<i64>,
    /// What the member approved: the scope, sections and end of the window.
    pub approved_scope: Option<Scope>,
    pub approved_sections: Option<Sections>,
    pub approved_until: Option<i64>,
    /// The member's message with a denial.
    pub message: Option<String>,
}

/// What a notice of the member's inbox tells (SPEC.md §5, Inbox).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NoticeKind {
    AccessRequested,
    SessionStarted,
    SessionEnded,
    ConsentExpired,
}

/// One notice of the member's inbox.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InboxNotice {
    pub at_ms: i64,
    pub kind: NoticeKind,
    pub unread: bool,
    /// The administrator it is about, `Name (email)`, if any.
    pub admin: Option<String>,
    /// A session's end reason (`consent revoked`, `expired`…).
    pub end_reason: Option<String>,
    /// The request, for an `AccessRequested` notice, as it stands now.
    pub request: Option<AccessRequestView>,
}

/// The member's inbox, newest first.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Inbox {
    pub notices: Vec<InboxNotice>,
    pub unread: u32,
}

/// How many notices the inbox shows, newest first.
pub const INBOX_NOTICES: usize = 100;

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
pub const AUDIT_EVENT_KINDS: [&str; 31] = [
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
    "access_requested",
    "access_approved",
    "access_denied",
    "access_request_expired",
    "access_request_withdrawn",
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
    fn only_paths_that_mean_what_they_spell_are_plain() {
        for plain in [
            "/",
            "/projects",
            "/projects/",
            "/api/list_projects",
            "/favicon.svg",
        ] {
            assert!(is_plain_path(plain), "{plain}");
        }
        for odd in [
            "/x/../payout",
            "/./payout",
            "//payout",
            "/projects//",
            "/%70ayout",
            "/api/list%5Fprojects",
            "/x/%2e%2e/projects",
            "/x\\..\\payout",
        ] {
            assert!(!is_plain_path(odd), "{odd}");
        }
    }

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
    fn the_countdown_follows_the_wall_clock_whatever_the_browser_clock_says() {
        // The server rendered at 1,000,000 with 10 minutes left; the browser's clock is an
        // hour behind.
        let countdown = Countdown::new(1_600_000, 1_000_000, 1_000_000 - 3_600_000);
        let browser = |after_ms: i64| 1_000_000 - 3_600_000 + after_ms;
        assert_eq!(countdown.remaining(browser(0)), 600_000);
        assert_eq!(countdown.remaining(browser(1_000)), 599_000);
        // Five minutes asleep: the wall clock moved on, and so does the countdown.
        assert_eq!(countdown.remaining(browser(300_000)), 300_000);
        assert_eq!(countdown.remaining(browser(600_000)), 0);
        assert_eq!(
            countdown.remaining(browser(3_600_000)),
            0,
            "never below zero"
        );
    }

    #[test]
    fn live_news_is_named_once() {
        for news in LiveNews::ALL {
            assert_eq!(LiveNews::from_name(news.name()), Some(news));
        }
        assert_eq!(LiveNews::from_name("nonsense"), None);
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
    fn sections_none_chosen_mean_all_and_read_back_as_written() {
        assert_eq!(Sections::parse(""), Some(Sections::ALL));
        assert_eq!(Sections::parse(" , "), Some(Sections::ALL));
        assert_eq!(Sections::ALL.as_text(), "");
        let two = Sections::parse("Payout, profile").unwrap();
        assert_eq!(two.as_text(), "profile,payout");
        assert_eq!(Sections::parse(&two.as_text()), Some(two));
        assert_eq!(two.label(), "Profile, Payout");
        assert_eq!(
            Sections::parse("profile,projects,payout"),
            Some(Sections::ALL)
        );
        assert_eq!(Sections::parse("profile,admin"), None);
        assert!(two.within(Sections::ALL));
        assert!(!Sections::ALL.within(two));
        assert!(Sections::of([Section::Payout]).within(two));
        assert!(!two.allows(Section::Projects));
        assert_eq!(Sections::ALL.subsets().len(), 7);
        assert_eq!(Sections::ALL.subsets()[0], Sections::ALL);
        assert_eq!(
            two.subsets(),
            vec![
                two,
                Sections::of([Section::Payout]),
                Sections::of([Section::Profile])
            ]
        );
    }

    #[test]
    fn every_page_and_function_of_a_section_is_named_and_nothing_else() {
        for (path, section) in [
            ("/profile", Some(Section::Profile)),
            ("/projects/", Some(Section::Projects)),
            ("/payout", Some(Section::Payout)),
            ("/api/get_profile", Some(Section::Profile)),
            ("/api/archive_project", Some(Section::Projects)),
            ("/api/update_payout", Some(Section::Payout)),
            ("/payouts", None),
            ("/account", None),
            ("/api/whoami", None),
            ("/api/live", None),
            ("/inbox", None),
        ] {
            assert_eq!(section_of_path(path), section, "{path}");
        }
        for (function, section) in SECTION_FUNCTIONS {
            assert_eq!(section_of_path(&format!("/api/{function}")), Some(section));
        }
    }

    #[test]
    fn every_server_function_of_the_members_sections_is_named() {
        // A new function for the member's account must be placed in its section, or an
        // administrator acting within other sections would reach it.
        // Each function also checks its own section (`effective_member_in`), the same one.
        let source = include_str!("api/member_data.rs");
        let functions: Vec<&str> = source.split("#[server(endpoint = \"").skip(1).collect();
        assert_eq!(functions.len(), SECTION_FUNCTIONS.len());
        for function in functions {
            let endpoint = function.split('"').next().unwrap_or_default();
            let section = SECTION_FUNCTIONS
                .iter()
                .find(|(name, _)| *name == endpoint)
                .map(|(_, section)| *section)
                .unwrap_or_else(|| panic!("{endpoint} has no section"));
            let check = format!("effective_member_in(Section::{section:?})");
            assert!(function.contains(&check), "{endpoint} checks {check}");
        }
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
